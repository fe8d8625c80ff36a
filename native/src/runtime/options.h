// translate_batch / score_batch options with CTranslate2 4.8.1's defaults (ct2-format.md §5.6).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace trd::runtime {

enum class BatchType { Examples, Tokens };

struct TranslationOptions {
  int32_t beam_size = 2;
  float patience = 1.0f;
  int32_t num_hypotheses = 1;
  float length_penalty = 1.0f;
  float coverage_penalty = 0.0f;
  float repetition_penalty = 1.0f;
  int32_t no_repeat_ngram_size = 0;
  bool disable_unk = false;
  std::vector<std::vector<std::string>> suppress_sequences;
  std::vector<std::string> end_tokens;  // empty: the vocabulary's EOS
  bool return_end_token = false;
  int32_t max_input_length = 1024;  // 0 disables truncation
  int32_t max_decoding_length = 256;
  int32_t min_decoding_length = 1;
  bool return_scores = false;
  bool use_vmap = false;
  int32_t max_batch_size = 0;  // 0: one batch
  BatchType batch_type = BatchType::Examples;
};

// Cross-option checks CTranslate2 makes before decoding (decoding.cc:L1023-1064). Throws
// trd::Error(TRD_INVALID_ARGUMENT) naming the option.
void validate(const TranslationOptions& options);

struct TranslationResult {
  std::vector<std::vector<std::string>> hypotheses;
  std::vector<float> scores;  // empty unless return_scores
};

struct ScoringResult {
  std::vector<std::string> tokens;
  std::vector<float> log_probs;
};

}  // namespace trd::runtime

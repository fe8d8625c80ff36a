// Greedy and beam search with CTranslate2 4.8.1's rules (ct2-format.md §5.7-5.12), and
// teacher-forced scoring. Works on any StepModel, so the rules are testable on hand-built logits.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "layers/transformer.h"

namespace trd::decoding {

struct SearchOptions {
  int32_t beam_size = 2;
  float patience = 1.0f;
  int32_t num_hypotheses = 1;
  float length_penalty = 1.0f;
  float repetition_penalty = 1.0f;
  int32_t no_repeat_ngram_size = 0;
  std::vector<int32_t> disabled_ids;                     // disable_unk -> {unk}
  std::vector<std::vector<int32_t>> suppress_sequences;  // ids
  std::vector<int32_t> end_ids;
  int32_t max_length = 256;  // decoding steps, prefix included
  int32_t min_length = 1;
  bool return_scores = false;
  // vmap: when non-empty, only ids with allowed[id] != 0 can be produced (one set per batch).
  std::vector<uint8_t> allowed;
};

struct Hypothesis {
  std::vector<int32_t> ids;  // prefix included, end token included when generated
  float score = 0.0f;        // normalized by length^length_penalty
};

// Called between decoding steps; throws to stop (cancellation).
using StepCallback = std::function<void()>;

// Decodes every sentence of the batch the model was prepared for. `start_ids[b]` is the decoder
// start token of sentence b; `prefixes[b]` its forced target prefix (may be empty). Returns, per
// sentence, up to num_hypotheses hypotheses, best first.
std::vector<std::vector<Hypothesis>> search(layers::StepModel& model, const std::vector<int32_t>& start_ids,
                                            const std::vector<std::vector<int32_t>>& prefixes,
                                            const SearchOptions& options, const StepCallback& between_steps);

// Teacher forcing: `sequences[b]` = [start, y1, ..., yn]; returns log P(y_i | y_<i) for i = 1..n
// (n values per sentence), the log-softmax over the whole vocabulary.
std::vector<std::vector<float>> score_sequences(layers::StepModel& model,
                                                const std::vector<std::vector<int32_t>>& sequences,
                                                const StepCallback& between_steps);

// The logits processors of one hypothesis row, in CTranslate2's order: min-length end-token ban,
// repetition penalty, no-repeat n-gram, disabled ids, suppressed sequences, vmap. `history` holds
// the tokens produced so far (prefix included, start token excluded). Exposed for tests.
void process_logits(float* logits, int64_t vocabulary_size, const std::vector<int32_t>& history, int64_t step,
                    const SearchOptions& options);

}  // namespace trd::decoding

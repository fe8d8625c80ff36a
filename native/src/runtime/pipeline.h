// One internal batch of translate_batch / score_batch run on a replica: token strings to ids
// (with CTranslate2's truncation, skip and prefix rules), encoder, search, and back to strings.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "decoding/search.h"
#include "layers/transformer.h"
#include "model/model.h"
#include "runtime/options.h"

namespace trd::runtime {

// Everything a replica needs from the loaded model; immutable and shared.
struct ModelContext {
  std::shared_ptr<const layers::TransformerWeights> weights;
  std::shared_ptr<const Vocabulary> source_vocabulary, target_vocabulary;
  ModelConfig config;
  std::optional<VocabularyMap> vocabulary_map;
  uint32_t binary_version = 0;
  std::string spec_name;
};

using Tokens = std::vector<std::string>;

// Source ids with optional BOS/EOS and max_input_length truncation (ct2-format.md §5.2).
std::vector<int32_t> source_ids(const ModelContext& model, const Tokens& tokens, int32_t max_input_length);

// Content length used by the empty-source passthrough (§5.1).
size_t source_content_length(const ModelContext& model, const Tokens& tokens);

std::vector<TranslationResult> run_translation(layers::TransformerRunner& runner, const ModelContext& model,
                                               const std::vector<const Tokens*>& sources,
                                               const std::vector<const Tokens*>& prefixes,
                                               const TranslationOptions& options,
                                               const decoding::StepCallback& between_steps);

std::vector<ScoringResult> run_scoring(layers::TransformerRunner& runner, const ModelContext& model,
                                       const std::vector<const Tokens*>& sources,
                                       const std::vector<const Tokens*>& targets, const TranslationOptions& options,
                                       const decoding::StepCallback& between_steps);

}  // namespace trd::runtime

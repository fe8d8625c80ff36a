// trd_translator_config_*, trd_translator_*, trd_translate_batch, trd_score_batch and results.
#include <cmath>
#include <limits>
#include <string>

#include "abi/handles.h"
#include "abi/status.h"

namespace {

using trd::abi::guard;
using trd::abi::require;
using Tokens = trd::runtime::Tokens;

std::vector<Tokens> unflatten(const char* const* tokens, const size_t* lengths, size_t num_examples, const char* what) {
  std::vector<Tokens> out(num_examples);
  size_t total = 0;
  for (size_t i = 0; i < num_examples; ++i) total += lengths[i];
  if (total > 0) require(tokens, what);
  size_t k = 0;
  for (size_t i = 0; i < num_examples; ++i) {
    out[i].reserve(lengths[i]);
    for (size_t j = 0; j < lengths[i]; ++j, ++k) {
      if (!tokens[k])
        trd::fail(TRD_INVALID_ARGUMENT, std::string(what) + ": token " + std::to_string(j) + " of example " +
                                            std::to_string(i) + " is NULL");
      out[i].emplace_back(tokens[k]);
    }
  }
  return out;
}

trd::runtime::CancelCheck cancel_check(const trd_cancel* cancel) {
  if (!cancel) return {};
  return [cancel] { return trd::abi::is_cancelled(cancel); };
}

const trd::runtime::TranslationOptions& options_or_default(const trd_options* options) {
  static const trd::runtime::TranslationOptions defaults;
  return options ? options->options : defaults;
}

}  // namespace

extern "C" {

trd_status* trd_translator_config_create(trd_translator_config** out) {
  return guard(out, [&] {
    require(out, "out");
    *out = new trd_translator_config();
  });
}

void trd_translator_config_free(trd_translator_config* config) { delete config; }

trd_status* trd_translator_config_set_compute_type(trd_translator_config* config, const char* compute_type) {
  return guard([&] {
    require(config, "config");
    require(compute_type, "compute_type");
    const std::string value(compute_type);
    if (value != "default" && value != "float32" && value != "int8" && value != "int8_float32")
      trd::fail(TRD_INVALID_ARGUMENT, "compute_type must be default, float32, int8 or int8_float32, got \"" + value + "\"");
    config->config.compute_type = value;
  });
}

trd_status* trd_translator_config_set_inter_threads(trd_translator_config* config, int32_t inter_threads) {
  return guard([&] {
    require(config, "config");
    if (inter_threads < 1)
      trd::fail(TRD_INVALID_ARGUMENT, "inter_threads must be >= 1, got " + std::to_string(inter_threads));
    config->config.inter_threads = inter_threads;
  });
}

trd_status* trd_translator_config_set_intra_threads(trd_translator_config* config, int32_t intra_threads) {
  return guard([&] {
    require(config, "config");
    if (intra_threads < 0)
      trd::fail(TRD_INVALID_ARGUMENT, "intra_threads must be >= 0, got " + std::to_string(intra_threads));
    config->config.intra_threads = intra_threads;
  });
}

trd_status* trd_translator_config_set_max_queued_batches(trd_translator_config* config, int32_t max_queued_batches) {
  return guard([&] {
    require(config, "config");
    if (max_queued_batches < -1)
      trd::fail(TRD_INVALID_ARGUMENT, "max_queued_batches must be >= -1, got " + std::to_string(max_queued_batches));
    config->config.max_queued_batches = max_queued_batches;
  });
}

trd_status* trd_translator_create(const char* model_dir, const trd_translator_config* config, trd_translator** out) {
  return guard(out, [&] {
    require(out, "out");
    require(model_dir, "model_dir");
    const trd::runtime::TranslatorConfig defaults;
    auto translator = std::make_unique<trd_translator>();
    translator->translator = std::make_unique<trd::runtime::Translator>(model_dir, config ? config->config : defaults);
    *out = translator.release();
  });
}

void trd_translator_free(trd_translator* translator) { delete translator; }

size_t trd_translator_vocabulary_size(const trd_translator* translator) {
  return translator ? translator->translator->target_vocabulary().size() : 0;
}

const char* trd_translator_vocabulary_token(const trd_translator* translator, size_t id) {
  if (!translator) return nullptr;
  const auto& vocabulary = translator->translator->target_vocabulary();
  if (id >= vocabulary.size()) return nullptr;
  return vocabulary.to_token(static_cast<int32_t>(id)).c_str();
}

const char* trd_translator_describe(const trd_translator* translator) {
  return translator ? translator->translator->describe_json().c_str() : nullptr;
}

trd_status* trd_translate_batch(trd_translator* translator, const char* const* tokens, const size_t* lengths,
                                size_t num_examples, const char* const* prefix_tokens, const size_t* prefix_lengths,
                                const trd_options* options, const trd_cancel* cancel, trd_result** out) {
  return guard(out, [&] {
    require(out, "out");
    require(translator, "translator");
    if (num_examples > 0) require(lengths, "lengths");
    if ((prefix_tokens == nullptr) != (prefix_lengths == nullptr)) {
      // Allowed: prefix_tokens NULL with all-zero lengths is treated as "no tokens".
      if (prefix_lengths == nullptr)
        trd::fail(TRD_INVALID_ARGUMENT, "prefix_lengths must not be NULL when prefix_tokens is given");
    }
    auto sources = unflatten(tokens, lengths, num_examples, "tokens");
    std::vector<Tokens> prefixes;
    if (prefix_lengths) prefixes = unflatten(prefix_tokens, prefix_lengths, num_examples, "prefix_tokens");
    const auto& opt = options_or_default(options);
    auto result = std::make_unique<trd_result>();
    result->has_scores = opt.return_scores;
    result->examples = translator->translator->translate(sources, prefixes, opt, cancel_check(cancel));
    *out = result.release();
  });
}

void trd_result_free(trd_result* result) { delete result; }

size_t trd_result_num_examples(const trd_result* result) { return result ? result->examples.size() : 0; }

size_t trd_result_num_hypotheses(const trd_result* result, size_t example) {
  if (!result || example >= result->examples.size()) return 0;
  return result->examples[example].hypotheses.size();
}

size_t trd_result_hypothesis_length(const trd_result* result, size_t example, size_t hypothesis) {
  if (trd_result_num_hypotheses(result, example) <= hypothesis) return 0;
  return result->examples[example].hypotheses[hypothesis].size();
}

const char* trd_result_token(const trd_result* result, size_t example, size_t hypothesis, size_t index) {
  if (trd_result_hypothesis_length(result, example, hypothesis) <= index) return nullptr;
  return result->examples[example].hypotheses[hypothesis][index].c_str();
}

int trd_result_has_scores(const trd_result* result) { return result && result->has_scores ? 1 : 0; }

float trd_result_score(const trd_result* result, size_t example, size_t hypothesis) {
  if (!result || example >= result->examples.size()) return std::numeric_limits<float>::quiet_NaN();
  const auto& scores = result->examples[example].scores;
  return hypothesis < scores.size() ? scores[hypothesis] : std::numeric_limits<float>::quiet_NaN();
}

trd_status* trd_score_batch(trd_translator* translator, const char* const* source_tokens, const size_t* source_lengths,
                            const char* const* target_tokens, const size_t* target_lengths, size_t num_examples,
                            const trd_options* options, const trd_cancel* cancel, trd_score_result** out) {
  return guard(out, [&] {
    require(out, "out");
    require(translator, "translator");
    if (num_examples > 0) {
      require(source_lengths, "source_lengths");
      require(target_lengths, "target_lengths");
    }
    auto sources = unflatten(source_tokens, source_lengths, num_examples, "source_tokens");
    auto targets = unflatten(target_tokens, target_lengths, num_examples, "target_tokens");
    auto result = std::make_unique<trd_score_result>();
    result->examples =
        translator->translator->score(sources, targets, options_or_default(options), cancel_check(cancel));
    *out = result.release();
  });
}

void trd_score_result_free(trd_score_result* result) { delete result; }

size_t trd_score_result_num_examples(const trd_score_result* result) { return result ? result->examples.size() : 0; }

size_t trd_score_result_length(const trd_score_result* result, size_t example) {
  if (!result || example >= result->examples.size()) return 0;
  return result->examples[example].tokens.size();
}

const char* trd_score_result_token(const trd_score_result* result, size_t example, size_t index) {
  if (trd_score_result_length(result, example) <= index) return nullptr;
  return result->examples[example].tokens[index].c_str();
}

float trd_score_result_log_prob(const trd_score_result* result, size_t example, size_t index) {
  if (!result || example >= result->examples.size()) return std::numeric_limits<float>::quiet_NaN();
  const auto& lp = result->examples[example].log_probs;
  return index < lp.size() ? lp[index] : std::numeric_limits<float>::quiet_NaN();
}

}  // extern "C"

#include "runtime/pipeline.h"

#include <algorithm>
#include <cmath>

#include "common/error.h"

namespace trd::runtime {
namespace {

int32_t required_id(const Vocabulary& vocabulary, const std::string& token, const char* option) {
  const int32_t id = vocabulary.find(token);
  if (id < 0) fail(TRD_INVALID_ARGUMENT, std::string(option) + ": token '" + token + "' is not in the vocabulary");
  return id;
}

std::vector<int32_t> end_ids(const ModelContext& model, const TranslationOptions& options) {
  if (options.end_tokens.empty()) return {model.target_vocabulary->eos_id()};
  std::vector<int32_t> ids;
  for (const auto& t : options.end_tokens) ids.push_back(required_id(*model.target_vocabulary, t, "end_token"));
  return ids;
}

std::vector<uint8_t> vmap_candidates(const ModelContext& model, const std::vector<const Tokens*>& sources,
                                     const std::vector<std::vector<int32_t>>& prefixes) {
  const VocabularyMap& map = *model.vocabulary_map;
  const auto& vocabulary = *model.target_vocabulary;
  std::vector<uint8_t> allowed(vocabulary.size(), 0);
  auto allow = [&](int32_t id) {
    if (id >= 0 && static_cast<size_t>(id) < allowed.size()) allowed[id] = 1;
  };
  for (int32_t id : map.fixed_candidates) allow(id);
  allow(vocabulary.unk_id());
  allow(vocabulary.bos_id());
  allow(vocabulary.eos_id());
  for (const Tokens* source : sources) {
    for (size_t start = 0; start < source->size(); ++start) {
      std::string key;
      for (size_t n = 1; n <= map.max_ngram && start + n <= source->size(); ++n) {
        if (n > 1) key += ' ';
        key += (*source)[start + n - 1];
        auto it = map.rules.find(key);
        if (it != map.rules.end())
          for (int32_t id : it->second) allow(id);
      }
    }
  }
  for (const auto& p : prefixes)
    for (int32_t id : p) allow(id);
  return allowed;
}

decoding::SearchOptions search_options(const ModelContext& model, const TranslationOptions& o) {
  decoding::SearchOptions s;
  s.beam_size = o.beam_size;
  s.patience = o.patience;
  s.num_hypotheses = o.num_hypotheses;
  s.length_penalty = o.length_penalty;
  s.repetition_penalty = o.repetition_penalty;
  s.no_repeat_ngram_size = o.no_repeat_ngram_size;
  if (o.disable_unk) s.disabled_ids.push_back(model.target_vocabulary->unk_id());
  for (const auto& seq : o.suppress_sequences) {
    std::vector<int32_t> ids;
    for (const auto& t : seq) ids.push_back(required_id(*model.target_vocabulary, t, "suppress_sequences"));
    s.suppress_sequences.push_back(std::move(ids));
  }
  s.end_ids = end_ids(model, o);
  s.max_length = o.max_decoding_length;
  s.min_length = o.min_decoding_length;
  s.return_scores = o.return_scores;
  return s;
}

}  // namespace

void validate(const TranslationOptions& o) {
  auto invalid = [](const std::string& m) { fail(TRD_INVALID_ARGUMENT, m); };
  if (o.beam_size < 1) invalid("beam_size must be >= 1");
  if (!(o.patience > 0)) invalid("patience must be > 0");
  if (o.num_hypotheses < 1) invalid("num_hypotheses must be >= 1");
  if (o.max_decoding_length < 1) invalid("max_decoding_length must be > 0");
  if (o.min_decoding_length < 0) invalid("min_decoding_length must be >= 0");
  if (o.min_decoding_length > o.max_decoding_length)
    invalid("min_decoding_length (" + std::to_string(o.min_decoding_length) + ") must be <= max_decoding_length (" +
            std::to_string(o.max_decoding_length) + ")");
  if (!(o.repetition_penalty > 0)) invalid("repetition_penalty must be > 0");
  if (o.no_repeat_ngram_size < 0) invalid("no_repeat_ngram_size must be >= 0");
  if (o.max_input_length < 0) invalid("max_input_length must be >= 0");
  if (o.max_batch_size < 0) invalid("max_batch_size must be >= 0");
  // Greedy search with num_hypotheses > 1 is CTranslate2's replicated decoding (allowed).
  const long max_candidates = std::lround(static_cast<double>(o.beam_size) * o.patience);
  if (o.beam_size > 1 && o.num_hypotheses > max_candidates)
    invalid("num_hypotheses (" + std::to_string(o.num_hypotheses) + ") cannot be greater than beam_size * patience (" +
            std::to_string(max_candidates) + ")");
  if (o.coverage_penalty != 0.0f)
    fail(TRD_UNSUPPORTED, "coverage_penalty other than 0 is not supported by this engine");
}

std::vector<int32_t> source_ids(const ModelContext& model, const Tokens& tokens, int32_t max_input_length) {
  const Vocabulary& v = *model.source_vocabulary;
  std::vector<int32_t> ids;
  if (model.config.add_source_bos) ids.push_back(v.bos_id());
  for (const auto& t : tokens) ids.push_back(v.to_id(t));
  if (model.config.add_source_eos) ids.push_back(v.eos_id());
  const size_t limit = static_cast<size_t>(max_input_length);
  if (max_input_length > 0 && ids.size() > limit) {
    std::vector<int32_t> suffix;
    if (ids.back() == v.eos_id())
      suffix = {ids.back()};
    else if (ids.size() >= 2 && ids[ids.size() - 2] == v.eos_id())
      suffix = {ids[ids.size() - 2], ids.back()};
    ids.resize(limit > suffix.size() ? limit - suffix.size() : 0);
    ids.insert(ids.end(), suffix.begin(), suffix.end());
  }
  return ids;
}

size_t source_content_length(const ModelContext& model, const Tokens& tokens) {
  const std::string& bos = model.config.bos_token;
  const std::string& eos = model.config.eos_token;
  const size_t n = tokens.size();
  if (n <= 1) return n == 1 && (tokens[0] == bos || tokens[0] == eos) ? 0 : n;
  size_t length = n;
  if (tokens.front() == bos) --length;
  if (tokens.back() == eos)
    --length;
  else if (tokens[n - 2] == eos)
    length -= 2;
  return length;
}

std::vector<TranslationResult> run_translation(layers::TransformerRunner& runner, const ModelContext& model,
                                               const std::vector<const Tokens*>& sources,
                                               const std::vector<const Tokens*>& prefixes,
                                               const TranslationOptions& options,
                                               const decoding::StepCallback& between_steps) {
  const Vocabulary& target = *model.target_vocabulary;
  const size_t n = sources.size();
  std::vector<TranslationResult> results(n);
  const decoding::SearchOptions search = search_options(model, options);
  const bool has_start = model.config.decoder_start_token.has_value();

  std::vector<size_t> run;
  for (size_t i = 0; i < n; ++i) {
    if (source_content_length(model, *sources[i]) != 0) {
      run.push_back(i);
      continue;
    }
    // Passthrough: the target prefix (unknown tokens as <unk>), cut to max_decoding_length.
    std::vector<std::string> hypothesis;
    const Tokens& prefix = *prefixes[i];
    for (size_t j = has_start ? 0 : 1; j < prefix.size(); ++j) {
      if (hypothesis.size() >= static_cast<size_t>(options.max_decoding_length)) break;
      hypothesis.push_back(target.to_token(target.to_id(prefix[j])));
    }
    results[i].hypotheses.assign(static_cast<size_t>(options.num_hypotheses), hypothesis);
    if (options.return_scores) results[i].scores.assign(static_cast<size_t>(options.num_hypotheses), 0.0f);
  }
  if (run.empty()) return results;

  std::vector<std::vector<int32_t>> src, prefix_ids;
  std::vector<int32_t> start_ids;
  std::vector<const Tokens*> run_sources;
  for (size_t i : run) {
    src.push_back(source_ids(model, *sources[i], options.max_input_length));
    std::vector<int32_t> p;
    for (const auto& t : *prefixes[i]) p.push_back(target.to_id(t));
    if (has_start) {
      start_ids.push_back(target.to_id(*model.config.decoder_start_token));
    } else {
      if (p.empty())
        fail(TRD_INVALID_ARGUMENT, "this model has no decoder_start_token: every example needs a target prefix");
      start_ids.push_back(p.front());
      p.erase(p.begin());
    }
    prefix_ids.push_back(std::move(p));
    run_sources.push_back(sources[i]);
  }
  decoding::SearchOptions batch_search = search;
  std::vector<int32_t> candidates;
  if (options.use_vmap && model.vocabulary_map) {
    batch_search.allowed = vmap_candidates(model, run_sources, prefix_ids);
    for (size_t id = 0; id < batch_search.allowed.size(); ++id)
      if (batch_search.allowed[id]) candidates.push_back(static_cast<int32_t>(id));
  }
  // The projection is computed for the candidates only (the largest saving with a 256k vocabulary);
  // `allowed` stays, so every processor sees exactly what masking gave.
  runner.restrict_output(candidates);

  runner.encode(src);
  auto decoded = decoding::search(runner, start_ids, prefix_ids, batch_search, between_steps);
  for (size_t r = 0; r < run.size(); ++r) {
    TranslationResult& result = results[run[r]];
    for (auto& h : decoded[r]) {
      auto ids = h.ids;
      if (!options.return_end_token)
        while (!ids.empty() && std::find(search.end_ids.begin(), search.end_ids.end(), ids.back()) != search.end_ids.end())
          ids.pop_back();
      std::vector<std::string> tokens;
      tokens.reserve(ids.size());
      for (int32_t id : ids) tokens.push_back(target.to_token(id));
      result.hypotheses.push_back(std::move(tokens));
      if (options.return_scores) result.scores.push_back(h.score);
    }
  }
  return results;
}

std::vector<ScoringResult> run_scoring(layers::TransformerRunner& runner, const ModelContext& model,
                                       const std::vector<const Tokens*>& sources,
                                       const std::vector<const Tokens*>& targets, const TranslationOptions& options,
                                       const decoding::StepCallback& between_steps) {
  const Vocabulary& target = *model.target_vocabulary;
  const size_t n = sources.size();
  std::vector<ScoringResult> results(n);
  std::vector<std::vector<int32_t>> src, sequences;
  std::vector<size_t> run;
  for (size_t i = 0; i < n; ++i) {
    // [start] + target + [eos], cut to max_input_length + 1 ids keeping the EOS last.
    std::vector<int32_t> seq;
    const bool has_start = model.config.decoder_start_token.has_value();
    if (has_start) seq.push_back(target.to_id(*model.config.decoder_start_token));
    for (const auto& t : *targets[i]) seq.push_back(target.to_id(t));
    if (seq.empty()) fail(TRD_INVALID_ARGUMENT, "this model has no decoder_start_token: every target must be non-empty");
    seq.push_back(target.eos_id());
    const size_t limit = static_cast<size_t>(options.max_input_length) + 1;
    if (options.max_input_length > 0 && seq.size() > limit) {
      seq.resize(limit - 1);
      seq.push_back(target.eos_id());
    }
    for (size_t j = 1; j < seq.size(); ++j) results[i].tokens.push_back(target.to_token(seq[j]));
    if (sources[i]->empty()) {
      results[i].log_probs.assign(results[i].tokens.size(), 0.0f);
      continue;
    }
    src.push_back(source_ids(model, *sources[i], options.max_input_length));
    sequences.push_back(std::move(seq));
    run.push_back(i);
  }
  if (run.empty()) return results;
  runner.restrict_output({});  // scoring is over the whole vocabulary
  runner.encode(src);
  auto scores = decoding::score_sequences(runner, sequences, between_steps);
  for (size_t r = 0; r < run.size(); ++r) results[run[r]].log_probs = std::move(scores[r]);
  return results;
}

}  // namespace trd::runtime

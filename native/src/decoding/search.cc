#include "decoding/search.h"

#include <algorithm>
#include <cmath>
#include <immintrin.h>
#include <limits>
#include <unordered_set>

#include "common/error.h"
#include "kernels/ops.h"

namespace trd::decoding {
namespace {

constexpr float kLowest = std::numeric_limits<float>::lowest();
// update_sample_with_prefix's score for candidates that must not win (decoding.cc:L21-67).
constexpr float kDisabledScore = -1e10f;

bool is_end(const SearchOptions& o, int32_t id) {
  return std::find(o.end_ids.begin(), o.end_ids.end(), id) != o.end_ids.end();
}

float normalize(float score, size_t length, float length_penalty) {
  if (length_penalty == 0.0f) return score;
  return score / std::pow(static_cast<float>(length), length_penalty);
}

struct Candidate {
  float score;
  int64_t index;  // flattened (row * V + word)
};

// The first i in [begin, end) with x[i] + offset > threshold, or end. Blocks of 8 values without
// one are passed over with a single vector compare; the sum is the same float addition as the
// scalar one and a NaN compares greater in neither, so the result is the scalar scan's.
__attribute__((target("avx2"))) int64_t first_greater_avx2(const float* x, int64_t begin, int64_t end, float offset,
                                                           float threshold) {
  const __m256 off = _mm256_set1_ps(offset), thr = _mm256_set1_ps(threshold);
  int64_t i = begin;
  for (; i + 8 <= end; i += 8) {
    const int mask =
        _mm256_movemask_ps(_mm256_cmp_ps(_mm256_add_ps(_mm256_loadu_ps(x + i), off), thr, _CMP_GT_OQ));
    if (mask != 0) return i + __builtin_ctz(static_cast<unsigned>(mask));
  }
  for (; i < end; ++i)
    if (x[i] + offset > threshold) return i;
  return end;
}

int64_t first_greater(const float* x, int64_t begin, int64_t end, float offset, float threshold) {
  static const bool avx2 = __builtin_cpu_supports("avx2");
  if (avx2) return first_greater_avx2(x, begin, end, offset, threshold);
  for (int64_t i = begin; i < end; ++i)
    if (x[i] + offset > threshold) return i;
  return end;
}

// Index of the first largest value, as std::max_element: only a strictly greater value moves it.
int64_t argmax(const float* x, int64_t size) {
  int64_t best = 0;
  for (int64_t i = first_greater(x, 1, size, 0.f, x[0]); i < size; i = first_greater(x, i + 1, size, 0.f, x[best]))
    best = i;
  return best;
}

// Best `k` of `rows` consecutive rows of `size` log-probabilities, each row offset by its
// hypothesis' cumulated score `offsets[r]` (descending; ties broken by the lower flattened index
// r * size + i). Once `k` candidates are held, only values above the k-th can enter: the rest are
// skipped by first_greater without being inserted or written back.
void top_k(const float* values, int64_t rows, int64_t size, const float* offsets, int64_t k,
           std::vector<Candidate>& out) {
  out.clear();
  auto better = [](const Candidate& a, const Candidate& b) {
    return a.score > b.score || (a.score == b.score && a.index < b.index);
  };
  for (int64_t r = 0; r < rows; ++r) {
    const float* row = values + r * size;
    const float offset = offsets[r];
    for (int64_t i = 0; i < size; ++i) {
      if (static_cast<int64_t>(out.size()) == k) {
        i = first_greater(row, i, size, offset, out.back().score);
        if (i == size) break;
      }
      Candidate c{row[i] + offset, r * size + i};
      out.insert(std::upper_bound(out.begin(), out.end(), c, better), c);
      if (static_cast<int64_t>(out.size()) > k) out.pop_back();
    }
  }
}

struct Alive {
  int32_t sentence;
  std::vector<int32_t> history;
  float score;
};

}  // namespace

void process_logits(float* logits, int64_t vocabulary_size, const std::vector<int32_t>& history, int64_t step,
                    const SearchOptions& o) {
  auto ban = [&](int32_t id) {
    if (id >= 0 && id < vocabulary_size) logits[id] = kLowest;
  };
  // CTranslate2's CPU DisableTokens writes immediately, so later processors see these values.
  if (step < o.min_length)
    for (int32_t id : o.end_ids) ban(id);
  if (o.repetition_penalty != 1.0f && !history.empty()) {
    // Distinct tokens, all values read before any is written.
    std::vector<int32_t> ids(history);
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    std::vector<float> values(ids.size());
    for (size_t i = 0; i < ids.size(); ++i) values[i] = logits[ids[i]];
    for (size_t i = 0; i < ids.size(); ++i) {
      const float z = values[i];
      logits[ids[i]] = z < 0 ? z * o.repetition_penalty : z / o.repetition_penalty;
    }
  }
  const int64_t n = o.no_repeat_ngram_size;
  const int64_t length = static_cast<int64_t>(history.size());
  if (n > 0 && length >= n) {
    const int64_t tail = length - (n - 1);  // start of the last n-1 tokens
    for (int64_t start = 0; start + n - 1 < length; ++start) {
      bool match = true;
      for (int64_t j = 0; j < n - 1 && match; ++j) match = history[start + j] == history[tail + j];
      if (match) ban(history[start + n - 1]);
    }
  }
  for (int32_t id : o.disabled_ids) ban(id);
  for (const auto& seq : o.suppress_sequences) {
    if (seq.empty()) continue;
    const int64_t prefix = static_cast<int64_t>(seq.size()) - 1;
    if (prefix == 0) {
      ban(seq[0]);
      continue;
    }
    if (length < prefix) continue;
    if (std::equal(seq.begin(), seq.end() - 1, history.end() - prefix)) ban(seq.back());
  }
  if (!o.allowed.empty())
    for (int64_t v = 0; v < vocabulary_size; ++v)
      if (!o.allowed[v]) logits[v] = kLowest;
}

namespace {

std::vector<std::vector<Hypothesis>> greedy_search(layers::StepModel& model, const std::vector<int32_t>& start_ids,
                                                   const std::vector<std::vector<int32_t>>& prefixes,
                                                   const SearchOptions& o, const StepCallback& between_steps) {
  const int64_t batch = static_cast<int64_t>(start_ids.size());
  const int64_t V = model.vocabulary_size();
  std::vector<std::vector<Hypothesis>> results(batch);
  std::vector<Alive> alive;
  std::vector<int32_t> tokens, sentences, origin;
  for (int64_t b = 0; b < batch; ++b) {
    alive.push_back({static_cast<int32_t>(b), {}, 0.0f});
    tokens.push_back(start_ids[b]);
  }
  std::vector<float> logits, best_scores;
  std::vector<int32_t> best_words;
  for (int64_t step = 0; step < o.max_length && !alive.empty(); ++step) {
    if (between_steps) between_steps();
    const int64_t n = static_cast<int64_t>(alive.size());
    sentences.resize(n);
    for (int64_t i = 0; i < n; ++i) sentences[i] = alive[i].sentence;
    logits.resize(static_cast<size_t>(n * V));
    model.step(step, tokens, sentences, logits.data());
    std::vector<Alive> next;
    std::vector<int32_t> next_tokens;
    origin.clear();
    // Rows are independent: logits processing, log-softmax (in place) and the argmax run in
    // parallel across hypotheses, the bookkeeping below stays sequential.
    best_words.resize(n);
    best_scores.resize(n);
#pragma omp parallel for schedule(static) if (n > 1)
    for (int64_t i = 0; i < n; ++i) {
      float* row = logits.data() + i * V;
      process_logits(row, V, alive[i].history, step, o);
      if (o.return_scores) kernels::log_softmax(row, row, V);
      best_words[i] = static_cast<int32_t>(argmax(row, V));
      best_scores[i] = row[best_words[i]];
    }
    for (int64_t i = 0; i < n; ++i) {
      Alive& h = alive[i];
      int32_t word = best_words[i];
      float score = best_scores[i];
      const auto& prefix = prefixes[h.sentence];
      const int64_t prefix_length = static_cast<int64_t>(prefix.size());
      if (step < prefix_length) {
        word = prefix[step];
        score = 0.0f;
      }
      h.history.push_back(word);
      if (o.return_scores) h.score += score;
      if ((is_end(o, word) && step >= prefix_length) || step + 1 == o.max_length) {
        results[h.sentence].push_back({h.history, normalize(h.score, h.history.size(), o.length_penalty)});
      } else {
        origin.push_back(static_cast<int32_t>(i));
        next_tokens.push_back(word);
        next.push_back(std::move(h));
      }
    }
    if (next.empty()) break;
    model.reorder(origin);
    alive = std::move(next);
    tokens = std::move(next_tokens);
  }
  // num_hypotheses > 1 with beam 1 decodes replicas of the batch; without sampling they agree.
  for (auto& r : results) {
    if (r.empty()) continue;
    const Hypothesis h = r.front();
    r.assign(static_cast<size_t>(std::max(1, o.num_hypotheses)), h);
  }
  return results;
}

std::vector<std::vector<Hypothesis>> beam_search(layers::StepModel& model, const std::vector<int32_t>& start_ids,
                                                 const std::vector<std::vector<int32_t>>& prefixes,
                                                 const SearchOptions& o, const StepCallback& between_steps) {
  const int64_t batch = static_cast<int64_t>(start_ids.size());
  const int64_t V = model.vocabulary_size();
  const int64_t K = o.beam_size, C = 2 * K;
  const size_t max_candidates = static_cast<size_t>(std::lround(static_cast<double>(K) * o.patience));
  const bool early_exit = o.length_penalty == 0.0f;  // coverage_penalty is always 0 here
  bool use_prefix = false;
  for (const auto& p : prefixes) use_prefix = use_prefix || !p.empty();

  std::vector<std::vector<Hypothesis>> results(batch);
  std::vector<bool> top_beam_finished(batch, false);
  // Hypotheses grouped by sentence, in alive-sentence order.
  std::vector<Alive> alive;
  std::vector<int32_t> tokens, sentences, origin, group_sizes;
  for (int64_t b = 0; b < batch; ++b) {
    alive.push_back({static_cast<int32_t>(b), {}, 0.0f});
    tokens.push_back(start_ids[b]);
    group_sizes.push_back(1);
  }
  // Log-probabilities overwrite the logits in place: with a 256k vocabulary and batch x beam rows,
  // a second [rows, V] buffer would be the largest allocation of the search.
  std::vector<float> logits, cumulated;
  std::vector<std::vector<Candidate>> tops;
  std::vector<int64_t> group_first;
  for (int64_t step = 0; step < o.max_length && !alive.empty(); ++step) {
    if (between_steps) between_steps();
    const int64_t n = static_cast<int64_t>(alive.size());
    sentences.resize(n);
    for (int64_t i = 0; i < n; ++i) sentences[i] = alive[i].sentence;
    logits.resize(static_cast<size_t>(n * V));
    model.step(step, tokens, sentences, logits.data());
    // Per-row scoring and per-sentence top-k are independent: they run in parallel across rows
    // and sentence groups; the bookkeeping below stays sequential. top_k adds each hypothesis'
    // cumulated score as it reads the log-probabilities (the same float sum, not stored).
#pragma omp parallel for schedule(static) if (n > 1)
    for (int64_t i = 0; i < n; ++i) {
      float* row = logits.data() + i * V;
      process_logits(row, V, alive[i].history, step, o);
      kernels::log_softmax(row, row, V);
    }
    cumulated.resize(n);
    for (int64_t i = 0; i < n; ++i) cumulated[i] = alive[i].score;
    const int64_t groups = static_cast<int64_t>(group_sizes.size());
    group_first.resize(groups);
    for (int64_t g = 0, first = 0; g < groups; first += group_sizes[g], ++g) group_first[g] = first;
    tops.resize(groups);
#pragma omp parallel for schedule(dynamic) if (groups > 1)
    for (int64_t g = 0; g < groups; ++g)
      top_k(logits.data() + group_first[g] * V, group_sizes[g], V, cumulated.data() + group_first[g], C, tops[g]);

    std::vector<Alive> next;
    std::vector<int32_t> next_tokens, next_groups;
    origin.clear();
    for (int64_t g = 0; g < groups; ++g) {
      const int64_t first = group_first[g];
      const int32_t b = alive[first].sentence;
      const std::vector<Candidate>& top = tops[g];
      const int64_t count = static_cast<int64_t>(top.size());
      std::vector<int32_t> words(count), from(count);
      std::vector<float> scores(count);
      for (int64_t k = 0; k < count; ++k) {
        words[k] = static_cast<int32_t>(top[k].index % V);
        from[k] = static_cast<int32_t>(top[k].index / V);
        scores[k] = top[k].score;
      }
      const auto& prefix = prefixes[b];
      const int64_t prefix_length = static_cast<int64_t>(prefix.size());
      if (use_prefix) {
        if (step < prefix_length) {
          for (int64_t k = 0; k < count; ++k) {
            words[k] = prefix[step];
            scores[k] = k == 0 ? 0.0f : kDisabledScore;
            from[k] = 0;
          }
        } else if (step == prefix_length) {
          for (int64_t k = 1; k < count; ++k)
            if (is_end(o, words[k])) {
              words[k] = 0;
              scores[k] = kDisabledScore;
            }
        }
      }
      std::vector<bool> finished(count, false);
      for (int64_t k = 0; k < std::min(K, count); ++k) {
        if ((is_end(o, words[k]) && step >= prefix_length) || step + 1 == o.max_length) {
          if (k == 0) top_beam_finished[b] = true;
          finished[k] = true;
          std::vector<int32_t> ids = alive[first + from[k]].history;
          ids.push_back(words[k]);
          results[b].push_back({std::move(ids), scores[k]});
        }
      }
      bool done = step + 1 == o.max_length;
      if (!done) {
        if (early_exit)
          done = top_beam_finished[b] && results[b].size() >= static_cast<size_t>(o.num_hypotheses);
        else
          done = results[b].size() >= max_candidates;
      }
      if (!done) {
        int64_t secondary = K;
        int32_t kept = 0;
        for (int64_t k = 0; k < std::min(K, count); ++k) {
          int64_t chosen = k;
          if (finished[k]) {
            while (secondary < count && is_end(o, words[secondary])) ++secondary;
            if (secondary >= count) continue;
            chosen = secondary++;
          }
          Alive h{b, alive[first + from[chosen]].history, scores[chosen]};
          h.history.push_back(words[chosen]);
          origin.push_back(static_cast<int32_t>(first + from[chosen]));
          next_tokens.push_back(words[chosen]);
          next.push_back(std::move(h));
          ++kept;
        }
        if (kept > 0) next_groups.push_back(kept);
      }
    }
    if (next.empty()) break;
    model.reorder(origin);
    alive = std::move(next);
    tokens = std::move(next_tokens);
    group_sizes = std::move(next_groups);
  }

  for (auto& r : results) {
    for (auto& h : r) h.score = normalize(h.score, h.ids.size(), o.length_penalty);
    std::stable_sort(r.begin(), r.end(), [](const Hypothesis& a, const Hypothesis& b) { return a.score > b.score; });
    if (r.size() > static_cast<size_t>(o.num_hypotheses)) r.resize(static_cast<size_t>(o.num_hypotheses));
  }
  return results;
}

}  // namespace

std::vector<std::vector<Hypothesis>> search(layers::StepModel& model, const std::vector<int32_t>& start_ids,
                                            const std::vector<std::vector<int32_t>>& prefixes,
                                            const SearchOptions& options, const StepCallback& between_steps) {
  if (prefixes.size() != start_ids.size()) fail(TRD_INTERNAL, "search: one prefix per sentence is required");
  if (options.beam_size <= 1) return greedy_search(model, start_ids, prefixes, options, between_steps);
  return beam_search(model, start_ids, prefixes, options, between_steps);
}

std::vector<std::vector<float>> score_sequences(layers::StepModel& model,
                                                const std::vector<std::vector<int32_t>>& sequences,
                                                const StepCallback& between_steps) {
  const int64_t batch = static_cast<int64_t>(sequences.size());
  const int64_t V = model.vocabulary_size();
  std::vector<std::vector<float>> out(batch);
  std::vector<int32_t> alive, tokens, sentences, origin;
  for (int64_t b = 0; b < batch; ++b)
    if (sequences[b].size() >= 2) alive.push_back(static_cast<int32_t>(b));
  std::vector<float> logits, lp(static_cast<size_t>(V));
  // CTranslate2 feeds the padded batch of decoder inputs (all but each sequence's last token) at once.
  size_t longest = 0;
  for (const auto& s : sequences) longest = std::max(longest, s.size());
  model.set_rows_at_once(static_cast<int64_t>(longest) - 1);
  struct Restore {
    layers::StepModel& m;
    ~Restore() { m.set_rows_at_once(0); }
  } restore{model};
  for (int64_t step = 0; !alive.empty(); ++step) {
    if (between_steps) between_steps();
    const int64_t n = static_cast<int64_t>(alive.size());
    tokens.resize(n);
    sentences.resize(n);
    for (int64_t i = 0; i < n; ++i) {
      tokens[i] = sequences[alive[i]][step];
      sentences[i] = alive[i];
    }
    logits.resize(static_cast<size_t>(n * V));
    model.step(step, tokens, sentences, logits.data());
    std::vector<int32_t> next;
    origin.clear();
    for (int64_t i = 0; i < n; ++i) {
      const auto& seq = sequences[alive[i]];
      kernels::log_softmax(logits.data() + i * V, lp.data(), V);
      out[alive[i]].push_back(lp[seq[step + 1]]);
      if (static_cast<int64_t>(seq.size()) > step + 2) {
        next.push_back(alive[i]);
        origin.push_back(static_cast<int32_t>(i));
      }
    }
    if (next.empty()) break;
    model.reorder(origin);
    alive = std::move(next);
  }
  return out;
}

}  // namespace trd::decoding

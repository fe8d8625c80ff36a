// Decoding rules on hand-built models whose logits are chosen per step (ct2-format.md §5.7-5.11).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <vector>

#include "decoding/search.h"
#include "kernels/ops.h"
#include "runtime/batching.h"

namespace trd::decoding {
namespace {

constexpr int32_t kEos = 2, kUnk = 3, kA = 4, kB = 5, kC = 6;
constexpr int64_t kVocab = 7;
constexpr float kLowest = std::numeric_limits<float>::lowest();

// Logits chosen by a function of (step, hypothesis history). Tracks histories through reorders the
// way a real decoder's cache is reordered.
class ScriptedModel : public layers::StepModel {
 public:
  using Script = std::function<std::vector<float>(int64_t step, const std::vector<int32_t>& inputs)>;
  explicit ScriptedModel(Script script) : script_(std::move(script)) {}
  int64_t vocabulary_size() const override { return kVocab; }
  void step(int64_t step, const std::vector<int32_t>& tokens, const std::vector<int32_t>&, float* logits) override {
    histories_.resize(tokens.size());
    for (size_t i = 0; i < tokens.size(); ++i) {
      histories_[i].push_back(tokens[i]);
      auto row = script_(step, histories_[i]);
      std::copy(row.begin(), row.end(), logits + i * kVocab);
    }
    ++steps;
  }
  void reorder(const std::vector<int32_t>& origin) override {
    std::vector<std::vector<int32_t>> next;
    for (int32_t o : origin) next.push_back(histories_[o]);
    histories_ = std::move(next);
  }
  int steps = 0;

 private:
  Script script_;
  std::vector<std::vector<int32_t>> histories_;
};

std::vector<float> logits_favoring(std::map<int32_t, float> values) {
  std::vector<float> row(kVocab, -10.f);
  for (auto [id, v] : values) row[id] = v;
  return row;
}

float log_prob(const std::vector<float>& row, int32_t id) {
  std::vector<float> lp(row.size());
  kernels::log_softmax(row.data(), lp.data(), static_cast<int64_t>(row.size()));
  return lp[id];
}

SearchOptions greedy() {
  SearchOptions o;
  o.beam_size = 1;
  o.end_ids = {kEos};
  o.return_scores = true;
  return o;
}

TEST(DecodingGreedy, StopsAtEndTokenAndNormalizesByLengthIncludingEos) {
  const auto row0 = logits_favoring({{kA, 2.f}}), row1 = logits_favoring({{kEos, 3.f}});
  ScriptedModel model([&](int64_t step, const auto&) { return step == 0 ? row0 : row1; });
  auto o = greedy();
  o.min_length = 0;  // keeps row0 unmodified for the reference value
  auto r = search(model, {kEos}, {{}}, o, nullptr);
  ASSERT_EQ(r[0].size(), 1u);
  EXPECT_EQ(r[0][0].ids, (std::vector<int32_t>{kA, kEos}));
  EXPECT_NEAR(r[0][0].score, (log_prob(row0, kA) + log_prob(row1, kEos)) / 2.f, 1e-6);
}

TEST(DecodingGreedy, ForcedPrefixAddsNothingToTheScoreButCountsInTheLength) {
  const auto row = logits_favoring({{kA, 1.f}, {kEos, 2.f}});
  ScriptedModel model([&](int64_t, const auto&) { return row; });
  auto r = search(model, {kEos}, {{kB}}, greedy(), nullptr);
  EXPECT_EQ(r[0][0].ids, (std::vector<int32_t>{kB, kEos}));
  EXPECT_NEAR(r[0][0].score, log_prob(row, kEos) / 2.f, 1e-6);
}

TEST(DecodingGreedy, MinLengthBlocksEndTokensAndMaxLengthCountsThePrefix) {
  const auto row = logits_favoring({{kA, 1.f}, {kEos, 2.f}});
  ScriptedModel model([&](int64_t, const auto&) { return row; });
  auto o = greedy();
  o.min_length = 3;
  o.max_length = 10;
  auto r = search(model, {kEos}, {{kB}}, o, nullptr);
  EXPECT_EQ(r[0][0].ids, (std::vector<int32_t>{kB, kA, kA, kEos}));
  o.min_length = 0;
  o.max_length = 3;
  ScriptedModel model2([&](int64_t, const auto&) { return logits_favoring({{kA, 5.f}}); });
  r = search(model2, {kEos}, {{kB, kC, kC, kC, kC}}, o, nullptr);
  EXPECT_EQ(r[0][0].ids, (std::vector<int32_t>{kB, kC, kC})) << "a prefix longer than max_length is cut";
}

TEST(DecodingGreedy, ArgmaxTiesTakeTheLowestId) {
  ScriptedModel model([&](int64_t, const auto&) { return logits_favoring({{kB, 1.f}, {kA, 1.f}, {kEos, 0.5f}}); });
  auto o = greedy();
  o.max_length = 1;
  EXPECT_EQ(search(model, {kEos}, {{}}, o, nullptr)[0][0].ids, (std::vector<int32_t>{kA}));
}

// A vocabulary wider than one 8-float vector and not a multiple of it, so the vector scans of
// argmax and top-k and their scalar tails both run. Logits depend on the step and the last token.
class WideModel : public layers::StepModel {
 public:
  static constexpr int64_t kWide = 37;
  using Row = std::function<std::vector<float>(int64_t step, int32_t last)>;
  explicit WideModel(Row row) : row_(std::move(row)) {}
  int64_t vocabulary_size() const override { return kWide; }
  void step(int64_t step, const std::vector<int32_t>& tokens, const std::vector<int32_t>&, float* logits) override {
    for (size_t i = 0; i < tokens.size(); ++i) {
      const auto row = row_(step, tokens[i]);
      std::copy(row.begin(), row.end(), logits + i * kWide);
    }
  }
  void reorder(const std::vector<int32_t>&) override {}

 private:
  Row row_;
};

// Logits with a few ties, no id above 0 except `peaks` (EOS kept low).
std::vector<float> wide_row(std::map<int32_t, float> peaks, int seed) {
  std::vector<float> row(WideModel::kWide);
  for (int64_t v = 0; v < WideModel::kWide; ++v) row[v] = -1.f - static_cast<float>((v * 7 + seed) % 5) * 0.25f;
  row[kEos] = -20.f;
  for (auto [id, value] : peaks) row[id] = value;
  return row;
}

TEST(DecodingGreedy, ArgmaxOverAWideRowTakesTheFirstMaximumInVectorBlocksAndTail) {
  const std::vector<std::pair<std::map<int32_t, float>, int32_t>> cases = {
      {{{9, 5.f}, {17, 5.f}, {30, 5.f}}, 9},  // ties in three different 8-blocks
      {{{36, 5.f}, {8, 4.f}}, 36},            // the maximum in the scalar tail
      {{{0, 5.f}, {33, 5.f}}, 0}};            // the maximum at the first element
  for (const auto& [peaks, expected] : cases) {
    WideModel model([&](int64_t, int32_t) { return wide_row(peaks, 1); });
    auto o = greedy();
    o.return_scores = false;  // raw logits: the ties stay exact
    o.max_length = 1;
    EXPECT_EQ(search(model, {kEos}, {{}}, o, nullptr)[0][0].ids, (std::vector<int32_t>{expected}));
  }
}

TEST(DecodingBeam, TopKOverWideRowsMatchesAFullSortWithCumulatedScores) {
  // Step 0 ties ids 12 and 31 (identical rows follow, so their continuations tie too); step 1
  // candidates of four hypotheses with different cumulated scores compete.
  auto row = [](int64_t step, int32_t last) {
    if (step == 0) return wide_row({{12, 2.f}, {31, 2.f}, {5, 1.5f}, {20, 1.f}}, 0);
    if (last == 5) return wide_row({{1, 3.f}, {35, 2.5f}}, 2);
    return wide_row({{7, 2.f}, {16, 2.f}, {36, 1.f}}, 3);
  };
  WideModel model(row);
  SearchOptions o;
  o.beam_size = 4;
  o.num_hypotheses = 4;
  o.end_ids = {kEos};
  o.min_length = 0;
  o.length_penalty = 0.f;
  o.max_length = 2;
  const auto r = search(model, {kEos}, {{}}, o, nullptr);

  // The reference: every candidate's log-probability plus its parent's, sorted by score and then
  // by flattened index (row-major over the step-1 hypotheses in step-0 rank order).
  const int64_t V = WideModel::kWide;
  struct Entry {
    float score;
    int64_t index;
    std::vector<int32_t> ids;
  };
  auto ranked = [&](const std::vector<std::pair<std::vector<int32_t>, float>>& parents, int64_t step) {
    std::vector<Entry> all;
    for (size_t p = 0; p < parents.size(); ++p) {
      const auto logits = row(step, parents[p].first.empty() ? kEos : parents[p].first.back());
      std::vector<float> lp(V);
      kernels::log_softmax(logits.data(), lp.data(), V);
      for (int64_t v = 0; v < V; ++v) {
        auto ids = parents[p].first;
        ids.push_back(static_cast<int32_t>(v));
        all.push_back({lp[v] + parents[p].second, static_cast<int64_t>(p) * V + v, ids});
      }
    }
    std::sort(all.begin(), all.end(), [](const Entry& a, const Entry& b) {
      return a.score > b.score || (a.score == b.score && a.index < b.index);
    });
    return all;
  };
  const auto first = ranked({{{}, 0.f}}, 0);
  std::vector<std::pair<std::vector<int32_t>, float>> beams;
  for (int k = 0; k < 4; ++k) beams.push_back({first[k].ids, first[k].score});
  EXPECT_EQ(beams[0].first, (std::vector<int32_t>{12})) << "tied step-0 ids rank by id";
  EXPECT_EQ(beams[1].first, (std::vector<int32_t>{31}));
  const auto second = ranked(beams, 1);
  ASSERT_EQ(r[0].size(), 4u);
  for (int k = 0; k < 4; ++k) {
    EXPECT_EQ(r[0][k].ids, second[k].ids) << "rank " << k;
    EXPECT_EQ(r[0][k].score, second[k].score) << "rank " << k;
  }
}

TEST(DecodingBeam, KeepsTwoBeamsAndRefillsFinishedSlotsFromTheSecondHalf) {
  // Step 0: EOS is best (finishes at once), then A, B. Later steps: A continues strongly.
  ScriptedModel model([&](int64_t step, const std::vector<int32_t>& inputs) {
    if (step == 0) return logits_favoring({{kEos, 3.f}, {kA, 2.f}, {kB, 1.f}});
    if (inputs.back() == kA) return logits_favoring({{kEos, 4.f}, {kA, 0.f}});
    return logits_favoring({{kEos, 0.f}, {kB, 1.f}});
  });
  SearchOptions o;
  o.beam_size = 2;
  o.end_ids = {kEos};
  o.min_length = 0;
  o.num_hypotheses = 2;
  o.length_penalty = 1.f;
  auto r = search(model, {kEos}, {{}}, o, nullptr);
  ASSERT_EQ(r[0].size(), 2u);
  // [EOS] alone finished at step 0 and the slot was refilled; [A, EOS] finishes at step 1.
  std::vector<std::vector<int32_t>> ids = {r[0][0].ids, r[0][1].ids};
  EXPECT_NE(std::find(ids.begin(), ids.end(), std::vector<int32_t>{kEos}), ids.end());
  EXPECT_NE(std::find(ids.begin(), ids.end(), std::vector<int32_t>{kA, kEos}), ids.end());
  EXPECT_GE(r[0][0].score, r[0][1].score) << "hypotheses are sorted best first";
}

TEST(DecodingBeam, NoEarlyExitWithLengthPenaltyButEarlyExitWithZeroPenalty) {
  // The top beam finishes at step 0; with length_penalty 1 decoding continues until beam
  // hypotheses exist, with 0 it stops as soon as num_hypotheses (1) exist.
  auto script = [](int64_t step, const std::vector<int32_t>&) {
    return step == 0 ? logits_favoring({{kEos, 5.f}, {kA, 1.f}, {kB, 0.f}}) : logits_favoring({{kA, 1.f}, {kEos, -5.f}});
  };
  SearchOptions o;
  o.beam_size = 2;
  o.end_ids = {kEos};
  o.min_length = 0;
  o.max_length = 6;
  o.length_penalty = 0.f;
  ScriptedModel early(script);
  search(early, {kEos}, {{}}, o, nullptr);
  EXPECT_EQ(early.steps, 1);
  o.length_penalty = 1.f;
  ScriptedModel late(script);
  search(late, {kEos}, {{}}, o, nullptr);
  EXPECT_GT(late.steps, 1);
}

TEST(DecodingBeam, FirstFreeStepReplacesEndCandidatesBeyondTheFirst) {
  // After the prefix, EOS is the 2nd-best candidate: it must not finish (only candidate 0 may).
  ScriptedModel model([&](int64_t step, const auto&) {
    if (step == 1) return logits_favoring({{kA, 3.f}, {kEos, 2.9f}, {kB, 1.f}});
    return logits_favoring({{kEos, 5.f}});
  });
  SearchOptions o;
  o.beam_size = 2;
  o.end_ids = {kEos};
  o.num_hypotheses = 2;
  o.max_length = 4;
  auto r = search(model, {kEos}, {{kC}}, o, nullptr);
  for (const auto& h : r[0]) EXPECT_NE(h.ids, (std::vector<int32_t>{kC, kEos})) << "EOS at the first free step, k>0";
}

TEST(DecodingBeam, PatienceRequiresMoreFinishedHypotheses) {
  ScriptedModel model([&](int64_t, const auto&) { return logits_favoring({{kEos, 1.f}, {kA, 1.f}, {kB, 0.9f}}); });
  SearchOptions o;
  o.beam_size = 2;
  o.patience = 2.f;
  o.num_hypotheses = 4;
  o.end_ids = {kEos};
  o.min_length = 0;
  o.max_length = 20;
  auto r = search(model, {kEos}, {{}}, o, nullptr);
  EXPECT_EQ(r[0].size(), 4u);
}

TEST(DecodingProcessors, RepetitionPenaltyDividesPositiveAndMultipliesNegativeOnce) {
  SearchOptions o;
  o.repetition_penalty = 2.f;
  std::vector<float> row = {0, 0, 0, 0, 4.f, -3.f, 1.f};
  process_logits(row.data(), kVocab, {kA, kB, kA}, 3, o);
  EXPECT_FLOAT_EQ(row[kA], 2.f);
  EXPECT_FLOAT_EQ(row[kB], -6.f);
  EXPECT_FLOAT_EQ(row[kC], 1.f);
}

TEST(DecodingProcessors, NoRepeatNgramBansTheContinuationOfARepeatedPrefix) {
  SearchOptions o;
  o.no_repeat_ngram_size = 3;
  std::vector<float> row(kVocab, 0.f);
  process_logits(row.data(), kVocab, {kA, kB, kC, kA, kB}, 5, o);
  EXPECT_EQ(row[kC], kLowest);
  EXPECT_EQ(row[kA], 0.f);
  std::vector<float> short_row(kVocab, 0.f);
  process_logits(short_row.data(), kVocab, {kA, kB}, 2, o);
  for (float v : short_row) EXPECT_EQ(v, 0.f);
}

TEST(DecodingProcessors, DisabledIdsSuppressedSequencesAndMinLength) {
  SearchOptions o;
  o.disabled_ids = {kUnk};
  o.suppress_sequences = {{kC}, {kA, kB}};
  o.end_ids = {kEos};
  o.min_length = 2;
  std::vector<float> row(kVocab, 1.f);
  process_logits(row.data(), kVocab, {kA}, 1, o);
  EXPECT_EQ(row[kUnk], kLowest);
  EXPECT_EQ(row[kC], kLowest);
  EXPECT_EQ(row[kB], kLowest) << "history ends with the sequence's prefix";
  EXPECT_EQ(row[kEos], kLowest) << "step < min_length";
  std::vector<float> later(kVocab, 1.f);
  process_logits(later.data(), kVocab, {kB}, 2, o);
  EXPECT_EQ(later[kB], 1.f);
  EXPECT_EQ(later[kEos], 1.f);
}

TEST(DecodingScoring, TeacherForcingReturnsTheLogProbOfEachNextToken) {
  const auto row = logits_favoring({{kA, 1.f}, {kB, 2.f}, {kEos, 0.5f}});
  ScriptedModel model([&](int64_t, const auto&) { return row; });
  auto r = score_sequences(model, {{kEos, kA, kB, kEos}, {kEos, kEos}}, nullptr);
  ASSERT_EQ(r[0].size(), 3u);
  ASSERT_EQ(r[1].size(), 1u);
  EXPECT_NEAR(r[0][1], log_prob(row, kB), 1e-6);
  EXPECT_NEAR(r[1][0], log_prob(row, kEos), 1e-6);
}

TEST(DecodingCancel, CallbackStopsBetweenSteps) {
  ScriptedModel model([&](int64_t, const auto&) { return logits_favoring({{kA, 1.f}}); });
  int calls = 0;
  EXPECT_THROW(search(model, {kEos}, {{}}, greedy(),
                      [&] {
                        if (++calls == 3) throw std::runtime_error("cancelled");
                      }),
               std::runtime_error);
  EXPECT_EQ(model.steps, 2);
}

TEST(DecodingBatching, SortsByLengthAndCutsByExamplesOrTokens) {
  using runtime::BatchType;
  using runtime::make_batches;
  const std::vector<size_t> lengths = {3, 10, 5, 10, 1};
  auto all = make_batches(lengths, 0, BatchType::Tokens);
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0], (std::vector<size_t>{1, 3, 2, 0, 4}));
  auto by_examples = make_batches(lengths, 2, BatchType::Examples);
  EXPECT_EQ(by_examples, (std::vector<std::vector<size_t>>{{1, 3}, {2, 0}, {4}}));
  auto by_tokens = make_batches(lengths, 20, BatchType::Tokens);
  EXPECT_EQ(by_tokens, (std::vector<std::vector<size_t>>{{1, 3}, {2, 0, 4}}));
  auto tiny = make_batches(lengths, 2, BatchType::Tokens);
  EXPECT_EQ(tiny.size(), 5u) << "a batch always holds at least one example";
}

}  // namespace
}  // namespace trd::decoding

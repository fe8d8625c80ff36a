// Golden parity against CTranslate2 4.8.1 (../shared/golden, README "Tolerances a
// re-implementation should meet"). Prints the agreement figures of every model.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "runtime/translator.h"

namespace trd::runtime {
namespace {

using json = nlohmann::json;
namespace fs = std::filesystem;

std::string golden_dir() {
  if (const char* env = std::getenv("TRD_SHARED_DIR")) return std::string(env) + "/golden";
  return std::string(TRD_SOURCE_DIR) + "/../shared/golden";
}

// Skips loudly when the golden data is absent, fails when TRD_REQUIRE_GOLDEN=1.
bool golden_available() {
  if (fs::exists(golden_dir() + "/README.md")) return true;
  const char* require = std::getenv("TRD_REQUIRE_GOLDEN");
  const std::string message = "GOLDEN DATA NOT FOUND at " + golden_dir() + " (set TRD_SHARED_DIR); golden parity NOT checked";
  std::fprintf(stderr, "\n*** %s ***\n\n", message.c_str());
  if (require && std::string(require) == "1") {
    ADD_FAILURE() << message << " and TRD_REQUIRE_GOLDEN=1";
  }
  return false;
}

std::vector<json> read_lines(const std::string& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << "cannot open " << path;
  std::vector<json> out;
  std::string line;
  while (std::getline(in, line))
    if (!line.empty()) out.push_back(json::parse(line));
  return out;
}

std::vector<Tokens> token_lists(const json& j) {
  std::vector<Tokens> out;
  if (j.is_null()) return out;
  for (const auto& list : j) out.push_back(list.is_null() ? Tokens{} : list.get<Tokens>());
  return out;
}

TranslationOptions parse_options(const json& o) {
  TranslationOptions t;
  for (const auto& [key, v] : o.items()) {
    if (key == "beam_size") t.beam_size = v;
    else if (key == "patience") t.patience = v;
    else if (key == "num_hypotheses") t.num_hypotheses = v;
    else if (key == "length_penalty") t.length_penalty = v;
    else if (key == "repetition_penalty") t.repetition_penalty = v;
    else if (key == "no_repeat_ngram_size") t.no_repeat_ngram_size = v;
    else if (key == "disable_unk") t.disable_unk = v;
    else if (key == "suppress_sequences") t.suppress_sequences = v.get<std::vector<Tokens>>();
    else if (key == "end_token") t.end_tokens = v.is_string() ? Tokens{v.get<std::string>()} : v.get<Tokens>();
    else if (key == "return_end_token") t.return_end_token = v;
    else if (key == "max_input_length") t.max_input_length = v;
    else if (key == "max_decoding_length") t.max_decoding_length = v;
    else if (key == "min_decoding_length") t.min_decoding_length = v;
    else if (key == "return_scores") t.return_scores = v;
    else if (key == "max_batch_size") t.max_batch_size = v;
    else if (key == "batch_type") t.batch_type = v == "tokens" ? BatchType::Tokens : BatchType::Examples;
    else ADD_FAILURE() << "golden case uses an option the test does not map: " << key;
  }
  return t;
}

std::unique_ptr<Translator> load(const std::string& model, const std::string& compute_type) {
  TranslatorConfig config;
  config.compute_type = compute_type;
  config.intra_threads = 1;
  return std::make_unique<Translator>(golden_dir() + "/models/" + model, config);
}

const char* kModels[] = {"tiny-f32", "tiny-txtvocab-f32", "small-f32", "tiny-int8", "small-int8"};

class GoldenTranslation : public ::testing::TestWithParam<const char*> {};

TEST_P(GoldenTranslation, MatchesCTranslate2) {
  if (!golden_available()) GTEST_SKIP() << "golden data absent";
  const std::string model = GetParam();
  const bool int8 = model.find("int8") != std::string::npos;
  const auto cases = read_lines(golden_dir() + "/cases/" + model + ".jsonl");
  ASSERT_EQ(cases.size(), 100u);
  std::set<std::string> robust;
  if (int8) {
    std::ifstream in(golden_dir() + "/robust-int8.json");
    const json ids = json::parse(in).at(model);
    for (const auto& id : ids) robust.insert(id.get<std::string>());
  }
  std::set<std::string> kernel_fragile;  // cases CTranslate2's own AVX512/GENERIC kernels change
  {
    std::ifstream in(golden_dir() + "/perturbation.json");
    const json perturbation = json::parse(in).at("models").at(model);
    for (const auto& [id, variants] : perturbation.items())
      for (const auto& [name, v] : variants.items())
        if (!v.at(0).get<bool>()) kernel_fragile.insert(id);
  }
  auto translator = load(model, cases.front().at("compute_type"));
  int counted = 0, identical = 0, fragile_mismatch = 0;
  double max_diff = 0, max_raw_diff = 0;
  std::vector<std::string> mismatched;
  for (const auto& c : cases) {
    const std::string id = c.at("id");
    const auto options = parse_options(c.at("options"));
    const auto results = translator->translate(token_lists(c.at("source")), token_lists(c.at("target_prefix")),
                                               options, nullptr);
    const auto& expected = c.at("expected");
    ASSERT_EQ(results.size(), expected.size()) << id;
    const bool counts = int8 ? robust.count(id) > 0 : c.at("stable").get<bool>();
    if (!counts) continue;
    ++counted;
    bool same = true;
    for (size_t e = 0; e < results.size(); ++e)
      same = same && results[e].hypotheses == expected[e].at("hypotheses").get<std::vector<Tokens>>();
    if (!same) {
      if (!int8 && kernel_fragile.count(id)) ++fragile_mismatch;
      mismatched.push_back(id);
      continue;
    }
    ++identical;
    const bool raw = options.length_penalty == 0.0f;
    for (size_t e = 0; e < results.size(); ++e) {
      const auto want = expected[e].at("scores").get<std::vector<double>>();
      ASSERT_EQ(results[e].scores.size(), want.size()) << id;
      for (size_t h = 0; h < want.size(); ++h) {
        const double diff = std::fabs(results[e].scores[h] - want[h]);
        (raw ? max_raw_diff : max_diff) = std::max(raw ? max_raw_diff : max_diff, diff);
        const double tol = int8 ? (raw ? 0.2 : 0.05) : (raw ? std::max(1e-3, 3e-5 * std::fabs(want[h])) : 1e-3);
        EXPECT_LE(diff, tol) << model << " " << id << " example " << e << " hypothesis " << h;
      }
    }
  }
  std::string list;
  for (const auto& m : mismatched) list += " " + m;
  std::printf("[golden] %s translate: identical tokens %d/%d %s cases; max |score diff| %.3g (normalized), %.3g (raw "
              "sums)%s%s\n",
              model.c_str(), identical, counted, int8 ? "robust" : "stable", max_diff, max_raw_diff,
              mismatched.empty() ? "" : "; differing:", list.c_str());
  if (int8) {
    // The acceptance bar (golden README): identical tokens on at least 90 % of the robust cases.
    const int bar = static_cast<int>(std::ceil(0.9 * counted));
    EXPECT_GE(identical, bar) << "int8 token agreement below 90% of the robust cases";
  } else {
    // Every stable case must agree, except those CTranslate2's own kernel variants change
    // (README: "Strictest float32 comparison").
    EXPECT_EQ(identical + fragile_mismatch, counted) << "stable float32 cases with different tokens:" << list;
  }
}

std::string test_name(const ::testing::TestParamInfo<const char*>& info) {
  std::string name = info.param;
  std::replace(name.begin(), name.end(), '-', '_');
  return name;
}

INSTANTIATE_TEST_SUITE_P(Models, GoldenTranslation, ::testing::ValuesIn(kModels), test_name);

class GoldenScoring : public ::testing::TestWithParam<const char*> {};

TEST_P(GoldenScoring, MatchesCTranslate2) {
  if (!golden_available()) GTEST_SKIP() << "golden data absent";
  const std::string model = GetParam();
  const auto cases = read_lines(golden_dir() + "/scoring/" + model + ".jsonl");
  ASSERT_EQ(cases.size(), 60u);
  auto translator = load(model, cases.front().at("compute_type"));
  std::vector<double> diffs;
  for (const auto& c : cases) {
    const std::string id = c.at("id");
    const auto results = translator->score(token_lists(c.at("source")), token_lists(c.at("target")),
                                           parse_options(c.at("options")), nullptr);
    const auto& expected = c.at("expected");
    ASSERT_EQ(results.size(), expected.size()) << id;
    for (size_t e = 0; e < results.size(); ++e) {
      ASSERT_EQ(results[e].tokens, expected[e].at("tokens").get<Tokens>()) << id << " example " << e;
      const auto want = expected[e].at("log_probs").get<std::vector<double>>();
      ASSERT_EQ(results[e].log_probs.size(), want.size()) << id;
      for (size_t i = 0; i < want.size(); ++i) diffs.push_back(std::fabs(results[e].log_probs[i] - want[i]));
    }
  }
  ASSERT_FALSE(diffs.empty());
  std::sort(diffs.begin(), diffs.end());
  double mean = 0;
  for (double d : diffs) mean += d;
  mean /= static_cast<double>(diffs.size());
  const double rank = 0.99 * static_cast<double>(diffs.size() - 1);
  const size_t lo = static_cast<size_t>(rank);
  const double p99 = diffs[lo] + (diffs[std::min(lo + 1, diffs.size() - 1)] - diffs[lo]) * (rank - static_cast<double>(lo));
  const double max = diffs.back();
  const auto identical = std::count(diffs.begin(), diffs.end(), 0.0);
  const double identical_share = static_cast<double>(identical) / static_cast<double>(diffs.size());
  std::printf("[golden] %s score: %zu tokens, mean |d| %.3g, p99 %.3g, max %.3g, bit-identical %.1f%%\n", model.c_str(),
              diffs.size(), mean, p99, max, 100 * identical_share);
  // The int8 arithmetic reproduces CTranslate2's (u8-shifted quantization, the reassociated layer
  // norm, oneDNN's product orders): 99.5 % of these log-probs are bit-identical when measured. A
  // regression shows here long before the README bounds below move.
  if (model.find("int8") != std::string::npos) EXPECT_GE(identical_share, 0.99);
  // README "Scoring tolerances".
  const std::map<std::string, std::array<double, 3>> bounds = {
      {"tiny-f32", {5e-5, INFINITY, 4e-3}},   {"tiny-txtvocab-f32", {5e-5, INFINITY, 4e-3}},
      {"small-f32", {2e-4, INFINITY, 5e-3}},  {"tiny-int8", {0.02, 0.4, INFINITY}},
      {"small-int8", {0.09, 2.0, INFINITY}}};
  const auto& b = bounds.at(model);
  EXPECT_LE(mean, b[0]);
  EXPECT_LE(p99, b[1]);
  EXPECT_LE(max, b[2]);
}

INSTANTIATE_TEST_SUITE_P(Models, GoldenScoring, ::testing::ValuesIn(kModels), test_name);

}  // namespace
}  // namespace trd::runtime

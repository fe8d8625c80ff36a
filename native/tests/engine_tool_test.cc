// traductor-engine end to end on one golden file.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>
#include <nlohmann/json.hpp>
#include <string>

namespace {

std::string shared_dir() {
  const char* env = std::getenv("TRD_SHARED_DIR");
  return env ? env : std::string(TRD_SOURCE_DIR) + "/../shared";
}

std::string run(const std::string& command, int* status) {
  std::string out;
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) return out;
  char buffer[4096];
  while (size_t n = fread(buffer, 1, sizeof buffer, pipe)) out.append(buffer, n);
  *status = pclose(pipe);
  return out;
}

TEST(EngineTool, TranslatesAGoldenFileLikeCTranslate2) {
  const std::string cases = shared_dir() + "/golden/cases/tiny-f32.jsonl";
  if (!std::filesystem::exists(cases)) {
    std::fprintf(stderr, "\n*** GOLDEN DATA NOT FOUND at %s: engine tool test skipped ***\n\n", cases.c_str());
    const char* require = std::getenv("TRD_REQUIRE_GOLDEN");
    if (require && std::string(require) == "1") FAIL() << "golden data required";
    GTEST_SKIP();
  }
  // The greedy cases keep the run short.
  const std::string input = ::testing::TempDir() + "/engine_tool_input.jsonl";
  std::ifstream in(cases);
  std::ofstream filtered(input);
  std::vector<nlohmann::json> expected;
  std::string line;
  while (std::getline(in, line)) {
    auto c = nlohmann::json::parse(line);
    if (c["options"].value("beam_size", 2) != 1 || !c["stable"].get<bool>()) continue;
    filtered << line << '\n';
    expected.push_back(c);
  }
  filtered.close();
  ASSERT_GE(expected.size(), 10u);
  int status = 0;
  const std::string out = run(std::string(TRD_ENGINE_TOOL) + " translate --model " + shared_dir() +
                                  "/golden/models/tiny-f32 --intra-threads 1 < " + input,
                              &status);
  ASSERT_EQ(status, 0);
  std::istringstream lines(out);
  size_t i = 0;
  while (std::getline(lines, line)) {
    ASSERT_LT(i, expected.size());
    auto got = nlohmann::json::parse(line);
    EXPECT_EQ(got["id"], expected[i]["id"]);
    for (size_t e = 0; e < expected[i]["expected"].size(); ++e) {
      EXPECT_EQ(got["results"][e]["hypotheses"], expected[i]["expected"][e]["hypotheses"]) << got["id"];
      const auto& want = expected[i]["expected"][e]["scores"];
      for (size_t h = 0; h < want.size(); ++h)
        EXPECT_NEAR(got["results"][e]["scores"][h].get<double>(), want[h].get<double>(), 1e-3);
    }
    ++i;
  }
  EXPECT_EQ(i, expected.size());
}

TEST(EngineTool, BadInputGivesOneLineOnStderrAndNonZeroExit) {
  int status = 0;
  std::string out = run(std::string(TRD_ENGINE_TOOL) + " translate 2>&1", &status);
  EXPECT_NE(status, 0);
  EXPECT_NE(out.find("--model"), std::string::npos) << out;
  out = run(std::string(TRD_ENGINE_TOOL) + " frobnicate 2>&1", &status);
  EXPECT_NE(status, 0);
  EXPECT_NE(out.find("unknown command"), std::string::npos) << out;
  out = run(std::string(TRD_ENGINE_TOOL) + " score --model /nonexistent/model 2>&1 < /dev/null", &status);
  EXPECT_NE(status, 0);
  EXPECT_NE(out.find("/nonexistent/model"), std::string::npos) << out;
  const std::string model = shared_dir() + "/golden/models/tiny-f32";
  if (std::filesystem::exists(model)) {
    out = run("echo 'not json' | " + std::string(TRD_ENGINE_TOOL) + " translate --model " + model + " 2>&1", &status);
    EXPECT_NE(status, 0);
    EXPECT_NE(out.find("line 1"), std::string::npos) << out;
    out = run("echo '{\"id\":1,\"source\":[[\"a\"]],\"options\":{\"beam_size\":0}}' | " + std::string(TRD_ENGINE_TOOL) +
                  " translate --model " + model + " 2>&1",
              &status);
    EXPECT_NE(status, 0);
    EXPECT_NE(out.find("beam_size"), std::string::npos) << out;
  }
}

}  // namespace

// Native-side parity with spm_encode/spm_decode on the committed corpora (tests/data/spm, built by
// scripts/make-spm-test-data.sh). The C# suite checks the same through the binding; this one also
// runs under the sanitizers (make sanitize).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "tokenizer/sentencepiece_tokenizer.h"

namespace {

namespace fs = std::filesystem;

std::vector<std::string> read_lines(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in) << "cannot open " << path;
  std::vector<std::string> lines;
  // Only '\n' separates lines: tabs and trailing spaces are content.
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::string join(const std::vector<std::string>& pieces) {
  std::string out;
  for (size_t i = 0; i < pieces.size(); ++i) {
    if (i) out += ' ';
    out += pieces[i];
  }
  return out;
}

class TokenizerParity : public ::testing::TestWithParam<std::pair<const char*, const char*>> {};

TEST_P(TokenizerParity, MatchesSpmEncodeAndSpmDecode) {
  const auto [model, language] = GetParam();
  const fs::path dir = fs::path(TRD_SOURCE_DIR) / "tests" / "data" / "spm";
  const auto corpus = read_lines(dir / (std::string("corpus.") + language + ".txt"));
  const auto pieces = read_lines(dir / (std::string(model) + "." + language + ".pieces"));
  const auto decoded = read_lines(dir / (std::string(model) + "." + language + ".decoded"));
  ASSERT_GE(corpus.size(), 2000u);
  ASSERT_EQ(corpus.size(), pieces.size());
  ASSERT_EQ(corpus.size(), decoded.size());

  const auto tokenizer = trd::SentencePieceTokenizer::load((dir / (std::string(model) + ".model")).string());
  size_t piece_mismatches = 0, decode_mismatches = 0;
  for (size_t i = 0; i < corpus.size(); ++i) {
    const auto ours = tokenizer->encode(corpus[i]);
    if (join(ours) != pieces[i] && ++piece_mismatches <= 5) {
      ADD_FAILURE() << "line " << i + 1 << ": ours [" << join(ours) << "] spm [" << pieces[i] << "]";
    }
    const std::vector<std::string_view> views(ours.begin(), ours.end());
    if (tokenizer->decode(views) != decoded[i] && ++decode_mismatches <= 5) {
      ADD_FAILURE() << "line " << i + 1 << ": decode differs from spm_decode";
    }
  }
  EXPECT_EQ(piece_mismatches, 0u);
  EXPECT_EQ(decode_mismatches, 0u);
}

INSTANTIATE_TEST_SUITE_P(CommittedModels, TokenizerParity,
                         ::testing::Values(std::pair{"bpe", "es"}, std::pair{"bpe", "da"}, std::pair{"unigram", "es"},
                                           std::pair{"unigram", "da"}),
                         [](const auto& info) { return std::string(info.param.first) + "_" + info.param.second; });

TEST(Utf8Validation, AcceptsEveryValidFormAndRejectsTheRest) {
  EXPECT_EQ(trd::find_invalid_utf8(""), std::string_view::npos);
  EXPECT_EQ(trd::find_invalid_utf8("añ€😀\t"), std::string_view::npos);
  EXPECT_EQ(trd::find_invalid_utf8("\xed\x9f\xbf"), std::string_view::npos);      // U+D7FF, last before surrogates
  EXPECT_EQ(trd::find_invalid_utf8("\xf4\x8f\xbf\xbf"), std::string_view::npos);  // U+10FFFF
  EXPECT_EQ(trd::find_invalid_utf8("ab\x80"), 2u);                                 // lone continuation
  EXPECT_EQ(trd::find_invalid_utf8("\xc1\xbf"), 0u);                               // overlong 2-byte
  EXPECT_EQ(trd::find_invalid_utf8("\xe0\x9f\xbf"), 0u);                           // overlong 3-byte
  EXPECT_EQ(trd::find_invalid_utf8("\xf0\x8f\xbf\xbf"), 0u);                       // overlong 4-byte
  EXPECT_EQ(trd::find_invalid_utf8("a\xe2\x82"), 1u);                              // truncated at end
  EXPECT_EQ(trd::find_invalid_utf8("a\xe2\x28\xa1"), 1u);                          // bad continuation
  EXPECT_EQ(trd::find_invalid_utf8("\xf5\x80\x80\x80"), 0u);                       // lead byte past U+10FFFF
}

}  // namespace

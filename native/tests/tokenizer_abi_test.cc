// The tokenizer entry points of the C ABI, through the same calls the C# binding makes.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "traductor/traductor.h"

namespace {

namespace fs = std::filesystem;

struct StatusDeleter {
  void operator()(trd_status* s) const { trd_status_free(s); }
};
using StatusPtr = std::unique_ptr<trd_status, StatusDeleter>;
struct TokenizerDeleter {
  void operator()(trd_tokenizer* t) const { trd_tokenizer_free(t); }
};
using TokenizerPtr = std::unique_ptr<trd_tokenizer, TokenizerDeleter>;
struct PiecesDeleter {
  void operator()(trd_pieces* p) const { trd_pieces_free(p); }
};
using PiecesPtr = std::unique_ptr<trd_pieces, PiecesDeleter>;

fs::path shared_dir() {
  if (const char* env = std::getenv("TRD_SHARED_DIR"); env && *env) return env;
  return fs::path(TRD_SOURCE_DIR) / ".." / "shared";
}

fs::path test_data_dir() { return fs::path(TRD_SOURCE_DIR) / "tests" / "data" / "spm"; }

// Golden data absent: skip loudly, or fail when CI requires it.
fs::path golden_model_or_skip() {
  const fs::path path = shared_dir() / "golden" / "esda.unigram.model";
  if (fs::exists(path)) return path;
  const char* required = std::getenv("TRD_REQUIRE_GOLDEN");
  if (required && std::string(required) == "1") {
    ADD_FAILURE() << "golden model missing at " << path << " and TRD_REQUIRE_GOLDEN=1";
  }
  std::cerr << "\n*** SKIPPING: golden SentencePiece model not found at " << path << " ***\n";
  return {};
}

TokenizerPtr load(const fs::path& path) {
  trd_tokenizer* raw = nullptr;
  StatusPtr status(trd_tokenizer_create(path.c_str(), &raw));
  EXPECT_EQ(status, nullptr) << (status ? trd_status_message(status.get()) : "");
  return TokenizerPtr(raw);
}

std::vector<std::string> encode(const trd_tokenizer* tokenizer, const std::string& text) {
  trd_pieces* raw = nullptr;
  StatusPtr status(trd_tokenizer_encode(tokenizer, text.data(), text.size(), &raw));
  EXPECT_EQ(status, nullptr) << (status ? trd_status_message(status.get()) : "");
  PiecesPtr pieces(raw);
  std::vector<std::string> result;
  for (size_t i = 0; i < trd_pieces_count(pieces.get()); ++i) result.emplace_back(trd_pieces_get(pieces.get(), i));
  EXPECT_EQ(trd_pieces_get(pieces.get(), result.size()), nullptr);
  return result;
}

std::string decode(const trd_tokenizer* tokenizer, const std::vector<std::string>& pieces) {
  std::vector<const char*> pointers;
  for (const auto& p : pieces) pointers.push_back(p.c_str());
  trd_pieces* raw = nullptr;
  StatusPtr status(trd_tokenizer_decode(tokenizer, pointers.data(), pointers.size(), &raw));
  EXPECT_EQ(status, nullptr) << (status ? trd_status_message(status.get()) : "");
  PiecesPtr text(raw);
  EXPECT_EQ(trd_pieces_count(text.get()), 1u);
  return trd_pieces_get(text.get(), 0);
}

class TemporaryDirectory {
 public:
  TemporaryDirectory() {
    path_ = fs::temp_directory_path() / ("trd-tokenizer-test-" + std::to_string(::getpid()) + "-" +
                                         std::to_string(reinterpret_cast<uintptr_t>(this)));
    fs::create_directories(path_);
  }
  ~TemporaryDirectory() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

TEST(TokenizerAbi, MissingFileIsNotFoundAndNamesThePath) {
  trd_tokenizer* out = reinterpret_cast<trd_tokenizer*>(0x1);
  StatusPtr status(trd_tokenizer_create("/nonexistent/dir/sentencepiece.bpe.model", &out));
  ASSERT_NE(status, nullptr);
  EXPECT_EQ(trd_status_code(status.get()), TRD_NOT_FOUND);
  EXPECT_NE(std::string(trd_status_message(status.get())).find("/nonexistent/dir/sentencepiece.bpe.model"),
            std::string::npos);
  EXPECT_EQ(out, nullptr);
}

TEST(TokenizerAbi, CorruptAndEmptyFilesAreInvalidModel) {
  TemporaryDirectory dir;
  const fs::path corrupt = dir.path() / "corrupt.model";
  std::ofstream(corrupt, std::ios::binary) << "this is not a protobuf \xff\xff\xff\xff garbage";
  const fs::path empty = dir.path() / "empty.model";
  std::ofstream(empty, std::ios::binary).flush();
  for (const auto& path : {corrupt, empty}) {
    trd_tokenizer* out = nullptr;
    StatusPtr status(trd_tokenizer_create(path.c_str(), &out));
    ASSERT_NE(status, nullptr) << path;
    EXPECT_EQ(trd_status_code(status.get()), TRD_INVALID_MODEL) << trd_status_message(status.get());
    EXPECT_NE(std::string(trd_status_message(status.get())).find(path.string()), std::string::npos);
    EXPECT_EQ(out, nullptr);
  }
}

TEST(TokenizerAbi, TruncatedModelIsInvalidModel) {
  const fs::path golden = golden_model_or_skip();
  if (golden.empty()) GTEST_SKIP();
  TemporaryDirectory dir;
  const fs::path truncated = dir.path() / "truncated.model";
  std::ifstream in(golden, std::ios::binary);
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::ofstream(truncated, std::ios::binary) << data.substr(0, data.size() / 2);
  trd_tokenizer* out = nullptr;
  StatusPtr status(trd_tokenizer_create(truncated.c_str(), &out));
  ASSERT_NE(status, nullptr);
  EXPECT_EQ(trd_status_code(status.get()), TRD_INVALID_MODEL) << trd_status_message(status.get());
}

TEST(TokenizerAbi, DirectoryAndNullArgumentsAreInvalidArgument) {
  TemporaryDirectory dir;
  trd_tokenizer* out = nullptr;
  StatusPtr status(trd_tokenizer_create(dir.path().c_str(), &out));
  ASSERT_NE(status, nullptr);
  EXPECT_EQ(trd_status_code(status.get()), TRD_INVALID_ARGUMENT);
  status.reset(trd_tokenizer_create(nullptr, &out));
  ASSERT_NE(status, nullptr);
  EXPECT_EQ(trd_status_code(status.get()), TRD_INVALID_ARGUMENT);
  status.reset(trd_tokenizer_create("x", nullptr));
  ASSERT_NE(status, nullptr);
  EXPECT_EQ(trd_status_code(status.get()), TRD_INVALID_ARGUMENT);
  trd_pieces* pieces = nullptr;
  status.reset(trd_tokenizer_encode(nullptr, "a", 1, &pieces));
  ASSERT_NE(status, nullptr);
  EXPECT_EQ(trd_status_code(status.get()), TRD_INVALID_ARGUMENT);
  trd_tokenizer_free(nullptr);
  trd_pieces_free(nullptr);
  EXPECT_EQ(trd_pieces_count(nullptr), 0u);
  EXPECT_EQ(trd_pieces_get(nullptr, 0), nullptr);
}

class GoldenTokenizer : public ::testing::Test {
 protected:
  void SetUp() override {
    const fs::path path = golden_model_or_skip();
    if (path.empty()) GTEST_SKIP();
    tokenizer_ = load(path);
    ASSERT_NE(tokenizer_, nullptr);
  }
  TokenizerPtr tokenizer_;
};

TEST_F(GoldenTokenizer, EncodesLikeTheGoldenCases) {
  // From golden/cases/tiny-f32.jsonl (greedy_scores_b2): spm_encode output for this sentence.
  EXPECT_EQ(encode(tokenizer_.get(), "No enlaza contra bibliotecas compartidas"),
            (std::vector<std::string>{"▁No", "▁enlaza", "▁contra", "▁bibliotecas", "▁compartidas"}));
}

TEST_F(GoldenTokenizer, RoundTripsAccentsAndDanishLetters) {
  for (const std::string text : {"¿Dónde está el niño? ¡Mañana!", "Blåbærgrød på Ærø, øl og æbler.", "3,5 km — 1.000 €"}) {
    const auto pieces = encode(tokenizer_.get(), text);
    EXPECT_FALSE(pieces.empty());
    EXPECT_EQ(decode(tokenizer_.get(), pieces), text);
  }
}

TEST_F(GoldenTokenizer, EmptyTextGivesNoPieces) {
  trd_pieces* raw = nullptr;
  StatusPtr status(trd_tokenizer_encode(tokenizer_.get(), nullptr, 0, &raw));
  ASSERT_EQ(status, nullptr);
  PiecesPtr pieces(raw);
  EXPECT_EQ(trd_pieces_count(pieces.get()), 0u);
}

TEST_F(GoldenTokenizer, InvalidUtf8IsInvalidArgumentWithOffset) {
  const std::vector<std::string> bad = {
      std::string("ab\xff", 3),            // stray byte
      std::string("a\xc3", 2),             // truncated sequence
      std::string("\xc0\xaf", 2),          // overlong '/'
      std::string("x\xed\xa0\x80", 4),     // UTF-16 surrogate
      std::string("\xf4\x90\x80\x80", 4),  // above U+10FFFF
      std::string("a\0b", 3),              // NUL cannot cross as a C string piece
  };
  for (const auto& text : bad) {
    trd_pieces* raw = reinterpret_cast<trd_pieces*>(0x1);
    StatusPtr status(trd_tokenizer_encode(tokenizer_.get(), text.data(), text.size(), &raw));
    ASSERT_NE(status, nullptr);
    EXPECT_EQ(trd_status_code(status.get()), TRD_INVALID_ARGUMENT);
    EXPECT_NE(std::string(trd_status_message(status.get())).find("byte offset"), std::string::npos);
    EXPECT_EQ(raw, nullptr);
  }
  const char* pieces[] = {"▁ok", "\xff"};
  trd_pieces* raw = nullptr;
  StatusPtr status(trd_tokenizer_decode(tokenizer_.get(), pieces, 2, &raw));
  ASSERT_NE(status, nullptr);
  EXPECT_EQ(trd_status_code(status.get()), TRD_INVALID_ARGUMENT);
  EXPECT_NE(std::string(trd_status_message(status.get())).find("piece 1"), std::string::npos);
}

TEST_F(GoldenTokenizer, PiecesAreAddressableById) {
  ASSERT_EQ(trd_tokenizer_piece_count(tokenizer_.get()), 8000u);
  EXPECT_STREQ(trd_tokenizer_piece(tokenizer_.get(), 0), "<unk>");
  EXPECT_EQ(trd_tokenizer_piece(tokenizer_.get(), 8000), nullptr);
}

}  // namespace

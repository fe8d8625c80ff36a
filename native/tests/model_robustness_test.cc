// Truncated and corrupted model files: every failure must be a trd::Error that names the file, the
// byte offset and the variable; every success must be internally consistent. Never a crash, a hang,
// another exception type, or an allocation larger than the file.
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <cstdio>
#include <map>
#include <random>
#include <regex>

#include "common/error.h"
#include "model/model.h"
#include "model/model_bin.h"
#include "model/model_files.h"
#include "support/model_writer.h"

#if defined(__SANITIZE_ADDRESS__)
#define TRD_UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TRD_UNDER_ASAN 1
#endif
#endif

namespace trd {
namespace {

const std::string kFile = "fuzz/model.bin";
using Records = std::vector<test::ModelBinWriter::RecordSpan>;

long max_rss_kib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

// A successful parse must describe exactly what the bytes hold.
void expect_consistent(const ModelFiles& m, size_t file_size, const std::string& what) {
  uint64_t total = 0;
  for (const auto& [name, t] : m.variables) {
    ASSERT_EQ(name, t.name) << what;
    int64_t numel = 1;
    for (int64_t d : t.shape) {
      ASSERT_GE(d, 0) << what;
      numel *= d;
    }
    ASSERT_EQ(static_cast<uint64_t>(numel) * dtype_size(t.dtype), t.data.size()) << what << " variable " << name;
    total += t.data.size();
  }
  ASSERT_LE(total, file_size) << what;
  for (const auto& [alias, target] : m.aliases) {
    ASSERT_EQ(m.variables.count(alias), 0u) << what;
    ASSERT_EQ(m.variables.count(target), 1u) << what << " alias " << alias;
  }
}

void write_prefix(const std::string& path, const std::vector<uint8_t>& bytes, size_t length) {
  std::ofstream(path, std::ios::binary | std::ios::trunc).write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(length));
}

enum class Outcome { Loaded, Error };

// Parses `bytes`; any exception other than a trd::Error with a file-naming message fails the test.
Outcome parse_outcome(const std::vector<uint8_t>& bytes, size_t length, const std::string& what, std::string* message = nullptr) {
  try {
    model_bin::MemorySource source(bytes.data(), length);
    const ModelFiles m = model_bin::parse(source, kFile);
    expect_consistent(m, length, what);
    return Outcome::Loaded;
  } catch (const Error& e) {
    EXPECT_TRUE(e.code() == TRD_INVALID_MODEL || e.code() == TRD_UNSUPPORTED) << what << ": " << e.what();
    EXPECT_EQ(std::string(e.what()).rfind(kFile + ": ", 0), 0u) << what << ": " << e.what();
    if (message) *message = e.what();
    return Outcome::Error;
  } catch (const std::exception& e) {
    ADD_FAILURE() << what << ": unexpected exception " << typeid(e).name() << ": " << e.what();
    return Outcome::Error;
  }
}

const std::regex kTruncated(R"(truncated at byte offset (\d+) while reading (.*): needs (\d+) bytes but only (\d+) remain \(file size (\d+)\))");

void check_every_truncation(const test::ModelBinWriter& writer, const std::string& label) {
  Records records;
  const auto bytes = writer.bytes(&records);
  const auto& variables = const_cast<test::ModelBinWriter&>(writer).variables();
  size_t inside_records = 0;
  for (size_t length = 0; length < bytes.size(); ++length) {
    const std::string what = label + " truncated to " + std::to_string(length) + " of " + std::to_string(bytes.size()) + " bytes";
    std::string message;
    ASSERT_EQ(parse_outcome(bytes, length, what, &message), Outcome::Error) << what;
    std::smatch match;
    ASSERT_TRUE(std::regex_search(message, match, kTruncated)) << what << ": " << message;
    const uint64_t offset = std::stoull(match[1]), needs = std::stoull(match[3]), remain = std::stoull(match[4]);
    ASSERT_EQ(std::stoull(match[5]), length) << message;
    ASSERT_EQ(offset + remain, length) << message;
    ASSERT_GT(needs, remain) << message;
    // Cut inside a variable record: the message names the record, and the variable once its name is read.
    for (size_t i = 0; i < records.size(); ++i) {
      const auto& r = records[i];
      if (length < r.begin || length >= r.end) continue;
      ++inside_records;
      const std::string expected = length < r.name_end ? "variable record " + std::to_string(i) + " of " + std::to_string(records.size())
                                                       : "variable '" + variables[i].name + "' (record " + std::to_string(i) + " of";
      ASSERT_NE(message.find(expected), std::string::npos) << what << ": '" << expected << "' not in: " << message;
      if (length >= r.payload_begin) ASSERT_NE(message.find("reading the payload"), std::string::npos) << message;
    }
  }
  EXPECT_GT(inside_records, bytes.size() / 2) << label;
  EXPECT_EQ(parse_outcome(bytes, bytes.size(), label + " complete"), Outcome::Loaded);
}

TEST(ModelRobustness, TruncationAtEveryOffsetVersion6Int8) { check_every_truncation(test::tiny_transformer(6, true, 6), "v6 int8"); }
TEST(ModelRobustness, TruncationAtEveryOffsetVersion4Float32) { check_every_truncation(test::tiny_transformer(6, false, 4), "v4"); }
TEST(ModelRobustness, TruncationAtEveryOffsetVersion3) { check_every_truncation(test::tiny_transformer(6, true, 3), "v3"); }
TEST(ModelRobustness, TruncationAtEveryOffsetVersion1) { check_every_truncation(test::tiny_transformer(6, false, 1), "v1"); }

TEST(ModelRobustness, TruncatedFilesThroughTheDirectoryLoader) {
  test::TempDir dir;
  const auto writer = test::tiny_transformer(6, true);
  test::write_model_directory(dir, writer, {"<s>", "<pad>", "</s>", "<unk>", "a", "b"});
  const auto bytes = writer.bytes();
  const std::string path = (dir / "model.bin").string();
  for (size_t length = 0; length < bytes.size(); length += 37) {
    write_prefix(path, bytes, length);
    try {
      load_model_directory(dir.path().string());
      FAIL() << "loaded a model.bin truncated to " << length << " bytes";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), TRD_INVALID_MODEL);
      EXPECT_EQ(std::string(e.what()).rfind(path + ": truncated at byte offset ", 0), 0u) << e.what();
      EXPECT_TRUE(std::regex_search(std::string(e.what()), kTruncated)) << e.what();
    }
  }
}

// Flips low, middle and high bits (and the whole byte) of everything that is not tensor payload: header, names,
// ranks, dims, dtype ids, byte counts, alias section.
void check_metadata_flips(const test::ModelBinWriter& writer, const std::string& label) {
  Records records;
  const auto original = writer.bytes(&records);
  std::vector<bool> is_payload(original.size(), false);
  for (const auto& r : records)
    for (size_t i = r.payload_begin; i < r.end; ++i) is_payload[i] = true;
  std::map<Outcome, size_t> outcomes;
  auto bytes = original;
  const long rss_before = max_rss_kib();
  for (size_t i = 0; i < original.size(); ++i) {
    if (is_payload[i]) continue;
    for (int mask : {0x01, 0x02, 0x10, 0x80, 0xFF}) {
      bytes[i] = static_cast<uint8_t>(original[i] ^ mask);
      ++outcomes[parse_outcome(bytes, bytes.size(), label + " byte " + std::to_string(i) + " ^ " + std::to_string(mask))];
      bytes[i] = original[i];
      if (::testing::Test::HasFailure()) return;
    }
  }
  std::printf("[ metadata flips %s ] %zu loaded consistently, %zu refused with a clear error\n", label.c_str(), outcomes[Outcome::Loaded],
              outcomes[Outcome::Error]);
  EXPECT_GT(outcomes[Outcome::Error], 0u);
#ifndef TRD_UNDER_ASAN
  // A corrupt size field must never be allocated: the whole loop stays within a few MiB.
  EXPECT_LT(max_rss_kib() - rss_before, 64 * 1024) << "peak memory grew while parsing corrupt headers";
#else
  (void)rss_before;
#endif
}

TEST(ModelRobustness, MetadataBitFlipsVersion6) { check_metadata_flips(test::tiny_transformer(6, true, 6), "v6"); }
TEST(ModelRobustness, MetadataBitFlipsVersion3) { check_metadata_flips(test::tiny_transformer(6, false, 3), "v3"); }

TEST(ModelRobustness, RandomCorruptionAnywhere) {
  const auto original = test::tiny_transformer(6, true).bytes();
  std::mt19937 rng(20240601);
  std::map<Outcome, size_t> outcomes;
  for (int round = 0; round < 3000; ++round) {
    auto bytes = original;
    const int changes = 1 + static_cast<int>(rng() % 4);
    for (int c = 0; c < changes; ++c) bytes[rng() % bytes.size()] = static_cast<uint8_t>(rng());
    size_t length = bytes.size();
    if (round % 5 == 0) length = rng() % (bytes.size() + 1);
    ++outcomes[parse_outcome(bytes, length, "random round " + std::to_string(round))];
    if (::testing::Test::HasFailure()) return;
  }
  std::printf("[ random corruption ] %zu loaded consistently, %zu refused with a clear error\n", outcomes[Outcome::Loaded], outcomes[Outcome::Error]);
}

// Whole-directory loads of corrupted model.bin files: a corrupt file either fails cleanly or loads
// into a model whose vocabulary still fits its embeddings.
TEST(ModelRobustness, CorruptModelBinThroughTheDirectoryLoader) {
  test::TempDir dir;
  const auto writer = test::tiny_transformer(6, true);
  test::write_model_directory(dir, writer, {"<s>", "<pad>", "</s>", "<unk>", "a", "b"});
  const auto original = writer.bytes();
  const std::string path = (dir / "model.bin").string();
  std::mt19937 rng(7);
  size_t loaded = 0, refused = 0;
  for (int round = 0; round < 300; ++round) {
    auto bytes = original;
    bytes[rng() % bytes.size()] ^= static_cast<uint8_t>(1u << (rng() % 8));
    write_prefix(path, bytes, bytes.size());
    try {
      const ModelFiles m = load_model_directory(dir.path().string());
      expect_consistent(m, bytes.size(), "round " + std::to_string(round));
      if (const Tensor* e = m.find("decoder/embeddings/weight")) EXPECT_EQ(static_cast<size_t>(e->shape.at(0)), m.target_vocabulary->size());
      ++loaded;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(dir.path().string()), std::string::npos) << e.what();
      ++refused;
    }
  }
  std::printf("[ directory corruption ] %zu loaded consistently, %zu refused with a clear error\n", loaded, refused);
}

TEST(ModelRobustness, TruncatedGoldenModel) {
  const auto model = test::shared_dir() / "golden" / "models" / "tiny-int8";
  TRD_REQUIRE_GOLDEN_DIR(model);
  const std::string text = model_files::read_file((model / "model.bin").string());
  const std::vector<uint8_t> bytes(text.begin(), text.end());
  std::mt19937 rng(3);
  std::vector<size_t> lengths;
  for (size_t i = 0; i < 64; ++i) lengths.push_back(i);
  for (int i = 0; i < 100; ++i) lengths.push_back(rng() % bytes.size());
  lengths.push_back(bytes.size() - 1);
  for (size_t length : lengths) {
    std::string message;
    ASSERT_EQ(parse_outcome(bytes, length, "golden tiny-int8 truncated to " + std::to_string(length), &message), Outcome::Error);
    EXPECT_TRUE(std::regex_search(message, kTruncated)) << message;
  }
  EXPECT_EQ(parse_outcome(bytes, bytes.size(), "golden tiny-int8"), Outcome::Loaded);
}

TEST(ModelRobustness, TruncatedConfigAndVocabularyFiles) {
  const std::string config = test::kNllbConfig;
  for (size_t length = 0; length + 2 < config.size(); ++length) {  // the last two bytes are "}\n"
    try {
      model_files::parse_config_json(config.substr(0, length), "d/config.json", true);
      ADD_FAILURE() << "accepted config.json truncated to " << length;
    } catch (const Error& e) {
      EXPECT_EQ(std::string(e.what()).rfind("d/config.json: ", 0), 0u) << e.what();
    }
  }
  const std::string vocabulary = R"(["<s>", "\u2581de", "\ud83d\ude00", "x"])";
  for (size_t length = 0; length < vocabulary.size(); ++length) {
    try {
      model_files::parse_vocabulary_json(vocabulary.substr(0, length), "d/v.json");
      ADD_FAILURE() << "accepted a vocabulary truncated to " << length;
    } catch (const Error& e) {
      EXPECT_EQ(std::string(e.what()).rfind("d/v.json: ", 0), 0u) << e.what();
    }
  }
}

}  // namespace
}  // namespace trd

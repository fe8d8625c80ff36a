// Test support: writes model.bin files of any binary version (1-6) and small model directories,
// the way CTranslate2's ModelSpec._serialize lays them out (ct2-format.md §1), plus the golden
// data locator. Header-only because CMake globs only tests/*.cc into the test binary.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "model/model.h"

namespace trd::test {

struct WrittenVariable {
  std::string name;
  DType dtype = DType::Float32;
  std::vector<uint32_t> shape;
  std::vector<uint8_t> data;
};

class ModelBinWriter {
 public:
  explicit ModelBinWriter(uint32_t version = 6, std::string spec = "TransformerSpec", uint32_t revision = 7)
      : version_(version), spec_(std::move(spec)), revision_(revision) {}

  template <typename T>
  ModelBinWriter& add(const std::string& name, DType dtype, std::vector<uint32_t> shape, const std::vector<T>& values) {
    WrittenVariable v{name, dtype, std::move(shape), {}};
    v.data.resize(values.size() * sizeof(T));
    if (!values.empty()) std::memcpy(v.data.data(), values.data(), v.data.size());
    variables_.push_back(std::move(v));
    return *this;
  }
  ModelBinWriter& add_raw(WrittenVariable v) {
    variables_.push_back(std::move(v));
    return *this;
  }
  ModelBinWriter& add_f32(const std::string& name, std::vector<uint32_t> shape, const std::vector<float>& values) {
    return add(name, DType::Float32, std::move(shape), values);
  }
  template <typename T>
  ModelBinWriter& add_scalar(const std::string& name, DType dtype, T value) {
    return add(name, dtype, {}, std::vector<T>{value});
  }
  // Python strings become 1-D int8 arrays of their UTF-8 bytes.
  ModelBinWriter& add_string(const std::string& name, const std::string& value) {
    return add(name, DType::Int8, {static_cast<uint32_t>(value.size())}, std::vector<char>(value.begin(), value.end()));
  }
  ModelBinWriter& alias(const std::string& alias, const std::string& target) {
    aliases_.emplace_back(alias, target);
    return *this;
  }
  std::vector<WrittenVariable>& variables() { return variables_; }

  // Byte offsets of one variable record in the output: [begin, name_end) is the name with its
  // length, [payload_begin, end) the payload.
  struct RecordSpan {
    size_t begin, name_end, payload_begin, end;
  };

  // `records`, when given, receives the span of every variable record.
  std::vector<uint8_t> bytes(std::vector<RecordSpan>* records = nullptr) const {
    std::vector<uint8_t> out;
    u32(out, version_);
    if (version_ >= 2) {
      str(out, spec_);
      u32(out, revision_);
    }
    u32(out, static_cast<uint32_t>(variables_.size()));
    for (const auto& v : variables_) {
      const size_t begin = out.size();
      str(out, v.name);
      const size_t name_end = out.size();
      out.push_back(static_cast<uint8_t>(v.shape.size()));
      for (uint32_t d : v.shape) u32(out, d);
      if (version_ >= 4) {
        out.push_back(static_cast<uint8_t>(v.dtype));
        u32(out, static_cast<uint32_t>(v.data.size()));
      } else {
        const size_t item = dtype_size(v.dtype);
        out.push_back(static_cast<uint8_t>(item));
        u32(out, static_cast<uint32_t>(v.data.size() / item));
      }
      if (records) records->push_back({begin, name_end, out.size(), out.size() + v.data.size()});
      out.insert(out.end(), v.data.begin(), v.data.end());
    }
    if (version_ >= 3) {
      u32(out, static_cast<uint32_t>(aliases_.size()));
      for (const auto& [a, t] : aliases_) {
        str(out, a);
        str(out, t);
      }
    }
    return out;
  }

  void write(const std::filesystem::path& path) const {
    const auto b = bytes();
    std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
  }

  static void u32(std::vector<uint8_t>& out, uint32_t v) {
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
  }
  static void str(std::vector<uint8_t>& out, const std::string& s) {
    const size_t length = s.size() + 1;
    out.push_back(static_cast<uint8_t>(length));
    out.push_back(static_cast<uint8_t>(length >> 8));
    out.insert(out.end(), s.begin(), s.end());
    out.push_back(0);
  }

 private:
  uint32_t version_;
  std::string spec_;
  uint32_t revision_;
  std::vector<WrittenVariable> variables_;
  std::vector<std::pair<std::string, std::string>> aliases_;
};

inline std::vector<float> random_floats(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.f, 1.f);
  std::vector<float> v(n);
  for (auto& x : v) x = dist(rng);
  return v;
}

// A complete, tiny NLLB-shaped TransformerSpec (1 encoder and 1 decoder layer, d = 4, ffn = 8,
// vocabulary `vocab_size`, 6 position rows) with the three aliases CT2's converter writes. With
// `int8`, linear weights and the embedding are int8 with per-row `_scale`s, as §3.7 describes.
// A non-zero `source_vocab_size` gives the encoder its own embedding of that many rows (separate
// source/target vocabularies) instead of the alias.
inline ModelBinWriter tiny_transformer(uint32_t vocab_size = 6, bool int8 = false, uint32_t version = 6, uint32_t source_vocab_size = 0) {
  const uint32_t d = 4, f = 8, positions = 6;
  ModelBinWriter w(version);
  uint32_t seed = 1;
  auto weight = [&](const std::string& name, uint32_t rows, uint32_t cols) {
    auto values = random_floats(size_t{rows} * cols, seed++);
    if (!int8) {
      w.add_f32(name, {rows, cols}, values);
      return;
    }
    std::vector<int8_t> q(values.size());
    std::vector<float> scales(rows);
    for (uint32_t r = 0; r < rows; ++r) {
      float amax = 0;
      for (uint32_t c = 0; c < cols; ++c) amax = std::max(amax, std::abs(values[r * cols + c]));
      scales[r] = 127.f / (amax == 0 ? 127.f : amax);
      for (uint32_t c = 0; c < cols; ++c) q[r * cols + c] = static_cast<int8_t>(std::nearbyint(values[r * cols + c] * scales[r]));
    }
    w.add(name, DType::Int8, {rows, cols}, q);
    w.add_f32(name + "_scale", {rows}, scales);
  };
  auto vec = [&](const std::string& name, uint32_t n) { w.add_f32(name, {n}, random_floats(n, seed++)); };
  auto linear = [&](const std::string& scope, uint32_t out, uint32_t in) {
    weight(scope + "/weight", out, in);
    vec(scope + "/bias", out);
  };
  auto norm = [&](const std::string& scope) {
    vec(scope + "/gamma", d);
    vec(scope + "/beta", d);
  };
  weight("decoder/embeddings/weight", vocab_size, d);
  w.add_f32("decoder/position_encodings/encodings", {positions, d}, random_floats(size_t{positions} * d, seed++));
  norm("decoder/layer_norm");
  norm("decoder/layer_0/self_attention/layer_norm");
  linear("decoder/layer_0/self_attention/linear_0", 3 * d, d);
  linear("decoder/layer_0/self_attention/linear_1", d, d);
  norm("decoder/layer_0/attention/layer_norm");
  linear("decoder/layer_0/attention/linear_0", d, d);
  linear("decoder/layer_0/attention/linear_1", 2 * d, d);
  linear("decoder/layer_0/attention/linear_2", d, d);
  norm("decoder/layer_0/ffn/layer_norm");
  linear("decoder/layer_0/ffn/linear_0", f, d);
  linear("decoder/layer_0/ffn/linear_1", d, f);
  norm("encoder/layer_norm");
  norm("encoder/layer_0/self_attention/layer_norm");
  linear("encoder/layer_0/self_attention/linear_0", 3 * d, d);
  linear("encoder/layer_0/self_attention/linear_1", d, d);
  norm("encoder/layer_0/ffn/layer_norm");
  linear("encoder/layer_0/ffn/linear_0", f, d);
  linear("encoder/layer_0/ffn/linear_1", d, f);
  for (const char* scope : {"encoder", "decoder"}) {
    const std::string s = scope;
    w.add_scalar<int16_t>(s + "/num_heads", DType::Int16, 2);
    w.add_scalar<int8_t>(s + "/pre_norm", DType::Int8, 1);
    w.add_scalar<int8_t>(s + "/activation", DType::Int8, 0);
    w.add_scalar<float>(s + "/scale_embeddings", DType::Float32, 2.0f);
  }
  w.add_scalar<int16_t>("decoder/alignment_layer", DType::Int16, -1);
  w.add_scalar<int16_t>("decoder/alignment_heads", DType::Int16, 1);
  w.alias("decoder/projection/weight", "decoder/embeddings/weight");
  if (source_vocab_size)
    weight("encoder/embeddings_0/weight", source_vocab_size, d);
  else
    w.alias("encoder/embeddings_0/weight", "decoder/embeddings/weight");
  w.alias("encoder/position_encodings/encodings", "decoder/position_encodings/encodings");
  return w;
}

inline const char* kNllbConfig = R"({
  "add_source_bos": false,
  "add_source_eos": false,
  "bos_token": "<s>",
  "decoder_start_token": "</s>",
  "eos_token": "</s>",
  "layer_norm_epsilon": null,
  "multi_query_attention": false,
  "unk_token": "<unk>"
}
)";

// A fresh directory under the system temp dir, removed with everything in it at scope exit.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "trd-model-test-XXXXXX").string();
    if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }
  void write(const std::string& name, const std::string& content) const {
    std::ofstream(path_ / name, std::ios::binary) << content;
  }

 private:
  std::filesystem::path path_;
};

// Writes a loadable directory: model.bin, config.json and shared_vocabulary.json of `tokens`.
inline void write_model_directory(const TempDir& dir, const ModelBinWriter& writer, const std::vector<std::string>& tokens) {
  writer.write(dir / "model.bin");
  dir.write("config.json", kNllbConfig);
  std::string json = "[";
  for (size_t i = 0; i < tokens.size(); ++i) json += (i ? ", \"" : "\"") + tokens[i] + "\"";
  dir.write("shared_vocabulary.json", json + "]");
}

// <repo>/../shared, or $TRD_SHARED_DIR. Empty when absent.
inline std::filesystem::path shared_dir() {
  if (const char* env = std::getenv("TRD_SHARED_DIR"); env && *env) return env;
  return std::filesystem::path(TRD_SOURCE_DIR) / ".." / "shared";
}

// Golden data may be missing on a developer machine: say so loudly and skip, unless
// TRD_REQUIRE_GOLDEN=1 (CI), where a missing directory is a failure.
#define TRD_REQUIRE_GOLDEN_DIR(path)                                                                         \
  do {                                                                                                       \
    if (!std::filesystem::is_directory(path)) {                                                              \
      const char* require = std::getenv("TRD_REQUIRE_GOLDEN");                                               \
      if (require && std::string(require) == "1") FAIL() << "golden data missing: " << (path).string();      \
      std::fprintf(stderr, "\n*** GOLDEN DATA MISSING: %s — skipping (set TRD_REQUIRE_GOLDEN=1 to fail) ***\n", \
                   (path).string().c_str());                                                                 \
      GTEST_SKIP() << "golden data missing: " << (path).string();                                            \
    }                                                                                                        \
  } while (0)

}  // namespace trd::test

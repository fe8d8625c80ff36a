// A CTranslate2 model directory as read from disk: model.bin variables (aliases resolved),
// config.json and vocabularies. Produced by load_model_directory(); consumed by the runtime,
// which builds its layers from it. Everything here is immutable after loading.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace trd {

// dtype ids as stored in model.bin (binary version >= 4), CTranslate2's DataType order.
enum class DType : uint8_t { Float32 = 0, Int8 = 1, Int16 = 2, Int32 = 3, Float16 = 4, BFloat16 = 5 };

size_t dtype_size(DType dtype);
const char* dtype_name(DType dtype);
// The DType for a model.bin dtype id; nullopt for an id outside the table.
std::optional<DType> dtype_from_id(uint8_t id);
// IEEE binary16 / bfloat16 bit patterns to float32 (exact; NaN and infinities preserved).
float half_to_float(uint16_t bits);
float bfloat16_to_float(uint16_t bits);

struct Tensor {
  std::string name;
  DType dtype = DType::Float32;
  // Outermost first; empty for scalars. From model.bin every dim is < 2^32 and the product of
  // the non-zero dims is < 2^60, so products of any subset fit in int64.
  std::vector<int64_t> shape;
  std::vector<uint8_t> data;   // raw little-endian payload, exactly numel() * dtype_size(dtype) bytes

  int64_t numel() const;
  template <typename T>
  const T* as() const { return reinterpret_cast<const T*>(data.data()); }
  // A scalar converted from whatever dtype is stored (CTranslate2's as_scalar<T>).
  double scalar_value() const;
};

// The tensor's values as float32: float32 copied, float16/bfloat16 widened, integer types cast
// value by value. No quantization scale is applied (an int8 weight's `_scale` is a separate
// variable), so this is the stored value, not the dequantized one.
std::vector<float> to_float32(const Tensor& tensor);

// A string attribute: the converter stores Python strings as 1-D int8 arrays of UTF-8 bytes.
// Throws trd::Error(TRD_INVALID_MODEL) naming the variable when it is not such an array.
std::string tensor_string_value(const Tensor& tensor);

struct ModelConfig {
  std::string unk_token = "<unk>";
  std::string bos_token = "<s>";
  std::string eos_token = "</s>";
  std::optional<std::string> decoder_start_token = std::string("</s>");  // nullopt for JSON null
  bool add_source_bos = false;
  bool add_source_eos = false;
  std::optional<float> layer_norm_epsilon;  // nullopt: 1e-5 (LayerNorm)
};

class Vocabulary {
 public:
  Vocabulary(std::vector<std::string> tokens, const ModelConfig& config);
  size_t size() const { return tokens_.size(); }
  // Unknown tokens map to the unk id, as in CTranslate2.
  int32_t to_id(const std::string& token) const;
  // -1 when absent.
  int32_t find(const std::string& token) const;
  const std::string& to_token(int32_t id) const { return tokens_.at(static_cast<size_t>(id)); }
  int32_t unk_id() const { return unk_id_; }
  int32_t bos_id() const { return bos_id_; }
  int32_t eos_id() const { return eos_id_; }

 private:
  std::vector<std::string> tokens_;
  std::unordered_map<std::string, int32_t> ids_;
  int32_t unk_id_ = -1, bos_id_ = -1, eos_id_ = -1;
};

// vmap.txt (CTranslate2's VocabularyMap): source n-gram -> candidate target ids.
struct VocabularyMap {
  std::vector<int32_t> fixed_candidates;  // empty-key lines plus <unk>, <s>, </s>
  std::unordered_map<std::string, std::vector<int32_t>> rules;  // key: space-joined source n-gram
  size_t max_ngram = 0;
};

struct ModelFiles {
  std::string directory;
  uint32_t binary_version = 0;
  std::string spec_name;
  uint32_t spec_revision = 0;
  std::unordered_map<std::string, Tensor> variables;
  // alias -> target variable name, including the implied "_scale"/"_zero" companions.
  std::unordered_map<std::string, std::string> aliases;
  ModelConfig config;
  std::shared_ptr<const Vocabulary> source_vocabulary;
  std::shared_ptr<const Vocabulary> target_vocabulary;
  std::optional<VocabularyMap> vocabulary_map;  // present when vmap.txt exists

  // Looks a variable up by name, following aliases. nullptr when absent.
  const Tensor* find(const std::string& name) const;
  // As find(), but throws trd::Error(TRD_INVALID_MODEL) naming the variable and model.bin.
  const Tensor& get(const std::string& name) const;
};

// Reads a CTranslate2 model directory. Throws trd::Error: TRD_NOT_FOUND for a missing directory
// or file; TRD_INVALID_MODEL for truncated/corrupt content (message names the file, the variable
// or byte offset and what was wrong); TRD_UNSUPPORTED for versions/specs this reader refuses.
ModelFiles load_model_directory(const std::string& directory);

// Reads only model.bin (used by tests and tools).
ModelFiles read_model_bin(const std::string& path);

}  // namespace trd

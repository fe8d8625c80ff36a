// Weights of a Transformer in the form the kernels consume, converted once at load and then
// shared read-only by every replica.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "kernels/gemm.h"
#include "kernels/ops.h"
#include "model/model.h"

namespace trd::layers {

// The arithmetic a model runs with (CTranslate2's compute types on a CPU).
enum class ComputeType { Float32, Int8Float32 };

const char* compute_type_name(ComputeType type);
// "default" resolves against the model's stored weights (int8 -> int8_float32, otherwise float32).
ComputeType resolve_compute_type(const std::string& requested, const ModelFiles& files);

// A [rows, depth] matrix stored either as float32 or as int8 with one scale per row.
struct Matrix {
  int64_t rows = 0, depth = 0;
  bool quantized = false;
  std::vector<float> values;           // float32 layout
  std::vector<int8_t> qvalues;         // int8 layout
  std::vector<float> scales;           // per row (int8)
  std::vector<int32_t> compensation;   // -128 * row sum (int8), for the u8s8s32 GEMM
  // int8 weights packed for the AVX2 kernel (kernels::packed_int8_preferred()); qvalues and
  // compensation are then empty, so the weights are held once.
  bool packed = false;
  kernels::PackedS8 packed_values;
  size_t bytes() const;
  // Row r of an int8 matrix: a pointer into qvalues, or the row unpacked into `scratch` (depth bytes).
  const int8_t* int8_row(int64_t r, int8_t* scratch) const;
};

// A Linear layer: y = x W^T + b. The weight may be shared with an embedding table (tied weights).
struct Dense {
  std::shared_ptr<const Matrix> weight;
  std::vector<float> bias;  // empty when absent
  int64_t out() const { return weight->rows; }
  int64_t in() const { return weight->depth; }
};

struct LayerNorm {
  std::vector<float> gamma, beta;
};

struct AttentionWeights {
  LayerNorm norm;
  Dense qkv;  // self-attention: fused [q; k; v]; cross-attention: the query projection
  Dense kv;   // cross-attention only: fused [k; v]
  Dense out;
};

struct FeedForwardWeights {
  LayerNorm norm;
  Dense inner, outer;
};

struct EncoderLayerWeights {
  AttentionWeights self_attention;
  FeedForwardWeights ffn;
};

struct DecoderLayerWeights {
  AttentionWeights self_attention, cross_attention;
  FeedForwardWeights ffn;
};

// Token embeddings plus positions for one stack.
struct EmbeddingWeights {
  std::shared_ptr<const Matrix> table;
  float scale = 1.0f;                // 1 = no scaling
  std::vector<float> positions;      // [position_rows, depth]; empty: CTranslate2's built-in sinusoid
  int64_t position_rows = 0;
  bool has_layernorm = false;
  LayerNorm layernorm;               // layernorm_embedding (absent for NLLB)
};

struct StackConfig {
  int64_t layers = 0, heads = 8;
  bool pre_norm = true;
  kernels::Activation activation = kernels::Activation::ReLU;
  bool has_final_norm = false;
};

struct TransformerWeights {
  ComputeType compute_type = ComputeType::Float32;
  bool round_quantization = true;  // binary version >= 5
  int64_t d_model = 0, ffn = 0;
  float epsilon = 1e-5f;
  StackConfig encoder_config, decoder_config;
  EmbeddingWeights encoder_embeddings, decoder_embeddings;
  std::vector<EncoderLayerWeights> encoder_layers;
  std::vector<DecoderLayerWeights> decoder_layers;
  LayerNorm encoder_norm, decoder_norm;
  Dense projection;
  int64_t parameters = 0;
  size_t weights_bytes = 0;
};

// Builds the runtime weights from a model directory, converting dtypes for `compute_type`
// (ct2-format.md §3.9). Throws trd::Error(TRD_INVALID_MODEL / TRD_UNSUPPORTED) naming the variable.
// int8 weight payloads may be moved out of `files` (packed in place), so `files` must not be used
// for tensor data afterwards.
std::shared_ptr<const TransformerWeights> build_transformer_weights(ModelFiles& files, ComputeType compute_type);

}  // namespace trd::layers

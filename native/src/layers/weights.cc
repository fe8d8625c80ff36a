#include "layers/weights.h"

#include <cmath>
#include <cstring>
#include <unordered_map>

#include "common/error.h"
#include "kernels/gemm.h"

namespace trd::layers {
namespace {

[[noreturn]] void invalid(const ModelFiles& files, const std::string& name, const std::string& what) {
  fail(TRD_INVALID_MODEL, files.directory + "/model.bin: variable '" + name + "' " + what);
}

// A float tensor in float32 (float16/bfloat16 widened, int16 dequantized with its scale).
std::vector<float> to_float(const ModelFiles& files, const Tensor& t, const std::string& name) {
  switch (t.dtype) {
    case DType::Float32:
    case DType::Float16:
    case DType::BFloat16:
      return to_float32(t);  // the reader's widening
    case DType::Int16: {
      const Tensor* scale = files.find(name + "_scale");
      if (!scale || scale->numel() != 1) invalid(files, name, "is int16 but has no scalar '" + name + "_scale'");
      const float s = static_cast<float>(scale->scalar_value());
      std::vector<float> out = to_float32(t);
      for (float& v : out) v /= s;
      return out;
    }
    default:
      invalid(files, name, std::string("has dtype ") + dtype_name(t.dtype) + " where a float tensor is expected");
  }
}

class Builder {
 public:
  Builder(ModelFiles& files, TransformerWeights& w) : files_(files), w_(w) {}

  const Tensor* find(const std::string& name) const { return files_.find(name); }

  const Tensor& get(const std::string& name) const {
    const Tensor* t = files_.find(name);
    if (!t) fail(TRD_INVALID_MODEL, files_.directory + "/model.bin: required variable '" + name + "' is missing");
    return *t;
  }

  std::vector<float> vector(const std::string& name, int64_t expected) {
    const Tensor& t = get(name);
    if (t.numel() != expected)
      invalid(files_, name, "has " + std::to_string(t.numel()) + " values, expected " + std::to_string(expected));
    w_.parameters += t.numel();
    w_.weights_bytes += static_cast<size_t>(expected) * 4;
    return to_float(files_, t, name);
  }

  LayerNorm layer_norm(const std::string& scope, int64_t depth) {
    return LayerNorm{vector(scope + "/gamma", depth), vector(scope + "/beta", depth)};
  }

  // A [rows, depth] weight matrix in the compute type's layout. Tied weights (aliases of one
  // tensor) are converted once and shared.
  std::shared_ptr<const Matrix> matrix(const std::string& name, int64_t rows, int64_t depth) {
    const Tensor& t = get(name);
    if (t.shape.size() != 2 || (rows >= 0 && t.shape[0] != rows) || t.shape[1] != depth)
      invalid(files_, name, "has shape " + shape_string(t.shape) + ", expected [" +
                                (rows >= 0 ? std::to_string(rows) : std::string("V")) + ", " + std::to_string(depth) + "]");
    auto cached = matrices_.find(&t);
    if (cached != matrices_.end()) return cached->second;
    auto m = std::make_shared<Matrix>();
    m->rows = t.shape[0];
    m->depth = t.shape[1];
    const bool want_int8 = w_.compute_type == ComputeType::Int8Float32;
    if (t.dtype == DType::Int8) {
      const Tensor* scale = find(name + "_scale");
      if (!scale || scale->numel() != m->rows)
        invalid(files_, name, "is int8 but '" + name + "_scale' is missing or does not have one value per row");
      std::vector<float> scales = to_float(files_, *scale, name + "_scale");
      if (want_int8 && kernels::packed_int8_preferred()) {
        // The payload is adopted and packed in place: the model is never held twice while loading.
        // The Tensor keeps its shape; its data is gone, and the cache above answers later aliases.
        m->quantized = true;
        m->packed = true;
        m->packed_values = kernels::pack_s8(std::move(payload(t)), m->rows, m->depth);
        m->scales = std::move(scales);
      } else if (want_int8) {
        m->quantized = true;
        m->qvalues.assign(t.as<int8_t>(), t.as<int8_t>() + t.numel());
        m->scales = std::move(scales);
      } else {
        m->values.resize(static_cast<size_t>(t.numel()));
        for (int64_t r = 0; r < m->rows; ++r)
          kernels::dequantize_row(t.as<int8_t>() + r * m->depth, scales[r], m->values.data() + r * m->depth, m->depth);
      }
    } else {
      std::vector<float> values = to_float(files_, t, name);
      if (want_int8) {
        m->quantized = true;
        m->qvalues.resize(values.size());
        m->scales.resize(static_cast<size_t>(m->rows));
        quantize_weight(values.data(), m->rows, m->depth, m->qvalues.data(), m->scales.data());
      } else {
        m->values = std::move(values);
      }
    }
    if (m->quantized && !m->packed && kernels::packed_int8_preferred()) {
      m->packed_values = kernels::pack_s8(m->qvalues.data(), m->rows, m->depth);
      m->packed = true;
      std::vector<int8_t>().swap(m->qvalues);
    } else if (m->quantized && !m->packed) {
      m->compensation.resize(static_cast<size_t>(m->rows));
      kernels::compute_compensation(m->qvalues.data(), m->rows, m->depth, m->compensation.data());
    }
    w_.parameters += t.numel();
    w_.weights_bytes += m->bytes();
    matrices_.emplace(&t, m);
    return m;
  }

  Dense dense(const std::string& scope, int64_t out, int64_t in, bool bias_required = true) {
    Dense d;
    d.weight = matrix(scope + "/weight", out, in);
    if (bias_required || find(scope + "/bias")) d.bias = vector(scope + "/bias", d.weight->rows);
    return d;
  }

 private:
  // The converter's per-row formula (ct2-format.md §3.7): scale = 127 / amax (amax 0 -> 127),
  // round half to even (truncate before binary version 5).
  void quantize_weight(const float* w, int64_t rows, int64_t depth, int8_t* q, float* scales) const {
    for (int64_t r = 0; r < rows; ++r) {
      float amax = 0.f;
      for (int64_t i = 0; i < depth; ++i) amax = std::max(amax, std::fabs(w[r * depth + i]));
      if (amax == 0.f) amax = 127.f;
      const float scale = 127.f / amax;
      scales[r] = scale;
      for (int64_t i = 0; i < depth; ++i) {
        const float v = w[r * depth + i] * scale;
        q[r * depth + i] = static_cast<int8_t>(w_.round_quantization ? std::nearbyint(v) : std::trunc(v));
      }
    }
  }

  static std::string shape_string(const std::vector<int64_t>& shape) {
    std::string s = "[";
    for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
    return s + "]";
  }

  // find() hands out const tensors, but they belong to files_, which the builder holds non-const
  // (it consumes the payloads), so dropping the const is well-defined.
  std::vector<uint8_t>& payload(const Tensor& t) { return const_cast<Tensor&>(t).data; }

  ModelFiles& files_;
  TransformerWeights& w_;
  std::unordered_map<const Tensor*, std::shared_ptr<const Matrix>> matrices_;
};

int64_t scalar_int(const ModelFiles& files, const std::string& name, int64_t fallback) {
  const Tensor* t = files.find(name);
  return t && t->numel() == 1 ? static_cast<int64_t>(t->scalar_value()) : fallback;
}

StackConfig stack_config(const ModelFiles& files, const std::string& scope, int64_t default_heads) {
  StackConfig c;
  c.heads = scalar_int(files, scope + "/num_heads", scalar_int(files, "num_heads", default_heads));
  c.pre_norm = scalar_int(files, scope + "/pre_norm", scalar_int(files, "pre_norm", 1)) != 0;
  const int64_t activation = scalar_int(files, scope + "/activation", scalar_int(files, "activation", 0));
  if (activation < 0 || activation >= kernels::kActivationCount)
    fail(TRD_UNSUPPORTED, files.directory + "/model.bin: variable '" + scope + "/activation' has unknown value " +
                              std::to_string(activation));
  c.activation = static_cast<kernels::Activation>(activation);
  while (files.find(scope + "/layer_" + std::to_string(c.layers) + "/ffn/linear_0/weight")) ++c.layers;
  c.has_final_norm = files.find(scope + "/layer_norm/gamma") != nullptr;
  return c;
}

// ct2-format.md §3.6: a float scale_embeddings other than 1 multiplies; a missing value (or an int8
// flag set) means sqrt(depth); int8 zero or exactly 1.0 means no scaling.
float embedding_scale(const ModelFiles& files, const std::string& scope, const std::string& embeddings_scope,
                      int64_t depth) {
  const Tensor* t = files.find(scope + "/scale_embeddings");
  if (!t) t = files.find(embeddings_scope + "/multiply_by_sqrt_depth");
  const float sqrt_depth = std::sqrt(static_cast<float>(depth));
  if (!t) return sqrt_depth;
  const double value = t->scalar_value();
  if (t->dtype == DType::Int8) return value != 0 ? sqrt_depth : 1.0f;
  return static_cast<float>(value);
}

void check_unsupported(const ModelFiles& files) {
  static const char* kUnsupported[] = {
      "encoder/layer_0/self_attention/relative_position_keys", "encoder/layer_0/self_attention/relative_attention_bias",
      "decoder/layer_0/self_attention/relative_position_keys", "decoder/layer_0/self_attention/relative_attention_bias",
      "encoder/layer_0/self_attention/rotary_dim", "decoder/layer_0/self_attention/rotary_dim",
      "encoder/layer_0/ffn/linear_0_noact/weight", "decoder/layer_0/ffn/linear_0_noact/weight",
      "encoder/layer_0/self_attention/layer_norm/gamma_rms"};
  for (const char* name : kUnsupported)
    if (files.find(name))
      fail(TRD_UNSUPPORTED, files.directory + "/model.bin: variable '" + std::string(name) +
                                "' needs a Transformer feature this engine does not implement");
  for (const char* flag : {"decoder/alibi", "encoder/layer_0/self_attention/multi_query",
                           "decoder/layer_0/self_attention/multi_query"})
    if (scalar_int(files, flag, 0) != 0)
      fail(TRD_UNSUPPORTED, files.directory + "/model.bin: '" + std::string(flag) + "' is not supported");
}

}  // namespace

size_t Matrix::bytes() const {
  return values.size() * 4 + qvalues.size() + scales.size() * 4 + compensation.size() * 4 +
         packed_values.data.size();
}

const int8_t* Matrix::int8_row(int64_t r, int8_t* scratch) const {
  if (!packed) return qvalues.data() + r * depth;
  packed_values.unpack_row(r, scratch);
  return scratch;
}

const char* compute_type_name(ComputeType type) {
  return type == ComputeType::Float32 ? "float32" : "int8_float32";
}

ComputeType resolve_compute_type(const std::string& requested, const ModelFiles& files) {
  if (requested == "float32") return ComputeType::Float32;
  if (requested == "int8" || requested == "int8_float32") return ComputeType::Int8Float32;
  if (requested != "default" && !requested.empty())
    fail(TRD_INVALID_ARGUMENT, "compute_type '" + requested +
                                   "' is not supported (expected default, float32, int8 or int8_float32)");
  const Tensor* w = files.find("decoder/layer_0/ffn/linear_0/weight");
  return w && w->dtype == DType::Int8 ? ComputeType::Int8Float32 : ComputeType::Float32;
}

std::shared_ptr<const TransformerWeights> build_transformer_weights(ModelFiles& files, ComputeType compute_type) {
  if (files.spec_name != "TransformerSpec" && files.spec_name != "TransformerBase" &&
      files.spec_name != "TransformerBig" && !files.spec_name.empty())
    fail(TRD_UNSUPPORTED, files.directory + "/model.bin: spec '" + files.spec_name +
                              "' is not supported (only Transformer encoder-decoder models)");
  check_unsupported(files);
  auto w = std::make_shared<TransformerWeights>();
  w->compute_type = compute_type;
  w->round_quantization = files.binary_version >= 5;
  w->epsilon = files.config.layer_norm_epsilon.value_or(1e-5f);
  const int64_t default_heads = files.spec_name == "TransformerBig" ? 16 : 8;
  w->encoder_config = stack_config(files, "encoder", default_heads);
  w->decoder_config = stack_config(files, "decoder", default_heads);
  if (w->encoder_config.layers == 0 || w->decoder_config.layers == 0)
    fail(TRD_INVALID_MODEL, files.directory + "/model.bin: no encoder or decoder layers (expected "
                            "'encoder/layer_0/...' and 'decoder/layer_0/...')");

  Builder b(files, *w);
  const std::string enc_emb = files.find("encoder/embeddings_0/weight") ? "encoder/embeddings_0" : "encoder/embeddings";
  {
    const Tensor& t = b.get(enc_emb + "/weight");
    if (t.shape.size() != 2) invalid(files, enc_emb + "/weight", "is not a matrix");
    w->d_model = t.shape[1];
  }
  const int64_t d = w->d_model;
  w->ffn = b.get("encoder/layer_0/ffn/linear_0/weight").shape.at(0);
  for (const StackConfig* c : {&w->encoder_config, &w->decoder_config})
    if (c->heads <= 0 || d % c->heads != 0)
      fail(TRD_INVALID_MODEL, files.directory + "/model.bin: " + std::to_string(c->heads) +
                                  " heads do not divide d_model " + std::to_string(d));

  auto embeddings = [&](const std::string& scope, const std::string& emb_scope) {
    EmbeddingWeights e;
    e.table = b.matrix(emb_scope + "/weight", -1, d);
    e.scale = embedding_scale(files, scope, emb_scope, d);
    if (const Tensor* p = b.find(scope + "/position_encodings/encodings")) {
      if (p->shape.size() != 2 || p->shape[1] != d)
        invalid(files, scope + "/position_encodings/encodings", "does not have d_model columns");
      e.position_rows = p->shape[0];
      e.positions = b.vector(scope + "/position_encodings/encodings", p->numel());
    }
    if (b.find(scope + "/layernorm_embedding/gamma")) {
      e.has_layernorm = true;
      e.layernorm = b.layer_norm(scope + "/layernorm_embedding", d);
    }
    return e;
  };
  w->encoder_embeddings = embeddings("encoder", enc_emb);
  w->decoder_embeddings = embeddings("decoder", "decoder/embeddings");

  auto ffn = [&](const std::string& scope) {
    FeedForwardWeights f;
    f.norm = b.layer_norm(scope + "/layer_norm", d);
    f.inner = b.dense(scope + "/linear_0", -1, d);
    f.outer = b.dense(scope + "/linear_1", d, f.inner.out());
    return f;
  };
  for (int64_t i = 0; i < w->encoder_config.layers; ++i) {
    const std::string s = "encoder/layer_" + std::to_string(i);
    EncoderLayerWeights l;
    l.self_attention.norm = b.layer_norm(s + "/self_attention/layer_norm", d);
    l.self_attention.qkv = b.dense(s + "/self_attention/linear_0", 3 * d, d);
    l.self_attention.out = b.dense(s + "/self_attention/linear_1", d, d);
    l.ffn = ffn(s + "/ffn");
    w->encoder_layers.push_back(std::move(l));
  }
  for (int64_t i = 0; i < w->decoder_config.layers; ++i) {
    const std::string s = "decoder/layer_" + std::to_string(i);
    DecoderLayerWeights l;
    l.self_attention.norm = b.layer_norm(s + "/self_attention/layer_norm", d);
    l.self_attention.qkv = b.dense(s + "/self_attention/linear_0", 3 * d, d);
    l.self_attention.out = b.dense(s + "/self_attention/linear_1", d, d);
    l.cross_attention.norm = b.layer_norm(s + "/attention/layer_norm", d);
    l.cross_attention.qkv = b.dense(s + "/attention/linear_0", d, d);
    l.cross_attention.kv = b.dense(s + "/attention/linear_1", 2 * d, d);
    l.cross_attention.out = b.dense(s + "/attention/linear_2", d, d);
    l.ffn = ffn(s + "/ffn");
    w->decoder_layers.push_back(std::move(l));
  }
  if (w->encoder_config.has_final_norm) w->encoder_norm = b.layer_norm("encoder/layer_norm", d);
  if (w->decoder_config.has_final_norm) w->decoder_norm = b.layer_norm("decoder/layer_norm", d);
  w->projection = b.dense("decoder/projection", -1, d, /*bias_required=*/false);
  if (files.target_vocabulary && static_cast<int64_t>(files.target_vocabulary->size()) != w->projection.out())
    fail(TRD_INVALID_MODEL, files.directory + ": the target vocabulary has " +
                                std::to_string(files.target_vocabulary->size()) + " tokens but 'decoder/projection/weight' has " +
                                std::to_string(w->projection.out()) + " rows");
  return w;
}

}  // namespace trd::layers

#include "layers/transformer.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

#include "common/error.h"
#include "kernels/gemm.h"
#include "kernels/ops.h"

namespace trd::layers {
namespace {

void layer_norm(const LayerNorm& n, const float* x, float* y, int64_t rows, int64_t d, float eps) {
  kernels::layer_norm(x, n.gamma.data(), n.beta.data(), y, rows, d, eps);
}

void add_into(float* x, const float* y, int64_t size) {
  for (int64_t i = 0; i < size; ++i) x[i] += y[i];
}

// One query row against `keys` rows: softmax(alpha * q.k) . v, for one head of width dh.
// Keys/values are rows of stride `stride`; `scores` has room for `count` entries.
void attend(const float* q, const float* keys, const float* values, int64_t stride, int64_t count, int64_t dh,
            float alpha, float* scores, float* out) {
  for (int64_t j = 0; j < count; ++j) scores[j] = kernels::dot(q, keys + j * stride, dh) * alpha;
  kernels::softmax(scores, count, count);
  std::fill(out, out + dh, 0.f);
  for (int64_t j = 0; j < count; ++j) kernels::axpy(scores[j], values + j * stride, out, dh);
}

// CTranslate2's built-in sinusoidal table (common.cc:L204-243): 1-based positions,
// timescale increment ln(10000) / (depth/2 - 1), [sin | cos].
void sinusoid_row(int64_t position, int64_t depth, float* out) {
  const int64_t half = depth / 2;
  const float increment = std::log(10000.f) / static_cast<float>(half - 1);
  const float pos = static_cast<float>(position + 1);
  for (int64_t i = 0; i < half; ++i) {
    const float scaled = pos * std::exp(static_cast<float>(i) * -increment);
    out[i] = std::sin(scaled);
    out[half + i] = std::cos(scaled);
  }
}

template <typename T>
T* sized(std::vector<T>& v, int64_t size) {
  if (static_cast<int64_t>(v.size()) < size) v.resize(static_cast<size_t>(size));
  return v.data();
}

}  // namespace

TransformerRunner::TransformerRunner(std::shared_ptr<const TransformerWeights> weights)
    : weights_(std::move(weights)), d_(weights_->d_model) {
  memory_kv_.resize(weights_->decoder_layers.size());
  cache_.resize(weights_->decoder_layers.size());
  cache_swap_.resize(weights_->decoder_layers.size());
}

void TransformerRunner::dense(const Dense& layer, const float* x, int64_t rows, float* y,
                              std::optional<kernels::Activation> activation, const float* residual) {
  const Matrix& w = *layer.weight;
  const int64_t n = w.rows, k = w.depth;
  const float* bias = layer.bias.empty() ? nullptr : layer.bias.data();
  const bool apply = activation.has_value();
  const auto act = activation.value_or(kernels::Activation::ReLU);
  if (w.quantized) {
    int8_t* q = sized(q8_, rows * k);
    float* sx = sized(qscales_, rows);
    int32_t* c = sized(c32_, rows * n);
    kernels::quantize_rows(x, rows, k, q, sx, weights_->round_quantization);
    kernels::gemm_s8s8s32_nt(q, w.qvalues.data(), w.compensation.data(), c, rows, n, k);
    kernels::dequantize_gemm_output(c, sx, w.scales.data(), bias, apply, act, y, rows, n);
  } else {
    kernels::gemm_f32_nt(x, k, w.values.data(), k, y, n, rows, n, k);
    kernels::add_bias_activation(y, bias, apply, act, rows, n);
  }
  if (residual) add_into(y, residual, rows * n);
}

void TransformerRunner::embed(const EmbeddingWeights& e, const int32_t* ids, const int64_t* positions, int64_t rows,
                              float* x) {
  const Matrix& table = *e.table;
  for (int64_t r = 0; r < rows; ++r) {
    const int32_t id = ids[r];
    if (id < 0 || id >= table.rows)
      fail(TRD_INVALID_ARGUMENT, "token id " + std::to_string(id) + " is outside the embedding table");
    float* xr = x + r * d_;
    if (table.quantized)
      kernels::dequantize_row(table.qvalues.data() + id * d_, table.scales[id], xr, d_);
    else
      std::memcpy(xr, table.values.data() + id * d_, static_cast<size_t>(d_) * 4);
    if (e.scale != 1.0f)
      for (int64_t i = 0; i < d_; ++i) xr[i] *= e.scale;
    const int64_t p = positions[r];
    if (!e.positions.empty()) {
      if (p >= e.position_rows)
        fail(TRD_INVALID_ARGUMENT, "No position encodings are defined for positions >= " +
                                       std::to_string(e.position_rows) + ", but got position " + std::to_string(p) +
                                       " (input or decoding length too long for this model)");
      add_into(xr, e.positions.data() + p * d_, d_);
    } else {
      float* row = sized(scores_, d_);
      sinusoid_row(p, d_, row);
      add_into(xr, row, d_);
    }
  }
  if (e.has_layernorm) layer_norm(e.layernorm, x, x, rows, d_, weights_->epsilon);
}

void TransformerRunner::encode(const std::vector<std::vector<int32_t>>& sources) {
  const auto& w = *weights_;
  const int64_t d = d_;
  const StackConfig& cfg = w.encoder_config;
  const int64_t heads = cfg.heads, dh = d / heads;
  const float alpha = 1.f / std::sqrt(static_cast<float>(dh));

  source_offsets_.clear();
  source_lengths_.clear();
  std::vector<int32_t> ids;
  int64_t total = 0, longest = 0;
  for (const auto& s : sources) {
    if (s.empty()) fail(TRD_INTERNAL, "encode() received an empty source");
    source_offsets_.push_back(total);
    source_lengths_.push_back(static_cast<int64_t>(s.size()));
    total += static_cast<int64_t>(s.size());
    longest = std::max<int64_t>(longest, static_cast<int64_t>(s.size()));
    ids.insert(ids.end(), s.begin(), s.end());
  }
  int64_t* pos = sized(positions_, total);
  for (size_t b = 0; b < sources.size(); ++b)
    for (int64_t i = 0; i < source_lengths_[b]; ++i) pos[source_offsets_[b] + i] = i;

  float* x = sized(x_, total * d);
  float* h = sized(h_, total * std::max(d, w.ffn));
  float* qkv = sized(qkv_, total * 3 * d);
  float* ctx = sized(ctx_, total * d);
  float* inner = sized(inner_, total * w.ffn);
  embed(w.encoder_embeddings, ids.data(), pos, total, x);

  const int64_t batch = static_cast<int64_t>(sources.size());
  for (const auto& layer : w.encoder_layers) {
    const auto& sa = layer.self_attention;
    const float* in = x;
    if (cfg.pre_norm) {
      layer_norm(sa.norm, x, h, total, d, w.epsilon);
      in = h;
    }
    dense(sa.qkv, in, total, qkv);
#pragma omp parallel
    {
      thread_local std::vector<float> scores;
      float* sc = sized(scores, longest);
#pragma omp for collapse(2) schedule(static)
      for (int64_t b = 0; b < batch; ++b)
        for (int64_t hd = 0; hd < heads; ++hd) {
          const int64_t off = source_offsets_[b], len = source_lengths_[b];
          for (int64_t i = 0; i < len; ++i)
            attend(qkv + (off + i) * 3 * d + hd * dh, qkv + off * 3 * d + d + hd * dh,
                   qkv + off * 3 * d + 2 * d + hd * dh, 3 * d, len, dh, alpha, sc, ctx + (off + i) * d + hd * dh);
        }
    }
    dense(sa.out, ctx, total, h, std::nullopt, x);
    std::memcpy(x, h, static_cast<size_t>(total * d) * 4);
    if (!cfg.pre_norm) layer_norm(sa.norm, x, x, total, d, w.epsilon);

    const auto& f = layer.ffn;
    in = x;
    if (cfg.pre_norm) {
      layer_norm(f.norm, x, h, total, d, w.epsilon);
      in = h;
    }
    dense(f.inner, in, total, inner, cfg.activation);
    dense(f.outer, inner, total, h, std::nullopt, x);
    std::memcpy(x, h, static_cast<size_t>(total * d) * 4);
    if (!cfg.pre_norm) layer_norm(f.norm, x, x, total, d, w.epsilon);
  }
  if (cfg.has_final_norm) layer_norm(w.encoder_norm, x, x, total, d, w.epsilon);

  for (size_t l = 0; l < w.decoder_layers.size(); ++l) {
    memory_kv_[l].resize(static_cast<size_t>(total * 2 * d));
    dense(w.decoder_layers[l].cross_attention.kv, x, total, memory_kv_[l].data());
  }
  cache_used_steps_ = 0;
  cache_used_hyps_ = 0;
}

void TransformerRunner::ensure_cache(int64_t hyps, int64_t steps) {
  if (hyps <= cache_hyps_ && steps <= cache_steps_) return;
  const int64_t new_hyps = std::max(hyps, cache_hyps_);
  const int64_t new_steps = std::max<int64_t>(steps, std::max<int64_t>(cache_steps_ * 2, 32));
  const int64_t row = 2 * d_;
  for (size_t l = 0; l < cache_.size(); ++l) {
    std::vector<float> grown(static_cast<size_t>(new_hyps * new_steps * row));
    for (int64_t i = 0; i < cache_used_hyps_; ++i)
      std::memcpy(grown.data() + i * new_steps * row, cache_[l].data() + i * cache_steps_ * row,
                  static_cast<size_t>(cache_used_steps_ * row) * 4);
    cache_[l] = std::move(grown);
    cache_swap_[l].assign(static_cast<size_t>(new_hyps * new_steps * row), 0.f);
  }
  cache_hyps_ = new_hyps;
  cache_steps_ = new_steps;
}

void TransformerRunner::reorder(const std::vector<int32_t>& origin) {
  const int64_t n = static_cast<int64_t>(origin.size());
  bool identity = n <= cache_used_hyps_;
  for (int64_t i = 0; identity && i < n; ++i) identity = origin[i] == i;
  if (!identity) {
    ensure_cache(n, cache_used_steps_);
    const int64_t row = 2 * d_;
    for (size_t l = 0; l < cache_.size(); ++l) {
      for (int64_t i = 0; i < n; ++i)
        std::memcpy(cache_swap_[l].data() + i * cache_steps_ * row, cache_[l].data() + origin[i] * cache_steps_ * row,
                    static_cast<size_t>(cache_used_steps_ * row) * 4);
      std::swap(cache_[l], cache_swap_[l]);
    }
  }
  cache_used_hyps_ = n;
}

void TransformerRunner::step(int64_t step, const std::vector<int32_t>& tokens, const std::vector<int32_t>& sentences,
                             float* logits) {
  const auto& w = *weights_;
  const int64_t d = d_, n = static_cast<int64_t>(tokens.size());
  const StackConfig& cfg = w.decoder_config;
  const int64_t heads = cfg.heads, dh = d / heads;
  const float alpha = 1.f / std::sqrt(static_cast<float>(dh));
  if (step != cache_used_steps_) fail(TRD_INTERNAL, "decoder steps must be consecutive");
  if (step > 0 && n != cache_used_hyps_) fail(TRD_INTERNAL, "decoder step without a matching reorder");
  ensure_cache(n, step + 1);

  int64_t* pos = sized(positions_, n);
  std::fill(pos, pos + n, step);
  float* x = sized(x_, n * d);
  float* h = sized(h_, n * std::max(d, w.ffn));
  float* qkv = sized(qkv_, n * 3 * d);
  float* ctx = sized(ctx_, n * d);
  float* inner = sized(inner_, n * w.ffn);
  embed(w.decoder_embeddings, tokens.data(), pos, n, x);
  int64_t longest_source = 0;
  for (int64_t len : source_lengths_) longest_source = std::max(longest_source, len);
  const int64_t row = 2 * d;

  for (size_t l = 0; l < w.decoder_layers.size(); ++l) {
    const auto& layer = w.decoder_layers[l];
    // Self-attention over every cached position (no mask: steps are fed one at a time).
    const auto& sa = layer.self_attention;
    const float* in = x;
    if (cfg.pre_norm) {
      layer_norm(sa.norm, x, h, n, d, w.epsilon);
      in = h;
    }
    dense(sa.qkv, in, n, qkv);
    float* cache = cache_[l].data();
    for (int64_t i = 0; i < n; ++i)
      std::memcpy(cache + (i * cache_steps_ + step) * row, qkv + i * 3 * d + d, static_cast<size_t>(row) * 4);
#pragma omp parallel
    {
      thread_local std::vector<float> scores;
      float* sc = sized(scores, std::max(step + 1, longest_source));
#pragma omp for collapse(2) schedule(static)
      for (int64_t i = 0; i < n; ++i)
        for (int64_t hd = 0; hd < heads; ++hd) {
          const float* base = cache + i * cache_steps_ * row;
          attend(qkv + i * 3 * d + hd * dh, base + hd * dh, base + d + hd * dh, row, step + 1, dh, alpha, sc,
                 ctx + i * d + hd * dh);
        }
    }
    dense(sa.out, ctx, n, h, std::nullopt, x);
    std::memcpy(x, h, static_cast<size_t>(n * d) * 4);
    if (!cfg.pre_norm) layer_norm(sa.norm, x, x, n, d, w.epsilon);

    // Cross-attention against the sentence's cached encoder keys/values.
    const auto& ca = layer.cross_attention;
    in = x;
    if (cfg.pre_norm) {
      layer_norm(ca.norm, x, h, n, d, w.epsilon);
      in = h;
    }
    dense(ca.qkv, in, n, qkv);
    const float* memory = memory_kv_[l].data();
#pragma omp parallel
    {
      thread_local std::vector<float> scores;
      float* sc = sized(scores, std::max(step + 1, longest_source));
#pragma omp for collapse(2) schedule(static)
      for (int64_t i = 0; i < n; ++i)
        for (int64_t hd = 0; hd < heads; ++hd) {
          const int64_t s = sentences[i];
          const float* base = memory + source_offsets_[s] * row;
          attend(qkv + i * d + hd * dh, base + hd * dh, base + d + hd * dh, row, source_lengths_[s], dh, alpha, sc,
                 ctx + i * d + hd * dh);
        }
    }
    dense(ca.out, ctx, n, h, std::nullopt, x);
    std::memcpy(x, h, static_cast<size_t>(n * d) * 4);
    if (!cfg.pre_norm) layer_norm(ca.norm, x, x, n, d, w.epsilon);

    const auto& f = layer.ffn;
    in = x;
    if (cfg.pre_norm) {
      layer_norm(f.norm, x, h, n, d, w.epsilon);
      in = h;
    }
    dense(f.inner, in, n, inner, cfg.activation);
    dense(f.outer, inner, n, h, std::nullopt, x);
    std::memcpy(x, h, static_cast<size_t>(n * d) * 4);
    if (!cfg.pre_norm) layer_norm(f.norm, x, x, n, d, w.epsilon);
  }
  if (cfg.has_final_norm) layer_norm(w.decoder_norm, x, x, n, d, w.epsilon);
  dense(w.projection, x, n, logits);
  cache_used_steps_ = step + 1;
  cache_used_hyps_ = n;
}

}  // namespace trd::layers

#include "layers/transformer.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <immintrin.h>
#include <string>
#include <utility>

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

const bool kHaveAvx2Fma = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");

// Lanes [0, n) of a vector (n <= 8) for masked loads and stores: masked-off lanes are not
// accessed, so a block may end where the data does.
__attribute__((target("avx2"))) inline __m256i lane_mask(int64_t n) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

// Attention keys are stored transposed (K^T: row k holds component k of every key), so the scores
// of 8 keys are one vector FMA chain over k. Each lane is still one in-order FMA chain from 0, the
// arithmetic of a GEMM inner product, so the scores are bit-identical to a per-key dot product.
// Up to kVectors blocks of 8 keys run side by side (independent chains hide the FMA latency); the
// last block holds `last` keys (1..8), masked.
template <int kVectors>
__attribute__((target("avx2,fma"))) inline void scores_block(const float* q, const float* kt, int64_t ldk,
                                                             int64_t dh, float alpha, int64_t last, float* scores) {
  const __m256i mask = lane_mask(last);
  __m256 acc[kVectors];
  for (int u = 0; u < kVectors; ++u) acc[u] = _mm256_setzero_ps();
  for (int64_t k = 0; k < dh; ++k) {
    const __m256 qk = _mm256_set1_ps(q[k]);
    const float* row = kt + k * ldk;
    for (int u = 0; u + 1 < kVectors; ++u) acc[u] = _mm256_fmadd_ps(qk, _mm256_loadu_ps(row + 8 * u), acc[u]);
    acc[kVectors - 1] = _mm256_fmadd_ps(qk, _mm256_maskload_ps(row + 8 * (kVectors - 1), mask), acc[kVectors - 1]);
  }
  const __m256 va = _mm256_set1_ps(alpha);
  for (int u = 0; u + 1 < kVectors; ++u) _mm256_storeu_ps(scores + 8 * u, _mm256_mul_ps(acc[u], va));
  _mm256_maskstore_ps(scores + 8 * (kVectors - 1), mask, _mm256_mul_ps(acc[kVectors - 1], va));
}

__attribute__((target("avx2,fma"))) void scores_avx2(const float* q, const float* kt, int64_t ldk, int64_t count,
                                                     int64_t dh, float alpha, float* scores) {
  for (int64_t j = 0; j < count; j += 32) {
    const int64_t n = std::min<int64_t>(32, count - j), last = n - (n - 1) / 8 * 8;
    switch ((n + 7) / 8) {
      case 4: scores_block<4>(q, kt + j, ldk, dh, alpha, last, scores + j); break;
      case 3: scores_block<3>(q, kt + j, ldk, dh, alpha, last, scores + j); break;
      case 2: scores_block<2>(q, kt + j, ldk, dh, alpha, last, scores + j); break;
      default: scores_block<1>(q, kt + j, ldk, dh, alpha, last, scores + j); break;
    }
  }
}

// out[c] = sum_j p[j] * v[j][c] for kVectors blocks of 8 components side by side, each lane
// accumulated over j in order with FMA (an axpy per key).
template <int kVectors>
__attribute__((target("avx2,fma"))) inline void weighted_sum_block(const float* p, const float* v, int64_t ldv,
                                                                   int64_t count, float* out) {
  __m256 acc[kVectors];
  for (int u = 0; u < kVectors; ++u) acc[u] = _mm256_setzero_ps();
  for (int64_t j = 0; j < count; ++j) {
    const __m256 pj = _mm256_set1_ps(p[j]);
    const float* row = v + j * ldv;
    for (int u = 0; u < kVectors; ++u) acc[u] = _mm256_fmadd_ps(pj, _mm256_loadu_ps(row + 8 * u), acc[u]);
  }
  for (int u = 0; u < kVectors; ++u) _mm256_storeu_ps(out + 8 * u, acc[u]);
}

// Eight chains per block: two FMAs issue per cycle with a 4-cycle latency, so a head of 64
// components runs at throughput where blocks of 32 waited on latency.
__attribute__((target("avx2,fma"))) void weighted_sum_avx2(const float* p, const float* v, int64_t ldv,
                                                           int64_t count, int64_t dh, float* out) {
  int64_t c = 0;
  for (; c + 64 <= dh; c += 64) weighted_sum_block<8>(p, v + c, ldv, count, out + c);
  for (; c + 32 <= dh; c += 32) weighted_sum_block<4>(p, v + c, ldv, count, out + c);
  for (; c + 8 <= dh; c += 8) weighted_sum_block<1>(p, v + c, ldv, count, out + c);
  for (; c < dh; ++c) {
    float sum = 0.f;
    for (int64_t j = 0; j < count; ++j) sum = std::fma(p[j], v[j * ldv + c], sum);
    out[c] = sum;
  }
}

// oneDNN's small-N kernel takes products of fewer than 16 rows (a 16-lane register's width): with
// that bound the golden teacher-forced int8 log-probs are 99.5 % bit-identical, against 98.3 % with
// 8 and 72 % with 64.
ProductOrder product_order(int64_t rows) {
  if (rows <= 1) return ProductOrder::kOneRow;
  return rows < 16 ? ProductOrder::kFewRows : ProductOrder::kManyRows;
}

// One query row of one head of width dh: softmax(alpha * q.K^T) . V. `kt` is K^T (row k of stride
// `ldk` holds component k of every key); values are rows of stride `ldv`; `scores` has room for
// `count` entries.
void attend(const float* q, const float* kt, int64_t ldk, const float* values, int64_t ldv, int64_t count,
            int64_t dh, float alpha, float* scores, float* out, ProductOrder order) {
  if (order == ProductOrder::kOneRow) {
    kernels::query_scores(q, kt, ldk, count, dh, alpha, scores);
  } else if (order == ProductOrder::kFewRows) {
    kernels::query_scores_grouped(q, kt, ldk, count, dh, alpha, scores);
  } else if (kHaveAvx2Fma) {
    scores_avx2(q, kt, ldk, count, dh, alpha, scores);
  } else {
    for (int64_t j = 0; j < count; ++j) {
      float sum = 0.f;
      for (int64_t k = 0; k < dh; ++k) sum = std::fma(q[k], kt[k * ldk + j], sum);
      scores[j] = sum * alpha;
    }
  }
  kernels::softmax(scores, count, count);
  if (kHaveAvx2Fma) {
    weighted_sum_avx2(scores, values, ldv, count, dh, out);
    return;
  }
  std::fill(out, out + dh, 0.f);
  for (int64_t j = 0; j < count; ++j) kernels::axpy(scores[j], values + j * ldv, out, dh);
}

// K^T of `len` key rows (stride `ld`, d wide) into `kt`, head by head: head h occupies rows
// [h*dh, (h+1)*dh) of a [d, len] block, so its K^T has row stride len.
void transpose_keys(const float* keys, int64_t ld, int64_t len, int64_t d, float* kt) {
  for (int64_t j = 0; j < len; ++j)
    for (int64_t r = 0; r < d; ++r) kt[r * len + j] = keys[j * ld + r];
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
  const size_t layers = weights_->decoder_layers.size();
  memory_kv_.resize(layers);
  memory_kt_.resize(layers);
  cache_kt_.resize(layers);
  cache_v_.resize(layers);
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
    kernels::quantize_rows(x, rows, k, q, sx, weights_->round_quantization);
    if (w.packed) {
      // Dequantize (and the residual) per column tile on the thread that computed it: no [rows, n]
      // int32 buffer, no serial pass after the product. Element-wise, so bit-identical.
      const float* sw = w.scales.data();
      kernels::gemm_s8s8s32_packed(q, rows, w.packed_values, [&](int64_t j0, int64_t cols, const int32_t* c,
                                                                 int64_t ldc) {
        for (int64_t i = 0; i < rows; ++i) {
          float* yi = y + i * n + j0;
          kernels::dequantize_gemm_output(c + i * ldc, sx + i, sw + j0, bias ? bias + j0 : nullptr, apply, act, yi, 1,
                                          cols);
          if (residual) add_into(yi, residual + i * n + j0, cols);
        }
      });
      return;
    } else {
      int32_t* c = sized(c32_, rows * n);
      kernels::gemm_s8s8s32_nt(q, w.qvalues.data(), w.compensation.data(), c, rows, n, k);
      kernels::dequantize_gemm_output(c, sx, w.scales.data(), bias, apply, act, y, rows, n);
    }
  } else {
    kernels::gemm_f32_nt(x, k, w.values.data(), k, y, n, rows, n, k);
    kernels::add_bias_activation(y, bias, apply, act, rows, n);
  }
  if (residual) add_into(y, residual, rows * n);
}

// The FFN sublayer with its residual: x += FFN(LN(x)) (pre-norm) or x = LN(x + FFN(x)) (post-norm).
// `h` ([rows, d]) and `inner` ([rows, ffn]) are scratch.
void TransformerRunner::feed_forward(const FeedForwardWeights& f, const StackConfig& cfg, float* x, float* h,
                                     float* inner, int64_t rows) {
  const float eps = weights_->epsilon;
  const float* in = x;
  if (cfg.pre_norm) {
    layer_norm(f.norm, x, h, rows, d_, eps);
    in = h;
  }
  dense(f.inner, in, rows, inner, cfg.activation);
  dense(f.outer, inner, rows, h, std::nullopt, x);
  std::memcpy(x, h, static_cast<size_t>(rows * d_) * 4);
  if (!cfg.pre_norm) layer_norm(f.norm, x, x, rows, d_, eps);
}

void TransformerRunner::restrict_output(const std::vector<int32_t>& candidates) {
  if (candidates.empty()) {
    restricted_projection_.reset();
    candidates_.clear();
    return;
  }
  const Dense& full = weights_->projection;
  const Matrix& w = *full.weight;
  for (int32_t id : candidates)
    if (id < 0 || id >= w.rows) fail(TRD_INTERNAL, "vocabulary map candidate " + std::to_string(id) + " is out of range");
  candidates_ = candidates;
  const int64_t c = static_cast<int64_t>(candidates.size()), k = w.depth;
  auto m = std::make_shared<Matrix>();
  m->rows = c;
  m->depth = k;
  m->quantized = w.quantized;
  // Each candidate's logit is the same exact int32 dot product (or float GEMM row) and the same
  // per-element dequantization as in the full projection, so the values are bit-identical.
  if (w.quantized) {
    std::vector<int8_t> rows(static_cast<size_t>(c * k));
    for (int64_t j = 0; j < c; ++j) {
      const int8_t* src = w.int8_row(candidates[j], rows.data() + j * k);
      if (src != rows.data() + j * k) std::memcpy(rows.data() + j * k, src, static_cast<size_t>(k));
      m->scales.push_back(w.scales[candidates[j]]);
    }
    if (w.packed) {
      m->packed = true;
      m->packed_values = kernels::pack_s8(rows.data(), c, k);
    } else {
      m->compensation.resize(static_cast<size_t>(c));
      for (int64_t j = 0; j < c; ++j) m->compensation[j] = w.compensation[candidates[j]];
      m->qvalues = std::move(rows);
    }
  } else {
    m->values.resize(static_cast<size_t>(c * k));
    for (int64_t j = 0; j < c; ++j)
      std::memcpy(m->values.data() + j * k, w.values.data() + candidates[j] * k, static_cast<size_t>(k) * 4);
  }
  Dense restricted;
  restricted.weight = std::move(m);
  for (int32_t id : candidates)
    if (!full.bias.empty()) restricted.bias.push_back(full.bias[id]);
  restricted_projection_ = std::move(restricted);
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
      kernels::dequantize_row(table.int8_row(id, sized(row8_, d_)), table.scales[id], xr, d_);
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
  float* kt = sized(kt_, total * d);
  embed(w.encoder_embeddings, ids.data(), pos, total, x);

  const int64_t batch = static_cast<int64_t>(sources.size());
  // The encoder multiplies the padded batch: `longest` query rows per sentence and head.
  const ProductOrder encoder_order = product_order(longest);
  for (const auto& layer : w.encoder_layers) {
    const auto& sa = layer.self_attention;
    const float* in = x;
    if (cfg.pre_norm) {
      layer_norm(sa.norm, x, h, total, d, w.epsilon);
      in = h;
    }
    dense(sa.qkv, in, total, qkv);
    for (int64_t b = 0; b < batch; ++b)
      transpose_keys(qkv + source_offsets_[b] * 3 * d + d, 3 * d, source_lengths_[b], d, kt + source_offsets_[b] * d);
#pragma omp parallel
    {
      thread_local std::vector<float> scores;
      float* sc = sized(scores, longest);
#pragma omp for collapse(2) schedule(static)
      for (int64_t b = 0; b < batch; ++b)
        for (int64_t hd = 0; hd < heads; ++hd) {
          const int64_t off = source_offsets_[b], len = source_lengths_[b];
          for (int64_t i = 0; i < len; ++i)
            attend(qkv + (off + i) * 3 * d + hd * dh, kt + off * d + hd * dh * len, len,
                   qkv + off * 3 * d + 2 * d + hd * dh, 3 * d, len, dh, alpha, sc, ctx + (off + i) * d + hd * dh,
                   encoder_order);
        }
    }
    dense(sa.out, ctx, total, h, std::nullopt, x);
    std::memcpy(x, h, static_cast<size_t>(total * d) * 4);
    if (!cfg.pre_norm) layer_norm(sa.norm, x, x, total, d, w.epsilon);

    feed_forward(layer.ffn, cfg, x, h, inner, total);
  }
  if (cfg.has_final_norm) layer_norm(w.encoder_norm, x, x, total, d, w.epsilon);

  for (size_t l = 0; l < w.decoder_layers.size(); ++l) {
    memory_kv_[l].resize(static_cast<size_t>(total * 2 * d));
    dense(w.decoder_layers[l].cross_attention.kv, x, total, memory_kv_[l].data());
    // Cached once per batch: the keys transposed per sentence, as attend() reads them.
    memory_kt_[l].resize(static_cast<size_t>(total * d));
    for (int64_t b = 0; b < batch; ++b)
      transpose_keys(memory_kv_[l].data() + source_offsets_[b] * 2 * d, 2 * d, source_lengths_[b], d,
                     memory_kt_[l].data() + source_offsets_[b] * d);
  }
  cache_used_steps_ = 0;
  cache_used_hyps_ = 0;
}

void TransformerRunner::ensure_cache(int64_t hyps, int64_t steps) {
  if (hyps <= cache_hyps_ && steps <= cache_steps_) return;
  const int64_t new_hyps = std::max(hyps, cache_hyps_);
  const int64_t new_steps = std::max<int64_t>(steps, std::max<int64_t>(cache_steps_ * 2, 32));
  const int64_t d = d_;
  for (size_t l = 0; l < cache_kt_.size(); ++l) {
    std::vector<float> kt(static_cast<size_t>(new_hyps * d * new_steps));
    std::vector<float> v(static_cast<size_t>(new_hyps * new_steps * d));
    // Slots keep their index, so only the live hypotheses' slots are carried over.
    for (int64_t i = 0; i < cache_used_hyps_; ++i) {
      const int64_t s = slots_[i];
      for (int64_t r = 0; r < d; ++r)
        std::memcpy(kt.data() + (s * d + r) * new_steps, cache_kt_[l].data() + (s * d + r) * cache_steps_,
                    static_cast<size_t>(cache_used_steps_) * 4);
      std::memcpy(v.data() + s * new_steps * d, cache_v_[l].data() + s * cache_steps_ * d,
                  static_cast<size_t>(cache_used_steps_ * d) * 4);
    }
    cache_kt_[l] = std::move(kt);
    cache_v_[l] = std::move(v);
  }
  cache_hyps_ = new_hyps;
  cache_steps_ = new_steps;
}

void TransformerRunner::reorder(const std::vector<int32_t>& origin) {
  const int64_t n = static_cast<int64_t>(origin.size());
  ensure_cache(n, cache_used_steps_);
  // The first continuation of a hypothesis takes over its cache slot as is; each further one
  // gets a slot no continuation uses and a copy of the parent's entries. Beam search reorders
  // every step with most parents continued once or not at all, and greedy search only drops
  // finished rows, so far fewer (often no) cache entries are copied than by gathering every
  // hypothesis into a fresh buffer.
  std::vector<char>& taken = taken_slots_;
  std::vector<int32_t>& next = next_slots_;
  auto& copies = slot_copies_;  // (from slot, to slot)
  taken.assign(static_cast<size_t>(cache_hyps_), 0);
  next.assign(static_cast<size_t>(n), -1);
  copies.clear();
  for (int64_t i = 0; i < n; ++i) {
    const int32_t s = slots_[origin[i]];
    if (!taken[s]) {
      taken[s] = 1;
      next[i] = s;
    }
  }
  int32_t free_slot = 0;
  for (int64_t i = 0; i < n; ++i) {
    if (next[i] >= 0) continue;
    while (taken[free_slot]) ++free_slot;
    taken[free_slot] = 1;
    next[i] = free_slot;
    copies.emplace_back(slots_[origin[i]], free_slot);
  }
  if (!copies.empty()) {
    const int64_t d = d_, steps = cache_steps_, used = cache_used_steps_, count = static_cast<int64_t>(copies.size());
    const int64_t layers = static_cast<int64_t>(cache_kt_.size());
#pragma omp parallel for collapse(2) schedule(static)
    for (int64_t l = 0; l < layers; ++l)
      for (int64_t c = 0; c < count; ++c) {
        const int64_t from = copies[c].first, to = copies[c].second;
        float* kt = cache_kt_[l].data();
        float* v = cache_v_[l].data();
        for (int64_t r = 0; r < d; ++r)
          std::memcpy(kt + (to * d + r) * steps, kt + (from * d + r) * steps, static_cast<size_t>(used) * 4);
        std::memcpy(v + to * steps * d, v + from * steps * d, static_cast<size_t>(used * d) * 4);
      }
  }
  slots_.swap(next);
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
  if (step == 0) {
    slots_.resize(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) slots_[i] = static_cast<int32_t>(i);
  }

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
  // The hypotheses of one sentence share its encoder output, and CTranslate2 multiplies their
  // cross-attention queries by it at once (one row per beam hypothesis, or every scored position).
  sentence_rows_.assign(source_lengths_.size(), 0);
  for (int32_t s : sentences) ++sentence_rows_[s];

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
    float* cache_kt = cache_kt_[l].data();
    float* cache_v = cache_v_[l].data();
    const int64_t steps = cache_steps_;
    const int32_t* slot = slots_.data();
#pragma omp parallel
    {
      thread_local std::vector<float> scores;
      float* sc = sized(scores, std::max(step + 1, longest_source));
      // Each (hypothesis, head) task first stores its head's slice of the new key and value: it is
      // the only reader of that slice, and the scattered K^T stores (one cache line per
      // component) are shared by both threads instead of running serially before the region.
#pragma omp for collapse(2) schedule(static)
      for (int64_t i = 0; i < n; ++i)
        for (int64_t hd = 0; hd < heads; ++hd) {
          float* kt_head = cache_kt + (slot[i] * d + hd * dh) * steps;
          float* v_head = cache_v + slot[i] * steps * d + hd * dh;
          const float* k_new = qkv + i * 3 * d + d + hd * dh;
          for (int64_t r = 0; r < dh; ++r) kt_head[r * steps + step] = k_new[r];
          std::memcpy(v_head + step * d, qkv + i * 3 * d + 2 * d + hd * dh, static_cast<size_t>(dh) * 4);
          attend(qkv + i * 3 * d + hd * dh, kt_head, steps, v_head, d, step + 1, dh, alpha, sc, ctx + i * d + hd * dh,
                 product_order(rows_at_once_));
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
    const float* memory_kt = memory_kt_[l].data();
#pragma omp parallel
    {
      thread_local std::vector<float> scores;
      float* sc = sized(scores, std::max(step + 1, longest_source));
#pragma omp for collapse(2) schedule(static)
      for (int64_t i = 0; i < n; ++i)
        for (int64_t hd = 0; hd < heads; ++hd) {
          const int64_t s = sentences[i], off = source_offsets_[s], len = source_lengths_[s];
          attend(qkv + i * d + hd * dh, memory_kt + off * d + hd * dh * len, len, memory + off * row + d + hd * dh,
                 row, len, dh, alpha, sc, ctx + i * d + hd * dh,
                 product_order(rows_at_once_ > 0 ? rows_at_once_ : sentence_rows_[s]));
        }
    }
    dense(ca.out, ctx, n, h, std::nullopt, x);
    std::memcpy(x, h, static_cast<size_t>(n * d) * 4);
    if (!cfg.pre_norm) layer_norm(ca.norm, x, x, n, d, w.epsilon);

    feed_forward(layer.ffn, cfg, x, h, inner, n);
  }
  if (cfg.has_final_norm) layer_norm(w.decoder_norm, x, x, n, d, w.epsilon);
  if (restricted_projection_) {
    const int64_t V = w.projection.out(), c = static_cast<int64_t>(candidates_.size());
    float* small = sized(restricted_logits_, n * c);
    dense(*restricted_projection_, x, n, small);
    for (int64_t i = 0; i < n; ++i) {
      float* row = logits + i * V;
      std::fill(row, row + V, std::numeric_limits<float>::lowest());
      for (int64_t j = 0; j < c; ++j) row[candidates_[j]] = small[i * c + j];
    }
  } else {
    dense(w.projection, x, n, logits);
  }
  cache_used_steps_ = step + 1;
  cache_used_hyps_ = n;
}

}  // namespace trd::layers

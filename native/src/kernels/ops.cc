#include "kernels/ops.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <immintrin.h>
#include <limits>

// Hot kernels get an AVX2+FMA clone (hardware fma) next to the portable one.
// The golden parity of these kernels was established without implicit contraction: only the
// explicit std::fma calls fuse, in the AVX2 clones as in the portable ones.
#pragma GCC optimize("fp-contract=off")

// "arch=haswell" would dispatch on the CPU model (Intel Haswell only): AMD and later Intel parts would
// silently run the default clone, where every std::fma is a libm call. x86-64-v3 dispatches on the
// ISA level (AVX2, FMA, BMI2...).
#define KERNEL_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))

namespace trd::kernels {

float apply_activation(Activation activation, float x) {
  switch (activation) {
    case Activation::ReLU:
      return x > 0.f ? x : 0.f;
    case Activation::GELUTanh:
      return 0.5f * x * (1.f + std::tanh(0.7978845608028654f * (x + 0.044715f * x * x * x)));
    case Activation::Swish:
      return x / (1.f + std::exp(-x));
    case Activation::GELU:
      return 0.5f * x * (1.f + std::erf(x * 0.7071067811865476f));
    case Activation::GELUSigmoid:
      return x / (1.f + std::exp(-1.702f * x));
    case Activation::Tanh:
      return std::tanh(x);
    case Activation::Sigmoid:
      return 1.f / (1.f + std::exp(-x));
  }
  return x;
}

void apply_activation(Activation activation, float* x, int64_t size) {
  if (activation == Activation::ReLU) {
    for (int64_t i = 0; i < size; ++i) x[i] = x[i] > 0.f ? x[i] : 0.f;
    return;
  }
  for (int64_t i = 0; i < size; ++i) x[i] = apply_activation(activation, x[i]);
}

// CTranslate2 compiles its kernels for AVX2+FMA with -ffast-math, so its plain loops become 8-lane
// vector reductions with fused multiply-adds. These kernels follow the same lane structure and FMA
// use, because int8 decisions are sensitive to rounding-level differences before quantization.
namespace {

// The horizontal sum of an 8-lane accumulator: halves, then pairs, then the last two. This is both
// GCC's vector-reduction epilogue and CTranslate2's reduce_m256 (the golden outputs pick this order
// over the hadd one for every softmax and layer-norm sum).
inline float reduce_lanes(const float* p) {
  return ((p[0] + p[4]) + (p[2] + p[6])) + ((p[1] + p[5]) + (p[3] + p[7]));
}

}  // namespace

KERNEL_CLONES void layer_norm(const float* x, const float* gamma, const float* beta, float* y, int64_t rows,
                              int64_t depth, float epsilon) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * depth;
    float* yr = y + r * depth;
    float sums[8] = {0, 0, 0, 0, 0, 0, 0, 0}, squares[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    const int64_t depth8 = depth / 8 * 8;
    for (int64_t i = 0; i < depth8; i += 8)
      for (int j = 0; j < 8; ++j) {
        sums[j] += xr[i + j];
        squares[j] = std::fma(xr[i + j], xr[i + j], squares[j]);
      }
    float sum = depth8 ? reduce_lanes(sums) : 0.f, sum_squares = depth8 ? reduce_lanes(squares) : 0.f;
    for (int64_t i = depth8; i < depth; ++i) {
      sum += xr[i];
      sum_squares = std::fma(xr[i], xr[i], sum_squares);
    }
    const float inv_depth = 1.f / static_cast<float>(depth);
    const float mean = sum * inv_depth;
    const float variance = std::max(sum_squares * inv_depth - mean * mean, 0.f);
    const float rstd = 1.f / std::sqrt(variance + epsilon);
    // (x - mean) * (rstd * gamma) + beta: the reassociation -ffast-math makes of CTranslate2's
    // (x - mean) * rstd * gamma + beta. With the u8-shifted quantization (quantize_rows) it makes
    // 98 % of the golden int8 teacher-forced log-probs bit-identical; ((x - mean) * rstd) * gamma
    // gives 57 % / 48 % (tiny / small).
    for (int64_t i = 0; i < depth; ++i) yr[i] = std::fma(xr[i] - mean, rstd * gamma[i], beta[i]);
  }
}

// avx_mathfun's exp256_ps (the Cephes polynomial CTranslate2 uses), one lane at a time, with the
// multiply-adds contracted as GCC does under -ffast-math.
__attribute__((always_inline)) inline float exp_polynomial_inline(float x) {
  x = std::min(x, 88.3762626647949f);
  x = std::max(x, -88.3762626647949f);
  float fx = std::fma(x, 1.44269504088896341f, 0.5f);
  const float floor_fx = std::floor(fx);
  fx = floor_fx > fx ? floor_fx - 1.f : floor_fx;
  x = std::fma(-fx, 0.693359375f, x);
  x = std::fma(-fx, -2.12194440e-4f, x);
  const float z = x * x;
  float y = 1.9875691500E-4f;
  y = std::fma(y, x, 1.3981999507E-3f);
  y = std::fma(y, x, 8.3334519073E-3f);
  y = std::fma(y, x, 4.1665795894E-2f);
  y = std::fma(y, x, 1.6666665459E-1f);
  y = std::fma(y, x, 5.0000001201E-1f);
  y = std::fma(y, z, x);
  y = y + 1.f;
  const int32_t n = static_cast<int32_t>(fx) + 0x7f;
  const uint32_t bits = static_cast<uint32_t>(n) << 23;
  float pow2n;
  std::memcpy(&pow2n, &bits, 4);
  return y * pow2n;
}

float exp_polynomial(float x) { return exp_polynomial_inline(x); }

namespace {

const bool kHaveAvx2Fma = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");

// exp_polynomial on 8 lanes: the same operations in the same order, so every lane is bit-identical
// to the scalar function (fnmadd(a, b, c) = fma(-a, b, c) exactly).
__attribute__((target("avx2,fma"))) inline __m256 exp_polynomial8(__m256 x) {
  x = _mm256_min_ps(x, _mm256_set1_ps(88.3762626647949f));
  x = _mm256_max_ps(x, _mm256_set1_ps(-88.3762626647949f));
  __m256 fx = _mm256_fmadd_ps(x, _mm256_set1_ps(1.44269504088896341f), _mm256_set1_ps(0.5f));
  const __m256 floor_fx = _mm256_floor_ps(fx);
  const __m256 too_big = _mm256_cmp_ps(floor_fx, fx, _CMP_GT_OQ);
  fx = _mm256_sub_ps(floor_fx, _mm256_and_ps(too_big, _mm256_set1_ps(1.f)));
  x = _mm256_fnmadd_ps(fx, _mm256_set1_ps(0.693359375f), x);
  x = _mm256_fnmadd_ps(fx, _mm256_set1_ps(-2.12194440e-4f), x);
  const __m256 z = _mm256_mul_ps(x, x);
  __m256 y = _mm256_set1_ps(1.9875691500E-4f);
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(1.3981999507E-3f));
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(8.3334519073E-3f));
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(4.1665795894E-2f));
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(1.6666665459E-1f));
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(5.0000001201E-1f));
  y = _mm256_fmadd_ps(y, z, x);
  y = _mm256_add_ps(y, _mm256_set1_ps(1.f));
  const __m256i n = _mm256_add_epi32(_mm256_cvttps_epi32(fx), _mm256_set1_epi32(0x7f));
  return _mm256_mul_ps(y, _mm256_castsi256_ps(_mm256_slli_epi32(n, 23)));
}

// The 8-lane part of exp_sum: lane j accumulates elements j, j+8, ... exactly like `lanes[j]`.
__attribute__((target("avx2,fma"))) void exp_sum_lanes_avx2(const float* x, float max, int64_t size8, float* y,
                                                             float* lanes) {
  const __m256 m = _mm256_set1_ps(max);
  __m256 acc = _mm256_setzero_ps();
  for (int64_t i = 0; i < size8; i += 8) {
    const __m256 e = exp_polynomial8(_mm256_sub_ps(_mm256_loadu_ps(x + i), m));
    if (y) _mm256_storeu_ps(y + i, e);
    acc = _mm256_add_ps(acc, e);
  }
  _mm256_storeu_ps(lanes, acc);
}

__attribute__((target("avx2"))) float max_avx2(const float* x, int64_t size) {
  __m256 m = _mm256_set1_ps(x[0]);
  const int64_t size8 = size / 8 * 8;
  for (int64_t i = 0; i < size8; i += 8) m = _mm256_max_ps(m, _mm256_loadu_ps(x + i));
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, m);
  float best = lanes[0];
  for (int j = 1; j < 8; ++j) best = std::max(best, lanes[j]);
  for (int64_t i = size8; i < size; ++i) best = std::max(best, x[i]);
  return best;
}

__attribute__((target("avx2"))) void subtract_avx2(const float* x, float a, float* y, int64_t size) {
  const __m256 va = _mm256_set1_ps(a);
  const int64_t size8 = size / 8 * 8;
  for (int64_t i = 0; i < size8; i += 8) _mm256_storeu_ps(y + i, _mm256_sub_ps(_mm256_loadu_ps(x + i), va));
  for (int64_t i = size8; i < size; ++i) y[i] = x[i] - a;
}

// The largest value (NaN-free rows: the same value std::max_element finds).
float row_max(const float* x, int64_t size) {
  if (kHaveAvx2Fma && size >= 8) return max_avx2(x, size);
  return *std::max_element(x, x + size);
}

// sum(exp(x - max)) over `size` values, writing the exponentials to `y` when non-null.
KERNEL_CLONES float exp_sum(const float* x, float max, int64_t size, float* y) {
  // Below 8 values there is no lane structure: one running sum over the tail loop.
  const int64_t size8 = size >= 8 ? size / 8 * 8 : 0;
  float sum = 0.f;
  if (size8 > 0) {
    float lanes[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    if (kHaveAvx2Fma) {
      exp_sum_lanes_avx2(x, max, size8, y, lanes);
    } else {
      for (int64_t i = 0; i < size8; i += 8)
        for (int j = 0; j < 8; ++j) {
          const float e = exp_polynomial_inline(x[i + j] - max);
          if (y) y[i + j] = e;
          lanes[j] += e;
        }
    }
    sum = reduce_lanes(lanes);
  }
  for (int64_t i = size8; i < size; ++i) {
    const float e = exp_polynomial_inline(x[i] - max);
    if (y) y[i] = e;
    sum += e;
  }
  return sum;
}

}  // namespace

void softmax(float* x, int64_t size, int64_t valid) {
  valid = std::clamp<int64_t>(valid, 0, size);
  if (valid == 0) {
    std::fill(x, x + size, 0.f);
    return;
  }
  const float max = row_max(x, valid);
  const float sum = exp_sum(x, max, valid, x);
  const float inv = 1.f / sum;
  for (int64_t i = 0; i < valid; ++i) x[i] *= inv;
  std::fill(x + valid, x + size, 0.f);
}

void log_softmax(const float* x, float* y, int64_t size) {
  const float max = row_max(x, size);
  // One subtraction of (max + log_sum), as CTranslate2's reassociated kernel does; subtracting the
  // two in turn differs in the last bit for about half of the values.
  const float shift = max + std::log(exp_sum(x, max, size, nullptr));
  if (kHaveAvx2Fma) {
    subtract_avx2(x, shift, y, size);
    return;
  }
  for (int64_t i = 0; i < size; ++i) y[i] = x[i] - shift;
}

namespace {

__attribute__((target("avx2"))) float abs_max_avx2(const float* x, int64_t size) {
  const __m256 sign = _mm256_set1_ps(-0.f);
  __m256 m = _mm256_setzero_ps();
  const int64_t size8 = size / 8 * 8;
  for (int64_t i = 0; i < size8; i += 8) m = _mm256_max_ps(m, _mm256_andnot_ps(sign, _mm256_loadu_ps(x + i)));
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, m);
  float amax = 0.f;
  for (float v : lanes) amax = std::max(amax, v);
  for (int64_t i = size8; i < size; ++i) amax = std::max(amax, std::fabs(x[i]));
  return amax;
}

// One activation as CTranslate2 quantizes it for its u8s8 GEMM: u8 = round-or-truncate(x * scale +
// 128), one fused multiply-add, returned here as u8 - 128. The float addition of 128 rounds x * scale
// to the spacing of [128, 256) (or [64, 128)), so values within a few ulps of k + 0.5 become exact
// ties and round to even: computing round(x * scale) directly differs there, which flipped golden
// int8 decisions (bit-identical teacher-forced log-probs 91 % -> 98 %).
inline int8_t quantize_shifted(float x, float scale, bool round) {
  const float u = std::fma(x, scale, 128.f);
  return static_cast<int8_t>(static_cast<int32_t>(round ? std::nearbyint(u) : u) - 128);
}

// quantize_shifted for 32 values at a time. 1 <= u <= 255 and |u - 128| <= 127, so the saturating
// packs never saturate and equal the scalar casts.
__attribute__((target("avx2,fma"))) void quantize_row_avx2(const float* x, float scale, int8_t* q, int64_t size,
                                                           bool round) {
  const __m256 s = _mm256_set1_ps(scale), shift = _mm256_set1_ps(128.f);
  const __m256i shift_i = _mm256_set1_epi32(128);
  const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
  const int64_t size32 = size / 32 * 32;
  for (int64_t i = 0; i < size32; i += 32) {
    __m256i v[4];
    for (int j = 0; j < 4; ++j) {
      const __m256 u = _mm256_fmadd_ps(_mm256_loadu_ps(x + i + 8 * j), s, shift);
      v[j] = _mm256_sub_epi32(round ? _mm256_cvtps_epi32(u) : _mm256_cvttps_epi32(u), shift_i);
    }
    const __m256i packed = _mm256_packs_epi16(_mm256_packs_epi32(v[0], v[1]), _mm256_packs_epi32(v[2], v[3]));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(q + i), _mm256_permutevar8x32_epi32(packed, order));
  }
  for (int64_t i = size32; i < size; ++i) q[i] = quantize_shifted(x[i], scale, round);
}

__attribute__((target("avx2"))) void dequantize_row_avx2(const int32_t* c, float r, const float* sw, const float* bias,
                                                         float* y, int64_t n) {
  const __m256 vr = _mm256_set1_ps(r);
  const int64_t n8 = n / 8 * 8;
  for (int64_t j = 0; j < n8; j += 8) {
    __m256 v = _mm256_div_ps(_mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(c + j))), vr),
                             _mm256_loadu_ps(sw + j));
    if (bias) v = _mm256_add_ps(v, _mm256_loadu_ps(bias + j));
    _mm256_storeu_ps(y + j, v);
  }
  for (int64_t j = n8; j < n; ++j) y[j] = bias ? static_cast<float>(c[j]) * r / sw[j] + bias[j] : static_cast<float>(c[j]) * r / sw[j];
}

}  // namespace

void quantize_rows(const float* x, int64_t rows, int64_t depth, int8_t* q, float* scales, bool round) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * depth;
    int8_t* qr = q + r * depth;
    float amax = 0.f;
    if (kHaveAvx2Fma) {
      amax = abs_max_avx2(xr, depth);
    } else {
      for (int64_t i = 0; i < depth; ++i) amax = std::max(amax, std::fabs(xr[i]));
    }
    const float scale = amax != 0.f ? 127.f / amax : 1.f;
    scales[r] = scale;
    if (kHaveAvx2Fma) {
      quantize_row_avx2(xr, scale, qr, depth, round);
    } else {
      // nearbyint rounds half to even in the default rounding mode, like cvtps2dq.
      for (int64_t i = 0; i < depth; ++i) qr[i] = quantize_shifted(xr[i], scale, round);
    }
  }
}

void dequantize_gemm_output(const int32_t* c, const float* sx, const float* sw, const float* bias, bool apply_act,
                            Activation act, float* y, int64_t m, int64_t n) {
  for (int64_t i = 0; i < m; ++i) {
    const float r = 1.f / sx[i];
    const int32_t* ci = c + i * n;
    float* yi = y + i * n;
    if (kHaveAvx2Fma) {
      dequantize_row_avx2(ci, r, sw, bias, yi, n);
    } else if (bias) {
      for (int64_t j = 0; j < n; ++j) yi[j] = static_cast<float>(ci[j]) * r / sw[j] + bias[j];
    } else {
      for (int64_t j = 0; j < n; ++j) yi[j] = static_cast<float>(ci[j]) * r / sw[j];
    }
    if (apply_act) apply_activation(act, yi, n);
  }
}

void add_bias_activation(float* y, const float* bias, bool apply_act, Activation act, int64_t m, int64_t n) {
  for (int64_t i = 0; i < m; ++i) {
    float* yi = y + i * n;
    if (bias)
      for (int64_t j = 0; j < n; ++j) yi[j] += bias[j];
    if (apply_act) apply_activation(act, yi, n);
  }
}

void dequantize_row(const int8_t* q, float scale, float* x, int64_t depth) {
  const float r = 1.f / scale;
  for (int64_t i = 0; i < depth; ++i) x[i] = static_cast<float>(q[i]) * r;
}

// A GEMM's inner product: one fused multiply-add chain over k, in order.
namespace {

__attribute__((always_inline)) inline float dot_inline(const float* a, const float* b, int64_t size) {
  float sum = 0.f;
  for (int64_t i = 0; i < size; ++i) sum = std::fma(a[i], b[i], sum);
  return sum;
}

__attribute__((always_inline)) inline void axpy_inline(float alpha, const float* x, float* y, int64_t size) {
  for (int64_t i = 0; i < size; ++i) y[i] = std::fma(alpha, x[i], y[i]);
}

}  // namespace

KERNEL_CLONES float dot(const float* a, const float* b, int64_t size) { return dot_inline(a, b, size); }

KERNEL_CLONES void axpy(float alpha, const float* x, float* y, int64_t size) { axpy_inline(alpha, x, y, size); }

// The scores of a query against its keys, in the order oneDNN sums them for the number of query
// rows CTranslate2 multiplies at once (see query_scores and query_scores_grouped in ops.h). Each
// order has a scalar form for one key and an AVX2 form for eight keys at a time, in which
// accumulator t holds lane t of the eight keys' dot products.
namespace {

using KeyScore = float (*)(const float* q, const float* kt_column, int64_t ldk, int64_t dh);

// Keys [j, count) one at a time.
void score_keys(KeyScore score, const float* q, const float* kt, int64_t ldk, int64_t j, int64_t count,
                int64_t dh, float alpha, float* scores) {
  for (; j < count; ++j) scores[j] = score(q, kt + j, ldk, dh) * alpha;
}

// One query row (oneDNN's gemv kernel, probed bit for bit against oneDNN 2.6): lane r of 8
// accumulates components r, r + 8, ... with FMA; then ((l0+l1)+(l4+l5)) + ((l2+l3)+(l6+l7)).
float query_score(const float* q, const float* kt_column, int64_t ldk, int64_t dh) {
  float l[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  for (int64_t k = 0; k < dh; ++k) l[k % 8] = std::fma(q[k], kt_column[k * ldk], l[k % 8]);
  return ((l[0] + l[1]) + (l[4] + l[5])) + ((l[2] + l[3]) + (l[6] + l[7]));
}

__attribute__((target("avx2,fma"))) void query_scores_avx2(const float* q, const float* kt, int64_t ldk,
                                                           int64_t count, int64_t dh, float alpha, float* scores) {
  const __m256 va = _mm256_set1_ps(alpha);
  int64_t j = 0;
  for (; j + 8 <= count && dh % 8 == 0; j += 8) {
    __m256 l[8];
    for (auto& v : l) v = _mm256_setzero_ps();
    for (int64_t k = 0; k < dh; k += 8)
      for (int t = 0; t < 8; ++t)
        l[t] = _mm256_fmadd_ps(_mm256_set1_ps(q[k + t]), _mm256_loadu_ps(kt + (k + t) * ldk + j), l[t]);
    const __m256 sum = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(l[0], l[1]), _mm256_add_ps(l[4], l[5])),
                                     _mm256_add_ps(_mm256_add_ps(l[2], l[3]), _mm256_add_ps(l[6], l[7])));
    _mm256_storeu_ps(scores + j, _mm256_mul_ps(sum, va));
  }
  score_keys(query_score, q, kt, ldk, j, count, dh, alpha, scores);
}

// A few query rows (oneDNN's AVX-512 small-N kernel): 16 lanes, then halves.
float grouped_query_score(const float* q, const float* kt_column, int64_t ldk, int64_t dh) {
  float l[16] = {};
  for (int64_t k = 0; k < dh; ++k) l[k % 16] = std::fma(q[k], kt_column[k * ldk], l[k % 16]);
  float v8[8], v4[4];
  for (int t = 0; t < 8; ++t) v8[t] = l[t] + l[t + 8];
  for (int t = 0; t < 4; ++t) v4[t] = v8[t] + v8[t + 4];
  return (v4[0] + v4[2]) + (v4[1] + v4[3]);
}

__attribute__((target("avx2,fma"))) void query_scores_grouped_avx2(const float* q, const float* kt, int64_t ldk,
                                                                   int64_t count, int64_t dh, float alpha,
                                                                   float* scores) {
  const __m256 va = _mm256_set1_ps(alpha);
  int64_t j = 0;
  for (; j + 8 <= count && dh % 16 == 0; j += 8) {
    __m256 l[16];
    for (auto& v : l) v = _mm256_setzero_ps();
    for (int64_t k = 0; k < dh; k += 16)
      for (int t = 0; t < 16; ++t)
        l[t] = _mm256_fmadd_ps(_mm256_set1_ps(q[k + t]), _mm256_loadu_ps(kt + (k + t) * ldk + j), l[t]);
    __m256 v4[4];
    for (int t = 0; t < 4; ++t)
      v4[t] = _mm256_add_ps(_mm256_add_ps(l[t], l[t + 8]), _mm256_add_ps(l[t + 4], l[t + 12]));
    const __m256 sum = _mm256_add_ps(_mm256_add_ps(v4[0], v4[2]), _mm256_add_ps(v4[1], v4[3]));
    _mm256_storeu_ps(scores + j, _mm256_mul_ps(sum, va));
  }
  score_keys(grouped_query_score, q, kt, ldk, j, count, dh, alpha, scores);
}

}  // namespace

void query_scores(const float* q, const float* kt, int64_t ldk, int64_t count, int64_t dh, float alpha,
                  float* scores) {
  if (kHaveAvx2Fma) return query_scores_avx2(q, kt, ldk, count, dh, alpha, scores);
  score_keys(query_score, q, kt, ldk, 0, count, dh, alpha, scores);
}

void query_scores_grouped(const float* q, const float* kt, int64_t ldk, int64_t count, int64_t dh, float alpha,
                          float* scores) {
  if (kHaveAvx2Fma) return query_scores_grouped_avx2(q, kt, ldk, count, dh, alpha, scores);
  score_keys(grouped_query_score, q, kt, ldk, 0, count, dh, alpha, scores);
}

}  // namespace trd::kernels

#include "kernels/ops.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

// Hot kernels get an AVX2+FMA clone (hardware fma) next to the portable one.
#define KERNEL_CLONES __attribute__((target_clones("arch=haswell", "default")))

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

// GCC's epilogue for an 8-lane vector reduction: halves, then pairs, then the last two.
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
    for (int64_t i = 0; i < depth; ++i) yr[i] = std::fma((xr[i] - mean) * rstd, gamma[i], beta[i]);
  }
}

// avx_mathfun's exp256_ps (the Cephes polynomial CTranslate2 uses), one lane at a time, with the
// multiply-adds contracted as GCC does under -ffast-math.
KERNEL_CLONES float exp_polynomial(float x) {
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

namespace {

// Horizontal sum of an 8-lane accumulator with hadd, extract, hadd.
inline float reduce_add_hadd(const float* a) {
  return ((a[0] + a[1]) + (a[4] + a[5])) + ((a[2] + a[3]) + (a[6] + a[7]));
}

// sum(exp(x - max)) over `size` values, writing the exponentials to `y` when non-null.
float exp_sum(const float* x, float max, int64_t size, float* y) {
  if (size < 8) {
    float sum = 0.f;
    for (int64_t i = 0; i < size; ++i) {
      const float e = exp_polynomial(x[i] - max);
      if (y) y[i] = e;
      sum += e;
    }
    return sum;
  }
  float lanes[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  const int64_t size8 = size / 8 * 8;
  for (int64_t i = 0; i < size8; i += 8)
    for (int j = 0; j < 8; ++j) {
      const float e = exp_polynomial(x[i + j] - max);
      if (y) y[i + j] = e;
      lanes[j] += e;
    }
  float sum = reduce_add_hadd(lanes);
  for (int64_t i = size8; i < size; ++i) {
    const float e = exp_polynomial(x[i] - max);
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
  const float max = *std::max_element(x, x + valid);
  const float sum = exp_sum(x, max, valid, x);
  const float inv = 1.f / sum;
  for (int64_t i = 0; i < valid; ++i) x[i] *= inv;
  std::fill(x + valid, x + size, 0.f);
}

void log_softmax(const float* x, float* y, int64_t size) {
  const float max = *std::max_element(x, x + size);
  const float log_sum = std::log(exp_sum(x, max, size, nullptr));
  for (int64_t i = 0; i < size; ++i) y[i] = x[i] - max - log_sum;
}

void quantize_rows(const float* x, int64_t rows, int64_t depth, int8_t* q, float* scales, bool round) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * depth;
    int8_t* qr = q + r * depth;
    float amax = 0.f;
    for (int64_t i = 0; i < depth; ++i) amax = std::max(amax, std::fabs(xr[i]));
    const float scale = amax != 0.f ? 127.f / amax : 1.f;
    scales[r] = scale;
    if (round) {
      // nearbyint rounds half to even in the default rounding mode, like _MM_FROUND_TO_NEAREST_INT.
      for (int64_t i = 0; i < depth; ++i) qr[i] = static_cast<int8_t>(static_cast<int32_t>(std::nearbyint(xr[i] * scale)));
    } else {
      for (int64_t i = 0; i < depth; ++i) qr[i] = static_cast<int8_t>(static_cast<int32_t>(xr[i] * scale));
    }
  }
}

void dequantize_gemm_output(const int32_t* c, const float* sx, const float* sw, const float* bias, bool apply_act,
                            Activation act, float* y, int64_t m, int64_t n) {
  for (int64_t i = 0; i < m; ++i) {
    const float r = 1.f / sx[i];
    const int32_t* ci = c + i * n;
    float* yi = y + i * n;
    if (bias) {
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
KERNEL_CLONES float dot(const float* a, const float* b, int64_t size) {
  float sum = 0.f;
  for (int64_t i = 0; i < size; ++i) sum = std::fma(a[i], b[i], sum);
  return sum;
}

KERNEL_CLONES void axpy(float alpha, const float* x, float* y, int64_t size) {
  for (int64_t i = 0; i < size; ++i) y[i] = std::fma(alpha, x[i], y[i]);
}

}  // namespace trd::kernels

#include "kernels/ops.h"

#include <algorithm>
#include <cmath>
#include <limits>

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

void layer_norm(const float* x, const float* gamma, const float* beta, float* y, int64_t rows, int64_t depth,
                float epsilon) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * depth;
    float* yr = y + r * depth;
    float sum = 0.f, sum_squares = 0.f;
    for (int64_t i = 0; i < depth; ++i) {
      sum += xr[i];
      sum_squares += xr[i] * xr[i];
    }
    const float mean = sum / static_cast<float>(depth);
    const float variance = std::max(sum_squares / static_cast<float>(depth) - mean * mean, 0.f);
    const float rstd = 1.f / std::sqrt(variance + epsilon);
    for (int64_t i = 0; i < depth; ++i) yr[i] = (xr[i] - mean) * rstd * gamma[i] + beta[i];
  }
}

void softmax(float* x, int64_t size, int64_t valid) {
  valid = std::clamp<int64_t>(valid, 0, size);
  if (valid == 0) {
    std::fill(x, x + size, 0.f);
    return;
  }
  float max = x[0];
  for (int64_t i = 1; i < valid; ++i) max = std::max(max, x[i]);
  float sum = 0.f;
  for (int64_t i = 0; i < valid; ++i) {
    x[i] = std::exp(x[i] - max);
    sum += x[i];
  }
  const float inv = 1.f / sum;
  for (int64_t i = 0; i < valid; ++i) x[i] *= inv;
  std::fill(x + valid, x + size, 0.f);
}

void log_softmax(const float* x, float* y, int64_t size) {
  float max = x[0];
  for (int64_t i = 1; i < size; ++i) max = std::max(max, x[i]);
  float sum = 0.f;
  for (int64_t i = 0; i < size; ++i) sum += std::exp(x[i] - max);
  const float log_sum = std::log(sum);
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

float dot(const float* a, const float* b, int64_t size) {
  float partial[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  const int64_t size8 = size / 8 * 8;
  for (int64_t i = 0; i < size8; i += 8)
    for (int j = 0; j < 8; ++j) partial[j] += a[i + j] * b[i + j];
  float sum = ((partial[0] + partial[4]) + (partial[1] + partial[5])) + ((partial[2] + partial[6]) + (partial[3] + partial[7]));
  for (int64_t i = size8; i < size; ++i) sum += a[i] * b[i];
  return sum;
}

void axpy(float alpha, const float* x, float* y, int64_t size) {
  for (int64_t i = 0; i < size; ++i) y[i] += alpha * x[i];
}

}  // namespace trd::kernels

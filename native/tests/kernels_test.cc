// Kernels against naive reference implementations.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "kernels/gemm.h"
#include "kernels/ops.h"

#include <dnnl.h>

namespace trd::kernels {
namespace {

std::vector<float> random_floats(size_t n, uint32_t seed, float scale = 1.f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.f, scale);
  std::vector<float> v(n);
  for (auto& x : v) x = dist(rng);
  return v;
}

std::vector<int8_t> random_int8(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> dist(-127, 127);
  std::vector<int8_t> v(n);
  for (auto& x : v) x = static_cast<int8_t>(dist(rng));
  return v;
}

int32_t naive_dot(const int8_t* a, const int8_t* b, int64_t k) {
  int64_t sum = 0;
  for (int64_t p = 0; p < k; ++p) sum += int64_t(a[p]) * int64_t(b[p]);
  return static_cast<int32_t>(sum);
}

TEST(KernelsGemm, Float32MatchesNaiveProductWithStridesAndAlpha) {
  const int64_t m = 5, n = 13, k = 37, lda = 40, ldb = 39, ldc = 17;
  auto a = random_floats(m * lda, 1), b = random_floats(n * ldb, 2);
  std::vector<float> c(m * ldc, -7.f);
  gemm_f32_nt(a.data(), lda, b.data(), ldb, c.data(), ldc, m, n, k, 0.25f);
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      double ref = 0;
      for (int64_t p = 0; p < k; ++p) ref += double(a[i * lda + p]) * b[j * ldb + p];
      EXPECT_NEAR(c[i * ldc + j], 0.25 * ref, 1e-4) << i << "," << j;
    }
    for (int64_t j = n; j < ldc; ++j) EXPECT_EQ(c[i * ldc + j], -7.f) << "wrote past n";
  }
}

// Sizes include k not a multiple of 16, n not a multiple of 4 and the saturating extremes.
class KernelsInt8Gemm : public ::testing::TestWithParam<std::tuple<int64_t, int64_t, int64_t>> {};

TEST_P(KernelsInt8Gemm, IsExactIncludingSaturatingValues) {
  auto [m, n, k] = GetParam();
  auto a = random_int8(m * k, 3), b = random_int8(n * k, 4);
  // Rows of extremes: a vpmaddubsw-based kernel saturates here.
  for (int64_t p = 0; p < k; ++p) {
    a[p] = 127;
    b[p] = 127;
    if (n > 1) b[k + p] = -127;
  }
  std::vector<int32_t> comp(n), c(m * n), w(m * n);
  compute_compensation(b.data(), n, k, comp.data());
  gemm_s8s8s32_nt(a.data(), b.data(), comp.data(), c.data(), m, n, k);
  gemm_s8s8s32_nt_widening(a.data(), b.data(), w.data(), m, n, k);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      const int32_t ref = naive_dot(&a[i * k], &b[j * k], k);
      ASSERT_EQ(c[i * n + j], ref) << i << "," << j;
      ASSERT_EQ(w[i * n + j], ref) << i << "," << j;
    }
}

INSTANTIATE_TEST_SUITE_P(Shapes, KernelsInt8Gemm,
                         ::testing::Values(std::make_tuple(1, 1, 1), std::make_tuple(1, 64, 64),
                                           std::make_tuple(3, 7, 33), std::make_tuple(8, 130, 256),
                                           std::make_tuple(17, 9, 1024)));

TEST(KernelsInt8Gemm, CompensationIsMinus128TimesRowSum) {
  std::vector<int8_t> b = {1, -2, 3, 127, -127, 0};
  std::vector<int32_t> comp(2);
  compute_compensation(b.data(), 2, 3, comp.data());
  EXPECT_EQ(comp[0], -128 * 2);
  EXPECT_EQ(comp[1], 0);
}

TEST(KernelsOps, LayerNormMatchesTwoPassReference) {
  const int64_t rows = 3, d = 64;
  auto x = random_floats(rows * d, 5, 3.f), g = random_floats(d, 6), b = random_floats(d, 7);
  std::vector<float> y(rows * d);
  layer_norm(x.data(), g.data(), b.data(), y.data(), rows, d, 1e-5f);
  for (int64_t r = 0; r < rows; ++r) {
    double mean = 0, var = 0;
    for (int64_t i = 0; i < d; ++i) mean += x[r * d + i];
    mean /= d;
    for (int64_t i = 0; i < d; ++i) var += (x[r * d + i] - mean) * (x[r * d + i] - mean);
    var /= d;
    for (int64_t i = 0; i < d; ++i)
      EXPECT_NEAR(y[r * d + i], (x[r * d + i] - mean) / std::sqrt(var + 1e-5) * g[i] + b[i], 1e-4);
  }
}

TEST(KernelsOps, LayerNormOfAConstantRowIsBeta) {
  std::vector<float> x(8, 3.5f), g(8, 2.f), b(8, 0.25f), y(8);
  layer_norm(x.data(), g.data(), b.data(), y.data(), 1, 8, 1e-5f);
  for (float v : y) EXPECT_FLOAT_EQ(v, 0.25f);
}

TEST(KernelsOps, SoftmaxMasksPositionsBeyondValidLength) {
  std::vector<float> x = {1.f, 2.f, 3.f, 100.f, 100.f};
  softmax(x.data(), 5, 3);
  const double z = std::exp(1.) + std::exp(2.) + std::exp(3.);
  EXPECT_NEAR(x[0], std::exp(1.) / z, 1e-6);
  EXPECT_NEAR(x[2], std::exp(3.) / z, 1e-6);
  EXPECT_EQ(x[3], 0.f);
  EXPECT_EQ(x[4], 0.f);
  std::vector<float> none = {1.f, 2.f};
  softmax(none.data(), 2, 0);
  EXPECT_EQ(none[0], 0.f);
}

TEST(KernelsOps, LogSoftmaxMatchesReferenceAndHandlesLowestLogits) {
  auto x = random_floats(100, 8, 5.f);
  x[7] = std::numeric_limits<float>::lowest();
  std::vector<float> y(100);
  log_softmax(x.data(), y.data(), 100);
  double max = -1e30, sum = 0;
  for (float v : x) max = std::max<double>(max, v);
  for (float v : x) sum += std::exp(double(v) - max);
  for (int i = 0; i < 100; ++i) {
    if (i == 7) {
      EXPECT_LT(y[i], -1e30f);
      continue;
    }
    EXPECT_NEAR(y[i], x[i] - max - std::log(sum), 1e-5);
  }
}

TEST(KernelsOps, QuantizeRowsRoundsHalfToEvenAndHandlesZeroRows) {
  // amax = 127 makes the scale 1, so x * scale is x and the ties are visible.
  std::vector<float> x = {127.f, 0.5f, 1.5f, 2.5f, -0.5f, -2.5f, 0.f, 0.f, 0.f, 0.f, 0.f, 0.f};
  std::vector<int8_t> q(12);
  std::vector<float> s(2);
  quantize_rows(x.data(), 2, 6, q.data(), s.data(), true);
  EXPECT_EQ(s[0], 1.f);
  EXPECT_EQ(q[1], 0);
  EXPECT_EQ(q[2], 2);
  EXPECT_EQ(q[3], 2);
  EXPECT_EQ(q[4], 0);
  EXPECT_EQ(q[5], -2);
  EXPECT_EQ(s[1], 1.f);
  for (int i = 6; i < 12; ++i) EXPECT_EQ(q[i], 0);
  quantize_rows(x.data(), 1, 6, q.data(), s.data(), false);
  EXPECT_EQ(q[2], 1) << "binary versions < 5 truncate";
  EXPECT_EQ(q[4], -1) << "the truncated value is the shifted u8 one: floor(-0.5 + 128) - 128";
}

// CTranslate2 quantizes to u8 = round(x * scale + 128) with one fused multiply-add. The addition
// rounds a value a few ulps from k + 0.5 onto the tie, which then goes to even. These are values the
// golden small-int8 scoring cases pin down: quantizing them the other way flips a whole example.
TEST(KernelsOps, QuantizeRowsRoundsTheShiftedValueLikeCTranslate2) {
  for (int64_t depth : {6, 40}) {  // the scalar tail and the AVX2 path
    std::vector<float> x(static_cast<size_t>(depth), 0.f);
    x[0] = 127.f;  // scale 1
    x[1] = 1.49999595f;   // 129.49999595 -> 129.5 -> 130
    x[2] = -5.4999967f;   // 122.5000033 -> 122.5 -> 122
    x[3] = 2.4999f;       // far enough from the tie: 2
    std::vector<int8_t> q(x.size());
    float s = 0.f;
    quantize_rows(x.data(), 1, depth, q.data(), &s, true);
    EXPECT_EQ(q[1], 2) << depth;
    EXPECT_EQ(q[2], -6) << depth;
    EXPECT_EQ(q[3], 2) << depth;
  }
  // From golden small-int8 (encoder layer 1, FFN input): x * scale = 24.5000057 rounds to 24.
  const float amax = 0x1.50f09ep+3f, v = 0x1.04003ep+1f;
  std::vector<float> row = {amax, v};
  std::vector<int8_t> q(2);
  float s = 0.f;
  quantize_rows(row.data(), 1, 2, q.data(), &s, true);
  EXPECT_EQ(q[0], 127);
  EXPECT_EQ(q[1], 24);
}

TEST(KernelsOps, QuantizeRowsMatchesNaiveFormula) {
  auto x = random_floats(4 * 50, 9, 2.f);
  std::vector<int8_t> q(x.size());
  std::vector<float> s(4);
  quantize_rows(x.data(), 4, 50, q.data(), s.data(), true);
  for (int r = 0; r < 4; ++r) {
    float amax = 0;
    for (int i = 0; i < 50; ++i) amax = std::max(amax, std::fabs(x[r * 50 + i]));
    EXPECT_EQ(s[r], 127.f / amax);
    for (int i = 0; i < 50; ++i)
      EXPECT_EQ(q[r * 50 + i], static_cast<int8_t>(std::rint(std::fma(x[r * 50 + i], s[r], 128.f)) - 128.f));
  }
}

TEST(KernelsOps, DequantizeGemmOutputAppliesScalesBiasAndActivation) {
  std::vector<int32_t> c = {254, -254, 127, 0};
  std::vector<float> sx = {2.f, 4.f}, sw = {127.f, 0.5f}, bias = {0.5f, -1.f}, y(4);
  dequantize_gemm_output(c.data(), sx.data(), sw.data(), bias.data(), true, Activation::ReLU, y.data(), 2, 2);
  EXPECT_FLOAT_EQ(y[0], 254.f * 0.5f / 127.f + 0.5f);
  EXPECT_FLOAT_EQ(y[1], 0.f);  // -254 * 0.5 / 0.5 - 1 < 0
  EXPECT_FLOAT_EQ(y[2], 127.f * 0.25f / 127.f + 0.5f);
  EXPECT_FLOAT_EQ(y[3], 0.f);
}

TEST(KernelsOps, ActivationsMatchTheirDefinitions) {
  for (float x : {-3.f, -0.5f, 0.f, 0.7f, 2.f}) {
    EXPECT_FLOAT_EQ(apply_activation(Activation::ReLU, x), std::max(x, 0.f));
    EXPECT_NEAR(apply_activation(Activation::GELU, x), 0.5 * x * (1 + std::erf(x / std::sqrt(2.))), 1e-6);
    EXPECT_NEAR(apply_activation(Activation::GELUTanh, x),
                0.5 * x * (1 + std::tanh(std::sqrt(2 / M_PI) * (x + 0.044715 * x * x * x))), 1e-6);
    EXPECT_NEAR(apply_activation(Activation::Swish, x), x / (1 + std::exp(-x)), 1e-6);
    EXPECT_NEAR(apply_activation(Activation::Sigmoid, x), 1 / (1 + std::exp(-x)), 1e-6);
    EXPECT_NEAR(apply_activation(Activation::Tanh, x), std::tanh(x), 1e-6);
    EXPECT_NEAR(apply_activation(Activation::GELUSigmoid, x), x / (1 + std::exp(-1.702 * x)), 1e-6);
  }
}

TEST(KernelsOps, DotAndAxpyMatchNaiveLoops) {
  auto a = random_floats(37, 10), b = random_floats(37, 11);
  double ref = 0;
  for (int i = 0; i < 37; ++i) ref += double(a[i]) * b[i];
  EXPECT_NEAR(dot(a.data(), b.data(), 37), ref, 1e-5);
  std::vector<float> y = b;
  axpy(0.5f, a.data(), y.data(), 37);
  for (int i = 0; i < 37; ++i) EXPECT_FLOAT_EQ(y[i], b[i] + 0.5f * a[i]);
}

TEST(KernelsOps, DequantizeRowMultipliesByInverseScale) {
  std::vector<int8_t> q = {127, -64, 0};
  std::vector<float> x(3);
  dequantize_row(q.data(), 63.5f, x.data(), 3);
  EXPECT_FLOAT_EQ(x[0], 127.f * (1.f / 63.5f));
  EXPECT_FLOAT_EQ(x[1], -64.f * (1.f / 63.5f));
  EXPECT_EQ(x[2], 0.f);
}

}  // namespace
}  // namespace trd::kernels

// The decoding-step attention scores must be bit-identical to oneDNN's own one-row sgemm ('N', 'T',
// M = 1), the product CTranslate2 computes them with: every key count (full 8-key blocks and the
// scalar tail), both head widths of the golden models and NLLB, and a row stride wider than the
// key count (the self-attention cache).
TEST(KernelsOps, DecodingQueryScoresMatchOneDnnOneRowSgemmBitForBit) {
  std::mt19937 rng(7);
  std::normal_distribution<float> normal(0.f, 1.f);
  for (const int64_t dh : {16, 64}) {
    for (const int64_t count : {1, 7, 8, 13, 40, 257}) {
      const int64_t ldk = count + 5;
      std::vector<float> q(dh), kt(dh * ldk), keys(count * dh), expected(count), got(count);
      for (auto& v : q) v = normal(rng);
      for (auto& v : kt) v = normal(rng);
      for (int64_t j = 0; j < count; ++j)
        for (int64_t k = 0; k < dh; ++k) keys[j * dh + k] = kt[k * ldk + j];
      const float alpha = 0.125f;
      ASSERT_EQ(dnnl_sgemm('N', 'T', 1, count, dh, alpha, q.data(), dh, keys.data(), dh, 0.f, expected.data(), count),
                dnnl_success);
      trd::kernels::query_scores(q.data(), kt.data(), ldk, count, dh, alpha, got.data());
      for (int64_t j = 0; j < count; ++j)
        ASSERT_EQ(got[j], expected[j]) << "dh " << dh << ", " << count << " keys, key " << j;
    }
  }
}

// The small-N order cannot be probed against oneDNN here (this machine has no AVX-512); the golden
// data pins it (golden_test). This checks the kernel against the order written out one lane at a time.
TEST(KernelsOps, GroupedQueryScoresSumSixteenLanesThenHalve) {
  std::mt19937 rng(11);
  std::normal_distribution<float> normal(0.f, 1.f);
  for (const int64_t dh : {16, 20, 64}) {
    for (const int64_t count : {1, 8, 13, 40}) {
      const int64_t ldk = count + 3;
      std::vector<float> q(dh), kt(dh * ldk), got(count);
      for (auto& v : q) v = normal(rng);
      for (auto& v : kt) v = normal(rng);
      const float alpha = 0.25f;
      trd::kernels::query_scores_grouped(q.data(), kt.data(), ldk, count, dh, alpha, got.data());
      for (int64_t j = 0; j < count; ++j) {
        float l[16] = {};
        for (int64_t k = 0; k < dh; ++k) l[k % 16] = std::fma(q[k], kt[k * ldk + j], l[k % 16]);
        float v8[8], v4[4], v2[2];
        for (int t = 0; t < 8; ++t) v8[t] = l[t] + l[t + 8];
        for (int t = 0; t < 4; ++t) v4[t] = v8[t] + v8[t + 4];
        for (int t = 0; t < 2; ++t) v2[t] = v4[t] + v4[t + 2];
        ASSERT_EQ(got[j], (v2[0] + v2[1]) * alpha) << "dh " << dh << ", " << count << " keys, key " << j;
      }
    }
  }
}

// Element-wise and row-wise kernels with CTranslate2's CPU semantics (src/cpu/kernels.cc).
#pragma once

#include <cstdint>

namespace trd::kernels {

// CTranslate2's activation enum order (include/ctranslate2/ops/activation.h).
enum class Activation : int { ReLU = 0, GELUTanh = 1, Swish = 2, GELU = 3, GELUSigmoid = 4, Tanh = 5, Sigmoid = 6 };
constexpr int kActivationCount = 7;

float apply_activation(Activation activation, float x);
void apply_activation(Activation activation, float* x, int64_t size);

// y = (x - mean) * rsqrt(var + eps) * gamma + beta per row of `depth`, with CTranslate2's
// single-pass variance max(E[x^2] - mean^2, 0). In-place allowed (x == y).
void layer_norm(const float* x, const float* gamma, const float* beta, float* y, int64_t rows, int64_t depth,
                float epsilon);

// Softmax over the first `valid` entries of a row of `size`; the rest are set to 0.
void softmax(float* x, int64_t size, int64_t valid);

// exp(x) with the Cephes polynomial CTranslate2 vectorizes (avx_mathfun).
float exp_polynomial(float x);

// y = x - max - log(sum(exp(x - max))) over one row.
void log_softmax(const float* x, float* y, int64_t size);

// Per-row int8 quantization of activations: scale = 127 / max|row| (1 when the row is 0),
// q = round-half-to-even(fma(x, scale, 128)) - 128 (truncation instead when `round` is false, binary
// versions < 5): CTranslate2 quantizes straight to the u8 operand of its u8s8 GEMM.
void quantize_rows(const float* x, int64_t rows, int64_t depth, int8_t* q, float* scales, bool round);

// y[i, n] = act((float(c[i, n]) * (1 / sx[i])) / sw[n] + bias[n]) (bias may be null).
void dequantize_gemm_output(const int32_t* c, const float* sx, const float* sw, const float* bias,
                            bool apply_act, Activation act, float* y, int64_t m, int64_t n);

// y[i, :] += bias (bias may be null), then the activation when `apply_act`.
void add_bias_activation(float* y, const float* bias, bool apply_act, Activation act, int64_t m, int64_t n);

// x = float(q) * (1 / scale) for one embedding row.
void dequantize_row(const int8_t* q, float scale, float* x, int64_t depth);

// Sum-of-products kernel used by attention (8 interleaved partial sums, like a vectorized GEMM).
float dot(const float* a, const float* b, int64_t size);
// y += alpha * x
void axpy(float alpha, const float* x, float* y, int64_t size);

// alpha * (q . K^T) for one query row of a decoding step, summed in the order of oneDNN's one-row
// sgemm (8 lanes over the components, then ((l0+l1)+(l4+l5)) + ((l2+l3)+(l6+l7))). `kt` is K^T: row k
// (stride ldk) holds component k of all `count` keys.
void query_scores(const float* q, const float* kt, int64_t ldk, int64_t count, int64_t dh, float alpha,
                  float* scores);

// The same product for a query row that CTranslate2 computes together with other rows against the
// same keys: in beam search the hypotheses of a sentence share the encoder output, so its
// cross-attention is one GEMM with one row per hypothesis. On the reference machine oneDNN runs that
// small-N GEMM with its AVX-512 kernel: 16 lanes over the components (lane t sums components t, t+16,
// ... with fused multiply-adds), then halves: v8[t] = l[t] + l[t+8], v4[t] = v8[t] + v8[t+4],
// v2[t] = v4[t] + v4[t+2], v2[0] + v2[1]. Established on 16-component heads (the golden models).
void query_scores_grouped(const float* q, const float* kt, int64_t ldk, int64_t count, int64_t dh, float alpha,
                          float* scores);

}  // namespace trd::kernels

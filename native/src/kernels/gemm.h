// Matrix products on the CPU, in the layouts the Transformer layers use.
#pragma once

#include <cstdint>

namespace trd::kernels {

// C[m, n] = alpha * sum_k A[m, k] * B[n, k] through oneDNN's matmul. A row-major [m, k] with row
// stride lda; B row-major [n, k] (a Linear weight, used transposed) with row stride ldb; C
// row-major [m, n] with row stride ldc.
void gemm_f32_nt(const float* a, int64_t lda, const float* b, int64_t ldb, float* c, int64_t ldc, int64_t m,
                 int64_t n, int64_t k, float alpha = 1.0f);

// C[m, n] = sum_k A[m, k] * B[n, k] in exact int32 arithmetic; A, B int8 row-major and contiguous.
// `compensation` is -128 * sum_k B[n, k] (compute_compensation), as CTranslate2 precomputes at load.
//
// CTranslate2 computes this as a u8s8s32 GEMM on A + 128 plus the compensation, which is exact on
// CPUs with VNNI. Without VNNI, oneDNN's u8s8s32 kernels use vpmaddubsw, whose int16 pair sums
// saturate, so the result is no longer exact (and no longer CTranslate2's). This function therefore
// probes oneDNN once per process: it uses oneDNN's u8s8s32 path when that is exact, and otherwise an
// exact int16-widening kernel of its own.
void gemm_s8s8s32_nt(const int8_t* a, const int8_t* b, const int32_t* compensation, int32_t* c, int64_t m,
                     int64_t n, int64_t k);

// -128 * sum_k B[n, k] for every row n of B [n, k].
void compute_compensation(const int8_t* b, int64_t n, int64_t k, int32_t* compensation);

// oneDNN's u8s8s32 product (A uint8), exposed for the exactness probe and tests.
void gemm_u8s8s32_nt_onednn(const uint8_t* a, const int8_t* b, int32_t* c, int64_t m, int64_t n, int64_t k);
// The widening kernel used when oneDNN is not exact.
void gemm_s8s8s32_nt_widening(const int8_t* a, const int8_t* b, int32_t* c, int64_t m, int64_t n, int64_t k);
// True when oneDNN's u8s8s32 product is exact on this CPU (probed once).
bool onednn_int8_is_exact();

}  // namespace trd::kernels

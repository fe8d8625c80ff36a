// Matrix products on the CPU, in the layouts the Transformer layers use.
#pragma once

#include <cstdint>
#include <vector>

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

// An int8 weight [rows, depth] packed once at load for gemm_s8s8s32_packed: panels of 4 rows, the
// depth cut into chunks of 16 (zero padded), stored [panel][chunk][4 rows][16]. One chunk of a
// panel is one 64-byte line, so a product streams the weight sequentially exactly once.
struct PackedS8 {
  static constexpr int64_t kPanelRows = 4, kChunk = 16;
  int64_t rows = 0, depth = 0, chunks = 0;
  // int8 values (uint8 storage so a model.bin payload can be adopted). Panels in `data`, except a
  // last partial panel packed in place, which lives zero padded in `tail`: padding it inside
  // `data` would reallocate (and so briefly double) the largest tensor.
  std::vector<uint8_t> data, tail;
  int64_t panels() const { return (rows + kPanelRows - 1) / kPanelRows; }
  const int8_t* panel(int64_t p) const {
    const int64_t bytes = chunks * kPanelRows * kChunk;
    const auto* base = p * bytes < static_cast<int64_t>(data.size()) ? data.data() + p * bytes : tail.data();
    return reinterpret_cast<const int8_t*>(base);
  }
  // Row r, unpacked (embedding lookups read rows of the tied table).
  void unpack_row(int64_t r, int8_t* out) const;
};

PackedS8 pack_s8(const int8_t* b, int64_t rows, int64_t depth);
// The same, reusing `storage` (the row-major [rows, depth] bytes) in place when depth is a whole
// number of chunks: a panel occupies exactly the bytes of its 4 rows, so loading a model does not
// hold a second copy of its largest tensors.
PackedS8 pack_s8(std::vector<uint8_t>&& storage, int64_t rows, int64_t depth);

// True when the packed AVX2 kernel should carry the int8 products: oneDNN's u8s8s32 is not exact
// here (no VNNI) and the CPU has AVX2. Decided once per process.
bool packed_int8_preferred();

// C[m, n] = sum_k A[m, k] * B[n, k] in exact int32 arithmetic, B packed. A int8 row-major [m, k].
// Widens to int16 and uses vpmaddwd: pair sums are at most 2 * 128 * 128, so nothing saturates.
void gemm_s8s8s32_packed(const int8_t* a, int64_t m, const PackedS8& b, int32_t* c);
// Columns [col_begin, col_end) of the same product into c [m, col_end - col_begin]; col_begin is a
// multiple of PackedS8::kPanelRows. Lets a 256k-column projection be computed block by block.
void gemm_s8s8s32_packed(const int8_t* a, int64_t m, const PackedS8& b, int64_t col_begin, int64_t col_end,
                         int32_t* c);

}  // namespace trd::kernels

// Matrix products on the CPU, in the layouts the Transformer layers use.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
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

// Bytes that are either an adopted std::vector (a model.bin payload, packed in place) or a fresh
// anonymous mapping aligned to 2 MiB and backed by transparent huge pages. Move-only.
class ByteBuffer {
 public:
  ByteBuffer() = default;
  explicit ByteBuffer(std::vector<uint8_t>&& adopted);
  // `bytes` zeroed bytes starting on a 2 MiB boundary, advised MADV_HUGEPAGE before first touch.
  static ByteBuffer huge_page_aligned(size_t bytes);
  ByteBuffer(ByteBuffer&& other) noexcept;
  ByteBuffer& operator=(ByteBuffer&& other) noexcept;
  ByteBuffer(const ByteBuffer&) = delete;
  ByteBuffer& operator=(const ByteBuffer&) = delete;
  ~ByteBuffer();
  uint8_t* data() { return mapped_ ? mapped_ : adopted_.data(); }
  const uint8_t* data() const { return mapped_ ? mapped_ : adopted_.data(); }
  size_t size() const { return mapped_ ? mapped_size_ : adopted_.size(); }

 private:
  std::vector<uint8_t> adopted_;
  uint8_t* mapped_ = nullptr;
  size_t mapped_size_ = 0;
};

// Backs the whole 2 MiB pages inside [data, data + bytes) with transparent huge pages
// (MADV_HUGEPAGE, then MADV_COLLAPSE so it happens now, in place, not whenever khugepaged gets to
// it). Decoding streams every weight once per token; with 4 KiB pages this VM measured 8.5 GB/s
// for a plain read loop, with 2 MiB pages 12 GB/s (TLB misses under nested paging). Only memory
// that is already fully populated is advised, so the resident size does not grow. Best effort.
void advise_huge_pages(const void* data, size_t bytes);

// An int8 weight [rows, depth] packed once at load for gemm_s8s8s32_packed: panels of 4 rows, the
// depth cut into chunks of 16 (zero padded), stored [panel][chunk][4 rows][16]. One chunk of a
// panel is one 64-byte line, so a product streams the weight sequentially exactly once.
struct PackedS8 {
  static constexpr int64_t kPanelRows = 4, kChunk = 16;
  int64_t rows = 0, depth = 0, chunks = 0;
  // int8 values (uint8 storage so a model.bin payload can be adopted). Panels in `data`, except a
  // last partial panel packed in place, which lives zero padded in `tail`: padding it inside
  // `data` would reallocate (and so briefly double) the largest tensor.
  ByteBuffer data;
  std::vector<uint8_t> tail;
  int64_t panels() const { return (rows + kPanelRows - 1) / kPanelRows; }
  int64_t panel_bytes() const { return chunks * kPanelRows * kChunk; }
  const int8_t* panel(int64_t p) const {
    const int64_t bytes = panel_bytes();
    const auto* base = p * bytes < static_cast<int64_t>(data.size()) ? data.data() + p * bytes : tail.data();
    return reinterpret_cast<const int8_t*>(base);
  }
  // Row r, unpacked (embedding lookups read rows of the tied table).
  void unpack_row(int64_t r, int8_t* out) const;
};

// Packs a copy into huge-page-aligned memory.
PackedS8 pack_s8(const int8_t* b, int64_t rows, int64_t depth);
// The same from `storage` (the row-major [rows, depth] bytes). A large weight (the 256k-row
// embedding/projection) is packed in place when depth is a whole number of chunks: a panel occupies
// exactly the bytes of its 4 rows, so loading a model does not hold a second copy of its largest
// tensor. Smaller ones (below `in_place_from` bytes) are copied into huge-page-aligned memory and
// `storage` is released: the transient second copy is small and every whole 2 MiB page is huge.
constexpr size_t kPackInPlaceFrom = size_t{32} << 20;
PackedS8 pack_s8(std::vector<uint8_t>&& storage, int64_t rows, int64_t depth,
                 size_t in_place_from = kPackInPlaceFrom);

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

// The product handed over tile by tile instead of written to one [m, n] buffer: `epilogue(j0,
// cols, c, ldc)` receives the int32 products of every row of A with columns [j0, j0 + cols) of B
// (c[i * ldc + j] is column j0 + j of row i) and runs on the thread that computed them, inside
// the product's single parallel region. Each thread owns a contiguous range of panels, so with
// 2 threads both stream disjoint halves of the weight at once, and the epilogue (dequantize,
// bias, activation, residual) runs in parallel on data still in cache. Tiles are disjoint: the
// epilogue may write its columns of a shared output without synchronization.
using PackedEpilogue = std::function<void(int64_t j0, int64_t cols, const int32_t* c, int64_t ldc)>;
void gemm_s8s8s32_packed(const int8_t* a, int64_t m, const PackedS8& b, const PackedEpilogue& epilogue);

}  // namespace trd::kernels

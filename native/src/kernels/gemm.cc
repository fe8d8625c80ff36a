#include "kernels/gemm.h"

#include <immintrin.h>
#include <omp.h>
#include <sys/mman.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>
#include <dnnl.hpp>
#include <functional>
#include <memory>
#include <unordered_map>
#include <vector>

namespace trd::kernels {
namespace {

// oneDNN objects are created once per thread: each replica runs on its own worker thread, so the
// thread-local caches need no locking and no stream is shared between replicas.
struct ThreadContext {
  dnnl::engine engine{dnnl::engine::kind::cpu, 0};
  dnnl::stream stream{engine};
};

ThreadContext& context() {
  thread_local ThreadContext ctx;
  return ctx;
}

struct ShapeKey {
  int64_t m, n, k, lda, ldb, ldc;
  float alpha;
  int kind;
  bool operator==(const ShapeKey& o) const {
    return m == o.m && n == o.n && k == o.k && lda == o.lda && ldb == o.ldb && ldc == o.ldc && alpha == o.alpha &&
           kind == o.kind;
  }
};

struct ShapeKeyHash {
  size_t operator()(const ShapeKey& s) const {
    size_t h = std::hash<int64_t>()(s.m);
    for (int64_t v : {s.n, s.k, s.lda, s.ldb, s.ldc, static_cast<int64_t>(s.kind)})
      h = h * 1000003u ^ std::hash<int64_t>()(v);
    return h ^ std::hash<float>()(s.alpha);
  }
};

struct CachedMatmul {
  dnnl::matmul primitive;
  dnnl::memory::desc a, b, c;
};

// Primitive creation costs far more than a decoding-step product, so primitives are cached by shape;
// a decoding run sees only a handful of distinct shapes.
CachedMatmul& cached_matmul(const ShapeKey& key, dnnl::memory::data_type at, dnnl::memory::data_type bt,
                            dnnl::memory::data_type ct) {
  thread_local std::unordered_map<ShapeKey, std::unique_ptr<CachedMatmul>, ShapeKeyHash> cache;
  auto it = cache.find(key);
  if (it != cache.end()) return *it->second;
  using dims = dnnl::memory::dims;
  auto entry = std::make_unique<CachedMatmul>();
  entry->a = dnnl::memory::desc(dims{key.m, key.k}, at, dims{key.lda, 1});
  entry->b = dnnl::memory::desc(dims{key.k, key.n}, bt, dims{1, key.ldb});
  entry->c = dnnl::memory::desc(dims{key.m, key.n}, ct, dims{key.ldc, 1});
  dnnl::primitive_attr attr;
  if (key.alpha != 1.0f) attr.set_output_scales(0, {key.alpha});
  dnnl::matmul::desc desc(entry->a, entry->b, entry->c);
  dnnl::matmul::primitive_desc pd(desc, attr, context().engine);
  entry->primitive = dnnl::matmul(pd);
  return *cache.emplace(key, std::move(entry)).first->second;
}

void run(CachedMatmul& mm, const void* a, const void* b, void* c) {
  auto& ctx = context();
  dnnl::memory am(mm.a, ctx.engine, const_cast<void*>(a));
  dnnl::memory bm(mm.b, ctx.engine, const_cast<void*>(b));
  dnnl::memory cm(mm.c, ctx.engine, c);
  mm.primitive.execute(ctx.stream, {{DNNL_ARG_SRC, am}, {DNNL_ARG_WEIGHTS, bm}, {DNNL_ARG_DST, cm}});
  ctx.stream.wait();
}

// Exact s8 x s8 -> s32 for a block of 4 weight rows: widen to int16 and use vpmaddwd, whose pair
// sums (at most 2 * 128 * 128) cannot overflow int32.
__attribute__((target("avx2"))) inline int32_t hsum_epi32(__m256i v) {
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4e));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xb1));
  return _mm_cvtsi128_si32(s);
}

__attribute__((target("avx2"))) void widening_block_avx2(const int16_t* a16, int64_t m, const int16_t* b16,
                                                          int64_t rows, int64_t k, int32_t* c, int64_t ldc) {
  const int64_t k16 = k / 16 * 16;
  for (int64_t i = 0; i < m; ++i) {
    const int16_t* ar = a16 + i * k;
    __m256i acc[4] = {_mm256_setzero_si256(), _mm256_setzero_si256(), _mm256_setzero_si256(),
                      _mm256_setzero_si256()};
    for (int64_t p = 0; p < k16; p += 16) {
      const __m256i av = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(ar + p));
      for (int64_t r = 0; r < rows; ++r) {
        const __m256i bv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b16 + r * k + p));
        acc[r] = _mm256_add_epi32(acc[r], _mm256_madd_epi16(av, bv));
      }
    }
    for (int64_t r = 0; r < rows; ++r) {
      int32_t sum = hsum_epi32(acc[r]);
      for (int64_t p = k16; p < k; ++p) sum += static_cast<int32_t>(ar[p]) * static_cast<int32_t>(b16[r * k + p]);
      c[i * ldc + r] = sum;
    }
  }
}

void widening_block_generic(const int16_t* a16, int64_t m, const int16_t* b16, int64_t rows, int64_t k, int32_t* c,
                            int64_t ldc) {
  for (int64_t i = 0; i < m; ++i)
    for (int64_t r = 0; r < rows; ++r) {
      int32_t sum = 0;
      for (int64_t p = 0; p < k; ++p) sum += static_cast<int32_t>(a16[i * k + p]) * static_cast<int32_t>(b16[r * k + p]);
      c[i * ldc + r] = sum;
    }
}

bool probe_onednn_exactness() {
  // Worst case for vpmaddubsw: every pair sums to 2 * 255 * 127, above int16's range.
  const int64_t m = 2, n = 16, k = 64;
  std::vector<uint8_t> a(m * k, 255);
  std::vector<int8_t> b(n * k, 127);
  std::vector<int32_t> c(m * n, 0);
  try {
    gemm_u8s8s32_nt_onednn(a.data(), b.data(), c.data(), m, n, k);
  } catch (...) {
    return false;
  }
  for (int32_t v : c)
    if (v != 255 * 127 * k) return false;
  return true;
}

}  // namespace

void gemm_f32_nt(const float* a, int64_t lda, const float* b, int64_t ldb, float* c, int64_t ldc, int64_t m,
                 int64_t n, int64_t k, float alpha) {
  if (m == 0 || n == 0) return;
  using dt = dnnl::memory::data_type;
  ShapeKey key{m, n, k, lda, ldb, ldc, alpha, 0};
  run(cached_matmul(key, dt::f32, dt::f32, dt::f32), a, b, c);
}

void gemm_u8s8s32_nt_onednn(const uint8_t* a, const int8_t* b, int32_t* c, int64_t m, int64_t n, int64_t k) {
  if (m == 0 || n == 0) return;
  using dt = dnnl::memory::data_type;
  ShapeKey key{m, n, k, k, k, n, 1.0f, 1};
  run(cached_matmul(key, dt::u8, dt::s8, dt::s32), a, b, c);
}

void gemm_s8s8s32_nt_widening(const int8_t* a, const int8_t* b, int32_t* c, int64_t m, int64_t n, int64_t k) {
  if (m == 0 || n == 0) return;
  thread_local std::vector<int16_t> a16;
  a16.resize(static_cast<size_t>(m * k));
  for (int64_t i = 0; i < m * k; ++i) a16[i] = a[i];
  const bool avx2 = __builtin_cpu_supports("avx2");
  const int64_t blocks = (n + 3) / 4;
  const int16_t* a16p = a16.data();
#pragma omp parallel
  {
    thread_local std::vector<int16_t> b16;
    thread_local std::vector<int32_t> cblock;
    b16.resize(static_cast<size_t>(4 * k));
    cblock.resize(static_cast<size_t>(m * 4));
#pragma omp for schedule(static)
    for (int64_t blk = 0; blk < blocks; ++blk) {
      const int64_t n0 = blk * 4;
      const int64_t rows = std::min<int64_t>(4, n - n0);
      for (int64_t i = 0; i < rows * k; ++i) b16[i] = b[n0 * k + i];
      if (avx2)
        widening_block_avx2(a16p, m, b16.data(), rows, k, cblock.data(), 4);
      else
        widening_block_generic(a16p, m, b16.data(), rows, k, cblock.data(), 4);
      for (int64_t i = 0; i < m; ++i)
        for (int64_t r = 0; r < rows; ++r) c[i * n + n0 + r] = cblock[i * 4 + r];
    }
  }
}

bool onednn_int8_is_exact() {
  static const bool exact = probe_onednn_exactness();
  return exact;
}

void compute_compensation(const int8_t* b, int64_t n, int64_t k, int32_t* compensation) {
  for (int64_t j = 0; j < n; ++j) {
    int32_t sum = 0;
    for (int64_t p = 0; p < k; ++p) sum += b[j * k + p];
    compensation[j] = -128 * sum;
  }
}

void gemm_s8s8s32_nt(const int8_t* a, const int8_t* b, const int32_t* compensation, int32_t* c, int64_t m, int64_t n,
                     int64_t k) {
  if (m == 0 || n == 0) return;
  if (!onednn_int8_is_exact()) {
    gemm_s8s8s32_nt_widening(a, b, c, m, n, k);
    return;
  }
  thread_local std::vector<uint8_t> shifted;
  shifted.resize(static_cast<size_t>(m * k));
  for (int64_t i = 0; i < m * k; ++i) shifted[i] = static_cast<uint8_t>(static_cast<int32_t>(a[i]) + 128);
  gemm_u8s8s32_nt_onednn(shifted.data(), b, c, m, n, k);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) c[i * n + j] += compensation[j];
}

}  // namespace trd::kernels

namespace trd::kernels {
namespace {

constexpr int64_t kPR = PackedS8::kPanelRows, kKC = PackedS8::kChunk;
// Software prefetch distance in the weight stream. Hardware prefetchers stop at 4 KiB page
// boundaries (a panel at depth 1024 is exactly one page); 2 KiB ahead took the batch-1
// projection from 10.4 to 11.8-12.7 GB/s on one thread (kernel-bench, THP on), i.e. to the
// read-loop bandwidth. Prefetching past the end of a buffer is harmless (no fault).
constexpr int64_t kPrefetchBytes = 2048;

// The four 8-lane accumulators of one row of A against a panel, reduced together so the four
// results leave in one 128-bit store (`cols` < 4 only in a last partial panel).
__attribute__((target("avx2"))) inline void store_panel_row(__m256i a0, __m256i a1, __m256i a2, __m256i a3, int32_t* c,
                                                            int64_t cols) {
  const __m256i s = _mm256_hadd_epi32(_mm256_hadd_epi32(a0, a1), _mm256_hadd_epi32(a2, a3));
  const __m128i r = _mm_add_epi32(_mm256_castsi256_si128(s), _mm256_extracti128_si256(s, 1));
  if (cols == 4) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(c), r);
  } else {
    alignas(16) int32_t tmp[4];
    _mm_store_si128(reinterpret_cast<__m128i*>(tmp), r);
    for (int64_t j = 0; j < cols; ++j) c[j] = tmp[j];
  }
}

// acc += v in place. GCC 12 otherwise computes the sum into a fresh register and moves it back
// (or, with 12 accumulators live, spills some to the stack); pinning the accumulator keeps the
// kernels below at one vpaddd per vpmaddwd.
__attribute__((target("avx2"))) inline void accumulate(__m256i& acc, __m256i v) {
  asm("vpaddd %1, %0, %0" : "+x"(acc) : "x"(v));
}

// One row of A (int16, padded to whole chunks) against one 4-row panel: the memory-bound batch-1
// case, one 64-byte line of weight per iteration, prefetched ahead.
__attribute__((target("avx2"))) inline void panel_kernel_1row(const int16_t* a, const int8_t* panel, int64_t chunks,
                                                              int32_t* c, int64_t cols) {
  __m256i c0 = _mm256_setzero_si256(), c1 = c0, c2 = c0, c3 = c0;
  for (int64_t ch = 0; ch < chunks; ++ch) {
    const int8_t* bp = panel + ch * kPR * kKC;
    _mm_prefetch(reinterpret_cast<const char*>(bp) + kPrefetchBytes, _MM_HINT_T0);
    const __m256i x = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a + ch * kKC));
    accumulate(c0, _mm256_madd_epi16(x, _mm256_cvtepi8_epi16(_mm_load_si128(reinterpret_cast<const __m128i*>(bp)))));
    accumulate(c1, _mm256_madd_epi16(x, _mm256_cvtepi8_epi16(_mm_load_si128(reinterpret_cast<const __m128i*>(bp + 16)))));
    accumulate(c2, _mm256_madd_epi16(x, _mm256_cvtepi8_epi16(_mm_load_si128(reinterpret_cast<const __m128i*>(bp + 32)))));
    accumulate(c3, _mm256_madd_epi16(x, _mm256_cvtepi8_epi16(_mm_load_si128(reinterpret_cast<const __m128i*>(bp + 48)))));
  }
  store_panel_row(c0, c1, c2, c3, c, cols);
}

// Two rows of A against one panel: each widened weight row feeds two vpmaddwd. Written with named
// accumulators: with an array GCC added a register move per accumulator per chunk, and this
// form measured ~1.3x faster interleaved in one process (kernel-bench, m=16/64, 37 -> 48 GMAC/s).
__attribute__((target("avx2"))) inline void panel_kernel_2rows(const int16_t* a, int64_t lda, const int8_t* panel,
                                                               int64_t chunks, int32_t* c, int64_t ldc, int64_t cols,
                                                               int64_t prefetch) {
  __m256i c00 = _mm256_setzero_si256(), c01 = c00, c02 = c00, c03 = c00, c10 = c00, c11 = c00, c12 = c00, c13 = c00;
  const int16_t* a0 = a;
  const int16_t* a1 = a + lda;
  for (int64_t ch = 0; ch < chunks; ++ch) {
    const int8_t* bp = panel + ch * kPR * kKC;
    _mm_prefetch(reinterpret_cast<const char*>(bp) + prefetch, _MM_HINT_T0);
    const __m256i x0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a0 + ch * kKC));
    const __m256i x1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a1 + ch * kKC));
    __m256i b = _mm256_cvtepi8_epi16(_mm_load_si128(reinterpret_cast<const __m128i*>(bp)));
    accumulate(c00, _mm256_madd_epi16(x0, b));
    accumulate(c10, _mm256_madd_epi16(x1, b));
    b = _mm256_cvtepi8_epi16(_mm_load_si128(reinterpret_cast<const __m128i*>(bp + 16)));
    accumulate(c01, _mm256_madd_epi16(x0, b));
    accumulate(c11, _mm256_madd_epi16(x1, b));
    b = _mm256_cvtepi8_epi16(_mm_load_si128(reinterpret_cast<const __m128i*>(bp + 32)));
    accumulate(c02, _mm256_madd_epi16(x0, b));
    accumulate(c12, _mm256_madd_epi16(x1, b));
    b = _mm256_cvtepi8_epi16(_mm_load_si128(reinterpret_cast<const __m128i*>(bp + 48)));
    accumulate(c03, _mm256_madd_epi16(x0, b));
    accumulate(c13, _mm256_madd_epi16(x1, b));
  }
  store_panel_row(c00, c01, c02, c03, c, cols);
  store_panel_row(c10, c11, c12, c13, c + ldc, cols);
}

// Three rows of A against one panel: 12 accumulators, the three A vectors and one widened weight
// row fill the 16 ymm registers. With several rows the kernel is bound by vector operations
// (about 4 per cycle on Zen 3, loads and vpmovsxbw included): per chunk 3 + 4 loads/widenings,
// 12 vpmaddwd and 12 vpaddd for 192 products, against 2 + 4, 8 and 8 for 128 with two rows.
// kernel-bench, interleaved runs: m=16/64 at depth 1024, 60-61 -> 64-65 GMAC/s on one thread.
__attribute__((target("avx2"))) inline void panel_kernel_3rows(const int16_t* a, int64_t lda, const int8_t* panel,
                                                               int64_t chunks, int32_t* c, int64_t ldc, int64_t cols,
                                                               int64_t prefetch) {
  __m256i c00 = _mm256_setzero_si256(), c01 = c00, c02 = c00, c03 = c00, c10 = c00, c11 = c00, c12 = c00, c13 = c00,
          c20 = c00, c21 = c00, c22 = c00, c23 = c00;
  const int16_t* a0 = a;
  const int16_t* a1 = a + lda;
  const int16_t* a2 = a + 2 * lda;
  for (int64_t ch = 0; ch < chunks; ++ch) {
    const int8_t* bp = panel + ch * kPR * kKC;
    _mm_prefetch(reinterpret_cast<const char*>(bp) + prefetch, _MM_HINT_T0);
    const __m256i x0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a0 + ch * kKC));
    const __m256i x1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a1 + ch * kKC));
    const __m256i x2 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a2 + ch * kKC));
    __m256i b = _mm256_cvtepi8_epi16(_mm_load_si128(reinterpret_cast<const __m128i*>(bp)));
    accumulate(c00, _mm256_madd_epi16(x0, b));
    accumulate(c10, _mm256_madd_epi16(x1, b));
    accumulate(c20, _mm256_madd_epi16(x2, b));
    b = _mm256_cvtepi8_epi16(_mm_load_si128(reinterpret_cast<const __m128i*>(bp + 16)));
    accumulate(c01, _mm256_madd_epi16(x0, b));
    accumulate(c11, _mm256_madd_epi16(x1, b));
    accumulate(c21, _mm256_madd_epi16(x2, b));
    b = _mm256_cvtepi8_epi16(_mm_load_si128(reinterpret_cast<const __m128i*>(bp + 32)));
    accumulate(c02, _mm256_madd_epi16(x0, b));
    accumulate(c12, _mm256_madd_epi16(x1, b));
    accumulate(c22, _mm256_madd_epi16(x2, b));
    b = _mm256_cvtepi8_epi16(_mm_load_si128(reinterpret_cast<const __m128i*>(bp + 48)));
    accumulate(c03, _mm256_madd_epi16(x0, b));
    accumulate(c13, _mm256_madd_epi16(x1, b));
    accumulate(c23, _mm256_madd_epi16(x2, b));
  }
  store_panel_row(c00, c01, c02, c03, c, cols);
  store_panel_row(c10, c11, c12, c13, c + ldc, cols);
  store_panel_row(c20, c21, c22, c23, c + 2 * ldc, cols);
}

void panel_generic(const int16_t* a, int64_t lda, int64_t rows, const int8_t* panel, int64_t chunks, int32_t* c,
                   int64_t ldc, int64_t cols) {
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j) {
      int32_t sum = 0;
      for (int64_t ch = 0; ch < chunks; ++ch)
        for (int64_t p = 0; p < kKC; ++p)
          sum += static_cast<int32_t>(a[i * lda + ch * kKC + p]) * panel[(ch * kPR + j) * kKC + p];
      c[i * ldc + j] = sum;
    }
}

}  // namespace

void advise_huge_pages(const void* data, size_t bytes) {
#if defined(MADV_HUGEPAGE)
  constexpr uintptr_t kHuge = uintptr_t{2} << 20;
  const uintptr_t begin = (reinterpret_cast<uintptr_t>(data) + kHuge - 1) & ~(kHuge - 1);
  const uintptr_t end = (reinterpret_cast<uintptr_t>(data) + bytes) & ~(kHuge - 1);
  if (end <= begin) return;
  void* p = reinterpret_cast<void*>(begin);
  // Failures are harmless (older kernels, THP disabled): the pages simply stay 4 KiB.
  if (madvise(p, end - begin, MADV_HUGEPAGE) != 0) return;
#if defined(MADV_COLLAPSE)
  madvise(p, end - begin, MADV_COLLAPSE);
#else
  madvise(p, end - begin, 25 /* MADV_COLLAPSE, Linux >= 6.1 */);
#endif
#endif
}

void PackedS8::unpack_row(int64_t r, int8_t* out) const {
  const int8_t* panel = this->panel(r / kPR) + (r % kPR) * kKC;
  for (int64_t ch = 0; ch < chunks; ++ch) {
    const int64_t n = std::min<int64_t>(kKC, depth - ch * kKC);
    std::memcpy(out + ch * kKC, panel + ch * kPR * kKC, static_cast<size_t>(n));
  }
}

ByteBuffer::ByteBuffer(std::vector<uint8_t>&& adopted) : adopted_(std::move(adopted)) {}

ByteBuffer ByteBuffer::huge_page_aligned(size_t bytes) {
  ByteBuffer b;
  if (bytes == 0) return b;
  constexpr size_t kHuge = size_t{2} << 20, kPage = 4096;
  const size_t length = (bytes + kPage - 1) / kPage * kPage;
  // Over-map by 2 MiB, then unmap the slack on both sides so the buffer starts on a boundary.
  void* raw = mmap(nullptr, length + kHuge, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) throw std::bad_alloc();
  const uintptr_t start = reinterpret_cast<uintptr_t>(raw), aligned = (start + kHuge - 1) & ~uintptr_t{kHuge - 1};
  if (aligned > start) munmap(raw, aligned - start);
  const uintptr_t end = aligned + length, raw_end = start + length + kHuge;
  if (raw_end > end) munmap(reinterpret_cast<void*>(end), raw_end - end);
  b.mapped_ = reinterpret_cast<uint8_t*>(aligned);
  b.mapped_size_ = bytes;
  // Advised before the first touch, so the faults allocate huge pages directly. The tail of the
  // last 2 MiB (when `bytes` is not a multiple) stays 4 KiB: the resident size is not rounded up.
  if (length >= kHuge) madvise(b.mapped_, length / kHuge * kHuge, MADV_HUGEPAGE);
  return b;
}

ByteBuffer::ByteBuffer(ByteBuffer&& other) noexcept
    : adopted_(std::move(other.adopted_)), mapped_(other.mapped_), mapped_size_(other.mapped_size_) {
  other.mapped_ = nullptr;
  other.mapped_size_ = 0;
}

ByteBuffer& ByteBuffer::operator=(ByteBuffer&& other) noexcept {
  if (this != &other) {
    ByteBuffer old(std::move(*this));
    adopted_ = std::move(other.adopted_);
    mapped_ = other.mapped_;
    mapped_size_ = other.mapped_size_;
    other.mapped_ = nullptr;
    other.mapped_size_ = 0;
  }
  return *this;
}

ByteBuffer::~ByteBuffer() {
  if (mapped_) munmap(mapped_, (mapped_size_ + 4095) / 4096 * 4096);
}

PackedS8 pack_s8(const int8_t* b, int64_t rows, int64_t depth) {
  PackedS8 p;
  p.rows = rows;
  p.depth = depth;
  p.chunks = (depth + kKC - 1) / kKC;
  const int64_t panels = (rows + kPR - 1) / kPR;
  p.data = ByteBuffer::huge_page_aligned(static_cast<size_t>(panels * p.chunks * kPR * kKC));
  for (int64_t r = 0; r < rows; ++r) {
    uint8_t* dst = p.data.data() + (r / kPR) * p.chunks * kPR * kKC + (r % kPR) * kKC;
    for (int64_t ch = 0; ch < p.chunks; ++ch) {
      const int64_t n = std::min<int64_t>(kKC, depth - ch * kKC);
      std::memcpy(dst + ch * kPR * kKC, b + r * depth + ch * kKC, static_cast<size_t>(n));
    }
  }
  return p;
}

PackedS8 pack_s8(std::vector<uint8_t>&& storage, int64_t rows, int64_t depth, size_t in_place_from) {
  if (depth % kKC != 0 || static_cast<int64_t>(storage.size()) != rows * depth || storage.size() < in_place_from) {
    PackedS8 p = pack_s8(reinterpret_cast<const int8_t*>(storage.data()), rows, depth);
    std::vector<uint8_t>().swap(storage);
    return p;
  }
  PackedS8 p;
  p.rows = rows;
  p.depth = depth;
  p.chunks = depth / kKC;
  const int64_t full = rows / kPR, panel_bytes = kPR * depth, rest = rows - full * kPR;
  if (rest > 0) {
    const PackedS8 last = pack_s8(reinterpret_cast<const int8_t*>(storage.data()) + full * panel_bytes, rest, depth);
    p.tail.assign(last.data.data(), last.data.data() + last.data.size());
    storage.resize(static_cast<size_t>(full * panel_bytes));  // shrinks: no reallocation
  }
  std::vector<uint8_t> rows4(static_cast<size_t>(panel_bytes));
  for (int64_t pnl = 0; pnl < full; ++pnl) {
    uint8_t* base = storage.data() + pnl * panel_bytes;
    std::memcpy(rows4.data(), base, static_cast<size_t>(panel_bytes));
    for (int64_t r = 0; r < kPR; ++r)
      for (int64_t ch = 0; ch < p.chunks; ++ch)
        std::memcpy(base + (ch * kPR + r) * kKC, rows4.data() + r * depth + ch * kKC, kKC);
  }
  p.data = ByteBuffer(std::move(storage));
  advise_huge_pages(p.data.data(), p.data.size());
  return p;
}

bool packed_int8_preferred() {
  // TRD_PACKED_GEMM=0 keeps the unpacked path (like CTranslate2's CT2_PACKED_GEMM=0), for A/B runs.
  static const bool preferred = [] {
    const char* env = std::getenv("TRD_PACKED_GEMM");
    if (env && std::string(env) == "0") return false;
    return __builtin_cpu_supports("avx2") && !onednn_int8_is_exact();
  }();
  return preferred;
}

void gemm_s8s8s32_packed(const int8_t* a, int64_t m, const PackedS8& b, int32_t* c) {
  gemm_s8s8s32_packed(a, m, b, 0, b.rows, c);
}

namespace {

// Columns per tile handed to the epilogue: 64 panels (64 KiB of weight at depth 1024, the int32
// tile of 64 rows 64 KiB) keep a tile's products in L2 until the epilogue reads them.
constexpr int64_t kTilePanels = 64;
// Products smaller than this many multiply-adds run on the calling thread: waking a sleeping
// OpenMP worker (OMP_WAIT_POLICY=PASSIVE) costs more than they do.
constexpr int64_t kParallelMacs = int64_t{1} << 18;

// A widened to int16 once per product (zero padded to whole chunks), reused by every panel.
const int16_t* widen_rows(const int8_t* a, int64_t m, int64_t depth, int64_t lda) {
  thread_local std::vector<int16_t> a16;
  if (static_cast<int64_t>(a16.size()) < m * lda) a16.resize(static_cast<size_t>(m * lda));
  for (int64_t i = 0; i < m; ++i) {
    int16_t* row = a16.data() + i * lda;
    for (int64_t p = 0; p < depth; ++p) row[p] = a[i * depth + p];
    std::fill(row + depth, row + lda, int16_t{0});
  }
  return a16.data();
}

// Panels [p0, p1) of the product (relative to `first_panel`) in tiles, each handed to `epilogue`.
void packed_panel_range(const int16_t* a16, int64_t m, int64_t lda, const PackedS8& b, int64_t first_panel,
                        int64_t col_begin, int64_t col_end, int64_t p0, int64_t p1, const PackedEpilogue& epilogue) {
  thread_local std::vector<int32_t> tile;
  const int64_t tile_cols = kTilePanels * kPR;
  if (static_cast<int64_t>(tile.size()) < m * tile_cols) tile.resize(static_cast<size_t>(m * tile_cols));
  const bool avx2 = __builtin_cpu_supports("avx2");
  // With one or two rows a panel streams past once, prefetched kPrefetchBytes ahead. With more,
  // each panel is read by several kernels in turn and the first one would stall on memory a
  // short distance ahead: prefetch the next panel instead, about a microsecond before its turn
  // (kernel-bench m=16 projection, one thread, interleaved: 57-63 -> 64-67 GMAC/s).
  const int64_t prefetch = m <= 2 ? kPrefetchBytes : b.panel_bytes();
  // Rows of A in blocks that stay in L2 while the panels of a tile stream past them.
  const int64_t block = std::max<int64_t>(2, (int64_t{192} << 10) / (2 * lda) / 2 * 2);
  for (int64_t t0 = p0; t0 < p1; t0 += kTilePanels) {
    const int64_t t1 = std::min(p1, t0 + kTilePanels);
    const int64_t j0 = col_begin + t0 * kPR, cols = std::min(col_end, col_begin + t1 * kPR) - j0;
    for (int64_t i0 = 0; i0 < m; i0 += block) {
      const int64_t i1 = std::min(m, i0 + block);
      for (int64_t pnl = t0; pnl < t1; ++pnl) {
        const int8_t* panel = b.panel(first_panel + pnl);
        const int64_t jt = (pnl - t0) * kPR, pc = std::min<int64_t>(kPR, cols - jt);
        int32_t* c = tile.data() + jt;
        if (!avx2) {
          panel_generic(a16 + i0 * lda, lda, i1 - i0, panel, b.chunks, c + i0 * tile_cols, tile_cols, pc);
          continue;
        }
        // Rows in threes, but two pairs rather than a three and a lone row (16 = 4 * 3 + 2 * 2).
        const int64_t rows = i1 - i0, threes = rows % 3 == 1 && rows > 3 ? rows / 3 - 1 : rows / 3;
        int64_t i = i0;
        for (; i < i0 + 3 * threes; i += 3)
          panel_kernel_3rows(a16 + i * lda, lda, panel, b.chunks, c + i * tile_cols, tile_cols, pc, prefetch);
        for (; i + 2 <= i1; i += 2)
          panel_kernel_2rows(a16 + i * lda, lda, panel, b.chunks, c + i * tile_cols, tile_cols, pc, prefetch);
        if (i < i1) panel_kernel_1row(a16 + i * lda, panel, b.chunks, c + i * tile_cols, pc);
      }
    }
    epilogue(j0, cols, tile.data(), tile_cols);
  }
}

void packed_product(const int8_t* a, int64_t m, const PackedS8& b, int64_t col_begin, int64_t col_end,
                    const PackedEpilogue& epilogue) {
  if (m == 0 || col_end <= col_begin) return;
  if (col_begin % kPR != 0 || col_begin < 0 || col_end > b.rows)
    throw std::invalid_argument("gemm_s8s8s32_packed: column range is not panel aligned or out of range");
  const int64_t lda = b.chunks * kKC, first_panel = col_begin / kPR,
                panels = (col_end + kPR - 1) / kPR - first_panel;
  const int16_t* a16 = widen_rows(a, m, b.depth, lda);
  const bool parallel = m * (col_end - col_begin) * b.depth >= kParallelMacs && omp_get_max_threads() > 1;
  if (!parallel) {
    packed_panel_range(a16, m, lda, b, first_panel, col_begin, col_end, 0, panels, epilogue);
    return;
  }
#pragma omp parallel
  {
    const int64_t t = omp_get_thread_num(), nt = omp_get_num_threads();
    packed_panel_range(a16, m, lda, b, first_panel, col_begin, col_end, panels * t / nt, panels * (t + 1) / nt,
                       epilogue);
  }
}

}  // namespace

void gemm_s8s8s32_packed(const int8_t* a, int64_t m, const PackedS8& b, int64_t col_begin, int64_t col_end,
                         int32_t* c) {
  const int64_t n = col_end - col_begin;
  packed_product(a, m, b, col_begin, col_end, [&](int64_t j0, int64_t cols, const int32_t* tile, int64_t ldc) {
    for (int64_t i = 0; i < m; ++i)
      std::memcpy(c + i * n + (j0 - col_begin), tile + i * ldc, static_cast<size_t>(cols) * 4);
  });
}

void gemm_s8s8s32_packed(const int8_t* a, int64_t m, const PackedS8& b, const PackedEpilogue& epilogue) {
  packed_product(a, m, b, 0, b.rows, epilogue);
}

}  // namespace trd::kernels

// The kernels made fast for issue 3 against plain references: the packed int8 GEMM against a naive
// int32 product (every edge of the panel/chunk layout, the int8 extremes), and the vectorized
// softmax / log-softmax bit for bit against the scalar lane-by-lane algorithm they replace.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include <omp.h>

#include "kernels/gemm.h"
#include "kernels/ops.h"
#include "layers/transformer.h"
#include "model/model.h"

namespace trd::kernels {
namespace {

std::vector<int8_t> random_int8(size_t n, std::mt19937& rng, bool extremes) {
  std::uniform_int_distribution<int> dist(-128, 127);
  std::vector<int8_t> v(n);
  for (auto& x : v) x = static_cast<int8_t>(dist(rng));
  // All-extreme stretches: the case where 16-bit pair sums would saturate in a u8*s8 kernel.
  if (extremes)
    for (size_t i = 0; i < n / 3; ++i) v[i] = (i % 2) ? int8_t{-128} : int8_t{127};
  return v;
}

std::vector<int32_t> naive(const std::vector<int8_t>& a, const std::vector<int8_t>& b, int64_t m, int64_t n,
                           int64_t k) {
  std::vector<int32_t> c(static_cast<size_t>(m * n));
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      int32_t s = 0;
      for (int64_t p = 0; p < k; ++p) s += int32_t{a[i * k + p]} * int32_t{b[j * k + p]};
      c[i * n + j] = s;
    }
  return c;
}

TEST(PackedGemm, MatchesNaiveProductOnEveryLayoutEdge) {
  std::mt19937 rng(7);
  for (int64_t k : {1, 15, 16, 17, 48, 100, 1024})
    for (int64_t n : {1, 3, 4, 5, 8, 13})
      for (int64_t m : {1, 2, 3, 7}) {
        const auto a = random_int8(static_cast<size_t>(m * k), rng, m > 2);
        const auto b = random_int8(static_cast<size_t>(n * k), rng, n > 4);
        const PackedS8 packed = pack_s8(b.data(), n, k);
        std::vector<int32_t> c(static_cast<size_t>(m * n), -1);
        gemm_s8s8s32_packed(a.data(), m, packed, c.data());
        EXPECT_EQ(c, naive(a, b, m, n, k)) << "m=" << m << " n=" << n << " k=" << k;
      }
}

TEST(PackedGemm, LargeBlockedProductIsExact) {
  // More rows of A than one L2 block holds, so the row blocking and the thread split both run.
  std::mt19937 rng(11);
  const int64_t m = 97, n = 70, k = 4096;
  const auto a = random_int8(static_cast<size_t>(m * k), rng, true);
  const auto b = random_int8(static_cast<size_t>(n * k), rng, true);
  std::vector<int32_t> c(static_cast<size_t>(m * n));
  gemm_s8s8s32_packed(a.data(), m, pack_s8(b.data(), n, k), c.data());
  EXPECT_EQ(c, naive(a, b, m, n, k));
}

TEST(PackedGemm, ColumnBlocksEqualTheFullProduct) {
  std::mt19937 rng(19);
  const int64_t m = 5, n = 38, k = 48;
  const auto a = random_int8(static_cast<size_t>(m * k), rng, true);
  const auto b = random_int8(static_cast<size_t>(n * k), rng, true);
  std::vector<uint8_t> storage(b.size());
  std::memcpy(storage.data(), b.data(), b.size());
  const PackedS8 packed = pack_s8(std::move(storage), n, k, 0);  // in place: the last panel is the tail
  const auto expected = naive(a, b, m, n, k);
  for (int64_t block : {4, 8, 12, 36}) {
    for (int64_t j0 = 0; j0 < n; j0 += block) {
      const int64_t width = std::min(block, n - j0);
      std::vector<int32_t> c(static_cast<size_t>(m * width));
      gemm_s8s8s32_packed(a.data(), m, packed, j0, j0 + width, c.data());
      for (int64_t i = 0; i < m; ++i)
        for (int64_t j = 0; j < width; ++j)
          ASSERT_EQ(c[i * width + j], expected[i * n + j0 + j]) << "block " << block << " column " << j0 + j;
    }
  }
  std::vector<int32_t> c(4);
  EXPECT_THROW(gemm_s8s8s32_packed(a.data(), 1, packed, 2, 6, c.data()), std::invalid_argument);
  EXPECT_THROW(gemm_s8s8s32_packed(a.data(), 1, packed, 36, 40, c.data()), std::invalid_argument);
}

TEST(PackedGemm, InPlacePackingEqualsCopyingAndRowsReadBack) {
  std::mt19937 rng(3);
  for (int64_t k : {16, 20, 64})
    for (int64_t n : {1, 4, 6, 9}) {
      const auto b = random_int8(static_cast<size_t>(n * k), rng, false);
      const PackedS8 copied = pack_s8(b.data(), n, k);
      std::vector<uint8_t> storage(b.size());
      std::memcpy(storage.data(), b.data(), b.size());
      const PackedS8 adopted = pack_s8(std::move(storage), n, k, 0);
      ASSERT_EQ(adopted.panels(), copied.panels());
      const size_t panel_bytes = static_cast<size_t>(copied.chunks * PackedS8::kPanelRows * PackedS8::kChunk);
      for (int64_t p = 0; p < copied.panels(); ++p)
        EXPECT_EQ(std::memcmp(adopted.panel(p), copied.panel(p), panel_bytes), 0) << "n=" << n << " k=" << k << " panel " << p;
      // Adopted storage is only ever shrunk, never reallocated (the point of packing in place);
      // depths that are not whole chunks are packed by copying, with padding.
      if (k % PackedS8::kChunk == 0) EXPECT_LE(adopted.data.size(), b.size());
      std::vector<int32_t> c1(static_cast<size_t>(2 * n)), c2(c1.size());
      const auto a = random_int8(static_cast<size_t>(2 * k), rng, false);
      gemm_s8s8s32_packed(a.data(), 2, adopted, c1.data());
      gemm_s8s8s32_packed(a.data(), 2, copied, c2.data());
      EXPECT_EQ(c1, c2);
      std::vector<int8_t> row(static_cast<size_t>(k));
      for (int64_t r = 0; r < n; ++r) {
        adopted.unpack_row(r, row.data());
        EXPECT_TRUE(std::equal(row.begin(), row.end(), b.begin() + r * k)) << "row " << r;
      }
    }
}

TEST(PackedGemm, EpilogueTilesCoverEveryColumnOnceWithEveryThreadCount) {
  // Wide enough for several tiles per thread and a partial last tile and panel; m not a multiple
  // of the 2-row kernel; k not a multiple of 16.
  std::mt19937 rng(23);
  const int default_threads = omp_get_max_threads();
  for (int threads : {1, 2, 3})
    for (int64_t m : {1, 2, 5})
      for (int64_t k : {33, 1024}) {
        const int64_t n = 1289;
        const auto a = random_int8(static_cast<size_t>(m * k), rng, true);
        const auto b = random_int8(static_cast<size_t>(n * k), rng, true);
        const PackedS8 packed = pack_s8(b.data(), n, k);
        std::vector<int32_t> c(static_cast<size_t>(m * n), -1);
        std::vector<int> seen(static_cast<size_t>(n), 0);
        omp_set_num_threads(threads);
        gemm_s8s8s32_packed(a.data(), m, packed, [&](int64_t j0, int64_t cols, const int32_t* tile, int64_t ldc) {
          for (int64_t j = 0; j < cols; ++j) {
#pragma omp atomic
            ++seen[j0 + j];
          }
          for (int64_t i = 0; i < m; ++i)
            for (int64_t j = 0; j < cols; ++j) c[i * n + j0 + j] = tile[i * ldc + j];
        });
        omp_set_num_threads(default_threads);
        EXPECT_EQ(c, naive(a, b, m, n, k)) << "threads=" << threads << " m=" << m << " k=" << k;
        EXPECT_TRUE(std::all_of(seen.begin(), seen.end(), [](int v) { return v == 1; }));
      }
}

TEST(PackedGemm, HugePageBuffersAreAlignedZeroedAndMovable) {
  ByteBuffer big = ByteBuffer::huge_page_aligned((size_t{5} << 20) + 123);
  ASSERT_EQ(reinterpret_cast<uintptr_t>(big.data()) % (uintptr_t{2} << 20), 0u);
  ASSERT_EQ(big.size(), (size_t{5} << 20) + 123);
  EXPECT_TRUE(std::all_of(big.data(), big.data() + big.size(), [](uint8_t v) { return v == 0; }));
  big.data()[big.size() - 1] = 7;
  ByteBuffer moved(std::move(big));
  EXPECT_EQ(big.size(), 0u);
  EXPECT_EQ(moved.data()[moved.size() - 1], 7);
  ByteBuffer adopted(std::vector<uint8_t>{1, 2, 3});
  adopted = std::move(moved);
  EXPECT_EQ(adopted.size(), (size_t{5} << 20) + 123);
  // A payload below the in-place threshold is copied into aligned memory and released.
  std::mt19937 rng(29);
  const auto b = random_int8(64 * 32, rng, false);
  std::vector<uint8_t> storage(b.begin(), b.end());
  const PackedS8 packed = pack_s8(std::move(storage), 64, 32);
  EXPECT_TRUE(storage.empty());
  EXPECT_EQ(packed.data.size(), 64u * 32u);
  std::vector<int8_t> row(32);
  packed.unpack_row(63, row.data());
  EXPECT_TRUE(std::equal(row.begin(), row.end(), b.begin() + 63 * 32));
}

// The scalar algorithm: 8 lane sums of exp_polynomial(x - max), reduced hadd-style, then the tail.
float reference_exp_sum(const std::vector<float>& x, float max) {
  const size_t n = x.size(), n8 = n >= 8 ? n / 8 * 8 : 0;
  float lanes[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  for (size_t i = 0; i < n8; i += 8)
    for (int j = 0; j < 8; ++j) lanes[j] += exp_polynomial(x[i + j] - max);
  // CTranslate2's reduce_m256 order: halves, then pairs, then the last two.
  float sum = n8 ? ((lanes[0] + lanes[4]) + (lanes[2] + lanes[6])) + ((lanes[1] + lanes[5]) + (lanes[3] + lanes[7]))
                 : 0.f;
  for (size_t i = n8; i < n; ++i) sum += exp_polynomial(x[i] - max);
  return sum;
}

TEST(VectorizedSoftmax, LogSoftmaxIsBitIdenticalToTheScalarAlgorithm) {
  std::mt19937 rng(5);
  std::normal_distribution<float> dist(0.f, 6.f);
  for (size_t n : {1u, 7u, 8u, 9u, 64u, 1003u, 256206u}) {
    std::vector<float> x(n), y(n);
    for (auto& v : x) v = dist(rng);
    x[n / 2] = -1e30f;  // a disabled logit
    log_softmax(x.data(), y.data(), static_cast<int64_t>(n));
    const float max = *std::max_element(x.begin(), x.end());
    // One subtraction of max + log(sum), as CTranslate2's kernel computes it.
    const float shift = max + std::log(reference_exp_sum(x, max));
    for (size_t i = 0; i < n; ++i) ASSERT_EQ(y[i], x[i] - shift) << "n=" << n << " i=" << i;
  }
}

TEST(VectorizedSoftmax, SoftmaxIsBitIdenticalAndZeroesTheMaskedTail) {
  std::mt19937 rng(9);
  std::normal_distribution<float> dist(0.f, 3.f);
  for (size_t n : {3u, 8u, 31u, 60u}) {
    std::vector<float> x(n + 5);
    for (auto& v : x) v = dist(rng);
    const std::vector<float> valid(x.begin(), x.begin() + static_cast<long>(n));
    const float max = *std::max_element(valid.begin(), valid.end());
    const float inv = 1.f / reference_exp_sum(valid, max);
    softmax(x.data(), static_cast<int64_t>(n + 5), static_cast<int64_t>(n));
    for (size_t i = 0; i < n; ++i) ASSERT_EQ(x[i], exp_polynomial(valid[i] - max) * inv) << "n=" << n << " i=" << i;
    for (size_t i = n; i < n + 5; ++i) EXPECT_EQ(x[i], 0.f);
  }
}

TEST(VectorizedQuantization, RowsQuantizeExactlyLikeTheScalarFormula) {
  std::mt19937 rng(13);
  std::normal_distribution<float> dist(0.f, 2.f);
  for (int64_t depth : {5, 32, 45, 1024})
    for (bool round : {true, false}) {
      std::vector<float> x(static_cast<size_t>(3 * depth));
      for (auto& v : x) v = dist(rng);
      x[1] = 0.5f * 127.f / 4.f;  // ties land on .5 after scaling in some rows
      std::fill(x.begin() + depth, x.begin() + 2 * depth, 0.f);  // an all-zero row: scale 1
      std::vector<int8_t> q(x.size());
      std::vector<float> scales(3);
      quantize_rows(x.data(), 3, depth, q.data(), scales.data(), round);
      for (int64_t r = 0; r < 3; ++r) {
        float amax = 0.f;
        for (int64_t i = 0; i < depth; ++i) amax = std::max(amax, std::fabs(x[r * depth + i]));
        const float scale = amax != 0.f ? 127.f / amax : 1.f;
        ASSERT_EQ(scales[r], scale);
        for (int64_t i = 0; i < depth; ++i) {
          const float u = std::fma(x[r * depth + i], scale, 128.f);
          const auto expected = static_cast<int8_t>(static_cast<int32_t>(round ? std::nearbyint(u) : u) - 128);
          ASSERT_EQ(q[r * depth + i], expected) << "depth=" << depth << " row=" << r << " i=" << i;
        }
      }
    }
}

TEST(VectorizedQuantization, GemmOutputDequantizesExactlyLikeTheScalarFormula) {
  std::mt19937 rng(17);
  std::uniform_int_distribution<int32_t> ints(-2000000, 2000000);
  std::uniform_real_distribution<float> pos(0.5f, 300.f), any(-1.f, 1.f);
  const int64_t m = 3, n = 37;
  std::vector<int32_t> c(static_cast<size_t>(m * n));
  std::vector<float> sx(m), sw(n), bias(n), y(c.size());
  for (auto& v : c) v = ints(rng);
  for (auto& v : sx) v = pos(rng);
  for (auto& v : sw) v = pos(rng);
  for (auto& v : bias) v = any(rng);
  for (const float* b : {static_cast<const float*>(nullptr), static_cast<const float*>(bias.data())}) {
    dequantize_gemm_output(c.data(), sx.data(), sw.data(), b, true, Activation::ReLU, y.data(), m, n);
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        float expected = static_cast<float>(c[i * n + j]) * (1.f / sx[i]) / sw[j];
        if (b) expected += b[j];
        ASSERT_EQ(y[i * n + j], std::max(expected, 0.f)) << i << "," << j;
      }
  }
}

std::string golden_model(const std::string& name) {
  const char* shared = std::getenv("TRD_SHARED_DIR");
  return (shared ? std::string(shared) : std::string(TRD_SOURCE_DIR) + "/../shared") + "/golden/models/" + name;
}

// use_vmap: the projection restricted to the candidates gives bit-identical logits for them and
// -FLT_MAX for every other id, step after step (self-attention cache included).
TEST(VocabularyMapRestriction, CandidateLogitsAreBitIdenticalToTheFullProjection) {
  for (const std::string name : {"tiny-int8", "tiny-f32"}) {
    const std::string dir = golden_model(name);
    if (!std::filesystem::exists(dir + "/model.bin")) {
      const char* require = std::getenv("TRD_REQUIRE_GOLDEN");
      if (require && std::string(require) == "1") FAIL() << "golden model missing: " << dir;
      GTEST_SKIP() << "*** GOLDEN MODEL NOT FOUND at " << dir << ": vmap restriction NOT checked ***";
    }
    ModelFiles files = load_model_directory(dir);
    const auto type = layers::resolve_compute_type("default", files);
    auto weights = layers::build_transformer_weights(files, type);
    layers::TransformerRunner full(weights), restricted(weights);
    const int64_t V = full.vocabulary_size();
    std::vector<int32_t> candidates;
    for (int32_t id = 0; id < V; id += 7) candidates.push_back(id);
    candidates.push_back(static_cast<int32_t>(V - 1));
    restricted.restrict_output(candidates);
    const std::vector<std::vector<int32_t>> sources = {{5, 9, 14, 2}, {8, 2}};
    full.encode(sources);
    restricted.encode(sources);
    std::vector<int32_t> tokens = {2, 2}, sentences = {0, 1};
    std::vector<float> a(static_cast<size_t>(2 * V)), b(a.size());
    std::vector<bool> is_candidate(static_cast<size_t>(V), false);
    for (int32_t id : candidates) is_candidate[id] = true;
    for (int64_t step = 0; step < 3; ++step) {
      full.step(step, tokens, sentences, a.data());
      restricted.step(step, tokens, sentences, b.data());
      for (int64_t i = 0; i < 2 * V; ++i) {
        if (is_candidate[i % V])
          ASSERT_EQ(a[i], b[i]) << name << " step " << step << " index " << i;
        else
          ASSERT_EQ(b[i], std::numeric_limits<float>::lowest()) << name << " index " << i;
      }
      tokens = {static_cast<int32_t>(candidates[3 + step]), static_cast<int32_t>(candidates[5 + step])};
      full.reorder({1, 0});
      restricted.reorder({1, 0});
      std::swap(sentences[0], sentences[1]);
    }
    restricted.restrict_output({});
    restricted.encode(sources);
    full.encode(sources);
    full.step(0, {2, 2}, {0, 1}, a.data());
    restricted.step(0, {2, 2}, {0, 1}, b.data());
    EXPECT_EQ(a, b) << name << ": an empty list removes the restriction";
  }
}

}  // namespace
}  // namespace trd::kernels

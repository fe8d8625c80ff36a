// traductor-kernel-bench: micro-benchmarks for issue 3 (engine speed), outside the C ABI.
//   membw [--mb N] [--reps R]           read bandwidth of a plain AVX2 load loop over N MB, 1 and 2 threads
//   gemm  [--reps R]                    the packed int8 GEMM on the NLLB-600M shapes, 1 and 2 threads
// Prints one JSON line per measurement, with wall and process-CPU figures and the 1-minute load
// average, because the machine this runs on is shared.
#include <immintrin.h>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <sys/mman.h>

#include "kernels/gemm.h"

namespace {

double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

double wall_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

double load1() {
  std::ifstream in("/proc/loadavg");
  double v = 0;
  in >> v;
  return v;
}

struct Timing {
  double wall = 1e30, cpu = 1e30;  // best of the repetitions
};

template <typename F>
Timing best_of(int reps, F&& f) {
  Timing t;
  f();  // warm-up
  for (int r = 0; r < reps; ++r) {
    const double w0 = wall_seconds(), c0 = cpu_seconds();
    f();
    t.wall = std::min(t.wall, wall_seconds() - w0);
    t.cpu = std::min(t.cpu, cpu_seconds() - c0);
  }
  return t;
}

__attribute__((target("avx2"))) uint64_t read_avx2(const uint8_t* p, size_t bytes) {
  __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0;
  for (size_t i = 0; i + 128 <= bytes; i += 128) {
    a0 = _mm256_xor_si256(a0, _mm256_load_si256(reinterpret_cast<const __m256i*>(p + i)));
    a1 = _mm256_xor_si256(a1, _mm256_load_si256(reinterpret_cast<const __m256i*>(p + i + 32)));
    a2 = _mm256_xor_si256(a2, _mm256_load_si256(reinterpret_cast<const __m256i*>(p + i + 64)));
    a3 = _mm256_xor_si256(a3, _mm256_load_si256(reinterpret_cast<const __m256i*>(p + i + 96)));
  }
  const __m256i x = _mm256_xor_si256(_mm256_xor_si256(a0, a1), _mm256_xor_si256(a2, a3));
  return static_cast<uint64_t>(_mm256_extract_epi64(x, 0) ^ _mm256_extract_epi64(x, 3));
}

int membw(size_t mb, int reps, bool huge) {
  const size_t bytes = mb << 20;
  auto* buf = static_cast<uint8_t*>(std::aligned_alloc(size_t{2} << 20, bytes));
  if (huge) madvise(buf, bytes, MADV_HUGEPAGE);
  std::memset(buf, 1, bytes);
  volatile uint64_t sink = 0;
  for (int threads : {1, 2}) {
    const Timing t = best_of(reps, [&] {
      uint64_t s = 0;
#pragma omp parallel num_threads(threads) reduction(^ : s)
      {
        const int id = omp_get_thread_num(), nt = omp_get_num_threads();
        const size_t part = bytes / nt / 4096 * 4096;
        s ^= read_avx2(buf + id * part, id == nt - 1 ? bytes - id * part : part);
      }
      sink = sink ^ s;
    });
    std::printf("{\"bench\":\"membw\",\"huge_pages\":%d,\"mb\":%zu,\"threads\":%d,\"gb_per_s\":%.2f,\"gb_per_cpu_s\":%.2f,\"load_1m\":%.2f}\n",
                int(huge), mb, threads, bytes / t.wall / 1e9, bytes / t.cpu / 1e9, load1());
  }
  std::free(buf);
  return 0;
}

struct Shape {
  int64_t m, n, k;
  const char* what;
};

int gemm(int reps, std::vector<Shape> shapes) {
  if (shapes.empty()) shapes = {
      {1, 3072, 1024, "decoder qkv, batch 1"}, {1, 4096, 1024, "ffn inner, batch 1"},
      {1, 1024, 4096, "ffn outer, batch 1"},   {1, 256206, 1024, "projection, batch 1"},
      {4, 256206, 1024, "projection, beam 4"}, {16, 4096, 1024, "ffn inner, batch 16"},
      {16, 1024, 4096, "ffn outer, batch 16"}, {64, 4096, 1024, "ffn inner, batch 16 beam 4"},
      {64, 256206, 1024, "projection, batch 16 beam 4"}, {480, 4096, 1024, "encoder ffn inner, batch 16"},
  };
  std::mt19937 rng(1);
  std::uniform_int_distribution<int> dist(-128, 127);
  for (const Shape& s : shapes) {
    std::vector<int8_t> a(static_cast<size_t>(s.m * s.k)), b(static_cast<size_t>(s.n * s.k));
    for (auto& v : a) v = static_cast<int8_t>(dist(rng));
    for (auto& v : b) v = static_cast<int8_t>(dist(rng));
    const trd::kernels::PackedS8 packed = trd::kernels::pack_s8(b.data(), s.n, s.k);
    b.clear();
    b.shrink_to_fit();
    // Column blocks of 16k, as the engine computes its projection.
    const int64_t block = std::min<int64_t>(s.n, 16384);
    std::vector<int32_t> c(static_cast<size_t>(s.m * block));
    for (int threads : {1, 2}) {
      omp_set_num_threads(threads);
      const Timing t = best_of(reps, [&] {
        for (int64_t j0 = 0; j0 < s.n; j0 += block)
          trd::kernels::gemm_s8s8s32_packed(a.data(), s.m, packed, j0, std::min(s.n, j0 + block), c.data());
      });
      const double macs = static_cast<double>(s.m) * s.n * s.k, bytes = static_cast<double>(s.n) * s.k;
      std::printf("{\"bench\":\"gemm\",\"m\":%ld,\"n\":%ld,\"k\":%ld,\"what\":\"%s\",\"threads\":%d,\"gmac_per_s\":%.1f,"
                  "\"gmac_per_cpu_s\":%.1f,\"weight_gb_per_s\":%.2f,\"load_1m\":%.2f}\n",
                  static_cast<long>(s.m), static_cast<long>(s.n), static_cast<long>(s.k), s.what, threads,
                  macs / t.wall / 1e9, macs / t.cpu / 1e9, bytes / t.wall / 1e9, load1());
      std::fflush(stdout);
    }
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string cmd = argc > 1 ? argv[1] : "";
  size_t mb = 512;
  int reps = 5;
  std::vector<Shape> shapes;
  for (int i = 2; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--mb") mb = std::strtoul(argv[i + 1], nullptr, 10);
    else if (flag == "--reps") reps = std::atoi(argv[i + 1]);
    else if (flag == "--shape") {  // MxNxK
      Shape s{0, 0, 0, "custom"};
      if (std::sscanf(argv[i + 1], "%ldx%ldx%ld", &s.m, &s.n, &s.k) != 3) return 2;
      shapes.push_back(s);
    }
  }
  if (cmd == "membw") return membw(mb, reps, false) | membw(mb, reps, true);
  if (cmd == "gemm") return gemm(reps, shapes);
  std::fprintf(stderr, "usage: traductor-kernel-bench membw [--mb N] [--reps R] | gemm [--reps R] [--shape MxNxK]...\n");
  return 2;
}

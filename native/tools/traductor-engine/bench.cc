// traductor-engine bench: throughput and memory of one translate_batch shape through the public
// C ABI, the way issue 3's table measures CTranslate2: real-looking sources of a fixed length, the
// output forced to exactly --out-len tokens (min = max decoding length, target prefix counted), a
// warm-up call, then the best of --runs calls. Prints one JSON line.
#include <chrono>
#include <cstring>
#include <ctime>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <regex>
#include <stdexcept>
#include <string>
#include <vector>

#include "traductor/traductor.h"

namespace {

struct BenchError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

void ok(trd_status* status, const std::string& what) {
  if (!status) return;
  const std::string message = what + ": " + trd_status_message(status);
  trd_status_free(status);
  throw BenchError(message);
}

struct BenchFlags {
  std::string model, compute_type = "default", source_lang = "spa_Latn", target_lang = "dan_Latn";
  int batch = 1, beam = 1, src_len = 30, out_len = 30, intra_threads = 0, inter_threads = 1, runs = 2;
  bool use_vmap = false;
};

int positive(const std::string& flag, const std::string& text, int minimum) {
  size_t used = 0;
  int value = 0;
  try {
    value = std::stoi(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || text.empty() || value < minimum)
    throw BenchError(flag + " expects an integer >= " + std::to_string(minimum) + ", got '" + text + "'");
  return value;
}

BenchFlags parse(const std::vector<std::string>& args) {
  BenchFlags f;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--use-vmap") {
      f.use_vmap = true;
      continue;
    }
    if (i + 1 >= args.size()) throw BenchError(a + " needs a value");
    const std::string& v = args[++i];
    if (a == "--model") f.model = v;
    else if (a == "--compute-type") f.compute_type = v;
    else if (a == "--source-lang") f.source_lang = v;
    else if (a == "--target-lang") f.target_lang = v;
    else if (a == "--batch") f.batch = positive(a, v, 1);
    else if (a == "--beam") f.beam = positive(a, v, 1);
    else if (a == "--src-len") f.src_len = positive(a, v, 1);
    else if (a == "--out-len") f.out_len = positive(a, v, 1);
    else if (a == "--intra-threads") f.intra_threads = positive(a, v, 0);
    else if (a == "--inter-threads") f.inter_threads = positive(a, v, 1);
    else if (a == "--runs") f.runs = positive(a, v, 1);
    else throw BenchError("unknown argument '" + a + "'");
  }
  if (f.model.empty()) throw BenchError("--model DIR is required");
  return f;
}

// Peak and current resident set size (VmHWM / VmRSS) in MB.
double proc_status_mb(const char* key) {
  std::ifstream in("/proc/self/status");
  std::string line;
  const std::string prefix = std::string(key) + ":";
  while (std::getline(in, line))
    if (line.rfind(prefix, 0) == 0) return std::stod(line.substr(prefix.size())) / 1024.0;
  return 0.0;
}

// Vocabulary entries a tokenizer could produce: not <special>, not a language code, not the
// madeupwordN fillers that pad NLLB's vocabulary to its size.
std::vector<std::string> word_pieces(const trd_translator* t) {
  static const std::regex language_code("[a-z]{3}_[A-Z][a-z]{3}");
  std::vector<std::string> words;
  const size_t size = trd_translator_vocabulary_size(t);
  for (size_t id = 0; id < size; ++id) {
    const std::string token = trd_translator_vocabulary_token(t, id);
    if (token.empty() || token.front() == '<' || token.rfind("madeupword", 0) == 0 ||
        std::regex_match(token, language_code))
      continue;
    words.push_back(token);
  }
  return words;
}

bool in_vocabulary(const trd_translator* t, const std::string& token) {
  const size_t size = trd_translator_vocabulary_size(t);
  for (size_t id = 0; id < size; ++id)
    if (token == trd_translator_vocabulary_token(t, id)) return true;
  return false;
}

struct Inputs {
  std::vector<std::string> storage;
  std::vector<const char*> source, prefix;
  std::vector<size_t> source_lengths, prefix_lengths;
};

// NLLB framing: [source language] words... </s>, prefix [target language]. Word choice is a fixed
// LCG so every run (and every engine build) sees the same sources.
Inputs make_inputs(const trd_translator* t, const BenchFlags& f) {
  const std::vector<std::string> words = word_pieces(t);
  if (words.empty()) throw BenchError(f.model + ": the vocabulary has no ordinary word pieces to build sources from");
  const bool framing = in_vocabulary(t, f.source_lang) && in_vocabulary(t, f.target_lang) && f.src_len >= 3;
  Inputs in;
  uint64_t state = 0x9e3779b97f4a7c15ull;
  std::vector<std::vector<std::string>> sources(f.batch), prefixes(f.batch);
  for (int b = 0; b < f.batch; ++b) {
    auto& s = sources[b];
    if (framing) s.push_back(f.source_lang);
    const int words_needed = framing ? f.src_len - 2 : f.src_len;
    for (int i = 0; i < words_needed; ++i) {
      state = state * 6364136223846793005ull + 1442695040888963407ull;
      s.push_back(words[(state >> 33) % words.size()]);
    }
    if (framing) {
      s.push_back("</s>");
      prefixes[b].push_back(f.target_lang);
    }
  }
  for (const auto& list : {&sources, &prefixes})
    for (const auto& tokens : *list)
      for (const auto& token : tokens) in.storage.push_back(token);
  size_t k = 0;
  for (const auto& s : sources) {
    in.source_lengths.push_back(s.size());
    for (size_t i = 0; i < s.size(); ++i) in.source.push_back(in.storage[k++].c_str());
  }
  for (const auto& p : prefixes) {
    in.prefix_lengths.push_back(p.size());
    for (size_t i = 0; i < p.size(); ++i) in.prefix.push_back(in.storage[k++].c_str());
  }
  return in;
}

// CPU seconds of the whole process (every thread). On a shared, oversubscribed machine this moves
// far less than wall time, so tokens per CPU second is the figure to compare builds by.
double process_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

}  // namespace

int run_bench(const std::vector<std::string>& args) {
  using clock = std::chrono::steady_clock;
  const BenchFlags f = parse(args);

  trd_translator_config* config = nullptr;
  ok(trd_translator_config_create(&config), "config");
  std::unique_ptr<trd_translator_config, decltype(&trd_translator_config_free)> config_guard(
      config, trd_translator_config_free);
  ok(trd_translator_config_set_compute_type(config, f.compute_type.c_str()), "--compute-type");
  ok(trd_translator_config_set_inter_threads(config, f.inter_threads), "--inter-threads");
  ok(trd_translator_config_set_intra_threads(config, f.intra_threads), "--intra-threads");

  const auto load_start = clock::now();
  trd_translator* translator = nullptr;
  ok(trd_translator_create(f.model.c_str(), config, &translator), "loading " + f.model);
  std::unique_ptr<trd_translator, decltype(&trd_translator_free)> translator_guard(translator, trd_translator_free);
  const double load_s = std::chrono::duration<double>(clock::now() - load_start).count();
  const double rss_after_load = proc_status_mb("VmRSS");

  const Inputs in = make_inputs(translator, f);
  trd_options* options = nullptr;
  ok(trd_options_create(&options), "options");
  std::unique_ptr<trd_options, decltype(&trd_options_free)> options_guard(options, trd_options_free);
  ok(trd_options_set_beam_size(options, f.beam), "--beam");
  ok(trd_options_set_max_decoding_length(options, f.out_len), "--out-len");
  ok(trd_options_set_min_decoding_length(options, f.out_len), "--out-len");
  ok(trd_options_set_use_vmap(options, f.use_vmap ? 1 : 0), "--use-vmap");
  // With several replicas, one call is cut into one batch per replica so they all work.
  if (f.inter_threads > 1)
    ok(trd_options_set_max_batch_size(options, (f.batch + f.inter_threads - 1) / f.inter_threads), "--inter-threads");

  const bool has_prefix = !in.prefix.empty();
  // FNV-1a over every output token and score bit pattern: a build that changes any result changes
  // this, so speed work can be checked bit for bit on the benchmark model too.
  uint64_t fingerprint = 0;
  auto call = [&]() -> size_t {
    trd_result* result = nullptr;
    ok(trd_translate_batch(translator, in.source.data(), in.source_lengths.data(), in.source_lengths.size(),
                           has_prefix ? in.prefix.data() : nullptr, has_prefix ? in.prefix_lengths.data() : nullptr,
                           options, nullptr, &result),
       "translate_batch");
    std::unique_ptr<trd_result, decltype(&trd_result_free)> guard(result, trd_result_free);
    size_t tokens = 0;
    for (size_t e = 0; e < trd_result_num_examples(result); ++e) {
      const size_t length = trd_result_hypothesis_length(result, e, 0);
      // A shorter output would make tokens/s meaningless: the forced length must hold.
      if (length != static_cast<size_t>(f.out_len))
        throw BenchError("example " + std::to_string(e) + " produced " + std::to_string(length) + " tokens, expected " +
                         std::to_string(f.out_len) + " (forced length not honoured)");
      tokens += length;
    }
    uint64_t h = 0xcbf29ce484222325ull;
    auto mix = [&h](const void* data, size_t size) {
      for (size_t i = 0; i < size; ++i) h = (h ^ static_cast<const unsigned char*>(data)[i]) * 0x100000001b3ull;
    };
    const bool scores = trd_result_has_scores(result) != 0;
    for (size_t e = 0; e < trd_result_num_examples(result); ++e)
      for (size_t k = 0; k < trd_result_num_hypotheses(result, e); ++k) {
        for (size_t i = 0; i < trd_result_hypothesis_length(result, e, k); ++i) {
          const char* token = trd_result_token(result, e, k, i);
          mix(token, std::strlen(token) + 1);
        }
        if (scores) {
          const float score = trd_result_score(result, e, k);
          mix(&score, sizeof score);
        }
      }
    fingerprint = h;
    return tokens;
  };

  const auto warmup_start = clock::now();
  const size_t tokens = call();
  const double warmup_s = std::chrono::duration<double>(clock::now() - warmup_start).count();
  double best = 0.0, best_cpu = 0.0;
  std::vector<double> seconds;
  for (int r = 0; r < f.runs; ++r) {
    const auto start = clock::now();
    const double cpu_start = process_cpu_seconds();
    call();
    const double cpu = process_cpu_seconds() - cpu_start;
    const double s = std::chrono::duration<double>(clock::now() - start).count();
    seconds.push_back(s);
    if (r == 0 || s < best) best = s;
    if (r == 0 || cpu < best_cpu) best_cpu = cpu;
  }
  std::ifstream loadavg("/proc/loadavg");
  double load1 = 0.0;
  loadavg >> load1;

  nlohmann::json out = {{"tokens_per_s", static_cast<double>(tokens) / best},
                        {"seconds_per_call", best},
                        {"load_s", load_s},
                        {"peak_rss_mb", proc_status_mb("VmHWM")},
                        {"rss_after_load_mb", rss_after_load},
                        {"warmup_s", warmup_s},
                        {"run_seconds", seconds},
                        {"cpu_seconds_per_call", best_cpu},
                        {"tokens_per_cpu_s", static_cast<double>(tokens) / best_cpu},
                        {"load_average_1m", load1},
                        {"tokens_per_call", tokens},
                        {"output_fingerprint", fingerprint},
                        {"batch", f.batch},
                        {"beam", f.beam},
                        {"src_len", f.src_len},
                        {"out_len", f.out_len},
                        {"intra_threads", f.intra_threads},
                        {"inter_threads", f.inter_threads},
                        {"use_vmap", f.use_vmap}};
  std::printf("%s\n", out.dump().c_str());
  return 0;
}

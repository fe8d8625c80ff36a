// traductor-engine: a JSON-lines harness over the public C ABI (tests, golden diffs, benchmarks).
//
//   traductor-engine translate --model DIR [--compute-type T] [--inter-threads N] [--intra-threads N]
//   traductor-engine score     --model DIR [same flags]
//
// Each stdin line is one translate_batch (or score_batch) call in the format of
// ../shared/golden/cases/*.jsonl (or scoring/*.jsonl); each stdout line is its result.
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "traductor/traductor.h"

namespace {

using json = nlohmann::json;

struct ToolError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Throws ToolError with the status message and frees the status.
void check(trd_status* status, const std::string& context) {
  if (!status) return;
  std::string message = context + ": " + trd_status_message(status);
  trd_status_free(status);
  throw ToolError(message);
}

struct CommonFlags {
  std::string model;
  std::string compute_type = "default";
  int inter_threads = 1;
  int intra_threads = 0;
};

int parse_int(const std::string& flag, const std::string& value) {
  try {
    size_t used = 0;
    const int v = std::stoi(value, &used);
    if (used != value.size()) throw std::invalid_argument(value);
    return v;
  } catch (const std::exception&) {
    throw ToolError(flag + " expects an integer, got '" + value + "'");
  }
}

CommonFlags parse_flags(const std::vector<std::string>& args) {
  CommonFlags f;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&]() -> const std::string& {
      if (i + 1 >= args.size()) throw ToolError(a + " needs a value");
      return args[++i];
    };
    if (a == "--model")
      f.model = value();
    else if (a == "--compute-type")
      f.compute_type = value();
    else if (a == "--inter-threads")
      f.inter_threads = parse_int(a, value());
    else if (a == "--intra-threads")
      f.intra_threads = parse_int(a, value());
    else
      throw ToolError("unknown argument '" + a + "'");
  }
  if (f.model.empty()) throw ToolError("--model DIR is required");
  return f;
}

struct Translator {
  trd_translator* handle = nullptr;
  explicit Translator(const CommonFlags& f) {
    trd_translator_config* config = nullptr;
    check(trd_translator_config_create(&config), "config");
    std::unique_ptr<trd_translator_config, decltype(&trd_translator_config_free)> guard(config,
                                                                                        trd_translator_config_free);
    check(trd_translator_config_set_compute_type(config, f.compute_type.c_str()), "--compute-type");
    check(trd_translator_config_set_inter_threads(config, f.inter_threads), "--inter-threads");
    check(trd_translator_config_set_intra_threads(config, f.intra_threads), "--intra-threads");
    check(trd_translator_create(f.model.c_str(), config, &handle), "loading " + f.model);
  }
  ~Translator() { trd_translator_free(handle); }
};

struct Options {
  trd_options* handle = nullptr;
  Options() { check(trd_options_create(&handle), "options"); }
  ~Options() { trd_options_free(handle); }
};

// Flattened token lists as the ABI takes them.
struct Batch {
  std::vector<std::string> storage;
  std::vector<const char*> tokens;
  std::vector<size_t> lengths;
};

Batch flatten(const json& lists, const std::string& field) {
  if (!lists.is_array()) throw ToolError("'" + field + "' must be a list of token lists");
  Batch b;
  for (const auto& list : lists) {
    if (list.is_null()) {
      b.lengths.push_back(0);
      continue;
    }
    if (!list.is_array()) throw ToolError("'" + field + "' must be a list of token lists");
    for (const auto& t : list) {
      if (!t.is_string()) throw ToolError("'" + field + "' tokens must be strings");
      b.storage.push_back(t.get<std::string>());
    }
    b.lengths.push_back(list.size());
  }
  for (const auto& s : b.storage) b.tokens.push_back(s.c_str());
  return b;
}

std::vector<const char*> c_strings(const std::vector<std::string>& v) {
  std::vector<const char*> out;
  for (const auto& s : v) out.push_back(s.c_str());
  return out;
}

void apply_options(trd_options* o, const json& options) {
  if (options.is_null()) return;
  if (!options.is_object()) throw ToolError("'options' must be an object");
  for (const auto& [key, v] : options.items()) {
    const std::string ctx = "option " + key;
    try {
      if (key == "beam_size")
        check(trd_options_set_beam_size(o, v.get<int32_t>()), ctx);
      else if (key == "patience")
        check(trd_options_set_patience(o, v.get<float>()), ctx);
      else if (key == "num_hypotheses")
        check(trd_options_set_num_hypotheses(o, v.get<int32_t>()), ctx);
      else if (key == "length_penalty")
        check(trd_options_set_length_penalty(o, v.get<float>()), ctx);
      else if (key == "coverage_penalty")
        check(trd_options_set_coverage_penalty(o, v.get<float>()), ctx);
      else if (key == "repetition_penalty")
        check(trd_options_set_repetition_penalty(o, v.get<float>()), ctx);
      else if (key == "no_repeat_ngram_size")
        check(trd_options_set_no_repeat_ngram_size(o, v.get<int32_t>()), ctx);
      else if (key == "disable_unk")
        check(trd_options_set_disable_unk(o, v.get<bool>()), ctx);
      else if (key == "return_end_token")
        check(trd_options_set_return_end_token(o, v.get<bool>()), ctx);
      else if (key == "return_scores")
        check(trd_options_set_return_scores(o, v.get<bool>()), ctx);
      else if (key == "use_vmap")
        check(trd_options_set_use_vmap(o, v.get<bool>()), ctx);
      else if (key == "max_input_length")
        check(trd_options_set_max_input_length(o, v.get<int32_t>()), ctx);
      else if (key == "max_decoding_length")
        check(trd_options_set_max_decoding_length(o, v.get<int32_t>()), ctx);
      else if (key == "min_decoding_length")
        check(trd_options_set_min_decoding_length(o, v.get<int32_t>()), ctx);
      else if (key == "max_batch_size")
        check(trd_options_set_max_batch_size(o, v.get<int32_t>()), ctx);
      else if (key == "batch_type")
        check(trd_options_set_batch_type(o, v.get<std::string>().c_str()), ctx);
      else if (key == "end_token") {
        std::vector<std::string> tokens;
        if (v.is_string()) {
          if (!v.get<std::string>().empty()) tokens.push_back(v.get<std::string>());
        } else {
          tokens = v.get<std::vector<std::string>>();
        }
        auto ptrs = c_strings(tokens);
        check(trd_options_set_end_tokens(o, ptrs.data(), ptrs.size()), ctx);
      } else if (key == "suppress_sequences") {
        if (v.is_null()) continue;
        for (const auto& seq : v) {
          auto tokens = seq.get<std::vector<std::string>>();
          auto ptrs = c_strings(tokens);
          check(trd_options_add_suppress_sequence(o, ptrs.data(), ptrs.size()), ctx);
        }
      } else {
        throw ToolError("unsupported option '" + key + "'");
      }
    } catch (const json::exception& e) {
      throw ToolError(ctx + " has the wrong type: " + e.what());
    }
  }
}

json translate_line(trd_translator* t, const json& in) {
  Options options;
  apply_options(options.handle, in.value("options", json::object()));
  Batch source = flatten(in.at("source"), "source");
  Batch prefix;
  const bool has_prefix = in.contains("target_prefix") && !in["target_prefix"].is_null();
  if (has_prefix) {
    prefix = flatten(in["target_prefix"], "target_prefix");
    if (prefix.lengths.size() != source.lengths.size())
      throw ToolError("'target_prefix' must have one entry per source");
  }
  trd_result* result = nullptr;
  check(trd_translate_batch(t, source.tokens.data(), source.lengths.data(), source.lengths.size(),
                            has_prefix ? prefix.tokens.data() : nullptr, has_prefix ? prefix.lengths.data() : nullptr,
                            options.handle, nullptr, &result),
        "translate_batch");
  std::unique_ptr<trd_result, decltype(&trd_result_free)> owned(result, trd_result_free);
  json results = json::array();
  for (size_t e = 0; e < trd_result_num_examples(result); ++e) {
    json hyps = json::array(), scores = json::array();
    for (size_t h = 0; h < trd_result_num_hypotheses(result, e); ++h) {
      json tokens = json::array();
      for (size_t i = 0; i < trd_result_hypothesis_length(result, e, h); ++i)
        tokens.push_back(trd_result_token(result, e, h, i));
      hyps.push_back(std::move(tokens));
      if (trd_result_has_scores(result)) scores.push_back(trd_result_score(result, e, h));
    }
    results.push_back({{"hypotheses", std::move(hyps)}, {"scores", std::move(scores)}});
  }
  return results;
}

json score_line(trd_translator* t, const json& in) {
  Options options;
  apply_options(options.handle, in.value("options", json::object()));
  Batch source = flatten(in.at("source"), "source");
  Batch target = flatten(in.at("target"), "target");
  if (source.lengths.size() != target.lengths.size()) throw ToolError("'target' must have one entry per source");
  trd_score_result* result = nullptr;
  check(trd_score_batch(t, source.tokens.data(), source.lengths.data(), target.tokens.data(), target.lengths.data(),
                        source.lengths.size(), options.handle, nullptr, &result),
        "score_batch");
  std::unique_ptr<trd_score_result, decltype(&trd_score_result_free)> owned(result, trd_score_result_free);
  json results = json::array();
  for (size_t e = 0; e < trd_score_result_num_examples(result); ++e) {
    json tokens = json::array(), log_probs = json::array();
    for (size_t i = 0; i < trd_score_result_length(result, e); ++i) {
      tokens.push_back(trd_score_result_token(result, e, i));
      log_probs.push_back(trd_score_result_log_prob(result, e, i));
    }
    results.push_back({{"tokens", std::move(tokens)}, {"log_probs", std::move(log_probs)}});
  }
  return results;
}

// Reads JSON lines from stdin, answers each with {"id", "results"} on stdout.
int run_lines(const std::vector<std::string>& args, const std::function<json(trd_translator*, const json&)>& handle) {
  const CommonFlags flags = parse_flags(args);
  Translator translator(flags);
  std::string line;
  size_t number = 0;
  while (std::getline(std::cin, line)) {
    ++number;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    try {
      const json in = json::parse(line);
      json out = {{"id", in.value("id", json())}, {"results", handle(translator.handle, in)}};
      std::cout << out.dump() << '\n';
    } catch (const json::exception& e) {
      throw ToolError("line " + std::to_string(number) + ": invalid input: " + e.what());
    } catch (const ToolError& e) {
      throw ToolError("line " + std::to_string(number) + ": " + e.what());
    }
  }
  std::cout.flush();
  return 0;
}

void usage(std::FILE* to) {
  std::fprintf(to,
               "usage: traductor-engine <command> --model DIR [--compute-type default|float32|int8]\n"
               "                        [--inter-threads N] [--intra-threads N]\n"
               "commands:\n"
               "  translate   translate_batch calls as JSON lines (stdin -> stdout)\n"
               "  score       score_batch calls as JSON lines (stdin -> stdout)\n"
               "  bench       --batch N --beam B --src-len S --out-len T [--runs R]: one JSON line of throughput\n");
}

}  // namespace

int run_bench(const std::vector<std::string>& args);  // bench.cc

int main(int argc, char** argv) {
  const std::map<std::string, std::function<int(const std::vector<std::string>&)>> commands = {
      {"translate", [](const std::vector<std::string>& a) { return run_lines(a, translate_line); }},
      {"score", [](const std::vector<std::string>& a) { return run_lines(a, score_line); }},
      {"bench", run_bench},
  };
  if (argc < 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h") {
    usage(argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  const auto command = commands.find(argv[1]);
  if (command == commands.end()) {
    std::fprintf(stderr, "traductor-engine: unknown command '%s' (try --help)\n", argv[1]);
    return 2;
  }
  try {
    return command->second(std::vector<std::string>(argv + 2, argv + argc));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "traductor-engine %s: %s\n", argv[1], e.what());
    return 1;
  }
}

// config.json, vocabulary and vmap.txt readers (ct2-format.md §2.1-§2.3).
#include "model/model_files.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/error.h"

namespace trd::model_files {

namespace {

std::string quote(const std::string& s) { return "\"" + s + "\""; }

std::optional<std::string> token_field(const nlohmann::json& config, const char* key, const std::string& path, bool required) {
  const auto it = config.find(key);
  if (it == config.end()) {
    if (required) fail(TRD_INVALID_MODEL, path + ": missing key " + quote(key) + " (a token string, required for binary version 6)");
    return std::nullopt;
  }
  if (!it->is_string()) fail(TRD_INVALID_MODEL, path + ": key " + quote(key) + " must be a string, not " + it->type_name());
  return it->get<std::string>();
}

std::optional<bool> flag_field(const nlohmann::json& config, const char* key, const std::string& path) {
  const auto it = config.find(key);
  if (it == config.end()) return std::nullopt;
  if (!it->is_boolean()) fail(TRD_INVALID_MODEL, path + ": key " + quote(key) + " must be true or false, not " + it->type_name());
  return it->get<bool>();
}

// nlohmann's messages carry the byte position of a syntax error or of invalid UTF-8.
nlohmann::json parse_json(const std::string& text, const std::string& path) {
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    fail(TRD_INVALID_MODEL, path + ": invalid JSON: " + e.what());
  }
}

bool legacy_flag(const ModelFiles& model, const char* name, bool fallback) {
  const Tensor* t = model.find(name);
  return t ? t->scalar_value() != 0 : fallback;
}

std::string legacy_token(const ModelFiles& model, const char* name, const char* fallback) {
  const Tensor* t = model.find(name);
  return t ? tensor_string_value(*t) : std::string(fallback);
}

}  // namespace

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int error = errno;
    fail(error == ENOENT ? TRD_NOT_FOUND : TRD_INVALID_MODEL, path + ": cannot open: " + std::strerror(error));
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) fail(TRD_INVALID_MODEL, path + ": read failed");
  return std::move(buffer).str();
}

ModelConfig parse_config_json(const std::string& text, const std::string& path, bool require_tokens, ModelConfig base) {
  const nlohmann::json config = parse_json(text, path);
  if (!config.is_object()) fail(TRD_INVALID_MODEL, path + ": expected a JSON object, found " + std::string(config.type_name()));

  ModelConfig result = std::move(base);
  if (auto v = token_field(config, "unk_token", path, require_tokens)) result.unk_token = *v;
  if (auto v = token_field(config, "bos_token", path, require_tokens)) result.bos_token = *v;
  if (auto v = token_field(config, "eos_token", path, require_tokens)) result.eos_token = *v;

  const auto start = config.find("decoder_start_token");
  if (start == config.end()) {
    // CT2's converters always write this key; guessing a start token would silently change
    // every translation, so a version-6 file without it is refused.
    if (require_tokens)
      fail(TRD_INVALID_MODEL, path + ": missing key \"decoder_start_token\" (a token string or null, required for binary version 6)");
  } else if (start->is_null()) {
    result.decoder_start_token = std::nullopt;
  } else if (start->is_string()) {
    result.decoder_start_token = start->get<std::string>();
  } else {
    fail(TRD_INVALID_MODEL, path + ": key \"decoder_start_token\" must be a string or null, not " + start->type_name());
  }

  if (auto v = flag_field(config, "add_source_bos", path)) result.add_source_bos = *v;
  if (auto v = flag_field(config, "add_source_eos", path)) result.add_source_eos = *v;

  const auto epsilon = config.find("layer_norm_epsilon");
  if (epsilon == config.end() || epsilon->is_null()) {
    result.layer_norm_epsilon = std::nullopt;
  } else if (epsilon->is_number()) {
    const double value = epsilon->get<double>();
    if (!std::isfinite(value) || value < 0 || value > 1)
      fail(TRD_INVALID_MODEL, path + ": key \"layer_norm_epsilon\" must be null or a small non-negative number, not " + epsilon->dump());
    result.layer_norm_epsilon = static_cast<float>(value);
  } else {
    fail(TRD_INVALID_MODEL, path + ": key \"layer_norm_epsilon\" must be null or a number, not " + epsilon->type_name());
  }
  // Other keys (multi_query_attention, quantization_type, traductor_smoke_model, ...) are not
  // this reader's business; CTranslate2 carries them along and ignores them too.
  return result;
}

void apply_legacy_config(ModelConfig& config, const ModelFiles& model) {
  config.unk_token = legacy_token(model, "unk_token", "<unk>");
  config.bos_token = legacy_token(model, "bos_token", "<s>");
  config.eos_token = legacy_token(model, "eos_token", "</s>");
  config.add_source_bos = legacy_flag(model, "with_source_bos", false);
  config.add_source_eos = legacy_flag(model, "with_source_eos", false);
  if (legacy_flag(model, "user_decoder_start_tokens", false))
    config.decoder_start_token = std::nullopt;
  else if (legacy_flag(model, "with_target_bos", true))
    config.decoder_start_token = config.bos_token;
  else
    config.decoder_start_token = config.eos_token;
}

std::vector<std::string> parse_vocabulary_json(const std::string& text, const std::string& path) {
  nlohmann::json tokens = parse_json(text, path);
  if (!tokens.is_array()) fail(TRD_INVALID_MODEL, path + ": expected a JSON array of token strings, found " + std::string(tokens.type_name()));
  std::vector<std::string> result;
  result.reserve(tokens.size());
  for (size_t i = 0; i < tokens.size(); ++i) {
    auto& token = tokens[i];
    if (!token.is_string())
      fail(TRD_INVALID_MODEL, path + ": element " + std::to_string(i) + " is " + token.type_name() + ", expected a token string");
    result.push_back(std::move(token.get_ref<std::string&>()));
  }
  return result;
}

std::vector<std::string> parse_vocabulary_text(const std::string& text) {
  std::vector<std::string> tokens;
  size_t with_cr = 0;
  size_t start = 0;
  // std::getline semantics: a final line without '\n' still counts, a final '\n' adds nothing.
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    tokens.emplace_back(text, start, end - start);
    if (!tokens.back().empty() && tokens.back().back() == '\r') ++with_cr;
    start = end + 1;
  }
  if (with_cr > 0 && with_cr == tokens.size())
    for (auto& token : tokens) token.pop_back();
  return tokens;
}

VocabularyMap parse_vocabulary_map(const std::string& text, const std::string& path, const Vocabulary& target) {
  VocabularyMap map;
  map.fixed_candidates = {target.unk_id(), target.bos_id(), target.eos_id()};
  size_t start = 0;
  size_t line_number = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line(text, start, end - start);
    start = end + 1;
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    const size_t tab = line.find('\t');
    if (tab == std::string::npos)
      fail(TRD_INVALID_MODEL, path + ": line " + std::to_string(line_number) + " has no TAB between the source n-gram and the target tokens");
    const std::string key = line.substr(0, tab);
    std::vector<int32_t> ids;
    std::istringstream targets(line.substr(tab + 1));
    for (std::string token; targets >> token;) ids.push_back(target.to_id(token));
    if (key.empty()) {
      map.fixed_candidates.insert(map.fixed_candidates.end(), ids.begin(), ids.end());
      continue;
    }
    map.max_ngram = std::max<size_t>(map.max_ngram, std::count(key.begin(), key.end(), ' ') + 1);
    // A repeated key replaces the earlier rule, as CTranslate2's map assignment does.
    map.rules[key] = std::move(ids);
  }
  std::sort(map.fixed_candidates.begin(), map.fixed_candidates.end());
  map.fixed_candidates.erase(std::unique(map.fixed_candidates.begin(), map.fixed_candidates.end()), map.fixed_candidates.end());
  return map;
}

}  // namespace trd::model_files

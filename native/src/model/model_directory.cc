// load_model_directory: model.bin + config.json + vocabularies (+ vmap.txt), checked against each
// other so the runtime never sees a vocabulary that does not fit the embeddings.
#include <filesystem>

#include "common/error.h"
#include "model/model.h"
#include "model/model_bin.h"
#include "model/model_files.h"

namespace trd {

namespace fs = std::filesystem;

namespace {

bool is_file(const fs::path& path) {
  std::error_code ec;
  return fs::is_regular_file(path, ec);
}

// "<dir>/<name>.json", else "<dir>/<name>.txt", else nullopt (model_reader.cc:L79-94).
std::optional<fs::path> find_vocabulary(const fs::path& dir, const std::string& name) {
  for (const char* extension : {".json", ".txt"}) {
    fs::path candidate = dir / (name + extension);
    if (is_file(candidate)) return candidate;
  }
  return std::nullopt;
}

std::vector<std::string> read_vocabulary(const fs::path& path) {
  const std::string text = model_files::read_file(path.string());
  if (path.extension() == ".json") return model_files::parse_vocabulary_json(text, path.string());
  return model_files::parse_vocabulary_text(text);
}

// The embedding (or projection) rows a vocabulary must match; absent variables are not checked
// here (the runtime reports them), a non-matrix is corrupt.
void check_rows(const ModelFiles& model, const std::string& variable, const Vocabulary& vocabulary, const fs::path& vocabulary_file) {
  const Tensor* t = model.find(variable);
  if (!t) return;
  const fs::path model_bin = fs::path(model.directory) / "model.bin";
  if (t->shape.size() != 2)
    fail(TRD_INVALID_MODEL, model_bin.string() + ": variable '" + variable + "' should be a matrix but has rank " + std::to_string(t->shape.size()));
  if (static_cast<uint64_t>(t->shape[0]) != vocabulary.size())
    fail(TRD_INVALID_MODEL, vocabulary_file.string() + ": vocabulary has " + std::to_string(vocabulary.size()) + " tokens but '" + variable +
                                "' in model.bin has " + std::to_string(t->shape[0]) + " rows");
}

}  // namespace

const Tensor* ModelFiles::find(const std::string& name) const {
  if (auto it = variables.find(name); it != variables.end()) return &it->second;
  if (auto alias = aliases.find(name); alias != aliases.end())
    if (auto it = variables.find(alias->second); it != variables.end()) return &it->second;
  return nullptr;
}

const Tensor& ModelFiles::get(const std::string& name) const {
  if (const Tensor* t = find(name)) return *t;
  fail(TRD_INVALID_MODEL, (fs::path(directory) / "model.bin").string() + ": missing variable '" + name + "'");
}

ModelFiles read_model_bin(const std::string& path) {
  model_bin::FileSource source(path);
  ModelFiles model = model_bin::parse(source, path);
  model.directory = fs::path(path).parent_path().string();
  return model;
}

ModelFiles load_model_directory(const std::string& directory) {
  const fs::path dir(directory);
  std::error_code ec;
  if (!fs::exists(dir, ec)) fail(TRD_NOT_FOUND, directory + ": model directory does not exist");
  if (!fs::is_directory(dir, ec)) fail(TRD_INVALID_MODEL, directory + ": not a directory (expected a CTranslate2 model directory)");

  ModelFiles model = read_model_bin((dir / "model.bin").string());
  model.directory = directory;

  const fs::path config_path = dir / "config.json";
  const bool current = model.binary_version >= 6;
  if (is_file(config_path)) {
    model.config = model_files::parse_config_json(model_files::read_file(config_path.string()), config_path.string(), current);
  } else if (current) {
    fail(TRD_NOT_FOUND, config_path.string() + ": missing; binary version 6 models keep their special tokens in config.json");
  }
  if (!current) model_files::apply_legacy_config(model.config, model);

  fs::path source_file, target_file;
  if (auto shared = find_vocabulary(dir, "shared_vocabulary")) {
    auto vocabulary = std::make_shared<const Vocabulary>(read_vocabulary(*shared), model.config);
    model.source_vocabulary = vocabulary;
    model.target_vocabulary = vocabulary;
    source_file = target_file = *shared;
  } else {
    auto target = find_vocabulary(dir, "target_vocabulary");
    if (!target)
      fail(TRD_NOT_FOUND, directory + ": no vocabulary (looked for shared_vocabulary.json/.txt and target_vocabulary.json/.txt)");
    auto source = find_vocabulary(dir, "source_vocabulary");
    if (!source) {
      source = find_vocabulary(dir, "source_1_vocabulary");
      if (!source) fail(TRD_NOT_FOUND, directory + ": " + target->filename().string() + " exists but no source_vocabulary.json/.txt");
      if (find_vocabulary(dir, "source_2_vocabulary"))
        fail(TRD_UNSUPPORTED, directory + ": several source vocabularies (source features) are not supported");
    }
    model.target_vocabulary = std::make_shared<const Vocabulary>(read_vocabulary(*target), model.config);
    model.source_vocabulary = std::make_shared<const Vocabulary>(read_vocabulary(*source), model.config);
    source_file = *source;
    target_file = *target;
  }

  check_rows(model, "decoder/embeddings/weight", *model.target_vocabulary, target_file);
  check_rows(model, "decoder/projection/weight", *model.target_vocabulary, target_file);
  check_rows(model, "encoder/embeddings_0/weight", *model.source_vocabulary, source_file);
  check_rows(model, "encoder/embeddings/weight", *model.source_vocabulary, source_file);

  const fs::path vmap = dir / "vmap.txt";
  if (is_file(vmap))
    model.vocabulary_map = model_files::parse_vocabulary_map(model_files::read_file(vmap.string()), vmap.string(), *model.target_vocabulary);
  return model;
}

}  // namespace trd

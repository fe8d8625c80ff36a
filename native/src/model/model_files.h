// Readers for the files of a model directory other than model.bin (ct2-format.md §2). Internal to
// src/model and its tests; the runtime uses load_model_directory().
#pragma once

#include <string>
#include <vector>

#include "model/model.h"

namespace trd::model_files {

// The whole file as bytes. TRD_NOT_FOUND when missing.
std::string read_file(const std::string& path);

// config.json. With `require_tokens` (binary version 6) the token keys must be present, as
// CTranslate2 reads them unconditionally; otherwise missing keys keep `base`'s values.
ModelConfig parse_config_json(const std::string& text, const std::string& path, bool require_tokens, ModelConfig base = {});

// Binary versions < 6 kept the special tokens and input flags as model.bin variables; CTranslate2
// copies them over config.json's values (sequence_to_sequence.cc:L60-77).
void apply_legacy_config(ModelConfig& config, const ModelFiles& model);

// A JSON array of strings (shared_vocabulary.json and friends).
std::vector<std::string> parse_vocabulary_json(const std::string& text, const std::string& path);
// One token per line; a trailing '\r' is removed only when every line has one.
std::vector<std::string> parse_vocabulary_text(const std::string& text);

// vmap.txt: "<source n-gram>\t<target tokens>" per line, mapped through the target vocabulary.
VocabularyMap parse_vocabulary_map(const std::string& text, const std::string& path, const Vocabulary& target);

}  // namespace trd::model_files

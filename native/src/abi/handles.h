// Definitions of the opaque ABI types implemented over the runtime.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "runtime/options.h"
#include "runtime/translator.h"
#include "traductor/traductor.h"

struct trd_translator_config {
  trd::runtime::TranslatorConfig config;
};

struct trd_translator {
  std::unique_ptr<trd::runtime::Translator> translator;
};

struct trd_options {
  trd::runtime::TranslationOptions options;
};

struct trd_result {
  std::vector<trd::runtime::TranslationResult> examples;
  bool has_scores = false;
};

struct trd_score_result {
  std::vector<trd::runtime::ScoringResult> examples;
};


// trd_options_*: CTranslate2's translate_batch options with their defaults.
#include <cmath>
#include <string>

#include "abi/handles.h"
#include "abi/status.h"

namespace {

using trd::abi::guard;
using trd::abi::require;

void invalid(const std::string& message) { trd::fail(TRD_INVALID_ARGUMENT, message); }

template <typename Body>
trd_status* set(trd_options* o, Body&& body) {
  return guard([&] {
    require(o, "options");
    body(o->options);
  });
}

std::vector<std::string> token_list(const char* const* tokens, size_t count, const char* what) {
  if (count > 0) require(tokens, what);
  std::vector<std::string> out;
  for (size_t i = 0; i < count; ++i) {
    if (!tokens[i]) invalid(std::string(what) + "[" + std::to_string(i) + "] must not be NULL");
    out.emplace_back(tokens[i]);
  }
  return out;
}

}  // namespace

extern "C" {

trd_status* trd_options_create(trd_options** out) {
  return guard(out, [&] {
    require(out, "out");
    *out = new trd_options();
  });
}

void trd_options_free(trd_options* options) { delete options; }

trd_status* trd_options_set_beam_size(trd_options* o, int32_t v) {
  return set(o, [&](auto& opt) {
    if (v < 1) invalid("beam_size must be >= 1, got " + std::to_string(v));
    opt.beam_size = v;
  });
}

trd_status* trd_options_set_patience(trd_options* o, float v) {
  return set(o, [&](auto& opt) {
    if (!(v > 0) || !std::isfinite(v)) invalid("patience must be > 0, got " + std::to_string(v));
    opt.patience = v;
  });
}

trd_status* trd_options_set_num_hypotheses(trd_options* o, int32_t v) {
  return set(o, [&](auto& opt) {
    if (v < 1) invalid("num_hypotheses must be >= 1, got " + std::to_string(v));
    opt.num_hypotheses = v;
  });
}

trd_status* trd_options_set_length_penalty(trd_options* o, float v) {
  return set(o, [&](auto& opt) {
    if (!std::isfinite(v)) invalid("length_penalty must be finite");
    opt.length_penalty = v;
  });
}

trd_status* trd_options_set_coverage_penalty(trd_options* o, float v) {
  return set(o, [&](auto& opt) {
    if (!std::isfinite(v)) invalid("coverage_penalty must be finite");
    opt.coverage_penalty = v;
  });
}

trd_status* trd_options_set_repetition_penalty(trd_options* o, float v) {
  return set(o, [&](auto& opt) {
    if (!(v > 0) || !std::isfinite(v)) invalid("repetition_penalty must be > 0, got " + std::to_string(v));
    opt.repetition_penalty = v;
  });
}

trd_status* trd_options_set_no_repeat_ngram_size(trd_options* o, int32_t v) {
  return set(o, [&](auto& opt) {
    if (v < 0) invalid("no_repeat_ngram_size must be >= 0, got " + std::to_string(v));
    opt.no_repeat_ngram_size = v;
  });
}

trd_status* trd_options_set_disable_unk(trd_options* o, int32_t v) {
  return set(o, [&](auto& opt) { opt.disable_unk = v != 0; });
}

trd_status* trd_options_add_suppress_sequence(trd_options* o, const char* const* tokens, size_t length) {
  return set(o, [&](auto& opt) {
    if (length == 0) invalid("suppress_sequences: a sequence must not be empty");
    opt.suppress_sequences.push_back(token_list(tokens, length, "suppress_sequences"));
  });
}

trd_status* trd_options_set_end_tokens(trd_options* o, const char* const* tokens, size_t count) {
  return set(o, [&](auto& opt) { opt.end_tokens = token_list(tokens, count, "end_token"); });
}

trd_status* trd_options_set_return_end_token(trd_options* o, int32_t v) {
  return set(o, [&](auto& opt) { opt.return_end_token = v != 0; });
}

trd_status* trd_options_set_max_input_length(trd_options* o, int32_t v) {
  return set(o, [&](auto& opt) {
    if (v < 0) invalid("max_input_length must be >= 0 (0 disables truncation), got " + std::to_string(v));
    opt.max_input_length = v;
  });
}

trd_status* trd_options_set_max_decoding_length(trd_options* o, int32_t v) {
  return set(o, [&](auto& opt) {
    if (v < 1) invalid("max_decoding_length must be >= 1, got " + std::to_string(v));
    opt.max_decoding_length = v;
  });
}

trd_status* trd_options_set_min_decoding_length(trd_options* o, int32_t v) {
  return set(o, [&](auto& opt) {
    if (v < 0) invalid("min_decoding_length must be >= 0, got " + std::to_string(v));
    opt.min_decoding_length = v;
  });
}

trd_status* trd_options_set_return_scores(trd_options* o, int32_t v) {
  return set(o, [&](auto& opt) { opt.return_scores = v != 0; });
}

trd_status* trd_options_set_use_vmap(trd_options* o, int32_t v) {
  return set(o, [&](auto& opt) { opt.use_vmap = v != 0; });
}

trd_status* trd_options_set_max_batch_size(trd_options* o, int32_t v) {
  return set(o, [&](auto& opt) {
    if (v < 0) invalid("max_batch_size must be >= 0 (0 = one batch), got " + std::to_string(v));
    opt.max_batch_size = v;
  });
}

trd_status* trd_options_set_batch_type(trd_options* o, const char* batch_type) {
  return set(o, [&](auto& opt) {
    require(batch_type, "batch_type");
    const std::string value(batch_type);
    if (value == "examples")
      opt.batch_type = trd::runtime::BatchType::Examples;
    else if (value == "tokens")
      opt.batch_type = trd::runtime::BatchType::Tokens;
    else
      invalid("batch_type must be \"examples\" or \"tokens\", got \"" + value + "\"");
  });
}

}  // extern "C"

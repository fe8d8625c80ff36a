// CTranslate2's Vocabulary construction rules (vocabulary.cc:L36-75, ct2-format.md §2.2).
#include "common/error.h"
#include "model/model.h"

namespace trd {

Vocabulary::Vocabulary(std::vector<std::string> tokens, const ModelConfig& config) : tokens_(std::move(tokens)) {
  if (tokens_.size() >= static_cast<size_t>(INT32_MAX))
    fail(TRD_INVALID_MODEL, "vocabulary has " + std::to_string(tokens_.size()) + " tokens, more than token ids can address");
  ids_.reserve(tokens_.size() + 1);
  // A duplicated token keeps its first id for token -> id; id -> token still returns it at each position.
  for (size_t i = 0; i < tokens_.size(); ++i) ids_.emplace(tokens_[i], static_cast<int32_t>(i));
  if (!ids_.count(config.unk_token)) {
    // CTranslate2 appends a missing unknown token as an extra id.
    ids_.emplace(config.unk_token, static_cast<int32_t>(tokens_.size()));
    tokens_.push_back(config.unk_token);
  }
  unk_id_ = ids_.at(config.unk_token);
  bos_id_ = to_id(config.bos_token);
  eos_id_ = to_id(config.eos_token);
}

int32_t Vocabulary::to_id(const std::string& token) const {
  const auto it = ids_.find(token);
  return it == ids_.end() ? unk_id_ : it->second;
}

int32_t Vocabulary::find(const std::string& token) const {
  const auto it = ids_.find(token);
  return it == ids_.end() ? -1 : it->second;
}

}  // namespace trd

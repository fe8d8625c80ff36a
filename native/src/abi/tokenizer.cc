// extern "C" tokenizer entry points over trd::SentencePieceTokenizer.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "abi/status.h"
#include "tokenizer/sentencepiece_tokenizer.h"
#include "traductor/traductor.h"

struct trd_tokenizer {
  std::unique_ptr<trd::SentencePieceTokenizer> impl;
};

struct trd_pieces {
  std::vector<std::string> items;
};

extern "C" {

trd_status* trd_tokenizer_create(const char* model_path, trd_tokenizer** out) {
  return trd::abi::guard(out, [&] {
    trd::abi::require(out, "out");
    trd::abi::require(model_path, "model_path");
    auto tokenizer = std::make_unique<trd_tokenizer>();
    tokenizer->impl = trd::SentencePieceTokenizer::load(model_path);
    *out = tokenizer.release();
  });
}

void trd_tokenizer_free(trd_tokenizer* tokenizer) { delete tokenizer; }

trd_status* trd_tokenizer_encode(const trd_tokenizer* tokenizer, const char* text, size_t text_length,
                                 trd_pieces** out) {
  return trd::abi::guard(out, [&] {
    trd::abi::require(out, "out");
    trd::abi::require(tokenizer, "tokenizer");
    // An empty text may legitimately come with a NULL pointer.
    if (text_length > 0) trd::abi::require(text, "text");
    auto pieces = std::make_unique<trd_pieces>();
    pieces->items = tokenizer->impl->encode(std::string_view(text ? text : "", text_length));
    *out = pieces.release();
  });
}

trd_status* trd_tokenizer_decode(const trd_tokenizer* tokenizer, const char* const* pieces, size_t count,
                                 trd_pieces** out) {
  return trd::abi::guard(out, [&] {
    trd::abi::require(out, "out");
    trd::abi::require(tokenizer, "tokenizer");
    if (count > 0) trd::abi::require(pieces, "pieces");
    std::vector<std::string_view> views;
    views.reserve(count);
    for (size_t i = 0; i < count; ++i) {
      if (!pieces[i]) trd::fail(TRD_INVALID_ARGUMENT, "pieces[" + std::to_string(i) + "] must not be NULL");
      views.emplace_back(pieces[i]);
    }
    auto result = std::make_unique<trd_pieces>();
    result->items.push_back(tokenizer->impl->decode(views));
    *out = result.release();
  });
}

size_t trd_tokenizer_piece_count(const trd_tokenizer* tokenizer) {
  return tokenizer ? tokenizer->impl->piece_count() : 0;
}

const char* trd_tokenizer_piece(const trd_tokenizer* tokenizer, size_t id) {
  return tokenizer ? tokenizer->impl->piece(id) : nullptr;
}

void trd_pieces_free(trd_pieces* pieces) { delete pieces; }

size_t trd_pieces_count(const trd_pieces* pieces) { return pieces ? pieces->items.size() : 0; }

const char* trd_pieces_get(const trd_pieces* pieces, size_t index) {
  if (!pieces || index >= pieces->items.size()) return nullptr;
  return pieces->items[index].c_str();
}

}  // extern "C"

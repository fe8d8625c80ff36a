// SentencePiece tokenization through Debian's libsentencepiece, the reference implementation:
// pieces must be exactly what `spm_encode --output_format=piece` prints, whatever the model type
// (BPE or unigram), so we never re-implement the algorithm.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace sentencepiece {
class SentencePieceProcessor;
}

namespace trd {

class SentencePieceTokenizer {
 public:
  // Throws trd::Error: TRD_NOT_FOUND (no such file), TRD_INVALID_ARGUMENT (not a regular file),
  // TRD_INVALID_MODEL (unreadable or not a SentencePiece model).
  static std::unique_ptr<SentencePieceTokenizer> load(const std::string& model_path);
  ~SentencePieceTokenizer();

  SentencePieceTokenizer(const SentencePieceTokenizer&) = delete;
  SentencePieceTokenizer& operator=(const SentencePieceTokenizer&) = delete;

  // Throws TRD_INVALID_ARGUMENT on invalid UTF-8 or an embedded NUL (pieces are NUL-terminated
  // across the ABI, so a NUL inside one could not be represented).
  std::vector<std::string> encode(std::string_view text) const;
  std::string decode(const std::vector<std::string_view>& pieces) const;

  size_t piece_count() const;
  // nullptr when out of range; otherwise valid for the tokenizer's lifetime.
  const char* piece(size_t id) const;

 private:
  explicit SentencePieceTokenizer(std::unique_ptr<sentencepiece::SentencePieceProcessor> processor);
  std::unique_ptr<sentencepiece::SentencePieceProcessor> processor_;
};

// Returns the byte offset of the first invalid UTF-8 sequence (or NUL byte), or npos when `text`
// is valid. Overlong forms, surrogates and code points above U+10FFFF are invalid.
size_t find_invalid_utf8(std::string_view text);

}  // namespace trd

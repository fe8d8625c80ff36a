#include "tokenizer/sentencepiece_tokenizer.h"

#include <sentencepiece_processor.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <system_error>

#include "common/error.h"

namespace trd {
namespace {

std::string read_model_file(const std::string& model_path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const auto status = fs::status(fs::path(model_path), ec);
  if (ec || !fs::exists(status)) {
    fail(TRD_NOT_FOUND, "SentencePiece model not found: " + model_path);
  }
  if (!fs::is_regular_file(status)) {
    fail(TRD_INVALID_ARGUMENT, "SentencePiece model path is not a regular file: " + model_path);
  }
  std::ifstream in(model_path, std::ios::binary);
  if (!in) fail(TRD_INVALID_MODEL, "cannot open SentencePiece model " + model_path);
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) fail(TRD_INVALID_MODEL, "cannot read SentencePiece model " + model_path);
  // An empty protobuf parses as a valid (empty) message, so name the real problem.
  if (data.empty()) fail(TRD_INVALID_MODEL, "SentencePiece model " + model_path + " is empty");
  return data;
}

// `describe` names the offending input; it is only called on failure.
template <typename Describe>
void require_valid_utf8(std::string_view text, Describe&& describe) {
  const size_t offset = find_invalid_utf8(text);
  if (offset == std::string_view::npos) return;
  const std::string problem = text[offset] == '\0' ? "a NUL byte" : "invalid UTF-8";
  fail(TRD_INVALID_ARGUMENT, describe() + " contains " + problem + " at byte offset " + std::to_string(offset));
}

}  // namespace

SentencePieceTokenizer::SentencePieceTokenizer(std::unique_ptr<sentencepiece::SentencePieceProcessor> processor)
    : processor_(std::move(processor)) {}

SentencePieceTokenizer::~SentencePieceTokenizer() = default;

std::unique_ptr<SentencePieceTokenizer> SentencePieceTokenizer::load(const std::string& model_path) {
  const std::string data = read_model_file(model_path);
  auto processor = std::make_unique<sentencepiece::SentencePieceProcessor>();
  const auto status = processor->LoadFromSerializedProto(data);
  if (!status.ok()) {
    fail(TRD_INVALID_MODEL, "not a valid SentencePiece model: " + model_path + " (" + status.ToString() + ")");
  }
  if (processor->GetPieceSize() <= 0) {
    fail(TRD_INVALID_MODEL, "SentencePiece model " + model_path + " has no pieces");
  }
  return std::unique_ptr<SentencePieceTokenizer>(new SentencePieceTokenizer(std::move(processor)));
}

std::vector<std::string> SentencePieceTokenizer::encode(std::string_view text) const {
  require_valid_utf8(text, [] { return std::string("text"); });
  std::vector<std::string> pieces;
  const auto status = processor_->Encode(absl::string_view(text.data(), text.size()), &pieces);
  if (!status.ok()) fail(TRD_INTERNAL, "SentencePiece encode failed: " + status.ToString());
  return pieces;
}

std::string SentencePieceTokenizer::decode(const std::vector<std::string_view>& pieces) const {
  std::vector<absl::string_view> views;
  views.reserve(pieces.size());
  for (size_t i = 0; i < pieces.size(); ++i) {
    require_valid_utf8(pieces[i], [i] { return "piece " + std::to_string(i); });
    views.emplace_back(pieces[i].data(), pieces[i].size());
  }
  std::string text;
  const auto status = processor_->Decode(views, &text);
  if (!status.ok()) fail(TRD_INTERNAL, "SentencePiece decode failed: " + status.ToString());
  return text;
}

size_t SentencePieceTokenizer::piece_count() const { return static_cast<size_t>(processor_->GetPieceSize()); }

const char* SentencePieceTokenizer::piece(size_t id) const {
  if (id >= piece_count()) return nullptr;
  return processor_->IdToPiece(static_cast<int>(id)).c_str();
}

}  // namespace trd

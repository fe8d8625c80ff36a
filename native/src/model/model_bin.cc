// model.bin reader: binary versions 1-6 as written by CTranslate2's ModelSpec._serialize and read by
// CTranslate2 4.8.1 (ct2-format.md §1). Every count and size is checked against the bytes left in
// the file before it is used, so truncated or corrupt files fail with a message that names the
// file, the byte offset and the variable, and never allocate more than the file could hold.
#include "model/model_bin.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "common/error.h"

namespace trd::model_bin {

namespace {

constexpr uint32_t kMaxBinaryVersion = 6;
constexpr uint32_t kTransformerSpecRevision = 7;  // TransformerModel::current_spec_revision()

std::string quote(const std::string& s) { return "'" + s + "'"; }

// Spec names the CTranslate2 4.8.1 model factory knows (model_factory.cc), and whether this
// engine runs them. The translation ones all map to CT2's TransformerModel.
enum class SpecKind { Translation, OtherCt2Model, Unknown };

SpecKind classify_spec(const std::string& name) {
  if (name.empty() || name == "TransformerBase" || name == "TransformerBig" || name == "TransformerSpec")
    return SpecKind::Translation;
  if (name == "TransformerDecoderSpec" || name == "TransformerEncoderSpec" || name == "WhisperSpec" ||
      name == "Wav2Vec2Spec" || name == "Wav2Vec2BertSpec")
    return SpecKind::OtherCt2Model;
  return SpecKind::Unknown;
}

class Parser {
 public:
  Parser(ByteSource& source, const std::string& file) : source_(source), file_(file), size_(source.size()) {}

  ModelFiles run();

 private:
  // The record being read, for messages. Built into text only when something fails: the fuzz
  // tests parse tens of thousands of files, and real models have hundreds of records.
  struct Record {
    const char* kind = nullptr;  // "variable" or "alias"; nullptr in the header
    uint32_t index = 0, count = 0;
    uint64_t offset = 0;
    std::string name;  // empty until the name has been read
  };

  uint64_t remaining() const { return size_ - position_; }

  void begin_record(uint32_t index) {
    record_.index = index;
    record_.offset = position_;
    record_.name.clear();
  }

  std::string context() const {
    if (!record_.kind) return "";
    const std::string where = "record " + std::to_string(record_.index) + " of " + std::to_string(record_.count) +
                              ", starting at byte offset " + std::to_string(record_.offset);
    if (record_.name.empty()) return std::string(" of ") + record_.kind + " " + where;
    return std::string(" of ") + record_.kind + " " + quote(record_.name) + " (" + where + ")";
  }

  [[noreturn]] void corrupt(const std::string& what) const { fail(TRD_INVALID_MODEL, file_ + ": " + what); }

  // `what` names the field; the current record is appended.
  void need(uint64_t bytes, const char* what) const {
    if (bytes > remaining())
      corrupt("truncated at byte offset " + std::to_string(position_) + " while reading " + what + context() + ": needs " +
              std::to_string(bytes) + " bytes but only " + std::to_string(remaining()) + " remain (file size " +
              std::to_string(size_) + ")");
  }

  void read_raw(void* dst, size_t n, const char* what) {
    need(n, what);
    source_.read(dst, n);
    position_ += n;
  }

  // Fields are little-endian (the format is host-endian, and every producer is little-endian).
  template <typename T>
  static T decode(const uint8_t* bytes) {
    uint64_t value = 0;
    for (size_t i = 0; i < sizeof(T); ++i) value |= static_cast<uint64_t>(bytes[i]) << (8 * i);
    return static_cast<T>(value);
  }

  template <typename T>
  T read_int(const char* what) {
    uint8_t bytes[sizeof(T)];
    read_raw(bytes, sizeof(T), what);
    return decode<T>(bytes);
  }

  // u16 length L (characters + 1, including a trailing NUL the reader drops unchecked, as CT2 does).
  std::string read_string(const char* what, const char* length_what) {
    const uint64_t offset = position_;
    const uint16_t length = read_int<uint16_t>(length_what);
    if (length == 0) corrupt("invalid string length 0 at byte offset " + std::to_string(offset) + " (" + what + context() + ")");
    std::string value(length, '\0');
    read_raw(value.data(), length, what);
    value.pop_back();
    return value;
  }

  void read_header(ModelFiles& model);
  void read_variables(ModelFiles& model);
  void read_aliases(ModelFiles& model);

  ByteSource& source_;
  const std::string& file_;
  const uint64_t size_;
  uint64_t position_ = 0;
  Record record_;
};

void Parser::read_header(ModelFiles& model) {
  model.binary_version = read_int<uint32_t>("the binary version");
  if (model.binary_version == 0) corrupt("binary version 0 at byte offset 0 is not a model.bin version (expected 1 to 6)");
  if (model.binary_version > kMaxBinaryVersion)
    fail(TRD_UNSUPPORTED, file_ + ": Unsupported model binary version " + std::to_string(model.binary_version) +
                              ". This file was generated by a later version of CTranslate2; Traductor reads binary versions 1 to " +
                              std::to_string(kMaxBinaryVersion) + ", like CTranslate2 4.8.1");
  if (model.binary_version >= 2) {
    model.spec_name = read_string("the spec name", "the length of the spec name");
    model.spec_revision = read_int<uint32_t>("the spec revision");
  } else {
    model.spec_name = "";
    model.spec_revision = 1;
  }
  switch (classify_spec(model.spec_name)) {
    case SpecKind::Translation: break;
    case SpecKind::OtherCt2Model:
      fail(TRD_UNSUPPORTED, file_ + ": model type " + quote(model.spec_name) +
                                " is a CTranslate2 model but not a sequence-to-sequence Transformer; Traductor runs only "
                                "TransformerSpec translation models");
    case SpecKind::Unknown:
      fail(TRD_UNSUPPORTED, file_ + ": Unknown model " + quote(model.spec_name) + " (spec name at byte offset 4)");
  }
  if (model.spec_revision > kTransformerSpecRevision)
    fail(TRD_UNSUPPORTED, file_ + ": Unsupported " + (model.spec_name.empty() ? std::string("Transformer") : model.spec_name) +
                              " revision " + std::to_string(model.spec_revision) +
                              ". This file was generated by a later version of CTranslate2; Traductor reads revisions up to " +
                              std::to_string(kTransformerSpecRevision) + ", like CTranslate2 4.8.1");
}

// No up-front "count × minimal record size fits" check: each record consumes at least 9 bytes, so
// a flipped count ends at the end of the file within file-size/9 iterations, and the failure then
// names the byte offset and record ("record 60 of 4294967295") instead of a vaguer count error.
void Parser::read_variables(ModelFiles& model) {
  const uint32_t count = read_int<uint32_t>("the variable count");
  record_ = Record{"variable", 0, count, 0, {}};
  for (uint32_t i = 0; i < count; ++i) {
    begin_record(i);
    Tensor tensor;
    tensor.name = read_string("the variable name", "the length of the variable name");
    if (model.binary_version == 1) tensor.name = map_v1_variable_name(tensor.name);
    record_.name = tensor.name;

    const uint8_t rank = read_int<uint8_t>("the rank");
    uint8_t dims[255 * 4];
    read_raw(dims, static_cast<size_t>(rank) * 4, "the dimensions");
    tensor.shape.reserve(rank);
    // Up to 255 u32 dims can overflow 64 bits. The product of the non-zero dims must stay far
    // below that too, even when a zero dim makes the tensor empty, so that no consumer computing
    // partial products of the shape (rows × cols, ...) can overflow int64.
    constexpr uint64_t kMaxElements = uint64_t{1} << 60;
    uint64_t nonzero_product = 1;
    bool overflow = false, empty = false;
    for (uint8_t d = 0; d < rank; ++d) {
      const uint32_t dim = decode<uint32_t>(dims + 4 * d);
      tensor.shape.push_back(dim);
      if (dim == 0) empty = true;
      else if (nonzero_product > kMaxElements / dim) overflow = true;
      else nonzero_product *= dim;
    }
    const uint64_t elements = empty ? 0 : nonzero_product;

    uint64_t bytes = 0;
    if (model.binary_version >= 4) {
      const uint64_t dtype_offset = position_;
      const uint8_t id = read_int<uint8_t>("the dtype id");
      const auto dtype = dtype_from_id(id);
      if (!dtype)
        corrupt("unknown dtype id " + std::to_string(id) + " at byte offset " + std::to_string(dtype_offset) + context() +
                " (valid ids are 0 to 5)");
      tensor.dtype = *dtype;
      const uint64_t size_offset = position_;
      bytes = read_int<uint32_t>("the payload byte count");
      const uint64_t item = dtype_size(tensor.dtype);
      if (overflow || elements * item != bytes)
        corrupt("variable " + quote(tensor.name) + " has an invalid payload size: byte count " + std::to_string(bytes) +
                " at byte offset " + std::to_string(size_offset) + " does not match its " + dtype_name(tensor.dtype) + " shape" +
                context());
    } else {
      // Before version 4 the record holds an item size (which implies the dtype) and an element count.
      const uint64_t item_offset = position_;
      const uint8_t item = read_int<uint8_t>("the item size");
      switch (item) {
        case 4: tensor.dtype = DType::Float32; break;
        case 2: tensor.dtype = DType::Int16; break;
        case 1: tensor.dtype = DType::Int8; break;
        default:
          corrupt("invalid item size " + std::to_string(item) + " at byte offset " + std::to_string(item_offset) + context() +
                  " (binary version " + std::to_string(model.binary_version) + " allows 1, 2 or 4)");
      }
      const uint64_t count_field_offset = position_;
      const uint32_t stored_elements = read_int<uint32_t>("the element count");
      if (overflow || stored_elements != elements)
        corrupt("variable " + quote(tensor.name) + " has an invalid payload size: element count " + std::to_string(stored_elements) +
                " at byte offset " + std::to_string(count_field_offset) + " does not match its shape" + context());
      bytes = static_cast<uint64_t>(stored_elements) * item;
    }

    need(bytes, "the payload");  // before allocating: a corrupt size must not allocate
    tensor.data.resize(bytes);
    read_raw(tensor.data.data(), bytes, "the payload");

    if (model.variables.count(tensor.name)) corrupt("duplicate name: a second record" + context());
    std::string name = tensor.name;
    model.variables.emplace(std::move(name), std::move(tensor));
  }
  record_ = Record{};
}

// CTranslate2's register_variable_alias: an alias is kept only if its target exists (following
// earlier aliases), and it never replaces an existing variable or alias.
void register_alias(ModelFiles& model, const std::string& alias, const std::string& target) {
  if (model.variables.count(alias) || model.aliases.count(alias)) return;
  if (model.variables.count(target)) {
    model.aliases.emplace(alias, target);
    return;
  }
  const auto chained = model.aliases.find(target);
  if (chained != model.aliases.end()) model.aliases.emplace(alias, chained->second);
}

void Parser::read_aliases(ModelFiles& model) {
  const uint32_t count = read_int<uint32_t>("the alias count");
  record_ = Record{"alias", 0, count, 0, {}};
  for (uint32_t i = 0; i < count; ++i) {
    begin_record(i);
    const std::string alias = read_string("the alias name", "the length of the alias name");
    record_.name = alias;
    const std::string target = read_string("the alias target", "the length of the alias target");
    register_alias(model, alias, target);
    // An aliased quantized weight shares its target's scale; the writer does not store it twice.
    register_alias(model, alias + "_scale", target + "_scale");
    register_alias(model, alias + "_zero", target + "_zero");
  }
  record_ = Record{};
}

// TransformerModel's spec-revision compatibility (transformer.cc:L61-80).
void apply_revision_compatibility(ModelFiles& model) {
  if (model.spec_revision < 3 && !model.variables.count("num_heads")) {
    Tensor heads;
    heads.name = "num_heads";
    heads.dtype = DType::Int8;
    heads.data = {static_cast<uint8_t>(model.spec_name == "TransformerBig" ? 16 : 8)};
    model.variables.emplace(heads.name, std::move(heads));
  }
  if (model.spec_revision < 5) {
    static const char* const kFlags[][2] = {
        {"encoder/num_heads", "num_heads"},           {"encoder/pre_norm", "pre_norm"},
        {"encoder/activation", "activation"},         {"encoder/embeddings_merge", "embeddings_merge"},
        {"decoder/num_heads", "num_heads"},           {"decoder/pre_norm", "pre_norm"},
        {"decoder/activation", "activation"},         {"decoder/alignment_layer", "alignment_layer"},
        {"decoder/alignment_heads", "alignment_heads"},
    };
    for (const auto& flag : kFlags) register_alias(model, flag[0], flag[1]);
  }
}

ModelFiles Parser::run() {
  ModelFiles model;
  read_header(model);
  read_variables(model);
  if (model.binary_version >= 3) read_aliases(model);
  // Bytes after the alias section are ignored, as CTranslate2 does: its reader stops there and
  // never looks for more (ct2-format.md §1.6).
  apply_revision_compatibility(model);
  return model;
}

void replace_first(std::string& s, const std::string& from, const std::string& to) {
  const size_t at = s.find(from);
  if (at != std::string::npos) s.replace(at, from.size(), to);
}

}  // namespace

void MemorySource::read(void* dst, size_t n) {
  if (n > size_ - position_) fail(TRD_INTERNAL, "MemorySource: read past the end");
  if (n) std::memcpy(dst, data_ + position_, n);
  position_ += n;
}

FileSource::FileSource(const std::string& path) : path_(path) {
  file_ = std::fopen(path.c_str(), "rb");
  if (!file_) {
    const int error = errno;
    fail(error == ENOENT ? TRD_NOT_FOUND : TRD_INVALID_MODEL, path + ": cannot open: " + std::strerror(error));
  }
  struct stat info;
  if (fstat(fileno(file_), &info) != 0 || !S_ISREG(info.st_mode)) {
    std::fclose(file_);
    file_ = nullptr;
    fail(TRD_INVALID_MODEL, path + ": not a regular file");
  }
  size_ = static_cast<uint64_t>(info.st_size);
}

FileSource::~FileSource() {
  if (file_) std::fclose(file_);
}

void FileSource::read(void* dst, size_t n) {
  if (n && std::fread(dst, 1, n, file_) != n)
    fail(TRD_INVALID_MODEL, path_ + ": read failed or the file shrank while being read" +
                                (std::ferror(file_) ? std::string(": ") + std::strerror(errno) : std::string()));
}

ModelFiles parse(ByteSource& source, const std::string& file_name) { return Parser(source, file_name).run(); }

// Binary version 1 stored OpenNMT-tf's own names. This follows CTranslate2's map_v1_variable_name
// (transformer.cc:L16-33): first-occurrence substring replacements, in this order.
std::string map_v1_variable_name(std::string name) {
  replace_first(name, "transformer/", "");
  replace_first(name, ":0", "");
  replace_first(name, "w_embs", "embeddings/weight");
  replace_first(name, "kernel", "weight");
  replace_first(name, "LayerNorm", "layer_norm");
  replace_first(name, "dense", "projection");
  replace_first(name, "conv1d_", "linear_");
  replace_first(name, "conv1d", "linear_0");
  if (name.find("encoder") != std::string::npos) {
    replace_first(name, "multi_head", "self_attention");
  } else {
    replace_first(name, "masked_multi_head", "self_attention");
    replace_first(name, "multi_head", "attention");
  }
  return name;
}

}  // namespace trd::model_bin

// model.bin parsing internals, shared by the directory loader and the tests (which feed it bytes
// from memory to truncate and corrupt files at every offset without touching the disk).
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

#include "model/model.h"

namespace trd::model_bin {

// Sequential bytes of known total size. Sizes stored in the file are checked against size()
// before anything is allocated, so a corrupt count cannot trigger a huge allocation.
class ByteSource {
 public:
  virtual ~ByteSource() = default;
  virtual uint64_t size() const = 0;
  // Copies the next `n` bytes into `dst`; the parser never asks for more than size() allows.
  virtual void read(void* dst, size_t n) = 0;
};

class MemorySource final : public ByteSource {
 public:
  MemorySource(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  uint64_t size() const override { return size_; }
  void read(void* dst, size_t n) override;

 private:
  const uint8_t* data_;
  size_t size_;
  size_t position_ = 0;
};

// Streams a file through stdio: payloads are copied straight into their tensors, so peak memory
// is the model itself, not model plus a file-sized buffer.
class FileSource final : public ByteSource {
 public:
  explicit FileSource(const std::string& path);  // TRD_NOT_FOUND when missing
  ~FileSource() override;
  FileSource(const FileSource&) = delete;
  FileSource& operator=(const FileSource&) = delete;
  uint64_t size() const override { return size_; }
  void read(void* dst, size_t n) override;

 private:
  std::string path_;
  std::FILE* file_ = nullptr;
  uint64_t size_ = 0;
};

// Parses a whole model.bin. `file_name` is what error messages call the file (its path).
// Fills binary_version, spec_name, spec_revision, variables and aliases (with the implied
// `_scale`/`_zero` companions and the spec-revision compatibility aliases of §1.7).
ModelFiles parse(ByteSource& source, const std::string& file_name);

// OpenNMT-tf variable name (binary version 1) -> TransformerSpec name.
std::string map_v1_variable_name(std::string name);

}  // namespace trd::model_bin

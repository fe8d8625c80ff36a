// Tensor helpers: dtype table, element counts, scalar reads and float conversion.
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>

#include "common/error.h"
#include "model/model.h"

namespace trd {

size_t dtype_size(DType dtype) {
  switch (dtype) {
    case DType::Float32: return 4;
    case DType::Int8: return 1;
    case DType::Int16: return 2;
    case DType::Int32: return 4;
    case DType::Float16: return 2;
    case DType::BFloat16: return 2;
  }
  fail(TRD_INTERNAL, "dtype_size: invalid dtype id " + std::to_string(static_cast<int>(dtype)));
}

const char* dtype_name(DType dtype) {
  switch (dtype) {
    case DType::Float32: return "float32";
    case DType::Int8: return "int8";
    case DType::Int16: return "int16";
    case DType::Int32: return "int32";
    case DType::Float16: return "float16";
    case DType::BFloat16: return "bfloat16";
  }
  return "invalid-dtype";
}

std::optional<DType> dtype_from_id(uint8_t id) {
  if (id > static_cast<uint8_t>(DType::BFloat16)) return std::nullopt;
  return static_cast<DType>(id);
}

float half_to_float(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exponent = (h >> 10) & 0x1fu;
  uint32_t mantissa = h & 0x3ffu;
  uint32_t bits;
  if (exponent == 0x1f) {
    bits = sign | 0x7f800000u | (mantissa << 13);  // inf / NaN (payload kept)
  } else if (exponent != 0) {
    bits = sign | ((exponent + 112) << 23) | (mantissa << 13);
  } else if (mantissa == 0) {
    bits = sign;
  } else {
    // Subnormal half: every one is a normal float, so renormalise the mantissa.
    int shift = 0;
    while ((mantissa & 0x400u) == 0) {
      mantissa <<= 1;
      ++shift;
    }
    mantissa &= 0x3ffu;
    bits = sign | (static_cast<uint32_t>(113 - shift) << 23) | (mantissa << 13);
  }
  return std::bit_cast<float>(bits);
}

float bfloat16_to_float(uint16_t b) { return std::bit_cast<float>(static_cast<uint32_t>(b) << 16); }

int64_t Tensor::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

namespace {

// Payload reads go through memcpy: data.data() is suitably aligned in practice, but a Tensor
// built by hand need not be, and the strict-aliasing rules do not care either way.
template <typename T>
T load(const Tensor& t, size_t index) {
  T value;
  std::memcpy(&value, t.data.data() + index * sizeof(T), sizeof(T));
  return value;
}

double element_as_double(const Tensor& t, size_t index) {
  switch (t.dtype) {
    case DType::Float32: return load<float>(t, index);
    case DType::Int8: return load<int8_t>(t, index);
    case DType::Int16: return load<int16_t>(t, index);
    case DType::Int32: return load<int32_t>(t, index);
    case DType::Float16: return half_to_float(load<uint16_t>(t, index));
    case DType::BFloat16: return bfloat16_to_float(load<uint16_t>(t, index));
  }
  fail(TRD_INTERNAL, "tensor '" + t.name + "' has an invalid dtype id");
}

void check_payload(const Tensor& t) {
  const int64_t n = t.numel();
  if (n < 0 || static_cast<uint64_t>(n) * dtype_size(t.dtype) != t.data.size())
    fail(TRD_INTERNAL, "tensor '" + t.name + "' holds " + std::to_string(t.data.size()) + " bytes, which does not match its shape and dtype " + dtype_name(t.dtype));
}

}  // namespace

double Tensor::scalar_value() const {
  check_payload(*this);
  // CTranslate2's as_scalar accepts any single-element storage, whatever its rank.
  if (numel() != 1)
    fail(TRD_INVALID_MODEL, "variable '" + name + "' should be a scalar but has " + std::to_string(numel()) + " elements");
  return element_as_double(*this, 0);
}

std::vector<float> to_float32(const Tensor& tensor) {
  check_payload(tensor);
  const size_t n = static_cast<size_t>(tensor.numel());
  std::vector<float> out(n);
  switch (tensor.dtype) {
    case DType::Float32:
      if (n) std::memcpy(out.data(), tensor.data.data(), n * sizeof(float));
      break;
    case DType::Float16:
      for (size_t i = 0; i < n; ++i) out[i] = half_to_float(load<uint16_t>(tensor, i));
      break;
    case DType::BFloat16:
      for (size_t i = 0; i < n; ++i) out[i] = bfloat16_to_float(load<uint16_t>(tensor, i));
      break;
    case DType::Int8:
    case DType::Int16:
    case DType::Int32:
      for (size_t i = 0; i < n; ++i) out[i] = static_cast<float>(element_as_double(tensor, i));
      break;
  }
  return out;
}

std::string tensor_string_value(const Tensor& tensor) {
  if (tensor.dtype != DType::Int8 || tensor.shape.size() > 1)
    fail(TRD_INVALID_MODEL, "variable '" + tensor.name + "' should hold a string (a 1-D int8 array) but is " + dtype_name(tensor.dtype) + " of rank " + std::to_string(tensor.shape.size()));
  check_payload(tensor);
  return std::string(tensor.data.begin(), tensor.data.end());
}

}  // namespace trd

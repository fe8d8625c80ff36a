// Errors raised inside the engine. The ABI layer (src/abi) turns each into a trd_status with the
// same code and message; nothing else may throw across the C boundary.
#pragma once

#include <stdexcept>
#include <string>

#include "traductor/traductor.h"

namespace trd {

class Error : public std::runtime_error {
 public:
  Error(trd_status_code_t code, const std::string& message) : std::runtime_error(message), code_(code) {}
  trd_status_code_t code() const noexcept { return code_; }

 private:
  trd_status_code_t code_;
};

[[noreturn]] inline void fail(trd_status_code_t code, const std::string& message) { throw Error(code, message); }

}  // namespace trd

// Turning C++ outcomes into trd_status objects. Every extern "C" entry point runs its body
// through guard(), so no exception crosses the boundary.
#pragma once

#include <exception>
#include <new>
#include <string>

#include "common/error.h"
#include "traductor/traductor.h"

struct trd_status {
  trd_status_code_t code;
  std::string message;
};

namespace trd::abi {

// Returned when even a status cannot be allocated; trd_status_free never deletes it.
inline trd_status* out_of_memory_status() noexcept {
  static trd_status status{TRD_OUT_OF_MEMORY, "out of memory"};
  return &status;
}

inline trd_status* make_status(trd_status_code_t code, std::string message) noexcept {
  try {
    return new trd_status{code, std::move(message)};
  } catch (...) {
    return out_of_memory_status();
  }
}

// Runs `body`; maps exceptions to a status. `out` (may be nullptr) is reset to nullptr first.
template <typename Out, typename Body>
trd_status* guard(Out** out, Body&& body) noexcept {
  if (out) *out = nullptr;
  try {
    body();
    return nullptr;
  } catch (const trd::Error& e) {
    return make_status(e.code(), e.what());
  } catch (const std::bad_alloc&) {
    return make_status(TRD_OUT_OF_MEMORY, "out of memory");
  } catch (const std::exception& e) {
    return make_status(TRD_INTERNAL, std::string("internal error: ") + e.what());
  } catch (...) {
    return make_status(TRD_INTERNAL, "internal error: unknown exception");
  }
}

template <typename Body>
trd_status* guard(Body&& body) noexcept {
  return guard(static_cast<void**>(nullptr), std::forward<Body>(body));
}

// Throws trd::Error(TRD_INVALID_ARGUMENT) when `pointer` is null.
inline void require(const void* pointer, const char* what) {
  if (!pointer) trd::fail(TRD_INVALID_ARGUMENT, std::string(what) + " must not be NULL");
}

bool is_cancelled(const trd_cancel* cancel);

}  // namespace trd::abi

// Library-wide entry points: version, status objects, cancellation flags.
#include <atomic>
#include <new>
#include <string>

#include "abi/status.h"
#include "traductor/traductor.h"

struct trd_cancel {
  std::atomic<bool> flag{false};
};

extern "C" {

uint32_t trd_abi_version(void) { return TRD_ABI_VERSION; }

const char* trd_version(void) { return TRD_VERSION_STRING " (builtin engine)"; }

int trd_status_code(const trd_status* status) { return status ? static_cast<int>(status->code) : TRD_OK; }

const char* trd_status_message(const trd_status* status) { return status ? status->message.c_str() : ""; }

void trd_status_free(trd_status* status) {
  if (status != trd::abi::out_of_memory_status()) delete status;
}

trd_status* trd_cancel_create(trd_cancel** out) {
  return trd::abi::guard(out, [&] { *out = new trd_cancel(); });
}

void trd_cancel_free(trd_cancel* cancel) { delete cancel; }

void trd_cancel_set(trd_cancel* cancel) {
  if (cancel) cancel->flag.store(true, std::memory_order_release);
}

int trd_cancel_is_set(const trd_cancel* cancel) {
  return cancel && cancel->flag.load(std::memory_order_acquire) ? 1 : 0;
}

}  // extern "C"

namespace trd::abi {
bool is_cancelled(const trd_cancel* cancel) { return trd_cancel_is_set(cancel) != 0; }
}  // namespace trd::abi

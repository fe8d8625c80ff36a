// Test support: asserts that a call throws trd::Error with a given code and message parts.
#pragma once

#include <gtest/gtest.h>

#include <initializer_list>
#include <string>

#include "common/error.h"

namespace trd::test {

// Runs `f`; expects a trd::Error with `code` whose message contains every one of `parts`.
template <typename F>
void expect_error(F&& f, trd_status_code_t code, std::initializer_list<std::string> parts) {
  try {
    f();
    ADD_FAILURE() << "no error thrown";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), code) << e.what();
    for (const auto& part : parts) EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << "'" << part << "' not in: " << e.what();
  }
}

}  // namespace trd::test

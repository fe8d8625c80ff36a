#include <gtest/gtest.h>

#include "traductor/traductor.h"

TEST(AbiLibrary, ReportsTheHeaderVersion) { EXPECT_EQ(trd_abi_version(), static_cast<uint32_t>(TRD_ABI_VERSION)); }

TEST(AbiLibrary, CancelFlagIsSharedAndFreeAcceptsNull) {
  trd_cancel* cancel = nullptr;
  ASSERT_EQ(trd_cancel_create(&cancel), nullptr);
  EXPECT_EQ(trd_cancel_is_set(cancel), 0);
  trd_cancel_set(cancel);
  EXPECT_EQ(trd_cancel_is_set(cancel), 1);
  trd_cancel_free(cancel);
  trd_cancel_free(nullptr);
  trd_status_free(nullptr);
}

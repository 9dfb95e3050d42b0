// Drop reason names: every enumerator has a distinct snake_case name and
// the lookup both ways agrees.

#include <gtest/gtest.h>

#include <cctype>
#include <set>
#include <string>

#include "util/drop_reasons.h"

namespace vnet {
namespace {

TEST(DropReasons, KnownNames) {
  EXPECT_EQ(drop_reason_name(VNET_DROP_NONE), "none");
  EXPECT_EQ(drop_reason_name(VNET_DROP_SPOOF_IP), "spoof_ip");
  EXPECT_EQ(drop_reason_name(VNET_DROP_UNKNOWN_UNICAST), "unknown_unicast");
  EXPECT_EQ(drop_reason_name(VNET_DROP_NO_ROUTE_VTEP), "no_route_vtep");
  EXPECT_EQ(drop_reason_name(VNET_DROP_ERROR), "error");
}

TEST(DropReasons, OutOfRangeIsUnknown) {
  EXPECT_EQ(drop_reason_name(VNET_DROP_MAX), "unknown");
  EXPECT_EQ(drop_reason_name(0xffffffffu), "unknown");
}

TEST(DropReasons, NamesAreUniqueSnakeCaseAndRoundTrip) {
  std::set<std::string> seen;
  for (std::uint32_t r = 0; r < VNET_DROP_MAX; ++r) {
    const std::string name(drop_reason_name(r));
    ASSERT_FALSE(name.empty());
    for (char c : name) {
      EXPECT_TRUE(std::islower(static_cast<unsigned char>(c)) || c == '_') << name;
    }
    EXPECT_TRUE(seen.insert(name).second) << "duplicate " << name;
    auto back = drop_reason_from_name(name);
    ASSERT_TRUE(back.has_value()) << name;
    EXPECT_EQ(static_cast<std::uint32_t>(*back), r);
  }
  EXPECT_FALSE(drop_reason_from_name("no_such_reason").has_value());
}

}  // namespace
}  // namespace vnet

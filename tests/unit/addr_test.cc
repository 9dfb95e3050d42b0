// Strict text forms of Ipv4, Ipv4Prefix, Ipv4Interface and Mac: whatever
// inet_aton or a user might read differently is refused.

#include "net/addr.h"

#include <gtest/gtest.h>

namespace vnet {
namespace {

TEST(Ipv4Test, ParsesDottedQuad) {
  EXPECT_EQ(Ipv4::parse("10.0.1.11"), (Ipv4{0x0a00010b}));
  EXPECT_EQ(Ipv4::parse("0.0.0.0"), (Ipv4{0}));
  EXPECT_EQ(Ipv4::parse("255.255.255.255"), (Ipv4{0xffffffff}));
  EXPECT_EQ(Ipv4::parse("198.18.1.3"), (Ipv4{0xc6120103}));
}

TEST(Ipv4Test, RejectsEverythingElse) {
  for (const char* bad :
       {"",          "1",         "1.2.3",      "1.2.3.4.5", "01.2.3.4",   "1.2.3.04",
        "1.2.3.256", "256.1.1.1", "1.2.3.4 ",   " 1.2.3.4",  "1..2.3",     "1.2.3.",
        ".1.2.3",    "0x1.2.3.4", "+1.2.3.4",   "-1.2.3.4",  "1.2.3.0004", "1.2.3.4/24",
        "1.2.3.a",   "1,2,3,4",   "4294967295", "1000.2.3.4"}) {
    EXPECT_FALSE(Ipv4::parse(bad).has_value()) << "'" << bad << "'";
  }
}

TEST(Ipv4Test, PrintsAndConvertsToNetworkOrder) {
  const Ipv4 ip{0xc6120103};
  EXPECT_EQ(ip.str(), "198.18.1.3");
  const std::uint32_t be = ip.be();
  const auto* bytes = reinterpret_cast<const std::uint8_t*>(&be);
  EXPECT_EQ(bytes[0], 198);
  EXPECT_EQ(bytes[1], 18);
  EXPECT_EQ(bytes[2], 1);
  EXPECT_EQ(bytes[3], 3);
  EXPECT_EQ(Ipv4{}.str(), "0.0.0.0");
  EXPECT_EQ(Ipv4{0xffffffff}.str(), "255.255.255.255");
}

TEST(Ipv4PrefixTest, ParsesNetworks) {
  const auto p = Ipv4Prefix::parse("10.0.1.0/24");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->addr, (Ipv4{0x0a000100}));
  EXPECT_EQ(p->len, 24);
  EXPECT_EQ(p->mask(), 0xffffff00u);
  EXPECT_EQ(p->str(), "10.0.1.0/24");

  const auto all = Ipv4Prefix::parse("0.0.0.0/0");
  ASSERT_TRUE(all);
  EXPECT_EQ(all->len, 0);
  EXPECT_EQ(all->mask(), 0u);
  EXPECT_TRUE(all->contains(Ipv4{0xffffffff}));

  const auto host = Ipv4Prefix::parse("10.0.1.100/32");
  ASSERT_TRUE(host);
  EXPECT_EQ(host->mask(), 0xffffffffu);
}

TEST(Ipv4PrefixTest, RejectsHostBitsAndMalformedLengths) {
  for (const char* bad :
       {"10.0.1.1/24", "10.0.1.0/33", "10.0.1.0/024", "10.0.1.0/", "10.0.1.0/ 24", "10.0.1.0/-1",
        "10.0.1.0/24/1", "/24", "10.0.1/24", "10.0.1.0/2a", "0.0.0.1/0", "10.0.1.0"}) {
    EXPECT_FALSE(Ipv4Prefix::parse(bad).has_value()) << "'" << bad << "'";
  }
}

TEST(Ipv4PrefixTest, BareAddressIsAHostRouteOnlyWhenAllowed) {
  EXPECT_FALSE(Ipv4Prefix::parse("10.0.1.100").has_value());
  const auto p = Ipv4Prefix::parse("10.0.1.100", /*allow_host=*/true);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->len, 32);
  EXPECT_EQ(p->addr, (Ipv4{0x0a000164}));
  // allow_host does not relax the host-bit rule for written lengths.
  EXPECT_FALSE(Ipv4Prefix::parse("10.0.1.100/24", true).has_value());
}

TEST(Ipv4PrefixTest, Contains) {
  const Ipv4Prefix net = *Ipv4Prefix::parse("10.0.1.0/24");
  EXPECT_TRUE(net.contains(*Ipv4::parse("10.0.1.0")));
  EXPECT_TRUE(net.contains(*Ipv4::parse("10.0.1.255")));
  EXPECT_FALSE(net.contains(*Ipv4::parse("10.0.2.0")));
  EXPECT_FALSE(net.contains(*Ipv4::parse("10.0.0.255")));
  EXPECT_TRUE(net.contains(*Ipv4Prefix::parse("10.0.1.128/25")));
  EXPECT_TRUE(net.contains(net));
  EXPECT_FALSE(net.contains(*Ipv4Prefix::parse("10.0.0.0/16")));
}

TEST(Ipv4InterfaceTest, KeepsHostBits) {
  const auto a = Ipv4Interface::parse("10.0.1.1/24");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->addr, (Ipv4{0x0a000101}));
  EXPECT_EQ(a->len, 24);
  EXPECT_EQ(a->network(), *Ipv4Prefix::parse("10.0.1.0/24"));
  EXPECT_EQ(a->str(), "10.0.1.1/24");
  EXPECT_EQ(Ipv4Interface::parse("10.0.1.1/0")->network(), *Ipv4Prefix::parse("0.0.0.0/0"));
  for (const char* bad : {"10.0.1.1", "10.0.1.1/33", "10.0.1.1/", "10.0.01.1/24", "10.0.1.1/08"}) {
    EXPECT_FALSE(Ipv4Interface::parse(bad).has_value()) << "'" << bad << "'";
  }
}

TEST(MacTest, ParsesColonHexInEitherCase) {
  const auto mac = Mac::parse("02:00:0A:bc:Ff:11");
  ASSERT_TRUE(mac);
  EXPECT_EQ(mac->bytes, (std::array<std::uint8_t, 6>{0x02, 0x00, 0x0a, 0xbc, 0xff, 0x11}));
  EXPECT_EQ(mac->str(), "02:00:0a:bc:ff:11");
}

TEST(MacTest, RejectsOtherForms) {
  for (const char* bad :
       {"", "2:0:0:0:0:11", "02-00-00-00-00-11", "0200.0000.0011", "02:00:00:00:00:1",
        "02:00:00:00:00:111", "02:00:00:00:00:1g", "02:00:00:00:00", "02:00:00:00:00:11:22",
        "02::00:00:00:00:11", " 02:00:00:00:00:11", "02:00:00:00:00:11 ", "020000000011"}) {
    EXPECT_FALSE(Mac::parse(bad).has_value()) << "'" << bad << "'";
  }
}

TEST(MacTest, Classification) {
  EXPECT_TRUE(Mac::parse("01:00:5e:00:00:01")->is_multicast());
  EXPECT_TRUE(Mac::parse("ff:ff:ff:ff:ff:ff")->is_multicast());
  EXPECT_FALSE(Mac::parse("02:00:00:00:00:01")->is_multicast());
  EXPECT_TRUE(Mac::parse("00:00:00:00:00:00")->is_zero());
  EXPECT_FALSE(Mac::parse("00:00:00:00:00:01")->is_zero());
  EXPECT_TRUE(Mac{}.is_zero());
}

TEST(AddrTest, Ordering) {
  EXPECT_LT(*Ipv4::parse("10.0.0.1"), *Ipv4::parse("10.0.0.2"));
  EXPECT_LT(*Ipv4::parse("9.255.255.255"), *Ipv4::parse("10.0.0.0"));
  EXPECT_LT(*Mac::parse("02:00:00:00:00:01"), *Mac::parse("02:00:00:00:01:00"));
}

}  // namespace
}  // namespace vnet

// The key fixtures written out by hand, byte for byte, and the builder held
// to them. Checksums in the hex were computed separately (not with the
// builder) and are re-verified here with the RFC 1071 routine.
#include <gtest/gtest.h>

#include "fixtures.h"

namespace vt {
namespace {

// VTEP A (198.18.0.2) -> us, vni 1001, inner vm3 -> vm1 IPv4/UDP 1234 -> 5678.
const char* kHexVxlanVm3ToVm1 =
    "02ee00000001 02ee00000002 0800"                     // outer Ethernet
    "4500 005e beef 4000 4011 ef77 c6120002 c6120001"    // outer IPv4, DF, ttl 64, udp
    "d431 12b5 004a 0000"                                // UDP 54321 -> 4789, csum 0
    "08000000 0003e900"                                  // VXLAN I flag, VNI 1001
    "020000000011 020000000013 0800"                     // inner Ethernet
    "4500 002c 1234 4000 4011 1276 0a00010d 0a00010b"    // inner IPv4
    "04d2 162e 0018 0000"                                // inner UDP
    "000102030405060708090a0b0c0d0e0f";                  // payload

// What vm1 -> vm3 must become on ul0 (UDP source port ssss is the flow hash).
const char* kHexEncapVm1ToVm3 =
    "02ee00000002 02ee00000001 0800"                     // to VTEP A's MAC, from ul0
    "4500 005e 0000 4000 4011 ae67 c6120001 c6120002"    // id 0, DF, ttl 64, 198.18.0.1 -> .2
    "0000 12b5 004a 0000"                                // sport masked, dport 4789, csum 0
    "08000000 0003e900"                                  // VXLAN, VNI 1001
    "020000000013 020000000011 0800"                     // inner frame, intact
    "4500 002c 1234 4000 4011 1276 0a00010b 0a00010d"
    "04d2 162e 0018 0000"
    "000102030405060708090a0b0c0d0e0f";

// vm1 asks who-has 10.0.1.12 (padding 0x5a), and the in-place answer.
const char* kHexArpRequest =
    "ffffffffffff 020000000011 0806"
    "0001 0800 06 04 0001 020000000011 0a00010b 000000000000 0a00010c"
    "5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a";
const char* kHexArpReply =
    "020000000011 020000000012 0806"
    "0001 0800 06 04 0002 020000000012 0a00010c 020000000011 0a00010b"
    "5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a";

// vm1 -> vm3, IPv4 total length 1451 with DF: the first 42 bytes of the frame...
const char* kHexBigDfHead =
    "020000000013 020000000011 0800"
    "4500 05ab 1234 4000 4011 0cf7 0a00010b 0a00010d"
    "04d2 162e 0597 0000";
// ...and the ICMP fragmentation-needed (MTU 1450) that answers it.
const char* kHexFragNeeded =
    "020000000011 020000000013 0800"                     // swapped MACs
    "4500 0038 0000 0000 4001 64ae 0a00010d 0a00010b"    // id 0, frag 0, ttl 64, icmp
    "0304 d6ba 0000 05aa"                                // type 3 code 4, next-hop MTU 1450
    "4500 05ab 1234 4000 4011 0cf7 0a00010b 0a00010d"    // original IP header
    "04d2 162e 0597 0000";                               // + first 8 bytes

Bytes big_df_frame() {
  Udp4 u{kVm3Mac, kVm1Mac, kIpVm1, kIpVm3};
  u.payload = 1451 - 20 - 8;
  return udp4(u);
}

TEST(Checksum, Rfc1071Example) {
  // RFC 1071 section 3 example: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2.
  Bytes b = hex("0001 f203 f4f5 f6f7");
  EXPECT_EQ(csum_fold(csum_partial(b.data(), b.size())), 0xffff - 0xddf2);
  Bytes odd = hex("01");
  EXPECT_EQ(inet_csum(odd), 0xfeff);
}

TEST(Checksum, HandWrittenHeadersVerify) {
  // A correct IPv4 header sums to zero including its checksum.
  for (const char* h : {kHexVxlanVm3ToVm1, kHexEncapVm1ToVm3, kHexFragNeeded}) {
    Bytes f = hex(h);
    EXPECT_EQ(inet_csum(f.data() + 14, 20), 0) << "outer/only IPv4 header of " << h;
  }
  Bytes v = hex(kHexVxlanVm3ToVm1);
  EXPECT_EQ(inet_csum(v.data() + kOffInner + 14, 20), 0) << "inner IPv4 header";
  Bytes f = hex(kHexFragNeeded);
  EXPECT_EQ(inet_csum(f.data() + 34, f.size() - 34), 0) << "ICMP message";
  EXPECT_EQ(inet_csum(f.data() + 42, 20), 0) << "quoted IPv4 header";
}

TEST(Builder, VxlanFrameMatchesHex) {
  Bytes built = vxlan_frame(kVtepA, kVniBlue, udp4(kVm1Mac, kVm3Mac, kIpVm3, kIpVm1));
  Bytes want = hex(kHexVxlanVm3ToVm1);
  EXPECT_EQ(to_hex(built), to_hex(want)) << diff_hex(want, built);
}

TEST(Builder, EncapExpectMatchesHex) {
  FrameExpect e = encap_expect(kVtepA, kVtepAMac, kVniBlue, udp4(kVm3Mac, kVm1Mac, kIpVm1, kIpVm3));
  Bytes want = hex(kHexEncapVm1ToVm3);
  ASSERT_EQ(e.bytes.size(), want.size());
  for (std::size_t i = 0; i < want.size(); ++i) {
    if (i == kOffOuterUdp || i == kOffOuterUdp + 1) {
      EXPECT_FALSE(e.mask[i]);
      continue;
    }
    EXPECT_TRUE(e.mask[i]);
    EXPECT_EQ(e.bytes[i], want[i]) << "byte " << i << "\n" << diff_hex(want, e.bytes);
  }
}

TEST(Builder, ArpMatchesHex) {
  Bytes req = arp_request(kVm1Mac, kIpVm1, kIpVm2);
  EXPECT_EQ(to_hex(req), to_hex(hex(kHexArpRequest)));
  Bytes rep = arp_reply_expect(req, kVm2Mac);
  EXPECT_EQ(to_hex(rep), to_hex(hex(kHexArpReply)));
}

TEST(Builder, FragNeededMatchesHex) {
  Bytes big = big_df_frame();
  ASSERT_EQ(big.size(), 14u + 1451u);
  EXPECT_EQ(to_hex(big, 0, 42), to_hex(hex(kHexBigDfHead)));
  EXPECT_EQ(to_hex(frag_needed_expect(big, 1450)), to_hex(hex(kHexFragNeeded)));
}

TEST(Builder, UdpChecksumVerifies) {
  Bytes u = udp(54321, 4789, pattern(37), true, kVtepA, kVtepLocal);
  Bytes pseudo = hex("c6120002 c6120001 0011 0000");
  put16(pseudo, 10, static_cast<std::uint16_t>(u.size()));
  EXPECT_NE(get16(u, 6), 0);
  EXPECT_EQ(csum_fold(csum_partial(u.data(), u.size(), csum_partial(pseudo.data(), 12))), 0);
}

}  // namespace

// Exposed for the datapath tests: the hand-written fixtures themselves.
Bytes hex_vxlan_vm3_to_vm1() { return hex(kHexVxlanVm3ToVm1); }
Bytes hex_arp_request_vm1_for_vm2() { return hex(kHexArpRequest); }
Bytes hex_arp_reply_vm2_to_vm1() { return hex(kHexArpReply); }
Bytes hex_big_df_frame() {
  Bytes b = big_df_frame();
  Bytes head = hex(kHexBigDfHead);
  std::copy(head.begin(), head.end(), b.begin());  // header bytes from the hex itself
  return b;
}
Bytes hex_frag_needed() { return hex(kHexFragNeeded); }
FrameExpect hex_encap_vm1_to_vm3() {
  FrameExpect f{hex(kHexEncapVm1ToVm3), {}};
  f.mask.assign(f.bytes.size(), true);
  f.mask[kOffOuterUdp] = f.mask[kOffOuterUdp + 1] = false;
  return f;
}

}  // namespace vt

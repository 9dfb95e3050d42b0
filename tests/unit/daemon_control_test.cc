// vnetd's pure helpers: control request parsing and responses, per-CPU
// counter sums and the stats document.

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "daemon/control_server.h"
#include "daemon/stats_view.h"
#include "datapath/datapath.h"
#include "datapath/pinned_map.h"

namespace vnet::daemon {
namespace {

TEST(ControlRequest, Parses) {
  auto r = parse_control_request("stats\tvm1\tjson");
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, (ControlRequest{"stats", "vm1", "json"}));
  r = parse_control_request("stats\t\ttable");
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, (ControlRequest{"stats", "", "table"}));
}

TEST(ControlRequest, DefaultsFormat) {
  auto r = parse_control_request("stats");
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, (ControlRequest{"stats", "", "table"}));
  r = parse_control_request("stats\tvm1\r");
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, (ControlRequest{"stats", "vm1", "table"}));
}

TEST(ControlRequest, RejectsMalformed) {
  EXPECT_FALSE(parse_control_request(""));
  EXPECT_FALSE(parse_control_request("\tvm1\tjson"));
  EXPECT_FALSE(parse_control_request("stats\tvm1\tjson\textra"));
}

TEST(ControlResponse, Framing) {
  EXPECT_EQ(control_ok("a: 1\n"), "ok\na: 1\n");
  EXPECT_EQ(control_ok("a: 1"), "ok\na: 1\n");
  EXPECT_EQ(control_error("bad\nthing"), "error\nbad thing\n");
}

TEST(Counters, SumsPerCpu) {
  // 3 CPUs, 2 counters, stride 16 (value 16 bytes).
  std::vector<std::uint8_t> block(3 * 16);
  const std::uint64_t values[3][2] = {{1, 10}, {2, 20}, {3, 30}};
  for (int cpu = 0; cpu < 3; ++cpu) {
    std::memcpy(block.data() + cpu * 16, values[cpu], 16);
  }
  std::uint64_t out[2] = {};
  datapath::sum_per_cpu_u64(block.data(), 3, 16, 2, out);
  EXPECT_EQ(out[0], 6u);
  EXPECT_EQ(out[1], 60u);
}

TEST(Counters, SumsEndpointStats) {
  constexpr std::size_t kStride = sizeof(vnet_ep_stats);
  std::vector<std::uint8_t> block(2 * kStride);
  for (int cpu = 0; cpu < 2; ++cpu) {
    vnet_ep_stats s{};
    s.tx_packets = 1 + cpu;
    s.tx_bytes = 100;
    s.rx_packets = 5;
    s.rx_bytes = 500;
    s.drops[VNET_DROP_SPOOF_IP] = 2;
    std::memcpy(block.data() + cpu * kStride, &s, sizeof(s));
  }
  auto c = datapath::sum_endpoint_counters(block.data(), 2, kStride);
  EXPECT_EQ(c.tx_packets, 3u);
  EXPECT_EQ(c.tx_bytes, 200u);
  EXPECT_EQ(c.rx_packets, 10u);
  EXPECT_EQ(c.rx_bytes, 1000u);
  EXPECT_EQ(c.drops[VNET_DROP_SPOOF_IP], 4u);
  EXPECT_EQ(c.drops[VNET_DROP_HAIRPIN], 0u);
}

output::Value sample_document() {
  std::array<std::uint64_t, VNET_DROP_MAX> drops{};
  drops[VNET_DROP_NO_PORT] = 7;
  drops[VNET_DROP_SPOOF_MAC] = 1;
  EndpointStatsRow vm1{"vm1", 3, "vm1-h", {}};
  vm1.counters.tx_packets = 10;
  vm1.counters.tx_bytes = 980;
  vm1.counters.drops[VNET_DROP_SPOOF_MAC] = 1;
  EndpointStatsRow vm2{"vm2", 4, "vm2-h", {}};
  const ConntrackStatsRow ct{.capacity = 1024, .created = 12, .live = 3, .swept = 9};
  return stats_document("hv1", 5, drops, ct, {vm1, vm2});
}

TEST(StatsDocument, ListsOnlyNonZeroDrops) {
  auto doc = sample_document();
  ASSERT_NE(doc.get("drops"), nullptr);
  const auto& global = doc.get("drops")->fields();
  ASSERT_EQ(global.size(), 2u);
  EXPECT_EQ(global[0].first, "no_port");
  EXPECT_EQ(global[0].second.as_int(), 7);
  EXPECT_EQ(global[1].first, "spoof_mac");
  const auto& eps = doc.get("endpoints")->items();
  ASSERT_EQ(eps.size(), 2u);
  EXPECT_EQ(eps[0].get("name")->as_string(), "vm1");
  EXPECT_EQ(eps[0].get("id")->as_int(), 3);
  EXPECT_EQ(eps[0].get("drops")->fields().size(), 1u);
  EXPECT_TRUE(eps[1].get("drops")->fields().empty());
}

TEST(StatsDocument, Table) {
  std::string t = render_stats(sample_document(), output::Format::kTable);
  EXPECT_EQ(t.rfind("host: hv1   generation: 5\ndrops: no_port=7,spoof_mac=1\n"
                    "conntrack: 12 flows created; at the last sweep 3 live of 1024, 9 removed "
                    "by sweeps\n\n",
                    0),
            0u)
      << t;
  EXPECT_NE(t.find("NAME"), std::string::npos);
  EXPECT_NE(t.find("spoof_mac=1"), std::string::npos);
  EXPECT_NE(t.find("vm2-h"), std::string::npos);
  EXPECT_EQ(t.back(), '\n');
}

// Before vnetd's first sweep nothing has counted the table: shown as
// unknown, not as empty.
TEST(StatsDocument, ConntrackBeforeTheFirstSweep) {
  const ConntrackStatsRow ct{.capacity = 262144, .created = 0};
  auto doc = stats_document("hv1", 1, {}, ct, {});
  ASSERT_NE(doc.get("conntrack"), nullptr);
  EXPECT_EQ(doc.get("conntrack")->get("live_at_last_sweep")->kind(), output::Value::Kind::kNull);
  std::string t = render_stats(doc, output::Format::kTable);
  EXPECT_NE(t.find("conntrack: 0 flows created; at the last sweep - live of 262144, 0 removed by "
                   "sweeps\n"),
            std::string::npos)
      << t;
}

TEST(StatsDocument, JsonAndYaml) {
  std::string j = render_stats(sample_document(), output::Format::kJson);
  EXPECT_NE(j.find("\"no_port\": 7"), std::string::npos) << j;
  EXPECT_NE(j.find("\"created\": 12"), std::string::npos) << j;
  EXPECT_NE(j.find("\"live_at_last_sweep\": 3"), std::string::npos) << j;
  EXPECT_EQ(j.back(), '\n');
  std::string y = render_stats(sample_document(), output::Format::kYaml);
  EXPECT_NE(y.find("host: hv1"), std::string::npos) << y;
}

TEST(DatapathConfig, AbiLayout) {
  datapath::Config c;
  c.vtep_be = 0x010012c6;  // 198.18.0.1 in network order on little endian
  c.vxlan_port = 4789;
  c.underlay_ifindex = 3;
  vnet_config abi = c.to_abi();
  EXPECT_EQ(abi.vtep_be, 0x010012c6u);
  EXPECT_EQ(abi.vxlan_port_be, htons(4789));
  EXPECT_EQ(abi.underlay_ifindex, 3u);
  EXPECT_EQ(abi.flags, 0);
  EXPECT_EQ(abi.tunnel_ifindex, 0u);
  EXPECT_EQ(c.str(), "vtep 198.18.0.1, vxlan port 4789, underlay ifindex 3, tunnel ifindex 0, "
                     "conntrack 262144");
  c.tunnel_ifindex = 7;
  c.xdp_transmit = true;
  EXPECT_EQ(c.to_abi().tunnel_ifindex, 7u);
  EXPECT_EQ(c.str(), "vtep 198.18.0.1, vxlan port 4789, underlay ifindex 3, tunnel ifindex 7, "
                     "conntrack 262144, xdp transmit");
}

}  // namespace
}  // namespace vnet::daemon

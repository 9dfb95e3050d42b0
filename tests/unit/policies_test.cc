// policies/: the library of reusable security-group files. Every file must
// load on its own and next to a topology whose endpoints use its groups,
// all of them together (group names are unique across the library), and
// define exactly the groups policies/README.md documents. The directory is
// read at test time, so a file added without being listed here fails.

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "topology/parser.h"

namespace vnet::topology {
namespace {

namespace fs = std::filesystem;

const fs::path kDir = fs::path(VNET_SOURCE_DIR) / "policies";

// File name -> the groups it defines, in file order (what users list in
// endpoints' security_groups; policies/README.md says the same).
const std::map<std::string, std::vector<std::string>> kPolicies = {
    {"web.yaml", {"web"}},
    {"ssh-from-bastion.yaml", {"bastion", "ssh-from-bastion"}},
    {"dns.yaml", {"dns"}},
    {"deny-all-ingress.yaml", {"deny-all-ingress"}},
    {"allow-egress.yaml", {"allow-egress"}},
    {"internal.yaml", {"internal"}},
};

std::string read_text(const fs::path& p) {
  std::ifstream in(p);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Every regular file of policies/ but the README, sorted.
std::vector<std::string> policy_files() {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(kDir)) {
    if (entry.is_regular_file() && entry.path().filename() != "README.md") {
      names.push_back(entry.path().filename().string());
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

// Two hypervisors, one network, and for each group an endpoint that lists
// it (alternating hosts, so remote_group peers sit on both), plus one
// endpoint that lists all of them.
std::string topology_using(const std::vector<std::string>& groups) {
  std::string t =
      "version: 1\n"
      "hosts:\n"
      "  - name: hv1\n"
      "    vtep_ip: 198.18.0.1\n"
      "    underlay_interface: eth0\n"
      "  - name: hv2\n"
      "    vtep_ip: 198.18.0.2\n"
      "    underlay_interface: eth0\n"
      "networks:\n"
      "  - name: blue\n"
      "    vni: 1001\n"
      "    subnet: 10.0.1.0/24\n"
      "endpoints:\n";
  std::string all;
  for (std::size_t i = 0; i <= groups.size(); ++i) {
    const bool last = i == groups.size();
    const std::string n = std::to_string(10 + i);
    std::string list;
    if (last) {
      list = all;
    } else {
      list = "\"" + groups[i] + "\"";
      all += (all.empty() ? "" : ", ") + list;
    }
    t += "  - name: vm" + n + "\n"
         "    host: hv" + std::to_string(1 + i % 2) + "\n"
         "    network: blue\n"
         "    interface: vm" + n + "-h\n"
         "    mac: 02:00:00:00:00:" + n + "\n"
         "    ip: 10.0.1." + n + "\n"
         "    security_groups: [" + list + "]\n";
  }
  return t;
}

std::string errors_text(const LoadResult& r) {
  std::string text;
  for (const Diagnostic& d : r.errors) {
    text += d.str() + "\n";
  }
  return text;
}

std::vector<std::string> group_names(const Topology& t) {
  std::vector<std::string> names;
  for (const SecurityGroup& g : t.security_groups) {
    names.push_back(g.name);
  }
  return names;
}

const SecurityGroup& group(const Topology& t, const std::string& name) {
  for (const SecurityGroup& g : t.security_groups) {
    if (g.name == name) {
      return g;
    }
  }
  ADD_FAILURE() << "no group " << name;
  static const SecurityGroup kNone;
  return kNone;
}

Topology load_policy(const std::string& file) {
  const LoadResult r = load_files({(kDir / file).string()});
  EXPECT_TRUE(r.errors.empty()) << errors_text(r);
  return r.topology.value_or(Topology{});
}

TEST(PoliciesTest, EveryFileIsListedAndEveryListedFileExists) {
  std::vector<std::string> expected;
  for (const auto& [file, groups] : kPolicies) {
    expected.push_back(file);
  }
  const std::vector<std::string> found = policy_files();
  EXPECT_EQ(found, expected) << "policies/ and kPolicies (and policies/README.md) disagree";
  for (const std::string& f : found) {
    EXPECT_EQ(fs::path(f).extension(), ".yaml") << f << ": vnetctl -f DIR reads only *.yaml";
  }
}

TEST(PoliciesTest, EachFileIsASecurityGroupFragment) {
  for (const std::string& file : policy_files()) {
    SCOPED_TRACE(file);
    const LoadResult r = load_files({(kDir / file).string()});
    ASSERT_TRUE(r.errors.empty()) << errors_text(r);
    const Topology& t = *r.topology;
    EXPECT_TRUE(t.hosts.empty() && t.networks.empty() && t.endpoints.empty() &&
                t.routers.empty())
        << "a policy file holds only security_groups";
    const auto it = kPolicies.find(file);
    ASSERT_NE(it, kPolicies.end()) << "not in kPolicies";
    EXPECT_EQ(group_names(t), it->second);
    for (const SecurityGroup& g : t.security_groups) {
      EXPECT_FALSE(g.rules.empty()) << g.name << ": a group without rules blocks everything";
    }
  }
}

TEST(PoliciesTest, EachFileAppliesNextToATopologyUsingItsGroups) {
  for (const std::string& file : policy_files()) {
    SCOPED_TRACE(file);
    const std::string text = read_text(kDir / file);
    const auto it = kPolicies.find(file);
    ASSERT_NE(it, kPolicies.end());
    const LoadResult r =
        load_strings({{"topology.yaml", topology_using(it->second)}, {"policies/" + file, text}});
    ASSERT_TRUE(r.errors.empty()) << errors_text(r);
    EXPECT_EQ(r.topology->endpoints.size(), it->second.size() + 1);
  }
}

TEST(PoliciesTest, AllFilesCombine) {
  // Group names are unique across the library: any subset applies together.
  std::vector<std::pair<std::string, std::string>> docs;
  std::vector<std::string> groups;
  for (const std::string& file : policy_files()) {
    docs.emplace_back("policies/" + file, read_text(kDir / file));
    const auto it = kPolicies.find(file);
    if (it != kPolicies.end()) {
      groups.insert(groups.end(), it->second.begin(), it->second.end());
    }
  }
  docs.emplace_back("topology.yaml", topology_using(groups));
  const LoadResult r = load_strings(docs);
  ASSERT_TRUE(r.errors.empty()) << errors_text(r);
  EXPECT_EQ(r.topology->security_groups.size(), groups.size());
}

TEST(PoliciesTest, ReadmeNamesEveryFileAndGroup) {
  const std::string readme = read_text(kDir / "README.md");
  for (const auto& [file, groups] : kPolicies) {
    EXPECT_NE(readme.find("`" + file + "`"), std::string::npos) << file;
    for (const std::string& g : groups) {
      EXPECT_NE(readme.find("`" + g + "`"), std::string::npos) << g;
    }
  }
}

TEST(PoliciesTest, ShippedExampleAppliesWithThePolicies) {
  const fs::path example = fs::path(VNET_SOURCE_DIR) / "examples" / "three-tier.yaml";
  const LoadResult r = load_files({example.string(), (kDir / "web.yaml").string(),
                                   (kDir / "ssh-from-bastion.yaml").string(),
                                   (kDir / "internal.yaml").string(),
                                   (kDir / "allow-egress.yaml").string()});
  ASSERT_TRUE(r.errors.empty()) << errors_text(r);
  EXPECT_EQ(r.topology->endpoints.size(), 4u);
  // Without the policy files its group references dangle.
  EXPECT_FALSE(load_files({example.string()}).errors.empty());
}

// What the README promises each file does.

bool has_rule(const SecurityGroup& g, Direction dir, std::optional<std::uint8_t> proto,
              std::optional<std::uint16_t> port, const std::string& remote) {
  return std::any_of(g.rules.begin(), g.rules.end(), [&](const Rule& r) {
    const std::string rule_remote = r.remote_group  ? "group:" + *r.remote_group
                                    : r.remote_cidr ? r.remote_cidr->str()
                                                    : "";
    return r.direction == dir && r.protocol == proto && r.port_min == port &&
           r.port_max == port && rule_remote == remote;
  });
}

bool only(const SecurityGroup& g, Direction dir) {
  return std::all_of(g.rules.begin(), g.rules.end(),
                     [&](const Rule& r) { return r.direction == dir; });
}

constexpr std::uint8_t kIcmp = 1;
constexpr std::uint8_t kTcp = 6;
constexpr std::uint8_t kUdp = 17;

TEST(PoliciesTest, RulesDoWhatTheReadmeSays) {
  {
    const Topology t = load_policy("web.yaml");
    const SecurityGroup& web = group(t, "web");
    EXPECT_TRUE(only(web, Direction::kIngress));
    EXPECT_TRUE(has_rule(web, Direction::kIngress, kTcp, 80, "0.0.0.0/0"));
    EXPECT_TRUE(has_rule(web, Direction::kIngress, kTcp, 443, "0.0.0.0/0"));
    EXPECT_TRUE(std::any_of(web.rules.begin(), web.rules.end(), [](const Rule& r) {
      return r.protocol == kIcmp && r.icmp_type == 8 && !r.icmp_code;
    }));
  }
  {
    const Topology t = load_policy("ssh-from-bastion.yaml");
    const SecurityGroup& servers = group(t, "ssh-from-bastion");
    EXPECT_EQ(servers.rules.size(), 1u);
    EXPECT_TRUE(has_rule(servers, Direction::kIngress, kTcp, 22, "group:bastion"));
    const SecurityGroup& bastion = group(t, "bastion");
    EXPECT_TRUE(has_rule(bastion, Direction::kIngress, kTcp, 22, "203.0.113.0/24"));
    EXPECT_TRUE(has_rule(bastion, Direction::kEgress, kTcp, 22, "group:ssh-from-bastion"));
  }
  {
    const Topology t = load_policy("dns.yaml");
    const SecurityGroup& dns = group(t, "dns");
    EXPECT_TRUE(only(dns, Direction::kIngress));
    EXPECT_TRUE(has_rule(dns, Direction::kIngress, kUdp, 53, "0.0.0.0/0"));
    EXPECT_TRUE(has_rule(dns, Direction::kIngress, kTcp, 53, "0.0.0.0/0"));
  }
  for (const char* file : {"deny-all-ingress.yaml", "allow-egress.yaml"}) {
    SCOPED_TRACE(file);
    const Topology t = load_policy(file);
    ASSERT_EQ(t.security_groups.size(), 1u);
    const SecurityGroup& g = t.security_groups[0];
    EXPECT_TRUE(only(g, Direction::kEgress));
    EXPECT_TRUE(has_rule(g, Direction::kEgress, std::nullopt, std::nullopt, "0.0.0.0/0"));
  }
  {
    const Topology t = load_policy("internal.yaml");
    const SecurityGroup& internal = group(t, "internal");
    EXPECT_EQ(internal.rules.size(), 2u);
    EXPECT_TRUE(
        has_rule(internal, Direction::kIngress, std::nullopt, std::nullopt, "group:internal"));
    EXPECT_TRUE(
        has_rule(internal, Direction::kEgress, std::nullopt, std::nullopt, "group:internal"));
  }
}

}  // namespace
}  // namespace vnet::topology

// delete -f: the objects a file names, by kind and name, whatever else the
// file holds or references.

#include <gtest/gtest.h>

#include "cli/object_refs.h"

namespace vnet::cli {
namespace {

TEST(ObjectRefsTest, ReadsNamesOfEveryKind) {
  const auto r = read_object_refs({{"a.yaml", R"(version: 1
underlay:
  mtu: 1500
hosts:
  - name: hv1
networks:
  - {name: blue, vni: 1}
endpoints:
  - name: vm1
    host: elsewhere
routers:
  - name: r1
security_groups:
  - name: web
)"},
                                   {"b.yaml", "endpoints:\n  - name: vm2\n  - name: vm1\n"}});
  ASSERT_TRUE(r.errors.empty()) << r.errors[0].str();
  ASSERT_EQ(r.refs.size(), 6u);
  EXPECT_EQ(r.refs[0].kind, ObjectKind::kHost);
  EXPECT_EQ(r.refs[1].kind, ObjectKind::kNetwork);
  EXPECT_EQ(r.refs[1].name, "blue");
  EXPECT_EQ(r.refs[2].name, "vm1");
  EXPECT_EQ(r.refs[3].kind, ObjectKind::kRouter);
  EXPECT_EQ(r.refs[4].kind, ObjectKind::kSecurityGroup);
  EXPECT_EQ(r.refs[5].name, "vm2");  // vm1 again is not repeated
}

TEST(ObjectRefsTest, ErrorsNameFileLineAndColumn) {
  const auto r = read_object_refs({{"bad.yaml", "endpoint:\n  - name: vm1\nhosts:\n  - role: x\n"}});
  ASSERT_EQ(r.errors.size(), 2u);
  EXPECT_EQ(r.errors[0].loc.file, "bad.yaml");
  EXPECT_EQ(r.errors[0].loc.line, 1);
  EXPECT_EQ(r.errors[0].loc.column, 1);
  EXPECT_NE(r.errors[0].message.find("unknown key 'endpoint'"), std::string::npos);
  EXPECT_EQ(r.errors[1].loc.line, 4);
  EXPECT_NE(r.errors[1].message.find("needs a name"), std::string::npos);

  const auto syntax = read_object_refs({{"s.yaml", "hosts: [\n"}});
  ASSERT_EQ(syntax.errors.size(), 1u);
  EXPECT_EQ(syntax.errors[0].loc.file, "s.yaml");
}

TEST(ObjectRefsTest, RemovesAndReportsMissing) {
  topology::Topology t;
  t.hosts.push_back({});
  t.hosts.back().name = "hv1";
  t.networks.push_back({});
  t.networks.back().name = "blue";
  t.endpoints.push_back({});
  t.endpoints.back().name = "vm1";
  t.endpoints.push_back({});
  t.endpoints.back().name = "vm2";
  const auto missing = remove_objects(
      t, {{ObjectKind::kEndpoint, "vm1"}, {ObjectKind::kNetwork, "red"}, {ObjectKind::kHost, "vm2"}});
  ASSERT_EQ(missing.size(), 2u);
  EXPECT_EQ(missing[0].name, "red");
  EXPECT_EQ(missing[1].name, "vm2");  // a name of another kind does not match
  ASSERT_EQ(t.endpoints.size(), 1u);
  EXPECT_EQ(t.endpoints[0].name, "vm2");
  EXPECT_EQ(t.hosts.size(), 1u);
}

}  // namespace
}  // namespace vnet::cli

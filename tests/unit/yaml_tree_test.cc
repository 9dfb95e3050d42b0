// topology/yaml_tree: the libyaml fast path builds the same tree as the
// yaml-cpp reference, node for node (kind, position, plain flag, value),
// and a stream libyaml rejects keeps yaml-cpp's message and position.

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "topology/yaml_tree.h"

namespace vnet::topology::yaml {
namespace {

void ExpectSameTree(const std::string& text) {
  const Stream fast = parse(text);
  const Stream ref = parse_reference(text);
  ASSERT_EQ(fast.error.has_value(), ref.error.has_value()) << text;
  ASSERT_EQ(fast.documents.size(), ref.documents.size()) << text;
  for (std::size_t i = 0; i < fast.documents.size(); ++i) {
    EXPECT_EQ(dump(fast.documents[i]), dump(ref.documents[i])) << text;
  }
}

TEST(YamlTreeTest, SameTreeAsYamlCpp) {
  ExpectSameTree("");
  ExpectSameTree("# only a comment\n");
  ExpectSameTree("---\n");
  ExpectSameTree("a: 1\nb: '2'\nc: \"3\"\nd:\ne: ~\nf: null\ng: 'null'\nh: NULL\n");
  ExpectSameTree("- 1\n- [a, 'b', {c: d}]\n- {x: , y: ~}\n-\n- |\n  block\n  text\n- >\n  folded\n");
  ExpectSameTree("base: &b {vni: 7, name: x}\nother: *b\nlist: [*b, *b]\n");
  ExpectSameTree("a: 1\n---\nb: 2\n...\n---\n- c\n");
  ExpectSameTree("key with spaces: value with spaces  \n\"quoted key\": 'it''s'\n");
  ExpectSameTree("ports: \"80-90\"\nmac: 02:00:00:00:00:01\nip: 10.0.0.1/24\nn: -5\n");
}

TEST(YamlTreeTest, SameTreeForTheExamples) {
  for (const char* name : {"examples/demo.yaml", "examples/two-tenants.yaml"}) {
    std::ifstream in(std::string(VNET_SOURCE_DIR) + "/" + name);
    ASSERT_TRUE(in) << name;
    std::stringstream ss;
    ss << in.rdbuf();
    ExpectSameTree(ss.str());
  }
}

TEST(YamlTreeTest, SyntaxErrorsKeepYamlCppMessages) {
  for (const std::string text : {"a: [1, 2\n", "hosts:\n  - name: a\n   vtep_ip: 1\n",
                                 "a: *nowhere\n", "a: !!str 5\n", "a: b: c\n"}) {
    const Stream fast = parse(text);
    const Stream ref = parse_reference(text);
    ASSERT_EQ(fast.error.has_value(), ref.error.has_value()) << text;
    if (ref.error) {
      EXPECT_EQ(fast.error->line, ref.error->line) << text;
      EXPECT_EQ(fast.error->column, ref.error->column) << text;
      EXPECT_EQ(fast.error->message, ref.error->message) << text;
    }
    ASSERT_EQ(fast.documents.size(), ref.documents.size()) << text;
    for (std::size_t i = 0; i < fast.documents.size(); ++i) {
      EXPECT_EQ(dump(fast.documents[i]), dump(ref.documents[i])) << text;
    }
  }
}

}  // namespace
}  // namespace vnet::topology::yaml

// The one printer (output/document.h): JSON escaping, YAML quoting (every
// string reads back as itself, through yaml-cpp, and stays a string for
// YAML 1.1 readers too), block layout, and table alignment.

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <string>

#include "output/document.h"

namespace vnet::output {
namespace {

Value one_field(const std::string& key, Value v) {
  Value m = Value::map();
  m.set(key, std::move(v));
  return m;
}

TEST(ValueTest, BuildsAndLooksUp) {
  Value m = Value::map();
  m.set("a", Value::integer(1));
  Value& list = m.set("b", Value::list());
  list.push(Value::string("x"));
  list.push(Value::boolean(true));
  ASSERT_NE(m.get("a"), nullptr);
  EXPECT_EQ(m.get("a")->as_int(), 1);
  EXPECT_EQ(m.get("b")->items().size(), 2u);
  EXPECT_EQ(m.get("missing"), nullptr);
  EXPECT_EQ(Value().kind(), Value::Kind::kNull);

  Value implicit;  // null becomes a list on push
  implicit.push(Value::integer(3));
  EXPECT_EQ(implicit.kind(), Value::Kind::kList);
}

TEST(FormatTest, Parses) {
  EXPECT_EQ(parse_format("table"), Format::kTable);
  EXPECT_EQ(parse_format("yaml"), Format::kYaml);
  EXPECT_EQ(parse_format("json"), Format::kJson);
  EXPECT_EQ(parse_format("xml"), std::nullopt);
  EXPECT_EQ(parse_format("JSON"), std::nullopt);
}

TEST(JsonTest, EscapesStrings) {
  const Value v = Value::string(std::string("q\"b\\n\nt\tc\x01\x1f\x7f/é", 15));
  EXPECT_EQ(to_json(v, false), "\"q\\\"b\\\\n\\nt\\tc\\u0001\\u001f\\u007f/é\"");
  EXPECT_EQ(to_json(Value::string("\b\f\r"), false), "\"\\b\\f\\r\"");
}

TEST(JsonTest, ReplacesBytesThatAreNotUtf8) {
  // A lone continuation byte, a truncated sequence, an overlong '/' and an
  // encoded surrogate: none may reach the output as raw bytes.
  EXPECT_EQ(to_json(Value::string("a\x80z"), false), "\"a\\ufffdz\"");
  EXPECT_EQ(to_json(Value::string("a\xc3"), false), "\"a\\ufffd\"");
  EXPECT_EQ(to_json(Value::string("\xc0\xaf"), false), "\"\\ufffd\\ufffd\"");
  EXPECT_EQ(to_json(Value::string("\xed\xa0\x80"), false), "\"\\ufffd\\ufffd\\ufffd\"");
  EXPECT_EQ(to_json(Value::string("\xf0\x9f\x98\x80"), false), "\"\xf0\x9f\x98\x80\"");
}

TEST(JsonTest, PrettyAndCompactLayout) {
  Value m = Value::map();
  m.set("name", Value::string("vm1"));
  m.set("id", Value::integer(-7));
  m.set("ok", Value::boolean(false));
  m.set("none", Value());
  m.set("empty_list", Value::list());
  m.set("empty_map", Value::map());
  Value& l = m.set("list", Value::list());
  l.push(Value::integer(1));
  l.push(Value::string("two"));
  EXPECT_EQ(to_json(m, false),
            R"({"name":"vm1","id":-7,"ok":false,"none":null,"empty_list":[],"empty_map":{},)"
            R"("list":[1,"two"]})");
  EXPECT_EQ(to_json(m),
            "{\n"
            "  \"name\": \"vm1\",\n"
            "  \"id\": -7,\n"
            "  \"ok\": false,\n"
            "  \"none\": null,\n"
            "  \"empty_list\": [],\n"
            "  \"empty_map\": {},\n"
            "  \"list\": [\n"
            "    1,\n"
            "    \"two\"\n"
            "  ]\n"
            "}\n");
}

TEST(JsonTest, EscapesKeys) {
  EXPECT_EQ(to_json(one_field("a\"b", Value::integer(1)), false), R"({"a\"b":1})");
}

// to_yaml of {k: s}: whether s was quoted, and that yaml-cpp reads s back.
bool yaml_quotes(const std::string& s) {
  const std::string text = to_yaml(one_field("k", Value::string(s)));
  const YAML::Node node = YAML::Load(text);
  EXPECT_TRUE(node.IsMap()) << text;
  EXPECT_EQ(node["k"].Scalar(), s) << text;
  // yaml-cpp tags a quoted scalar "!" and a plain one "?".
  return node["k"].Tag() == "!";
}

TEST(YamlTest, PlainWhenSafe) {
  for (const std::string s :
       {"vm1", "hv-1", "10.0.1.11", "10.0.1.0/24", "02:00:00:00:00:11", "02:00:00:00:00:aa",
        "eth0", "a b", "a:b", "a#b", "web_01", "1000-2000", "x.y", "é", "-", "1.2.3"}) {
    if (s == "-") {
      continue;  // covered below: an indicator alone must be quoted
    }
    EXPECT_FALSE(yaml_quotes(s)) << s;
  }
}

TEST(YamlTest, QuotesWhatReadsAsSomethingElse) {
  for (const std::string s : {
           "",          "yes",    "No",      "TRUE",  "false",  "on",   "Off",    "y",
           "n",         "null",   "Null",    "~",     "42",     "-1",   "+1",     "0755",
           "1_000",     "0x1f",   "0o17",    "0b101", "1.5",    ".5",   "1.",     "1e3",
           "1.5e-3",    ".inf",   "-.Inf",   ".nan",  "1:30",   "190:20:30",
           "52:54:00:12:34:56",   "1:30.5",  "2001-12-14",      "2001-1-2 10:00",
           "-",         "-x",     "?x",      ":x",    "#x",     "&x",   "*x",     "!x",
           "|x",        ">x",     "'x",      "\"x",   "%x",     "@x",   "`x",     "[x]",
           "{x}",       ",x",     "a: b",    "a #b",  "a:",     " a",   "a ",     "=",
           "<<",        "a\nb",   "tab\there", "bell\x07", "nel\xc2\x85", "ls\xe2\x80\xa8",
       }) {
    EXPECT_TRUE(yaml_quotes(s)) << "'" << s << "'";
  }
}

TEST(YamlTest, EscapesInsideDoubleQuotes) {
  EXPECT_EQ(to_yaml(Value::string("a\"b\\c\nd\te\x01")), "\"a\\\"b\\\\c\\nd\\te\\x01\"\n");
  EXPECT_EQ(to_yaml(Value::string("x\xe2\x80\xa8y")), "\"x\\u2028y\"\n");
  // Not UTF-8: no raw byte in the output.
  EXPECT_EQ(to_yaml(Value::string("a\xff")), "\"a\\uFFFD\"\n");
}

TEST(YamlTest, QuotesKeys) {
  const std::string text = to_yaml(one_field("yes", Value::integer(1)));
  EXPECT_EQ(text, "\"yes\": 1\n");
  EXPECT_EQ(YAML::Load(text)["yes"].as<int>(), 1);
}

TEST(YamlTest, BlockLayout) {
  Value doc = Value::map();
  doc.set("version", Value::integer(1));
  Value& hosts = doc.set("hosts", Value::list());
  Value& h = hosts.push(Value::map());
  h.set("name", Value::string("hv1"));
  Value& groups = h.set("groups", Value::list());
  groups.push(Value::string("web"));
  groups.push(Value::string("db"));
  Value& nested = h.set("nested", Value::map());
  nested.set("a", Value::boolean(true));
  nested.set("b", Value());
  hosts.push(Value::string("plain"));
  Value& inner = hosts.push(Value::list());
  inner.push(Value::integer(1));
  inner.push(Value::integer(2));
  doc.set("empty", Value::list());
  doc.set("nothing", Value::map());
  const std::string expected =
      "version: 1\n"
      "hosts:\n"
      "  - name: hv1\n"
      "    groups:\n"
      "      - web\n"
      "      - db\n"
      "    nested:\n"
      "      a: true\n"
      "      b: null\n"
      "  - plain\n"
      "  - - 1\n"
      "    - 2\n"
      "empty: []\n"
      "nothing: {}\n";
  EXPECT_EQ(to_yaml(doc), expected);

  const YAML::Node n = YAML::Load(expected);
  EXPECT_EQ(n["hosts"][0]["groups"][1].Scalar(), "db");
  EXPECT_TRUE(n["hosts"][0]["nested"]["b"].IsNull());
  EXPECT_EQ(n["hosts"][2][1].as<int>(), 2);
  EXPECT_EQ(n["empty"].size(), 0u);
}

TEST(YamlTest, ScalarsAtTopLevel) {
  EXPECT_EQ(to_yaml(Value::integer(-3)), "-3\n");
  EXPECT_EQ(to_yaml(Value()), "null\n");
  EXPECT_EQ(to_yaml(Value::list()), "[]\n");
  EXPECT_EQ(to_yaml(Value::string("7")), "\"7\"\n");
}

TEST(TableTest, AlignsColumns) {
  Value rows = Value::list();
  Value& a = rows.push(Value::map());
  a.set("name", Value::string("vm1"));
  a.set("vni", Value::integer(1001));
  a.set("underlay-if", Value::string("eth0"));
  Value& b = rows.push(Value::map());
  b.set("name", Value::string("a-much-longer-name"));
  b.set("vni", Value::integer(7));
  Value& groups = b.set("underlay-if", Value::list());
  groups.push(Value::string("x"));
  groups.push(Value::string("y"));
  const std::string expected =
      "NAME                 VNI    UNDERLAY-IF\n"
      "vm1                  1001   eth0\n"
      "a-much-longer-name   7      x,y\n";
  EXPECT_EQ(to_table(rows, {{"name", "vni", "underlay-if"}}), expected);
}

TEST(TableTest, EmptyCellsAndHeaderOnly) {
  Value rows = Value::list();
  Value& a = rows.push(Value::map());
  a.set("name", Value::string("é1"));  // two bytes, one column
  a.set("groups", Value::list());
  EXPECT_EQ(to_table(rows, {{"name", "groups", "missing"}}),
            "NAME   GROUPS   MISSING\n"
            "é1     -        -\n");
  EXPECT_EQ(to_table(Value::list(), {{"name", "vtep"}}), "NAME   VTEP\n");
}

TEST(TableTest, KeepsRowsOnOneLine) {
  Value rows = Value::list();
  rows.push(Value::map()).set("errors", Value::string("a\nb"));
  EXPECT_EQ(to_table(rows, {{"errors"}}), "ERRORS\na b\n");
}

}  // namespace
}  // namespace vnet::output

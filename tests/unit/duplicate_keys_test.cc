#include "bosh_libvirt_cpi/json/duplicate_keys.h"

#include <gtest/gtest.h>

namespace cpi::json {
namespace {

std::optional<DuplicateKey> Find(std::string_view text) {
  static simdjson::dom::parser parser;
  simdjson::dom::element root = parser.parse(text.data(), text.size()).value();
  return FindDuplicateKey(root);
}

TEST(DuplicateKeysTest, NoDuplicateInATypicalRequest) {
  EXPECT_FALSE(Find(R"({"method":"create_vm","arguments":["a","sc",{"cpu":1,"memory":512},
    {"default":{"ip":"10.0.0.2","netmask":"255.255.255.0","cloud_properties":{}}},[],
    {"bosh":{"mbus":{"cert":{"ca":"x"}}}}],"context":{"director_uuid":"d"},"api_version":2})"));
  EXPECT_FALSE(Find("[]"));
  EXPECT_FALSE(Find("1"));
  EXPECT_FALSE(Find(R"({"a":{"a":{"a":1}}})"));  // the same key in nested objects is fine
  EXPECT_FALSE(Find(R"([{"a":1},{"a":2}])"));    // and in sibling objects
}

TEST(DuplicateKeysTest, TopLevelDuplicateIsFoundWithItsPath) {
  auto dup = Find(R"({"method":"delete_vm","method":"info","arguments":["vm-1"]})");
  ASSERT_TRUE(dup);
  EXPECT_EQ(dup->key, "method");
  EXPECT_EQ(dup->path, "$.method");
}

TEST(DuplicateKeysTest, DuplicateAtAnyDepthIsFoundWithItsPath) {
  auto dup = Find(R"({"method":"create_vm","arguments":["a","sc",{"cpu":1,"memory":2,"cpu":8}]})");
  ASSERT_TRUE(dup);
  EXPECT_EQ(dup->key, "cpu");
  EXPECT_EQ(dup->path, "$.arguments[2].cpu");

  dup = Find(R"({"arguments":[[],{"n":{"default":{"cloud_properties":{"x":[{"b":1,"b":2}]}}}}]})");
  ASSERT_TRUE(dup);
  EXPECT_EQ(dup->path, "$.arguments[1].n.default.cloud_properties.x[0].b");
}

TEST(DuplicateKeysTest, KeysThatAreNotIdentifiersAreQuotedInThePath) {
  auto dup = Find(R"({"a b":{"x-y":1,"x-y":2}})");
  ASSERT_TRUE(dup);
  EXPECT_EQ(dup->path, R"($["a b"]["x-y"])");
}

TEST(DuplicateKeysTest, LargeObjectsAreCheckedToo) {
  std::string text = "{";
  for (int i = 0; i < 100; ++i) text += "\"k" + std::to_string(i) + "\":" + std::to_string(i) + ",";
  text += "\"k57\":0}";
  auto dup = Find(text);
  ASSERT_TRUE(dup);
  EXPECT_EQ(dup->key, "k57");
  text.replace(text.rfind("k57"), 3, "new");
  EXPECT_FALSE(Find(text));
}

}  // namespace
}  // namespace cpi::json

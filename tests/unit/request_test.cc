#include "bosh_libvirt_cpi/rpc/request.h"

#include <gtest/gtest.h>

#include "bosh_libvirt_cpi/errors.h"

namespace cpi::rpc {
namespace {

std::string ParseError(std::string_view input) {
  RequestParser parser;
  try {
    parser.Parse(input);
  } catch (const Error& e) {
    EXPECT_EQ(e.type(), ErrorType::kCpiError);
    return e.what();
  }
  return "";
}

TEST(RequestTest, ParsesDirectorEnvelope) {
  RequestParser parser;
  Request r = parser.Parse(R"({"method":"create_vm","arguments":["a",1],
    "context":{"director_uuid":"d","request_id":"cpi-123456","vm":{"stemcell":{"api_version":3}}},
    "api_version":2})");
  EXPECT_EQ(r.method, "create_vm");
  EXPECT_EQ(r.arguments.size(), 2u);
  EXPECT_EQ(r.api_version, 2);
  EXPECT_EQ(r.request_id, "cpi-123456");
  ASSERT_TRUE(r.stemcell_api_version.has_value());
  EXPECT_EQ(*r.stemcell_api_version, 3);
}

TEST(RequestTest, AbsentApiVersionMeansOne) {
  RequestParser parser;
  Request r = parser.Parse(R"({"method":"info","arguments":[]})");
  EXPECT_EQ(r.api_version, 1);
  EXPECT_EQ(r.request_id, "");
  EXPECT_FALSE(r.stemcell_api_version.has_value());
  EXPECT_EQ(r.context.size(), 0u);
}

TEST(RequestTest, CliContextWithEmptyStemcellIsAccepted) {
  RequestParser parser;
  Request r = parser.Parse(
      R"({"method":"info","arguments":[],"context":{"director_uuid":"x","vm":{"stemcell":{}}},"api_version":1})");
  EXPECT_FALSE(r.stemcell_api_version.has_value());
}

TEST(RequestTest, RejectsEmptyInput) {
  EXPECT_NE(ParseError("").find("standard input is empty"), std::string::npos);
  EXPECT_NE(ParseError(" \n\t ").find("standard input is empty"), std::string::npos);
}

TEST(RequestTest, RejectsInvalidJson) {
  EXPECT_NE(ParseError("{\"method\":").find("invalid JSON"), std::string::npos);
  EXPECT_NE(ParseError("{} trailing").find("invalid JSON"), std::string::npos);
}

TEST(RequestTest, RejectsNonObject) {
  EXPECT_NE(ParseError("[1,2]").find("expected a JSON object, got array"), std::string::npos);
  EXPECT_NE(ParseError("\"s\"").find("got string"), std::string::npos);
}

TEST(RequestTest, RejectsMissingOrNonStringMethod) {
  EXPECT_NE(ParseError(R"({"arguments":[]})").find("'method' is missing"), std::string::npos);
  EXPECT_NE(
      ParseError(R"({"method":5,"arguments":[]})").find("'method' must be a string, got integer"),
      std::string::npos);
}

TEST(RequestTest, RejectsArgumentsThatAreNotAnArray) {
  EXPECT_NE(ParseError(R"({"method":"info"})").find("'arguments' is missing"), std::string::npos);
  EXPECT_NE(ParseError(R"({"method":"info","arguments":{}})")
                .find("'arguments' must be an array, got object"),
            std::string::npos);
}

TEST(RequestTest, RejectsApiVersionThatIsNotANumber) {
  EXPECT_NE(ParseError(R"({"method":"info","arguments":[],"api_version":"2"})")
                .find("'api_version' must be a number, got string"),
            std::string::npos);
  EXPECT_NE(
      ParseError(R"({"method":"info","arguments":[],"api_version":2.5})").find("positive integer"),
      std::string::npos);
}

TEST(RequestTest, RejectsContextThatIsNotAnObject) {
  EXPECT_NE(ParseError(R"({"method":"info","arguments":[],"context":[]})")
                .find("'context' must be an object"),
            std::string::npos);
}

TEST(RequestTest, RejectsOversizedRequest) {
  std::string big =
      R"({"method":"info","arguments":[")" + std::string(kMaxRequestBytes, 'a') + R"("]})";
  EXPECT_NE(
      ParseError(big).find("request is more than 16 MiB; at most 16777216 bytes are accepted"),
      std::string::npos)
      << ParseError(big);
}

// Issue 17: valid JSON whose number simdjson cannot hold was "invalid JSON".
TEST(RequestTest, NumbersBeyondRangeAreNamedWithTheirPathNotInvalidJson) {
  std::string e =
      ParseError(R"({"method":"info","arguments":[],"context":{"x":[1,18446744073709551616]}})");
  EXPECT_NE(e.find("the number 18446744073709551616 at $.context.x[1] is out of range"),
            std::string::npos)
      << e;
  e = ParseError(R"({"method":"info","arguments":[{"a b":1e400}]})");
  EXPECT_NE(e.find("the number 1e400 at $.arguments[0][\"a b\"] is out of range"),
            std::string::npos)
      << e;
  e = ParseError(R"({"method":"create_disk","arguments":[18446744073709551616,{}]})");
  EXPECT_EQ(e,
            "Invalid arguments for 'create_disk': size 18446744073709551616 MiB is out of range "
            "1..67108864");
  // Not JSON at all stays "invalid JSON".
  EXPECT_NE(ParseError(R"({"method":"info","arguments":[01]})").find("invalid JSON"),
            std::string::npos);
}

// Defect 3 of issue 17: simdjson returns the first of two equal keys, Ruby and Go the last.
TEST(RequestTest, RejectsDuplicateKeysAnywhereNamingKeyAndPath) {
  std::string e = ParseError(R"({"method":"delete_vm","method":"info","arguments":["vm-1"]})");
  EXPECT_NE(e.find("duplicate key 'method' at $.method"), std::string::npos) << e;
  e = ParseError(R"({"method":"create_vm","arguments":["a","s",{"cpu":1,"cpu":2},{}]})");
  EXPECT_NE(e.find("duplicate key 'cpu' at $.arguments[2].cpu"), std::string::npos) << e;
  e = ParseError(R"({"method":"info","arguments":[],"context":{"vm":{"x":1,"x":1}}})");
  EXPECT_NE(e.find("$.context.vm.x"), std::string::npos) << e;
}

}  // namespace
}  // namespace cpi::rpc

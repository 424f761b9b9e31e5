#include "bosh_libvirt_cpi/errors.h"

#include <gtest/gtest.h>

namespace cpi {
namespace {

// Defect 5 of issue 17: what() is a C string, so a NUL in a caller's value cut the message.
TEST(ErrorsTest, ControlCharactersAreEscapedSoTheWholeMessageArrives) {
  const char kMessage[] = "agent 'a\0b' refused";
  Error e = CpiError(std::string(kMessage, sizeof kMessage - 1));
  EXPECT_STREQ(e.what(), "agent 'a\\u0000b' refused");
  EXPECT_STREQ(CloudError("x\x01y\x1b[2K\x7f").what(), "x\\u0001y\\u001b[2K\\u007f");
}

TEST(ErrorsTest, NewlineTabBackslashAndUtf8AreKept) {
  EXPECT_STREQ(CpiError("a\nb\tc\\u0000 \xc3\xa9").what(), "a\nb\tc\\u0000 \xc3\xa9");
}

TEST(ErrorsTest, EscapingTwiceChangesNothing) {
  std::string once = EscapeControlCharacters(std::string("a\0b\x01", 4));
  EXPECT_EQ(EscapeControlCharacters(once), once);
  Error wrapped = CpiError(std::string("step: ") + CpiError(std::string("a\0b", 3)).what());
  EXPECT_STREQ(wrapped.what(), "step: a\\u0000b");
}

TEST(ErrorsTest, QuoteEscapesAndCuts) {
  EXPECT_EQ(Quote(std::string("x\0y", 3)), "'x\\u0000y'");
  EXPECT_EQ(Quote(std::string(200, 'a')), "'" + std::string(120, 'a') + "...'");
}

}  // namespace
}  // namespace cpi

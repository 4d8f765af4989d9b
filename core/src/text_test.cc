#include "maskbench/core/text.h"

#include <gtest/gtest.h>

namespace maskbench {
namespace {

TEST(Utf8Test, AcceptsWellFormedAndRejectsIllFormed) {
  EXPECT_TRUE(IsValidUtf8("with_mask"));
  EXPECT_TRUE(IsValidUtf8("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\xb7"));  // é € 😷
  EXPECT_FALSE(IsValidUtf8("\xff"));
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));          // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));      // surrogate U+D800
  EXPECT_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(IsValidUtf8("ab\xe2\x82"));        // truncated
  EXPECT_EQ(FirstInvalidUtf8("ab\xe2\x82"), 2u);
  Status s = CheckUtf8("ok\xfe", "classes.txt: line 3");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.message(), "classes.txt: line 3: invalid UTF-8 at byte 2");
  EXPECT_TRUE(CheckUtf8("fine", "x").ok());
}

TEST(SanitizeTest, ReplacesInvalidAndDropsControls) {
  EXPECT_EQ(SanitizeText("a\xff"
                         "b"),
            "a\xef\xbf\xbd"
            "b");
  EXPECT_EQ(SanitizeText("\x1b[2J\x1b]0;pwned\x07red"), "[2J]0;pwnedred");
  EXPECT_EQ(SanitizeText("line1\nline2\tx"), "line1 line2 x");
  EXPECT_EQ(SanitizeText("line1\nline2", {.max_bytes = 100, .multiline = true}), "line1\nline2");
  EXPECT_EQ(SanitizeText("a\xc2\x9b"
                         "b"),
            "ab");                                         // C1 CSI
  EXPECT_EQ(SanitizeText("x\xe2\x80\xaey"), "xy");         // RIGHT-TO-LEFT OVERRIDE
  EXPECT_TRUE(IsValidUtf8(SanitizeText("\xf0\x9f\x98")));  // truncated emoji
}

TEST(SanitizeTest, CapsAtACharacterBoundary) {
  std::string s(100, 'x');
  std::string out = SanitizeText(s, {.max_bytes = 10});
  EXPECT_LE(out.size(), 10u);
  EXPECT_EQ(out, "xxxxxxx\xe2\x80\xa6");
  std::string euros;
  for (int i = 0; i < 10; ++i) euros += "\xe2\x82\xac";
  out = SanitizeText(euros, {.max_bytes = 8});
  EXPECT_TRUE(IsValidUtf8(out));
  EXPECT_LE(out.size(), 8u);
  EXPECT_EQ(SanitizeText("short", {.max_bytes = 5}), "short");
}

}  // namespace
}  // namespace maskbench

// Text from outside that must not forge or disguise a line (issue 37):
// which code points count, where the first one is, how they are shown.
#include "daemon/base/utf8.h"

#include <string>

#include <gtest/gtest.h>

namespace zhiban {
namespace {

TEST(Utf8Test, UnsafeCodePointsAreControlsSeparatorsAndBidi) {
  for (char32_t c :
       {U'\0', U'\n', U'\r', U'\t', U'\x1b', U'\x7f', U'\x85', U'\x9f', U'\u2028', U'\u2029',
        U'\u061c', U'\u200e', U'\u200f', U'\u202a', U'\u202e', U'\u2066', U'\u2069'})
    EXPECT_TRUE(IsUnsafeCodePoint(c)) << static_cast<unsigned>(c);
  for (char32_t c :
       {U' ', U'a', U'~', U'\xa0', U'\u00e9', U'\u4e2d', U'\u200b', U'\u3000', U'\U0001f600'})
    EXPECT_FALSE(IsUnsafeCodePoint(c)) << static_cast<unsigned>(c);
}

TEST(Utf8Test, FindsTheFirstUnsafeCharacterOrIllFormedByte) {
  EXPECT_EQ(FindUnsafeText("张三 room 3-201"), std::string_view::npos);
  EXPECT_EQ(FindUnsafeText("张三\n[fake] #1"), 6u);
  EXPECT_EQ(FindUnsafeText("张三\n李四", /*multiline=*/true), std::string_view::npos);
  EXPECT_EQ(FindUnsafeText("ab\xe2\x80\xae"), 2u);  // U+202E
  EXPECT_EQ(FindUnsafeText("ab\xe2\x80\xae", true), 2u);
  EXPECT_EQ(FindUnsafeText("ok\xff"), 2u);
  EXPECT_EQ(FindUnsafeText("\xc2\x85"), 0u);  // NEL, C1
  EXPECT_EQ(FindUnsafeText("a\rb", true), 1u);
  EXPECT_EQ(FindUnsafeText("[a]\r\nb = 1\r\n", true), std::string_view::npos);
  EXPECT_EQ(FindUnsafeText("[a]\r\nb = 1\r\n"), 3u);
  EXPECT_EQ(FindUnsafeText("a\r", true), 1u);
}

TEST(Utf8Test, EscapesForOneLine) {
  EXPECT_EQ(EscapeForLine("李娜"), "李娜");
  EXPECT_EQ(EscapeForLine("a\nb\x1b[31m"), "a\\x0ab\\x1b[31m");
  EXPECT_EQ(EscapeForLine("x\xe2\x80\xaey"), "x\\u{202e}y");
  EXPECT_EQ(EscapeForLine("\xff\xfe"), "\\xff\\xfe");
  EXPECT_EQ(EscapeForLine("abcdef", 3), "abc…");
  const std::string escaped = EscapeForLine(std::string(300, '\x01'));
  EXPECT_TRUE(IsValidUtf8(escaped));
  EXPECT_EQ(FindUnsafeText(escaped), std::string_view::npos);
}

}  // namespace
}  // namespace zhiban

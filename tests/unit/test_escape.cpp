// escape_bytes: the one helper every message uses to quote bytes from files and user input.
#include <gtest/gtest.h>

#include <string>

#include "error_of.hpp"
#include "glia/data.hpp"
#include "glia/escape.hpp"
#include "glia/platform/assets.hpp"
#include "glia/saving.hpp"

namespace glia {
namespace {

using testing_util::error_of;

bool printable_utf8_line(const std::string& s) {
  for (unsigned char c : s)
    if (c < 0x20 || c == 0x7F) return false;
  return escape_bytes(s) == s;  // nothing left to escape
}

TEST(EscapeBytes, KeepsValidTextAndEscapesTheRest) {
  EXPECT_EQ(escape_bytes("Dense"), "Dense");
  EXPECT_EQ(escape_bytes("caf\xC3\xA9 \xE2\x9C\x93 \xF0\x9F\x98\x80"),
            "caf\xC3\xA9 \xE2\x9C\x93 \xF0\x9F\x98\x80");
  EXPECT_EQ(escape_bytes("a\xFF"
                         "b"),
            "a\\xFFb");
  EXPECT_EQ(escape_bytes("line\nnext\r\ttab"), "line\\nnext\\r\\ttab");
  EXPECT_EQ(escape_bytes(std::string("nul\0x", 5)), "nul\\x00x");
  EXPECT_EQ(escape_bytes("\x1B[31mred"), "\\x1B[31mred");  // a terminal escape
  EXPECT_EQ(escape_bytes("\x7F"), "\\x7F");
  EXPECT_EQ(escape_bytes("\xC2\x85"), "\\xC2\\x85");  // C1 NEL
  EXPECT_EQ(escape_bytes("a\xE2\x80\xAE"
                         "b"),
            "a\\xE2\\x80\\xAEb");                              // right-to-left override
  EXPECT_EQ(escape_bytes("\xE2\x80\xA8"), "\\xE2\\x80\\xA8");  // line separator
  // Not well-formed: overlong, surrogate, beyond U+10FFFF, truncated, stray continuation.
  EXPECT_EQ(escape_bytes("\xC0\xAF"), "\\xC0\\xAF");
  EXPECT_EQ(escape_bytes("\xED\xA0\x80"), "\\xED\\xA0\\x80");
  EXPECT_EQ(escape_bytes("\xF4\x90\x80\x80"), "\\xF4\\x90\\x80\\x80");
  EXPECT_EQ(escape_bytes("x\xE2\x9C"), "x\\xE2\\x9C");
  EXPECT_EQ(escape_bytes("\x80"), "\\x80");
  EXPECT_EQ(escape_bytes("C:\\path"), "C:\\path");  // backslashes kept
}

TEST(EscapeBytes, IsIdempotentAndBounded) {
  for (const std::string& s : {std::string("a\xFF\n\xC3"), std::string("\x1B\xE2\x80\xAE\x00z", 7),
                               std::string("plain \xC3\xA9")}) {
    const std::string once = escape_bytes(s);
    EXPECT_EQ(escape_bytes(once), once);
    EXPECT_TRUE(printable_utf8_line(once)) << once;
  }
  EXPECT_EQ(escape_bytes("abcdef", 3), "abc...");
  EXPECT_EQ(escape_bytes("ab\xC3\xA9", 3), "ab...");  // never cuts a character in two
  EXPECT_EQ(escape_bytes("abc", 3), "abc");
  EXPECT_EQ(quote_bytes("x\xFF"), "'x\\xFF'");
  EXPECT_EQ(quote_bytes(std::string(500, 'a')).size(), 2u + 80u + 3u);
}

// Where messages quote bytes from files and user input, they come out escaped.
TEST(EscapeBytes, MessagesQuotingFileBytesAreEscaped) {
  // Bytes nlohmann quotes from a config that is not UTF-8.
  const std::string bad_utf8 =
      "{\"class_name\": \"Sequential\", \"config\": {\"layers\": [{\"class_name\": \"Bad\xFF\"}]}}";
  std::string e = error_of([&] { model_from_json(bad_utf8, "m.json"); });
  EXPECT_NE(e.find("Bad\\xFF"), std::string::npos) << e;
  EXPECT_TRUE(printable_utf8_line(e)) << e;
  // A class name holding a terminal escape and a C1 control (valid JSON, valid UTF-8).
  const std::string control =
      "{\"class_name\": \"Sequential\", \"config\": {\"layers\": [{\"class_name\": "
      "\"InputLayer\", \"config\": {\"batch_input_shape\": [null, 4]}}, {\"class_name\": "
      "\"Bad\\u001b[2J\\u0085\", \"config\": {}}]}}";
  e = error_of([&] { model_from_json(control, "m.json"); });
  EXPECT_NE(e.find("Bad\\x1B[2J\\xC2\\x85"), std::string::npos) << e;
  EXPECT_TRUE(printable_utf8_line(e)) << e;
  // Every error leaving the load API is escaped, whatever part of the file it quotes.
  e = error_of([] { load_model("/nonexistent/bad\xFF\n.keras"); });
  EXPECT_NE(e.find("bad\\xFF\\n.keras"), std::string::npos) << e;
  EXPECT_TRUE(printable_utf8_line(e)) << e;
  const std::string name = error_of([] { platform::check_asset_name("bad\xFFname\n", "dataset"); });
  EXPECT_NE(name.find("'bad\\xFFname\\n'"), std::string::npos) << name;
  EXPECT_TRUE(printable_utf8_line(name)) << name;
}

}  // namespace
}  // namespace glia

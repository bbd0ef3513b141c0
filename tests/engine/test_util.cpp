#include <gtest/gtest.h>

#include "engine/util/utf8.h"

using namespace pagoda::utf8;

namespace {
const std::string kReplacement = "\xEF\xBF\xBD";
}

// Python's bytes.decode("utf-8", "replace") gives one U+FFFD per maximal invalid subpart.
TEST(Utf8, SanitizeReplacesMaximalSubparts) {
  EXPECT_EQ(sanitize("\xE4\xB8"), kReplacement);
  EXPECT_EQ(sanitize("a\xE4\xB8z"), "a" + kReplacement + "z");
  EXPECT_EQ(sanitize("\xFF\xFE"), kReplacement + kReplacement);
  EXPECT_EQ(sanitize("\xED\xA0\x80"), kReplacement + kReplacement + kReplacement);  // surrogate
  EXPECT_EQ(sanitize("\xF0\x9F\x98"), kReplacement);
  EXPECT_EQ(sanitize("\xE4\xB8\xAD"), "\xE4\xB8\xAD");
}

TEST(Utf8, CompletePrefixStopsBeforeACutCharacter) {
  EXPECT_EQ(complete_prefix_length("ab\xE4\xB8"), 2u);
  EXPECT_EQ(complete_prefix_length("ab\xE4\xB8\xAD"), 5u);
  EXPECT_EQ(complete_prefix_length("\xFF"), 1u);  // invalid bytes never become valid
}

TEST(Utf8, ValidityAndAppend) {
  std::string s;
  append(s, U'中');
  append(s, U'😀');
  EXPECT_TRUE(is_valid(s));
  EXPECT_EQ(s, "\xE4\xB8\xAD\xF0\x9F\x98\x80");
  EXPECT_FALSE(is_valid("\xC0\x80"));  // overlong
}

#include "engine/util/utf8.h"

namespace pagoda::utf8 {

namespace {
// Returns the length of the valid sequence starting at s[i], or 0 if invalid/incomplete.
// Sets incomplete=true when the bytes so far are a valid beginning cut off by the end.
size_t sequence_length(std::string_view s, size_t i, bool& incomplete) {
  incomplete = false;
  auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80) return 1;
  size_t len;
  char32_t min;
  if ((b0 & 0xE0) == 0xC0) {
    len = 2;
    min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3;
    min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4;
    min = 0x10000;
  } else {
    return 0;
  }
  char32_t cp = b0 & (0x7F >> len);
  for (size_t k = 1; k < len; ++k) {
    if (i + k >= s.size()) {
      incomplete = true;
      return 0;
    }
    auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}
}  // namespace

size_t complete_prefix_length(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    bool incomplete = false;
    size_t n = sequence_length(s, i, incomplete);
    if (incomplete) return i;
    i += n ? n : 1;  // an invalid byte is complete: it will never become valid
  }
  return i;
}

bool is_valid(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    bool incomplete = false;
    size_t n = sequence_length(s, i, incomplete);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

// Bytes of the longest prefix at s[i] that could still begin a well-formed character (the
// "maximal subpart" of Unicode's replacement practice, which Python and Rust follow): one
// U+FFFD replaces the whole subpart, not each byte.
size_t maximal_subpart(std::string_view s, size_t i) {
  auto b0 = static_cast<unsigned char>(s[i]);
  size_t len;
  unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    len = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    len = 3;
    if (b0 == 0xE0) lo = 0xA0;
    if (b0 == 0xED) hi = 0x9F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    len = 4;
    if (b0 == 0xF0) lo = 0x90;
    if (b0 == 0xF4) hi = 0x8F;
  } else {
    return 1;
  }
  size_t k = 1;
  for (; k < len && i + k < s.size(); ++k) {
    auto b = static_cast<unsigned char>(s[i + k]);
    if (k == 1 ? (b < lo || b > hi) : (b & 0xC0) != 0x80) break;
  }
  return k;
}

std::string sanitize(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    bool incomplete = false;
    size_t n = sequence_length(s, i, incomplete);
    if (n == 0) {
      out += "\xEF\xBF\xBD";
      i += maximal_subpart(s, i);
    } else {
      out.append(s.substr(i, n));
      i += n;
    }
  }
  return out;
}

void append(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

}  // namespace pagoda::utf8

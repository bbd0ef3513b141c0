#include "engine/tokenizer/unicode.h"

#include <utf8proc.h>

#include <cstdlib>
#include <memory>

#include "engine/util/error.h"
#include "engine/util/utf8.h"

namespace pagoda::unicode {

char32_t next_code_point(std::string_view s, size_t& i) {
  auto b0 = static_cast<unsigned char>(s[i]);
  size_t len = b0 < 0x80             ? 1
               : (b0 & 0xE0) == 0xC0 ? 2
               : (b0 & 0xF0) == 0xE0 ? 3
               : (b0 & 0xF8) == 0xF0 ? 4
                                     : 0;
  if (len == 0 || i + len > s.size() || !utf8::is_valid(s.substr(i, len))) {
    ++i;
    return kInvalidByte | b0;
  }
  char32_t cp = len == 1 ? b0 : b0 & (0x7F >> len);
  for (size_t k = 1; k < len; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
  i += len;
  return cp;
}

namespace {

bool is_ascii(std::string_view s) {
  for (char c : s)
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  return true;
}

// Calls f(run, valid) on the maximal runs of valid UTF-8 and of the bytes between them.
template <typename F>
void for_each_run(std::string_view s, F f) {
  size_t begin = 0;
  bool valid = true;
  for (size_t i = 0; i < s.size();) {
    size_t at = i;
    const bool ok = next_code_point(s, i) < kInvalidByte;
    if (ok != valid) {
      if (at > begin) f(s.substr(begin, at - begin), valid);
      begin = at;
      valid = ok;
    }
  }
  if (s.size() > begin) f(s.substr(begin), valid);
}

utf8proc_option_t options_of(NormalForm form) {
  const int stable = UTF8PROC_STABLE;
  switch (form) {
    case NormalForm::kNfc:
      return static_cast<utf8proc_option_t>(stable | UTF8PROC_COMPOSE);
    case NormalForm::kNfd:
      return static_cast<utf8proc_option_t>(stable | UTF8PROC_DECOMPOSE);
    case NormalForm::kNfkc:
      return static_cast<utf8proc_option_t>(stable | UTF8PROC_COMPOSE | UTF8PROC_COMPAT);
    case NormalForm::kNfkd:
      return static_cast<utf8proc_option_t>(stable | UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT);
  }
  return static_cast<utf8proc_option_t>(stable | UTF8PROC_COMPOSE);
}

void append_normalized(std::string& out, std::string_view valid_utf8, utf8proc_option_t options) {
  utf8proc_uint8_t* mapped = nullptr;
  const utf8proc_ssize_t n =
      utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(valid_utf8.data()),
                   static_cast<utf8proc_ssize_t>(valid_utf8.size()), &mapped, options);
  std::unique_ptr<utf8proc_uint8_t, decltype(&std::free)> owned(mapped, &std::free);
  if (n < 0) throw Error(std::string("Unicode normalization failed: ") + utf8proc_errmsg(n));
  out.append(reinterpret_cast<const char*>(mapped), static_cast<size_t>(n));
}

// Unicode's Cased and Case_Ignorable, from the general category and the case mappings.
bool is_cased(char32_t cp) {
  const auto cat = utf8proc_category(static_cast<utf8proc_int32_t>(cp));
  if (cat == UTF8PROC_CATEGORY_LU || cat == UTF8PROC_CATEGORY_LL || cat == UTF8PROC_CATEGORY_LT)
    return true;
  return utf8proc_tolower(static_cast<utf8proc_int32_t>(cp)) != static_cast<utf8proc_int32_t>(cp) ||
         utf8proc_toupper(static_cast<utf8proc_int32_t>(cp)) != static_cast<utf8proc_int32_t>(cp);
}

bool is_case_ignorable(char32_t cp) {
  switch (cp) {  // Word_Break MidLetter, MidNumLet, Single_Quote
    case 0x27: case 0x2E: case 0x3A: case 0xB7: case 0x387: case 0x55F: case 0x5F4:
    case 0x2018: case 0x2019: case 0x2024: case 0x2027: case 0xFE13: case 0xFE52: case 0xFE55:
    case 0xFF07: case 0xFF0E: case 0xFF1A:
      return true;
    default:
      break;
  }
  const auto cat = utf8proc_category(static_cast<utf8proc_int32_t>(cp));
  return cat == UTF8PROC_CATEGORY_MN || cat == UTF8PROC_CATEGORY_ME ||
         cat == UTF8PROC_CATEGORY_CF || cat == UTF8PROC_CATEGORY_LM ||
         cat == UTF8PROC_CATEGORY_SK;
}

// Final_Sigma (Unicode 3.13): a cased letter before (case-ignorables skipped), none after.
bool is_final_sigma(const std::u32string& cps, size_t at) {
  size_t i = at;
  bool before = false;
  while (i-- > 0) {
    if (is_case_ignorable(cps[i])) continue;
    before = is_cased(cps[i]);
    break;
  }
  if (!before) return false;
  for (size_t j = at + 1; j < cps.size(); ++j) {
    if (is_case_ignorable(cps[j])) continue;
    return !is_cased(cps[j]);
  }
  return true;
}

void append_lowercase(std::string& out, std::string_view valid_utf8) {
  std::u32string cps;
  for (size_t i = 0; i < valid_utf8.size();) cps.push_back(next_code_point(valid_utf8, i));
  for (size_t k = 0; k < cps.size(); ++k) {
    const char32_t cp = cps[k];
    if (cp == 0x130) {  // the one unconditional multi-character lowercase (SpecialCasing.txt)
      out += "i\xCC\x87";
    } else if (cp == 0x3A3 && is_final_sigma(cps, k)) {
      utf8::append(out, 0x3C2);
    } else {
      utf8::append(out, static_cast<char32_t>(utf8proc_tolower(static_cast<utf8proc_int32_t>(cp))));
    }
  }
}

}  // namespace

std::string normalize(std::string_view s, NormalForm form) {
  if (is_ascii(s)) return std::string(s);  // ASCII is invariant under every form
  const utf8proc_option_t options = options_of(form);
  std::string out;
  out.reserve(s.size());
  for_each_run(s, [&](std::string_view run, bool valid) {
    if (valid)
      append_normalized(out, run, options);
    else
      out.append(run);
  });
  return out;
}

std::string lowercase(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  if (is_ascii(s)) {
    for (char c : s) out += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    return out;
  }
  for_each_run(s, [&](std::string_view run, bool valid) {
    if (valid)
      append_lowercase(out, run);
    else
      out.append(run);
  });
  return out;
}

}  // namespace pagoda::unicode

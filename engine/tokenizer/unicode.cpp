#include "tokenizer/unicode.h"

#include <algorithm>
#include <cstdint>
#include <vector>

#include "util/utf8.h"

namespace pagoda::unicode {

namespace {

struct CccEntry {
  char32_t cp;
  uint8_t ccc;
};
struct DecompEntry {
  char32_t cp;
  uint16_t offset;
  uint8_t length;
};
struct CompEntry {
  char32_t first, second, composed;
};
struct RangeEntry {
  char32_t first, last;
};

#include "tokenizer/unicode_nfc_tables.inc"

constexpr char32_t kHangulBase = 0xAC00, kJamoL = 0x1100, kJamoV = 0x1161, kJamoT = 0x11A7;
constexpr int kCountL = 19, kCountV = 21, kCountT = 28, kCountN = kCountV * kCountT;
constexpr int kCountHangul = kCountL * kCountN;

int ccc_of(char32_t cp) {
  if (cp < 0x300 || cp >= kInvalidByte) return 0;
  auto it = std::lower_bound(std::begin(kCcc), std::end(kCcc), cp,
                             [](const CccEntry& e, char32_t c) { return e.cp < c; });
  return it != std::end(kCcc) && it->cp == cp ? it->ccc : 0;
}

bool may_change(char32_t cp) {
  if (cp < 0x300) return false;
  auto it = std::upper_bound(std::begin(kMaybeChanged), std::end(kMaybeChanged), cp,
                             [](char32_t c, const RangeEntry& e) { return c < e.first; });
  return it != std::begin(kMaybeChanged) && cp <= std::prev(it)->last;
}

void decompose(char32_t cp, std::vector<char32_t>& out) {
  if (cp >= kHangulBase && cp < kHangulBase + kCountHangul) {
    int s = static_cast<int>(cp - kHangulBase);
    out.push_back(kJamoL + s / kCountN);
    out.push_back(kJamoV + (s % kCountN) / kCountT);
    if (s % kCountT) out.push_back(kJamoT + s % kCountT);
    return;
  }
  auto it = std::lower_bound(std::begin(kDecomp), std::end(kDecomp), cp,
                             [](const DecompEntry& e, char32_t c) { return e.cp < c; });
  if (it != std::end(kDecomp) && it->cp == cp) {
    out.insert(out.end(), kDecompData + it->offset, kDecompData + it->offset + it->length);
  } else {
    out.push_back(cp);
  }
}

// 0 when the pair does not compose.
char32_t compose(char32_t a, char32_t b) {
  if (a >= kJamoL && a < kJamoL + kCountL && b >= kJamoV && b < kJamoV + kCountV)
    return kHangulBase + ((a - kJamoL) * kCountV + (b - kJamoV)) * kCountT;
  if (a >= kHangulBase && a < kHangulBase + kCountHangul && (a - kHangulBase) % kCountT == 0 &&
      b > kJamoT && b < kJamoT + kCountT)
    return a + (b - kJamoT);
  auto it = std::lower_bound(std::begin(kComp), std::end(kComp), std::pair{a, b},
                             [](const CompEntry& e, const std::pair<char32_t, char32_t>& k) {
                               return e.first != k.first ? e.first < k.first : e.second < k.second;
                             });
  return it != std::end(kComp) && it->first == a && it->second == b ? it->composed : 0;
}

}  // namespace

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

// Full NFC of a chunk: decompose, reorder, compose.
std::string nfc_chunk(std::string_view s) {
  std::vector<char32_t> cps;
  cps.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    char32_t cp = next_code_point(s, i);
    if (cp >= kInvalidByte) {
      cps.push_back(cp);
    } else {
      decompose(cp, cps);
    }
  }
  // Canonical ordering: stable sort of each run of non-starters by combining class.
  for (size_t i = 0; i < cps.size();) {
    if (ccc_of(cps[i]) == 0) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < cps.size() && ccc_of(cps[j]) != 0) ++j;
    std::stable_sort(cps.begin() + i, cps.begin() + j,
                     [](char32_t a, char32_t b) { return ccc_of(a) < ccc_of(b); });
    i = j;
  }
  // Canonical composition.
  std::vector<char32_t> out;
  out.reserve(cps.size());
  size_t starter = SIZE_MAX;
  int last_ccc = -1;
  for (char32_t cp : cps) {
    int ccc = ccc_of(cp);
    if (starter != SIZE_MAX && cp < kInvalidByte &&
        (out.size() == starter + 1 || (ccc != 0 && last_ccc < ccc))) {
      // Not blocked: no character between the starter and cp has a class >= ccc.
      if (char32_t c = compose(out[starter], cp)) {
        out[starter] = c;
        continue;
      }
    }
    if (ccc == 0) {
      starter = cp < kInvalidByte ? out.size() : SIZE_MAX;
      last_ccc = -1;
      out.push_back(cp);
      continue;
    }
    last_ccc = ccc;
    out.push_back(cp);
  }
  std::string result;
  result.reserve(s.size());
  for (char32_t cp : out) {
    if (cp >= kInvalidByte) {
      result += static_cast<char>(cp & 0xFF);
    } else {
      utf8::append(result, cp);
    }
  }
  return result;
}

}  // namespace

std::string nfc(std::string_view s) {
  // Only chunks around characters that may change are normalized. Chunks are cut before ASCII
  // characters: they are starters that never compose with what precedes them.
  std::string out;
  size_t copied = 0, last_ascii = 0;
  bool seen_ascii = false;
  for (size_t i = 0; i < s.size();) {
    if (static_cast<unsigned char>(s[i]) < 0x80) {
      last_ascii = i++;
      seen_ascii = true;
      continue;
    }
    if (!may_change(next_code_point(s, i))) continue;
    size_t begin = seen_ascii && last_ascii >= copied ? last_ascii : copied;
    size_t end = i;
    while (end < s.size() && static_cast<unsigned char>(s[end]) >= 0x80) ++end;
    if (out.empty()) out.reserve(s.size());
    out.append(s, copied, begin - copied);
    out += nfc_chunk(s.substr(begin, end - begin));
    copied = i = end;
  }
  if (copied == 0) return std::string(s);
  out.append(s, copied);
  return out;
}

}  // namespace pagoda::unicode

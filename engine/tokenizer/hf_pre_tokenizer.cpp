#include "engine/tokenizer/hf_pre_tokenizer.h"

#include <algorithm>
#include <cctype>

#include "engine/util/utf8.h"

namespace pagoda::tokenizer_detail {

const ByteLevelAlphabet& byte_level_alphabet() {
  static const ByteLevelAlphabet alphabet;
  return alphabet;
}

std::string to_byte_level(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char c : bytes)
    utf8::append(out, byte_level_alphabet().byte_to_char[static_cast<unsigned char>(c)]);
  return out;
}

// Length of the UTF-8 character at s[i] (1 for a byte that does not start a valid one).
size_t char_length(std::string_view s, size_t i) {
  size_t next = i;
  unicode::next_code_point(s, next);
  return next - i;
}

std::string escape_regex(std::string_view literal) {
  std::string out;
  for (char c : literal) {
    auto b = static_cast<unsigned char>(c);
    if (b < 0x80 && !std::isalnum(b)) out += '\\';
    out += c;
  }
  return out;
}

// True when s[at..] starts a "▁" that follows some other character.
bool metaspace_after_other(std::string_view s, size_t at) {
  return at > 0 && s.compare(at, 3, kMetaspace) == 0 &&
         (at < 3 || s.compare(at - 3, 3, kMetaspace) != 0);
}

std::vector<Piece> split_piece(const Piece& piece, const Regex& regex, SplitBehavior behavior,
                               bool invert) {
  thread_local std::vector<std::pair<size_t, size_t>> matches;
  regex.find_all(piece.text, matches);
  struct Part {
    size_t begin, end;
    bool is_match;
  };
  std::vector<Part> parts;
  size_t last = 0;
  for (auto [b, e] : matches) {
    if (b > last) parts.push_back({last, b, invert});
    parts.push_back({b, e, !invert});
    last = e;
  }
  if (last < piece.text.size()) parts.push_back({last, piece.text.size(), invert});

  std::vector<Piece> out;
  bool previous_was_match = false;
  for (const Part& p : parts) {
    std::string_view text = std::string_view(piece.text).substr(p.begin, p.end - p.begin);
    bool append = false;
    switch (behavior) {
      case SplitBehavior::kIsolated:
        break;
      case SplitBehavior::kRemoved:
        if (p.is_match) continue;
        break;
      case SplitBehavior::kMergedWithPrevious:
        append = p.is_match && !out.empty();
        break;
      case SplitBehavior::kMergedWithNext:
        append = !p.is_match && previous_was_match;
        break;
      case SplitBehavior::kContiguous:
        append = p.is_match && previous_was_match;
        break;
    }
    previous_was_match = p.is_match;
    if (append) {
      out.back().text += text;
    } else {
      out.push_back({std::string(text), piece.at_text_start && p.begin == 0});
    }
  }
  return out;
}

void replace_all(std::string& s, std::string_view from, std::string_view to) {
  if (from.empty()) return;
  std::string out;
  size_t i = 0;
  for (size_t j; (j = s.find(from, i)) != std::string::npos; i = j + from.size()) {
    out.append(s, i, j - i);
    out += to;
  }
  out.append(s, i);
  s = std::move(out);
}

}  // namespace pagoda::tokenizer_detail

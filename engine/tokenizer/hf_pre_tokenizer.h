#pragma once
// The text side of a tokenizer.json pipeline, before the model: the byte-level alphabet, PCRE2
// patterns, the normalizers' and pre-tokenizers' settings, and splitting text into pieces.
// Internal to engine/tokenizer. Immutable after loading; any thread.
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "engine/tokenizer/unicode.h"
#include "engine/util/error.h"

namespace pagoda::tokenizer_detail {

// GPT-2's bytes_to_unicode: every byte gets a printable character.
struct ByteLevelAlphabet {
  std::array<char32_t, 256> byte_to_char{};
  std::unordered_map<char32_t, uint8_t> char_to_byte;
  ByteLevelAlphabet() {
    int extra = 0;
    for (int b = 0; b < 256; ++b) {
      bool printable =
          (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
      byte_to_char[b] = printable ? static_cast<char32_t>(b) : static_cast<char32_t>(256 + extra++);
      char_to_byte[byte_to_char[b]] = static_cast<uint8_t>(b);
    }
  }
};
const ByteLevelAlphabet& byte_level_alphabet();
// The byte-level characters of raw bytes.
std::string to_byte_level(std::string_view bytes);
// Length of the UTF-8 character at s[i] (1 for a byte that does not start a valid one).
size_t char_length(std::string_view s, size_t i);

// A compiled PCRE2 pattern (UTF + UCP, JIT when available). Invalid UTF-8 in the subject never
// matches, so it ends up in the gaps between matches instead of failing the match.
class Regex {
 public:
  Regex(const std::string& pattern, const std::string& where) {
    int error = 0;
    PCRE2_SIZE offset = 0;
    code_ =
        pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                      PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF, &error, &offset, nullptr);
    if (!code_) {
      PCRE2_UCHAR message[256];
      pcre2_get_error_message(error, message, sizeof message);
      throw Error(where + ": bad regex at offset " + std::to_string(offset) + ": " +
                  reinterpret_cast<const char*>(message));
    }
    pcre2_jit_compile(code_, PCRE2_JIT_COMPLETE);  // falls back to the interpreter if absent
  }
  ~Regex() { pcre2_code_free(code_); }
  Regex(const Regex&) = delete;
  Regex& operator=(const Regex&) = delete;

  // Byte ranges of all non-overlapping matches, left to right.
  void find_all(std::string_view s, std::vector<std::pair<size_t, size_t>>& matches) const {
    matches.clear();
    MatchState& state = match_state();
    auto subject = reinterpret_cast<PCRE2_SPTR>(s.data());
    size_t offset = 0;
    while (offset <= s.size()) {
      int rc = pcre2_match(code_, subject, s.size(), offset, 0, state.data, state.context);
      if (rc == PCRE2_ERROR_NOMATCH) break;
      if (rc < 0) {
        PCRE2_UCHAR message[256];
        pcre2_get_error_message(rc, message, sizeof message);
        throw Error(std::string("tokenizer regex failed: ") +
                    reinterpret_cast<const char*>(message));
      }
      PCRE2_SIZE* ovector = pcre2_get_ovector_pointer(state.data);
      size_t begin = ovector[0], end = ovector[1];
      if (end == begin) {  // an empty match: step over one character
        if (begin >= s.size()) break;
        offset = begin + char_length(s, begin);
        continue;
      }
      matches.emplace_back(begin, end);
      offset = end;
    }
  }

 private:
  // Per thread: one instance serves every thread.
  struct MatchState {
    pcre2_match_data* data = pcre2_match_data_create(1, nullptr);
    pcre2_match_context* context = pcre2_match_context_create(nullptr);
    pcre2_jit_stack* stack = pcre2_jit_stack_create(32 * 1024, 8 * 1024 * 1024, nullptr);
    MatchState() { pcre2_jit_stack_assign(context, nullptr, stack); }
    ~MatchState() {
      pcre2_jit_stack_free(stack);
      pcre2_match_context_free(context);
      pcre2_match_data_free(data);
    }
  };
  static MatchState& match_state() {
    thread_local MatchState state;
    return state;
  }
  pcre2_code* code_ = nullptr;
};

std::string escape_regex(std::string_view literal);
// True when s[at..] starts a "▁" that follows some other character.
bool metaspace_after_other(std::string_view s, size_t at);

inline constexpr std::string_view kMetaspace = "\xE2\x96\x81";  // U+2581, SentencePiece's space

inline constexpr const char* kGpt2Pattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

enum class SplitBehavior { kIsolated, kRemoved, kMergedWithPrevious, kMergedWithNext, kContiguous };
enum class PrependScheme { kAlways, kFirst, kNever };

struct Piece {
  std::string text;
  bool at_text_start;  // begins at offset 0 of the original text (Metaspace "first")
};

struct Normalizer {
  enum class Kind { kUnicode, kLowercase, kPrepend, kReplace, kStrip } kind;
  std::string text, content;  // Prepend: text; Replace: literal text -> content
  std::shared_ptr<Regex> regex;
  bool left = false, right = false;
  unicode::NormalForm form = unicode::NormalForm::kNfc;  // kUnicode
};

struct PreTokenizer {
  enum class Kind { kSplit, kByteLevel, kMetaspace } kind = Kind::kSplit;
  std::shared_ptr<Regex> regex;
  SplitBehavior behavior = SplitBehavior::kIsolated;
  bool invert = false;
  bool add_prefix_space = false;  // ByteLevel
  std::string replacement;        // Metaspace
  PrependScheme prepend_scheme = PrependScheme::kAlways;
};

// Splits a piece at the regex's matches, keeping the parts as the behavior says.
std::vector<Piece> split_piece(const Piece& piece, const Regex& regex, SplitBehavior behavior,
                               bool invert);
void replace_all(std::string& s, std::string_view from, std::string_view to);

}  // namespace pagoda::tokenizer_detail

#pragma once
// A compact regular-expression engine for constrained decoding: the usual syntax (literals,
// escapes \d \w \s \D \W \S \n \t \uXXXX \xHH, classes [a-z] [^...], ., * + ? {m} {m,} {m,n}
// (lazy forms accepted, same language), |, groups (...) (?:...) (?<name>...), ^ and $ at the
// ends) over Unicode code points, compiled to UTF-8 byte automata. The whole output must match
// (anchors are implicit). Backreferences and lookaround are refused.
// Threading: plain functions and values.
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/grammar/automaton.h"

namespace pagoda::grammar {

struct RegexNode {
  enum class Kind { Set, Concat, Alternate, Repeat };
  Kind kind = Kind::Concat;                               // an empty Concat matches ""
  std::vector<std::pair<uint32_t, uint32_t>> ranges;      // Set: code points, sorted, disjoint
  std::vector<RegexNode> children;                        // Concat / Alternate / Repeat (one)
  int min = 0, max = -1;                                  // Repeat; max -1: unbounded
};

// Parses a pattern; throws InvalidArgument naming the position of the first unsupported or
// malformed part.
RegexNode parse_regex(std::string_view pattern);

// How matched characters are written: raw UTF-8, or inside a JSON string literal (characters
// that JSON must escape become their escapes: \" \\ \n ... \u00XX).
enum class CharEncoding { Raw, JsonString };

Frag build_regex(NfaBuilder& b, const RegexNode& node, CharEncoding encoding);

}  // namespace pagoda::grammar

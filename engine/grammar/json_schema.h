#pragma once
// JSON Schema to a byte automaton (see docs/structured-output.md for what is supported). The
// output is compact JSON with a bounded amount of whitespace between tokens, properties in the
// schema's order, and numbers of bounded length, so that sampling always terminates; every
// output the automaton accepts validates against the schema. Unsupported keywords are refused
// with InvalidArgument naming the keyword.
// Threading: plain functions.
#include "engine/grammar/automaton.h"
#include "engine/util/json.h"

namespace pagoda::grammar {

// Limits of the generated JSON.
inline constexpr int kMaxWhitespace = 2;   // whitespace characters between two JSON tokens
inline constexpr int kAnyJsonDepth = 5;    // nesting of values a schema leaves open ({} / true)
inline constexpr int kMaxRefDepth = 3;     // expansions of one $ref inside itself
inline constexpr int kMaxIntegerDigits = 16;
inline constexpr int kMaxFractionDigits = 16;

// The whole output is one value matching schema. recursion_cut: set when a recursive $ref was
// cut at kMaxRefDepth (an empty language then means the recursion was required).
Frag build_json_schema(NfaBuilder& b, const OrderedJson& schema, bool* recursion_cut = nullptr);
// Any JSON object (response_format json_object).
Frag build_any_json_object(NfaBuilder& b);

}  // namespace pagoda::grammar

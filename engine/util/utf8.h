#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace pagoda::utf8 {

// Length of the longest prefix of s that ends on a complete UTF-8 character (streaming never
// emits half a character).
size_t complete_prefix_length(std::string_view s);
// True when s is well-formed UTF-8.
bool is_valid(std::string_view s);
// Replaces malformed sequences with U+FFFD, as Python's errors="replace" and HF decode do.
std::string sanitize(std::string_view s);
// Appends the UTF-8 encoding of a code point.
void append(std::string& out, char32_t cp);

}  // namespace pagoda::utf8

#pragma once
// Unicode helpers of the tokenizers: code point decoding that tolerates malformed UTF-8, and NFC
// normalization (the "NFC" normalizer of tokenizer.json).
#include <string>
#include <string_view>

namespace pagoda::unicode {

// Marks a byte that does not start a valid UTF-8 character: kInvalidByte | byte.
constexpr char32_t kInvalidByte = 0x80000000;

// Decodes the character at s[i] and advances i past it; a byte that does not start a valid
// character comes back as kInvalidByte | byte, and i advances by one.
char32_t next_code_point(std::string_view s, size_t& i);

// NFC; bytes that are not valid UTF-8 pass through unchanged, so byte-level tokenizers stay
// lossless on any input.
std::string nfc(std::string_view s);

}  // namespace pagoda::unicode

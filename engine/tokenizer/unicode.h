#pragma once
// Unicode helpers of the tokenizers: code point decoding that tolerates malformed UTF-8, and the
// normalizers of tokenizer.json (NFC, NFD, NFKC, NFKD, Lowercase) on top of libutf8proc. Pure
// functions: callable from any thread.
#include <string>
#include <string_view>

namespace pagoda::unicode {

// Marks a byte that does not start a valid UTF-8 character: kInvalidByte | byte.
constexpr char32_t kInvalidByte = 0x80000000;

// Decodes the character at s[i] and advances i past it; a byte that does not start a valid
// character comes back as kInvalidByte | byte, and i advances by one.
char32_t next_code_point(std::string_view s, size_t& i);

enum class NormalForm { kNfc, kNfd, kNfkc, kNfkd };

// The Unicode normalization form of s. Bytes that are not valid UTF-8 pass through unchanged
// (and nothing composes across them), so byte-level tokenizers stay lossless on any input.
std::string normalize(std::string_view s, NormalForm form);
inline std::string nfc(std::string_view s) { return normalize(s, NormalForm::kNfc); }

// Full Unicode lowercasing, as Rust's str::to_lowercase (the Lowercase normalizer of HF
// tokenizers) and Python's str.lower(): the simple mappings, U+0130 to "i\u0307", and a capital
// sigma that ends a word becomes the final sigma. Invalid bytes pass through.
std::string lowercase(std::string_view s);

}  // namespace pagoda::unicode

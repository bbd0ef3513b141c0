#pragma once
// Text-marker helpers shared by the streaming parsers (tool calls, reasoning). Pure functions.
#include <algorithm>
#include <string_view>

namespace pagoda {

// How many bytes at the end of `text` could be the beginning of `marker` (0 when none): a
// streaming parser holds those back until the next text says whether the marker is there.
inline size_t partial_marker_length(std::string_view text, std::string_view marker) {
  if (marker.empty()) return 0;
  for (size_t n = std::min(text.size(), marker.size() - 1); n > 0; --n)
    if (text.substr(text.size() - n) == marker.substr(0, n)) return n;
  return 0;
}

}  // namespace pagoda

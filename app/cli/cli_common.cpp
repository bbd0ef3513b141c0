#include "cli_common.h"

#include <CLI/CLI.hpp>
#include <charconv>

#include "command.h"

namespace pagoda::cli {

std::vector<std::pair<std::string, Setup>>& registry() {
  static std::vector<std::pair<std::string, Setup>> r;
  return r;
}

Registration::Registration(std::string name, Setup setup) {
  registry().emplace_back(std::move(name), std::move(setup));
}

std::vector<int32_t> parse_id_list(const std::string& text) {
  std::vector<int32_t> ids;
  size_t i = 0;
  while (i <= text.size()) {
    size_t j = text.find(',', i);
    if (j == std::string::npos) j = text.size();
    std::string part = text.substr(i, j - i);
    if (!part.empty()) {
      int32_t v = 0;
      auto [p, ec] = std::from_chars(part.data(), part.data() + part.size(), v);
      if (ec != std::errc() || p != part.data() + part.size())
        throw CLI::ValidationError("--ids", "not an integer: " + part);
      ids.push_back(v);
    }
    i = j + 1;
  }
  return ids;
}

}  // namespace pagoda::cli

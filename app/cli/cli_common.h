#pragma once
// Helpers shared by pagoda-cli subcommands.
#include <cstdint>
#include <string>
#include <vector>

namespace pagoda::cli {

// "1,2,3" -> {1,2,3}; throws CLI::ValidationError on bad input.
std::vector<int32_t> parse_id_list(const std::string& text);

}  // namespace pagoda::cli

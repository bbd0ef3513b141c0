#pragma once
#include <filesystem>
#include <nlohmann/json.hpp>

namespace pagoda {

using Json = nlohmann::json;
using OrderedJson = nlohmann::ordered_json;

// Reads a JSON file; throws pagoda::Error naming the file on a missing file or a parse error.
Json read_json_file(const std::filesystem::path& path);
// Same, but keeps object key order (chat templates iterate dicts in file order, like Python).
OrderedJson read_ordered_json_file(const std::filesystem::path& path);

}  // namespace pagoda

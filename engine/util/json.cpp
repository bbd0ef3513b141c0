#include "engine/util/json.h"

#include <fstream>
#include <sstream>

#include "engine/util/error.h"

namespace pagoda {

namespace {
std::string slurp(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot open " + path.string());
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}
}  // namespace

Json read_json_file(const std::filesystem::path& path) {
  try {
    return Json::parse(slurp(path));
  } catch (const Json::exception& e) {
    throw Error(path.string() + ": invalid JSON: " + e.what());
  }
}

OrderedJson read_ordered_json_file(const std::filesystem::path& path) {
  try {
    return OrderedJson::parse(slurp(path));
  } catch (const OrderedJson::exception& e) {
    throw Error(path.string() + ": invalid JSON: " + e.what());
  }
}

}  // namespace pagoda

#include "app/hub/repo_path.h"

#include <fnmatch.h>
#include <unistd.h>

#include <climits>
#include <set>

#include <cctype>
#include <string>

namespace pagoda::hub {

std::string repo_path_problem(std::string_view path) {
  if (path.empty()) return "empty path";
  if (path.size() > 1024) return "path longer than 1024 bytes";
  for (unsigned char c : path) {
    if (c == '\0') return "NUL byte in path";
    if (c < 0x20 || c == 0x7f) return "control character in path";
    if (c == '\\') return "backslash in path";
  }
  if (path[0] == '/') return "absolute path";
  if (path.size() >= 2 && path[1] == ':' && std::isalpha(static_cast<unsigned char>(path[0])))
    return "drive letter in path";
  size_t i = 0;
  while (i <= path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    std::string_view part = path.substr(i, j - i);
    if (part.empty()) return "empty path component";
    if (part == "..") return "'..' in path";
    if (part == ".") return "'.' component in path";
    i = j + 1;
  }
  return {};
}

bool glob_match(std::string_view pattern, std::string_view path) {
  std::string p(pattern), s(path);
  if (fnmatch(p.c_str(), s.c_str(), 0) == 0) return true;
  if (p.find('/') == std::string::npos) {
    size_t slash = s.rfind('/');
    if (slash != std::string::npos && fnmatch(p.c_str(), s.c_str() + slash + 1, 0) == 0)
      return true;
  }
  return false;
}

bool is_valid_model_id(std::string_view id) {
  size_t slash = id.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == id.size()) return false;
  if (id.find('/', slash + 1) != std::string_view::npos) return false;
  for (unsigned char c : id)
    if (!(std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '/')) return false;
  std::string_view owner = id.substr(0, slash), name = id.substr(slash + 1);
  for (std::string_view part : {owner, name})
    if (part == "." || part == ".." || part[0] == '.') return false;
  return true;
}

std::string download_paths_problem(const std::vector<std::string>& files,
                                   const std::filesystem::path& staging,
                                   const std::string& reserved) {
  long name_max = ::pathconf(staging.parent_path().c_str(), _PC_NAME_MAX);
  if (name_max <= 0) name_max = NAME_MAX;
  std::set<std::string> paths, dirs;
  for (const std::string& path : files) {
    if (std::string p = repo_path_problem(path); !p.empty())
      return "unsafe file path '" + path + "' in the file list: " + p;
    if (!paths.insert(path).second) return "file '" + path + "' is listed twice";
    for (size_t s = path.find('/'); s != std::string::npos; s = path.find('/', s + 1))
      dirs.insert(path.substr(0, s));
    if (path == reserved) return "reserved file name '" + path + "'";
    // Each component (the last with ".part" appended while downloading) must fit the file
    // system; refused now rather than after gigabytes.
    size_t begin = 0;
    for (;;) {
      size_t end = path.find('/', begin);
      bool last = end == std::string::npos;
      size_t len = (last ? path.size() : end) - begin + (last ? 5 : 0);
      if (static_cast<long>(len) > name_max)
        return "file path '" + path.substr(0, 80) + "…' has a component of " +
               std::to_string(len - (last ? 5 : 0)) + " bytes; the file system allows " +
               std::to_string(name_max - (last ? 5 : 0));
      if (last) break;
      begin = end + 1;
    }
    if ((staging / (path + ".part")).string().size() >= PATH_MAX)
      return "file path '" + path.substr(0, 80) + "…' is too long for the file system";
  }
  for (const auto& p : paths) {
    if (dirs.count(p)) return "'" + p + "' is listed both as a file and as a folder";
    if (p.size() > 5 && p.compare(p.size() - 5, 5, ".part") == 0 &&
        paths.count(p.substr(0, p.size() - 5)))
      return "'" + p + "' collides with the partial file of '" + p.substr(0, p.size() - 5) + "'";
  }
  return {};
}

}  // namespace pagoda::hub

#pragma once
// File paths that come from a hub listing are untrusted: they must stay inside the model folder.
#include <filesystem>
#include <string>
#include <vector>
#include <string_view>

namespace pagoda::hub {

// Returns an empty string when path is a safe relative repo path ("a/b.json"), otherwise why it
// is not: absolute, "..", ".", empty components, backslashes, NUL or control characters,
// a Windows drive, or longer than 1024 bytes.
std::string repo_path_problem(std::string_view path);

// Shell-style glob as huggingface-cli --include uses: '*' and '?' match within and across '/'
// (fnmatch without FNM_PATHNAME), '[...]' classes. A pattern without '/' also matches the
// last path component ("*.json" matches "sub/x.json").
bool glob_match(std::string_view pattern, std::string_view path);

// Why a hub listing cannot be downloaded safely into the folder staging, or "": a path that
// repo_path_problem refuses, a duplicate, a file that is also a folder, "x.part" next to "x",
// the reserved name, or a component (with ".part" appended to the last) longer than the file
// system allows (pathconf _PC_NAME_MAX) or a whole path over PATH_MAX.
std::string download_paths_problem(const std::vector<std::string>& paths,
                                   const std::filesystem::path& staging,
                                   const std::string& reserved);

// "owner/name" check for model ids (no traversal, no odd characters).
bool is_valid_model_id(std::string_view id);

}  // namespace pagoda::hub

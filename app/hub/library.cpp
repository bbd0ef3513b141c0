#include "app/hub/library.h"

#include <algorithm>

#include "app/hub/download_queue.h"
#include "app/hub/repo_path.h"
#include "engine/util/json.h"

namespace fs = std::filesystem;

namespace pagoda::hub {
namespace {

int64_t tree_bytes(const fs::path& dir, int* count) {
  int64_t total = 0;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_symlink(ec) || !it->is_regular_file(ec)) continue;
    total += static_cast<int64_t>(it->file_size(ec));
    if (count) ++*count;
  }
  return total;
}

std::string architecture_of(const fs::path& dir) {
  try {
    Json config = read_json_file(dir / "config.json");
    if (config.contains("architectures") && config["architectures"].is_array() &&
        !config["architectures"].empty() && config["architectures"][0].is_string())
      return config["architectures"][0].get<std::string>();
    if (config.contains("model_type") && config["model_type"].is_string())
      return config["model_type"].get<std::string>();
  } catch (const std::exception&) {
  }
  return {};
}

// a is b or inside b (both canonical).
bool is_within(const fs::path& a, const fs::path& b) {
  auto [ib, ia] = std::mismatch(b.begin(), b.end(), a.begin(), a.end());
  return ib == b.end();
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "'" : ", '") + s + "'";
  return out;
}

}  // namespace

std::string DownloadMarker::to_json() const {
  Json listing = Json::array();
  for (const auto& f : files)
    listing.push_back({{"path", f.path}, {"size", f.size}, {"sha256", f.sha256}});
  Json j = {{"model_id", model_id}, {"hub", hub},           {"revision", revision},
            {"commit", commit},     {"include", include},   {"complete", complete},
            {"files", listing}};
  return j.dump(1);
}

std::optional<DownloadMarker> DownloadMarker::read(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_regular_file(dir / kMarkerName, ec)) return std::nullopt;
  try {
    Json j = read_json_file(dir / kMarkerName);
    DownloadMarker m;
    m.model_id = j.value("model_id", std::string());
    m.hub = j.value("hub", std::string());
    m.revision = j.value("revision", std::string());
    m.commit = j.value("commit", std::string());
    m.include = j.value("include", std::vector<std::string>{});
    m.complete = j.value("complete", m.include.empty());
    for (const Json& f : j.value("files", Json::array()))
      m.files.push_back({f.value("path", std::string()), f.value("size", int64_t(-1)),
                         f.value("sha256", std::string())});
    return m;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::optional<LibraryModel> inspect_model_folder(const fs::path& dir, const fs::path& library) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return std::nullopt;
  LibraryModel m;
  m.dir = dir;
  m.folder = library.empty() ? dir.filename().string() : fs::relative(dir, library, ec).string();
  if (m.folder.empty()) m.folder = dir.filename().string();
  std::optional<DownloadMarker> marker = DownloadMarker::read(dir);
  if (!marker && !fs::exists(dir / "config.json", ec)) return std::nullopt;
  m.size_bytes = tree_bytes(dir, &m.file_count);
  m.architecture = architecture_of(dir);
  m.complete = true;
  if (marker) {
    m.has_marker = true;
    m.model_id = marker->model_id;
    m.hub = marker->hub;
    m.revision = marker->revision;
    m.commit = marker->commit;
    m.include = marker->include;
    if (!marker->complete) {
      m.complete = false;
      m.problem = "partial download (only files matching " + join(marker->include) + ")";
    }
    for (const auto& f : marker->files) {
      auto size = fs::file_size(dir / f.path, ec);
      if (ec || (f.size >= 0 && static_cast<int64_t>(size) != f.size)) {
        m.complete = false;
        m.problem = "file '" + f.path + "' is missing or has the wrong size";
        break;
      }
    }
  }
  return m;
}

std::vector<LibraryModel> list_library(const fs::path& library) {
  std::vector<LibraryModel> out;
  std::error_code ec;
  for (fs::directory_iterator it(library, ec), end; !ec && it != end; it.increment(ec)) {
    const fs::path child = it->path();
    if (child.filename().string().rfind('.', 0) == 0 || !it->is_directory(ec)) continue;
    if (auto m = inspect_model_folder(child, library)) {
      out.push_back(std::move(*m));
      continue;
    }
    // owner/name, as some tools lay a library out.
    for (fs::directory_iterator sub(child, ec), send; !ec && sub != send; sub.increment(ec))
      if (sub->is_directory(ec) && sub->path().filename().string().rfind('.', 0) != 0)
        if (auto m = inspect_model_folder(sub->path(), library)) out.push_back(std::move(*m));
    ec.clear();
  }
  std::sort(out.begin(), out.end(), [](const LibraryModel& a, const LibraryModel& b) {
    return a.display_name() < b.display_name();
  });
  return out;
}

std::optional<LibraryModel> find_in_library(const fs::path& library, const std::string& model_id,
                                            const std::string& revision) {
  if (auto m = inspect_model_folder(DownloadQueue::model_folder(library, model_id, revision),
                                    library))
    return m;
  for (auto& m : list_library(library))
    if (m.model_id == model_id &&
        (revision.empty() || m.revision == revision || m.revision.empty()))
      return m;
  return std::nullopt;
}

LibraryModel library_model_for(const fs::path& library, const std::string& name) {
  if (name.empty()) throw InvalidArgument("no model named");
  std::error_code ec;
  if (is_valid_model_id(name) && !fs::exists(library / name, ec)) {
    if (auto m = find_in_library(library, name)) return *m;
    throw InvalidArgument(name + " is not in the library " + library.string());
  }
  // A folder name of the library, or a path that must lead into it.
  fs::path candidate = fs::path(name).is_absolute() ? fs::path(name) : library / name;
  fs::path lib = fs::weakly_canonical(library, ec);
  fs::path target = fs::weakly_canonical(candidate, ec);
  if (ec || !is_within(target, lib) || target == lib ||
      fs::relative(target, lib, ec).string().rfind(".downloads", 0) == 0)
    throw InvalidArgument("'" + name + "' is not a model folder inside the library " +
                          library.string());
  if (auto m = inspect_model_folder(target, lib)) return *m;
  throw InvalidArgument("'" + name + "' is not a model in the library " + library.string());
}

int64_t remove_from_library(const fs::path& library, const LibraryModel& model) {
  std::error_code ec;
  fs::path lib = fs::canonical(library, ec);
  if (ec) throw InvalidArgument(library.string() + ": no such library folder");
  if (fs::is_symlink(model.dir, ec))
    throw InvalidArgument(model.dir.string() + " is a symbolic link; not deleting what it points to");
  fs::path dir = fs::canonical(model.dir, ec);
  if (ec || dir == lib || !is_within(dir, lib) ||
      fs::relative(dir, lib, ec).string().rfind(".downloads", 0) == 0)
    throw InvalidArgument(model.dir.string() + " is not a model folder inside the library " +
                          lib.string() + "; refusing to delete it");
  if (!inspect_model_folder(dir, lib))
    throw InvalidArgument(model.dir.string() + " does not look like a model folder");
  int64_t bytes = tree_bytes(dir, nullptr);
  fs::remove_all(dir, ec);
  if (ec) throw Error(dir.string() + ": cannot delete: " + ec.message());
  // An owner folder left empty goes too (owner/name layouts).
  if (dir.parent_path() != lib && fs::is_empty(dir.parent_path(), ec))
    fs::remove(dir.parent_path(), ec);
  return bytes;
}

}  // namespace pagoda::hub

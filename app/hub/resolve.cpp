#include "app/hub/resolve.h"

#include <algorithm>
#include <cstdlib>

#include "app/hub/library.h"
#include "app/hub/repo_path.h"

namespace fs = std::filesystem;

namespace pagoda::hub {
namespace {
std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}
}  // namespace

fs::path default_library_dir() {
  if (std::string p = env("PAGODA_LIBRARY"); !p.empty()) return p;
  if (std::string p = env("XDG_DATA_HOME"); !p.empty()) return fs::path(p) / "pagoda" / "models";
  if (std::string h = env("HOME"); !h.empty()) return fs::path(h) / ".local/share/pagoda/models";
  return fs::current_path() / "pagoda-models";
}

std::string token_from_env(const HubEndpoint& endpoint) {
  if (endpoint.kind == HubKind::ModelScope) return env("MODELSCOPE_API_TOKEN");
  std::string t = env("HF_TOKEN");
  return t.empty() ? env("HUGGING_FACE_HUB_TOKEN") : t;
}

fs::path resolve_model(const std::string& model_or_dir, const ResolveOptions& options) {
  std::error_code ec;
  if (!model_or_dir.empty() && fs::is_directory(model_or_dir, ec)) return fs::path(model_or_dir);
  bool looks_like_path = model_or_dir.empty() || model_or_dir[0] == '/' || model_or_dir[0] == '.' ||
                         model_or_dir[0] == '~' || !is_valid_model_id(model_or_dir);
  if (looks_like_path)
    throw InvalidArgument("'" + model_or_dir +
                          "' is neither a model folder nor a hub model id (owner/name)");
  fs::path library = options.library_dir.empty() ? default_library_dir() : options.library_dir;
  fs::path folder = DownloadQueue::model_folder(library, model_or_dir, options.revision);
  // A complete copy is used as is; a partial one only for the same --include request (a
  // full request completes it).
  if (auto have = inspect_model_folder(folder, library);
      have && !options.update && (have->complete || (!options.include.empty() && have->include == options.include)))
    return folder;

  DownloadQueueOptions qo;
  qo.library_dir = library;
  qo.max_concurrent = 1;
  qo.files_per_model = options.files_per_model;
  qo.max_connections = std::max(qo.max_connections, options.files_per_model);
  qo.http = options.http;
  std::string token = options.token.empty() ? token_from_env(options.endpoint) : options.token;
  qo.token_for = [token](const HubEndpoint&) { return token; };
  DownloadQueue queue(qo);
  queue.set_callbacks(options.on_state, options.on_progress);
  DownloadRequest req{model_or_dir, options.endpoint, options.revision, options.include,
                      options.update};
  std::string id = queue.enqueue(req);
  DownloadInfo info = queue.wait(id);
  if (info.state == DownloadState::Completed) return info.model_dir;
  if (info.state == DownloadState::Failed) throw Error(info.error);
  throw Error(model_or_dir + ": download " + download_state_name(info.state));
}

}  // namespace pagoda::hub

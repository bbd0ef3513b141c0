#pragma once
// Turning "a folder or a hub model id" into a local model folder, downloading when needed (as
// `vllm serve <id>` does with VLLM_USE_MODELSCOPE=True). For serve / generate / chat commands.
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "app/hub/download_queue.h"

namespace pagoda::hub {

struct ResolveOptions {
  std::filesystem::path library_dir;  // empty: default_library_dir()
  HubEndpoint endpoint;               // default ModelScope
  std::string revision;               // empty: the hub's default branch
  std::vector<std::string> include;   // empty: every file
  std::string token;                  // empty: token_from_env(endpoint)
  HttpOptions http;
  bool update = false;  // download again when the library copy's hub commit differs
  int files_per_model = 3;  // files downloaded at once
  // Progress and state updates while downloading (called on the download thread).
  DownloadQueue::ProgressCallback on_progress;
  DownloadQueue::StateCallback on_state;
};

// $PAGODA_LIBRARY, else $XDG_DATA_HOME/pagoda/models, else ~/.local/share/pagoda/models.
std::filesystem::path default_library_dir();

// MODELSCOPE_API_TOKEN for ModelScope endpoints, HF_TOKEN (or HUGGING_FACE_HUB_TOKEN) for the
// others; empty when unset.
std::string token_from_env(const HubEndpoint& endpoint);

// An existing folder is returned as is; a hub id ("owner/name") already in the library is
// returned; otherwise it is downloaded (resuming an earlier partial download) and its library
// folder returned. Throws pagoda::Error with the download's error message on failure, and
// InvalidArgument for something that is neither a folder nor a model id.
std::filesystem::path resolve_model(const std::string& model_or_dir,
                                    const ResolveOptions& options = {});

}  // namespace pagoda::hub

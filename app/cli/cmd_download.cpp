// pagoda-cli download: fetch a model from ModelScope / Hugging Face into the library, with a
// progress bar on stderr. Resumable: run it again after an interruption and it continues.
#include <CLI/CLI.hpp>
#include <iostream>

#include "app/cli/cli_common.h"
#include "app/cli/command.h"
#include "app/hub/library.h"
#include "app/hub/resolve.h"

namespace {

// A complete copy is reported before anything is transferred; the hub is asked only for its
// commit, to offer --update when it moved on.
bool report_installed(const pagoda::cli::ModelSource& source,
                      const std::filesystem::path& library) {
  namespace hub = pagoda::hub;
  const auto dir = hub::DownloadQueue::model_folder(library, source.model, source.revision);
  auto have = hub::inspect_model_folder(dir, library);
  if (!have) return false;
  if (!have->complete) {
    std::cerr << source.model << " is in the library but incomplete (" << have->problem
              << "); downloading the rest\n";
    return false;
  }
  std::string hub_commit;
  try {
    hub::HttpOptions quick;
    quick.connect_timeout = std::chrono::seconds(5);
    quick.read_timeout = std::chrono::seconds(10);
    hub::HubClient client(hub::HubEndpoint::parse(source.hub), hub::token_from_env(
                              hub::HubEndpoint::parse(source.hub)), quick);
    client.list_files(source.model, source.revision, &hub_commit);
  } catch (const std::exception&) {
    // Offline: the library copy is all we know about.
  }
  std::cerr << source.model << " is already in the library"
            << (have->commit.empty() ? std::string() : " (commit " + have->commit + ")");
  if (!hub_commit.empty() && !have->commit.empty() && hub_commit != have->commit)
    std::cerr << "; the hub has commit " << hub_commit << ": run again with --update to fetch it";
  std::cerr << "\n";
  std::cout << dir.string() << "\n";
  return true;
}

void run_download(const pagoda::cli::ModelSource& source) {
  namespace hub = pagoda::hub;
  const auto library = pagoda::cli::library_folder(source.library_dir);
  if (!source.update && report_installed(source, library)) return;
  std::cout << pagoda::cli::resolve_model_source(source).string() << "\n";
}

}  // namespace

namespace pagoda::cli {

void add_download_command(CLI::App& root) {
  auto args = std::make_shared<pagoda::cli::ModelSource>();
  CLI::App* cmd = root.add_subcommand("download", "Download a model into the library (resumable)");
  cmd->add_option("model", args->model, "Hub model id, e.g. Qwen/Qwen2.5-0.5B-Instruct")
      ->required();
  cmd->add_option("--hub", args->hub,
                  "modelscope (default), huggingface, or a URL (a mirror such as "
                  "https://hf-mirror.com; prefix ms+ for a ModelScope-compatible server)");
  cmd->add_option("--revision", args->revision,
                  "Branch, tag or commit (default: the hub's default)");
  cmd->add_option("--include", args->include,
                  "Only files matching these globs, e.g. '*.json' '*.safetensors'");
  pagoda::cli::add_library_option(cmd, args->library_dir);
  cmd->add_flag("--quiet,-q", args->quiet, "No progress bar");
  cmd->add_option("--parallel", args->parallel, "Files downloaded at once (default 3)")
      ->check(CLI::Range(1, 16));
  cmd->add_flag("--update", args->update,
                "Fetch the hub's current revision over a complete library copy (changed files "
                "only)");
  cmd->callback([args] { run_download(*args); });
}

}  // namespace pagoda::cli

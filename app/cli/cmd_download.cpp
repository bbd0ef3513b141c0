// pagoda-cli download: fetch a model from ModelScope / Hugging Face into the library, with a
// progress bar on stderr. Resumable: run it again after an interruption and it continues.
#include <CLI/CLI.hpp>
#include <iostream>

#include "cli_common.h"
#include "command.h"
#include "hub/resolve.h"

namespace {

void run_download(const pagoda::cli::ModelSource& source) {
  namespace hub = pagoda::hub;
  const auto library = source.library_dir.empty() ? hub::default_library_dir()
                                                  : std::filesystem::path(source.library_dir);
  if (std::filesystem::is_directory(
          hub::DownloadQueue::model_folder(library, source.model, source.revision)))
    std::cerr << source.model << " is already in the library\n";
  std::cout << pagoda::cli::resolve_model_source(source).string() << "\n";
}

pagoda::cli::Registration reg("download", [](CLI::App& root) {
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
  cmd->add_option("--dir", args->library_dir,
                  "Library folder (default: $PAGODA_LIBRARY or ~/.local/share/pagoda/models)");
  cmd->add_flag("--quiet,-q", args->quiet, "No progress bar");
  cmd->callback([args] { run_download(*args); });
});

}  // namespace

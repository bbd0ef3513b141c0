#pragma once
// Helpers shared by pagoda-cli subcommands.
#include <CLI/CLI.hpp>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace pagoda::cli {

// "1,2,3" -> {1,2,3}; throws CLI::ValidationError on bad input.
std::vector<int32_t> parse_id_list(const std::string& text);

// Where a model comes from: a folder, or a hub id downloaded into the library first.
struct ModelSource {
  std::string model;  // folder or "owner/name"
  std::string hub = "modelscope";
  std::string revision;
  std::vector<std::string> include;
  std::string library_dir;
  bool quiet = false;
  bool update = false;  // replace a complete library copy whose hub commit differs
  int parallel = 3;     // files of the model downloaded at once
};

// The library folder: dir, else $PAGODA_LIBRARY / ~/.local/share/pagoda/models.
std::filesystem::path library_folder(const std::string& dir);
// Adds --dir (the library folder) to a subcommand.
void add_library_option(CLI::App* cmd, std::string& dir);

// Adds --model (required), --hub and --revision to a subcommand.
void add_model_options(CLI::App* cmd, ModelSource& source);
// The local folder for source.model, downloading it (progress on stderr, resumable) when it is
// a hub id that is not in the library yet, as `vllm serve` does with VLLM_USE_MODELSCOPE=True.
std::filesystem::path resolve_model_source(const ModelSource& source);

}  // namespace pagoda::cli

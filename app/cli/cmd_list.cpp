// pagoda-cli list: the models in the library with hub id, revision, size on disk, architecture
// and whether each is complete (like `ollama list`); --json for scripts.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>

#include "app/cli/cli_common.h"
#include "app/cli/command.h"
#include "app/hub/library.h"
#include "app/hub/progress_text.h"
#include "app/hub/resolve.h"
#include "engine/util/json.h"

namespace {

struct ListArgs {
  std::string library_dir;
  bool json = false;
};

void run_list(const ListArgs& args) {
  namespace hub = pagoda::hub;
  const std::filesystem::path library = pagoda::cli::library_folder(args.library_dir);
  const std::vector<hub::LibraryModel> models = hub::list_library(library);
  if (args.json) {
    pagoda::Json out = pagoda::Json::array();
    for (const auto& m : models)
      out.push_back({{"id", m.display_name()},
                     {"model_id", m.model_id},
                     {"folder", m.folder},
                     {"path", m.dir.string()},
                     {"hub", m.hub},
                     {"revision", m.revision},
                     {"commit", m.commit},
                     {"size_bytes", m.size_bytes},
                     {"files", m.file_count},
                     {"architecture", m.architecture},
                     {"complete", m.complete},
                     {"problem", m.problem}});
    std::cout << out.dump(2) << "\n";
    return;
  }
  if (models.empty()) {
    std::cerr << "no models in " << library.string() << "\n";
    return;
  }
  std::printf("%-44s %-10s %10s  %-24s %s\n", "ID", "REVISION", "SIZE", "ARCHITECTURE", "STATUS");
  for (const auto& m : models)
    std::printf("%-44s %-10s %10s  %-24s %s\n", m.display_name().c_str(),
                m.revision.empty() ? "-" : m.revision.c_str(),
                hub::format_bytes(double(m.size_bytes)).c_str(),
                m.architecture.empty() ? "-" : m.architecture.c_str(),
                m.complete ? "complete" : ("incomplete: " + m.problem).c_str());
}

}  // namespace

namespace pagoda::cli {

void add_list_command(CLI::App& root) {
  auto args = std::make_shared<ListArgs>();
  CLI::App* cmd = root.add_subcommand("list", "List the models in the library");
  pagoda::cli::add_library_option(cmd, args->library_dir);
  cmd->add_flag("--json", args->json, "JSON instead of a table");
  cmd->callback([args] { run_list(*args); });
}

}  // namespace pagoda::cli

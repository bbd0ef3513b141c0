// pagoda-cli rm: delete a downloaded model from the library (by hub id or folder name). Asks
// first unless -y; refuses anything outside the library.
#include <CLI/CLI.hpp>
#include <iostream>
#include <string>

#include "app/cli/cli_common.h"
#include "app/cli/command.h"
#include "app/hub/library.h"
#include "app/hub/progress_text.h"
#include "app/hub/resolve.h"

namespace {

struct RmArgs {
  std::string name;
  std::string library_dir;
  bool yes = false;
};

void run_rm(const RmArgs& args) {
  namespace hub = pagoda::hub;
  const std::filesystem::path library = pagoda::cli::library_folder(args.library_dir);
  const hub::LibraryModel model = hub::library_model_for(library, args.name);
  const std::string size = hub::format_bytes(double(model.size_bytes));
  if (!args.yes) {
    std::cerr << "Delete " << model.display_name() << " (" << model.dir.string() << ", " << size
              << ")? [y/N] " << std::flush;
    std::string answer;
    if (!std::getline(std::cin, answer) || (answer != "y" && answer != "Y" && answer != "yes")) {
      std::cerr << "not deleted\n";
      throw CLI::RuntimeError(1);
    }
  }
  int64_t freed = hub::remove_from_library(library, model);
  std::cout << "deleted " << model.display_name() << " (" << hub::format_bytes(double(freed))
            << " freed)\n";
}

}  // namespace

namespace pagoda::cli {

void add_rm_command(CLI::App& root) {
  auto args = std::make_shared<RmArgs>();
  CLI::App* cmd = root.add_subcommand("rm", "Delete a downloaded model from the library");
  cmd->add_option("model", args->name, "Hub id (owner/name) or folder name in the library")
      ->required();
  pagoda::cli::add_library_option(cmd, args->library_dir);
  cmd->add_flag("--yes,-y", args->yes, "Do not ask");
  cmd->callback([args] { run_rm(*args); });
}

}  // namespace pagoda::cli

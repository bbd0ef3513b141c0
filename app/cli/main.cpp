// pagoda-cli: the headless face of Pagoda (no Qt). Subcommands live in cmd_*.cpp, listed here.
#include <CLI/CLI.hpp>
#include <iostream>

#include "app/cli/command.h"
#include "engine/util/error.h"

int main(int argc, char** argv) {
  CLI::App app{"Pagoda: run open large language models on your own machine"};
  app.require_subcommand(0, 1);
  app.set_version_flag("--version", std::string("pagoda-cli ") + PAGODA_VERSION);
  pagoda::cli::add_chat_command(app);
  pagoda::cli::add_download_command(app);
  pagoda::cli::add_generate_command(app);
  pagoda::cli::add_list_command(app);
  pagoda::cli::add_logits_command(app);
  pagoda::cli::add_render_template_command(app);
  pagoda::cli::add_rm_command(app);
  pagoda::cli::add_serve_command(app);
  pagoda::cli::add_tokenize_command(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
  if (app.get_subcommands().empty()) {
    std::cout << app.help();
  }
  return 0;
}

// pagoda-cli: the headless face of Pagoda (no Qt). Subcommands live in cmd_*.cpp.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <iostream>

#include "command.h"
#include "util/error.h"

int main(int argc, char** argv) {
  CLI::App app{"Pagoda: run open large language models on your own machine"};
  app.require_subcommand(0, 1);
  app.set_version_flag("--version", std::string("pagoda-cli ") + PAGODA_VERSION);
  auto& reg = pagoda::cli::registry();
  std::sort(reg.begin(), reg.end(), [](auto& a, auto& b) { return a.first < b.first; });
  for (auto& [name, setup] : reg) setup(app);
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

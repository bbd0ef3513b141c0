#pragma once
// Subcommands register themselves: a cmd_*.cpp file defines
//   static pagoda::cli::Registration reg("name", [](CLI::App& app) { ... });
// and the setup function adds a subcommand with its callback.
#include <CLI/CLI.hpp>
#include <functional>
#include <string>
#include <vector>

namespace pagoda::cli {

using Setup = std::function<void(CLI::App& root)>;

struct Registration {
  Registration(std::string name, Setup setup);
};

std::vector<std::pair<std::string, Setup>>& registry();

}  // namespace pagoda::cli

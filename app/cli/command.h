#pragma once
// The subcommands of pagoda-cli, one cmd_*.cpp file each; main() adds them in the order listed.
// Each adds its subcommand, options and callback to the root app (single-threaded, at start).
#include <CLI/CLI.hpp>

namespace pagoda::cli {

void add_chat_command(CLI::App& root);  // chat
void add_download_command(CLI::App& root);  // download
void add_generate_command(CLI::App& root);  // generate
void add_list_command(CLI::App& root);  // list
void add_logits_command(CLI::App& root);  // logits
void add_render_template_command(CLI::App& root);  // render-template
void add_rm_command(CLI::App& root);  // rm
void add_serve_command(CLI::App& root);  // serve
void add_tokenize_command(CLI::App& root);  // tokenize

}  // namespace pagoda::cli

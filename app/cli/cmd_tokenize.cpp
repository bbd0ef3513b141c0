// pagoda-cli tokenize --model DIR: one JSON string per stdin line in, one
// {"ids":[...],"decoded":"..."} per line out. No special tokens are added; special-token text in
// the input is matched as special tokens; decoded keeps special tokens.
#include <iostream>
#include <string>

#include "app/cli/command.h"
#include "engine/tokenizer/tokenizer.h"
#include "engine/util/json.h"

namespace {

void run_tokenize(const std::string& model_dir) {
  auto tokenizer = pagoda::Tokenizer::from_dir(model_dir);
  std::ios::sync_with_stdio(false);
  for (std::string line; std::getline(std::cin, line);) {
    if (line.empty()) continue;
    pagoda::OrderedJson out;
    try {
      pagoda::Json text = pagoda::Json::parse(line);
      if (!text.is_string()) throw std::invalid_argument("expected a JSON string");
      auto ids = tokenizer->encode(text.get_ref<const std::string&>(), false);
      out["ids"] = ids;
      out["decoded"] = tokenizer->decode(ids, false);
    } catch (const std::exception& e) {
      out = {{"error", std::string("bad input line: ") + e.what()}};
    }
    std::cout << out.dump(-1, ' ', false, pagoda::OrderedJson::error_handler_t::replace) << '\n';
  }
  std::cout.flush();
}

}  // namespace

namespace pagoda::cli {

void add_tokenize_command(CLI::App& root) {
  auto* cmd =
      root.add_subcommand("tokenize", "Tokenize JSON strings read from stdin, one per line");
  auto model = std::make_shared<std::string>();
  cmd->add_option("--model", *model, "Model or tokenizer folder")
      ->required()
      ->check(CLI::ExistingDirectory);
  cmd->callback([model] { run_tokenize(*model); });
}

}  // namespace pagoda::cli

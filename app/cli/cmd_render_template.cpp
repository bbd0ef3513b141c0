// pagoda-cli render-template --model DIR: renders the model's chat template for each stdin line,
// {"messages": [...], "tools": [...] | null, "add_generation_prompt": bool, "extra": {...}}, and
// prints {"rendered": "..."} or {"error": "..."} per line; a bad line does not stop the others.
#include <iostream>
#include <string>

#include "engine/chat/chat_template.h"
#include "engine/chat/prompt.h"
#include "app/cli/command.h"
#include "engine/util/json.h"

namespace {

pagoda::ChatTemplateInputs parse_inputs(const std::string& line) {
  pagoda::OrderedJson j = pagoda::OrderedJson::parse(line);
  if (!j.is_object()) throw std::invalid_argument("expected a JSON object");
  pagoda::ChatTemplateInputs in;
  if (!j.contains("messages") || !j["messages"].is_array())
    throw std::invalid_argument("\"messages\" must be a list");
  in.messages = j["messages"];
  if (j.contains("tools")) {
    if (!j["tools"].is_null() && !j["tools"].is_array())
      throw std::invalid_argument("\"tools\" must be a list or null");
    in.tools = j["tools"];
  }
  if (j.contains("add_generation_prompt")) {
    if (!j["add_generation_prompt"].is_boolean())
      throw std::invalid_argument("\"add_generation_prompt\" must be true or false");
    in.add_generation_prompt = j["add_generation_prompt"].get<bool>();
  }
  if (j.contains("extra") && !j["extra"].is_null()) {
    if (!j["extra"].is_object()) throw std::invalid_argument("\"extra\" must be an object");
    in.extra = j["extra"];
  }
  return in;
}

void run_render_template(const std::string& model_dir) {
  pagoda::ChatTemplate chat_template = pagoda::ChatTemplate::from_dir(model_dir);
  std::ios::sync_with_stdio(false);
  for (std::string line; std::getline(std::cin, line);) {
    if (line.empty()) continue;
    pagoda::Json out;
    try {
      pagoda::ChatTemplateInputs inputs;
      try {
        inputs = parse_inputs(line);
      } catch (const std::exception& e) {
        throw std::invalid_argument(std::string("bad input line: ") + e.what());
      }
      out["rendered"] = pagoda::render_chat_prompt(chat_template, inputs).text;
    } catch (const std::exception& e) {
      out = {{"error", e.what()}};
    }
    std::cout << out.dump(-1, ' ', false, pagoda::Json::error_handler_t::replace) << '\n';
  }
  std::cout.flush();
}

}  // namespace

namespace pagoda::cli {

void add_render_template_command(CLI::App& root) {
  auto* cmd = root.add_subcommand(
      "render-template",
      "Render the model's chat template for JSON requests read from stdin, one per line");
  auto model = std::make_shared<std::string>();
  cmd->add_option("--model", *model, "Model or tokenizer folder")
      ->required()
      ->check(CLI::ExistingDirectory);
  cmd->callback([model] { run_render_template(*model); });
}

}  // namespace pagoda::cli

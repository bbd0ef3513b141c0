// pagoda-cli generate: one completion, streamed to stdout (or as JSON with --json).
// pagoda-cli chat: an interactive terminal chat through the model's own chat template.
#include <algorithm>
#include <condition_variable>
#include <fstream>
#include <sstream>
#include <iostream>
#include <mutex>
#include <optional>

#include "app/cli/cli_common.h"
#include "app/cli/command.h"
#include "engine/chat/prompt.h"
#include "engine/core/engine.h"
#include "engine/util/error.h"
#include "engine/util/json.h"

namespace {

using pagoda::Engine;
using pagoda::FinishReason;
using pagoda::RequestOutput;
using pagoda::SamplingParams;

struct SamplingOptions {
  pagoda::cli::ModelSource source;
  std::string device = "auto";
  std::optional<int> max_tokens;
  std::optional<float> temperature, top_p;
  std::optional<int> top_k;
  std::optional<uint64_t> seed;
  bool ignore_eos = false;
  std::string json_schema_file, regex;  // structured output (constrained decoding)
  std::vector<std::string> choices;
};

struct GenerateOptions : SamplingOptions {
  std::string prompt, ids, chat;
  bool json = false;
};

void add_sampling_options(CLI::App* cmd, SamplingOptions& o) {
  pagoda::cli::add_model_options(cmd, o.source);
  cmd->add_option("--device", o.device, "auto, cpu or cuda")
      ->check(CLI::IsMember({"auto", "cpu", "cuda"}))
      ->capture_default_str();
  cmd->add_option("--max-tokens", o.max_tokens,
                  "Most tokens to generate (default: generation_config.json, else 512)");
  cmd->add_option("--temperature", o.temperature, "0 = greedy (default: generation_config.json)");
  cmd->add_option("--top-p", o.top_p, "Nucleus sampling mass");
  cmd->add_option("--top-k", o.top_k, "Keep the k most likely tokens (0 = off)");
  cmd->add_option("--seed", o.seed, "Seed for reproducible sampling");
  cmd->add_flag("--ignore-eos", o.ignore_eos, "Keep generating after the end-of-sequence token");
  auto* schema = cmd->add_option("--json-schema", o.json_schema_file,
                                 "Constrain the output to JSON matching this schema file")
                     ->check(CLI::ExistingFile);
  auto* regex = cmd->add_option("--regex", o.regex, "Constrain the output to this regex");
  auto* choice = cmd->add_option("--choice", o.choices,
                                 "Constrain the output to one of these strings (repeatable)");
  schema->excludes(regex)->excludes(choice);
  regex->excludes(choice);
}

// --json-schema / --regex / --choice as a StructuredOutput.
std::optional<pagoda::StructuredOutput> structured_output(const SamplingOptions& o) {
  using Kind = pagoda::StructuredOutput::Kind;
  if (!o.json_schema_file.empty()) {
    std::ifstream in(o.json_schema_file, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    return pagoda::StructuredOutput{Kind::json_schema, text.str(), {}};
  }
  if (!o.regex.empty()) return pagoda::StructuredOutput{Kind::regex, o.regex, {}};
  if (!o.choices.empty()) return pagoda::StructuredOutput{Kind::choice, "", o.choices};
  return std::nullopt;
}

std::unique_ptr<Engine> open_engine(const SamplingOptions& o) {
  pagoda::EngineConfig config;
  config.model_dir = pagoda::cli::resolve_model_source(o.source);
  config.device = o.device;
  return Engine::load(config);
}

// The options as a request: what is not given comes from generation_config.json, as on the
// server (SamplingParams::with_defaults).
SamplingParams sampling_params(const Engine& engine, const SamplingOptions& o) {
  pagoda::SamplingRequest r;
  r.max_tokens = o.max_tokens;
  r.temperature = o.temperature;
  r.top_p = o.top_p;
  r.top_k = o.top_k;
  r.seed = o.seed;
  if (o.ignore_eos) r.ignore_eos = true;
  r.structured_output = structured_output(o);
  auto p = SamplingParams::with_defaults(engine.generation_defaults(), r);
  if (p.max_tokens < 0) p.max_tokens = 512;  // a terminal wants an end; the server has none
  if (auto e = p.check()) {
    std::string option = "--" + e->param;
    std::replace(option.begin(), option.end(), '_', '-');
    throw CLI::ValidationError(option, e->message);
  }
  return p;
}

struct Completion {
  std::vector<int32_t> output_ids;
  std::string text;
  FinishReason finish = FinishReason::None;
  std::string error;
};

// Runs one request to the end; on_text sees each text delta on the engine thread.
Completion complete(Engine& engine, std::vector<int32_t> prompt_ids, const SamplingParams& params,
                    const std::function<void(const std::string&)>& on_text) {
  Completion result;
  std::mutex m;
  std::condition_variable cv;
  engine.add_request("cli", std::move(prompt_ids), params, [&](const RequestOutput& out) {
    if (on_text && !out.text_delta.empty()) on_text(out.text_delta);
    std::lock_guard lock(m);
    result.output_ids.insert(result.output_ids.end(), out.token_ids.begin(), out.token_ids.end());
    result.text += out.text_delta;
    if (out.finish != FinishReason::None) {
      result.finish = out.finish;
      result.error = out.error;
      cv.notify_all();
    }
  });
  std::unique_lock lock(m);
  cv.wait(lock, [&] { return result.finish != FinishReason::None; });
  if (result.finish == FinishReason::Error) throw pagoda::Error(result.error);
  return result;
}

// The prompt of a conversation, through the same front end as the server and the GUI.
std::vector<int32_t> chat_prompt(const Engine& engine, const pagoda::OrderedJson& messages,
                                 SamplingParams& params) {
  pagoda::ChatTemplateInputs inputs;
  inputs.messages = pagoda::normalize_messages(messages);
  inputs.add_generation_prompt = true;
  auto prompt = pagoda::build_chat_prompt(engine.chat_template(), engine.tokenizer(), inputs);
  params.add_stops(prompt.stop, prompt.stop_token_ids);
  return std::move(prompt.ids);
}

void run_generate(const GenerateOptions& o) {
  const int sources = !o.prompt.empty() + !o.ids.empty() + !o.chat.empty();
  if (sources != 1) throw CLI::ValidationError("give exactly one of --prompt, --ids, --chat");
  auto engine = open_engine(o);
  // Which backend runs (and why, when CUDA was not used) goes to stderr, out of the way of
  // the generated text and --json.
  std::cerr << engine->backend_note() << "\n";
  auto params = sampling_params(*engine, o);
  std::vector<int32_t> prompt_ids;
  if (!o.ids.empty()) {
    prompt_ids = pagoda::cli::parse_id_list(o.ids);
  } else if (!o.chat.empty()) {
    pagoda::OrderedJson messages = pagoda::OrderedJson::array();
    messages.push_back({{"role", "user"}, {"content", o.chat}});
    prompt_ids = chat_prompt(*engine, messages, params);
  } else {
    prompt_ids = pagoda::encode_text_prompt(engine->tokenizer(), o.prompt);
  }
  std::function<void(const std::string&)> stream;
  if (!o.json) stream = [](const std::string& text) { std::cout << text << std::flush; };
  Completion c = complete(*engine, prompt_ids, params, stream);
  if (o.json) {
    pagoda::OrderedJson out;
    out["prompt_ids"] = prompt_ids;
    out["output_ids"] = c.output_ids;
    out["text"] = c.text;
    out["finish_reason"] = pagoda::finish_reason_name(c.finish);
    std::cout << out.dump(-1, ' ', false, pagoda::OrderedJson::error_handler_t::replace)
              << std::endl;
  } else {
    std::cout << std::endl;
  }
}

void run_chat(const SamplingOptions& o) {
  auto engine = open_engine(o);
  std::cout << engine->model_name() << ": " << engine->backend_note() << "\n"
            << "Type a message; /reset starts over, /exit or Ctrl-D quits.\n";
  const auto params = sampling_params(*engine, o);
  pagoda::OrderedJson messages = pagoda::OrderedJson::array();
  for (;;) {
    std::cout << "\n> " << std::flush;
    std::string line;
    if (!std::getline(std::cin, line) || line == "/exit") break;
    if (line == "/reset") {
      messages = pagoda::OrderedJson::array();
      std::cout << "(conversation cleared)\n";
      continue;
    }
    if (line.empty()) continue;
    messages.push_back({{"role", "user"}, {"content", line}});
    try {
      SamplingParams turn = params;
      auto prompt_ids = chat_prompt(*engine, messages, turn);
      auto stream = [](const std::string& text) { std::cout << text << std::flush; };
      Completion c = complete(*engine, prompt_ids, turn, stream);
      std::cout << "\n";
      if (c.finish == FinishReason::Length) std::cout << "(stopped: length limit)\n";
      messages.push_back({{"role", "assistant"}, {"content", c.text}});
    } catch (const pagoda::InvalidArgument& e) {
      // The history outgrew the context: say so and let the user /reset.
      messages.erase(messages.size() - 1);
      std::cout << "error: " << e.what() << " (try /reset)\n";
    }
  }
  std::cout << std::endl;
}

}  // namespace

namespace pagoda::cli {

void add_generate_command(CLI::App& root) {
  auto* cmd =
      root.add_subcommand("generate", "Generate text from a prompt, token ids or a chat message");
  auto o = std::make_shared<GenerateOptions>();
  add_sampling_options(cmd, *o);
  cmd->add_option("--prompt", o->prompt, "Prompt text (special tokens such as BOS are added)");
  cmd->add_option("--ids", o->ids, "Prompt token ids, comma-separated");
  cmd->add_option("--chat", o->chat, "A user message, sent through the model's chat template");
  cmd->add_flag("--json", o->json, "Print {prompt_ids, output_ids, text, finish_reason}");
  cmd->callback([o] { run_generate(*o); });
}

void add_chat_command(CLI::App& root) {
  auto* cmd = root.add_subcommand("chat", "Chat with a model in the terminal");
  auto o = std::make_shared<SamplingOptions>();
  add_sampling_options(cmd, *o);
  cmd->callback([o] { run_chat(*o); });
}

}  // namespace pagoda::cli

#include "engine/chat/chat_template.h"

#include <ctime>
#include <fstream>
#include <map>
#include <sstream>

#include "engine/jinja/template.h"
#include "engine/util/error.h"

namespace pagoda {
namespace {

// transformers' classic ChatML default, for models that ship no template.
constexpr const char* kChatMl =
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot open " + path.string());
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// tokenizer_config.json's chat_template: a string, or [{"name": ..., "template": ...}].
std::string template_from_config(const OrderedJson& value, const std::filesystem::path& file) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_array()) {
    for (const auto& entry : value) {
      if (entry.is_object() && entry.value("name", "") == "default" && entry.contains("template") &&
          entry["template"].is_string())
        return entry["template"].get<std::string>();
    }
    throw Error(file.string() + ": chat_template lists no template named \"default\"");
  }
  throw Error(file.string() + ": chat_template must be a string or a list of named templates");
}

// bos_token, eos_token, ...: a string or an AddedToken object {"content": ...}; absent or null
// tokens are left out, as transformers' special_tokens_map does.
OrderedJson special_tokens_from_config(const OrderedJson& config) {
  OrderedJson tokens = OrderedJson::object();
  auto text_of = [](const OrderedJson& v) -> std::optional<std::string> {
    if (v.is_string()) return v.get<std::string>();
    if (v.is_object() && v.contains("content") && v["content"].is_string())
      return v["content"].get<std::string>();
    return std::nullopt;
  };
  for (const char* key : {"bos_token", "eos_token", "unk_token", "sep_token", "pad_token",
                          "cls_token", "mask_token"}) {
    if (!config.contains(key)) continue;
    if (auto text = text_of(config[key])) tokens[key] = *text;
  }
  if (config.contains("additional_special_tokens") &&
      config["additional_special_tokens"].is_array()) {
    OrderedJson list = OrderedJson::array();
    for (const auto& t : config["additional_special_tokens"])
      if (auto text = text_of(t)) list.push_back(*text);
    if (!list.empty()) tokens["additional_special_tokens"] = list;
  }
  return tokens;
}

jinja::Options template_options() {
  jinja::Options options;
  options.trim_blocks = true;
  options.lstrip_blocks = true;
  options.name = "chat template";
  return options;
}

std::map<std::string, jinja::Value> template_globals() {
  std::map<std::string, jinja::Value> globals;
  globals["raise_exception"] =
      jinja::Value::callable("raise_exception", [](const jinja::CallArgs& a) -> jinja::Value {
        const jinja::Value* message = a.get(0, "message");
        throw jinja::RaisedError(message ? message->str() : "raise_exception called");
      });
  globals["strftime_now"] = jinja::Value::callable("strftime_now", [](const jinja::CallArgs& a) {
    const jinja::Value* format = a.get(0, "format");
    if (!format || !format->is_string()) throw Error("strftime_now needs a format string");
    std::time_t now = std::time(nullptr);
    std::tm local{};
    localtime_r(&now, &local);
    char buf[512];
    size_t n = std::strftime(buf, sizeof buf, format->as_string().c_str(), &local);
    return jinja::Value(std::string(buf, n));
  });
  return globals;
}

}  // namespace

ChatTemplate::ChatTemplate(ChatTemplate&&) noexcept = default;
ChatTemplate& ChatTemplate::operator=(ChatTemplate&&) noexcept = default;
ChatTemplate::~ChatTemplate() = default;

ChatTemplate ChatTemplate::from_source(const std::string& source,
                                       const OrderedJson& special_tokens) {
  ChatTemplate t;
  t.source_ = source;
  t.special_tokens_ = special_tokens.is_object() ? special_tokens : OrderedJson::object();
  t.compiled_ =
      std::make_shared<const jinja::Template>(jinja::Template::parse(source, template_options()));
  t.probe_capabilities();
  return t;
}

void ChatTemplate::probe_capabilities() {
  // Marker strings no real conversation holds; found in the output means the template used them.
  const std::string system_marker = "pagoda-probe-system-9f2c";
  const std::string tool_marker = "pagoda_probe_tool_9f2c";
  auto renders = [&](const ChatTemplateInputs& in, const std::string& marker) {
    try {
      return render(in).find(marker) != std::string::npos;
    } catch (const std::exception&) {
      return false;  // the template raised (e.g. "roles must alternate"): not supported
    }
  };
  ChatTemplateInputs system;
  system.messages = OrderedJson::array({{{"role", "system"}, {"content", system_marker}},
                                        {{"role", "user"}, {"content", "hi"}}});
  supports_system_ = renders(system, system_marker);
  ChatTemplateInputs tools;
  tools.messages = OrderedJson::array({{{"role", "user"}, {"content", "hi"}}});
  tools.tools = OrderedJson::array(
      {{{"type", "function"},
        {"function",
         {{"name", tool_marker},
          {"description", "probe"},
          {"parameters", {{"type", "object"}, {"properties", OrderedJson::object()}}}}}}});
  supports_tools_ = renders(tools, tool_marker);
}

ChatTemplate ChatTemplate::chatml_default() {
  ChatTemplate t = from_source(kChatMl);
  t.fallback_ = true;
  return t;
}

ChatTemplate ChatTemplate::from_dir(const std::filesystem::path& dir) {
  const auto config_path = dir / "tokenizer_config.json";
  OrderedJson config = OrderedJson::object();
  if (std::filesystem::exists(config_path)) config = read_ordered_json_file(config_path);
  if (!config.is_object()) throw Error(config_path.string() + ": expected a JSON object");
  OrderedJson special_tokens = special_tokens_from_config(config);

  std::filesystem::path source_file;
  std::string source;
  bool found = true;
  if (std::filesystem::exists(dir / "chat_template.jinja")) {
    source_file = dir / "chat_template.jinja";
    source = read_text(source_file);
  } else if (std::filesystem::exists(dir / "chat_template.json")) {
    source_file = dir / "chat_template.json";
    OrderedJson j = read_ordered_json_file(source_file);
    if (!j.is_object() || !j.contains("chat_template"))
      throw Error(source_file.string() + ": expected {\"chat_template\": ...}");
    source = template_from_config(j["chat_template"], source_file);
  } else if (config.contains("chat_template") && !config["chat_template"].is_null()) {
    source_file = config_path;
    source = template_from_config(config["chat_template"], source_file);
  } else {
    found = false;
  }
  if (!found) {
    ChatTemplate t = chatml_default();
    t.special_tokens_ = std::move(special_tokens);
    return t;
  }
  try {
    return from_source(source, special_tokens);
  } catch (const Error& e) {
    throw Error(source_file.string() + ": " + e.what());
  }
}

std::string ChatTemplate::render(const ChatTemplateInputs& inputs) const {
  // Same variables as transformers' apply_chat_template: special tokens, then the caller's
  // extra kwargs, then messages / tools / documents / add_generation_prompt.
  OrderedJson context = special_tokens_;
  if (inputs.extra.is_object())
    for (const auto& [k, v] : inputs.extra.items()) context[k] = v;
  context["messages"] = inputs.messages;
  context["tools"] = inputs.tools;
  context["documents"] = nullptr;
  context["add_generation_prompt"] = inputs.add_generation_prompt;
  static const auto globals = template_globals();
  return compiled_->render(context, globals);
}

}  // namespace pagoda

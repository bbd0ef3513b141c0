// ChatTemplate: the fixture models' templates against transformers' apply_chat_template goldens,
// template discovery in a model folder, and three real-world-style templates written for these
// tests (their expected outputs were derived from Jinja2 semantics and checked with Jinja2 3.1
// in transformers' environment).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <optional>

#include "engine/chat/chat_template.h"
#include "engine/util/error.h"
#include "engine/util/json.h"
#include "tests/engine/golden_test_util.h"

namespace fs = std::filesystem;
using pagoda::ChatTemplate;
using pagoda::ChatTemplateInputs;
using pagoda::OrderedJson;

using namespace pagoda::testing;

namespace {

ChatTemplateInputs inputs_of(const OrderedJson& c) {
  ChatTemplateInputs in;
  in.messages = c.at("messages");
  in.tools = c.value("tools", OrderedJson());
  in.add_generation_prompt = c.value("add_generation_prompt", true);
  in.extra = c.value("extra", OrderedJson::object());
  return in;
}

// Every case renders byte for byte, or fails where transformers raised: raise_exception's
// message exactly, other errors (TypeError, UndefinedError) with Python's message after the
// template line.
void check_golden(const std::string& golden, const fs::path& folder) {
  auto cases = read_jsonl<OrderedJson>(kData / "golden" / ("chat-template-" + golden + ".jsonl"));
  ASSERT_GE(cases.size(), 8u) << golden;
  ChatTemplate t = ChatTemplate::from_dir(folder);
  EXPECT_FALSE(t.is_fallback());
  // The capabilities the template reports are what transformers' renderings show: a system
  // message (tools) is supported when some golden rendered its content (the tool's name).
  std::optional<bool> system_shown, tools_shown;
  for (const OrderedJson& c : cases) {
    const auto& m = c.at("messages");
    const bool rendered = c.contains("rendered");
    const std::string out = rendered ? c["rendered"].get<std::string>() : "";
    if (!m.empty() && m[0].value("role", "") == "system" && m[0]["content"].is_string())
      system_shown = system_shown.value_or(false) ||
                     (rendered && out.find(m[0]["content"].get<std::string>()) != std::string::npos);
    const auto tools = c.value("tools", OrderedJson());
    if (tools.is_array() && !tools.empty())
      tools_shown = tools_shown.value_or(false) ||
                    (rendered && out.find(tools[0]["function"]["name"].get<std::string>()) !=
                                     std::string::npos);
  }
  ASSERT_TRUE(system_shown.has_value() && tools_shown.has_value()) << golden;
  EXPECT_EQ(t.supports_system(), *system_shown) << golden;
  EXPECT_EQ(t.supports_tools(), *tools_shown) << golden;
  for (const OrderedJson& c : cases) {
    SCOPED_TRACE(golden + " / " + folder.filename().string() + " / " + c.value("case", ""));
    ChatTemplateInputs in = inputs_of(c);
    if (c.contains("rendered")) {
      try {
        EXPECT_EQ(t.render(in), c["rendered"].get<std::string>());
      } catch (const std::exception& e) {
        ADD_FAILURE() << "threw: " << e.what();
      }
      continue;
    }
    std::string expected = c.at("error").get<std::string>();
    bool raised = expected.rfind("TemplateError: ", 0) == 0;
    std::string message = expected.substr(expected.find(": ") + 2);
    try {
      t.render(in);
      ADD_FAILURE() << "rendered, but transformers raised " << expected;
    } catch (const pagoda::Error& e) {
      std::string what = e.what();
      if (raised) {
        EXPECT_EQ(what, message);
      } else {
        EXPECT_TRUE(what.rfind("chat template line ", 0) == 0) << what;
        EXPECT_TRUE(what.size() >= message.size() &&
                    what.compare(what.size() - message.size(), message.size(), message) == 0)
            << what << " vs " << message;
      }
    }
  }
}

TEST(ChatTemplateGolden, Qwen3) {
  check_golden("qwen3", kData / "tokenizers" / "qwen3");
  check_golden("qwen3", kData / "models" / "tiny-qwen3");
  check_golden("qwen3", kData / "models" / "tiny-qwen2");
}
TEST(ChatTemplateGolden, Llama3) {
  check_golden("llama3", kData / "tokenizers" / "llama3");
  check_golden("llama3", kData / "models" / "tiny-llama3");
}
TEST(ChatTemplateGolden, Mistral) {
  check_golden("mistral", kData / "tokenizers" / "mistral");
  check_golden("mistral", kData / "models" / "tiny-mistral");
}
TEST(ChatTemplateGolden, Yi) {
  check_golden("yi", kData / "tokenizers" / "spm-tiny");
  check_golden("yi", kData / "models" / "tiny-yi-spm");
}

// A scratch model folder, removed at the end of the test.
struct TempDir {
  fs::path path = fs::temp_directory_path() / ("pagoda_chat_template_" + std::to_string(getpid()) +
                                               "_" + std::to_string(counter++));
  static inline int counter = 0;
  TempDir() { fs::create_directories(path); }
  ~TempDir() { fs::remove_all(path); }
  void write(const std::string& name, const std::string& text) const {
    std::ofstream(path / name, std::ios::binary) << text;
  }
};

ChatTemplateInputs user_says(const std::string& text, bool generation_prompt = true) {
  ChatTemplateInputs in;
  in.messages = OrderedJson::array({{{"role", "user"}, {"content", text}}});
  in.add_generation_prompt = generation_prompt;
  return in;
}

TEST(ChatTemplateDiscovery, JinjaFileWinsOverJsonAndConfig) {
  TempDir dir;
  dir.write(
      "tokenizer_config.json",
      R"({"bos_token": {"content": "<B>", "lstrip": false}, "eos_token": "<E>", "pad_token": null,
                "chat_template": "config"})");
  dir.write("chat_template.json", R"({"chat_template": "json"})");
  dir.write("chat_template.jinja",
            "{{ bos_token }}jinja{{ eos_token }}{{ pad_token is defined }}\n");
  EXPECT_EQ(ChatTemplate::from_dir(dir.path).render(user_says("x")), "<B>jinja<E>False");
  fs::remove(dir.path / "chat_template.jinja");
  EXPECT_EQ(ChatTemplate::from_dir(dir.path).render(user_says("x")), "json");
  fs::remove(dir.path / "chat_template.json");
  EXPECT_EQ(ChatTemplate::from_dir(dir.path).render(user_says("x")), "config");
}

TEST(ChatTemplateDiscovery, NamedTemplateListUsesDefault) {
  TempDir dir;
  dir.write("tokenizer_config.json",
            R"({"chat_template": [{"name": "tool_use", "template": "tools"},
                                  {"name": "default", "template": "default {{ messages|length }}"}]})");
  EXPECT_EQ(ChatTemplate::from_dir(dir.path).render(user_says("x")), "default 1");
  dir.write("tokenizer_config.json", R"({"chat_template": [{"name": "rag", "template": "r"}]})");
  EXPECT_THROW(ChatTemplate::from_dir(dir.path), pagoda::Error);
}

TEST(ChatTemplateDiscovery, NoTemplateFallsBackToChatMl) {
  TempDir dir;
  dir.write("tokenizer_config.json", R"({"eos_token": "<|im_end|>"})");
  ChatTemplate t = ChatTemplate::from_dir(dir.path);
  EXPECT_TRUE(t.is_fallback());
  EXPECT_EQ(t.render(user_says("Hi")), "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");
  EXPECT_EQ(t.render(user_says("Hi", false)), "<|im_start|>user\nHi<|im_end|>\n");
  TempDir empty;
  EXPECT_TRUE(ChatTemplate::from_dir(empty.path).is_fallback());
  EXPECT_TRUE(ChatTemplate::chatml_default().is_fallback());
  EXPECT_FALSE(ChatTemplate::from_source("x").is_fallback());
}

TEST(ChatTemplateDiscovery, BadTemplateErrorsNameFileAndLine) {
  TempDir dir;
  dir.write("chat_template.jinja", "ok\n{{ messages|nosuchfilter }}");
  try {
    ChatTemplate::from_dir(dir.path);
    FAIL() << "expected an error";
  } catch (const pagoda::Error& e) {
    EXPECT_EQ(std::string(e.what()), (dir.path / "chat_template.jinja").string() +
                                         ": chat template line 2: unknown filter 'nosuchfilter'");
  }
  dir.write("chat_template.jinja", "{% for m in messages %}");
  EXPECT_THROW(ChatTemplate::from_dir(dir.path), pagoda::Error);
}

TEST(ChatTemplateRender, VariablesMatchTransformers) {
  // tools is passed as None when absent (defined, but none); extra kwargs become variables.
  ChatTemplate t = ChatTemplate::from_source(
      "{{ tools is defined }} {{ tools is none }} {{ add_generation_prompt }} {{ enable_thinking "
      "}} {{ bos_token }}",
      OrderedJson{{"bos_token", "<s>"}});
  ChatTemplateInputs in = user_says("x");
  in.extra = {{"enable_thinking", false}};
  EXPECT_EQ(t.render(in), "True True True False <s>");
  in.tools = OrderedJson::array({{{"type", "function"}}});
  EXPECT_EQ(t.render(in).substr(0, 11), "True False ");
}

TEST(ChatTemplateRender, GlobalsRaiseExceptionAndStrftimeNow) {
  ChatTemplate t = ChatTemplate::from_source("{{ raise_exception('no ' ~ messages[0].role) }}");
  try {
    t.render(user_says("x"));
    FAIL() << "expected an error";
  } catch (const pagoda::Error& e) {
    EXPECT_STREQ(e.what(), "no user");
  }
  std::string year = ChatTemplate::from_source("{{ strftime_now('%Y') }}").render(user_says("x"));
  ASSERT_EQ(year.size(), 4u);
  EXPECT_GE(std::stoi(year), 2024);
}

struct ExtraCase {
  const char* inputs;
  const char* expected;  // the rendered text, or raise_exception's message
  bool raises;
};

// ---- DeepSeekStyle ----
const char* kDeepSeekStyleTemplate =
    R"({%- if not add_generation_prompt is defined %}{% set add_generation_prompt = false %}{% endif %}
{%- set ns = namespace(is_first=false, is_tool=false, system_prompt='', is_first_sp=true) %}
{%- for message in messages %}
    {%- if message['role'] == 'system' %}
        {%- if ns.is_first_sp %}
            {%- set ns.system_prompt = ns.system_prompt + message['content'] %}
            {%- set ns.is_first_sp = false %}
        {%- else %}
            {%- set ns.system_prompt = ns.system_prompt + '\n\n' + message['content'] %}
        {%- endif %}
    {%- endif %}
{%- endfor %}
{{- bos_token }}{{ ns.system_prompt }}
{%- for message in messages %}
    {%- if message['role'] == 'user' %}
        {%- set ns.is_tool = false -%}
        {{- '<｜User｜>' + message['content'] }}
    {%- elif message['role'] == 'assistant' and message['tool_calls'] is defined and message['tool_calls'] %}
        {%- set ns.is_tool = false -%}
        {%- for tool in message['tool_calls'] %}
            {%- if loop.first %}
                {{- '<｜Assistant｜><｜tool▁calls▁begin｜>' }}
            {%- else %}
                {{- '\n' }}
            {%- endif %}
            {{- '<｜tool▁call▁begin｜>' + tool['type'] + '<｜tool▁sep｜>' + tool['function']['name'] + '\n```json\n' + tool['function']['arguments']|tojson + '\n```<｜tool▁call▁end｜>' }}
        {%- endfor %}
        {{- '<｜tool▁calls▁end｜><｜end▁of▁sentence｜>' }}
    {%- elif message['role'] == 'assistant' %}
        {%- set content = message['content'] %}
        {%- if '</think>' in content %}
            {%- set content = content.split('</think>')[-1] %}
        {%- endif %}
        {{- '<｜Assistant｜>' + content + '<｜end▁of▁sentence｜>' }}
    {%- elif message['role'] == 'tool' %}
        {%- if not ns.is_tool %}
            {{- '<｜tool▁outputs▁begin｜>' }}
            {%- set ns.is_tool = true %}
        {%- endif %}
        {{- '<｜tool▁output▁begin｜>' + message['content'] + '<｜tool▁output▁end｜>' }}
        {%- if loop.last or messages[loop.index0 + 1]['role'] != 'tool' %}
            {{- '<｜tool▁outputs▁end｜>' }}
        {%- endif %}
    {%- endif %}
{%- endfor %}
{%- if add_generation_prompt and not ns.is_tool %}{{ '<｜Assistant｜><think>\n' }}{% endif %}
)";
const ExtraCase kDeepSeekStyleCases[] = {
    {R"({"messages": [{"role": "system", "content": "S1"}, {"role": "system", "content": "S2"}, {"role": "user", "content": "Hi"}, {"role": "assistant", "content": "<think>hmm</think>Hello"}, {"role": "user", "content": "Weather?"}], "tools": null, "add_generation_prompt": true, "extra": {"bos_token": "<｜begin▁of▁sentence｜>"}})",
     R"(<｜begin▁of▁sentence｜>S1

S2<｜User｜>Hi<｜Assistant｜>Hello<｜end▁of▁sentence｜><｜User｜>Weather?<｜Assistant｜><think>
)",
     false},
    {R"({"messages": [{"role": "user", "content": "Weather in Paris?"}, {"role": "assistant", "content": "", "tool_calls": [{"type": "function", "function": {"name": "get_weather", "arguments": {"city": "Paris", "days": [1, 2]}}}, {"type": "function", "function": {"name": "get_time", "arguments": {"tz": "CET"}}}]}, {"role": "tool", "content": "18C"}, {"role": "tool", "content": "12:00"}], "tools": null, "add_generation_prompt": true, "extra": {"bos_token": "<s>"}})",
     R"(<s><｜User｜>Weather in Paris?<｜Assistant｜><｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>get_weather
```json
{"city": "Paris", "days": [1, 2]}
```<｜tool▁call▁end｜>
<｜tool▁call▁begin｜>function<｜tool▁sep｜>get_time
```json
{"tz": "CET"}
```<｜tool▁call▁end｜><｜tool▁calls▁end｜><｜end▁of▁sentence｜><｜tool▁outputs▁begin｜><｜tool▁output▁begin｜>18C<｜tool▁output▁end｜><｜tool▁output▁begin｜>12:00<｜tool▁output▁end｜><｜tool▁outputs▁end｜>)",
     false},
};
// ---- MistralToolsStyle ----
const char* kMistralToolsStyleTemplate = R"({%- if messages[0]["role"] == "system" %}
    {%- set system_message = messages[0]["content"] %}
    {%- set loop_messages = messages[1:] %}
{%- else %}
    {%- set loop_messages = messages %}
{%- endif %}
{%- if not tools is defined %}
    {%- set tools = none %}
{%- endif %}
{%- set user_messages = loop_messages | selectattr("role", "equalto", "user") | list %}

{#- This block checks for alternating user/assistant messages, skipping tool calling messages #}
{%- set ns = namespace() %}
{%- set ns.index = 0 %}
{%- for message in loop_messages %}
    {%- if not (message.role == "tool" or message.role == "tool_results" or (message.tool_calls is defined and message.tool_calls is not none)) %}
        {%- if (message["role"] == "user") != (ns.index % 2 == 0) %}
            {{- raise_exception("After the optional system message, conversation roles must alternate user/assistant/user/assistant/...") }}
        {%- endif %}
        {%- set ns.index = ns.index + 1 %}
    {%- endif %}
{%- endfor %}

{{- bos_token }}
{%- for message in loop_messages %}
    {%- if message["role"] == "user" %}
        {%- if tools is not none and (message == user_messages[-1]) %}
            {{- "[AVAILABLE_TOOLS] [" }}
            {%- for tool in tools %}
                {%- set tool = tool.function %}
                {{- '{"type": "function", "function": {' }}
                {%- for key, val in tool.items() if key != "return" %}
                    {%- if val is string %}
                        {{- '"' + key + '": "' + val + '"' }}
                    {%- else %}
                        {{- '"' + key + '": ' + val|tojson }}
                    {%- endif %}
                    {%- if not loop.last %}
                        {{- ", " }}
                    {%- endif %}
                {%- endfor %}
                {{- "}}" }}
                {%- if not loop.last %}
                    {{- ", " }}
                {%- else %}
                    {{- "]" }}
                {%- endif %}
            {%- endfor %}
            {{- "[/AVAILABLE_TOOLS]" }}
        {%- endif %}
        {%- if loop.last and system_message is defined %}
            {{- "[INST] " + system_message + "\n\n" + message["content"] + "[/INST]" }}
        {%- else %}
            {{- "[INST] " + message["content"] + "[/INST]" }}
        {%- endif %}
    {%- elif message.tool_calls is defined and message.tool_calls is not none %}
        {{- "[TOOL_CALLS] [" }}
        {%- for tool_call in message.tool_calls %}
            {%- set out = tool_call.function|tojson %}
            {{- out[:-1] }}
            {%- if not tool_call.id is defined or tool_call.id|length != 9 %}
                {{- raise_exception("Tool call IDs should be alphanumeric strings with length 9!") }}
            {%- endif %}
            {{- ', "id": "' + tool_call.id + '"}' }}
            {%- if not loop.last %}
                {{- ", " }}
            {%- else %}
                {{- "]" + eos_token }}
            {%- endif %}
        {%- endfor %}
    {%- elif message["role"] == "assistant" %}
        {{- " " + message["content"]|trim + eos_token}}
    {%- elif message["role"] == "tool_results" or message["role"] == "tool" %}
        {%- if message.content is defined and message.content.content is defined %}
            {%- set content = message.content.content %}
        {%- else %}
            {%- set content = message.content %}
        {%- endif %}
        {{- '[TOOL_RESULTS] {"content": ' + content|string + ", " }}
        {%- if not message.tool_call_id is defined or message.tool_call_id|length != 9 %}
            {{- raise_exception("Tool call IDs should be alphanumeric strings with length 9!") }}
        {%- endif %}
        {{- '"call_id": "' + message.tool_call_id + '"}[/TOOL_RESULTS]' }}
    {%- else %}
        {{- raise_exception("Only user and assistant roles are supported, with the exception of an initial optional system message!") }}
    {%- endif %}
{%- endfor %}
)";
const ExtraCase kMistralToolsStyleCases[] = {
    {R"({"messages": [{"role": "system", "content": "Be nice."}, {"role": "user", "content": "What's the weather?"}, {"role": "assistant", "content": null, "tool_calls": [{"id": "abcDEF123", "function": {"name": "get_weather", "arguments": {"city": "Paris"}}}]}, {"role": "tool", "tool_call_id": "abcDEF123", "content": "{\"temp\": 18}"}, {"role": "assistant", "content": "  It is 18C.  "}, {"role": "user", "content": "Thanks"}], "tools": [{"type": "function", "function": {"name": "get_weather", "description": "Get weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}, "return": {"type": "string"}}}], "add_generation_prompt": false, "extra": {"bos_token": "<s>", "eos_token": "</s>"}})",
     R"(<s>[INST] What's the weather?[/INST][TOOL_CALLS] [{"name": "get_weather", "arguments": {"city": "Paris"}, "id": "abcDEF123"}]</s>[TOOL_RESULTS] {"content": {"temp": 18}, "call_id": "abcDEF123"}[/TOOL_RESULTS] It is 18C.</s>[AVAILABLE_TOOLS] [{"type": "function", "function": {"name": "get_weather", "description": "Get weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}][/AVAILABLE_TOOLS][INST] Be nice.

Thanks[/INST])",
     false},
    {R"({"messages": [{"role": "user", "content": "a"}, {"role": "user", "content": "b"}], "tools": null, "add_generation_prompt": false, "extra": {"bos_token": "<s>", "eos_token": "</s>"}})",
     R"(After the optional system message, conversation roles must alternate user/assistant/user/assistant/...)",
     true},
    {R"({"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": null, "tool_calls": [{"id": "short", "function": {"name": "f", "arguments": {}}}]}], "tools": null, "add_generation_prompt": false, "extra": {"bos_token": "<s>", "eos_token": "</s>"}})",
     R"(Tool call IDs should be alphanumeric strings with length 9!)", true},
};
// ---- GemmaStyle ----
const char* kGemmaStyleTemplate = R"({{ bos_token }}
{%- if messages[0]['role'] == 'system' -%}
    {%- if messages[0]['content'] is string -%}
        {%- set first_user_prefix = messages[0]['content'] + '\n\n' -%}
    {%- else -%}
        {%- set first_user_prefix = messages[0]['content'][0]['text'] + '\n\n' -%}
    {%- endif -%}
    {%- set loop_messages = messages[1:] -%}
{%- else -%}
    {%- set first_user_prefix = "" -%}
    {%- set loop_messages = messages -%}
{%- endif -%}
{%- for message in loop_messages -%}
    {%- if (message['role'] == 'user') != (loop.index0 % 2 == 0) -%}
        {{ raise_exception("Conversation roles must alternate user/assistant/user/assistant/...") }}
    {%- endif -%}
    {%- if (message['role'] == 'assistant') -%}
        {%- set role = "model" -%}
    {%- else -%}
        {%- set role = message['role'] -%}
    {%- endif -%}
    {{ '<start_of_turn>' + role + '\n' + (first_user_prefix if loop.first else "") }}
    {%- if message['content'] is string -%}
        {{ message['content'] | trim }}
    {%- elif message['content'] is iterable -%}
        {%- for item in message['content'] -%}
            {%- if item['type'] == 'image' -%}
                {{ '<start_of_image>' }}
            {%- elif item['type'] == 'text' -%}
                {{ item['text'] | trim }}
            {%- endif -%}
        {%- endfor -%}
    {%- else -%}
        {{ raise_exception("Invalid content type") }}
    {%- endif -%}
    {{ '<end_of_turn>\n' }}
{%- endfor -%}
{%- if add_generation_prompt -%}
    {{'<start_of_turn>model\n'}}
{%- endif -%}
)";
const ExtraCase kGemmaStyleCases[] = {
    {R"({"messages": [{"role": "system", "content": "Answer briefly."}, {"role": "user", "content": "  Hi there \n"}, {"role": "assistant", "content": "Hello!"}, {"role": "user", "content": [{"type": "image"}, {"type": "text", "text": " What is this? "}]}], "tools": null, "add_generation_prompt": true, "extra": {"bos_token": "<bos>"}})",
     R"(<bos><start_of_turn>user
Answer briefly.

Hi there<end_of_turn>
<start_of_turn>model
Hello!<end_of_turn>
<start_of_turn>user
<start_of_image>What is this?<end_of_turn>
<start_of_turn>model
)",
     false},
    {R"({"messages": [{"role": "assistant", "content": "I start"}], "tools": null, "add_generation_prompt": true, "extra": {"bos_token": "<bos>"}})",
     R"(Conversation roles must alternate user/assistant/user/assistant/...)", true},
    {R"({"messages": [{"role": "user", "content": 5}], "tools": null, "add_generation_prompt": false, "extra": {"bos_token": "<bos>"}})",
     R"(Invalid content type)", true},
};

// What each extra template exercises beyond the goldens:
//  DeepSeek-style: namespace() accumulating strings across a loop, `not x is defined`, `in` on
//    strings, split()[-1], tojson of nested arguments, look-ahead via messages[loop.index0 + 1].
//  Mistral v3 tools-style: `for k, v in d.items() if cond` (loop filter + unpacking), selectattr
//    into a list, dict equality (message == user_messages[-1]), tojson then slicing out[:-1],
//    |length on strings, |string of a string, attribute of a str being undefined, raise_exception.
//  Gemma-style: heavy {%- -%} trimming, messages[1:], `is string` / `is iterable` on content
//    parts, inline if inside concatenation, role renaming, |trim.
void check_extra(const char* source, const ExtraCase* cases, size_t n) {
  ChatTemplate t = ChatTemplate::from_source(source);
  for (size_t i = 0; i < n; ++i) {
    SCOPED_TRACE("case " + std::to_string(i));
    ChatTemplateInputs in = inputs_of(OrderedJson::parse(cases[i].inputs));
    if (!cases[i].raises) {
      try {
        EXPECT_EQ(t.render(in), cases[i].expected);
      } catch (const std::exception& e) {
        ADD_FAILURE() << "threw: " << e.what();
      }
    } else {
      try {
        t.render(in);
        ADD_FAILURE() << "expected: " << cases[i].expected;
      } catch (const pagoda::Error& e) {
        EXPECT_STREQ(e.what(), cases[i].expected);
      }
    }
  }
}

TEST(ChatTemplateExtra, DeepSeekStyle) {
  check_extra(kDeepSeekStyleTemplate, kDeepSeekStyleCases, std::size(kDeepSeekStyleCases));
}
TEST(ChatTemplateExtra, MistralToolsStyle) {
  check_extra(kMistralToolsStyleTemplate, kMistralToolsStyleCases,
              std::size(kMistralToolsStyleCases));
}
TEST(ChatTemplateExtra, GemmaStyle) {
  check_extra(kGemmaStyleTemplate, kGemmaStyleCases, std::size(kGemmaStyleCases));
}

}  // namespace

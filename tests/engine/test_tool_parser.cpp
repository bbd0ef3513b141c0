// Tool-call and reasoning parsers (engine/chat/tool_parser.h, reasoning_parser.h) on outputs
// written the way each model family writes them: well-formed calls (one, several, with content,
// arguments with escapes and Unicode), and malformed ones (which stay plain content). Streaming
// is checked against the whole-text parse over every split of the text, and fuzzed.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <random>

#include "engine/chat/prompt.h"
#include "engine/chat/reasoning_parser.h"
#include "engine/chat/tool_parser.h"
#include "engine/util/json.h"
#include "tests/engine/golden_test_util.h"

namespace pagoda {
namespace {

struct Expected {
  std::string name;
  Json arguments;
};

ToolParseOptions opts(ToolCallFormat f) {
  ToolParseOptions o;
  o.format = f;
  o.names = {"get_weather", "get_time", "search"};
  return o;
}

void expect_calls(const ParsedToolOutput& p, const std::vector<Expected>& want) {
  ASSERT_EQ(p.calls.size(), want.size()) << p.content;
  std::set<std::string> ids;
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(p.calls[i].name, want[i].name);
    EXPECT_EQ(Json::parse(p.calls[i].arguments), want[i].arguments) << p.calls[i].arguments;
    ids.insert(p.calls[i].id);
  }
  EXPECT_EQ(ids.size(), want.size()) << "ids must be unique";
}

// The streamed pieces of `text` cut into pieces of `step` bytes, put back together.
struct Assembled {
  std::string content;
  std::vector<std::pair<std::string, std::string>> calls;  // name, arguments
  bool header_first = true;
};

Assembled stream(const ToolParseOptions& o, const std::string& text, size_t step) {
  ToolCallStreamParser p(o);
  Assembled a;
  auto take = [&](const ToolStreamDelta& d) {
    a.content += d.content;
    for (const auto& c : d.calls) {
      if (c.first) {
        EXPECT_EQ(c.index, static_cast<int>(a.calls.size()));
        EXPECT_TRUE(c.arguments.empty());
        EXPECT_FALSE(c.id.empty());
        a.calls.emplace_back(c.name, "");
      } else if (c.index >= static_cast<int>(a.calls.size())) {
        a.header_first = false;
      } else {
        a.calls[c.index].second += c.arguments;
      }
    }
  };
  for (size_t i = 0; i < text.size(); i += step) take(p.feed(text.substr(i, step)));
  take(p.finish());
  return a;
}

// Every split size gives what the whole parse gives.
void expect_stream_matches(const ToolParseOptions& o, const std::string& text) {
  ParsedToolOutput whole = parse_tool_calls(o, text);
  for (size_t step : {size_t{1}, size_t{2}, size_t{3}, size_t{7}, size_t{16}, text.size() + 1}) {
    SCOPED_TRACE("step " + std::to_string(step));
    Assembled a = stream(o, text, step);
    EXPECT_TRUE(a.header_first);
    EXPECT_EQ(a.content, whole.content);
    ASSERT_EQ(a.calls.size(), whole.calls.size());
    for (size_t i = 0; i < a.calls.size(); ++i) {
      EXPECT_EQ(a.calls[i].first, whole.calls[i].name);
      EXPECT_EQ(a.calls[i].second, whole.calls[i].arguments);
    }
  }
}

const std::string kHermesOne =
    "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Beijing\", \"unit\": "
    "\"celsius\"}}\n</tool_call>";
const std::string kHermesTwo =
    "I'll check both for you.\n\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": "
    "{\"city\": \"Beijing\"}}\n</tool_call>\n<tool_call>\n{\"name\": \"get_time\", \"arguments\": "
    "{\"timezone\": \"Asia/Shanghai\"}}\n</tool_call>";
const std::string kHermesEscapes =
    "<tool_call>\n{\"name\": \"search\", \"arguments\": {\"query\": \"北京 \\\"天气\\\" \\u00e9\\n\", "
    "\"filters\": {\"days\": [1, 2, 3], \"exact\": true, \"limit\": null, \"score\": -1.5e3, "
    "\"tags\": [], \"x\": {}}}}\n</tool_call>";

TEST(ToolParser, HermesSingleCall) {
  auto p = parse_tool_calls(opts(ToolCallFormat::hermes), kHermesOne);
  expect_calls(p, {{"get_weather", {{"city", "Beijing"}, {"unit", "celsius"}}}});
  EXPECT_EQ(p.content, "");
  EXPECT_EQ(p.calls[0].id.rfind("call_", 0), 0u);
  EXPECT_EQ(p.calls[0].id.size(), 29u);
}

TEST(ToolParser, HermesSeveralCallsWithContent) {
  auto p = parse_tool_calls(opts(ToolCallFormat::hermes), kHermesTwo);
  expect_calls(p, {{"get_weather", {{"city", "Beijing"}}},
                   {"get_time", {{"timezone", "Asia/Shanghai"}}}});
  EXPECT_EQ(p.content, "I'll check both for you.");
}

TEST(ToolParser, HermesEscapesUnicodeAndNesting) {
  auto p = parse_tool_calls(opts(ToolCallFormat::hermes), kHermesEscapes);
  ASSERT_EQ(p.calls.size(), 1u);
  Json args = Json::parse(p.calls[0].arguments);
  EXPECT_EQ(args["query"], "北京 \"天气\" é\n");
  EXPECT_EQ(args["filters"]["score"], -1500.0);
}

TEST(ToolParser, HermesArgumentsAsString) {
  auto p = parse_tool_calls(
      opts(ToolCallFormat::hermes),
      "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": \"{\\\"city\\\": \\\"Paris\\\"}\"}\n"
      "</tool_call>");
  expect_calls(p, {{"get_weather", {{"city", "Paris"}}}});
}

TEST(ToolParser, HermesUnclosedAtEndStillParses) {
  // max_tokens or a stop string can cut the closing tag; the object is complete.
  auto p = parse_tool_calls(opts(ToolCallFormat::hermes),
                            "<tool_call>\n{\"name\": \"get_time\", \"arguments\": {}}\n");
  expect_calls(p, {{"get_time", Json::object()}});
}

TEST(ToolParser, MalformedCallsStayContent) {
  const std::vector<std::pair<ToolCallFormat, std::string>> bad = {
      {ToolCallFormat::hermes,
       "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Beijing\"}\n</tool_call>"},
      {ToolCallFormat::hermes, "<tool_call>\n{\"name\": \"get_weather\", \"argu"},
      {ToolCallFormat::hermes, "<tool_call>\nget_weather(city=\"Beijing\")\n</tool_call>"},
      {ToolCallFormat::hermes, "<tool_call>\n{\"arguments\": {\"city\": \"Beijing\"}}\n</tool_call>"},
      {ToolCallFormat::hermes,
       "<tool_call>\n{\"name\": \"launch_rockets\", \"arguments\": {}}\n</tool_call>"},
      {ToolCallFormat::hermes, "<tool_call>\n{\"name\": 42, \"arguments\": {}}\n</tool_call>"},
      {ToolCallFormat::hermes,
       "<tool_call>\n{\"name\": \"get_time\", \"arguments\": [1, 2]}\n</tool_call>"},
      {ToolCallFormat::hermes,
       "<tool_call>\n{\"name\": \"get_time\", \"arguments\": {}} trailing\n</tool_call>"},
      {ToolCallFormat::llama3_json, "{\"name\": \"get_weather\", \"parameters\": {\"city\": }}"},
      {ToolCallFormat::llama3_json, "{\"answer\": 42}"},
      {ToolCallFormat::mistral,
       "[TOOL_CALLS] [{\"name\": \"get_weather\", \"arguments\": {\"city\": }]"},
      {ToolCallFormat::mistral, "[TOOL_CALLS]get weather[ARGS]{}"},
      {ToolCallFormat::mistral, "[TOOL_CALLS] [{\"name\": \"get_weather\"}, 7]"},
  };
  for (const auto& [format, text] : bad) {
    SCOPED_TRACE(text);
    auto p = parse_tool_calls(opts(format), text);
    EXPECT_TRUE(p.calls.empty());
    EXPECT_EQ(p.content, text);
    for (size_t step : {size_t{1}, size_t{5}, text.size()}) stream(opts(format), text, step);
  }
}

TEST(ToolParser, PlainAnswersAreContent) {
  for (auto f : {ToolCallFormat::hermes, ToolCallFormat::llama3_json, ToolCallFormat::mistral}) {
    auto p = parse_tool_calls(opts(f), "The capital of China is Beijing.");
    EXPECT_TRUE(p.calls.empty());
    EXPECT_EQ(p.content, "The capital of China is Beijing.");
    expect_stream_matches(opts(f), "The capital of China is Beijing.");
    expect_stream_matches(opts(f), "Compare a < b and [x] with {y}.");
  }
}

TEST(ToolParser, Llama3Json) {
  auto o = opts(ToolCallFormat::llama3_json);
  expect_calls(parse_tool_calls(o, "{\"name\": \"get_weather\", \"parameters\": {\"city\": \"Beijing\"}}"),
               {{"get_weather", {{"city", "Beijing"}}}});
  expect_calls(
      parse_tool_calls(o, "<|python_tag|>{\"name\": \"get_time\", \"parameters\": {\"tz\": \"UTC\"}}"),
      {{"get_time", {{"tz", "UTC"}}}});
  expect_calls(parse_tool_calls(o, "{\"type\": \"function\", \"name\": \"get_time\", "
                                   "\"parameters\": {}}; {\"name\": \"search\", \"parameters\": "
                                   "{\"q\": \"x\"}}"),
               {{"get_time", Json::object()}, {"search", {{"q", "x"}}}});
}

TEST(ToolParser, Mistral) {
  auto o = opts(ToolCallFormat::mistral);
  auto p = parse_tool_calls(o, "[TOOL_CALLS] [{\"name\": \"get_weather\", \"arguments\": {\"city\": "
                               "\"Beijing\"}}, {\"name\": \"get_time\", \"arguments\": {}}]");
  expect_calls(p, {{"get_weather", {{"city", "Beijing"}}}, {"get_time", Json::object()}});
  EXPECT_EQ(p.calls[0].id.size(), 9u);  // Mistral's templates require 9 alphanumerics
  expect_calls(parse_tool_calls(o, "[TOOL_CALLS]get_weather[ARGS]{\"city\": \"Paris\"}"
                                   "[TOOL_CALLS]get_time[ARGS]{}"),
               {{"get_weather", {{"city", "Paris"}}}, {"get_time", Json::object()}});
}

TEST(ToolParser, ForcedFormats) {
  ToolParseOptions named = opts(ToolCallFormat::json_arguments);
  named.forced_name = "get_weather";
  expect_calls(parse_tool_calls(named, "{\"city\": \"Beijing\"}"), {{"get_weather", {{"city", "Beijing"}}}});
  EXPECT_TRUE(parse_tool_calls(named, "{\"city\": ").calls.empty());
  auto req = opts(ToolCallFormat::json_array);
  expect_calls(parse_tool_calls(req, "[{\"name\": \"get_time\", \"parameters\": {}}, {\"name\": "
                                     "\"search\", \"parameters\": {\"q\": \"a\"}}]"),
               {{"get_time", Json::object()}, {"search", {{"q", "a"}}}});
  EXPECT_TRUE(parse_tool_calls(req, "[{\"name\": \"get_time\", \"parameters\": {}}] extra").calls.empty());
}

TEST(ToolParser, StreamingMatchesWhole) {
  const std::vector<std::pair<ToolCallFormat, std::string>> cases = {
      {ToolCallFormat::hermes, kHermesOne},
      {ToolCallFormat::hermes, kHermesTwo},
      {ToolCallFormat::hermes, kHermesEscapes},
      {ToolCallFormat::hermes, "Sure.\n<tool_call>\n{\"name\": \"get_time\", \"arguments\": "
                               "\"{\\\"tz\\\": 1}\"}\n</tool_call>\nDone."},
      {ToolCallFormat::llama3_json, "{\"name\": \"get_weather\", \"parameters\": {\"city\": \"B\"}}"},
      {ToolCallFormat::llama3_json, "<|python_tag|>{\"name\": \"get_time\", \"parameters\": {}}; "
                                    "{\"name\": \"search\", \"parameters\": {\"q\": [1.5, -2]}}"},
      {ToolCallFormat::mistral, "[TOOL_CALLS] [{\"name\": \"get_weather\", \"arguments\": "
                                "{\"city\": \"Beijing\"}}, {\"name\": \"get_time\", \"arguments\": {}}]"},
      {ToolCallFormat::mistral, "[TOOL_CALLS]get_weather[ARGS]{\"city\": \"Paris\"}"},
  };
  for (const auto& [format, text] : cases) {
    SCOPED_TRACE(text);
    ASSERT_FALSE(parse_tool_calls(opts(format), text).calls.empty());
    expect_stream_matches(opts(format), text);
  }
}

TEST(ToolParser, StreamingHoldsBackMarkersAndStreamsArguments) {
  ToolCallStreamParser p(opts(ToolCallFormat::hermes));
  EXPECT_EQ(p.feed("Let me check. <tool").content, "Let me check.");
  ToolStreamDelta d = p.feed("_call>\n{\"name\": \"get_weather\", ");
  EXPECT_EQ(d.content, "");
  ASSERT_EQ(d.calls.size(), 1u);
  EXPECT_TRUE(d.calls[0].first);
  EXPECT_EQ(d.calls[0].name, "get_weather");
  d = p.feed("\"arguments\": {\"city\": \"Bei");
  ASSERT_EQ(d.calls.size(), 1u);
  EXPECT_EQ(d.calls[0].arguments, "{\"city\": \"Bei");
  d = p.feed("jing\"}}\n</tool_call>");
  ASSERT_EQ(d.calls.size(), 1u);
  EXPECT_EQ(d.calls[0].arguments, "jing\"}");
  EXPECT_TRUE(p.finish().empty());
  // Text that only looked like a marker's start comes out when it turns out not to be one.
  ToolCallStreamParser q(opts(ToolCallFormat::hermes));
  EXPECT_EQ(q.feed("a <to").content, "a");
  EXPECT_EQ(q.feed("day").content, " <today");
}

TEST(ToolParser, DetectsFormatFromTemplate) {
  EXPECT_EQ(detect_tool_call_format("... <tool_call>\\n{\"name\": ..."), ToolCallFormat::hermes);
  EXPECT_EQ(detect_tool_call_format("{{ '[TOOL_CALLS]' }}"), ToolCallFormat::mistral);
  EXPECT_EQ(detect_tool_call_format("{{- '<|python_tag|>' }}"), ToolCallFormat::llama3_json);
  EXPECT_EQ(detect_tool_call_format("{{ messages }}"), ToolCallFormat::none);
  EXPECT_EQ(tool_call_format_from_name("llama3_json"), ToolCallFormat::llama3_json);
  EXPECT_FALSE(tool_call_format_from_name("pythonic").has_value());
}

// Random mutations and splits of real-looking outputs: never a crash; a whole parse gives
// either calls whose arguments are JSON objects or the text unchanged as content.
TEST(ToolParser, Fuzz) {
  std::mt19937 rng(1234);
  const std::vector<std::pair<ToolCallFormat, std::string>> seeds = {
      {ToolCallFormat::hermes, kHermesTwo},
      {ToolCallFormat::hermes, kHermesEscapes},
      {ToolCallFormat::llama3_json, "<|python_tag|>{\"name\": \"get_time\", \"parameters\": {}}; "
                                    "{\"name\": \"search\", \"parameters\": {\"q\": [1.5, -2]}}"},
      {ToolCallFormat::mistral, "[TOOL_CALLS] [{\"name\": \"get_weather\", \"arguments\": "
                                "{\"city\": \"Beijing\"}}]"},
      {ToolCallFormat::mistral, "[TOOL_CALLS]get_weather[ARGS]{\"city\": \"Paris\"}"},
  };
  const std::string alphabet = "{}[]\":,\\ \n<>/_abcTOLS0123456789eE.-+u\x80\xff";
  for (int iter = 0; iter < 4000; ++iter) {
    auto [format, text] = seeds[iter % seeds.size()];
    int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits && !text.empty(); ++e) {
      size_t at = rng() % text.size();
      switch (rng() % 3) {
        case 0: text.erase(at, 1 + rng() % 3); break;
        case 1: text.insert(at, 1, alphabet[rng() % alphabet.size()]); break;
        default: text[at] = alphabet[rng() % alphabet.size()];
      }
    }
    for (auto f : {format, ToolCallFormat::json_array, ToolCallFormat::json_arguments}) {
      ToolParseOptions o = opts(f);
      o.forced_name = "search";
      ParsedToolOutput p = parse_tool_calls(o, text);
      if (p.calls.empty()) {
        EXPECT_EQ(p.content, text);
      }
      for (const auto& c : p.calls)
        EXPECT_TRUE(Json::parse(c.arguments, nullptr, false).is_object()) << text;
      stream(o, text, 1 + rng() % 9);
    }
  }
}

// An OpenAI client sends a tool-call turn back as it received it: arguments as a JSON string,
// content null, ids on the call and the result. normalize_messages makes that render exactly as
// transformers renders the same conversation given mappings (the golden).
TEST(ToolRoundTrip, OpenAiShapedHistoryRendersAsTheGolden) {
  const std::filesystem::path data = PAGODA_TEST_DATA;
  auto cases = pagoda::testing::read_jsonl<OrderedJson>(data / "golden/chat-template-qwen3.jsonl");
  const OrderedJson* golden = nullptr;
  for (const auto& c : cases)
    if (c.value("case", "") == "tools_call_roundtrip") golden = &c;
  ASSERT_NE(golden, nullptr);
  OrderedJson messages = (*golden)["messages"];
  for (auto& m : messages) {
    if (m.contains("tool_calls")) {
      if (m["content"] == "") m["content"] = nullptr;
      for (auto& call : m["tool_calls"]) {
        call["id"] = "call_1";
        call["function"]["arguments"] = call["function"]["arguments"].dump();
      }
    }
    if (m["role"] == "tool") m["tool_call_id"] = "call_1";
  }
  ChatTemplate t = ChatTemplate::from_dir(data / "tokenizers/qwen3");
  ASSERT_TRUE(t.supports_tools());
  ChatTemplateInputs in;
  in.messages = normalize_messages(messages);
  in.tools = (*golden)["tools"];
  in.add_generation_prompt = true;
  EXPECT_EQ(t.render(in), (*golden)["rendered"].get<std::string>());
  ChatPrompt p = render_chat_prompt(t, in);
  EXPECT_EQ(p.tool_format, ToolCallFormat::hermes);
  EXPECT_EQ(p.reasoning_format, ReasoningFormat::think);
}

// Tool-style templates of three families (tests/data/tool-templates, written for these tests in
// the style of Qwen2.5's, Llama 3.1's and Mistral v0.3's) against Jinja2 in transformers'
// environment (make_goldens.py): OpenAI-shaped histories render byte for byte, the probe finds
// their tool support, and their markers pick the parser.
TEST(ToolRoundTrip, ToolTemplatesOfThreeFamilies) {
  const std::filesystem::path dir = std::filesystem::path(PAGODA_SOURCE_DIR) / "tests/data/tool-templates";
  auto cases = pagoda::testing::read_jsonl<OrderedJson>(dir / "goldens.jsonl");
  ASSERT_GE(cases.size(), 12u);
  const std::map<std::string, std::pair<ToolCallFormat, OrderedJson>> templates = {
      {"qwen2.5-style.jinja", {ToolCallFormat::hermes, OrderedJson::object()}},
      {"llama3.1-style.jinja",
       {ToolCallFormat::llama3_json,
        {{"bos_token", "<|begin_of_text|>"}, {"eos_token", "<|eot_id|>"}}}},
      {"mistral-v3-style.jinja",
       {ToolCallFormat::mistral, {{"bos_token", "<s>"}, {"eos_token", "</s>"}}}},
  };
  for (const auto& [name, expected] : templates) {
    std::ifstream in(dir / name);
    std::string source((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    ChatTemplate t = ChatTemplate::from_source(source, expected.second);
    EXPECT_TRUE(t.supports_tools()) << name;
    EXPECT_EQ(detect_tool_call_format(source), expected.first) << name;
    for (const auto& c : cases) {
      if (c["template"] != name) continue;
      SCOPED_TRACE(name + " / " + c["case"].get<std::string>());
      ChatTemplateInputs inputs;
      inputs.messages = normalize_messages(c["messages"]);
      inputs.tools = c["tools"];
      try {
        std::string out = t.render(inputs);
        ASSERT_TRUE(c.contains("rendered")) << "rendered, but Jinja2 raised " << c["error"];
        EXPECT_EQ(out, c["rendered"].get<std::string>());
      } catch (const std::exception& e) {
        ASSERT_TRUE(c.contains("error")) << "threw: " << e.what();
        EXPECT_NE(std::string(e.what()).find(c["error"].get<std::string>()), std::string::npos)
            << e.what();
      }
    }
  }
}

// ---- reasoning ----

TEST(ReasoningParser, SplitsThinkSections) {
  ReasoningSplit s = split_reasoning("<think>\nThe user asks 2+2.\n</think>\n\nThe answer is 4.");
  EXPECT_TRUE(s.has_reasoning);
  EXPECT_FALSE(s.reasoning_open);
  EXPECT_EQ(s.reasoning, "The user asks 2+2.");
  EXPECT_EQ(s.content, "The answer is 4.");
  s = split_reasoning("No thinking here.");
  EXPECT_FALSE(s.has_reasoning);
  EXPECT_EQ(s.content, "No thinking here.");
  s = split_reasoning("<think>\nstill going");
  EXPECT_TRUE(s.reasoning_open);
  EXPECT_EQ(s.reasoning, "still going");
  EXPECT_EQ(s.content, "");
  // The template opened <think>: the reply only closes it.
  s = split_reasoning("Let me see.\n</think>\n\nFour.", true);
  EXPECT_EQ(s.reasoning, "Let me see.");
  EXPECT_EQ(s.content, "Four.");
  s = split_reasoning_guess("only closes</think>Answer");
  EXPECT_EQ(s.reasoning, "only closes");
  EXPECT_EQ(s.content, "Answer");
  s = split_reasoning("<think>\n\n</think>\n\nHi");  // Qwen3 with thinking off writes it empty
  EXPECT_TRUE(s.has_reasoning);
  EXPECT_EQ(s.reasoning, "");
  EXPECT_EQ(s.content, "Hi");
}

TEST(ReasoningParser, StreamingMatchesWholeForEverySplit) {
  for (const std::string& text :
       {std::string("<think>\nA < B, so </thi is not a tag.\n\n</think>\n\nAnswer <b>.\n"),
        std::string("Prefix <think>x</think> mid <think> y \n"), std::string("</think>x"),
        std::string("plain <thin")}) {
    for (bool opened : {false, true}) {
      ReasoningSplit whole = split_reasoning(text, opened);
      for (size_t step = 1; step <= text.size(); ++step) {
        ReasoningStreamParser p(opened);
        std::string r, c;
        for (size_t i = 0; i < text.size(); i += step) {
          ReasoningDelta d = p.feed(text.substr(i, step));
          r += d.reasoning;
          c += d.content;
        }
        ReasoningDelta d = p.finish();
        r += d.reasoning;
        c += d.content;
        EXPECT_EQ(r, whole.reasoning) << text << " step " << step;
        EXPECT_EQ(c, whole.content) << text << " step " << step;
      }
    }
  }
  ReasoningStreamParser p;
  ReasoningDelta d = p.feed("<thi");
  EXPECT_TRUE(d.reasoning.empty() && d.content.empty());  // held: may be the tag
  d = p.feed("nk>Hmm");
  EXPECT_EQ(d.reasoning, "Hmm");
}

TEST(ReasoningParser, PromptThatOpensThink) {
  EXPECT_TRUE(prompt_opens_reasoning("<|im_start|>assistant\n<think>\n"));
  EXPECT_FALSE(prompt_opens_reasoning("<|im_start|>assistant\n<think>\n\n</think>\n\n"));
  EXPECT_FALSE(prompt_opens_reasoning("<|im_start|>assistant\n"));
  EXPECT_EQ(detect_reasoning_format("{%- if '</think>' in content %}"), ReasoningFormat::think);
  EXPECT_EQ(reasoning_format_from_name("deepseek_r1"), ReasoningFormat::think);
}

}  // namespace
}  // namespace pagoda

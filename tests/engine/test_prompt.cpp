// The request front end on its own: message normalization (fields kept whole), the merge of a
// request with generation_config (vLLM's policy) and the one range check that names the field.
#include <gtest/gtest.h>

#include "engine/chat/prompt.h"
#include "engine/core/sampling_params.h"
#include "engine/util/error.h"

namespace pagoda {
namespace {

TEST(Prompt, MessagesKeepEveryField) {
  OrderedJson call = {{"id", "call_1"},
                      {"type", "function"},
                      {"function", {{"name", "get_weather"}, {"arguments", "{\"city\":\"Paris\"}"}}}};
  OrderedJson m = {{"role", "assistant"}, {"content", nullptr}, {"name", "bot"},
                   {"tool_calls", OrderedJson::array({call})}};
  // Every field is kept; as vLLM passes them to templates, the arguments string becomes the
  // object (templates write it with tojson) and a tool-call turn's null content "".
  OrderedJson templated = m;
  templated["content"] = "";
  templated["tool_calls"][0]["function"]["arguments"] = {{"city", "Paris"}};
  EXPECT_EQ(normalize_message(m), templated);
  OrderedJson tool = {{"role", "tool"}, {"tool_call_id", "call_1"}, {"content", "sunny"}};
  EXPECT_EQ(normalize_message(tool), tool);
  OrderedJson no_content = {{"role", "assistant"}, {"tool_calls", OrderedJson::array({call})}};
  EXPECT_EQ(normalize_message(no_content)["content"], "");
  EXPECT_EQ(normalize_message(no_content)["tool_calls"][0], templated["tool_calls"][0]);
  // Arguments that are not a JSON object stay as they were sent.
  OrderedJson odd = no_content;
  odd["tool_calls"][0]["function"]["arguments"] = "not json";
  EXPECT_EQ(normalize_message(odd)["tool_calls"][0]["function"]["arguments"], "not json");
  EXPECT_TRUE(normalize_message({{"role", "user"}})["content"].is_null());
  EXPECT_THROW(normalize_message({{"role", "assistant"}, {"tool_calls", "x"}}), InvalidArgument);
}

TEST(Prompt, TextPartsAreJoinedAndBadShapesRefused) {
  OrderedJson parts = {{"role", "user"},
                       {"content", OrderedJson::array({{{"type", "text"}, {"text", "a"}},
                                                       {{"type", "text"}, {"text", "b"}}})}};
  EXPECT_EQ(normalize_message(parts)["content"], "a\nb");
  EXPECT_THROW(normalize_message(OrderedJson{{"content", "x"}}), InvalidArgument);
  EXPECT_THROW(normalize_message(OrderedJson{{"role", "user"}, {"content", 3}}), InvalidArgument);
  EXPECT_THROW(normalize_message(OrderedJson{{"role", "user"},
                                             {"content", OrderedJson::array({{{"type", "image"}}})}}),
               InvalidArgument);
  EXPECT_THROW(normalize_messages(OrderedJson::array()), InvalidArgument);
}

GenerationDefaults demo_defaults() {
  GenerationDefaults d;
  d.temperature = 0.7;
  d.top_p = 0.8;
  d.top_k = 20;
  d.repetition_penalty = 1.05;
  d.do_sample = false;  // ignored, as vLLM does
  return d;
}

TEST(SamplingDefaults, RequestFieldsOverrideGenerationConfigOneByOne) {
  const GenerationDefaults d = demo_defaults();
  SamplingParams none = SamplingParams::with_defaults(d);
  EXPECT_FLOAT_EQ(none.temperature, 0.7f);  // do_sample=false does not make it greedy
  EXPECT_FLOAT_EQ(none.top_p, 0.8f);
  EXPECT_EQ(none.top_k, 20);
  EXPECT_FLOAT_EQ(none.repetition_penalty, 1.05f);
  EXPECT_EQ(none.max_tokens, -1);

  SamplingRequest greedy;
  greedy.temperature = 0;
  SamplingParams g = SamplingParams::with_defaults(d, greedy);
  EXPECT_EQ(g.temperature, 0.0f);
  EXPECT_FLOAT_EQ(g.repetition_penalty, 1.05f);  // still applies at temperature 0
  EXPECT_EQ(g.top_k, 20);

  SamplingRequest r;
  r.top_k = 5;
  r.seed = 42;
  r.max_tokens = 7;
  r.stop = std::vector<std::string>{"\n"};
  SamplingParams p = SamplingParams::with_defaults(d, r);
  EXPECT_EQ(p.top_k, 5);
  EXPECT_FLOAT_EQ(p.top_p, 0.8f);
  EXPECT_EQ(p.seed, 42u);
  EXPECT_EQ(p.max_tokens, 7);
  EXPECT_EQ(p.stop, std::vector<std::string>{"\n"});

  GenerationDefaults capped;
  capped.max_new_tokens = 300;
  EXPECT_EQ(SamplingParams::with_defaults(capped).max_tokens, 300);
  EXPECT_FLOAT_EQ(SamplingParams::with_defaults({}).temperature, 1.0f);  // neutral without config
}

TEST(SamplingDefaults, CheckNamesTheOffendingParameter) {
  EXPECT_FALSE(SamplingParams{}.check().has_value());
  auto bad = [](auto set) {
    SamplingParams p;
    set(p);
    auto e = p.check();
    return e ? e->param : std::string();
  };
  EXPECT_EQ(bad([](SamplingParams& p) { p.n = 0; }), "n");
  EXPECT_EQ(bad([](SamplingParams& p) { p.temperature = -1; }), "temperature");
  EXPECT_EQ(bad([](SamplingParams& p) { p.temperature = std::numeric_limits<float>::infinity(); }),
            "temperature");
  EXPECT_EQ(bad([](SamplingParams& p) { p.top_p = 0; }), "top_p");
  EXPECT_EQ(bad([](SamplingParams& p) { p.top_k = -2; }), "top_k");
  EXPECT_EQ(bad([](SamplingParams& p) { p.min_p = 2; }), "min_p");
  EXPECT_EQ(bad([](SamplingParams& p) { p.repetition_penalty = 0; }), "repetition_penalty");
  EXPECT_EQ(bad([](SamplingParams& p) { p.presence_penalty = 3; }), "presence_penalty");
  EXPECT_EQ(bad([](SamplingParams& p) { p.frequency_penalty = -3; }), "frequency_penalty");
  EXPECT_EQ(bad([](SamplingParams& p) { p.max_tokens = 0; }), "max_tokens");
  EXPECT_EQ(bad([](SamplingParams& p) { p.min_tokens = -1; }), "min_tokens");
  EXPECT_EQ(bad([](SamplingParams& p) { p.logprobs = 21; }), "logprobs");
  EXPECT_EQ(bad([](SamplingParams& p) { p.stop = {""}; }), "stop");
}

TEST(SamplingDefaults, PromptStopsAreAddedOnce) {
  SamplingParams p;
  p.stop = {"a"};
  p.stop_token_ids = {1};
  p.add_stops({"a", "b"}, {1, 2});
  EXPECT_EQ(p.stop, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(p.stop_token_ids, (std::vector<int32_t>{1, 2}));
}

}  // namespace
}  // namespace pagoda

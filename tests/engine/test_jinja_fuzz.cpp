// Randomized robustness test of the Jinja lexer, parser and evaluator: templates mutated from the
// fixture models' chat templates and from feature snippets, rendered with random contexts. Every
// run must end with output or a pagoda::Error naming the template line (or raise_exception's
// message): no crash, no other exception type, no hang. PAGODA_FUZZ_SEED replays a run.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <random>

#include "engine/jinja/template.h"
#include "engine/util/error.h"
#include "engine/util/json.h"

namespace fs = std::filesystem;
namespace jinja = pagoda::jinja;
using pagoda::OrderedJson;

namespace {

const fs::path kData = PAGODA_TEST_DATA;

std::vector<std::string> seed_templates() {
  std::vector<std::string> seeds;
  for (const char* folder : {"qwen3", "llama3", "mistral", "spm-tiny"}) {
    OrderedJson config =
        pagoda::read_ordered_json_file(kData / "tokenizers" / folder / "tokenizer_config.json");
    seeds.push_back(config.at("chat_template").get<std::string>());
  }
  for (const char* s : {
           "{% for m in messages %}{{ loop.index }}{{ m.role|upper }}{% if not loop.last %}, {% "
           "endif %}{% endfor %}",
           "{% set ns = namespace(x=0) %}{% for i in range(5) %}{% set ns.x = ns.x + i %}{% endfor "
           "%}{{ ns.x }}",
           "{% macro f(a, b=1) %}{{ a ~ b }}{{ caller() if caller }}{% endmacro %}{% call f(2) "
           "%}c{% endcall %}",
           "{{ messages|map(attribute='content')|join('\\n')|trim|tojson(indent=2) }}",
           "{{ (messages[::-1]|first).content.split(' ')[1:] }}{{ 'x' if tools else 'y' }}",
           "{% raw %}{{ raw }}{% endraw %}{# c #}{%- if x is defined -%} a {%+ else +%} b {%- "
           "endif %}",
           "{{ {'a': [1, 2.5, none, true]}|dictsort }}{{ [3, 1]|sort|reverse|list }}{{ "
           "'%s-%d'|format('a', 1) }}",
           "{% for k, v in extra.items() if v %}{{ k }}={{ v|string }}{% else %}none{% endfor %}",
           "{% set t %}{{ raise_exception('boom') if messages|length > 3 }}{% endset %}{{ t }}",
       })
    seeds.push_back(s);
  return seeds;
}

const char* const kFragments[] = {
    "{{",
    "}}",
    "{%",
    "%}",
    "{#",
    "#}",
    "{%-",
    "-%}",
    "{{-",
    "-}}",
    "{% if x %}",
    "{% endif %}",
    "{% for m in messages %}",
    "{% endfor %}",
    "{% else %}",
    "{% set a = ",
    "{% endset %}",
    "{% macro m(a) %}",
    "{% endmacro %}",
    "{% raw %}",
    "{% endraw %}",
    "{% break %}",
    "{% continue %}",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    "'",
    "\"",
    "\\",
    "|",
    "~",
    "+",
    "-",
    "*",
    "**",
    "/",
    "//",
    "%",
    "==",
    "!=",
    "<",
    ">=",
    " is ",
    " not ",
    " in ",
    " and ",
    " or ",
    " if ",
    " else ",
    ".",
    ",",
    ":",
    "::-1",
    "loop.",
    "ns.",
    "namespace(",
    "range(",
    "raise_exception(",
    "messages",
    "message",
    "tools",
    "|tojson",
    "|length",
    "|join",
    "|default(",
    "|map(",
    "|selectattr(",
    "|items",
    "|sort",
    "|trim",
    "|indent(",
    "|batch(",
    ".split(",
    ".strip(",
    ".startswith(",
    ".get(",
    ".items()",
    "none",
    "true",
    "1e308",
    "-1",
    "0",
    "9223372036854775807",
    "\n",
    " ",
    "é",
    "\xff",
};

std::string mutate(std::string s, std::mt19937_64& rng, const std::vector<std::string>& seeds) {
  auto pick = [&](size_t n) {
    return n ? std::uniform_int_distribution<size_t>(0, n - 1)(rng) : 0;
  };
  int edits = 1 + static_cast<int>(pick(3));
  for (int e = 0; e < edits; ++e) {
    size_t pos = pick(s.size() + 1);
    switch (pick(5)) {
      case 0:
        s.insert(pos, kFragments[pick(std::size(kFragments))]);
        break;
      case 1:
        if (!s.empty()) s.erase(pos, 1 + pick(16));
        break;
      case 2: {  // duplicate a chunk
        if (s.empty()) break;
        size_t from = pick(s.size()), len = 1 + pick(64);
        s.insert(pos, s.substr(from, len));
        break;
      }
      case 3: {  // splice in part of another template
        const std::string& other = seeds[pick(seeds.size())];
        size_t from = pick(other.size()), len = 1 + pick(200);
        s.insert(pos, other.substr(from, len));
        break;
      }
      default:
        if (!s.empty()) s[pick(s.size())] = static_cast<char>(pick(256));
    }
  }
  if (s.size() > 20000) s.resize(20000);
  return s;
}

OrderedJson random_value(std::mt19937_64& rng, int depth) {
  auto pick = [&](size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng); };
  static const char* const kStrings[] = {"",
                                         "user",
                                         "assistant",
                                         "system",
                                         "tool",
                                         "hi <think>a</think>b",
                                         "<tool_response>x</tool_response>",
                                         "é😀",
                                         "  padded\n",
                                         "{{ x }}"};
  switch (depth > 2 ? pick(5) : pick(7)) {
    case 0:
      return nullptr;
    case 1:
      return pick(2) == 1;
    case 2:
      return static_cast<int64_t>(pick(2001)) - 1000;
    case 3:
      return static_cast<double>(pick(1000)) / 7.0;
    case 4:
      return kStrings[pick(std::size(kStrings))];
    case 5: {
      OrderedJson a = OrderedJson::array();
      for (size_t i = pick(4); i > 0; --i) a.push_back(random_value(rng, depth + 1));
      return a;
    }
    default: {
      OrderedJson o = OrderedJson::object();
      static const char* const kKeys[] = {"role", "content",   "tool_calls", "function",
                                          "name", "arguments", "type"};
      for (size_t i = pick(4); i > 0; --i)
        o[kKeys[pick(std::size(kKeys))]] = random_value(rng, depth + 1);
      return o;
    }
  }
}

OrderedJson random_context(std::mt19937_64& rng) {
  auto pick = [&](size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng); };
  static const char* const kRoles[] = {"user", "assistant", "system", "tool"};
  OrderedJson messages = OrderedJson::array();
  for (size_t i = pick(6); i > 0; --i) {
    OrderedJson m = {
        {"role", kRoles[pick(4)]},
        {"content", pick(4) ? OrderedJson("text " + std::to_string(i)) : random_value(rng, 1)}};
    if (pick(4) == 0) m["tool_calls"] = random_value(rng, 1);
    messages.push_back(m);
  }
  if (pick(8) == 0) messages = random_value(rng, 0);
  OrderedJson context = {
      {"messages", messages}, {"add_generation_prompt", pick(2) == 1}, {"bos_token", "<s>"}};
  context["tools"] = pick(3) == 0 ? random_value(rng, 0) : OrderedJson();
  context["extra"] = random_value(rng, 1);
  if (pick(2)) context["x"] = random_value(rng, 0);
  return context;
}

TEST(JinjaFuzz, MutatedTemplatesNeverCrashOrHang) {
  uint64_t seed = std::random_device{}();
  if (const char* env = std::getenv("PAGODA_FUZZ_SEED")) seed = std::strtoull(env, nullptr, 10);
  std::cout << "PAGODA_FUZZ_SEED=" << seed << "\n";
  std::mt19937_64 rng(seed);
  const auto seeds = seed_templates();

  jinja::Options options;
  options.trim_blocks = true;
  options.lstrip_blocks = true;
  options.name = "fuzz";
  options.max_steps = 100'000;
  options.max_output_bytes = 1 << 20;
  options.max_nesting = 32;
  std::map<std::string, jinja::Value> globals;
  globals["raise_exception"] =
      jinja::Value::callable("raise_exception", [](const jinja::CallArgs& a) -> jinja::Value {
        throw jinja::RaisedError("raised: " +
                                 (a.positional.empty() ? std::string() : a.positional[0].str()));
      });

  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + std::chrono::seconds(20);
  size_t runs = 0, parsed = 0, rendered = 0;
  for (; runs < 100000 && Clock::now() < deadline; ++runs) {
    const std::string& base = seeds[rng() % seeds.size()];
    std::string source = (rng() % 10 == 0) ? base : mutate(base, rng, seeds);
    OrderedJson context = random_context(rng);
    auto start = Clock::now();
    try {
      auto t = jinja::Template::parse(source, options);
      ++parsed;
      t.render(context, globals);
      ++rendered;
    } catch (const jinja::RaisedError& e) {
      EXPECT_EQ(std::string(e.what()).rfind("raised: ", 0), 0u);
    } catch (const pagoda::Error& e) {
      std::string what = e.what();
      if (what.rfind("fuzz line ", 0) != 0) {
        ADD_FAILURE() << "error without a template line: " << what << "\nseed " << seed << "\n"
                      << source;
        break;
      }
    } catch (const std::exception& e) {
      ADD_FAILURE() << "unexpected exception: " << e.what() << "\nseed " << seed << "\n" << source;
      break;
    }
    double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    if (seconds > 2.0) {
      ADD_FAILURE() << "one render took " << seconds << " s\nseed " << seed << "\n" << source;
      break;
    }
  }
  std::cout << runs << " runs, " << parsed << " parsed, " << rendered << " rendered\n";
  EXPECT_GT(runs, 1000u);
  EXPECT_GT(rendered, runs / 50);  // the mutations must not all be syntax errors
}

// Random token soup (not derived from real templates) exercises the lexer's error paths.
TEST(JinjaFuzz, RandomTokenSoup) {
  std::mt19937_64 rng(12345);
  for (int i = 0; i < 5000; ++i) {
    std::string source;
    for (int n = static_cast<int>(rng() % 40); n > 0; --n)
      source += kFragments[rng() % std::size(kFragments)];
    try {
      jinja::Template::parse(source, {.trim_blocks = true, .lstrip_blocks = true, .name = "soup"})
          .render(OrderedJson::object());
    } catch (const pagoda::Error& e) {
      ASSERT_EQ(std::string(e.what()).rfind("soup line ", 0), 0u) << e.what() << "\n" << source;
    }
  }
}

}  // namespace

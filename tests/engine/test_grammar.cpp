// Grammars of engine/grammar: which strings each accepts (the DFA walked byte by byte), refused
// schema keywords and patterns, token masks over real vocabularies against a token-by-token
// walk, and the matcher's EOS rules.
#include <gtest/gtest.h>

#include <filesystem>
#include <random>

#include "engine/grammar/grammar.h"
#include "engine/util/error.h"

using namespace pagoda;
using namespace pagoda::grammar;

namespace {

const std::filesystem::path kData = PAGODA_TEST_DATA;

StructuredOutput schema(const std::string& s) {
  return {StructuredOutput::Kind::json_schema, s, {}};
}
StructuredOutput regex(const std::string& s) {
  return {StructuredOutput::Kind::regex, s, {}};
}

bool accepts(const StructuredOutput& so, const std::string& text) {
  const auto g = compile_grammar(so);
  const int32_t s = g->dfa().walk(0, text);
  return s != Dfa::kDead && g->dfa().accepting(s);
}

std::string refusal(const StructuredOutput& so) {
  try {
    compile_grammar(so);
  } catch (const InvalidArgument& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(Regex, Basics) {
  EXPECT_TRUE(accepts(regex("abc"), "abc"));
  EXPECT_FALSE(accepts(regex("abc"), "abcd"));
  EXPECT_FALSE(accepts(regex("abc"), "ab"));
  EXPECT_TRUE(accepts(regex("^a(b|cd)*e$"), "acdbbe"));
  EXPECT_TRUE(accepts(regex("[a-c]{2,3}x?"), "abx"));
  EXPECT_FALSE(accepts(regex("[a-c]{2,3}x?"), "abcax"));
  EXPECT_TRUE(accepts(regex("\\d+\\.\\d{2}"), "12.50"));
  EXPECT_FALSE(accepts(regex("\\d+\\.\\d{2}"), "12x50"));
  EXPECT_TRUE(accepts(regex("[^0-9]+"), "héllo"));
  EXPECT_FALSE(accepts(regex("[^0-9]+"), "h3"));
  EXPECT_TRUE(accepts(regex("."), "中"));
  EXPECT_FALSE(accepts(regex("."), "\n"));
  EXPECT_TRUE(accepts(regex("[中文]{2}"), "中文"));
  EXPECT_TRUE(accepts(regex("\\u4e2d|\\x41"), "A"));
  EXPECT_TRUE(accepts(regex("(?:ab)+(?<n>c)"), "ababc"));
  EXPECT_TRUE(accepts(regex("a{3}"), "aaa"));
  EXPECT_FALSE(accepts(regex("a{3}"), "aaaa"));
  EXPECT_TRUE(accepts(regex("a{2,}"), "aaaaa"));
  EXPECT_TRUE(accepts(regex("\\w+@\\w+\\.com"), "me_1@x.com"));
  EXPECT_TRUE(accepts(regex("[\\d\\-]+"), "1-2"));
  EXPECT_TRUE(accepts(regex("😀+"), "😀😀"));
  EXPECT_FALSE(accepts(regex("😀+"), "\xF0\x9F\x98"));
}

TEST(Regex, Refused) {
  EXPECT_NE(refusal(regex("(a)\\1")).find("backreference"), std::string::npos);
  EXPECT_NE(refusal(regex("(?=a)a")).find("lookaround"), std::string::npos);
  EXPECT_NE(refusal(regex("a(")).find("missing ')'"), std::string::npos);
  EXPECT_NE(refusal(regex("*a")).find("nothing to repeat"), std::string::npos);
  EXPECT_NE(refusal(regex("[b-a]")).find("out of order"), std::string::npos);
}

TEST(JsonSchema, ObjectsInOrderWithOptionalProperties) {
  const auto s = schema(R"({"type":"object","properties":{"a":{"type":"integer"},
      "b":{"type":"string","maxLength":3},"c":{"type":"boolean"}},"required":["b"],
      "additionalProperties":false})");
  EXPECT_TRUE(accepts(s, R"({"b":"xy"})"));
  EXPECT_TRUE(accepts(s, R"({"a":-12,"b":"xyz","c":true})"));
  EXPECT_TRUE(accepts(s, R"({ "a": 3, "b": "" })"));
  EXPECT_TRUE(accepts(s, R"({"b":"","c":false})"));
  EXPECT_FALSE(accepts(s, R"({"a":1})"));              // b is required
  EXPECT_FALSE(accepts(s, R"({"b":"xyzw"})"));         // maxLength
  EXPECT_FALSE(accepts(s, R"({"b":"x","a":1})"));      // declared order
  EXPECT_FALSE(accepts(s, R"({"b":"x","d":1})"));      // no extras
  EXPECT_FALSE(accepts(s, R"({"b":"x",})"));
  EXPECT_FALSE(accepts(s, "{    \"b\":\"x\"}"));      // whitespace is bounded
}

TEST(JsonSchema, StringsEscapesAndUnicode) {
  const auto s = schema(R"({"type":"string","minLength":2,"maxLength":4})");
  EXPECT_TRUE(accepts(s, R"("ab")"));
  EXPECT_TRUE(accepts(s, R"("\"\\\n\u00e9")"));
  EXPECT_TRUE(accepts(s, "\"中文字\""));
  EXPECT_FALSE(accepts(s, "\"中文字五六\""));
  EXPECT_FALSE(accepts(s, R"("a")"));
  EXPECT_FALSE(accepts(s, R"("\ud800x")"));  // a lone surrogate escape
  EXPECT_FALSE(accepts(s, "\"a\x01\""));
  EXPECT_FALSE(accepts(s, "\"a\xC3\""));     // broken UTF-8
  const auto p = schema(R"({"type":"string","pattern":"^[a-z\"]+-\\d$"})");
  EXPECT_TRUE(accepts(p, R"("ab\"c-7")"));
  EXPECT_FALSE(accepts(p, R"("ab"c-7")"));
}

TEST(JsonSchema, NumbersArraysEnumsRefs) {
  const auto i = schema(R"({"type":"integer","minimum":-15,"maximum":120})");
  for (int v = -30; v <= 150; ++v)
    EXPECT_EQ(accepts(i, std::to_string(v)), v >= -15 && v <= 120) << v;
  EXPECT_FALSE(accepts(i, "007"));
  EXPECT_FALSE(accepts(i, "-0"));
  const auto n = schema(R"({"type":"number","exclusiveMinimum":0,"maximum":10})");
  EXPECT_TRUE(accepts(n, "3.25"));
  EXPECT_TRUE(accepts(n, "10"));
  EXPECT_FALSE(accepts(n, "10.5"));
  EXPECT_FALSE(accepts(n, "0"));
  const auto a =
      schema(R"({"type":"array","items":{"enum":["x",1,null]},"minItems":1,"maxItems":3})");
  EXPECT_TRUE(accepts(a, R"(["x"])"));
  EXPECT_TRUE(accepts(a, R"(["x", 1,null])"));
  EXPECT_FALSE(accepts(a, R"([])"));
  EXPECT_FALSE(accepts(a, R"(["x",1,null,1])"));
  EXPECT_FALSE(accepts(a, R"(["y"])"));
  const auto t = schema(R"({"type":"array","prefixItems":[{"type":"boolean"},{"const":"k"}],
      "items":false})");
  EXPECT_TRUE(accepts(t, R"([true,"k"])"));
  EXPECT_TRUE(accepts(t, R"([])"));
  EXPECT_FALSE(accepts(t, R"([true,"k",1])"));
  const auto r = schema(R"({"$defs":{"p":{"type":"object","properties":{"x":{"type":"number"}},
      "required":["x"]}},"type":"array","items":{"$ref":"#/$defs/p"}})");
  EXPECT_TRUE(accepts(r, R"([{"x":1.5e3},{"x":-0.25}])"));
  EXPECT_FALSE(accepts(r, R"([{"y":1}])"));
  const auto any = schema(R"({"anyOf":[{"type":"null"},{"type":["integer","string"]}]})");
  EXPECT_TRUE(accepts(any, "null"));
  EXPECT_TRUE(accepts(any, "5"));
  EXPECT_TRUE(accepts(any, R"("s")"));
  EXPECT_FALSE(accepts(any, "true"));
}

TEST(JsonSchema, ExtraPropertiesNeverShadowDeclaredOnes) {
  const auto s = schema(R"({"type":"object","properties":{"id":{"type":"integer"}},
      "required":["id"],"additionalProperties":{"type":"boolean"}})");
  EXPECT_TRUE(accepts(s, R"({"id":1,"idx":true,"i":false})"));
  EXPECT_FALSE(accepts(s, R"({"id":1,"id":true})"));
  EXPECT_FALSE(accepts(s, R"({"id":1,"x":2})"));
  const auto bounded = schema(R"({"type":"object","properties":{"id":{"type":"integer"}},
      "additionalProperties":true,"maxProperties":3})");
  EXPECT_TRUE(accepts(bounded, R"({"id":1,"a":2,"b":[]})"));
  EXPECT_TRUE(accepts(bounded, R"({"a":2,"b":{}})"));
  EXPECT_FALSE(accepts(bounded, R"({"id":1,"a":2,"b":3,"c":4})"));
}

TEST(JsonSchema, AnyObjectAndRecursion) {
  const StructuredOutput obj{StructuredOutput::Kind::json_object, "", {}};
  EXPECT_TRUE(accepts(obj, R"({"a":[1,{"b":null}],"c":"d"})"));
  EXPECT_TRUE(accepts(obj, R"({})"));
  EXPECT_FALSE(accepts(obj, R"([1])"));
  EXPECT_FALSE(accepts(obj, R"({"a":1)"));
  const auto tree = schema(R"({"$defs":{"n":{"type":"object","properties":{"v":{"type":"integer"},
      "kids":{"type":"array","items":{"$ref":"#/$defs/n"},"maxItems":2}},"required":["v"]}},
      "$ref":"#/$defs/n"})");
  EXPECT_TRUE(accepts(tree, R"({"v":1,"kids":[{"v":2,"kids":[{"v":3}]}]})"));
  EXPECT_FALSE(accepts(tree, R"({"v":1,"kids":[{"v":2,"kids":[{"v":3,"kids":[{"v":4}]}]}]})"));
  const auto forced = schema(R"({"$defs":{"n":{"type":"object",
      "properties":{"k":{"$ref":"#/$defs/n"}},"required":["k"]}},"$ref":"#/$defs/n"})");
  EXPECT_NE(refusal(forced).find("'$ref'"), std::string::npos) << refusal(forced);
}

TEST(JsonSchema, RefusedKeywordsAreNamed) {
  for (const char* kw : {"patternProperties", "not", "if", "uniqueItems", "multipleOf",
                         "propertyNames", "contains"}) {
    const std::string k = kw;
    const std::string value = k == "uniqueItems" ? "true" : k == "multipleOf" ? "2" : "{}";
    const std::string body =
        R"({"type":"object","properties":{"a":{"type":"array",")" + k + R"(":)" + value + "}}}";
    const std::string why = refusal(schema(body));
    EXPECT_NE(why.find(std::string("'") + kw + "'"), std::string::npos) << kw << ": " << why;
  }
  EXPECT_NE(refusal(schema("{nope")).find("not valid JSON"), std::string::npos);
  EXPECT_NE(refusal(schema(R"({"allOf":[{},{}]})")).find("'allOf'"), std::string::npos);
}

TEST(Choice, ExactlyOne) {
  const StructuredOutput c{StructuredOutput::Kind::choice, "", {"yes", "no", "yes please"}};
  EXPECT_TRUE(accepts(c, "yes"));
  EXPECT_TRUE(accepts(c, "yes please"));
  EXPECT_FALSE(accepts(c, "ye"));
  EXPECT_FALSE(accepts(c, "nope"));
}

TEST(Grammar, CompiledOnce) {
  const auto s = schema(R"({"type":"boolean"})");
  EXPECT_EQ(compile_grammar(s).get(), compile_grammar(s).get());
}

// The trie walk gives exactly the tokens whose bytes a plain walk accepts.
void check_masks(const std::string& folder, bool with_cache) {
  auto tok = Tokenizer::from_dir(kData / folder);
  const int32_t eos = tok->eos_id().value_or(0);
  auto vocab = std::make_shared<TokenVocabulary>(*tok, tok->vocab_size() + 7);
  Grammar::set_mask_cache_enabled(with_cache);
  const auto g = compile_grammar(schema(R"({"type":"object","properties":{"name":{"type":"string",
      "maxLength":12},"n":{"type":"integer"},"tags":{"type":"array","items":{"enum":["a","b"]}}},
      "required":["name","n","tags"],"additionalProperties":false})"));
  GrammarMatcher m(g, vocab, {eos});
  const std::string target = R"({"name":"Zoë \"q\"","n":-42,"tags":["a","b"]})";
  std::vector<uint32_t> words(vocab->mask_words());
  std::mt19937 rng(7);
  size_t pos = 0;
  int32_t state = 0;
  bool first = true;
  while (pos < target.size()) {
    m.fill_mask(words);
    int allowed = 0;
    for (int32_t id = 0; id < vocab->size(); ++id) {
      const bool bit = (words[id >> 5] >> (id & 31)) & 1;
      const std::string_view b = vocab->bytes(id, first);
      const bool expect = !b.empty() && g->dfa().walk(state, b) != Dfa::kDead;
      ASSERT_EQ(bit, expect) << folder << " id " << id << " at " << pos;
      allowed += bit;
    }
    EXPECT_GT(allowed, 0);
    // Advance by the longest allowed token that is a prefix of the rest of the target.
    int32_t best = -1;
    size_t best_len = 0;
    for (int32_t id = 0; id < vocab->size(); ++id) {
      const std::string_view b = vocab->bytes(id, first);
      if (b.size() > best_len && target.compare(pos, b.size(), b) == 0 &&
          ((words[id >> 5] >> (id & 31)) & 1)) {
        best = id;
        best_len = b.size();
      }
    }
    ASSERT_GE(best, 0) << "no token continues at " << pos;
    ASSERT_TRUE(m.accept(best));
    state = g->dfa().walk(state, vocab->bytes(best, first));
    first = false;
    pos += best_len;
  }
  EXPECT_TRUE(m.is_complete());
  EXPECT_FALSE(m.can_continue());
  m.fill_mask(words);
  for (int32_t id = 0; id < vocab->size(); ++id)
    EXPECT_EQ((words[id >> 5] >> (id & 31)) & 1, id == eos ? 1u : 0u) << id;
  EXPECT_TRUE(m.accept(eos));
  EXPECT_TRUE(m.terminated());
  Grammar::set_mask_cache_enabled(true);
}

TEST(TokenMask, QwenMatchesTokenByTokenWalk) {
  check_masks("tokenizers/qwen3", false);
  check_masks("tokenizers/qwen3", true);
}
TEST(TokenMask, SentencePieceMatchesTokenByTokenWalk) {
  check_masks("tokenizers/mistral", false);
}

TEST(Matcher, EosOnlyWhenComplete) {
  auto tok = Tokenizer::from_dir(kData / "tokenizers/qwen3");
  const int32_t eos = *tok->eos_id();
  auto vocab = std::make_shared<TokenVocabulary>(*tok, tok->vocab_size());
  GrammarMatcher m(compile_grammar(regex("[0-9]{1,3}")), vocab, {eos});
  EXPECT_FALSE(m.accept(eos));
  EXPECT_FALSE(m.accept(*tok->token_to_id("a")));
  EXPECT_TRUE(m.accept(*tok->token_to_id("1")));
  std::vector<uint32_t> w(vocab->mask_words());
  m.fill_mask(w);
  EXPECT_TRUE((w[eos >> 5] >> (eos & 31)) & 1);        // complete: EOS allowed
  const int32_t two = *tok->token_to_id("2");
  EXPECT_TRUE((w[two >> 5] >> (two & 31)) & 1);        // and more digits
  const int32_t im_start = *tok->token_to_id("<|im_start|>");
  EXPECT_FALSE((w[im_start >> 5] >> (im_start & 31)) & 1);  // special tokens never
  EXPECT_TRUE(m.accept(eos));
  m.fill_mask(w);
  for (uint32_t x : w) EXPECT_EQ(x, 0u);
}

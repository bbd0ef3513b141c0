// Token masks against a brute-force reference: along random valid outputs of several schemas,
// regexes and choices, every mask the matcher gives (full trie walk, shared per prefix class,
// per-state cache) must equal the one obtained by running every token's bytes through the DFA
// from the current state. Real tokenizers: the 152K Qwen vocabulary (byte-level BPE) and
// Mistral's SentencePiece vocabulary (the first token's leading space stripped).
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <random>

#include "engine/grammar/grammar.h"

using namespace pagoda;
using namespace pagoda::grammar;

namespace {

const std::filesystem::path kData = PAGODA_TEST_DATA;

struct Mode {
  const char* name;
  bool per_state, shared;
};
constexpr Mode kModes[] = {{"walk", false, false}, {"shared", false, true}, {"warm", true, true}};

// Every token whose bytes the DFA does not kill from `state`, plus the end id when complete.
std::vector<uint32_t> reference_mask(const Grammar& g, const TokenVocabulary& vocab, int32_t state,
                                     bool first, int32_t eos) {
  std::vector<uint32_t> words(vocab.mask_words(), 0u);
  for (int32_t id = 0; id < vocab.size(); ++id) {
    const std::string_view b = vocab.bytes(id, first);
    if (!b.empty() && g.dfa().walk(state, b) != Dfa::kDead) words[id >> 5] |= 1u << (id & 31);
  }
  words[eos >> 5] &= ~(1u << (eos & 31));
  if (g.dfa().accepting(state)) words[eos >> 5] |= 1u << (eos & 31);
  return words;
}

// Walks `outputs` random valid outputs (each step a uniformly drawn allowed token, half the time
// the longest allowed one, so that long tokens and deep states come up), checking each mask.
// Returns how many checked states took their short tokens from a class another state filled.
int check_against_reference(const std::string& folder, const StructuredOutput& so, int outputs,
                            int max_steps, uint32_t seed) {
  auto tok = Tokenizer::from_dir(kData / folder);
  const int32_t eos = tok->eos_id().value_or(0);
  auto vocab = std::make_shared<TokenVocabulary>(*tok, tok->vocab_size() + 5);
  const auto g = compile_grammar(so);
  g->drop_cached_masks();
  std::mt19937 rng(seed);
  std::vector<uint32_t> words(vocab->mask_words());
  int checked = 0, shared = 0;
  std::map<std::pair<int32_t, bool>, int32_t> class_filler;  // (class, first) -> state
  for (int out = 0; out < outputs; ++out) {
    std::vector<GrammarMatcher> matchers;
    for (size_t i = 0; i < std::size(kModes); ++i) matchers.emplace_back(g, vocab, std::vector{eos});
    int32_t state = 0;
    bool first = true;
    for (int step = 0; step < max_steps && !matchers[0].terminated(); ++step) {
      const auto expected = reference_mask(*g, *vocab, state, first, eos);
      const auto [it, added] = class_filler.emplace(std::pair{g->dfa().prefix_class(state), first},
                                                    state);
      shared += !added && it->second != state;
      for (size_t i = 0; i < std::size(kModes); ++i) {
        Grammar::set_mask_cache_enabled(kModes[i].per_state);
        Grammar::set_shared_masks_enabled(kModes[i].shared);
        matchers[i].fill_mask(words);
        for (size_t w = 0; w < words.size(); ++w)
          if (words[w] != expected[w]) {
            const uint32_t diff = words[w] ^ expected[w];
            const int32_t id = static_cast<int32_t>(w * 32 + __builtin_ctz(diff));
            ADD_FAILURE() << folder << " " << so.spec << ": mode " << kModes[i].name << ", output "
                   << out << " step " << step << ", state " << state << " (prefix class "
                   << g->dfa().prefix_class(state) << "): token " << id << " '"
                   << vocab->bytes(id, first) << "' is " << ((words[w] >> (id & 31)) & 1)
                   << ", the reference says " << ((expected[w] >> (id & 31)) & 1);
            return -1;
          }
      }
      ++checked;
      std::vector<int32_t> allowed;
      size_t longest = 0;
      int32_t longest_id = -1;
      for (int32_t id = 0; id < vocab->size(); ++id)
        if ((expected[id >> 5] >> (id & 31)) & 1) {
          allowed.push_back(id);
          const size_t len = id == eos ? 0 : vocab->bytes(id, first).size();
          if (len > longest) longest = len, longest_id = id;
        }
      if (allowed.empty()) {
        ADD_FAILURE() << "a live state allows no token";
        return -1;
      }
      int32_t pick = allowed[rng() % allowed.size()];
      if (longest_id >= 0 && rng() % 2 == 0) pick = longest_id;
      if (matchers[0].is_complete() && rng() % 4 == 0) pick = eos;
      for (auto& m : matchers)
        if (!m.accept(pick)) {
          ADD_FAILURE() << "an allowed token was refused";
          return -1;
        }
      if (pick != eos) {
        state = g->dfa().walk(state, vocab->bytes(pick, first));
        first = false;
      }
    }
  }
  Grammar::set_mask_cache_enabled(true);
  Grammar::set_shared_masks_enabled(true);
  g->drop_cached_masks();
  EXPECT_GT(checked, outputs);  // the outputs went somewhere
  return shared;
}

StructuredOutput schema(const std::string& s) {
  return {StructuredOutput::Kind::json_schema, s, {}};
}
StructuredOutput regex(const std::string& s) {
  return {StructuredOutput::Kind::regex, s, {}};
}

const char* kPerson = R"({"type":"object","properties":{
    "name":{"type":"string","minLength":2,"maxLength":48},
    "age":{"type":"integer","minimum":0},
    "email":{"type":"string","maxLength":70},
    "tags":{"type":"array","maxItems":4,"items":{"type":"string","maxLength":24}},
    "role":{"enum":["admin","editor","viewer"]},
    "score":{"type":["number","null"]}},
  "required":["name","age","tags"],"additionalProperties":false})";

}  // namespace

TEST(TokenMaskReference, QwenSchemaWithBoundedStrings) {
  // Bounded strings: the positions far from the bound share one class.
  EXPECT_GT(check_against_reference("tokenizers/qwen3", schema(kPerson), 6, 120, 1), 0);
}

TEST(TokenMaskReference, QwenAnyJsonObject) {
  EXPECT_GE(check_against_reference("tokenizers/qwen3",
                                    {StructuredOutput::Kind::json_object, "", {}}, 4, 60, 2),
            0);
}

TEST(TokenMaskReference, QwenRegexes) {
  for (const char* r : {"[a-z]{0,40}@[a-z]{2,30}\\.(com|org)", "(ab|cd|[0-9]){5,60}x?",
                        "[^\"\\\\]{1,80}\"", "(\\w+ ){2,20}\\d{1,8}", "\\s{0,50}[A-Z][a-z ]{0,90}"})
    EXPECT_GE(check_against_reference("tokenizers/qwen3", regex(r), 3, 80, 3), 0) << r;
}

TEST(TokenMaskReference, QwenChoice) {
  EXPECT_GE(check_against_reference(
                "tokenizers/qwen3",
                {StructuredOutput::Kind::choice, "",
                 {"positive", "negative", "neutral but a rather long choice text"}},
                4, 20, 4),
            0);
}

TEST(TokenMaskReference, SentencePieceSchemaAndRegex) {
  EXPECT_GT(check_against_reference("tokenizers/mistral", schema(kPerson), 4, 120, 5), 0);
  EXPECT_GE(check_against_reference("tokenizers/mistral", regex("( ?[a-z]{1,12}){3,30}\\."), 3,
                                    80, 6),
            0);
}

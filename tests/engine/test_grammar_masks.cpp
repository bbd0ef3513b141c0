// Token masks against a brute-force reference: along random valid outputs of several schemas,
// regexes and choices, every mask the matcher gives (full trie walk, shared per prefix class,
// per-state cache, walks split over threads at every size and part count, masks the background
// precompute stored) must equal the one obtained by running every token's bytes through the DFA
// from the current state. Real tokenizers: the 152K Qwen vocabulary (byte-level BPE) and
// Mistral's SentencePiece vocabulary (the first token's leading space stripped). Also: the
// precompute against concurrent masks, cancellation, and a grammar destroyed while it runs (run
// under ThreadSanitizer by grammar_masks_tsan).
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <random>
#include <thread>

#include "engine/grammar/grammar.h"

using namespace pagoda;
using namespace pagoda::grammar;

namespace {

const std::filesystem::path kData = PAGODA_TEST_DATA;

struct Mode {
  const char* name;
  bool per_state, shared, split;
};
// split: every walk split (no minimum size) into 2 to 9 parts, each on a thread of its own.
constexpr Mode kModes[] = {{"walk", false, false, false},
                           {"shared", false, true, false},
                           {"split", false, true, true},
                           {"split_walk", false, false, true},
                           {"warm", true, true, false}};

struct SplitPool {
  ParallelFor run = [](int n, const std::function<void(int)>& fn) {
    std::vector<std::thread> threads;
    for (int k = 1; k < n; ++k) threads.emplace_back(fn, k);
    fn(0);
    for (auto& t : threads) t.join();
  };
};

// The modes above change process-wide switches: back to the defaults at the end of each test.
struct Switches {
  explicit Switches(bool precompute) {
    Grammar::set_precompute_enabled(precompute);
    Grammar::set_split_min_nodes(0);
  }
  ~Switches() {
    Grammar::set_mask_cache_enabled(true);
    Grammar::set_shared_masks_enabled(true);
    Grammar::set_precompute_enabled(true);
    Grammar::set_split_min_nodes(32768);
  }
};

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
// precomputed: instead of the modes, one matcher after the grammar's precompute finished, whose
// every mask must come from the cache.
int check_against_reference(const std::string& folder, const StructuredOutput& so, int outputs,
                            int max_steps, uint32_t seed, bool precomputed = false) {
  auto tok = Tokenizer::from_dir(kData / folder);
  const int32_t eos = tok->eos_id().value_or(0);
  auto vocab = std::make_shared<TokenVocabulary>(*tok, tok->vocab_size() + 5);
  const auto g = compile_grammar(so);
  Switches switches(precomputed);
  g->drop_cached_masks();
  if (precomputed) {
    g->start_precompute(vocab);
    const auto p = g->wait_precompute(*vocab, 240);
    EXPECT_TRUE(p.finished && !p.budget_spent) << so.spec;
    EXPECT_EQ(p.states, static_cast<size_t>(g->dfa().num_states())) << so.spec;
  }
  SplitPool split;
  std::mt19937 rng(seed);
  std::vector<uint32_t> words(vocab->mask_words());
  int checked = 0, shared = 0;
  std::map<std::pair<int32_t, bool>, int32_t> class_filler;  // (class, first) -> state
  for (int out = 0; out < outputs; ++out) {
    std::vector<GrammarMatcher> matchers;
    const size_t modes = precomputed ? 1 : std::size(kModes);
    for (size_t i = 0; i < modes; ++i) matchers.emplace_back(g, vocab, std::vector{eos});
    int32_t state = 0;
    bool first = true;
    for (int step = 0; step < max_steps && !matchers[0].terminated(); ++step) {
      const auto expected = reference_mask(*g, *vocab, state, first, eos);
      const auto [it, added] = class_filler.emplace(std::pair{g->dfa().prefix_class(state), first},
                                                    state);
      shared += !added && it->second != state;
      for (size_t i = 0; i < modes; ++i) {
        const Mode& mode = precomputed ? Mode{"precomputed", true, true, false} : kModes[i];
        Grammar::set_mask_cache_enabled(mode.per_state);
        Grammar::set_shared_masks_enabled(mode.shared);
        const int parts = 2 + (step + out) % 8;
        const bool warm = matchers[i].fill_mask(words, mode.split ? &split.run : nullptr, parts);
        if (precomputed && !warm) {
          ADD_FAILURE() << so.spec << ": output " << out << " step " << step << ", state "
                        << state << " was not precomputed";
          return -1;
        }
        for (size_t w = 0; w < words.size(); ++w)
          if (words[w] != expected[w]) {
            const uint32_t diff = words[w] ^ expected[w];
            const int32_t id = static_cast<int32_t>(w * 32 + __builtin_ctz(diff));
            ADD_FAILURE() << folder << " " << so.spec << ": mode " << mode.name << ", output "
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

// Every mask along random outputs came from the precompute (all states done within the budget)
// and equals the reference.
TEST(TokenMaskReference, PrecomputedQwenSchemaRegexAndChoice) {
  EXPECT_GE(check_against_reference("tokenizers/qwen3", schema(kPerson), 4, 120, 7, true), 0);
  EXPECT_GE(check_against_reference("tokenizers/qwen3", regex("(\\w+ ){2,20}\\d{1,8}"), 3, 80, 8,
                                    true),
            0);
  EXPECT_GE(check_against_reference("tokenizers/qwen3",
                                    {StructuredOutput::Kind::choice, "", {"yes", "no", "maybe"}},
                                    3, 10, 9, true),
            0);
}

TEST(TokenMaskReference, PrecomputedSentencePieceSchema) {
  // first = true has masks of its own here (the leading space stripped).
  EXPECT_GE(check_against_reference("tokenizers/mistral", schema(kPerson), 4, 120, 10, true), 0);
}

namespace {
std::shared_ptr<TokenVocabulary> qwen_vocab() {
  static auto tok = Tokenizer::from_dir(kData / "tokenizers/qwen3");
  return std::make_shared<TokenVocabulary>(*tok, tok->vocab_size());
}
}  // namespace

// Masks asked for by several threads while the precompute stores the same states: each equals
// the reference, whoever computed it.
TEST(MaskPrecompute, ConcurrentWithRequests) {
  Switches switches(true);
  Grammar::set_split_min_nodes(32768);
  auto vocab = qwen_vocab();
  const auto g = compile_grammar(regex("[a-z ]{0,30}(,[0-9]{1,6}){1,4}"));
  g->drop_cached_masks();
  g->start_precompute(vocab);
  std::vector<std::thread> threads;
  std::atomic<int> mismatches{0}, checked{0};
  for (int t = 0; t < 3; ++t)
    threads.emplace_back([&, t] {
      std::mt19937 rng(100 + t);
      std::vector<uint32_t> words(vocab->mask_words());
      for (int out = 0; out < 2; ++out) {
        int32_t state = 0;
        for (int step = 0; step < 25 && state != Dfa::kDead; ++step) {
          g->token_mask(*vocab, state, step == 0, words);
          const auto expected = reference_mask(*g, *vocab, state, step == 0, 0);
          for (size_t w = 0; w < words.size(); ++w)
            if (w != 0 && words[w] != expected[w]) ++mismatches;  // word 0 holds the eos bit
          ++checked;
          std::vector<int32_t> allowed;
          for (int32_t id = 1; id < vocab->size(); ++id)
            if ((words[id >> 5] >> (id & 31)) & 1) allowed.push_back(id);
          if (allowed.empty()) break;
          state = g->dfa().walk(state, vocab->bytes(allowed[rng() % allowed.size()], false));
        }
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(mismatches.load(), 0);
  EXPECT_GT(checked.load(), 10);
  const auto p = g->wait_precompute(*vocab, 240);
  EXPECT_TRUE(p.finished);
  EXPECT_EQ(p.states, static_cast<size_t>(g->dfa().num_states()));
  g->drop_cached_masks();
}

// A cancelled precompute stops: no state is done after cancel_precompute returns, and a later
// start does not restart it.
TEST(MaskPrecompute, CancelStopsIt) {
  Switches switches(true);
  auto vocab = qwen_vocab();
  // Its own grammar (not the cache's), so that cancelling it leaves the cached one alone.
  const auto g = std::make_shared<const Grammar>(
      compile_grammar({StructuredOutput::Kind::json_object, "", {}})->dfa(), "test");
  g->start_precompute(vocab);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  g->cancel_precompute();
  const auto at_cancel = g->wait_precompute(*vocab, 0);
  EXPECT_TRUE(at_cancel.finished);
  EXPECT_LT(at_cancel.states, static_cast<size_t>(g->dfa().num_states()));
  g->start_precompute(vocab);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(g->wait_precompute(*vocab, 0).states, at_cancel.states);
}

// Grammars destroyed while their precompute runs (the destructor cancels it and waits for the
// running walks; under ThreadSanitizer a walk touching a freed grammar is a report).
TEST(MaskPrecompute, GrammarDestroyedWhileRunning) {
  Switches switches(true);
  auto vocab = qwen_vocab();
  const Dfa& dfa = compile_grammar(schema(kPerson))->dfa();
  for (int round = 0; round < 5; ++round) {
    auto g = std::make_shared<const Grammar>(dfa, "test");
    g->start_precompute(vocab);
    std::vector<uint32_t> words(vocab->mask_words());
    g->token_mask(*vocab, 0, true, words);
    std::this_thread::sleep_for(std::chrono::milliseconds(5 * round));
    g.reset();
  }
  SUCCEED();
}

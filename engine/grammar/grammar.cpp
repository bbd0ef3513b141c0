#include "engine/grammar/grammar.h"

#include <algorithm>
#include <atomic>
#include <list>

#include "engine/grammar/json_schema.h"
#include "engine/grammar/regex.h"
#include "engine/util/error.h"

namespace pagoda::grammar {

namespace {

constexpr size_t kGrammarCacheSize = 32;
constexpr size_t kMaskCacheBytes = 32u << 20;        // per grammar, all vocabularies together
constexpr size_t kAllMaskCachesBytes = 256u << 20;  // every live grammar together
std::atomic<bool> g_mask_cache{true};
std::atomic<bool> g_shared_masks{true};
std::atomic<size_t> g_mask_bytes{0};

std::string cache_key(const StructuredOutput& s) {
  std::string key = std::to_string(static_cast<int>(s.kind)) + '\n';
  if (s.kind == StructuredOutput::Kind::choice) {
    for (const auto& c : s.choices) key += std::to_string(c.size()) + ':' + c;
  } else {
    key += s.spec;
  }
  return key;
}

Dfa build_dfa(const StructuredOutput& s) {
  NfaBuilder b;
  Frag f;
  bool recursion_cut = false;
  switch (s.kind) {
    case StructuredOutput::Kind::json_object:
      f = build_any_json_object(b);
      break;
    case StructuredOutput::Kind::json_schema: {
      OrderedJson schema;  // properties keep the schema's order
      try {
        schema = OrderedJson::parse(s.spec);
      } catch (const OrderedJson::exception& e) {
        throw InvalidArgument(std::string("the JSON schema is not valid JSON: ") + e.what());
      }
      f = build_json_schema(b, schema, &recursion_cut);
      break;
    }
    case StructuredOutput::Kind::regex:
      f = build_regex(b, parse_regex(s.spec), CharEncoding::Raw);
      break;
    case StructuredOutput::Kind::choice: {
      if (s.choices.empty()) throw InvalidArgument("the list of choices is empty");
      std::vector<Frag> parts;
      for (const auto& c : s.choices) {
        if (c.empty()) throw InvalidArgument("a choice must not be empty");
        parts.push_back(b.literal(c));
      }
      f = b.alt(parts);
      break;
    }
  }
  try {
    return Dfa::build(b, f);
  } catch (const InvalidArgument&) {
    if (recursion_cut)
      throw InvalidArgument("JSON schema keyword '$ref' recurses deeper than " +
                            std::to_string(kMaxRefDepth) + " levels, which is not supported");
    throw;
  }
}

class GrammarCache {
 public:
  std::shared_ptr<const Grammar> get(const StructuredOutput& s) {
    const std::string key = cache_key(s);
    {
      std::lock_guard lock(mu_);
      for (auto it = lru_.begin(); it != lru_.end(); ++it)
        if ((*it)->key() == key) {
          lru_.splice(lru_.begin(), lru_, it);
          return *it;
        }
    }
    // Compiled outside the lock: two threads may compile the same grammar once each.
    auto g = std::make_shared<const Grammar>(build_dfa(s), key);
    std::lock_guard lock(mu_);
    lru_.push_front(g);
    if (lru_.size() > kGrammarCacheSize) lru_.pop_back();
    return g;
  }

 private:
  std::mutex mu_;
  std::list<std::shared_ptr<const Grammar>> lru_;
};

}  // namespace

std::shared_ptr<const Grammar> compile_grammar(const StructuredOutput& spec) {
  static GrammarCache cache;
  return cache.get(spec);
}

Grammar::~Grammar() {
  g_mask_bytes -= cached_bytes_;
}

void Grammar::set_mask_cache_enabled(bool enabled) {
  g_mask_cache = enabled;
}

void Grammar::set_shared_masks_enabled(bool enabled) {
  g_shared_masks = enabled;
}

void Grammar::drop_cached_masks() const {
  std::lock_guard lock(mu_);
  masks_.clear();
  g_mask_bytes -= cached_bytes_;
  cached_bytes_ = 0;
}

bool Grammar::find_cached(uint64_t key, std::span<uint32_t> words) const {
  std::shared_ptr<const std::vector<uint32_t>> hit;
  {
    std::lock_guard lock(mu_);
    if (auto it = masks_.find(key); it != masks_.end()) hit = it->second;
  }
  if (!hit) return false;
  std::copy(hit->begin(), hit->end(), words.begin());
  return true;
}

void Grammar::store_cached(uint64_t key, std::span<const uint32_t> words) const {
  std::lock_guard lock(mu_);
  const size_t bytes = words.size() * sizeof(uint32_t);
  if (cached_bytes_ + bytes > kMaskCacheBytes) return;
  if (g_mask_bytes.fetch_add(bytes) + bytes > kAllMaskCachesBytes) {
    g_mask_bytes -= bytes;
    return;
  }
  if (!masks_.emplace(key, std::make_shared<const std::vector<uint32_t>>(words.begin(),
                                                                         words.end()))
           .second) {
    g_mask_bytes -= bytes;  // another thread stored it first
    return;
  }
  cached_bytes_ += bytes;
}

void Grammar::token_mask(const TokenVocabulary& vocab, int32_t state, bool first,
                         std::span<uint32_t> words) const {
  // Key: vocabulary serial, then 1 bit per state (0) or per prefix class (1), the id, first.
  auto key = [&](bool shared, int32_t id) {
    return (vocab.serial() << 34) | (static_cast<uint64_t>(shared) << 33) |
           (static_cast<uint64_t>(id) << 1) | static_cast<uint64_t>(first);
  };
  const bool per_state = g_mask_cache;
  if (per_state && state != Dfa::kDead && find_cached(key(false, state), words)) return;
  if (!g_shared_masks || state == Dfa::kDead) {
    vocab.fill_mask(dfa_, state, first, words);
  } else {
    const uint64_t class_key = key(true, dfa_.prefix_class(state));
    if (!find_cached(class_key, words)) {
      vocab.fill_short_mask(dfa_, state, first, words);
      store_cached(class_key, words);
    }
    vocab.add_long_tokens(dfa_, state, first, words);
  }
  if (per_state && state != Dfa::kDead) store_cached(key(false, state), words);
}

GrammarMatcher::GrammarMatcher(std::shared_ptr<const Grammar> grammar,
                               std::shared_ptr<const TokenVocabulary> vocab,
                               std::vector<int32_t> end_ids)
    : grammar_(std::move(grammar)), vocab_(std::move(vocab)), end_ids_(std::move(end_ids)) {}

bool GrammarMatcher::is_end(int32_t token) const {
  return std::find(end_ids_.begin(), end_ids_.end(), token) != end_ids_.end();
}

void GrammarMatcher::fill_mask(std::span<uint32_t> words) const {
  if (terminated_) {
    std::fill(words.begin(), words.end(), 0u);
    return;
  }
  grammar_->token_mask(*vocab_, state_, first_, words);
  const bool complete = is_complete();
  for (int32_t id : end_ids_) {
    if (id < 0 || static_cast<size_t>(id) >= words.size() * 32) continue;
    if (complete)
      words[id >> 5] |= 1u << (id & 31);
    else
      words[id >> 5] &= ~(1u << (id & 31));  // a text stop token must not end it early
  }
}

bool GrammarMatcher::accept(int32_t token) {
  if (terminated_) return false;
  if (is_end(token)) {
    if (!is_complete()) return false;
    terminated_ = true;
    return true;
  }
  const std::string_view bytes = vocab_->bytes(token, first_);
  if (bytes.empty()) return false;
  const int32_t next = grammar_->dfa().walk(state_, bytes);
  if (next == Dfa::kDead) return false;
  state_ = next;
  first_ = false;
  return true;
}

}  // namespace pagoda::grammar

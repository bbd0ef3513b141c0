#include "engine/grammar/grammar.h"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <list>

#include "engine/grammar/json_schema.h"
#include "engine/grammar/regex.h"
#include "engine/util/error.h"

namespace pagoda::grammar {

namespace {

constexpr size_t kGrammarCacheSize = 32;
constexpr size_t kMaskCacheBytes = 32u << 20;        // per grammar, all vocabularies together
constexpr size_t kAllMaskCachesBytes = 256u << 20;  // every live grammar together
constexpr size_t kMaskEntryBytes = 64;  // a cached mask's key, pointer and hash node
// The precompute leaves a quarter of each budget to the masks computed on demand (the prefix
// classes' short masks, states it did not reach).
constexpr size_t kPrecomputeBytes = kMaskCacheBytes / 4 * 3;
constexpr size_t kAllPrecomputeBytes = kAllMaskCachesBytes / 4 * 3;

bool env_on(const char* name) {
  const char* v = std::getenv(name);
  return !v || std::strcmp(v, "0") != 0;
}

std::atomic<bool> g_mask_cache{true};
std::atomic<bool> g_shared_masks{true};
std::atomic<bool> g_precompute{env_on("PAGODA_GRAMMAR_PRECOMPUTE")};
std::atomic<bool> g_split_walk{env_on("PAGODA_GRAMMAR_SPLIT_WALK")};
std::atomic<uint32_t> g_split_min_nodes{[] {
  const char* env = std::getenv("PAGODA_GRAMMAR_SPLIT_NODES");
  return env ? static_cast<uint32_t>(std::strtoul(env, nullptr, 10)) : 32768u;
}()};
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
    std::shared_ptr<const Grammar> evicted;
    {
      std::lock_guard lock(mu_);
      lru_.push_front(g);
      if (lru_.size() > kGrammarCacheSize) {
        evicted = std::move(lru_.back());
        lru_.pop_back();
      }
    }
    // Requests still holding it keep its masks; its precompute stops (outside the lock: it
    // waits for the walks running).
    if (evicted) evicted->cancel_precompute();
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
  cancel_precompute();
  g_mask_bytes -= cached_bytes_;
}

void Grammar::set_mask_cache_enabled(bool enabled) {
  g_mask_cache = enabled;
}

void Grammar::set_shared_masks_enabled(bool enabled) {
  g_shared_masks = enabled;
}

void Grammar::set_precompute_enabled(bool enabled) {
  g_precompute = enabled;
}

void Grammar::set_split_walk_enabled(bool enabled) {
  g_split_walk = enabled;
}

bool Grammar::precompute_enabled() {
  return g_precompute;
}

bool Grammar::split_walk_enabled() {
  return g_split_walk;
}

uint32_t Grammar::split_min_nodes() {
  return g_split_min_nodes;
}

void Grammar::set_split_min_nodes(uint32_t nodes) {
  g_split_min_nodes = nodes;
}

void Grammar::drop_cached_masks() const {
  std::vector<std::pair<uint64_t, std::shared_ptr<MaskPrecompute>>> jobs;
  {
    std::lock_guard lock(jobs_mu_);
    jobs.swap(jobs_);
    jobs_cancelled_ = false;
  }
  for (auto& [serial, job] : jobs) job->cancel();
  std::lock_guard lock(mu_);
  masks_.clear();
  contents_.clear();
  g_mask_bytes -= cached_bytes_;
  cached_bytes_ = 0;
}

void Grammar::start_precompute(const std::shared_ptr<const TokenVocabulary>& vocab) const {
  if (!g_precompute || !g_mask_cache || !vocab) return;
  std::lock_guard lock(jobs_mu_);
  if (jobs_cancelled_) return;
  for (const auto& [serial, job] : jobs_)
    if (serial == vocab->serial()) return;
  const TokenVocabulary* v = vocab.get();  // the job holds it
  auto compute = [this, v](int32_t state, bool first) {
    const uint64_t key = mask_key(*v, false, state, first);
    {
      std::lock_guard lock(mu_);
      if (masks_.count(key)) return true;  // a request got there first
    }
    thread_local std::vector<uint32_t> words;
    words.resize(v->mask_words());
    compute_mask(*v, state, first, words, nullptr, 0);
    return store_cached(key, words, kPrecomputeBytes, kAllPrecomputeBytes);
  };
  jobs_.emplace_back(vocab->serial(), MaskPrecompute::start(dfa_, vocab, std::move(compute)));
}

void Grammar::cancel_precompute() const {
  std::vector<std::shared_ptr<MaskPrecompute>> jobs;
  {
    std::lock_guard lock(jobs_mu_);
    jobs_cancelled_ = true;
    for (const auto& [serial, job] : jobs_) jobs.push_back(job);
  }
  for (const auto& job : jobs) job->cancel();
}

MaskPrecompute::Progress Grammar::wait_precompute(const TokenVocabulary& vocab,
                                                  double timeout_s) const {
  std::shared_ptr<MaskPrecompute> job;
  {
    std::lock_guard lock(jobs_mu_);
    for (const auto& [serial, j] : jobs_)
      if (serial == vocab.serial()) job = j;
  }
  return job ? job->wait(timeout_s) : MaskPrecompute::Progress{};
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

bool Grammar::store_cached(uint64_t key, std::span<const uint32_t> words, size_t limit_bytes,
                           size_t all_limit_bytes) const {
  uint64_t hash = 1469598103934665603ull;
  for (uint32_t w : words) hash = (hash ^ w) * 1099511628211ull;
  std::lock_guard lock(mu_);
  if (masks_.count(key)) return true;  // another thread stored it first
  // Many states have equal masks (a bounded string's middle positions, say): one copy serves
  // them all, and each further state costs only its entry.
  std::shared_ptr<const std::vector<uint32_t>> same;
  if (auto it = contents_.find(hash);
      it != contents_.end() && std::equal(words.begin(), words.end(), it->second->begin()))
    same = it->second;
  const size_t bytes = kMaskEntryBytes + (same ? 0 : words.size() * sizeof(uint32_t));
  if (cached_bytes_ + bytes > limit_bytes) return false;
  if (g_mask_bytes.fetch_add(bytes) + bytes > all_limit_bytes) {
    g_mask_bytes -= bytes;
    return false;
  }
  if (!same) {
    same = std::make_shared<const std::vector<uint32_t>>(words.begin(), words.end());
    contents_.emplace(hash, same);  // a hash taken by other words keeps them
  }
  masks_.emplace(key, std::move(same));
  cached_bytes_ += bytes;
  return true;
}

Grammar::CacheStats Grammar::cache_stats() const {
  std::lock_guard lock(mu_);
  std::unordered_map<const void*, int> distinct;
  for (const auto& [key, mask] : masks_) distinct.emplace(mask.get(), 0);
  return {masks_.size(), distinct.size(), cached_bytes_};
}

uint64_t Grammar::mask_key(const TokenVocabulary& vocab, bool per_class, int32_t id, bool first) {
  // Vocabulary serial, then 1 bit per state (0) or per prefix class (1), the id, first (only
  // when the vocabulary has a first token of its own).
  first = first && vocab.distinguishes_first();
  return (vocab.serial() << 34) | (static_cast<uint64_t>(per_class) << 33) |
         (static_cast<uint64_t>(id) << 1) | static_cast<uint64_t>(first);
}

bool Grammar::cached_mask(const TokenVocabulary& vocab, int32_t state, bool first,
                          std::span<uint32_t> words) const {
  if (!g_mask_cache || state == Dfa::kDead) return false;
  return find_cached(mask_key(vocab, false, state, first), words);
}

bool Grammar::token_mask(const TokenVocabulary& vocab, int32_t state, bool first,
                         std::span<uint32_t> words, const ParallelFor* split,
                         int split_parts) const {
  if (cached_mask(vocab, state, first, words)) return true;
  compute_mask(vocab, state, first, words, split, split_parts);
  if (g_mask_cache && state != Dfa::kDead)
    store_cached(mask_key(vocab, false, state, first), words, kMaskCacheBytes,
                 kAllMaskCachesBytes);
  return false;
}

void Grammar::compute_mask(const TokenVocabulary& vocab, int32_t state, bool first,
                           std::span<uint32_t> words, const ParallelFor* split,
                           int split_parts) const {
  if (state == Dfa::kDead) {
    std::fill(words.begin(), words.end(), 0u);
    return;
  }
  const bool shared = g_shared_masks;
  const uint64_t class_key = mask_key(vocab, true, dfa_.prefix_class(state), first);
  const bool have_short = shared && find_cached(class_key, words);
  std::vector<TokenVocabulary::WalkPart> parts;
  if (split && g_split_walk)
    parts = vocab.split_walk(dfa_, state, first, !have_short, split_parts, split_min_nodes());
  if (parts.empty()) {
    if (!have_short) {
      vocab.fill_short_mask(dfa_, state, first, words);
      if (shared) store_cached(class_key, words, kMaskCacheBytes, kAllMaskCachesBytes);
    }
    vocab.add_long_tokens(dfa_, state, first, words);
    return;
  }
  // Each part walks into buffers of its own (short tokens, long tokens), merged here: the short
  // tokens' bits make the class's mask, the long ones are added after it is stored.
  const size_t nw = words.size(), n = parts.size();
  thread_local std::vector<uint32_t> scratch;  // the calling thread's: its pointer is passed on
  scratch.assign(2 * n * nw, 0u);
  uint32_t* const buffers = scratch.data();
  (*split)(static_cast<int>(n), [&](int k) {
    const auto& p = parts[k];
    uint32_t* base = buffers + 2 * k * nw;
    vocab.walk_part(dfa_, state, first, {p.short_begin, p.short_end, 0, 0}, {base, nw});
    vocab.walk_part(dfa_, state, first, {0, 0, p.long_begin, p.long_end}, {base + nw, nw});
  });
  if (!have_short) {
    std::fill(words.begin(), words.end(), 0u);
    for (size_t k = 0; k < n; ++k)
      if (parts[k].short_begin < parts[k].short_end)
        for (size_t w = 0, o = 2 * k * nw; w < nw; ++w) words[w] |= buffers[o + w];
    if (shared) store_cached(class_key, words, kMaskCacheBytes, kAllMaskCachesBytes);
  }
  for (size_t k = 0; k < n; ++k)
    if (parts[k].long_begin < parts[k].long_end)
      for (size_t w = 0, o = (2 * k + 1) * nw; w < nw; ++w) words[w] |= buffers[o + w];
}

GrammarMatcher::GrammarMatcher(std::shared_ptr<const Grammar> grammar,
                               std::shared_ptr<const TokenVocabulary> vocab,
                               std::vector<int32_t> end_ids)
    : grammar_(std::move(grammar)), vocab_(std::move(vocab)), end_ids_(std::move(end_ids)) {}

bool GrammarMatcher::is_end(int32_t token) const {
  return std::find(end_ids_.begin(), end_ids_.end(), token) != end_ids_.end();
}

bool GrammarMatcher::fill_mask(std::span<uint32_t> words, const ParallelFor* split,
                               int split_parts) const {
  if (terminated_) {
    std::fill(words.begin(), words.end(), 0u);
    return true;
  }
  if (!precompute_started_) {  // the engine starts it earlier, when the request is added
    grammar_->start_precompute(vocab_);
    precompute_started_ = true;
  }
  const bool warm = grammar_->token_mask(*vocab_, state_, first_, words, split, split_parts);
  apply_end_ids(words);
  return warm;
}

bool GrammarMatcher::fill_cached_mask(std::span<uint32_t> words) const {
  if (terminated_) {
    std::fill(words.begin(), words.end(), 0u);
    return true;
  }
  if (!grammar_->cached_mask(*vocab_, state_, first_, words)) return false;
  apply_end_ids(words);
  return true;
}

void GrammarMatcher::apply_end_ids(std::span<uint32_t> words) const {
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

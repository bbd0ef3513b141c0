#include "engine/grammar/automaton.h"

#include <algorithm>
#include <string>
#include <unordered_map>

#include "engine/util/error.h"

namespace pagoda::grammar {

int32_t NfaBuilder::add_state() {
  if (states_.size() >= max_states_)
    throw InvalidArgument("the grammar is too large (more than " + std::to_string(max_states_) +
                          " automaton states); simplify the schema or lower its length bounds");
  states_.emplace_back();
  return static_cast<int32_t>(states_.size() - 1);
}

Frag NfaBuilder::empty() {
  const int32_t s = add_state();
  return {s, s};
}

Frag NfaBuilder::nothing() {
  return {add_state(), add_state()};  // no path from start to end
}

Frag NfaBuilder::byte_range(uint8_t lo, uint8_t hi) {
  const int32_t a = add_state(), b = add_state();
  states_[a].edges.push_back({lo, hi, b});
  return {a, b};
}

Frag NfaBuilder::literal(std::string_view bytes) {
  Frag f = empty();
  for (char c : bytes) {
    const int32_t next = add_state();
    states_[f.end].edges.push_back({static_cast<uint8_t>(c), static_cast<uint8_t>(c), next});
    f.end = next;
  }
  return f;
}

Frag NfaBuilder::seq(Frag a, Frag b) {
  eps(a.end, b.start);
  return {a.start, b.end};
}

Frag NfaBuilder::alt(const std::vector<Frag>& alternatives) {
  if (alternatives.size() == 1) return alternatives[0];
  const int32_t s = add_state(), e = add_state();
  for (const Frag& f : alternatives) {
    eps(s, f.start);
    eps(f.end, e);
  }
  return {s, e};
}

Frag NfaBuilder::optional(Frag f) {
  const int32_t s = add_state(), e = add_state();
  eps(s, f.start);
  eps(f.end, e);
  eps(s, e);
  return {s, e};
}

Frag NfaBuilder::star(Frag f) {
  const int32_t s = add_state(), e = add_state();
  eps(s, f.start);
  eps(f.end, f.start);
  eps(f.end, e);
  eps(s, e);
  return {s, e};
}

Frag NfaBuilder::repeat(const std::function<Frag()>& make, int min, int max) {
  Frag out = empty();
  for (int i = 0; i < min; ++i) out = seq(out, make());
  if (max < 0) return seq(out, star(make()));
  // Nested optionals: a?(b?(c?)) keeps the NFA linear in max - min.
  std::vector<Frag> tail;
  for (int i = min; i < max; ++i) tail.push_back(make());
  if (tail.empty()) return out;
  Frag rest = optional(tail.back());
  for (size_t i = tail.size() - 1; i-- > 0;) rest = optional(seq(tail[i], rest));
  return seq(out, rest);
}

// Splits [lo, hi] (one UTF-8 length, no surrogates) until each piece is a product of byte ranges.
void NfaBuilder::utf8_range(uint32_t lo, uint32_t hi, std::vector<Frag>& out) {
  if (lo > hi) return;
  for (uint32_t limit : {0x7Fu, 0x7FFu, 0xFFFFu}) {
    if (lo <= limit && hi > limit) {
      utf8_range(lo, limit, out);
      utf8_range(limit + 1, hi, out);
      return;
    }
  }
  if (hi <= 0x7F) {
    out.push_back(byte_range(static_cast<uint8_t>(lo), static_cast<uint8_t>(hi)));
    return;
  }
  const int n = hi <= 0x7FF ? 2 : hi <= 0xFFFF ? 3 : 4;
  for (int i = 1; i < n; ++i) {
    const uint32_t m = (1u << (6 * i)) - 1;
    if ((lo & ~m) != (hi & ~m)) {
      if ((lo & m) != 0) {
        utf8_range(lo, lo | m, out);
        utf8_range((lo | m) + 1, hi, out);
        return;
      }
      if ((hi & m) != m) {
        utf8_range(lo, (hi & ~m) - 1, out);
        utf8_range(hi & ~m, hi, out);
        return;
      }
    }
  }
  auto encode = [n](uint32_t c, uint8_t* b) {
    static const uint8_t lead[] = {0, 0, 0xC0, 0xE0, 0xF0};
    for (int k = n - 1; k > 0; --k) {
      b[k] = static_cast<uint8_t>(0x80 | (c & 0x3F));
      c >>= 6;
    }
    b[0] = static_cast<uint8_t>(lead[n] | c);
  };
  uint8_t a[4], b[4];
  encode(lo, a);
  encode(hi, b);
  Frag f = byte_range(a[0], b[0]);
  for (int k = 1; k < n; ++k) f = seq(f, byte_range(a[k], b[k]));
  out.push_back(f);
}

Frag NfaBuilder::code_points(uint32_t lo, uint32_t hi) {
  return code_point_set({{lo, hi}});
}

Frag NfaBuilder::code_point_set(const std::vector<std::pair<uint32_t, uint32_t>>& ranges) {
  std::vector<Frag> parts;
  for (auto [lo, hi] : ranges) {
    hi = std::min<uint32_t>(hi, 0x10FFFF);
    if (lo > hi) continue;
    if (lo < 0xD800 && hi >= 0xD800) {
      utf8_range(lo, 0xD7FF, parts);
      if (hi > 0xDFFF) utf8_range(0xE000, hi, parts);
    } else if (lo >= 0xD800 && lo <= 0xDFFF) {
      if (hi > 0xDFFF) utf8_range(0xE000, hi, parts);
    } else {
      utf8_range(lo, hi, parts);
    }
  }
  if (parts.empty()) return nothing();
  return alt(parts);
}

namespace {

// Epsilon closure, in place, sorted and unique.
void closure(const std::vector<NfaBuilder::State>& st, std::vector<int32_t>& set,
             std::vector<uint32_t>& mark, uint32_t epoch) {
  std::vector<int32_t> stack(set.begin(), set.end());
  set.clear();
  while (!stack.empty()) {
    const int32_t s = stack.back();
    stack.pop_back();
    if (mark[s] == epoch) continue;
    mark[s] = epoch;
    set.push_back(s);
    for (int32_t t : st[s].eps)
      if (mark[t] != epoch) stack.push_back(t);
  }
  std::sort(set.begin(), set.end());
}

struct SetHash {
  size_t operator()(const std::vector<int32_t>& v) const {
    uint64_t h = 1469598103934665603ull;
    for (int32_t x : v) h = (h ^ static_cast<uint32_t>(x)) * 1099511628211ull;
    return static_cast<size_t>(h);
  }
};

}  // namespace

Dfa Dfa::build(const NfaBuilder& nfa, Frag whole, size_t max_states) {
  const auto& st = nfa.states();
  Dfa d;
  // Byte classes: bytes that no edge tells apart share a class.
  bool cut[257] = {};
  for (const auto& s : st)
    for (const auto& e : s.edges) {
      cut[e.lo] = true;
      cut[e.hi + 1] = true;
    }
  int cls = -1;
  for (int b = 0; b < 256; ++b) {
    if (b == 0 || cut[b]) ++cls;
    d.byte_class_[b] = static_cast<uint8_t>(cls);
  }
  d.num_classes_ = cls + 1;
  const int nc = d.num_classes_;

  std::vector<uint32_t> mark(st.size(), 0);
  uint32_t epoch = 0;
  std::unordered_map<std::vector<int32_t>, int32_t, SetHash> ids;
  // Per DFA state: raw target set -> state, so classes that move alike share one closure.
  std::unordered_map<std::vector<int32_t>, int32_t, SetHash> seen_targets;
  std::vector<std::vector<int32_t>> sets;
  std::vector<int32_t> first{whole.start};
  closure(st, first, mark, ++epoch);
  ids.emplace(first, 0);
  sets.push_back(first);
  std::vector<std::vector<int32_t>> targets(nc);
  for (size_t cur = 0; cur < sets.size(); ++cur) {
    for (auto& t : targets) t.clear();
    for (int32_t s : sets[cur])
      for (const auto& e : st[s].edges)
        for (int c = d.byte_class_[e.lo]; c <= d.byte_class_[e.hi]; ++c) targets[c].push_back(e.to);
    d.accepting_.push_back(std::binary_search(sets[cur].begin(), sets[cur].end(), whole.end));
    seen_targets.clear();
    for (int c = 0; c < nc; ++c) {
      if (targets[c].empty()) {
        d.next_.push_back(kDead);
        continue;
      }
      std::sort(targets[c].begin(), targets[c].end());
      targets[c].erase(std::unique(targets[c].begin(), targets[c].end()), targets[c].end());
      if (auto hit = seen_targets.find(targets[c]); hit != seen_targets.end()) {
        d.next_.push_back(hit->second);
        continue;
      }
      std::vector<int32_t> set = targets[c];
      closure(st, set, mark, ++epoch);
      auto [it, added] = ids.emplace(std::move(set), static_cast<int32_t>(sets.size()));
      if (added) {
        if (sets.size() >= max_states)
          throw InvalidArgument("the grammar needs more than " + std::to_string(max_states) +
                                " automaton states; simplify the schema");
        sets.push_back(it->first);
      }
      seen_targets.emplace(targets[c], it->second);
      d.next_.push_back(it->second);
    }
  }
  // Live states reach an accepting one; edges into the others become kDead.
  const int32_t n = static_cast<int32_t>(sets.size());
  std::vector<std::vector<int32_t>> rev(n);
  for (int32_t s = 0; s < n; ++s)
    for (int c = 0; c < nc; ++c)
      if (int32_t t = d.next_[static_cast<size_t>(s) * nc + c]; t != kDead) rev[t].push_back(s);
  std::vector<uint8_t> live(n, 0);
  std::vector<int32_t> stack;
  for (int32_t s = 0; s < n; ++s)
    if (d.accepting_[s]) {
      live[s] = 1;
      stack.push_back(s);
    }
  while (!stack.empty()) {
    const int32_t s = stack.back();
    stack.pop_back();
    for (int32_t p : rev[s])
      if (!live[p]) {
        live[p] = 1;
        stack.push_back(p);
      }
  }
  if (!live[0]) throw InvalidArgument("no output can satisfy this grammar");
  d.can_continue_.assign(n, 0);
  for (int32_t s = 0; s < n; ++s)
    for (int c = 0; c < nc; ++c) {
      int32_t& t = d.next_[static_cast<size_t>(s) * nc + c];
      if (t != kDead && !live[t]) t = kDead;
      if (t != kDead) d.can_continue_[s] = 1;
    }
  d.compute_prefix_classes();
  return d;
}

// Moore's partition refinement, stopped after kPrefixClassBytes rounds or once stable. Round 0:
// every (live) state in one class, kDead apart. Each round splits states whose successors on
// some byte class lie in different classes (or one is dead): after r rounds, two states of one
// class agree on the death of every string of at most r bytes.
void Dfa::compute_prefix_classes() {
  const size_t n = accepting_.size();
  const size_t nc = static_cast<size_t>(num_classes_);
  const size_t width = nc + 1;
  std::vector<int32_t> cls(n, 0), rows(n * width), first_of;  // first_of: class -> a state
  size_t slots = 16;
  while (slots < 2 * n) slots <<= 1;
  std::vector<int32_t> table(slots);  // open addressing: a class's first state, or -1
  size_t count = 1;
  for (int round = 0; round < kPrefixClassBytes; ++round) {
    std::fill(table.begin(), table.end(), -1);
    first_of.clear();
    for (size_t s = 0; s < n; ++s) {  // rows first: cls is read for successors, then replaced
      int32_t* row = rows.data() + s * width;
      const int32_t* next = next_.data() + s * nc;
      row[0] = cls[s];
      for (size_t c = 0; c < nc; ++c) row[c + 1] = next[c] == kDead ? -1 : cls[next[c]];
    }
    for (size_t s = 0; s < n; ++s) {
      const int32_t* row = rows.data() + s * width;
      uint64_t h = 1469598103934665603ull;
      for (size_t c = 0; c < width; ++c) h = (h ^ static_cast<uint32_t>(row[c])) * 1099511628211ull;
      for (size_t slot = (h ^ (h >> 29)) & (slots - 1);; slot = (slot + 1) & (slots - 1)) {
        if (table[slot] < 0) {
          table[slot] = static_cast<int32_t>(first_of.size());
          first_of.push_back(static_cast<int32_t>(s));
          cls[s] = table[slot];
          break;
        }
        const int32_t* other = rows.data() + static_cast<size_t>(first_of[table[slot]]) * width;
        if (std::equal(row, row + width, other)) {
          cls[s] = table[slot];
          break;
        }
      }
    }
    if (first_of.size() == count) break;  // stable: further rounds split nothing
    count = first_of.size();
  }
  prefix_class_ = std::move(cls);
  num_prefix_classes_ = static_cast<int32_t>(count);
}

}  // namespace pagoda::grammar

#pragma once
// The byte-level automata behind constrained decoding. Grammars (a JSON schema, a regex, a list
// of choices) are built as a Thompson NFA over byte ranges (NfaBuilder), then determinized once
// into a Dfa whose dead states are pruned, so that walking a token's bytes costs one table read
// a byte. JSON nesting is bounded, which keeps every supported grammar regular.
// Prefix classes let token masks be shared between states: states of one class kill exactly the
// same byte strings of up to kPrefixClassBytes bytes.
// Threading: a builder belongs to one thread; a finished Dfa is immutable and shared.
#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

namespace pagoda::grammar {

// A fragment of NFA: enter at start, leave at end (end has no outgoing edges yet).
struct Frag {
  int32_t start = -1, end = -1;
};

class NfaBuilder {
 public:
  // Throws InvalidArgument once more than max_states states are made (a schema too large).
  explicit NfaBuilder(size_t max_states = 1'000'000) : max_states_(max_states) {}

  Frag empty();
  Frag byte_range(uint8_t lo, uint8_t hi);
  Frag literal(std::string_view bytes);
  // Code points [lo, hi] as UTF-8 (surrogates excluded).
  Frag code_points(uint32_t lo, uint32_t hi);
  // A union of code-point ranges as UTF-8.
  Frag code_point_set(const std::vector<std::pair<uint32_t, uint32_t>>& ranges);
  Frag seq(Frag a, Frag b);
  Frag alt(const std::vector<Frag>& alternatives);  // none: matches nothing
  Frag nothing();                                   // the empty language
  Frag optional(Frag f);
  Frag star(Frag f);
  // make() builds a fresh copy each call; max < 0: unbounded.
  Frag repeat(const std::function<Frag()>& make, int min, int max);

  struct Edge {
    uint8_t lo, hi;
    int32_t to;
  };
  struct State {
    std::vector<Edge> edges;
    std::vector<int32_t> eps;
  };
  const std::vector<State>& states() const { return states_; }
  // Raw construction, for shapes the combinators above do not cover.
  int32_t add_state();
  void link(int32_t from, int32_t to) { states_[from].eps.push_back(to); }

 private:
  void eps(int32_t from, int32_t to) { link(from, to); }
  void utf8_range(uint32_t lo, uint32_t hi, std::vector<Frag>& out);

  std::vector<State> states_;
  size_t max_states_;
};

// A deterministic automaton over bytes. State 0 is the start; kDead is the rejecting sink.
class Dfa {
 public:
  static constexpr int32_t kDead = -1;
  // The string length up to which the states of one prefix class behave alike.
  static constexpr int kPrefixClassBytes = 16;
  // Determinizes the NFA from `start` to the accepting `accept`. Throws InvalidArgument when
  // the language is empty or more than max_states states are needed.
  static Dfa build(const NfaBuilder& nfa, Frag whole, size_t max_states = 200'000);

  int32_t next(int32_t state, uint8_t byte) const {
    return next_[static_cast<size_t>(state) * num_classes_ + byte_class_[byte]];
  }
  // The successor on every byte of byte class cls (classes: 0 .. num_classes() - 1).
  int32_t next_by_class(int32_t state, int cls) const {
    return next_[static_cast<size_t>(state) * num_classes_ + cls];
  }
  bool accepting(int32_t state) const { return accepting_[state] != 0; }
  // Some byte leads to a live state (else only the end of output is possible).
  bool can_continue(int32_t state) const { return can_continue_[state] != 0; }
  int32_t num_states() const { return static_cast<int32_t>(accepting_.size()); }
  int num_classes() const { return num_classes_; }
  // Equal for two states exactly when (as far as kPrefixClassBytes rounds of Moore refinement
  // tell) every byte string of at most kPrefixClassBytes bytes dies from both or from neither:
  // their masks over tokens that short are equal.
  int32_t prefix_class(int32_t state) const { return prefix_class_[state]; }
  int32_t num_prefix_classes() const { return num_prefix_classes_; }
  // Walks bytes from state; kDead once any byte is rejected.
  int32_t walk(int32_t state, std::string_view bytes) const {
    for (char c : bytes) {
      state = next(state, static_cast<uint8_t>(c));
      if (state == kDead) break;
    }
    return state;
  }

 private:
  uint8_t byte_class_[256] = {};
  int num_classes_ = 1;
  std::vector<int32_t> next_;  // [state * num_classes + class]
  std::vector<uint8_t> accepting_, can_continue_;
  std::vector<int32_t> prefix_class_;
  int32_t num_prefix_classes_ = 0;

  void compute_prefix_classes();
};

}  // namespace pagoda::grammar

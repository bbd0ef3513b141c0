#include "engine/chat/tool_parser.h"

#include <cctype>
#include <random>

#include "engine/chat/marker_match.h"
#include "engine/util/json.h"

namespace pagoda {
namespace {

// ---- a JSON scanner that accepts prefixes: "valid so far, more to come" is not an error ----

enum class Scan { ok, eof, bad };

struct Member {
  std::string key;
  size_t begin = 0, end = 0;  // the value's text; end = text size while incomplete
  bool complete = false;
};

class PrefixScanner {
 public:
  explicit PrefixScanner(std::string_view s, size_t pos) : s_(s), i_(pos) {}
  size_t pos() const { return i_; }
  void skip_ws() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\n' || s_[i_] == '\r' || s_[i_] == '\t'))
      ++i_;
  }
  // An object; its top-level members (when `members` is given) with their value spans.
  Scan object(std::vector<Member>* members) {
    if (++depth_ > 64) return Scan::bad;
    ++i_;  // '{'
    skip_ws();
    if (i_ >= s_.size()) return Scan::eof;
    if (s_[i_] == '}') {
      ++i_;
      --depth_;
      return Scan::ok;
    }
    for (;;) {
      if (i_ >= s_.size()) return Scan::eof;
      if (s_[i_] != '"') return Scan::bad;
      size_t key_begin = i_;
      if (Scan r = string(); r != Scan::ok) return r;
      std::string key;
      if (members) key = Json::parse(s_.substr(key_begin, i_ - key_begin)).get<std::string>();
      skip_ws();
      if (i_ >= s_.size()) return Scan::eof;
      if (s_[i_++] != ':') return Scan::bad;
      skip_ws();
      if (i_ >= s_.size()) return Scan::eof;
      size_t value_begin = i_;
      Scan r = value();
      if (members) members->push_back({key, value_begin, r == Scan::ok ? i_ : s_.size(), r == Scan::ok});
      if (r != Scan::ok) return r;
      skip_ws();
      if (i_ >= s_.size()) return Scan::eof;
      char c = s_[i_++];
      if (c == '}') break;
      if (c != ',') return Scan::bad;
      skip_ws();
    }
    --depth_;
    return Scan::ok;
  }
  Scan value() {
    if (i_ >= s_.size()) return Scan::eof;
    char c = s_[i_];
    if (c == '{') return object(nullptr);
    if (c == '[') return array();
    if (c == '"') return string();
    if (c == '-' || (c >= '0' && c <= '9')) return number();
    for (std::string_view lit : {"true", "false", "null"}) {
      if (lit[0] != c) continue;
      size_t n = std::min(lit.size(), s_.size() - i_);
      if (s_.substr(i_, n) != lit.substr(0, n)) return Scan::bad;
      i_ += n;
      return n == lit.size() ? Scan::ok : Scan::eof;
    }
    return Scan::bad;
  }
  Scan string() {
    ++i_;  // '"'
    while (i_ < s_.size()) {
      unsigned char c = static_cast<unsigned char>(s_[i_++]);
      if (c == '"') return Scan::ok;
      if (c < 0x20) return Scan::bad;
      if (c != '\\') continue;
      if (i_ >= s_.size()) return Scan::eof;
      char e = s_[i_++];
      if (e == 'u') {
        for (int k = 0; k < 4; ++k, ++i_) {
          if (i_ >= s_.size()) return Scan::eof;
          if (!std::isxdigit(static_cast<unsigned char>(s_[i_]))) return Scan::bad;
        }
      } else if (std::string_view("\"\\/bfnrt").find(e) == std::string_view::npos) {
        return Scan::bad;
      }
    }
    return Scan::eof;
  }

 private:
  Scan array() {
    if (++depth_ > 64) return Scan::bad;
    ++i_;  // '['
    skip_ws();
    if (i_ >= s_.size()) return Scan::eof;
    if (s_[i_] == ']') {
      ++i_;
      --depth_;
      return Scan::ok;
    }
    for (;;) {
      if (Scan r = value(); r != Scan::ok) return r;
      skip_ws();
      if (i_ >= s_.size()) return Scan::eof;
      char c = s_[i_++];
      if (c == ']') break;
      if (c != ',') return Scan::bad;
      skip_ws();
    }
    --depth_;
    return Scan::ok;
  }
  Scan number() {
    size_t start = i_;
    if (s_[i_] == '-') ++i_;
    auto digits = [&] {
      size_t from = i_;
      while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') ++i_;
      return i_ - from;
    };
    if (i_ >= s_.size()) return Scan::eof;
    if (digits() == 0) return Scan::bad;
    if (i_ < s_.size() && s_[i_] == '.') {
      ++i_;
      if (digits() == 0) return i_ >= s_.size() ? Scan::eof : Scan::bad;
    }
    if (i_ < s_.size() && (s_[i_] == 'e' || s_[i_] == 'E')) {
      ++i_;
      if (i_ < s_.size() && (s_[i_] == '+' || s_[i_] == '-')) ++i_;
      if (digits() == 0) return i_ >= s_.size() ? Scan::eof : Scan::bad;
    }
    // A number at the very end may go on ("12" → "123").
    return i_ >= s_.size() && i_ > start ? Scan::eof : Scan::ok;
  }

  std::string_view s_;
  size_t i_;
  int depth_ = 0;
};

// ---- one analysis of the text so far, shared by the whole and the streaming parser ----

struct CallSpan {
  std::optional<std::string> name;  // known once its string is complete
  size_t args_begin = 0, args_end = 0;
  bool args_complete = false;
  bool args_string = false;  // "arguments" given as a JSON string of the object
  bool args_missing = false;
};

struct Analysis {
  bool malformed = false;
  std::vector<std::pair<size_t, size_t>> content;  // spans of text outside the calls
  std::vector<CallSpan> calls;
};

bool is_ws(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }


class Analyzer {
 public:
  Analyzer(const ToolParseOptions& o, std::string_view text, bool at_end)
      : o_(o), t_(text), at_end_(at_end) {}

  Analysis run() {
    try {
      dispatch();
    } catch (const std::exception&) {
      a_.malformed = true;  // e.g. a key that is not valid UTF-8: not a call
    }
    return std::move(a_);
  }

 private:
  void dispatch() {
    switch (o_.format) {
      case ToolCallFormat::hermes: marked("<tool_call>", "</tool_call>"); break;
      case ToolCallFormat::mistral: marked("[TOOL_CALLS]", ""); break;
      case ToolCallFormat::llama3_json: llama(); break;
      case ToolCallFormat::json_array: json_array(); break;
      case ToolCallFormat::json_arguments: json_arguments(); break;
      case ToolCallFormat::none: add_content(0, t_.size(), false); break;
    }
  }

  // Content [from, to): whitespace next to a call is not content; trailing whitespace waits
  // until it is clear whether a call follows.
  void add_content(size_t from, size_t to, bool after_call) {
    if (after_call)
      while (from < to && is_ws(t_[from])) ++from;
    bool call_follows = to < t_.size();
    if (call_follows || !at_end_ || !a_.calls.empty())
      while (to > from && is_ws(t_[to - 1])) --to;
    if (to > from) a_.content.emplace_back(from, to);
  }

  // The text [from, end) holds no call: content, less a tail that may start `marker`.
  void tail(size_t from, std::string_view marker, bool after_call) {
    size_t hold = at_end_ ? 0 : partial_marker_length(t_.substr(from), marker);
    add_content(from, t_.size() - hold, after_call);
  }

  // Reads one call object at the scanner's position (a '{'); false when the text ended first.
  bool call_object(PrefixScanner& sc, const char* name_key = "name") {
    std::vector<Member> members;
    Scan r = sc.object(&members);
    if (r == Scan::bad) return fail();
    CallSpan c;
    const Member* args = nullptr;
    for (const Member& m : members) {
      if (m.key == name_key) {
        if (!m.complete) continue;
        if (t_[m.begin] != '"') return fail();
        c.name = Json::parse(t_.substr(m.begin, m.end - m.begin)).get<std::string>();
      } else if (m.key == "arguments" || m.key == "parameters") {
        args = &m;
      }
    }
    if (c.name && !o_.names.empty() && !o_.names.count(*c.name)) return fail();
    if (args) {
      char first = t_[args->begin];
      if (first != '{' && first != '"') return fail();
      c.args_string = first == '"';
      c.args_begin = args->begin;
      c.args_end = args->end;
      c.args_complete = args->complete;
      if (c.args_complete && !is_object_text(c.args_string ? arguments_text(*args)
                                                           : std::string(t_.substr(args->begin, args->end - args->begin))))
        return fail();
    } else {
      c.args_missing = true;
      c.args_complete = r == Scan::ok;
    }
    if (r == Scan::ok && !c.name) return fail();  // a complete object that names nothing
    if (c.name || r == Scan::ok) a_.calls.push_back(c);
    if (r == Scan::eof) return pending();
    return true;
  }

  // The final check of complete arguments (the scanner does not check UTF-8, nor does it
  // decode): they must be a JSON object.
  static bool is_object_text(const std::string& text) {
    return Json::parse(text, nullptr, false).is_object();
  }

  // A string value's decoded text (the caller checked it is a complete string).
  std::string arguments_text(const Member& m) const {
    return Json::parse(t_.substr(m.begin, m.end - m.begin)).get<std::string>();
  }

  // The text ended inside a call: fine while streaming, malformed for a finished output.
  bool pending() {
    if (at_end_) fail();
    return false;
  }
  bool fail() {
    a_.malformed = true;
    return false;
  }

  // Content, then calls each opened by `open` (and closed by `close` when it is not empty).
  void marked(std::string_view open, std::string_view close) {
    size_t first = t_.find(open);
    if (first == std::string_view::npos) return tail(0, open, false);
    add_content(0, first, false);
    size_t pos = first;
    while (pos != std::string_view::npos) {
      PrefixScanner sc(t_, pos + open.size());
      sc.skip_ws();
      if (sc.pos() >= t_.size()) return (void)pending();
      char c = t_[sc.pos()];
      if (c == '{') {
        if (!call_object(sc)) return;
      } else if (c == '[' && close.empty()) {
        if (!call_array(sc)) return;
      } else if (close.empty()) {
        if (!name_args_call(sc)) return;
      } else {
        return (void)fail();
      }
      sc.skip_ws();
      size_t end = sc.pos();
      if (!close.empty()) {
        std::string_view rest = t_.substr(end);
        if (rest.substr(0, close.size()) == close) {
          end += close.size();
        } else if (!rest.empty() && close.substr(0, rest.size()) != rest) {
          return (void)fail();  // something else where the closing tag belongs
        } else if (!rest.empty() || !at_end_) {
          return;  // the closing tag is still coming
        }
      }
      pos = t_.find(open, end);
      if (pos == std::string_view::npos) {
        tail(end, open, true);
      } else {
        add_content(end, pos, true);
      }
    }
  }

  // Mistral's [{"name":..,"arguments":{..}}, ...].
  bool call_array(PrefixScanner& sc) {
    sc = PrefixScanner(t_, sc.pos() + 1);  // past '['
    sc.skip_ws();
    for (;;) {
      if (sc.pos() >= t_.size()) return pending();
      if (t_[sc.pos()] != '{') return fail();
      if (!call_object(sc)) return false;
      sc.skip_ws();
      if (sc.pos() >= t_.size()) return pending();
      char c = t_[sc.pos()];
      sc = PrefixScanner(t_, sc.pos() + 1);
      if (c == ']') return true;
      if (c != ',') return fail();
      sc.skip_ws();
    }
  }

  // Mistral's newer name[ARGS]{..} (a [CALL_ID]id between them is skipped).
  bool name_args_call(PrefixScanner& sc) {
    size_t start = sc.pos();
    size_t args_tag = t_.find("[ARGS]", start);
    if (args_tag == std::string_view::npos) {
      std::string_view rest = t_.substr(start);
      for (char ch : rest)
        if (!(std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == '-' ||
              ch == '.' || ch == '[' || ch == ']'))
          return fail();
      return pending();
    }
    size_t name_end = std::min(args_tag, t_.find("[CALL_ID]", start));
    std::string name(t_.substr(start, name_end - start));
    if (name.empty() || name.size() > 256) return fail();
    for (char ch : name)
      if (!(std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == '-' || ch == '.'))
        return fail();
    if (!o_.names.empty() && !o_.names.count(name)) return fail();
    PrefixScanner args(t_, args_tag + 6);
    args.skip_ws();
    CallSpan c;
    c.name = name;
    c.args_begin = args.pos();
    if (args.pos() >= t_.size()) {
      c.args_end = c.args_begin;
      a_.calls.push_back(c);
      return pending();
    }
    if (t_[args.pos()] != '{') return fail();
    Scan r = args.object(nullptr);
    if (r == Scan::bad) return fail();
    c.args_end = r == Scan::ok ? args.pos() : t_.size();
    c.args_complete = r == Scan::ok;
    if (c.args_complete && !is_object_text(std::string(t_.substr(c.args_begin, c.args_end - c.args_begin))))
      return fail();
    a_.calls.push_back(c);
    if (r != Scan::ok) return pending();
    sc = args;
    return true;
  }

  // Llama 3.x: the output is calls, each an object (after <|python_tag|> or not), ';' between.
  void llama() {
    static constexpr std::string_view tag = "<|python_tag|>";
    PrefixScanner sc(t_, 0);
    sc.skip_ws();
    bool any = false;
    for (;;) {
      size_t p = sc.pos();
      std::string_view rest = t_.substr(p);
      if (rest.substr(0, tag.size()) == tag) {
        sc = PrefixScanner(t_, p + tag.size());
        sc.skip_ws();
        p = sc.pos();
        rest = t_.substr(p);
      } else if (!rest.empty() && rest.size() < tag.size() && tag.substr(0, rest.size()) == rest &&
                 !at_end_) {
        return;  // maybe the tag
      }
      if (rest.empty()) {
        if (!any) return (void)(at_end_ ? add_content(0, t_.size(), false) : void());
        return;
      }
      if (rest[0] != '{') {
        if (!any) return add_content(0, t_.size(), false);  // plain text: no calls
        return tail(p, "", true);
      }
      if (!call_object(sc)) return;
      any = true;
      sc.skip_ws();
      if (sc.pos() < t_.size() && t_[sc.pos()] == ';') {
        sc = PrefixScanner(t_, sc.pos() + 1);
        sc.skip_ws();
      }
    }
  }

  void json_array() {
    PrefixScanner sc(t_, 0);
    sc.skip_ws();
    if (sc.pos() >= t_.size()) return (void)pending();
    if (t_[sc.pos()] != '[') return (void)fail();
    if (!call_array(sc)) return;
    sc.skip_ws();
    if (sc.pos() < t_.size()) fail();  // text after the array
  }

  void json_arguments() {
    PrefixScanner sc(t_, 0);
    sc.skip_ws();
    CallSpan c;
    c.name = o_.forced_name;
    c.args_begin = sc.pos();
    c.args_end = t_.size();
    if (sc.pos() < t_.size()) {
      if (t_[sc.pos()] != '{') return (void)fail();
      Scan r = sc.object(nullptr);
      if (r == Scan::bad) return (void)fail();
      c.args_complete = r == Scan::ok;
      if (c.args_complete) c.args_end = sc.pos();
      if (c.args_complete &&
          !is_object_text(std::string(t_.substr(c.args_begin, c.args_end - c.args_begin))))
        return (void)fail();
      sc.skip_ws();
      if (c.args_complete && sc.pos() < t_.size()) return (void)fail();
    }
    a_.calls.push_back(c);
    if (!c.args_complete && at_end_) fail();
  }

  const ToolParseOptions& o_;
  std::string_view t_;
  bool at_end_;
  Analysis a_;
};

// A call's argument text so far: the object's text, or the decoded string once complete.
std::string arguments_of(std::string_view text, const CallSpan& c, bool at_end) {
  if (c.args_missing) return c.args_complete || at_end ? "{}" : "";
  std::string_view raw = text.substr(c.args_begin, c.args_end - c.args_begin);
  if (!c.args_string) return std::string(raw);
  if (!c.args_complete) return "";
  return Json::parse(raw).get<std::string>();
}

std::string joined_content(std::string_view text, const Analysis& a) {
  std::string out;
  for (auto [from, to] : a.content) {
    if (!out.empty()) out += "\n";
    out += text.substr(from, to - from);
  }
  return out;
}

}  // namespace

std::optional<ToolCallFormat> tool_call_format_from_name(std::string_view name) {
  if (name == "hermes") return ToolCallFormat::hermes;
  if (name == "llama3_json" || name == "llama") return ToolCallFormat::llama3_json;
  if (name == "mistral") return ToolCallFormat::mistral;
  if (name == "none") return ToolCallFormat::none;
  return std::nullopt;
}

const char* tool_call_format_name(ToolCallFormat format) {
  switch (format) {
    case ToolCallFormat::hermes: return "hermes";
    case ToolCallFormat::llama3_json: return "llama3_json";
    case ToolCallFormat::mistral: return "mistral";
    case ToolCallFormat::json_array: return "json_array";
    case ToolCallFormat::json_arguments: return "json_arguments";
    case ToolCallFormat::none: break;
  }
  return "none";
}

ToolCallFormat detect_tool_call_format(std::string_view source) {
  if (source.find("<tool_call>") != std::string_view::npos) return ToolCallFormat::hermes;
  if (source.find("[TOOL_CALLS]") != std::string_view::npos) return ToolCallFormat::mistral;
  if (source.find("<|python_tag|>") != std::string_view::npos) return ToolCallFormat::llama3_json;
  return ToolCallFormat::none;
}

std::string new_tool_call_id(ToolCallFormat format) {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  static constexpr std::string_view chars =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  const bool mistral = format == ToolCallFormat::mistral;
  std::string id = mistral ? "" : "call_";
  for (int i = 0; i < (mistral ? 9 : 24); ++i) id += chars[rng() % chars.size()];
  return id;
}

ParsedToolOutput parse_tool_calls(const ToolParseOptions& options, std::string_view text) {
  ParsedToolOutput out;
  Analysis a = Analyzer(options, text, true).run();
  if (a.malformed || a.calls.empty()) {
    out.content = std::string(text);
    return out;
  }
  out.content = joined_content(text, a);
  for (const CallSpan& c : a.calls)
    out.calls.push_back({new_tool_call_id(options.format), *c.name, arguments_of(text, c, true)});
  return out;
}

ToolCallStreamParser::ToolCallStreamParser(ToolParseOptions options)
    : options_(std::move(options)) {}

ToolStreamDelta ToolCallStreamParser::feed(std::string_view text) {
  text_ += text;
  return step(false);
}

ToolStreamDelta ToolCallStreamParser::finish() { return step(true); }

ToolStreamDelta ToolCallStreamParser::step(bool at_end) {
  ToolStreamDelta d;
  if (broken_) return d;
  if (!plain_) {
    Analysis a = Analyzer(options_, text_, at_end).run();
    if (a.malformed && sent_.empty()) {
      plain_ = true;  // everything sent so far was a prefix of the text: the rest is content
    } else if (a.malformed) {
      broken_ = true;
      return d;
    } else {
      std::string content = joined_content(text_, a);
      if (content.size() > content_sent_) d.content = content.substr(content_sent_);
      content_sent_ = std::max(content_sent_, content.size());
      for (size_t i = 0; i < a.calls.size(); ++i) {
        const CallSpan& c = a.calls[i];
        if (!c.name) break;
        if (i >= sent_.size()) {
          sent_.push_back({new_tool_call_id(options_.format), 0});
          d.calls.push_back({static_cast<int>(i), true, sent_[i].id, *c.name, ""});
        }
        std::string args = arguments_of(text_, c, at_end);
        if (args.size() > sent_[i].args_sent) {
          d.calls.push_back({static_cast<int>(i), false, "", "", args.substr(sent_[i].args_sent)});
          sent_[i].args_sent = args.size();
        }
      }
      return d;
    }
  }
  if (text_.size() > content_sent_) d.content = text_.substr(content_sent_);
  content_sent_ = text_.size();
  return d;
}

}  // namespace pagoda

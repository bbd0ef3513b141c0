// The Jinja interpreter on its own: each feature chat templates use, with the output Jinja2
// (ImmutableSandboxedEnvironment, trim_blocks and lstrip_blocks on, as transformers sets it up)
// gives for the same template and context.
#include <gtest/gtest.h>

#include <string>

#include "engine/jinja/template.h"

namespace jinja = pagoda::jinja;
using pagoda::OrderedJson;

namespace {

const jinja::Options kTransformers{
    .trim_blocks = true, .lstrip_blocks = true, .name = "chat template"};

std::string render(const std::string& source, const std::string& context = "{}",
                   const jinja::Options& options = kTransformers) {
  return jinja::Template::parse(source, options).render(OrderedJson::parse(context));
}

// Renders and returns the error message (empty if it rendered).
std::string error_of(const std::string& source, const std::string& context = "{}",
                     const jinja::Options& options = kTransformers) {
  try {
    render(source, context, options);
  } catch (const pagoda::Error& e) {
    return e.what();
  }
  return "";
}

struct Case {
  const char* source;
  const char* context;
  const char* expected;
};

// Expected outputs checked against Jinja2 3.1 with transformers' environment.
const Case kCases[] = {
    // whitespace control: trim_blocks, lstrip_blocks, -, +
    {"a\n  {# c #}\nb", "{}", "a\nb"},
    {"a {% if 1 %}\nb{% endif %}\n", "{}", "a b"},
    {"a\n\n", "{}", "a\n"},
    {"  {%- if 1 %} x {% endif -%}  \n y", "{}", " x y"},
    {"{% if 1 +%}\nx{% endif %}", "{}", "\nx"},
    {"a\n  {%+ if 1 %}x{% endif %}", "{}", "a\n  x"},
    {"a\n  {{ 1 }}", "{}", "a\n  1"},
    {"{# c -#}  x", "{}", "x"},
    {"  {% if true %}\n    x\n  {% endif %}\n  y", "{}", "    x\n  y"},
    {"a\r\nb\rc", "{}", "a\nb\nc"},
    // raw
    {"a\n  {% raw %}\n x {% endraw %}\nb", "{}", "a\n\n x b"},
    {"x {%- raw -%}  a {{ b }} {%- endraw -%} y", "{}", "xa {{ b }}y"},
    // literals, printing, Python reprs
    {R"({{ [1,'a',none,true,1.5, {'k':[2]}] }}|{{ (1,2) }}|{{ (1,) }}|{{ 1e20 }}|{{ 1e-5 }})", "{}",
     "[1, 'a', None, True, 1.5, {'k': [2]}]|(1, 2)|(1,)|1e+20|1e-05"},
    {R"({{ "\u00e9\t\x41\'" }}|{{ 'it\'s' }}|{{ ['it\'s', 'q"'] }}|{{ ['a\nb'] }})", "{}",
     "\xc3\xa9\tA'|it's|[\"it's\", 'q\"']|['a\\nb']"},
    {"{{ 'ab' 'cd' }}|{{ 1_000 }}|{{ 0.1 + 0.2 }}|{{ 1.0 }}|{{ 123456789.0 * 1000000000 }}", "{}",
     "abcd|1000|0.30000000000000004|1.0|1.23456789e+17"},
    // arithmetic and comparisons
    {"{{ 10/2 }}|{{ 7//2 }}|{{ -7 % 3 }}|{{ 2**10 }}|{{ -3 // 2 }}|{{ 7 % -3 }}|{{ 2 ** -1 }}",
     "{}", "5.0|3|2|1024|-2|-2|0.5"},
    {"{{ true + true }}|{{ 1 == 1.0 }}|{{ [1,2] == [1,2] }}|{{ 'b' > 'a' }}|{{ [1, 2] < [1, 3] }}",
     "{}", "2|True|True|True|True"},
    {"{{ 1 < 2 < 3 }}{{ 3 > 2 > 1 }}{{ 1 < 3 < 2 }}", "{}", "TrueTrueFalse"},
    {"{{ 'a' * 3 }}|{{ [1] * 2 }}|{{ (1, 2) + (3,) }}|{{ [1] + [2] }}|{{ 'a' ~ 1 ~ none }}", "{}",
     "aaa|[1, 1]|(1, 2, 3)|[1, 2]|a1None"},
    {"{{ 'a' in 'cat' }}{{ 'z' not in 'cat' }}{{ 1 in [1, 2] }}{{ 'a' in {'a': 1} }}{{ not 1 in "
     "[1] }}",
     "{}", "TrueTrueTrueTrueFalse"},
    // truthiness, and/or, inline if
    {"{{ 'x' if [] else 'y' }}{{ none or 'c' }}{{ 1 and 'd' }}{{ '' or 0 }}|{{ 1 if false }}|",
     "{}", "ycd0||"},
    // strings by code point; slicing with negative steps
    {"{{ s|length }}|{{ s[1:4] }}|{{ s[::-1] }}|{{ s[-1] }}|{{ s[1::2] }}", R"({"s": "Héllo"})",
     "5|éll|olléH|o|él"},
    {"{% set a = [1,2,3,4,5] %}{{ a[::2] }}|{{ a[4:1:-2] }}|{{ a[-2:] }}|{{ a[:-1] }}|{{ a[10:] "
     "}}|{{ a[5] is defined }}",
     "{}", "[1, 3, 5]|[5, 3]|[4, 5]|[1, 2, 3, 4]|[]|False"},
    // str methods
    {"{{ 'a b  c'.split() }}|{{ 'a,b,,c'.split(',') }}|{{ 'a b c'.split(None, 1) }}|{{ "
     "'a-b-c'.rsplit('-', 1) }}",
     "{}", "['a', 'b', 'c']|['a', 'b', '', 'c']|['a', 'b c']|['a-b', 'c']"},
    {"{{ '  x '.strip() }}|{{ 'xxaxx'.strip('x') }}|{{ '\\n\\nx\\n'.lstrip('\\n') }}|{{ 'x  "
     "'.rstrip() }}|",
     "{}", "x|a|x\n|x|"},
    {"{{ 'hello'.replace('l','L',1) }}|{{ 'hello'.find('ll') }}|{{ 'hello'.count('l') }}|{{ 'a "
     "b'.upper() }}|{{ 'hello World'.title() }}",
     "{}", "heLlo|2|2|A B|Hello World"},
    {"{{ 'x'.startswith(('a','x')) }}{{ 'abc'.endswith('bc') }}{{ '{0}-{1}-{n}'.format('a', 'b', "
     "n='c') }}",
     "{}", "TrueTruea-b-c"},
    {"{{ '%s=%d'|format('a', 3) }}|{{ '%s!' % 'x' }}|{{ '%.2f' % 3.14159 }}", "{}", "a=3|x!|3.14"},
    // dict methods and attribute vs item lookup
    {"{{ d.get('a') }}|{{ d.get('z') }}|{{ d.get('z', 5) }}|{{ d.keys()|list }}|{{ d.values()|list "
     "}}|{{ d.items()|list }}",
     R"({"d": {"a": 1, "b": [2]}})", "1|None|5|['a', 'b']|[1, [2]]|[('a', 1), ('b', [2])]"},
    {"{% for k, v in d.items() %}{{k}}={{v}} {% endfor %}|{% for k in d %}{{ k }}{% endfor %}",
     R"({"d": {"b": 1, "a": 2}})", "b=1 a=2 |ba"},
    // loops
    {"{% for x in [1,2,3] %}{{ loop.previtem }}/{{ loop.nextitem }}/{{ loop.revindex }}/{{ "
     "loop.revindex0 }};{% endfor %}",
     "{}", "/2/3/2;1/3/2/1;2//1/0;"},
    {"{% for x in 'ab' %}{{ loop.index }}{{ loop.index0 }}{{ loop.first }}{{ loop.last }}{{ "
     "loop.length }} {% endfor %}",
     "{}", "10TrueFalse2 21FalseTrue2 "},
    {"{% for x in [] %}a{% else %}empty{% endfor %}|{% for x in u %}x{% else %}none{% endfor %}",
     "{}", "empty|none"},
    {"{% for x in [1,2,3,4] if x is even %}{{ loop.index }}:{{ x }}{{ ',' if not loop.last }}{% "
     "endfor %}",
     "{}", "1:2,2:4"},
    {"{% for a, b in [[1, 2], [3, 4]] %}{{ a + b }},{% endfor %}", "{}", "3,7,"},
    {"{%- for i in range(5) -%}{%- if i == 1 %}{% continue %}{% endif -%}{%- if i == 3 %}{% break "
     "%}{% endif -%}{{ i }}{%- endfor -%}",
     "{}", "02"},
    {"{% for a in [1,2] %}{% for b in [3,4] %}{% if b == 4 %}{% break %}{% endif %}{{a}}{{b}}{{ "
     "loop.length }} {% endfor %}{% endfor %}",
     "{}", "132 232 "},
    {"{% for i in range(3) %}{{ loop.cycle('o', 'e') }}{% endfor %}|{{ range(1,6,2)|list }}|{{ "
     "range(3, 0, -1)|list }}",
     "{}", "oeo|[1, 3, 5]|[3, 2, 1]"},
    // scoping: set in a loop does not leak; namespace does
    {"{% for i in [1,2] %}{% if i == 2 %}{{ x }}{% endif %}{% set x = i %}{% endfor %}[{{ x }}]",
     "{}", "[]"},
    {"{% set x = 'o' %}{% for i in [1] %}{% set x = 'i' %}{{ x }}{% endfor %}{{ x }}{% if 1 %}{% "
     "set x = 'f' %}{% endif %}{{ x }}",
     "{}", "iof"},
    {"{% set ns = namespace(n=0, seen=false) %}{% for i in range(4) %}{% set ns.n = ns.n + i %}{% "
     "endfor %}{{ ns.n }}{{ ns.seen }}|{{ ns }}",
     "{}", "6False|<Namespace {'n': 6, 'seen': False}>"},
    {"{% set ns = namespace(a=1) %}{% set ns.me = ns %}{{ ns }}|{% set l = [ns] %}{% set ns.l = l "
     "%}{{ l }}",
     "{}",
     "<Namespace {'a': 1, 'me': <Namespace {...}>}>|[<Namespace {'a': 1, 'me': <Namespace {...}>, "
     "'l': [...]}>]"},
    {"{% set a, b = [1, 2] %}{{ a }}{{ b }}|{% set t = 1, 2 %}{{ t }}", "{}", "12|(1, 2)"},
    {"{% set x %}  hi {{ 1 }}{% endset %}[{{ x }}]|{% set y | upper %}up{% endset %}{{ y }}", "{}",
     "[  hi 1]|UP"},
    // macros and call blocks
    {"{% macro m(a, b=2) %}{{a}}-{{b}}-{{ caller() if caller else '' }}{% endmacro %}{{ m(1) }}|{% "
     "call m(3, b=4) %}body{% endcall %}",
     "{}", "1-2-|3-4-body"},
    {"{% macro outer() %}[{{ caller('x') }}]{% endmacro %}{% call(v) outer() %}got {{ v }}{% "
     "endcall %}",
     "{}", "[got x]"},
    {"{% set g = 'G' %}{% macro m() %}{{ g }}{% endmacro %}{{ m() }}", "{}", "G"},
    {"{% filter upper %}abc{{ 1 }}{% endfilter %}", "{}", "ABC1"},
    {"{% generation %}g{% endgeneration %}", "{}", "g"},
    // filters
    {"{{ x|tojson }}",
     R"({"x": {"a": [1, 2, {"b": "é\n\u0001"}], "c": {}, "d": [], "e": null, "f": 1.5, "g": true}})",
     R"({"a": [1, 2, {"b": "é\n\u0001"}], "c": {}, "d": [], "e": null, "f": 1.5, "g": true})"},
    {"{{ x|tojson(indent=2) }}", R"({"x": {"a": [1, {"b": "c"}], "e": {}}})",
     "{\n  \"a\": [\n    1,\n    {\n      \"b\": \"c\"\n    }\n  ],\n  \"e\": {}\n}"},
    {"{{ x|tojson(sort_keys=true) }}|{{ x|tojson(separators=(',', ':')) }}|{{ 'q\"<'|tojson }}",
     R"({"x": {"b": 1, "a": [1, 2]}})", R"({"a": [1, 2], "b": 1}|{"b":1,"a":[1,2]}|"q\"<")"},
    {"{{ x|default('d') }}|{{ none|default('d') }}|{{ none|default('d', true) }}|{{ ''|d('e', "
     "true) }}",
     "{}", "d|None|d|e"},
    {"{{ msgs|selectattr('role','equalto','user')|map(attribute='content')|join(',') }}|{{ "
     "msgs|map(attribute='x', default='D')|list }}",
     R"({"msgs": [{"role":"user","content":"a"},{"role":"bot","content":"b"},{"role":"user","content":"c"}]})",
     "a,c|['D', 'D', 'D']"},
    {"{{ [1,2,3,4]|select('odd')|list }}|{{ [1,2,3,4]|reject('gt', 2)|list }}|{{ "
     "['a','B']|map('upper')|list }}|{{ [0, 1, '', 'a', none]|select|list }}",
     "{}", "[1, 3]|[1, 2]|['A', 'B']|[1, 'a']"},
    {"{{ msgs|rejectattr('role', 'in', ['bot'])|list|length }}|{{ "
     "msgs|map(attribute='role')|unique|join(', ') }}",
     R"({"msgs": [{"role":"user"},{"role":"bot"},{"role":"user"}]})", "2|user, bot"},
    {"{{ {'b':1,'a':2}|dictsort }}|{{ {'b':1,'a':2}|dictsort(by='value') }}|{{ [3,1,2]|sort }}|{{ "
     "[3,1,2]|sort(reverse=true) }}",
     "{}", "[('a', 2), ('b', 1)]|[('b', 1), ('a', 2)]|[1, 2, 3]|[3, 2, 1]"},
    {"{{ ['b', 'A', 'c']|sort }}|{{ ['b', 'A', 'c']|sort(case_sensitive=true) }}|{{ "
     "[1,2,1]|unique|list }}|{{ [1,2]|reverse|list }}",
     "{}", "['A', 'b', 'c']|['A', 'b', 'c']|[1, 2]|[2, 1]"},
    {"{{ 'Hello wORLD-foo bar'|title }}|{{ 'aBC'|capitalize }}|{{ 'AbC'|lower }}|{{ 'abc'|upper }}",
     "{}", "Hello World-Foo Bar|Abc|abc|ABC"},
    {"{{ '  x  '|trim }}|{{ 'xxhixx'|trim('x') }}|{{ 'a b'|replace(' ', '_') }}|{{ '<a&>'|e }}|{{ "
     "'<b>'|safe }}",
     "{}", "x|hi|a_b|&lt;a&amp;&gt;|<b>"},
    {"{{ 'a\\nb'|indent(2) }}|{{ 'a\\n\\nb'|indent(2, true) }}|{{ 'a\\n\\nb'|indent(2, blank=true) "
     "}}",
     "{}", "a\n  b|  a\n\n  b|a\n  \n  b"},
    {"{{ '5'|int + 1 }}|{{ '5.7'|int }}|{{ 5.7|int }}|{{ 'z'|int(9) }}|{{ '1e3'|float }}|{{ "
     "3|float }}|{{ none|string }}",
     "{}", "6|5|5|9|1000.0|3.0|None"},
    {"{{ 1.5|round }}|{{ 2.5|round }}|{{ 2.675|round(2) }}|{{ 3.7|round(method='floor') }}|{{ "
     "-1.5|abs }}|{{ -3|abs }}",
     "{}", "2.0|2.0|2.67|3.0|1.5|3"},
    {"{{ [3, 1]|max }}|{{ [3, 1]|min }}|{{ [1, 2]|sum }}|{{ [[1],[2]]|sum(start=[]) }}|{{ "
     "[1,2]|first }}{{ [1,2]|last }}|{{ []|first }}|",
     "{}", "3|1|3|[1, 2]|12||"},
    {"{{ range(10)|batch(3)|list }}|{{ 'abc'|list }}|{{ 'abc'|reverse }}|{{ 'ab'|length }}{{ "
     "'é'|count }}",
     "{}", "[[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]|['a', 'b', 'c']|cba|21"},
    {"{{ 'héllo wörld'|upper }}|{{ 'ÀÉÎ'|lower }}|{{ 'élan vital'|title }}|{{ 'ñandú'.capitalize() "
     "}}|{{ 'привет мир'.title() }}",
     "{}", "HÉLLO WÖRLD|àéî|Élan Vital|Ñandú|Привет Мир"},
    {"{{ {'a': 1}|items|list }}|{{ [1, 2]|string }}|{{ 'x'|string ~ 1|string }}", "{}",
     "[('a', 1)]|[1, 2]|x1"},
    // tests
    {"{{ 'abc' is string }}|{{ {} is mapping }}|{{ [] is sequence }}|{{ 1 is number }}|{{ true is "
     "boolean }}|{{ 1.0 is integer }}|{{ 1 is integer }}|{{ none is none }}",
     "{}", "True|True|True|True|True|False|True|True"},
    {"{{ 3 is divisibleby 3 }}|{{ 'a' is in 'abc' }}|{{ 5 is odd }}|{{ 5 is even }}|{{ true is "
     "true }}|{{ 1 is true }}|{{ false is false }}",
     "{}", "True|True|True|False|True|False|True"},
    {"{{ u is defined }}|{{ u is undefined }}|{{ 1 is not none }}|{{ 2 is eq 2 }}|{{ 2 is ne 2 "
     "}}|{{ [] is iterable }}|{{ 'a' is lower }}",
     "{}", "False|True|True|True|False|True|True"},
    // undefined semantics: printing, iterating, length and defaults work; attribute access errors
    {"[{{ u }}]|{{ u|length }}|{{ 'a' in u }}|{{ u|default('x') }}|{{ u == u2 }}|{{ u ~ 'a' }}|{{ "
     "d.x is defined }}",
     R"({"d": {}})", "[]|0|False|x|True|a|False"},
    {"{{ [].append }}|{{ loop }}|{{ strftime_now }}", "{}", "||"},
};

TEST(Jinja, MatchesJinja2) {
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.source);
    try {
      EXPECT_EQ(render(c.source, c.context), c.expected);
    } catch (const std::exception& e) {
      ADD_FAILURE() << "threw: " << e.what();
    }
  }
}

TEST(Jinja, DefaultOptionsKeepBlockWhitespace) {
  jinja::Options plain;
  EXPECT_EQ(render("a\n  {% if 1 %}\nb{% endif %}\n", "{}", plain), "a\n  \nb");
  EXPECT_EQ(render("{% for i in [1, 2] %}\n{{ i }}{% endfor %}", "{}", plain), "\n1\n2");
}

TEST(Jinja, RuntimeErrorsNameTheLine) {
  // Jinja2: UndefinedError / TypeError; here pagoda::Error with the template line.
  EXPECT_EQ(error_of("a\n{{ u.x }}"), "chat template line 2: 'u' is undefined");
  EXPECT_EQ(error_of("\n\n{{ d.x.y }}", R"({"d": {}})"),
            "chat template line 3: 'dict object' has no attribute 'x'");
  EXPECT_EQ(error_of("{{ 'a' + 1 }}"),
            "chat template line 1: can only concatenate str (not \"int\") to str");
  EXPECT_EQ(error_of("{{ 'a' + [1] }}"),
            "chat template line 1: can only concatenate str (not \"list\") to str");
  EXPECT_EQ(error_of("{{ 'a' < 1 }}"),
            "chat template line 1: '<' not supported between instances of 'str' and 'int'");
  EXPECT_EQ(error_of("{{ l.startswith('x') }}", R"({"l": [1]})"),
            "chat template line 1: 'list object' has no attribute 'startswith'");
  EXPECT_EQ(error_of("{{ 1 / 0 }}"), "chat template line 1: division by zero");
  EXPECT_EQ(error_of("{{ u() }}"), "chat template line 1: 'u' is undefined");
  EXPECT_EQ(error_of("{{ u + 1 }}"), "chat template line 1: 'u' is undefined");
  EXPECT_EQ(error_of("{{ (1 if false).x }}"),
            "chat template line 1: the inline if-expression evaluated to false and no else section "
            "was defined");
  EXPECT_EQ(error_of("{% set l = [1] %}\n{{ l.append(2) }}"),
            "chat template line 2: access to attribute 'append' of 'list' object is unsafe.");
  EXPECT_EQ(error_of("{{ u|tojson }}"),
            "chat template line 1: Object of type Undefined is not JSON serializable");
  EXPECT_EQ(error_of("{% for x in 5 %}{% endfor %}"),
            "chat template line 1: 'int' object is not iterable");
  EXPECT_EQ(error_of("{% set x = 1 %}{% set x.a = 2 %}"),
            "chat template line 1: can only set attributes of a namespace, and 'x' is not one");
}

TEST(Jinja, SyntaxErrorsNameTheLine) {
  EXPECT_EQ(error_of("ok\n{{ x|foo }}"), "chat template line 2: unknown filter 'foo'");
  EXPECT_EQ(error_of("{% if x is blah %}{% endif %}"), "chat template line 1: unknown test 'blah'");
  EXPECT_EQ(error_of("{% if x %}\n\nno end"),
            "chat template line 3: unexpected end of template: expected 'elif'");
  EXPECT_EQ(error_of("{% frobnicate %}"), "chat template line 1: unknown tag 'frobnicate'");
  EXPECT_EQ(error_of("{{ 1 +  }}"), "chat template line 1: unexpected '}}'");
  EXPECT_EQ(error_of("\n{{ 'abc }}"),
            "chat template line 2: unexpected end of template: unterminated string");
  EXPECT_EQ(error_of("{{ x "), "chat template line 1: unexpected end of template: missing '}}'");
  EXPECT_EQ(error_of("{# never closed"),
            "chat template line 1: unexpected end of template: missing end of comment");
  EXPECT_EQ(error_of("{% break %}"), "chat template line 1: 'break' outside of a loop");
  EXPECT_EQ(error_of("{% endfor %}"), "chat template line 1: unknown tag 'endfor'");
}

TEST(Jinja, RaisedErrorKeepsItsMessage) {
  auto t =
      jinja::Template::parse("x\n{{ raise_exception('Roles must alternate') }}", kTransformers);
  std::map<std::string, jinja::Value> globals;
  globals["raise_exception"] =
      jinja::Value::callable("raise_exception", [](const jinja::CallArgs& a) -> jinja::Value {
        throw jinja::RaisedError(a.positional.at(0).str());
      });
  try {
    t.render(OrderedJson::object(), globals);
    FAIL() << "expected an exception";
  } catch (const jinja::RaisedError& e) {
    EXPECT_STREQ(e.what(), "Roles must alternate");
  }
}

TEST(Jinja, LimitsStopRunawayTemplates) {
  jinja::Options small = kTransformers;
  small.max_steps = 10'000;
  small.max_output_bytes = 1 << 16;
  small.max_nesting = 16;
  EXPECT_NE(error_of("{% for i in range(50000) %}{% endfor %}", "{}", small).find("ran too long"),
            std::string::npos);
  EXPECT_NE(error_of("{% for i in range(1000) %}{{ 'x' * 1000 }}{% endfor %}", "{}", small)
                .find("exceeds"),
            std::string::npos);
  EXPECT_NE(error_of("{% set ns = namespace(s='ab') %}{% for i in range(40) %}{% set ns.s = ns.s ~ "
                     "ns.s %}{% endfor %}",
                     "{}", small)
                .find("too long"),
            std::string::npos);
  EXPECT_NE(error_of("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}", "{}", small)
                .find("nested too deeply"),
            std::string::npos);
  EXPECT_NE(error_of("{{ range(100000)|length }}", "{}", small).find("range too large"),
            std::string::npos);
  EXPECT_NE(
      error_of("{{ " + std::string(200, '(') + "1" + std::string(200, ')') + " }}", "{}", small)
          .find("nested too deeply"),
      std::string::npos);
  EXPECT_NE(error_of("{{ 'x' * 100000000000 }}", "{}", small).find("too long"), std::string::npos);
  // Each string fits the limits, but together they are too much work.
  EXPECT_NE(error_of("{% set ns = namespace(s='x' * 60000) %}{% for i in range(5000) %}{% set ns.t "
                     "= ns.s ~ 'y' %}{% endfor %}",
                     "{}", small)
                .find("built too much text"),
            std::string::npos);
  EXPECT_NE(error_of("{{ 9223372036854775807 + 1 }}", "{}", small).find("overflow"),
            std::string::npos);
}

TEST(Jinja, ContextKeepsDictOrder) {
  EXPECT_EQ(render("{% for k, v in d|items %}{{ k }}{{ v }}{% endfor %}",
                   R"({"d": {"z": 1, "a": 2, "m": 3}})"),
            "z1a2m3");
  EXPECT_EQ(render("{{ d|tojson }}", R"({"d": {"z": 1, "a": 2}})"), R"({"z": 1, "a": 2})");
}

TEST(Jinja, TemplateIsReusableAndConst) {
  const auto t = jinja::Template::parse("{{ a }}{% set a = 2 %}{{ a }}", kTransformers);
  EXPECT_EQ(t.render(OrderedJson::parse(R"({"a": 1})")), "12");
  EXPECT_EQ(t.render(OrderedJson::parse(R"({"a": 5})")), "52");
}

}  // namespace

#!/usr/bin/env python3
"""Renders the tool-style templates of this folder with Jinja2 in transformers' environment
(trim_blocks, lstrip_blocks, loopcontrols, tojson as json.dumps, raise_exception), the reference
for tests/engine/test_tool_parser.cpp. Messages are stored as OpenAI clients send them; before
rendering they are normalized as vLLM does (an assistant's tool-call arguments given as a JSON
string become the object, its null content ""). Usage: python3 make_goldens.py > goldens.jsonl"""
import json
import pathlib

import jinja2
import jinja2.ext
import jinja2.sandbox

HERE = pathlib.Path(__file__).parent
TEMPLATES = {
    "qwen2.5-style.jinja": {},
    "llama3.1-style.jinja": {"bos_token": "<|begin_of_text|>", "eos_token": "<|eot_id|>"},
    "mistral-v3-style.jinja": {"bos_token": "<s>", "eos_token": "</s>"},
}
TOOLS = [
    {"type": "function", "function": {"name": "get_weather", "description": "Weather of a city",
     "parameters": {"type": "object", "properties": {"city": {"type": "string"},
                    "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}},
                    "required": ["city"]}}},
    {"type": "function", "function": {"name": "get_time", "description": "Time in a zone (\u6642\u523b)",
     "parameters": {"type": "object", "properties": {"tz": {"type": "string"}}}}},
]


def call(cid, name, args):
    return {"id": cid, "type": "function", "function": {"name": name, "arguments": json.dumps(args, ensure_ascii=False)}}


def cases(cid, cid2):
    user = {"role": "user", "content": "What's the weather in Beijing?"}
    one = {"role": "assistant", "content": None, "tool_calls": [call(cid, "get_weather", {"city": "Beijing", "unit": "celsius"})]}
    two = {"role": "assistant", "content": None, "tool_calls": [call(cid, "get_weather", {"city": "北京"}),
                                                                 call(cid2, "get_time", {"tz": "Asia/Shanghai"})]}
    result = {"role": "tool", "tool_call_id": cid, "content": '{"temperature": 21, "condition": "sunny"}'}
    result2 = {"role": "tool", "tool_call_id": cid2, "content": '{"time": "12:00"}'}
    return [
        ("tools_first_turn", [{"role": "system", "content": "You are terse."}, user], TOOLS),
        ("tool_round_trip", [user, one, result], TOOLS),
        ("two_calls_round_trip", [user, two, result, result2], TOOLS),
        ("no_tools", [user], None),
    ]


def normalize(messages):
    out = []
    for m in messages:
        m = json.loads(json.dumps(m))
        if m["role"] == "assistant" and m.get("tool_calls"):
            for c in m["tool_calls"]:
                a = c["function"].get("arguments")
                if isinstance(a, str):
                    try:
                        parsed = json.loads(a)
                        if isinstance(parsed, dict):
                            c["function"]["arguments"] = parsed
                    except ValueError:
                        pass
            if m.get("content") is None:
                m["content"] = ""
        out.append(m)
    return out


def environment():
    def raise_exception(message):
        raise jinja2.exceptions.TemplateError(message)

    def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
        return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)

    env = jinja2.sandbox.ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True,
                                                       extensions=[jinja2.ext.loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    return env


def main():
    env = environment()
    for name, special in TEMPLATES.items():
        template = env.from_string((HERE / name).read_text())
        ids = ("abc123XYZ", "def456UVW") if "mistral" in name else ("call_abc123", "call_def456")
        for case, messages, tools in cases(*ids):
            line = {"template": name, "case": case, "messages": messages, "tools": tools}
            try:
                line["rendered"] = template.render(messages=normalize(messages), tools=tools,
                                                   add_generation_prompt=True, documents=None, **special)
            except jinja2.exceptions.TemplateError as e:
                line["error"] = str(e)
            print(json.dumps(line, ensure_ascii=False))


main()

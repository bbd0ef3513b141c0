#!/usr/bin/env python3
"""Constrained decoding on random-weight models (which otherwise emit noise): every completion
of every case and seed must end with finish_reason "stop" and match its case, checked with an
independent validator (python3-jsonschema, Python's re), never with the grammar engine.
    check_structured_output.py HELPER MODEL_DIR CASES_JSON SEEDS MAX_TOKENS
"""
import json
import re
import subprocess
import sys

import jsonschema


def main():
    helper, model, cases_path, seeds, max_tokens = sys.argv[1:6]
    with open(cases_path, encoding="utf-8") as f:
        cases = json.load(f)
    out = subprocess.run([helper, model, cases_path, seeds, max_tokens], check=True,
                         capture_output=True, text=True, timeout=600).stdout
    failures, total, tokens = 0, 0, 0
    distinct = [set() for _ in cases]
    for line in out.splitlines():
        r = json.loads(line)
        case = cases[r["case"]]
        total += 1
        tokens += r["tokens"]
        text = r["text"]
        distinct[r["case"]].add(text)
        why = None
        if r["finish"] != "stop":
            why = f"finish {r['finish']} {r['error']}"
        elif "json_schema" in case or "json_object" in case:
            try:
                value = json.loads(text)
                if "json_schema" in case:
                    jsonschema.Draft202012Validator(case["json_schema"]).validate(value)
                elif not isinstance(value, dict):
                    why = "not an object"
            except (ValueError, jsonschema.ValidationError) as e:
                why = f"{type(e).__name__}: {str(e).splitlines()[0]}"
        elif "regex" in case:
            if not re.fullmatch(case["regex"].lstrip("^").rstrip("$"), text):
                why = "does not match the regex"
        elif "choice" in case:
            if text not in case["choice"]:
                why = "not one of the choices"
        if why:
            failures += 1
            print(f"FAIL case {r['case']} seed {r['seed']}: {why}: {text!r}")
    expected = len(cases) * int(seeds)
    if total != expected:
        print(f"FAIL: {total} completions, expected {expected}")
        failures += 1
    for i, d in enumerate(distinct):
        # Temperature 1 on noise: the outputs must vary (a constant output proves little).
        if "choice" not in cases[i] and len(d) < min(int(seeds), 10) // 2:
            print(f"FAIL case {i}: only {len(d)} distinct outputs")
            failures += 1
    print(f"{total} completions ({tokens} tokens), {failures} failures; distinct outputs per case:",
          [len(d) for d in distinct])
    for i, d in enumerate(distinct):
        print(f"  case {i} e.g. {sorted(d)[0]!r}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

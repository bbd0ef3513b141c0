#!/usr/bin/env python3
"""Reference outputs for test_unicode, from Python's unicodedata and str.lower() (an
independent implementation of the same Unicode algorithms). One JSON object per line:
{"s": input, "nfc", "nfd", "nfkc", "nfkd", "lower"}; corpus lines also carry "nfkc_lower".
Only code points assigned in Python's Unicode version are used, so a newer library version
cannot disagree on characters Python does not know."""
import json
import random
import sys
import unicodedata

FORMS = ("NFC", "NFD", "NFKC", "NFKD")


def assigned(cp):
    c = chr(cp)
    return unicodedata.category(c) not in ("Cn", "Cs")


def emit(s, extra=None):
    line = {"s": s, "lower": s.lower()}
    for f in FORMS:
        line[f.lower()] = unicodedata.normalize(f, s)
    if extra:
        line.update(extra)
    sys.stdout.write(json.dumps(line) + "\n")


def main():
    corpus_path = sys.argv[1]
    chars = [cp for cp in range(0x110000) if assigned(cp)]
    # Every assigned character on its own, and its canonical decomposition (so composition is
    # exercised for every composite).
    for cp in chars:
        c = chr(cp)
        emit(c)
        d = unicodedata.normalize("NFD", c)
        if d != c:
            emit(d)
    # Random runs of letters, marks (out of order) and Hangul jamo, seeded.
    rng = random.Random(16)
    marks = [cp for cp in chars if unicodedata.category(chr(cp)) in ("Mn", "Mc", "Me")]
    letters = [cp for cp in chars if unicodedata.category(chr(cp)).startswith("L")]
    jamo = list(range(0x1100, 0x1113)) + list(range(0x1161, 0x1176)) + list(range(0x11A8, 0x11C3))
    for _ in range(3000):
        n = rng.randint(1, 8)
        pool = rng.choice([marks, letters, jamo, chars])
        s = "".join(chr(rng.choice(pool if rng.random() < 0.6 else marks)) for _ in range(n))
        emit(s)
    # Greek words: the final sigma rule of lowercasing.
    for w in ("ΟΔΥΣΣΕΥΣ", "ΣΑΣ ΣΟΣ Σ", "ΑΣ.", "ΑΣ'Β", "Σ", "ΑΣ\u0301", "İSTANBUL", "ΑΣΑ", "A\u03a3\u0345b"):
        emit(w)
    with open(corpus_path, encoding="utf-8") as f:
        for text in json.load(f):
            emit(text, {"nfkc_lower": unicodedata.normalize("NFKC", text).lower()})


main()

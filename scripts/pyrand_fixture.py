#!/usr/bin/python3
"""Writes cases/pyrand/testdata/cpython_random.json: numbers drawn by CPython's
random.Random for several seeds, which the Go package pyrand must reproduce.

Run from the repository root with Debian's interpreter: /usr/bin/python3 scripts/pyrand_fixture.py
"""
import json
import random
import string
import sys

SEEDS = [0, 1, 42, 43, -42, 2**32 + 7, 2**40 + 5, 123456789012345]


def draws(seed):
    out = {"seed": seed}
    r = random.Random(seed)
    out["uint32"] = [r.getrandbits(32) for _ in range(8)]
    r = random.Random(seed)
    ks = [1, 3, 7, 16, 31, 32, 33, 48, 63, 64, 0, 5]
    out["getrandbits_k"] = ks
    out["getrandbits"] = [r.getrandbits(k) for k in ks]
    r = random.Random(seed)
    # randint pairs, each (a, b) drawn in turn
    pairs = [(4, 10), (0, 1), (-5, 5), (1, 1), (0, 1000), (4, 60), (0, 2**31), (3, 4)]
    out["randint_args"] = pairs
    out["randint"] = [r.randint(a, b) for a, b in pairs]
    r = random.Random(seed)
    lens = [1, 2, 3, 5, 10, 26, 52, 100, 7]
    out["choice_lens"] = lens
    out["choice"] = [r.choice(range(n)) for n in lens]
    r = random.Random(seed)
    out["random"] = [repr(r.random()) for _ in range(5)]
    # the circuits-benchmark sampling loop for a 5-letter vocab, lengths 4..10
    r = random.Random(seed)
    vals = sorted("abcde")
    rows = []
    for _ in range(20):
        seq_len = r.randint(4, 10)
        rows.append([r.choice(vals) for _ in range(seq_len - 1)])
    out["sample_rows"] = rows
    return out


def words(seed=42, min_chars=1, max_chars=8, min_words=5, max_words=20):
    random.seed(seed)
    vocab = set()
    for _ in range(random.randint(min_words, max_words)):
        word = "".join(random.choice(string.ascii_letters) for _ in range(random.randint(min_chars, max_chars)))
        vocab.add(word)
    return sorted(vocab)


def main():
    data = {
        "python": sys.version.split()[0],
        "draws": [draws(s) for s in SEEDS],
        "words": [
            {"args": [42, 1, 8, 5, 20], "vocab": words()},
            {"args": [42, 4, 8, 5, 50], "vocab": words(min_chars=4, max_words=50)},
            {"args": [42, 4, 8, 5, 10], "vocab": words(min_chars=4, max_words=10)},
        ],
    }
    with open("cases/pyrand/testdata/cpython_random.json", "w") as f:
        json.dump(data, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()

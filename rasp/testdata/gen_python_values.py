#!/usr/bin/env python3
"""Generates python_values.json: what CPython says about a set of RASP values.

Run from the repository root with Debian's interpreter:
    /usr/bin/python3 rasp/testdata/gen_python_values.py

For every value: str(), repr(), bool(). For every ordered pair: ==, <, and the
results (or the exception class) of + - * / // %. For basis directions: the
result of a (name, value) < (name, value) comparison with the fallback to
comparing "name:value" strings when Python raises TypeError (the rule of
tracr's BasisDirection.__lt__, restated here). For a few lists: the elements a
Python dict/set keeps (first representative of equal values).
"""
import json
import os

VALUES = [None, True, False, 0, 1, -1, 2, -7, 1.0, 0.0, 0.5, 3.0, -2.5, 1 / 3, "a", "b", "BOS",
          "", (1, "a"), (1,), ("a", 1)]
# Only formatted (str/repr/bool), not combined in pairs.
FORMAT_ONLY = [0.1 + 0.2, 1e16, 1e15, 123456789.0, 1e-5, 0.0001, 1.5e300, float("inf"), -0.0, 2 / 3,
               "it's", 'say "hi"', "10", "x\ny", (1, 2), (), ("a", (None, 2.0))]


def enc(v):
    if v is None:
        return {"t": "none"}
    if isinstance(v, bool):
        return {"t": "bool", "v": v}
    if isinstance(v, int):
        return {"t": "int", "v": v}
    if isinstance(v, float):
        return {"t": "float", "v": repr(v)}
    if isinstance(v, str):
        return {"t": "str", "v": v}
    if isinstance(v, tuple):
        return {"t": "tuple", "v": [enc(x) for x in v]}
    raise TypeError(type(v))


def attempt(f):
    try:
        return {"ok": enc(f())}
    except Exception as e:  # noqa: BLE001 - we record the exception class
        return {"err": type(e).__name__}


class Direction:
    """A basis direction ordered as tracr orders them."""

    def __init__(self, name, value=None):
        self.name, self.value = name, value

    def __str__(self):
        return self.name if self.value is None else f"{self.name}:{self.value}"

    def __lt__(self, other):
        try:
            return (self.name, self.value) < (other.name, other.value)
        except TypeError:
            return str(self) < str(other)


def main():
    out = {"values": [], "pairs": [], "basis": [], "sets": []}
    for v in VALUES + FORMAT_ONLY:
        out["values"].append({"v": enc(v), "str": str(v), "repr": repr(v), "bool": bool(v)})
    ops = {
        "+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b,
        "/": lambda a, b: a / b, "//": lambda a, b: a // b, "%": lambda a, b: a % b,
        "<": lambda a, b: a < b, "<=": lambda a, b: a <= b, "==": lambda a, b: a == b,
    }
    for a in VALUES:
        for b in VALUES:
            if isinstance(a, float) and abs(a) > 1e200 or isinstance(b, float) and abs(b) > 1e200:
                continue  # keep overflow-prone pairs out
            rec = {"a": enc(a), "b": enc(b)}
            for name, f in ops.items():
                if name in "*" and (isinstance(a, (str, tuple)) or isinstance(b, (str, tuple))):
                    continue  # sequence repetition by big ints is not interesting
                rec[name] = attempt(lambda: f(a, b))
            out["pairs"].append(rec)
    dirs = [Direction("tokens", v) for v in ["a", "BOS", "PAD", "J", "LB", "b", "poiVg", 1, 2, 10, 0]]
    dirs += [Direction("out", v) for v in [True, False, None, 1, 0.5, "x", (1, "a")]]
    dirs += [Direction("one"), Direction("indices", 3), Direction("indices", 12)]
    for a in dirs:
        for b in dirs:
            out["basis"].append({"a_name": a.name, "a": enc(a.value), "b_name": b.name, "b": enc(b.value),
                                 "less": a < b})
    for lst in [[1, 1.0, True], [True, 1, 1.0], [0.0, False, 0, "0"], [2.0, 2, "a", "a", (1, 2), (1.0, 2)]]:
        out["sets"].append({"in": [enc(x) for x in lst], "out": [enc(x) for x in dict.fromkeys(lst)]})
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "python_values.json"), "w") as fh:
        json.dump(out, fh, separators=(",", ":"))
        fh.write("\n")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Writes libm.json.gz: CPython's math results (glibc) for the functions the
rasp/star math module computes with correctly rounded arithmetic.

Run from the repository root with Debian's interpreter (glibc 2.36, as the
reference data): /usr/bin/python3 rasp/star/testdata/gen_libm.py
Floats are written with float.hex() so every bit is kept.
"""
import gzip
import json
import math
import os

FUNCS = ["exp", "log", "log2", "log10", "sin", "cos", "tan", "atan", "asin", "acos", "sinh", "cosh", "tanh"]


def inputs():
    xs = set()
    for i in range(-30, 31):
        xs.add(float(i))
    for k in range(-60, 61):
        xs.add(k / 8)
        xs.add(k / 10)
    for k in range(-30, 31, 2):
        xs.add(k / 3)
    for v in [100.0, 123.456, 1000.0, 1e5, 12345.678, 1e-10, 3e-5, 0.999, -0.999, 1e-300, 700.0, -700.0,
              709.5, 1e15, 2 ** 52 + 0.5, math.pi, math.e, 0.5403023058681398]:
        xs.add(v)
        xs.add(-v)
    return sorted(xs)


def main():
    out = {"unary": [], "pow": [], "log_base": []}
    for name in FUNCS:
        f = getattr(math, name)
        for x in inputs():
            try:
                r = {"ok": f(x).hex()}
            except (ValueError, OverflowError) as e:
                r = {"err": type(e).__name__}
            out["unary"].append({"f": name, "x": x.hex(), **r})
    bases = [0.5, 2.0, 3.0, 10.0, -8.0, 1.5, 0.1, 7.0, 2.718281828459045]
    exps = [0.5, 1 / 3, 2.0, 3.0, -1.0, -0.5, 10.0, 0.1, 2.5, 100.0, 1100.0]
    for x in bases + [float(i) for i in range(1, 12)]:
        for y in exps:
            try:
                r = {"ok": math.pow(x, y).hex()}
            except (ValueError, OverflowError) as e:
                r = {"err": type(e).__name__}
            out["pow"].append({"x": x.hex(), "y": y.hex(), **r})
    for x in [2.0, 8.0, 10.0, 100.0, 1000.0, 3.0, 0.5, 7.0]:
        for b in [2.0, 10.0, 3.0, 0.5]:
            out["log_base"].append({"x": x.hex(), "b": b.hex(), "ok": math.log(x, b).hex()})
    here = os.path.dirname(os.path.abspath(__file__))
    data = (json.dumps(out, separators=(",", ":")) + "\n").encode()
    with gzip.GzipFile(os.path.join(here, "libm.json.gz"), "wb", mtime=0) as fh:
        fh.write(data)


if __name__ == "__main__":
    main()

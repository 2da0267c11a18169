#!/usr/bin/env python3
"""Times tracr's reference RASP evaluator on the rows the Go benchmarks use.

Usage: /usr/bin/python3 rasp/testdata/bench_python_eval.py PATH/TO/tracr/rasp/rasp.py
(get rasp.py from FlyingPumba/tracr 98f4910: git show HEAD:tracr/rasp/rasp.py).
absl is stubbed if it is not installed (rasp.py only uses absl.logging.warning).

Prints rows per wall second and per CPU second (best of 5) for: case 3 (make_frac_prevs(tokens == "x"), all 320
contents of length 3..4 over a,b,c,x) and case 18 (hist + length +
SequenceMap with a lambda, all 780 contents of length 1..4 over a..e).
"""
import importlib.util
import itertools
import sys
import time
import types


def load_rasp(path):
    if "absl" not in sys.modules:
        try:
            import absl  # noqa: F401
        except ImportError:
            absl = types.ModuleType("absl")
            absl.logging = types.SimpleNamespace(warning=lambda *a, **k: None)
            sys.modules["absl"] = absl
            sys.modules["absl.logging"] = absl.logging
    spec = importlib.util.spec_from_file_location("tracr_rasp", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def contents(vocab, lengths):
    for n in lengths:
        for c in itertools.product(sorted(vocab), repeat=n):
            yield list(c)


def time_rows(program, rows, repeat=5):
    """Best of `repeat` runs: (rows per wall second, rows per CPU second)."""
    best_wall = best_cpu = float("inf")
    for _ in range(repeat):
        w0, c0 = time.perf_counter(), time.process_time()
        for r in rows:
            program(r)
        best_wall = min(best_wall, time.perf_counter() - w0)
        best_cpu = min(best_cpu, time.process_time() - c0)
    return len(rows) / best_wall, len(rows) / best_cpu


def main():
    rasp = load_rasp(sys.argv[1])

    def make_frac_prevs(bools):
        bools = rasp.numerical(bools)
        prevs = rasp.Select(rasp.indices, rasp.indices, rasp.Comparison.LEQ)
        return rasp.numerical(rasp.Aggregate(prevs, bools, default=0)).named("frac_prevs")

    case3 = make_frac_prevs((rasp.tokens == "x").named("is_x"))
    rows3 = list(contents("abcx", [3, 4]))

    same_tok = rasp.Select(rasp.tokens, rasp.tokens, rasp.Comparison.EQ).named("same_tok")
    hist = rasp.SelectorWidth(same_tok).named("hist")
    all_true = rasp.Select(rasp.tokens, rasp.tokens, rasp.Comparison.TRUE).named("all_true_selector")
    length = rasp.SelectorWidth(all_true).named("length")
    case18 = rasp.SequenceMap(
        lambda freq, total: "frequent" if freq > total / 2 else ("common" if freq > total / 4 else "rare"),
        hist, length)
    rows18 = list(contents("abcde", [1, 2, 3, 4]))

    for name, prog, rows in [("case3", case3, rows3), ("case18", case18, rows18)]:
        wall, cpu = time_rows(prog, rows)
        print(f"{name:6s} rows={len(rows)} rows/s={wall:.0f} rows/cpu-s={cpu:.0f}")


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Runs the ORIGINAL circuits-benchmark case programs with tracr's own RASP
evaluator and writes what the cases package tests need for the cases that
have no shared reference data (the held-out set: ids with id % 4 == 1), into
cases/testdata/heldout/case_<N>.json.gz, in the format of
scripts/extract_cases_testdata.py.

Only the pure-Python parts are used: tracr/rasp/rasp.py (the RASP language
and its evaluator) and tracr/craft/bases.py (BasisDirection ordering for the
token ids) from FlyingPumba/tracr, and from FlyingPumba/circuits-benchmark
the case files, vocabs.py, common_programs.py and program_evaluation_type.py.
TracrBenchmarkCase (which needs torch, transformer_lens, iit) is replaced by
a stub with the same defaults; labels are assigned by a transcription of
tracr's rasp_to_graph breadth-first search (networkx is not needed); data
rows follow the reference data's rule (gen_all_data when the total is <= 5000,
otherwise 2000 rows from random.Random(42): randint then choice per position).

Usage (repository root, Debian's python3 with numpy):
  /usr/bin/python3 scripts/heldout_cases_fixture.py CIRCUITS_BENCHMARK_DIR TRACR_DIR [IDS...]
where CIRCUITS_BENCHMARK_DIR is a checkout of FlyingPumba/circuits-benchmark at
0cfd8313c8ee78c9881946dce32bffb33c4d6473 and TRACR_DIR one of FlyingPumba/tracr
at 98f4910e3966805c83d80eb087c7a4e3328171c6.
"""
import gzip
import importlib.util
import itertools
import json
import logging
import os
import queue
import random
import sys
import types

BOS, PAD = "BOS", "PAD"


def module(name, path=None, **attrs):
    m = types.ModuleType(name)
    if path is not None:
        m.__path__ = [path]
    m.__dict__.update(attrs)
    sys.modules[name] = m
    return m


def load_file(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    m = importlib.util.module_from_spec(spec)
    sys.modules[name] = m
    spec.loader.exec_module(m)
    return m


class TracrBenchmarkCaseStub:
    """The parts of TracrBenchmarkCase the case files rely on, with its defaults."""

    def get_task_description(self):
        return ""

    def supports_causal_masking(self):
        return True

    def is_trivial(self):
        return False

    def get_max_seq_len(self):
        return 10

    def get_min_seq_len(self):
        return 4

    def get_correct_output_for_input(self, input):
        return self.get_program()(input)


def setup(cb_dir, tracr_dir):
    # absl.logging is only used for a warning in SequenceMap.
    absl = module("absl")
    absl.logging = logging
    logging.disable(logging.WARNING)  # SequenceMap warns on every construction (its fst == snd builds a Map)
    sys.modules["absl.logging"] = logging
    sys.path.insert(0, tracr_dir)
    from tracr.rasp import rasp  # noqa: F401  (imported for its side effects)
    from tracr.craft import bases  # noqa: F401
    bench = os.path.join(cb_dir, "circuits_benchmark", "benchmark")
    module("circuits_benchmark", os.path.join(cb_dir, "circuits_benchmark"))
    module("circuits_benchmark.benchmark", bench)
    module("circuits_benchmark.benchmark.cases", os.path.join(bench, "cases"))
    module("circuits_benchmark.transformers")
    module("circuits_benchmark.transformers.hooked_tracr_transformer", HookedTracrTransformerBatchInput=list)
    module("circuits_benchmark.benchmark.tracr_benchmark_case", TracrBenchmarkCase=TracrBenchmarkCaseStub)
    for name in ["vocabs", "program_evaluation_type", "common_programs"]:
        load_file("circuits_benchmark.benchmark." + name, os.path.join(bench, name + ".py"))
    return bench


def labels_bfs(tip):
    """tracr's extract_rasp_graph: the order in which labels are first read."""
    q = queue.Queue()
    nodes = []
    seen = set()

    def ensure(expr):
        label = expr.label
        if label not in seen:
            seen.add(label)
            nodes.append(label)
        return label

    q.put(tip)
    ensure(tip)
    while not q.empty():
        expr = q.get()
        ensure(expr)
        for child in expr.children:
            q.put(child)
            ensure(child)
    return nodes


def gen_all_contents(vals, min_len, max_len):
    for seq_len in range(min_len, max_len + 1):
        for index in range(len(vals) ** (seq_len - 1)):
            sample = []
            num = index
            while num:
                sample.append(vals[num % len(vals)])
                num //= len(vals)
            sample.extend([vals[0]] * (seq_len - 1 - len(sample)))
            yield sample[::-1]


def sample_contents(vals, min_len, max_len, n, seed):
    rng = random.Random(seed)
    for _ in range(n):
        seq_len = rng.randint(min_len, max_len)
        yield [rng.choice(vals) for _ in range(seq_len - 1)]


def run_case(bench, n):
    from tracr.rasp import rasp
    from tracr.craft import bases
    mod = load_file("circuits_benchmark.benchmark.cases.case_%d" % n, os.path.join(bench, "cases", "case_%d.py" % n))
    case = getattr(mod, "Case%d" % n)()
    rasp.RASPExpr._ids = itertools.count(1)
    program = case.get_program()
    nodes = labels_bfs(program)
    vocab = case.get_vocab()
    vals = sorted(vocab)
    max_len, min_len = case.get_max_seq_len(), case.get_min_seq_len()
    tokens = sorted(bases.BasisDirection("tokens", v) for v in set(vocab) | {BOS, PAD})
    total = sum(len(vals) ** l for l in range(min_len - 1, max_len))
    if total <= 5000:
        mode, seed, contents = "all", None, gen_all_contents(vals, min_len, max_len)
    else:
        mode, seed, contents = "sampled", 42, sample_contents(vals, min_len, max_len, 2000, 42)
    rows = []
    for content in contents:
        pad = [PAD] * (max_len - 1 - len(content))
        out = case.get_correct_output_for_input(content)
        rows.append([[BOS] + content + pad, [BOS] + list(out) + pad])
    return {
        "case": n,
        "program_summary": case.get_task_description(),
        "vocab": vals,
        "min_seq_len": min_len,
        "max_seq_len": max_len,
        "causal": case.supports_causal_masking(),
        "categorical": rasp.is_categorical(program),
        "trivial": case.is_trivial(),
        "token_encoding": {str(d.value): i for i, d in enumerate(tokens)},
        "program_graph_nodes": sorted(nodes),
        "output_label": program.label,
        "data_mode": mode,
        "data_total_possible": total,
        "data_seed": seed,
        "rows_total": len(rows),
        "rows": rows,
    }


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    bench = setup(sys.argv[1], sys.argv[2])
    ids = [int(a) for a in sys.argv[3:]] or [n for n in range(1, 132) if n % 4 == 1]
    out_dir = "cases/testdata/heldout"
    os.makedirs(out_dir, exist_ok=True)
    for n in ids:
        d = run_case(bench, n)
        data = json.dumps(d, separators=(",", ":"), ensure_ascii=False).encode()
        with open(os.path.join(out_dir, "case_%d.json.gz" % n), "wb") as f:
            with gzip.GzipFile(fileobj=f, mode="wb", compresslevel=9, mtime=0) as g:
                g.write(data)
        print("case %d: %d rows, %s" % (n, d["rows_total"], d["output_label"]))


if __name__ == "__main__":
    main()

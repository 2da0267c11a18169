#!/usr/bin/python3
"""Copies from the shared reference data (../shared/reference/cases/case_<N>.json) what
the cases package tests need, into cases/testdata/reference/case_<N>.json.gz.

Kept per case: the metadata (program_summary, vocab, min/max_seq_len, causal,
categorical, trivial, data_mode, data_total_possible, data_seed), token_encoding,
program_graph_nodes, output_label, and the data rows as [input, rasp_output]
pairs (model outputs, weights and the compiler's layout are dropped). All rows
are kept for the cases whose data is gen_all_data (mode "all") and up to
MAX_ROWS rows, in order, for sampled cases; "rows_total" records how many the
reference has.

Usage (repository root): /usr/bin/python3 scripts/extract_cases_testdata.py [REFERENCE_DIR]
"""
import glob
import gzip
import json
import os
import sys

MAX_ROWS = int(os.environ.get("MAX_ROWS", "2000"))
KEYS = ["case", "program_summary", "vocab", "min_seq_len", "max_seq_len", "causal",
        "categorical", "trivial", "token_encoding", "program_graph_nodes", "output_label",
        "data_mode", "data_total_possible", "data_seed"]


def main():
    ref = sys.argv[1] if len(sys.argv) > 1 else "../shared/reference"
    out_dir = "cases/testdata/reference"
    os.makedirs(out_dir, exist_ok=True)
    for path in sorted(glob.glob(os.path.join(ref, "cases", "case_*.json"))):
        with open(path) as f:
            d = json.load(f)
        out = {k: d[k] for k in KEYS}
        rows = d["data"]
        out["rows_total"] = len(rows)
        if d["data_mode"] != "all":
            rows = rows[:MAX_ROWS]
        out["rows"] = [[r["input"], r["rasp_output"]] for r in rows]
        name = os.path.join(out_dir, "case_%d.json.gz" % d["case"])
        data = json.dumps(out, separators=(",", ":")).encode()
        # mtime=0 keeps the gzip bytes reproducible
        with open(name, "wb") as f:
            with gzip.GzipFile(fileobj=f, mode="wb", compresslevel=9, mtime=0) as g:
                g.write(data)


if __name__ == "__main__":
    main()

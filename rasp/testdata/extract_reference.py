#!/usr/bin/env python3
"""Extracts the small parts of the tracr reference data that the rasp tests use.

Usage (from the repository root):
    /usr/bin/python3 rasp/testdata/extract_reference.py /work/shared/reference

Writes
  rasp/testdata/reference_labels.json   every case: graph node labels, output
                                        label, vocab, token and output encodings
  rasp/star/testdata/reference_rows.json  the first rows of the cases ported to
                                        rasp/star/testdata/cases (input and
                                        rasp_output, JSON-typed)
"""
import json
import os
import sys

PORTED = [2, 3, 4, 12, 18, 19, 22, 24]
ROWS = 40


def main():
    ref = sys.argv[1] if len(sys.argv) > 1 else "/work/shared/reference"
    here = os.path.dirname(os.path.abspath(__file__))
    cases_dir = os.path.join(ref, "cases")
    ids = sorted(int(f[5:-5]) for f in os.listdir(cases_dir) if f.startswith("case_") and f.endswith(".json"))
    labels, rows = [], []
    for i in ids:
        with open(os.path.join(cases_dir, f"case_{i}.json")) as fh:
            d = json.load(fh)
        labels.append({
            "case": i,
            "program_graph_nodes": d["program_graph_nodes"],
            "output_label": d["output_label"],
            "categorical": d["categorical"],
            "vocab": d["vocab"],
            "token_encoding": d["token_encoding"],
            "output_values": d["output_values"],
        })
        if i in PORTED:
            rows.append({
                "case": i,
                "program_graph_nodes": d["program_graph_nodes"],
                "output_label": d["output_label"],
                "vocab": d["vocab"],
                "max_seq_len": d["max_seq_len"],
                "causal": d["causal"],
                "rows": [{"input": r["input"], "rasp_output": r["rasp_output"]} for r in d["data"][:ROWS]],
            })
    with open(os.path.join(here, "reference_labels.json"), "w") as fh:
        json.dump(labels, fh, indent=0)
        fh.write("\n")
    with open(os.path.join(here, "..", "star", "testdata", "reference_rows.json"), "w") as fh:
        json.dump(rows, fh, indent=0)
        fh.write("\n")


if __name__ == "__main__":
    main()

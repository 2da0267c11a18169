#!/usr/bin/python3
"""Copy a compact form of the tracr reference data into tracr/testdata/reference.

Usage: /usr/bin/python3 scripts/extract_tracr_testdata.py [REFERENCE_DIR]

REFERENCE_DIR defaults to ../shared/reference relative to the repository root.
Writes (stdlib only):
  tracr/testdata/reference/cases.json.gz   every reference case: layout, config,
      blocks, alignment, encodings and the first ROWS data rows
  tracr/testdata/reference/weights/case_N.safetensors.gz  every weights file
      present in the reference, gzip-compressed byte for byte
"""
import gzip
import json
import os
import sys

ROWS = 40  # data rows kept per case (first rows, in the reference's order)

KEYS = [
    "case", "vocab", "min_seq_len", "max_seq_len", "causal", "categorical",
    "trivial", "compiler", "token_encoding", "output_encoding", "output_values",
    "residual_labels", "config", "program_graph_nodes", "output_label",
    "blocks", "alignment_acdc_hooks", "acdc_hooks_circuit_edges", "data_mode",
]


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ref = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, "..", "shared", "reference")
    out = os.path.join(root, "tracr", "testdata", "reference")
    os.makedirs(os.path.join(out, "weights"), exist_ok=True)
    index = json.load(open(os.path.join(ref, "index.json")))
    cases = []
    for entry in sorted(index, key=lambda e: e["case"]):
        with open(os.path.join(ref, entry["case_file"])) as f:
            full = json.load(f)
        c = {k: full[k] for k in KEYS}
        c["stats"] = {k: full["stats"][k] for k in (
            "rows", "mismatch_rows_unpadded", "mismatch_rows_padded")}
        c["data"] = full["data"][:ROWS]
        c["weights"] = entry["weights_file"] is not None
        cases.append(c)
        if entry["weights_file"]:
            with open(os.path.join(ref, entry["weights_file"]), "rb") as f:
                raw = f.read()
            dst = os.path.join(out, "weights", "case_%d.safetensors.gz" % entry["case"])
            with open(dst, "wb") as f:
                # mtime=0 keeps the output byte-identical between runs.
                with gzip.GzipFile(fileobj=f, mode="wb", mtime=0) as g:
                    g.write(raw)
    with open(os.path.join(out, "cases.json.gz"), "wb") as f:
        with gzip.GzipFile(fileobj=f, mode="wb", mtime=0) as g:
            g.write(json.dumps(cases, separators=(",", ":")).encode())
    print("wrote %d cases to %s" % (len(cases), out))


if __name__ == "__main__":
    main()

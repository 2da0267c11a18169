#!/usr/bin/python3
"""Writes hostile inputs for formats/torchfile (issue 15, items 9 and 10).

Run from the repository root with Debian's interpreter (python3-torch):

    /usr/bin/python3 scripts/torchfile_hostile.py

Each input is written twice: as a plain file under
formats/torchfile/testdata/hostile/ (read by hostile_test.go) and as a seed
of the fuzz corpus (formats/torchfile/testdata/fuzz/<target>/<name>, Go's
"go test fuzz v1" format), so `go test -fuzz` starts from it.

  cyclic_list.pkl      l = []; l.append(l); l.append(l), protocol 2 (12 bytes):
                       a list that contains itself twice.
  shared_dag.pkl       l0 = []; l_{i+1} = [l_i, l_i] for 64 levels: no cycle,
                       but 2**64 nodes when every shared reference is expanded.
  expanded.pth         torch.save({'a': torch.zeros(1).expand(2**28)}): a
                       stride-0 view of 2**28 float32 (1 GiB) over one element.
  expanded_legacy.pth  the same in the legacy (non-zip) format.
  deflate_bomb.pth     torch.save({'a': torch.zeros(2**24)}) re-zipped with
                       deflate: 64 MiB of zeros in a 64 KiB file, the sizes
                       in the pickle and the zip header agreeing.
  deflate_lie.pth      torch.save({'a': torch.zeros(16)}) whose storage entry
                       is replaced by 16 MiB of deflated zeros: the pickle
                       declares 64 bytes, the entry inflates to 16 MiB.

Reruns give identical files except the legacy-format one, whose storage key
is a memory address.
"""
import io
import os
import pickle
import sys
import zipfile

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PKG = os.path.join(ROOT, "formats", "torchfile", "testdata")


def saved(obj, **kw):
    buf = io.BytesIO()
    torch.save(obj, buf, **kw)
    return buf.getvalue()


def rezip(data, replace=None):
    """Copies a torch zip with every entry deflated; replace maps an entry
    name suffix to new contents."""
    zin = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zout:
        for info in zin.infolist():
            content = zin.read(info.filename)
            for suffix, new in (replace or {}).items():
                if info.filename.endswith(suffix):
                    content = new
            zi = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            zi.compress_type = zipfile.ZIP_DEFLATED
            zout.writestr(zi, content, compresslevel=9)
    return out.getvalue()


def go_corpus(b):
    """A Go fuzz corpus file holding one []byte argument."""
    out = []
    for c in b:
        ch = chr(c)
        if ch == '"' or ch == "\\":
            out.append("\\" + ch)
        elif 0x20 <= c < 0x7F:
            out.append(ch)
        else:
            out.append("\\x%02x" % c)
    return 'go test fuzz v1\n[]byte("' + "".join(out) + '")\n'


def main():
    torch.manual_seed(0)
    cyc = []
    cyc.append(cyc)
    cyc.append(cyc)
    dag = []
    for _ in range(64):
        dag = [dag, dag]
    inputs = [
        ("cyclic_list.pkl", "FuzzParseConfig", pickle.dumps(cyc, protocol=2)),
        ("shared_dag.pkl", "FuzzParseConfig", pickle.dumps(dag, protocol=2)),
        ("expanded.pth", "FuzzParseStateDict", saved({"a": torch.zeros(1).expand(2**28)})),
        ("expanded_legacy.pth", "FuzzParseStateDict",
         saved({"a": torch.zeros(1).expand(2**28)}, _use_new_zipfile_serialization=False)),
        ("deflate_bomb.pth", "FuzzParseStateDict", rezip(saved({"a": torch.zeros(2**24)}))),
        ("deflate_lie.pth", "FuzzParseStateDict",
         rezip(saved({"a": torch.zeros(16)}), {"/data/0": bytes(16 << 20)})),
    ]
    os.makedirs(os.path.join(PKG, "hostile"), exist_ok=True)
    for name, target, data in inputs:
        with open(os.path.join(PKG, "hostile", name), "wb") as f:
            f.write(data)
        d = os.path.join(PKG, "fuzz", target)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, os.path.splitext(name)[0]), "w") as f:
            f.write(go_corpus(data))
        print(f"{name}: {len(data)} bytes", file=sys.stderr)


if __name__ == "__main__":
    main()

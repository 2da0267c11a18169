#!/usr/bin/python3
"""Generate glassbox's test fixtures for the model and formats packages.

Run from the repository root with Debian's interpreter (torch + numpy only):

    /usr/bin/python3 scripts/model_fixtures.py

Writes:
  formats/safetensors/testdata/dtypes.safetensors  one tensor per dtype, the
      values made by torch's own conversions, plus dtypes.json with the values
      as float64 for the Go test to compare.
(further outputs are listed in main()).
Everything is seeded, so reruns give identical files.
"""
import json
import os
import struct
import sys

import numpy as np
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

ST_DTYPES = {
    torch.float64: "F64", torch.float32: "F32", torch.float16: "F16",
    torch.bfloat16: "BF16", torch.int64: "I64", torch.int32: "I32",
    torch.int16: "I16", torch.int8: "I8", torch.uint8: "U8", torch.bool: "BOOL",
}


def tensor_bytes(t):
    t = t.contiguous()
    if t.dtype == torch.bfloat16:
        # numpy has no bfloat16: reinterpret the storage as int16.
        return t.view(torch.int16).numpy().astype("<i2").tobytes()
    return t.numpy().tobytes()  # little-endian machine


def write_safetensors(path, tensors, metadata=None):
    """Minimal safetensors writer (format: 8-byte LE header length, JSON, data)."""
    header = {}
    blobs = []
    off = 0
    for name in sorted(tensors):
        t = tensors[name]
        b = tensor_bytes(t)
        header[name] = {"dtype": ST_DTYPES[t.dtype], "shape": list(t.shape),
                        "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    if metadata:
        header["__metadata__"] = metadata
    hj = json.dumps(header, separators=(",", ":")).encode()
    hj += b" " * (-len(hj) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hj)))
        f.write(hj)
        for b in blobs:
            f.write(b)


def safetensors_dtypes():
    g = torch.Generator().manual_seed(1)
    base = torch.randn(2, 3, generator=g, dtype=torch.float64) * 3
    base[0, 0] = 65504.0  # largest half
    base[0, 1] = 1e-6     # half subnormal
    ints = torch.tensor([[-5, 0, 7], [123456, -2**31, 2**31 - 1]], dtype=torch.int64)
    tensors = {
        "f64": base.clone(),
        "f32": base.float(),
        "f16": base.half(),
        "bf16": base.bfloat16(),
        "i64": ints.clone(),
        "i32": ints.int(),
        "i16": torch.tensor([-32768, 0, 32767], dtype=torch.int16),
        "i8": torch.tensor([-128, 1, 127], dtype=torch.int8),
        "u8": torch.tensor([0, 200, 255], dtype=torch.uint8),
        "bool": torch.tensor([[True, False], [False, True]]),
        "scalar": torch.tensor(2.5, dtype=torch.float32),
        "empty": torch.zeros(0, 4, dtype=torch.float32),
    }
    out = os.path.join(ROOT, "formats/safetensors/testdata")
    os.makedirs(out, exist_ok=True)
    write_safetensors(os.path.join(out, "dtypes.safetensors"), tensors,
                      {"format": "pt", "note": "made by scripts/model_fixtures.py"})
    expect = {k: {"shape": list(v.shape), "values": v.double().flatten().tolist()}
              for k, v in tensors.items()}
    with open(os.path.join(out, "dtypes.json"), "w") as f:
        json.dump(expect, f, indent=1, sort_keys=True)


def main():
    torch.manual_seed(0)
    safetensors_dtypes()


if __name__ == "__main__":
    sys.exit(main())

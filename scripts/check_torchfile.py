#!/usr/bin/python3
"""Checks that the real torch.load and pickle.load read what glassbox writes.

    /usr/bin/python3 scripts/check_torchfile.py DIR

DIR holds files written by formats/torchfile's Go test TestRealTorchLoads
(realtorch_test.go), which runs this script itself when /usr/bin/python3 can
import torch (Debian's python3-torch). To keep the files and run the script by
hand:

    go test ./formats/torchfile -run TestRealTorchLoads -args -torchcheck.dir=/tmp/tc
    /usr/bin/python3 scripts/check_torchfile.py /tmp/tc

DIR contains:
  ll_model.pth      torchfile.WriteStateDict output
  ll_model_cfg.pkl  torchfile.WritePickle output: a config dict
  expected.json     what both must hold:
      "state_dict": [{"name", "dtype" ("float32"|"bool"), "shape",
                      "bits": float32 bit patterns, or "bools"}] in order;
      "config_order": its keys in the order written;
      "config": the dict, with {"__tuple__": [...]} for tuples and
                {"__global__": "module.name"} for globals (torch.float32),
                {"__call__": ["module.name", [args]]} for calls (torch.device),
                {"__bytes__": "hex"} for bytes.

The state dict is loaded the way InterpBench's notebook loads ll_model.pth
(torch.load(path), then load_state_dict into a module with those parameters
and buffers) and once more with weights_only=True (torch >= 2.6's default),
the config with pickle.load. Exits non-zero on any difference.
"""
import collections
import importlib
import json
import os
import pickle
import sys

import torch

DTYPES = {"float32": torch.float32, "bool": torch.bool}


def find_global(dotted):
    module, _, name = dotted.rpartition(".")
    return getattr(importlib.import_module(module), name)


def decode(v):
    """expected.json value -> the Python value pickle.load must produce."""
    if isinstance(v, list):
        return [decode(x) for x in v]
    if isinstance(v, dict):
        if set(v) == {"__tuple__"}:
            return tuple(decode(x) for x in v["__tuple__"])
        if set(v) == {"__global__"}:
            return find_global(v["__global__"])
        if set(v) == {"__call__"}:
            fn, args = v["__call__"]
            return find_global(fn)(*decode(args))
        if set(v) == {"__bytes__"}:
            return bytes.fromhex(v["__bytes__"])
        return {k: decode(x) for k, x in v.items()}
    return v


def same(a, b):
    """Equality that also tells tuples from lists and ints from bools."""
    if type(a) is not type(b):
        return False
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return sorted(a) == sorted(b) and all(same(a[k], b[k]) for k in a)
    return a is b or a == b


class Holder(torch.nn.Module):
    """A module with one parameter or buffer per state-dict name."""

    def __init__(self, entries):
        super().__init__()
        self.names = []
        for e in entries:
            parent = self
            parts = e["name"].split(".")
            for p in parts[:-1]:
                if not hasattr(parent, p):
                    parent.add_module(p, torch.nn.Module())
                parent = getattr(parent, p)
            t = torch.zeros(e["shape"], dtype=DTYPES[e["dtype"]])
            if e["dtype"] == "bool":
                parent.register_buffer(parts[-1], t)
            else:
                parent.register_parameter(parts[-1], torch.nn.Parameter(t))


def check_state_dict(path, entries):
    errors = []
    sd = torch.load(path)
    if not isinstance(sd, collections.OrderedDict):
        errors.append(f"{path}: torch.load gave {type(sd).__name__}, want OrderedDict")
    if list(sd) != [e["name"] for e in entries]:
        errors.append(f"{path}: keys {list(sd)}, want {[e['name'] for e in entries]}")
    for e in entries:
        t = sd.get(e["name"])
        if t is None:
            continue
        where = f"{path}: {e['name']}"
        if t.dtype != DTYPES[e["dtype"]]:
            errors.append(f"{where}: dtype {t.dtype}, want {e['dtype']}")
            continue
        if list(t.shape) != e["shape"]:
            errors.append(f"{where}: shape {list(t.shape)}, want {e['shape']}")
            continue
        if not t.is_contiguous():
            errors.append(f"{where}: not contiguous (stride {t.stride()})")
        flat = t.reshape(-1)
        if e["dtype"] == "bool":
            got = [bool(x) for x in flat.tolist()]
            if got != (e.get("bools") or []):
                errors.append(f"{where}: values {got}, want {e.get('bools')}")
        else:
            got = [x & 0xFFFFFFFF for x in flat.view(torch.int32).tolist()]
            if got != (e.get("bits") or []):
                errors.append(f"{where}: bit patterns {got}, want {e.get('bits')}")
    # torch >= 2.6 loads with weights_only=True by default: only the
    # allow-listed globals (OrderedDict, _rebuild_tensor_v2, storages) may
    # appear. torch 1.13 has the option already.
    try:
        torch.load(path, weights_only=True)
    except TypeError:
        pass  # a torch without weights_only
    except Exception as exc:
        errors.append(f"{path}: torch.load(weights_only=True): {exc}")
    holder = Holder(entries)
    try:
        holder.load_state_dict(sd, strict=True)
    except Exception as exc:  # report, do not crash
        errors.append(f"{path}: load_state_dict: {exc}")
    return errors


def check_config(path, want, order):
    with open(path, "rb") as f:
        got = pickle.load(f)
    if not same(got, want):
        return [f"{path}: pickle.load gave {got!r}, want {want!r}"]
    if list(got) != order:
        return [f"{path}: keys in order {list(got)}, want {order}"]
    return []


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: check_torchfile.py DIR")
    d = sys.argv[1]
    with open(os.path.join(d, "expected.json")) as f:
        exp = json.load(f)
    errors = check_state_dict(os.path.join(d, "ll_model.pth"), exp["state_dict"])
    errors += check_config(os.path.join(d, "ll_model_cfg.pkl"), decode(exp["config"]), exp["config_order"])
    for e in errors:
        print(e, file=sys.stderr)
    if errors:
        sys.exit(1)
    print(f"torch {torch.__version__}: torch.load and pickle.load read "
          f"{len(exp['state_dict'])} tensors and {len(exp['config'])} config keys as written")


if __name__ == "__main__":
    main()

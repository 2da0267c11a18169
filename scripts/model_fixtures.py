#!/usr/bin/python3
"""Generate glassbox's test fixtures for the model and formats packages.

Run from the repository root with Debian's interpreter (torch + numpy only):

    /usr/bin/python3 scripts/model_fixtures.py

Writes:
  formats/safetensors/testdata/dtypes.safetensors  one tensor per dtype, the
      values made by torch's own conversions, plus dtypes.json with the values
      as float64 for the Go test to compare.
  formats/torchfile/testdata/*.pth, *.pkl  torch.save files exercising dtypes,
      strides, storage offsets and shared storages, and pickled configs, with
      the expected values in *.json.
  model/testdata/<name>/ll_model.pth, ll_model_cfg.pkl  random models saved the
      way InterpBench saves them (torch.save(state_dict) with the attention
      mask and IGNORE buffers; the config pickled as a dict, or for one model
      as an object of a class named HookedTransformerConfig in a module named
      transformer_lens.HookedTransformerConfig, with a torch.float32 dtype),
      and expected.safetensors: a float64 forward pass of TransformerLens'
      HookedTransformer math (written out below, no TransformerLens needed)
      with every hook's activation for two token batches, stored as
      "<batch>/<hook name>" (F64) plus "<batch>/tokens" (I64) and
      "<batch>/logits".
Everything is seeded, so reruns give identical files (except the legacy-format
.pth, whose storage keys are memory addresses).

    /usr/bin/python3 scripts/model_fixtures.py --bench

times the same forward pass in float32 PyTorch for docs/PERFORMANCE.md.
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


# ---------------------------------------------------------------- models

TL_DEFAULTS = dict(
    model_name="custom", n_params=None, use_attn_result=False, use_split_qkv_input=False,
    use_hook_mlp_in=False, use_attn_in=False, use_local_attn=False, original_architecture=None,
    from_checkpoint=False, checkpoint_index=None, checkpoint_label_type=None, checkpoint_value=None,
    tokenizer_name=None, window_size=None, attn_types=None, init_mode="gpt2", device="cpu",
    n_devices=1, seed=None, initializer_range=-1.0, init_weights=True,
    scale_attn_by_inverse_layer_idx=False, positional_embedding_type="standard", final_rms=False,
    parallel_attn_mlp=False, rotary_dim=None, use_hook_tokens=False, gated_mlp=False,
    default_prepend_bos=True, tokenizer_prepends_bos=None, n_key_value_heads=None,
    post_embedding_ln=False, rotary_base=10000, trust_remote_code=False, rotary_adjacent_pairs=False,
    use_attn_scale=True, eps=1e-5, attention_dir="causal", attn_only=False,
)

MODELS = [
    # InterpBench-like: exact GELU, no LayerNorm, 4 heads, d_model != n_heads*d_head.
    dict(name="ib_causal", n_layers=2, d_model=9, n_heads=4, d_head=2, d_mlp=8, n_ctx=5,
         d_vocab=6, d_vocab_out=4, act_fn="gelu", normalization_type=None,
         attention_dir="causal", cfg_as="dict", seed=42),
    dict(name="ib_bidir", n_layers=2, d_model=9, n_heads=4, d_head=2, d_mlp=8, n_ctx=5,
         d_vocab=6, d_vocab_out=6, act_fn="gelu", normalization_type=None,
         attention_dir="bidirectional", cfg_as="object", seed=7),
    dict(name="ln_gelu_new", n_layers=2, d_model=8, n_heads=2, d_head=4, d_mlp=16, n_ctx=6,
         d_vocab=7, d_vocab_out=5, act_fn="gelu_new", normalization_type="LN",
         use_attn_result=True, use_split_qkv_input=True, use_hook_mlp_in=True, cfg_as="dict"),
    dict(name="attn_only", n_layers=2, d_model=6, n_heads=3, d_head=2, d_mlp=None, n_ctx=4,
         d_vocab=5, d_vocab_out=5, act_fn=None, normalization_type="LNPre", attn_only=True,
         cfg_as="dict"),
    dict(name="rms_silu", n_layers=1, d_model=8, n_heads=2, d_head=3, d_mlp=12, n_ctx=5,
         d_vocab=5, d_vocab_out=3, act_fn="silu", normalization_type="RMS", cfg_as="dict"),
    dict(name="relu_rmspre", n_layers=1, d_model=5, n_heads=1, d_head=5, d_mlp=7, n_ctx=3,
         d_vocab=4, d_vocab_out=4, act_fn="relu", normalization_type="RMSPre",
         attention_dir="bidirectional", cfg_as="dict"),
]


def full_cfg(spec):
    cfg = dict(TL_DEFAULTS)
    for k, v in spec.items():
        if k not in ("name", "cfg_as"):
            cfg[k] = v
    # TransformerLens' __post_init__ stores np.sqrt(d_head): a numpy.float64 in the pickle.
    cfg["attn_scale"] = np.sqrt(cfg["d_head"]) if cfg["use_attn_scale"] else 1.0
    cfg["dtype"] = torch.float32
    return cfg


def make_state_dict(cfg, g):
    D, H, dh, L = cfg["d_model"], cfg["n_heads"], cfg["d_head"], cfg["n_layers"]

    def rnd(*shape, scale=0.5):
        return (torch.randn(*shape, generator=g) * scale).float()

    sd = {"embed.W_E": rnd(cfg["d_vocab"], D, scale=1.0),
          "pos_embed.W_pos": rnd(cfg["n_ctx"], D, scale=1.0)}
    norm = cfg["normalization_type"]

    def add_norm(prefix):
        if norm in ("LN", "RMS"):
            sd[prefix + ".w"] = 1 + rnd(D, scale=0.2)
        if norm == "LN":
            sd[prefix + ".b"] = rnd(D, scale=0.2)

    for l in range(L):
        p = "blocks.%d." % l
        add_norm(p + "ln1")
        if not cfg["attn_only"]:
            add_norm(p + "ln2")
        for w in "QKV":
            sd[p + "attn.W_" + w] = rnd(H, D, dh, scale=0.45)
        sd[p + "attn.W_O"] = rnd(H, dh, D, scale=0.45)
        for w in "QKV":
            sd[p + "attn.b_" + w] = rnd(H, dh, scale=0.3)
        sd[p + "attn.b_O"] = rnd(D, scale=0.3)
        # TransformerLens registers these buffers; InterpBench's state dicts carry them.
        sd[p + "attn.mask"] = torch.tril(torch.ones(cfg["n_ctx"], cfg["n_ctx"])).bool()
        sd[p + "attn.IGNORE"] = torch.tensor(-torch.inf)
        if not cfg["attn_only"]:
            sd[p + "mlp.W_in"] = rnd(D, cfg["d_mlp"], scale=0.45)
            sd[p + "mlp.b_in"] = rnd(cfg["d_mlp"], scale=0.3)
            sd[p + "mlp.W_out"] = rnd(cfg["d_mlp"], D, scale=0.45)
            sd[p + "mlp.b_out"] = rnd(D, scale=0.3)
    add_norm("ln_final")
    sd["unembed.W_U"] = rnd(D, cfg["d_vocab_out"], scale=0.7)
    sd["unembed.b_U"] = rnd(cfg["d_vocab_out"], scale=0.3)
    return sd


def act(fn, x):
    if fn == "relu":
        return np.maximum(x, 0)
    if fn == "gelu":
        return 0.5 * x * (1 + np.vectorize(__import__("math").erf)(x / np.sqrt(2)))
    if fn == "gelu_new":
        return 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3)))
    if fn == "silu":
        return x / (1 + np.exp(-x))
    raise ValueError(fn)


def reference_forward(cfg, sd, tokens):
    """TransformerLens HookedTransformer forward in float64, recording every hook.

    Hooks that TransformerLens only creates under use_split_qkv_input,
    use_attn_result or use_hook_mlp_in are recorded for every model (they
    are pure functions of the other activations when nothing is patched)."""
    P = {k: v.double().numpy() for k, v in sd.items()}
    norm = cfg["normalization_type"]
    eps = cfg["eps"]
    H = cfg["n_heads"]
    cache = {}
    B, T = tokens.shape

    def ln(prefix, x):
        if norm in ("LN", "LNPre"):
            x = x - x.mean(-1, keepdims=True)
        scale = np.sqrt((x ** 2).mean(-1, keepdims=True) + eps)
        cache[prefix + ".hook_scale"] = scale
        y = x / scale
        if norm == "LN":
            y = y * P[prefix + ".w"] + P[prefix + ".b"]
        cache[prefix + ".hook_normalized"] = y
        if norm == "RMS":
            y = y * P[prefix + ".w"]
        return y

    cache["hook_embed"] = P["embed.W_E"][tokens]
    cache["hook_pos_embed"] = np.broadcast_to(P["pos_embed.W_pos"][:T], (B, T, cfg["d_model"])).copy()
    resid = cache["hook_embed"] + cache["hook_pos_embed"]
    for l in range(cfg["n_layers"]):
        p = "blocks.%d." % l
        cache[p + "hook_resid_pre"] = resid
        for n in ("q", "k", "v"):
            cache[p + "hook_%s_input" % n] = np.repeat(resid[:, :, None, :], H, axis=2)
        x = ln(p + "ln1", resid) if norm else resid
        q = np.einsum("btd,hde->bthe", x, P[p + "attn.W_Q"]) + P[p + "attn.b_Q"]
        k = np.einsum("btd,hde->bthe", x, P[p + "attn.W_K"]) + P[p + "attn.b_K"]
        v = np.einsum("btd,hde->bthe", x, P[p + "attn.W_V"]) + P[p + "attn.b_V"]
        cache[p + "attn.hook_q"], cache[p + "attn.hook_k"], cache[p + "attn.hook_v"] = q, k, v
        scores = np.einsum("bqhe,bkhe->bhqk", q, k) / cfg["attn_scale"]
        if cfg["attention_dir"] == "causal":
            mask = np.tril(np.ones((T, T), dtype=bool))
            scores = np.where(mask, scores, -np.inf)
        cache[p + "attn.hook_attn_scores"] = scores
        e = np.exp(scores - scores.max(-1, keepdims=True))
        pattern = e / e.sum(-1, keepdims=True)
        cache[p + "attn.hook_pattern"] = pattern
        z = np.einsum("bhqk,bkhe->bqhe", pattern, v)
        cache[p + "attn.hook_z"] = z
        result = np.einsum("bqhe,hed->bqhd", z, P[p + "attn.W_O"])
        cache[p + "attn.hook_result"] = result
        attn_out = result.sum(2) + P[p + "attn.b_O"]
        cache[p + "hook_attn_out"] = attn_out
        if cfg["attn_only"]:
            resid = resid + attn_out
            cache[p + "hook_resid_post"] = resid
            continue
        resid = resid + attn_out
        cache[p + "hook_resid_mid"] = resid
        cache[p + "hook_mlp_in"] = resid
        x2 = ln(p + "ln2", resid) if norm else resid
        pre = x2 @ P[p + "mlp.W_in"] + P[p + "mlp.b_in"]
        cache[p + "mlp.hook_pre"] = pre
        post = act(cfg["act_fn"], pre)
        cache[p + "mlp.hook_post"] = post
        mlp_out = post @ P[p + "mlp.W_out"] + P[p + "mlp.b_out"]
        cache[p + "hook_mlp_out"] = mlp_out
        resid = resid + mlp_out
        cache[p + "hook_resid_post"] = resid
    x = ln("ln_final", resid) if norm else resid
    logits = x @ P["unembed.W_U"] + P["unembed.b_U"]
    return logits, cache


def pickle_config_object(cfg, path):
    """Pickle cfg as an instance of transformer_lens.HookedTransformerConfig.HookedTransformerConfig
    (a stand-in class registered under that module name, so the pickle names it)."""
    import pickle
    import types
    pkg = types.ModuleType("transformer_lens")
    mod = types.ModuleType("transformer_lens.HookedTransformerConfig")

    class HookedTransformerConfig:
        pass

    HookedTransformerConfig.__module__ = "transformer_lens.HookedTransformerConfig"
    HookedTransformerConfig.__qualname__ = "HookedTransformerConfig"
    mod.HookedTransformerConfig = HookedTransformerConfig
    pkg.HookedTransformerConfig = mod
    sys.modules["transformer_lens"] = pkg
    sys.modules["transformer_lens.HookedTransformerConfig"] = mod
    obj = HookedTransformerConfig()
    obj.__dict__.update(cfg)
    obj.device = torch.device("cpu")
    with open(path, "wb") as f:
        pickle.dump(obj, f)


def models():
    import pickle
    for i, spec in enumerate(MODELS):
        cfg = full_cfg(spec)
        g = torch.Generator().manual_seed(1000 + i)
        sd = make_state_dict(cfg, g)
        out = os.path.join(ROOT, "model/testdata", spec["name"])
        os.makedirs(out, exist_ok=True)
        # module.state_dict() is an OrderedDict carrying a _metadata attribute.
        from collections import OrderedDict
        saved = OrderedDict(sd)
        saved._metadata = OrderedDict({"": {"version": 1}})
        torch.save(saved, os.path.join(out, "ll_model.pth"))
        if spec["cfg_as"] == "object":
            pickle_config_object(cfg, os.path.join(out, "ll_model_cfg.pkl"))
        else:
            with open(os.path.join(out, "ll_model_cfg.pkl"), "wb") as f:
                pickle.dump(cfg, f)
        batches = {
            "full": torch.randint(0, cfg["d_vocab"], (3, cfg["n_ctx"]), generator=g),
            "short": torch.randint(0, cfg["d_vocab"], (2, cfg["n_ctx"] - 2), generator=g),
        }
        expected = {}
        for bname, toks in batches.items():
            logits, cache = reference_forward(cfg, sd, toks.numpy())
            expected[bname + "/tokens"] = toks.long()
            expected[bname + "/logits"] = torch.from_numpy(np.ascontiguousarray(logits))
            for hname, a in cache.items():
                expected[bname + "/" + hname] = torch.from_numpy(np.ascontiguousarray(a))
        write_safetensors(os.path.join(out, "expected.safetensors"), expected,
                          {"made_by": "scripts/model_fixtures.py"})


def torchfile_fixtures():
    """torch.save files with views, offsets, shared storages and many dtypes."""
    import pickle
    from collections import OrderedDict
    out = os.path.join(ROOT, "formats/torchfile/testdata")
    os.makedirs(out, exist_ok=True)
    g = torch.Generator().manual_seed(3)
    base = torch.randn(3, 4, generator=g)
    big = torch.arange(24, dtype=torch.float64).reshape(4, 6)
    sd = OrderedDict()
    sd["f32"] = base
    sd["transposed"] = base.t()              # shares f32's storage, strides (1, 4)
    sd["column"] = big[1:, 2]                # storage offset 8, stride 6
    sd["f64"] = big
    sd["f16"] = base.half()
    sd["bf16"] = base.bfloat16()
    sd["i64"] = torch.tensor([[-3, 4], [2**40, -2**40]])
    sd["i32"] = torch.tensor([7, -7], dtype=torch.int32)
    sd["u8"] = torch.tensor([0, 255], dtype=torch.uint8)
    sd["bool"] = torch.tensor([True, False, True])
    sd["scalar"] = torch.tensor(-torch.inf)
    sd["param"] = torch.nn.Parameter(torch.ones(2, 2) * 0.5)
    sd["expanded"] = torch.tensor([1.0, 2.0]).expand(3, 2)  # stride 0
    sd._metadata = OrderedDict({"": {"version": 1}})  # as module.state_dict() has
    torch.save(sd, os.path.join(out, "tensors.pth"))
    torch.save(sd, os.path.join(out, "tensors_legacy.pth"), _use_new_zipfile_serialization=False)
    expect = {k: {"dtype": str(v.dtype).replace("torch.", ""), "shape": list(v.shape),
                  "values": [x if np.isfinite(x) else str(x)  # "-inf": JSON has no infinities
                             for x in v.detach().double().flatten().tolist()]}
              for k, v in sd.items()}
    with open(os.path.join(out, "tensors.json"), "w") as f:
        json.dump(expect, f, indent=1, sort_keys=True)
    # Pickled configs in several protocols, as a dict and as an object.
    cfg = full_cfg(MODELS[0])
    cfg["n_params"] = np.int64(1234)     # more numpy scalars, as configs may hold
    cfg["use_local_attn"] = np.bool_(False)
    for proto in (0, 2, 4):
        with open(os.path.join(out, "cfg_dict_p%d.pkl" % proto), "wb") as f:
            pickle.dump(cfg, f, protocol=proto)
    pickle_config_object(cfg, os.path.join(out, "cfg_object.pkl"))
    with open(os.path.join(out, "cfg.json"), "w") as f:
        c = {k: (v.item() if isinstance(v, np.generic) else v) for k, v in cfg.items()}
        c["dtype"] = "float32"
        json.dump(c, f, indent=1, sort_keys=True)


def torch_forward(cfg, P, tokens):
    """The same math in float32 torch ops, the way TransformerLens computes it
    (einsum per component, no hooks): a lower bound for TransformerLens' time."""
    B, T = tokens.shape
    x = P["embed.W_E"][tokens] + P["pos_embed.W_pos"][:T]
    mask = torch.tril(torch.ones(T, T, dtype=torch.bool))
    for l in range(cfg["n_layers"]):
        p = "blocks.%d." % l
        q = torch.einsum("btd,hde->bthe", x, P[p + "attn.W_Q"]) + P[p + "attn.b_Q"]
        k = torch.einsum("btd,hde->bthe", x, P[p + "attn.W_K"]) + P[p + "attn.b_K"]
        v = torch.einsum("btd,hde->bthe", x, P[p + "attn.W_V"]) + P[p + "attn.b_V"]
        s = torch.einsum("bqhe,bkhe->bhqk", q, k) / cfg["attn_scale"]
        s = torch.where(mask, s, torch.tensor(-torch.inf))
        z = torch.einsum("bhqk,bkhe->bqhe", torch.softmax(s, -1), v)
        x = x + torch.einsum("bqhe,hed->bqd", z, P[p + "attn.W_O"]) + P[p + "attn.b_O"]
        h = torch.nn.functional.gelu(x @ P[p + "mlp.W_in"] + P[p + "mlp.b_in"])
        x = x + h @ P[p + "mlp.W_out"] + P[p + "mlp.b_out"]
    return x @ P["unembed.W_U"] + P["unembed.b_U"]


def bench():
    """Time torch_forward for the sizes of model/bench_test.go (tokens/s)."""
    import time
    torch.set_num_threads(2)
    sizes = [("InterpBench 320x5", dict(n_layers=2, d_model=9, n_heads=4, d_head=2, d_mlp=8, n_ctx=5, d_vocab=6), 320, 5),
             ("d_model 120 x n_ctx 60", dict(n_layers=2, d_model=120, n_heads=4, d_head=30, d_mlp=480, n_ctx=60, d_vocab=30), 32, 60)]
    for name, spec, B, T in sizes:
        cfg = full_cfg(dict(spec, act_fn="gelu", normalization_type=None, d_vocab_out=spec["d_vocab"]))
        sd = make_state_dict(cfg, torch.Generator().manual_seed(0))
        tokens = torch.randint(0, cfg["d_vocab"], (B, T))
        with torch.no_grad():
            for _ in range(3):
                torch_forward(cfg, sd, tokens)
            n, t0, c0 = 0, time.perf_counter(), time.process_time()
            while time.perf_counter() - t0 < 3:
                torch_forward(cfg, sd, tokens)
                n += 1
            dt = (time.perf_counter() - t0) / n
            cpu = (time.process_time() - c0) / n
        print("%-24s wall %8.3f ms/forward (%9.0f tokens/s)  cpu %8.3f ms/forward  (torch %s, 2 threads)"
              % (name, dt * 1e3, B * T / dt, cpu * 1e3, torch.__version__))


def main():
    if "--bench" in sys.argv:
        bench()
        return
    torch.manual_seed(0)
    safetensors_dtypes()
    models()
    torchfile_fixtures()


if __name__ == "__main__":
    sys.exit(main())

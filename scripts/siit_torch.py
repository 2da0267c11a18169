#!/usr/bin/python3
"""Plain PyTorch SIIT trainer: the CPU speed reference for `glassbox siit` (issue 12, "Speed").

Usage:

  /tmp/gb compile 3 --out /tmp/hl3                                   # HL: the compiled model
  /tmp/gb siit 3 --out /tmp/ll3 --epochs 1                           # LL shape, correspondence, data size
  env -u OPENBLAS_CORETYPE /usr/bin/python3 scripts/siit_torch.py --hl /tmp/hl3 --siit /tmp/ll3 --threads 2
  /tmp/gb compile 21 --out /tmp/hl21 && /tmp/gb siit 21 --out /tmp/ll21 --epochs 1
  /usr/bin/python3 scripts/siit_torch.py --hl /tmp/hl21 --siit /tmp/ll21 --epochs 3    # categorical

  options: --threads N (torch intra-op threads, default 2)   --blas-threads N (OpenBLAS/OMP/MKL, default 1)
           --epochs N (cap, default 2000)   --samples N (rows; default: the folder's)   --batch-size N (512)
           --lr F (1e-2)   --clip-grad-norm F (0.1)   --iit-weight F (1)   --behavior-weight F (1)
           --strict-weight F (default: the siit folder's meta.json, e.g. case 3: 10, case 21: 0.5)
           --seed N (pairs, order, node draws; 0)   --data-seed N (rows; 42)   --init-seed N (0)
           --early-stop F (stop when accuracy, IIA and strict accuracy all reach F; 1.0; 0 = never)
           --loss-from-position N (0: gen1 scores every position)   --atol F (0.05)
           --eval-batch N (validation pairs per forward, 8192; the metrics do not depend on it)

It implements the gen-1 recipe (InterpBench June 2024, the one that trained the released case-3 model) in
plain torch 1.13 + numpy, float32, with no transformer_lens: the same model, data and recipe as glassbox's
`siit` package, so the two can be timed side by side on one machine.

- HL: the compiled model in --hl (config.json + model.safetensors with TransformerLens names, missing
  biases are zero; no LayerNorm, relu MLP, attn_scale from config.json, causal or bidirectional).
  Numerical cases (d_vocab_out 1) output the single logit, categorical ones the argmax class.
- LL: the shape in --siit/config.json (GELU = exact erf, learned positions, b_U), the HL -> LL map in
  --siit/correspondence.json; non-circuit nodes = every LL (blocks.L.attn.hook_result, head) and
  blocks.L.mlp.hook_post not in the map. Init: every W_* ~ N(0, 0.8/sqrt(HL d_model)), biases 0, seeded
  with --init-seed.
- Data: --samples uniform full-length rows (default: as many as the --siit folder's run used, its meta.json
  train_pairs + val_pairs, i.e. the recipe's own rule: gen 1 sizes by the count of all inputs, 24,000 for case 3,
  29,511 for case 21; 24,000 when the folder has no meta.json) (BOS + n_ctx-1 tokens from the vocabulary, no PAD) drawn with
  numpy seeded --data-seed; first 80 % train, the rest validation. Pair i of a split is (base, source) drawn
  by np.random.default_rng(seed*1000000 + i) (as iit's IITDataset), so pairs are fixed and only their order
  (torch.randperm with a seeded generator) changes per epoch.
- Step per batch, three separate Adam steps (each with clip_grad_norm_): IIT (one HL node drawn uniformly;
  target = HL(base) with the node replaced by HL(source)'s; prediction = LL(base) with the node's LL nodes
  replaced by LL(source)'s), strict (LL(source) re-run since the weights changed; one non-circuit node drawn
  uniformly and patched; target = HL(base) clean), behaviour (LL(base) vs HL(base) clean). MSE for numerical,
  cross-entropy on the HL argmax class for categorical outputs.
- Eval per epoch on every validation pair, positions 1: only (numerical |LL-HL| < atol, categorical argmax
  equal): val/accuracy, val/IIA (mean over HL nodes, every node on every pair), val/strict_accuracy (mean
  over non-circuit nodes). The HL outputs of the validation pairs never change, so they are computed once
  before training (in "setup_seconds", not in any epoch's time).

BLAS: Debian's torch calls whatever libblas.so.3 the system resolves. With only libblas3 (netlib's
reference BLAS) installed, torch's products here run about 2x slower than with OpenBLAS on case 3 and
several times slower on wider models (case 21); the issue's reference numbers used OpenBLAS
single-threaded. For a fair timing install libopenblas0-pthread (apt), or
point LD_LIBRARY_PATH at its openblas-pthread directory; the script sets OPENBLAS_NUM_THREADS=1 (see
--blas-threads; a value already in the environment wins) and reports the library it mapped
("blas_libraries", "blas") and warns on the reference BLAS. Threads: --threads 2 only helps on an idle
machine; on a busy one torch's OpenMP threads wait for each other and an epoch gets several times slower.

Output (stdout): a "setup" JSON line (threads, BLAS, shapes), one JSON line per epoch (epoch,
train_seconds, eval_seconds, losses, metrics) and a "summary" line (epochs to the early stop, total
training seconds, seconds per epoch). Human-readable notes go to stderr.

Hooks are explicit patch arguments of one forward function; the per-head result (TransformerLens'
hook_result, z_h . W_O[h] without b_O) is only materialised in layers where a head is patched or read.
"""
import argparse
import json
import os
import re
import struct
import sys
import time


def parse_args(argv):
    p = argparse.ArgumentParser(description="PyTorch reference of glassbox's SIIT trainer (gen-1 recipe)")
    p.add_argument("--hl", required=True, help="compiled HL model dir (glassbox compile N --out DIR)")
    p.add_argument("--siit", required=True, help="glassbox siit output dir (LL config.json, correspondence.json)")
    p.add_argument("--threads", type=int, default=2, help="torch.set_num_threads (default 2)")
    p.add_argument("--blas-threads", type=int, default=1,
                   help="OPENBLAS/OMP/MKL_NUM_THREADS unless already set in the environment (default 1)")
    p.add_argument("--epochs", type=int, default=2000)
    p.add_argument("--samples", type=int, default=None,
                   help="rows (default: the --siit folder's train_pairs + val_pairs, else 24000)")
    p.add_argument("--train-frac", type=float, default=0.8)
    p.add_argument("--batch-size", type=int, default=512)
    p.add_argument("--lr", type=float, default=1e-2)
    p.add_argument("--beta1", type=float, default=0.9)
    p.add_argument("--beta2", type=float, default=0.999)
    p.add_argument("--eps", type=float, default=1e-8)
    p.add_argument("--clip-grad-norm", type=float, default=0.1)
    p.add_argument("--iit-weight", type=float, default=1.0)
    p.add_argument("--behavior-weight", type=float, default=1.0)
    p.add_argument("--strict-weight", type=float, default=None,
                   help="default: strict_weight of --siit/meta.json, else 0.4")
    p.add_argument("--seed", type=int, default=0, help="pairs, shuffled order, node draws")
    p.add_argument("--data-seed", type=int, default=42, help="dataset rows")
    p.add_argument("--init-seed", type=int, default=0, help="LL initialisation")
    p.add_argument("--early-stop", type=float, default=1.0, help="0 = never")
    p.add_argument("--loss-from-position", type=int, default=0)
    p.add_argument("--atol", type=float, default=0.05)
    p.add_argument("--eval-batch", type=int, default=8192,
                   help="validation pairs per forward (default 8192; 0 = all at once)")
    a = p.parse_args(argv)
    if a.samples is None:
        a.samples = folder_samples(a.siit)
    for name in ("threads", "blas_threads", "epochs", "samples", "batch_size"):
        if getattr(a, name) < 1:
            p.error("--%s must be >= 1, got %d" % (name.replace("_", "-"), getattr(a, name)))
    if a.samples > 10_000_000:
        p.error("--samples %d: more than 10,000,000 rows" % a.samples)
    if not 0 < a.train_frac < 1:
        p.error("--train-frac must be in (0, 1), got %g" % a.train_frac)
    return a


def fail(msg):
    sys.stderr.write("siit_torch: %s\n" % msg)
    sys.exit(2)


def read_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except OSError as e:
        fail("read %s: %s" % (path, e))
    except ValueError as e:
        fail("%s: not JSON: %s" % (path, e))


def folder_samples(siit_dir):
    """The number of rows the glassbox run in siit_dir used (meta.json's train_pairs + val_pairs), else 24000."""
    path = os.path.join(siit_dir, "meta.json")
    if not os.path.exists(path):
        return 24000
    meta = read_json(path)
    try:
        g = meta["glassbox"]
        return int(g["train_pairs"]) + int(g["val_pairs"])
    except (ValueError, KeyError, TypeError) as e:
        fail("%s: cannot read glassbox train_pairs/val_pairs (%s); pass --samples" % (path, e))


ARGS = parse_args(sys.argv[1:])
# BLAS threads must be fixed before numpy/torch load their BLAS: OpenBLAS' own threads make these tiny
# products several times slower (issue 12).
for _v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, str(ARGS.blas_threads))

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402


# ---------------------------------------------------------------- files

ST_DTYPES = {"F32": np.float32, "F64": np.float64, "F16": np.float16, "BF16": None}


def read_safetensors(path):
    """Every tensor of a safetensors file as float32 torch tensors, by name."""
    try:
        with open(path, "rb") as f:
            b = f.read()
    except OSError as e:
        fail("read %s: %s" % (path, e))
    if len(b) < 8:
        fail("%s: %d bytes, too short for a safetensors header" % (path, len(b)))
    n = struct.unpack("<Q", b[:8])[0]
    if n > len(b) - 8:
        fail("%s: header length %d exceeds the file (%d bytes)" % (path, n, len(b)))
    try:
        header = json.loads(b[8:8 + n])
    except ValueError as e:
        fail("%s: header is not JSON: %s" % (path, e))
    data = b[8 + n:]
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        dt = ST_DTYPES.get(e.get("dtype"))
        if dt is None:
            fail("%s: tensor %s: dtype %r, expected F32, F64 or F16" % (path, name, e.get("dtype")))
        lo, hi = e["data_offsets"]
        shape = e["shape"]
        count = int(np.prod(shape)) if shape else 1
        if not 0 <= lo <= hi <= len(data) or hi - lo != count * np.dtype(dt).itemsize:
            fail("%s: tensor %s: offsets [%d, %d) do not fit shape %s of %s in %d data bytes"
                 % (path, name, lo, hi, shape, e["dtype"], len(data)))
        arr = np.frombuffer(data[lo:hi], dtype=np.dtype(dt).newbyteorder("<")).reshape(shape)
        out[name] = torch.from_numpy(arr.astype(np.float32))
    return out


def cfg_int(cfg, key, path):
    v = cfg.get(key)
    if not isinstance(v, int) or isinstance(v, bool) or v < 1:
        fail("%s: %s = %r, expected a positive integer" % (path, key, v))
    return v


class Config:
    """The HookedTransformerConfig fields the forward pass needs."""

    def __init__(self, cfg, path):
        self.n_layers = cfg_int(cfg, "n_layers", path)
        self.d_model = cfg_int(cfg, "d_model", path)
        self.n_ctx = cfg_int(cfg, "n_ctx", path)
        self.d_head = cfg_int(cfg, "d_head", path)
        self.n_heads = cfg_int(cfg, "n_heads", path)
        self.d_vocab = cfg_int(cfg, "d_vocab", path)
        self.d_vocab_out = cfg_int(cfg, "d_vocab_out", path)
        self.attn_only = bool(cfg.get("attn_only", False))
        self.d_mlp = 0 if self.attn_only else cfg_int(cfg, "d_mlp", path)
        self.act_fn = cfg.get("act_fn", "relu")
        if self.act_fn not in ("relu", "gelu"):
            fail("%s: act_fn %r, expected relu or gelu" % (path, self.act_fn))
        if cfg.get("normalization_type") not in (None, "", "None"):
            fail("%s: normalization_type %r, expected null (no LayerNorm)" % (path, cfg.get("normalization_type")))
        scale = cfg.get("attn_scale")
        if not cfg.get("use_attn_scale", True):
            scale = 1.0
        elif not isinstance(scale, (int, float)) or scale <= 0:
            scale = self.d_head ** 0.5
        self.attn_scale = float(scale)
        d = cfg.get("attention_dir", "causal")
        if d not in ("causal", "bidirectional"):
            fail("%s: attention_dir %r, expected causal or bidirectional" % (path, d))
        self.causal = d == "causal"


def load_params(cfg, tensors, path):
    """TransformerLens-named parameters with shapes checked; absent biases become zeros."""
    H, dh, dm, dmlp = cfg.n_heads, cfg.d_head, cfg.d_model, cfg.d_mlp
    want = {"embed.W_E": (cfg.d_vocab, dm), "pos_embed.W_pos": (cfg.n_ctx, dm),
            "unembed.W_U": (dm, cfg.d_vocab_out), "unembed.b_U": (cfg.d_vocab_out,)}
    for L in range(cfg.n_layers):
        a = "blocks.%d.attn." % L
        for w in "QKV":
            want[a + "W_" + w] = (H, dm, dh)
            want[a + "b_" + w] = (H, dh)
        want[a + "W_O"] = (H, dh, dm)
        want[a + "b_O"] = (dm,)
        if not cfg.attn_only:
            m = "blocks.%d.mlp." % L
            want.update({m + "W_in": (dm, dmlp), m + "b_in": (dmlp,), m + "W_out": (dmlp, dm), m + "b_out": (dm,)})
    out = {}
    for name, shape in want.items():
        t = tensors.get(name)
        if t is None:
            if ".b_" not in name:
                fail("%s: tensor %s missing" % (path, name))
            t = torch.zeros(shape)
        if tuple(t.shape) != shape:
            fail("%s: tensor %s has shape %s, expected %s" % (path, name, list(t.shape), list(shape)))
        out[name] = t
    return out


def fuse(P, cfg):
    """The layout the forward pass uses, from TransformerLens-named tensors: per layer one
    [d_model, 3·H·d_head] QKV matrix and its bias; W_O, b_O and the MLP as they are.
    Adam and the global-norm clip are elementwise / layout-free, so training these fused tensors
    is the same optimisation as training TransformerLens' separate W_Q, W_K, W_V."""
    H, dh, dm = cfg.n_heads, cfg.d_head, cfg.d_model
    model = {"W_E": P["embed.W_E"], "W_pos": P["pos_embed.W_pos"], "W_U": P["unembed.W_U"],
             "b_U": P["unembed.b_U"], "layers": []}
    for L in range(cfg.n_layers):
        a = "blocks.%d.attn." % L
        W = torch.cat([P[a + "W_" + w].permute(1, 0, 2).reshape(dm, H * dh) for w in "QKV"], 1)
        b = torch.cat([P[a + "b_" + w].reshape(H * dh) for w in "QKV"])
        lay = {"W_qkv": W.contiguous(), "b_qkv": b, "W_O": P[a + "W_O"], "b_O": P[a + "b_O"]}
        if not cfg.attn_only:
            m = "blocks.%d.mlp." % L
            lay.update({k: P[m + k] for k in ("W_in", "b_in", "W_out", "b_out")})
        model["layers"].append(lay)
    return model


def leaves(model):
    """The fused model's tensors as trainable leaves, in a fixed order."""
    out = {k: model[k].detach().clone().requires_grad_(True) for k in ("W_E", "W_pos", "W_U", "b_U")}
    out["layers"] = [{k: v.detach().clone().requires_grad_(True) for k, v in lay.items()} for lay in model["layers"]]
    params = [out[k] for k in ("W_E", "W_pos")]
    for lay in out["layers"]:
        params += [lay[k] for k in sorted(lay)]
    params += [out["W_U"], out["b_U"]]
    return out, params


# ---------------------------------------------------------------- model

_MASKS = {}


def causal_mask(T):
    """[T, T] True above the diagonal (the keys a query may not see), built once per length."""
    m = _MASKS.get(T)
    if m is None:
        m = _MASKS[T] = torch.ones(T, T, dtype=torch.bool).triu(1)
    return m


def forward(M, cfg, tokens, patch=None, want=()):
    """Logits [B, T, d_vocab_out] of tokens [B, T].

    Nodes are (layer, head) for blocks.L.attn.hook_result[:, :, head] and (layer, None) for
    blocks.L.mlp.hook_post. patch maps nodes to replacement values ([B, T, d_model] for heads,
    [B, T, d_mlp] for MLPs); want lists nodes whose (patched) values are returned in a dict.
    """
    patch = patch or {}
    B, T = tokens.shape
    H, dh = cfg.n_heads, cfg.d_head
    x = M["W_E"][tokens] + M["W_pos"][:T]
    cache = {}
    mask = causal_mask(T) if cfg.causal else None
    for L, lay in enumerate(M["layers"]):
        qkv = torch.addmm(lay["b_qkv"], x.reshape(B * T, -1), lay["W_qkv"]).view(B, T, 3, H, dh)
        q, k, v = qkv.permute(2, 0, 3, 1, 4).unbind(0)  # [B, H, T, dh] each
        scores = q @ k.transpose(-1, -2) / cfg.attn_scale
        if mask is not None:
            scores = scores.masked_fill(mask, float("-inf"))
        z = scores.softmax(-1) @ v  # [B, H, T, dh]
        heads = [h for h in range(H) if (L, h) in patch or (L, h) in want]
        if heads:
            result = torch.einsum("bhtd,hdm->bthm", z, lay["W_O"])  # TL hook_result
            ph = [h for h in heads if (L, h) in patch]
            if ph:
                idx = torch.tensor(ph)
                result = result.index_copy(2, idx, torch.stack([patch[(L, h)] for h in ph], 2))
            for h in heads:
                if (L, h) in want:
                    cache[(L, h)] = result[:, :, h]
            x = x + result.sum(2) + lay["b_O"]
        else:
            zf = z.transpose(1, 2).reshape(B * T, H * dh)
            x = x + torch.addmm(lay["b_O"], zf, lay["W_O"].reshape(H * dh, -1)).view(B, T, -1)
        if cfg.attn_only:
            continue
        pre = torch.addmm(lay["b_in"], x.reshape(B * T, -1), lay["W_in"]).view(B, T, -1)
        post = F.gelu(pre) if cfg.act_fn == "gelu" else F.relu(pre)
        node = (L, None)
        if node in patch:
            post = patch[node]
        if node in want:
            cache[node] = post
        x = x + torch.addmm(lay["b_out"], post.reshape(B * T, -1), lay["W_out"]).view(B, T, -1)
    logits = torch.addmm(M["b_U"], x.reshape(B * T, -1), M["W_U"]).view(B, T, -1)
    return logits, cache


HOOK_RE = re.compile(r"^blocks\.(\d+)\.(attn\.hook_result|mlp\.hook_post)$")


def parse_node(d, cfg, where):
    if not isinstance(d, dict):
        fail("%s: expected an object with hook and head, got %r" % (where, d))
    hook, head = d.get("hook"), d.get("head")
    m = HOOK_RE.match(hook or "")
    if not m:
        fail("%s: hook %r, expected blocks.L.attn.hook_result or blocks.L.mlp.hook_post" % (where, hook))
    L = int(m.group(1))
    if L >= cfg.n_layers:
        fail("%s: hook %s: layer %d, the model has %d layers" % (where, hook, L, cfg.n_layers))
    if m.group(2) == "mlp.hook_post":
        if head is not None:
            fail("%s: hook %s takes head null, got %r" % (where, hook, head))
        if cfg.attn_only:
            fail("%s: hook %s: the model is attention-only" % (where, hook))
        return (L, None)
    if not isinstance(head, int) or isinstance(head, bool) or not 0 <= head < cfg.n_heads:
        fail("%s: hook %s: head %r, expected 0..%d" % (where, hook, head, cfg.n_heads - 1))
    return (L, head)


def node_name(n):
    L, h = n
    return "blocks.%d.mlp.hook_post" % L if h is None else "blocks.%d.attn.hook_result[%d]" % (L, h)


# ---------------------------------------------------------------- data

def make_rows(tok, n_ctx, samples, seed, path):
    enc = tok.get("token_encoding") or {}
    bos, pad = tok.get("bos", "BOS"), tok.get("pad", "PAD")
    if bos not in enc:
        fail("%s: token_encoding has no BOS token %r" % (path, bos))
    vocab = [enc[t] for t in tok.get("tokens", []) if t not in (bos, pad)]
    if not vocab:
        fail("%s: no vocabulary tokens besides BOS and PAD" % path)
    draws = np.random.default_rng(seed).integers(0, len(vocab), size=(samples, n_ctx - 1))
    rows = np.empty((samples, n_ctx), dtype=np.int64)
    rows[:, 0] = enc[bos]
    rows[:, 1:] = np.asarray(vocab, dtype=np.int64)[draws]
    return rows


def make_pairs(n, seed):
    """iit's IITDataset: item i is (base, source) drawn by default_rng(seed*1000000 + i)."""
    base = np.empty(n, dtype=np.int64)
    src = np.empty(n, dtype=np.int64)
    for i in range(n):
        rng = np.random.default_rng(seed * 1000000 + i)
        base[i] = rng.choice(n)
        src[i] = rng.choice(n)
    return torch.from_numpy(base), torch.from_numpy(src)


# ---------------------------------------------------------------- training

def blas_library():
    """The BLAS shared library torch actually mapped (Debian's torch uses the system libblas)."""
    try:
        with open("/proc/self/maps") as f:
            libs = sorted({line.split()[-1] for line in f if "blas" in line.lower() or "mkl" in line.lower()})
        return [os.path.realpath(p) for p in libs if p.startswith("/")]
    except OSError:
        return []


def main(a):
    t_setup = time.perf_counter()
    torch.set_num_threads(a.threads)
    hl_cfg_path = os.path.join(a.hl, "config.json")
    ll_cfg_path = os.path.join(a.siit, "config.json")
    hl_cfg = Config(read_json(hl_cfg_path), hl_cfg_path)
    ll_raw = read_json(ll_cfg_path)
    ll_cfg = Config(ll_raw, ll_cfg_path)
    if ll_cfg.attn_only:
        fail("%s: attn_only LL models are not SIIT models" % ll_cfg_path)
    for k in ("n_ctx", "d_vocab", "d_vocab_out"):
        if getattr(hl_cfg, k) != getattr(ll_cfg, k):
            fail("%s: %s = %d but the HL in %s has %d" % (ll_cfg_path, k, getattr(ll_cfg, k), a.hl, getattr(hl_cfg, k)))
    hl_st = os.path.join(a.hl, "model.safetensors")
    HL = fuse(load_params(hl_cfg, read_safetensors(hl_st), hl_st), hl_cfg)
    tok_path = os.path.join(a.hl, "tokenizer.json")
    tok = read_json(tok_path)
    categorical = bool(tok.get("categorical", hl_cfg.d_vocab_out > 1))
    if not categorical and hl_cfg.d_vocab_out != 1:
        fail("%s: numerical output but d_vocab_out = %d, expected 1" % (hl_cfg_path, hl_cfg.d_vocab_out))

    corr_path = os.path.join(a.siit, "correspondence.json")
    corr = read_json(corr_path)
    if not isinstance(corr, list) or not corr:
        fail("%s: expected a non-empty JSON list of {hl, ll} entries" % corr_path)
    hl_nodes, ll_of = [], []
    for i, e in enumerate(corr):
        where = "%s: entry %d" % (corr_path, i)
        if not isinstance(e, dict) or not isinstance(e.get("ll"), list) or not e["ll"]:
            fail("%s: expected {\"hl\": {...}, \"ll\": [at least one node]}" % where)
        hl_nodes.append(parse_node(e.get("hl"), hl_cfg, where + " hl"))
        ll_of.append([parse_node(n, ll_cfg, "%s ll[%d]" % (where, j)) for j, n in enumerate(e["ll"])])
    circuit = {n for ns in ll_of for n in ns}
    non_circuit = [(L, h) for L in range(ll_cfg.n_layers) for h in list(range(ll_cfg.n_heads)) + [None]
                   if (L, h) not in circuit]
    all_ll_nodes = sorted(circuit | set(non_circuit), key=lambda n: (n[0], n[1] is None, n[1] or 0))

    strict_w = a.strict_weight
    if strict_w is None:
        meta_path = os.path.join(a.siit, "meta.json")
        strict_w = 0.4
        if os.path.exists(meta_path):
            sw = read_json(meta_path).get("strict_weight")
            if isinstance(sw, (int, float)):
                strict_w = float(sw)

    # LL init: every W_* ~ N(0, 0.8/sqrt(HL d_model)), biases 0, in TransformerLens' parameter order.
    sigma = 0.8 / hl_cfg.d_model ** 0.5
    torch.manual_seed(a.init_seed)
    H, dh, dm, dmlp = ll_cfg.n_heads, ll_cfg.d_head, ll_cfg.d_model, ll_cfg.d_mlp
    order = [("embed.W_E", (ll_cfg.d_vocab, dm)), ("pos_embed.W_pos", (ll_cfg.n_ctx, dm))]
    for L in range(ll_cfg.n_layers):
        p = "blocks.%d." % L
        order += [(p + "attn.W_Q", (H, dm, dh)), (p + "attn.W_K", (H, dm, dh)), (p + "attn.W_V", (H, dm, dh)),
                  (p + "attn.W_O", (H, dh, dm)), (p + "attn.b_Q", (H, dh)), (p + "attn.b_K", (H, dh)),
                  (p + "attn.b_V", (H, dh)), (p + "attn.b_O", (dm,)),
                  (p + "mlp.W_in", (dm, dmlp)), (p + "mlp.b_in", (dmlp,)),
                  (p + "mlp.W_out", (dmlp, dm)), (p + "mlp.b_out", (dm,))]
    order += [("unembed.W_U", (dm, ll_cfg.d_vocab_out)), ("unembed.b_U", (ll_cfg.d_vocab_out,))]
    init = {}
    for name, shape in order:
        init[name] = torch.empty(shape).normal_(0.0, sigma) if ".W_" in name else torch.zeros(shape)
    LL, params = leaves(fuse(init, ll_cfg))
    opt = torch.optim.Adam(params, lr=a.lr, betas=(a.beta1, a.beta2), eps=a.eps)

    # Data and pairs.
    rows = torch.from_numpy(make_rows(tok, hl_cfg.n_ctx, a.samples, a.data_seed, tok_path))
    n_train = int(a.samples * a.train_frac)
    if n_train < 1 or n_train >= a.samples:
        fail("--samples %d with --train-frac %g leaves an empty split" % (a.samples, a.train_frac))
    train_rows, val_rows = rows[:n_train], rows[n_train:]
    tr_base, tr_src = make_pairs(len(train_rows), a.seed)
    va_base, va_src = make_pairs(len(val_rows), a.seed)
    order_gen = torch.Generator().manual_seed(a.seed)
    node_rng = np.random.default_rng(a.seed)
    lp = a.loss_from_position
    if not 0 <= lp < hl_cfg.n_ctx:
        fail("--loss-from-position %d: expected 0..%d (n_ctx %d)" % (lp, hl_cfg.n_ctx - 1, hl_cfg.n_ctx))

    def loss_fn(out, target):
        """out: LL logits; target: HL logits (numerical: value, categorical: argmax class)."""
        out, target = out[:, lp:], target[:, lp:]
        if categorical:
            return F.cross_entropy(out.reshape(-1, out.shape[-1]), target.argmax(-1).reshape(-1))
        return F.mse_loss(out, target)

    def match(out, target):
        """Per-(pair, position) matches over positions 1:, as a float tensor."""
        out, target = out[:, 1:], target[:, 1:]
        if categorical:
            return (out.argmax(-1) == target.argmax(-1)).float()
        return ((out - target).abs() < a.atol).all(-1).float()

    # Validation HL outputs never change: compute them once.
    n_val = len(val_rows)
    eb = a.eval_batch if a.eval_batch > 0 else n_val
    with torch.no_grad():
        vb_all, vs_all = val_rows[va_base], val_rows[va_src]
        val_y, val_iit_t = [], [[] for _ in hl_nodes]
        for s in range(0, n_val, eb):
            vb, vs = vb_all[s:s + eb], vs_all[s:s + eb]
            y, _ = forward(HL, hl_cfg, vb)
            val_y.append(y)
            _, hc = forward(HL, hl_cfg, vs, want=set(hl_nodes))
            for j, n in enumerate(hl_nodes):
                t, _ = forward(HL, hl_cfg, vb, patch={n: hc[n]})
                val_iit_t[j].append(t)

    def evaluate():
        acc, iia, strict = [], [[] for _ in hl_nodes], [[] for _ in non_circuit]
        with torch.no_grad():
            for c, s in enumerate(range(0, n_val, eb)):
                vb, vs = vb_all[s:s + eb], vs_all[s:s + eb]
                out, _ = forward(LL, ll_cfg, vb)
                acc.append(match(out, val_y[c]))
                _, sc = forward(LL, ll_cfg, vs, want=set(all_ll_nodes))
                for j, ns in enumerate(ll_of):
                    out, _ = forward(LL, ll_cfg, vb, patch={n: sc[n] for n in ns})
                    iia[j].append(match(out, val_iit_t[j][c]))
                for j, n in enumerate(non_circuit):
                    out, _ = forward(LL, ll_cfg, vb, patch={n: sc[n]})
                    strict[j].append(match(out, val_y[c]))
        iia_n = [torch.cat(m).mean().item() for m in iia]
        strict_n = [torch.cat(m).mean().item() for m in strict]
        return {"val/accuracy": torch.cat(acc).mean().item(),
                "val/IIA": float(np.mean(iia_n)),
                "val/strict_accuracy": float(np.mean(strict_n)) if strict_n else 1.0,
                "iia_per_node": iia_n, "strict_per_node": strict_n}

    def check(loss, kind, epoch, batch):
        if not torch.isfinite(loss):
            fail("epoch %d batch %d: %s loss is %s" % (epoch, batch, kind, loss.item()))

    def step(loss, weight):
        opt.zero_grad(set_to_none=True)
        (weight * loss).backward()
        if a.clip_grad_norm > 0:
            torch.nn.utils.clip_grad_norm_(params, a.clip_grad_norm)
        opt.step()

    blas = blas_library()
    blas_kind = ("openblas" if any("openblas" in p for p in blas) else
                 "mkl" if any("mkl" in p for p in blas) else
                 "blis" if any("blis" in p for p in blas) else
                 "reference (netlib)" if any("/blas/libblas" in p for p in blas) else "unknown")
    setup = {
        "setup": {
            "torch": torch.__version__, "numpy": np.__version__, "threads": torch.get_num_threads(),
            "interop_threads": torch.get_num_interop_threads(),
            "env": {k: os.environ.get(k) for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
                                                   "OPENBLAS_CORETYPE")},
            "blas_libraries": blas, "blas": blas_kind,
            "hl": a.hl, "siit": a.siit,
            "ll": {k: ll_raw.get(k) for k in ("n_layers", "d_model", "n_heads", "d_head", "d_mlp", "n_ctx",
                                              "d_vocab", "d_vocab_out", "act_fn", "attention_dir")},
            "ll_attn_scale": ll_cfg.attn_scale, "init_std": sigma, "categorical": categorical,
            "hl_nodes": [node_name(n) for n in hl_nodes],
            "ll_nodes": [[node_name(n) for n in ns] for ns in ll_of],
            "non_circuit": [node_name(n) for n in non_circuit],
            "recipe": {"lr": a.lr, "betas": [a.beta1, a.beta2], "eps": a.eps, "clip_grad_norm": a.clip_grad_norm,
                       "batch_size": a.batch_size, "iit_weight": a.iit_weight, "strict_weight": strict_w,
                       "behavior_weight": a.behavior_weight, "loss_from_position": lp, "atol": a.atol,
                       "early_stop": a.early_stop, "epochs": a.epochs},
            "data": {"samples": a.samples, "data_seed": a.data_seed, "seed": a.seed, "init_seed": a.init_seed,
                     "train_pairs": n_train, "val_pairs": n_val},
            "setup_seconds": time.perf_counter() - t_setup,
        }
    }
    sys.stderr.write("torch %s, %d threads (interop %d); BLAS: %s\n"
                     % (torch.__version__, torch.get_num_threads(), torch.get_num_interop_threads(),
                        ", ".join(blas) or "(none mapped)"))
    sys.stderr.write(torch.__config__.show())
    if blas_kind == "reference (netlib)":
        sys.stderr.write("warning: torch uses netlib's reference BLAS (slow); install libopenblas0-pthread "
                         "or set LD_LIBRARY_PATH to OpenBLAS for a fair timing\n")
    print(json.dumps(setup), flush=True)

    train_total = eval_total = 0.0
    stopped, epochs_run = "max epochs", 0
    for epoch in range(1, a.epochs + 1):
        t0 = time.perf_counter()
        perm = torch.randperm(n_train, generator=order_gen)
        sums = {"iit": 0.0, "strict": 0.0, "behavior": 0.0}
        seen = 0
        for s in range(0, n_train, a.batch_size):
            idx = perm[s:s + a.batch_size]
            base, src = train_rows[tr_base[idx]], train_rows[tr_src[idx]]
            B = len(idx)
            hl_j = int(node_rng.integers(len(hl_nodes)))
            hn = hl_nodes[hl_j]
            with torch.no_grad():
                both, hc = forward(HL, hl_cfg, torch.cat([base, src]), want={hn})
                y_base = both[:B]
                y_iit, _ = forward(HL, hl_cfg, base, patch={hn: hc[hn][B:]})
                _, sc = forward(LL, ll_cfg, src, want=set(ll_of[hl_j]))
            # IIT step
            out, _ = forward(LL, ll_cfg, base, patch=sc)
            l_iit = loss_fn(out, y_iit)
            check(l_iit, "iit", epoch, s // a.batch_size)
            step(l_iit, a.iit_weight)
            # strict step: the source re-run with the updated weights
            nn_ = non_circuit[int(node_rng.integers(len(non_circuit)))] if non_circuit else None
            if nn_ is not None:
                with torch.no_grad():
                    _, sc = forward(LL, ll_cfg, src, want={nn_})
                out, _ = forward(LL, ll_cfg, base, patch=sc)
                l_strict = loss_fn(out, y_base)
                check(l_strict, "strict", epoch, s // a.batch_size)
                step(l_strict, strict_w)
                sums["strict"] += l_strict.item() * B
            # behaviour step
            out, _ = forward(LL, ll_cfg, base)
            l_beh = loss_fn(out, y_base)
            check(l_beh, "behavior", epoch, s // a.batch_size)
            step(l_beh, a.behavior_weight)
            sums["iit"] += l_iit.item() * B
            sums["behavior"] += l_beh.item() * B
            seen += B
        t1 = time.perf_counter()
        m = evaluate()
        t2 = time.perf_counter()
        train_total += t1 - t0
        eval_total += t2 - t1
        epochs_run = epoch
        line = {"epoch": epoch, "train_seconds": round(t1 - t0, 4), "eval_seconds": round(t2 - t1, 4),
                "train/iit_loss": sums["iit"] / seen, "train/strict_loss": sums["strict"] / seen,
                "train/behavior_loss": sums["behavior"] / seen}
        line.update(m)
        print(json.dumps(line), flush=True)
        if a.early_stop > 0 and all(m[k] >= a.early_stop for k in ("val/accuracy", "val/IIA",
                                                                   "val/strict_accuracy")):
            stopped = "early stop"
            break
    summary = {"summary": {"stopped": stopped, "epochs": epochs_run,
                           "train_seconds": round(train_total, 3), "eval_seconds": round(eval_total, 3),
                           "seconds_per_epoch": round((train_total + eval_total) / max(epochs_run, 1), 4),
                           "train_seconds_per_epoch": round(train_total / max(epochs_run, 1), 4),
                           "eval_seconds_per_epoch": round(eval_total / max(epochs_run, 1), 4),
                           "threads": torch.get_num_threads()}}
    print(json.dumps(summary), flush=True)


if __name__ == "__main__":
    main(ARGS)

#!/usr/bin/python3
"""Writes model/grad/testdata/{numerical,categorical}.safetensors.

Run with Debian's python3 (python3-torch 1.13):  /usr/bin/python3 scripts/grad_fixtures.py

The math is TransformerLens 1.19's HookedTransformer for InterpBench's LL
models, written out in plain float32 torch (transformer_lens is not needed):
no LayerNorm, learned positions, per-head Q/K/V/O with biases, causal or
bidirectional attention scaled by 1/sqrt(d_head) with masked scores -inf,
hook_result = z_h W_O[h] (no b_O), exact erf GELU, unembed with b_U.

For two small models it records, from random init (std 0.2) and random base
and source batches (B = 8):
  * three single losses with every parameter gradient:
      iit       - one head node and one MLP node of the base run replaced by
                  the source run's values (a patched value is a constant)
      strict    - two (non-circuit) head nodes patched from the source
      behaviour - no patch
    MSE over positions 1.. for the numerical model, cross-entropy over every
    position for the categorical one, each against a fixed random target;
  * three optimisation rounds, each IIT step, strict step, behaviour step
    (source run under no_grad with the current weights, patched base run,
    loss, backward, clip_grad_norm_(0.1), Adam(lr 1e-2, (0.9, 0.999), eps
    1e-8) step; one optimiser for all steps), recording each loss and the
    final parameters.

Tensor names in the files: "param.<TL name>" (initial parameters),
"base_tokens", "source_tokens" [B,T] int64, "<kind>.target", "<kind>.loss"
(scalar as [1]), "<kind>.logits", "<kind>.grad.<TL name>", "seq.losses"
[3 rounds, 3 kinds], "seq.clip_norms" [3,3] (norm before clipping),
"seq.param.<TL name>"; the same computed in float64 (from the same float32
initial values) under the prefix "f64.". The metadata holds the config ("config", JSON with
TransformerLens keys), the patched nodes per kind ("nodes.iit",
"nodes.strict", JSON lists of "blocks.L.attn.hook_result[h]" /
"blocks.L.mlp.hook_post"), "loss" ("mse" or "ce") and "pos_from".
"""
import json
import math
import os
import re
import struct

import torch
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "model", "grad", "testdata")

ST_DTYPES = {torch.float32: "F32", torch.float64: "F64", torch.int64: "I64"}


def write_safetensors(path, tensors, metadata):
    """Minimal safetensors writer: 8-byte LE header length, JSON header, data."""
    header, blobs, off = {}, [], 0
    for name in sorted(tensors):
        t = tensors[name].detach().contiguous()
        b = t.numpy().tobytes()
        header[name] = {"dtype": ST_DTYPES[t.dtype], "shape": list(t.shape),
                        "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    header["__metadata__"] = metadata
    hj = json.dumps(header, separators=(",", ":")).encode()
    hj += b" " * (-len(hj) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hj)))
        f.write(hj)
        for b in blobs:
            f.write(b)


def param_shapes(cfg):
    D, H, dh, M = cfg["d_model"], cfg["n_heads"], cfg["d_head"], cfg["d_mlp"]
    out = [("embed.W_E", (cfg["d_vocab"], D)), ("pos_embed.W_pos", (cfg["n_ctx"], D))]
    for l in range(cfg["n_layers"]):
        p = "blocks.%d." % l
        out += [(p + "attn.W_Q", (H, D, dh)), (p + "attn.W_K", (H, D, dh)), (p + "attn.W_V", (H, D, dh)),
                (p + "attn.W_O", (H, dh, D)), (p + "attn.b_Q", (H, dh)), (p + "attn.b_K", (H, dh)),
                (p + "attn.b_V", (H, dh)), (p + "attn.b_O", (D,)),
                (p + "mlp.W_in", (D, M)), (p + "mlp.b_in", (M,)), (p + "mlp.W_out", (M, D)),
                (p + "mlp.b_out", (D,))]
    out += [("unembed.W_U", (D, cfg["d_vocab_out"])), ("unembed.b_U", (cfg["d_vocab_out"],))]
    return out


def parse_node(s):
    m = re.fullmatch(r"blocks\.(\d+)\.attn\.hook_result\[(\d+)\]", s)
    if m:
        return ("attn", int(m.group(1)), int(m.group(2)))
    m = re.fullmatch(r"blocks\.(\d+)\.mlp\.hook_post", s)
    return ("mlp", int(m.group(1)), None)


def forward(cfg, P, tokens, patches=None, record=()):
    """Returns (logits, {node: value}); patches maps a node string to a
    [B,T,width] tensor that replaces the node."""
    patches = patches or {}
    pk = {parse_node(k): v for k, v in patches.items()}
    rec = {parse_node(k): k for k in record}
    got = {}
    B, T = tokens.shape
    H = cfg["n_heads"]
    x = P["embed.W_E"][tokens] + P["pos_embed.W_pos"][:T].unsqueeze(0)
    causal = cfg["attention_dir"] == "causal"
    mask = torch.tril(torch.ones(T, T, dtype=torch.bool))
    for l in range(cfg["n_layers"]):
        p = "blocks.%d." % l
        q = torch.einsum("btd,hde->bthe", x, P[p + "attn.W_Q"]) + P[p + "attn.b_Q"]
        k = torch.einsum("btd,hde->bthe", x, P[p + "attn.W_K"]) + P[p + "attn.b_K"]
        v = torch.einsum("btd,hde->bthe", x, P[p + "attn.W_V"]) + P[p + "attn.b_V"]
        scores = torch.einsum("bihe,bjhe->bhij", q, k) / math.sqrt(cfg["d_head"])
        if causal:
            scores = torch.where(mask, scores, torch.tensor(float("-inf")))
        pattern = torch.softmax(scores, dim=-1)
        z = torch.einsum("bhij,bjhe->bihe", pattern, v)
        result = torch.einsum("bthe,hed->bthd", z, P[p + "attn.W_O"])
        heads = []
        for h in range(H):
            r = result[:, :, h, :]
            if ("attn", l, h) in pk:
                r = pk[("attn", l, h)]
            if ("attn", l, h) in rec:
                got[rec[("attn", l, h)]] = r.detach().clone()
            heads.append(r)
        result = torch.stack(heads, dim=2)
        x = x + result.sum(dim=2) + P[p + "attn.b_O"]
        pre = x @ P[p + "mlp.W_in"] + P[p + "mlp.b_in"]
        post = F.gelu(pre)
        if ("mlp", l, None) in pk:
            post = pk[("mlp", l, None)]
        if ("mlp", l, None) in rec:
            got[rec[("mlp", l, None)]] = post.detach().clone()
        x = x + post @ P[p + "mlp.W_out"] + P[p + "mlp.b_out"]
    logits = x @ P["unembed.W_U"] + P["unembed.b_U"]
    return logits, got


def loss_fn(kind, logits, target, pos_from):
    if kind == "mse":
        return F.mse_loss(logits[:, pos_from:], target[:, pos_from:])
    V = logits.shape[-1]
    return F.cross_entropy(logits[:, pos_from:].reshape(-1, V), target[:, pos_from:].reshape(-1))


def run(cfg, names, P, base, src, targets, loss, pos_from, nodes):
    """The single-loss gradients and the optimisation rounds, computed in
    the dtype of P (a dict of leaf tensors, modified by the optimiser)."""
    out = {}

    def step_loss(kind):
        with torch.no_grad():
            _, got = forward(cfg, P, src, record=nodes.get(kind, ()))
        logits, _ = forward(cfg, P, base, patches=got)
        return logits, loss_fn(loss, logits, targets[kind], pos_from)

    for kind in ("iit", "strict", "behaviour"):
        for n, _ in names:
            P[n].grad = None
        logits, L = step_loss(kind)
        L.backward()
        out[kind + ".loss"] = L.detach().reshape(1)
        out[kind + ".logits"] = logits.detach()
        for n, _ in names:
            g = P[n].grad
            # A parameter that only feeds a patched node gets no gradient.
            out[kind + ".grad." + n] = torch.zeros_like(P[n]) if g is None else g.detach().clone()

    params = [P[n] for n, _ in names]
    for p in params:
        p.grad = None
    # torch 1.13: zero_grad() keeps existing gradients as zeros
    # (set_to_none=False); a parameter that has never had a gradient is
    # skipped by clip_grad_norm_ and Adam, and its Adam step count stays.
    opt = torch.optim.Adam(params, lr=1e-2, betas=(0.9, 0.999), eps=1e-8)
    losses = torch.zeros(3, 3, dtype=P[names[0][0]].dtype)
    norms = torch.zeros(3, 3, dtype=losses.dtype)
    for r in range(3):
        for i, kind in enumerate(("iit", "strict", "behaviour")):
            opt.zero_grad()
            _, L = step_loss(kind)
            L.backward()
            norms[r, i] = torch.nn.utils.clip_grad_norm_(params, 0.1)
            opt.step()
            losses[r, i] = L.detach()
    out["seq.losses"] = losses
    out["seq.clip_norms"] = norms
    for n, _ in names:
        out["seq.param." + n] = P[n].detach().clone()
    return out


def make(name, cfg, loss, pos_from, nodes, seed):
    torch.manual_seed(seed)
    names = param_shapes(cfg)
    P = {}
    for n, shape in names:
        if n.split(".")[-1].startswith("W_"):
            P[n] = (torch.randn(shape) * 0.2).requires_grad_(True)
        else:
            P[n] = torch.zeros(shape).requires_grad_(True)
    # Non-zero biases so their paths are exercised too.
    with torch.no_grad():
        for n, _ in names:
            if not n.split(".")[-1].startswith("W_"):
                P[n].normal_(0, 0.1)
    B, T, V = 8, cfg["n_ctx"], cfg["d_vocab_out"]
    base = torch.randint(0, cfg["d_vocab"], (B, T))
    src = torch.randint(0, cfg["d_vocab"], (B, T))
    targets = {}
    for kind in ("iit", "strict", "behaviour"):
        if loss == "mse":
            targets[kind] = torch.randn(B, T, V)
        else:
            targets[kind] = torch.randint(0, V, (B, T))
    out = {"base_tokens": base, "source_tokens": src}
    for n, _ in names:
        out["param." + n] = P[n].detach().clone()
    for kind in ("iit", "strict", "behaviour"):
        out[kind + ".target"] = targets[kind]
    for dtype, prefix in ((torch.float32, ""), (torch.float64, "f64.")):
        Pd = {n: P[n].detach().to(dtype).clone().requires_grad_(True) for n, _ in names}
        tg = {k: (v.to(dtype) if loss == "mse" else v) for k, v in targets.items()}
        for k, v in run(cfg, names, Pd, base, src, tg, loss, pos_from, nodes).items():
            out[prefix + k] = v
    meta = {"config": json.dumps(cfg), "loss": loss, "pos_from": str(pos_from),
            "nodes.iit": json.dumps(nodes["iit"]), "nodes.strict": json.dumps(nodes["strict"])}
    write_safetensors(os.path.join(OUT, name + ".safetensors"), out, meta)
    print(name, "losses", [float(out[k + ".loss"]) for k in ("iit", "strict", "behaviour")],
          "seq", out["seq.losses"].tolist())


def config(**kw):
    cfg = {"normalization_type": None, "act_fn": "gelu", "positional_embedding_type": "standard",
           "use_attn_scale": True, "use_attn_result": True, "attn_only": False, "model_name": "custom"}
    cfg.update(kw)
    return cfg


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.set_num_threads(1)
    make("numerical",
         config(n_layers=2, n_heads=4, d_head=3, d_model=12, d_mlp=48, n_ctx=5, d_vocab=6,
                d_vocab_out=1, attention_dir="causal"),
         "mse", 1,
         {"iit": ["blocks.0.attn.hook_result[1]", "blocks.1.mlp.hook_post"],
          "strict": ["blocks.0.attn.hook_result[3]", "blocks.1.attn.hook_result[0]"]},
         seed=1)
    make("categorical",
         config(n_layers=2, n_heads=4, d_head=2, d_model=10, d_mlp=40, n_ctx=6, d_vocab=7,
                d_vocab_out=4, attention_dir="bidirectional"),
         "ce", 0,
         {"iit": ["blocks.1.attn.hook_result[2]", "blocks.0.mlp.hook_post"],
          "strict": ["blocks.0.attn.hook_result[0]", "blocks.1.attn.hook_result[1]"]},
         seed=2)


if __name__ == "__main__":
    main()

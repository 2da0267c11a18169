#!/usr/bin/python3
"""PyTorch reference for glassbox's SAE parity tests.

Run with Debian's python3 (torch + numpy):  /usr/bin/python3 scripts/sae_parity.py
Writes sae/testdata/parity/<case>.safetensors. Each file holds the initial
parameters, the batch, the dead-feature mask, and the loss terms and
gradients of one training step computed with torch autograd from the SAELens
formulas (3.12/4.4.5 standard + ghost grads, gated, 6.x jumprelu / topk /
batchtopk), plus, for the "train_*" cases, the parameters after a few full
trainer steps (unit-norm decoder, backward, remove the decoder-parallel
gradient, clip to norm 1, Adam).

The formulas below are written from the SAELens sources; glassbox's Go code
implements the same losses with hand-written backward passes.
"""
import json
import math
import os
import struct
import sys

import numpy as np
import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "sae", "testdata", "parity")


def save_safetensors(path, tensors, meta):
    header = {"__metadata__": {k: str(v) for k, v in meta.items()}}
    blobs = []
    off = 0
    for name in sorted(tensors):
        a = np.ascontiguousarray(tensors[name])
        if a.dtype == np.float64:
            dt = "F64"
        elif a.dtype == np.float32:
            dt = "F32"
        else:
            raise ValueError(name)
        b = a.tobytes()
        header[name] = {"dtype": dt, "shape": list(a.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def rect(x):
    return ((x > -0.5) & (x < 0.5)).to(x)


class Step(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, threshold, bw):
        ctx.save_for_backward(x, threshold)
        ctx.bw = bw
        return (x > threshold).to(x)

    @staticmethod
    def backward(ctx, g):
        x, threshold = ctx.saved_tensors
        bw = ctx.bw
        return None, torch.sum(-(1.0 / bw) * rect((x - threshold) / bw) * g, dim=0), None


class JumpReLU(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, threshold, bw):
        ctx.save_for_backward(x, threshold)
        ctx.bw = bw
        return x * (x > threshold).to(x)

    @staticmethod
    def backward(ctx, g):
        x, threshold = ctx.saved_tensors
        bw = ctx.bw
        return (x > threshold) * g, torch.sum(-(threshold / bw) * rect((x - threshold) / bw) * g, dim=0), None


def norm_in(x, mode):
    if mode == "constant_norm_rescale":
        k = (x.shape[-1] ** 0.5) / x.norm(dim=-1, keepdim=True)
        return x * k, (lambda y: y / k)
    if mode == "layer_norm":
        mu = x.mean(dim=-1, keepdim=True)
        xc = x - mu
        std = xc.std(dim=-1, keepdim=True)
        return xc / (std + 1e-5), (lambda y: y * std + mu)
    return x, (lambda y: y)


def mse_fn(pred, target, dense):
    m = torch.nn.functional.mse_loss(pred, target, reduction="none")
    if dense:
        tc = target - target.mean(dim=0, keepdim=True)
        m = m / (tc.norm(dim=-1, keepdim=True) + 1e-6)
    return m


def topk_act(pre, k):
    v, i = torch.topk(pre, k=k, dim=-1)
    out = torch.zeros_like(pre)
    return out.scatter(-1, i, v.relu())


def batchtopk_act(pre, k):
    acts = pre.relu()
    flat = acts.flatten()
    n = int(k * acts.shape[0])
    v, i = torch.topk(flat, n, dim=-1)
    return torch.zeros_like(flat).scatter(-1, i, v).reshape(acts.shape)


def losses(P, x, cfg, dead):
    """Return (total, parts dict, feature_acts) for params P (dict of tensors)."""
    arch = cfg["arch"]
    dense = cfg.get("dense_mse", False)
    xin, out_fn = norm_in(x, cfg.get("norm", "none"))
    c = xin - P["b_dec"] * cfg["apply_b_dec"]
    parts = {}
    lam = cfg["coeff"]
    if arch == "gated":
        pg = c @ P["W_enc"] + P["b_gate"]
        active = (pg > 0).float()
        pm = c @ (P["W_enc"] * P["r_mag"].exp()) + P["b_mag"]
        f = active * torch.relu(pm)
        y = f @ P["W_dec"] + P["b_dec"]
        sae_out = out_fn(y)
        per = mse_fn(sae_out, x, dense)
        mse = per.sum(-1).mean()
        pi = torch.relu(pg)
        l1 = lam * torch.sum(pi * P["W_dec"].norm(dim=1), dim=-1).mean()
        via = pi @ P["W_dec"] + P["b_dec"]
        aux = torch.sum((via - x) ** 2, dim=-1).mean()
        parts.update(mse=mse, l1=l1, aux=aux, ghost=torch.tensor(0.0))
        return mse + l1 + aux, parts, f
    pre = c @ P["W_enc"] + P["b_enc"]
    if arch == "standard":
        f = torch.relu(pre)
    elif arch == "jumprelu":
        th = torch.exp(P["log_threshold"])
        f = JumpReLU.apply(pre, th, cfg["bandwidth"])
    elif arch == "topk":
        f = topk_act(pre, cfg["k"])
    elif arch == "batchtopk":
        f = batchtopk_act(pre, cfg["k"])
    y = f @ P["W_dec"] + P["b_dec"]
    sae_out = out_fn(y)
    per = mse_fn(sae_out, x, dense)
    mse = per.sum(-1).mean()
    zero = torch.tensor(0.0)
    if arch == "standard":
        w = f
        if cfg.get("scale_by_dec", False):
            w = f * P["W_dec"].norm(dim=1)
        l1 = (lam * w.norm(p=cfg.get("lp", 1.0), dim=-1)).mean()
        ghost = zero
        if cfg.get("ghost", False):
            residual = x - sae_out
            l2r = torch.norm(residual, dim=-1)
            h = torch.exp(pre[:, dead])
            g = h @ P["W_dec"][dead, :]
            l2g = torch.norm(g, dim=-1)
            s = l2r / (1e-6 + l2g * 2)
            g = g * s[:, None].detach()
            pg = mse_fn(g, residual.detach(), dense)
            R = (per / (pg + 1e-6)).detach()
            ghost = (R * pg).mean()
        parts.update(mse=mse, l1=l1, ghost=ghost, aux=zero)
        return mse + l1 + ghost, parts, f
    if arch == "jumprelu":
        th = torch.exp(P["log_threshold"])
        if cfg["mode"] == "step":
            l0 = torch.sum(Step.apply(pre, th, cfg["bandwidth"]), dim=-1)
        else:
            l0 = torch.tanh(cfg["tanh_scale"] * f * P["W_dec"].norm(dim=1)).sum(dim=-1)
        l0 = (lam * l0).mean()
        parts.update(mse=mse, l1=l0, ghost=zero, aux=zero)
        return mse + l0, parts, f
    # topk / batchtopk AuxK (SAELens 6.x)
    aux = zero
    nd = int(dead.sum())
    kaux = x.shape[-1] // 2
    if nd > 0 and kaux > 0:
        residual = (x - sae_out).detach()
        scale = min(nd / kaux, 1.0)
        kaux = min(kaux, nd)
        lat = torch.where(dead[None], pre, torch.tensor(-float("inf")))
        v, i = lat.topk(kaux, sorted=False)
        a = torch.zeros_like(pre).scatter(-1, i, v)
        rec = out_fn(a @ P["W_dec"] + P["b_dec"])
        aux = cfg.get("aux_coeff", 1.0) * scale * (rec - residual).pow(2).sum(dim=-1).mean()
    parts.update(mse=mse, l1=zero, ghost=zero, aux=aux)
    return mse + aux, parts, f


def param_names(arch):
    if arch == "gated":
        return ["W_enc", "W_dec", "b_gate", "r_mag", "b_mag", "b_dec"]
    if arch == "jumprelu":
        return ["W_enc", "W_dec", "b_enc", "b_dec", "log_threshold"]
    return ["W_enc", "W_dec", "b_enc", "b_dec"]


def init_params(arch, d_in, d_sae, gen, unit=True):
    P = {}
    P["W_enc"] = (torch.rand(d_in, d_sae, generator=gen) * 2 - 1) * 0.6
    P["W_dec"] = (torch.rand(d_sae, d_in, generator=gen) * 2 - 1) * 0.6
    if unit:
        P["W_dec"] = P["W_dec"] / P["W_dec"].norm(dim=1, keepdim=True)
    P["b_dec"] = torch.randn(d_in, generator=gen) * 0.1
    if arch == "gated":
        P["b_gate"] = torch.randn(d_sae, generator=gen) * 0.1
        P["r_mag"] = torch.randn(d_sae, generator=gen) * 0.1
        P["b_mag"] = torch.randn(d_sae, generator=gen) * 0.1
    else:
        P["b_enc"] = torch.randn(d_sae, generator=gen) * 0.1
    if arch == "jumprelu":
        P["log_threshold"] = torch.log(torch.rand(d_sae, generator=gen) * 0.3 + 0.02)
    return P


def one_step_case(name, cfg, d_in=6, d_sae=16, B=8, seed=0, unit=True):
    gen = torch.Generator().manual_seed(seed)
    arch = cfg["arch"]
    P = init_params(arch, d_in, d_sae, gen, unit)
    x = torch.randn(B, d_in, generator=gen) * 1.5 + 0.3
    dead = torch.rand(d_sae, generator=gen) < 0.4
    if arch == "jumprelu":
        # put some pre-activations near the thresholds so the pseudo-derivatives are exercised
        cfg["bandwidth"] = 0.2
    Pg = {k: v.clone().requires_grad_(True) for k, v in P.items()}
    total, parts, f = losses(Pg, x, cfg, dead)
    total.backward()
    T = {"x": x.numpy(), "dead": dead.float().numpy()}
    for k in param_names(arch):
        T["param." + k] = P[k].numpy()
        T["grad." + k] = Pg[k].grad.numpy()
    T["feature_acts"] = f.detach().numpy()
    loss = np.array([parts["mse"].item(), parts["l1"].item(), parts["ghost"].item(), parts["aux"].item(), total.item()], dtype=np.float64)
    T["losses"] = loss
    meta = dict(cfg)
    save_safetensors(os.path.join(OUT, name + ".safetensors"), T, {"cfg": json.dumps(meta)})


def train_case(name, cfg, steps=4, d_in=6, d_sae=16, B=8, seed=1, lr=1e-2, dead_window=0):
    """A few full trainer steps with SAELens' counters and glassbox's step order."""
    gen = torch.Generator().manual_seed(seed)
    arch = cfg["arch"]
    P = init_params(arch, d_in, d_sae, gen, True)
    xs = [torch.randn(B, d_in, generator=gen) * 1.5 + 0.3 for _ in range(steps)]
    names = param_names(arch)
    T = {"param0." + k: P[k].numpy().copy() for k in names}
    Pg = {k: P[k].clone().requires_grad_(True) for k in names}
    opt = torch.optim.Adam([Pg[k] for k in names], lr=lr, betas=(0.9, 0.999), eps=1e-8)
    since = torch.zeros(d_sae)
    for s in range(steps):
        with torch.no_grad():
            if cfg.get("normalize_decoder", True):
                Pg["W_dec"].data /= Pg["W_dec"].data.norm(dim=1, keepdim=True)
        dead = since > dead_window
        total, parts, f = losses(Pg, xs[s], cfg, dead)
        with torch.no_grad():
            fired = (f > 0).float().sum(-2) > 0
            since += 1
            since[fired] = 0
        total.backward()
        with torch.no_grad():
            if cfg.get("normalize_decoder", True):
                g = Pg["W_dec"].grad
                par = (g * Pg["W_dec"].data).sum(-1)
                g -= par[:, None] * Pg["W_dec"].data
        torch.nn.utils.clip_grad_norm_([Pg[k] for k in names], 1.0)
        opt.step()
        opt.zero_grad()
    for s in range(steps):
        T["x%d" % s] = xs[s].numpy()
    for k in names:
        T["final." + k] = Pg[k].detach().numpy()
    meta = dict(cfg)
    meta.update(steps=steps, lr=lr, dead_window=dead_window)
    save_safetensors(os.path.join(OUT, name + ".safetensors"), T, {"cfg": json.dumps(meta)})


def geomedian_case():
    gen = torch.Generator().manual_seed(7)
    pts = (torch.randn(200, 5, generator=gen, dtype=torch.float64) * torch.tensor([1.0, 2, 0.5, 3, 1], dtype=torch.float64)).float()
    p = pts.double()
    w = torch.ones(p.shape[0], dtype=torch.float64)
    med = (p * (w / w.sum())[:, None]).sum(0)
    obj = torch.linalg.norm(p - med, dim=1).sum()
    for _ in range(100):
        prev = obj
        nw = w / torch.clamp(torch.linalg.norm(p - med, dim=1), min=1e-6)
        med = (p * (nw / nw.sum())[:, None]).sum(0)
        obj = torch.linalg.norm(p - med, dim=1).sum()
        if abs(prev - obj) <= 1e-20 * obj:
            break
    save_safetensors(os.path.join(OUT, "geometric_median.safetensors"), {"points": pts.numpy(), "median": med.numpy()}, {})


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.set_num_threads(1)
    one_step_case("standard", {"arch": "standard", "coeff": 0.1, "apply_b_dec": True})
    one_step_case("standard_ghost", {"arch": "standard", "coeff": 0.1, "apply_b_dec": False, "ghost": True}, seed=2)
    one_step_case("standard_lp2_scaled", {"arch": "standard", "coeff": 0.05, "apply_b_dec": False, "lp": 2.0, "scale_by_dec": True}, seed=3, unit=False)
    one_step_case("standard_layernorm_dense", {"arch": "standard", "coeff": 0.1, "apply_b_dec": True, "norm": "layer_norm", "dense_mse": True}, seed=4)
    one_step_case("standard_constnorm", {"arch": "standard", "coeff": 0.1, "apply_b_dec": False, "norm": "constant_norm_rescale"}, seed=5)
    one_step_case("gated", {"arch": "gated", "coeff": 0.1, "apply_b_dec": True}, seed=6)
    one_step_case("jumprelu_step", {"arch": "jumprelu", "coeff": 0.05, "apply_b_dec": False, "mode": "step"}, seed=7)
    one_step_case("jumprelu_tanh", {"arch": "jumprelu", "coeff": 0.05, "apply_b_dec": False, "mode": "tanh", "tanh_scale": 4.0}, seed=8)
    one_step_case("topk", {"arch": "topk", "coeff": 0.0, "apply_b_dec": True, "k": 3, "aux_coeff": 0.5}, seed=9)
    one_step_case("batchtopk", {"arch": "batchtopk", "coeff": 0.0, "apply_b_dec": False, "k": 2.5}, seed=10)
    train_case("train_standard_ghost", {"arch": "standard", "coeff": 0.1, "apply_b_dec": False, "ghost": True})
    train_case("train_gated", {"arch": "gated", "coeff": 0.1, "apply_b_dec": True}, seed=3)
    train_case("train_topk", {"arch": "topk", "coeff": 0.0, "apply_b_dec": False, "k": 3}, seed=4)
    geomedian_case()


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Plain PyTorch SAE training loop: the speed and quality reference for glassbox.

  /usr/bin/python3 scripts/sae_bench_torch.py notebook   # notebook config on the 3 case-3 hooks
  /usr/bin/python3 scripts/sae_bench_torch.py speed      # notebook step speed only (d_in 12, 2500 timed steps)
  /usr/bin/python3 scripts/sae_bench_torch.py large      # d_in 768, d_sae 6144, batch 4096
  /usr/bin/python3 scripts/sae_bench_torch.py big --threads 2 [--steps N]   # BenchmarkStandardBig's loop

"notebook": SAELens' notebook config (d_sae 4·d_in, l1 0.1, lr 3e-4, Adam(0.9,
0.999), batch 80, 1.5M tokens, ghost grads with dead window 1000, unit-norm
decoder, geometric-median b_dec, b_dec not applied to the input) on the
case-3 activations in sae/testdata (written by sae/testdata/gen_case3.go),
served in shuffled epochs. Prints tokens/s and the explained variance over
the 1600 unique activations, and writes them to sae/testdata/torch_reference.json.

"large": the same step on random data with d_in 768, d_sae 6144, batch 4096
(standard, no ghost grads), timed after a warm-up; prints tokens/s.

"big": the loop of sae's BenchmarkStandardBig (issue 16): 16,384 Gaussian
768-d rows, d_sae 6144, batch 4096, l1 1e-3, lr 3e-4 (glassbox's defaults),
no ghost grads, from initialisation (the dense phase: about half the
features fire); the first step is a warm-up, the next N (default 3) are
timed. Prints s/step, tokens/s, cores busy (CPU/wall) and the last batch's
L0. Differences from glassbox's defaults that do not change a step's cost:
b_dec is not subtracted from the input and Adam's beta1 is 0.9.

"run": sae's BenchmarkRunBig for one architecture (--arch standard|gated|
topk|jumprelu, --steps N, default 3; 300 for the real measurement): the same
16,384 Gaussian 768-d rows, d_sae 6144, batch 4096, glassbox's defaults (lr
3e-4, Adam(0, 0.999), k 100, jumprelu threshold and bandwidth 0.001,
unit-norm decoder, gradient clipping at 1, no ghost grads) with the
benchmark's sparsity coefficient (sae's benchBigL1: standard 5, gated 20,
jumprelu 5; --l1 X as GLASSBOX_BENCH_L1=X), timed as one whole run from
initialisation (the dense phase into the sparse phase). Prints s/step, tokens/s, tokens/CPU-s, cores busy, the
last batch's L0 and the peak RSS, as the Go benchmark reports them.

"notebook-gaussian": sae's BenchmarkRunNotebookGaussian: the notebook config
(d_in 13, d_sae 52, batch 80, l1 0.1, ghost grads, 18,750 steps unless
--steps N) on 20,000 Gaussian 13-d rows, timed as one whole run.

Single-threaded (torch.set_num_threads(1)) unless --threads N is given.
Leave OPENBLAS_CORETYPE unset so the BLAS picks the machine's kernel.
"""
import json
import os
import resource
import struct
import sys
import time

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
TESTDATA = os.path.join(HERE, "..", "sae", "testdata")


def read_safetensors(path, name):
    b = open(path, "rb").read()
    n = struct.unpack("<Q", b[:8])[0]
    h = json.loads(b[8:8 + n])
    e = h[name]
    lo, hi = e["data_offsets"]
    return np.frombuffer(b[8 + n + lo:8 + n + hi], dtype=np.float32).reshape(e["shape"])


def geometric_median(points, maxiter=100, eps=1e-6, ftol=1e-20):
    w = torch.ones(points.shape[0], dtype=points.dtype)
    med = (points * (w / w.sum())[:, None]).sum(0)
    obj = torch.linalg.norm(points - med, dim=1).sum()
    for _ in range(maxiter):
        prev = obj
        nw = w / torch.clamp(torch.linalg.norm(points - med, dim=1), min=eps)
        med = (points * (nw / nw.sum())[:, None]).sum(0)
        obj = torch.linalg.norm(points - med, dim=1).sum()
        if abs(prev - obj) <= ftol * obj:
            break
    return med


class SAE(torch.nn.Module):
    def __init__(self, d_in, d_sae):
        super().__init__()
        self.W_dec = torch.nn.Parameter(torch.nn.init.kaiming_uniform_(torch.empty(d_sae, d_in)))
        self.W_enc = torch.nn.Parameter(torch.nn.init.kaiming_uniform_(torch.empty(d_in, d_sae)))
        self.b_enc = torch.nn.Parameter(torch.zeros(d_sae))
        self.b_dec = torch.nn.Parameter(torch.zeros(d_in))
        with torch.no_grad():
            self.W_dec /= self.W_dec.norm(dim=1, keepdim=True)


def train(x_all, d_sae, steps, batch, l1=0.1, lr=3e-4, ghost=True, dead_window=1000, seed=42, time_from=0,
          show_l0=False):
    torch.manual_seed(seed)
    n, d_in = x_all.shape
    sae = SAE(d_in, d_sae)
    with torch.no_grad():
        sae.b_dec.copy_(geometric_median(x_all[torch.randperm(n)[:200]].double()).float())
    opt = torch.optim.Adam(sae.parameters(), lr=lr, betas=(0.9, 0.999))
    since = torch.zeros(d_sae)
    perm = torch.randperm(n)
    pos = 0
    t0 = None
    for step in range(steps):
        if step == time_from:
            t0 = time.perf_counter()
            c0 = time.process_time()
        if pos + batch > n:
            perm = torch.randperm(n)
            pos = 0
        x = x_all[perm[pos:pos + batch]] if n >= batch else x_all[torch.randint(0, n, (batch,))]
        pos += batch
        with torch.no_grad():
            sae.W_dec.data /= sae.W_dec.data.norm(dim=1, keepdim=True)
        pre = x @ sae.W_enc + sae.b_enc
        f = torch.relu(pre)
        out = f @ sae.W_dec + sae.b_dec
        per = (out - x) ** 2
        mse = per.sum(-1).mean()
        loss = mse + (l1 * f.sum(-1)).mean()
        dead = since > dead_window
        if ghost:
            resid = x - out
            h = torch.exp(pre[:, dead])
            g = h @ sae.W_dec[dead, :]
            s = resid.norm(dim=-1) / (1e-6 + g.norm(dim=-1) * 2)
            g = g * s[:, None].detach()
            pg = (g - resid.detach()) ** 2
            loss = loss + ((per / (pg + 1e-6)).detach() * pg).mean()
        with torch.no_grad():
            fired = (f > 0).sum(0) > 0
            since += 1
            since[fired] = 0
        loss.backward()
        with torch.no_grad():
            gW = sae.W_dec.grad
            gW -= (gW * sae.W_dec.data).sum(-1, keepdim=True) * sae.W_dec.data
        torch.nn.utils.clip_grad_norm_(sae.parameters(), 1.0)
        opt.step()
        opt.zero_grad()
    dt = time.perf_counter() - t0
    cpu = time.process_time() - c0
    print("  %d steps: %.0f tokens/s wall, %.0f tokens/CPU-s" % (steps - time_from, (steps - time_from) * batch / dt, (steps - time_from) * batch / cpu))
    if show_l0:
        print("  %.3f s/step, %.2f cores busy, L0 of the last batch %.0f" % (
            dt / (steps - time_from), cpu / dt, (f > 0).sum(-1).float().mean().item()))
    with torch.no_grad():
        sae.W_dec.data /= sae.W_dec.data.norm(dim=1, keepdim=True)
        out = torch.relu(x_all @ sae.W_enc + sae.b_enc) @ sae.W_dec + sae.b_dec
        ev = 1 - ((out - x_all) ** 2).sum() / ((x_all - x_all.mean(0)) ** 2).sum()
    return (steps - time_from) * batch / dt, ev.item()


class JumpReLUFn(torch.autograd.Function):
    """pre·(pre > θ) with rectangle-kernel pseudo-derivatives for θ."""

    @staticmethod
    def forward(ctx, pre, th, bw):
        ctx.save_for_backward(pre, th)
        ctx.bw = bw
        return pre * (pre > th)

    @staticmethod
    def backward(ctx, g):
        pre, th = ctx.saved_tensors
        bw = ctx.bw
        rect = ((pre - th).abs() < bw / 2).to(pre.dtype)
        return g * (pre > th), (-(th / bw) * rect * g).sum(0), None


class StepFn(torch.autograd.Function):
    """(pre > θ) with the rectangle-kernel pseudo-derivative for θ."""

    @staticmethod
    def forward(ctx, pre, th, bw):
        ctx.save_for_backward(pre, th)
        ctx.bw = bw
        return (pre > th).to(pre.dtype)

    @staticmethod
    def backward(ctx, g):
        pre, th = ctx.saved_tensors
        bw = ctx.bw
        rect = ((pre - th).abs() < bw / 2).to(pre.dtype)
        return torch.zeros_like(pre), (-(1.0 / bw) * rect * g).sum(0), None


def run_arch(arch, x_all, d_sae, steps, batch, l1=1e-3, lr=3e-4, k=100, dead_window=1000, seed=42):
    """One whole training run of arch from initialisation; returns the
    quantities BenchmarkRunBig reports."""
    torch.manual_seed(seed)
    t0 = time.perf_counter()
    c0 = time.process_time()
    n, d_in = x_all.shape
    sae = SAE(d_in, d_sae)
    extra = {}
    if arch == "gated":
        extra["b_gate"] = torch.nn.Parameter(torch.zeros(d_sae))
        extra["r_mag"] = torch.nn.Parameter(torch.zeros(d_sae))
        extra["b_mag"] = torch.nn.Parameter(torch.zeros(d_sae))
    elif arch == "jumprelu":
        extra["log_threshold"] = torch.nn.Parameter(torch.full((d_sae,), float(np.log(0.001))))
    with torch.no_grad():
        sae.b_dec.copy_(geometric_median(x_all[torch.randperm(n)[:200]].double()).float())
    params = list(sae.parameters()) + list(extra.values())
    opt = torch.optim.Adam(params, lr=lr, betas=(0.0, 0.999))
    since = torch.zeros(d_sae)
    perm = torch.randperm(n)
    pos = 0
    bw = 0.001
    for step in range(steps):
        if pos + batch > n:
            perm = torch.randperm(n)
            pos = 0
        x = x_all[perm[pos:pos + batch]]
        pos += batch
        with torch.no_grad():
            sae.W_dec.data /= sae.W_dec.data.norm(dim=1, keepdim=True)
        xc = x - sae.b_dec
        if arch == "standard":
            pre = xc @ sae.W_enc + sae.b_enc
            f = torch.relu(pre)
            out = f @ sae.W_dec + sae.b_dec
            loss = ((out - x) ** 2).sum(-1).mean() + l1 * f.sum(-1).mean()
        elif arch == "gated":
            pre = xc @ sae.W_enc
            pi_gate = pre + extra["b_gate"]
            pi_mag = pre * extra["r_mag"].exp() + extra["b_mag"]
            f = (pi_gate > 0).to(pre.dtype) * torch.relu(pi_mag)
            out = f @ sae.W_dec + sae.b_dec
            via = torch.relu(pi_gate)
            aux_out = via @ sae.W_dec.detach() + sae.b_dec.detach()
            loss = (((out - x) ** 2).sum(-1).mean() + l1 * (via * sae.W_dec.norm(dim=1)).sum(-1).mean()
                    + ((aux_out - x) ** 2).sum(-1).mean())
        elif arch == "jumprelu":
            pre = xc @ sae.W_enc + sae.b_enc
            th = extra["log_threshold"].exp()
            f = JumpReLUFn.apply(pre, th, bw)
            out = f @ sae.W_dec + sae.b_dec
            l0 = (StepFn.apply(pre, th, bw) * sae.W_dec.norm(dim=1)).sum(-1).mean()
            loss = ((out - x) ** 2).sum(-1).mean() + l1 * l0
        elif arch == "topk":
            pre = xc @ sae.W_enc + sae.b_enc
            vals, idx = pre.topk(k, dim=-1)
            f = torch.zeros_like(pre).scatter(-1, idx, torch.relu(vals))
            out = f @ sae.W_dec + sae.b_dec
            loss = ((out - x) ** 2).sum(-1).mean()
            dead = since > dead_window
            if dead.any():
                k_aux = min(d_in // 2, int(dead.sum()))
                resid = (x - out).detach()
                dpre = torch.where(dead, pre, torch.full_like(pre, -float("inf")))
                av, ai = dpre.topk(k_aux, dim=-1)
                fa = torch.zeros_like(pre).scatter(-1, ai, torch.relu(av))
                aux_out = fa @ sae.W_dec
                loss = loss + ((aux_out - resid) ** 2).sum(-1).mean()
        else:
            sys.exit("unknown --arch %s" % arch)
        with torch.no_grad():
            fired = (f > 0).sum(0) > 0
            since += 1
            since[fired] = 0
        loss.backward()
        with torch.no_grad():
            gW = sae.W_dec.grad
            gW -= (gW * sae.W_dec.data).sum(-1, keepdim=True) * sae.W_dec.data
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        opt.zero_grad()
    dt = time.perf_counter() - t0
    cpu = time.process_time() - c0
    l0 = (f > 0).sum(-1).float().mean().item()
    return dt, cpu, l0


def print_run(name, steps, batch, dt, cpu, l0):
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kB
    print("%s: %d steps, %.4f s/step, %.0f tokens/s, %.0f tokens/cpu-s, %.2f cores, L0 %.1f, peak RSS %.0f MB" % (
        name, steps, dt / steps, steps * batch / dt, steps * batch / cpu, cpu / dt, l0, rss))


def main():
    mode = sys.argv[1] if len(sys.argv) > 1 else "notebook"
    threads = 1
    if "--threads" in sys.argv:
        threads = int(sys.argv[sys.argv.index("--threads") + 1])
    torch.set_num_threads(threads)
    print("torch", torch.__version__, "threads", torch.get_num_threads())
    if mode == "notebook":
        res = {}
        for hook in ["0_hook_resid_pre", "0_hook_mlp_out", "1_hook_attn_out"]:
            a = read_safetensors(os.path.join(TESTDATA, "case3_%s.safetensors" % hook), "activations")
            x = torch.tensor(a.reshape(-1, a.shape[-1]).copy())
            tps, ev = train(x, 4 * x.shape[1], 1_500_000 // 80, 80, time_from=100)
            print("%-20s tokens/s %.0f  explained variance %.5f" % (hook, tps, ev))
            res[hook] = {"tokens_per_s": tps, "explained_variance": ev}
        with open(os.path.join(TESTDATA, "torch_reference.json"), "w") as f:
            json.dump(res, f, indent=2, sort_keys=True)
            f.write("\n")
    elif mode == "speed":
        a = read_safetensors(os.path.join(TESTDATA, "case3_0_hook_mlp_out.safetensors"), "activations")
        x = torch.tensor(a.reshape(-1, a.shape[-1])[:, :12].copy())
        tps, ev = train(x, 48, 3000, 80, time_from=500)
        print("notebook step (d_in 12, d_sae 48, batch 80): tokens/s %.0f" % tps)
    elif mode == "large":
        g = torch.Generator().manual_seed(0)
        x = torch.randn(4096 * 8, 768, generator=g)
        tps, _ = train(x, 6144, 7, 4096, l1=5.0, lr=1e-3, ghost=False, time_from=2)
        print("large (768→6144, batch 4096): tokens/s %.0f" % tps)
    elif mode == "big":
        steps = 3
        if "--steps" in sys.argv:
            steps = int(sys.argv[sys.argv.index("--steps") + 1])
        g = torch.Generator().manual_seed(16)
        x = torch.randn(16384, 768, generator=g)
        tps, _ = train(x, 6144, steps + 1, 4096, l1=1e-3, lr=3e-4, ghost=False, time_from=1, show_l0=True)
        print("big (768→6144, batch 4096, from initialisation): tokens/s %.0f" % tps)
    elif mode == "run":
        steps = int(sys.argv[sys.argv.index("--steps") + 1]) if "--steps" in sys.argv else 3
        arch = sys.argv[sys.argv.index("--arch") + 1] if "--arch" in sys.argv else "standard"
        g = torch.Generator().manual_seed(16)
        x = torch.randn(16384, 768, generator=g)
        l1 = {"standard": 5.0, "gated": 20.0, "jumprelu": 5.0, "topk": 0.0}[arch]  # sae's benchBigL1
        if "--l1" in sys.argv:
            l1 = float(sys.argv[sys.argv.index("--l1") + 1])  # GLASSBOX_BENCH_L1
        expansion = int(sys.argv[sys.argv.index("--expansion") + 1]) if "--expansion" in sys.argv else 8  # GLASSBOX_BENCH_EXPANSION
        batch = int(sys.argv[sys.argv.index("--batch") + 1]) if "--batch" in sys.argv else 4096  # GLASSBOX_BENCH_BATCH
        dt, cpu, l0 = run_arch(arch, x, 768 * expansion, steps, batch, l1=l1)
        print_run("run %s (768→%d, batch %d, from initialisation)" % (arch, 768 * expansion, batch), steps, batch, dt, cpu, l0)
    elif mode == "notebook-gaussian":
        steps = int(sys.argv[sys.argv.index("--steps") + 1]) if "--steps" in sys.argv else 1_500_000 // 80
        g = torch.Generator().manual_seed(5)
        x = torch.randn(20000, 13, generator=g)
        t0, c0 = time.perf_counter(), time.process_time()
        _, ev = train(x, 52, steps, 80)
        dt, cpu = time.perf_counter() - t0, time.process_time() - c0
        print_run("notebook-gaussian (13→52, batch 80, whole run incl. final eval)", steps, 80, dt, cpu, float("nan"))
        print("  explained variance %.4f" % ev)
    else:
        sys.exit("usage: sae_bench_torch.py notebook|speed|large|big|run|notebook-gaussian [--threads N] [--steps N] [--arch A]")


if __name__ == "__main__":
    main()

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

Single-threaded (torch.set_num_threads(1)) unless --threads N is given.
Leave OPENBLAS_CORETYPE unset so the BLAS picks the machine's kernel.
"""
import json
import os
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
    else:
        sys.exit("usage: sae_bench_torch.py notebook|speed|large|big [--threads N] [--steps N]")


if __name__ == "__main__":
    main()

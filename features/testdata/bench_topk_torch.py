"""Reference timing for docs/PERFORMANCE.md: the original notebook's get_top_k
(torch.topk over a [rows*positions, d_sae] view) on the shapes of
features' BenchmarkTopKCase3 and BenchmarkTopK. Run with Debian's python3:

    /usr/bin/python3 features/testdata/bench_topk_torch.py
"""
import time

import torch


def get_top_k(activations, k=20):
    batch, ctx, feat = activations.shape
    top = torch.topk(activations.view(batch * ctx, feat), dim=0, k=k)
    return top.values, top.indices // ctx, top.indices % ctx


def bench(rows, pos, dsae, density, reps):
    g = torch.Generator().manual_seed(1)
    mask = torch.rand(rows, pos, dsae, generator=g) < density
    acts = torch.where(mask, torch.empty(rows, pos, dsae).exponential_(generator=g), torch.zeros(()))
    get_top_k(acts)
    t0 = time.perf_counter()
    for _ in range(reps):
        get_top_k(acts)
    dt = (time.perf_counter() - t0) / reps
    print(f"torch {torch.__version__} threads={torch.get_num_threads()} get_top_k {rows}x{pos}x{dsae}: {dt*1e3:.3f} ms")


if __name__ == "__main__":
    bench(320, 5, 52, 0.02, 2000)
    bench(2000, 10, 512, 0.02, 20)

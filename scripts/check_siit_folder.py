#!/usr/bin/python3
"""Check that a glassbox SIIT model folder loads the way InterpBench's notebook loads one.

Usage: /usr/bin/python3 scripts/check_siit_folder.py DIR EXPECTED.json

The notebook does:
    cfg_dict = pickle.load(open(f"{dir}/ll_model_cfg.pkl", "rb"))
    cfg = HookedTransformerConfig.from_dict(cfg_dict)
    model = HookedTransformer(cfg)
    model.load_state_dict(torch.load(f"{dir}/ll_model.pth"))
TransformerLens is not packaged for Debian, so this script checks the same contract with what is: pickle.load
gives a dict whose keys are all HookedTransformerConfig (TransformerLens 1.19) field names, torch.load gives a
state dict that a module with HookedTransformer's parameter and buffer names and shapes accepts with
load_state_dict(strict=True), and that module, running TransformerLens' math for this architecture (no
LayerNorm, exact GELU, learned positions, attention scaled by cfg["attn_scale"], the causal mask buffer), gives
the logits glassbox computed for the tokens in EXPECTED.json ({"tokens": [[...]], "logits": [...]} row-major)
to 1e-5. It also reads edges.pkl (a list of string pairs). Exit status 0 when everything holds.
"""
import json
import math
import pickle
import sys

import torch

# HookedTransformerConfig's fields in TransformerLens 1.19 (from_dict passes the dict to the constructor, so
# an unknown key would be a TypeError there).
TL_FIELDS = set("""n_layers d_model n_ctx d_head model_name n_heads d_mlp act_fn d_vocab eps use_attn_result
use_attn_scale attn_scale use_split_qkv_input use_hook_mlp_in use_attn_in use_local_attn original_architecture
from_checkpoint checkpoint_index checkpoint_label_type checkpoint_value tokenizer_name window_size attn_types
init_mode normalization_type device n_devices attention_dir attn_only seed initializer_range init_weights
scale_attn_by_inverse_layer_idx positional_embedding_type final_rms d_vocab_out parallel_attn_mlp rotary_dim
n_params use_hook_tokens gated_mlp default_prepend_bos dtype tokenizer_prepends_bos n_key_value_heads
post_embedding_ln rotary_base trust_remote_code rotary_adjacent_pairs""".split())


class Attention(torch.nn.Module):
    def __init__(self, c):
        super().__init__()
        H, D, dh = c["n_heads"], c["d_model"], c["d_head"]
        self.W_Q = torch.nn.Parameter(torch.empty(H, D, dh))
        self.W_K = torch.nn.Parameter(torch.empty(H, D, dh))
        self.W_V = torch.nn.Parameter(torch.empty(H, D, dh))
        self.W_O = torch.nn.Parameter(torch.empty(H, dh, D))
        self.b_Q = torch.nn.Parameter(torch.empty(H, dh))
        self.b_K = torch.nn.Parameter(torch.empty(H, dh))
        self.b_V = torch.nn.Parameter(torch.empty(H, dh))
        self.b_O = torch.nn.Parameter(torch.empty(D))
        self.register_buffer("mask", torch.tril(torch.ones(c["n_ctx"], c["n_ctx"]).bool()))
        self.register_buffer("IGNORE", torch.tensor(-torch.inf))
        self.causal = c["attention_dir"] == "causal"
        self.scale = c["attn_scale"] if c["use_attn_scale"] else 1.0

    def forward(self, x):
        q = torch.einsum("btd,hde->bthe", x, self.W_Q) + self.b_Q
        k = torch.einsum("btd,hde->bthe", x, self.W_K) + self.b_K
        v = torch.einsum("btd,hde->bthe", x, self.W_V) + self.b_V
        s = torch.einsum("bqhe,bkhe->bhqk", q, k) / self.scale
        T = x.shape[1]
        if self.causal:
            s = torch.where(self.mask[:T, :T], s, self.IGNORE)
        p = s.softmax(-1)
        z = torch.einsum("bhqk,bkhe->bqhe", p, v)
        return torch.einsum("bqhe,hed->bqd", z, self.W_O) + self.b_O


class MLP(torch.nn.Module):
    def __init__(self, c):
        super().__init__()
        D, M = c["d_model"], c["d_mlp"]
        self.W_in = torch.nn.Parameter(torch.empty(D, M))
        self.b_in = torch.nn.Parameter(torch.empty(M))
        self.W_out = torch.nn.Parameter(torch.empty(M, D))
        self.b_out = torch.nn.Parameter(torch.empty(D))
        assert c["act_fn"] == "gelu", c["act_fn"]

    def forward(self, x):
        return torch.nn.functional.gelu(x @ self.W_in + self.b_in) @ self.W_out + self.b_out


class Block(torch.nn.Module):
    def __init__(self, c):
        super().__init__()
        self.attn = Attention(c)
        self.mlp = MLP(c)

    def forward(self, x):
        x = x + self.attn(x)
        return x + self.mlp(x)


class Embed(torch.nn.Module):
    def __init__(self, n, d, name):
        super().__init__()
        setattr(self, name, torch.nn.Parameter(torch.empty(n, d)))
        self.name = name


class Unembed(torch.nn.Module):
    def __init__(self, c):
        super().__init__()
        self.W_U = torch.nn.Parameter(torch.empty(c["d_model"], c["d_vocab_out"]))
        self.b_U = torch.nn.Parameter(torch.empty(c["d_vocab_out"]))


class TLModel(torch.nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embed = Embed(c["d_vocab"], c["d_model"], "W_E")
        self.pos_embed = Embed(c["n_ctx"], c["d_model"], "W_pos")
        self.blocks = torch.nn.ModuleList([Block(c) for _ in range(c["n_layers"])])
        self.unembed = Unembed(c)

    def forward(self, tokens):
        x = self.embed.W_E[tokens] + self.pos_embed.W_pos[: tokens.shape[1]]
        for b in self.blocks:
            x = b(x)
        return x @ self.unembed.W_U + self.unembed.b_U


def main(folder, expected_path):
    with open(f"{folder}/ll_model_cfg.pkl", "rb") as f:
        cfg = pickle.load(f)
    assert isinstance(cfg, dict), type(cfg)
    unknown = sorted(set(cfg) - TL_FIELDS)
    assert not unknown, f"keys HookedTransformerConfig does not have: {unknown}"
    assert cfg["dtype"] is torch.float32, cfg["dtype"]
    assert cfg["normalization_type"] is None
    for k in ("n_layers", "d_model", "n_heads", "d_head", "d_mlp", "n_ctx", "d_vocab", "d_vocab_out"):
        assert isinstance(cfg[k], int) and not isinstance(cfg[k], bool), (k, cfg[k])
    sd = torch.load(f"{folder}/ll_model.pth")
    model = TLModel(cfg)
    model.load_state_dict(sd, strict=True)  # raises on a missing, unexpected or mis-shaped key
    with open(f"{folder}/edges.pkl", "rb") as f:
        edges = pickle.load(f)
    assert isinstance(edges, list) and all(isinstance(e, tuple) and len(e) == 2 and all(isinstance(s, str) for s in e) for e in edges), edges
    with open(expected_path) as f:
        exp = json.load(f)
    tokens = torch.tensor(exp["tokens"])
    with torch.no_grad():
        got = model(tokens).flatten().tolist()
    want = exp["logits"]
    assert len(got) == len(want), (len(got), len(want))
    worst = max(abs(a - b) / max(1.0, abs(b)) for a, b in zip(got, want))
    assert worst <= 1e-5, f"logits differ from glassbox's by {worst:.3g} (relative)"
    print(f"ok: {len(sd)} state-dict entries, {len(cfg)} config keys, {len(edges)} edges, logits within {worst:.2g}")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])

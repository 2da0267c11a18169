package torchfile

import (
	"context"
	"encoding/json"
	"flag"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

var torchCheckDir = flag.String("torchcheck.dir", "", "TestRealTorchLoads: write its files here and keep them (default: a temporary directory)")

// python is Debian's interpreter, which has python3-torch.
const python = "/usr/bin/python3"

// realTorchConfig is an InterpBench-like config dict: a torch.float32 global,
// a list of string tuples, nested values and numbers of every kind.
func realTorchConfig() (*Dict, map[string]any) {
	cfg := &Dict{}
	want := map[string]any{}
	set := func(k string, v, w any) {
		cfg.Set(k, v)
		want[k] = w
	}
	tuple := func(xs ...any) map[string]any { return map[string]any{"__tuple__": append([]any{}, xs...)} }
	set("n_layers", 2, 2)
	set("d_model", 12, 12)
	set("n_ctx", 5, 5)
	set("d_head", 3, 3)
	set("model_name", "case3", "case3")
	set("n_heads", 4, 4)
	set("d_mlp", 48, 48)
	set("act_fn", "gelu", "gelu")
	set("d_vocab", 6, 6)
	set("eps", 1e-5, 1e-5)
	set("use_attn_result", true, true)
	set("attn_only", false, false)
	set("normalization_type", nil, nil)
	set("dtype", Global{"torch", "float32"}, map[string]any{"__global__": "torch.float32"})
	set("seed", int64(1)<<40, int64(1)<<40)
	set("initializer_range", -0.25, -0.25)
	set("edges", []Tuple{{"blocks.0.attn.hook_result[2]", "blocks.1.mlp.hook_post"}, {"hook_embed", "blocks.0.attn.hook_q[0]"}},
		[]any{tuple("blocks.0.attn.hook_result[2]", "blocks.1.mlp.hook_post"), tuple("hook_embed", "blocks.0.attn.hook_q[0]")})
	set("nested", map[string]any{"b": []any{1, 2.5}, "a": "é"}, map[string]any{"a": "é", "b": []any{1, 2.5}})
	set("device", Reduce{Global{"torch", "device"}, Tuple{"cpu"}}, map[string]any{"__call__": []any{"torch.device", []any{"cpu"}}})
	set("uint64_max", uint64(math.MaxUint64), uint64(math.MaxUint64))
	set("int64_min", int64(math.MinInt64), int64(math.MinInt64))
	set("bytes", []byte{0, 0xff, '\n'}, map[string]any{"__bytes__": "00ff0a"})
	set("tuples", Tuple{Tuple{}, Tuple{1}, Tuple{1, 2, 3, 4, 5}}, tuple(tuple(), tuple(1), tuple(1, 2, 3, 4, 5)))
	set("tiny", 5e-324, 5e-324)
	return cfg, want
}

type expectedTensor struct {
	Name  string   `json:"name"`
	DType string   `json:"dtype"`
	Shape []int    `json:"shape"`
	Bits  []uint32 `json:"bits,omitempty"`
	Bools []bool   `json:"bools,omitempty"`
}

// TestRealTorchLoads writes a state dict and a config with this package and
// has scripts/check_torchfile.py load them with the real torch.load and
// pickle.load. It skips when /usr/bin/python3 cannot import torch (.ci/run
// installs Debian's python3-torch when it can).
func TestRealTorchLoads(t *testing.T) {
	if err := exec.Command(python, "-c", "import torch").Run(); err != nil {
		t.Skipf("%s cannot import torch (%v): install Debian's python3-torch to run this check", python, err)
	}
	script, err := filepath.Abs("../../scripts/check_torchfile.py")
	if err != nil {
		t.Fatal(err)
	}
	dir := *torchCheckDir
	if dir == "" {
		dir = t.TempDir()
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	ts := sampleTensors()
	ts = append(ts, NamedTensor{Name: "blocks.1.attn.W_Q", Shape: []int{4, 12, 3}, DType: "float32", F32: make([]float32, 144)})
	for i := range ts[len(ts)-1].F32 {
		ts[len(ts)-1].F32[i] = float32(math.Sin(float64(i))) * 1e-3
	}
	nan := ts[0].F32[7]
	ts[0].F32[7] = float32(math.NaN())
	defer func() { ts[0].F32[7] = nan }()
	var exp []expectedTensor
	for _, x := range ts {
		e := expectedTensor{Name: x.Name, DType: x.DType, Shape: append([]int{}, x.Shape...), Bools: x.Bool}
		for _, v := range x.F32 {
			e.Bits = append(e.Bits, math.Float32bits(v))
		}
		if e.Shape == nil {
			e.Shape = []int{}
		}
		exp = append(exp, e)
	}
	cfg, wantCfg := realTorchConfig()
	if err := WriteStateDict(filepath.Join(dir, "ll_model.pth"), ts); err != nil {
		t.Fatal(err)
	}
	if err := WritePickle(filepath.Join(dir, "ll_model_cfg.pkl"), cfg); err != nil {
		t.Fatal(err)
	}
	b, err := json.MarshalIndent(map[string]any{"state_dict": exp, "config": wantCfg, "config_order": cfg.Keys}, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "expected.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, python, script, dir)
	cmd.Env = append(os.Environ(), "OMP_NUM_THREADS=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", python, script, err, out)
	}
	t.Logf("%s", out)
}

package main

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/glassbox-interp/glassbox/formats/safetensors"
	"github.com/glassbox-interp/glassbox/model"
	"github.com/glassbox-interp/glassbox/tensor"
	"github.com/spf13/cobra"
)

// The fixtures of the model package: an InterpBench-style folder.
const ibFixture = "../../model/testdata/ib_causal"

func execute(t *testing.T, cmd *cobra.Command, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(args)
	err := cmd.Execute()
	return out.String(), err
}

func TestConvertThenRun(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "m")
	out, err := execute(t, newConvertCmd(), filepath.Join(ibFixture, "ll_model.pth"), filepath.Join(ibFixture, "ll_model_cfg.pkl"), "--out", dir)
	if err != nil {
		t.Fatalf("convert: %v\n%s", err, out)
	}
	if !strings.Contains(out, "2 layers, d_model 9, 4 heads × d_head 2") || !strings.Contains(out, "init_mode") {
		t.Errorf("convert output:\n%s", out)
	}
	// The converted directory and the InterpBench folder give identical output.
	a, err := execute(t, newRunCmd(), "--model", dir, "--tokens", "0 2 2 5 1", "--tokens", "0,5,3,5,1")
	if err != nil {
		t.Fatal(err)
	}
	b, err := execute(t, newRunCmd(), "--model", ibFixture, "--tokens", "0 2 2 5 1", "--tokens", "0,5,3,5,1")
	if err != nil {
		t.Fatal(err)
	}
	if a != b {
		t.Errorf("converted model prints\n%s\nInterpBench folder prints\n%s", a, b)
	}
	if strings.Count(a, "argmax") != 10 || !strings.Contains(a, "sequence 1: 0 5 3 5 1") {
		t.Errorf("run output:\n%s", a)
	}
}

func TestRunWritesHooks(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cache.safetensors")
	out, err := execute(t, newRunCmd(), "--model", ibFixture, "--tokens", "0 2 2", "--tokens", "1 1 1",
		"--hooks", "blocks.0.hook_mlp_out, blocks.1.attn.hook_pattern", "--out", path)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	f, err := safetensors.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(f.Names(), ","); got != "blocks.0.hook_mlp_out,blocks.1.attn.hook_pattern" {
		t.Errorf("tensors %s", got)
	}
	if s := f.Tensors["blocks.1.attn.hook_pattern"].Shape; len(s) != 4 || s[0] != 2 || s[1] != 4 || s[2] != 3 {
		t.Errorf("pattern shape %v, want [2,4,3,3]", s)
	}
	if f.Metadata["tokens"] != "[[0,2,2],[1,1,1]]" {
		t.Errorf("metadata %v", f.Metadata)
	}
	all := filepath.Join(t.TempDir(), "all.safetensors")
	if _, err := execute(t, newRunCmd(), "--model", ibFixture, "--tokens", "0 2", "--hooks", "all", "--out", all); err != nil {
		t.Fatal(err)
	}
	if f, err := safetensors.ReadFile(all); err != nil || len(f.Tensors) != 2+2*18 {
		t.Errorf("--hooks all wrote %v tensors (%v)", len(f.Tensors), err)
	}
}

func TestRunErrors(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"--tokens", "0 1"}, "--model PATH or --case N is required"},
		{[]string{"--model", ibFixture}, "at least one --tokens"},
		{[]string{"--model", ibFixture, "--tokens", "0 x"}, `"x" is not an integer`},
		{[]string{"--model", ibFixture, "--tokens", "0 6"}, "want an id in [0, 6)"},
		{[]string{"--model", ibFixture, "--tokens", "0 1 2 3 4 5"}, "n_ctx=5"},
		{[]string{"--model", ibFixture, "--tokens", "0 1", "--tokens", "0"}, "rows must have equal length"},
		{[]string{"--model", ibFixture, "--tokens", "0 1", "--hooks", "blocks.7.hook_z"}, `unknown hook "blocks.7.hook_z"`},
		{[]string{"--model", ibFixture, "--tokens", "0 1", "--out", "x.safetensors"}, "--out needs --hooks"},
		{[]string{"--model", "../../model/testdata", "--tokens", "0"}, "found neither"},
	}
	for _, c := range cases {
		_, err := execute(t, newRunCmd(), c.args...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("run %v: err %v, want %q", c.args, err, c.want)
		}
	}
	if _, err := execute(t, newConvertCmd(), "a.pth", "b.pkl"); err == nil || !strings.Contains(err.Error(), "--out") {
		t.Errorf("convert without --out: %v", err)
	}
	if _, err := execute(t, newConvertCmd(), filepath.Join(ibFixture, "ll_model_cfg.pkl"), filepath.Join(ibFixture, "ll_model_cfg.pkl"), "--out", t.TempDir()); err == nil {
		t.Error("convert accepted a pickle as the state dict")
	}
	// The two files swapped: the message says which looks like which (issue 15, item 19).
	_, err := execute(t, newConvertCmd(), filepath.Join(ibFixture, "ll_model_cfg.pkl"), filepath.Join(ibFixture, "ll_model.pth"), "--out", t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "look swapped") || !strings.Contains(err.Error(), "ll_model.pth is a torch.save state dict") {
		t.Errorf("convert with swapped files: %v", err)
	}
}

func TestRunNumericalOutput(t *testing.T) {
	cfg := model.DefaultConfig()
	cfg.NLayers, cfg.DModel, cfg.NCtx, cfg.DHead, cfg.NHeads, cfg.DMLP = 1, 4, 3, 2, 2, 4
	cfg.DVocab, cfg.DVocabOut, cfg.ActFn, cfg.NormalizationType = 3, 1, "relu", ""
	names, shapes := model.ParamShapes(cfg.WithDefaults())
	params := map[string]*tensor.Tensor{}
	for _, n := range names {
		params[n] = tensor.New(shapes[n]...)
	}
	params["unembed.b_U"].Data[0] = 0.25 // every output is exactly b_U
	m, err := model.New(cfg, params)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := m.Save(dir); err != nil {
		t.Fatal(err)
	}
	out, err := execute(t, newRunCmd(), "--model", dir, "--tokens", "0 1 2")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Count(out, "value 0.25") != 3 {
		t.Errorf("numerical output:\n%s", out)
	}
}

func TestRunLargeVocabPrintsTop5(t *testing.T) {
	cfg := model.DefaultConfig()
	cfg.NLayers, cfg.DModel, cfg.NCtx, cfg.DHead, cfg.NHeads, cfg.DMLP = 1, 4, 3, 2, 2, 4
	cfg.DVocab, cfg.DVocabOut, cfg.ActFn, cfg.NormalizationType = 3, 20, "relu", ""
	names, shapes := model.ParamShapes(cfg.WithDefaults())
	params := map[string]*tensor.Tensor{}
	for _, n := range names {
		params[n] = tensor.New(shapes[n]...)
	}
	for i := range params["unembed.b_U"].Data {
		params["unembed.b_U"].Data[i] = float32(i % 7) // best: 6 and 13, then 5, 12, 19
	}
	m, err := model.New(cfg, params)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := m.Save(dir); err != nil {
		t.Fatal(err)
	}
	out, err := execute(t, newRunCmd(), "--model", dir, "--tokens", "0")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "pos 0: argmax 6  top [6:6 13:6 5:5 12:5 19:5]") {
		t.Errorf("large-vocabulary output:\n%s", out)
	}
}

func TestRunCompilesCase(t *testing.T) {
	// Case 3 computes the running fraction of "x": ids BOS=0 PAD=1 a=2 b=3 c=4 x=5.
	out, err := execute(t, newRunCmd(), "--case", "3", "--tokens", "0 5 3 5 1")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"pos 1: value 1\n", "pos 2: value 0.5\n", "pos 3: value 0.666667\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("run --case 3 lacks %q:\n%s", want, out)
		}
	}
	if _, err := execute(t, newRunCmd(), "--case", "3", "--model", ibFixture, "--tokens", "0 1"); err == nil {
		t.Error("--case with --model: want an error")
	}
	if _, err := execute(t, newRunCmd(), "--case", "16", "--tokens", "0 1"); err == nil {
		t.Error("case 16 does not exist: want an error")
	}
}

// TestRunTokenStrings: --tokens accepts the case's token strings.
func TestRunTokenStrings(t *testing.T) {
	out, err := execute(t, newRunCmd(), "--case", "3", "--tokens", "x b x")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"pos 1: value 1\n", "pos 2: value 0.5\n", "pos 3: value 0.666667\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("run --tokens \"x b x\" lacks %q:\n%s", want, out)
		}
	}
	if _, err := execute(t, newRunCmd(), "--case", "3", "--tokens", "x q"); err == nil || !strings.Contains(err.Error(), `"q" is not a token`) {
		t.Errorf("unknown token: %v", err)
	}
	if _, err := execute(t, newRunCmd(), "--model", ibFixture, "--tokens", "x b"); err == nil || !strings.Contains(err.Error(), "tokenizer") {
		t.Errorf("strings without a tokenizer: %v", err)
	}
}

package main

import (
	"bytes"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/glassbox-interp/glassbox/formats/safetensors"
	"github.com/glassbox-interp/glassbox/sae"
	"github.com/glassbox-interp/glassbox/tensor"
	"github.com/spf13/pflag"
)

// runTrainCLI runs the CLI with fresh train flags and returns stdout, stderr
// and the error.
func runTrainCLI(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	trainCmd.Flags().VisitAll(func(f *pflag.Flag) {
		f.Value.Set(f.DefValue)
		f.Changed = false
	})
	var out, errOut bytes.Buffer
	rootCmd.SetOut(&out)
	rootCmd.SetErr(&errOut)
	rootCmd.SetArgs(args)
	defer rootCmd.SetArgs(nil)
	err := rootCmd.Execute()
	return out.String(), errOut.String(), err
}

// writeActivations writes [rows, 5, 6] sparse synthetic activations.
func writeActivations(t *testing.T, path string) {
	t.Helper()
	r := rand.New(rand.NewPCG(4, 4))
	rows, T, d := 64, 5, 6
	x := make([]float32, rows*T*d)
	for i := 0; i < rows*T; i++ {
		k := r.IntN(d)
		x[i*d+k] = 1 + float32(r.Float64())
		x[i*d+(k+1)%d] = 0.5
	}
	if err := safetensors.Save(path, map[string]*tensor.Tensor{"activations": {Shape: []int{rows, T, d}, Data: x}}, nil); err != nil {
		t.Fatal(err)
	}
}

func TestTrainCommandAndResume(t *testing.T) {
	dir := t.TempDir()
	acts := filepath.Join(dir, "acts.safetensors")
	writeActivations(t, acts)
	run := filepath.Join(dir, "run")
	out, _, err := runTrainCLI(t, "train", "--activations", acts, "--hook", "blocks.0.hook_mlp_out",
		"--training-tokens", "16000", "--out", run, "--quiet", "--lr", "0.003", "--l1-coefficient", "0.01")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "explained variance") || !strings.Contains(out, "losses/mse_loss") {
		t.Errorf("train output:\n%s", out)
	}
	for _, f := range []string{"config.json", "source.json", "metrics.jsonl", "final/cfg.json", "final/sae_weights.safetensors", "final/sparsity.safetensors"} {
		if _, err := os.Stat(filepath.Join(run, f)); err != nil {
			t.Error(err)
		}
	}
	// Same command again: refuses to overwrite.
	if _, _, err := runTrainCLI(t, "train", "--activations", acts, "--hook", "x", "--training-tokens", "16000", "--out", run, "--quiet"); err == nil || !strings.Contains(err.Error(), "--resume") {
		t.Errorf("rerun into an existing run dir: err = %v", err)
	}
	// Simulate a run killed after its second checkpoint: drop final/ and the later checkpoints.
	full, err := sae.Load(filepath.Join(run, "final"))
	if err != nil {
		t.Fatal(err)
	}
	os.RemoveAll(filepath.Join(run, "final"))
	cks, _ := os.ReadDir(filepath.Join(run, "checkpoints"))
	if len(cks) != 4 {
		t.Fatalf("%d checkpoints, want 4", len(cks))
	}
	for _, name := range []string{"12880", "9680"} { // thresholds 3200·k: first batch past 9600 and 12800
		if err := os.RemoveAll(filepath.Join(run, "checkpoints", name)); err != nil {
			t.Fatal(err)
		}
	}
	os.MkdirAll(filepath.Join(run, "checkpoints", ".tmp-9680"), 0o755) // an interrupted write
	if _, errOut, err := runTrainCLI(t, "train", "--resume", run, "--quiet"); err != nil {
		t.Fatal(err)
	} else if !strings.Contains(errOut, "resuming") {
		t.Errorf("stderr: %s", errOut)
	}
	resumed, err := sae.Load(filepath.Join(run, "final"))
	if err != nil {
		t.Fatal(err)
	}
	for i := range full.WDec {
		if full.WDec[i] != resumed.WDec[i] {
			t.Fatalf("resumed run differs from the uninterrupted one at W_dec[%d]", i)
		}
	}
	info, _, err := runTrainCLI(t, "sae", "info", run)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"W_enc      F32   [6 24]", `"blocks.0.hook_mlp_out"`, "sparsity"} {
		if !strings.Contains(info, want) {
			t.Errorf("sae info lacks %q:\n%s", want, info)
		}
	}
}

func TestTrainCommandErrors(t *testing.T) {
	dir := t.TempDir()
	acts := filepath.Join(dir, "acts.safetensors")
	writeActivations(t, acts)
	cfg := filepath.Join(dir, "cfg.json")
	os.WriteFile(cfg, []byte(`{"l1_coeff": 1}`), 0o644)
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"train", "--hook", "blocks.0.hook_mlp_out"}, "--case N"},
		{[]string{"train", "--activations", acts, "--arch", "topk"}, "needs --k"},
		{[]string{"train", "--activations", acts, "--arch", "topk", "--k", "99"}, "k = 99"},
		{[]string{"train", "--activations", acts, "--config", cfg}, `unknown key "l1_coeff"`},
		{[]string{"train", "--activations", filepath.Join(dir, "missing.npy")}, "missing.npy"},
		{[]string{"train", "--resume", filepath.Join(dir, "norun")}, "source.json"},
	}
	for _, c := range cases {
		_, _, err := runTrainCLI(t, append(c.args, "--quiet", "--out", filepath.Join(dir, "r"))...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: err = %v, want %q", c.args, err, c.want)
		}
	}
}

// TestTrainConfigFlagsOnlyWhenGiven checks that train starts from the
// notebook config (or --config) and that a flag changes it only when given.
func TestTrainConfigFlagsOnlyWhenGiven(t *testing.T) {
	dir := t.TempDir()
	cfgFile := filepath.Join(dir, "cfg.json")
	if err := os.WriteFile(cfgFile, []byte(`{"d_in": 8, "l1_coefficient": 0.5, "lr": 0.01, "training_tokens": 4000}`), 0o644); err != nil {
		t.Fatal(err)
	}
	nb := sae.NotebookConfig()
	for _, c := range []struct {
		name  string
		args  []string
		check func(c sae.Config) bool
	}{
		{"no flags: the notebook config", nil, func(c sae.Config) bool {
			return c.L1Coefficient == nb.L1Coefficient && c.LR == nb.LR && c.TrainingTokens == nb.TrainingTokens &&
				c.UseGhostGrads && c.Glassbox.MaxGradNorm == nb.Glassbox.MaxGradNorm && c.Seed == nb.Seed
		}},
		{"one flag", []string{"--lr", "0.002"}, func(c sae.Config) bool {
			return c.LR == 0.002 && c.L1Coefficient == nb.L1Coefficient && c.TrainBatchSizeTokens == nb.TrainBatchSizeTokens
		}},
		{"gated: no ghost grads", []string{"--arch", "gated"}, func(c sae.Config) bool {
			return c.Architecture == "gated" && !c.UseGhostGrads
		}},
		{"config kept where no flag is given", []string{"--config", cfgFile, "--seed", "7"}, func(c sae.Config) bool {
			return c.L1Coefficient == 0.5 && c.LR == 0.01 && c.TrainingTokens == 4000 && c.Seed == 7 &&
				c.TrainBatchSizeTokens == sae.DefaultConfig().TrainBatchSizeTokens
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			trainCmd.Flags().VisitAll(func(f *pflag.Flag) {
				f.Value.Set(f.DefValue)
				f.Changed = false
			})
			if err := trainCmd.Flags().Parse(c.args); err != nil {
				t.Fatal(err)
			}
			var stderr bytes.Buffer
			cfg, err := trainConfig(trainCmd, &stderr)
			if err != nil {
				t.Fatal(err)
			}
			if !c.check(cfg) {
				t.Errorf("config %+v", cfg)
			}
		})
	}
}

// TestTrainRefusesBadNumbers checks that train refuses a negative or NaN
// coefficient and a NaN learning rate before training.
func TestTrainRefusesBadNumbers(t *testing.T) {
	dir := t.TempDir()
	acts := filepath.Join(dir, "acts.safetensors")
	writeActivations(t, acts)
	for _, c := range []struct {
		flag, want string
	}{
		{"--l1-coefficient=-1", "l1_coefficient: must be >= 0"},
		{"--l1-coefficient=nan", "l1_coefficient: must be >= 0"},
		{"--lr=nan", "lr: must be > 0"},
	} {
		t.Run(c.flag, func(t *testing.T) {
			_, _, err := runTrainCLI(t, "train", "--activations", acts, "--hook", "blocks.0.hook_mlp_out",
				"--training-tokens", "16000", "--out", filepath.Join(dir, "run"), "--quiet", c.flag)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want it to mention %q", err, c.want)
			}
			if _, err := os.Stat(filepath.Join(dir, "run", "metrics.jsonl")); err == nil {
				t.Error("a run was started")
			}
		})
	}
}

// TestTrainWarnsOnDivergence: a learning rate far too large ends with a
// warning naming the explained variance and the learning rate (issue 15,
// item 14), and a sane one does not.
func TestTrainWarnsOnDivergence(t *testing.T) {
	for _, tc := range []struct {
		lr   string
		warn bool
	}{{"1e9", true}, {"0.0003", false}} {
		out, _, err := runTrainCLI(t, "train", "--case", "3", "--hook", "blocks.0.hook_mlp_out", "--lr", tc.lr,
			"--training-tokens", "8000", "--out", filepath.Join(t.TempDir(), "R"), "--quiet")
		if err != nil {
			t.Fatalf("lr %s: %v", tc.lr, err)
		}
		if got := strings.Contains(out, "warning: training diverged"); got != tc.warn {
			t.Errorf("lr %s: warning %v, want %v:\n%s", tc.lr, got, tc.warn, out)
		}
	}
}

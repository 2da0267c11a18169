package sae

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
)

func TestNotebookConfigLoads(t *testing.T) {
	cfg, ignored, err := LoadConfig("testdata/notebook_config.json")
	if err != nil {
		t.Fatal(err)
	}
	r, err := cfg.Resolve()
	if err != nil {
		t.Fatal(err)
	}
	if r.DSAE != 48 || r.Arch != ArchStandard || r.TotalSteps != 18750 || math.Abs(r.LREnd-3e-5) > 1e-18 {
		t.Errorf("derived: d_sae %d arch %s steps %d lr_end %g", r.DSAE, r.Arch, r.TotalSteps, r.LREnd)
	}
	if !r.UseGhostGrads || r.ApplyBDecToInput || !r.NormalizeSAEDecoder || r.L1Coefficient != 0.1 || r.AdamBeta1 != 0.9 {
		t.Errorf("values not read: %+v", r.Config)
	}
	if got := r.RunName(); got != "48-L1-0.1-LR-0.0003-Tokens-1.500e+06" {
		t.Errorf("run name %q, want the notebook's 48-L1-0.1-LR-0.0003-Tokens-1.500e+06", got)
	}
	want := []string{"act_store_device", "autocast", "device", "wandb_project"}
	joined := strings.Join(ignored, ",")
	for _, k := range want {
		if !strings.Contains(joined, k) {
			t.Errorf("ignored keys %v lack %q", ignored, k)
		}
	}
	for _, k := range ignored {
		if configKeys[k] {
			t.Errorf("key %q is used but reported as ignored", k)
		}
	}
}

func TestConfigErrors(t *testing.T) {
	cases := []struct {
		name, json, wantErr string
	}{
		{"unknown key", `{"d_in": 4, "l1_coeficient": 0.1}`, `unknown key "l1_coeficient"`},
		{"wrong type", `{"d_in": "twelve"}`, `key "d_in"`},
		{"unknown nested", `{"sae": {"d_in": 4, "bogus": 1}}`, `unknown key "bogus" in "sae"`},
		{"unknown glassbox", `{"glassbox": {"adam_epsilon": 1}}`, `unknown key "adam_epsilon"`},
		{"not an object", `[1, 2]`, `config`},
		{"string for an integer", `{"d_in": "13"}`, `key "d_in": expected an integer, got "13"`},
		{"null coefficient", `{"d_in": 4, "l1_coefficient": null}`, `key "l1_coefficient": expected a number, got null`},
		{"null nested", `{"sae": {"d_in": null}}`, `key "d_in": expected an integer, got null`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := ParseConfig([]byte(c.json), "test.json")
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Fatalf("err = %v, want it to mention %q", err, c.wantErr)
			}
		})
	}
}

func TestResolveErrors(t *testing.T) {
	base := func() Config {
		c := DefaultConfig()
		c.DIn = 12
		c.TrainingTokens = 8000
		c.TrainBatchSizeTokens = 80
		return c
	}
	zero := 0
	cases := []struct {
		name    string
		mod     func(*Config)
		wantKey string
	}{
		{"d_sae 0", func(c *Config) { c.DSAE = &zero }, "d_sae"},
		{"k too big", func(c *Config) { c.Architecture = "topk"; c.K = 100 }, "k"},
		{"k fractional topk", func(c *Config) { c.Architecture = "topk"; c.K = 2.5 }, "k"},
		{"bad arch", func(c *Config) { c.Architecture = "sparse" }, "architecture"},
		{"gated ghost", func(c *Config) { c.Architecture = "gated"; c.UseGhostGrads = true }, "use_ghost_grads"},
		{"bad init", func(c *Config) { c.BDecInitMethod = "median" }, "b_dec_init_method"},
		{"bad norm", func(c *Config) { c.NormalizeActivations = "l2" }, "normalize_activations"},
		{"heuristic+normalize", func(c *Config) { c.DecoderHeuristicInit = true }, "decoder_heuristic_init"},
		{"no steps", func(c *Config) { c.TrainingTokens = 10 }, "training_tokens"},
		{"bad scheduler", func(c *Config) { c.LRSchedulerName = "linear" }, "lr_scheduler_name"},
		{"bad activation", func(c *Config) { c.ActivationFn = "gelu" }, "activation_fn"},
		{"lr nan", func(c *Config) { c.LR = math.NaN() }, "lr: must be > 0"},
		{"lr inf", func(c *Config) { c.LR = math.Inf(1) }, "lr: must be > 0"},
		{"dtype float8", func(c *Config) { c.Dtype = "float8" }, `dtype: glassbox trains in float32, got "float8"`},
		{"negative l1", func(c *Config) { c.L1Coefficient = -1 }, "l1_coefficient: must be >= 0"},
		{"nan l1", func(c *Config) { c.L1Coefficient = math.NaN() }, "l1_coefficient: must be >= 0"},
		{"negative l0", func(c *Config) { c.Architecture = "jumprelu"; l0 := -0.5; c.L0Coefficient = &l0 }, "l0_coefficient: must be >= 0"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := base()
			c.mod(&cfg)
			_, err := cfg.Resolve()
			if err == nil || !strings.Contains(err.Error(), c.wantKey) {
				t.Fatalf("err = %v, want it to name %q", err, c.wantKey)
			}
		})
	}
}

func TestConfigV6Nested(t *testing.T) {
	js := `{"sae": {"architecture": "topk", "d_in": 8, "d_sae": 32, "k": 4, "aux_loss_coefficient": 0.5,
		"apply_b_dec_to_input": false, "decoder_init_norm": 0.1, "metadata": {}},
		"logger": {"log_to_wandb": false, "wandb_log_frequency": 7}, "training_tokens": 1000, "train_batch_size_tokens": 10}`
	cfg, ignored, err := ParseConfig([]byte(js), "v6.json")
	if err != nil {
		t.Fatal(err)
	}
	r, err := cfg.Resolve()
	if err != nil {
		t.Fatal(err)
	}
	if r.Arch != ArchTopK || r.K != 4 || r.DSAE != 32 || r.AuxLossCoefficient != 0.5 || r.WandbLogFrequency != 7 {
		t.Errorf("nested keys not applied: %+v", r)
	}
	if strings.Join(ignored, ",") != "logger.log_to_wandb,sae.metadata" {
		t.Errorf("ignored = %v", ignored)
	}
}

func TestActivationFnTopKSpelling(t *testing.T) {
	cfg, _, err := ParseConfig([]byte(`{"d_in": 4, "activation_fn": "topk", "activation_fn_kwargs": {"k": 3},
		"training_tokens": 100, "train_batch_size_tokens": 10}`), "v4.json")
	if err != nil {
		t.Fatal(err)
	}
	r, err := cfg.Resolve()
	if err != nil {
		t.Fatal(err)
	}
	if r.Arch != ArchTopK || r.K != 3 {
		t.Errorf("arch %s k %d, want topk 3", r.Arch, r.K)
	}
}

func TestLRSchedule(t *testing.T) {
	mk := func(name string, warm, decay int, cycles int) lrSchedule {
		return lrSchedule{name: name, lr: 1, lrEnd: 0.1, warmUp: int64(warm), decay: int64(decay), total: 100, cycles: cycles}
	}
	cases := []struct {
		s    lrSchedule
		step int64
		want float64
	}{
		{mk("constant", 0, 0, 1), 50, 1},
		{mk("constant", 10, 0, 1), 0, 0.1},
		{mk("constant", 10, 0, 1), 9, 1},
		{mk("constant", 10, 0, 1), 4.0, 0.1 + 0.9*4/9},
		{mk("constant", 0, 20, 1), 80, 1},
		{mk("constant", 0, 20, 1), 90, 0.5},
		{mk("cosineannealing", 0, 0, 1), 0, 1},
		{mk("cosineannealing", 0, 0, 1), 50, 0.55},
		{mk("cosineannealing", 0, 0, 1), 100, 0.1},
		{mk("cosineannealing", 0, 20, 1), 80, 0.1},
		{mk("cosineannealing", 0, 20, 1), 90, 0.05},
		{mk("cosineannealingwarmrestarts", 0, 0, 2), 25, 0.55},
		{mk("cosineannealingwarmrestarts", 0, 0, 2), 50, 1},
	}
	for _, c := range cases {
		if got := c.s.at(c.step); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("%s warm %d decay %d step %d: lr %g, want %g", c.s.name, c.s.warmUp, c.s.decay, c.step, got, c.want)
		}
	}
}

func TestL1WarmUp(t *testing.T) {
	for _, c := range []struct {
		step int64
		want float64
	}{{0, 0}, {1, 0.25}, {4, 1}, {9, 1}} {
		if got := l1At(1, 4, c.step); got != c.want {
			t.Errorf("step %d: %g, want %g", c.step, got, c.want)
		}
	}
	if l1At(0.5, 0, 0) != 0.5 {
		t.Error("no warm-up should give the final coefficient")
	}
}

func TestNotebookConfigMatchesFile(t *testing.T) {
	file, _, err := LoadConfig("testdata/notebook_config.json")
	if err != nil {
		t.Fatal(err)
	}
	a, err := file.Resolve()
	if err != nil {
		t.Fatal(err)
	}
	nb := NotebookConfig()
	b, err := nb.Resolve()
	if err != nil {
		t.Fatal(err)
	}
	a.CheckpointPath, b.CheckpointPath = "", ""
	a.SAELensVersion, b.SAELensVersion, a.SAELensTrainingVersion, b.SAELensTrainingVersion = "", "", "", ""
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if string(ja) != string(jb) {
		t.Errorf("NotebookConfig differs from the notebook's JSON:\n%s\n%s", ja, jb)
	}
}

// TestResolveRefusesHugeSAE: an absurd expansion factor is an error in words,
// not a runtime out-of-memory crash (issue 15, item 12).
func TestResolveRefusesHugeSAE(t *testing.T) {
	c := NotebookConfig()
	c.DIn, c.ExpansionFactor = 13, 100000000
	_, err := c.Resolve()
	if err == nil || !strings.Contains(err.Error(), "d_sae") || !strings.Contains(err.Error(), "GB") {
		t.Fatalf("expansion factor 1e8: %v, want an error naming d_sae and the size", err)
	}
	c.ExpansionFactor = 4
	if _, err := c.Resolve(); err != nil {
		t.Fatalf("the notebook's size: %v", err)
	}
}

package sae

import (
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// cycleSource cycles through rows ([n, d]) in a seeded per-epoch order.
type cycleSource struct {
	rows  []float32
	d     int
	seed  uint64
	Epoch int
	Pos   int
	perm  []int
	// poisonAt, when > 0, returns a NaN in the row served at that position.
	poisonAt int
	served   int
}

func newCycleSource(rows []float32, d int, seed uint64) *cycleSource {
	s := &cycleSource{rows: rows, d: d, seed: seed}
	s.shuffle()
	return s
}

func (s *cycleSource) shuffle() {
	n := len(s.rows) / s.d
	r := rand.New(rand.NewPCG(s.seed, uint64(s.Epoch)))
	// r.Perm(n) without a new slice per epoch: the same order.
	if len(s.perm) != n {
		s.perm = make([]int, n)
	}
	for i := range s.perm {
		s.perm[i] = i
	}
	r.Shuffle(n, func(i, j int) { s.perm[i], s.perm[j] = s.perm[j], s.perm[i] })
}

func (s *cycleSource) NextBatch(dst []float32) error {
	n := len(s.rows) / s.d
	for b := 0; b < len(dst)/s.d; b++ {
		if s.Pos == n {
			s.Epoch++
			s.Pos = 0
			s.shuffle()
		}
		i := s.perm[s.Pos]
		copy(dst[b*s.d:(b+1)*s.d], s.rows[i*s.d:(i+1)*s.d])
		s.Pos++
		s.served++
		if s.poisonAt > 0 && s.served == s.poisonAt {
			dst[b*s.d] = float32(math.NaN())
		}
	}
	return nil
}

func (s *cycleSource) MarshalState() ([]byte, error) {
	return json.Marshal([2]int{s.Epoch, s.Pos})
}

func (s *cycleSource) UnmarshalState(b []byte) error {
	var v [2]int
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	s.Epoch, s.Pos = v[0], v[1]
	s.shuffle()
	return nil
}

// sparseData makes n rows in d dims, each a sparse non-negative combination
// of nf random unit directions plus a constant offset.
func sparseData(n, d, nf int, seed uint64) []float32 {
	r := rand.New(rand.NewPCG(seed, 1))
	dirs := make([][]float64, nf)
	for k := range dirs {
		v := make([]float64, d)
		var ss float64
		for j := range v {
			v[j] = r.NormFloat64()
			ss += v[j] * v[j]
		}
		for j := range v {
			v[j] /= math.Sqrt(ss)
		}
		dirs[k] = v
	}
	out := make([]float32, n*d)
	for i := 0; i < n; i++ {
		for j := 0; j < d; j++ {
			out[i*d+j] = 0.5
		}
		for k := 0; k < nf; k++ {
			if r.Float64() < 2/float64(nf) {
				a := 1 + r.Float64()
				for j := 0; j < d; j++ {
					out[i*d+j] += float32(a * dirs[k][j])
				}
			}
		}
	}
	return out
}

func smallConfig(arch string) Config {
	c := DefaultConfig()
	c.Architecture = arch
	c.DIn = 8
	c.ExpansionFactor = 4
	c.TrainingTokens = 64 * 600
	c.TrainBatchSizeTokens = 64
	c.L1Coefficient = 0.02
	c.LR = 3e-3
	c.AdamBeta1 = 0.9
	c.ApplyBDecToInput = false
	c.WandbLogFrequency = 10
	c.NCheckpoints = 3
	c.FeatureSamplingWindow = 100
	c.DeadFeatureWindow = 50
	c.ContextSize = 5
	c.StoreBatchSizePrompts = 4
	c.K = 4
	c.NBatchesInBuffer = 20
	if arch == ArchJumpReLU {
		c.JumpReLUInitThreshold = 0.05
		c.JumpReLUBandwidth = 0.05
		c.L1Coefficient = 0.01
	}
	if arch == ArchBatchTopK {
		c.K = 3
	}
	if arch == ArchStandard {
		c.UseGhostGrads = true
	}
	return c
}

func TestTrainReachesGoodReconstruction(t *testing.T) {
	data := sparseData(1024, 8, 12, 3)
	for _, arch := range []string{ArchStandard, ArchGated, ArchJumpReLU, ArchTopK, ArchBatchTopK} {
		t.Run(arch, func(t *testing.T) {
			r, err := smallConfig(arch).Resolve()
			if err != nil {
				t.Fatal(err)
			}
			tr, err := NewTrainer(r, newCycleSource(data, 8, 9))
			if err != nil {
				t.Fatal(err)
			}
			tr.Eval = data
			before, _ := tr.LastEval()
			if err := tr.Run(); err != nil {
				t.Fatal(err)
			}
			after, _ := tr.LastEval()
			if after.ExplainedVariance < 0.9 || after.ExplainedVariance <= before.ExplainedVariance {
				t.Errorf("explained variance %.4f (before %.4f), want >= 0.9", after.ExplainedVariance, before.ExplainedVariance)
			}
			if after.L0 <= 0 || after.L0 > float64(r.DSAE)/2 {
				t.Errorf("L0 %.2f not sparse", after.L0)
			}
			if len(tr.Metrics()) == 0 {
				t.Error("no metrics logged")
			}
		})
	}
}

func TestResumeIsExact(t *testing.T) {
	data := sparseData(300, 8, 10, 5)
	cfg := smallConfig(ArchStandard)
	cfg.TrainingTokens = 64 * 300
	cfg.NoiseScale = 0.01 // exercises the RNG state too
	r, err := cfg.Resolve()
	if err != nil {
		t.Fatal(err)
	}
	full := filepath.Join(t.TempDir(), "full")
	tr, err := NewTrainer(r, newCycleSource(data, 8, 1))
	if err != nil {
		t.Fatal(err)
	}
	tr.RunDir = full
	if err := tr.Run(); err != nil {
		t.Fatal(err)
	}
	// An interrupted run: stop right after the second checkpoint, then resume.
	part := filepath.Join(t.TempDir(), "part")
	tr2, err := NewTrainer(r, newCycleSource(data, 8, 1))
	if err != nil {
		t.Fatal(err)
	}
	tr2.RunDir = part
	tr2.thresholds = tr2.thresholds[:2]
	stopAt := r.TotalSteps * 2 / 3
	tr2.Cfg = &Resolved{}
	*tr2.Cfg = *r
	tr2.Cfg.TotalSteps = stopAt // run only part of the way
	if err := tr2.Run(); err != nil {
		t.Fatal(err)
	}
	os.RemoveAll(filepath.Join(part, FinalDir)) // the "killed" run never finished
	tr3, err := Resume(part, newCycleSource(data, 8, 1))
	if err != nil {
		t.Fatal(err)
	}
	if tr3.StepN >= stopAt || tr3.StepN == 0 {
		t.Fatalf("resumed at step %d, want a checkpoint before %d", tr3.StepN, stopAt)
	}
	if err := tr3.Run(); err != nil {
		t.Fatal(err)
	}
	a, err := Load(filepath.Join(full, FinalDir))
	if err != nil {
		t.Fatal(err)
	}
	b, err := Load(filepath.Join(part, FinalDir))
	if err != nil {
		t.Fatal(err)
	}
	for k, p := range a.params() {
		q := b.params()[k]
		for i := range p {
			if p[i] != q[i] {
				t.Fatalf("param %s[%d]: resumed %v, uninterrupted %v", a.paramNames()[k], i, q[i], p[i])
			}
		}
	}
	ma, _ := os.ReadFile(filepath.Join(full, MetricsFile))
	mb, _ := os.ReadFile(filepath.Join(part, MetricsFile))
	if string(ma) != string(mb) {
		t.Errorf("metrics.jsonl differ after resume (%d vs %d bytes)", len(ma), len(mb))
	}
	if _, err := Resume(full, newCycleSource(data, 8, 1)); err == nil || !strings.Contains(err.Error(), "already finished") {
		t.Errorf("resuming a finished run: err = %v", err)
	}
}

func TestCheckpointLayout(t *testing.T) {
	data := sparseData(200, 8, 10, 2)
	cfg := smallConfig(ArchStandard)
	cfg.TrainingTokens = 64 * 50
	cfg.NCheckpoints = 5
	r, _ := cfg.Resolve()
	tr, err := NewTrainer(r, newCycleSource(data, 8, 1))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	tr.RunDir = dir
	if err := tr.Run(); err != nil {
		t.Fatal(err)
	}
	// thresholds 640, 1280, 1920, 2560 → first batch past each: 704, 1344, 1984, 2624
	for _, name := range []string{"704", "1344", "1984", "2624"} {
		for _, f := range []string{CfgFile, WeightsFile, SparsityFile, stateJSON, stateTensors} {
			if _, err := os.Stat(filepath.Join(dir, CheckpointsDir, name, f)); err != nil {
				t.Errorf("checkpoint %s: %v", name, err)
			}
		}
	}
	for _, f := range []string{CfgFile, WeightsFile, SparsityFile} {
		if _, err := os.Stat(filepath.Join(dir, FinalDir, f)); err != nil {
			t.Error(err)
		}
	}
	recs, err := ReadMetrics(filepath.Join(dir, MetricsFile))
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) < 5 || recs[0].Step != 9 {
		t.Fatalf("metrics: %d records, first step %d", len(recs), recs[0].Step)
	}
	for _, k := range []string{"losses/mse_loss", "losses/l1_loss", "losses/ghost_grad_loss", "losses/overall_loss",
		"metrics/explained_variance", "metrics/l0", "sparsity/dead_features", "sparsity/mean_passes_since_fired",
		"details/current_learning_rate", "details/current_l1_coefficient", "details/n_training_tokens"} {
		if _, ok := recs[0].Values[k]; !ok {
			t.Errorf("metric %q missing", k)
		}
	}
}

func TestDivergenceStopsAndKeepsCheckpoint(t *testing.T) {
	data := sparseData(200, 8, 10, 2)
	cfg := smallConfig(ArchStandard)
	cfg.TrainingTokens = 64 * 60
	cfg.NCheckpoints = 3
	r, _ := cfg.Resolve()
	src := newCycleSource(data, 8, 1)
	tr, err := NewTrainer(r, src)
	if err != nil {
		t.Fatal(err)
	}
	src.poisonAt = src.served + 64*45 // during step 45, after the first checkpoint (step 20)
	dir := t.TempDir()
	tr.RunDir = dir
	err = tr.Run()
	if !errors.Is(err, ErrDiverged) || !strings.Contains(err.Error(), "NaN") {
		t.Fatalf("err = %v, want a divergence error naming NaN", err)
	}
	ck, err := LatestCheckpoint(dir)
	if err != nil || ck == "" {
		t.Fatalf("no checkpoint kept: %v", err)
	}
	if _, err := Load(ck); err != nil {
		t.Errorf("kept checkpoint does not load: %v", err)
	}
}

func TestResumeRejectsOtherArchitecture(t *testing.T) {
	data := sparseData(200, 8, 10, 2)
	cfg := smallConfig(ArchStandard)
	cfg.TrainingTokens = 64 * 40
	r, _ := cfg.Resolve()
	tr, err := NewTrainer(r, newCycleSource(data, 8, 1))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	tr.RunDir = dir
	if err := tr.Run(); err != nil {
		t.Fatal(err)
	}
	ck, _ := LatestCheckpoint(dir)
	cfg2 := smallConfig(ArchGated)
	cfg2.TrainingTokens = 64 * 40
	r2, _ := cfg2.Resolve()
	_, err = RestoreCheckpoint(r2, ck, newCycleSource(data, 8, 1))
	if err == nil || !strings.Contains(err.Error(), "standard") || !strings.Contains(err.Error(), "gated") {
		t.Fatalf("err = %v, want an architecture mismatch", err)
	}
}

func TestExpectedAverageNormIsFolded(t *testing.T) {
	data := sparseData(256, 8, 10, 4)
	for i := range data {
		data[i] *= 40 // large activations
	}
	cfg := smallConfig(ArchStandard)
	cfg.NormalizeActivations = "expected_average_only_in"
	cfg.Glassbox.NormEstimateBatches = 20
	r, _ := cfg.Resolve()
	tr, err := NewTrainer(r, newCycleSource(data, 8, 1))
	if err != nil {
		t.Fatal(err)
	}
	tr.Eval = data
	if tr.NormScale > 0.1 || tr.NormScale <= 0 {
		t.Fatalf("norm scale %g, want about sqrt(8)/(40·|x|)", tr.NormScale)
	}
	if err := tr.Run(); err != nil {
		t.Fatal(err)
	}
	final := tr.FinalSAE()
	m, err := final.Evaluate(data)
	if err != nil {
		t.Fatal(err)
	}
	inner, _ := tr.LastEval()
	if math.Abs(m.ExplainedVariance-inner.ExplainedVariance) > 1e-3 || m.ExplainedVariance < 0.8 {
		t.Errorf("folded SAE EV %.4f on raw data, trainer-space EV %.4f", m.ExplainedVariance, inner.ExplainedVariance)
	}
	if final.NormalizeActivations != "none" {
		t.Errorf("folded SAE still has normalize_activations %q", final.NormalizeActivations)
	}
}

func TestOrthogonalInit(t *testing.T) {
	w := make([]float32, 16*4)
	orthogonalRows(w, 16, 4, rand.New(rand.NewPCG(1, 2)))
	// columns orthonormal (tall case): WᵀW = I
	for a := 0; a < 4; a++ {
		for b := 0; b < 4; b++ {
			var s float64
			for i := 0; i < 16; i++ {
				s += float64(w[i*4+a]) * float64(w[i*4+b])
			}
			want := 0.0
			if a == b {
				want = 1
			}
			if math.Abs(s-want) > 1e-5 {
				t.Fatalf("WᵀW[%d,%d] = %g", a, b, s)
			}
		}
	}
}

package siit

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"github.com/glassbox-interp/glassbox/formats/safetensors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/glassbox-interp/glassbox/cases"
	"github.com/glassbox-interp/glassbox/model"
	"github.com/glassbox-interp/glassbox/tensor"
)

// smallJob is case 3 with a small dataset and batch so a few epochs take
// well under a second.
func smallJob(t testing.TB, epochs int) *Job {
	t.Helper()
	c, err := cases.Get(3)
	if err != nil {
		t.Fatal(err)
	}
	j, err := Prepare(c, Setup{Adjust: func(r *Recipe) {
		r.FixSamples(640)
		r.BatchSize, r.Epochs, r.EarlyStop = 64, epochs, 0
	}})
	if err != nil {
		t.Fatal(err)
	}
	return j
}

func sameParams(t *testing.T, a, b map[string]*tensor.Tensor) bool {
	t.Helper()
	if len(a) != len(b) {
		t.Fatalf("%d vs %d parameters", len(a), len(b))
	}
	for name, x := range a {
		y := b[name]
		for i := range x.Data {
			if math.Float32bits(x.Data[i]) != math.Float32bits(y.Data[i]) {
				return false
			}
		}
	}
	return true
}

func TestTrainReproducible(t *testing.T) {
	j := smallJob(t, 2)
	r1, err := j.Train(context.Background(), Options{AllPairsLimit: -1})
	if err != nil {
		t.Fatal(err)
	}
	r2, err := j.Train(context.Background(), Options{AllPairsLimit: -1})
	if err != nil {
		t.Fatal(err)
	}
	if !sameParams(t, r1.Net.Params(), r2.Net.Params()) || r1.Val.IIA != r2.Val.IIA {
		t.Fatal("two runs with one seed differ")
	}
	r3, err := j.Train(context.Background(), Options{Seed: 1, AllPairsLimit: -1})
	if err != nil {
		t.Fatal(err)
	}
	if sameParams(t, r1.Net.Params(), r3.Net.Params()) {
		t.Fatal("seed 1 gives the weights of seed 0")
	}
	if r1.Epochs != 2 || r1.Stopped != "max epochs" || r1.BestEpoch < 1 || r1.BestEpoch > 2 {
		t.Errorf("epochs %d stopped %q best %d", r1.Epochs, r1.Stopped, r1.BestEpoch)
	}
}

// metricLines reads metrics.jsonl without the timing fields.
func metricLines(t *testing.T, dir string) []EpochStats {
	t.Helper()
	st, err := ReadMetrics(dir)
	if err != nil {
		t.Fatal(err)
	}
	for i := range st {
		st[i].Seconds, st[i].SamplesPerS = 0, 0
	}
	return st
}

func TestResumeEqualsUninterrupted(t *testing.T) {
	j := smallJob(t, 4)
	straight := filepath.Join(t.TempDir(), "straight")
	want, err := j.Train(context.Background(), Options{Out: straight, AllPairsLimit: -1})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "resumed")
	ctx, cancel := context.WithCancel(context.Background())
	_, err = j.Train(ctx, Options{Out: dir, AllPairsLimit: -1, Progress: func(st EpochStats) {
		if st.Epoch == 2 {
			cancel()
		}
	}})
	if !errors.Is(err, ErrInterrupted) {
		t.Fatalf("interrupted run: %v, want ErrInterrupted", err)
	}
	if _, err := j.Train(context.Background(), Options{Out: dir}); err == nil {
		t.Fatal("training into a folder that holds a run without Resume succeeded")
	}
	got, err := j.Train(context.Background(), Options{Out: dir, Resume: true, AllPairsLimit: -1})
	if err != nil {
		t.Fatal(err)
	}
	if !sameParams(t, want.Net.Params(), got.Net.Params()) || got.BestEpoch != want.BestEpoch || got.Epochs != 4 {
		t.Fatalf("resumed run differs: best epoch %d vs %d, epochs %d", got.BestEpoch, want.BestEpoch, got.Epochs)
	}
	a, b := metricLines(t, straight), metricLines(t, dir)
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if len(a) != 4 || !bytes.Equal(ja, jb) {
		t.Fatalf("metrics.jsonl differs after resume:\n%s\n%s", ja, jb)
	}
	// Other settings in the same folder are refused.
	j2 := smallJob(t, 4)
	j2.Recipe.LR = 0.5
	if _, err := j2.Train(context.Background(), Options{Out: dir, Resume: true, AllPairsLimit: -1}); err == nil {
		t.Fatal("resume with another learning rate succeeded")
	}
}

func TestWriteModelFolder(t *testing.T) {
	j := smallJob(t, 1)
	dir := t.TempDir()
	res, err := j.Train(context.Background(), Options{Out: dir, AllPairsLimit: -1})
	if err != nil {
		t.Fatal(err)
	}
	if err := j.WriteModel(dir, res, Options{}); err != nil {
		t.Fatal(err)
	}
	tokens := [][]int{{0, 2, 5, 3, 5}, {0, 5, 5, 5, 4}}
	want, err := mustModel(t, res).Forward(tokens)
	if err != nil {
		t.Fatal(err)
	}
	// glassbox's own files …
	gm, err := model.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	// … and InterpBench's pair, read without them.
	tm, _, err := model.LoadTorch(filepath.Join(dir, model.TorchWeightsFile), filepath.Join(dir, model.TorchConfigFile))
	if err != nil {
		t.Fatal(err)
	}
	for name, m := range map[string]*model.Model{"config.json": gm, "ll_model.pth": tm} {
		got, err := m.Forward(tokens)
		if err != nil {
			t.Fatal(err)
		}
		for i := range want.Data {
			if got.Data[i] != want.Data[i] {
				t.Fatalf("%s: logit %d = %v, want %v", name, i, got.Data[i], want.Data[i])
			}
		}
		if m.Config().AttnScale != j.LL.AttnScale || m.Config().DModel != 12 {
			t.Errorf("%s: config %+v", name, m.Config())
		}
	}
	var meta Meta
	b, err := os.ReadFile(filepath.Join(dir, MetaFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &meta); err != nil {
		t.Fatal(err)
	}
	if meta.StrictWeight != 10 || meta.LR != 0.01 || meta.Glassbox.Case != "3" || meta.Glassbox.Val.IIA != res.Val.IIA {
		t.Errorf("meta.json: %+v", meta)
	}
	// The evaluation of the folder reproduces training's validation metrics.
	c, _ := cases.Get(3)
	ev, err := EvaluateFolder(dir, c, Setup{Adjust: func(r *Recipe) { r.FixSamples(640); r.BatchSize = 64 }}, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	if ev.Val.Accuracy != res.Val.Accuracy || ev.Val.IIA != res.Val.IIA || ev.Val.Strict != res.Val.Strict {
		t.Errorf("EvaluateFolder %v, training said %v", ev.Val, res.Val)
	}
	if len(ev.Val.Effect) != 10 || !ev.Val.Effect[0].Circuit || ev.Val.Effect[2].Circuit {
		t.Errorf("effects %+v, want 2 circuit then 8 non-circuit nodes", ev.Val.Effect)
	}
}

func mustModel(t *testing.T, res *Result) *model.Model {
	t.Helper()
	m, err := res.Net.Model()
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestStarProgram(t *testing.T) {
	src := []byte(`
vocab = ["a", "b"]
max_seq_len = 4
def get_program():
    same = rasp.Select(rasp.tokens, rasp.tokens, rasp.Comparison.EQ).named("same")
    return rasp.numerical(rasp.Aggregate(same, rasp.numerical(rasp.Map(lambda x: 1 if x == "a" else 0, rasp.tokens).named("is_a")), default = 0)).named("frac_same_a")
program = get_program()
`)
	c, err := cases.LoadFile("mine.star", src, cases.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	j, err := Prepare(c, Setup{Adjust: func(r *Recipe) { r.FixSamples(200); r.BatchSize, r.Epochs = 32, 1 }})
	if err != nil {
		t.Fatal(err)
	}
	if len(j.Corr.Entries) == 0 || j.LL.NHeads != 4 {
		t.Fatalf("entries %d, LL %+v", len(j.Corr.Entries), j.LL)
	}
	if _, err := j.Train(context.Background(), Options{AllPairsLimit: -1}); err != nil {
		t.Fatal(err)
	}
}

func TestDivergenceStopsNamingEpochAndStep(t *testing.T) {
	j := smallJob(t, 3)
	j.Recipe.LR, j.Recipe.ClipGradNorm = 1e30, 0
	_, err := j.Train(context.Background(), Options{AllPairsLimit: -1})
	if err == nil || !strings.Contains(err.Error(), "epoch") || !strings.Contains(err.Error(), "step") ||
		!(strings.Contains(err.Error(), "NaN") || strings.Contains(err.Error(), "Inf")) {
		t.Fatalf("error %v, want one naming the epoch, the step and NaN/Inf", err)
	}
}

// TestResumeAfterEarlyStop: resuming a run that met its early-stop
// criterion trains nothing more and reports the same result.
func TestResumeAfterEarlyStop(t *testing.T) {
	j := smallJob(t, 5)
	j.Recipe.EarlyStop = 0.01 // met after the first epoch
	dir := filepath.Join(t.TempDir(), "run")
	first, err := j.Train(context.Background(), Options{Out: dir, AllPairsLimit: -1})
	if err != nil {
		t.Fatal(err)
	}
	if first.Stopped != "early stop" || first.Epochs != 1 {
		t.Fatalf("first run: %s after %d epochs, want an early stop after 1", first.Stopped, first.Epochs)
	}
	// The checkpoint keeps the run's seconds; a resumed run adds its own.
	_, md, err := safetensors.Load(filepath.Join(dir, CheckpointFile))
	if err != nil {
		t.Fatal(err)
	}
	var meta checkpointMeta
	if err := json.Unmarshal([]byte(md["siit"]), &meta); err != nil {
		t.Fatal(err)
	}
	if !(meta.Seconds > 0 && meta.Seconds <= first.Seconds) {
		t.Errorf("checkpoint seconds %g, want in (0, %g]", meta.Seconds, first.Seconds)
	}
	again, err := j.Train(context.Background(), Options{Out: dir, Resume: true, AllPairsLimit: -1})
	if err != nil {
		t.Fatal(err)
	}
	if again.Seconds < meta.Seconds {
		t.Errorf("resumed run reports %g s, less than the %g s before it", again.Seconds, meta.Seconds)
	}
	if again.Stopped != "early stop" || again.Epochs != 1 || !sameParams(t, first.Net.Params(), again.Net.Params()) {
		t.Fatalf("resumed: %s after %d epochs, want the first run's result", again.Stopped, again.Epochs)
	}
	if st := metricLines(t, dir); len(st) != 1 {
		t.Fatalf("metrics.jsonl has %d lines after the resume, want 1", len(st))
	}
}

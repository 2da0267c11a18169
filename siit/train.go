package siit

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/glassbox-interp/glassbox/model/grad"
	"github.com/glassbox-interp/glassbox/tensor"
)

// Options control one training run (the recipe is in the Job).
type Options struct {
	// Seed drives the pair draws, their order and the nodes drawn per batch.
	Seed int64
	// InitSeed seeds the LL initialisation (InterpBench: 0 whatever Seed).
	InitSeed int64
	// Out is the output folder (checkpoint, metrics.jsonl, model files);
	// "" trains in memory only.
	Out string
	// Resume continues from Out's checkpoint (a folder without one starts
	// afresh).
	Resume bool
	// AllPairsLimit: when the validation split's distinct rows give at most
	// this many (base, source) pairs, the final metrics are also measured
	// over all of them (0: 100,000; negative: never).
	AllPairsLimit int
	// Progress, when set, is called after every epoch.
	Progress func(EpochStats)
}

// EpochStats is one epoch's record (a metrics.jsonl line).
type EpochStats struct {
	Epoch        int     `json:"epoch"`
	Step         int     `json:"step"`
	Samples      int     `json:"samples"`
	IITLoss      float64 `json:"train/iit_loss"`
	StrictLoss   float64 `json:"train/strict_loss"`
	BehaviorLoss float64 `json:"train/behavior_loss"`
	LR           float64 `json:"lr"`
	Val          Metrics `json:"val"`
	Seconds      float64 `json:"seconds"`
	SamplesPerS  float64 `json:"samples_per_second"`
	Best         bool    `json:"best"`
}

// Result is a finished run.
type Result struct {
	// Net holds the best validation state (see BestEpoch).
	Net       *grad.Net
	BestEpoch int
	Epochs    int // epochs run in total
	// Stopped says why training ended: "early stop", "max epochs".
	Stopped string
	// Val is the best state's validation metrics; AllPairs the same over
	// every (base, source) pair of distinct validation rows (nil when too
	// many).
	Val      Metrics
	AllPairs *Metrics
	Seconds  float64
}

// ErrInterrupted is returned when the context ends a run; the checkpoint of
// the last finished epoch is on disk.
var ErrInterrupted = errors.New("siit: training interrupted (checkpoint kept; run again with --resume)")

// trainer holds a run's state.
type trainer struct {
	job       *Job
	opt       Options
	net       *grad.Net
	adam      *grad.Adam
	g         *grad.Grads
	wsSrc     *grad.Workspace
	wsBase    *grad.Workspace
	y         []float32 // HL outputs per row [rows*T]
	pairs     []Pair
	tgt       *targets
	val       *evaluator
	epoch     int // epochs finished
	step      int
	best      map[string]*tensor.Tensor
	bestScore float64
	bestEpoch int
	bestVal   Metrics
	stopped   string // "early stop" once the criterion was met (kept in the checkpoint)
	// began is when this invocation started; secondsBefore the seconds of
	// the invocations a resumed run continues (kept in the checkpoint).
	began         time.Time
	secondsBefore float64
	// patchBuf and patchList are patches' reused buffers.
	patchBuf  [][]float32
	patchList []grad.Patch
	nodeList  []grad.Node
}

// seconds is the run's wall time so far, over every invocation of a
// resumed run.
func (t *trainer) seconds() float64 {
	if t.began.IsZero() {
		return t.secondsBefore
	}
	return t.secondsBefore + time.Since(t.began).Seconds()
}

// Train runs SIIT on the job. With opt.Out it writes metrics.jsonl every
// epoch and a checkpoint after every epoch, and resumes from it when
// opt.Resume is set; the model files are written by WriteModel.
func (j *Job) Train(ctx context.Context, opt Options) (*Result, error) {
	start := time.Now()
	t, err := j.newTrainer(opt)
	if err != nil {
		return nil, err
	}
	t.began = start
	var log *metricsLog
	if opt.Out != "" {
		if err := t.prepareOut(); err != nil {
			return nil, err
		}
		if log, err = openMetrics(opt.Out, t.epoch); err != nil {
			return nil, err
		}
		defer log.Close()
	}
	r := j.Recipe
	stopped := "max epochs"
	if t.stopped != "" { // resumed after the early stop: nothing left to train
		stopped = t.stopped
	}
	for t.epoch < r.Epochs && t.stopped == "" {
		st, err := t.trainEpoch(ctx)
		if err != nil {
			return nil, err
		}
		if log != nil {
			if err := log.Append(st); err != nil {
				return nil, err
			}
			if err := t.saveCheckpoint(); err != nil {
				return nil, err
			}
		}
		if opt.Progress != nil {
			opt.Progress(st)
		}
		if r.EarlyStop > 0 && reached(st.Val, r.EarlyStop) {
			stopped, t.stopped = "early stop", "early stop"
			if log != nil {
				if err := t.saveCheckpoint(); err != nil {
					return nil, err
				}
			}
			break
		}
	}
	res := &Result{BestEpoch: t.bestEpoch, Epochs: t.epoch, Stopped: stopped, Val: t.bestVal, Seconds: t.seconds()}
	if t.best == nil {
		return nil, fmt.Errorf("siit: no epoch finished")
	}
	if res.Net, err = grad.FromParams(j.LL, t.best); err != nil {
		return nil, err
	}
	limit := opt.AllPairsLimit
	if limit == 0 {
		limit = 100000
	}
	if all := AllPairs(j.Data, j.Data.Val, limit); all != nil { // nil also for limit < 0
		m, err := newEvaluator(j, all, t.y).run(res.Net, false)
		if err != nil {
			return nil, err
		}
		res.AllPairs = &m
	}
	return res, nil
}

// reached reports whether every metric is at least thr (1: exactly 100 %).
func reached(m Metrics, thr float64) bool {
	const eps = 1e-12
	return m.Accuracy >= thr-eps && m.IIA >= thr-eps && m.Strict >= thr-eps
}

func (j *Job) newTrainer(opt Options) (*trainer, error) {
	net, err := grad.New(j.LL)
	if err != nil {
		return nil, err
	}
	net.InitNormal(opt.InitSeed, j.InitStd)
	t := &trainer{job: j, opt: opt, net: net, adam: newAdam(j, net),
		g: net.NewGrads(), wsSrc: grad.NewWorkspace(), wsBase: grad.NewWorkspace(), bestScore: -1}
	d := j.Data
	if t.y, err = j.HL.Outputs(d.Tokens, d.Rows(), d.T); err != nil {
		return nil, err
	}
	t.pairs = Pairs(d.Train, opt.Seed)
	t.tgt = newTargets(j.HL, d, t.pairs)
	t.val = newEvaluator(j, Pairs(d.Val, opt.Seed+1), t.y)
	// The validation runs between epochs, when the training's workspaces
	// are idle: sharing them saves two sets of activation buffers.
	t.val.wsSrc, t.val.wsBase = t.wsSrc, t.wsBase
	return t, nil
}

// batch buffers of one training step.
type batch struct {
	n              int
	base, src      []int32
	yBase, iitTgt  []float32
	classB, classT []int32
}

func (t *trainer) trainEpoch(ctx context.Context) (EpochStats, error) {
	j := t.job
	r := j.Recipe
	T := j.Data.T
	began := time.Now()
	order := make([]int, len(t.pairs))
	for i := range order {
		order[i] = i
	}
	rng := rand.New(rand.NewPCG(uint64(t.opt.Seed), uint64(t.epoch)<<1|1))
	rng.Shuffle(len(order), func(a, b int) { order[a], order[b] = order[b], order[a] })
	B := r.BatchSize
	bt := &batch{base: make([]int32, B*T), src: make([]int32, B*T), yBase: make([]float32, B*T),
		iitTgt: make([]float32, B*T), classB: make([]int32, B*T), classT: make([]int32, B*T)}
	var sums [3]float64
	nb := 0
	for lo := 0; lo < len(order); lo += B {
		if err := ctx.Err(); err != nil {
			return EpochStats{}, ErrInterrupted
		}
		idx := order[lo:min(len(order), lo+B)]
		bt.n = len(idx)
		for i, p := range idx {
			pr := t.pairs[p]
			copy(bt.base[i*T:(i+1)*T], j.Data.Row(int(pr.Base)))
			copy(bt.src[i*T:(i+1)*T], j.Data.Row(int(pr.Source)))
			copy(bt.yBase[i*T:(i+1)*T], t.y[int(pr.Base)*T:(int(pr.Base)+1)*T])
		}
		nodeRng := rand.New(rand.NewPCG(uint64(t.opt.Seed)^0xa5a5a5a5, uint64(t.epoch)<<32|uint64(nb)))
		k := nodeRng.IntN(len(j.Corr.Entries))
		if err := t.tgt.get(k, idx, bt.iitTgt[:bt.n*T]); err != nil {
			return EpochStats{}, err
		}
		losses, err := t.step3(bt, k, nodeRng)
		if err != nil {
			return EpochStats{}, fmt.Errorf("siit: epoch %d step %d: %w", t.epoch, t.step, err)
		}
		for i := range sums {
			sums[i] += losses[i]
		}
		nb++
		t.step++
	}
	trainSecs := time.Since(began).Seconds()
	m, err := t.val.run(t.net, false)
	if err != nil {
		return EpochStats{}, err
	}
	t.epoch++
	st := EpochStats{Epoch: t.epoch, Step: t.step, Samples: len(order), LR: r.LR, Val: m,
		IITLoss: sums[0] / float64(nb), StrictLoss: sums[1] / float64(nb), BehaviorLoss: sums[2] / float64(nb),
		Seconds: time.Since(began).Seconds()}
	if trainSecs > 0 {
		st.SamplesPerS = float64(len(order)) / trainSecs
	}
	if score := m.Accuracy + m.IIA + m.Strict; score > t.bestScore {
		t.bestScore, t.bestEpoch, t.bestVal, t.best = score, t.epoch, m, t.net.Params()
		st.Best = true
	}
	return st, nil
}

// step3 runs one batch: the IIT, strict and behaviour losses, each with its
// own optimiser step (or one step on their sum with SingleLoss). It
// returns the three unweighted losses.
func (t *trainer) step3(bt *batch, k int, rng *rand.Rand) ([3]float64, error) {
	j := t.job
	r := j.Recipe
	n, T := bt.n, j.Data.T
	var losses [3]float64
	single := r.SingleLoss
	if single {
		t.g.Reset() // torch 2.x zero_grad: parameters without a gradient are skipped
	}
	// IIT: the LL nodes of HL node k take their values from the source run
	// (which stops above them, except with SingleLoss, where the strict
	// nodes drawn later patch from it too).
	var src *grad.Run
	var err error
	if single {
		src, err = t.net.Forward(t.wsSrc, bt.src[:n*T], n, T, nil, false)
	} else {
		src, err = t.net.ForwardNodes(t.wsSrc, bt.src[:n*T], n, T, t.gradNodes(j.Corr.Entries[k].LL))
	}
	if err != nil {
		return losses, err
	}
	patches, err := t.patches(src, j.Corr.Entries[k].LL)
	if err != nil {
		return losses, err
	}
	if losses[0], err = t.lossStep(bt.base[:n*T], n, patches, bt.iitTgt, r.IITWeight, single, "iit"); err != nil {
		return losses, err
	}
	// Strict: non-circuit nodes from a fresh source run (the weights moved).
	if nodes := t.strictNodes(rng); len(nodes) > 0 {
		if !single {
			if src, err = t.net.ForwardNodes(t.wsSrc, bt.src[:n*T], n, T, t.gradNodes(nodes)); err != nil {
				return losses, err
			}
		}
		w := r.StrictWeight
		if r.StrictSquared {
			w *= r.StrictWeight
		}
		if patches, err = t.patches(src, nodes); err != nil {
			return losses, err
		}
		if losses[1], err = t.lossStep(bt.base[:n*T], n, patches, bt.yBase, w, single, "strict"); err != nil {
			return losses, err
		}
	}
	if losses[2], err = t.lossStep(bt.base[:n*T], n, nil, bt.yBase, r.BehaviorWeight, single, "behaviour"); err != nil {
		return losses, err
	}
	if single {
		t.update()
	}
	return losses, nil
}

// gradNodes returns the nodes as grad nodes (in a buffer of t reused by
// the next call).
func (t *trainer) gradNodes(nodes []LLNode) []grad.Node {
	t.nodeList = t.nodeList[:0]
	for _, nd := range nodes {
		t.nodeList = append(t.nodeList, nd.Node())
	}
	return t.nodeList
}

// patches copies the nodes' values out of the source run into patches.
// The patches and their values live in buffers of t reused by the next
// call (Forward does not keep them).
func (t *trainer) patches(src *grad.Run, nodes []LLNode) ([]grad.Patch, error) {
	t.patchList = t.patchList[:0]
	for i, nd := range nodes {
		g := nd.Node()
		if i == len(t.patchBuf) {
			t.patchBuf = append(t.patchBuf, nil)
		}
		n := src.B * src.T * g.Width(t.job.LL)
		if cap(t.patchBuf[i]) < n {
			t.patchBuf[i] = make([]float32, n)
		}
		buf := t.patchBuf[i][:n]
		if err := src.NodeInto(buf, g); err != nil {
			return nil, err
		}
		t.patchList = append(t.patchList, grad.Patch{Node: g, Values: buf})
	}
	return t.patchList, nil
}

// strictNodes draws the non-circuit nodes of one strict step.
func (t *trainer) strictNodes(rng *rand.Rand) []LLNode {
	nc := t.job.Corr.NonCircuit
	if len(nc) == 0 {
		return nil
	}
	switch t.job.Recipe.StrictMode {
	case "all":
		return nc
	case "sample_all":
		var out []LLNode
		for _, n := range nc {
			if rng.IntN(2) == 0 {
				out = append(out, n)
			}
		}
		return out
	default:
		return []LLNode{nc[rng.IntN(len(nc))]}
	}
}

// lossStep runs the base rows with patches, scores them against want and,
// unless accumulating for a single step, takes an optimiser step on
// weight·loss. It returns the unweighted loss.
func (t *trainer) lossStep(base []int32, n int, patches []grad.Patch, want []float32, weight float64, accumulate bool, name string) (float64, error) {
	j := t.job
	T, V := j.Data.T, j.LL.DVocabOut
	run, err := t.net.Forward(t.wsBase, base, n, T, patches, true)
	if err != nil {
		return 0, err
	}
	var loss float64
	var dl []float32
	if j.HL.Categorical() {
		cls := make([]int32, n*T)
		for i := range cls {
			cls[i] = int32(want[i])
		}
		loss, dl = grad.CrossEntropy(run.Logits(), cls, n, T, V, j.Recipe.LossFromPos)
	} else {
		loss, dl = grad.MSE(run.Logits(), want[:n*T], n, T, V, j.Recipe.LossFromPos)
	}
	if math.IsNaN(loss) || math.IsInf(loss, 0) {
		return loss, fmt.Errorf("%s loss is %v", name, loss)
	}
	if weight == 0 {
		return loss, nil
	}
	if weight != 1 {
		w := float32(weight)
		for i := range dl {
			dl[i] *= w
		}
	}
	if !accumulate {
		t.g.Reset() // torch 2.x zero_grad: parameters without a gradient are skipped
	}
	if err := t.net.Backward(t.wsBase, run, dl, t.g); err != nil {
		return loss, err
	}
	if !accumulate {
		t.update()
	}
	return loss, nil
}

func (t *trainer) update() {
	if c := t.job.Recipe.ClipGradNorm; c > 0 {
		grad.ClipGradNorm(t.g, c)
	}
	t.adam.Step(t.net, t.g)
}

func gradFromParams(j *Job, p map[string]*tensor.Tensor) (*grad.Net, error) {
	return grad.FromParams(j.LL, p)
}

func newAdam(j *Job, n *grad.Net) *grad.Adam {
	r := j.Recipe
	return grad.NewAdam(n, r.LR, r.Beta1, r.Beta2, r.Eps)
}

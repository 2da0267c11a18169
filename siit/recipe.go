package siit

import (
	"fmt"
	"sort"
	"strings"
)

// Recipe is one SIIT training recipe: optimiser, loss weights, data and
// stopping rules. Gen1 and Gen2 are InterpBench's two generations (see
// RecipeFor for which case uses which).
type Recipe struct {
	Name string `json:"name"`
	// Optimiser: Adam without weight decay, gradient-norm clipping per step.
	LR           float64 `json:"lr"`
	Beta1        float64 `json:"beta1"`
	Beta2        float64 `json:"beta2"`
	Eps          float64 `json:"eps"`
	ClipGradNorm float64 `json:"clip_grad_norm"`
	BatchSize    int     `json:"batch_size"`
	Epochs       int     `json:"epochs"`
	// Loss weights. StrictSquared multiplies the strict loss by the weight
	// twice, as iit did from 2024-08-12 (the Gen-2 models were trained so).
	IITWeight      float64 `json:"iit_weight"`
	StrictWeight   float64 `json:"strict_weight"`
	BehaviorWeight float64 `json:"behavior_weight"`
	StrictSquared  bool    `json:"strict_weight_squared"`
	// StrictMode is how non-circuit nodes are drawn for the strict loss:
	// "individual" (one node uniformly), "sample_all" (each with p = 1/2) or
	// "all".
	StrictMode string `json:"siit_sampling"`
	// SingleLoss takes one optimiser step on the sum of the three losses
	// instead of one step per loss (IIT, strict, behaviour in that order).
	SingleLoss bool `json:"use_single_loss"`
	// LossFromPos is the first position the losses score: 0 (Gen-1, every
	// position) or 1 (Gen-2, BOS dropped). Metrics always start at 1.
	LossFromPos int `json:"loss_from_position"`
	// EarlyStop ends training once accuracy, IIA and strict accuracy on the
	// validation pairs are all ≥ it (1 = all 100 %); 0 disables.
	EarlyStop float64 `json:"early_stop"`
	// Atol is the tolerance for numerical outputs (|LL − HL| < Atol).
	Atol float64 `json:"atol"`
	// Data: Samples uniform full-length rows, unless a rule applies.
	// Gen-2's rule (AllRowsMax > 0): every full-length row when
	// AllRowsMin < count < AllRowsMax, count being the number of distinct
	// full-length rows. Gen-1's rule (SampleByCount): count is the number of
	// rows of every length from min_seq_len to max_seq_len, and the data is
	// uniform full-length samples — Samples of them when count < AllRowsMin,
	// count when count < AllRowsMax, else LargeSamples.
	Samples       int     `json:"samples"`
	AllRowsMin    int     `json:"all_rows_min,omitempty"`
	AllRowsMax    int     `json:"all_rows_max,omitempty"`
	SampleByCount bool    `json:"sample_by_count,omitempty"`
	LargeSamples  int     `json:"large_samples,omitempty"`
	TrainFrac     float64 `json:"train_frac"`
	DataSeed      int64   `json:"data_seed"`
}

// Gen1 is the June-2024 recipe that trained InterpBench's first released
// models (case 3 among them): lr 1e-2, Adam (0.9, 0.999), batch 512, losses
// over every position, early stop at 100 %, and circuits-benchmark's
// create_dataset of May–July 2024: 24k uniform full-length samples when the
// case has fewer than 20k input rows of all lengths, as many samples as rows
// below 120k, else 144k (120k training rows).
func Gen1() Recipe {
	return Recipe{
		Name: "gen1", LR: 1e-2, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, ClipGradNorm: 0.1, BatchSize: 512,
		Epochs: 2000, IITWeight: 1, StrictWeight: 0.4, BehaviorWeight: 1, StrictMode: "individual",
		LossFromPos: 0, EarlyStop: 1, Atol: 0.05, Samples: 24000, TrainFrac: 0.8, DataSeed: 42,
		SampleByCount: true, AllRowsMin: 20000, AllRowsMax: 120000, LargeSamples: 144000,
	}
}

// FixSamples makes the data n uniform full-length samples whatever the
// case's size, turning both generations' rules off.
func (r *Recipe) FixSamples(n int) {
	r.Samples, r.AllRowsMax, r.SampleByCount, r.LargeSamples = n, 0, false, 0
}

// Gen2 is the Sep–Oct 2024 recipe (InterpBench at 220791e with iit
// ed44cbf): lr 1e-3, Adam (0.9, 0.9), batch 256, BOS dropped from the
// losses, early stop at 99.5 %, every full-length row when there are between
// 20k and 120k of them else 120k samples, and the squared strict weight.
func Gen2() Recipe {
	return Recipe{
		Name: "gen2", LR: 1e-3, Beta1: 0.9, Beta2: 0.9, Eps: 1e-8, ClipGradNorm: 0.1, BatchSize: 256,
		Epochs: 2000, IITWeight: 1, StrictWeight: 0.4, BehaviorWeight: 1, StrictSquared: true,
		StrictMode: "individual", LossFromPos: 1, EarlyStop: 0.995, Atol: 0.05, Samples: 120000,
		AllRowsMin: 20000, AllRowsMax: 120000, TrainFrac: 0.8, DataSeed: 42,
	}
}

// gen1Cases are the cases whose released model was trained with Gen1.
var gen1Cases = map[int]bool{3: true, 4: true, 8: true, 11: true, 13: true, 18: true, 19: true, 20: true,
	21: true, 24: true, 26: true, 29: true, 33: true, 34: true, 35: true, 36: true, 37: true, 38: true}

// strictWeights are best_weights.py's per-case strict weights.
var strictWeights = map[int]float64{3: 10, 18: 1, 34: 1, 35: 1, 36: 1, 37: 1, 21: 0.5}

// RecipeFor returns the default recipe of a case: the generation that
// produced its released model (Gen1 for the June-2024 cases, Gen2 for the
// other InterpBench cases), else Gen2 without the squared strict weight; the
// case's strict weight applies. name "gen1" or "gen2" forces a generation
// (keeping its own squaring rule); "" picks the default. released tells
// whether the case is one InterpBench released.
func RecipeFor(caseID int, released bool, name string) (Recipe, error) {
	var r Recipe
	switch name {
	case "gen1":
		r = Gen1()
	case "gen2":
		r = Gen2()
	case "":
		switch {
		case gen1Cases[caseID]:
			r = Gen1()
		case released:
			r = Gen2()
		default:
			r = Gen2()
			r.StrictSquared = false
			r.Name = "gen2-unsquared"
		}
	default:
		return Recipe{}, fmt.Errorf("siit: unknown recipe %q (want gen1 or gen2)", name)
	}
	if w, ok := strictWeights[caseID]; ok {
		r.StrictWeight = w
	}
	return r, nil
}

// Validate checks the recipe's numbers.
func (r Recipe) Validate() error {
	pos := map[string]float64{"lr": r.LR, "eps": r.Eps, "train_frac": r.TrainFrac, "atol": r.Atol}
	for _, k := range sortedKeys(pos) {
		if !(pos[k] > 0) || pos[k] > 1e6 {
			return fmt.Errorf("siit: recipe %s = %v, want a positive number", k, pos[k])
		}
	}
	if r.TrainFrac >= 1 {
		return fmt.Errorf("siit: recipe train_frac = %v, want < 1 (the rest validates)", r.TrainFrac)
	}
	for k, v := range map[string]float64{"beta1": r.Beta1, "beta2": r.Beta2} {
		if !(v >= 0 && v < 1) {
			return fmt.Errorf("siit: recipe %s = %v, want 0 ≤ %s < 1", k, v, k)
		}
	}
	for k, v := range map[string]float64{"iit_weight": r.IITWeight, "strict_weight": r.StrictWeight,
		"behavior_weight": r.BehaviorWeight, "clip_grad_norm": r.ClipGradNorm, "early_stop": r.EarlyStop} {
		if !(v >= 0) || v > 1e6 {
			return fmt.Errorf("siit: recipe %s = %v, want a number ≥ 0", k, v)
		}
	}
	if r.EarlyStop > 1 {
		return fmt.Errorf("siit: recipe early_stop = %v, want a fraction ≤ 1", r.EarlyStop)
	}
	if r.BatchSize < 1 || r.BatchSize > 1<<20 {
		return fmt.Errorf("siit: recipe batch_size = %d, want 1 … %d", r.BatchSize, 1<<20)
	}
	if r.Epochs < 1 || r.Epochs > 1000000 {
		return fmt.Errorf("siit: recipe epochs = %d, want 1 … 1000000", r.Epochs)
	}
	if r.Samples < 2 || r.Samples > 10000000 {
		return fmt.Errorf("siit: recipe samples = %d, want 2 … 10000000", r.Samples)
	}
	if r.SampleByCount && (r.LargeSamples < 2 || r.LargeSamples > 10000000 || r.AllRowsMax < r.AllRowsMin || r.AllRowsMax > 10000000) {
		return fmt.Errorf("siit: recipe large_samples = %d, all_rows_min %d, all_rows_max %d: want 2 … 10000000 samples and min ≤ max ≤ 10000000",
			r.LargeSamples, r.AllRowsMin, r.AllRowsMax)
	}
	if r.LossFromPos != 0 && r.LossFromPos != 1 {
		return fmt.Errorf("siit: recipe loss_from_position = %d, want 0 or 1", r.LossFromPos)
	}
	switch r.StrictMode {
	case "individual", "sample_all", "all":
	default:
		return fmt.Errorf("siit: recipe siit_sampling %q, want individual, sample_all or all", r.StrictMode)
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// String is a one-line summary of the recipe.
func (r Recipe) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: lr %g, Adam(%g, %g), clip %g, batch %d, ≤ %d epochs, weights iit %g strict %g%s behaviour %g, strict %s",
		r.Name, r.LR, r.Beta1, r.Beta2, r.ClipGradNorm, r.BatchSize, r.Epochs, r.IITWeight, r.StrictWeight,
		map[bool]string{true: " (squared)", false: ""}[r.StrictSquared], r.BehaviorWeight, r.StrictMode)
	if r.SingleLoss {
		b.WriteString(", single loss")
	}
	fmt.Fprintf(&b, ", losses from position %d, early stop %g", r.LossFromPos, r.EarlyStop)
	return b.String()
}

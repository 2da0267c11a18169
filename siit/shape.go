package siit

import (
	"fmt"
	"math"

	"github.com/glassbox-interp/glassbox/model"
)

// compressionRatio is InterpBench's per-case compression ratio (ll_cfg.py);
// cases not listed use DefaultRatio.
var compressionRatio = map[int]float64{
	5: 1.8, 18: 1.6, 21: 1.3, 25: 1.5, 34: 1.5, 35: 3, 36: 2.5, 37: 2.2, 9: 2, 7: 1.5, 23: 1.5, 24: 1.2, 6: 1.2,
}

// residCompressed lists the cases whose LL compresses the residual stream
// (d_model = HL d_model // ratio) instead of the head size.
var residCompressed = map[int]bool{
	5: true, 18: true, 21: true, 25: true, 26: true, 29: true, 34: true, 35: true, 36: true, 37: true,
	9: true, 7: true, 23: true, 22: true, 28: true,
}

// DefaultRatio is the compression ratio of cases without their own.
const DefaultRatio = 2.0

// Shape chooses the LL model's size. The zero value applies InterpBench's
// rules for the case; every field overrides one of them.
type Shape struct {
	// SameSize keeps the HL's head and layer counts and compresses the
	// residual stream by the ratio (InterpBench's same_size; with Ratio 1 the
	// LL has the HL's size).
	SameSize bool
	// Ratio overrides the case's compression ratio (0 = the case's).
	Ratio float64
	// DModel, NHeads, DHead override the computed sizes (0 = computed);
	// d_mlp stays 4·d_model.
	DModel, NHeads, DHead int
}

// RatioFor returns InterpBench's compression ratio for a case id (0 or an
// unknown id: DefaultRatio).
func RatioFor(caseID int) float64 {
	if r, ok := compressionRatio[caseID]; ok {
		return r
	}
	return DefaultRatio
}

// LLConfig derives the low-level model's TransformerLens config from the
// compiled (high-level) one, as InterpBench's make_ll_cfg_for_case does: the
// HL config is copied (so n_ctx, vocabularies, attention direction, no
// LayerNorm, and also the HL's attn_scale = √(HL d_head) carry over, because
// HookedTransformerConfig keeps an attn_scale it is given) and then
// n_heads = max(4, HL), n_layers = max(2, HL), the head size or the residual
// width is divided by the ratio, d_mlp = 4·d_model, act_fn "gelu", seed 0.
// caseID selects the per-case ratio and residual compression (0 for a
// program in no catalogue). It also returns the init σ, TransformerLens'
// initializer_range of the HL config: 0.8/√(HL d_model).
func LLConfig(hl model.Config, caseID int, s Shape) (model.Config, float64, error) {
	hl = hl.WithDefaults()
	if hl.DModel <= 0 || hl.DHead <= 0 || hl.NHeads <= 0 || hl.NLayers <= 0 {
		return model.Config{}, 0, fmt.Errorf("siit: HL config has d_model %d, d_head %d, n_heads %d, n_layers %d: want positive sizes",
			hl.DModel, hl.DHead, hl.NHeads, hl.NLayers)
	}
	ratio := s.Ratio
	if ratio == 0 {
		ratio = RatioFor(caseID)
	}
	if !(ratio > 0) || math.IsInf(ratio, 0) {
		return model.Config{}, 0, fmt.Errorf("siit: compression ratio %v, want a positive number", ratio)
	}
	ll := hl
	nHeads := max(4, hl.NHeads)
	nLayers := max(2, hl.NLayers)
	if s.SameSize {
		nHeads, nLayers = hl.NHeads, hl.NLayers
	}
	var dModel, dHead int
	if residCompressed[caseID] || s.SameSize {
		dModel = max(2, int(pyFloorDiv(float64(hl.DModel), ratio)))
		dHead = max(1, dModel/nHeads)
	} else {
		dHead = max(1, int(pyFloorDiv(float64(hl.DHead), ratio)))
		dModel = nHeads * dHead
	}
	if s.NHeads > 0 {
		nHeads = s.NHeads
		if s.DModel == 0 && s.DHead == 0 && !(residCompressed[caseID] || s.SameSize) {
			dModel = nHeads * dHead
		}
	}
	if s.DHead > 0 {
		dHead = s.DHead
		if s.DModel == 0 && !(residCompressed[caseID] || s.SameSize) {
			dModel = nHeads * dHead
		}
	}
	if s.DModel > 0 {
		dModel = s.DModel
	}
	if s.NHeads < 0 || s.DHead < 0 || s.DModel < 0 {
		return model.Config{}, 0, fmt.Errorf("siit: shape overrides d_model %d, n_heads %d, d_head %d: want positive numbers (or 0 for InterpBench's rule)",
			s.DModel, s.NHeads, s.DHead)
	}
	const maxWidth = 1 << 14
	if dModel > maxWidth || nHeads > 256 || dHead > maxWidth {
		return model.Config{}, 0, fmt.Errorf("siit: LL shape d_model %d, n_heads %d, d_head %d is too large (limits %d, 256, %d)",
			dModel, nHeads, dHead, maxWidth, maxWidth)
	}
	ll.NHeads, ll.NLayers, ll.DModel, ll.DHead = nHeads, nLayers, dModel, dHead
	ll.DMLP = 4 * dModel
	ll.ActFn = "gelu"
	ll.AttnOnly = false
	seed := int64(0)
	ll.Seed = &seed
	if err := ll.Validate(); err != nil {
		return model.Config{}, 0, fmt.Errorf("siit: LL config: %w", err)
	}
	return ll, 0.8 / math.Sqrt(float64(hl.DModel)), nil
}

// pyFloorDiv is Python's float floor division a // b (which can differ
// from floor(a/b) when a/b rounds up to an integer: 1 // 0.1 is 9.0).
func pyFloorDiv(a, b float64) float64 {
	mod := math.Mod(a, b)
	div := (a - mod) / b
	if mod != 0 && (b < 0) != (mod < 0) {
		div--
	}
	if div == 0 {
		return math.Copysign(0, a/b)
	}
	fl := math.Floor(div)
	if div-fl > 0.5 {
		fl++
	}
	return fl
}

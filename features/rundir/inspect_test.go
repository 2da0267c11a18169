package rundir

import (
	"math"
	"strings"
	"testing"

	"github.com/glassbox-interp/glassbox/workload"
)

func TestInspectAndProbe(t *testing.T) {
	cd := case3(t)
	s, names := tokenPosSAE(t, cd)
	res, err := Load(writeRun(t, s), Options{Cases: workload.CatalogueCase, NoEffects: true})
	if err != nil {
		t.Fatal(err)
	}
	const f = 4 // x@1: decoder on tokens:x and indices:0
	if names[f] != "x@1" {
		t.Fatalf("feature %d is %s", f, names[f])
	}
	d, err := res.Inspect(f)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Basis) != 2 || !(d.Basis[0].Label == "tokens:x" || d.Basis[0].Label == "indices:0") || math.Abs(d.Basis[0].Value-1/math.Sqrt2) > 1e-6 {
		t.Errorf("basis %+v", d.Basis)
	}
	if len(d.Neighbours) == 0 || d.Neighbours[0].Feature != 18 || math.Abs(d.Neighbours[0].Cosine-1) > 1e-6 {
		t.Errorf("neighbours %+v, want feature 18 (the copy) at cosine 1", d.Neighbours)
	}
	if len(d.Predictors) == 0 || d.Predictors[0].Label != "x@1" || d.Predictors[0].Score != 1 {
		t.Errorf("predictors %+v", d.Predictors)
	}
	if d.GTLabel != "x@1" || len(d.ExampleValues) == 0 {
		t.Errorf("example values %q %v", d.GTLabel, d.ExampleValues)
	}
	for k, v := range d.ExampleValues {
		if !strings.HasPrefix(v, "✓") {
			t.Errorf("example %v: %q, want ✓", k, v)
		}
	}
	if d.LogitNote == "" {
		t.Error("no direct output effect for a residual-stream hook")
	}
	if _, err := res.Inspect(len(names)); err == nil {
		t.Error("Inspect outside the SAE: expected an error")
	}

	tests := []struct {
		req     ProbeRequest
		wantErr string
		check   func(p *Probe) string
	}{
		{ProbeRequest{Input: "x a b", Feature: -1}, "", func(p *Probe) string {
			if len(p.Positions) != 4 || p.Positions[1].Token != "x" || len(p.Positions[1].Top) == 0 {
				return "positions"
			}
			// case 3 is frac_prevs of x: 1, 1/2, 1/3.
			if p.Positions[1].Clean != "1" || p.Positions[2].Clean != "0.5" || p.Positions[3].Clean != "0.3333" || p.Positions[1].Spliced == "" {
				return "clean outputs"
			}
			return ""
		}},
		{ProbeRequest{Input: "x a b", Feature: f, Mode: "zero"}, "", func(p *Probe) string {
			if p.Positions[1].Chosen <= 0 {
				return "x@1 does not fire on x at position 1"
			}
			return ""
		}},
		{ProbeRequest{Input: "a a b", Feature: f, Mode: "clamp", Value: 5}, "", func(p *Probe) string {
			if p.Positions[1].Chosen != 0 {
				return "x@1 fires on a"
			}
			return ""
		}},
		{ProbeRequest{Input: "q", Feature: -1}, "not in the vocabulary", nil},
		{ProbeRequest{Input: "x", Feature: 999, Mode: "zero"}, "feature 999", nil},
		{ProbeRequest{Input: "x", Feature: 1, Mode: "boost"}, "mode", nil},
		{ProbeRequest{Input: "x", Feature: 1, Mode: "clamp", Value: math.NaN()}, "finite", nil},
		{ProbeRequest{Input: strings.Repeat("a ", MaxProbeInput)}, "at most", nil},
	}
	for _, tc := range tests {
		p, err := res.Probe(tc.req)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("Probe(%+v): err %v, want %q", tc.req, err, tc.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("Probe(%+v): %v", tc.req, err)
			continue
		}
		if msg := tc.check(p); msg != "" {
			t.Errorf("Probe(%+v): %s: %+v", tc.req, msg, p.Positions)
		}
	}
}

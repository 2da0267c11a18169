package bench

import (
	"strings"
	"testing"
)

func TestCandidateVariable(t *testing.T) {
	for _, tc := range []struct{ label, want string }{
		{"frac_prevs_1", "frac_prevs_1"},
		{"sequence_map_1=common", "sequence_map_1"},
		{"is_x_3=1", "is_x_3"},
		{"a@1", TokenAtPosition},
		{"BOS", TokenAtPosition},
		{"x=a@1", "x"}, // a categorical value that contains "@"
	} {
		if got := CandidateVariable(tc.label); got != tc.want {
			t.Errorf("CandidateVariable(%q) = %q, want %q", tc.label, got, tc.want)
		}
	}
}

func TestRecovery(t *testing.T) {
	cell := func(model, arch string, seed int64) Cell {
		return Cell{Case: 3, Hook: "blocks.1.hook_resid_post", Arch: arch, Param: ParamL1, Value: 0.1, Seed: seed, TrainingTokens: 10, Expansion: 4, Model: model}
	}
	res := func(c Cell, best map[string]float64) Result {
		r := okResult(c, map[string]float64{MetricL0: 1})
		r.BestF1 = best
		return r
	}
	results := []Result{
		// compiled: frac_prevs_1 found by standard; v=a found by gated,
		// v=b never; a@1 found, b@1 not.
		res(cell(ModelCompiled, "standard", 1), map[string]float64{"frac_prevs_1": 0.95, "v=a": 0.5, "v=b": 0.1, "a@1": 0.99, "b@1": 0.2}),
		res(cell(ModelCompiled, "gated", 1), map[string]float64{"frac_prevs_1": 0.3, "v=a": 0.92, "v=b": 0.4, "a@1": 0.1, "b@1": 0.3}),
		// siit: nothing found but a@1 (best over two seeds).
		res(cell(ModelSIIT, "standard", 1), map[string]float64{"frac_prevs_1": 0.6, "v=a": 0.1, "v=b": 0.2, "a@1": 0.5}),
		res(cell(ModelSIIT, "standard", 2), map[string]float64{"frac_prevs_1": 0.7, "a@1": 0.91}),
		// A failed cell is ignored.
		errResult(cell(ModelSIIT, "gated", 1), "boom"),
	}
	lb := Aggregate(results)
	if lb.Recovery == nil {
		t.Fatal("no recovery section")
	}
	rec := *lb.Recovery
	type v struct {
		model, variable string
		cands, found    int
		best            float64
	}
	var got []v
	for _, r := range rec.Variables {
		got = append(got, v{r.Model, r.Variable, r.Candidates, r.Found, r.Best})
	}
	want := []v{
		{ModelCompiled, "frac_prevs_1", 1, 1, 0.95},
		{ModelCompiled, TokenAtPosition, 2, 1, 0.99},
		{ModelCompiled, "v", 2, 1, 0.92},
		{ModelSIIT, "frac_prevs_1", 1, 0, 0.7},
		{ModelSIIT, TokenAtPosition, 1, 1, 0.91},
		{ModelSIIT, "v", 2, 0, 0.2},
	}
	if len(got) != len(want) {
		t.Fatalf("variables %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("variable %d: %+v, want %+v", i, got[i], want[i])
		}
	}
	sums := rec.Summaries()
	if len(sums) != 2 || sums[0] != (RecoverySummary{Model: ModelCompiled, Cases: 1, Variables: 2, Full: 1, Part: 1, Candidates: 3, CandidatesHit: 2, TokenAt: 2, TokenAtHit: 1}) ||
		sums[1] != (RecoverySummary{Model: ModelSIIT, Cases: 1, Variables: 2, Never: 2, Candidates: 3, TokenAt: 1, TokenAtHit: 1}) {
		t.Errorf("summaries %+v", sums)
	}
	archs := map[string]ArchRecovery{}
	for _, a := range rec.Archs {
		archs[a.Model+" "+a.Arch] = a
	}
	if a := archs["compiled gated"]; a.Variables != 3 || a.VariablesFound != 1 || a.TokenAt != 2 || a.TokenAtFound != 0 {
		t.Errorf("compiled gated %+v", a)
	}
	if a := archs["siit standard"]; a.Variables != 3 || a.VariablesFound != 0 || a.TokenAtFound != 1 {
		t.Errorf("siit standard %+v", a)
	}
	if _, ok := archs["siit gated"]; ok {
		t.Error("a failed cell's arch has a recovery row")
	}
	if never := rec.NeverFound(); len(never) != 2 || never[0].Variable != "frac_prevs_1" || never[1].Variable != "v" {
		t.Errorf("never found %+v", never)
	}
	md := string(lb.Markdown())
	for _, line := range []string{
		"## Which variables are found",
		"| compiled | 1 | 2 | 1 | 1 | 0 | 2/3 (67%) | 1/2 (50%) |",
		"| siit | standard | 0/3 (0%) | 1/1 (100%) |",
		"| siit | 3 | `frac_prevs_1` | 1 | 0.700 |",
	} {
		if !strings.Contains(md, line) {
			t.Errorf("leaderboard.md lacks %q:\n%s", line, md)
		}
	}
	page, err := lb.HTML()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(page), "Program variables no cell finds: 2") {
		t.Error("leaderboard.html lacks the recovery section")
	}
	// Results without best_f1 (older sweeps) give no section.
	if lb := Aggregate([]Result{okResult(cell(ModelCompiled, "standard", 1), map[string]float64{MetricL0: 1})}); lb.Recovery != nil {
		t.Errorf("recovery from results without best_f1: %+v", lb.Recovery)
	}
}

// TestRecoveryPrograms: two programs (both Case 0) are two subjects: their
// variables are counted apart and named by hash.
func TestRecoveryPrograms(t *testing.T) {
	res := func(program string, best float64) Result {
		c := Cell{Program: program, Hook: "blocks.1.hook_resid_post", Arch: "topk", Param: ParamK, Value: 4, Seed: 1, TrainingTokens: 10, Expansion: 4}
		r := okResult(c, map[string]float64{MetricL0: 1})
		r.BestF1 = map[string]float64{"frac_prevs_1": best}
		return r
	}
	rec := recovery([]Result{res("00000000000000aa", 0.95), res("00000000000000bb", 0.1)}, func(Cell) string { return "" }, nil)
	if len(rec.Variables) != 2 || rec.Variables[0].Found != 1 || rec.Variables[1].Found != 0 {
		t.Fatalf("variables %+v", rec.Variables)
	}
	if s := rec.Summaries(); len(s) != 1 || s[0].Cases != 2 || s[0].Full != 1 || s[0].Never != 1 {
		t.Errorf("summaries %+v", s)
	}
	if md := string(rec.Markdown()); !strings.Contains(md, "| all | 00000000000000bb | `frac_prevs_1` |") {
		t.Errorf("markdown:\n%s", md)
	}
}

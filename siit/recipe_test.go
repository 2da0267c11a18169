package siit

import (
	"strings"
	"testing"
)

func TestRecipeFor(t *testing.T) {
	for _, tc := range []struct {
		id       int
		released bool
		name     string
		want     string
		strict   float64
		squared  bool
	}{
		{3, true, "", "gen1", 10, false},
		{18, true, "", "gen1", 1, false},
		{21, true, "", "gen1", 0.5, false},
		{2, true, "", "gen2", 0.4, true},
		{1, false, "", "gen2-unsquared", 0.4, false},
		{0, false, "", "gen2-unsquared", 0.4, false},
		{3, true, "gen2", "gen2", 10, true},
		{2, true, "gen1", "gen1", 0.4, false},
	} {
		r, err := RecipeFor(tc.id, tc.released, tc.name)
		if err != nil {
			t.Fatal(err)
		}
		if r.Name != tc.want || r.StrictWeight != tc.strict || r.StrictSquared != tc.squared {
			t.Errorf("case %d %q: got %s strict %v squared %v, want %s %v %v", tc.id, tc.name, r.Name, r.StrictWeight,
				r.StrictSquared, tc.want, tc.strict, tc.squared)
		}
		if err := r.Validate(); err != nil {
			t.Errorf("case %d: %v", tc.id, err)
		}
	}
	if _, err := RecipeFor(3, true, "gen3"); err == nil || !strings.Contains(err.Error(), "gen1 or gen2") {
		t.Errorf("unknown recipe: %v", err)
	}
}

func TestRecipeValidate(t *testing.T) {
	for _, tc := range []struct {
		edit func(*Recipe)
		want string
	}{
		{func(r *Recipe) { r.LR = 0 }, "lr"},
		{func(r *Recipe) { r.Beta2 = 1 }, "beta2"},
		{func(r *Recipe) { r.BatchSize = 0 }, "batch_size"},
		{func(r *Recipe) { r.StrictWeight = -1 }, "strict_weight"},
		{func(r *Recipe) { r.StrictMode = "some" }, "siit_sampling"},
		{func(r *Recipe) { r.TrainFrac = 1 }, "train_frac"},
		{func(r *Recipe) { r.Epochs = 0 }, "epochs"},
	} {
		r := Gen1()
		tc.edit(&r)
		if err := r.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("error %v, want one naming %s", err, tc.want)
		}
	}
}

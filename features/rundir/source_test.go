package rundir

import (
	"strings"
	"testing"

	"github.com/glassbox-interp/glassbox/workload"
)

// TestActivationsRunNamesNoCase: a run trained on an activation file is
// not labelled against the case its model_name happens to name ("case3",
// the notebook default): analysing it without --case says so and asks for
// --case/--model (issue 15, 4). With --case it opens.
func TestActivationsRunNamesNoCase(t *testing.T) {
	cd := case3(t)
	s, _ := tokenPosSAE(t, cd)
	dir := writeRun(t, s) // config.json says model_name "case3"
	if err := workload.WriteSource(dir, workload.Source{Activations: "/data/a.safetensors", Hook: s.Meta.HookName}); err != nil {
		t.Fatal(err)
	}
	_, err := Load(dir, Options{Cases: workload.CatalogueCase, NoEffects: true})
	if err == nil || !strings.Contains(err.Error(), "/data/a.safetensors") || !strings.Contains(err.Error(), "--case") {
		t.Fatalf("activations run without --case: %v", err)
	}
	if _, err := Load(dir, Options{Case: 3, Cases: workload.CatalogueCase, NoEffects: true}); err != nil {
		t.Errorf("with --case 3: %v", err)
	}
}

package sae

import (
	"slices"
	"testing"
)

// TestRegistry checks what every registered architecture must satisfy:
// a unique name, the shared parameters in the shared order, parameters and
// file tensors that are allocated with the right sizes, and a saved name
// that loads back.
func TestRegistry(t *testing.T) {
	seen := map[string]bool{}
	for _, name := range Architectures() {
		t.Run(name, func(t *testing.T) {
			if seen[name] {
				t.Fatalf("registered twice")
			}
			seen[name] = true
			info, ok := ArchitectureInfo(name)
			if !ok || info.Name != name {
				t.Fatalf("ArchitectureInfo(%q) = %+v, %v", name, info, ok)
			}
			s, err := New(name, 3, 5)
			if err != nil {
				t.Fatal(err)
			}
			names := s.paramNames()
			if len(names) < 3 || names[0] != "W_enc" || names[1] != "W_dec" || !slices.Contains(names, "b_dec") {
				t.Errorf("parameters %v: want W_enc, W_dec first and b_dec among them", names)
			}
			for k, p := range s.params() {
				if want := map[string]int{"W_enc": 15, "W_dec": 15, "b_dec": 3}[names[k]]; want != 0 && len(p) != want || want == 0 && len(p) != 5 {
					t.Errorf("parameter %s has %d values", names[k], len(p))
				}
			}
			for _, ft := range s.arch().tensors(s) {
				if slices.Contains([]string{"W_enc", "W_dec", "b_dec"}, ft.name) {
					t.Errorf("tensor %s is written by the shared code", ft.name)
				}
				if v := ft.save(); len(v) != 5 {
					t.Errorf("tensor %s saves %d values, want d_sae", ft.name, len(v))
				}
			}
			if _, ok := archByName(savedName(s.arch())); !ok {
				t.Errorf("saved as %q, which is not registered", savedName(s.arch()))
			}
		})
	}
	if _, ok := ArchitectureInfo("sparse"); ok || IsArchitecture("sparse") {
		t.Error("an unknown name is known")
	}
	if info, _ := ArchitectureInfo(ArchTopK); !info.UsesK || info.GhostGrads {
		t.Errorf("topk: %+v", info)
	}
	if info, _ := ArchitectureInfo(ArchStandard); info.UsesK || !info.GhostGrads {
		t.Errorf("standard: %+v", info)
	}
}

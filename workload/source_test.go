package workload

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestSourceErrors(t *testing.T) {
	for _, tc := range []struct {
		src  Source
		want string
	}{
		{Source{Case: 3}, "no hook name"},
		{Source{Hook: "blocks.0.hook_mlp_out"}, "no data source"},
		{Source{Case: 3, Activations: "x.npy"}, "cannot be combined"},
		{Source{Case: 16, Hook: "blocks.0.hook_mlp_out"}, "case 16"},
		{Source{Case: 3, Hook: "blocks.7.hook_mlp_out"}, "blocks.7"},
		{Source{Activations: filepath.Join(t.TempDir(), "missing.npy")}, "missing.npy"},
	} {
		_, _, err := tc.src.Load()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: err %v, want %q", tc.src, err, tc.want)
		}
	}
	if _, err := ReadSource(t.TempDir()); err == nil {
		t.Error("ReadSource of an empty directory: want an error")
	}
}

func TestSourceLabel(t *testing.T) {
	for _, tc := range []struct {
		src  Source
		want string
	}{
		{Source{Case: 3}, "case3"},
		{Source{Case: 3, Model: "/m/ib_case3/"}, "case3-ib_case3"},
		{Source{Activations: "/tmp/a.safetensors"}, "a"},
		{Source{Activations: "x.npy"}, "x"},
		{Source{Activations: "cache/"}, "cache"},
	} {
		if got := tc.src.Label(); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.src, got, tc.want)
		}
	}
}

package model

import (
	"strings"
	"testing"
)

func TestUnknownHookSuggestsClosestNames(t *testing.T) {
	cfg := Config{NLayers: 2, DModel: 4, NHeads: 1, DHead: 2, DMLP: 4, DVocab: 5, NCtx: 4, ActFn: "relu"}
	tests := []struct {
		name    string
		want    []string
		notWant []string
	}{
		{"blocks.0.hook_mlp_ot", []string{`did you mean "blocks.0.hook_mlp_out"`}, nil},
		{"blocks.1.hook_residdual_post", []string{`"blocks.1.hook_resid_post"`}, nil},
		{"blocks.7.hook_mlp_out", []string{`"blocks.0.hook_mlp_out"`, `"blocks.1.hook_mlp_out"`, "layers 0 to 1"}, nil},
		{"completely_different", []string{"blocks.L.hook_resid_pre", "hook_embed", "layers 0 to 1"}, []string{"did you mean"}},
	}
	for _, tc := range tests {
		_, err := HookShape(cfg, tc.name, 1, 2)
		if err == nil {
			t.Fatalf("%s accepted", tc.name)
		}
		msg := err.Error()
		if strings.Contains(msg, "HookNames") {
			t.Errorf("%s: message names the Go identifier: %s", tc.name, msg)
		}
		for _, w := range tc.want {
			if !strings.Contains(msg, w) {
				t.Errorf("%s: message lacks %s:\n%s", tc.name, w, msg)
			}
		}
		for _, w := range tc.notWant {
			if strings.Contains(msg, w) {
				t.Errorf("%s: message has %s:\n%s", tc.name, w, msg)
			}
		}
	}
}

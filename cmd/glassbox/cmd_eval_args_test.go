package main

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestEvalMissingPathSaysSo(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "runs", "nope")
	for _, args := range [][]string{{missing}, {missing, "--input", "a"}, {missing + ".star"}} {
		_, err := execute(t, newEvalCmd(), args...)
		if err == nil {
			t.Fatalf("eval %v: no error", args)
		}
		msg := err.Error()
		if strings.Contains(msg, "no --input") || !strings.Contains(msg, "does not exist") || !strings.Contains(msg, args[0]) {
			t.Errorf("eval %v: %v", args, err)
		}
	}
	// A file that is not a program is named as such.
	notStar := writeStar(t, "notes.txt", "hello\n")
	if _, err := execute(t, newEvalCmd(), notStar); err == nil || !strings.Contains(err.Error(), "not a run directory") {
		t.Errorf("eval notes.txt: %v", err)
	}
}

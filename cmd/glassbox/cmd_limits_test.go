package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// slowProgram chains Maps whose lambda takes about 6500 Starlark steps a call.
const slowProgram = `def slow(x):
    i = 0
    while i < 500:
        i += 1
    return x
s = tokens
for k in range(10):
    s = Map(slow, s, simplify=False)
program = s
`

func writeStar(t *testing.T, name, src string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestEvalAndCompileBudgets(t *testing.T) {
	slow := writeStar(t, "slow.star", slowProgram)
	big := writeStar(t, "big.star", "program = Map(lambda x: len(x * 2000000), tokens)\n")
	tests := []struct {
		name string
		run  func() (string, error)
		want []string
	}{
		{"eval steps", func() (string, error) {
			return execute(t, newEvalCmd(), slow, "--vocab", "a,b", "--input", "a b", "--max-steps", "30000")
		}, []string{"budget of 30000 Starlark steps", "--max-steps"}},
		{"eval memory", func() (string, error) {
			return execute(t, newEvalCmd(), big, "--vocab", "a,b", "--input", "a b", "--max-memory", "1000000")
		}, []string{"more than 1000000 bytes", "--max-memory"}},
		{"compile steps", func() (string, error) {
			return runCompileCLI(t, slow, "--vocab", "a,b", "--max-seq-len", "4", "--max-steps", "30000")
		}, []string{"budget of 30000 Starlark steps", "--max-steps"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := tc.run()
			if err == nil {
				t.Fatalf("no error:\n%s", out)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
	// The default budget runs the same program.
	if out, err := execute(t, newEvalCmd(), slow, "--vocab", "a,b", "--input", "a b"); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
}

func TestCompileRefusesOversizedModels(t *testing.T) {
	long := writeStar(t, "long.star", "program = Map(lambda x: x, indices)\nmax_seq_len = 1000000\n")
	_, err := runCompileCLI(t, long, "--vocab", "a,b")
	if err == nil {
		t.Fatal("a max_seq_len of 1000000 compiled")
	}
	for _, w := range []string{"n_ctx 1000000", "residual stream of at least 1000003 dimensions", "--max-params"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q lacks %q", err, w)
		}
	}
	small := writeStar(t, "small.star", "program = Map(lambda x: x, tokens)\n")
	if _, err := runCompileCLI(t, small, "--vocab", "a,b", "--max-params", "100"); err == nil || !strings.Contains(err.Error(), "the limit is 100 parameters") {
		t.Errorf("--max-params 100: %v", err)
	}
}

package star

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/glassbox-interp/glassbox/rasp"
)

// slowMaps chains n Maps whose lambda spins about 2*spin steps per call.
func slowMaps(n, spin int) string {
	var b strings.Builder
	b.WriteString("def slow(x):\n    i = 0\n    while i < " + strconv.Itoa(spin) + ":\n        i += 1\n    return x\n")
	b.WriteString("s = tokens\n")
	for i := 0; i < n; i++ {
		b.WriteString("s = Map(slow, s, simplify=False)\n")
	}
	b.WriteString("program = s\n")
	return b.String()
}

func TestStepBudgetIsSharedByAllCalls(t *testing.T) {
	// Every call fits in the budget on its own (about 6500 steps of 20000),
	// but 20 chained Maps on 2 positions need about 260000.
	p, err := Load("t.star", []byte(slowMaps(20, 500)), Options{MaxSteps: 20000})
	if err != nil {
		t.Fatal(err)
	}
	r, err := p.Build()
	if err != nil {
		t.Fatal(err)
	}
	_, err = rasp.Eval(r.Program, []rasp.Value{1, 2})
	if err == nil {
		t.Fatal("20 slow Maps ran within a 20000-step budget")
	}
	var le *LimitError
	if !errors.As(err, &le) || le.Limit != "steps" {
		t.Fatalf("error %v is not a step LimitError", err)
	}
	for _, w := range []string{"20000 Starlark steps", "MaxSteps", "--max-steps"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q lacks %q", err, w)
		}
	}
	// A generous budget evaluates the same program.
	p, err = Load("t.star", []byte(slowMaps(20, 500)), Options{MaxSteps: 2_000_000})
	if err != nil {
		t.Fatal(err)
	}
	if r, err = p.Build(); err != nil {
		t.Fatal(err)
	}
	if _, err := rasp.Eval(r.Program, []rasp.Value{1, 2}); err != nil {
		t.Fatal(err)
	}
}

func TestStepBudgetCoversLoadedModules(t *testing.T) {
	lib := fstest.MapFS{"lib/spin.star": {Data: []byte("i = 0\nwhile i < 1000:\n    i += 1\n")}}
	src := "load(\"lib/spin.star\", \"i\")\nj = 0\nwhile j < 1000:\n    j += 1\nprogram = tokens\n"
	// Each file alone needs about 13000 steps; together they exceed 20000.
	_, err := Load("t.star", []byte(src), Options{FS: lib, MaxSteps: 20000})
	var le *LimitError
	if !errors.As(err, &le) || le.Limit != "steps" {
		t.Fatalf("module and program did not share the budget: %v", err)
	}
}

func TestSharedBudgetAcrossBuilds(t *testing.T) {
	// With Options.Budget, load, every build and every call share one allowance.
	src := "j = 0\nwhile j < 500:\n    j += 1\nprogram = tokens\n"
	bud := NewBudget(20000, 0)
	p, err := Load("t.star", []byte(src), Options{Budget: bud})
	if err != nil {
		t.Fatal(err)
	}
	var last error
	for i := 0; i < 5 && last == nil; i++ {
		_, last = p.Build()
	}
	var le *LimitError
	if !errors.As(last, &le) {
		t.Fatalf("five builds of ~6500 steps fit a 20000-step shared budget: %v", last)
	}
	if steps, _ := bud.Used(); steps < 20000 {
		t.Errorf("budget used %d steps", steps)
	}
}

func TestMemoryBudget(t *testing.T) {
	tests := []struct {
		name string
		src  string
	}{
		{"string repeat", "x = \"x\" * 10000000\n"},
		{"string repeat reflected", "x = 10000000 * \"x\"\n"},
		{"list repeat", "x = [0] * 10000000\n"},
		{"tuple repeat", "x = (0, 1) * 5000000\n"},
		{"string doubling", "s = \"ab\"\nfor i in range(40):\n    s = s + s\n"},
		{"augmented doubling", "s = \"ab\"\nfor i in range(40):\n    s += s\n"},
		{"list doubling", "l = [1]\nfor i in range(40):\n    l = l + l\n"},
		{"list augmented doubling", "l = [1]\nfor i in range(40):\n    l += tuple(l)\n"},
		{"extend doubling", "l = [1]\nfor i in range(40):\n    l.extend(l)\n"},
		{"list of range", "x = list(range(10000000))\n"},
		{"tuple of range", "x = tuple(range(10000000))\n"},
		{"sorted range", "x = sorted(range(10000000))\n"},
		{"enumerate range", "x = enumerate(range(10000000))\n"},
		{"join", "x = \",\".join([\"abcdefgh\"] * 100000)\n"},
		{"replace", "s = \"a\" * 2000\nx = s.replace(\"a\", s)\n"},
		{"big int power", "x = pow(pow(10, 60000), 60000)\n"},
		{"big int squaring", "x = 10\nfor i in range(40):\n    x = x * x\n"},
		{"slice copies", "l = [0] * 50000\nkeep = []\nfor i in range(100):\n    keep.append(l[1:])\n"},
		{"str of a list", "l = [12345678] * 20000\nkeep = []\nfor i in range(10):\n    keep.append(str(l))\n"},
		{"percent format", "s = \"ab\"\nfor i in range(40):\n    s = \"%s%s\" % (s, s)\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load("t.star", []byte(tc.src+"program = tokens\n"), Options{MaxBytes: 1 << 20})
			var le *LimitError
			if !errors.As(err, &le) || le.Limit != "memory" {
				t.Fatalf("error %v is not a memory LimitError", err)
			}
			for _, w := range []string{"1048576 bytes", "MaxBytes", "--max-memory", "t.star:"} {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
	// The default budget refuses the examples before allocating.
	for _, src := range []string{"x = \"x\" * 1000000000\n", "x = list(range(100000000))\n"} {
		_, err := Load("t.star", []byte(src+"program = tokens\n"), Options{})
		var le *LimitError
		if !errors.As(err, &le) || le.Limit != "memory" {
			t.Errorf("%q with the default budget: %v", src, err)
		}
	}
	// Ordinary programs stay well inside the budget.
	src := "t = \"abcdefgh\" * 1000\nparts = [t[i:i + 2] for i in range(len(t))]\nx = [i * 2 for i in range(1000)]\ns = \",\".join([str(i) for i in x])\nl = list(range(100)) + [1] * 10\nprogram = Map(lambda v: v + \"!\" * 3, tokens)\n"
	p, err := Load("t.star", []byte(src), Options{MaxBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	r, err := p.Build()
	if err != nil {
		t.Fatal(err)
	}
	if out, err := rasp.EvalSOp(r.Program, []rasp.Value{"a"}); err != nil || out[0] != "a!!!" {
		t.Errorf("eval = %v, %v", out, err)
	}
}

func TestMemoryBudgetInLambda(t *testing.T) {
	p, err := Load("t.star", []byte("program = Map(lambda x: len(\"y\" * (x * 1000000)), tokens)\n"), Options{MaxBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	r, err := p.Build()
	if err != nil {
		t.Fatal(err)
	}
	_, err = rasp.Eval(r.Program, []rasp.Value{1, 2})
	var le *LimitError
	if !errors.As(err, &le) || le.Limit != "memory" {
		t.Fatalf("error %v is not a memory LimitError", err)
	}
}

func TestRecursionBacktraceIsTrimmed(t *testing.T) {
	src := "def f(n):\n    return f(n + 1)\nx = f(0)\nprogram = tokens\n"
	_, err := Load("t.star", []byte(src), Options{})
	if err == nil {
		t.Fatal("no error")
	}
	msg := err.Error()
	if n := strings.Count(msg, "\n"); n > 40 {
		t.Errorf("backtrace has %d lines", n)
	}
	for _, w := range []string{"t.star:3:6: in <toplevel>", "t.star:2:13: in f", "frames omitted", "stack overflow"} {
		if !strings.Contains(msg, w) {
			t.Errorf("error lacks %q:\n%s", w, msg)
		}
	}
}

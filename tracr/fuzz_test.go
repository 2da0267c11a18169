package tracr

import (
	"fmt"
	"strings"
	"testing"

	"github.com/glassbox-interp/glassbox/rasp"
)

// fuzzProgram builds a small RASP program from bytes: each byte picks an
// operation applied to earlier SOps. Every program is a valid RASP
// expression; many are not compilable by tracr.
func fuzzProgram(data []byte) rasp.SOp {
	sops := []rasp.SOp{rasp.Tokens, rasp.Indices}
	pick := func(b byte) rasp.SOp { return sops[int(b)%len(sops)] }
	fn1 := []rasp.Func{
		goFunc("lambda x: x + 1", func(a ...rasp.Value) (rasp.Value, error) { return rasp.Apply(rasp.OpAdd, a[0], 1) }),
		goFunc("lambda x: x == 1", func(a ...rasp.Value) (rasp.Value, error) { return rasp.Equal(a[0], 1), nil }),
		goFunc("lambda x: 1 / x", func(a ...rasp.Value) (rasp.Value, error) { return rasp.Apply(rasp.OpTrueDiv, 1, a[0]) }),
		goFunc("lambda x: x % 3", func(a ...rasp.Value) (rasp.Value, error) { return rasp.Apply(rasp.OpMod, a[0], 3) }),
	}
	add := goFunc("lambda x, y: x + y", func(a ...rasp.Value) (rasp.Value, error) { return rasp.Apply(rasp.OpAdd, a[0], a[1]) })
	for i := 0; i+2 < len(data) && len(sops) < 12; i += 3 {
		op, a, b := data[i], data[i+1], data[i+2]
		var s rasp.SOp
		switch op % 7 {
		case 0:
			s = rasp.NewMap(fn1[int(b)%len(fn1)], pick(a))
		case 1:
			s = rasp.AsNumerical(rasp.NewMap(fn1[int(b)%len(fn1)], pick(a)))
		case 2:
			s = rasp.NewSequenceMap(add, pick(a), pick(b))
		case 3:
			s = rasp.NewAggregate(rasp.NewSelect(pick(a), pick(b), rasp.Comparisons[int(op/7)%len(rasp.Comparisons)]), pick(b), nil)
		case 4:
			s = rasp.AsNumerical(rasp.NewAggregate(rasp.NewSelect(pick(a), pick(a), rasp.LEQ), pick(b), 0))
		case 5:
			s = rasp.NewSelectorWidth(rasp.NewSelect(pick(a), pick(b), rasp.Comparisons[int(op/7)%len(rasp.Comparisons)]))
		case 6:
			s = rasp.NewLinearSequenceMap(pick(a), pick(b), 1, -1)
		}
		sops = append(sops, s)
	}
	return sops[len(sops)-1]
}

// FuzzCompile checks that no program makes the compiler fail internally:
// every outcome is a model or an ordinary error.
func FuzzCompile(f *testing.F) {
	f.Add([]byte{0, 0, 1}, uint8(3))
	f.Add([]byte{1, 0, 1, 4, 1, 2}, uint8(4))
	f.Add([]byte{5, 0, 0, 2, 1, 2, 3, 3, 2}, uint8(5))
	f.Add([]byte{3, 1, 0, 6, 2, 2, 0, 3, 1}, uint8(2))
	f.Fuzz(func(t *testing.T, data []byte, n uint8) {
		prog := fuzzProgram(data)
		maxLen := 1 + int(n)%6
		c, err := Compile(prog, []rasp.Value{0, 1, 2}, maxLen, Options{})
		if err != nil {
			if strings.Contains(err.Error(), "internal error") {
				t.Fatalf("program %v: %v", data, err)
			}
			return
		}
		if _, err := c.Model(); err != nil {
			t.Fatalf("program %v compiled but the model is invalid: %v", data, err)
		}
		if got := fmt.Sprint(c.Config.NCtx); got != fmt.Sprint(maxLen+1) {
			t.Fatalf("n_ctx %s, want %d", got, maxLen+1)
		}
	})
}

package cases

import (
	"errors"
	"testing"

	"github.com/glassbox-interp/glassbox/rasp"
	"github.com/glassbox-interp/glassbox/rasp/star"
)

func TestLoadFileSharesOneBudget(t *testing.T) {
	// Each trace (a fresh build and one call of slow per position) takes
	// about 7000 steps: fine alone, but a 30000-step budget is shared by
	// loading and every later build and evaluation of the file.
	src := "def slow(x):\n    i = 0\n    while i < 500:\n        i += 1\n    return x\nprogram = Map(slow, tokens)\n"
	c, err := LoadFile("slow.star", []byte(src), LoadOptions{Vocab: []rasp.Value{"a", "b"}, MaxSteps: 30000})
	if err != nil {
		t.Fatal(err)
	}
	var last error
	for i := 0; i < 10 && last == nil; i++ {
		_, last = c.Trace([]rasp.Value{"a"})
	}
	var le *star.LimitError
	if !errors.As(last, &le) || le.Limit != "steps" {
		t.Fatalf("ten traces fit a 30000-step budget: %v", last)
	}
}

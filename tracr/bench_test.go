package tracr

import (
	"testing"

	"github.com/glassbox-interp/glassbox/cases"
)

// BenchmarkCompileAll compiles every catalogue case once per iteration
// (programs are built outside the timer).
func BenchmarkCompileAll(b *testing.B) {
	all, err := cases.All()
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < b.N; i++ {
		for _, c := range all {
			b.StopTimer()
			prog, err := c.Build()
			if err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			if _, err := Compile(prog, c.Vocab(), c.MaxSeqLen-1, Options{Causal: c.Causal}); err != nil {
				b.Fatalf("case %d: %v", c.ID, err)
			}
		}
	}
}

// BenchmarkCompileCase119 is the largest case (tracr in Python needs more
// than a minute for it).
func BenchmarkCompileCase119(b *testing.B) {
	c, err := cases.Get(119)
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		prog, err := c.Build()
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if _, err := Compile(prog, c.Vocab(), c.MaxSeqLen-1, Options{Causal: c.Causal}); err != nil {
			b.Fatal(err)
		}
	}
}

package cases

import (
	"fmt"
	"syscall"
	"testing"
	"time"
)

// cpuTime returns the process's user+system CPU time. The benchmarks report
// it per op next to wall time because the machine is shared: on a loaded
// machine wall time overstates the cost.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkDataset builds the reference dataset of a few cases (program
// build + every row: generation, tokens and RASP evaluation).
func BenchmarkDataset(b *testing.B) {
	for _, id := range []int{3, 2, 39} {
		c, err := Get(id)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("case_%d", id), func(b *testing.B) {
			rows := 0
			cpu0 := cpuTime()
			for i := 0; i < b.N; i++ {
				ds, err := c.Dataset()
				if err != nil {
					b.Fatal(err)
				}
				rows = len(ds.Rows)
			}
			cpu := (cpuTime() - cpu0).Seconds()
			b.ReportMetric(float64(rows*b.N)/b.Elapsed().Seconds(), "rows/s")
			b.ReportMetric(cpu*1000/float64(b.N), "cpu-ms/op")
			b.ReportMetric(float64(rows*b.N)/cpu, "rows/cpu-s")
		})
	}
}

// BenchmarkLoad parses and runs a case file (what Get does once per case).
func BenchmarkLoad(b *testing.B) {
	c, err := Get(5)
	if err != nil {
		b.Fatal(err)
	}
	src := []byte(c.Source())
	for i := 0; i < b.N; i++ {
		if _, err := LoadFile("case_5.star", src, LoadOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSampleContents draws 2000 rows with the CPython generator port.
func BenchmarkSampleContents(b *testing.B) {
	c, err := Get(2)
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < b.N; i++ {
		if _, err := SampleContents(c.Vocab(), c.MinSeqLen, c.MaxSeqLen, 2000, 42); err != nil {
			b.Fatal(err)
		}
	}
}

package trainlog

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/glassbox-interp/glassbox/sae"
)

// Summary renders, for every logged metric, its final value and a
// 40-character sparkline of its history (like wandb's run summary).
func Summary(recs []sae.Record) string {
	series := map[string][]float64{}
	var order []string
	for _, r := range recs {
		for _, k := range r.Order {
			if _, ok := series[k]; !ok {
				order = append(order, k)
			}
			series[k] = append(series[k], r.Values[k])
		}
	}
	sort.Strings(order)
	w := 0
	for _, k := range order {
		w = max(w, len(k))
	}
	var b strings.Builder
	for _, k := range order {
		v := series[k]
		last := fmt.Sprintf("%.5g", v[len(v)-1])
		if math.IsNaN(v[len(v)-1]) && strings.HasSuffix(k, "explained_variance") {
			last = sae.NoVariance
		}
		fmt.Fprintf(&b, "%-*s %s %s\n", w, k, Sparkline(v, 40), last)
	}
	return b.String()
}

// Sparkline draws values as at most width block characters (bucket means;
// a bucket with no finite value is a space).
func Sparkline(v []float64, width int) string {
	if len(v) == 0 || width < 1 {
		return ""
	}
	n := min(width, len(v))
	buckets := make([]float64, n)
	lo, hi := math.Inf(1), math.Inf(-1)
	for i := 0; i < n; i++ {
		a, b := i*len(v)/n, (i+1)*len(v)/n
		var s float64
		var c int
		for _, x := range v[a:b] {
			if !math.IsNaN(x) && !math.IsInf(x, 0) {
				s += x
				c++
			}
		}
		if c == 0 {
			buckets[i] = math.NaN()
			continue
		}
		buckets[i] = s / float64(c)
		lo, hi = math.Min(lo, buckets[i]), math.Max(hi, buckets[i])
	}
	ticks := []rune("▁▂▃▄▅▆▇█")
	var b strings.Builder
	for _, x := range buckets {
		if math.IsNaN(x) {
			b.WriteRune(' ')
			continue
		}
		k := 0
		if hi > lo {
			k = int((x - lo) / (hi - lo) * float64(len(ticks)-1))
		}
		b.WriteRune(ticks[k])
	}
	return b.String()
}

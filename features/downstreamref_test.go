package features

import (
	"fmt"
	"math"
	"math/rand"
	"reflect"
	"testing"
)

// downstreamReference is Downstream as it was before DownstreamRef
// (commit e2fed98): every output's log-softmax per call.
func downstreamReference(in DownstreamInput) (*DownstreamMetrics, error) {
	if in.V < 1 {
		return nil, fmt.Errorf("features: downstream V must be >= 1, got %d", in.V)
	}
	if len(in.Clean)%in.V != 0 || len(in.Spliced) != len(in.Clean) || len(in.Zero) != len(in.Clean) {
		return nil, fmt.Errorf("features: downstream outputs must have equal length, a multiple of V=%d (clean %d, spliced %d, zero %d)", in.V, len(in.Clean), len(in.Spliced), len(in.Zero))
	}
	p := len(in.Clean) / in.V
	if in.Categorical && len(in.Targets) != p {
		return nil, fmt.Errorf("features: %d categorical targets for %d positions", len(in.Targets), p)
	}
	if !in.Categorical && len(in.TargetValues) != p {
		return nil, fmt.Errorf("features: %d numerical targets for %d positions", len(in.TargetValues), p)
	}
	m := &DownstreamMetrics{Categorical: in.Categorical}
	if in.Categorical {
		var ce, kl, acc [3]float64
		cnt := 0
		lpClean := make([]float64, in.V)
		lp := make([]float64, in.V)
		for i := 0; i < p; i++ {
			t := in.Targets[i]
			if t < 0 {
				continue
			}
			if t >= in.V {
				return nil, fmt.Errorf("features: target %d at position %d is outside the %d outputs", t, i, in.V)
			}
			cnt++
			logSoftmax(in.Clean[i*in.V:(i+1)*in.V], lpClean)
			for k, out := range [][]float32{in.Clean, in.Spliced, in.Zero} {
				row := out[i*in.V : (i+1)*in.V]
				logSoftmax(row, lp)
				ce[k] -= lp[t]
				if argmax(row) == t {
					acc[k]++
				}
				for j := range lp {
					pc := math.Exp(lpClean[j])
					if pc > 0 {
						kl[k] += pc * (lpClean[j] - lp[j])
					}
				}
			}
		}
		m.Positions = cnt
		outs := []*OutputMetrics{&m.Clean, &m.Spliced, &m.Zero}
		for k, o := range outs {
			o.Accuracy = Num(acc[k] / float64(cnt))
			o.CE = num(ce[k] / float64(cnt))
			o.KL = num(kl[k] / float64(cnt))
		}
		m.CEScore = num((ce[2] - ce[1]) / (ce[2] - ce[0]))
		m.KLScore = num((kl[2] - kl[1]) / kl[2])
		m.Retained = retained(m)
		return m, nil
	}
	var mse, dcl, acc [3]float64
	cnt := 0
	for i := 0; i < p; i++ {
		t := in.TargetValues[i]
		if math.IsNaN(t) {
			continue
		}
		cnt++
		for k, out := range [][]float32{in.Clean, in.Spliced, in.Zero} {
			ok := true
			for j := 0; j < in.V; j++ {
				o := float64(out[i*in.V+j])
				c := float64(in.Clean[i*in.V+j])
				mse[k] += (o - t) * (o - t) / float64(in.V)
				dcl[k] += (o - c) * (o - c) / float64(in.V)
				if !(math.Abs(o-t) < DefaultATol) {
					ok = false
				}
			}
			if ok {
				acc[k]++
			}
		}
	}
	m.Positions = cnt
	outs := []*OutputMetrics{&m.Clean, &m.Spliced, &m.Zero}
	for k, o := range outs {
		o.Accuracy = Num(acc[k] / float64(cnt))
		o.MSE = num(mse[k] / float64(cnt))
		o.MSEClean = num(dcl[k] / float64(cnt))
	}
	m.MSEScore = num((mse[2] - mse[1]) / (mse[2] - mse[0]))
	m.MSECleanSc = num((dcl[2] - dcl[1]) / dcl[2])
	m.ATol = DefaultATol
	m.Retained = retained(m)
	return m, nil
}

// TestDownstreamRefMatchesReference checks that one DownstreamRef scoring
// several spliced outputs gives, bit for bit, the metrics of the previous
// Downstream on each (categorical and numerical outputs, with excluded
// positions), and that Downstream itself still does.
func TestDownstreamRefMatchesReference(t *testing.T) {
	r := rand.New(rand.NewSource(5))
	const p = 50
	for _, tc := range []struct {
		name        string
		categorical bool
		v           int
	}{{"categorical", true, 7}, {"numerical", false, 1}, {"numerical-v2", false, 2}} {
		t.Run(tc.name, func(t *testing.T) {
			in := DownstreamInput{Categorical: tc.categorical, V: tc.v}
			noisy := func(base []float32, s float64) []float32 {
				out := make([]float32, len(base))
				for i := range out {
					out[i] = base[i] + float32(s*r.NormFloat64())
				}
				return out
			}
			in.Clean = noisy(make([]float32, p*tc.v), 3)
			in.Zero = noisy(in.Clean, 2)
			for i := 0; i < p; i++ {
				if tc.categorical {
					tgt := r.Intn(tc.v)
					if i%9 == 4 {
						tgt = -1
					}
					in.Targets = append(in.Targets, tgt)
				} else {
					tgt := float64(in.Clean[i*tc.v]) + 0.01*r.NormFloat64()
					if i%9 == 4 {
						tgt = math.NaN()
					}
					in.TargetValues = append(in.TargetValues, tgt)
				}
			}
			ref, err := NewDownstreamRef(in)
			if err != nil {
				t.Fatal(err)
			}
			for k, s := range []float64{0, 0.1, 1} {
				in.Spliced = noisy(in.Clean, s)
				want, err := downstreamReference(in)
				if err != nil {
					t.Fatal(err)
				}
				got, err := ref.Metrics(in.Spliced)
				if err != nil {
					t.Fatal(err)
				}
				direct, err := Downstream(in)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got, want) || !reflect.DeepEqual(direct, want) {
					t.Errorf("spliced %d: ref %s\ndirect %s\nwant %s", k, show(got), show(direct), show(want))
				}
			}
			if _, err := ref.Metrics(in.Spliced[1:]); err == nil {
				t.Error("short spliced output: no error")
			}
		})
	}
}

func show(m *DownstreamMetrics) string {
	f := func(n *Num) string {
		if n == nil {
			return "nil"
		}
		return fmt.Sprint(float64(*n))
	}
	s := fmt.Sprintf("positions %d", m.Positions)
	for _, o := range []OutputMetrics{m.Clean, m.Spliced, m.Zero} {
		s += fmt.Sprintf(" [acc %v ce %s kl %s mse %s dcl %s]", float64(o.Accuracy), f(o.CE), f(o.KL), f(o.MSE), f(o.MSEClean))
	}
	return s + fmt.Sprintf(" ce %s kl %s mse %s dcl %s", f(m.CEScore), f(m.KLScore), f(m.MSEScore), f(m.MSECleanSc))
}

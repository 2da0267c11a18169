package sae

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"
)

// refForwardRow is a per-row float64 reference of Forward's semantics for
// one input row (normalise, encode, activate, decode, un-normalise).
func refForwardRow(s *SAE, x []float32) (recon, feats []float64) {
	d, S := s.DIn, s.DSAE
	rn := normalizeRow(s.NormalizeActivations, x)
	c := make([]float64, d)
	for j, v := range x {
		c[j] = float64((v - rn.mu) * rn.kin)
		if s.ApplyBDecToInput {
			c[j] -= float64(s.BDec[j])
		}
	}
	u := make([]float64, S)
	for i := range u {
		for j := range c {
			u[i] += c[j] * float64(s.WEncT[i*d+j])
		}
	}
	act := func(p float64) float64 {
		if p <= 0 {
			return 0
		}
		if s.ActivationFn == "tanh-relu" {
			return math.Tanh(p)
		}
		return p
	}
	feats = make([]float64, S)
	switch s.Arch {
	case ArchGated:
		for i := range u {
			if u[i]+float64(s.BGate[i]) > 0 {
				feats[i] = act(u[i]*math.Exp(float64(s.RMag[i])) + float64(s.BMag[i]))
			}
		}
	case ArchJumpReLU, ArchBatchTopK:
		for i := range u {
			p := u[i] + float64(s.BEnc[i])
			th := s.TopKThreshold
			if s.Arch == ArchJumpReLU {
				th = math.Exp(float64(s.LogThreshold[i]))
			}
			if p > th && p > 0 {
				feats[i] = p
			}
		}
	case ArchTopK:
		order := make([]int, S)
		for i := range order {
			order[i] = i
			u[i] += float64(s.BEnc[i])
		}
		sort.SliceStable(order, func(a, b int) bool { return u[order[a]] > u[order[b]] })
		for _, i := range order[:s.K] {
			if u[i] > 0 {
				feats[i] = u[i]
			}
		}
	default:
		for i := range u {
			feats[i] = act(u[i] + float64(s.BEnc[i]))
		}
	}
	recon = make([]float64, d)
	for j := range recon {
		y := float64(s.BDec[j])
		for i, f := range feats {
			y += f * float64(s.WDec[i*d+j])
		}
		recon[j] = y*float64(rn.kout) + float64(rn.mu)
	}
	return recon, feats
}

// TestForwardMatchesPerRowReference checks the batched Forward / Encode /
// Decode (chunked products, sparse per-entry paths) against a per-row
// float64 reference for every architecture, with dense and one-hot-like
// inputs, input normalisation and more rows than one chunk.
func TestForwardMatchesPerRowReference(t *testing.T) {
	type variant struct {
		name string
		mod  func(s *SAE)
	}
	variants := []variant{
		{"plain", func(s *SAE) {}},
		{"tanh_bdec_layernorm", func(s *SAE) {
			s.ActivationFn, s.ApplyBDecToInput, s.NormalizeActivations = "tanh-relu", true, "layer_norm"
		}},
	}
	for _, arch := range []string{ArchStandard, ArchGated, ArchJumpReLU, ArchTopK, ArchBatchTopK} {
		for _, dIn := range []int{13, 70} {
			for _, sparseIn := range []bool{false, true} {
				for _, v := range variants {
					if arch == ArchGated && v.name != "plain" {
						continue // gated has no run-time normalisation
					}
					r := rand.New(rand.NewPCG(uint64(dIn), 11))
					S := 4 * dIn
					s, err := New(arch, dIn, S)
					if err != nil {
						t.Fatal(err)
					}
					for _, p := range s.params() {
						for i := range p {
							p[i] = float32(r.NormFloat64()) * 0.3
						}
					}
					s.K, s.TopKThreshold = 5, 0.2
					v.mod(s)
					n := inferenceChunk + 44
					x := make([]float32, n*dIn)
					for i := range x {
						if !sparseIn || r.IntN(10) == 0 {
							x[i] = float32(r.NormFloat64())
						}
					}
					recon, feats, err := s.Forward(x)
					if err != nil {
						t.Fatal(err)
					}
					enc, err := s.Encode(x)
					if err != nil {
						t.Fatal(err)
					}
					dec, err := s.Decode(feats)
					if err != nil {
						t.Fatal(err)
					}
					for b := 0; b < n; b++ {
						wr, wf := refForwardRow(s, x[b*dIn:(b+1)*dIn])
						for i, w := range wf {
							got := feats[b*S+i]
							if math.Abs(float64(got)-w) > 1e-4*(1+math.Abs(w)) || enc[b*S+i] != got {
								t.Fatalf("%s d_in %d sparse %v %s: row %d feature %d = %g (Encode %g), want %g",
									arch, dIn, sparseIn, v.name, b, i, got, enc[b*S+i], w)
							}
						}
						for j, w := range wr {
							if got := recon[b*dIn+j]; math.Abs(float64(got)-w) > 1e-4*(1+math.Abs(w)) {
								t.Fatalf("%s d_in %d sparse %v %s: row %d recon %d = %g, want %g",
									arch, dIn, sparseIn, v.name, b, j, got, w)
							}
							if s.NormalizeActivations == "none" && dec[b*dIn+j] != recon[b*dIn+j] {
								t.Fatalf("%s: Decode row %d [%d] = %g, Forward %g", arch, b, j, dec[b*dIn+j], recon[b*dIn+j])
							}
						}
					}
				}
			}
		}
	}
}

// TestMetricsMatchesEvaluate checks that Metrics on a Forward pass gives
// Evaluate's result, and that mismatched lengths are an error.
func TestMetricsMatchesEvaluate(t *testing.T) {
	data := tracrLikeData(20, 15, 200, 3)
	s, err := New(ArchStandard, 20, 80)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 2))
	for _, p := range s.params() {
		for i := range p {
			p[i] = float32(r.NormFloat64()) * 0.3
		}
	}
	want, err := s.Evaluate(data)
	if err != nil {
		t.Fatal(err)
	}
	recon, feats, err := s.Forward(data)
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Metrics(data, recon, feats)
	if err != nil {
		t.Fatal(err)
	}
	if got != want || got.Rows != 200 || got.L0 == 0 {
		t.Fatalf("Metrics = %+v, Evaluate = %+v", got, want)
	}
	if _, err := s.Metrics(data, recon[:20], feats); err == nil {
		t.Fatal("short reconstruction: no error")
	}
	// The same metrics from a Forward on the distinct rows only
	// (tracrLikeData repeats 15 rows): bit for bit those of Metrics on the
	// expanded outputs.
	const d = 20
	var uniq []float32
	rowOf := make([]int32, 200)
	seen := map[string]int32{}
	for i := range rowOf {
		key := fmt.Sprint(data[i*d : (i+1)*d])
		id, ok := seen[key]
		if !ok {
			id = int32(len(seen))
			seen[key] = id
			uniq = append(uniq, data[i*d:(i+1)*d]...)
		}
		rowOf[i] = id
	}
	if len(seen) >= 200 {
		t.Fatal("no repeated rows to test with")
	}
	ru, fu, err := s.Forward(uniq)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := s.MetricsRows(data, rowOf, ru, fu)
	if err != nil {
		t.Fatal(err)
	}
	re, fe := make([]float32, 0, len(recon)), make([]float32, 0, len(feats))
	for _, r := range rowOf {
		re = append(re, ru[int(r)*d:int(r+1)*d]...)
		fe = append(fe, fu[int(r)*80:int(r+1)*80]...)
	}
	expanded, err := s.Metrics(data, re, fe)
	if err != nil {
		t.Fatal(err)
	}
	if rows != expanded || rows.L0 != want.L0 || rows.DeadFeatures != want.DeadFeatures {
		t.Fatalf("MetricsRows = %+v, Metrics on the expanded outputs = %+v, Evaluate = %+v", rows, expanded, want)
	}
	bad := append([]int32(nil), rowOf...)
	bad[7] = int32(len(seen))
	if _, err := s.MetricsRows(data, bad, ru, fu); err == nil || !strings.Contains(err.Error(), "row 7") {
		t.Fatalf("row map past the distinct rows: error %v", err)
	}
}

// TestEvaluateChunked checks that an evaluation too large for one feature
// matrix (evaluated in chunks of rows) gives the one-pass metrics: the
// same sums, in the same order.
func TestEvaluateChunked(t *testing.T) {
	for _, arch := range []string{ArchStandard, ArchGated, ArchJumpReLU, ArchTopK, ArchBatchTopK} {
		t.Run(arch, func(t *testing.T) {
			const d, S, n = 24, 96, 3*inferenceChunk + 37
			s, err := New(arch, d, S)
			if err != nil {
				t.Fatal(err)
			}
			r := rand.New(rand.NewPCG(5, 6))
			for _, p := range s.params() {
				for i := range p {
					p[i] = float32(r.NormFloat64()) * 0.3
				}
			}
			s.K, s.TopKThreshold = 5, 0.2
			x := make([]float32, n*d)
			for i := range x {
				x[i] = float32(r.NormFloat64())
			}
			recon, feats, err := s.Forward(x)
			if err != nil {
				t.Fatal(err)
			}
			want, err := s.Metrics(x, recon, feats)
			if err != nil {
				t.Fatal(err)
			}
			defer func(v int) { evalChunkValues = v }(evalChunkValues)
			evalChunkValues = inferenceChunk * S // chunks of 256 rows: 4 of them
			got, err := s.Evaluate(x)
			if err != nil {
				t.Fatal(err)
			}
			if got != want || got.Rows != n || got.L0 == 0 {
				t.Fatalf("chunked Evaluate = %+v, one pass = %+v", got, want)
			}
		})
	}
}

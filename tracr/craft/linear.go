package craft

import (
	"fmt"

	"github.com/glassbox-interp/glassbox/tracr/bases"
)

// Linear is a linear map between two spaces; M is row-major
// [In.NumDims() x Out.NumDims()] (rows = input directions).
type Linear struct {
	In, Out *bases.Space
	M       []float64
}

// NewLinear returns the zero map from in to out.
func NewLinear(in, out *bases.Space) *Linear {
	return &Linear{In: in, Out: out, M: make([]float64, in.NumDims()*out.NumDims())}
}

// At returns the entry for the input row i and output column j.
func (l *Linear) At(i, j int) float64 { return l.M[i*l.Out.NumDims()+j] }

// Add adds v to the entry (in, out). Both directions must belong to the
// spaces; a missing one is an internal error.
func (l *Linear) Add(in, out bases.Direction, v float64) {
	i, ok1 := l.In.Index(in)
	j, ok2 := l.Out.Index(out)
	if !ok1 || !ok2 {
		panic(fmt.Sprintf("craft: direction %s→%s outside %s→%s", in, out, l.In, l.Out))
	}
	l.M[i*l.Out.NumDims()+j] += v
}

// Get returns the entry (in, out), 0 when either direction is absent.
func (l *Linear) Get(in, out bases.Direction) float64 {
	i, ok1 := l.In.Index(in)
	j, ok2 := l.Out.Index(out)
	if !ok1 || !ok2 {
		return 0
	}
	return l.M[i*l.Out.NumDims()+j]
}

// Project is vectorspace_fns.project: the 0/1 map sending every direction
// of from that is also in to onto itself.
func Project(from, to *bases.Space) *Linear {
	l := NewLinear(from, to)
	for i, d := range from.Basis() {
		if j, ok := to.Index(d); ok {
			l.M[i*to.NumDims()+j] = 1
		}
	}
	return l
}

// CombineInParallel is Linear.combine_in_parallel: a map on the joined input
// and output spaces whose row for a direction is the sum of the rows of
// every map whose input space contains it.
func CombineInParallel(fns []*Linear) *Linear {
	ins := make([]*bases.Space, len(fns))
	outs := make([]*bases.Space, len(fns))
	for i, f := range fns {
		ins[i], outs[i] = f.In, f.Out
	}
	joint := NewLinear(bases.Join(ins...), bases.Join(outs...))
	nOut := joint.Out.NumDims()
	for _, f := range fns {
		rows := indexIn(f.In, joint.In)
		cols := indexIn(f.Out, joint.Out)
		fo := f.Out.NumDims()
		for i, r := range rows {
			for j, c := range cols {
				if v := f.M[i*fo+j]; v != 0 {
					joint.M[r*nOut+c] += v
				}
			}
		}
	}
	return joint
}

// Bilinear is a scalar bilinear form (tracr's ScalarBilinear); M is
// row-major [Left.NumDims() x Right.NumDims()].
type Bilinear struct {
	Left, Right *bases.Space
	M           []float64
}

// NewBilinear returns the zero form.
func NewBilinear(left, right *bases.Space) *Bilinear {
	return &Bilinear{Left: left, Right: right, M: make([]float64, left.NumDims()*right.NumDims())}
}

// At returns the entry for left row i and right column j.
func (b *Bilinear) At(i, j int) float64 { return b.M[i*b.Right.NumDims()+j] }

// MLP is a two-layer ReLU block: hidden = relu(x·Fst), out = hidden·Snd.
type MLP struct {
	Fst, Snd *Linear
}

// Hidden is the hidden space of the MLP.
func (m *MLP) Hidden() *bases.Space { return m.Fst.Out }

// ResidualSpace is the join of the input and output spaces.
func (m *MLP) ResidualSpace() *bases.Space { return bases.Join(m.Fst.In, m.Snd.Out) }

// CombineMLPs is MLP.combine_in_parallel.
func CombineMLPs(mlps []*MLP) *MLP {
	fst := make([]*Linear, len(mlps))
	snd := make([]*Linear, len(mlps))
	for i, m := range mlps {
		fst[i], snd[i] = m.Fst, m.Snd
	}
	return &MLP{Fst: CombineInParallel(fst), Snd: CombineInParallel(snd)}
}

// Head is one attention head: QK is the bilinear query-key form (query
// space on the left), OV maps the value space to the output space.
type Head struct {
	QK     *Bilinear
	OV     *Linear
	Causal bool
}

// ResidualSpace is the join of all four spaces the head touches.
func (h *Head) ResidualSpace() *bases.Space {
	return bases.Join(h.QK.Left, h.QK.Right, h.OV.In, h.OV.Out)
}

// indexIn maps each direction of sub to its index in s (which contains it).
func indexIn(sub, s *bases.Space) []int {
	out := make([]int, sub.NumDims())
	for i, d := range sub.Basis() {
		j, ok := s.Index(d)
		if !ok {
			panic(fmt.Sprintf("craft: direction %s outside %s", d, s))
		}
		out[i] = j
	}
	return out
}

package craft

import (
	"errors"
	"fmt"
	"math"
	"sort"

	"github.com/glassbox-interp/glassbox/rasp"
	"github.com/glassbox-interp/glassbox/tracr/bases"
)

// IsArithmetic reports whether err is one Python raises as ArithmeticError
// (rasp reports division by zero with rasp.ErrZeroDivision). The
// discretising MLPs skip such inputs, as tracr's ignoring_arithmetic_errors does.
func IsArithmetic(err error) bool { return errors.Is(err, rasp.ErrZeroDivision) }

// ValueFunc is a RASP Map function on values.
type ValueFunc func(bases.Value) (bases.Value, error)

// DirFunc maps a direction to the output direction (categorical MLPs).
type DirFunc func(bases.Direction) (bases.Direction, error)

// PairDirFunc maps two input directions to an output direction.
type PairDirFunc func(x, y bases.Direction) (bases.Direction, error)

// AttnFunc says whether a query direction attends to a key direction.
type AttnFunc func(query, key bases.Direction) (bool, error)

// MapCategoricalMLP is categorical_mlp.map_categorical_mlp: the hidden layer
// is a copy of the output space and row d of the first layer is the one-hot
// of op(d) (zero when op(d) is not an output direction).
func MapCategoricalMLP(in, out *bases.Space, op DirFunc) (*MLP, error) {
	fst := NewLinear(in, out)
	for _, d := range in.Basis() {
		od, err := op(d)
		if err != nil {
			return nil, err
		}
		if out.Contains(od) {
			fst.Add(d, od, 1)
		}
	}
	return &MLP{Fst: fst, Snd: Project(out, out)}, nil
}

// MapCategoricalToNumericalMLP is map_categorical_to_numerical_mlp: one hidden
// unit (the output direction) receiving f(value) from each input direction.
func MapCategoricalToNumericalMLP(in, out *bases.Space, f func(bases.Value) (float64, error)) (*MLP, error) {
	if out.NumDims() != 1 {
		return nil, fmt.Errorf("output_space must have num_dims=1, but got %d: %s", out.NumDims(), out)
	}
	o := out.Basis()[0]
	fst := NewLinear(in, out)
	for _, d := range in.Basis() {
		v, err := f(d.Value)
		if err != nil {
			return nil, err
		}
		fst.Add(d, o, v)
	}
	return &MLP{Fst: fst, Snd: Project(out, out)}, nil
}

// SequenceMapCategoricalMLP is sequence_map_categorical_mlp: one hidden unit
// per pair (x, y) of input directions computing ReLU(x + y - 1), and a lookup
// table from each pair to op(x, y).
func SequenceMapCategoricalMLP(in1, in2, out *bases.Space, op PairDirFunc, one bases.Direction, hiddenName string) (*MLP, error) {
	if !in1.Disjoint(in2) {
		return nil, errors.New("input spaces to a SequenceMap must be disjoint; if input spaces are the same, use Map instead")
	}
	oneSpace := bases.NewSpace(one)
	if !in1.Disjoint(oneSpace) || !in2.Disjoint(oneSpace) {
		return nil, errors.New("overlapping bases")
	}
	input := bases.Join(in1, in2, oneSpace)
	hid := func(x, y bases.Direction) bases.Direction {
		return bases.Dir(hiddenName, bases.Tuple{x.Name, x.Value, y.Name, y.Value})
	}
	var hdirs []bases.Direction
	for _, x := range in1.Basis() {
		for _, y := range in2.Basis() {
			hdirs = append(hdirs, hid(x, y))
		}
	}
	hidden := bases.NewSpace(hdirs...)
	// hidx[i*n2+j] is the hidden index of the pair (in1[i], in2[j]).
	n1, n2 := in1.NumDims(), in2.NumDims()
	hidx := indexIn(bases.NewSpaceUnsorted(hdirs), hidden)
	fst := NewLinear(input, hidden)
	nh := hidden.NumDims()
	oneRow, _ := input.Index(one)
	for h := 0; h < nh; h++ {
		fst.M[oneRow*nh+h] = -1
	}
	rows1 := indexIn(in1, input)
	rows2 := indexIn(in2, input)
	for i := 0; i < n1; i++ {
		for j := 0; j < n2; j++ {
			h := hidx[i*n2+j]
			fst.M[rows1[i]*nh+h] += 1
			fst.M[rows2[j]*nh+h] += 1
		}
	}
	snd := NewLinear(hidden, out)
	no := out.NumDims()
	for i, x := range in1.Basis() {
		for j, y := range in2.Basis() {
			od, err := op(x, y)
			if err != nil {
				return nil, err
			}
			if c, ok := out.Index(od); ok {
				snd.M[hidx[i*n2+j]*no+c] += 1
			}
		}
	}
	return &MLP{Fst: fst, Snd: snd}, nil
}

// discretising holds the first layer of the numerical MLPs.
type discretising struct {
	hidden      *bases.Space
	fst         *Linear
	outputs     []bases.Value
	start       bases.Direction
	hiddenName  string
	numSections int
}

// SortValues sorts values with Python's < (stable), failing on TypeError.
func SortValues(values []bases.Value) ([]bases.Value, error) {
	out := append([]bases.Value(nil), values...)
	var err error
	sort.SliceStable(out, func(i, j int) bool {
		lt, e := bases.ValueLess(out[i], out[j])
		if e != nil && err == nil {
			err = e
		}
		return lt
	})
	return out, err
}

func newDiscretising(in bases.Direction, inputValues []bases.Value, f ValueFunc, hiddenName string, one bases.Direction, large float64) (*discretising, error) {
	sorted, err := SortValues(inputValues)
	if err != nil {
		return nil, fmt.Errorf("sort input values: %w", err)
	}
	var xs []float64
	var outs []bases.Value
	for _, x := range sorted {
		res, err := f(x)
		if err != nil {
			if IsArithmetic(err) {
				continue
			}
			return nil, fmt.Errorf("value %s: %w", bases.Repr(x), err)
		}
		if res == nil {
			continue
		}
		xf, ok := bases.AsFloat(x)
		if !ok {
			return nil, fmt.Errorf("input value %s is not a number", bases.Repr(x))
		}
		xs = append(xs, xf)
		outs = append(outs, res)
	}
	if len(xs) == 0 {
		return nil, errors.New("no input value has a defined output")
	}
	thresholds := make([]float64, len(xs)-1)
	for i := range thresholds {
		thresholds[i] = (xs[i] + xs[i+1]) / 2
	}
	start := bases.NameDir(hiddenName + "start")
	dirs := []bases.Direction{start}
	for k := 1; k < len(xs); k++ {
		dirs = append(dirs, bases.Dir(hiddenName, bases.Tuple{k, 0}), bases.Dir(hiddenName, bases.Tuple{k, 1}))
	}
	hidden := bases.NewSpace(dirs...)
	input := bases.Join(bases.NewSpace(in), bases.NewSpace(one))
	fst := NewLinear(input, hidden)
	fst.Add(one, start, 1)
	for k := 1; k < len(xs); k++ {
		d0 := bases.Dir(hiddenName, bases.Tuple{k, 0})
		d1 := bases.Dir(hiddenName, bases.Tuple{k, 1})
		t := thresholds[k-1]
		fst.Add(one, d0, 1-large*t)
		fst.Add(one, d1, -(large * t))
		fst.Add(in, d0, large)
		fst.Add(in, d1, large)
	}
	return &discretising{hidden: hidden, fst: fst, outputs: outs, start: start, hiddenName: hiddenName, numSections: len(xs)}, nil
}

// hiddenK returns (k, i) of a discretising hidden direction.
func hiddenK(d bases.Direction) (int, int) {
	t := d.Value.(bases.Tuple)
	return t[0].(int), t[1].(int)
}

// NumericalMLP is numerical_mlp.map_numerical_mlp: f is approximated by a
// step function over the sorted input values, with thresholds at midpoints
// and two hidden units per threshold of slope large (mlp_exactness).
func NumericalMLP(f ValueFunc, in, out *bases.Space, inputValues []bases.Value, one bases.Direction, large float64, hiddenName string) (*MLP, error) {
	if in.NumDims() != 1 {
		return nil, fmt.Errorf("input_space must have num_dims=1, but got %d: %s", in.NumDims(), in)
	}
	if out.NumDims() != 1 {
		return nil, fmt.Errorf("output_space must have num_dims=1, but got %d: %s", out.NumDims(), out)
	}
	disc, err := newDiscretising(in.Basis()[0], inputValues, f, hiddenName, one, large)
	if err != nil {
		return nil, err
	}
	o := out.Basis()[0]
	snd := NewLinear(disc.hidden, out)
	for _, h := range disc.hidden.Basis() {
		if h.Equal(disc.start) {
			v, ok := bases.AsFloat(disc.outputs[0])
			if !ok {
				return nil, fmt.Errorf("output %s is not a number", bases.Repr(disc.outputs[0]))
			}
			snd.Add(h, o, v)
			continue
		}
		k, i := hiddenK(h)
		a, ok1 := bases.AsFloat(disc.outputs[k])
		b, ok2 := bases.AsFloat(disc.outputs[k-1])
		if !ok1 || !ok2 {
			return nil, fmt.Errorf("outputs %s, %s are not numbers", bases.Repr(disc.outputs[k]), bases.Repr(disc.outputs[k-1]))
		}
		sign := 1.0
		if i == 1 {
			sign = -1
		}
		snd.Add(h, o, sign*(a-b))
	}
	return &MLP{Fst: disc.fst, Snd: snd}, nil
}

// NumericalToCategoricalMLP is map_numerical_to_categorical_mlp: the same
// discretisation, writing the one-hot of f(x) into the output space.
func NumericalToCategoricalMLP(f ValueFunc, in, out *bases.Space, inputValues []bases.Value, one bases.Direction, large float64, hiddenName string) (*MLP, error) {
	if in.NumDims() != 1 {
		return nil, fmt.Errorf("input_space must have num_dims=1, but got %d: %s", in.NumDims(), in)
	}
	disc, err := newDiscretising(in.Basis()[0], inputValues, f, hiddenName, one, large)
	if err != nil {
		return nil, err
	}
	byVal := map[string]bases.Direction{}
	for _, d := range out.Basis() {
		if d.Value == nil {
			return nil, fmt.Errorf("output direction %s encodes no value", d)
		}
		byVal[bases.Key(d.Value)] = d
	}
	lookup := func(v bases.Value) (bases.Direction, error) {
		d, ok := byVal[bases.Key(v)]
		if !ok {
			return d, fmt.Errorf("output value %s is not in the output space %s", bases.Repr(v), out)
		}
		return d, nil
	}
	snd := NewLinear(disc.hidden, out)
	for _, h := range disc.hidden.Basis() {
		if h.Equal(disc.start) {
			d, err := lookup(disc.outputs[0])
			if err != nil {
				return nil, err
			}
			snd.Add(h, d, 1)
			continue
		}
		k, i := hiddenK(h)
		dk, err := lookup(disc.outputs[k])
		if err != nil {
			return nil, err
		}
		dk1, err := lookup(disc.outputs[k-1])
		if err != nil {
			return nil, err
		}
		sign := 1.0
		if i == 1 {
			sign = -1
		}
		snd.Add(h, dk, sign)
		snd.Add(h, dk1, -sign)
	}
	return &MLP{Fst: disc.fst, Snd: snd}, nil
}

// LinearSequenceMapMLP is linear_sequence_map_numerical_mlp: four hidden
// units x+, x-, y+, y- computing a·x + b·y exactly with ReLUs.
func LinearSequenceMapMLP(in1, in2, out bases.Direction, fac1, fac2 float64, hiddenName string) *MLP {
	input := bases.NewSpace(in1, in2)
	outSpace := bases.NewSpace(out)
	xp := bases.Dir(hiddenName+"x", 1)
	xn := bases.Dir(hiddenName+"x", -1)
	yp := bases.Dir(hiddenName+"y", 1)
	yn := bases.Dir(hiddenName+"y", -1)
	hidden := bases.NewSpace(xp, xn, yp, yn)
	fst := NewLinear(input, hidden)
	for _, d := range input.Basis() {
		if d.Equal(in1) {
			fst.Add(d, xp, 1)
			fst.Add(d, xn, -1)
		}
		if d.Equal(in2) {
			fst.Add(d, yp, 1)
			fst.Add(d, yn, -1)
		}
	}
	snd := NewLinear(hidden, outSpace)
	snd.Add(xp, out, fac1)
	snd.Add(xn, out, -fac1)
	snd.Add(yp, out, fac2)
	snd.Add(yn, out, -fac2)
	return &MLP{Fst: fst, Snd: snd}
}

// AttnOptions are the flags of categorical_attn.
type AttnOptions struct {
	Causal                 bool
	AlwaysAttendToBOS      bool
	UseBOSForDefaultOutput bool
	SoftmaxColdness        float64
}

// CategoricalAttn is categorical_attn.categorical_attn with a zero default
// output: the query-key form is coldness·attn(q, k), plus coldness/2 (or the
// full coldness with AlwaysAttendToBOS) from the query's `one` to the key's
// BOS, so a query that selects nothing attends to BOS and reads the default.
func CategoricalAttn(query, key, value, out *bases.Space, bos, one bases.Direction, attn AttnFunc, o AttnOptions) (*Head, error) {
	bosSpace, oneSpace := bases.NewSpace(bos), bases.NewSpace(one)
	query = bases.Join(query, bosSpace, oneSpace)
	key = bases.Join(key, bosSpace)
	value = bases.Join(value, bosSpace)
	var valueBasis []bases.Direction
	for _, d := range value.Basis() {
		if o.AlwaysAttendToBOS || !d.Equal(bos) {
			valueBasis = append(valueBasis, d)
		}
	}
	if len(valueBasis) != out.NumDims() {
		return nil, fmt.Errorf("value space %s has %d directions but output space %s has %d", value, len(valueBasis), out, out.NumDims())
	}
	qk := NewBilinear(query, key)
	for i, q := range query.Basis() {
		for j, k := range key.Basis() {
			var v float64
			switch {
			case k.Equal(bos) && q.Equal(one):
				c := 0.5
				if o.AlwaysAttendToBOS {
					c = 1
				}
				v = c * o.SoftmaxColdness
			case k.Equal(bos) || k.Equal(one) || q.Equal(bos) || q.Equal(one):
				v = 0
			default:
				sel, err := attn(q, k)
				if err != nil {
					return nil, err
				}
				if sel {
					v = o.SoftmaxColdness
				}
			}
			qk.M[i*key.NumDims()+j] = v
		}
	}
	ov := NewLinear(value, out)
	outBasis := out.Basis()
	for i, d := range valueBasis {
		if o.UseBOSForDefaultOutput && d.Equal(bos) {
			continue // default output is the zero vector
		}
		ov.Add(d, outBasis[i], 1)
	}
	return &Head{QK: qk, OV: ov, Causal: o.Causal}, nil
}

// SelectorWidthBlocks is selector_width.selector_width: an attention head
// that always attends to BOS and writes 1/(w+1) to
// "<label>_selector_width_attn_output", then an MLP that decodes w (as a
// categorical or numerical output) combined in parallel with a clean-up unit
// that removes what the head and MLP wrote at the BOS position.
func SelectorWidthBlocks(query, key, out *bases.Space, bos, one bases.Direction, attn AttnFunc, outValues []bases.Value,
	categorical bool, coldness, large float64, label string) (*Head, *MLP, error) {
	if out.NumDims() != 1 && !categorical {
		return nil, nil, fmt.Errorf("numerical selector width needs a 1-d output space, got %s", out)
	}
	attnOut := bases.NameDir(label + "_selector_width_attn_output")
	attnOutSpace := bases.NewSpace(attnOut)
	head, err := CategoricalAttn(query, key, bases.NewSpace(bos), attnOutSpace, bos, one, attn,
		AttnOptions{AlwaysAttendToBOS: true, SoftmaxColdness: coldness})
	if err != nil {
		return nil, nil, err
	}
	fun := func(x bases.Value) (bases.Value, error) {
		xf, _ := bases.AsFloat(x)
		return int(math.RoundToEven(1/xf - 1)), nil
	}
	seen := map[string]bool{}
	var inValues []bases.Value
	for _, v := range outValues {
		vf, ok := bases.AsFloat(v)
		if !ok {
			return nil, nil, fmt.Errorf("selector width value %s is not a number", bases.Repr(v))
		}
		x := 1 / (vf + 1)
		if k := bases.Key(x); !seen[k] {
			seen[k] = true
			inValues = append(inValues, x)
		}
	}
	hiddenName := "_hidden_" + label + "_"
	var mlp *MLP
	if categorical {
		mlp, err = NumericalToCategoricalMLP(fun, attnOutSpace, out, inValues, one, large, hiddenName)
	} else {
		mlp, err = NumericalMLP(fun, attnOutSpace, out, inValues, one, large, hiddenName)
	}
	if err != nil {
		return nil, nil, err
	}
	cleanOut := bases.Join(attnOutSpace, out)
	hiddenDir := bases.NameDir("_hidden_clean_bos_")
	hiddenSpace := bases.NewSpace(hiddenDir)
	fst := NewLinear(bases.NewSpace(bos), hiddenSpace)
	fst.Add(bos, hiddenDir, 1)
	snd := NewLinear(hiddenSpace, cleanOut)
	snd.Add(hiddenDir, attnOut, -1)
	if categorical {
		found := false
		for _, d := range out.Basis() {
			if bases.Equal(d.Value, 0) {
				snd.Add(hiddenDir, d, -1)
				found = true
				break
			}
		}
		if !found {
			return nil, nil, fmt.Errorf("selector width output space %s has no direction for 0", out)
		}
	}
	clean := &MLP{Fst: fst, Snd: snd}
	return head, CombineMLPs([]*MLP{mlp, clean}), nil
}

package bases

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/glassbox-interp/glassbox/rasp"
)

// Direction is tracr's BasisDirection: a name and an optional value
// (nil = no value). Two directions are equal when their names are equal
// and their values are equal under Python's ==.
type Direction struct {
	Name  string
	Value Value
}

// Dir is shorthand for a Direction with a value.
func Dir(name string, value Value) Direction { return Direction{Name: name, Value: value} }

// NameDir is shorthand for a Direction without a value.
func NameDir(name string) Direction { return Direction{Name: name} }

// String prints the direction as tracr does: "name" or "name:value" (str()).
func (d Direction) String() string { return rasp.BasisString(d.Name, d.Value) }

// Key identifies the direction up to Python equality.
func (d Direction) Key() string {
	b := make([]byte, 0, len(d.Name)+16)
	b = append(b, d.Name...)
	b = append(b, 0)
	return string(appendKey(b, d.Value))
}

// appendKey appends a compact key of v, equal for values equal in Python
// (1, 1.0 and True share one), with length-prefixed strings.
func appendKey(b []byte, v Value) []byte {
	switch x := v.(type) {
	case nil:
		return append(b, 'N')
	case bool:
		if x {
			return append(b, 'n', '1')
		}
		return append(b, 'n', '0')
	case int:
		return strconv.AppendInt(append(b, 'n'), int64(x), 10)
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<62 {
			return strconv.AppendInt(append(b, 'n'), int64(x), 10)
		}
		return strconv.AppendUint(append(b, 'f'), math.Float64bits(x), 16)
	case string:
		b = strconv.AppendInt(append(b, 's'), int64(len(x)), 10)
		return append(append(b, ':'), x...)
	case Tuple:
		b = strconv.AppendInt(append(b, '('), int64(len(x)), 10)
		for _, e := range x {
			b = appendKey(append(b, ','), e)
		}
		return append(b, ')')
	}
	return append(b, Key(v)...)
}

// Equal reports whether two directions are equal (Python ==).
func (d Direction) Equal(o Direction) bool { return d.Name == o.Name && Equal(d.Value, o.Value) }

// DirLess is tracr's BasisDirection.__lt__ (rasp.BasisLess): (name, value)
// compared as a Python tuple, falling back to the printed forms on TypeError.
func DirLess(a, b Direction) bool { return rasp.BasisLess(a.Name, a.Value, b.Name, b.Value) }

// Space is a vector space with a named basis kept in sorted order
// (tracr's VectorSpaceWithBasis). The zero value is the empty space.
type Space struct {
	basis []Direction
	keys  []string // keys[i] = basis[i].Key()
	index map[string]int
}

// NewSpace returns the space spanned by dirs, sorted and without duplicates
// (the first of several equal directions is kept).
func NewSpace(dirs ...Direction) *Space {
	keys := make([]string, len(dirs))
	for i, d := range dirs {
		keys[i] = d.Key()
	}
	return newKeyed(dirs, keys)
}

func newKeyed(dirs []Direction, keys []string) *Space {
	type item struct {
		d Direction
		k string
	}
	seen := make(map[string]bool, len(dirs))
	uniq := make([]item, 0, len(dirs))
	for i, d := range dirs {
		if seen[keys[i]] {
			continue
		}
		seen[keys[i]] = true
		uniq = append(uniq, item{d, keys[i]})
	}
	sort.SliceStable(uniq, func(i, j int) bool { return DirLess(uniq[i].d, uniq[j].d) })
	s := &Space{basis: make([]Direction, len(uniq)), keys: make([]string, len(uniq)), index: make(map[string]int, len(uniq))}
	for i, it := range uniq {
		s.basis[i] = it.d
		s.keys[i] = it.k
		s.index[it.k] = i
	}
	return s
}

// NewSpaceUnsorted keeps dirs in the given order (duplicates included); it
// is only for looking up positions, not a tracr vector space.
func NewSpaceUnsorted(dirs []Direction) *Space {
	s := &Space{basis: dirs, keys: make([]string, len(dirs)), index: make(map[string]int, len(dirs))}
	for i, d := range dirs {
		k := d.Key()
		s.keys[i] = k
		if _, ok := s.index[k]; !ok {
			s.index[k] = i
		}
	}
	return s
}

// FromValues is VectorSpaceWithBasis.from_values: one direction name:v per value.
func FromValues(name string, values []Value) *Space {
	dirs := make([]Direction, len(values))
	for i, v := range values {
		dirs[i] = Dir(name, v)
	}
	return NewSpace(dirs...)
}

// FromNames is VectorSpaceWithBasis.from_names: value-less directions.
func FromNames(names ...string) *Space {
	dirs := make([]Direction, len(names))
	for i, n := range names {
		dirs[i] = NameDir(n)
	}
	return NewSpace(dirs...)
}

// Join is join_vector_spaces: the sorted union of the bases.
func Join(spaces ...*Space) *Space {
	var all []Direction
	var keys []string
	for _, s := range spaces {
		if s != nil {
			all = append(all, s.basis...)
			keys = append(keys, s.keys...)
		}
	}
	return newKeyed(all, keys)
}

// Basis returns the sorted basis (do not modify).
func (s *Space) Basis() []Direction {
	if s == nil {
		return nil
	}
	return s.basis
}

// NumDims is the number of basis directions.
func (s *Space) NumDims() int {
	if s == nil {
		return 0
	}
	return len(s.basis)
}

// Index returns the position of d in the basis.
func (s *Space) Index(d Direction) (int, bool) {
	if s == nil {
		return 0, false
	}
	i, ok := s.index[d.Key()]
	return i, ok
}

// Contains reports whether d is a basis direction of s.
func (s *Space) Contains(d Direction) bool { _, ok := s.Index(d); return ok }

// IsSubspace reports whether every direction of s is in o.
func (s *Space) IsSubspace(o *Space) bool {
	for _, d := range s.Basis() {
		if !o.Contains(d) {
			return false
		}
	}
	return true
}

// Equal reports whether the two spaces have the same basis.
func (s *Space) Equal(o *Space) bool {
	if s.NumDims() != o.NumDims() {
		return false
	}
	for i, d := range s.Basis() {
		if !d.Equal(o.basis[i]) {
			return false
		}
	}
	return true
}

// Disjoint reports whether the spaces share no direction.
func (s *Space) Disjoint(o *Space) bool {
	for _, d := range s.Basis() {
		if o.Contains(d) {
			return false
		}
	}
	return true
}

// Labels returns the printed form of every basis direction, in order.
func (s *Space) Labels() []string {
	out := make([]string, s.NumDims())
	for i, d := range s.Basis() {
		out[i] = d.String()
	}
	return out
}

// Names returns the distinct direction names in basis order.
func (s *Space) Names() []string {
	var out []string
	seen := map[string]bool{}
	for _, d := range s.Basis() {
		if !seen[d.Name] {
			seen[d.Name] = true
			out = append(out, d.Name)
		}
	}
	return out
}

// String prints the basis like "[a:1, a:2, one]".
func (s *Space) String() string {
	return fmt.Sprintf("[%s]", strings.Join(s.Labels(), ", "))
}

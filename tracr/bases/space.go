package bases

import (
	"fmt"
	"sort"
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
func (d Direction) Key() string { return d.Name + "\x00" + Key(d.Value) }

// Equal reports whether two directions are equal (Python ==).
func (d Direction) Equal(o Direction) bool { return d.Name == o.Name && Equal(d.Value, o.Value) }

// DirLess is tracr's BasisDirection.__lt__ (rasp.BasisLess): (name, value)
// compared as a Python tuple, falling back to the printed forms on TypeError.
func DirLess(a, b Direction) bool { return rasp.BasisLess(a.Name, a.Value, b.Name, b.Value) }

// Space is a vector space with a named basis kept in sorted order
// (tracr's VectorSpaceWithBasis). The zero value is the empty space.
type Space struct {
	basis []Direction
	index map[string]int
}

// NewSpace returns the space spanned by dirs, sorted and without duplicates
// (the first of several equal directions is kept).
func NewSpace(dirs ...Direction) *Space {
	seen := make(map[string]bool, len(dirs))
	uniq := make([]Direction, 0, len(dirs))
	for _, d := range dirs {
		k := d.Key()
		if seen[k] {
			continue
		}
		seen[k] = true
		uniq = append(uniq, d)
	}
	sort.SliceStable(uniq, func(i, j int) bool { return DirLess(uniq[i], uniq[j]) })
	s := &Space{basis: uniq, index: make(map[string]int, len(uniq))}
	for i, d := range uniq {
		s.index[d.Key()] = i
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
	for _, s := range spaces {
		if s != nil {
			all = append(all, s.basis...)
		}
	}
	return NewSpace(all...)
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

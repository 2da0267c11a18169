package torchfile

import (
	"fmt"

	"github.com/glassbox-interp/glassbox/formats/safetensors"
)

// DefaultMaxBytes is the default Limits.MaxBytes: 2 GiB.
const DefaultMaxBytes int64 = 2 << 30

// MaxExpandedBytes bounds a tensor that holds more elements than its
// storage (a stride-0 view such as torch.zeros(1).expand(n)): such views are
// materialised only up to this size. A file of a few hundred bytes can
// otherwise describe gigabytes.
const MaxExpandedBytes = 1 << 20

// Limits bounds what reading a state dict materialises. The zero value
// applies DefaultMaxBytes and checks nothing else. Whatever the limits,
// storage bytes are read only up to the size the pickle declares, however
// far a compressed zip entry would inflate.
type Limits struct {
	// MaxBytes bounds the bytes read from storages plus the bytes of the
	// tensors copied out of them, over the whole file (0:
	// DefaultMaxBytes). A tensor that is the first contiguous view of a
	// storage read from a zip uses the storage's bytes and counts once;
	// other views (and every legacy-format tensor) count their own bytes.
	// A loader that knows the shapes to expect can pass twice their size.
	MaxBytes int64
	// Check, when set, sees each top-level tensor's name, dtype and shape
	// before any of its data is read; an error stops the load (and is
	// returned with the name).
	Check func(name string, dtype safetensors.DType, shape []int) error
}

func (l Limits) maxBytes() int64 {
	if l.MaxBytes > 0 {
		return l.MaxBytes
	}
	return DefaultMaxBytes
}

// budget counts the bytes a load has materialised.
type budget struct {
	used, max int64
}

func (b *budget) take(n int64, what string) error {
	if n > b.max-b.used {
		return fmt.Errorf("%s would bring the bytes read to %d, more than the limit of %d (Limits.MaxBytes)", what, b.used+n, b.max)
	}
	b.used += n
	return nil
}

// materialize checks the tensor named name against lim, reads its storage
// if that is not in memory yet and gathers the tensor's data from its view.
func (t *Tensor) materialize(name string, lim Limits, b *budget) error {
	if t.view == nil {
		return nil
	}
	v := t.view
	es := int64(v.st.dtype.Size())
	n, err := checkView(v.st, v.off, v.size, v.stide)
	if err != nil {
		return err
	}
	if int64(n) > int64(v.st.numel) && int64(n)*es > MaxExpandedBytes {
		return fmt.Errorf("an expanded (stride-0 or overlapping) view of %d elements (shape %v, stride %v) over a storage of %d: refusing to materialise more than %d bytes from such a view (save the tensor with .contiguous() or .clone())", n, v.size, v.stide, v.st.numel, MaxExpandedBytes)
	}
	if lim.Check != nil {
		if err := lim.Check(name, v.st.dtype, append([]int{}, v.size...)); err != nil {
			return err
		}
	}
	if v.st.load != nil {
		if err := b.take(v.st.bytes(), fmt.Sprintf("storage %q (%d bytes)", v.st.key, v.st.bytes())); err != nil {
			return err
		}
		data, err := v.st.load()
		if err != nil {
			return fmt.Errorf("storage %q: %w", v.st.key, err)
		}
		v.st.data, v.st.load = data, nil
		if contiguous(v.size, v.stide) {
			// The storage was read for this tensor: its bytes can be the
			// tensor's own (later users of the storage copy from it).
			t.Raw.Data = data[int64(v.off)*es : (int64(v.off)+int64(n))*es]
			t.view = nil
			return nil
		}
	}
	if err := b.take(int64(n)*es, fmt.Sprintf("its %d bytes", int64(n)*es)); err != nil {
		return err
	}
	g, err := gather(v.st, v.off, v.size, v.stide)
	if err != nil {
		return err
	}
	t.Raw = g.Raw
	t.view = nil
	return nil
}

// contiguous reports whether strides are the row-major strides of size
// (dimensions of size 1 may have any stride).
func contiguous(size, stride []int) bool {
	want := 1
	for i := len(size) - 1; i >= 0; i-- {
		if size[i] == 0 {
			return true
		}
		if size[i] != 1 && stride[i] != want {
			return false
		}
		want *= size[i]
	}
	return true
}

package tensor

import "testing"

func TestOffsetRowMajor(t *testing.T) {
	x := New(2, 3, 4)
	for i := 0; i < 2; i++ {
		for j := 0; j < 3; j++ {
			for k := 0; k < 4; k++ {
				if got, want := x.Offset(i, j, k), i*12+j*4+k; got != want {
					t.Fatalf("Offset(%d,%d,%d) = %d, want %d", i, j, k, got, want)
				}
			}
		}
	}
	x.Set(7, 1, 2, 3)
	if x.Data[23] != 7 || x.At(1, 2, 3) != 7 {
		t.Fatalf("Set/At did not hit the last element")
	}
}

func TestFromDataChecksLength(t *testing.T) {
	if _, err := FromData(make([]float32, 5), 2, 3); err == nil {
		t.Fatal("want error for 5 elements with shape [2,3]")
	}
	c, err := FromData([]float32{1, 2, 3, 4, 5, 6}, 2, 3)
	if err != nil {
		t.Fatal(err)
	}
	d := c.Clone()
	d.Data[0] = 9
	if c.Data[0] != 1 {
		t.Fatal("Clone shares data")
	}
	if ShapeString(c.Shape) != "[2,3]" || !SameShape(c.Shape, []int{2, 3}) || SameShape(c.Shape, []int{3, 2}) {
		t.Fatal("shape helpers wrong")
	}
}

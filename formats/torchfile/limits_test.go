package torchfile

import "testing"

func TestContiguous(t *testing.T) {
	cases := []struct {
		size, stride []int
		want         bool
	}{
		{nil, nil, true},
		{[]int{3}, []int{1}, true},
		{[]int{3}, []int{2}, false},
		{[]int{2, 3}, []int{3, 1}, true},
		{[]int{2, 3}, []int{1, 2}, false},
		{[]int{2, 1, 3}, []int{3, 7, 1}, true},
		{[]int{2, 0}, []int{5, 5}, true},
		{[]int{4}, []int{0}, false},
	}
	for _, c := range cases {
		if got := contiguous(c.size, c.stride); got != c.want {
			t.Errorf("contiguous(%v, %v) = %v", c.size, c.stride, got)
		}
	}
}

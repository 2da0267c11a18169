//go:build amd64 && !noasm

package grad

// attnFwdLanes is one head's attention forward for a group of eight
// sequences in lane layout (see attn.go), bit-identical to attnFwdLanesGo.
//
//go:noescape
func attnFwdLanes(q, k, v, p, z *float32, T, dh int, inv float32, causal int)

// attnBwdLanes is one head's attention backward for a group of eight
// sequences in lane layout, bit-identical to attnBwdLanesGo.
//
//go:noescape
func attnBwdLanes(q, k, v, p, dz, dq, dk, dv, dp *float32, T, dh int, inv float32, causal int)

// lanesIn copies a full group of eight sequences of T rows (row stride
// ld, a multiple of 8, the first w columns) into the lane layout
// [w/dh][T][dh][8]; off is laneOffsets(w, dh, T). It is toLanes with
// nb = 8.
//
//go:noescape
func lanesIn(rows *float32, ld int, lanes *float32, off *int, T, w, dh int)

// lanesOut is lanesIn backwards (fromLanes with nb = 8): columns w..ld of
// the rows' last block of eight get zeros.
//
//go:noescape
func lanesOut(rows *float32, ld int, lanes *float32, off *int, T, w, dh int)

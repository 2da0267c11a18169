//go:build !amd64 || noasm

package grad

// attnFwdLanes is the pure-Go twin under the kernel's name.
func attnFwdLanes(q, k, v, p, z *float32, T, dh int, inv float32, causal int) {
	hb := T * dh * 8
	attnFwdLanesGo(floats(q, hb), floats(k, hb), floats(v, hb), floats(p, T*T*8), floats(z, hb), T, dh, inv, causal)
}

// attnBwdLanes is the pure-Go twin under the kernel's name.
func attnBwdLanes(q, k, v, p, dz, dq, dk, dv, dp *float32, T, dh int, inv float32, causal int) {
	hb := T * dh * 8
	attnBwdLanesGo(floats(q, hb), floats(k, hb), floats(v, hb), floats(p, T*T*8), floats(dz, hb),
		floats(dq, hb), floats(dk, hb), floats(dv, hb), floats(dp, T*8), T, dh, inv, causal)
}

// lanesIn is the pure-Go twin under the kernel's name.
func lanesIn(rows *float32, ld int, lanes *float32, off *int, T, w, dh int) {
	toLanes(floats(lanes, 8*T*w), floats(rows, 8*T*ld), ld, w, dh, 8, T)
}

// lanesOut is the pure-Go twin under the kernel's name.
func lanesOut(rows *float32, ld int, lanes *float32, off *int, T, w, dh int) {
	fromLanes(floats(rows, 8*T*ld), ld, w, floats(lanes, 8*T*w), dh, 8, T)
}

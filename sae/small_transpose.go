package sae

// transposeTo writes the transpose of src ([rows, cols], row-major) into
// dst ([cols, ldd] with ldd >= rows: dst[c*ldd + r] = src[r*cols + c]),
// four source rows at a time so every destination write is a run of four.
func transposeTo(dst []float32, ldd int, src []float32, rows, cols int) {
	r := 0
	if useAVX2 && cols >= 8 && rows >= 8 {
		// 8×8 blocks in registers; the last cols%8 columns below.
		c8 := cols &^ 7
		_ = dst[(c8-1)*ldd+(rows&^7)-1]
		_ = src[((rows&^7)-1)*cols+c8-1]
		for ; r+8 <= rows; r += 8 {
			transpose8AVX2(&dst[r], ldd, &src[r*cols], cols, c8/8)
			c := c8
			for ; c+4 <= cols; c += 4 {
				_ = dst[(c+3)*ldd+r+7]
				_ = src[(r+7)*cols+c+3]
				transpose8x4AVX(&dst[c*ldd+r], ldd, &src[r*cols+c], cols)
			}
			for ; c < cols; c++ {
				for i := r; i < r+8; i++ {
					dst[c*ldd+i] = src[i*cols+c]
				}
			}
		}
	}
	for ; r+4 <= rows; r += 4 {
		s0 := src[r*cols : r*cols+cols]
		s1 := src[(r+1)*cols : (r+1)*cols+cols]
		s2 := src[(r+2)*cols : (r+2)*cols+cols]
		s3 := src[(r+3)*cols : (r+3)*cols+cols]
		for c := range s0 {
			d := dst[c*ldd+r : c*ldd+r+4 : c*ldd+r+4]
			d[0], d[1], d[2], d[3] = s0[c], s1[c], s2[c], s3[c]
		}
	}
	for ; r < rows; r++ {
		s0 := src[r*cols : r*cols+cols]
		for c, v := range s0 {
			dst[c*ldd+r] = v
		}
	}
}

// transposeCols is transposeTo for the source columns in cols only.
func transposeCols(dst []float32, ldd int, src []float32, rows, cols int, which []int32) {
	r := 0
	for ; r+4 <= rows; r += 4 {
		s0 := src[r*cols : r*cols+cols]
		s1 := src[(r+1)*cols : (r+1)*cols+cols]
		s2 := src[(r+2)*cols : (r+2)*cols+cols]
		s3 := src[(r+3)*cols : (r+3)*cols+cols]
		for _, c := range which {
			d := dst[int(c)*ldd+r : int(c)*ldd+r+4 : int(c)*ldd+r+4]
			d[0], d[1], d[2], d[3] = s0[c], s1[c], s2[c], s3[c]
		}
	}
	for ; r < rows; r++ {
		s0 := src[r*cols : r*cols+cols]
		for _, c := range which {
			dst[int(c)*ldd+r] = s0[c]
		}
	}
}

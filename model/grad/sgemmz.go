package grad

// sgemmZ is the AVX-512 path of sgemm (x and bias nil: C's contents are
// the start) and of sgemmInit (bias non-nil: the bias row, or x's row
// plus it, is the start). The caller has checked the shapes and bounds
// (n a multiple of 8, k ≥ 1). The n columns go in blocks of up to four
// zmm (zBlock), the last zmm of the last block masked to the columns
// that exist, or, when eight columns are left for it, a ymm (the …H…
// kernels: a masked zmm costs as much as a full one on Zen 4); every
// element gets the same multiply-add chain as on the AVX2 path, so both
// give the same bits.
func sgemmZ(c []float32, ldc int, a []float32, sar, sak int, b []float32, ldb int, m, k, n int, x, bias []float32) {
	q := (n + 15) / 16
	last := uint16(1)<<(n-16*(q-1)) - 1 // n-16(q-1) = 16 wraps to 0, minus 1: all lanes
	for j := 0; q > 0; {
		w := zBlock(q)
		mask := uint16(0xffff)
		if j+16*w >= n {
			mask = last
		}
		pc, pa, pb := &c[j], &a[0], &b[j]
		if mask == 0xff { // a last ymm rather than a half-masked zmm
			sgemmZHalf(w, pc, ldc, pa, sar, sak, pb, ldb, m, k, x, bias, j)
			j += 16 * w
			q -= w
			continue
		}
		switch {
		case bias == nil:
			switch w {
			case 1:
				sgemmZ1AVX512(pc, ldc, pa, sar, sak, pb, ldb, m, k, mask)
			case 2:
				sgemmZ2AVX512(pc, ldc, pa, sar, sak, pb, ldb, m, k, mask)
			case 3:
				sgemmZ3AVX512(pc, ldc, pa, sar, sak, pb, ldb, m, k, mask)
			default:
				sgemmZ4AVX512(pc, ldc, pa, sar, sak, pb, ldb, m, k, mask)
			}
		case x == nil:
			pbias := &bias[j]
			switch w {
			case 1:
				sgemmZ1BiasAVX512(pc, ldc, pa, sar, sak, pb, ldb, m, k, mask, pbias)
			case 2:
				sgemmZ2BiasAVX512(pc, ldc, pa, sar, sak, pb, ldb, m, k, mask, pbias)
			case 3:
				sgemmZ3BiasAVX512(pc, ldc, pa, sar, sak, pb, ldb, m, k, mask, pbias)
			default:
				sgemmZ4BiasAVX512(pc, ldc, pa, sar, sak, pb, ldb, m, k, mask, pbias)
			}
		default:
			px, pbias := &x[j], &bias[j]
			switch w {
			case 1:
				sgemmZ1XBiasAVX512(pc, ldc, pa, sar, sak, pb, ldb, m, k, mask, px, pbias)
			case 2:
				sgemmZ2XBiasAVX512(pc, ldc, pa, sar, sak, pb, ldb, m, k, mask, px, pbias)
			case 3:
				sgemmZ3XBiasAVX512(pc, ldc, pa, sar, sak, pb, ldb, m, k, mask, px, pbias)
			default:
				sgemmZ4XBiasAVX512(pc, ldc, pa, sar, sak, pb, ldb, m, k, mask, px, pbias)
			}
		}
		j += 16 * w
		q -= w
	}
}

// sgemmZHalf runs the last column block of sgemmZ when it ends with eight
// columns (16·w − 8 wide, from column j): the …H… kernels, whose last
// vector is a ymm.
func sgemmZHalf(w int, pc *float32, ldc int, pa *float32, sar, sak int, pb *float32, ldb int, m, k int, x, bias []float32, j int) {
	switch {
	case bias == nil:
		switch w {
		case 1:
			sgemmZ1HAVX512(pc, ldc, pa, sar, sak, pb, ldb, m, k)
		case 2:
			sgemmZ2HAVX512(pc, ldc, pa, sar, sak, pb, ldb, m, k)
		case 3:
			sgemmZ3HAVX512(pc, ldc, pa, sar, sak, pb, ldb, m, k)
		default:
			sgemmZ4HAVX512(pc, ldc, pa, sar, sak, pb, ldb, m, k)
		}
	case x == nil:
		pbias := &bias[j]
		switch w {
		case 1:
			sgemmZ1HBiasAVX512(pc, ldc, pa, sar, sak, pb, ldb, m, k, pbias)
		case 2:
			sgemmZ2HBiasAVX512(pc, ldc, pa, sar, sak, pb, ldb, m, k, pbias)
		case 3:
			sgemmZ3HBiasAVX512(pc, ldc, pa, sar, sak, pb, ldb, m, k, pbias)
		default:
			sgemmZ4HBiasAVX512(pc, ldc, pa, sar, sak, pb, ldb, m, k, pbias)
		}
	default:
		px, pbias := &x[j], &bias[j]
		switch w {
		case 1:
			sgemmZ1HXBiasAVX512(pc, ldc, pa, sar, sak, pb, ldb, m, k, px, pbias)
		case 2:
			sgemmZ2HXBiasAVX512(pc, ldc, pa, sar, sak, pb, ldb, m, k, px, pbias)
		case 3:
			sgemmZ3HXBiasAVX512(pc, ldc, pa, sar, sak, pb, ldb, m, k, px, pbias)
		default:
			sgemmZ4HXBiasAVX512(pc, ldc, pa, sar, sak, pb, ldb, m, k, px, pbias)
		}
	}
}

// zBlock is the width in zmm of the next column block when q zmm columns
// are left: threes (8-row tiles, 24 accumulators), a four (6-row tiles)
// instead of a three and a lone one, a two or a one for the rest.
func zBlock(q int) int {
	if q >= 3 && q != 4 {
		return 3
	}
	return q
}

package model

// SetDenseOnly turns the sparse weight layout off for models built after
// the call (benchmarks compare the two); it returns the previous setting.
func SetDenseOnly(on bool) bool {
	old := denseOnly
	denseOnly = on
	return old
}

//go:build !unix

package bench

// lockDir is a no-op where flock is not available.
func lockDir(dir string) (func(), error) { return func() {}, nil }

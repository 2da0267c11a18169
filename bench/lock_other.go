//go:build !unix

package bench

// lockDir takes no lock where flock is not available (Windows, Plan 9,
// wasm): it returns at once and its release does nothing. Two sweeps
// started on the same output directory there are not stopped and may
// interleave their results.jsonl lines; give each sweep its own --out (or
// --shard i/n with separate directories, then bench merge).
func lockDir(dir string) (func(), error) { return func() {}, nil }

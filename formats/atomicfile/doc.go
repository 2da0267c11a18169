// Package atomicfile writes files atomically: the bytes go to a temporary
// file in the destination directory, which is synced and then renamed over
// the destination, so a reader never sees a half-written file and a crash
// leaves the old file in place.
package atomicfile

//go:build !unix

package store

// lockLake is a no-op where flock is unavailable: run one compaction at a
// time.
func lockLake(dir string) (func(), error) { return func() {}, nil }

package store

import (
	"os"
	"testing"
)

func TestMain(m *testing.M) {
	code := m.Run()
	if bigRoot != "" {
		os.RemoveAll(bigRoot) // the 100k-call lake of BenchmarkQuery100k
	}
	os.Exit(code)
}

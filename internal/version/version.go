// Package version holds the analyzer version stamped into every row of the
// dataset (analyzer_version). Builds set it with
// -ldflags "-X github.com/callscope/callscope/internal/version.Version=…";
// otherwise the module version from the build info is used.
package version

import "runtime/debug"

// Version is set at link time; empty means "ask the build info".
var Version = ""

// String returns the analyzer version.
func String() string {
	if Version != "" {
		return Version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

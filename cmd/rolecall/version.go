package main

import (
	"runtime"
	"runtime/debug"
	"strings"
)

// versionText is the one line `rolecall version` prints: the module
// version (a release tag, or the pseudo-version the go command derives
// from the VCS), the VCS revision, its commit time and whether the tree
// had uncommitted changes, then the Go version and platform. A build
// without VCS information (go run, a build outside the repository) prints
// what it has.
//
//	rolecall v0.0.0-20261129223000-4599248ab1c2+dirty revision 4599248ab1c2 2026-11-29T22:30:00Z modified go1.26.0 linux/amd64
func versionText() string {
	fields := []string{"rolecall"}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		fields = append(fields, "(no build information)")
	} else {
		v := bi.Main.Version
		if v == "" {
			v = "(devel)"
		}
		fields = append(fields, v)
		var rev, at, modified string
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.time":
				at = s.Value
			case "vcs.modified":
				modified = s.Value
			}
		}
		if rev != "" {
			if len(rev) > 12 {
				rev = rev[:12]
			}
			fields = append(fields, "revision", rev)
			if at != "" {
				fields = append(fields, at)
			}
			if modified == "true" {
				fields = append(fields, "modified")
			}
		}
	}
	fields = append(fields, runtime.Version(), runtime.GOOS+"/"+runtime.GOARCH)
	return strings.Join(fields, " ")
}

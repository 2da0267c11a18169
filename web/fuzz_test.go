package web

import (
	"io/fs"
	"strings"
	"testing"
)

// FuzzCleanRel: an accepted path is a valid relative fs path without any
// ".." element (so it cannot leave the run directory).
func FuzzCleanRel(f *testing.F) {
	for _, s := range []string{"metrics.jsonl", "final/cfg.json", "../x", "a/../../b", "/etc/passwd", `a\..\b`, "a/./b", "", "..", "a//b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		c, err := cleanRel(p)
		if err != nil {
			return
		}
		if !fs.ValidPath(c) || strings.HasPrefix(c, "/") {
			t.Fatalf("cleanRel(%q) = %q: not a valid relative path", p, c)
		}
		for _, el := range strings.Split(c, "/") {
			if el == ".." {
				t.Fatalf("cleanRel(%q) = %q contains ..", p, c)
			}
		}
		if strings.Contains(p, "..") && strings.Contains("/"+p+"/", "/../") {
			t.Fatalf("cleanRel(%q) accepted a .. element", p)
		}
	})
}

package web

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/glassbox-interp/glassbox/workload"
)

// runNames names the runs in dirs (absolute paths) for their URLs. A run
// whose base name no other run has keeps it. Runs whose base names collide
// (two "resid-pre" runs, one on the compiled and one on the SIIT model) are
// named from what they record (recorded): model kind and base name
// ("compiled-resid-pre", "siit-resid-pre"), else model kind, base name and
// hook ("siit-resid-pre-0-attn-out"), the first of these that tells them
// apart; a numeric suffix ("resid-pre-2") is the last resort, for runs
// that record nothing that differs.
func runNames(dirs []string) []string {
	names := make([]string, len(dirs))
	bases := make([]string, len(dirs))
	group := map[string][]int{}
	for i, d := range dirs {
		bases[i] = filepath.Base(d)
		group[bases[i]] = append(group[bases[i]], i)
	}
	used := map[string]bool{}
	for i, b := range bases {
		if len(group[b]) == 1 {
			names[i] = b
			used[b] = true
		}
	}
	for i, b := range bases {
		members := group[b]
		if len(members) == 1 || members[0] != i {
			continue
		}
		// Each member's candidate names, tier by tier.
		cands := make([][]string, len(members))
		for j, m := range members {
			kind, hook := recorded(dirs[m])
			if kind == "" {
				continue
			}
			cands[j] = []string{kind + "-" + b}
			if hook != "" {
				cands[j] = append(cands[j], kind+"-"+b+"-"+hookSlug(hook))
			}
		}
		for j, m := range members {
			for tier, c := range cands[j] {
				if !used[c] && uniqueAt(cands, tier, c) {
					names[m] = c
					used[c] = true
					break
				}
			}
		}
		for _, m := range members {
			if names[m] != "" {
				continue
			}
			name := b
			for k := 2; used[name]; k++ {
				name = fmt.Sprintf("%s-%d", b, k)
			}
			names[m] = name
			used[name] = true
		}
	}
	return names
}

// uniqueAt reports whether exactly one member has c as its candidate at
// tier.
func uniqueAt(cands [][]string, tier int, c string) bool {
	n := 0
	for _, cs := range cands {
		if tier < len(cs) && cs[tier] == c {
			n++
		}
	}
	return n == 1
}

// recorded reads what a run directory (or an SAE directory inside one)
// records about its activations in source.json: the model kind
// (workload.KindCompiled, KindSIIT, KindInterpBench; "" when the run does
// not say, e.g. an activation file) and the hook name.
func recorded(dir string) (kind, hook string) {
	src, err := workload.ReadSource(dir)
	if err != nil {
		_, runDir, ferr := workload.FindSAE(dir)
		if ferr != nil || runDir == "" || runDir == dir {
			return "", ""
		}
		if src, err = workload.ReadSource(runDir); err != nil {
			return "", ""
		}
	}
	switch {
	case src.ModelRef != nil && src.ModelRef.Kind != "":
		kind = src.ModelRef.Kind
	case src.Model != "":
		kind = workload.FolderKind(src.Model)
	case src.Activations == "" && (src.Case != 0 || src.Program != nil):
		kind = workload.KindCompiled
	}
	return kind, src.Hook
}

// hookSlug shortens a hook name for a URL: "blocks.0.hook_resid_pre" is
// "0-resid-pre", "blocks.1.attn.hook_result" "1-attn-result".
func hookSlug(hook string) string {
	h := strings.TrimPrefix(hook, "blocks.")
	h = strings.Replace(h, "hook_", "", 1)
	return strings.NewReplacer(".", "-", "_", "-").Replace(h)
}

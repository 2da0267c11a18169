package bench

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// MergeReport describes what Merge did.
type MergeReport struct {
	Inputs     []string // results files read, in order
	Lines      int      // result lines read
	Cells      int      // distinct cells written
	OK         int      // of Cells, successes
	Failed     int      // of Cells, recorded errors
	Duplicates int      // lines that repeated a cell already seen with the same outcome
	Superseded int      // recorded errors replaced by a success of the same cell
	Dropped    int64    // bytes of partial trailing lines dropped from the inputs
}

// FindResults resolves sweep outputs to results files: a path may be a
// results file, a directory holding results.jsonl, or a directory whose
// shard-*/ subdirectories hold them (ShardDir's layout); it may also hold
// both. Files are returned in argument order, shards sorted by name.
func FindResults(paths ...string) ([]string, error) {
	var out []string
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("find results: %w", err)
		}
		if !st.IsDir() {
			out = append(out, p)
			continue
		}
		found := 0
		direct := filepath.Join(p, ResultsFile)
		if _, err := os.Stat(direct); err == nil {
			out = append(out, direct)
			found++
		}
		shards, _ := filepath.Glob(filepath.Join(p, "shard-*", ResultsFile))
		sort.Strings(shards)
		out = append(out, shards...)
		found += len(shards)
		if found == 0 {
			return nil, fmt.Errorf("find results: %s has no %s and no shard-*/%s", p, ResultsFile, ResultsFile)
		}
	}
	return out, nil
}

// LoadResults reads the results found under paths (see FindResults) and
// reduces them to one per cell with the rules of Merge.
func LoadResults(paths ...string) ([]Result, MergeReport, error) {
	files, err := FindResults(paths...)
	if err != nil {
		return nil, MergeReport{}, err
	}
	rep := MergeReport{Inputs: files}
	type entry struct {
		r    Result
		from string
	}
	byID := map[string]*entry{}
	var order []string
	var conflicts []string
	for _, f := range files {
		rs, partial, err := ReadResults(f)
		if err != nil {
			return nil, rep, err
		}
		rep.Dropped += partial
		for _, r := range rs {
			rep.Lines++
			e, ok := byID[r.ID]
			if !ok {
				byID[r.ID] = &entry{r, f}
				order = append(order, r.ID)
				continue
			}
			switch {
			case e.r.OK() && r.OK():
				if !maps.Equal(e.r.Metrics, r.Metrics) || otherModel(e.r, r) {
					conflicts = append(conflicts, fmt.Sprintf("%s (%s) in %s and %s", r.Key, r.ID, e.from, f))
				} else {
					rep.Duplicates++
				}
			case !e.r.OK() && r.OK():
				byID[r.ID] = &entry{r, f}
				rep.Superseded++
			case e.r.OK() && !r.OK():
				rep.Superseded++
			default:
				rep.Duplicates++ // two recorded errors: keep the first
			}
		}
	}
	if len(conflicts) > 0 {
		more := ""
		if len(conflicts) > 5 {
			more = fmt.Sprintf("\n  … and %d more", len(conflicts)-5)
			conflicts = conflicts[:5]
		}
		return nil, rep, fmt.Errorf("merge: %d cells have conflicting successful results (different metrics, or models with different weights):\n  %s%s",
			len(conflicts), strings.Join(conflicts, "\n  "), more)
	}
	out := make([]Result, 0, len(order))
	for _, id := range order {
		r := byID[id].r
		out = append(out, r)
		if r.OK() {
			rep.OK++
		} else {
			rep.Failed++
		}
	}
	sortResults(out)
	rep.Cells = len(out)
	return out, rep, nil
}

// MergeTarget returns the results file Merge writes for out: out itself
// when it ends in .jsonl, otherwise out/results.jsonl (out is a directory,
// created if needed). An existing out that is a file without the .jsonl
// suffix is an error.
func MergeTarget(out string) (string, error) {
	if strings.HasSuffix(out, ".jsonl") {
		return out, nil
	}
	if st, err := os.Stat(out); err == nil && !st.IsDir() {
		return "", fmt.Errorf("merge: %s exists and is not a directory (give a directory, or a file name ending in .jsonl)", out)
	}
	return filepath.Join(out, ResultsFile), nil
}

// Merge joins the results under inputs (results files, sweep directories
// or directories of shard-*/ outputs) into one results file: out when it
// ends in .jsonl, otherwise out/results.jsonl (MergeTarget), written
// atomically. Cells are
// deduplicated by ID: identical repeats are dropped, a success replaces a
// recorded error, and two successes with different metrics are a conflict
// (an error; nothing is written).
func Merge(out string, inputs ...string) (MergeReport, error) {
	if len(inputs) == 0 {
		return MergeReport{}, fmt.Errorf("merge: no inputs")
	}
	rs, rep, err := LoadResults(inputs...)
	if err != nil {
		return rep, err
	}
	out, err = MergeTarget(out)
	if err != nil {
		return rep, err
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return rep, fmt.Errorf("merge: %w", err)
	}
	data, err := encodeResults(rs)
	if err != nil {
		return rep, fmt.Errorf("merge: %w", err)
	}
	if err := writeFileAtomic(out, data); err != nil {
		return rep, fmt.Errorf("merge: %w", err)
	}
	return rep, nil
}

// otherModel reports whether two results of a cell both record the model
// they ran on and the models' weights differ (the same cell id on two
// different downloads of a case's model).
func otherModel(a, b Result) bool {
	return a.Model != nil && b.Model != nil && a.Model.Hash != b.Model.Hash
}

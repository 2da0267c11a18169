package bench

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/glassbox-interp/glassbox/features"
)

// TokenAtPosition is the Variable of the token@position candidates ("a@1",
// "BOS") in a Recovery.
const TokenAtPosition = "token@position"

// VariableRecovery is how well the sweep's SAEs recover one variable of one
// case on one model kind, over every cell (hook, architecture, sparsity,
// seed) whose hook expects it: a candidate is found when some cell's best
// feature scores ≥ features.CleanScore on it (Result.BestF1).
type VariableRecovery struct {
	Model    string `json:"model,omitempty"`
	Case     int    `json:"case"`
	Program  string `json:"program,omitempty"` // a .star program's content hash (Case is 0)
	Variable string `json:"variable"`          // a program variable, or TokenAtPosition
	// Candidates counts the variable's expected labels (one per value of a
	// categorical variable, one for a numerical one, one per token@position
	// pair); Found those some cell recovers.
	Candidates int `json:"candidates"`
	Found      int `json:"found"`
	// Worst is the lowest best score among the candidates (the hardest
	// value), Best the highest.
	Worst float64 `json:"worst"`
	Best  float64 `json:"best"`
}

// CaseName names the variable's case ("3") or program (its hash).
func (v VariableRecovery) CaseName() string {
	if v.Program != "" {
		return v.Program
	}
	return strconv.Itoa(v.Case)
}

// ArchRecovery is the share of candidates one architecture recovers on one
// model kind (in at least one of its cells at a hook expecting them).
type ArchRecovery struct {
	Model string `json:"model,omitempty"`
	Arch  string `json:"arch"`
	// Variables: the program variables' candidates (case × label);
	// TokenAt: the token@position pairs (case × label).
	Variables, VariablesFound int
	TokenAt, TokenAtFound     int
}

// Recovery is the leaderboard's account of which variables are found.
type Recovery struct {
	Variables []VariableRecovery `json:"variables"` // by model kind, case, variable
	Archs     []ArchRecovery     `json:"archs"`     // by model kind, then arch name
}

// CandidateVariable names the variable a candidate label belongs to:
// "name=value" and "name" give name; token@position labels ("x@2", "BOS")
// give TokenAtPosition.
func CandidateVariable(label string) string {
	if name, _, ok := strings.Cut(label, "="); ok {
		return name
	}
	if label == "BOS" || strings.Contains(label, "@") {
		return TokenAtPosition
	}
	return label
}

// recovery computes Recovery from successful results (model names as
// modelOf gives them: "" when the sweep has one kind), model kinds in the
// order kindOrder gives them (the leaderboard's).
func recovery(results []Result, modelOf func(Cell) string, kindOrder map[string]int) Recovery {
	type varKey struct {
		model    string
		id       Subject
		variable string
	}
	type candKey struct {
		model string
		id    Subject
		label string
	}
	type archKey struct{ model, arch string }
	best := map[candKey]float64{}
	byArch := map[archKey]map[candKey]float64{}
	for _, r := range results {
		if !r.OK() || len(r.BestF1) == 0 {
			continue
		}
		m := modelOf(r.Cell)
		ak := archKey{m, r.Cell.Arch}
		if byArch[ak] == nil {
			byArch[ak] = map[candKey]float64{}
		}
		for label, v := range r.BestF1 {
			k := candKey{m, r.Cell.Subject(), label}
			if old, ok := best[k]; !ok || v > old {
				best[k] = v
			}
			if old, ok := byArch[ak][k]; !ok || v > old {
				byArch[ak][k] = v
			}
		}
	}
	vars := map[varKey]*VariableRecovery{}
	for k, v := range best {
		vk := varKey{k.model, k.id, CandidateVariable(k.label)}
		vr := vars[vk]
		if vr == nil {
			vr = &VariableRecovery{Model: k.model, Case: k.id.Case, Program: k.id.Program, Variable: vk.variable, Worst: v, Best: v}
			vars[vk] = vr
		}
		vr.Candidates++
		if v >= features.CleanScore {
			vr.Found++
		}
		vr.Worst, vr.Best = min(vr.Worst, v), max(vr.Best, v)
	}
	var rec Recovery
	for _, vr := range vars {
		rec.Variables = append(rec.Variables, *vr)
	}
	sort.Slice(rec.Variables, func(i, j int) bool {
		a, b := rec.Variables[i], rec.Variables[j]
		if a.Model != b.Model {
			return kindOrder[a.Model] < kindOrder[b.Model]
		}
		if a.Case != b.Case {
			return a.Case < b.Case
		}
		if a.Program != b.Program {
			return a.Program < b.Program
		}
		return a.Variable < b.Variable
	})
	for ak, cands := range byArch {
		ar := ArchRecovery{Model: ak.model, Arch: ak.arch}
		for k, v := range cands {
			found := v >= features.CleanScore
			if CandidateVariable(k.label) == TokenAtPosition {
				ar.TokenAt++
				if found {
					ar.TokenAtFound++
				}
			} else {
				ar.Variables++
				if found {
					ar.VariablesFound++
				}
			}
		}
		rec.Archs = append(rec.Archs, ar)
	}
	sort.Slice(rec.Archs, func(i, j int) bool {
		a, b := rec.Archs[i], rec.Archs[j]
		if a.Model != b.Model {
			return kindOrder[a.Model] < kindOrder[b.Model]
		}
		return a.Arch < b.Arch
	})
	return rec
}

// maxNeverShown bounds the never-found list of the Markdown leaderboard
// (leaderboard.json has them all).
const maxNeverShown = 150

// RecoverySummary is one model kind's line of the recovery section.
type RecoverySummary struct {
	Model                     string
	Cases                     int // cases and programs
	Variables                 int // program variables (case × variable)
	Full, Part, Never         int // found in full, in part, never
	Candidates, CandidatesHit int // their candidates, and those found
	TokenAt, TokenAtHit       int // token@position pairs, and those found
}

// Summaries sums Variables per model kind, in Variables' order.
func (rec Recovery) Summaries() []RecoverySummary {
	var out []RecoverySummary
	cases := map[string]map[Subject]bool{}
	idx := map[string]int{}
	for _, v := range rec.Variables {
		i, ok := idx[v.Model]
		if !ok {
			i = len(out)
			idx[v.Model] = i
			out = append(out, RecoverySummary{Model: v.Model})
			cases[v.Model] = map[Subject]bool{}
		}
		s := &out[i]
		cases[v.Model][Subject{Case: v.Case, Program: v.Program}] = true
		if v.Variable == TokenAtPosition {
			s.TokenAt += v.Candidates
			s.TokenAtHit += v.Found
			continue
		}
		s.Variables++
		s.Candidates += v.Candidates
		s.CandidatesHit += v.Found
		switch v.Found {
		case v.Candidates:
			s.Full++
		case 0:
			s.Never++
		default:
			s.Part++
		}
	}
	for i := range out {
		out[i].Cases = len(cases[out[i].Model])
	}
	return out
}

// NeverFound lists the program variables no cell finds.
func (rec Recovery) NeverFound() []VariableRecovery {
	var never []VariableRecovery
	for _, v := range rec.Variables {
		if v.Variable != TokenAtPosition && v.Found == 0 {
			never = append(never, v)
		}
	}
	return never
}

// Markdown renders the recovery section of leaderboard.md: per model kind a
// summary, the share each architecture recovers, and the variables no cell
// finds.
func (rec Recovery) Markdown() []byte {
	var b strings.Builder
	b.WriteString("\n## Which variables are found\n\n")
	fmt.Fprintf(&b, "A candidate (a value of a categorical variable, a numerical variable, a token@position pair) is found when\n"+
		"some cell's best feature scores ≥ %.2f on it (F1; numerical: correlation) at a hook that should carry it.\n\n", features.CleanScore)
	b.WriteString("| model | cases | program variables | found in full | in part | never | their candidates found | token@position pairs found |\n|---|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, s := range rec.Summaries() {
		fmt.Fprintf(&b, "| %s | %d | %d | %d | %d | %d | %s | %s |\n", orAll(s.Model), s.Cases, s.Variables, s.Full, s.Part, s.Never,
			share(s.CandidatesHit, s.Candidates), share(s.TokenAtHit, s.TokenAt))
	}
	b.WriteString("\nBy architecture (found by at least one of its cells):\n\n| model | arch | program-variable candidates | token@position pairs |\n|---|---|---:|---:|\n")
	for _, a := range rec.Archs {
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", orAll(a.Model), a.Arch, share(a.VariablesFound, a.Variables), share(a.TokenAtFound, a.TokenAt))
	}
	if never := rec.NeverFound(); len(never) > 0 {
		fmt.Fprintf(&b, "\nProgram variables no cell finds (%d; best score over their candidates):\n\n| model | case | variable | candidates | best score |\n|---|---:|---|---:|---:|\n", len(never))
		for i, v := range never {
			if i == maxNeverShown {
				fmt.Fprintf(&b, "| … | | %d more in leaderboard.json | | |\n", len(never)-i)
				break
			}
			fmt.Fprintf(&b, "| %s | %s | `%s` | %d | %.3f |\n", orAll(v.Model), v.CaseName(), mdEscape(v.Variable), v.Candidates, v.Best)
		}
	}
	return []byte(b.String())
}

func orAll(model string) string {
	if model == "" {
		return "all"
	}
	return model
}

// share formats found/total as "found/total (pct)", "–" when total is 0.
func share(found, total int) string {
	if total == 0 {
		return "–"
	}
	return fmt.Sprintf("%d/%d (%.0f%%)", found, total, 100*float64(found)/float64(total))
}

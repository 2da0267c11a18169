package features

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/glassbox-interp/glassbox/model"
	"github.com/glassbox-interp/glassbox/rasp"
)

// Variable is one named RASP expression's value at every (row, position).
// Values[row][pos] holds nil (no value: BOS, PAD, or Python None), bool, int,
// int64, float64 or string, as the rasp trace gives them.
type Variable struct {
	Name string
	// Numerical marks a numerically encoded variable (one residual
	// dimension); it is scored by Pearson |r| and, if it takes at most
	// MaxIndicatorValues distinct values, also by per-value indicators.
	Numerical bool
	Values    [][]any
	// Hooks are the hook names the alignment maps this variable to, as
	// circuits-benchmark prints them ("blocks.1.attn.hook_result[0]").
	Hooks []string
}

// GroundTruth is everything labelling needs to know about the dataset the
// SAE's activations were computed on.
type GroundTruth struct {
	// Tokens[row][pos] is the token string ("BOS", "a", "PAD", …).
	Tokens [][]string
	// Variables are the program's variables other than tokens and indices
	// (which are covered by the token and position candidates).
	Variables []Variable
	// HookOrder lists every hook of the model in forward order
	// (model.HookNames); it decides which variables exist at a hook.
	HookOrder []string
	// BOS is the beginning-of-sequence token string (default "BOS").
	BOS string
}

// MaxIndicatorValues bounds the distinct values of a numerical variable for
// which per-value indicator candidates ("frac_prevs_1=0.5") are added.
const MaxIndicatorValues = 16

// CandidateKind says where a candidate explanation comes from.
type CandidateKind int

// Candidate kinds, in label-preference order (see Candidates).
const (
	KindBOS CandidateKind = iota
	KindVariable
	KindNumerical
	KindTokenAt
	KindToken
	KindPosition
)

// Candidate is one possible explanation of a feature.
type Candidate struct {
	Label string
	Kind  CandidateKind
	// Aliases are other candidates with exactly the same positive set.
	Aliases []string
	// Var names the variable of KindVariable / KindNumerical candidates.
	Var string
	// Positive lists flat indices (row·positions + pos) where an indicator
	// candidate holds, increasing. Empty for KindNumerical.
	Positive []int
	// Values holds a numerical candidate's value per flat index (NaN where
	// undefined). Nil for indicator candidates.
	Values []float64
}

// PyStr formats a trace value like Python's str(): None, True/False, ints,
// floats with repr's shortest round-trip form ("1.0", "0.3333333333333333").
// Go's other integer and float types are formatted as int and float64.
func PyStr(v any) string { return rasp.Str(plainValue(v)) }

// toFloat is the number a bool, integer or float stands for.
func toFloat(v any) (float64, bool) { return rasp.AsFloat(plainValue(v)) }

// plainValue maps Go's sized numbers onto the int and float64 that rasp
// values use.
func plainValue(v any) any {
	switch x := v.(type) {
	case int64:
		return int(x)
	case int32:
		return int(x)
	case float32:
		return float64(x)
	}
	return v
}

// baseHook strips a head index: "blocks.1.attn.hook_q[0]" → "blocks.1.attn.hook_q".
func baseHook(h string) string {
	if i := strings.IndexByte(h, '['); i >= 0 {
		return h[:i]
	}
	return h
}

// hookComponent splits a block hook (model.ParseHook) into layer and
// component ("attn", "mlp" or "" for residual/input hooks). ok is false for
// hooks outside blocks.
func hookComponent(h string) (layer int, comp, rest string, ok bool) {
	h = baseHook(h)
	hn, err := model.ParseHook(h)
	if err != nil || hn.Layer < 0 {
		return 0, "", h, false
	}
	rest = hn.Point
	switch {
	case strings.HasPrefix(rest, "attn.") || rest == "hook_attn_out":
		comp = "attn"
	case strings.HasPrefix(rest, "mlp.") || rest == "hook_mlp_out":
		comp = "mlp"
	}
	return hn.Layer, comp, rest, true
}

// writeHook returns the first hook at which a variable's value exists in the
// model: for an attention output (aligned to blocks.L.attn.hook_result[h])
// that is blocks.L.attn.hook_z, for an MLP output (blocks.L.hook_mlp_out)
// blocks.L.mlp.hook_post, for the program output only mapped to
// hook_resid_post that hook. The alignment also maps a head's output
// variable to its hook_v / hook_v_input and an MLP's outputs to hook_mlp_in,
// where the value does not exist yet; those are ignored.
func writeHook(hooks []string, pos map[string]int) (string, bool) {
	best, bestPos := "", math.MaxInt
	consider := func(h string) {
		if p, ok := pos[h]; ok && p < bestPos {
			best, bestPos = h, p
		}
	}
	for _, h := range hooks {
		b := baseHook(h)
		l, comp, rest, ok := hookComponent(b)
		switch {
		case !ok:
			consider(b) // hook_embed, hook_pos_embed
		case comp == "attn" && rest == "attn.hook_result":
			consider(fmt.Sprintf("blocks.%d.attn.hook_z", l))
		case comp == "mlp" && rest == "hook_mlp_out":
			consider(fmt.Sprintf("blocks.%d.mlp.hook_post", l))
		case rest == "hook_resid_post" || rest == "hook_attn_out":
			consider(b)
		}
	}
	return best, best != ""
}

// Available reports whether variable v exists at hook (see writeHook), given
// the model's hook order. An error names a hook missing from the order.
func (gt *GroundTruth) Available(v Variable, hook string) (bool, error) {
	pos := gt.hookPos()
	hp, ok := pos[baseHook(hook)]
	if !ok {
		return false, fmt.Errorf("features: hook %q is not in the model's hook order", hook)
	}
	w, ok := writeHook(v.Hooks, pos)
	if !ok {
		return false, nil
	}
	if pos[w] > hp {
		return false, nil
	}
	return headHas(v, w, hook), nil
}

// hookHead is the head index of a per-head hook name ("…hook_z[2]" → 2).
func hookHead(h string) (int, bool) {
	i := strings.IndexByte(h, '[')
	if i < 0 || !strings.HasSuffix(h, "]") {
		return 0, false
	}
	n, err := strconv.Atoi(h[i+1 : len(h)-1])
	return n, err == nil
}

// headHas reports whether a variable first written at w is in the head a
// per-head hook (hook_z[h], hook_result[h]) selects: a variable that one
// layer's attention writes is only in the heads the variable's hooks name
// (blocks.L.attn.hook_result[h]); hooks without a head, and variables
// written by an earlier component, always pass.
func headHas(v Variable, w, hook string) bool {
	head, ok := hookHead(hook)
	if !ok {
		return true
	}
	l, comp, rest, inBlock := hookComponent(hook)
	if !inBlock || comp != "attn" || (rest != "attn.hook_z" && rest != "attn.hook_result") {
		return true
	}
	if w != fmt.Sprintf("blocks.%d.attn.hook_z", l) {
		return true
	}
	want := fmt.Sprintf("blocks.%d.attn.hook_result[%d]", l, head)
	whole := fmt.Sprintf("blocks.%d.attn.hook_result", l)
	for _, h := range v.Hooks {
		if h == want || h == whole { // a hook without a head names every head
			return true
		}
	}
	return false
}

func (gt *GroundTruth) hookPos() map[string]int {
	m := make(map[string]int, len(gt.HookOrder))
	for i, h := range gt.HookOrder {
		m[h] = i
	}
	return m
}

func (gt *GroundTruth) bos() string {
	if gt.BOS == "" {
		return "BOS"
	}
	return gt.BOS
}

// Validate checks that tokens and variable values agree on shape with
// [rows, positions].
func (gt *GroundTruth) Validate(rows, positions int) error {
	if len(gt.Tokens) != rows {
		return fmt.Errorf("features: ground truth has %d token rows, activations have %d", len(gt.Tokens), rows)
	}
	for r, t := range gt.Tokens {
		if len(t) != positions {
			return fmt.Errorf("features: ground truth token row %d has %d positions, activations have %d", r, len(t), positions)
		}
	}
	for _, v := range gt.Variables {
		if len(v.Values) != rows {
			return fmt.Errorf("features: variable %q has %d rows, activations have %d", v.Name, len(v.Values), rows)
		}
		for r, vals := range v.Values {
			if len(vals) != positions {
				return fmt.Errorf("features: variable %q row %d has %d positions, activations have %d", v.Name, r, len(vals), positions)
			}
		}
	}
	return nil
}

// Candidates builds every candidate explanation available at hook, merges
// candidates with identical positive sets (keeping the label of the
// preferred kind — BOS, variable, token@position, token, position — and the
// others as aliases), and returns them with the labels expected at the hook.
//
// Candidates: each token string (label "x"), each position ("@2"), each
// token@position pair that occurs ("x@2"; the BOS token only occurs at
// position 0 and is labelled "BOS"), and for each variable available at the
// hook: categorical variables one indicator per value ("name=value", value
// as Python's str), numerical variables a correlation candidate ("name") and,
// for at most MaxIndicatorValues distinct values, per-value indicators.
//
// Expected labels (the denominator of coverage):
//   - hook_embed: the token candidates; hook_pos_embed: the positions;
//   - attention/MLP output hooks (attn.hook_z, attn.hook_result,
//     hook_attn_out, mlp.hook_post, hook_mlp_out): the candidates of the
//     variables that component writes (categorical: one per value;
//     numerical: the correlation candidate);
//   - every other hook (residual stream and the inputs of components): all
//     token@position pairs (BOS included as "BOS", PAD pairs included) and
//     the candidates of every variable available there.
func (gt *GroundTruth) Candidates(hook string) (cands []Candidate, expected []string, err error) {
	rows := len(gt.Tokens)
	if rows == 0 {
		return nil, nil, fmt.Errorf("features: ground truth has no token rows")
	}
	positions := len(gt.Tokens[0])
	if err := gt.Validate(rows, positions); err != nil {
		return nil, nil, err
	}
	pos := gt.hookPos()
	hookB := baseHook(hook)
	if _, ok := pos[hookB]; !ok {
		return nil, nil, fmt.Errorf("features: hook %q is not in the model's hook order (%d hooks known)", hook, len(gt.HookOrder))
	}
	bos := gt.bos()

	// Token and position indicator sets.
	tokSets := map[string][]int{}
	posSets := make([][]int, positions)
	pairSets := map[string][]int{}
	var tokOrder, pairOrder []string
	for r, row := range gt.Tokens {
		for p, t := range row {
			flat := r*positions + p
			if _, ok := tokSets[t]; !ok {
				tokOrder = append(tokOrder, t)
			}
			tokSets[t] = append(tokSets[t], flat)
			posSets[p] = append(posSets[p], flat)
			key := t + "@" + strconv.Itoa(p)
			if _, ok := pairSets[key]; !ok {
				pairOrder = append(pairOrder, key)
			}
			pairSets[key] = append(pairSets[key], flat)
		}
	}
	sort.Strings(tokOrder)
	sort.Slice(pairOrder, func(i, j int) bool { return pairLess(pairOrder[i], pairOrder[j]) })

	var all []Candidate
	for _, t := range tokOrder {
		kind := KindToken
		if t == bos {
			kind = KindBOS
		}
		all = append(all, Candidate{Label: t, Kind: kind, Positive: tokSets[t]})
	}
	for p := range posSets {
		all = append(all, Candidate{Label: "@" + strconv.Itoa(p), Kind: KindPosition, Positive: posSets[p]})
	}
	for _, k := range pairOrder {
		all = append(all, Candidate{Label: k, Kind: KindTokenAt, Positive: pairSets[k]})
	}

	_, comp, _, inBlock := hookComponent(hookB)
	compLayer, _, _, _ := hookComponent(hookB)
	outputHook := false
	if inBlock {
		_, _, rest, _ := hookComponent(hookB)
		switch rest {
		case "attn.hook_z", "attn.hook_result", "hook_attn_out", "mlp.hook_post", "hook_mlp_out":
			outputHook = true
		}
	}
	expectSet := map[string]bool{}
	switch hookB {
	case "hook_embed":
		for _, t := range tokOrder {
			expectSet[t] = true
		}
	case "hook_pos_embed":
		for p := range posSets {
			expectSet["@"+strconv.Itoa(p)] = true
		}
	default:
		if !outputHook {
			for _, k := range pairOrder {
				expectSet[k] = true
			}
		}
	}

	for _, v := range gt.Variables {
		if v.Name == "tokens" || v.Name == "indices" {
			continue
		}
		ok, err := gt.Available(v, hook)
		if err != nil {
			return nil, nil, err
		}
		if !ok {
			continue
		}
		vc, err := variableCandidates(v, positions)
		if err != nil {
			return nil, nil, err
		}
		expectThis := !outputHook
		if outputHook {
			for _, h := range v.Hooks {
				l, c, rest, ok := hookComponent(h)
				if ok && l == compLayer && c == comp && (rest == "attn.hook_result" || rest == "hook_mlp_out") {
					expectThis = true
				}
			}
		}
		for _, c := range vc {
			all = append(all, c)
			if expectThis && (c.Kind == KindNumerical || !v.Numerical) {
				expectSet[c.Label] = true
			}
		}
	}

	cands = mergeIdentical(all)
	// Expected labels after merging: a merged candidate is expected if any
	// of its names is. Order: BOS, token@position pairs by (position,
	// token), then the rest in candidate order.
	var exp []Candidate
	for _, c := range cands {
		names := append([]string{c.Label}, c.Aliases...)
		for _, n := range names {
			if expectSet[n] {
				exp = append(exp, c)
				break
			}
		}
	}
	group := func(c Candidate) int {
		switch c.Kind {
		case KindBOS:
			return 0
		case KindTokenAt:
			return 1
		}
		return 2
	}
	sort.SliceStable(exp, func(i, j int) bool {
		gi, gj := group(exp[i]), group(exp[j])
		if gi != gj {
			return gi < gj
		}
		if gi == 1 {
			return pairLess(exp[i].Label, exp[j].Label)
		}
		return false
	})
	for _, c := range exp {
		expected = append(expected, c.Label)
	}
	return cands, expected, nil
}

// pairLess orders "tok@pos" labels by position, then token.
func pairLess(a, b string) bool {
	ia, ib := strings.LastIndexByte(a, '@'), strings.LastIndexByte(b, '@')
	pa, _ := strconv.Atoi(a[ia+1:])
	pb, _ := strconv.Atoi(b[ib+1:])
	if pa != pb {
		return pa < pb
	}
	return a[:ia] < b[:ib]
}

func variableCandidates(v Variable, positions int) ([]Candidate, error) {
	type valSet struct {
		label string
		flats []int
	}
	sets := map[string]*valSet{}
	var order []string
	var numVals []float64
	if v.Numerical {
		numVals = make([]float64, len(v.Values)*positions)
	}
	for r, row := range v.Values {
		for p, x := range row {
			flat := r*positions + p
			if v.Numerical {
				numVals[flat] = math.NaN()
			}
			if x == nil {
				continue
			}
			if v.Numerical {
				f, ok := toFloat(x)
				if !ok {
					return nil, fmt.Errorf("features: numerical variable %q has non-numeric value %q at row %d position %d", v.Name, PyStr(x), r, p)
				}
				numVals[flat] = f
			}
			key := PyStr(x)
			s, ok := sets[key]
			if !ok {
				s = &valSet{label: v.Name + "=" + key}
				sets[key] = s
				order = append(order, key)
			}
			s.flats = append(s.flats, flat)
		}
	}
	var out []Candidate
	if v.Numerical {
		out = append(out, Candidate{Label: v.Name, Kind: KindNumerical, Var: v.Name, Values: numVals})
		if len(order) > MaxIndicatorValues {
			return out, nil
		}
	}
	sort.Slice(order, func(i, j int) bool {
		fi, oki := toFloatStr(order[i])
		fj, okj := toFloatStr(order[j])
		if oki && okj && fi != fj {
			return fi < fj
		}
		return order[i] < order[j]
	})
	for _, k := range order {
		out = append(out, Candidate{Label: sets[k].label, Kind: KindVariable, Var: v.Name, Positive: sets[k].flats})
	}
	return out, nil
}

func toFloatStr(s string) (float64, bool) {
	f, err := strconv.ParseFloat(s, 64)
	return f, err == nil
}

// mergeIdentical merges indicator candidates with identical positive sets;
// the kept label is the one of the lowest kind (then first seen).
func mergeIdentical(all []Candidate) []Candidate {
	groups := map[string]int{} // signature → index in out
	var out []Candidate
	for _, c := range all {
		if c.Kind == KindNumerical {
			out = append(out, c)
			continue
		}
		if len(c.Positive) == 0 {
			continue
		}
		sig := signature(c.Positive)
		if i, ok := groups[sig]; ok {
			o := &out[i]
			if c.Kind < o.Kind {
				o.Aliases = append(o.Aliases, o.Label)
				o.Label, o.Kind, o.Var = c.Label, c.Kind, c.Var
			} else {
				o.Aliases = append(o.Aliases, c.Label)
			}
			continue
		}
		groups[sig] = len(out)
		out = append(out, c)
	}
	return out
}

func signature(s []int) string {
	var b strings.Builder
	for _, x := range s {
		b.WriteString(strconv.Itoa(x))
		b.WriteByte(',')
	}
	return b.String()
}

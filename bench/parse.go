package bench

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// ParseIntList parses a comma-separated list of integers and inclusive
// ranges, e.g. "3,4,10-12" → [3 4 10 11 12].
func ParseIntList(text string) ([]int, error) {
	var out []int
	for _, part := range splitList(text) {
		lo, hi, isRange := strings.Cut(part, "-")
		if isRange && lo != "" {
			a, err1 := strconv.Atoi(strings.TrimSpace(lo))
			b, err2 := strconv.Atoi(strings.TrimSpace(hi))
			if err1 != nil || err2 != nil || b < a {
				return nil, fmt.Errorf("%q: expected a range lo-hi of integers with lo <= hi", part)
			}
			if b-a > 1_000_000 {
				return nil, fmt.Errorf("%q: range too large", part)
			}
			for v := a; v <= b; v++ {
				out = append(out, v)
			}
			continue
		}
		v, err := strconv.Atoi(part)
		if err != nil {
			return nil, fmt.Errorf("%q: expected an integer", part)
		}
		out = append(out, v)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%q: empty list", text)
	}
	return out, nil
}

// ParseInt64List parses a comma-separated list of integers (seeds).
func ParseInt64List(text string) ([]int64, error) {
	var out []int64
	for _, part := range splitList(text) {
		v, err := strconv.ParseInt(part, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%q: expected an integer", part)
		}
		out = append(out, v)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%q: empty list", text)
	}
	return out, nil
}

// ParseFloatList parses a comma-separated list of finite numbers, e.g. "0.01,0.1,1".
func ParseFloatList(text string) ([]float64, error) {
	var out []float64
	for _, part := range splitList(text) {
		v, err := strconv.ParseFloat(part, 64)
		if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
			return nil, fmt.Errorf("%q: expected a finite number", part)
		}
		out = append(out, v)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%q: empty list", text)
	}
	return out, nil
}

// ParseList splits a comma-separated list of names, dropping empty items.
func ParseList(text string) []string { return splitList(text) }

func splitList(text string) []string {
	var out []string
	for _, p := range strings.Split(text, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// ParseCases parses --cases: a comma-separated list of case ids and
// ranges (ParseIntList), "all" (the ids all returns) and .star program
// files (LoadProgram: read and hashed now).
func ParseCases(text string, all func() []int) ([]int, []Program, error) {
	var ids []int
	var progs []Program
	var nums []string
	for _, part := range splitList(text) {
		switch {
		case part == "all":
			if all == nil {
				return nil, nil, fmt.Errorf("all: no case catalogue")
			}
			ids = append(ids, all()...)
		case strings.HasSuffix(part, ".star"):
			p, err := LoadProgram(part)
			if err != nil {
				return nil, nil, err
			}
			progs = append(progs, p)
		default:
			nums = append(nums, part)
		}
	}
	if len(nums) > 0 {
		more, err := ParseIntList(strings.Join(nums, ","))
		if err != nil {
			return nil, nil, err
		}
		ids = append(ids, more...)
	}
	if len(ids) == 0 && len(progs) == 0 {
		return nil, nil, fmt.Errorf("%q: empty list", text)
	}
	return ids, progs, nil
}

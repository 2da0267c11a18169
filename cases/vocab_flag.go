package cases

import (
	"strconv"
	"strings"

	"github.com/glassbox-interp/glassbox/rasp"
)

// ParseVocab parses a comma-separated vocabulary as the CLI's --vocab flag
// gives it: ints when every value parses as an int, else floats when every
// value parses as a float, else strings (a vocabulary has one type, so
// "1,2,a" is three strings). Spaces around values are dropped; "" is nil.
func ParseVocab(s string) []rasp.Value {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	parts := strings.Split(s, ",")
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	ints := make([]rasp.Value, 0, len(parts))
	for _, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil {
			ints = nil
			break
		}
		ints = append(ints, n)
	}
	if ints != nil {
		return ints
	}
	floats := make([]rasp.Value, 0, len(parts))
	for _, p := range parts {
		f, err := strconv.ParseFloat(p, 64)
		if err != nil {
			floats = nil
			break
		}
		floats = append(floats, f)
	}
	if floats != nil {
		return floats
	}
	out := make([]rasp.Value, len(parts))
	for i, p := range parts {
		out[i] = p
	}
	return out
}

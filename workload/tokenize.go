package workload

import (
	"fmt"
	"strings"

	"github.com/glassbox-interp/glassbox/rasp"
)

// Tokenize turns a token string such as "a x b x" (tokens separated by
// spaces or commas, as the dataset prints them) into the compiled model's
// token ids, with BOS prepended when the string does not start with it.
// It returns the ids and the token strings; an unknown token or an input
// longer than the model's context is an error naming the token and the
// vocabulary.
func (cd *Case) Tokenize(s string) ([]int, []string, error) {
	c := cd.Compiled
	fields := strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == ',' || r == '\t' || r == '\n' || r == '\r' })
	if len(fields) == 0 {
		return nil, nil, fmt.Errorf("%s: no tokens in %q", cd.Name, s)
	}
	bos := rasp.Str(c.Options.CompilerBOS)
	if fields[0] != bos {
		fields = append([]string{bos}, fields...)
	}
	if len(fields) > c.MaxSeqLen+1 {
		return nil, nil, fmt.Errorf("%s: %d tokens (with %s); the model takes at most %d", cd.Name, len(fields), bos, c.MaxSeqLen+1)
	}
	enc := map[string]int{}
	var vocab []string
	for i, v := range c.Tokens {
		enc[rasp.Str(v)] = i
		vocab = append(vocab, rasp.Str(v))
	}
	ids := make([]int, len(fields))
	for i, f := range fields {
		id, ok := enc[f]
		if !ok {
			return nil, nil, fmt.Errorf("%s: token %d %q is not in the vocabulary %v", cd.Name, i, f, vocab)
		}
		ids[i] = id
	}
	return ids, fields, nil
}

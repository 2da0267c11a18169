package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/glassbox-interp/glassbox/cases"
	"github.com/glassbox-interp/glassbox/rasp"
	"github.com/glassbox-interp/glassbox/tracr"
	"github.com/glassbox-interp/glassbox/workload"
)

// tokenizer maps token strings ("a", "x", "BOS") to ids: the compiled
// case's for --case, the model folder's tokenizer.json for --model (nil
// when the folder has none).
type tokenizer struct {
	enc map[string]int
	bos string
}

func loadTokenizer(modelPath string, caseID int) (*tokenizer, error) {
	if caseID != 0 {
		c, err := cases.Get(caseID)
		if err != nil {
			return nil, err
		}
		cd, err := workload.CompileCase(c)
		if err != nil {
			return nil, fmt.Errorf("compile case %d: %w", caseID, err)
		}
		t := &tokenizer{enc: map[string]int{}, bos: rasp.Str(cd.Compiled.Options.CompilerBOS)}
		for i, v := range cd.Compiled.Tokens {
			t.enc[rasp.Str(v)] = i
		}
		return t, nil
	}
	p := filepath.Join(modelPath, tracr.TokenizerFile)
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var info tracr.TokenizerInfo
	if err := json.Unmarshal(b, &info); err != nil {
		return nil, fmt.Errorf("read %s: %w", p, err)
	}
	return &tokenizer{enc: info.TokenEncoding, bos: info.BOS}, nil
}

// encode turns token strings into ids, prepending BOS when it is missing.
func (t *tokenizer) encode(s string, fields []string) ([]int, error) {
	if len(fields) > 0 && fields[0] != t.bos {
		fields = append([]string{t.bos}, fields...)
	}
	ids := make([]int, len(fields))
	for i, f := range fields {
		id, ok := t.enc[f]
		if !ok {
			vocab := make([]string, 0, len(t.enc))
			for k := range t.enc {
				vocab = append(vocab, k)
			}
			sort.Strings(vocab)
			return nil, fmt.Errorf("--tokens %q: %q is not a token of the model (vocabulary %s)", s, f, strings.Join(vocab, " "))
		}
		ids[i] = id
	}
	return ids, nil
}

// parseTokenRow parses one --tokens value: integer ids, or token strings
// ("a x b x", BOS added) when any field is not an integer or asStrings is
// set; strings need a tokenizer (--case, or a model folder with tokenizer.json).
func parseTokenRow(s string, tok *tokenizer, asStrings bool) ([]int, error) {
	fields := strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == ',' || r == '\t' })
	if len(fields) == 0 {
		return nil, fmt.Errorf("--tokens %q: no tokens", s)
	}
	if !asStrings {
		for _, f := range fields {
			if _, err := strconv.Atoi(f); err != nil {
				asStrings = true
				break
			}
		}
	}
	if !asStrings {
		return parseTokens(s)
	}
	if tok == nil {
		bad := fields[0]
		for _, f := range fields {
			if _, err := strconv.Atoi(f); err != nil {
				bad = f
				break
			}
		}
		return nil, fmt.Errorf("--tokens %q: %q is not an integer token id, and token strings need a tokenizer: use --case N, or a model folder with %s", s, bad, tracr.TokenizerFile)
	}
	return tok.encode(s, fields)
}

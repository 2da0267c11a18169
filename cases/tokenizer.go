package cases

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/glassbox-interp/glassbox/rasp"
)

// BOS and PAD are the special tokens circuits-benchmark passes to tracr
// (compiler_bos, compiler_pad). BOS starts every input row; PAD fills rows
// shorter than max_seq_len.
const (
	BOS = "BOS"
	PAD = "PAD"
)

// ErrToken is wrapped by every error about a token that is not in a
// tokenizer's vocabulary (or a value that cannot be a token).
var ErrToken = errors.New("token not in vocabulary")

// Tokenizer maps input tokens to the ids of a tracr-compiled model and back.
// The id of a token is its position in tracr's sorted `tokens` basis, the
// vocabulary plus BOS and PAD sorted with rasp.BasisLess: digits and numbers
// precede "BOS"/"PAD", lowercase words follow them and uppercase words fall
// on either side (case 3: BOS 0, PAD 1, a 2, b 3, c 4, x 5).
type Tokenizer struct {
	tokens []rasp.Value     // id -> token
	ids    map[string]int   // rasp.Key(token) -> id
	byStr  map[string][]int // rasp.Str(token) -> ids (for parsing text)
}

// NewTokenizer returns the tokenizer for a vocabulary (without BOS/PAD).
// The vocabulary must be non-empty, hold only None-free hashable values
// (bool, int, float, string or tuple), have no two values equal in Python's
// sense (1 and 1.0 are the same token) and must not contain "BOS" or "PAD".
func NewTokenizer(vocab []rasp.Value) (*Tokenizer, error) {
	if len(vocab) == 0 {
		return nil, errors.New("tokenizer: empty vocabulary")
	}
	t := &Tokenizer{ids: map[string]int{}, byStr: map[string][]int{}}
	seen := map[string]rasp.Value{}
	for i, v := range vocab {
		nv, err := rasp.Normalize(v)
		if err != nil {
			return nil, fmt.Errorf("tokenizer: vocabulary value %d (%v): %w", i, v, err)
		}
		switch nv.(type) {
		case bool, int, float64, string, rasp.Tuple:
		default:
			return nil, fmt.Errorf("tokenizer: vocabulary value %d is %s, want bool, int, float, str or tuple", i, rasp.TypeName(nv))
		}
		if s, ok := nv.(string); ok && (s == BOS || s == PAD) {
			return nil, fmt.Errorf("tokenizer: vocabulary value %d is the reserved token %q", i, s)
		}
		k := rasp.Key(nv)
		if prev, dup := seen[k]; dup {
			return nil, fmt.Errorf("tokenizer: vocabulary has duplicate values %s and %s (equal in Python)", rasp.Repr(prev), rasp.Repr(nv))
		}
		seen[k] = nv
		t.tokens = append(t.tokens, nv)
	}
	// Sort Python-orderable values first (as sorted(vocab) would) so that the
	// stable basis sort sees them in a canonical order, then add BOS and PAD.
	if err := rasp.Sort(t.tokens); err != nil {
		sort.SliceStable(t.tokens, func(i, j int) bool { return rasp.Key(t.tokens[i]) < rasp.Key(t.tokens[j]) })
	}
	t.tokens = append(t.tokens, BOS, PAD)
	sort.SliceStable(t.tokens, func(i, j int) bool {
		return rasp.BasisLess("tokens", t.tokens[i], "tokens", t.tokens[j])
	})
	for id, v := range t.tokens {
		t.ids[rasp.Key(v)] = id
		s := rasp.Str(v)
		t.byStr[s] = append(t.byStr[s], id)
	}
	return t, nil
}

// Size is the number of token ids (the model's d_vocab): vocabulary + 2.
func (t *Tokenizer) Size() int { return len(t.tokens) }

// Tokens returns the tokens in id order (a copy).
func (t *Tokenizer) Tokens() []rasp.Value { return append([]rasp.Value(nil), t.tokens...) }

// BOS returns the id of the BOS token.
func (t *Tokenizer) BOS() int { return t.ids[rasp.Key(BOS)] }

// PAD returns the id of the PAD token.
func (t *Tokenizer) PAD() int { return t.ids[rasp.Key(PAD)] }

// ID returns the id of one token (a vocabulary value, "BOS" or "PAD").
func (t *Tokenizer) ID(tok rasp.Value) (int, error) {
	nv, err := rasp.Normalize(tok)
	if err != nil {
		return 0, fmt.Errorf("%w: %v", ErrToken, err)
	}
	id, ok := t.ids[rasp.Key(nv)]
	if !ok {
		return 0, fmt.Errorf("%w: %s (%s)", ErrToken, rasp.Repr(nv), rasp.TypeName(nv))
	}
	return id, nil
}

// Encode returns the ids of a row of tokens. The error names the position
// and the token.
func (t *Tokenizer) Encode(row []rasp.Value) ([]int, error) {
	ids := make([]int, len(row))
	for i, tok := range row {
		id, err := t.ID(tok)
		if err != nil {
			return nil, fmt.Errorf("position %d: %w", i, err)
		}
		ids[i] = id
	}
	return ids, nil
}

// Decode returns the tokens of a row of ids.
func (t *Tokenizer) Decode(ids []int) ([]rasp.Value, error) {
	row := make([]rasp.Value, len(ids))
	for i, id := range ids {
		if id < 0 || id >= len(t.tokens) {
			return nil, fmt.Errorf("position %d: token id %d out of range [0, %d)", i, id, len(t.tokens))
		}
		row[i] = t.tokens[id]
	}
	return row, nil
}

// Parse returns the token whose Python str() is s ("3" is the int 3 in an
// integer vocabulary, "BOS" is BOS). It is how text input is read.
func (t *Tokenizer) Parse(s string) (rasp.Value, error) {
	ids := t.byStr[s]
	switch len(ids) {
	case 1:
		return t.tokens[ids[0]], nil
	case 0:
		return nil, fmt.Errorf("%w: %q (vocabulary: %s)", ErrToken, s, t.vocabSummary())
	}
	return nil, fmt.Errorf("%w: %q is ambiguous (several tokens print as it)", ErrToken, s)
}

// Match returns the vocabulary token equal to v, or, when v is a string and
// no token equals it, the token whose str() is v. It lets JSON input give
// numbers either as numbers or as strings.
func (t *Tokenizer) Match(v rasp.Value) (rasp.Value, error) {
	nv, err := rasp.Normalize(v)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrToken, err)
	}
	if id, ok := t.ids[rasp.Key(nv)]; ok {
		return t.tokens[id], nil
	}
	if s, ok := nv.(string); ok {
		return t.Parse(s)
	}
	return nil, fmt.Errorf("%w: %s (%s; vocabulary: %s)", ErrToken, rasp.Repr(nv), rasp.TypeName(nv), t.vocabSummary())
}

func (t *Tokenizer) vocabSummary() string {
	var parts []string
	for i, v := range t.tokens {
		if i == 12 {
			parts = append(parts, "… "+strconv.Itoa(len(t.tokens)-i)+" more")
			break
		}
		parts = append(parts, rasp.Repr(v))
	}
	return strings.Join(parts, " ")
}

package cases

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/glassbox-interp/glassbox/rasp"
	"github.com/glassbox-interp/glassbox/rasp/star"
	"go.starlark.net/starlark"
)

//go:embed programs
var programsFS embed.FS

// interpBench lists the 84 tracr cases that InterpBench ships trained models for.
var interpBench = map[int]bool{}

func init() {
	for _, id := range []int{2, 3, 4, 7, 8, 11, 13, 14, 15, 18, 19, 20, 21, 24, 25, 26, 29, 30, 31, 33,
		34, 35, 36, 37, 39, 40, 41, 43, 44, 45, 46, 49, 50, 51, 52, 53, 54, 55, 56, 58, 60, 62, 63, 64,
		65, 66, 67, 68, 69, 70, 71, 72, 73, 75, 77, 79, 80, 82, 83, 84, 85, 86, 87, 90, 91, 93, 95, 97,
		101, 102, 103, 104, 105, 106, 110, 111, 113, 114, 121, 122, 123, 124, 129, 130} {
		interpBench[id] = true
	}
}

// InInterpBench reports whether InterpBench has a trained model for case id.
func InInterpBench(id int) bool { return interpBench[id] }

// Library returns the catalogue's Starlark library: the files a program may
// load(), as "lib/<name>.star" (vocabs.star, common.star). Nothing outside
// lib/ can be loaded through it.
func Library() fs.FS { return libFS{} }

// libFS exposes programs/lib/ as lib/ and nothing else.
type libFS struct{}

func (libFS) Open(name string) (fs.File, error) {
	if name != "lib" && !strings.HasPrefix(name, "lib/") {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fmt.Errorf("%w: only the catalogue library (lib/...) can be loaded", fs.ErrNotExist)}
	}
	return programsFS.Open("programs/" + name)
}

// LibrarySource returns the source of one library file ("common.star"), or
// an error naming the files that exist.
func LibrarySource(name string) (string, error) {
	b, err := fs.ReadFile(programsFS, "programs/lib/"+name)
	if err != nil {
		entries, _ := fs.ReadDir(programsFS, "programs/lib")
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		return "", fmt.Errorf("library file %q: %w (have %s)", name, fs.ErrNotExist, strings.Join(names, ", "))
	}
	return string(b), nil
}

var caseFileRE = regexp.MustCompile(`^case_([0-9]+)\.star$`)

var catalogue struct {
	once  sync.Once
	ids   []int
	mu    sync.Mutex
	cases map[int]*Case
}

func initIDs() {
	catalogue.once.Do(func() {
		entries, err := fs.ReadDir(programsFS, "programs")
		if err != nil {
			return // cannot happen with an embedded directory; IDs() is then empty
		}
		for _, e := range entries {
			if m := caseFileRE.FindStringSubmatch(e.Name()); m != nil {
				id, _ := strconv.Atoi(m[1])
				catalogue.ids = append(catalogue.ids, id)
			}
		}
		sort.Ints(catalogue.ids)
		catalogue.cases = map[int]*Case{}
	})
}

// IDs returns the ids of every case in the catalogue, ascending (1-131
// without 16 and 27). It does not load the programs.
func IDs() []int {
	initIDs()
	return append([]int(nil), catalogue.ids...)
}

// Get returns catalogue case id, loading (parsing and running) its program
// the first time. Cases are shared and safe for concurrent use.
func Get(id int) (*Case, error) {
	initIDs()
	catalogue.mu.Lock()
	defer catalogue.mu.Unlock()
	if c, ok := catalogue.cases[id]; ok {
		return c, nil
	}
	path := fmt.Sprintf("programs/case_%d.star", id)
	src, err := fs.ReadFile(programsFS, path)
	if err != nil {
		return nil, fmt.Errorf("case %d: no such case in the catalogue (ids 1-131 except 16 and 27)", id)
	}
	c, err := load(fmt.Sprintf("case_%d.star", id), src, LoadOptions{}, nil)
	if err != nil {
		return nil, fmt.Errorf("case %d: %w", id, err)
	}
	c.ID = id
	c.InterpBench = interpBench[id]
	catalogue.cases[id] = c
	return c, nil
}

// All returns every catalogue case in id order.
func All() ([]*Case, error) {
	var out []*Case
	var errs []error
	for _, id := range IDs() {
		c, err := Get(id)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, c)
	}
	return out, errors.Join(errs...)
}

// Case is a RASP program with the metadata circuits-benchmark attaches to
// it: a catalogue case (ID > 0) or a user's .star file (ID 0, see LoadFile).
type Case struct {
	// ID is the circuits-benchmark case number (0 for user programs).
	ID int
	// File is the program's file name (case_3.star for catalogue cases).
	File string
	// Description is get_task_description().
	Description string
	// MaxSeqLen and MinSeqLen bound the input length, BOS included
	// (get_max_seq_len, default 10; get_min_seq_len, default 4). The
	// compiler is given MaxSeqLen-1.
	MaxSeqLen, MinSeqLen int
	// Causal is supports_causal_masking() (default true): the compiled
	// model's attention is causal.
	Causal bool
	// Trivial is is_trivial(): the task is too simple for evaluations.
	Trivial bool
	// InterpBench reports whether InterpBench ships a trained model for it.
	InterpBench bool
	// Categorical reports whether the output SOp is categorically encoded
	// (false: numerical, a single output dimension).
	Categorical bool
	// OverridesOutput reports that the file defines correct_output(input),
	// which replaces program evaluation when building dataset rows (case 39,
	// as circuits-benchmark's get_correct_output_for_input override).
	OverridesOutput bool

	src   []byte
	vocab []rasp.Value // sorted as Python's sorted()
	prog  *star.Program
	tok   *Tokenizer
}

// Name returns circuits-benchmark's case name ("3"), or the file name for
// user programs.
func (c *Case) Name() string {
	if c.ID > 0 {
		return strconv.Itoa(c.ID)
	}
	return c.File
}

// Source returns the program's .star source.
func (c *Case) Source() string { return string(c.src) }

// Vocab returns the vocabulary (without BOS/PAD) in Python's sorted()
// order, the order gen_all_data and sampling use.
func (c *Case) Vocab() []rasp.Value { return append([]rasp.Value(nil), c.vocab...) }

// Tokenizer returns the token-id mapping of the compiled model.
func (c *Case) Tokenizer() *Tokenizer { return c.tok }

// TotalDataLen is get_total_data_len(): the number of distinct inputs.
func (c *Case) TotalDataLen() *big.Int {
	return TotalDataLen(len(c.vocab), c.MinSeqLen, c.MaxSeqLen)
}

// Build executes the program file again and returns its output SOp: fresh
// expressions, labelled exactly as circuits-benchmark's compile labels them
// (id counter reset to 1), so every call gives an independent graph.
func (c *Case) Build() (rasp.SOp, error) {
	r, err := c.prog.Build()
	if err != nil {
		return nil, fmt.Errorf("build %s: %w", c.File, err)
	}
	return r.Program, nil
}

// Trace evaluates a fresh build of the program on one input (content only:
// no BOS, no padding) and returns the value of every expression at every
// position.
func (c *Case) Trace(content []rasp.Value) (*rasp.Trace, error) {
	sop, err := c.Build()
	if err != nil {
		return nil, err
	}
	return rasp.Eval(sop, content)
}

// LoadOptions give a user program what the catalogue files set themselves.
// Non-zero fields override the file's own globals; a file that sets
// nothing gets circuits-benchmark's defaults (max_seq_len 10, min_seq_len 4,
// causal) and must get a vocabulary from here or from its `vocab` global.
type LoadOptions struct {
	// Vocab is predeclared as `vocab` for the program and used as its vocabulary.
	Vocab []rasp.Value
	// MaxSeqLen and MinSeqLen count BOS (0: the file's value or the default).
	MaxSeqLen, MinSeqLen int
	// Causal overrides the file's `causal` when non-nil.
	Causal *bool
	// MaxSteps and MaxBytes are the program's Starlark step and memory
	// budget (0: star.DefaultMaxSteps, star.DefaultMaxBytes). LoadFile
	// gives the file one budget that loading, every Build and every call
	// of its functions while evaluating or compiling share.
	MaxSteps, MaxBytes uint64
}

// LoadFile loads a user's .star program the way catalogue cases are loaded:
// it may load() the catalogue library (lib/common.star, lib/vocabs.star),
// must assign `program`, and may set vocab, max_seq_len, min_seq_len,
// causal, trivial and description.
func LoadFile(name string, src []byte, opts LoadOptions) (*Case, error) {
	c, err := load(name, src, opts, star.NewBudget(opts.MaxSteps, opts.MaxBytes))
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", name, err)
	}
	return c, nil
}

// load loads a program; a nil budget gives each build its own.
func load(name string, src []byte, opts LoadOptions, budget *star.Budget) (*Case, error) {
	sopts := star.Options{FS: Library(), MaxSteps: opts.MaxSteps, MaxBytes: opts.MaxBytes, Budget: budget}
	if opts.Vocab != nil {
		sopts.Predeclared = map[string]any{"vocab": opts.Vocab}
	}
	prog, err := star.Load(name, src, sopts)
	if err != nil {
		return nil, err
	}
	res, err := prog.Build()
	if err != nil {
		return nil, err
	}
	meta, err := res.Meta()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	c := &Case{
		File:        name,
		Description: meta.Description,
		MaxSeqLen:   meta.MaxSeqLen,
		MinSeqLen:   meta.MinSeqLen,
		Causal:      meta.Causal,
		Trivial:     meta.Trivial,
		Categorical: res.Program.Encoding() != rasp.Numerical,
		src:         append([]byte(nil), src...),
		prog:        prog,
	}
	vocab := meta.Vocab
	if opts.Vocab != nil {
		vocab = opts.Vocab
	}
	if opts.MaxSeqLen != 0 {
		c.MaxSeqLen = opts.MaxSeqLen
	}
	if opts.MinSeqLen != 0 {
		c.MinSeqLen = opts.MinSeqLen
	}
	if opts.Causal != nil {
		c.Causal = *opts.Causal
	}
	if vocab == nil {
		return nil, fmt.Errorf("%s: no vocabulary: set `vocab` in the file or pass one", name)
	}
	if err := checkLengths(c.MinSeqLen, c.MaxSeqLen); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if c.tok, err = NewTokenizer(vocab); err != nil {
		return nil, fmt.Errorf("%s: vocab: %w", name, err)
	}
	c.vocab = make([]rasp.Value, 0, len(vocab))
	for _, v := range c.tok.Tokens() {
		if v != BOS && v != PAD {
			c.vocab = append(c.vocab, v)
		}
	}
	if err := rasp.Sort(c.vocab); err != nil {
		return nil, fmt.Errorf("%s: vocab cannot be sorted as Python's sorted() would: %w", name, err)
	}
	if fn, ok := res.Globals["correct_output"]; ok {
		if _, callable := fn.(starlark.Callable); !callable {
			return nil, fmt.Errorf("%s: correct_output must be a function, got %s", name, fn.Type())
		}
		c.OverridesOutput = true
	}
	return c, nil
}

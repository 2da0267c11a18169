// Package cases owns the circuits-benchmark case catalogue: the 129 tracr
// cases of FlyingPumba/circuits-benchmark (ids 1-131 without 16 and 27) as
// embedded Starlark programs, their metadata, their data (gen_all_data order
// and CPython-identical seeded sampling) and the token ids of their
// compiled models.
//
// # Catalogue
//
// Every case is programs/case_<N>.star, a port of circuits-benchmark's
// case_<N>.py that builds the same RASP expression graph (same structure,
// same .named() names, same encodings), so labels such as frac_prevs_1 and
// is_x_3 come out as circuits-benchmark's. Shared programs
// (common_programs.py: make_length, make_frac_prevs, make_hist, shift_by,
// make_sort, make_reverse, …) are in programs/lib/common.star and the
// vocabularies (vocabs.py) in programs/lib/vocabs.star; a program loads them
// with load("lib/common.star", "make_frac_prevs"). A case file assigns
// program and the metadata globals vocab, max_seq_len, min_seq_len, causal,
// trivial and description; it may define correct_output(input) to replace
// program evaluation in dataset rows (case 39, which overrides
// get_correct_output_for_input upstream).
//
//	IDs() []int                     // ids, without loading anything
//	Get(id) (*Case, error)          // one case, loaded once and shared
//	All() ([]*Case, error)          // every case, in id order
//	LoadFile(name, src, LoadOptions) // a user's .star file, same rules; one Starlark
//	                                 // budget (LoadOptions.MaxSteps, MaxBytes) for
//	                                 // loading and every later build and evaluation
//	Library() fs.FS                 // lib/*.star, for rasp/star loaders
//
// A *Case has ID, File, Description, MaxSeqLen and MinSeqLen (both count
// BOS; the compiler gets MaxSeqLen-1), Causal, Trivial, InterpBench,
// Categorical (output encoding) and OverridesOutput, plus:
//
//	Source() string            // the .star source
//	Vocab() []rasp.Value       // sorted as Python's sorted(vocab)
//	Tokenizer() *Tokenizer     // tracr's token ids
//	Build() (rasp.SOp, error)  // fresh expressions, labels assigned as tracr does
//	Trace(content) (*rasp.Trace, error)
//	TotalDataLen() *big.Int    // get_total_data_len()
//	AllData(limit) / Sample(n, seed) / Dataset() / Rows(contents) (*Dataset, error)
//	NewEvaluator() (*Evaluator, error)  // one build, many rows: Row, ProgramOutput, CorrectOutput
//	ParseRow(line) ([]rasp.Value, error) // a user's row (JSON list or "BOS a x PAD") → content
//
// Package-level data helpers work on any sorted vocabulary: EachContent
// (gen_all_data as an iterator), AllContents, SampleContents, TotalDataLen,
// PadRow.
//
// # Data
//
// A Row holds Input (["BOS"] + content + ["PAD"]*pad, length MaxSeqLen),
// Tokens (ids) and Output (["BOS"] + output + ["PAD"]*pad, nil for None).
// AllData follows gen_all_data: lengths min..max, contents counted in base
// len(vocab) over the sorted vocabulary, most significant position first.
// Sample follows the reference data: rng = random.Random(seed); per row
// randint(min_seq_len, max_seq_len) then that many minus one choice(vocab),
// with CPython's Mersenne Twister (package cases/pyrand). Dataset is the
// reference rule: every row when get_total_data_len() <= 5000 (cases 3, 15,
// 119), otherwise 2000 rows sampled with seed 42. The case-specific
// sample_data overrides of circuits-benchmark (balanced sampling) are not
// reproduced, as in the reference data.
//
// # Tokens
//
// Tokenizer gives each token its position in tracr's sorted token basis
// (vocabulary plus BOS and PAD sorted with rasp.BasisLess): BOS 0, PAD 1,
// a 2, … for letters; 0..10 then BOS 11, PAD 12 for integers. Encode,
// Decode, ID, Parse (from text, by Python str()) and Match (from JSON) fail
// with errors wrapping ErrToken for tokens outside the vocabulary.
//
// Output formatting: Format prints a row as Python's str() of each value;
// AppendJSON / Row.AppendJSON write values as Python's json.dumps does
// (0.0, 0.3333333333333333, null, Infinity).
package cases

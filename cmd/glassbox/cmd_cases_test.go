package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// runCasesCLI runs the CLI with args (and stdin) after resetting the flags
// of the cases/case/data commands, and returns stdout and the error.
func runCasesCLI(t *testing.T, stdin string, args ...string) (string, error) {
	t.Helper()
	casesFlags.json = false
	caseFlags.source, caseFlags.lib = false, ""
	dataFlags.format, dataFlags.inputs = "jsonl", ""
	dataFlags.limit, dataFlags.sample, dataFlags.seed, dataFlags.all = 0, 0, 42, false
	for _, name := range []string{"sample", "seed"} {
		if f := dataCmd.Flags().Lookup(name); f != nil {
			f.Changed = false
		}
	}
	var out, errOut bytes.Buffer
	rootCmd.SetOut(&out)
	rootCmd.SetErr(&errOut)
	rootCmd.SetIn(strings.NewReader(stdin))
	rootCmd.SetArgs(args)
	defer rootCmd.SetArgs(nil)
	err := rootCmd.Execute()
	return out.String(), err
}

func TestDataCase3PrintsNotebookRows(t *testing.T) {
	out, err := runCasesCLI(t, "", "data", "3")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if len(lines) != 320 {
		t.Fatalf("%d rows, want 320", len(lines))
	}
	want := []string{
		`{"input": ["BOS", "a", "a", "a", "PAD"], "tokens": [0, 2, 2, 2, 1], "output": ["BOS", 0.0, 0.0, 0.0, "PAD"]}`,
		`{"input": ["BOS", "a", "a", "b", "PAD"], "tokens": [0, 2, 2, 3, 1], "output": ["BOS", 0.0, 0.0, 0.0, "PAD"]}`,
	}
	for i, w := range want {
		if lines[i] != w {
			t.Errorf("row %d:\n got %s\nwant %s", i, lines[i], w)
		}
	}
	if last := `{"input": ["BOS", "x", "x", "x", "x"], "tokens": [0, 5, 5, 5, 5], "output": ["BOS", 1.0, 1.0, 1.0, 1.0]}`; lines[319] != last {
		t.Errorf("last row %s, want %s", lines[319], last)
	}
	// 64 rows of length 4 (padded) come first, then the 256 full rows.
	if !strings.Contains(lines[63], `"PAD"]`) || strings.Contains(lines[64], `"PAD"`) {
		t.Errorf("rows 63/64 do not switch from padded to full: %s / %s", lines[63], lines[64])
	}
}

func TestDataInputsAndErrors(t *testing.T) {
	out, err := runCasesCLI(t, "a x b x\n\n[\"BOS\", \"x\", \"c\", \"PAD\", \"PAD\"]\n", "data", "3", "--inputs", "-")
	if err != nil {
		t.Fatal(err)
	}
	want := `{"input": ["BOS", "a", "x", "b", "x"], "tokens": [0, 2, 5, 3, 5], "output": ["BOS", 0.0, 0.5, 0.3333333333333333, 0.5]}
{"input": ["BOS", "x", "c", "PAD", "PAD"], "tokens": [0, 5, 4, 1, 1], "output": ["BOS", 1.0, 0.5, "PAD", "PAD"]}
`
	if out != want {
		t.Errorf("got\n%s\nwant\n%s", out, want)
	}
	for _, tc := range []struct {
		stdin string
		args  []string
		want  string
	}{
		{"a q\n", []string{"data", "3", "--inputs", "-"}, "stdin:1: token 1"},
		{"a a a a a\n", []string{"data", "3", "--inputs", "-"}, "more than max_seq_len-1 = 4"},
		{"a PAD a\n", []string{"data", "3", "--inputs", "-"}, "inside the row"},
		{"", []string{"data", "16"}, "no such case"},
		{"", []string{"data", "3", "--format", "xml"}, "want jsonl or csv"},
		{"", []string{"data", "39", "--all"}, "use --limit or --sample"},
		{"", []string{"data", "3", "--seed", "4"}, "--seed needs --sample"},
	} {
		_, err := runCasesCLI(t, tc.stdin, tc.args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want one containing %q", tc.args, err, tc.want)
		}
	}
}

func TestDataSampleAndCSV(t *testing.T) {
	a, err := runCasesCLI(t, "", "data", "12", "--sample", "5", "--seed", "7")
	if err != nil {
		t.Fatal(err)
	}
	b, err := runCasesCLI(t, "", "data", "12", "--sample", "5", "--seed", "7")
	if err != nil {
		t.Fatal(err)
	}
	if a != b || strings.Count(a, "\n") != 5 {
		t.Errorf("--sample 5 --seed 7 not reproducible or wrong size:\n%s\n%s", a, b)
	}
	out, err := runCasesCLI(t, "", "data", "3", "--format", "csv", "--limit", "2")
	if err != nil {
		t.Fatal(err)
	}
	want := "input_0,input_1,input_2,input_3,input_4,token_0,token_1,token_2,token_3,token_4,output_0,output_1,output_2,output_3,output_4\n" +
		"BOS,a,a,a,PAD,0,2,2,2,1,BOS,0.0,0.0,0.0,PAD\n" +
		"BOS,a,a,b,PAD,0,2,2,3,1,BOS,0.0,0.0,0.0,PAD\n"
	if out != want {
		t.Errorf("csv:\n%s\nwant\n%s", out, want)
	}
}

func TestCasesListAndCase(t *testing.T) {
	out, err := runCasesCLI(t, "", "cases", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var list []caseSummary
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		t.Fatal(err)
	}
	if len(list) != 129 {
		t.Fatalf("%d cases, want 129", len(list))
	}
	ib := 0
	for _, c := range list {
		if c.InterpBench {
			ib++
		}
	}
	if ib != 84 {
		t.Errorf("%d InterpBench cases, want 84", ib)
	}
	if c := list[2]; c.ID != 3 || c.VocabSize != 4 || c.MaxSeqLen != 5 || c.Categorical || c.DatasetRows != 320 {
		t.Errorf("case 3 summary %+v", c)
	}
	out, err = runCasesCLI(t, "", "case", "3")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"BOS=0 PAD=1 a=2 b=3 c=4 x=5", "frac_prevs_1 select_2 is_x_3 indices tokens", "320 rows", "make_frac_prevs(is_x)"} {
		if !strings.Contains(out, want) {
			t.Errorf("case 3 output lacks %q:\n%s", want, out)
		}
	}
	out, err = runCasesCLI(t, "", "case", "--lib", "common.star")
	if err != nil || !strings.Contains(out, "def make_frac_prevs(bools):") {
		t.Errorf("case --lib common.star: %v\n%s", err, out)
	}
	if _, err := runCasesCLI(t, "", "case", "--lib", "nope.star"); err == nil || !strings.Contains(err.Error(), "common.star") {
		t.Errorf("case --lib nope.star: error %v, want one listing the library files", err)
	}
}

package credit_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"onex/exam"
	"onex/exam/credit"
)

var update = flag.Bool("update", false, "rewrite testdata/vectors/expected.json")

// vectorAsOf is the day the vectors convert on (FORMAT.md).
const vectorAsOf = credit.Date(20260331)

func open(t testing.TB, name string) *os.File {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// vectorInput reads the vectors' rule file, certificates and course CSV.
func vectorInput(t testing.TB) credit.Input {
	rs, err := credit.ReadRules("rules.json", open(t, "testdata/vectors/rules.json"))
	if err != nil {
		t.Fatal(err)
	}
	var outs []credit.Outcome
	b, err := os.ReadFile("testdata/vectors/certificates.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &outs); err != nil {
		t.Fatal(err)
	}
	courses, err := credit.ReadCourses("courses.csv", open(t, "testdata/vectors/courses.csv"), credit.EncodingAuto)
	if err != nil {
		t.Fatal(err)
	}
	return credit.Input{Rules: rs, Outcomes: append(outs, courses...), AsOf: vectorAsOf}
}

// TestVectors converts the vectors (FORMAT.md, "Vectors") and compares the
// result with testdata/vectors/expected.json and with FORMAT.md's table.
func TestVectors(t *testing.T) {
	res := credit.Convert(vectorInput(t))
	got, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	const expected = "testdata/vectors/expected.json"
	if *update {
		if err := os.WriteFile(expected, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(expected)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("the vectors convert to\n%s\nexpected.json holds\n%s", got, want)
	}
	// FORMAT.md's table of the expected conversions, row by row.
	var table []string
	for _, c := range res.Conversions {
		table = append(table, strings.Join([]string{c.Learner, strings.TrimPrefix(c.Outcome, "certificate:"), c.School, c.Course, c.Credits.String(), c.Rule}, " "))
	}
	for _, n := range res.Unconverted {
		table = append(table, strings.Join([]string{n.Learner, strings.TrimPrefix(n.Outcome, "certificate:"), string(n.Reason)}, " "))
	}
	doc := formatSection(t, "### The expected conversions")
	if !slices.Equal(doc, table) {
		t.Errorf("FORMAT.md's expected conversions\n  %s\nthe vectors give\n  %s", strings.Join(doc, "\n  "), strings.Join(table, "\n  "))
	}
}

var codeSpan = regexp.MustCompile("`([^`]*)`")

// formatSection reads the table under a heading of FORMAT.md: each row's
// code spans joined by spaces.
func formatSection(t testing.TB, heading string) []string {
	t.Helper()
	sc := bufio.NewScanner(open(t, "FORMAT.md"))
	var rows []string
	in := false
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "#"):
			in = line == heading
		case in && strings.HasPrefix(line, "| `"):
			var cells []string
			for _, m := range codeSpan.FindAllStringSubmatch(line, -1) {
				cells = append(cells, m[1])
			}
			rows = append(rows, strings.Join(cells, " "))
		}
	}
	if len(rows) == 0 {
		t.Fatalf("FORMAT.md has no table under %q", heading)
	}
	return rows
}

// TestVectorsEncodings: the course CSV saved by Excel as GB18030 reads as
// its UTF-8 copy does, and a row Excel cleared is passed over.
func TestVectorsEncodings(t *testing.T) {
	want, err := credit.ReadCourses("courses.csv", open(t, "testdata/vectors/courses.csv"), credit.EncodingUTF8)
	if err != nil {
		t.Fatal(err)
	}
	for _, enc := range []string{credit.EncodingAuto, credit.EncodingGB18030} {
		got, err := credit.ReadCourses("courses-gb18030.csv", open(t, "testdata/vectors/courses-gb18030.csv"), enc)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("%s: %v %+v, want %+v", enc, err, got, want)
		}
	}
	got, err := credit.ReadCourses("courses-blank-row.csv", open(t, "testdata/vectors/courses-blank-row.csv"), credit.EncodingAuto)
	if err != nil || len(got) != 1 {
		t.Errorf("blank row: %v %+v", err, got)
	}
	if _, err := credit.ReadRules("rules-adjacent.json", open(t, "testdata/vectors/rules-adjacent.json")); err != nil {
		t.Errorf("windows one day apart: %v", err)
	}
}

// TestFailureVectors reads each file of FORMAT.md's failure table and
// compares the error with the table's, exactly.
func TestFailureVectors(t *testing.T) {
	rows := formatSection(t, "### Failure vectors")
	files, _ := filepath.Glob("testdata/failures/*")
	if len(rows) != len(files) {
		t.Errorf("FORMAT.md lists %d failure vectors, testdata/failures holds %d", len(rows), len(files))
	}
	for _, row := range rows {
		// row: file encoding error
		name, rest, _ := strings.Cut(row, " ")
		encoding, want, _ := strings.Cut(rest, " ")
		t.Run(name, func(t *testing.T) {
			f := open(t, filepath.Join("testdata/failures", name))
			var err error
			if strings.HasSuffix(name, ".json") {
				_, err = credit.ReadRules(name, f)
			} else {
				_, err = credit.ReadCourses(name, f, encoding)
			}
			var fe *credit.FileError
			if !errors.As(err, &fe) || !errors.Is(err, exam.ErrInvalid) || fe.File != name {
				t.Fatalf("err = %#v, want a *FileError of %s", err, name)
			}
			if err.Error() != want {
				t.Errorf("error\n  %v\nFORMAT.md says\n  %s", err, want)
			}
			for _, p := range fe.Problems {
				if p.File != name || p.Reason == "" {
					t.Errorf("problem without file or reason: %+v", p)
				}
			}
		})
	}
}

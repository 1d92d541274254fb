package credit_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"onex/exam"
	"onex/exam/credit"
)

func seeds(f *testing.F, patterns ...string) {
	for _, p := range patterns {
		files, _ := filepath.Glob(p)
		for _, name := range files {
			b, err := os.ReadFile(name)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
}

// refusal checks a refusal is a *FileError of the file, each problem
// placed within the file.
func refusal(t *testing.T, err error, name string, data []byte) {
	var fe *credit.FileError
	if !errors.As(err, &fe) || !errors.Is(err, exam.ErrInvalid) || len(fe.Problems) == 0 {
		t.Fatalf("refused with %#v, want a *FileError", err)
	}
	lines := bytes.Count(data, []byte("\n")) + 1
	for _, p := range fe.Problems {
		if p.File != name || p.Reason == "" || p.Line < 0 || p.Line > lines {
			t.Fatalf("problem %+v of a %d-line file", p, lines)
		}
	}
}

func FuzzReadRules(f *testing.F) {
	seeds(f, "testdata/vectors/*.json", "testdata/failures/*.json")
	f.Fuzz(func(t *testing.T, data []byte) {
		rs, err := credit.ReadRules("f.json", bytes.NewReader(data))
		if err != nil {
			refusal(t, err, "f.json", data)
			return
		}
		if err := rs.Check(); err != nil {
			t.Fatalf("a rule set read from a file fails Check: %v", err)
		}
		ids := map[string]bool{}
		for _, r := range rs.Rules {
			if ids[r.ID] || r.Credits <= 0 || r.Credits > credit.MaxCredits || !r.Level.Valid() || !r.ValidFrom.Valid() ||
				r.ValidTo != credit.NoDate && r.ValidTo < r.ValidFrom || r.MinScore < 0 || r.MinScore > 10000 {
				t.Fatalf("accepted a bad rule: %+v", r)
			}
			ids[r.ID] = true
		}
		// every rule converts a certificate it admits
		for _, r := range rs.Rules {
			o := credit.Outcome{Learner: "L", Kind: credit.KindCertificate, Number: "N", Certificate: r.Certificate, Level: r.Level, Score: 10000, Date: r.ValidFrom}
			res := credit.Convert(credit.Input{Rules: rs, Outcomes: []credit.Outcome{o}})
			if len(res.Conversions) == 0 {
				t.Fatalf("rule %s converts nothing it admits: %+v", r.ID, res)
			}
		}
	})
}

func FuzzReadCourses(f *testing.F) {
	seeds(f, "testdata/vectors/*.csv", "testdata/failures/*.csv")
	f.Fuzz(func(t *testing.T, data []byte) {
		outs, err := credit.ReadCourses("f.csv", bytes.NewReader(data), credit.EncodingAuto)
		if err != nil {
			refusal(t, err, "f.csv", data)
			return
		}
		seen := map[string]bool{}
		for _, o := range outs {
			k := o.Learner + "|" + o.Key()
			if o.Kind != credit.KindCourse || o.Learner == "" || o.Name == "" || o.School == "" || o.Course == "" ||
				o.CourseName == "" || o.Credits <= 0 || o.Score < 0 || o.Score > 10000 || !o.Date.Valid() || seen[k] {
				t.Fatalf("accepted a bad row: %+v", o)
			}
			seen[k] = true
		}
	})
}

func FuzzParseHundredths(f *testing.F) {
	for _, s := range []string{"0", "3", "2.5", "1.25", "100", ".5", "1.", "-1", "1e2", "1.234", " 1", "０"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		h, err := credit.ParseHundredths(s)
		if err != nil {
			return
		}
		back, err := credit.ParseHundredths(h.String())
		if err != nil || back != h || h < 0 {
			t.Fatalf("%q read as %d, written %q, read back %d (%v)", s, h, h.String(), back, err)
		}
	})
}

package inspect

import (
	"bytes"
	"errors"
	"testing"
)

func workedTranscript(t testing.TB) ([]byte, Registers) {
	r, p, src, at, typed := worked()
	c, err := Commit(r, p, src, at)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := Draw(r, c, typed)
	if err != nil {
		t.Fatal(err)
	}
	return tr.Canonical(), r
}

// A transcript from outside is parsed without panic; one taken is canonical
// (re-encoding gives the same bytes) and Verify either confirms it or says
// why not with a typed error.
func FuzzParseTranscript(f *testing.F) {
	good, r := workedTranscript(f)
	f.Add(good)
	f.Add([]byte(`{}`))
	f.Add(bytes.Replace(good, []byte(`"seed"`), []byte(`"Seed"`), 1))
	f.Fuzz(func(t *testing.T, b []byte) {
		tr, err := ParseTranscript(b)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("untyped error: %v", err)
			}
			return
		}
		if !bytes.Equal(tr.Canonical(), b) {
			t.Fatal("took a transcript not in canonical form")
		}
		if _, err := Verify(b, r); err != nil && !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrMismatch) {
			t.Fatalf("untyped error: %v", err)
		} else if err == nil && !bytes.Equal(b, good) {
			t.Fatalf("Verify took another transcript on the worked registers:\n%s", b)
		}
	})
}

func FuzzParseCommitment(f *testing.F) {
	r, p, src, at, _ := worked()
	c, _ := Commit(r, p, src, at)
	f.Add(c.Canonical())
	f.Add([]byte(`{"version":"onex-inspect/1"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ParseCommitment(b)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("untyped error: %v", err)
			}
			return
		}
		if !bytes.Equal(c.Canonical(), b) {
			t.Fatal("took a commitment not in canonical form")
		}
	})
}

// Register files from outside are parsed without panic; registers taken are
// in canonical form and survive a round trip through CSV-free normalising.
func FuzzParseRegisters(f *testing.F) {
	f.Add([]byte(sitesCSV), []byte(inspectorsCSV))
	f.Add([]byte("考点代码,考点名称\nS1,\"a\"\"b\"\n"), []byte("编号,姓名,关联考点\nI1,x,S1\n"))
	f.Add([]byte("code,name\n\xb5\xda\xd2\xbb,x\n"), []byte("id,name\n"))
	f.Fuzz(func(t *testing.T, sites, ins []byte) {
		r, err := ParseRegisters("sites.csv", sites, "inspectors.csv", ins)
		if err != nil {
			var re *RowError
			if !errors.As(err, &re) {
				t.Fatalf("not a RowError: %v", err)
			}
			return
		}
		n, err := r.Normalize()
		if err != nil {
			t.Fatalf("parsed registers do not normalise: %v", err)
		}
		if !bytes.Equal(canonicalJSON(n), canonicalJSON(r)) {
			t.Fatal("parsed registers not in canonical form")
		}
	})
}

// Public values as typed: Key never panics, and the normal form it returns
// gives the same key again (it is a fixed point).
func FuzzKey(f *testing.F) {
	f.Add("07 12 19 23 28 33", "09", "a3f0")
	f.Add("０７，１２、19;23\t28  33", "16", "-")
	f.Fuzz(func(t *testing.T, red, blue, text string) {
		key, normal, err := Key(lottery, []string{red, blue, text})
		if err != nil {
			var ve *ValuesError
			if !errors.As(err, &ve) {
				t.Fatalf("not a ValuesError: %v", err)
			}
			return
		}
		key2, normal2, err := Key(lottery, normal)
		if err != nil || key2 != key {
			t.Fatalf("normal form %q gives %q, %v; want %q", normal, key2, err, key)
		}
		for i := range normal {
			if normal[i] != normal2[i] {
				t.Fatalf("normal form is not a fixed point: %q then %q", normal, normal2)
			}
		}
	})
}

// Published registers from outside are parsed without panic; what is taken
// is canonical (re-encoding gives the same bytes); a refusal is typed.
func FuzzParseRegistersJSON(f *testing.F) {
	r, _, _, _, _ := worked()
	canon, err := r.Canonical()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(canon)
	f.Add([]byte(`{"inspectors":[],"sites":[]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := ParseRegistersJSON(b)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("untyped error: %v", err)
			}
			return
		}
		again, err := got.Canonical()
		if err != nil || !bytes.Equal(again, b) {
			t.Fatalf("took registers not in canonical form: %v", err)
		}
	})
}

// A description of public values from the office is parsed without panic;
// what is taken describes itself again the same (DescribeSources) and makes
// a commitment's sources (each well formed); a refusal is typed.
func FuzzParseSources(f *testing.F) {
	f.Add("6: 双色球第2026140期红球; 1: 双色球第2026140期蓝球")
	f.Add("text: drand quicknet round 1234567 randomness")
	f.Add("3：排列三\n文本：信标")
	f.Fuzz(func(t *testing.T, desc string) {
		ss, err := ParseSources(desc)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("untyped error: %v", err)
			}
			return
		}
		for _, s := range ss {
			if p := s.problem(); p != "" {
				t.Fatalf("took a source that is not well formed: %s", p)
			}
		}
		again, err := ParseSources(DescribeSources(ss))
		if err != nil || DescribeSources(again) != DescribeSources(ss) {
			t.Fatalf("described again: %v", err)
		}
	})
}

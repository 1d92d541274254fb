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

package inspect

import (
	"bytes"
	"errors"
	"testing"
)

// Verify refuses every transcript that differs from a good one in one byte,
// whichever byte and whatever it is changed to (three changes a byte).
func TestVerifyRefusesEachByte(t *testing.T) {
	r, p, src, at, typed := worked()
	c, _ := Commit(r, p, src, at)
	tr, err := Draw(r, c, typed)
	if err != nil {
		t.Fatal(err)
	}
	good := tr.Canonical()
	if _, err := Verify(good, r); err != nil {
		t.Fatal(err)
	}
	tried := 0
	for i := range good {
		for _, x := range []byte{0x01, 0x20, 0x80} {
			bad := bytes.Clone(good)
			bad[i] ^= x
			tried++
			if _, err := Verify(bad, r); err == nil {
				t.Fatalf("byte %d changed (^%#x, %q for %q) was taken: ...%s...", i, x, bad[i], good[i], bad[max(0, i-20):min(len(bad), i+20)])
			} else if !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrMismatch) {
				t.Fatalf("byte %d: %v is neither ErrInvalid nor ErrMismatch", i, err)
			}
		}
	}
	// and a byte added or removed anywhere
	for i := range good {
		if _, err := Verify(append(bytes.Clone(good[:i]), good[i+1:]...), r); err == nil {
			t.Fatalf("byte %d removed was taken", i)
		}
	}
	if _, err := Verify(append(bytes.Clone(good), '\n'), r); err == nil {
		t.Fatal("a newline added was taken")
	}
	t.Logf("%d one-byte changes of a %d-byte transcript refused", tried, len(good))
}

// Verify names what differs.
func TestVerifyNames(t *testing.T) {
	r, p, src, at, typed := worked()
	c, _ := Commit(r, p, src, at)
	tr, _ := Draw(r, c, typed)
	swap := *tr
	swap.Draw = []Assignment{tr.Draw[1], tr.Draw[0]}
	other := *tr
	other.Draw = []Assignment{{Site: tr.Draw[0].Site, Inspectors: []string{tr.Draw[0].Inspectors[1], tr.Draw[0].Inspectors[0]}}, tr.Draw[1]}
	vals := *tr
	vals.Values = []string{"7 12 19 23 28 33", "10"}
	for _, c := range []struct {
		name  string
		t     *Transcript
		field string
	}{
		{"sites in another order", &swap, "draw[0]"},
		{"inspectors in another order", &other, "draw[0]"},
		{"another blue ball", &vals, "key"},
	} {
		_, err := Verify(c.t.Canonical(), r)
		var me *MismatchError
		if !errors.As(err, &me) || me.Field != c.field {
			t.Errorf("%s: %v, want a mismatch of %s", c.name, err, c.field)
		}
	}
}

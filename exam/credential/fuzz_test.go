package credential

import (
	"bytes"
	"errors"
	"testing"
)

// FuzzVerifyText: any text either verifies to claims that re-issue to the
// same text, or is refused with one of the typed errors; never a panic.
func FuzzVerifyText(f *testing.F) {
	fx := newFixture(f)
	good, _ := fx.issuer.IssueText(realistic())
	f.Add(good)
	f.Add(good[:len(good)-3])
	f.Add("OX1:")
	f.Add("OX1:GGW")
	f.Add("HC1:" + good[4:])
	f.Add("")
	f.Fuzz(func(t *testing.T, text string) {
		c, err := VerifyText(text, fx.tl)
		if err != nil {
			switch errorName(err) {
			case "prefix", "base45", "malformed", "unknown_key", "bad_signature", "key_window":
				return
			}
			t.Fatalf("untyped error: %v", err)
		}
		again, err := fx.issuer.IssueText(*c)
		if err != nil {
			t.Fatalf("verified claims do not re-issue: %v", err)
		}
		if b1, _ := Decode(text); !bytes.Equal(b1, mustDecode(t, again)) {
			t.Fatal("verified bytes differ from the re-issued credential")
		}
	})
}

func mustDecode(t *testing.T, s string) []byte {
	b, err := Decode(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// FuzzBase45: decoding never panics, and what decodes encodes back to the
// same text.
func FuzzBase45(f *testing.F) {
	for _, s := range []string{"", "BB8", "%69 VD92EX0", "GGW", "U5", "A"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b, err := Base45Decode(s)
		if err != nil {
			if !errors.Is(err, ErrBase45) {
				t.Fatalf("untyped error: %v", err)
			}
			return
		}
		if Base45Encode(b) != s {
			t.Fatalf("%q decodes to %x, which encodes to %q", s, b, Base45Encode(b))
		}
	})
}

// FuzzOpenStatusList: a signed status list of any bytes is opened or
// refused with a typed error.
func FuzzOpenStatusList(f *testing.F) {
	fx := newFixture(f)
	l := NewStatusList(date(2026, 8, 1), 0)
	l.Revocation.Set(3, true)
	signed, _ := fx.issuer.SignStatusList(l)
	f.Add(signed)
	f.Add(signed[:40])
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := OpenStatusList(data, fx.tl)
		if err != nil {
			switch errorName(err) {
			case "malformed", "unknown_key", "bad_signature", "key_window", "status_list":
				return
			}
			t.Fatalf("untyped error: %v", err)
		}
		if got.Revocation.Len() < MinStatusBits {
			t.Fatalf("opened a list of %d bits", got.Revocation.Len())
		}
	})
}

// FuzzDecodeBitstring: any encoded list decodes to at least the minimum
// size, or is refused with ErrStatusList.
func FuzzDecodeBitstring(f *testing.F) {
	f.Add(NewBitstring(0).Encode())
	f.Add("u")
	f.Add("uH4sIAAAAAAAA")
	f.Fuzz(func(t *testing.T, enc string) {
		s, err := DecodeBitstring(enc)
		if err != nil {
			if !errors.Is(err, ErrStatusList) {
				t.Fatalf("untyped error: %v", err)
			}
			return
		}
		if s.Len() < MinStatusBits || s.Len() > MaxStatusBits {
			t.Fatalf("%d bits", s.Len())
		}
	})
}

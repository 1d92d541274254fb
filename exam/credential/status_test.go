package credential

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"errors"
	"testing"

	"pgregory.net/rapid"
)

// Set then Get reads back what was set, and no other bit changes; the
// encoded list decodes to the same bits, never below the minimum size.
func TestBitstringProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(0, 3*MinStatusBits).Draw(t, "n")
		s := NewBitstring(n)
		if s.Len() < MinStatusBits || s.Len() < n || s.Len()%8 != 0 {
			t.Fatalf("NewBitstring(%d) has %d bits", n, s.Len())
		}
		model := map[int]bool{}
		ops := rapid.IntRange(0, 50).Draw(t, "ops")
		for range ops {
			i := rapid.IntRange(0, s.Len()-1).Draw(t, "i")
			v := rapid.Bool().Draw(t, "v")
			if err := s.Set(i, v); err != nil {
				t.Fatal(err)
			}
			model[i] = v
		}
		probe := rapid.IntRange(0, s.Len()-1).Draw(t, "probe")
		for i, v := range map[int]bool{probe: model[probe]} {
			if got, _ := s.Get(i); got != v {
				t.Fatalf("bit %d = %v, want %v", i, got, v)
			}
		}
		for i, v := range model {
			if got, _ := s.Get(i); got != v {
				t.Fatalf("bit %d = %v, want %v", i, got, v)
			}
		}
		back, err := DecodeBitstring(s.Encode())
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(back.b, s.b) {
			t.Fatal("encoded list decodes to other bits")
		}
		for _, i := range []int{-1, s.Len()} {
			if err := s.Set(i, true); !errors.Is(err, ErrIndex) {
				t.Fatalf("Set(%d): %v", i, err)
			}
			if _, err := s.Get(i); !errors.Is(err, ErrIndex) {
				t.Fatalf("Get(%d): %v", i, err)
			}
		}
	})
}

func TestBitOrder(t *testing.T) {
	// W3C: index 0 is the most significant bit of the first byte.
	s := NewBitstring(0)
	s.Set(0, true)
	s.Set(9, true)
	if s.b[0] != 0x80 || s.b[1] != 0x40 {
		t.Errorf("bytes %x %x, want 80 40", s.b[0], s.b[1])
	}
}

func gz(b []byte) string {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(b)
	w.Close()
	return "u" + base64.RawURLEncoding.EncodeToString(buf.Bytes())
}

func TestDecodeBitstringRefuses(t *testing.T) {
	for name, enc := range map[string]string{
		"no multibase prefix": gz(make([]byte, MinStatusBits/8))[1:],
		"too small":           gz(make([]byte, MinStatusBits/8-1)),
		"too large":           gz(make([]byte, MaxStatusBits/8+1)),
		"not base64url":       "u!!!!",
		"not gzip":            "u" + base64.RawURLEncoding.EncodeToString([]byte("plain")),
		"padded base64":       gz(make([]byte, MinStatusBits/8)) + "=",
		"empty":               "",
	} {
		if _, err := DecodeBitstring(enc); !errors.Is(err, ErrStatusList) {
			t.Errorf("%s: %v, want ErrStatusList", name, err)
		}
	}
	if _, err := DecodeBitstring(gz(make([]byte, MinStatusBits/8))); err != nil {
		t.Errorf("minimum size refused: %v", err)
	}
}

func TestStatusList(t *testing.T) {
	f := newFixture(t)
	l := NewStatusList(date(2026, 8, 1), 1000)
	l.Revocation.Set(7, true)
	l.Suspension.Set(8, true)
	l.Revocation.Set(9, true)
	l.Suspension.Set(9, true)
	signed, err := f.issuer.SignStatusList(l)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("signed status list: %d bytes for 2 × %d bits", len(signed), l.Revocation.Len())
	got, err := OpenStatusList(signed, f.tl)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Issued.Equal(date(2026, 8, 1)) {
		t.Errorf("issued %v", got.Issued)
	}
	for _, tc := range []struct {
		i    uint32
		want Status
	}{{6, Valid}, {7, Revoked}, {8, Suspended}, {9, Revoked}, {MinStatusBits - 1, Valid}} {
		if s, err := got.Status(tc.i); err != nil || s != tc.want {
			t.Errorf("Status(%d) = %v, %v; want %v", tc.i, s, err, tc.want)
		}
	}
	if _, err := got.Status(MinStatusBits); !errors.Is(err, ErrIndex) {
		t.Errorf("index past the list: %v", err)
	}
	// Signed outside the issuer key's window.
	late := NewStatusList(date(2027, 2, 1), 0)
	signedLate, _ := f.issuer.SignStatusList(late)
	if _, err := OpenStatusList(signedLate, f.tl); !errors.Is(err, ErrKeyWindow) {
		t.Errorf("status list after the key's window: %v", err)
	}
	// Tampered; signed by an unlisted key; a credential is not a status list.
	tampered := bytes.Clone(signed)
	tampered[len(tampered)-1] ^= 1
	if _, err := OpenStatusList(tampered, f.tl); !errors.Is(err, ErrBadSignature) {
		t.Errorf("tampered: %v", err)
	}
	other, _ := NewIssuer(testKey("stranger")).SignStatusList(l)
	if _, err := OpenStatusList(other, f.tl); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("unlisted key: %v", err)
	}
	cred, _ := f.issuer.Issue(realistic())
	if _, err := OpenStatusList(cred, f.tl); !errors.Is(err, ErrBadSignature) {
		t.Errorf("credential as status list: %v", err)
	}
}

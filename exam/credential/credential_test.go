package credential

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestBase45RFC9285(t *testing.T) {
	for _, tc := range []struct{ plain, enc string }{
		{"AB", "BB8"},
		{"Hello!!", "%69 VD92EX0"},
		{"base-45", "UJCLQE7W581"},
		{"ietf!", "QED8WEX0"},
		{"", ""},
		{"\xff\xff", "FGW"},
		{"\xff", "U5"},
	} {
		if got := Base45Encode([]byte(tc.plain)); got != tc.enc {
			t.Errorf("encode %q = %q, want %q", tc.plain, got, tc.enc)
		}
		got, err := Base45Decode(tc.enc)
		if err != nil || string(got) != tc.plain {
			t.Errorf("decode %q = %q, %v", tc.enc, got, err)
		}
	}
	for _, bad := range []string{"GGW", "A", "ABCD", "ab", "VD92EX0=", "%6", "U6"[:2] + "Z"[:0] + "", ":::"} {
		if bad == "U6" {
			continue // 6+6*45=276 > 255 checked below
		}
		if _, err := Base45Decode(bad); !errors.Is(err, ErrBase45) {
			t.Errorf("decode %q: %v, want ErrBase45", bad, err)
		}
	}
	if _, err := Base45Decode("U6"); !errors.Is(err, ErrBase45) {
		t.Errorf("two-character group above 255 accepted: %v", err)
	}
}

func TestRoundTrip(t *testing.T) {
	f := newFixture(t)
	c := realistic()
	text, err := f.issuer.IssueText(c)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(text, Prefix) {
		t.Fatalf("text %q lacks prefix", text)
	}
	got, err := VerifyText(text, f.tl)
	if err != nil {
		t.Fatal(err)
	}
	c.KeyID = f.issuer.KeyID()
	if !reflect.DeepEqual(*got, c) {
		t.Errorf("claims\n got %+v\nwant %+v", *got, c)
	}
	// White space around the text (as scanners add) is ignored.
	if _, err := VerifyText("  "+text+"\r\n", f.tl); err != nil {
		t.Errorf("with white space: %v", err)
	}
	// Deterministic: the same claims give the same text.
	again, _ := f.issuer.IssueText(c)
	if again != text {
		t.Error("issuing twice gave different text")
	}
}

func TestCheckID(t *testing.T) {
	c := realistic()
	for _, tc := range []struct {
		typed string
		want  bool
	}{
		{testIDNumber, true},
		{strings.ToLower(testIDNumber), true},
		{" 110105 19900307 123X ", true},
		{"１１０１０５１９９００３０７１２３Ｘ", true},
		{"110105199003071231", false},
		{"", false},
	} {
		if got := c.CheckID(tc.typed); got != tc.want {
			t.Errorf("CheckID(%q) = %v, want %v", tc.typed, got, tc.want)
		}
	}
	other := c
	other.IDSalt = bytes.Repeat([]byte{1}, SaltSize)
	if other.CheckID(testIDNumber) {
		t.Error("hash checked under another salt")
	}
}

func TestIssueRefusesBadClaims(t *testing.T) {
	f := newFixture(t)
	for name, mutate := range map[string]func(*Claims){
		"no number":     func(c *Claims) { c.Number = "" },
		"no holder":     func(c *Claims) { c.Holder = "" },
		"long site":     func(c *Claims) { c.Site = strings.Repeat("站", 31) },
		"bad utf8":      func(c *Claims) { c.Holder = "\xff" },
		"short salt":    func(c *Claims) { c.IDSalt = c.IDSalt[:4] },
		"no hash":       func(c *Claims) { c.IDHash = nil },
		"level 0":       func(c *Claims) { c.Level = 0 },
		"level 4":       func(c *Claims) { c.Level = 4 },
		"no issue date": func(c *Claims) { c.Issued = time.Time{} },
	} {
		c := realistic()
		mutate(&c)
		if _, err := f.issuer.Issue(c); !errors.Is(err, ErrClaims) {
			t.Errorf("%s: %v, want ErrClaims", name, err)
		}
	}
}

// Every single-byte change of the COSE bytes, to every other value, is
// refused with one of the package's typed errors.
func TestEverySingleByteChangeRefused(t *testing.T) {
	f := newFixture(t)
	good, err := f.issuer.Issue(realistic())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Verify(good, f.tl); err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	// -short (make test): four changes of every byte; otherwise all 255.
	deltas := func(i int) []int {
		if testing.Short() {
			return []int{0x01, 0x80, 0xff, i*37%255 + 1}
		}
		all := make([]int, 255)
		for d := range all {
			all[d] = d + 1
		}
		return all
	}
	changes := 0
	for i := range good {
		for _, d := range deltas(i) {
			changes++
			b := bytes.Clone(good)
			b[i] ^= byte(d)
			_, err := Verify(b, f.tl)
			name := errorName(err)
			switch name {
			case "malformed", "bad_signature", "unknown_key", "key_window":
				counts[name]++
			default:
				t.Fatalf("byte %d xor %#x: %v (%s)", i, d, err, name)
			}
		}
	}
	t.Logf("%d bytes, %d changes: %v", len(good), changes, counts)
	if counts["bad_signature"] == 0 || counts["malformed"] == 0 || counts["unknown_key"] == 0 {
		t.Errorf("expected every kind of refusal among %v", counts)
	}
}

func TestKeyRotation(t *testing.T) {
	root := testKey("root")
	old, cur := testKey("issuer 2025"), testKey("issuer 2026")
	keys := []TrustedKey{
		trusted(old, date(2025, 1, 1), date(2026, 1, 1)),
		trusted(cur, date(2026, 1, 1), date(2027, 1, 1)),
		// The same key listed again for a later window: verifiers must try
		// every entry with the id, not the first.
		trusted(old, date(2028, 1, 1), date(2029, 1, 1)),
	}
	signed, err := SignTrustList(root, TrustList{Issued: date(2026, 1, 1), Keys: keys})
	if err != nil {
		t.Fatal(err)
	}
	tl, err := OpenTrustList(signed, root.Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	stranger := testKey("stranger")
	for _, tc := range []struct {
		name   string
		key    ed25519.PrivateKey
		issued time.Time
		want   error
	}{
		{"old key inside its window", old, date(2025, 6, 1), nil},
		{"old key at its last second", old, date(2026, 1, 1).Add(-time.Second), nil},
		{"old key at its window's end", old, date(2026, 1, 1), ErrKeyWindow},
		{"old key after rotation", old, date(2026, 6, 1), ErrKeyWindow},
		{"old key before its window", old, date(2024, 6, 1), ErrKeyWindow},
		{"old key in its second window", old, date(2028, 6, 1), nil},
		{"current key", cur, date(2026, 6, 1), nil},
		{"current key backdated", cur, date(2025, 6, 1), ErrKeyWindow},
		{"key not listed", stranger, date(2026, 6, 1), ErrUnknownKey},
	} {
		c := realistic()
		c.Issued = tc.issued
		b, err := NewIssuer(tc.key).Issue(c)
		if err != nil {
			t.Fatal(err)
		}
		_, err = Verify(b, tl)
		if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
}

func TestForgedKeyID(t *testing.T) {
	f := newFixture(t)
	c := realistic()
	c.KeyID = f.issuer.KeyID()
	c.Issued = c.Issued.Truncate(time.Second)
	w := c.wire()
	payload, _ := encMode.Marshal(w)
	forged, err := sign(testKey("forger"), f.issuer.KeyID(), payload, aadCredential)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Verify(forged, f.tl); !errors.Is(err, ErrBadSignature) {
		t.Errorf("forged under a trusted key id: %v", err)
	}
	// A status list or trust list signature is not a credential signature.
	asStatus, _ := sign(testKey("issuer 2026"), f.issuer.KeyID(), payload, aadStatusList)
	if _, err := Verify(asStatus, f.tl); !errors.Is(err, ErrBadSignature) {
		t.Errorf("signature for another document type accepted: %v", err)
	}
}

func TestTrustList(t *testing.T) {
	root := testKey("root")
	rootPub := root.Public().(ed25519.PublicKey)
	k := testKey("issuer 2026")
	good := trusted(k, date(2026, 1, 1), date(2027, 1, 1))
	signed, err := SignTrustList(root, TrustList{Issued: date(2026, 1, 1), Keys: []TrustedKey{good}})
	if err != nil {
		t.Fatal(err)
	}
	tl, err := OpenTrustList(signed, rootPub)
	if err != nil {
		t.Fatal(err)
	}
	if !tl.Issued.Equal(date(2026, 1, 1)) || len(tl.Keys) != 1 || !reflect.DeepEqual(tl.Keys[0].Public, good.Public) {
		t.Errorf("trust list round trip: %+v", tl)
	}
	if _, err := OpenTrustList(signed, testKey("other root").Public().(ed25519.PublicKey)); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("other root: %v", err)
	}
	tampered := bytes.Clone(signed)
	tampered[len(tampered)-70] ^= 1
	if _, err := OpenTrustList(tampered, rootPub); err == nil {
		t.Error("tampered trust list accepted")
	}
	for name, tk := range map[string]TrustedKey{
		"wrong key id": {KeyID: make([]byte, 8), Public: good.Public, NotBefore: good.NotBefore, NotAfter: good.NotAfter},
		"empty window": {KeyID: good.KeyID, Public: good.Public, NotBefore: good.NotAfter, NotAfter: good.NotAfter},
		"short key":    {KeyID: good.KeyID, Public: good.Public[:31], NotBefore: good.NotBefore, NotAfter: good.NotAfter},
	} {
		if _, err := SignTrustList(root, TrustList{Issued: date(2026, 1, 1), Keys: []TrustedKey{tk}}); !errors.Is(err, ErrClaims) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

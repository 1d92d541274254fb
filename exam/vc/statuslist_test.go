package vc

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"

	"onex/exam/credential"
)

// The status list vector: the revocation list the certificate vector points
// at (its statusListCredential), with the vector's index 94567 revoked.
var (
	slClock  = time.Date(2026, 8, 1, 9, 30, 0, 0, time.UTC)
	slIssued = time.Date(2026, 8, 1, 0, 0, 0, 0, time.UTC)
)

const slIndex = 94567

// slEncoded is the encodedList of a 16 KiB revocation bitstring with only
// bit i set (none when i < 0).
func slEncoded(t testing.TB, i int) string {
	t.Helper()
	b := credential.NewBitstring(credential.MinStatusBits)
	if i >= 0 {
		if err := b.Set(i, true); err != nil {
			t.Fatal(err)
		}
	}
	return b.Encode()
}

func slOf(t testing.TB) StatusListOf {
	return StatusListOf{URL: vectorCert().StatusListURL, Purpose: PurposeRevocation, EncodedList: slEncoded(t, slIndex),
		Issued: slIssued, ValidFor: 24 * time.Hour, TTL: 5 * time.Minute}
}

func mustStatusList(t testing.TB) (string, *StatusListCredential) {
	t.Helper()
	c, err := NewStatusList(vectorIssuer(), slOf(t))
	var tok string
	if err == nil {
		tok, err = SignStatusList(c, vectorKid, vectorKey)
	}
	if err != nil {
		t.Fatal(err)
	}
	return tok, c
}

// TestStatusListRevokedBit: sign → verify → the status list covers the
// certificate vector's credentialStatus, and the bit of its index is set
// (and no other near it).
func TestStatusListRevokedBit(t *testing.T) {
	tok, _ := mustStatusList(t)
	sl, err := VerifyStatusList(tok, vectorKeys(), slClock)
	if err != nil {
		t.Fatal(err)
	}
	certTok, _ := mustToken(t)
	cert, err := Verify(certTok, vectorKeys(), vectorClock)
	if err != nil {
		t.Fatal(err)
	}
	if err := sl.Covers(cert.Credential.CredentialStatus); err != nil {
		t.Fatal(err)
	}
	idx, _ := cert.Credential.StatusIndex()
	bits, err := credential.DecodeBitstring(sl.CredentialSubject.EncodedList)
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range []int{idx - 1, idx, idx + 1, 0} {
		if set, err := bits.Get(i); err != nil || set != (i == idx) {
			t.Errorf("bit %d: %v, %v", i, set, err)
		}
	}
	if sl.CredentialSubject.TTL != 300000 || sl.ValidUntil != "2026-08-02T00:00:00Z" {
		t.Errorf("ttl %d, validUntil %s", sl.CredentialSubject.TTL, sl.ValidUntil)
	}

	// The same entry under the other purpose, or another list, is not this list's.
	other := *cert.Credential.CredentialStatus
	other.StatusPurpose = PurposeSuspension
	if err := sl.Covers(&other); !errors.Is(err, ErrContent) {
		t.Errorf("suspension entry against the revocation list: %v", err)
	}
	other = *cert.Credential.CredentialStatus
	other.StatusListCredential += "?purpose=suspension"
	if err := sl.Covers(&other); !errors.Is(err, ErrContent) {
		t.Errorf("entry of another list: %v", err)
	}
	if err := sl.Covers(nil); !errors.Is(err, ErrContent) {
		t.Errorf("no entry: %v", err)
	}
}

func TestStatusListRefuses(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*StatusListOf)
	}{
		{"no url", func(l *StatusListOf) { l.URL = "" }},
		{"http url", func(l *StatusListOf) { l.URL = "http://cert.onex.example.cn/status/1" }},
		{"purpose refresh", func(l *StatusListOf) { l.Purpose = "refresh" }},
		{"encoded list without u", func(l *StatusListOf) { l.EncodedList = strings.TrimPrefix(l.EncodedList, "u") }},
		{"encoded list padded", func(l *StatusListOf) { l.EncodedList += "==" }},
		{"encoded list empty", func(l *StatusListOf) { l.EncodedList = "u" }},
		{"encoded list base64 std", func(l *StatusListOf) { l.EncodedList = "u+/+/" }},
		{"no issue time", func(l *StatusListOf) { l.Issued = time.Time{} }},
		{"negative validity", func(l *StatusListOf) { l.ValidFor = -time.Hour }},
		{"negative ttl", func(l *StatusListOf) { l.TTL = -time.Second }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := slOf(t)
			tc.edit(&l)
			if _, err := NewStatusList(vectorIssuer(), l); !errors.Is(err, ErrContent) {
				t.Fatalf("want ErrContent, got %v", err)
			}
		})
	}
	if _, err := NewStatusList(Issuer{ID: "https://cert.onex.example.cn"}, slOf(t)); !errors.Is(err, ErrContent) {
		t.Errorf("issuer without a name: %v", err)
	}
}

// slFailure is one status list failure vector: the token and the clock.
type slFailure struct {
	tok string
	now time.Time
}

// slFailures are the edits of FORMAT.md's status list failure vectors.
func slFailures(t *testing.T, token string) map[string]slFailure {
	parts := strings.Split(token, ".")
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	enc := base64.RawURLEncoding.EncodeToString
	swap := func(old, new string) []byte {
		if !bytes.Contains(payload, []byte(old)) {
			t.Fatalf("the status list payload has no %s", old)
		}
		return bytes.Replace(payload, []byte(old), []byte(new), 1)
	}
	hdr := `{"alg":"EdDSA","cty":"vc","kid":"onex-issuer-2026-1","typ":"vc+jwt"}`
	at := func(s string) slFailure { return slFailure{s, slClock} }
	certTok, _ := mustToken(t)
	list := slEncoded(t, slIndex)
	return map[string]slFailure{
		"sl-bit-cleared":      at(parts[0] + "." + enc(swap(list, slEncoded(t, -1))) + "." + parts[2]),
		"sl-purpose-changed":  at(parts[0] + "." + enc(swap(`"statusPurpose":"revocation"`, `"statusPurpose":"suspension"`)) + "." + parts[2]),
		"sl-expired":          {token, time.Date(2026, 8, 2, 0, 0, 0, 0, time.UTC)},
		"sl-typ-jwt":          at(enc([]byte(strings.Replace(hdr, "vc+jwt", "JWT", 1))) + "." + parts[1] + "." + parts[2]),
		"sl-resigned-subject": at(signRaw(t, []byte(hdr), swap(`/status/1#list"`, `/status/2#list"`))),
		"sl-resigned-list":    at(signRaw(t, []byte(hdr), swap(`"encodedList":"u`, `"encodedList":"z`))),
		"sl-certificate":      at(certTok),
	}
}

// TestStatusListFormatVector: the code writes FORMAT.md's status list
// vector, and refuses each of its failure vectors with the error named.
func TestStatusListFormatVector(t *testing.T) {
	v, doc := formatVectors(t)
	for _, k := range []string{"slencoded", "slpayload", "sltoken"} {
		if v[k] == "" {
			t.Fatalf("FORMAT.md has no vector %q", k)
		}
	}
	if got := slEncoded(t, slIndex); got != v["slencoded"] {
		t.Errorf("encodedList %s, FORMAT.md %s", got, v["slencoded"])
	}
	got, c := mustStatusList(t)
	token := sameAsFormat(t, v, "sl", got, c)
	parts := strings.Split(token, ".")
	sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
	if !ed25519.Verify(vectorPub, []byte(parts[0]+"."+parts[1]), sig) {
		t.Error("signature does not verify over header.payload")
	}
	if _, err := VerifyStatusList(token, vectorKeys(), slClock); err != nil {
		t.Fatal(err)
	}

	edits := slFailures(t, token)
	errs := map[string]error{
		"ErrMalformed": ErrMalformed, "ErrHeader": ErrHeader, "ErrUnknownKey": ErrUnknownKey,
		"ErrSignature": ErrSignature, "ErrContent": ErrContent, "ErrNotYetValid": ErrNotYetValid, "ErrExpired": ErrExpired,
	}
	rows := regexp.MustCompile("(?m)^\\| `(sl-[a-z-]+)` \\| .* \\| `(Err[A-Za-z]+)` \\|$").FindAllStringSubmatch(doc, -1)
	if len(rows) != len(edits) {
		t.Errorf("FORMAT.md lists %d status list failure vectors, the test has %d edits", len(rows), len(edits))
	}
	for _, r := range rows {
		e, ok := edits[r[1]]
		if !ok || errs[r[2]] == nil {
			t.Errorf("failure vector %q (%s): no edit or unknown error", r[1], r[2])
			continue
		}
		if e.tok == token && e.now.Equal(slClock) {
			t.Errorf("%s: the edit left the token unchanged", r[1])
		}
		if _, err := VerifyStatusList(e.tok, vectorKeys(), e.now); !errors.Is(err, errs[r[2]]) {
			t.Errorf("%s: want %s, got %v", r[1], r[2], err)
		}
	}
}

// A status list token is no certificate: Verify refuses it (strict decoding).
func TestStatusListIsNoCertificate(t *testing.T) {
	tok, _ := mustStatusList(t)
	if _, err := Verify(tok, vectorKeys(), slClock); !errors.Is(err, ErrContent) {
		t.Fatalf("want ErrContent, got %v", err)
	}
}

// Any list, purpose, index and clock inside the window: the bit read back
// after sign and verify is the one set, and one character changed anywhere
// is refused.
func TestPropertyStatusList(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := credential.MinStatusBits * rapid.IntRange(1, 3).Draw(t, "size")
		b := credential.NewBitstring(n)
		set := rapid.SliceOfDistinct(rapid.IntRange(0, n-1), rapid.ID).Draw(t, "set")
		for _, i := range set {
			b.Set(i, true)
		}
		purpose := rapid.SampledFrom([]string{PurposeRevocation, PurposeSuspension}).Draw(t, "purpose")
		issued := time.Unix(rapid.Int64Range(1, 4e9).Draw(t, "issued"), 0)
		c, err := NewStatusList(vectorIssuer(), StatusListOf{URL: "https://cert.onex.example.cn/verify/status-list?purpose=" + purpose,
			Purpose: purpose, EncodedList: b.Encode(), Issued: issued, ValidFor: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		tok, err := SignStatusList(c, vectorKid, vectorKey)
		if err != nil {
			t.Fatal(err)
		}
		sl, err := VerifyStatusList(tok, vectorKeys(), issued.Add(time.Duration(rapid.Int64Range(0, int64(time.Hour)-1).Draw(t, "after"))))
		if err != nil {
			t.Fatal(err)
		}
		got, err := credential.DecodeBitstring(sl.CredentialSubject.EncodedList)
		if err != nil {
			t.Fatal(err)
		}
		probe := append(set, rapid.IntRange(0, n-1).Draw(t, "probe"))
		for _, i := range probe {
			want, _ := b.Get(i)
			if v, err := got.Get(i); err != nil || v != want {
				t.Fatalf("bit %d: %v, want %v (%v)", i, v, want, err)
			}
		}
		i := rapid.IntRange(0, len(tok)-1).Draw(t, "at")
		r := rapid.SampledFrom([]byte("Aa0-_.=")).Filter(func(r byte) bool { return r != tok[i] }).Draw(t, "to")
		if _, err := VerifyStatusList(tok[:i]+string(r)+tok[i+1:], vectorKeys(), issued); err == nil {
			t.Fatalf("changing character %d to %q was accepted", i, r)
		}
	})
}

func FuzzVerifyStatusList(f *testing.F) {
	tok, _ := mustStatusList(f)
	f.Add(tok)
	f.Add("")
	f.Add("..")
	parts := strings.Split(tok, ".")
	f.Add(parts[0] + ".e30." + parts[2])
	keys := vectorKeys()
	f.Fuzz(func(t *testing.T, s string) {
		c, err := VerifyStatusList(s, keys, slClock)
		if err != nil {
			if c != nil || !wrapsOurs(err) {
				t.Fatalf("result %v with the error, or an error of no Err value: %v", c, err)
			}
			return
		}
		if s != tok {
			t.Fatalf("a token the test never signed verified: %q", s)
		}
	})
}

// wrapsOurs reports whether err wraps one of the package's Err values.
func wrapsOurs(err error) bool {
	for _, e := range []error{ErrMalformed, ErrHeader, ErrUnknownKey, ErrSignature, ErrContent, ErrNotYetValid, ErrExpired} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// BenchmarkStatusList signs and verifies the 16 KiB revocation list with a
// thousand revocations spread over it (what central does at most once a
// minute per purpose, and a wallet per check).
func BenchmarkStatusList(b *testing.B) {
	bits := credential.NewBitstring(credential.MinStatusBits)
	for i := range 1000 {
		bits.Set(i*131, true)
	}
	l := slOf(b)
	l.EncodedList = bits.Encode()
	c, err := NewStatusList(vectorIssuer(), l)
	if err != nil {
		b.Fatal(err)
	}
	tok, err := SignStatusList(c, vectorKid, vectorKey)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("sign", func(b *testing.B) {
		for b.Loop() {
			if _, err := SignStatusList(c, vectorKid, vectorKey); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("verify", func(b *testing.B) {
		for b.Loop() {
			if _, err := VerifyStatusList(tok, vectorKeys(), slClock); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(len(tok)), "token-bytes")
	})
}

package seal

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"
)

// testCertificate is a self-signed certificate for the tests of this file.
func testCertificate(t testing.TB) *x509.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "central.example"},
		NotBefore: testTime, NotAfter: testTime.Add(time.Hour), DNSNames: []string{"central.example"}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

func TestTLSKeyStatement(t *testing.T) {
	ck := testCentral(t)
	a, b := sum([]byte("key a")), sum([]byte("key b"))
	st, err := SignTLSKeys(ck, []Hash{a, b})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := OpenTLSKeys(ck.Public(), st); err != nil || len(got) != 2 || got[0] != a || got[1] != b {
		t.Fatalf("OpenTLSKeys = %v, %v", got, err)
	}
	if len(st) != magicLen+1+2*32+sigSize {
		t.Errorf("statement is %d bytes", len(st))
	}

	// Every byte matters; another central's signature does not do.
	for i := range st {
		bad := bytes.Clone(st)
		bad[i] ^= 0x40
		if _, err := OpenTLSKeys(ck.Public(), bad); err == nil {
			t.Errorf("byte %d changed: accepted", i)
		}
	}
	ck2, err := newCentralKeys(newStream("another central"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := OpenTLSKeys(ck2.Public(), st); !errors.Is(err, ErrBadSignature) || !strings.Contains(err.Error(), ck2.Public().Fingerprint()) {
		t.Errorf("another central's key: %v", err)
	}

	for _, tc := range []struct {
		name string
		b    []byte
		want string
	}{
		{"empty", nil, "not a TLS key statement"},
		{"version 2", append([]byte("OXT\x02"), st[magicLen:]...), "version 2 not supported"},
		{"no keys", append([]byte("OXT\x01\x00"), make([]byte, sigSize)...), "0 TLS keys"},
		{"too many", append([]byte("OXT\x01\x09"), make([]byte, 9*32+sigSize)...), "9 TLS keys"},
		{"cut", st[:len(st)-1], "signature"},
		{"trailing", append(bytes.Clone(st), 0), "trailing"},
	} {
		if _, err := OpenTLSKeys(ck.Public(), tc.b); !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
	for _, n := range []int{0, MaxTLSKeys + 1} {
		if _, err := SignTLSKeys(ck, make([]Hash, n)); err == nil {
			t.Errorf("signed %d keys", n)
		}
	}
}

func TestParseFingerprint(t *testing.T) {
	ck := testCentral(t)
	cert := testCertificate(t)
	keyFP := ck.Public().Fingerprint()
	certFP := TLSFingerprint(CertificateHash(cert))
	spkiHex := SPKIHash(cert).String()
	if len(certFP) != 95 || strings.ToUpper(strings.ReplaceAll(certFP, ":", "")) != strings.ToUpper(CertificateHash(cert).String()) {
		t.Fatalf("TLSFingerprint = %q", certFP)
	}
	for _, tc := range []struct {
		name, in   string
		key, match bool // a key fingerprint of ck; a TLS hash of cert
	}{
		{"key as shown", keyFP, true, false},
		{"key lower case, spaces", strings.ToLower(strings.ReplaceAll(keyFP, "-", " ")), true, false},
		{"key full-width", toFullWidth(keyFP), true, false},
		{"certificate as openssl prints it", certFP, false, true},
		{"certificate in lower case, no colons", strings.ToLower(strings.ReplaceAll(certFP, ":", "")), false, true},
		{"certificate full-width", toFullWidth(certFP), false, true},
		{"certificate with spaces", strings.ReplaceAll(certFP, ":", " "), false, true},
		{"public key hash", spkiHex, false, true},
	} {
		f, err := ParseFingerprint(" " + tc.in + "\n")
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if f.IsZero() || f.IsKey() != tc.key || f.IsTLS() == tc.key {
			t.Errorf("%s: parsed as %+v", tc.name, f)
		}
		if f.MatchesKey(ck.Public()) != tc.key || f.MatchesCertificate(cert) != tc.match {
			t.Errorf("%s: matches key %v, certificate %v", tc.name, f.MatchesKey(ck.Public()), f.MatchesCertificate(cert))
		}
		if tc.key && f.String() != keyFP || !tc.key && f.String() != TLSFingerprint(mustHash(t, tc.in)) {
			t.Errorf("%s: String() = %q", tc.name, f.String())
		}
	}
	if f, err := ParseFingerprint("  "); err != nil || !f.IsZero() || f.String() != "" {
		t.Errorf("blank: %+v %v", f, err)
	}
	other := testCertificate(t)
	if f, _ := ParseFingerprint(certFP); f.MatchesCertificate(other) || f.MatchesKey(ck.Public()) {
		t.Error("a certificate's fingerprint matches another certificate or a key")
	}
	for _, bad := range []string{"7GQX-M3KD-0ZPA", "7GQX-M3KD-0ZPA-RT4U", certFP[:94], certFP + ":00", strings.Repeat("Z", 64), strings.Repeat("A", 600)} {
		if _, err := ParseFingerprint(bad); !errors.Is(err, ErrFingerprint) {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

// mustHash reads the hex digits of a typed SHA-256.
func mustHash(t *testing.T, s string) Hash {
	f, err := ParseFingerprint(s)
	if err != nil || !f.IsTLS() {
		t.Fatalf("%q: %v", s, err)
	}
	return f.tls
}

// FuzzParseFingerprint: staff type the fingerprint at the site's first
// run. Whatever they type, parsing never panics, and what it accepts reads
// back the same from its String.
func FuzzParseFingerprint(f *testing.F) {
	f.Add("7GQX-M3KD-0ZPA-RT4E")
	f.Add(TLSFingerprint(sum([]byte("certificate"))))
	f.Add("ｆｆ:" + strings.Repeat("0", 62))
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		fp, err := ParseFingerprint(s)
		if err != nil || fp.IsZero() {
			return
		}
		again, err := ParseFingerprint(fp.String())
		if err != nil || again != fp {
			t.Fatalf("%q parsed as %q, which reads back as %+v, %v", s, fp, again, err)
		}
	})
}

// FuzzOpenTLSKeys: the statement comes from whoever answers at central's
// address before the site trusts it.
func FuzzOpenTLSKeys(f *testing.F) {
	ck := testCentral(f)
	want := []Hash{sum([]byte("key"))}
	st, err := SignTLSKeys(ck, want)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(st)
	f.Add(st[:len(st)-1])
	f.Add([]byte("OXT\x01\xff"))
	f.Fuzz(func(t *testing.T, b []byte) {
		keys, err := OpenTLSKeys(ck.Public(), b)
		if err == nil && (!bytes.Equal(b, st) || len(keys) != 1 || keys[0] != want[0]) {
			t.Fatalf("a new statement verified: %x", keys)
		}
	})
}

package seal

import (
	"crypto/ed25519"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"unicode"
)

// The TLS side of central's identity: the hashes a site pins, the
// fingerprints staff compare and type, and central's signed word on which
// TLS keys are its own.

var magicTLSKeys = [magicLen]byte{'O', 'X', 'T', 1}

// MaxTLSKeys is the most TLS keys one statement of central names.
const MaxTLSKeys = 8

// SPKIHash is the SHA-256 of a certificate's SubjectPublicKeyInfo (DER):
// what a site pins. A certificate renewed with the same key keeps it.
func SPKIHash(cert *x509.Certificate) Hash { return sum(cert.RawSubjectPublicKeyInfo) }

// CertificateHash is the SHA-256 of a certificate's DER encoding: the
// "SHA-256 fingerprint" that openssl and browsers show.
func CertificateHash(cert *x509.Certificate) Hash { return sum(cert.Raw) }

// TLSFingerprint writes a SHA-256 as openssl x509 -fingerprint -sha256 does:
// upper-case hex, the bytes joined by colons.
func TLSFingerprint(h Hash) string {
	var b strings.Builder
	for i, c := range h {
		if i > 0 {
			b.WriteByte(':')
		}
		fmt.Fprintf(&b, "%02X", c)
	}
	return b.String()
}

// ErrFingerprint: text that is neither a key fingerprint nor a SHA-256.
var ErrFingerprint = errors.New("not a fingerprint")

// Fingerprint is what staff type to name the central they mean: central's
// key fingerprint (16 Crockford symbols, as CentralPublicKey.Fingerprint
// writes it) or the SHA-256 of central's TLS certificate or of its public
// key (64 hex digits, colons and spaces allowed). The zero Fingerprint is
// none given.
type Fingerprint struct {
	key  string // the key fingerprint as Fingerprint writes it
	tls  Hash
	isTL bool
}

// IsZero reports whether no fingerprint was given.
func (f Fingerprint) IsZero() bool { return f.key == "" && !f.isTL }

// IsKey reports whether f is a key fingerprint of central.
func (f Fingerprint) IsKey() bool { return f.key != "" }

// IsTLS reports whether f is a SHA-256 of a TLS certificate or public key.
func (f Fingerprint) IsTLS() bool { return f.isTL }

// TLSHash is the SHA-256 of an IsTLS fingerprint; zero otherwise.
func (f Fingerprint) TLSHash() Hash { return f.tls }

// String writes f as it is shown: XXXX-XXXX-XXXX-XXXX, or hex pairs
// joined by colons.
func (f Fingerprint) String() string {
	switch {
	case f.key != "":
		return f.key
	case f.isTL:
		return TLSFingerprint(f.tls)
	}
	return ""
}

// MatchesKey reports whether f is the fingerprint of central's key pub, or
// of its key of release 1 (what a central printed before its hybrid key).
func (f Fingerprint) MatchesKey(pub *CentralPublicKey) bool {
	return f.key != "" && (f.key == pub.Fingerprint() || f.key == pub.V1().Fingerprint())
}

// MatchesCertificate reports whether f is the SHA-256 of cert or of its
// public key.
func (f Fingerprint) MatchesCertificate(cert *x509.Certificate) bool {
	return f.isTL && (f.tls == CertificateHash(cert) || f.tls == SPKIHash(cert))
}

// maxFingerprintInput bounds what ParseFingerprint reads.
const maxFingerprintInput = 512

// ParseFingerprint reads a fingerprint as staff type or paste it: empty
// (or white space) is none; 16 Crockford symbols, read as receipt codes are
// (case, dashes and spaces do not matter; I, L and O read as 1, 1 and 0), are
// a key fingerprint; 64 hex digits, with any colons or white space, are a
// SHA-256. Anything else wraps ErrFingerprint.
func ParseFingerprint(s string) (Fingerprint, error) {
	if len(s) > maxFingerprintInput {
		return Fingerprint{}, fmt.Errorf("%w: %d bytes long", ErrFingerprint, len(s))
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return Fingerprint{}, nil
	}
	digits := strings.Map(func(r rune) rune {
		if r = halfWidth(r); r == ':' || unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
	if len(digits) == 2*len(Hash{}) {
		var f Fingerprint
		if _, err := hex.Decode(f.tls[:], []byte(digits)); err == nil {
			f.isTL = true
			return f, nil
		}
	}
	code, err := ParseReceiptCode(s)
	if err != nil {
		return Fingerprint{}, fmt.Errorf("%w: %q is neither central's key fingerprint (16 characters such as 7GQX-M3KD-0ZPA-RT4E) nor a SHA-256 (64 hexadecimal digits)", ErrFingerprint, s)
	}
	return Fingerprint{key: groups(crockfordEncoding.EncodeToString(code[:]), 4)}, nil
}

// SignTLSKeys is central's word that the TLS keys whose SPKI hashes are
// given are its own: OXT\x01 || u8 count (1..MaxTLSKeys) || the hashes ||
// Ed25519 signature by central over all before it. A site that is given
// central's key fingerprint, and sees a certificate no root it trusts
// vouches for, pins the certificate's key only if central's statement names
// it.
func SignTLSKeys(ck *CentralKeys, spki []Hash) ([]byte, error) {
	if len(spki) == 0 || len(spki) > MaxTLSKeys {
		return nil, fmt.Errorf("seal: %d TLS keys, want 1 to %d", len(spki), MaxTLSKeys)
	}
	b := append(magicTLSKeys[:], byte(len(spki)))
	for _, h := range spki {
		b = append(b, h[:]...)
	}
	return append(b, ed25519.Sign(ck.sign, b)...), nil
}

// OpenTLSKeys checks central's signature on a statement made by SignTLSKeys
// and returns the SPKI hashes it names.
func OpenTLSKeys(pub *CentralPublicKey, b []byte) ([]Hash, error) {
	r := newReader("TLS key statement", b, magicTLSKeys)
	start := r.off
	n := int(r.u8("count"))
	if r.err == nil && (n < 1 || n > MaxTLSKeys) {
		r.failAt(start, "count", "%d TLS keys, want 1 to %d", n, MaxTLSKeys)
	}
	var keys []Hash
	for i := 0; i < n && r.err == nil; i++ {
		keys = append(keys, r.hash(fmt.Sprintf("key %d", i+1)))
	}
	signed := b[:min(r.off, len(b))]
	sig := r.bytes("signature", sigSize)
	if err := r.end(); err != nil {
		return nil, err
	}
	if !ed25519.Verify(pub.sign, signed, sig) {
		return nil, fmt.Errorf("%w: TLS key statement not signed by central key %s", ErrBadSignature, pub.Fingerprint())
	}
	return keys, nil
}

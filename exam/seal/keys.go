package seal

import (
	"bytes"
	"crypto/ecdh"
	"crypto/ed25519"
	"crypto/hkdf"
	"crypto/hpke"
	"crypto/mlkem"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// Key types, the byte after the OXK magic. Central's keys of release 1
// (types 1 and 2) still parse; central upgrades its own to type 5.
const (
	keyCentralPrivate   byte = 1 // Ed25519 seed, X25519 private key
	keyCentralPublic    byte = 2 // Ed25519 public key, X25519 public key
	keyDevicePrivate    byte = 3
	keyDevicePublic     byte = 4
	keyCentralPrivateV2 byte = 5 // type 1's material, then the MLKEM768-X25519 seed
	keyCentralPublicV2  byte = 6 // type 2's material, then the MLKEM768-X25519 public key
)

var (
	kem       = hpke.DHKEM(ecdh.X25519()) // v1 envelopes
	hybridKEM = hpke.MLKEM768X25519()     // v2 envelopes: X-Wing, draft-ietf-hpke-pq
)

// Sizes of the hybrid receiving key: its private key is a 32-byte seed, its
// public key an ML-KEM-768 encapsulation key and an X25519 public key.
const (
	hybridSeedSize   = 32
	hybridPublicSize = mlkem.EncapsulationKeySize768 + 32
)

// Salts of what central derives from its Ed25519 seed and X25519 private
// key: the secrets key, and the hybrid seed of an upgraded key of release 1.
const (
	secretsSalt  = "onex central secrets v1"
	certRootSalt = "onex central certificate root v1"
	learnerSalt  = "onex central learner key v1"
	upgradeSalt  = "onex central hybrid v1"
)

// crockford is Crockford's base32 alphabet: digits and upper-case letters
// without I, L, O and U.
const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

var crockfordEncoding = base32.NewEncoding(crockford).WithPadding(base32.NoPadding)

// fingerprint is Crockford base32 of the first 10 bytes (80 bits) of the
// SHA-256 of a public key's encoding, in four groups of four.
func fingerprint(encoded []byte) string {
	h := sum(encoded)
	return groups(crockfordEncoding.EncodeToString(h[:10]), 4)
}

// groups joins s in groups of n characters with dashes.
func groups(s string, n int) string {
	var b strings.Builder
	for i := 0; i < len(s); i += n {
		if i > 0 {
			b.WriteByte('-')
		}
		b.WriteString(s[i:min(i+n, len(s))])
	}
	return b.String()
}

// CentralKeys are central's private keys: Ed25519 for signing packages and
// receipts, HPKE DHKEM(X25519) for receiving version 1 envelopes and HPKE
// MLKEM768-X25519 for receiving version 2 envelopes.
type CentralKeys struct {
	sign       ed25519.PrivateKey
	recv       hpke.PrivateKey
	recvBytes  []byte          // recv as RFC 9180 serialises it
	hybrid     hpke.PrivateKey // nil in a key of release 1 (type 1)
	hybridSeed []byte
	pub        *CentralPublicKey
}

// CentralPublicKey is what every device knows of central. A device seals
// version 2 envelopes to a key that has the hybrid part (type 6), version 1
// envelopes to one of release 1 (type 2).
type CentralPublicKey struct {
	sign   ed25519.PublicKey
	recv   hpke.PublicKey
	hybrid hpke.PublicKey // nil in a key of release 1
}

// DeviceKey is a device's Ed25519 signing key.
type DeviceKey struct {
	sign ed25519.PrivateKey
	pub  *DevicePublicKey
}

// DevicePublicKey is what central registers for a device at enrolment.
type DevicePublicKey struct {
	sign ed25519.PublicKey
}

// GenerateCentralKeys makes central's key pair from crypto/rand.
func GenerateCentralKeys() (*CentralKeys, error) { return newCentralKeys(rand.Reader) }

// newCentralKeys reads the Ed25519 seed, the X25519 private key and the
// MLKEM768-X25519 seed from r.
func newCentralKeys(r io.Reader) (*CentralKeys, error) {
	var b [2*32 + hybridSeedSize]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return nil, fmt.Errorf("seal: generating central keys: %w", err)
	}
	return centralKeysFrom(b[:32], b[32:64], b[64:])
}

// centralKeysFrom makes central's keys from their material; a nil hybrid
// seed makes keys of release 1.
func centralKeysFrom(seed, x25519, hybridSeed []byte) (*CentralKeys, error) {
	recv, err := kem.NewPrivateKey(x25519)
	if err != nil {
		return nil, fmt.Errorf("seal: central receiving key: %w", err)
	}
	recvBytes, err := recv.Bytes()
	if err != nil {
		return nil, fmt.Errorf("seal: central receiving key: %w", err)
	}
	sign := ed25519.NewKeyFromSeed(seed)
	k := &CentralKeys{
		sign:      sign,
		recv:      recv,
		recvBytes: recvBytes,
		pub:       &CentralPublicKey{sign: sign.Public().(ed25519.PublicKey), recv: recv.PublicKey()},
	}
	if hybridSeed != nil {
		if k.hybrid, err = hybridKEM.NewPrivateKey(hybridSeed); err != nil {
			return nil, fmt.Errorf("seal: central hybrid receiving key: %w", err)
		}
		k.hybridSeed = bytes.Clone(hybridSeed)
		k.pub.hybrid = k.hybrid.PublicKey()
	}
	return k, nil
}

// Public returns central's public keys.
func (k *CentralKeys) Public() *CentralPublicKey { return k.pub }

// Hybrid reports whether the keys hold the MLKEM768-X25519 receiving key
// (type 5), and so open version 2 envelopes.
func (k *CentralKeys) Hybrid() bool { return k.hybrid != nil }

// Upgrade returns keys that hold the hybrid receiving key: k itself if it
// has one; for keys of release 1, the same keys with a hybrid seed derived
// from them (HKDF-SHA-256 over the Ed25519 seed and the X25519 private key,
// salt "onex central hybrid v1", 32 bytes). Every copy of one central.key
// upgrades to the same hybrid key, so central processes sharing a database
// agree without talking to each other. The signing key, the X25519 key and
// the secrets key stay as they were.
func (k *CentralKeys) Upgrade() *CentralKeys {
	if k.hybrid != nil {
		return k
	}
	up, err := centralKeysFrom(k.sign.Seed(), k.recvBytes, k.derive(upgradeSalt, hybridSeedSize))
	if err != nil {
		panic(err) // the same material parsed a moment ago; a 32-byte hybrid seed always makes a key
	}
	return up
}

// V1 returns the keys as release 1 held them, without the hybrid receiving
// key (type 1). Central does not run on them (server.Open upgrades them);
// they stand for a central of release 1 in tests.
func (k *CentralKeys) V1() *CentralKeys {
	return &CentralKeys{sign: k.sign, recv: k.recv, recvBytes: k.recvBytes, pub: k.pub.V1()}
}

// derive is HKDF-SHA-256 over the Ed25519 seed and the X25519 private key
// with the given salt, n bytes.
func (k *CentralKeys) derive(salt string, n int) []byte {
	out, err := hkdf.Key(sha256.New, append(k.sign.Seed(), k.recvBytes...), []byte(salt), "", n)
	if err != nil {
		panic("seal: " + err.Error()) // only for lengths HKDF-SHA-256 cannot give
	}
	return out
}

// SecretsKey is the key central seals its own secrets with at rest (the
// unlock codes it keeps to read out), used with SealField and OpenField. It
// is derived, not stored: HKDF-SHA-256 over the Ed25519 seed and the X25519
// private key, salt "onex central secrets v1", 40 bytes: the key id (8),
// then the key (32). A copy of central's database alone opens nothing. The
// hybrid seed takes no part, so upgrading a key of release 1 keeps it.
func (k *CentralKeys) SecretsKey() *StoreKey {
	out := k.derive(secretsSalt, keyIDSize+keySize)
	sk := &StoreKey{}
	copy(sk.id[:], out[:keyIDSize])
	copy(sk.key[:], out[keyIDSize:])
	return sk
}

// CertificateRoot is the Ed25519 key that signs the trust list of the
// certificate issuer keys (exam/credential). It is derived, never stored:
// HKDF-SHA-256 over the Ed25519 seed and the X25519 private key, salt "onex
// central certificate root v1", 32 bytes, as the Ed25519 seed. A key of its
// own, not central's signing key, so that nothing central signs for devices
// can be taken for a trust list; devices learn its public half in a package
// central signs. The upgrade of a key of release 1 keeps it.
func (k *CentralKeys) CertificateRoot() ed25519.PrivateKey {
	return ed25519.NewKeyFromSeed(k.derive(certRootSalt, ed25519.SeedSize))
}

// LearnerKey is the HMAC-SHA-256 key of the credit bank's learner accounts
// [added: issue 17]: an account's id is HMAC-SHA-256(LearnerKey, the
// normalised resident ID number), so that a copy of central's database
// alone cannot test guesses of ID numbers against the accounts. It is
// derived, never stored: HKDF-SHA-256 over the Ed25519 seed and the X25519
// private key, salt "onex central learner key v1", 32 bytes. The upgrade of
// a key of release 1 keeps it.
func (k *CentralKeys) LearnerKey() []byte {
	return k.derive(learnerSalt, keySize)
}

// Marshal encodes the private keys: OXK1, type 5, Ed25519 seed, X25519
// private key (clamped, as RFC 9180 serialises it), MLKEM768-X25519 seed;
// keys of release 1 as type 1, without the seed.
func (k *CentralKeys) Marshal() []byte {
	typ := keyCentralPrivate
	if k.hybrid != nil {
		typ = keyCentralPrivateV2
	}
	b := append(magicKey[:], typ)
	b = append(b, k.sign.Seed()...)
	b = append(b, k.recvBytes...)
	return append(b, k.hybridSeed...)
}

// ParseCentralKeys decodes what CentralKeys.Marshal produced: type 5, or
// type 1 of release 1 (keys without the hybrid part; see Upgrade).
func ParseCentralKeys(b []byte) (*CentralKeys, error) {
	r, typ := newKeyReader("central private key", b, keyCentralPrivate, keyCentralPrivateV2)
	seed := r.bytes("Ed25519 seed", ed25519.SeedSize)
	x := r.bytes("X25519 private key", 32)
	var hybridSeed []byte
	if typ == keyCentralPrivateV2 {
		hybridSeed = r.bytes("MLKEM768-X25519 seed", hybridSeedSize)
	}
	if err := r.end(); err != nil {
		return nil, err
	}
	k, err := centralKeysFrom(seed, x, hybridSeed)
	if err != nil {
		return nil, err
	}
	// One key, one encoding: X25519 ignores the bits clamping sets, so an
	// unclamped scalar would be a second file for the same key.
	if !bytes.Equal(k.recvBytes, x) {
		return nil, fmt.Errorf("%w central private key: X25519 private key is not clamped as Marshal writes it", ErrFormat)
	}
	return k, nil
}

// Hybrid reports whether the key has the MLKEM768-X25519 part (type 6):
// records sealed to it are version 2 envelopes.
func (p *CentralPublicKey) Hybrid() bool { return p.hybrid != nil }

// V1 returns the key as release 1 knew it, without the hybrid part (type 2).
func (p *CentralPublicKey) V1() *CentralPublicKey {
	return &CentralPublicKey{sign: p.sign, recv: p.recv}
}

// Marshal encodes central's public keys: OXK1, type 6, Ed25519 public key,
// X25519 public key, MLKEM768-X25519 public key; a key of release 1 as type
// 2, without the last.
func (p *CentralPublicKey) Marshal() []byte {
	typ := keyCentralPublic
	if p.hybrid != nil {
		typ = keyCentralPublicV2
	}
	b := append(magicKey[:], typ)
	b = append(b, p.sign...)
	b = append(b, p.recv.Bytes()...)
	if p.hybrid != nil {
		b = append(b, p.hybrid.Bytes()...)
	}
	return b
}

// ParseCentralPublicKey decodes what CentralPublicKey.Marshal produced: type
// 6, or type 2 of release 1.
func ParseCentralPublicKey(b []byte) (*CentralPublicKey, error) {
	r, typ := newKeyReader("central public key", b, keyCentralPublic, keyCentralPublicV2)
	sign := r.bytes("Ed25519 public key", ed25519.PublicKeySize)
	x := r.bytes("X25519 public key", 32)
	start := r.off
	var h []byte
	if typ == keyCentralPublicV2 {
		h = r.bytes("MLKEM768-X25519 public key", hybridPublicSize)
	}
	if err := r.end(); err != nil {
		return nil, err
	}
	recv, err := kem.NewPublicKey(x)
	if err != nil {
		return nil, fmt.Errorf("%w central public key: X25519 public key: %v", ErrFormat, err)
	}
	p := &CentralPublicKey{sign: bytes.Clone(sign), recv: recv}
	if h != nil {
		if p.hybrid, err = hybridKEM.NewPublicKey(h); err != nil {
			return nil, fmt.Errorf("%w central public key: MLKEM768-X25519 public key at offset %d: %v", ErrFormat, start, err)
		}
	}
	return p, nil
}

// Fingerprint is a short printable digest of the public keys, such as
// "7GQX-M3KD-0ZPA-RT4E", for staff to compare by eye. A hybrid key and its
// V1 have different fingerprints.
func (p *CentralPublicKey) Fingerprint() string { return fingerprint(p.Marshal()) }

// The package in which central signs its public key (SignCentralKey).
const (
	centralKeyPackage = "central-key"
	CentralKeyPart    = "central.key" // the part: the key's encoding
)

// SignCentralKey signs central's public key for devices that trust only its
// Ed25519 key, such as those enrolled before central held the hybrid key: a
// package manifest with package id "central-key", no session, and the one
// part CentralKeyPart, ck.Public().Marshal(). It returns the signed manifest.
func SignCentralKey(ck *CentralKeys, created time.Time) ([]byte, error) {
	if ck.hybrid == nil {
		return nil, fmt.Errorf("seal: central key %s has no hybrid part to sign", ck.pub.Fingerprint())
	}
	return SignManifest(ck, &Manifest{PackageID: centralKeyPackage, Created: created, Parts: []Part{NewPart(CentralKeyPart, ck.pub.Marshal())}})
}

// OpenCentralKey checks a key that SignCentralKey signed against the key a
// device trusts and returns the key the device is to hold from now on. The
// signature must verify under trusted's Ed25519 key (ErrBadSignature) and
// the manifest list exactly key (ErrBadPart). The signed key must be
// hybrid, hold the same Ed25519 and X25519 keys as trusted and, when trusted
// is hybrid already, the same hybrid key (else ErrWrongKey): it adds the
// hybrid part, and never replaces or removes a key.
func OpenCentralKey(trusted *CentralPublicKey, manifest, key []byte) (*CentralPublicKey, error) {
	pkg, err := OpenPackage(trusted, manifest, map[string][]byte{CentralKeyPart: key})
	if err != nil {
		return nil, err
	}
	if m := pkg.Manifest(); m.PackageID != centralKeyPackage || m.SessionID != "" {
		return nil, fmt.Errorf("%w: package %q of session %q is not central's signed key", ErrBadPart, m.PackageID, m.SessionID)
	}
	k, err := ParseCentralPublicKey(key)
	if err != nil {
		return nil, err
	}
	switch {
	case k.hybrid == nil:
		return nil, fmt.Errorf("%w: signed central key %s has no hybrid part", ErrWrongKey, k.Fingerprint())
	case !bytes.Equal(k.V1().Marshal(), trusted.V1().Marshal()):
		return nil, fmt.Errorf("%w: signed central key %s is not an extension of the trusted key %s", ErrWrongKey, k.Fingerprint(), trusted.Fingerprint())
	case trusted.hybrid != nil && !bytes.Equal(k.Marshal(), trusted.Marshal()):
		return nil, fmt.Errorf("%w: signed central key %s has another hybrid key than the trusted key %s", ErrWrongKey, k.Fingerprint(), trusted.Fingerprint())
	}
	return k, nil
}

// GenerateDeviceKey makes a device's key from crypto/rand.
func GenerateDeviceKey() (*DeviceKey, error) { return newDeviceKey(rand.Reader) }

// newDeviceKey reads the Ed25519 seed from r.
func newDeviceKey(r io.Reader) (*DeviceKey, error) {
	seed := make([]byte, ed25519.SeedSize)
	if _, err := io.ReadFull(r, seed); err != nil {
		return nil, fmt.Errorf("seal: generating device key: %w", err)
	}
	return deviceKeyFrom(seed), nil
}

func deviceKeyFrom(seed []byte) *DeviceKey {
	sign := ed25519.NewKeyFromSeed(seed)
	return &DeviceKey{sign: sign, pub: &DevicePublicKey{sign: sign.Public().(ed25519.PublicKey)}}
}

// Public returns the device's public key.
func (k *DeviceKey) Public() *DevicePublicKey { return k.pub }

// Marshal encodes the private key: OXK1, type 3, Ed25519 seed.
func (k *DeviceKey) Marshal() []byte {
	return append(append(magicKey[:], keyDevicePrivate), k.sign.Seed()...)
}

// ParseDeviceKey decodes what DeviceKey.Marshal produced.
func ParseDeviceKey(b []byte) (*DeviceKey, error) {
	r, _ := newKeyReader("device private key", b, keyDevicePrivate)
	seed := r.bytes("Ed25519 seed", ed25519.SeedSize)
	if err := r.end(); err != nil {
		return nil, err
	}
	return deviceKeyFrom(seed), nil
}

// Marshal encodes the public key: OXK1, type 4, Ed25519 public key.
func (p *DevicePublicKey) Marshal() []byte {
	return append(append(magicKey[:], keyDevicePublic), p.sign...)
}

// ParseDevicePublicKey decodes what DevicePublicKey.Marshal produced.
func ParseDevicePublicKey(b []byte) (*DevicePublicKey, error) {
	r, _ := newKeyReader("device public key", b, keyDevicePublic)
	sign := r.bytes("Ed25519 public key", ed25519.PublicKeySize)
	if err := r.end(); err != nil {
		return nil, err
	}
	return &DevicePublicKey{sign: bytes.Clone(sign)}, nil
}

// Fingerprint is a short printable digest of the key, such as
// "7GQX-M3KD-0ZPA-RT4E", for staff to compare by eye at enrolment.
func (p *DevicePublicKey) Fingerprint() string { return fingerprint(p.Marshal()) }

// keyID is the first 8 bytes of the SHA-256 of the key's encoding: the
// fingerprint's first 64 bits, carried in envelopes.
func (p *DevicePublicKey) keyID() [8]byte {
	h := sum(p.Marshal())
	return [8]byte(h[:8])
}

// newKeyReader reads the magic and the key type, which must be one of
// types, and returns it.
func newKeyReader(format string, b []byte, types ...byte) (*reader, byte) {
	r := newReader(format, b, magicKey)
	t := r.u8("type")
	if r.err == nil && !slices.Contains(types, t) {
		want := fmt.Sprint(types[0])
		if len(types) > 1 {
			want = fmt.Sprintf("%d or %d", types[0], types[1])
		}
		r.failAt(r.off-1, "type", "key type %d, want %s", t, want)
	}
	return r, t
}

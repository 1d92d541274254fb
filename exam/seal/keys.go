package seal

import (
	"bytes"
	"crypto/ecdh"
	"crypto/ed25519"
	"crypto/hkdf"
	"crypto/hpke"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"fmt"
	"io"
	"strings"
)

// Key types, the byte after the OXK magic.
const (
	keyCentralPrivate byte = 1
	keyCentralPublic  byte = 2
	keyDevicePrivate  byte = 3
	keyDevicePublic   byte = 4
)

var kem = hpke.DHKEM(ecdh.X25519())

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
// receipts, HPKE X25519 for receiving records.
type CentralKeys struct {
	sign      ed25519.PrivateKey
	recv      hpke.PrivateKey
	recvBytes []byte // recv as RFC 9180 serialises it
	pub       *CentralPublicKey
}

// CentralPublicKey is what every device knows of central.
type CentralPublicKey struct {
	sign ed25519.PublicKey
	recv hpke.PublicKey
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

// newCentralKeys reads the Ed25519 seed then the X25519 private key from r.
func newCentralKeys(r io.Reader) (*CentralKeys, error) {
	var b [2 * 32]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return nil, fmt.Errorf("seal: generating central keys: %w", err)
	}
	return centralKeysFrom(b[:32], b[32:])
}

func centralKeysFrom(seed, x25519 []byte) (*CentralKeys, error) {
	recv, err := kem.NewPrivateKey(x25519)
	if err != nil {
		return nil, fmt.Errorf("seal: central receiving key: %w", err)
	}
	recvBytes, err := recv.Bytes()
	if err != nil {
		return nil, fmt.Errorf("seal: central receiving key: %w", err)
	}
	sign := ed25519.NewKeyFromSeed(seed)
	return &CentralKeys{
		sign:      sign,
		recv:      recv,
		recvBytes: recvBytes,
		pub:       &CentralPublicKey{sign: sign.Public().(ed25519.PublicKey), recv: recv.PublicKey()},
	}, nil
}

// Public returns central's public keys.
func (k *CentralKeys) Public() *CentralPublicKey { return k.pub }

// SecretsKey is the key central seals its own secrets with at rest (the
// unlock codes it keeps to read out), used with SealField and OpenField. It
// is derived, not stored: HKDF-SHA-256 over the Ed25519 seed and the X25519
// private key, salt "onex central secrets v1", 40 bytes: the key id (8),
// then the key (32). A copy of central's database alone opens nothing.
func (k *CentralKeys) SecretsKey() *StoreKey {
	out, err := hkdf.Key(sha256.New, append(k.sign.Seed(), k.recvBytes...), []byte("onex central secrets v1"), "", keyIDSize+keySize)
	if err != nil {
		panic("seal: " + err.Error()) // only for lengths HKDF-SHA-256 cannot give
	}
	sk := &StoreKey{}
	copy(sk.id[:], out[:keyIDSize])
	copy(sk.key[:], out[keyIDSize:])
	return sk
}

// Marshal encodes the private keys: OXK1, type 1, Ed25519 seed, X25519
// private key (clamped, as RFC 9180 serialises it).
func (k *CentralKeys) Marshal() []byte {
	b := append(magicKey[:], keyCentralPrivate)
	b = append(b, k.sign.Seed()...)
	return append(b, k.recvBytes...)
}

// ParseCentralKeys decodes what CentralKeys.Marshal produced.
func ParseCentralKeys(b []byte) (*CentralKeys, error) {
	r := newKeyReader("central private key", b, keyCentralPrivate)
	seed := r.bytes("Ed25519 seed", ed25519.SeedSize)
	x := r.bytes("X25519 private key", 32)
	if err := r.end(); err != nil {
		return nil, err
	}
	k, err := centralKeysFrom(seed, x)
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

// Marshal encodes central's public keys: OXK1, type 2, Ed25519 public key,
// X25519 public key.
func (p *CentralPublicKey) Marshal() []byte {
	b := append(magicKey[:], keyCentralPublic)
	b = append(b, p.sign...)
	return append(b, p.recv.Bytes()...)
}

// ParseCentralPublicKey decodes what CentralPublicKey.Marshal produced.
func ParseCentralPublicKey(b []byte) (*CentralPublicKey, error) {
	r := newKeyReader("central public key", b, keyCentralPublic)
	sign := r.bytes("Ed25519 public key", ed25519.PublicKeySize)
	x := r.bytes("X25519 public key", 32)
	if err := r.end(); err != nil {
		return nil, err
	}
	recv, err := kem.NewPublicKey(x)
	if err != nil {
		return nil, fmt.Errorf("%w central public key: X25519 public key: %v", ErrFormat, err)
	}
	return &CentralPublicKey{sign: bytes.Clone(sign), recv: recv}, nil
}

// Fingerprint is a short printable digest of the public keys, such as
// "7GQX-M3KD-0ZPA-RT4E", for staff to compare by eye.
func (p *CentralPublicKey) Fingerprint() string { return fingerprint(p.Marshal()) }

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
	r := newKeyReader("device private key", b, keyDevicePrivate)
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
	r := newKeyReader("device public key", b, keyDevicePublic)
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

func newKeyReader(format string, b []byte, typ byte) *reader {
	r := newReader(format, b, magicKey)
	if t := r.u8("type"); r.err == nil && t != typ {
		r.failAt(r.off-1, "type", "key type %d, want %d", t, typ)
	}
	return r
}

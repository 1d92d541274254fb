package seal

import (
	"crypto/ed25519"
	"crypto/hpke"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// Limits of the envelope format.
const (
	MaxRecordSize = 16 << 20 // bytes of one record's plaintext
	maxDeviceID   = 128
	maxKind       = 64
	encSize       = 32 // HPKE encapsulated key of DHKEM(X25519)
)

// hpkeInfo is the HPKE info string of version 1 envelopes.
const hpkeInfo = "OneX record v1"

var (
	hpkeKDF  = hpke.HKDFSHA256()
	hpkeAEAD = hpke.ChaCha20Poly1305()
)

// Header is an envelope's clear-text header: who sent the record, where it
// sits in the device's chain, and what kind of record it is.
type Header struct {
	RecordID uuid.UUID // a UUIDv7 assigned by SealRecord
	DeviceID string    // 1 to 128 bytes, assigned at enrolment
	Epoch    uint64    // the device store's epoch
	Seq      uint64    // per device and epoch
	Prev     Hash      // hash of the device's previous envelope; zero for the first
	Kind     string    // 1 to 64 bytes, such as "answer" or "check-in"
	Created  time.Time // device wall time
}

func (h *Header) check() error {
	if err := checkStr("device id", h.DeviceID, 1, maxDeviceID); err != nil {
		return err
	}
	if err := checkStr("record kind", h.Kind, 1, maxKind); err != nil {
		return err
	}
	return checkTime("record created", h.Created)
}

// Envelope is a sealed record as SealRecord made it.
type Envelope struct {
	Header Header // with the RecordID SealRecord assigned
	Bytes  []byte // what goes to central, byte for byte on every retry
	Hash   Hash   // EnvelopeHash(Bytes): the Prev of the device's next record
}

// Record is an envelope opened by central.
type Record struct {
	Header    Header // authenticated by the device's signature
	Plaintext []byte
	Hash      Hash // EnvelopeHash of the envelope
}

// EnvelopeHash is an envelope's content identity: the SHA-256 of its bytes.
func EnvelopeHash(envelope []byte) Hash { return sum(envelope) }

// SealRecord signs plaintext with the device key, seals it to central with
// HPKE and wraps it in an envelope that the device signs too. h.RecordID must
// be zero: SealRecord assigns a fresh UUIDv7.
func SealRecord(dk *DeviceKey, central *CentralPublicKey, h Header, plaintext []byte) (*Envelope, error) {
	if h.RecordID != uuid.Nil {
		return nil, fmt.Errorf("seal: record id %s given; SealRecord assigns it", h.RecordID)
	}
	id, err := uuid.NewV7()
	if err != nil {
		return nil, fmt.Errorf("seal: record id: %w", err)
	}
	h.RecordID = id
	return sealRecord(dk, central, h, plaintext)
}

// sealRecord seals under the record id in h. Only the HPKE ephemeral key is
// random.
func sealRecord(dk *DeviceKey, central *CentralPublicKey, h Header, plaintext []byte) (*Envelope, error) {
	if err := h.check(); err != nil {
		return nil, err
	}
	if len(plaintext) > MaxRecordSize {
		return nil, fmt.Errorf("seal: %s record is %d bytes, limit %d", h.Kind, len(plaintext), MaxRecordSize)
	}
	h.Created = time.Unix(0, h.Created.UnixNano()).UTC() // as central will read it
	header := appendHeader(dk.pub.keyID(), &h)
	inner := make([]byte, 0, len(plaintext)+sigSize)
	inner = append(inner, plaintext...)
	inner = append(inner, ed25519.Sign(dk.sign, innerMessage(header, plaintext))...)
	enc, sender, err := hpke.NewSender(central.recv, hpkeKDF, hpkeAEAD, []byte(hpkeInfo))
	if err != nil {
		return nil, fmt.Errorf("seal: sealing record to central: %w", err)
	}
	ct, err := sender.Seal(header, inner)
	if err != nil {
		return nil, fmt.Errorf("seal: sealing record to central: %w", err)
	}
	b := make([]byte, 0, len(header)+encSize+4+len(ct)+sigSize)
	b = append(b, header...)
	b = append(b, enc...)
	b = binary.BigEndian.AppendUint32(b, uint32(len(ct)))
	b = append(b, ct...)
	b = append(b, ed25519.Sign(dk.sign, b)...)
	return &Envelope{Header: h, Bytes: b, Hash: sum(b)}, nil
}

// appendHeader encodes the envelope header, which is also the HPKE
// associated data.
func appendHeader(keyID [8]byte, h *Header) []byte {
	b := append(magicEnvelope[:], h.RecordID[:]...)
	b = append(b, keyID[:]...)
	b = appendStr(b, h.DeviceID)
	b = binary.BigEndian.AppendUint64(b, h.Epoch)
	b = binary.BigEndian.AppendUint64(b, h.Seq)
	b = append(b, h.Prev[:]...)
	b = appendStr(b, h.Kind)
	return appendTime(b, h.Created)
}

// innerMessage is what the device signs inside the seal: OXI1, the envelope
// header, the plaintext.
func innerMessage(header, plaintext []byte) []byte {
	m := make([]byte, 0, magicLen+len(header)+len(plaintext))
	m = append(m, magicInner[:]...)
	m = append(m, header...)
	return append(m, plaintext...)
}

// envelope is a decoded envelope, not yet verified.
type envelope struct {
	Header
	keyID  [8]byte
	header []byte // encoded header: the HPKE associated data
	enc    []byte
	ct     []byte
	signed []byte // everything the outer signature covers
	sig    []byte
}

func parseEnvelope(b []byte) (*envelope, error) {
	r := newReader("envelope", b, magicEnvelope)
	e := &envelope{}
	copy(e.RecordID[:], r.bytes("record id", 16))
	if r.err == nil && (e.RecordID.Version() != 7 || e.RecordID.Variant() != uuid.RFC4122) {
		r.failAt(r.off-16, "record id", "%s is not a UUIDv7", e.RecordID)
	}
	copy(e.keyID[:], r.bytes("device key id", 8))
	e.DeviceID = r.str("device id", 1, maxDeviceID)
	e.Epoch = r.u64("epoch")
	e.Seq = r.u64("seq")
	e.Prev = r.hash("prev")
	e.Kind = r.str("kind", 1, maxKind)
	e.Created = r.time("created")
	if r.err != nil {
		return nil, r.err
	}
	e.header = b[:r.off]
	e.enc = r.bytes("encapsulated key", encSize)
	start := r.off
	n := r.u32("ciphertext length")
	if r.err == nil && (n < sigSize+tagSize || n > MaxRecordSize+sigSize+tagSize) {
		r.failAt(start, "ciphertext length", "%d outside %d to %d", n, sigSize+tagSize, MaxRecordSize+sigSize+tagSize)
	}
	e.ct = r.bytes("ciphertext", int(n))
	e.signed = b[:r.off]
	e.sig = r.bytes("signature", sigSize)
	if err := r.end(); err != nil {
		return nil, err
	}
	return e, nil
}

// ParseHeader decodes an envelope's header without checking anything but
// its form. Central uses it to find the device key for VerifyEnvelope; the
// header is not authentic until then.
func ParseHeader(envelope []byte) (*Header, error) {
	e, err := parseEnvelope(envelope)
	if err != nil {
		return nil, err
	}
	return &e.Header, nil
}

// VerifyEnvelope checks the device's signature on an envelope, without
// decrypting anything, and returns the authenticated header.
func VerifyEnvelope(envelope []byte, device *DevicePublicKey) (*Header, error) {
	e, err := verifyEnvelope(envelope, device)
	if err != nil {
		return nil, err
	}
	return &e.Header, nil
}

func verifyEnvelope(b []byte, device *DevicePublicKey) (*envelope, error) {
	e, err := parseEnvelope(b)
	if err != nil {
		return nil, err
	}
	if e.keyID != device.keyID() {
		return nil, fmt.Errorf("%w: envelope %s from device %q is signed by key %x, not %s", ErrWrongDevice, e.RecordID, e.DeviceID, e.keyID, device.Fingerprint())
	}
	if !ed25519.Verify(device.sign, e.signed, e.sig) {
		return nil, fmt.Errorf("%w: envelope %s from device %q", ErrBadSignature, e.RecordID, e.DeviceID)
	}
	return e, nil
}

// OpenEnvelope verifies an envelope from device, decrypts it with central's
// key and verifies the device's signature on the record inside.
func OpenEnvelope(ck *CentralKeys, envelope []byte, device *DevicePublicKey) (*Record, error) {
	e, err := verifyEnvelope(envelope, device)
	if err != nil {
		return nil, err
	}
	r, err := hpke.NewRecipient(e.enc, ck.recv, hpkeKDF, hpkeAEAD, []byte(hpkeInfo))
	if err != nil {
		return nil, fmt.Errorf("%w: envelope %s: %v", ErrDecrypt, e.RecordID, err)
	}
	inner, err := r.Open(e.header, e.ct)
	if err != nil {
		return nil, fmt.Errorf("%w: envelope %s: not sealed to central key %s", ErrDecrypt, e.RecordID, ck.pub.Fingerprint())
	}
	plaintext, sig := inner[:len(inner)-sigSize], inner[len(inner)-sigSize:]
	if !ed25519.Verify(device.sign, innerMessage(e.header, plaintext), sig) {
		return nil, fmt.Errorf("%w: record inside envelope %s from device %q", ErrBadSignature, e.RecordID, e.DeviceID)
	}
	return &Record{Header: e.Header, Plaintext: plaintext, Hash: sum(envelope)}, nil
}

package seal

import (
	"crypto/ed25519"
	"crypto/hpke"
	"crypto/mlkem"
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
	encSize       = 32                           // HPKE encapsulated key of DHKEM(X25519), version 1
	encSizeV2     = mlkem.CiphertextSize768 + 32 // of MLKEM768-X25519, version 2: 1120
)

// The HPKE info strings of version 1 and version 2 envelopes.
const (
	hpkeInfo   = "OneX record v1"
	hpkeInfoV2 = "OneX record v2"
)

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
	Header  Header // with the RecordID SealRecord assigned
	Bytes   []byte // what goes to central, byte for byte on every retry
	Hash    Hash   // EnvelopeHash(Bytes): the Prev of the device's next record
	Version int    // 2: sealed with MLKEM768-X25519; 1: with X25519 alone
}

// Record is an envelope opened by central.
type Record struct {
	Header    Header // authenticated by the device's signature
	Plaintext []byte
	Hash      Hash // EnvelopeHash of the envelope
	Version   int  // the envelope's format version, 1 or 2
}

// EnvelopeHash is an envelope's content identity: the SHA-256 of its bytes.
func EnvelopeHash(envelope []byte) Hash { return sum(envelope) }

// SealRecord signs plaintext with the device key, seals it to central with
// HPKE and wraps it in an envelope that the device signs too: a version 2
// envelope (MLKEM768-X25519) when central's key is hybrid, else version 1
// (X25519). h.RecordID must be zero: SealRecord assigns a fresh UUIDv7.
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
	version, pk, info := central.sealTo()
	header := appendHeader(version, dk.pub.keyID(), &h)
	inner := make([]byte, 0, len(plaintext)+sigSize)
	inner = append(inner, plaintext...)
	inner = append(inner, ed25519.Sign(dk.sign, innerMessage(header, plaintext))...)
	enc, sender, err := hpke.NewSender(pk, hpkeKDF, hpkeAEAD, []byte(info))
	if err != nil {
		return nil, fmt.Errorf("seal: sealing record to central: %w", err)
	}
	ct, err := sender.Seal(header, inner)
	if err != nil {
		return nil, fmt.Errorf("seal: sealing record to central: %w", err)
	}
	b := make([]byte, 0, len(header)+len(enc)+4+len(ct)+sigSize)
	b = append(b, header...)
	b = append(b, enc...)
	b = binary.BigEndian.AppendUint32(b, uint32(len(ct)))
	b = append(b, ct...)
	b = append(b, ed25519.Sign(dk.sign, b)...)
	return &Envelope{Header: h, Bytes: b, Hash: sum(b), Version: version}, nil
}

// sealTo says how records are sealed to central: the envelope version, the
// HPKE public key and info string.
func (p *CentralPublicKey) sealTo() (version int, pk hpke.PublicKey, info string) {
	if p.hybrid != nil {
		return 2, p.hybrid, hpkeInfoV2
	}
	return 1, p.recv, hpkeInfo
}

// envelopeMagic is the magic of an envelope format version, 1 or 2.
func envelopeMagic(version int) [magicLen]byte {
	if version == 2 {
		return magicEnvelopeV2
	}
	return magicEnvelope
}

// appendHeader encodes the header of a version 1 or 2 envelope, which is
// also the HPKE associated data.
func appendHeader(version int, keyID [8]byte, h *Header) []byte {
	m := envelopeMagic(version)
	b := append(m[:], h.RecordID[:]...)
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
	version int // 1 or 2
	keyID   [8]byte
	header  []byte // encoded header: the HPKE associated data
	enc     []byte
	ct      []byte
	signed  []byte // everything the outer signature covers
	sig     []byte
}

// parseEnvelope decodes a version 1 or version 2 envelope; the versions
// differ in the magic and the size of the encapsulated key.
func parseEnvelope(b []byte) (*envelope, error) {
	e := &envelope{version: 1}
	if len(b) >= magicLen && b[magicLen-1] == magicEnvelopeV2[magicLen-1] {
		e.version = 2
	}
	r := newReader("envelope", b, envelopeMagic(e.version))
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
	if e.version == 2 {
		e.enc = r.bytes("encapsulated key", encSizeV2)
	} else {
		e.enc = r.bytes("encapsulated key", encSize)
	}
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
// key, X25519 for version 1 and MLKEM768-X25519 for version 2, and verifies
// the device's signature on the record inside.
func OpenEnvelope(ck *CentralKeys, envelope []byte, device *DevicePublicKey) (*Record, error) {
	e, err := verifyEnvelope(envelope, device)
	if err != nil {
		return nil, err
	}
	priv, info := ck.recv, hpkeInfo
	if e.version == 2 {
		if ck.hybrid == nil {
			return nil, fmt.Errorf("%w: envelope %s is version 2 and central key %s has no hybrid part", ErrDecrypt, e.RecordID, ck.pub.Fingerprint())
		}
		priv, info = ck.hybrid, hpkeInfoV2
	}
	r, err := hpke.NewRecipient(e.enc, priv, hpkeKDF, hpkeAEAD, []byte(info))
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
	return &Record{Header: e.Header, Plaintext: plaintext, Hash: sum(envelope), Version: e.version}, nil
}

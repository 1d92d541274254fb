package seal

import (
	"crypto/ed25519"
	"encoding/binary"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
)

// receiptSize is the length of a version 1 receipt.
const receiptSize = magicLen + 16 + 32 + 8 + 8 + sigSize

// Receipt is central's signed acknowledgement of one envelope: proof of
// submission.
type Receipt struct {
	RecordID     uuid.UUID
	EnvelopeHash Hash
	ServerSeq    uint64    // central's sequence number for the record
	ServerTime   time.Time // central's clock when it committed the record
}

// SignReceipt encodes and signs a receipt.
func SignReceipt(ck *CentralKeys, r *Receipt) ([]byte, error) {
	if err := checkTime("server time", r.ServerTime); err != nil {
		return nil, err
	}
	b := make([]byte, 0, receiptSize)
	b = append(b, magicReceipt[:]...)
	b = append(b, r.RecordID[:]...)
	b = append(b, r.EnvelopeHash[:]...)
	b = binary.BigEndian.AppendUint64(b, r.ServerSeq)
	b = appendTime(b, r.ServerTime)
	return append(b, ed25519.Sign(ck.sign, b)...), nil
}

// OpenReceipt checks central's signature on a receipt and decodes it.
func OpenReceipt(pub *CentralPublicKey, b []byte) (*Receipt, error) {
	r := newReader("receipt", b, magicReceipt)
	rc := &Receipt{}
	copy(rc.RecordID[:], r.bytes("record id", 16))
	rc.EnvelopeHash = r.hash("envelope hash")
	rc.ServerSeq = r.u64("server seq")
	rc.ServerTime = r.time("server time")
	signed := b[:r.off]
	sig := r.bytes("signature", sigSize)
	if err := r.end(); err != nil {
		return nil, err
	}
	if !ed25519.Verify(pub.sign, signed, sig) {
		return nil, fmt.Errorf("%w: receipt for record %s not signed by central key %s", ErrBadSignature, rc.RecordID, pub.Fingerprint())
	}
	return rc, nil
}

// VerifyReceipt checks a receipt as OpenReceipt does, then that it
// acknowledges exactly envelope: the same record id and envelope hash.
func VerifyReceipt(pub *CentralPublicKey, receipt, envelope []byte) (*Receipt, error) {
	rc, err := OpenReceipt(pub, receipt)
	if err != nil {
		return nil, err
	}
	h, err := ParseHeader(envelope)
	if err != nil {
		return nil, err
	}
	if rc.RecordID != h.RecordID || rc.EnvelopeHash != sum(envelope) {
		return nil, fmt.Errorf("%w: receipt is for record %s hash %s, envelope is record %s hash %s",
			ErrWrongRecord, rc.RecordID, rc.EnvelopeHash, h.RecordID, sum(envelope))
	}
	return rc, nil
}

// ReceiptCode is the short code a candidate sees at submission and can check
// on central's public pages: the first 80 bits of the envelope hash in
// Crockford base32, four groups of four, such as "7GQX-M3KD-0ZPA-RT4E".
func ReceiptCode(envelopeHash Hash) string {
	return groups(crockfordEncoding.EncodeToString(envelopeHash[:ReceiptCodeBytes]), 4)
}

// ReceiptCodeBytes is how much of an envelope hash a receipt code holds.
const ReceiptCodeBytes = 10

// ParseReceiptCode reads a receipt code as a person types it, as
// ParseUnlockCode does, and returns the first ReceiptCodeBytes of the
// envelope hash it stands for. A code that is not one wraps ErrReceiptCode.
func ParseReceiptCode(s string) ([ReceiptCodeBytes]byte, error) {
	var b [ReceiptCodeBytes]byte
	if len(s) > maxCodeInput {
		return b, fmt.Errorf("%w: input is %d bytes long", ErrReceiptCode, len(s))
	}
	code := strings.Join(typedChunks(s), "")
	if n := len([]rune(code)); n != 16 {
		return b, fmt.Errorf("%w: %d characters, want 16", ErrReceiptCode, n)
	}
	for _, r := range code {
		if !strings.ContainsRune(crockford, r) {
			return b, fmt.Errorf("%w: %q is not a code character", ErrReceiptCode, r)
		}
	}
	if _, err := crockfordEncoding.Decode(b[:], []byte(code)); err != nil {
		return b, fmt.Errorf("%w: %v", ErrReceiptCode, err)
	}
	return b, nil
}

package seal

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"time"
	"unicode/utf8"
)

// Hash is a SHA-256 digest: an envelope's identity, a chain link, a part's
// checksum.
type Hash [32]byte

// String returns the hash in lower-case hex.
func (h Hash) String() string { return fmt.Sprintf("%x", h[:]) }

// magicLen is the length of the tag that starts every format: three ASCII
// letters naming the format and one version byte.
const magicLen = 4

var (
	magicKey      = [magicLen]byte{'O', 'X', 'K', 1}
	magicPaper    = [magicLen]byte{'O', 'X', 'P', 1}
	magicPaperKey = [magicLen]byte{'O', 'X', 'W', 1}
	magicManifest = [magicLen]byte{'O', 'X', 'M', 2}
	magicList     = [magicLen]byte{'O', 'X', 'L', 1}
	magicEnvelope = [magicLen]byte{'O', 'X', 'E', 1}
	// magicEnvelopeV2 is the envelope sealed with MLKEM768-X25519.
	magicEnvelopeV2 = [magicLen]byte{'O', 'X', 'E', 2}
	magicInner      = [magicLen]byte{'O', 'X', 'I', 1}
	magicReceipt    = [magicLen]byte{'O', 'X', 'R', 1}
	magicField      = [magicLen]byte{'O', 'X', 'F', 1}
	magicStoreKey   = [magicLen]byte{'O', 'X', 'S', 1}
)

// appendStr appends s with a big-endian uint16 length prefix. Callers have
// checked the length with checkStr.
func appendStr(b []byte, s string) []byte {
	b = binary.BigEndian.AppendUint16(b, uint16(len(s)))
	return append(b, s...)
}

// appendTime appends t as big-endian int64 nanoseconds since the Unix epoch.
func appendTime(b []byte, t time.Time) []byte {
	return binary.BigEndian.AppendUint64(b, uint64(t.UnixNano()))
}

// checkStr validates a string field before encoding: UTF-8, length in bytes
// within [min, max].
func checkStr(field, s string, min, max int) error {
	if len(s) < min || len(s) > max {
		return fmt.Errorf("seal: %s is %d bytes, want %d to %d", field, len(s), min, max)
	}
	if !utf8.ValidString(s) {
		return fmt.Errorf("seal: %s is not valid UTF-8", field)
	}
	return nil
}

// checkTime validates a time before encoding: set, and representable as
// int64 nanoseconds (years 1678 to 2262).
func checkTime(field string, t time.Time) error {
	if t.IsZero() || !time.Unix(0, t.UnixNano()).Equal(t) {
		return fmt.Errorf("seal: %s %v cannot be encoded", field, t)
	}
	return nil
}

// reader decodes one format. The first error sticks: later reads return zero
// values, and err names the format, the field and its offset.
type reader struct {
	format string
	b      []byte
	off    int
	err    error
}

func newReader(format string, b []byte, magic [magicLen]byte) *reader {
	return newReaderSince(format, b, magic, magic[magicLen-1])
}

// newReaderSince is newReader for a format whose versions from oldest to
// the magic's are all read; the caller looks at version() for the layout.
func newReaderSince(format string, b []byte, magic [magicLen]byte, oldest byte) *reader {
	r := &reader{format: format, b: b}
	switch {
	case len(b) < magicLen || string(b[:magicLen-1]) != string(magic[:magicLen-1]):
		r.fail("magic", "not a %s", format)
	case b[magicLen-1] < oldest || b[magicLen-1] > magic[magicLen-1]:
		r.failAt(magicLen-1, "version", "version %d not supported", b[magicLen-1])
	default:
		r.off = magicLen
	}
	return r
}

// version is the version byte of the format being read (valid after newReaderSince succeeded).
func (r *reader) version() byte { return r.b[magicLen-1] }

func (r *reader) fail(field, format string, args ...any) {
	r.failAt(r.off, field, format, args...)
}

// failAt records an error in the field that starts at offset off.
func (r *reader) failAt(off int, field, format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf("%w %s: %s at offset %d: %s", ErrFormat, r.format, field, off, fmt.Sprintf(format, args...))
	}
}

func (r *reader) bytes(field string, n int) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || len(r.b)-r.off < n {
		r.fail(field, "need %d bytes, have %d", n, len(r.b)-r.off)
		return nil
	}
	v := r.b[r.off : r.off+n : r.off+n]
	r.off += n
	return v
}

func (r *reader) u8(field string) uint8 {
	if b := r.bytes(field, 1); b != nil {
		return b[0]
	}
	return 0
}

func (r *reader) u16(field string) uint16 {
	if b := r.bytes(field, 2); b != nil {
		return binary.BigEndian.Uint16(b)
	}
	return 0
}

func (r *reader) u32(field string) uint32 {
	if b := r.bytes(field, 4); b != nil {
		return binary.BigEndian.Uint32(b)
	}
	return 0
}

func (r *reader) u64(field string) uint64 {
	if b := r.bytes(field, 8); b != nil {
		return binary.BigEndian.Uint64(b)
	}
	return 0
}

func (r *reader) hash(field string) Hash {
	var h Hash
	copy(h[:], r.bytes(field, len(h)))
	return h
}

func (r *reader) time(field string) time.Time {
	n := r.u64(field)
	if r.err != nil {
		return time.Time{}
	}
	return time.Unix(0, int64(n)).UTC()
}

// str reads a uint16-length-prefixed UTF-8 string of min to max bytes.
func (r *reader) str(field string, min, max int) string {
	start := r.off
	n := int(r.u16(field + " length"))
	if r.err == nil && (n < min || n > max) {
		r.failAt(start, field, "length %d outside %d to %d", n, min, max)
		return ""
	}
	b := r.bytes(field, n)
	if r.err == nil && !utf8.Valid(b) {
		r.failAt(start, field, "not valid UTF-8")
		return ""
	}
	return string(b)
}

// end reports trailing bytes and returns the first error.
func (r *reader) end() error {
	if r.err == nil && r.off != len(r.b) {
		r.fail("end", "%d trailing bytes", len(r.b)-r.off)
	}
	return r.err
}

func sum(b []byte) Hash { return sha256.Sum256(b) }

package credential

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"fmt"
	"io"
	"strings"
	"time"
)

// MinStatusBits is the smallest status list: 16 KiB of bits, so that
// fetching or looking up one index reveals little about which certificate is
// checked (W3C Bitstring Status List §2.1's minimum).
const MinStatusBits = 16 * 1024 * 8

// MaxStatusBits bounds a decoded list (16 MiB of bits), so a small gzip
// cannot expand without limit.
const MaxStatusBits = 16 * 1024 * 1024 * 8

// Bitstring is a status bitstring: bit i is the most significant bit first
// of byte i/8 (W3C Bitstring Status List's order); 1 means the status
// applies.
type Bitstring struct{ b []byte }

// NewBitstring returns a zeroed bitstring of at least n bits, rounded up to
// whole bytes and to MinStatusBits.
func NewBitstring(n int) *Bitstring {
	n = max(n, MinStatusBits)
	return &Bitstring{b: make([]byte, (n+7)/8)}
}

// Len is the number of bits.
func (s *Bitstring) Len() int { return len(s.b) * 8 }

// Set sets bit i to v.
func (s *Bitstring) Set(i int, v bool) error {
	if i < 0 || i >= s.Len() {
		return fmt.Errorf("%w: %d of %d", ErrIndex, i, s.Len())
	}
	mask := byte(0x80) >> (i % 8)
	if v {
		s.b[i/8] |= mask
	} else {
		s.b[i/8] &^= mask
	}
	return nil
}

// Get reads bit i.
func (s *Bitstring) Get(i int) (bool, error) {
	if i < 0 || i >= s.Len() {
		return false, fmt.Errorf("%w: %d of %d", ErrIndex, i, s.Len())
	}
	return s.b[i/8]&(byte(0x80)>>(i%8)) != 0, nil
}

// Encode is W3C's encodedList: "u" (multibase base64url) then the base64url,
// unpadded, of the GZIP (RFC 1952, no name, no time, default level) of the
// bits.
func (s *Bitstring) Encode() string {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(s.b)
	zw.Close()
	return "u" + base64.RawURLEncoding.EncodeToString(buf.Bytes())
}

// DecodeBitstring reads an encodedList. It refuses lists shorter than
// MinStatusBits or longer than MaxStatusBits (ErrStatusList).
func DecodeBitstring(enc string) (*Bitstring, error) {
	rest, ok := strings.CutPrefix(enc, "u")
	if !ok {
		return nil, fmt.Errorf("%w: encoded list lacks the multibase prefix u", ErrStatusList)
	}
	if len(rest) > MaxStatusBits/8 {
		return nil, fmt.Errorf("%w: encoded list of %d characters", ErrStatusList, len(rest))
	}
	z, err := base64.RawURLEncoding.Strict().DecodeString(rest)
	if err != nil {
		return nil, fmt.Errorf("%w: base64url: %v", ErrStatusList, err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(z))
	if err != nil {
		return nil, fmt.Errorf("%w: gzip: %v", ErrStatusList, err)
	}
	b, err := io.ReadAll(io.LimitReader(zr, MaxStatusBits/8+1))
	if err != nil {
		return nil, fmt.Errorf("%w: gzip: %v", ErrStatusList, err)
	}
	if len(b)*8 < MinStatusBits || len(b)*8 > MaxStatusBits {
		return nil, fmt.Errorf("%w: %d bits, must be %d to %d", ErrStatusList, len(b)*8, MinStatusBits, MaxStatusBits)
	}
	return &Bitstring{b: b}, nil
}

// Status is a certificate's status from the status lists.
type Status int

const (
	Valid Status = iota
	Suspended
	Revoked
)

func (s Status) String() string {
	switch s {
	case Valid:
		return "valid"
	case Suspended:
		return "suspended"
	case Revoked:
		return "revoked"
	}
	return fmt.Sprintf("status(%d)", int(s))
}

// StatusList is the dated pair of status bitstrings, one per purpose
// ("revocation" and "suspension"), indexed by a credential's StatusIndex.
type StatusList struct {
	Issued     time.Time
	Revocation *Bitstring
	Suspension *Bitstring
}

// NewStatusList returns empty lists of at least n bits each.
func NewStatusList(issued time.Time, n int) *StatusList {
	return &StatusList{Issued: issued, Revocation: NewBitstring(n), Suspension: NewBitstring(n)}
}

// Status looks index up: Revoked if its revocation bit is set, else
// Suspended if its suspension bit is, else Valid.
func (l *StatusList) Status(index uint32) (Status, error) {
	r, err := l.Revocation.Get(int(index))
	if err != nil {
		return Valid, fmt.Errorf("revocation list: %w", err)
	}
	if r {
		return Revoked, nil
	}
	s, err := l.Suspension.Get(int(index))
	if err != nil {
		return Valid, fmt.Errorf("suspension list: %w", err)
	}
	if s {
		return Suspended, nil
	}
	return Valid, nil
}

type wireStatus struct {
	Issued     int64  `cbor:"1,keyasint"`
	Revocation string `cbor:"2,keyasint"`
	Suspension string `cbor:"3,keyasint"`
}

// SignStatusList signs the status list with the issuer's key.
func (i *Issuer) SignStatusList(l *StatusList) ([]byte, error) {
	if l.Issued.Unix() <= 0 || l.Revocation == nil || l.Suspension == nil {
		return nil, fmt.Errorf("%w: status list needs an issue date and both lists", ErrClaims)
	}
	payload, err := encMode.Marshal(wireStatus{l.Issued.Unix(), l.Revocation.Encode(), l.Suspension.Encode()})
	if err != nil {
		return nil, fmt.Errorf("credential: encode status list: %w", err)
	}
	return sign(i.key, i.kid, payload, aadStatusList)
}

// OpenStatusList verifies a signed status list against the trust list (its
// issue date inside the signing key's window) and returns it.
func OpenStatusList(data []byte, tl *TrustList) (*StatusList, error) {
	if tl == nil {
		return nil, fmt.Errorf("%w: no trust list", ErrUnknownKey)
	}
	var w wireStatus
	v, err := openSigned(data, aadStatusList, tl.Keys, "status list", func(p []byte) (time.Time, error) {
		if err := decodeCanonical(p, &w, "status list"); err != nil {
			return time.Time{}, err
		}
		return time.Unix(w.Issued, 0), nil
	})
	if err != nil {
		return nil, err
	}
	if err := decodeCanonical(v.payload, &w, "status list"); err != nil {
		return nil, err
	}
	rev, err := DecodeBitstring(w.Revocation)
	if err != nil {
		return nil, fmt.Errorf("revocation list: %w", err)
	}
	sus, err := DecodeBitstring(w.Suspension)
	if err != nil {
		return nil, fmt.Errorf("suspension list: %w", err)
	}
	return &StatusList{Issued: time.Unix(w.Issued, 0).UTC(), Revocation: rev, Suspension: sus}, nil
}

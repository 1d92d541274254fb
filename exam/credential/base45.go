package credential

import (
	"fmt"
	"strings"
)

// base45Alphabet is RFC 9285's alphabet: the QR code's alphanumeric set.
const base45Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"

var base45Value = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	for i := 0; i < len(base45Alphabet); i++ {
		t[base45Alphabet[i]] = int8(i)
	}
	return t
}()

// Base45Encode encodes b as RFC 9285 Base45.
func Base45Encode(b []byte) string {
	var sb strings.Builder
	sb.Grow((len(b)/2)*3 + 2)
	for i := 0; i+1 < len(b); i += 2 {
		n := int(b[i])<<8 | int(b[i+1])
		sb.WriteByte(base45Alphabet[n%45])
		sb.WriteByte(base45Alphabet[(n/45)%45])
		sb.WriteByte(base45Alphabet[n/2025])
	}
	if len(b)%2 == 1 {
		n := int(b[len(b)-1])
		sb.WriteByte(base45Alphabet[n%45])
		sb.WriteByte(base45Alphabet[n/45])
	}
	return sb.String()
}

// Base45Decode decodes RFC 9285 Base45. It refuses characters outside the
// alphabet, a length of 1 mod 3, and groups whose value does not fit their
// bytes (above 65535 for three characters, 255 for two); the error wraps
// ErrBase45 and names the offset.
func Base45Decode(s string) ([]byte, error) {
	if len(s)%3 == 1 {
		return nil, fmt.Errorf("%w: length %d is 1 mod 3", ErrBase45, len(s))
	}
	out := make([]byte, 0, len(s)/3*2+1)
	for i := 0; i < len(s); i += 3 {
		end := min(i+3, len(s))
		n, mul := 0, 1
		for j := i; j < end; j++ {
			v := base45Value[s[j]]
			if v < 0 {
				return nil, fmt.Errorf("%w: character %q at offset %d", ErrBase45, s[j], j)
			}
			n += int(v) * mul
			mul *= 45
		}
		if end-i == 3 {
			if n > 0xffff {
				return nil, fmt.Errorf("%w: group at offset %d is %d, above 65535", ErrBase45, i, n)
			}
			out = append(out, byte(n>>8), byte(n))
		} else {
			if n > 0xff {
				return nil, fmt.Errorf("%w: final group at offset %d is %d, above 255", ErrBase45, i, n)
			}
			out = append(out, byte(n))
		}
	}
	return out, nil
}

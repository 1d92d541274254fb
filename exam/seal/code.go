package seal

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"io"
	"strings"
	"unicode"

	"golang.org/x/crypto/argon2"
)

// argonParams are argon2id's cost parameters.
type argonParams struct {
	Time    uint32 // passes over memory
	Memory  uint32 // KiB
	Threads uint8
}

// defaultArgon are the production parameters for release keys and for new
// store-key wraps. FORMAT.md records the measurement behind them.
var defaultArgon = argonParams{Time: 4, Memory: 128 << 10, Threads: 2}

// releaseArgon and storeArgon are what DeriveReleaseKey and WrapStoreKey
// use: defaultArgon, except that tests lower them to stay fast.
var (
	releaseArgon = defaultArgon
	storeArgon   = defaultArgon
)

const (
	codeGroups     = 4
	codeGroupData  = 4                                  // data characters per group
	codeGroupLen   = codeGroupData + 1                  // plus the check character
	codeLen        = codeGroups * codeGroupLen          // characters in a code
	codeBytes      = codeGroups * codeGroupData * 5 / 8 // 80 bits
	maxCodeInput   = 256
	releaseKeySize = 32
	maxSessionID   = 128
)

// releaseSaltPrefix starts the argon2id salt of a release key.
const releaseSaltPrefix = "OneX release key v1"

// UnlockCode is the secret from which a session's release key is derived:
// 80 random bits, written as four groups of four Crockford base32 characters
// each followed by a check character, such as "2XGWR-VYGY7-FYKNG-4FKY8".
type UnlockCode struct {
	b [codeBytes]byte
}

// NewUnlockCode makes a code from crypto/rand.
func NewUnlockCode() (UnlockCode, error) { return newUnlockCode(rand.Reader) }

func newUnlockCode(r io.Reader) (UnlockCode, error) {
	var c UnlockCode
	if _, err := io.ReadFull(r, c.b[:]); err != nil {
		return UnlockCode{}, fmt.Errorf("seal: generating unlock code: %w", err)
	}
	return c, nil
}

// String returns the code for reading out: groups of five separated by
// dashes, the fifth character of each group being its check character.
func (c UnlockCode) String() string {
	data := crockfordEncoding.EncodeToString(c.b[:])
	var b strings.Builder
	for g := range codeGroups {
		if g > 0 {
			b.WriteByte('-')
		}
		chunk := data[g*codeGroupData : (g+1)*codeGroupData]
		b.WriteString(chunk)
		b.WriteByte(crockford[checkValue(g, symbolValues(chunk))])
	}
	return b.String()
}

// ParseUnlockCode reads a code as typed (see typedChunks). It is cheap: a
// mistyped code is rejected with a *CodeError naming the group before any
// key derivation.
func ParseUnlockCode(s string) (UnlockCode, error) {
	if len(s) > maxCodeInput {
		return UnlockCode{}, &CodeError{msg: fmt.Sprintf("input is %d bytes long", len(s))}
	}
	chunks := typedChunks(s)
	rs := []rune(strings.Join(chunks, ""))
	if len(rs) != codeLen {
		if len(chunks) == codeGroups {
			for g, ch := range chunks {
				if n := len([]rune(ch)); n != codeGroupLen {
					return UnlockCode{}, &CodeError{Group: g + 1, msg: fmt.Sprintf("%d characters, want %d", n, codeGroupLen)}
				}
			}
		}
		return UnlockCode{}, &CodeError{msg: fmt.Sprintf("%d characters, want %d", len(rs), codeLen)}
	}
	data := make([]byte, 0, codeGroups*codeGroupData)
	for g := range codeGroups {
		v := make([]byte, codeGroupLen)
		for i, r := range rs[g*codeGroupLen : (g+1)*codeGroupLen] {
			x := strings.IndexRune(crockford, r)
			if x < 0 {
				return UnlockCode{}, &CodeError{Group: g + 1, msg: fmt.Sprintf("%q is not a code character", r)}
			}
			v[i] = byte(x)
		}
		if !groupValid(g, v) {
			return UnlockCode{}, &CodeError{Group: g + 1, msg: "check character does not match"}
		}
		for _, x := range v[:codeGroupData] {
			data = append(data, crockford[x])
		}
	}
	var c UnlockCode
	if _, err := crockfordEncoding.Decode(c.b[:], data); err != nil {
		return UnlockCode{}, fmt.Errorf("seal: decoding unlock code: %w", err)
	}
	return c, nil
}

// typedChunks reads a Crockford code as a person types it: case does not
// matter, spaces and dashes (also full-width ones from a Chinese input
// method) separate chunks, and I, L and O are read as 1, 1 and 0.
func typedChunks(s string) []string {
	var chunks []string
	var cur strings.Builder
	for _, r := range s {
		r = halfWidth(r)
		if unicode.IsSpace(r) || r == '-' {
			if cur.Len() > 0 {
				chunks = append(chunks, cur.String())
				cur.Reset()
			}
			continue
		}
		switch r = unicode.ToUpper(r); r {
		case 'I', 'L':
			r = '1'
		case 'O':
			r = '0'
		}
		cur.WriteRune(r)
	}
	if cur.Len() > 0 {
		chunks = append(chunks, cur.String())
	}
	return chunks
}

// halfWidth maps a full-width form of ASCII (U+FF01..U+FF5E), as a Chinese
// input method types it, to ASCII.
func halfWidth(r rune) rune {
	if r >= 0xFF01 && r <= 0xFF5E {
		return r - 0xFEE0
	}
	return r
}

// symbolValues maps Crockford characters, all valid, to their values.
func symbolValues(s string) []byte {
	v := make([]byte, len(s))
	for i := range len(s) {
		v[i] = byte(strings.IndexByte(crockford, s[i]))
	}
	return v
}

// checkValue is the check character of group g (0-based) for its data
// values d: g + α·d[0] + α²·d[1] + α³·d[2] + α⁴·d[3] in GF(32) built on
// x⁵+x²+1, α = x. A group is valid when adding its check character makes the
// sum zero; the weights 1, α, α², α³, α⁴ are distinct and non-zero, so every
// single substitution and every transposition within a group changes the sum.
func checkValue(g int, d []byte) byte {
	c := byte(g)
	w := byte(1)
	for _, v := range d {
		w = gfMul(w, 2)
		c ^= gfMul(w, v)
	}
	return c
}

// groupValid tells whether the values of a five-character group g (0-based),
// four data characters then the check character, pass the check.
func groupValid(g int, v []byte) bool {
	return checkValue(g, v[:codeGroupData]) == v[codeGroupData]
}

// gfMul multiplies in GF(32) with the reduction polynomial x⁵+x²+1.
func gfMul(a, b byte) byte {
	var p byte
	for ; b != 0; b >>= 1 {
		if b&1 != 0 {
			p ^= a
		}
		a <<= 1
		if a&0x20 != 0 {
			a ^= 0x25
		}
	}
	return p
}

// ReleaseKey unlocks the papers of one session. Central derives it from the
// session's unlock code when sealing papers and hands it out online at
// release time; a proctor gets the same key by typing the code.
type ReleaseKey struct {
	sessionID string
	key       [releaseKeySize]byte
}

// DeriveReleaseKey stretches code with argon2id salted by the session id.
// It takes a few hundred milliseconds by design. The zero UnlockCode, which
// no caller means to use, is refused.
func DeriveReleaseKey(code UnlockCode, sessionID string) (*ReleaseKey, error) {
	if err := checkStr("session id", sessionID, 1, maxSessionID); err != nil {
		return nil, err
	}
	if code == (UnlockCode{}) {
		return nil, fmt.Errorf("seal: unlock code is the zero value")
	}
	salt := binary.BigEndian.AppendUint16([]byte(releaseSaltPrefix), uint16(len(sessionID)))
	salt = append(salt, sessionID...)
	p := releaseArgon
	rk := &ReleaseKey{sessionID: sessionID}
	copy(rk.key[:], argon2.IDKey(code.b[:], salt, p.Time, p.Memory, p.Threads, releaseKeySize))
	return rk, nil
}

// ParseReleaseKey takes the 32 bytes central released online for a session.
func ParseReleaseKey(sessionID string, key []byte) (*ReleaseKey, error) {
	if err := checkStr("session id", sessionID, 1, maxSessionID); err != nil {
		return nil, err
	}
	if len(key) != releaseKeySize {
		return nil, fmt.Errorf("%w release key: %d bytes, want %d", ErrFormat, len(key), releaseKeySize)
	}
	return &ReleaseKey{sessionID: sessionID, key: [releaseKeySize]byte(key)}, nil
}

// Bytes returns the key for central to release online.
func (k *ReleaseKey) Bytes() []byte { return append([]byte(nil), k.key[:]...) }

// SessionID returns the session the key belongs to.
func (k *ReleaseKey) SessionID() string { return k.sessionID }

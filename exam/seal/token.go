package seal

import (
	"crypto/rand"
	"encoding/hex"
)

// tokenBytes is the entropy of a token: 256 bits.
const tokenBytes = 32

// NewToken returns a fresh secret for a session cookie, a CSRF token or a
// one-time code: 256 bits from crypto/rand in Crockford base32, 52
// characters. Any prefix of 16 characters or more still carries 80 bits.
func NewToken() string {
	b := make([]byte, tokenBytes)
	rand.Read(b) // never fails: crypto/rand crashes the program instead
	return crockfordEncoding.EncodeToString(b)
}

// HashToken is what a server stores in place of a token: the SHA-256 of the
// token's bytes in lower-case hex, so a copy of the database reveals no live
// token. Tokens are random and long, so a fast hash is the right one here;
// passwords need argon2id (HashPassword).
func HashToken(token string) string {
	h := sum([]byte(token))
	return hex.EncodeToString(h[:])
}

// CSRFToken is the token a signed-in browser's forms carry, derived from its
// session token, so that a server stores neither: SHA-256 over
// "onex-csrf/1\n" and the session token, in lower-case hex. A copy of the
// server's database (which holds HashToken of the session token) does not
// give it.
func CSRFToken(sessionToken string) string {
	h := sum([]byte("onex-csrf/1\n" + sessionToken))
	return hex.EncodeToString(h[:])
}

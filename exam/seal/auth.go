package seal

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// requestContext separates request signatures from every other signature a
// device key makes.
const requestContext = "OneX request v1\x00"

// SignRequest signs the message that authenticates one request of a device
// to central (sync.AuthMessage).
func (k *DeviceKey) SignRequest(msg []byte) []byte {
	return ed25519.Sign(k.sign, append([]byte(requestContext), msg...))
}

// VerifyRequest checks a request signature made by SignRequest.
func (p *DevicePublicKey) VerifyRequest(msg, sig []byte) error {
	if len(sig) != ed25519.SignatureSize || !ed25519.Verify(p.sign, append([]byte(requestContext), msg...), sig) {
		return fmt.Errorf("%w: request not signed by device key %s", ErrBadSignature, p.Fingerprint())
	}
	return nil
}

// TokensEqual compares two tokens in constant time.
func TokensEqual(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// Password hashing parameters (argon2id, RFC 9106's second recommendation
// with 64 MiB). Stored in the PHC string format, so they can change later.
const (
	pwTime    = 3
	pwMemory  = 64 * 1024
	pwThreads = 2
	pwKeyLen  = 32
)

// HashPassword hashes a password with argon2id and a random salt, as a PHC string.
func HashPassword(password string) string {
	salt := make([]byte, 16)
	rand.Read(salt)
	key := argon2.IDKey([]byte(password), salt, pwTime, pwMemory, pwThreads, pwKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, pwMemory, pwTime, pwThreads, b64.EncodeToString(salt), b64.EncodeToString(key))
}

// CheckPassword reports whether password matches a hash made by HashPassword.
func CheckPassword(hash, password string) bool {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" || parts[2] != fmt.Sprintf("v=%d", argon2.Version) {
		return false
	}
	var m uint32
	var t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil || m > 1<<21 || t == 0 || t > 16 || p == 0 {
		return false
	}
	b64 := base64.RawStdEncoding
	salt, err1 := b64.DecodeString(parts[4])
	want, err2 := b64.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) == 0 || len(want) > 64 {
		return false
	}
	got := argon2.IDKey([]byte(password), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

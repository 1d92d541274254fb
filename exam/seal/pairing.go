package seal

import (
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
)

// PairingSecret is the one-time secret of an exam room's pairing code
// (client/room): 80 random bits written as an UnlockCode is, four groups of
// five Crockford symbols each ending in a check character, so that a
// proctor can read it out and a typo is caught in its group. The station
// and the terminal prove to each other that they know it, over the TLS key
// the terminal sees (Proof), so the secret never crosses the network.
type PairingSecret struct{ code UnlockCode }

// NewPairingSecret makes a secret from crypto/rand.
func NewPairingSecret() (PairingSecret, error) {
	c, err := NewUnlockCode()
	return PairingSecret{c}, err
}

// ParsePairingSecret reads a secret as typed, as ParseUnlockCode does;
// errors are *CodeError naming the group at fault.
func ParsePairingSecret(s string) (PairingSecret, error) {
	c, err := ParseUnlockCode(s)
	return PairingSecret{c}, err
}

// String writes the secret for reading out, such as 2XGWR-VYGY7-FYKNG-4FKY8.
func (p PairingSecret) String() string { return p.code.String() }

// Roles of a pairing proof.
const (
	PairingTerminal = "terminal" // the terminal's proof, sent with its key
	PairingStation  = "station"  // the station's answer, naming the terminal id it assigned
)

// pairingInfo separates the proof key from every other use of the secret.
const pairingInfo = "OneX room pairing v1"

// Proof is HMAC-SHA256, keyed by HKDF-SHA256 of the secret (no salt, info
// "OneX room pairing v1"), over the role, the SHA-256 of the station's TLS
// public key (SPKIHash) as the terminal sees it, the terminal's public key
// and the terminal id the station assigns ("" in the terminal's proof);
// each variable field is preceded by its length as a big-endian uint16.
// A proof made over another TLS key (a machine in the middle) does not
// check at the station, and only who knows the secret can make one.
func (p PairingSecret) Proof(role string, spki Hash, terminalKey []byte, terminalID string) []byte {
	key, err := hkdf.Key(sha256.New, p.code.b[:], nil, pairingInfo, sha256.Size)
	if err != nil {
		panic(err) // only for lengths beyond 255 hash blocks
	}
	m := hmac.New(sha256.New, key)
	for _, f := range [][]byte{[]byte(role), spki[:], terminalKey, []byte(terminalID)} {
		m.Write(binary.BigEndian.AppendUint16(nil, uint16(len(f))))
		m.Write(f)
	}
	return m.Sum(nil)
}

// CheckProof reports, in constant time, whether proof is Proof of the same
// fields.
func (p PairingSecret) CheckProof(proof []byte, role string, spki Hash, terminalKey []byte, terminalID string) bool {
	return hmac.Equal(proof, p.Proof(role, spki, terminalKey, terminalID))
}

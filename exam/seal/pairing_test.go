package seal_test

import (
	"encoding/hex"
	"errors"
	"testing"

	"onex/exam/seal"
)

// TestPairingProofVectors pins the pairing proof (FORMAT.md, "Room
// pairing proofs") to values computed by an independent implementation
// (Python's hmac and hashlib), and checks the failures: any other role,
// TLS key, terminal key or terminal id does not check.
func TestPairingProofVectors(t *testing.T) {
	s, err := seal.ParsePairingSecret("2XGWR-VYGY7-FYKNG-4FKY8")
	if err != nil {
		t.Fatal(err)
	}
	var spki seal.Hash
	for i := range spki {
		spki[i] = byte(i)
	}
	key := make([]byte, 32)
	for i := range key {
		key[i] = byte(0xa0 + i)
	}
	for _, v := range []struct {
		role, id, want string
	}{
		{seal.PairingTerminal, "", "4805778d4b7de236ba4cf9990d785d16e3a90de68725750f937f12b6608ee505"},
		{seal.PairingStation, "T-0123ABCD", "922ee4c45066ffb8a6d36ac69ee9b116434bdb0f90599de83f643a0b97638a8a"},
	} {
		got := s.Proof(v.role, spki, key, v.id)
		if hex.EncodeToString(got) != v.want {
			t.Errorf("proof %s %q: %x, want %s", v.role, v.id, got, v.want)
		}
		if !s.CheckProof(got, v.role, spki, key, v.id) {
			t.Errorf("proof %s %q does not check", v.role, v.id)
		}
		other := spki
		other[0] ^= 1
		otherKey := append([]byte(nil), key...)
		otherKey[31] ^= 1
		s2, _ := seal.NewPairingSecret()
		for name, bad := range map[string]bool{
			"another role":      s.CheckProof(got, v.role+"x", spki, key, v.id),
			"another TLS key":   s.CheckProof(got, v.role, other, key, v.id),
			"another key":       s.CheckProof(got, v.role, spki, otherKey, v.id),
			"another id":        s.CheckProof(got, v.role, spki, key, v.id+"x"),
			"another secret":    s2.CheckProof(got, v.role, spki, key, v.id),
			"a truncated proof": s.CheckProof(got[:31], v.role, spki, key, v.id),
		} {
			if bad {
				t.Errorf("proof %s %q checks with %s", v.role, v.id, name)
			}
		}
	}
	var ce *seal.CodeError
	if _, err := seal.ParsePairingSecret("2XGWR-VYGY7-FYKNG-4FKY9"); !errors.As(err, &ce) || ce.Group != 4 {
		t.Errorf("a mistyped fourth group: %v", err)
	}
}

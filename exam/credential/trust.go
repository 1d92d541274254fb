package credential

import (
	"bytes"
	"crypto/ed25519"
	"fmt"
	"time"
)

// TrustedKey is one issuer key of the trust list, valid for signing from
// NotBefore (inclusive) to NotAfter (exclusive).
type TrustedKey struct {
	KeyID     []byte
	Public    ed25519.PublicKey
	NotBefore time.Time
	NotAfter  time.Time
}

// ValidAt reports whether t is inside the key's window.
func (k *TrustedKey) ValidAt(t time.Time) bool {
	return !t.Before(k.NotBefore) && t.Before(k.NotAfter)
}

// TrustList is the dated list of issuer keys a verifier accepts. Several keys
// may share a key id; verifiers try each.
type TrustList struct {
	Issued time.Time
	Keys   []TrustedKey
}

type wireKey struct {
	KeyID     []byte `cbor:"1,keyasint"`
	Public    []byte `cbor:"2,keyasint"`
	NotBefore int64  `cbor:"3,keyasint"`
	NotAfter  int64  `cbor:"4,keyasint"`
}

type wireTrustList struct {
	Issued int64     `cbor:"1,keyasint"`
	Keys   []wireKey `cbor:"2,keyasint"`
}

// maxTrustedKeys bounds a trust list.
const maxTrustedKeys = 1024

// SignTrustList signs tl with the root key (central's long-term key). Times
// are kept in whole seconds; each key's id must be KeyID of its public key
// and its window non-empty.
func SignTrustList(root ed25519.PrivateKey, tl TrustList) ([]byte, error) {
	if tl.Issued.Unix() <= 0 || len(tl.Keys) == 0 || len(tl.Keys) > maxTrustedKeys {
		return nil, fmt.Errorf("%w: trust list needs an issue date and 1 to %d keys", ErrClaims, maxTrustedKeys)
	}
	w := wireTrustList{Issued: tl.Issued.Unix()}
	for i, k := range tl.Keys {
		if err := checkKey(wireKey{k.KeyID, k.Public, k.NotBefore.Unix(), k.NotAfter.Unix()}); err != nil {
			return nil, fmt.Errorf("%w: trust list key %d: %v", ErrClaims, i, err)
		}
		w.Keys = append(w.Keys, wireKey{k.KeyID, k.Public, k.NotBefore.Unix(), k.NotAfter.Unix()})
	}
	payload, err := encMode.Marshal(w)
	if err != nil {
		return nil, fmt.Errorf("credential: encode trust list: %w", err)
	}
	return sign(root, KeyID(root.Public().(ed25519.PublicKey)), payload, aadTrustList)
}

func checkKey(k wireKey) error {
	if len(k.Public) != ed25519.PublicKeySize {
		return fmt.Errorf("public key is %d bytes", len(k.Public))
	}
	if !bytes.Equal(k.KeyID, KeyID(k.Public)) {
		return fmt.Errorf("key id %x is not the public key's %x", k.KeyID, KeyID(k.Public))
	}
	if k.NotAfter <= k.NotBefore {
		return fmt.Errorf("empty window")
	}
	return nil
}

// OpenTrustList verifies a signed trust list with the root public key and
// returns it.
func OpenTrustList(data []byte, root ed25519.PublicKey) (*TrustList, error) {
	rootKey := TrustedKey{KeyID: KeyID(root), Public: root, NotBefore: time.Unix(0, 0), NotAfter: time.Unix(1<<62, 0)}
	v, err := openSigned(data, aadTrustList, []TrustedKey{rootKey}, "trust list", func([]byte) (time.Time, error) { return time.Unix(1, 0), nil })
	if err != nil {
		return nil, err
	}
	var w wireTrustList
	if err := decodeCanonical(v.payload, &w, "trust list"); err != nil {
		return nil, err
	}
	if w.Issued <= 0 || len(w.Keys) == 0 || len(w.Keys) > maxTrustedKeys {
		return nil, fmt.Errorf("%w: trust list: issue date %d, %d keys", ErrMalformed, w.Issued, len(w.Keys))
	}
	tl := &TrustList{Issued: time.Unix(w.Issued, 0).UTC()}
	for i, k := range w.Keys {
		if err := checkKey(k); err != nil {
			return nil, fmt.Errorf("%w: trust list key %d: %v", ErrMalformed, i, err)
		}
		tl.Keys = append(tl.Keys, TrustedKey{k.KeyID, ed25519.PublicKey(k.Public),
			time.Unix(k.NotBefore, 0).UTC(), time.Unix(k.NotAfter, 0).UTC()})
	}
	return tl, nil
}

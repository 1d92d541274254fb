package vc

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// Keys are the issuer public keys a verifier trusts, by key id. A key id may
// name more than one key (a rotation in progress): Verify tries each.
type Keys map[string][]ed25519.PublicKey

// Verified is what Verify returns: the credential, the key id that signed it
// and the raw signed JSON.
type Verified struct {
	Credential *Credential
	KeyID      string
	Payload    []byte
}

// Encode writes the credential as the JSON that is signed: encoding/json
// field order, no HTML escaping, no trailing newline.
func (c *Credential) Encode() ([]byte, error) { return encodeJSON(c, c.ID) }

// Sign secures the credential as a compact JWS (VC-JOSE, typ vc+jwt, cty vc,
// alg EdDSA) under the key id kid. Ed25519 is deterministic: the same
// credential, key and kid give the same token.
func Sign(c *Credential, kid string, key ed25519.PrivateKey) (string, error) {
	return signDoc(c, c.ID, kid, key)
}

// document is what OneX signs as a VC: a certificate's credential, a status
// list credential.
type document interface {
	Validate() error
	Encode() ([]byte, error)
	window() (validFrom, validUntil string)
}

func (c *Credential) window() (string, string) { return c.ValidFrom, c.ValidUntil }

// signDoc validates, encodes and signs a document (id names it in errors).
func signDoc(d document, id, kid string, key ed25519.PrivateKey) (string, error) {
	if err := d.Validate(); err != nil {
		return "", fmt.Errorf("vc: sign %q: %w", id, err)
	}
	payload, err := d.Encode()
	if err != nil {
		return "", err
	}
	return signPayload(payload, id, kid, key)
}

// verifyDoc opens a token of at most max bytes (steps 1 to 5), decodes its
// payload strictly into d and checks it (step 6) and the clock (step 7).
func verifyDoc(token string, keys Keys, now time.Time, max int, d document) (payload []byte, kid string, err error) {
	payload, kid, err = openToken(token, keys, max)
	if err != nil {
		return nil, "", err
	}
	if err := strictJSON(payload, d); err != nil {
		return nil, "", fmt.Errorf("vc: document JSON: %v: %w", err, ErrContent)
	}
	if err := d.Validate(); err != nil {
		return nil, "", err
	}
	from, until := d.window()
	if err := checkWindow(from, until, now); err != nil {
		return nil, "", err
	}
	return payload, kid, nil
}

// encodeJSON writes v as the JSON that is signed: encoding/json field order,
// no HTML escaping, no trailing newline.
func encodeJSON(v any, id string) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("vc: encoding credential %q: %w", id, err)
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// signPayload is the JWS of every OneX token: typ vc+jwt, cty vc, EdDSA,
// kid, over payload as it is (id names the document in errors).
func signPayload(payload []byte, id, kid string, key ed25519.PrivateKey) (string, error) {
	if kid == "" {
		return "", errors.New("vc: sign: empty key id")
	}
	if len(key) != ed25519.PrivateKeySize {
		return "", fmt.Errorf("vc: sign: private key is %d bytes, want %d", len(key), ed25519.PrivateKeySize)
	}
	opts := (&jose.SignerOptions{}).WithType(HeaderTyp).WithContentType(HeaderCty)
	signer, err := jose.NewSigner(jose.SigningKey{
		Algorithm: jose.EdDSA,
		Key:       jose.JSONWebKey{Key: key, KeyID: kid, Algorithm: string(jose.EdDSA)},
	}, opts)
	if err != nil {
		return "", fmt.Errorf("vc: sign %q: %w", id, err)
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		return "", fmt.Errorf("vc: sign %q: %w", id, err)
	}
	tok, err := jws.CompactSerialize()
	if err != nil {
		return "", fmt.Errorf("vc: sign %q: %w", id, err)
	}
	return tok, nil
}

// header is the protected header a OneX token carries, exactly.
type header struct {
	Alg string `json:"alg"`
	Cty string `json:"cty"`
	Kid string `json:"kid"`
	Typ string `json:"typ"`
}

func strictJSON(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("trailing data after the JSON value")
	}
	return nil
}

// Verify checks a token against keys at the time now and returns the
// credential. It refuses anything but a canonical compact JWS (unpadded
// base64url with zero trailing bits), a header other than exactly
// {alg EdDSA, cty vc, kid, typ vc+jwt}, a key id not in keys, a signature no
// key of that id verifies, a document that fails Validate or carries unknown
// fields, and a clock outside validFrom..validUntil. Every error wraps one of
// the package's Err values.
func Verify(token string, keys Keys, now time.Time) (*Verified, error) {
	var c Credential
	payload, kid, err := verifyDoc(token, keys, now, MaxTokenBytes, &c)
	if err != nil {
		return nil, err
	}
	return &Verified{Credential: &c, KeyID: kid, Payload: payload}, nil
}

// openToken checks steps 1 to 5 of FORMAT.md's verification (the JWS, its
// header, its key and signature) of a token of at most max bytes and
// returns the signed payload and key id.
func openToken(token string, keys Keys, max int) ([]byte, string, error) {
	if len(token) > max {
		return nil, "", fmt.Errorf("vc: token is %d bytes, more than %d: %w", len(token), max, ErrMalformed)
	}
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, "", fmt.Errorf("vc: token has %d dot-separated parts, want 3: %w", len(parts), ErrMalformed)
	}
	var raw [3][]byte
	for i, p := range parts {
		b, err := base64.RawURLEncoding.Strict().DecodeString(p)
		if err != nil || base64.RawURLEncoding.EncodeToString(b) != p {
			return nil, "", fmt.Errorf("vc: token part %d is not canonical unpadded base64url: %w", i+1, ErrMalformed)
		}
		raw[i] = b
	}
	var h header
	if err := strictJSON(raw[0], &h); err != nil {
		return nil, "", fmt.Errorf("vc: protected header: %v: %w", err, ErrHeader)
	}
	switch {
	case h.Alg != string(jose.EdDSA):
		return nil, "", fmt.Errorf("vc: header alg %q, want EdDSA: %w", h.Alg, ErrHeader)
	case h.Typ != HeaderTyp:
		return nil, "", fmt.Errorf("vc: header typ %q, want %s: %w", h.Typ, HeaderTyp, ErrHeader)
	case h.Cty != HeaderCty:
		return nil, "", fmt.Errorf("vc: header cty %q, want %s: %w", h.Cty, HeaderCty, ErrHeader)
	case h.Kid == "":
		return nil, "", fmt.Errorf("vc: header has no kid: %w", ErrHeader)
	}
	if len(raw[2]) != ed25519.SignatureSize {
		return nil, "", fmt.Errorf("vc: signature is %d bytes, want %d: %w", len(raw[2]), ed25519.SignatureSize, ErrMalformed)
	}
	cands := keys[h.Kid]
	if len(cands) == 0 {
		return nil, "", fmt.Errorf("vc: key id %q: %w", h.Kid, ErrUnknownKey)
	}
	jws, err := jose.ParseSignedCompact(token, []jose.SignatureAlgorithm{jose.EdDSA})
	if err != nil {
		return nil, "", fmt.Errorf("vc: parsing JWS: %v: %w", err, ErrMalformed)
	}
	var payload []byte
	for _, k := range cands {
		if len(k) != ed25519.PublicKeySize {
			continue
		}
		if p, err := jws.Verify(k); err == nil {
			payload = p
			break
		}
	}
	if payload == nil {
		return nil, "", fmt.Errorf("vc: no key with id %q (%d tried) verifies the signature: %w", h.Kid, len(cands), ErrSignature)
	}
	if !bytes.Equal(payload, raw[1]) {
		return nil, "", fmt.Errorf("vc: verified payload differs from the token's: %w", ErrMalformed)
	}
	return payload, h.Kid, nil
}

// checkWindow is step 7: validFrom <= now, and now < validUntil if given
// (both already checked to parse by Validate).
func checkWindow(validFrom, validUntil string, now time.Time) error {
	from, _ := time.Parse(time.RFC3339, validFrom)
	if now.Before(from) {
		return fmt.Errorf("vc: valid from %s, now %s: %w", validFrom, now.UTC().Format(timeFormat), ErrNotYetValid)
	}
	if validUntil != "" {
		until, _ := time.Parse(time.RFC3339, validUntil)
		if !now.Before(until) {
			return fmt.Errorf("vc: valid until %s, now %s: %w", validUntil, now.UTC().Format(timeFormat), ErrExpired)
		}
	}
	return nil
}

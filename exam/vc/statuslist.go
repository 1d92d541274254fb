package vc

import (
	"crypto/ed25519"
	"encoding/base64"
	"fmt"
	"strings"
	"time"
)

// Types of a W3C Bitstring Status List credential (Bitstring Status List
// v1.0, section 2.2).
const (
	TypeStatusListCredential = "BitstringStatusListCredential"
	TypeStatusList           = "BitstringStatusList"
)

// MaxStatusListTokenBytes bounds a status list token before it is parsed: a
// list of 16 KiB with every bit random gzips to about 16 KiB, 22 KiB in
// base64url; a list of a million certificates, sparse as revocations are,
// stays far below.
const MaxStatusListTokenBytes = 1 << 20

// StatusListCredential is a BitstringStatusListCredential: the issuer's
// signed, dated bitstring for one status purpose, which a credential's
// credentialStatus (a BitstringStatusListEntry) points at by URL.
type StatusListCredential struct {
	Context           []string         `json:"@context"`
	ID                string           `json:"id"`
	Type              []string         `json:"type"`
	Issuer            StatusListIssuer `json:"issuer"`
	ValidFrom         string           `json:"validFrom"`
	ValidUntil        string           `json:"validUntil,omitempty"`
	CredentialSubject StatusList       `json:"credentialSubject"`
}

// StatusListIssuer is the status list's issuer: the same id as the
// certificates' issuer (a verifier compares them), and its name.
type StatusListIssuer struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// StatusList is the credential's subject: the bitstring itself.
type StatusList struct {
	ID            string `json:"id"` // the credential's id + "#list"
	Type          string `json:"type"`
	StatusPurpose string `json:"statusPurpose"`
	// EncodedList is "u" (multibase base64url) then the unpadded base64url
	// of the GZIP of the bitstring, most significant bit first; the status
	// list's owner encodes it (exam/credential's Bitstring.Encode) and a
	// verifier decodes it (exam/credential.DecodeBitstring).
	EncodedList string `json:"encodedList"`
	// TTL is how long, in milliseconds, a verifier may use the list before
	// fetching it again (0: not said).
	TTL int64 `json:"ttl,omitempty"`
}

// StatusListOf is what a status list credential is made from.
type StatusListOf struct {
	URL         string        // where it is served; its id
	Purpose     string        // PurposeRevocation or PurposeSuspension
	EncodedList string        // the bitstring, encoded
	Issued      time.Time     // validFrom: when its bits were read
	ValidFor    time.Duration // validUntil - validFrom; 0: no validUntil
	TTL         time.Duration // how long a verifier may cache it; 0: not said
}

// NewStatusList builds the status list credential of one purpose, and checks
// it as VerifyStatusList would.
func NewStatusList(iss Issuer, l StatusListOf) (*StatusListCredential, error) {
	if l.Issued.IsZero() || l.ValidFor < 0 || l.TTL < 0 {
		return nil, fmt.Errorf("vc: status list %q: issue time zero, or negative validity or ttl: %w", l.URL, ErrContent)
	}
	from := l.Issued.UTC().Truncate(time.Second)
	c := &StatusListCredential{
		Context:   []string{ContextVC2},
		ID:        l.URL,
		Type:      []string{"VerifiableCredential", TypeStatusListCredential},
		Issuer:    StatusListIssuer{ID: iss.ID, Name: iss.Name},
		ValidFrom: from.Format(timeFormat),
		CredentialSubject: StatusList{
			ID:            l.URL + "#list",
			Type:          TypeStatusList,
			StatusPurpose: l.Purpose,
			EncodedList:   l.EncodedList,
			TTL:           l.TTL.Milliseconds(),
		},
	}
	if l.ValidFor > 0 {
		c.ValidUntil = from.Add(l.ValidFor).Format(timeFormat)
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// Validate checks the rules of VC 2.0 and Bitstring Status List a OneX
// status list credential meets (FORMAT.md, "Status list credential").
func (c *StatusListCredential) Validate() error {
	if len(c.Context) == 0 || c.Context[0] != ContextVC2 {
		return contentErr("@context", "the first context must be %s", ContextVC2)
	}
	if !isURL(c.ID) {
		return contentErr("id", "%q is not a URL", c.ID)
	}
	if !contains(c.Type, "VerifiableCredential") || !contains(c.Type, TypeStatusListCredential) {
		return contentErr("type", "%q must include VerifiableCredential and %s", c.Type, TypeStatusListCredential)
	}
	if !isURL(c.Issuer.ID) {
		return contentErr("issuer.id", "%q is not a URL", c.Issuer.ID)
	}
	if strings.TrimSpace(c.Issuer.Name) == "" {
		return contentErr("issuer.name", "empty")
	}
	if err := checkStamps(c.ValidFrom, c.ValidUntil); err != nil {
		return err
	}
	s := c.CredentialSubject
	if s.ID != c.ID+"#list" {
		return contentErr("credentialSubject.id", "%q is not the credential's id followed by #list", s.ID)
	}
	if s.Type != TypeStatusList {
		return contentErr("credentialSubject.type", "%q is not %s", s.Type, TypeStatusList)
	}
	if s.StatusPurpose != PurposeRevocation && s.StatusPurpose != PurposeSuspension {
		return contentErr("credentialSubject.statusPurpose", "%q is not revocation or suspension", s.StatusPurpose)
	}
	enc, ok := strings.CutPrefix(s.EncodedList, "u")
	if !ok || enc == "" {
		return contentErr("credentialSubject.encodedList", "not a multibase base64url text (prefix u)")
	}
	if b, err := base64.RawURLEncoding.Strict().DecodeString(enc); err != nil || base64.RawURLEncoding.EncodeToString(b) != enc {
		return contentErr("credentialSubject.encodedList", "not canonical unpadded base64url")
	}
	if s.TTL < 0 {
		return contentErr("credentialSubject.ttl", "%d is negative", s.TTL)
	}
	return nil
}

// Covers reports whether entry (a credential's credentialStatus) points at
// this list: the same URL and the same purpose (Bitstring Status List 3.2,
// step 9: a purpose that differs is an error, not a status).
func (c *StatusListCredential) Covers(entry *StatusEntry) error {
	switch {
	case entry == nil:
		return contentErr("credentialStatus", "missing")
	case entry.StatusListCredential != c.ID:
		return contentErr("credentialStatus.statusListCredential", "%q is not this list, %q", entry.StatusListCredential, c.ID)
	case entry.StatusPurpose != c.CredentialSubject.StatusPurpose:
		return contentErr("credentialStatus.statusPurpose", "%q, the list's is %q", entry.StatusPurpose, c.CredentialSubject.StatusPurpose)
	}
	return nil
}

// Encode writes the status list credential as the JSON that is signed.
func (c *StatusListCredential) Encode() ([]byte, error) { return encodeJSON(c, c.ID) }

// SignStatusList secures the status list credential as the certificates'
// credentials are (VC-JOSE, typ vc+jwt, cty vc, EdDSA, kid).
func SignStatusList(c *StatusListCredential, kid string, key ed25519.PrivateKey) (string, error) {
	return signDoc(c, c.ID, kid, key)
}

func (c *StatusListCredential) window() (string, string) { return c.ValidFrom, c.ValidUntil }

// VerifyStatusList checks a status list token as Verify checks a
// credential's (the JWS, the header, a key of the kid, the signature, the
// document strictly decoded and valid, the clock inside its window) and
// returns the status list credential. Reading a bit is the caller's:
// check Covers, then decode EncodedList.
func VerifyStatusList(token string, keys Keys, now time.Time) (*StatusListCredential, error) {
	var c StatusListCredential
	if _, _, err := verifyDoc(token, keys, now, MaxStatusListTokenBytes, &c); err != nil {
		return nil, err
	}
	return &c, nil
}

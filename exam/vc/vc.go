// Package vc owns OneX's interoperable certificate: a certificate written as a
// W3C Verifiable Credential 2.0 that is also an Open Badges 3.0
// OpenBadgeCredential, secured with VC-JOSE (a compact JWS, header typ
// "vc+jwt", cty "vc", EdDSA over Ed25519, with a key id). It builds the
// document from a certificate's fields, signs it, and verifies a token against
// a set of issuer public keys by key id, refusing any alteration. The holder
// is named by a salted SHA-256 hash of the resident ID number, never the
// number. It also signs and verifies the W3C BitstringStatusListCredential a
// credential's credentialStatus points at (statuslist.go), from an encoded
// list it is given. The format is written down in FORMAT.md with its test
// vectors.
package vc

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// The JSON-LD contexts, in the order the document carries them.
const (
	ContextVC2 = "https://www.w3.org/ns/credentials/v2"
	ContextOB3 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
)

// Header values of a VC-JOSE token (W3C VC-JOSE-COSE, section 3.1.1: media
// type application/vc+jwt).
const (
	MediaType = "application/vc+jwt"
	HeaderTyp = "vc+jwt"
	HeaderCty = "vc"
)

// Status purposes of a BitstringStatusListEntry that OneX writes.
const (
	PurposeRevocation = "revocation"
	PurposeSuspension = "suspension"
)

// MaxTokenBytes bounds a token before it is parsed.
const MaxTokenBytes = 32 << 10

// Errors callers decide on; every error Verify returns wraps exactly one.
var (
	// ErrMalformed: not a canonical compact JWS, or its parts do not decode.
	ErrMalformed = errors.New("malformed token")
	// ErrHeader: the protected header is not what a OneX vc+jwt carries.
	ErrHeader = errors.New("header refused")
	// ErrUnknownKey: no key of the set has the token's key id.
	ErrUnknownKey = errors.New("unknown key id")
	// ErrSignature: no key with the token's key id verifies the signature.
	ErrSignature = errors.New("signature not valid")
	// ErrContent: the signed document is not a valid OneX credential.
	ErrContent = errors.New("credential content refused")
	// ErrNotYetValid: the clock is before validFrom.
	ErrNotYetValid = errors.New("credential not yet valid")
	// ErrExpired: the clock is at or after validUntil.
	ErrExpired = errors.New("credential expired")
)

// Credential is the signed document: a VC 2.0 OpenBadgeCredential.
type Credential struct {
	Context           []string           `json:"@context"`
	ID                string             `json:"id"`
	Type              []string           `json:"type"`
	Issuer            Profile            `json:"issuer"`
	Name              string             `json:"name"`
	ValidFrom         string             `json:"validFrom"`
	ValidUntil        string             `json:"validUntil,omitempty"`
	CredentialSubject AchievementSubject `json:"credentialSubject"`
	CredentialStatus  *StatusEntry       `json:"credentialStatus"`
}

// Profile is the issuer (OB 3.0 Profile).
type Profile struct {
	ID   string   `json:"id"`
	Type []string `json:"type"`
	Name string   `json:"name"`
}

// AchievementSubject is the holder and what they achieved.
type AchievementSubject struct {
	Type        []string         `json:"type"`
	Identifier  []IdentityObject `json:"identifier"`
	Achievement Achievement      `json:"achievement"`
	Result      []Result         `json:"result"`
}

// IdentityObject names the holder (OB 3.0): the ID number hashed with a salt,
// and the name as printed on the certificate.
type IdentityObject struct {
	Type         string `json:"type"`
	IdentityHash string `json:"identityHash"`
	IdentityType string `json:"identityType"`
	Hashed       bool   `json:"hashed"`
	Salt         string `json:"salt,omitempty"`
}

// Achievement is the certificate (OB 3.0 Achievement).
type Achievement struct {
	ID                string              `json:"id"`
	Type              []string            `json:"type"`
	AchievementType   string              `json:"achievementType"`
	HumanCode         string              `json:"humanCode"`
	Name              string              `json:"name"`
	Description       string              `json:"description"`
	Criteria          Criteria            `json:"criteria"`
	ResultDescription []ResultDescription `json:"resultDescription"`
}

// Criteria says what earns the achievement.
type Criteria struct {
	Narrative string `json:"narrative"`
}

// ResultDescription declares the level as a result of the achievement.
type ResultDescription struct {
	ID           string   `json:"id"`
	Type         []string `json:"type"`
	Name         string   `json:"name"`
	ResultType   string   `json:"resultType"`
	AllowedValue []string `json:"allowedValue"`
}

// Result is the level the holder was awarded.
type Result struct {
	Type              []string `json:"type"`
	ResultDescription string   `json:"resultDescription"`
	Value             string   `json:"value"`
}

// StatusEntry is a W3C Bitstring Status List entry.
type StatusEntry struct {
	ID                   string `json:"id"`
	Type                 string `json:"type"`
	StatusPurpose        string `json:"statusPurpose"`
	StatusListIndex      string `json:"statusListIndex"`
	StatusListCredential string `json:"statusListCredential"`
}

// Issuer is who signs: its id (an https URL, also the base of the ids it
// mints) and its name.
type Issuer struct {
	ID   string
	Name string
}

// Certificate is what the credential is made from. IDHash is IDHash(number,
// salt) of the holder's resident ID number; the number never enters here.
type Certificate struct {
	Number          string // certificate number, unique, e.g. "OX-WEB-2-2026-000123"
	HolderName      string
	IDHash          string // "sha256$" + hex, see IDHash
	IDSalt          string
	CertificateCode string // catalogue code of the certificate, e.g. "WEB"
	CertificateName string
	Level           string // the level awarded, one of Levels
	Levels          []string
	Criteria        string
	Issued          time.Time
	ValidUntil      time.Time // zero: no end

	StatusListURL string // the status list credential
	StatusIndex   int
	StatusPurpose string // PurposeRevocation or PurposeSuspension
}

// IDHash is the OB 3.0 hashed identity of a resident ID number:
// "sha256$" + lowercase hex of SHA-256(number || salt). The number is
// upper-cased (a final x and X are the same check digit) and trimmed first.
func IDHash(idNumber, salt string) string {
	n := strings.ToUpper(strings.TrimSpace(idNumber))
	sum := sha256.Sum256([]byte(n + salt))
	return "sha256$" + hex.EncodeToString(sum[:])
}

// holder is the identifiers of a holder: the salted hash of the ID number
// and the name.
func holder(idHash, salt, name string) []IdentityObject {
	return []IdentityObject{
		{Type: "IdentityObject", IdentityHash: idHash, IdentityType: "nationalIdentityNumber", Hashed: true, Salt: salt},
		{Type: "IdentityObject", IdentityHash: name, IdentityType: "name", Hashed: false},
	}
}

// HolderMatches reports whether idNumber is the number whose salted hash the
// credential carries.
func (c *Credential) HolderMatches(idNumber string) bool {
	return holderMatches(c.CredentialSubject.Identifier, idNumber)
}

func holderMatches(ids []IdentityObject, idNumber string) bool {
	for _, id := range ids {
		if id.IdentityType == "nationalIdentityNumber" && id.Hashed {
			return IDHash(idNumber, id.Salt) == id.IdentityHash
		}
	}
	return false
}

// StatusIndex returns the credential's index in its status list.
func (c *Credential) StatusIndex() (int, error) {
	if c.CredentialStatus == nil {
		return 0, fmt.Errorf("vc: credential has no credentialStatus: %w", ErrContent)
	}
	n, err := strconv.Atoi(c.CredentialStatus.StatusListIndex)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("vc: statusListIndex %q: %w", c.CredentialStatus.StatusListIndex, ErrContent)
	}
	return n, nil
}

// timeFormat writes dateTimeStamp values: UTC, whole seconds, "Z".
const timeFormat = "2006-01-02T15:04:05Z"

// New builds the credential of a certificate, and checks it as Verify would.
func New(iss Issuer, cert Certificate) (*Credential, error) {
	base := strings.TrimRight(iss.ID, "/")
	achID := base + "/achievements/" + url.PathEscape(cert.CertificateCode)
	levelID := achID + "#level"
	purpose := cert.StatusPurpose
	if purpose == "" {
		purpose = PurposeRevocation
	}
	idx := strconv.Itoa(cert.StatusIndex)
	c := &Credential{
		Context:   []string{ContextVC2, ContextOB3},
		ID:        base + "/certificates/" + url.PathEscape(cert.Number),
		Type:      []string{"VerifiableCredential", "OpenBadgeCredential"},
		Issuer:    Profile{ID: iss.ID, Type: []string{"Profile"}, Name: iss.Name},
		Name:      cert.CertificateName + "（" + cert.Level + "）",
		ValidFrom: cert.Issued.UTC().Format(timeFormat),
		CredentialSubject: AchievementSubject{
			Type:       []string{"AchievementSubject"},
			Identifier: holder(cert.IDHash, cert.IDSalt, cert.HolderName),
			Achievement: Achievement{
				ID:              achID,
				Type:            []string{"Achievement"},
				AchievementType: "Certificate",
				HumanCode:       cert.CertificateCode,
				Name:            cert.CertificateName,
				Description:     cert.CertificateName,
				Criteria:        Criteria{Narrative: cert.Criteria},
				ResultDescription: []ResultDescription{{
					ID: levelID, Type: []string{"ResultDescription"}, Name: "Level",
					ResultType: "RubricCriterionLevel", AllowedValue: cert.Levels,
				}},
			},
			Result: []Result{{Type: []string{"Result"}, ResultDescription: levelID, Value: cert.Level}},
		},
		CredentialStatus: &StatusEntry{
			ID:                   cert.StatusListURL + "#" + idx,
			Type:                 "BitstringStatusListEntry",
			StatusPurpose:        purpose,
			StatusListIndex:      idx,
			StatusListCredential: cert.StatusListURL,
		},
	}
	if !cert.ValidUntil.IsZero() {
		c.ValidUntil = cert.ValidUntil.UTC().Format(timeFormat)
	}
	if cert.Issued.IsZero() {
		return nil, fmt.Errorf("vc: certificate %q: issued time is zero: %w", cert.Number, ErrContent)
	}
	if cert.StatusIndex < 0 {
		return nil, fmt.Errorf("vc: certificate %q: status index %d is negative: %w", cert.Number, cert.StatusIndex, ErrContent)
	}
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("vc: certificate %q: %w", cert.Number, err)
	}
	return c, nil
}

func contentErr(field, format string, a ...any) error {
	return fmt.Errorf("vc: %s: %s: %w", field, fmt.Sprintf(format, a...), ErrContent)
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// isURL reports whether s is an absolute URL (https, or a urn).
func isURL(s string) bool {
	if s == "" || !utf8.ValidString(s) || strings.ContainsAny(s, " \t\r\n") {
		return false
	}
	u, err := url.Parse(s)
	if err != nil {
		return false
	}
	switch u.Scheme {
	case "https":
		return u.Host != ""
	case "urn", "did":
		return u.Opaque != ""
	}
	return false
}

func parseStamp(field, s string) (time.Time, error) {
	// dateTimeStamp: a date-time with a time zone; OneX writes UTC with "Z".
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, contentErr(field, "%q is not an XML Schema dateTimeStamp", s)
	}
	return t, nil
}

// checkStamps checks validFrom and validUntil (if given) are dateTimeStamps,
// validUntil after validFrom.
func checkStamps(validFrom, validUntil string) error {
	from, err := parseStamp("validFrom", validFrom)
	if err != nil {
		return err
	}
	if validUntil == "" {
		return nil
	}
	until, err := parseStamp("validUntil", validUntil)
	if err != nil {
		return err
	}
	if !until.After(from) {
		return contentErr("validUntil", "%s is not after validFrom %s", validUntil, validFrom)
	}
	return nil
}

// Validate checks the rules of VC 2.0, OB 3.0 and Bitstring Status List that
// a OneX credential must meet (FORMAT.md, "Requirements").
func (c *Credential) Validate() error {
	if len(c.Context) < 2 || c.Context[0] != ContextVC2 {
		return contentErr("@context", "the first context must be %s", ContextVC2)
	}
	if !contains(c.Context[1:], ContextOB3) {
		return contentErr("@context", "the Open Badges 3.0 context %s is missing", ContextOB3)
	}
	if !isURL(c.ID) {
		return contentErr("id", "%q is not a URL", c.ID)
	}
	if !contains(c.Type, "VerifiableCredential") || !contains(c.Type, "OpenBadgeCredential") {
		return contentErr("type", "%q must include VerifiableCredential and OpenBadgeCredential", c.Type)
	}
	if !isURL(c.Issuer.ID) {
		return contentErr("issuer.id", "%q is not a URL", c.Issuer.ID)
	}
	if !contains(c.Issuer.Type, "Profile") {
		return contentErr("issuer.type", "must include Profile")
	}
	if strings.TrimSpace(c.Issuer.Name) == "" {
		return contentErr("issuer.name", "empty")
	}
	if strings.TrimSpace(c.Name) == "" {
		return contentErr("name", "empty")
	}
	if err := checkStamps(c.ValidFrom, c.ValidUntil); err != nil {
		return err
	}
	s := c.CredentialSubject
	if !contains(s.Type, "AchievementSubject") {
		return contentErr("credentialSubject.type", "must include AchievementSubject")
	}
	if err := checkHolder(s.Identifier); err != nil {
		return err
	}
	a := s.Achievement
	if !isURL(a.ID) {
		return contentErr("credentialSubject.achievement.id", "%q is not a URL", a.ID)
	}
	if !contains(a.Type, "Achievement") {
		return contentErr("credentialSubject.achievement.type", "must include Achievement")
	}
	if strings.TrimSpace(a.Name) == "" || strings.TrimSpace(a.HumanCode) == "" {
		return contentErr("credentialSubject.achievement", "name and humanCode must not be empty")
	}
	if strings.TrimSpace(a.Criteria.Narrative) == "" {
		return contentErr("credentialSubject.achievement.criteria.narrative", "empty")
	}
	if len(a.ResultDescription) != 1 || !contains(a.ResultDescription[0].Type, "ResultDescription") ||
		len(s.Result) != 1 || s.Result[0].ResultDescription != a.ResultDescription[0].ID || !contains(s.Result[0].Type, "Result") {
		return contentErr("credentialSubject.result", "one level result, naming the achievement's one result description")
	}
	if !contains(a.ResultDescription[0].AllowedValue, s.Result[0].Value) {
		return contentErr("credentialSubject.result[0].value", "level %q is not one of %q", s.Result[0].Value, a.ResultDescription[0].AllowedValue)
	}
	st := c.CredentialStatus
	if st == nil {
		return contentErr("credentialStatus", "missing")
	}
	if st.Type != "BitstringStatusListEntry" {
		return contentErr("credentialStatus.type", "%q is not BitstringStatusListEntry", st.Type)
	}
	if st.StatusPurpose != PurposeRevocation && st.StatusPurpose != PurposeSuspension {
		return contentErr("credentialStatus.statusPurpose", "%q is not revocation or suspension", st.StatusPurpose)
	}
	if n, err := strconv.Atoi(st.StatusListIndex); err != nil || n < 0 || strconv.Itoa(n) != st.StatusListIndex {
		return contentErr("credentialStatus.statusListIndex", "%q is not a non-negative decimal integer", st.StatusListIndex)
	}
	if !isURL(st.StatusListCredential) {
		return contentErr("credentialStatus.statusListCredential", "%q is not a URL", st.StatusListCredential)
	}
	if st.ID != "" && !isURL(st.ID) {
		return contentErr("credentialStatus.id", "%q is not a URL", st.ID)
	}
	return nil
}

func validHash(h string) bool {
	hx, ok := strings.CutPrefix(h, "sha256$")
	if !ok || len(hx) != 64 {
		return false
	}
	_, err := hex.DecodeString(hx)
	return err == nil && strings.ToLower(hx) == hx
}

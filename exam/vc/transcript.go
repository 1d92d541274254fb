package vc

import (
	"crypto/ed25519"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// TypeTranscript is the type of a learner's transcript from the credit bank
// (issue 17): a VC 2.0 whose subject lists Open Badges 3.0
// AchievementSubjects, the learner's certificates, courses passed and the
// credits converted (FORMAT.md, "Transcript credential").
const TypeTranscript = "LearnerTranscriptCredential"

// MaxTranscriptTokenBytes bounds a transcript token before it is parsed: a
// learner with a few hundred outcomes and conversions stays far below.
const MaxTranscriptTokenBytes = 1 << 20

// Kinds of a transcript entry (achievementType).
const (
	KindCertificate = "Certificate" // a certificate issued
	KindCourse      = "Course"      // a course passed, or a course credited by conversion
)

// TranscriptCredential is a learner's transcript, signed as the
// certificates are.
type TranscriptCredential struct {
	Context           []string          `json:"@context"`
	ID                string            `json:"id"`
	Type              []string          `json:"type"`
	Issuer            Profile           `json:"issuer"`
	Name              string            `json:"name"`
	ValidFrom         string            `json:"validFrom"`
	CredentialSubject TranscriptSubject `json:"credentialSubject"`
}

// TranscriptSubject is the learner: named as a certificate's holder is (the
// hashed ID number and the name), with every entry and the credits in total.
type TranscriptSubject struct {
	Type          []string         `json:"type"`
	Identifier    []IdentityObject `json:"identifier"`
	CreditsEarned float64          `json:"creditsEarned"`
	Achievements  []TranscriptItem `json:"achievements"`
}

// TranscriptItem is one entry: an OB 3.0 AchievementSubject (without the
// holder, who is the transcript's subject).
type TranscriptItem struct {
	Type            []string              `json:"type"`
	Achievement     TranscriptAchievement `json:"achievement"`
	ActivityEndDate string                `json:"activityEndDate"`
	LicenseNumber   string                `json:"licenseNumber,omitempty"`
	CreditsEarned   float64               `json:"creditsEarned,omitempty"`
	Result          []TranscriptResult    `json:"result,omitempty"`
	Narrative       string                `json:"narrative,omitempty"`
}

// TranscriptAchievement is what an entry achieved (OB 3.0 Achievement): a
// certificate of the catalogue, or a course of a school (its creator).
type TranscriptAchievement struct {
	ID              string   `json:"id"`
	Type            []string `json:"type"`
	AchievementType string   `json:"achievementType"`
	HumanCode       string   `json:"humanCode"`
	Name            string   `json:"name"`
	Creator         *Profile `json:"creator,omitempty"`
}

// TranscriptResult is a result of an entry: the level a certificate
// awarded, or a score. Its resultDescription says which: the achievement's
// id followed by #level or #score.
type TranscriptResult struct {
	Type              []string `json:"type"`
	ResultDescription string   `json:"resultDescription"`
	Value             string   `json:"value"`
}

// Transcript is what a transcript credential is made from. IDHash is
// IDHash(number, IDSalt); the number never enters here.
type Transcript struct {
	Ref        string // names this transcript under the issuer: <issuer>/transcripts/<Ref>
	HolderName string
	IDHash     string
	IDSalt     string
	Issued     time.Time
	Entries    []Entry
}

// Entry is one line of a transcript.
type Entry struct {
	Kind     string // KindCertificate or KindCourse
	Code     string // the certificate's code in the catalogue, or the course's code
	Name     string // the certificate's or the course's name
	Number   string // a certificate's number
	Level    string // a certificate's level as printed, e.g. 中级
	Score    string // the score as a decimal, e.g. "88" or "72.5"; "" when none
	School   string // a course's school code
	Credits  int64  // hundredths of a credit: a course's credits, or those converted
	Date     string // the day it was earned or passed, YYYY-MM-DD (Beijing)
	Credited string // a conversion: what it converts, e.g. "证书 2026WEB0001（规则 R002）"; "" for an outcome
}

// beijing is the time zone of a transcript's days.
var beijing = time.FixedZone("CST", 8*3600)

// NewTranscript builds a learner's transcript credential, and checks it as
// VerifyTranscript would.
func NewTranscript(iss Issuer, t Transcript) (*TranscriptCredential, error) {
	base := strings.TrimRight(iss.ID, "/")
	if t.Issued.IsZero() {
		return nil, fmt.Errorf("vc: transcript %q: issued time is zero: %w", t.Ref, ErrContent)
	}
	c := &TranscriptCredential{
		Context:   []string{ContextVC2, ContextOB3},
		ID:        base + "/transcripts/" + url.PathEscape(t.Ref),
		Type:      []string{"VerifiableCredential", TypeTranscript},
		Issuer:    Profile{ID: iss.ID, Type: []string{"Profile"}, Name: iss.Name},
		Name:      "学分银行成绩单 / Credit bank transcript",
		ValidFrom: t.Issued.UTC().Format(timeFormat),
		CredentialSubject: TranscriptSubject{
			Type:         []string{"LearnerTranscript"},
			Identifier:   holder(t.IDHash, t.IDSalt, t.HolderName),
			Achievements: []TranscriptItem{},
		},
	}
	var total int64
	for i, e := range t.Entries {
		item, err := entryItem(base, e)
		if err != nil {
			return nil, fmt.Errorf("vc: transcript %q: entry %d: %w", t.Ref, i+1, err)
		}
		if e.Credited != "" {
			total += e.Credits
		}
		c.CredentialSubject.Achievements = append(c.CredentialSubject.Achievements, item)
	}
	c.CredentialSubject.CreditsEarned = credits(total)
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("vc: transcript %q: %w", t.Ref, err)
	}
	return c, nil
}

// credits writes hundredths as the decimal number OB 3.0's creditsEarned is.
func credits(h int64) float64 {
	f, _ := strconv.ParseFloat(fmt.Sprintf("%d.%02d", h/100, h%100), 64)
	return f
}

func entryItem(base string, e Entry) (TranscriptItem, error) {
	d, err := time.ParseInLocation("2006-01-02", e.Date, beijing)
	if err != nil {
		return TranscriptItem{}, contentErr("date", "%q is not a day YYYY-MM-DD", e.Date)
	}
	if e.Credits < 0 {
		return TranscriptItem{}, contentErr("credits", "%d hundredths is negative", e.Credits)
	}
	it := TranscriptItem{Type: []string{"AchievementSubject"}, ActivityEndDate: d.Format(time.RFC3339), Narrative: e.Credited}
	a := TranscriptAchievement{Type: []string{"Achievement"}, AchievementType: e.Kind, HumanCode: e.Code, Name: e.Name}
	switch e.Kind {
	case KindCertificate:
		a.ID = base + "/achievements/" + url.PathEscape(e.Code)
		it.LicenseNumber = e.Number
		if e.Level != "" {
			it.Result = append(it.Result, TranscriptResult{Type: []string{"Result"}, ResultDescription: a.ID + "#level", Value: e.Level})
		}
	case KindCourse:
		a.ID = base + "/schools/" + url.PathEscape(e.School) + "/courses/" + url.PathEscape(e.Code)
		a.Creator = &Profile{ID: base + "/schools/" + url.PathEscape(e.School), Type: []string{"Profile"}, Name: e.School}
		it.CreditsEarned = credits(e.Credits)
	default:
		return TranscriptItem{}, contentErr("kind", "%q is not %s or %s", e.Kind, KindCertificate, KindCourse)
	}
	if e.Score != "" {
		it.Result = append(it.Result, TranscriptResult{Type: []string{"Result"}, ResultDescription: a.ID + "#score", Value: e.Score})
	}
	it.Achievement = a
	return it, nil
}

// Validate checks the rules a OneX transcript credential meets (FORMAT.md,
// "Transcript credential").
func (c *TranscriptCredential) Validate() error {
	if len(c.Context) < 2 || c.Context[0] != ContextVC2 || !contains(c.Context[1:], ContextOB3) {
		return contentErr("@context", "must be %s then %s", ContextVC2, ContextOB3)
	}
	if !isURL(c.ID) {
		return contentErr("id", "%q is not a URL", c.ID)
	}
	if !contains(c.Type, "VerifiableCredential") || !contains(c.Type, TypeTranscript) {
		return contentErr("type", "%q must include VerifiableCredential and %s", c.Type, TypeTranscript)
	}
	if !isURL(c.Issuer.ID) || !contains(c.Issuer.Type, "Profile") || strings.TrimSpace(c.Issuer.Name) == "" {
		return contentErr("issuer", "needs a URL id, type Profile and a name")
	}
	if strings.TrimSpace(c.Name) == "" {
		return contentErr("name", "empty")
	}
	if err := checkStamps(c.ValidFrom, ""); err != nil {
		return err
	}
	s := c.CredentialSubject
	if !contains(s.Type, "LearnerTranscript") {
		return contentErr("credentialSubject.type", "must include LearnerTranscript")
	}
	if err := checkHolder(s.Identifier); err != nil {
		return err
	}
	var total float64
	for i, it := range s.Achievements {
		f := fmt.Sprintf("credentialSubject.achievements[%d]", i)
		a := it.Achievement
		switch {
		case !contains(it.Type, "AchievementSubject"):
			return contentErr(f+".type", "must include AchievementSubject")
		case !isURL(a.ID) || !contains(a.Type, "Achievement"):
			return contentErr(f+".achievement", "needs a URL id and type Achievement")
		case strings.TrimSpace(a.HumanCode) == "" || strings.TrimSpace(a.Name) == "":
			return contentErr(f+".achievement", "humanCode and name must not be empty")
		case it.CreditsEarned < 0 || it.CreditsEarned > 1000:
			return contentErr(f+".creditsEarned", "%v is out of range", it.CreditsEarned)
		}
		if _, err := time.Parse(time.RFC3339, it.ActivityEndDate); err != nil {
			return contentErr(f+".activityEndDate", "%q is not a date-time", it.ActivityEndDate)
		}
		switch a.AchievementType {
		case KindCertificate:
			if it.LicenseNumber == "" || a.Creator != nil || it.CreditsEarned != 0 {
				return contentErr(f, "a certificate has its number, no creator and no credits")
			}
		case KindCourse:
			if a.Creator == nil || !isURL(a.Creator.ID) || strings.TrimSpace(a.Creator.Name) == "" || it.CreditsEarned <= 0 {
				return contentErr(f, "a course has its school as creator and credits")
			}
			if it.Narrative != "" {
				total += it.CreditsEarned
			}
		default:
			return contentErr(f+".achievement.achievementType", "%q is not %s or %s", a.AchievementType, KindCertificate, KindCourse)
		}
		for j, r := range it.Result {
			if !contains(r.Type, "Result") || strings.TrimSpace(r.Value) == "" ||
				(r.ResultDescription != a.ID+"#level" && r.ResultDescription != a.ID+"#score") {
				return contentErr(fmt.Sprintf("%s.result[%d]", f, j), "a level or score naming its achievement")
			}
		}
	}
	// Credits are hundredths: compare the sums to the hundredth.
	if int64(total*100+0.5) != int64(s.CreditsEarned*100+0.5) {
		return contentErr("credentialSubject.creditsEarned", "%v is not the sum of the credits converted, %v", s.CreditsEarned, total)
	}
	return nil
}

// checkHolder checks the subject's identifiers: the salted hash of the ID
// number, never the number, and the name.
func checkHolder(ids []IdentityObject) error {
	var hashed, named bool
	for i, id := range ids {
		f := fmt.Sprintf("credentialSubject.identifier[%d]", i)
		if id.Type != "IdentityObject" {
			return contentErr(f+".type", "%q is not IdentityObject", id.Type)
		}
		switch id.IdentityType {
		case "nationalIdentityNumber":
			if !id.Hashed || id.Salt == "" || !validHash(id.IdentityHash) {
				return contentErr(f, "the ID number must be a salted sha256$ hash, never the number")
			}
			hashed = true
		case "name":
			if id.Hashed || strings.TrimSpace(id.IdentityHash) == "" {
				return contentErr(f, "the holder's name is empty")
			}
			named = true
		default:
			return contentErr(f+".identityType", "%q not written by OneX", id.IdentityType)
		}
	}
	if !hashed || !named {
		return contentErr("credentialSubject.identifier", "needs the hashed ID number and the name")
	}
	return nil
}

// HolderMatches reports whether idNumber is the number whose salted hash the
// transcript carries.
func (c *TranscriptCredential) HolderMatches(idNumber string) bool {
	return holderMatches(c.CredentialSubject.Identifier, idNumber)
}

// Encode writes the transcript as the JSON that is signed.
func (c *TranscriptCredential) Encode() ([]byte, error) { return encodeJSON(c, c.ID) }

func (c *TranscriptCredential) window() (string, string) { return c.ValidFrom, "" }

// SignTranscript secures the transcript as the certificates' credentials are
// (VC-JOSE, typ vc+jwt, cty vc, EdDSA, kid).
func SignTranscript(c *TranscriptCredential, kid string, key ed25519.PrivateKey) (string, error) {
	return signDoc(c, c.ID, kid, key)
}

// VerifyTranscript checks a transcript token as Verify checks a
// certificate's (the JWS, the header, a key of the kid, the signature, the
// document strictly decoded and valid, the clock after validFrom) and
// returns the transcript.
func VerifyTranscript(token string, keys Keys, now time.Time) (*TranscriptCredential, error) {
	var c TranscriptCredential
	if _, _, err := verifyDoc(token, keys, now, MaxTranscriptTokenBytes, &c); err != nil {
		return nil, err
	}
	return &c, nil
}

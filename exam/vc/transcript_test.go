package vc

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"
)

// trClock is when the vector transcript is made; it is verified at vectorClock.
var trClock = time.Date(2026, 6, 30, 8, 0, 0, 0, time.UTC)

// vectorTranscript is FORMAT.md's transcript: the certificate of the
// certificate vector, a course passed, and two conversions of the
// certificate at two schools.
func vectorTranscript() Transcript {
	return Transcript{
		Ref: "3f1c9a2e7b4d5061", HolderName: "张三", IDHash: IDHash(vectorID, vectorSlt), IDSalt: vectorSlt, Issued: trClock,
		Entries: []Entry{
			{Kind: KindCertificate, Code: "WEB", Name: "Web 前端开发", Number: "WEB-2-2026-000123", Level: "中级", Score: "88", Date: "2026-06-30"},
			{Kind: KindCourse, Code: "DS101", Name: "数据结构", School: "10001", Credits: 300, Score: "81", Date: "2026-01-15"},
			{Kind: KindCourse, Code: "CS201", Name: "网页设计与制作", School: "10001", Credits: 500, Date: "2026-06-30", Credited: "证书 WEB-2-2026-000123（规则 R002）"},
			{Kind: KindCourse, Code: "RJ210", Name: "前端工程", School: "10002", Credits: 250, Date: "2026-06-30", Credited: "证书 WEB-2-2026-000123（规则 R008）"},
		},
	}
}

func mustTranscript(t testing.TB) (string, *TranscriptCredential) {
	t.Helper()
	c, err := NewTranscript(vectorIssuer(), vectorTranscript())
	if err != nil {
		t.Fatal(err)
	}
	tok, err := SignTranscript(c, vectorKid, vectorKey)
	if err != nil {
		t.Fatal(err)
	}
	return tok, c
}

// TestTranscriptFormatVector: the code writes FORMAT.md's transcript vector,
// it verifies, and each of its failure vectors is refused with the error named.
func TestTranscriptFormatVector(t *testing.T) {
	v, doc := formatVectors(t)
	if v["trpayload"] == "" || v["trtoken"] == "" {
		t.Fatal("FORMAT.md has no transcript vector")
	}
	tok, c := mustTranscript(t)
	token := sameAsFormat(t, v, "tr", tok, c)
	res, err := VerifyTranscript(token, vectorKeys(), vectorClock)
	if err != nil {
		t.Fatal(err)
	}
	if !res.HolderMatches(vectorID) || res.HolderMatches("110105194912310021") {
		t.Error("HolderMatches: the vector's number must match, another must not")
	}
	if res.CredentialSubject.CreditsEarned != 7.5 {
		t.Errorf("creditsEarned %v, want 7.5 (5 + 2.5 converted; the course passed is not converted)", res.CredentialSubject.CreditsEarned)
	}

	parts := strings.Split(token, ".")
	body, _ := base64.RawURLEncoding.DecodeString(parts[1])
	enc := base64.RawURLEncoding.EncodeToString
	edits := map[string]struct {
		tok string
		now time.Time
	}{
		"tr-credits-raised": {parts[0] + "." + enc(bytes.Replace(body, []byte(`"creditsEarned":5,`), []byte(`"creditsEarned":6,`), 1)) + "." + parts[2], vectorClock},
		"tr-sum-resigned":   {signRaw(t, []byte(v["header"]), bytes.Replace(body, []byte(`"creditsEarned":7.5`), []byte(`"creditsEarned":8.5`), 1)), vectorClock},
		"tr-certificate":    {mustTokenOnly(t), vectorClock},
		"tr-before":         {token, trClock.Add(-time.Second)},
	}
	errs := map[string]error{"ErrSignature": ErrSignature, "ErrContent": ErrContent, "ErrNotYetValid": ErrNotYetValid}
	rows := regexp.MustCompile("(?m)^\\| `(tr-[a-z-]+)` \\| .* \\| `(Err[A-Za-z]+)` \\|$").FindAllStringSubmatch(doc, -1)
	if len(rows) != len(edits) {
		t.Errorf("FORMAT.md lists %d transcript failure vectors, the test has %d", len(rows), len(edits))
	}
	for _, r := range rows {
		e, ok := edits[r[1]]
		if !ok || errs[r[2]] == nil {
			t.Errorf("%s: no edit or unknown error %s", r[1], r[2])
			continue
		}
		if _, err := VerifyTranscript(e.tok, vectorKeys(), e.now); !errors.Is(err, errs[r[2]]) {
			t.Errorf("%s: want %s, got %v", r[1], r[2], err)
		}
	}
}

// sameAsFormat checks that tok and doc's encoding are FORMAT.md's vectors
// <prefix>token and <prefix>payload, and returns the file's token.
func sameAsFormat(t *testing.T, v map[string]string, prefix, tok string, doc interface{ Encode() ([]byte, error) }) string {
	t.Helper()
	token := strings.ReplaceAll(v[prefix+"token"], "\n", "")
	var payload bytes.Buffer
	if err := json.Compact(&payload, []byte(v[prefix+"payload"])); err != nil {
		t.Fatal(err)
	}
	if tok != token {
		t.Errorf("the code signs a token other than FORMAT.md's %stoken:\n%s", prefix, tok)
	}
	if enc, _ := doc.Encode(); !bytes.Equal(enc, payload.Bytes()) {
		t.Errorf("the payload differs from FORMAT.md's %spayload:\n%s", prefix, enc)
	}
	return token
}

func mustTokenOnly(t *testing.T) string { tok, _ := mustToken(t); return tok }

// A certificate's token is no transcript, nor a transcript's a certificate.
func TestTranscriptIsNoCertificate(t *testing.T) {
	tok, _ := mustTranscript(t)
	if _, err := Verify(tok, vectorKeys(), vectorClock); !errors.Is(err, ErrContent) {
		t.Errorf("a transcript verified as a certificate: %v", err)
	}
}

func TestNewTranscriptRefuses(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*Transcript)
	}{
		{"no issue time", func(tr *Transcript) { tr.Issued = time.Time{} }},
		{"bad day", func(tr *Transcript) { tr.Entries[0].Date = "2026-6-30" }},
		{"unknown kind", func(tr *Transcript) { tr.Entries[0].Kind = "Badge" }},
		{"certificate without number", func(tr *Transcript) { tr.Entries[0].Number = "" }},
		{"course without credits", func(tr *Transcript) { tr.Entries[1].Credits = 0 }},
		{"negative credits", func(tr *Transcript) { tr.Entries[2].Credits = -100 }},
		{"course without school", func(tr *Transcript) { tr.Entries[1].School = "" }},
		{"empty name", func(tr *Transcript) { tr.HolderName = " " }},
		{"ID number in clear", func(tr *Transcript) { tr.IDHash = vectorID }},
		{"empty code", func(tr *Transcript) { tr.Entries[3].Code = "" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr := vectorTranscript()
			tc.edit(&tr)
			if _, err := NewTranscript(vectorIssuer(), tr); !errors.Is(err, ErrContent) {
				t.Errorf("want ErrContent, got %v", err)
			}
		})
	}
	// An account with nothing yet is a transcript with no entries.
	tr := vectorTranscript()
	tr.Entries = nil
	c, err := NewTranscript(vectorIssuer(), tr)
	if err != nil || c.CredentialSubject.CreditsEarned != 0 || c.CredentialSubject.Achievements == nil {
		t.Errorf("empty transcript: %v %+v", err, c)
	}
}

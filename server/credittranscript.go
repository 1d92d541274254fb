package server

// The learner's transcript (issue 17): a learner account as a PDF in the
// certificate's style and as a signed VC-JOSE credential (exam/vc's
// LearnerTranscriptCredential), signed by the certificates' issuer key in
// its window now. The public learner page hands both out to whoever gives a
// certificate's number, its holder's name and the holder's ID number
// (LearnerAccountByCertificate, throttled per address).

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"onex/exam/credential"
	"onex/exam/credit"
	"onex/exam/vc"
	"onex/server/certpdf"
)

// TranscriptIssuerName is who a transcript says issued it: central's
// platform, as the status lists say (a transcript spans organisations).
const TranscriptIssuerName = StatusListIssuerName

// MaskID shows an ID number's first and last four characters, the rest as
// stars: what a transcript and the learner page print of it.
func MaskID(id string) string {
	r := []rune(credential.NormaliseID(id))
	if len(r) <= 8 {
		return strings.Repeat("*", len(r))
	}
	return string(r[:4]) + strings.Repeat("*", len(r)-8) + string(r[len(r)-4:])
}

// dayOf writes a credit day as YYYY-MM-DD.
func dayOf(d credit.Date) string { return d.String() }

// conversionFrom says which outcome a conversion converts, for a
// transcript: "证书 <number>（规则 <rule>）" or the course's.
func conversionFrom(cv credit.Conversion) string {
	what := strings.TrimPrefix(cv.Outcome, "certificate:")
	if what != cv.Outcome {
		what = "证书 " + what
	} else {
		what = "课程 " + strings.TrimPrefix(cv.Outcome, "course:")
	}
	return what + "（规则 " + cv.Rule + "）"
}

// transcriptEntries is the account as a signed transcript lists it: the
// valid certificates, the courses passed and the conversions granted (an
// offered conversion is no credit until an approval grants it).
func transcriptEntries(acc LearnerAccount) []vc.Entry {
	var out []vc.Entry
	for _, ac := range acc.Certificates {
		if ac.Status != credential.Valid {
			continue
		}
		e := vc.Entry{Kind: vc.KindCertificate, Code: ac.CertCode, Name: ac.CertName, Number: ac.Number,
			Level: ac.Level.Chinese(), Date: ac.Issued.In(CST).Format("2006-01-02")}
		if e.Name == "" {
			e.Name = ac.CertCode
		}
		if ac.Score >= 0 {
			e.Score = ac.Score.String()
		}
		out = append(out, e)
	}
	for _, co := range acc.Courses {
		out = append(out, vc.Entry{Kind: vc.KindCourse, Code: co.Course, Name: co.CourseName, School: co.School,
			Credits: int64(co.Credits), Score: co.Score.String(), Date: dayOf(co.Date)})
	}
	for _, cv := range acc.Preview.Conversions {
		if !cv.Granted {
			continue
		}
		out = append(out, vc.Entry{Kind: vc.KindCourse, Code: cv.Course, Name: cv.CourseName, School: cv.School,
			Credits: int64(cv.Credits), Date: dayOf(cv.Earned), Credited: conversionFrom(cv)})
	}
	return out
}

// randomRef names a transcript: 16 random hex digits.
func randomRef() string {
	b := make([]byte, 8)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// LearnerTranscriptVC is the account of a certificate's holder, looked up
// as LearnerAccountByCertificate does (the same three fields, the same
// throttle), as a signed transcript credential (VC-JOSE, application/vc+jwt)
// signed by the issuer key in its window now. The holder is named by the
// name and a freshly salted hash of the ID number typed, never the number.
func (c *Central) LearnerTranscriptVC(ctx context.Context, number, name, idNumber, from string) (string, error) {
	acc, err := c.LearnerAccountByCertificate(ctx, number, name, idNumber, from)
	if err != nil {
		return "", err
	}
	now := c.now()
	ik, err := c.issuerKeyAt(ctx, now)
	if err != nil {
		return "", err
	}
	salt := make([]byte, 16)
	rand.Read(salt)
	s := base64.RawURLEncoding.EncodeToString(salt)
	cred, err := vc.NewTranscript(vc.Issuer{ID: c.PublicURL(), Name: TranscriptIssuerName}, vc.Transcript{
		Ref: randomRef(), HolderName: acc.Name, IDHash: vc.IDHash(credential.NormaliseID(idNumber), s), IDSalt: s,
		Issued: now, Entries: transcriptEntries(acc),
	})
	if err != nil {
		return "", fmt.Errorf("learner transcript: %w", err)
	}
	return vc.SignTranscript(cred, hex.EncodeToString(ik.issuer.KeyID()), ik.key)
}

// LearnerTranscriptPDF writes the account of a certificate's holder, looked
// up as LearnerAccountByCertificate does, as the printed transcript: every
// certificate with its status, the courses passed, the conversions granted
// and offered. The ID number is printed masked.
func (c *Central) LearnerTranscriptPDF(ctx context.Context, w io.Writer, number, name, idNumber, from string) error {
	acc, err := c.LearnerAccountByCertificate(ctx, number, name, idNumber, from)
	if err != nil {
		return err
	}
	r, err := c.pdfRenderer()
	if err != nil {
		return fmt.Errorf("learner transcript: %w", err)
	}
	err = r.RenderTranscript(w, PDFTranscript(acc, MaskID(idNumber), c.now(), c.PublicURL()+"/learner"))
	var fe *certpdf.FieldError
	if errors.As(err, &fe) {
		return inputf("learner transcript: %v", err)
	}
	return err
}

// pdfRenderer is the PDF renderer, its fonts read once.
func (c *Central) pdfRenderer() (*certpdf.Renderer, error) {
	c.certs.pdfOnce.Do(func() { c.certs.pdf, c.certs.pdfErr = certpdf.NewRenderer(certpdf.Fonts{}) })
	return c.certs.pdf, c.certs.pdfErr
}

// statusZH names a certificate's status in Chinese and English, as the
// transcript prints it.
var statusZH = map[credential.Status]string{credential.Valid: "有效 valid", credential.Suspended: "暂停 suspended", credential.Revoked: "已撤销 revoked"}

// PDFTranscript is what the printed transcript shows of acc, made at made.
func PDFTranscript(acc LearnerAccount, idMasked string, made time.Time, verifyURL string) certpdf.Transcript {
	t := certpdf.Transcript{Holder: acc.Name, IDMasked: idMasked, Issuer: TranscriptIssuerName, Made: made,
		Total: acc.Preview.GrantedCredits.String(), VerifyURL: verifyURL}
	for _, ac := range acc.Certificates {
		res := ac.Level.Chinese()
		if ac.Score >= 0 {
			res += " · " + ac.Score.String()
		}
		name := ac.CertName
		if name == "" {
			name = ac.CertCode
		}
		t.Outcomes = append(t.Outcomes, certpdf.OutcomeRow{Kind: "证书 Certificate", Name: name, Ref: ac.Number, Result: res,
			Date: ac.Issued.In(CST).Format("2006-01-02"), Status: statusZH[ac.Status]})
	}
	for _, co := range acc.Courses {
		t.Outcomes = append(t.Outcomes, certpdf.OutcomeRow{Kind: "课程 Course", Name: co.CourseName, Ref: co.School + " / " + co.Course,
			Result: co.Score.String() + " · " + co.Credits.String() + " 学分", Date: dayOf(co.Date), Status: "通过 passed"})
	}
	for _, cv := range acc.Preview.Conversions {
		state := "可申请 offered"
		if cv.Granted {
			state = "已认定 granted"
		}
		t.Credits = append(t.Credits, certpdf.CreditRow{School: cv.School, Course: cv.Course + " " + cv.CourseName,
			Credits: cv.Credits.String(), From: conversionFrom(cv), State: state})
	}
	return t
}

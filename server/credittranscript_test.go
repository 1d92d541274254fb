package server_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"onex/exam/credential"
	"onex/exam/vc"
	"onex/server"
	"onex/server/servertest"
)

// grantedOne is Certified with the sample rules imported and the
// conversion at CreditSchool applied for and approved; the one at
// CreditSchool2 stays offered.
func grantedOne(t *testing.T) (*servertest.Central, server.Certificate) {
	t.Helper()
	c, cert := servertest.Certified(t)
	c.ImportSampleRules(t)
	c.GrantSample(t)
	return c, cert
}

// issuerKeys are central's issuer public keys by hex key id, as a verifier
// holds them from the trust list.
func issuerKeys(t *testing.T, c *servertest.Central) vc.Keys {
	t.Helper()
	tl, err := c.TrustList(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	keys := vc.Keys{}
	for _, k := range tl.Keys {
		id := hex.EncodeToString(k.KeyID)
		keys[id] = append(keys[id], k.Public)
	}
	return keys
}

// TestLearnerTranscriptVC: the three fields of the holder give a transcript
// credential signed by the current issuer key that verifies with the trust
// list's keys: the certificate, and the conversion granted (not the one
// only offered), 4 credits in total; it names the holder by a salted hash
// that matches the ID number, never the number; two transcripts differ in
// id and salt. Any other name or number is ErrNotFound, and after a
// rotation the transcript is signed by the new key.
func TestLearnerTranscriptVC(t *testing.T) {
	c, cert := grantedOne(t)
	ctx := context.Background()
	tok, err := c.LearnerTranscriptVC(ctx, cert.Number, servertest.HolderName, servertest.HolderID, "10.1.0.1")
	if err != nil {
		t.Fatal(err)
	}
	keys := issuerKeys(t, c)
	tr, err := vc.VerifyTranscript(tok, keys, c.Clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	iss, err := c.CurrentIssuer(ctx)
	if err != nil {
		t.Fatal(err)
	}
	hdr, _ := base64.RawURLEncoding.DecodeString(strings.Split(tok, ".")[0])
	if !strings.Contains(string(hdr), `"kid":"`+hex.EncodeToString(iss.KeyID())+`"`) {
		t.Errorf("not signed by the current issuer key: %s", hdr)
	}
	s := tr.CredentialSubject
	if !tr.HolderMatches(servertest.HolderID) || tr.HolderMatches("31010420031018810X") || s.CreditsEarned != 4 || len(s.Achievements) != 2 {
		t.Fatalf("transcript %+v", s)
	}
	if a := s.Achievements[0]; a.LicenseNumber != cert.Number || a.Achievement.AchievementType != vc.KindCertificate || a.Result[0].Value != "初级" {
		t.Errorf("certificate entry %+v", a)
	}
	if a := s.Achievements[1]; a.Achievement.HumanCode != "WEB101" || a.CreditsEarned != 4 || a.Achievement.Creator.Name != servertest.CreditSchool || !strings.Contains(a.Narrative, cert.Number) {
		t.Errorf("conversion entry %+v", a)
	}
	payload, _ := base64.RawURLEncoding.DecodeString(strings.Split(tok, ".")[1])
	if bytes.Contains(payload, []byte(servertest.HolderID)) || bytes.Contains(payload, []byte("W9")) {
		t.Error("the transcript carries the ID number, or a conversion only offered")
	}
	again, err := c.LearnerTranscriptVC(ctx, cert.Number, servertest.HolderName, servertest.HolderID, "10.1.0.1")
	if tr2, _ := vc.VerifyTranscript(again, keys, c.Clock.Now()); err != nil || tr2 == nil || tr2.ID == tr.ID || tr2.CredentialSubject.Identifier[0].Salt == s.Identifier[0].Salt {
		t.Errorf("a second transcript has the same id or salt: %v", err)
	}
	for _, wrong := range [][3]string{
		{cert.Number, "钟静", servertest.HolderID},
		{cert.Number, servertest.HolderName, "31010420031018810X"},
		{"WEB-1-2026-999999", servertest.HolderName, servertest.HolderID},
	} {
		if _, err := c.LearnerTranscriptVC(ctx, wrong[0], wrong[1], wrong[2], "10.1.0.2"); !errors.Is(err, server.ErrNotFound) {
			t.Errorf("%q: %v", wrong, err)
		}
	}
	c.Clock.Add(2e9)
	if _, err := c.RotateIssuerKey(ctx, "office ann"); err != nil {
		t.Fatal(err)
	}
	c.Clock.Add(2e9)
	rotated, err := c.LearnerTranscriptVC(ctx, cert.Number, servertest.HolderName, servertest.HolderID, "10.1.0.1")
	if err != nil {
		t.Fatal(err)
	}
	if iss2, _ := c.CurrentIssuer(ctx); iss2 == nil || bytes.Equal(iss2.KeyID(), iss.KeyID()) {
		t.Fatal("no new issuer key")
	} else if hdr, _ := base64.RawURLEncoding.DecodeString(strings.Split(rotated, ".")[0]); !strings.Contains(string(hdr), hex.EncodeToString(iss2.KeyID())) {
		t.Errorf("after a rotation, signed by %s", hdr)
	}
	if _, err := vc.VerifyTranscript(rotated, issuerKeys(t, c), c.Clock.Now()); err != nil {
		t.Error(err)
	}
}

// TestLearnerTranscriptPDF: the transcript PDF renders (pdftoppm: not
// blank), prints the certificate, the conversion granted and the one
// offered, the ID number masked and never in full; a suspended certificate
// is printed as suspended and offers nothing more.
func TestLearnerTranscriptPDF(t *testing.T) {
	c, cert := grantedOne(t)
	ctx := context.Background()
	pdfText := func(addr string, wants ...string) string {
		t.Helper()
		var buf bytes.Buffer
		if err := c.LearnerTranscriptPDF(ctx, &buf, cert.Number, servertest.HolderName, servertest.HolderID, addr); err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		pdf := filepath.Join(dir, "t.pdf")
		if err := os.WriteFile(pdf, buf.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command("pdftoppm", "-png", "-r", "40", "-singlefile", pdf, filepath.Join(dir, "t")).CombinedOutput(); err != nil {
			t.Fatalf("pdftoppm: %v %s", err, out)
		}
		if share := darkPixels(t, filepath.Join(dir, "t.png")); share < 0.01 || share > 0.4 {
			t.Errorf("dark share %.3f: blank or black page", share)
		}
		out, err := exec.Command("pdftotext", pdf, "-").Output()
		if err != nil {
			t.Fatal(err)
		}
		text := strings.Join(strings.Fields(string(out)), "")
		for _, want := range wants {
			if !strings.Contains(text, want) {
				t.Errorf("%q not in the transcript:\n%s", want, text)
			}
		}
		if strings.Contains(text, servertest.HolderID) {
			t.Error("the transcript prints the ID number in full")
		}
		return text
	}
	pdfText("10.2.0.1", servertest.HolderName, server.MaskID(servertest.HolderID), cert.Number, "有效", "WEB101", "已认定", "W9", "可申请")
	// Suspended: printed so, and it offers nothing more; the granted conversion stands.
	if _, err := c.SetCertificateStatus(ctx, cert.Number, credential.Suspended, "核查", "office ann"); err != nil {
		t.Fatal(err)
	}
	if text := pdfText("10.2.0.1", cert.Number, "暂停", "WEB101", "已认定"); strings.Contains(text, "W9") {
		t.Error("a suspended certificate's conversion is still offered")
	}
	if err := c.LearnerTranscriptPDF(ctx, &bytes.Buffer{}, cert.Number, "钟静", servertest.HolderID, "10.2.0.2"); !errors.Is(err, server.ErrNotFound) {
		t.Errorf("another name: %v", err)
	}
}

// darkPixels is the share of a PNG's pixels darker than mid-grey.
func darkPixels(t *testing.T, path string) float64 {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	b, dark := img.Bounds(), 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if r, g, bl, _ := img.At(x, y).RGBA(); (r*299+g*587+bl*114)/1000 < 0x8000 {
				dark++
			}
		}
	}
	return float64(dark) / float64(b.Dx()*b.Dy())
}

func TestMaskID(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"310104200410159779", "3101**********9779"},
		{" 31010420031018810x ", "3101**********810X"},
		{"A1234567", "********"},
		{"", ""},
	} {
		if got := server.MaskID(tc.in); got != tc.want {
			t.Errorf("MaskID(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

package certpdf

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"image"
	imgdraw "image/draw"
	"os"
	"reflect"
	"testing"
	"time"

	"onex/exam/credential"
	"onex/internal/qrscan"
)

// signedSample is sample() with a real QR text: the claims of the
// certificate signed by a fresh issuer key, and the trust list (signed by
// a fresh root) a verifier opens it with.
func signedSample(t testing.TB) (Certificate, credential.Claims, *credential.TrustList) {
	t.Helper()
	_, root, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	_, ik, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	issuer := credential.NewIssuer(ik)
	issued := time.Date(2026, 11, 29, 10, 30, 0, 0, time.UTC)
	signed, err := credential.SignTrustList(root, credential.TrustList{Issued: issued, Keys: []credential.TrustedKey{
		{KeyID: issuer.KeyID(), Public: issuer.Public(), NotBefore: issued.AddDate(0, -1, 0), NotAfter: issued.AddDate(1, 0, 0)},
	}})
	if err != nil {
		t.Fatal(err)
	}
	tl, err := credential.OpenTrustList(signed, root.Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	salt := sha256.Sum256([]byte("certpdf qr test salt"))
	claims := credential.Claims{
		Number: "WEB-1-2026-000123", Holder: "欧阳振华",
		IDSalt: salt[:credential.SaltSize], IDHash: credential.HashID(salt[:credential.SaltSize], "11010519900307123X"),
		Certificate: "WEB", Level: 1, Organisation: "北京新大陆时代教育科技有限公司", Site: "番禺职业技术学院考点",
		Issued: issued, StatusIndex: 4711,
	}
	text, err := issuer.IssueText(claims)
	if err != nil {
		t.Fatal(err)
	}
	claims.KeyID = issuer.KeyID()
	c := sample()
	c.Number, c.Holder, c.Name, c.NameEN = claims.Number, claims.Holder, "Web前端开发职业技能等级证书", "Vocational Skill Level Certificate: Web Front-End Development"
	c.Level, c.LevelEN, c.Org, c.Site, c.Issued, c.QR = "初级", "Elementary", claims.Organisation, claims.Site, issued, text
	return c, claims, tl
}

// TestPDFQRDecodes: the QR printed on the PDF, rasterised by pdftoppm at
// 150 dpi, is read by a QR decoder (gozxing's finder-pattern detector, as a
// phone reads a photograph, not the pure-barcode shortcut), and the text
// read verifies against the trust list to the very claims signed — on the
// whole page, and on the QR's box cut out of it.
func TestPDFQRDecodes(t *testing.T) {
	c, claims, tl := signedSample(t)
	var buf bytes.Buffer
	if err := renderer(t).Render(&buf, c); err != nil {
		t.Fatal(err)
	}
	page, pngBytes := toPNG(t, buf.Bytes(), "150")
	// The QR's box as layout places it (qrX, qrSize, top at 68 mm), with 4 mm about it, in pixels.
	px := func(mm float64) int { return int(mm * 150 / 25.4) }
	box := image.Rect(px(qrX-4), px(68-4), px(qrX+qrSize+4), px(68+qrSize+4))
	for _, tc := range []struct {
		name string
		img  image.Image
	}{
		{"whole page", page},
		{"the QR's box", crop(page, box)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := qrscan.Read(tc.img)
			if err != nil {
				t.Fatal(err)
			}
			if got != c.QR {
				t.Fatalf("QR read %q, want %q", got, c.QR)
			}
			verified, err := credential.VerifyText(got, tl)
			if err != nil {
				t.Fatalf("verify the QR read from the PDF: %v", err)
			}
			if !reflect.DeepEqual(*verified, claims) {
				t.Errorf("claims read from the PDF\n got %+v\nwant %+v", *verified, claims)
			}
			if !verified.CheckID("11010519900307123X") || verified.CheckID("110105199003071231") {
				t.Error("the ID number does not check as it should against the claims read")
			}
		})
	}
	if out := os.Getenv("CERTPDF_SCREENSHOT"); out != "" {
		if err := os.WriteFile(out, pngBytes, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func crop(img image.Image, r image.Rectangle) image.Image {
	out := image.NewRGBA(image.Rect(0, 0, r.Dx(), r.Dy()))
	imgdraw.Draw(out, out.Bounds(), img, r.Min, imgdraw.Src)
	return out
}

package certpdf

import (
	"bytes"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// sample is a certificate with a long Chinese name and organisation.
func sample() Certificate {
	return Certificate{
		Number:    "ONEX-2026-3201-000123",
		Holder:    "欧阳娜娜·阿卜杜热合曼·买买提",
		Name:      "电工职业技能等级证书",
		NameEN:    "Vocational Skill Level Certificate: Electrician",
		Level:     "三级 / 高级工",
		LevelEN:   "Level 3 (Advanced Worker)",
		Org:       "江苏省南京市人力资源和社会保障局职业技能鉴定指导中心（第三鉴定所）",
		Site:      "南京市江宁区高级技工学校第二考点",
		Issued:    time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC),
		QR:        "OX1:" + strings.Repeat("0123456789ABCDEF", 18),
		VerifyURL: "https://onex.example.cn/verify",
	}
}

func renderer(t testing.TB) *Renderer {
	t.Helper()
	r, err := NewRenderer(Fonts{})
	if err != nil {
		t.Fatalf("%v", err)
	}
	return r
}

// toPNG rasterises a PDF with pdftoppm at dpi and decodes the page.
func toPNG(t *testing.T, pdf []byte, dpi string) (image.Image, []byte) {
	t.Helper()
	if _, err := exec.LookPath("pdftoppm"); err != nil {
		t.Fatalf("pdftoppm (poppler-utils) is needed: %v", err)
	}
	dir := t.TempDir()
	in := filepath.Join(dir, "c.pdf")
	if err := os.WriteFile(in, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdftoppm", "-png", "-r", dpi, "-singlefile", in, filepath.Join(dir, "c")).CombinedOutput()
	if err != nil {
		t.Fatalf("pdftoppm: %v: %s", err, out)
	}
	b, err := os.ReadFile(filepath.Join(dir, "c.png"))
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return img, b
}

// darkShare is the share of pixels darker than mid-grey.
func darkShare(img image.Image) float64 {
	b := img.Bounds()
	dark := 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if (r*299+g*587+bl*114)/1000 < 0x8000 {
				dark++
			}
		}
	}
	return float64(dark) / float64(b.Dx()*b.Dy())
}

func TestRenderPNG(t *testing.T) {
	r := renderer(t)
	var buf bytes.Buffer
	if err := r.Render(&buf, sample()); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(buf.Bytes(), []byte("%PDF-")) {
		t.Fatalf("not a PDF: %q", buf.Bytes()[:16])
	}
	img, _ := toPNG(t, buf.Bytes(), "50")
	// A4 landscape at 50 dpi: 585 × 413 pixels.
	if b := img.Bounds(); b.Dx() < b.Dy() || b.Dx() < 580 || b.Dx() > 590 {
		t.Errorf("page is %v, want A4 landscape (585 × 413 at 50 dpi)", b)
	}
	share := darkShare(img)
	t.Logf("dark share %.3f, PDF %d bytes", share, buf.Len())
	if share < 0.03 || share > 0.40 {
		t.Errorf("dark share %.3f: want between 3 %% and 40 %% (blank or black page?)", share)
	}
	if os.Getenv("CERTPDF_SCREENSHOT") != "" {
		_, b := toPNG(t, buf.Bytes(), "100")
		if err := os.WriteFile(os.Getenv("CERTPDF_SCREENSHOT"), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

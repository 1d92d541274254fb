package certpdf

import (
	"bytes"
	"errors"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode"

	qrcode "github.com/skip2/go-qrcode"
	"pgregory.net/rapid"
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

// laid lays c out on a fresh document and returns what was placed.
func laid(t testing.TB, r *Renderer, c Certificate) ([]placed, error) {
	t.Helper()
	if err := check(c); err != nil {
		return nil, err
	}
	return layout(r.newPDF(c), c, qrPNG(t, c.QR))
}

func qrPNG(t testing.TB, s string) []byte {
	t.Helper()
	q, err := qrcode.New(s, qrcode.High)
	if err != nil {
		t.Fatal(err)
	}
	b, err := q.PNG(-6)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// assertInside checks every placed text is no wider than its box and lies
// inside the inner border, and that the fields of c all appear.
// errorer is what assertInside needs of a *testing.T or a *rapid.T.
type errorer interface {
	Helper()
	Errorf(format string, args ...any)
}

func assertInside(t errorer, c Certificate, ps []placed) {
	t.Helper()
	seen := map[string]bool{}
	for _, p := range ps {
		seen[p.field] = true
		if p.width > p.box+1e-9 {
			t.Errorf("%s %q is %.2f mm wide in a %.2f mm box", p.field, p.text, p.width, p.box)
		}
		if p.x < borderInner || p.x+p.width > pageW-borderInner || p.y > pageH-borderInner || p.y < borderInner {
			t.Errorf("%s %q at (%.1f, %.1f) w %.1f leaves the border", p.field, p.text, p.x, p.y, p.width)
		}
		if p.size <= 0 {
			t.Errorf("%s has size %v", p.field, p.size)
		}
	}
	want := []string{"Holder", "Name", "NameEN", "Level", "LevelEN", "Number", "Org", "Site", "Issued", "IssuedEN", "caption"}
	if c.VerifyURL != "" {
		want = append(want, "VerifyURL")
	}
	for _, f := range want {
		if !seen[f] {
			t.Errorf("field %s was not placed", f)
		}
	}
	// The value column stops before the QR.
	for _, p := range ps {
		switch p.field {
		case "Holder", "Level", "LevelEN", "Number", "Org", "Site", "Issued", "IssuedEN":
			if p.x+p.width > qrX {
				t.Errorf("%s runs into the QR: ends at %.1f mm, QR at %.1f", p.field, p.x+p.width, qrX)
			}
		}
	}
}

func TestFits(t *testing.T) {
	r := renderer(t)
	long := sample()
	longest := sample()
	longest.Holder = strings.Repeat("欧阳", 14)     // 28 characters
	longest.Org = strings.Repeat("职业技能鉴定指导中心", 5) // 50 characters
	longest.Site = strings.Repeat("高级技工学校", 8)
	longest.NameEN = strings.Repeat("Vocational Skill ", 8)
	longest.VerifyURL = "https://certificates.onex.example.gov.cn/verify?lang=zh-CN"
	latinName := sample()
	latinName.Holder = "Maximilian Alexander Wolfeschlegelsteinhausen"
	short := sample()
	short.Holder, short.Org, short.Site, short.VerifyURL = "王一", "人社局", "一考点", ""
	for _, tc := range []struct {
		name string
		c    Certificate
		// shrunk: fields that must come out below their nominal size.
		shrunk []string
	}{
		{"long Chinese name and organisation", long, nil},
		{"longest that fits", longest, []string{"Holder", "Org", "Site", "NameEN"}},
		{"Latin name", latinName, nil},
		{"short, no verify URL", short, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ps, err := laid(t, r, tc.c)
			if err != nil {
				t.Fatal(err)
			}
			assertInside(t, tc.c, ps)
			nominal := map[string]float64{"Holder": 20, "Org": 13, "Site": 13, "NameEN": 14}
			for _, f := range tc.shrunk {
				for _, p := range ps {
					if p.field == f && p.size >= nominal[f] {
						t.Errorf("%s at %v pt: expected it shrunk below %v to fit", f, p.size, nominal[f])
					}
				}
			}
		})
	}
}

func TestFieldErrors(t *testing.T) {
	r := renderer(t)
	for _, tc := range []struct {
		name    string
		edit    func(*Certificate)
		field   string
		tooLong bool
	}{
		{"empty holder", func(c *Certificate) { c.Holder = " " }, "Holder", false},
		{"empty number", func(c *Certificate) { c.Number = "" }, "Number", false},
		{"empty QR", func(c *Certificate) { c.QR = "" }, "QR", false},
		{"zero date", func(c *Certificate) { c.Issued = time.Time{} }, "Issued", false},
		{"holder not UTF-8", func(c *Certificate) { c.Holder = "王\xff" }, "Holder", false},
		{"newline in org", func(c *Certificate) { c.Org = "人社局\n第二行" }, "Org", false},
		{"holder too long", func(c *Certificate) { c.Holder = strings.Repeat("欧阳", 40) }, "Holder", true},
		{"org too long", func(c *Certificate) { c.Org = strings.Repeat("职业技能鉴定指导中心", 12) }, "Org", true},
		{"URL too long", func(c *Certificate) { c.VerifyURL = "https://" + strings.Repeat("a", 200) + "/verify" }, "VerifyURL", true},
		{"QR text beyond a QR code", func(c *Certificate) { c.QR = strings.Repeat("x", 3000) }, "QR", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := sample()
			tc.edit(&c)
			var buf bytes.Buffer
			err := r.Render(&buf, c)
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("err = %v, want a *FieldError", err)
			}
			if fe.Field != tc.field {
				t.Errorf("field %q, want %q (%v)", fe.Field, tc.field, err)
			}
			if errors.Is(err, ErrTooLong) != tc.tooLong {
				t.Errorf("errors.Is(ErrTooLong) = %v, want %v (%v)", !tc.tooLong, tc.tooLong, err)
			}
			if buf.Len() != 0 {
				t.Errorf("%d bytes written on an error", buf.Len())
			}
		})
	}
}

func TestMissingFont(t *testing.T) {
	dir := t.TempDir()
	notTTF := filepath.Join(dir, "not.ttf")
	if err := os.WriteFile(notTTF, []byte("this is not a TrueType font"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		fonts Fonts
		kind  string
	}{
		{"no CJK font", Fonts{CJK: []string{filepath.Join(dir, "none.ttf")}}, "CJK"},
		{"CJK path not a TrueType font", Fonts{CJK: []string{notTTF}}, "CJK"},
		{"no Latin font", Fonts{Latin: []string{filepath.Join(dir, "none.ttf"), notTTF}}, "Latin"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := NewRenderer(tc.fonts)
			var fe *FontNotFoundError
			if !errors.As(err, &fe) {
				t.Fatalf("NewRenderer = %v, %v; want a *FontNotFoundError", r, err)
			}
			if fe.Kind != tc.kind || len(fe.Tried) == 0 {
				t.Errorf("got %+v, want kind %s and the paths tried", fe, tc.kind)
			}
			if !strings.Contains(err.Error(), fe.Tried[0]) || !strings.Contains(err.Error(), "make deps") {
				t.Errorf("message %q names neither the path nor the remedy", err)
			}
		})
	}
}

// A second font later in the list is used when the first is missing.
func TestFontFallsThrough(t *testing.T) {
	r, err := NewRenderer(Fonts{CJK: append([]string{"/nonexistent/a.ttf"}, DefaultFonts.CJK...)})
	if err != nil {
		t.Fatal(err)
	}
	if r.CJKPath == "/nonexistent/a.ttf" || r.CJKPath == "" {
		t.Errorf("CJK font %q", r.CJKPath)
	}
}

func TestDeterministic(t *testing.T) {
	r := renderer(t)
	var a, b bytes.Buffer
	if err := r.Render(&a, sample()); err != nil {
		t.Fatal(err)
	}
	if err := Render(&b, sample()); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Errorf("two renders of one certificate differ (%d and %d bytes)", a.Len(), b.Len())
	}
}

// The PDF's text reads back (pdftotext): the fonts carry their Unicode maps,
// so the holder's name and the number can be searched and copied.
func TestTextReadsBack(t *testing.T) {
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Fatalf("pdftotext (poppler-utils) is needed: %v", err)
	}
	var buf bytes.Buffer
	c := sample()
	if err := renderer(t).Render(&buf, c); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("pdftotext", "-", "-")
	cmd.Stdin = &buf
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Join(strings.Fields(string(out)), "")
	for _, want := range []string{c.Holder, c.Number, c.Name, c.Org, "扫码验证/scantoverify", "2026年11月29日", c.VerifyURL} {
		if !strings.Contains(text, strings.Join(strings.Fields(want), "")) {
			t.Errorf("%q not in the PDF's text:\n%s", want, out)
		}
	}
}

func TestRuns(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []run
	}{
		{"", nil},
		{"王", []run{{fontCJK, "王"}}},
		{"ONEX-1", []run{{fontLatin, "ONEX-1"}}},
		{"2026年11月", []run{{fontLatin, "2026"}, {fontCJK, "年"}, {fontLatin, "11"}, {fontCJK, "月"}}},
		{"中心（第三）", []run{{fontCJK, "中心（第三）"}}},
		{"娜娜·买买提", []run{{fontCJK, "娜娜"}, {fontLatin, "·"}, {fontCJK, "买买提"}}},
	} {
		got := runs(tc.in)
		if len(got) != len(tc.want) {
			t.Errorf("runs(%q) = %v, want %v", tc.in, got, tc.want)
			continue
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("runs(%q) = %v, want %v", tc.in, got, tc.want)
			}
		}
	}
}

// The rule: whatever the holder's name, organisation and site, a
// certificate either lays out with every text inside its box and the
// border, or is refused with a FieldError saying which field is too long.
func TestNeverOverflows(t *testing.T) {
	r := renderer(t)
	png := qrPNG(t, sample().QR)
	pdf := r.newPDF(sample())
	cjk := rapid.RuneFrom(nil, &unicode.RangeTable{R16: []unicode.Range16{{Lo: 0x4E00, Hi: 0x9FA5, Stride: 1}}})
	latinRune := rapid.RuneFrom([]rune("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 -·()（）"))
	text := func(max int) *rapid.Generator[string] {
		return rapid.Custom(func(t *rapid.T) string {
			n := rapid.IntRange(1, max).Draw(t, "n")
			rs := make([]rune, n)
			for i := range rs {
				if rapid.IntRange(0, 3).Draw(t, "latin?") == 0 {
					rs[i] = latinRune.Draw(t, "r")
				} else {
					rs[i] = cjk.Draw(t, "r")
				}
			}
			return "王" + string(rs) // never blank
		})
	}
	rapid.Check(t, func(rt *rapid.T) {
		c := sample()
		c.Holder = text(40).Draw(rt, "holder")
		c.Org = text(90).Draw(rt, "org")
		c.Site = text(60).Draw(rt, "site")
		ps, err := layout(pdf, c, png)
		if err != nil {
			var fe *FieldError
			if !errors.As(err, &fe) || !errors.Is(err, ErrTooLong) {
				rt.Fatalf("err = %v, want a too-long FieldError", err)
			}
			if fe.Field != "Holder" && fe.Field != "Org" && fe.Field != "Site" {
				rt.Fatalf("field %s refused, but only Holder, Org and Site changed", fe.Field)
			}
			return
		}
		assertInside(rt, c, ps)
	})
}

func FuzzRender(f *testing.F) {
	r := renderer(f)
	f.Add("欧阳娜娜", "人社局", "https://onex.example.cn/verify")
	f.Add("", "", "")
	f.Add("王\xff", "中心\n", "x")
	f.Add(strings.Repeat("欧阳", 40), "人社局", "")
	f.Fuzz(func(t *testing.T, holder, org, url string) {
		c := sample()
		c.Holder, c.Org, c.VerifyURL = holder, org, url
		var buf bytes.Buffer
		err := r.Render(&buf, c)
		if err != nil {
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("err = %v, want a *FieldError", err)
			}
			return
		}
		if !bytes.HasPrefix(buf.Bytes(), []byte("%PDF-")) {
			t.Fatal("no PDF")
		}
	})
}

// BenchmarkRender renders one certificate (fonts already read): ns/op and
// the PDF's size give the cost of 10,000.
func BenchmarkRender(b *testing.B) {
	r := renderer(b)
	c := sample()
	var size int
	b.ReportAllocs()
	for b.Loop() {
		var buf bytes.Buffer
		if err := r.Render(&buf, c); err != nil {
			b.Fatal(err)
		}
		size = buf.Len()
	}
	b.ReportMetric(float64(size), "pdf-bytes")
}

// One Renderer serves several goroutines: each PDF is the one a lone render
// makes.
func TestConcurrent(t *testing.T) {
	r := renderer(t)
	var want bytes.Buffer
	if err := r.Render(&want, sample()); err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 4)
	for range 4 {
		go func() {
			var buf bytes.Buffer
			err := r.Render(&buf, sample())
			if err == nil && !bytes.Equal(buf.Bytes(), want.Bytes()) {
				err = errors.New("a concurrent render differs")
			}
			errs <- err
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

// BenchmarkRenderParallel renders on every core at once, as a batch of
// 10,000 would.
func BenchmarkRenderParallel(b *testing.B) {
	r := renderer(b)
	c := sample()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			var buf bytes.Buffer
			if err := r.Render(&buf, c); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// A QR code at level Q holds at most 1,663 bytes (version 40, byte mode).
func TestQRCapacity(t *testing.T) {
	r := renderer(t)
	for _, tc := range []struct {
		n  int
		ok bool
	}{{1663, true}, {1664, false}} {
		c := sample()
		c.QR = strings.Repeat("x", tc.n)
		var buf bytes.Buffer
		err := r.Render(&buf, c)
		if (err == nil) != tc.ok {
			t.Errorf("%d bytes of QR text: err = %v, want ok %v", tc.n, err, tc.ok)
		}
	}
}

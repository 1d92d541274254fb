// Package certpdf owns the printed certificate of issue 16: one A4 landscape
// PDF page, Chinese first with English beneath, a double border, the QR code
// (recovery level Q) a verifier scans, "扫码验证 / scan to verify" and the
// /verify address. It knows nothing of signing, storage or HTTP: a
// Certificate is a plain struct of what is printed, and Render writes the
// PDF. The fonts are found at run time (DefaultFonts): a TrueType font with
// CJK glyphs (Debian's fonts-droid-fallback, installed by make deps) and a
// Latin one (fonts-dejavu-core).
// FORMAT.md describes the page.
package certpdf

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/go-pdf/fpdf"
	qrcode "github.com/skip2/go-qrcode"
)

// Certificate is what a certificate shows. Every field but VerifyURL is
// required; Issued is printed as a date in its own location.
type Certificate struct {
	Number    string    // certificate number, e.g. "ONEX-2026-000123"
	Holder    string    // the holder's name as on the roster
	Name      string    // the certificate's name in Chinese, e.g. "电工职业技能等级证书"
	NameEN    string    // the certificate's name in English
	Level     string    // the level in Chinese, e.g. "三级 / 高级工"
	LevelEN   string    // the level in English, e.g. "Level 3 (Advanced)"
	Org       string    // the issuing organisation
	Site      string    // the exam site
	Issued    time.Time // the date of issue
	QR        string    // the QR text (the signed claims a verifier checks)
	VerifyURL string    // the public /verify address printed under the QR; may be empty
}

// DefaultFonts are the fonts tried in order. Text is set in two fonts: CJK
// (Chinese and the fullwidth forms) in a TrueType font with CJK glyphs, and
// the rest (Latin letters, digits, ASCII punctuation) in a Latin TrueType font,
// because Droid Sans Fallback has CJK glyphs only. fpdf reads .ttf only, not
// the .ttc collections Noto CJK ships as.
var DefaultFonts = Fonts{
	CJK: []string{
		"/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", // Debian fonts-droid-fallback
		"/usr/share/fonts/truetype/droid/DroidSansFallback.ttf",
	},
	Latin: []string{
		"/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", // Debian fonts-dejavu-core
		"/usr/share/fonts/dejavu/DejaVuSans.ttf",
		"/usr/share/fonts/TTF/DejaVuSans.ttf",
	},
}

// Fonts lists the candidate paths of the two fonts, first found wins.
type Fonts struct {
	CJK   []string
	Latin []string
}

// FontNotFoundError says that none of the paths of one font held a
// readable TrueType font.
type FontNotFoundError struct {
	Kind  string // "CJK" or "Latin"
	Tried []string
}

func (e *FontNotFoundError) Error() string {
	pkg := "fonts-droid-fallback"
	if e.Kind == "Latin" {
		pkg = "fonts-dejavu-core"
	}
	return fmt.Sprintf("certpdf: no %s TrueType font found (tried %s); install Debian's %s (make deps)", e.Kind, strings.Join(e.Tried, ", "), pkg)
}

// FieldError says that a field of the certificate cannot be printed: empty,
// not UTF-8, holding control characters, or too long to fit its box even at
// the smallest size allowed.
type FieldError struct {
	Field  string // the Certificate field's name
	Reason string
}

func (e *FieldError) Error() string {
	return fmt.Sprintf("certpdf: field %s: %s", e.Field, e.Reason)
}

// ErrTooLong is what a FieldError for text that does not fit matches with errors.Is.
var ErrTooLong = errors.New("too long to fit")

// Is makes errors.Is(err, ErrTooLong) true for a field that does not fit.
func (e *FieldError) Is(target error) bool {
	return target == ErrTooLong && e.Reason == reasonTooLong
}

const reasonTooLong = "too long to fit"

// Renderer renders certificates with fonts read once. It is safe for
// concurrent use.
type Renderer struct {
	cjk, latin         []byte
	CJKPath, LatinPath string // the fonts found
}

// NewRenderer reads the first font of each list that is there; an empty
// list takes DefaultFonts'. A font not found is a *FontNotFoundError.
func NewRenderer(f Fonts) (*Renderer, error) {
	if len(f.CJK) == 0 {
		f.CJK = DefaultFonts.CJK
	}
	if len(f.Latin) == 0 {
		f.Latin = DefaultFonts.Latin
	}
	r := &Renderer{}
	var err error
	if r.cjk, r.CJKPath, err = readFont("CJK", f.CJK); err != nil {
		return nil, err
	}
	if r.latin, r.LatinPath, err = readFont("Latin", f.Latin); err != nil {
		return nil, err
	}
	return r, nil
}

// readFont reads the first of paths that holds a TrueType font (its first
// four bytes 00 01 00 00 or "true").
func readFont(kind string, paths []string) ([]byte, string, error) {
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err == nil && len(b) > 12 && (string(b[:4]) == "\x00\x01\x00\x00" || string(b[:4]) == "true") {
			return b, p, nil
		}
	}
	return nil, "", &FontNotFoundError{Kind: kind, Tried: append([]string(nil), paths...)}
}

var (
	defaultOnce sync.Once
	defaultR    *Renderer
	defaultErr  error
)

// Render writes c's PDF to w with DefaultFonts (read once per process).
func Render(w io.Writer, c Certificate) error {
	defaultOnce.Do(func() { defaultR, defaultErr = NewRenderer(Fonts{}) })
	if defaultErr != nil {
		return defaultErr
	}
	return defaultR.Render(w, c)
}

// Render writes c's PDF to w. A field that cannot be printed is a *FieldError.
func (r *Renderer) Render(w io.Writer, c Certificate) error {
	if err := check(c); err != nil {
		return err
	}
	png, err := qrImage(c.QR)
	if err != nil {
		return err
	}
	pdf := r.newPDF(c)
	if _, err := layout(pdf, c, png); err != nil {
		return err
	}
	if err := pdf.Output(w); err != nil {
		return fmt.Errorf("certpdf: writing the PDF of certificate %s: %w", c.Number, err)
	}
	return nil
}

// qrImage is the QR code of s at level Q (go-qrcode's High, 25 %), 6 pixels
// a module, with its quiet zone.
func qrImage(s string) ([]byte, error) {
	q, err := qrcode.New(s, qrcode.High)
	if err != nil {
		return nil, &FieldError{Field: "QR", Reason: err.Error()}
	}
	png, err := q.PNG(-6)
	if err != nil {
		return nil, fmt.Errorf("certpdf: QR image: %w", err)
	}
	return png, nil
}

func (r *Renderer) newPDF(c Certificate) *fpdf.Fpdf {
	pdf := fpdf.New("L", "mm", "A4", "")
	pdf.SetAutoPageBreak(false, 0)
	pdf.SetCompression(true)
	pdf.SetCreationDate(c.Issued)
	pdf.SetModificationDate(c.Issued)
	pdf.SetCatalogSort(true)
	pdf.SetProducer("OneX", false)
	pdf.SetTitle(c.Name+" "+c.Number, true)
	pdf.AddUTF8FontFromBytes(fontCJK, "", r.cjk)
	pdf.AddUTF8FontFromBytes(fontLatin, "", r.latin)
	return pdf
}

func check(c Certificate) error {
	fields := []struct{ name, v string }{
		{"Number", c.Number}, {"Holder", c.Holder}, {"Name", c.Name}, {"NameEN", c.NameEN},
		{"Level", c.Level}, {"LevelEN", c.LevelEN}, {"Org", c.Org}, {"Site", c.Site},
		{"QR", c.QR}, {"VerifyURL", c.VerifyURL},
	}
	for _, f := range fields {
		if strings.TrimSpace(f.v) == "" {
			if f.name == "VerifyURL" {
				continue
			}
			return &FieldError{Field: f.name, Reason: "empty"}
		}
		if !utf8.ValidString(f.v) {
			return &FieldError{Field: f.name, Reason: "not UTF-8"}
		}
		if f.name == "QR" {
			continue // the QR text is encoded, not printed
		}
		for _, r := range f.v {
			if unicode.IsControl(r) || r == utf8.RuneError {
				return &FieldError{Field: f.name, Reason: fmt.Sprintf("control character %U", r)}
			}
		}
	}
	if c.Issued.IsZero() {
		return &FieldError{Field: "Issued", Reason: "empty"}
	}
	return nil
}

const (
	fontCJK   = "cjk"
	fontLatin = "latin"
)

// latin says whether r is set in the Latin font: Latin, Greek and IPA
// letters, ASCII and Latin-1 punctuation, and the general punctuation block
// (dashes, quotes, the ellipsis). Everything else (CJK, the CJK and fullwidth
// punctuation 、。，（）) goes to the CJK font.
func latin(r rune) bool {
	return r < 0x0370 || (r >= 0x2000 && r <= 0x206F)
}

// run is a stretch of text in one font.
type run struct {
	font string
	text string
}

// runs cuts s into runs of one font each.
func runs(s string) []run {
	var out []run
	start, cur := 0, ""
	for i, r := range s {
		f := fontCJK
		if latin(r) {
			f = fontLatin
		}
		if f != cur {
			if i > start {
				out = append(out, run{cur, s[start:i]})
			}
			start, cur = i, f
		}
	}
	if len(s) > start {
		out = append(out, run{cur, s[start:]})
	}
	return out
}

// width is s's width in mm at size points, each run in its font.
func width(pdf *fpdf.Fpdf, s string, size float64) float64 {
	w := 0.0
	for _, r := range runs(s) {
		pdf.SetFont(r.font, "", size)
		w += pdf.GetStringWidth(r.text)
	}
	return w
}

// draw sets s at x with its baseline at y, each run in its font.
func draw(pdf *fpdf.Fpdf, s string, x, y, size float64) {
	for _, r := range runs(s) {
		pdf.SetFont(r.font, "", size)
		pdf.Text(x, y, r.text)
		x += pdf.GetStringWidth(r.text)
	}
}

// The page, in millimetres (A4 landscape).
const (
	pageW, pageH = 297.0, 210.0
	borderOuter  = 10.0 // the thick border's inset
	borderInner  = 13.5 // the thin border's inset
	marginX      = 28.0 // text starts here
	labelW       = 46.0 // the label column
	valueX       = marginX + labelW
	qrSize       = 52.0
	qrX          = pageW - marginX - qrSize - 4
	valueW       = qrX - 8 - valueX // the value column stops short of the QR
	qrColW       = 76.0             // the caption column under the QR, centred on it
	titleW       = pageW - 2*marginX
)

// placed is one piece of text as laid out: what tests check against its box.
type placed struct {
	field      string
	text       string
	x, y, size float64
	width, box float64 // the text's width and its box's, in mm
}

// fit finds the largest size from nominal down to min (in steps of half a
// point) at which s fits width, and sets it.
func fit(pdf *fpdf.Fpdf, field, s string, nominal, min, box float64) (float64, float64, error) {
	for size := nominal; size >= min; size -= 0.5 {
		if w := width(pdf, s, size); w <= box {
			return size, w, nil
		}
	}
	return 0, 0, &FieldError{Field: field, Reason: reasonTooLong}
}

// layout draws c on a new page of pdf and returns where each text went.
func layout(pdf *fpdf.Fpdf, c Certificate, qrPNG []byte) ([]placed, error) {
	pdf.AddPage()
	var out []placed

	// text sets s at x (or centred in [x, x+box] when centre) with its
	// baseline at y, shrinking it to fit box.
	text := func(field, s string, x, y, nominal, min, box float64, centre bool, grey int) error {
		size, w, err := fit(pdf, field, s, nominal, min, box)
		if err != nil {
			return err
		}
		tx := x
		if centre {
			tx = x + (box-w)/2
		}
		pdf.SetTextColor(grey, grey, grey)
		draw(pdf, s, tx, y, size)
		out = append(out, placed{field: field, text: s, x: tx, y: y, size: size, width: w, box: box})
		return nil
	}

	// The borders: a thick outer and a thin inner, dark red.
	pdf.SetDrawColor(140, 20, 20)
	pdf.SetLineWidth(1.2)
	pdf.Rect(borderOuter, borderOuter, pageW-2*borderOuter, pageH-2*borderOuter, "D")
	pdf.SetLineWidth(0.3)
	pdf.Rect(borderInner, borderInner, pageW-2*borderInner, pageH-2*borderInner, "D")

	// The title: the certificate's name, Chinese over English, and a rule.
	if err := text("Name", c.Name, marginX, 40, 28, 14, titleW, true, 20); err != nil {
		return nil, err
	}
	if err := text("NameEN", c.NameEN, marginX, 51, 14, 8, titleW, true, 70); err != nil {
		return nil, err
	}
	pdf.SetLineWidth(0.4)
	pdf.Line(marginX+40, 57, pageW-marginX-40, 57)

	// The rows: a label (Chinese over English) and the value beside it.
	type row struct {
		zh, en         string
		field, value   string
		fieldEN, valEN string
		nominal, min   float64
	}
	rows := []row{
		{"持证人", "Holder", "Holder", c.Holder, "", "", 20, 9},
		{"等级", "Level", "Level", c.Level, "LevelEN", c.LevelEN, 15, 8},
		{"证书编号", "Certificate No.", "Number", c.Number, "", "", 13, 8},
		{"发证机构", "Issued by", "Org", c.Org, "", "", 13, 7},
		{"考点", "Exam site", "Site", c.Site, "", "", 13, 7},
		{"发证日期", "Date of issue", "Issued", dateZH(c.Issued), "IssuedEN", dateEN(c.Issued), 13, 8},
	}
	y := 76.0
	for _, r := range rows {
		if err := text("label:"+r.zh, r.zh, marginX, y, 12, 8, labelW-4, false, 90); err != nil {
			return nil, err
		}
		if err := text("label:"+r.en, r.en, marginX, y+5, 8, 6, labelW-4, false, 120); err != nil {
			return nil, err
		}
		if err := text(r.field, r.value, valueX, y, r.nominal, r.min, valueW, false, 10); err != nil {
			return nil, err
		}
		if r.valEN != "" {
			if err := text(r.fieldEN, r.valEN, valueX, y+5.5, 9, 6, valueW, false, 80); err != nil {
				return nil, err
			}
		}
		y += 17
	}

	// The QR with its caption and the /verify address.
	opt := fpdf.ImageOptions{ImageType: "PNG"}
	pdf.RegisterImageOptionsReader("qr", opt, bytes.NewReader(qrPNG))
	qrY := 68.0
	pdf.ImageOptions("qr", qrX, qrY, qrSize, qrSize, false, opt, 0, "")
	capX := qrX + qrSize/2 - qrColW/2
	if err := text("caption", "扫码验证 / scan to verify", capX, qrY+qrSize+6, 11, 8, qrColW, true, 40); err != nil {
		return nil, err
	}
	if c.VerifyURL != "" {
		if err := text("VerifyURL", c.VerifyURL, capX, qrY+qrSize+12, 8, 5, qrColW, true, 80); err != nil {
			return nil, err
		}
	}
	if err := pdf.Error(); err != nil {
		return nil, fmt.Errorf("certpdf: laying out certificate %s: %w", c.Number, err)
	}
	return out, nil
}

func dateZH(t time.Time) string {
	return fmt.Sprintf("%d年%d月%d日", t.Year(), int(t.Month()), t.Day())
}

func dateEN(t time.Time) string { return t.Format("2 January 2006") }

package certpdf

import (
	"fmt"
	"io"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/go-pdf/fpdf"
)

// Transcript is a learner's transcript from the credit bank (issue 17), as
// printed: A4 portrait pages in the certificate's style (the dark red double
// border, Chinese over English), the learner, the learning outcomes and the
// credits converted. It knows nothing of accounts: every field is text the
// caller words. The ID number is printed only as IDMasked.
type Transcript struct {
	Holder    string    // the learner's name
	IDMasked  string    // the ID number masked, e.g. "1101**********002X"
	Issuer    string    // who issues the transcript
	Made      time.Time // when it was made
	Outcomes  []OutcomeRow
	Credits   []CreditRow
	Total     string // the credits converted in total, e.g. "7.5"
	VerifyURL string // where the signed JSON of the same transcript is explained; may be empty
}

// OutcomeRow is one learning outcome: a certificate or a course passed.
type OutcomeRow struct {
	Kind   string // e.g. "证书 Certificate", "课程 Course"
	Name   string // the certificate's or course's name
	Ref    string // the certificate number, or the school and course code
	Result string // the level, or the score
	Date   string // YYYY-MM-DD
	Status string // e.g. "有效 valid", "已撤销 revoked"
}

// CreditRow is one conversion: credits of a course at a school.
type CreditRow struct {
	School  string
	Course  string // the course's code and name
	Credits string
	From    string // what converts, e.g. the certificate number and rule
	State   string // e.g. "已认定 granted", "可申请 offered"
}

// A4 portrait, in millimetres.
const (
	tPageW, tPageH = 210.0, 297.0
	tMargin        = 20.0
	tRowH          = 7.5
	tBottom        = tPageH - 24 // rows stop here; the footer is below
)

// column is a table column: its header (Chinese over English) and width.
type column struct {
	zh, en string
	w      float64
}

var (
	outcomeCols = []column{{"类别", "Kind", 26}, {"名称", "Name", 40}, {"编号", "Number / code", 42}, {"等级/成绩", "Level / score", 20}, {"日期", "Date", 20}, {"状态", "Status", 22}}
	creditCols  = []column{{"学校", "School", 20}, {"课程", "Course", 50}, {"学分", "Credits", 14}, {"来源", "Converted from", 64}, {"状态", "State", 22}}
)

// RenderTranscript writes t's PDF to w with DefaultFonts (read once per process).
func RenderTranscript(w io.Writer, t Transcript) error {
	defaultOnce.Do(func() { defaultR, defaultErr = NewRenderer(Fonts{}) })
	if defaultErr != nil {
		return defaultErr
	}
	return defaultR.RenderTranscript(w, t)
}

// RenderTranscript writes t's PDF to w. A field that cannot be printed
// (empty where required, not UTF-8, a control character) is a *FieldError;
// a cell too long for its column at the smallest size is cut with "…".
func (r *Renderer) RenderTranscript(w io.Writer, t Transcript) error {
	if err := checkTranscript(t); err != nil {
		return err
	}
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetAutoPageBreak(false, 0)
	pdf.SetCompression(true)
	pdf.SetCreationDate(t.Made)
	pdf.SetModificationDate(t.Made)
	pdf.SetCatalogSort(true)
	pdf.SetProducer("OneX", false)
	pdf.SetTitle("学分银行成绩单 "+t.Holder, true)
	pdf.AddUTF8FontFromBytes(fontCJK, "", r.cjk)
	pdf.AddUTF8FontFromBytes(fontLatin, "", r.latin)
	transcriptLayout(pdf, t)
	if err := pdf.Error(); err != nil {
		return fmt.Errorf("certpdf: laying out a transcript: %w", err)
	}
	if err := pdf.Output(w); err != nil {
		return fmt.Errorf("certpdf: writing a transcript: %w", err)
	}
	return nil
}

func checkTranscript(t Transcript) error {
	fields := []struct{ name, v string }{{"Holder", t.Holder}, {"IDMasked", t.IDMasked}, {"Issuer", t.Issuer}, {"Total", t.Total}}
	for _, f := range fields {
		if strings.TrimSpace(f.v) == "" {
			return &FieldError{Field: f.name, Reason: "empty"}
		}
	}
	cells := map[string]string{"VerifyURL": t.VerifyURL}
	for i, o := range t.Outcomes {
		for j, s := range []string{o.Kind, o.Name, o.Ref, o.Result, o.Date, o.Status} {
			cells[fmt.Sprintf("Outcomes[%d][%d]", i, j)] = s
		}
	}
	for i, c := range t.Credits {
		for j, s := range []string{c.School, c.Course, c.Credits, c.From, c.State} {
			cells[fmt.Sprintf("Credits[%d][%d]", i, j)] = s
		}
	}
	for _, f := range fields {
		cells[f.name] = f.v
	}
	for name, v := range cells {
		if !utf8.ValidString(v) {
			return &FieldError{Field: name, Reason: "not UTF-8"}
		}
		for _, c := range v {
			if unicode.IsControl(c) {
				return &FieldError{Field: name, Reason: fmt.Sprintf("control character %U", c)}
			}
		}
	}
	if t.Made.IsZero() {
		return &FieldError{Field: "Made", Reason: "empty"}
	}
	return nil
}

// cell sets s left in a box of width w at x, baseline y: at size nominal,
// smaller down to min, then cut with an ellipsis.
func cell(pdf *fpdf.Fpdf, s string, x, y, w, nominal, min float64) {
	for size := nominal; size >= min; size -= 0.5 {
		if width(pdf, s, size) <= w {
			draw(pdf, s, x, y, size)
			return
		}
	}
	r := []rune(s)
	for len(r) > 0 && width(pdf, string(r)+"…", min) > w {
		r = r[:len(r)-1]
	}
	draw(pdf, string(r)+"…", x, y, min)
}

// transcriptLayout draws t on as many pages as its rows need.
func transcriptLayout(pdf *fpdf.Fpdf, t Transcript) {
	page := 0
	var y float64
	newPage := func() {
		pdf.AddPage()
		page++
		pdf.SetDrawColor(140, 20, 20)
		pdf.SetLineWidth(1.0)
		pdf.Rect(8, 8, tPageW-16, tPageH-16, "D")
		pdf.SetLineWidth(0.3)
		pdf.Rect(11, 11, tPageW-22, tPageH-22, "D")
		pdf.SetTextColor(110, 110, 110)
		foot := fmt.Sprintf("%s · %s · 第 %d 页 / page %d", t.Holder, dateZH(t.Made), page, page)
		cell(pdf, foot, tMargin, tPageH-15, tPageW-2*tMargin, 8, 6)
		y = 24
	}
	newPage()

	pdf.SetTextColor(20, 20, 20)
	title := "学分银行成绩单"
	draw(pdf, title, (tPageW-width(pdf, title, 22))/2, y+6, 22)
	pdf.SetTextColor(80, 80, 80)
	sub := "Credit Bank Transcript"
	draw(pdf, sub, (tPageW-width(pdf, sub, 12))/2, y+13, 12)
	pdf.SetDrawColor(140, 20, 20)
	pdf.SetLineWidth(0.4)
	pdf.Line(tMargin+30, y+17, tPageW-tMargin-30, y+17)
	y += 28

	facts := [][3]string{
		{"姓名", "Name", t.Holder},
		{"证件号码", "ID number", t.IDMasked},
		{"出具机构", "Issued by", t.Issuer},
		{"出具时间", "Made", t.Made.In(time.FixedZone("CST", 8*3600)).Format("2006-01-02 15:04")},
		{"已转换学分", "Credits converted", t.Total},
	}
	for _, f := range facts {
		pdf.SetTextColor(90, 90, 90)
		draw(pdf, f[0], tMargin, y, 10.5)
		pdf.SetTextColor(130, 130, 130)
		draw(pdf, f[1], tMargin, y+4, 7)
		pdf.SetTextColor(10, 10, 10)
		cell(pdf, f[2], tMargin+40, y+1, tPageW-2*tMargin-40, 12, 7)
		y += 10
	}
	y += 4

	table := func(zh, en string, cols []column, rows [][]string, none string) {
		if y+3*tRowH > tBottom {
			newPage()
		}
		pdf.SetTextColor(140, 20, 20)
		draw(pdf, zh+"  "+en, tMargin, y, 12)
		y += 6
		header := func() {
			x := tMargin
			pdf.SetFillColor(245, 238, 238)
			pdf.Rect(tMargin, y-1, tPageW-2*tMargin, 9, "F")
			for _, c := range cols {
				pdf.SetTextColor(70, 70, 70)
				cell(pdf, c.zh, x+1, y+3, c.w-2, 8.5, 6)
				pdf.SetTextColor(120, 120, 120)
				cell(pdf, c.en, x+1, y+6.8, c.w-2, 6, 5)
				x += c.w
			}
			y += 10
		}
		header()
		if len(rows) == 0 {
			pdf.SetTextColor(110, 110, 110)
			draw(pdf, none, tMargin+1, y+4, 9)
			y += tRowH
		}
		for _, row := range rows {
			if y+tRowH > tBottom {
				newPage()
				header()
			}
			x := tMargin
			pdf.SetTextColor(15, 15, 15)
			for i, c := range cols {
				cell(pdf, row[i], x+1, y+4.8, c.w-2, 9, 6)
				x += c.w
			}
			pdf.SetDrawColor(210, 200, 200)
			pdf.SetLineWidth(0.2)
			pdf.Line(tMargin, y+tRowH, tPageW-tMargin, y+tRowH)
			y += tRowH
		}
		y += 6
	}
	var outs, creds [][]string
	for _, o := range t.Outcomes {
		outs = append(outs, []string{o.Kind, o.Name, o.Ref, o.Result, o.Date, o.Status})
	}
	for _, c := range t.Credits {
		creds = append(creds, []string{c.School, c.Course, c.Credits, c.From, c.State})
	}
	table("学习成果", "Learning outcomes", outcomeCols, outs, "暂无 / none yet")
	table("学分转换", "Credit conversions", creditCols, creds, "暂无 / none yet")

	if t.VerifyURL != "" {
		if y+10 > tBottom {
			newPage()
		}
		pdf.SetTextColor(90, 90, 90)
		cell(pdf, "本成绩单另有签名的 JSON 版本（VC-JOSE），可用证书签发密钥验证："+t.VerifyURL, tMargin, y+2, tPageW-2*tMargin, 8.5, 6)
		cell(pdf, "A signed JSON copy (VC-JOSE) verifies with the certificates' issuer keys: "+t.VerifyURL, tMargin, y+6.5, tPageW-2*tMargin, 7.5, 5.5)
	}
}

package certpdf

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

func sampleTranscript(outcomes int) Transcript {
	t := Transcript{
		Holder: "欧阳娜娜", IDMasked: "1101**********002X", Issuer: "OneX 证书信息管理服务平台",
		Made: time.Date(2026, 11, 29, 12, 30, 0, 0, time.UTC), Total: "7.5", VerifyURL: "https://onex.example.cn/learner",
		Credits: []CreditRow{
			{School: "10001", Course: "CS201 网页设计与制作", Credits: "5", From: "证书 2026WEB0001（规则 R002）", State: "已认定 granted"},
			{School: "10002", Course: "RJ210 前端工程（一门名字相当长的课程，长到一栏放不下）", Credits: "2.5", From: "证书 2026WEB0001（规则 R008）", State: "可申请 offered"},
		},
	}
	for i := range outcomes {
		t.Outcomes = append(t.Outcomes, OutcomeRow{Kind: "证书 Certificate", Name: "Web 前端开发", Ref: fmt.Sprintf("2026WEB%04d", i), Result: "中级 · 88", Date: "2026-06-30", Status: "有效 valid"})
	}
	return t
}

func transcriptText(t *testing.T, pdf []byte) string {
	t.Helper()
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Fatalf("pdftotext (poppler-utils) is needed: %v", err)
	}
	cmd := exec.Command("pdftotext", "-", "-")
	cmd.Stdin = bytes.NewReader(pdf)
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(strings.Fields(string(out)), "")
}

// TestTranscriptRenders: the transcript is an A4 portrait PDF whose first
// page is neither blank nor black, whose text reads back, and whose rows
// run onto further pages when they do not fit one.
func TestTranscriptRenders(t *testing.T) {
	r := renderer(t)
	for _, tc := range []struct {
		name     string
		outcomes int
		pages    int
	}{{"empty account", 0, 1}, {"one page", 3, 1}, {"three pages", 70, 3}} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			tr := sampleTranscript(tc.outcomes)
			if err := r.RenderTranscript(&buf, tr); err != nil {
				t.Fatal(err)
			}
			img, _ := toPNG(t, buf.Bytes(), "50")
			// A4 portrait at 50 dpi: 413 × 585 pixels.
			if b := img.Bounds(); b.Dx() > b.Dy() || b.Dy() < 580 || b.Dy() > 590 {
				t.Errorf("page is %v, want A4 portrait", b)
			}
			if share := darkShare(img); share < 0.01 || share > 0.40 {
				t.Errorf("dark share %.3f: want between 1 %% and 40 %% (blank or black page?)", share)
			}
			text := transcriptText(t, buf.Bytes())
			for _, want := range []string{"学分银行成绩单", tr.Holder, tr.IDMasked, "CS201网页设计与制作", "证书2026WEB0001（规则R002）", "7.5", "page" + fmt.Sprint(tc.pages)} {
				if !strings.Contains(text, want) {
					t.Errorf("%q not in the PDF's text:\n%s", want, text)
				}
			}
			if strings.Contains(text, "page"+fmt.Sprint(tc.pages+1)) {
				t.Errorf("more than %d pages", tc.pages)
			}
			if tc.outcomes > 0 && !strings.Contains(text, fmt.Sprintf("2026WEB%04d", tc.outcomes-1)) {
				t.Error("the last outcome is not printed")
			}
			if os.Getenv("CERTPDF_SCREENSHOT") != "" && tc.outcomes == 3 {
				_, b := toPNG(t, buf.Bytes(), "100")
				os.WriteFile(os.Getenv("CERTPDF_SCREENSHOT"), b, 0o644)
			}
		})
	}
}

func TestTranscriptFieldErrors(t *testing.T) {
	r := renderer(t)
	for _, tc := range []struct {
		name, field string
		edit        func(*Transcript)
	}{
		{"no holder", "Holder", func(t *Transcript) { t.Holder = "" }},
		{"no masked ID", "IDMasked", func(t *Transcript) { t.IDMasked = " " }},
		{"no time", "Made", func(t *Transcript) { t.Made = time.Time{} }},
		{"control character", "Outcomes[0][1]", func(t *Transcript) { t.Outcomes[0].Name = "Web\n前端" }},
		{"not UTF-8", "Credits[1][3]", func(t *Transcript) { t.Credits[1].From = "\xff" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr := sampleTranscript(1)
			tc.edit(&tr)
			var fe *FieldError
			if err := r.RenderTranscript(&bytes.Buffer{}, tr); !errors.As(err, &fe) || fe.Field != tc.field {
				t.Errorf("want a FieldError of %s, got %v", tc.field, err)
			}
		})
	}
}

// BenchmarkRenderTranscript: a transcript of 5 outcomes (one page) and of
// 70 (three pages).
func BenchmarkRenderTranscript(b *testing.B) {
	r, err := NewRenderer(Fonts{})
	if err != nil {
		b.Fatal(err)
	}
	for _, n := range []int{5, 70} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			tr := sampleTranscript(n)
			for b.Loop() {
				if err := r.RenderTranscript(io.Discard, tr); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

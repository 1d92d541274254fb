package public_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"onex/exam/inspect"
	"onex/server"
	"onex/server/servertest"
)

// inspected is a central with the sample registers, two inspections on
// them: the first drawn, its first site passed and its second to rectify
// by 2026-12-31 (the note says what, and must not be published); the
// second committed and not drawn.
func inspected(t *testing.T) (*servertest.Central, server.Inspection, server.Inspection) {
	t.Helper()
	c := servertest.New(t)
	ctx := t.Context()
	var files [2]server.RegisterFile
	for i, name := range []string{"registers-sites.csv", "registers-inspectors.csv"} {
		b, err := os.ReadFile(filepath.Join("..", "testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		files[i] = server.RegisterFile{Name: name, Data: b}
	}
	if _, err := c.ImportRegisters(ctx, files[0], files[1], "office staff"); err != nil {
		t.Fatal(err)
	}
	plan := inspect.Plan{SharePercent: 34, MinSites: 1, InspectorsPerSite: 2}
	drawn, err := c.CommitInspection(ctx, plan, "6: 中国福利彩票双色球第2026140期红球; 1: 中国福利彩票双色球第2026140期蓝球", "office staff")
	if err != nil {
		t.Fatal(err)
	}
	c.Clock.Add(48 * time.Hour)
	if drawn, err = c.DrawInspection(ctx, drawn.ID, []string{"07 12 19 23 28 33", "09"}, "office staff"); err != nil {
		t.Fatal(err)
	}
	all := func(issue string) []server.Finding {
		var fs []server.Finding
		for _, it := range inspect.Checklist {
			f := server.Finding{Item: it.Code}
			if it.Code == issue {
				f.Issue, f.Note = true, "机密试卷存放柜未上锁"
			}
			fs = append(fs, f)
		}
		return fs
	}
	if _, err := c.RecordFindings(ctx, drawn.ID, drawn.Sites[0].SiteCode, all(""), time.Time{}, "office staff"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Date(2026, 12, 31, 23, 59, 59, 0, server.CST)
	if _, err := c.RecordFindings(ctx, drawn.ID, drawn.Sites[1].SiteCode, all("confidentiality"), deadline, "office staff"); err != nil {
		t.Fatal(err)
	}
	pending, err := c.CommitInspection(ctx, plan, "text: drand quicknet round 20000000 randomness", "office staff")
	if err != nil {
		t.Fatal(err)
	}
	if drawn, err = c.Inspection(ctx, drawn.ID); err != nil {
		t.Fatal(err)
	}
	return c, drawn, pending
}

// TestInspectionsPage: the public page shows, in Chinese and with ?lang=en
// in English, each commitment (its hash, plan, the public values that will
// seed it, when), each draw (values, key, seed, the verify command) and
// each drawn site's outcome (date, result, the items with an issue, the
// deadline, whether closed), and none of the office's notes, nor who
// typed or recorded anything; its files are the bytes kept, and the
// transcript downloaded verifies against the registers downloaded; a
// transcript of a draw not made yet, an unknown file or inspection is 404.
func TestInspectionsPage(t *testing.T) {
	c, drawn, pending := inspected(t)
	tr := drawn.Transcript
	for _, tc := range []struct {
		name, path string
		says       []string
	}{
		{"Chinese", "/inspections", []string{"双随机抽查结果公开", "第 1 次抽取", "已抽取", "第 2 次抽取", "已承诺，待公开数值", drawn.CommitmentSHA256, pending.CommitmentSHA256,
			"抽取考点 34%（至少 1 个），每个考点 2 名检查人员", "中国福利彩票双色球第2026140期红球（数字 6 个）", "drand quicknet round 20000000 randomness（文字）",
			"考点 6 个，检查人员 7 名", tr.Key, tr.Seed, "7 12 19 23 28 33", drawn.Sites[0].SiteName, drawn.Sites[1].SiteName, "合格", "限期整改：考核保密",
			"2026-12-31 · 整改中", "待检查", "2026-12-03",
			"onex-central inspection verify inspection-1-transcript.json --sites inspection-1-sites.csv --inspectors inspection-1-inspectors.csv"}},
		{"English", "/inspections?lang=en", []string{"Random inspections: results", "Draw 1", "committed, awaiting the public values", drawn.CommitmentSHA256,
			"sites drawn: 34%, at least 1; 2 inspectors per site", "to rectify: Exam confidentiality", "2026-12-31 · open", "not yet inspected", "(Beijing time)"}},
	} {
		code, body, h := from(c, "192.0.2.7", tc.path)
		if code != 200 || !strings.HasPrefix(h.Get("Content-Type"), "text/html") {
			t.Fatalf("%s: %d %q", tc.name, code, h.Get("Content-Type"))
		}
		for _, want := range tc.says {
			if !strings.Contains(body, want) {
				t.Errorf("%s: the page lacks %q", tc.name, want)
			}
		}
		for _, never := range []string{"机密试卷存放柜未上锁", "office staff", "<script"} {
			if strings.Contains(body, never) {
				t.Errorf("%s: the page shows %q", tc.name, never)
			}
		}
	}

	file := func(path, contentType, name string) []byte {
		t.Helper()
		code, body, h := from(c, "192.0.2.7", path)
		if code != 200 || h.Get("Content-Type") != contentType || !strings.Contains(h.Get("Content-Disposition"), name) || h.Get("X-Content-Type-Options") != "nosniff" {
			t.Fatalf("GET %s: %d %q %q", path, code, h.Get("Content-Type"), h.Get("Content-Disposition"))
		}
		return []byte(body)
	}
	transcript := file("/inspections/1/transcript.json", "application/json", "inspection-1-transcript.json")
	if string(transcript) != string(drawn.TranscriptJSON) {
		t.Error("the transcript served is not the bytes kept")
	}
	if got := file("/inspections/2/commitment.json", "application/json", "inspection-2-commitment.json"); string(got) != string(pending.CommitmentJSON) {
		t.Error("the commitment served is not the bytes kept")
	}
	sites := file("/inspections/1/sites.csv", "text/csv; charset=utf-8", "inspection-1-sites.csv")
	inspectors := file("/inspections/1/inspectors.csv", "text/csv; charset=utf-8", "inspection-1-inspectors.csv")
	reg, err := inspect.ParseRegisters("sites.csv", sites, "inspectors.csv", inspectors)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := inspect.Verify(transcript, reg); err != nil || len(got.Draw) != len(drawn.Sites) {
		t.Errorf("the published transcript does not verify against the published registers: %v", err)
	}
	regJSON, err := inspect.ParseRegistersJSON(file("/inspections/1/registers.json", "application/json", "inspection-1-registers.json"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := inspect.Verify(transcript, regJSON); err != nil {
		t.Errorf("the transcript does not verify against the registers' JSON: %v", err)
	}
	for _, path := range []string{"/inspections/2/transcript.json", "/inspections/3/commitment.json", "/inspections/1/notes.json", "/inspections/x/sites.csv"} {
		if code, _, _ := from(c, "192.0.2.7", path); code != 404 {
			t.Errorf("GET %s: %d, want 404", path, code)
		}
	}
}

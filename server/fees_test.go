package server_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"testing"

	"golang.org/x/text/encoding/simplifiedchinese"
	"pgregory.net/rapid"

	"onex/assets"
	"onex/exam"
	"onex/server"
	"onex/server/servertest"
	osync "onex/sync"
)

// rosterWithFees is a roster of the given exemption cells (免考试费, 免费类别),
// one candidate each, with valid made-up ID numbers.
func rosterWithFees(t testing.TB, cells [][2]string) []byte {
	t.Helper()
	rows, err := csv.NewReader(bytes.NewReader(servertest.Roster(len(cells)))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write(append(rows[0], "免费类别"))
	for i, row := range rows[1:] {
		row[7] = cells[i][0]
		w.Write(append(row, cells[i][1]))
	}
	w.Flush()
	return b.Bytes()
}

func TestImportRosterFeeKind(t *testing.T) {
	c := servertest.New(t)
	ctx := context.Background()
	encode := map[string]func([]byte) []byte{
		"utf-8": func(b []byte) []byte { return append([]byte("\ufeff"), b...) },
		"gb18030": func(b []byte) []byte {
			out, err := simplifiedchinese.GB18030.NewEncoder().Bytes(b)
			if err != nil {
				t.Fatal(err)
			}
			return out
		},
	}
	for _, tc := range []struct {
		name  string
		cells [][2]string
		want  []exam.FeeKind // the stored exemptions, when accepted
		err   []string       // every problem named, when refused
	}{
		{"kinds", [][2]string{{"否", ""}, {"是", "建档立卡"}, {"是", "低保"}, {"是", "特困供养"}, {"是", "残疾"}, {"是", "其他"}},
			[]exam.FeeKind{"", exam.FeeRegisteredPoor, exam.FeeSubsistence, exam.FeeDestitute, exam.FeeDisability, exam.FeeOther}, nil},
		{"codes", [][2]string{{"是", "registered-poor"}, {"", ""}}, []exam.FeeKind{exam.FeeRegisteredPoor, ""}, nil},
		{"every bad row", [][2]string{{"是", ""}, {"否", "低保"}, {"是", "贫困户"}, {"是", "低保"}, {"可能", ""}}, nil, []string{
			"line 2: 免费类别: is empty, and 免考试费 is 是",
			`line 3: 免费类别: is "低保", but 免考试费 is not 是`,
			`line 4: 免费类别: "贫困户" is not a kind of exemption`,
			`line 6: 免考试费: "可能" is not 是 or 否`,
		}},
	} {
		for enc, code := range encode {
			t.Run(tc.name+"/"+enc, func(t *testing.T) {
				before, _ := c.Roster(ctx, c.Session.ID)
				cands, err := c.ImportRoster(ctx, c.Session.ID, bytes.NewReader(code(rosterWithFees(t, tc.cells))), "auto", "test")
				if tc.err != nil {
					if !errors.Is(err, server.ErrInput) {
						t.Fatalf("err = %v, want an input error", err)
					}
					for _, want := range tc.err {
						if !strings.Contains(err.Error(), want) {
							t.Errorf("missing %q in %v", want, err)
						}
					}
					if n := strings.Count(err.Error(), "line "); n != len(tc.err) {
						t.Errorf("%d problems, want %d: %v", n, len(tc.err), err)
					}
					if after, _ := c.Roster(ctx, c.Session.ID); len(after) != len(before) {
						t.Errorf("a refused roster changed the session: %d candidates, was %d", len(after), len(before))
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				stored, err := c.Roster(ctx, c.Session.ID)
				if err != nil || len(stored) != len(tc.want) || len(cands) != len(tc.want) {
					t.Fatalf("stored %d, %v", len(stored), err)
				}
				for i, k := range tc.want {
					if stored[i].Exemption() != k || stored[i].FeeExempt != (k != "") {
						t.Errorf("row %d: exempt %v kind %q, want %q", i+1, stored[i].FeeExempt, stored[i].FeeKind, k)
					}
				}
			})
		}
	}
}

func TestSitePackageCarriesNoFeeKind(t *testing.T) {
	c := servertest.New(t)
	pkg, err := c.DB(t).SessionPackage(context.Background(), c.Session.ID)
	if err != nil {
		t.Fatal(err)
	}
	part := string(pkg.Parts[osync.PartSession])
	if strings.Contains(part, "fee_kind") || !strings.Contains(part, `"fee_exempt":true`) {
		t.Errorf("session part: fee_kind present or fee_exempt lost:\n%.400s", part)
	}
	if roster, _ := c.Roster(context.Background(), c.Session.ID); roster[2].FeeKind != exam.FeeRegisteredPoor {
		t.Errorf("central lost the kind: %q", roster[2].FeeKind)
	}
}

func TestFeeExemptionChangeIsAudited(t *testing.T) {
	c := servertest.New(t)
	ctx := context.Background()
	pkgBefore, _ := c.DB(t).SessionPackage(ctx, c.Session.ID)
	audit := func() []server.AuditEntry {
		log, err := c.AuditLog(ctx)
		if err != nil || log.Broken != "" {
			t.Fatalf("audit log: %v %s", err, log.Broken)
		}
		return log.Entries
	}
	n := len(audit())
	for _, tc := range []struct {
		name, ticket string
		kind         string
		reason, err  string
	}{
		{"no reason", "2026WEB010003", "none", " ", "reason is required"},
		{"no kind", "2026WEB010003", "", "材料", `"" is not a kind of exemption`},
		{"unknown kind", "2026WEB010003", "poor", "材料", `"poor" is not a kind of exemption`},
		{"unspecified is no kind to give", "2026WEB010003", string(exam.FeeUnspecified), "材料", "is not a kind of exemption"},
		{"unknown ticket", "T404", "none", "材料", "has no candidate with ticket T404"},
		{"what it is already", "2026WEB010003", "建档立卡", "材料", "has this exemption already"},
		{"control characters", "2026WEB010003", "none", "a\x00b", "control characters"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.SetFeeExemption(ctx, c.Session.ID, tc.ticket, tc.kind, tc.reason, "office admin")
			if !errors.Is(err, server.ErrInput) || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("err = %v, want %q", err, tc.err)
			}
		})
	}
	if got := len(audit()); got != n {
		t.Fatalf("refused changes were audited: %d entries, was %d", got, n)
	}
	for _, ch := range []struct {
		ticket, to, reason, actor string
		want                      exam.FeeKind
	}{
		{"2026WEB010003", "subsistence", "民政部门低保证明，更正", "office admin", exam.FeeSubsistence},
		{"2026WEB010001", "残疾", "残疾人证", "cli", exam.FeeDisability},
		{"2026WEB010001", "none", "录入错误", "cli", ""},
	} {
		if got, err := c.SetFeeExemption(ctx, c.Session.ID, ch.ticket, ch.to, ch.reason, ch.actor); err != nil || got != ch.want {
			t.Fatalf("%s to %s: %q, %v", ch.ticket, ch.to, got, err)
		}
	}
	entries := audit()[n:]
	want := []string{
		"office admin|change fee exemption|session " + c.Session.ID + " ticket 2026WEB010003: registered-poor -> subsistence: 民政部门低保证明，更正",
		"cli|change fee exemption|session " + c.Session.ID + " ticket 2026WEB010001: none -> disability: 残疾人证",
		"cli|change fee exemption|session " + c.Session.ID + " ticket 2026WEB010001: disability -> none: 录入错误",
	}
	if len(entries) != len(want) {
		t.Fatalf("%d entries, want %d", len(entries), len(want))
	}
	for i, e := range entries {
		if got := e.Actor + "|" + e.Action + "|" + e.Detail; got != want[i] {
			t.Errorf("entry %d:\n%s\nwant\n%s", i, got, want[i])
		}
	}
	roster, _ := c.Roster(ctx, c.Session.ID)
	if roster[2].FeeKind != exam.FeeSubsistence || roster[0].FeeExempt || roster[0].FeeKind != "" {
		t.Errorf("stored: %+v / %+v", roster[2], roster[0])
	}
	if pkg, _ := c.DB(t).SessionPackage(ctx, c.Session.ID); !bytes.Equal(pkg.Manifest, pkgBefore.Manifest) {
		t.Error("an exemption change rebuilt the site's package")
	}
}

func TestFeeStatement(t *testing.T) {
	c := servertest.New(t)
	ctx := context.Background()
	st, err := c.FeeStatement(ctx, server.FeeFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Sessions) != 1 || len(st.Subtotals) != 1 {
		t.Fatalf("statement %+v", st)
	}
	r := st.Sessions[0]
	if r.Candidates != 40 || r.ExemptTotal() != 4 || r.Exempt[exam.FeeRegisteredPoor] != 2 || r.Exempt[exam.FeeSubsistence] != 1 || r.Exempt[exam.FeeDisability] != 1 ||
		r.Payable != 36 || r.Fee == nil || *r.Fee != 35000 || r.Amount == nil || *r.Amount != 36*35000 || r.Org != "ORG-WEB" || r.Site != "SITE-001" || r.SiteName == "" {
		t.Errorf("session row %+v", r)
	}
	if st.Total.Candidates != 40 || *st.Total.Amount != 36*35000 || st.Subtotals[0].Payable != 36 {
		t.Errorf("total %+v", st.Total)
	}
	var b bytes.Buffer
	if err := server.WriteFeeStatementCSV(&b, st); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b.Bytes(), []byte("\ufeff考核批次,考核时间,培训评价组织代码,培训评价组织,考核站点代码,考核站点,证书代码,等级,考生人数,免考人数,免考:建档立卡,免考:低保,免考:特困供养,免考:残疾,免考:其他,应缴人数,收费标准(元),应缴金额(元)\r\n")) {
		t.Errorf("CSV head:\n%.300q", b.String())
	}
	rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b.Bytes(), []byte("\ufeff")))).ReadAll()
	if err != nil || len(rows) != 4 {
		t.Fatalf("CSV %d rows %v", len(rows), err)
	}
	if got := strings.Join(rows[1][8:], ","); got != "40,4,2,1,0,1,0,36,350.00,12600.00" {
		t.Errorf("session row's numbers %s", got)
	}
	if rows[1][0] != c.Session.ID || rows[1][7] != "初级" || rows[2][0] != "小计" || rows[3][0] != "合计" || rows[3][17] != "12600.00" {
		t.Errorf("rows %q", rows)
	}
	if strings.Contains(b.String(), "于晨") || strings.Contains(b.String(), "2026WEB") {
		t.Error("the statement names a candidate")
	}

	// A second session at another site; then the catalogue without fees.
	s2, err := c.CreateSession(ctx, server.SessionSpec{Site: "SITE-002", Room: "B201", PaperID: "WEB-E-2026-A", Start: servertest.Start}, "test")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ImportRoster(ctx, s2.ID, bytes.NewReader(rosterWithFees(t, [][2]string{{"是", "其他"}, {"否", ""}, {"否", ""}})), "auto", "test"); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		f              server.FeeFilter
		sessions, cand int
	}{
		"all":          {server.FeeFilter{}, 2, 43},
		"org":          {server.FeeFilter{Org: "ORG-WEB"}, 2, 43},
		"site":         {server.FeeFilter{Site: "SITE-002"}, 1, 3},
		"session":      {server.FeeFilter{SessionID: c.Session.ID}, 1, 40},
		"another org":  {server.FeeFilter{Org: "ORG-BIM"}, 0, 0},
		"before start": {server.FeeFilter{To: servertest.Start}, 0, 0},
	} {
		t.Run(name, func(t *testing.T) {
			st, err := c.FeeStatement(ctx, tc.f)
			if err != nil || len(st.Sessions) != tc.sessions || st.Total.Candidates != tc.cand {
				t.Errorf("%d sessions, %d candidates, %v", len(st.Sessions), st.Total.Candidates, err)
			}
		})
	}
	if _, err := c.FeeStatement(ctx, server.FeeFilter{From: servertest.Start, To: servertest.Start}); !errors.Is(err, server.ErrInput) {
		t.Errorf("an empty period: %v", err)
	}
	cat, _ := fs.ReadFile(assets.Samples, "samples/catalogue.json")
	cat = bytes.Replace(cat, []byte(`, "fee": "350.00"`), nil, 1)
	if _, err := c.ImportCatalogue(ctx, bytes.NewReader(cat), "test"); err != nil {
		t.Fatal(err)
	}
	st, err = c.FeeStatement(ctx, server.FeeFilter{})
	if err != nil || st.Sessions[0].Fee != nil || st.Sessions[0].Amount != nil || st.Total.Amount != nil || len(st.Subtotals) != 2 {
		t.Fatalf("without a fee: %+v %v", st, err)
	}
}

func TestFeeCandidatesCSV(t *testing.T) {
	c := servertest.New(t)
	list, err := c.FeeCandidates(context.Background(), server.FeeFilter{SessionID: c.Session.ID})
	if err != nil || len(list) != 40 {
		t.Fatalf("%d, %v", len(list), err)
	}
	list = append(list, server.FeeCandidate{SessionID: "S", Ticket: "00123", Level: exam.Elementary}, server.FeeCandidate{SessionID: "S", Ticket: "-1+1", Name: "=cmd"})
	var b bytes.Buffer
	if err := server.WriteFeeCandidatesCSV(&b, list); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b.Bytes(), []byte("\ufeff")))).ReadAll()
	if err != nil || !bytes.HasPrefix(b.Bytes(), []byte("\ufeff考核批次,")) {
		t.Fatal(err)
	}
	if got := strings.Join(rows[3], ","); got != c.Session.ID+",ORG-WEB,SITE-001,WEB,初级,2026WEB010003,于晨,是,建档立卡,0.00" {
		t.Errorf("row 3: %s", got)
	}
	if got := strings.Join(rows[1][5:], ","); got != "2026WEB010001,毛娜,否,,350.00" {
		t.Errorf("row 1: %s", got)
	}
	if rows[41][5] != `="00123"` || rows[42][5] != "'-1+1" || rows[42][6] != "'=cmd" {
		t.Errorf("cells kept text: %q %q %q", rows[41][5], rows[42][5], rows[42][6])
	}
}

// Every group of a statement counts each candidate once: candidates =
// exempt (all kinds) + payable in every session, subtotal and the total,
// and the sessions add up to their subtotals and the total.
func TestFeeStatementSums(t *testing.T) {
	c := servertest.New(t)
	ctx := context.Background()
	s2, err := c.CreateSession(ctx, server.SessionSpec{Site: "SITE-002", Room: "B201", PaperID: "WEB-E-2026-A", Start: servertest.Start}, "test")
	if err != nil {
		t.Fatal(err)
	}
	cells := [][2]string{{"否", ""}, {"", ""}}
	for _, k := range exam.FeeKinds {
		cells = append(cells, [2]string{"是", k.Chinese()})
	}
	rapid.Check(t, func(rt *rapid.T) {
		want := map[exam.FeeKind]int{}
		for _, id := range []string{c.Session.ID, s2.ID} {
			roster := rapid.SliceOfN(rapid.SampledFrom(cells), 1, 30).Draw(rt, id)
			if _, err := c.ImportRoster(ctx, id, bytes.NewReader(rosterWithFees(t, roster)), "auto", "test"); err != nil {
				rt.Fatal(err)
			}
			for _, cell := range roster {
				k, _ := exam.ParseFeeKind(cell[1])
				want[k]++
			}
		}
		st, err := c.FeeStatement(ctx, server.FeeFilter{})
		if err != nil {
			rt.Fatal(err)
		}
		var sum exam.FeeTally
		for _, r := range append(append(st.Sessions, st.Subtotals...), st.Total) {
			if r.Candidates != r.ExemptTotal()+r.Payable {
				rt.Fatalf("row %s %s: %d candidates, %d exempt, %d payable", r.SessionID, r.Site, r.Candidates, r.ExemptTotal(), r.Payable)
			}
			if r.Amount == nil || *r.Amount != exam.Fen(r.Payable)*35000 {
				rt.Fatalf("row %s %s: amount %v for %d payable", r.SessionID, r.Site, r.Amount, r.Payable)
			}
		}
		for _, r := range st.Sessions {
			sum.Merge(r.FeeTally)
		}
		if fmt.Sprint(sum) != fmt.Sprint(st.Total.FeeTally) || st.Total.Payable != want[""] {
			rt.Fatalf("sessions add to %+v, total %+v", sum, st.Total.FeeTally)
		}
		for _, k := range exam.FeeKinds {
			if st.Total.Exempt[k] != want[k] {
				rt.Fatalf("kind %s: %d, want %d", k, st.Total.Exempt[k], want[k])
			}
		}
	})
}

package server_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"onex/exam/inspect"
	"onex/server"
	"onex/server/store/pgtest"
	"pgregory.net/rapid"
)

// inspectionCentral is a bare central (no catalogue, no session) on the
// engine, with a clock the test moves.
func inspectionCentral(t *testing.T, engine string) (*server.Central, *atomic.Int64) {
	t.Helper()
	ctx := context.Background()
	dir, dsn := t.TempDir(), pgtest.DSN(t, engine)
	if _, err := server.Init(ctx, dir, dsn, "admin-password-1"); err != nil {
		t.Fatal(err)
	}
	var now atomic.Int64
	now.Store(time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC).UnixNano())
	c, err := server.Open(ctx, dir, dsn, server.Config{Log: slog.New(slog.DiscardHandler), Now: func() time.Time { return time.Unix(0, now.Load()) }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c, &now
}

// Register files of the worked example of exam/inspect FORMAT.md: S02 and
// S05 of O2, I02 of O2 and tied to S04.
const (
	inspSitesCSV = "考点代码,考点名称,所属机构\nS01,第一考点,O1\nS02,第二考点,O2\nS03,第三考点,O1\nS04,第四考点,O3\nS05,第五考点,O2\n"
	inspInspCSV  = "编号,姓名,所属机构,关联考点\nI01,张伟,O1,\nI02,王芳,O2,S04\nI03,李娜,,\nI04,刘洋,O3,\nI05,陈静,O4,\nI06,杨磊,,\n"
	inspValues   = "6: 中国福利彩票双色球第2026140期红球; 1: 中国福利彩票双色球第2026140期蓝球"
)

var inspPlan = inspect.Plan{SharePercent: 40, MinSites: 1, InspectorsPerSite: 2}

func regFiles(sites, inspectors string) (server.RegisterFile, server.RegisterFile) {
	return server.RegisterFile{Name: "sites.csv", Data: []byte(sites)}, server.RegisterFile{Name: "inspectors.csv", Data: []byte(inspectors)}
}

// committed imports the registers and commits to a draw of inspPlan
// through the service.
func committed(t *testing.T, c *server.Central, sites, inspectors, actor string) server.Inspection {
	t.Helper()
	ctx := context.Background()
	s, i := regFiles(sites, inspectors)
	if _, err := c.ImportRegisters(ctx, s, i, "office"); err != nil {
		t.Fatal(err)
	}
	com, err := c.CommitInspection(ctx, inspPlan, inspValues, actor)
	if err != nil {
		t.Fatal(err)
	}
	return com
}

// drawThrough imports the registers, commits and draws through the service.
func drawThrough(t *testing.T, c *server.Central, sites, inspectors string, values []string) server.Inspection {
	t.Helper()
	com := committed(t, c, sites, inspectors, "office")
	in, err := c.DrawInspection(context.Background(), com.ID, values, "office")
	if err != nil {
		t.Fatal(err)
	}
	return in
}

func TestInspectionDrawThroughService(t *testing.T) {
	for _, engine := range pgtest.Engines {
		t.Run(engine, func(t *testing.T) {
			ctx := context.Background()
			c, _ := inspectionCentral(t, engine)
			typed := []string{"07 12 19 23 28 33", "09"}
			in := drawThrough(t, c, inspSitesCSV, inspInspCSV, typed)
			// The worked example of FORMAT.md: S05 (I05 I06), S04 (I01 I03).
			want := []string{"S05: I05 I06", "S04: I01 I03"}
			var got []string
			for _, s := range in.Sites {
				got = append(got, fmt.Sprintf("%s: %s", s.SiteCode, strings.Join(s.Inspectors, " ")))
				if s.Status != server.InspectionDrawn {
					t.Errorf("site %s status %q", s.SiteCode, s.Status)
				}
			}
			if !slices.Equal(got, want) {
				t.Fatalf("draw %v, want %v", got, want)
			}
			if in.Transcript.Key != "7.12.19.23.28.33./9./" || !slices.Equal(in.Typed, typed) || in.TypedBy != "office" {
				t.Errorf("key %q typed %q by %q", in.Transcript.Key, in.Typed, in.TypedBy)
			}
			// The kept transcript verifies against the kept registers.
			snap, err := c.InspectionRegistersOf(ctx, in.ID)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := inspect.Verify(in.TranscriptJSON, snap.Registers); err != nil {
				t.Fatalf("verify the kept transcript: %v", err)
			}
			// Same inputs through a second central: the same transcript, but
			// for the time committed, the same draw.
			c2, _ := inspectionCentral(t, "sqlite")
			in2 := drawThrough(t, c2, inspSitesCSV, inspInspCSV, []string{"33,28,23,19,12,07", "９"})
			if string(in2.TranscriptJSON) != string(in.TranscriptJSON) {
				t.Errorf("same inputs, another transcript:\n%s\n%s", in.TranscriptJSON, in2.TranscriptJSON)
			}
			// A second draw of the same commitment is refused.
			if _, err := c.DrawInspection(ctx, in.ID, []string{"1 2 3 4 5 6", "7"}, "office"); !errors.Is(err, server.ErrInspectionState) || !errors.Is(err, server.ErrInput) {
				t.Errorf("second draw: %v", err)
			}
		})
	}
}

// One changed register entry gives another draw, itself valid: the
// registers' hash, so the commitment and the seed, change; the new
// transcript verifies against the new registers and not the old.
func TestInspectionChangedRegisterEntry(t *testing.T) {
	for _, engine := range pgtest.Engines {
		t.Run(engine, func(t *testing.T) {
			ctx := context.Background()
			typed := []string{"07 12 19 23 28 33", "09"}
			c, _ := inspectionCentral(t, engine)
			before := drawThrough(t, c, inspSitesCSV, inspInspCSV, typed)
			old, err := c.InspectionRegistersOf(ctx, before.ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, change := range []struct{ name, sites, inspectors string }{
				{"a site's organisation", strings.Replace(inspSitesCSV, "S03,第三考点,O1", "S03,第三考点,O5", 1), inspInspCSV},
				{"a site's name", strings.Replace(inspSitesCSV, "第一考点", "第一考场", 1), inspInspCSV},
				{"an inspector's tie", inspSitesCSV, strings.Replace(inspInspCSV, "I03,李娜,,", "I03,李娜,,S01", 1)},
			} {
				c2, _ := inspectionCentral(t, "sqlite")
				after := drawThrough(t, c2, change.sites, change.inspectors, typed)
				if after.Transcript.Seed == before.Transcript.Seed || after.RegistersSHA256 == before.RegistersSHA256 {
					t.Errorf("%s: same registers hash or seed", change.name)
				}
				if string(after.TranscriptJSON) == string(before.TranscriptJSON) {
					t.Errorf("%s: same transcript", change.name)
				}
				regs, err := c2.InspectionRegistersOf(ctx, after.ID)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := inspect.Verify(after.TranscriptJSON, regs.Registers); err != nil {
					t.Errorf("%s: the new draw does not verify: %v", change.name, err)
				}
				if _, err := inspect.Verify(after.TranscriptJSON, old.Registers); !errors.Is(err, inspect.ErrRegistersMismatch) {
					t.Errorf("%s: the new draw against the old registers: %v", change.name, err)
				}
			}
		})
	}
}

// A conflicted inspector is never drawn for the site, through the service:
// in the example, I02 (of O2, tied to S04) never goes to S02, S04 or S05,
// whatever the values; and over random registers (rapid), no drawn site
// gets an inspector tied to it or to one of its organisations.
func TestInspectionConflictsNeverDrawn(t *testing.T) {
	for _, engine := range pgtest.Engines {
		t.Run(engine, func(t *testing.T) {
			ctx := context.Background()
			c, now := inspectionCentral(t, engine)
			s, i := regFiles(inspSitesCSV, inspInspCSV)
			if _, err := c.ImportRegisters(ctx, s, i, "office"); err != nil {
				t.Fatal(err)
			}
			plan := inspect.Plan{SharePercent: 100, MinSites: 1, InspectorsPerSite: 2}
			for n := range 12 {
				now.Add(int64(time.Second))
				com, err := c.CommitInspection(ctx, plan, "3: 排列三第2026300期", "office")
				if err != nil {
					t.Fatal(err)
				}
				in, err := c.DrawInspection(ctx, com.ID, []string{fmt.Sprintf("%d %d %d", n, n+1, 2*n)}, "office")
				if err != nil {
					t.Fatal(err)
				}
				if len(in.Sites) != 5 {
					t.Fatalf("%d sites drawn, the plan asks for all 5", len(in.Sites))
				}
				for _, site := range in.Sites {
					if slices.Contains(site.Inspectors, "I02") && (site.SiteCode == "S02" || site.SiteCode == "S04" || site.SiteCode == "S05") {
						t.Errorf("draw %d: I02 drawn for %s", n, site.SiteCode)
					}
					if slices.Contains(site.Inspectors, "I01") && (site.SiteCode == "S01" || site.SiteCode == "S03") {
						t.Errorf("draw %d: I01 (O1) drawn for %s", n, site.SiteCode)
					}
				}
			}
		})
	}
	t.Run("random registers", func(t *testing.T) {
		ctx := context.Background()
		c, now := inspectionCentral(t, "sqlite")
		rapid.Check(t, func(rt *rapid.T) {
			nOrgs := rapid.IntRange(2, 6).Draw(rt, "orgs")
			nSites := rapid.IntRange(1, 12).Draw(rt, "sites")
			nIns := rapid.IntRange(2, 16).Draw(rt, "inspectors")
			var sites, ins strings.Builder
			sites.WriteString("code,name,orgs\n")
			siteOrgs := map[string][]string{}
			for k := range nSites {
				code := fmt.Sprintf("S%02d", k)
				org := fmt.Sprintf("O%d", rapid.IntRange(1, nOrgs).Draw(rt, "siteorg"))
				siteOrgs[code] = []string{org}
				fmt.Fprintf(&sites, "%s,考点%d,%s\n", code, k, org)
			}
			ins.WriteString("id,name,orgs,sites\n")
			ties := map[string][]string{}
			for k := range nIns {
				id := fmt.Sprintf("I%02d", k)
				var orgs, tied []string
				if rapid.Bool().Draw(rt, "hasorg") {
					orgs = append(orgs, fmt.Sprintf("O%d", rapid.IntRange(1, nOrgs).Draw(rt, "insorg")))
				}
				if rapid.Bool().Draw(rt, "hastie") {
					tied = append(tied, fmt.Sprintf("S%02d", rapid.IntRange(0, nSites-1).Draw(rt, "tie")))
				}
				ties[id] = append(append([]string{}, orgs...), tied...)
				fmt.Fprintf(&ins, "%s,督导%d,%s,%s\n", id, k, strings.Join(orgs, ";"), strings.Join(tied, ";"))
			}
			conflicted := func(id, site string) bool {
				for _, x := range ties[id] {
					if x == site || slices.Contains(siteOrgs[site], x) {
						return true
					}
				}
				return false
			}
			s, i := regFiles(sites.String(), ins.String())
			if _, err := c.ImportRegisters(ctx, s, i, "office"); err != nil {
				rt.Fatalf("import: %v", err)
			}
			now.Add(int64(time.Second))
			plan := inspect.Plan{SharePercent: rapid.IntRange(1, 100).Draw(rt, "share"), MinSites: 1, InspectorsPerSite: 2}
			com, err := c.CommitInspection(ctx, plan, "text: 信标", "office")
			var short *inspect.ShortError
			if errors.As(err, &short) {
				if !errors.Is(err, server.ErrInput) {
					rt.Fatalf("a short register is not the caller's fault: %v", err)
				}
				return // the plan cannot be drawn on these registers: refused before any commitment
			}
			if err != nil {
				rt.Fatalf("commit: %v", err)
			}
			in, err := c.DrawInspection(ctx, com.ID, []string{rapid.StringMatching(`[0-9a-f]{16}`).Draw(rt, "beacon")}, "office")
			if err != nil {
				rt.Fatalf("draw: %v", err)
			}
			for _, site := range in.Sites {
				if len(site.Inspectors) != 2 {
					rt.Fatalf("site %s: %d inspectors", site.SiteCode, len(site.Inspectors))
				}
				for _, id := range site.Inspectors {
					if conflicted(id, site.SiteCode) {
						rt.Fatalf("conflicted inspector %s drawn for %s", id, site.SiteCode)
					}
				}
			}
		})
	})
}

func auditSince(t *testing.T, c *server.Central, from int) []server.AuditEntry {
	t.Helper()
	log, err := c.AuditLog(context.Background())
	if err != nil || log.Broken != "" {
		t.Fatalf("audit log: %v %s", err, log.Broken)
	}
	return log.Entries[from:]
}

func auditLen(t *testing.T, c *server.Central) int {
	t.Helper()
	log, err := c.AuditLog(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return len(log.Entries)
}

func allPass() []server.Finding {
	var fs []server.Finding
	for _, it := range inspect.Checklist {
		fs = append(fs, server.Finding{Item: it.Code})
	}
	return fs
}

// Findings and deadlines: refused whole when wrong (nothing kept, nothing
// audited), kept once and audited when right; the rectification closed and
// audited; the public view shows the outcome, never the notes.
func TestInspectionFindingsAudited(t *testing.T) {
	for _, engine := range pgtest.Engines {
		t.Run(engine, func(t *testing.T) {
			ctx := context.Background()
			c, now := inspectionCentral(t, engine)
			com := committed(t, c, inspSitesCSV, inspInspCSV, "chief")
			// Before the draw the public sees the commitment, no transcript.
			pub, err := c.PublicInspections(ctx)
			if err != nil || len(pub) != 1 || pub[0].Drawn || pub[0].TranscriptJSON != nil || string(pub[0].CommitmentJSON) != string(com.CommitmentJSON) {
				t.Fatalf("public before the draw: %+v %v", pub, err)
			}
			if _, err := c.RecordFindings(ctx, com.ID, "S05", allPass(), time.Time{}, "inspector"); !errors.Is(err, server.ErrNotFound) {
				t.Errorf("findings before the draw: %v", err)
			}
			in, err := c.DrawInspection(ctx, com.ID, []string{"07 12 19 23 28 33", "09"}, "typist")
			if err != nil {
				t.Fatal(err)
			}
			s05, s04 := in.Sites[0].SiteCode, in.Sites[1].SiteCode
			deadline := time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC)
			withIssue := allPass()
			withIssue[2] = server.Finding{Item: "fees", Issue: true, Note: "收费标准未公示"}
			n0 := auditLen(t, c)
			for _, tc := range []struct {
				name     string
				site     string
				findings []server.Finding
				deadline time.Time
				want     string
			}{
				{"a missing item", s05, allPass()[1:], time.Time{}, "no finding for checklist item premises"},
				{"an item twice", s05, append(allPass(), server.Finding{Item: "fees"}), time.Time{}, "given twice"},
				{"an unknown item", s05, append(allPass()[:3], server.Finding{Item: "catering"}), time.Time{}, `item "catering" unknown`},
				{"an issue without a note", s05, append(allPass()[:3], server.Finding{Item: "certificates", Issue: true}), deadline, "needs a note"},
				{"an issue without a deadline", s05, withIssue, time.Time{}, "deadline is required"},
				{"a deadline past", s05, withIssue, time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), "is not after now"},
				{"a deadline with no issue", s05, allPass(), deadline, "no rectification deadline may be set"},
				{"a long note", s05, append(allPass()[:3], server.Finding{Item: "certificates", Note: strings.Repeat("长", server.MaxFindingNote+1)}), time.Time{}, "longer than"},
			} {
				if _, err := c.RecordFindings(ctx, in.ID, tc.site, tc.findings, tc.deadline, "inspector"); !errors.Is(err, server.ErrInput) || !strings.Contains(err.Error(), tc.want) {
					t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
				}
			}
			if _, err := c.RecordFindings(ctx, in.ID, "S01", allPass(), time.Time{}, "inspector"); !errors.Is(err, server.ErrNotFound) {
				t.Errorf("a site not drawn: %v", err)
			}
			if n := auditLen(t, c); n != n0 {
				t.Fatalf("refusals audited: %d entries, want %d", n, n0)
			}
			if got, _ := c.Inspection(ctx, in.ID); got.Sites[0].Status != server.InspectionDrawn || len(got.Sites[0].Findings) != 0 {
				t.Fatalf("a refusal changed the site: %+v", got.Sites[0])
			}
			// S05: an issue, a deadline. S04: all passed.
			site, err := c.RecordFindings(ctx, in.ID, s05, []server.Finding{withIssue[3], withIssue[2], withIssue[0], withIssue[1]}, deadline, "inspector")
			if err != nil {
				t.Fatal(err)
			}
			if site.Status != server.InspectionRectifying || !site.RectifyBy.Equal(deadline) || site.FindingsBy != "inspector" || len(site.Findings) != 4 ||
				site.Findings[0].Item != "premises" || !site.Findings[2].Issue || site.Findings[2].Note != "收费标准未公示" {
				t.Fatalf("site after findings: %+v", site)
			}
			if _, err := c.RecordFindings(ctx, in.ID, s04, allPass(), time.Time{}, "inspector"); err != nil {
				t.Fatal(err)
			}
			if _, err := c.RecordFindings(ctx, in.ID, s05, allPass(), time.Time{}, "inspector"); !errors.Is(err, server.ErrInspectionState) || !errors.Is(err, server.ErrInput) {
				t.Errorf("findings twice: %v", err)
			}
			if _, err := c.CloseRectification(ctx, in.ID, s04, "复查合格", "chief"); !errors.Is(err, server.ErrInspectionState) {
				t.Errorf("closing a site that passed: %v", err)
			}
			if _, err := c.CloseRectification(ctx, in.ID, s05, " ", "chief"); !errors.Is(err, server.ErrInput) {
				t.Errorf("closing without a note: %v", err)
			}
			overdue := func() bool {
				t.Helper()
				pub, err := c.PublicInspections(ctx)
				if err != nil {
					t.Fatal(err)
				}
				return pub[0].Outcomes[0].Overdue
			}
			if overdue() {
				t.Error("overdue before the deadline")
			}
			now.Store(deadline.Add(time.Second).UnixNano())
			if !overdue() {
				t.Error("not overdue after the deadline")
			}
			closed, err := c.CloseRectification(ctx, in.ID, s05, "已公示收费标准，复查合格", "chief")
			if err != nil {
				t.Fatal(err)
			}
			if closed.Status != server.InspectionRectified || closed.ClosedBy != "chief" || closed.ClosedAt.IsZero() {
				t.Fatalf("closed: %+v", closed)
			}
			if _, err := c.CloseRectification(ctx, in.ID, s05, "again", "chief"); !errors.Is(err, server.ErrInspectionState) {
				t.Errorf("closing twice: %v", err)
			}
			entries := auditSince(t, c, n0)
			var got []string
			for _, e := range entries {
				got = append(got, e.Actor+" "+e.Action+": "+e.Detail)
			}
			want := []string{
				fmt.Sprintf(`inspector record inspection findings: inspection %d, site S05: premises pass ""; confidentiality pass ""; fees issue "收费标准未公示"; certificates pass ""; rectify by 2026-12-31T00:00:00Z`, in.ID),
				fmt.Sprintf(`inspector record inspection findings: inspection %d, site S04: premises pass ""; confidentiality pass ""; fees pass ""; certificates pass ""`, in.ID),
				fmt.Sprintf(`chief close inspection rectification: inspection %d, site S05: "已公示收费标准，复查合格"`, in.ID),
			}
			if !slices.Equal(got, want) {
				t.Errorf("audit:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			// The commitment, the draw and the registers were audited too.
			all := auditSince(t, c, 0)
			var actions []string
			for _, e := range all {
				if strings.Contains(e.Action, "inspection") {
					actions = append(actions, e.Actor+" "+e.Action)
				}
			}
			if !slices.Equal(actions[:3], []string{"office import inspection registers", "chief commit inspection", "typist draw inspection"}) {
				t.Errorf("audited actions %q", actions)
			}
			// The public outcome: both sites, the issue and its closing, no note.
			pub, err = c.PublicInspections(ctx)
			if err != nil {
				t.Fatal(err)
			}
			p := pub[0]
			if !p.Drawn || string(p.TranscriptJSON) != string(in.TranscriptJSON) || len(p.Outcomes) != 2 || string(p.SitesCSV) != inspSitesCSV {
				t.Fatalf("public: %+v", p)
			}
			o := p.Outcomes[0]
			if o.Site != "S05" || o.Status != server.InspectionRectified || o.Overdue || !o.RectifyBy.Equal(deadline) || o.RectifiedAt.IsZero() || len(o.Items) != 4 || !o.Items[2].Issue || o.Items[2].Item.Zh != "收费" {
				t.Errorf("public outcome of S05: %+v", o)
			}
			if strings.Contains(fmt.Sprintf("%+v", p), "收费标准未公示") {
				t.Error("the public view carries a finding's note")
			}
			regs, err := inspect.ParseRegistersJSON(p.RegistersJSON)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := inspect.Verify(p.TranscriptJSON, regs); err != nil {
				t.Errorf("the public transcript does not verify with the public registers: %v", err)
			}
		})
	}
}

// Bad register files change nothing and name the file, row and field; a
// commitment needs registers and a well-formed description.
func TestInspectionImportAndCommitRefusals(t *testing.T) {
	ctx := context.Background()
	c, _ := inspectionCentral(t, "sqlite")
	if _, err := c.CommitInspection(ctx, inspPlan, inspValues, "office"); !errors.Is(err, server.ErrInput) {
		t.Errorf("commit without registers: %v", err)
	}
	s, i := regFiles(inspSitesCSV, strings.Replace(inspInspCSV, "S04", "S44", 1))
	if _, err := c.ImportRegisters(ctx, s, i, "office"); !errors.Is(err, server.ErrInput) || !strings.Contains(err.Error(), "inspectors.csv: row 3, field sites") {
		t.Errorf("a tie to an unknown site: %v", err)
	}
	if _, err := c.InspectionRegisters(ctx); !errors.Is(err, server.ErrNotFound) {
		t.Errorf("a refused import kept: %v", err)
	}
	if n := auditLen(t, c); n != 0 {
		t.Errorf("refusals audited: %d", n)
	}
	s, i = regFiles(inspSitesCSV, inspInspCSV)
	if _, err := c.ImportRegisters(ctx, s, i, "office"); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		plan inspect.Plan
		desc string
		want string
	}{
		{inspPlan, "6 红球", `is not "N: name"`},
		{inspect.Plan{SharePercent: 100, MinSites: 1, InspectorsPerSite: 5}, inspValues, "site S04: needs 5 inspectors"},
		{inspect.Plan{SharePercent: 5, MinSites: 6, InspectorsPerSite: 2}, inspValues, "sites"},
		{inspect.Plan{SharePercent: 5, MinSites: 1, InspectorsPerSite: 1}, inspValues, "inspectors"},
	} {
		if _, err := c.CommitInspection(ctx, tc.plan, tc.desc, "office"); !errors.Is(err, server.ErrInput) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v %q: %v, want %q", tc.plan, tc.desc, err, tc.want)
		}
	}
	com, err := c.CommitInspection(ctx, inspPlan, inspValues, "office")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CommitInspection(ctx, inspPlan, inspValues, "office"); !errors.Is(err, server.ErrInput) {
		t.Errorf("the same commitment twice in one second: %v", err)
	}
	for _, values := range [][]string{{"1 2 3 4 5", "6"}, {"1 2 3 4 5 6"}, {"1 2 3 4 5 6", "x"}} {
		if _, err := c.DrawInspection(ctx, com.ID, values, "office"); !errors.Is(err, server.ErrInput) {
			t.Errorf("values %q: %v", values, err)
		}
	}
	if in, err := c.Inspection(ctx, com.ID); err != nil || in.Drawn || len(in.Sites) != 0 {
		t.Errorf("refused values drew: %+v %v", in, err)
	}
	if _, err := c.DrawInspection(ctx, com.ID+1, []string{"1 2 3 4 5 6", "7"}, "office"); !errors.Is(err, server.ErrNotFound) {
		t.Errorf("an unknown commitment: %v", err)
	}
	list, err := c.Inspections(ctx)
	if err != nil || len(list) != 1 || list[0].ID != com.ID || list[0].Description != inspValues {
		t.Errorf("list: %+v %v", list, err)
	}
}

// Two draws of one commitment at once: exactly one is kept.
func TestInspectionDrawOnceConcurrently(t *testing.T) {
	for _, engine := range pgtest.Engines {
		t.Run(engine, func(t *testing.T) {
			ctx := context.Background()
			c, _ := inspectionCentral(t, engine)
			com := committed(t, c, inspSitesCSV, inspInspCSV, "office")
			errs := make(chan error, 4)
			for k := range 4 {
				go func() {
					_, err := c.DrawInspection(ctx, com.ID, []string{fmt.Sprintf("1 2 3 4 5 %d", 6+k), "7"}, fmt.Sprintf("typist%d", k))
					errs <- err
				}()
			}
			ok := 0
			for range 4 {
				err := <-errs
				switch {
				case err == nil:
					ok++
				case !errors.Is(err, server.ErrInspectionState):
					t.Errorf("a losing draw: %v", err)
				}
			}
			if ok != 1 {
				t.Fatalf("%d draws kept", ok)
			}
			in, err := c.Inspection(ctx, com.ID)
			if err != nil || len(in.Sites) != 2 {
				t.Fatalf("%+v %v", in, err)
			}
			draws := 0
			for _, e := range auditSince(t, c, 0) {
				if e.Action == "draw inspection" {
					draws++
				}
			}
			if draws != 1 {
				t.Errorf("%d draws audited", draws)
			}
		})
	}
}

// Figures: registers of 2,000 sites and 300 inspectors imported, committed
// (5 %, 3 each) and drawn through the service on SQLite.
func TestInspectionFigures(t *testing.T) {
	ctx := context.Background()
	c, _ := inspectionCentral(t, "sqlite")
	var sites, ins strings.Builder
	sites.WriteString("code,name,orgs\n")
	for k := range 2000 {
		fmt.Fprintf(&sites, "S%04d,考点%d,O%d\n", k, k, k%40)
	}
	ins.WriteString("id,name,orgs,sites\n")
	for k := range 300 {
		fmt.Fprintf(&ins, "I%03d,督导%d,O%d,S%04d\n", k, k, k%40, (k*7)%2000)
	}
	s, i := regFiles(sites.String(), ins.String())
	start := time.Now()
	if _, err := c.ImportRegisters(ctx, s, i, "office"); err != nil {
		t.Fatal(err)
	}
	imported := time.Since(start)
	com, err := c.CommitInspection(ctx, inspect.Plan{SharePercent: 5, MinSites: 1, InspectorsPerSite: 3}, "text: drand quicknet round 1234567 randomness", "office")
	if err != nil {
		t.Fatal(err)
	}
	committed := time.Since(start)
	in, err := c.DrawInspection(ctx, com.ID, []string{"82f3e9c695dc6b8d1b11818d5701919e286de8d47f7c3eb3100c485f79e57828"}, "office")
	if err != nil {
		t.Fatal(err)
	}
	drawn := time.Since(start)
	if len(in.Sites) != 100 {
		t.Fatalf("%d sites drawn, want 100", len(in.Sites))
	}
	t.Logf("2000 sites, 300 inspectors: import %v, + commit %v, + draw %v; transcript %d bytes", imported, committed-imported, drawn-committed, len(in.TranscriptJSON))
}

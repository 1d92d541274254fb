package store_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"onex/exam"
	"onex/server/store"
)

func TestFeeCountsAndExemptionChanges(t *testing.T) {
	eachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := seed(t, db)
		cands := []exam.Candidate{
			{Ticket: "T1", Name: "毛娜", IDType: exam.ResidentID, IDNumber: "310104200410159779", Gender: exam.Male, Category: exam.Student},
			{Ticket: "T2", Name: "钟静", IDType: exam.ResidentID, IDNumber: "31010420031018810X", Gender: exam.Female, Category: exam.Student, FeeExempt: true, FeeKind: exam.FeeSubsistence},
			{Ticket: "T3", Name: "于晨", IDType: exam.ResidentID, IDNumber: "110101200510096705", Gender: exam.Female, Category: exam.Student, FeeExempt: true, FeeKind: exam.FeeSubsistence},
			{Ticket: "T4", Name: "陶文", IDType: "护照", IDNumber: "E1", Gender: exam.Female, Category: exam.Public, FeeExempt: true, FeeKind: exam.FeeDisability},
		}
		if err := db.PutRoster(ctx, "S1", cands, pkg("m2", "{}")); err != nil {
			t.Fatal(err)
		}
		roster, err := db.Roster(ctx, "S1")
		if err != nil || roster[1] != cands[1] || roster[3].FeeKind != exam.FeeDisability {
			t.Fatalf("roster %+v %v", roster, err)
		}
		summary := func(f store.FeeFilter) string {
			t.Helper()
			counts, err := db.FeeCounts(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, c := range counts {
				out = append(out, fmt.Sprintf("%s/%s/%s/%s/%s/%v/%s=%d", c.SessionID, c.Site, c.Org, c.Certificate, c.Level, c.Exempt, c.Kind, c.N))
				if !c.Start.Equal(s.Start) {
					t.Errorf("start %v", c.Start)
				}
			}
			return strings.Join(out, " ")
		}
		all := "S1/SITE-001/ORG-WEB/WEB/elementary/false/=1 S1/SITE-001/ORG-WEB/WEB/elementary/true/disability=1 S1/SITE-001/ORG-WEB/WEB/elementary/true/subsistence=2"
		for name, tc := range map[string]struct {
			f    store.FeeFilter
			want string
		}{
			"all":              {store.FeeFilter{}, all},
			"session":          {store.FeeFilter{SessionID: "S1"}, all},
			"other session":    {store.FeeFilter{SessionID: "S9"}, ""},
			"org":              {store.FeeFilter{Org: "ORG-WEB"}, all},
			"other org":        {store.FeeFilter{Org: "ORG-BIM"}, ""},
			"site":             {store.FeeFilter{Site: "SITE-001"}, all},
			"other site":       {store.FeeFilter{Site: "SITE-002"}, ""},
			"from the start":   {store.FeeFilter{From: s.Start}, all},
			"from after":       {store.FeeFilter{From: s.Start.Add(time.Microsecond)}, ""},
			"to the start":     {store.FeeFilter{To: s.Start}, ""},
			"to after":         {store.FeeFilter{To: s.Start.Add(time.Microsecond)}, all},
			"org and site day": {store.FeeFilter{Org: "ORG-WEB", Site: "SITE-001", From: s.Start.Add(-time.Hour), To: s.Start.Add(time.Hour)}, all},
		} {
			t.Run(name, func(t *testing.T) {
				if got := summary(tc.f); got != tc.want {
					t.Errorf("counts\n%s\nwant\n%s", got, tc.want)
				}
			})
		}
		list, err := db.FeeCandidates(ctx, store.FeeFilter{Org: "ORG-WEB"})
		if err != nil || len(list) != 4 || list[1].Ticket != "T2" || list[1].Name != "钟静" || list[1].Kind != exam.FeeSubsistence || list[0].Exempt {
			t.Fatalf("candidates %+v %v", list, err)
		}

		before, _ := db.AuditLog(ctx)
		change := store.ExemptionChange{SessionID: "S1", Ticket: "T2", Exempt: false, Actor: "office admin", Action: "change fee exemption",
			Detail: func(was bool, kind exam.FeeKind) string { return fmt.Sprintf("S1 T2 was %v %s", was, kind) }}
		if err := db.SetFeeExemption(ctx, change); err != nil {
			t.Fatal(err)
		}
		if err := db.SetFeeExemption(ctx, change); !errors.Is(err, store.ErrConflict) {
			t.Errorf("the same change again: %v", err)
		}
		missing := change
		missing.Ticket = "T9"
		if err := db.SetFeeExemption(ctx, missing); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("unknown ticket: %v", err)
		}
		after, err := db.AuditLog(ctx)
		if err != nil || len(after) != len(before)+1 {
			t.Fatalf("audit: %d entries after %d, %v", len(after), len(before), err)
		}
		if e := after[len(after)-1]; e.Actor != "office admin" || e.Action != "change fee exemption" || e.Detail != "S1 T2 was true subsistence" {
			t.Errorf("audit entry %+v", e)
		}
		if got := summary(store.FeeFilter{}); got != "S1/SITE-001/ORG-WEB/WEB/elementary/false/=2 S1/SITE-001/ORG-WEB/WEB/elementary/true/disability=1 S1/SITE-001/ORG-WEB/WEB/elementary/true/subsistence=1" {
			t.Errorf("after the change: %s", got)
		}
	})
}

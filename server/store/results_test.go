package store_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"onex/server/store"
)

// TestApprovalsAndPublications: an approval replaces a lapsed one; only an
// approval still holding the digest given is published, once; every
// publication is kept; all of it audited.
func TestApprovalsAndPublications(t *testing.T) {
	eachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := seed(t, db)
		at := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
		detail := func(done []string) string { return strings.Join(done, " ") }
		if done, err := db.Approve(ctx, s.ID, []store.Approval{{Ticket: "T1", Digest: "d1"}, {Ticket: "T2", Digest: "d2"}}, "office ann", at, "approve results", detail); err != nil || len(done) != 2 {
			t.Fatal(done, err)
		}
		if _, err := db.Approve(ctx, s.ID, []store.Approval{{Ticket: "T2", Digest: "d2b"}}, "office bob", at.Add(time.Hour), "approve results", detail); err != nil {
			t.Fatal(err)
		}
		ap, err := db.Approvals(ctx, s.ID)
		if err != nil || len(ap) != 2 || ap["T2"].Digest != "d2b" || ap["T2"].ApprovedBy != "office bob" || !ap["T1"].ApprovedAt.Equal(at) || ap["T1"].Published() {
			t.Fatalf("approvals %+v, %v", ap, err)
		}
		// T2's approval holds d2b, not d2: not published.
		done, err := db.Publish(ctx, s.ID, []store.Publication{{Ticket: "T1", Digest: "d1", Total: 70, Max: 96, Passed: true}, {Ticket: "T2", Digest: "d2"}, {Ticket: "T3", Digest: "x"}},
			"office ann", at.Add(2*time.Hour), "publish results", detail)
		if err != nil || !slices.Equal(done, []string{"T1"}) {
			t.Fatalf("published %v, %v", done, err)
		}
		if done, err := db.Publish(ctx, s.ID, []store.Publication{{Ticket: "T1", Digest: "d1"}}, "office ann", at, "publish results", detail); err != nil || len(done) != 0 {
			t.Fatalf("published twice: %v, %v", done, err)
		}
		pubs, err := db.Publications(ctx, 0, 10)
		if err != nil || len(pubs) != 1 || pubs[0].Ticket != "T1" || pubs[0].Total != 70 || !pubs[0].Passed || pubs[0].SessionID != s.ID {
			t.Fatalf("publications %+v, %v", pubs, err)
		}
		if more, err := db.Publications(ctx, pubs[0].ID, 10); err != nil || len(more) != 0 {
			t.Fatalf("after the last: %+v, %v", more, err)
		}
		ap, _ = db.Approvals(ctx, s.ID)
		if !ap["T1"].Published() || ap["T1"].PublishedBy != "office ann" {
			t.Fatalf("T1 %+v", ap["T1"])
		}
		log, _ := db.AuditLog(ctx)
		var actions []string
		for _, e := range log {
			actions = append(actions, e.Action+": "+e.Detail)
		}
		if want := []string{"approve results: T1 T2", "approve results: T2", "publish results: T1"}; !slices.Equal(actions[len(actions)-3:], want) {
			t.Errorf("audit %q", actions)
		}
	})
}

// TestAppeals: an appeal withdraws the candidate's approval; a second open
// appeal of the item is refused and records nothing; the re-mark and the
// outcome are kept and audited; a closed appeal cannot change.
func TestAppeals(t *testing.T) {
	eachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := seed(t, db)
		at := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
		if _, err := db.Approve(ctx, s.ID, []store.Approval{{Ticket: "T1", Digest: "d"}, {Ticket: "T2", Digest: "d"}}, "office ann", at, "approve results", func(d []string) string { return strings.Join(d, " ") }); err != nil {
			t.Fatal(err)
		}
		detail := func(as []store.Appeal) string { return as[0].Ticket }
		as := []store.Appeal{{SessionID: s.ID, Ticket: "T1", ItemID: "q10", Reason: "复核", ReceivedOn: "2026-12-03", RecordedBy: "office ann", RecordedAt: at, Before: []float64{2, 1, 1}}}
		if err := db.AddAppeals(ctx, as, "record appeal", detail); err != nil || as[0].ID == 0 {
			t.Fatalf("add: %v, id %d", err, as[0].ID)
		}
		ap, _ := db.Approvals(ctx, s.ID)
		if _, ok := ap["T1"]; ok || len(ap) != 1 {
			t.Fatalf("approvals after the appeal: %+v", ap)
		}
		// An approval of scores read before the appeal came is not recorded while it is open.
		if done, err := db.Approve(ctx, s.ID, []store.Approval{{Ticket: "T1", Digest: "d"}}, "office ann", at, "approve results", func(d []string) string { return strings.Join(d, " ") }); err != nil || len(done) != 0 {
			t.Fatalf("approved under an open appeal: %v %v", done, err)
		}
		again := []store.Appeal{{SessionID: s.ID, Ticket: "T2", ItemID: "q10", Reason: "r", ReceivedOn: "2026-12-03", RecordedBy: "x", RecordedAt: at},
			{SessionID: s.ID, Ticket: "T1", ItemID: "q10", Reason: "again", ReceivedOn: "2026-12-03", RecordedBy: "x", RecordedAt: at}}
		if err := db.AddAppeals(ctx, again, "record appeal", detail); !errors.Is(err, store.ErrAppealOpen) {
			t.Fatalf("second open appeal: %v", err)
		}
		if ap, _ := db.Approvals(ctx, s.ID); len(ap) != 1 {
			t.Fatalf("a refused appeal withdrew an approval: %+v", ap)
		}
		if err := db.SetAppealTask(ctx, as[0].ID, 42); err != nil {
			t.Fatal(err)
		}
		if err := db.RecordRemark(ctx, as[0].ID, []float64{4, 3, 2}, "marker m3", at.Add(time.Hour), "appeal re-mark", "appeal 1"); err != nil {
			t.Fatal(err)
		}
		if err := db.RecordRemark(ctx, as[0].ID, []float64{1, 1, 1}, "marker m4", at, "appeal re-mark", "again"); !errors.Is(err, store.ErrRemarked) {
			t.Errorf("a second re-mark: %v", err)
		}
		if err := db.CloseAppeal(ctx, as[0].ID, store.AppealChanged, []float64{4, 3, 2}, "office lead", at.Add(2*time.Hour), "confirmed", "close appeal", "appeal 1 changed"); err != nil {
			t.Fatal(err)
		}
		for _, err := range []error{
			db.CloseAppeal(ctx, as[0].ID, store.AppealUnchanged, nil, "x", at, "", "close appeal", ""),
			db.RecordRemark(ctx, as[0].ID, []float64{1, 1, 1}, "x", at, "appeal re-mark", ""),
		} {
			if !errors.Is(err, store.ErrAppealClosed) {
				t.Errorf("change of a closed appeal: %v", err)
			}
		}
		if err := db.CloseAppeal(ctx, 999, store.AppealUnchanged, nil, "x", at, "", "close appeal", ""); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("close of no appeal: %v", err)
		}
		got, err := db.Appeal(ctx, as[0].ID)
		if err != nil || got.TaskID != 42 || !slices.Equal(got.Before, []float64{2, 1, 1}) || !slices.Equal(got.Remark, []float64{4, 3, 2}) ||
			got.RemarkedBy != "marker m3" || got.Outcome != store.AppealChanged || !slices.Equal(got.After, []float64{4, 3, 2}) ||
			got.ClosedBy != "office lead" || got.Note != "confirmed" || !got.ClosedAt.Equal(at.Add(2*time.Hour)) || got.ReceivedOn != "2026-12-03" {
			t.Fatalf("appeal %+v, %v", got, err)
		}
		// Closed, the item may be appealed again.
		if err := db.AddAppeals(ctx, again[1:], "record appeal", detail); err != nil {
			t.Fatal(err)
		}
		list, err := db.Appeals(ctx, s.ID)
		if err != nil || len(list) != 2 || list[0].Outcome != store.AppealOpen || list[1].ID != as[0].ID {
			t.Fatalf("appeals %+v, %v", list, err)
		}
		if all, _ := db.Appeals(ctx, ""); len(all) != 2 {
			t.Fatalf("every session's appeals: %d", len(all))
		}
	})
}

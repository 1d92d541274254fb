package site_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"onex/client/store"
	"onex/exam"
	"onex/server/servertest"
	wire "onex/sync"
)

// TestADisputedSubmissionStaysVisible: another device of the site got a
// submission for a candidate to central first, dated 2100. The site's own
// submission is answered as a conflict: the site keeps it in its outbox,
// marked with central's reason, stops sending it, and shows it for review;
// central holds both for the office, and once the office takes the site's,
// the results follow it.
func TestADisputedSubmissionStaysVisible(t *testing.T) {
	ctx := context.Background()
	r := newRig(t)
	ticket := "2026WEB010001"
	r.checkIn(ticket)
	r.started()
	e, err := r.s.Begin(ctx, r.session, ticket)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Save(ctx, "q1", exam.Answer{Choices: []string{"b"}}); err != nil {
		t.Fatal(err)
	}
	sub, err := e.Submit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	forger := r.central.Enrol(t, "SITE-001")
	forged := forger.SealAt(wire.KindSubmission, servertest.Submission(r.central.Session, ticket, nil), time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC))
	if _, resp := forger.Push(forged.Bytes); resp.Results[0].Outcome != wire.Accepted {
		t.Fatalf("the forged submission, first at central: %+v", resp.Results[0])
	}

	stats, err := r.s.Sync(ctx)
	if err != nil || stats.Conflict != 1 {
		t.Fatalf("sync: %+v %v", stats, err)
	}
	st, err := r.s.Status(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	if st.Outbox.Pending != 0 || st.Outbox.Conflict != 1 || len(st.Refused) != 1 {
		t.Fatalf("outbox %+v, refused %+v", st.Outbox, st.Refused)
	}
	if rr := st.Refused[0]; rr.RecordID != sub.RecordID || rr.State != store.StateConflict || !strings.Contains(rr.Reason, "kept for the office to decide") {
		t.Errorf("the refused submission: %+v", rr)
	}
	if again, err := r.s.Sync(ctx); err != nil || again.Delivered()+again.Conflict+again.Rejected != 0 {
		t.Errorf("a second sync sent it again: %+v %v", again, err)
	}

	disputes, err := r.central.Disputes(ctx)
	if err != nil || len(disputes) != 1 || disputes[0].Other.RecordID != sub.RecordID || disputes[0].Other.ReceiptCode != sub.ReceiptCode {
		t.Fatalf("central's disputes: %+v %v", disputes, err)
	}
	if res := r.central.Results(t)[0]; res.Total != 0 || len(res.Open) != 1 {
		t.Errorf("before the decision: %+v", res)
	}
	if err := r.central.Decide(ctx, disputes[0].ID, true, "the candidate's receipt code is the site's", "test"); err != nil {
		t.Fatal(err)
	}
	if res := r.central.Results(t)[0]; res.Total != 2 || len(res.Open) != 0 {
		t.Errorf("after taking the site's submission: %+v", res)
	}
}

package server_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"onex/exam"
	"onex/server"
	"onex/server/servertest"
	"onex/server/store/pgtest"
	osync "onex/sync"
)

// Tickets of the sample roster.
const (
	ticket1 = "2026WEB010001"
	ticket2 = "2026WEB010002"
	ticket3 = "2026WEB010003"
)

// sat is the sample session after the room: ticket1 submitted with its
// practical item scored at the site, ticket2 submitted, ticket3 absent.
func sat(t *testing.T, opts ...servertest.Option) (*servertest.Central, *servertest.Device) {
	t.Helper()
	c := servertest.New(t, opts...)
	d := c.Enrol(t, "SITE-001")
	c.Release()
	answers := map[string]exam.Answer{"q1": {Choices: []string{"b"}}, "q10": {Text: "媒体查询与弹性布局"}}
	envs := [][]byte{
		d.Seal(osync.KindCheckIn, osync.CheckIn{SessionID: c.Session.ID, Ticket: ticket1, Status: exam.Present}).Bytes,
		d.Seal(osync.KindCheckIn, osync.CheckIn{SessionID: c.Session.ID, Ticket: ticket2, Status: exam.Present}).Bytes,
		d.Seal(osync.KindCheckIn, osync.CheckIn{SessionID: c.Session.ID, Ticket: ticket3, Status: exam.Absent}).Bytes,
		d.Seal(osync.KindSubmission, servertest.Submission(c.Session, ticket1, answers)).Bytes,
		d.Seal(osync.KindSubmission, servertest.Submission(c.Session, ticket2, answers)).Bytes,
		d.Seal(osync.KindPractical, osync.PracticalScore{SessionID: c.Session.ID, Ticket: ticket1, ItemID: "q11", Marks: []float64{10, 12, 10, 8}, Examiner: "王老师"}).Bytes,
	}
	if code, resp := d.Push(envs...); code != 200 || resp.Results[len(envs)-1].Outcome != osync.Accepted {
		t.Fatalf("push: %d %+v", code, resp)
	}
	return c, d
}

func byTicket(rs []server.Result) map[string]server.Result {
	out := map[string]server.Result{}
	for _, r := range rs {
		out[r.Ticket] = r
	}
	return out
}

// TestApproveOnlyWhatIsReady: through real ingest, on both engines: results
// awaiting marks or moderation, or without a submission, are refused with
// why (a typed error), an absent candidate's result is approved and
// published; approving or publishing again does nothing; all audited.
func TestApproveOnlyWhatIsReady(t *testing.T) {
	for _, engine := range pgtest.Engines {
		t.Run(engine, func(t *testing.T) {
			c, _ := sat(t, servertest.WithDB(pgtest.DSN(t, engine)))
			ctx := context.Background()
			rs := byTicket(c.Results(t))
			if r := rs[ticket1]; r.State != exam.StateProvisional || !slices.Equal(r.NotReady, []exam.NotReady{exam.AwaitingMarks, exam.NotModerated}) {
				t.Errorf("ticket1: %s %v", r.State, r.NotReady)
			}
			if r := rs[ticket3]; r.State != exam.StateModerated || len(r.NotReady) != 0 {
				t.Errorf("absent: %s %v", r.State, r.NotReady)
			}
			if r := rs["2026WEB010004"]; r.State != exam.StateProvisional || !slices.Contains(r.NotReady, exam.NoSubmission) {
				t.Errorf("no check-in: %s %v", r.State, r.NotReady)
			}
			// Publishing before approval publishes nothing.
			rep, err := c.Publish(ctx, c.Session.ID, "office ann")
			if err != nil || len(rep.Done) != 0 || len(rep.Refused) != 40 {
				t.Fatalf("publish before approval: %+v, %v", rep, err)
			}
			rep, err = c.Approve(ctx, c.Session.ID, "office ann")
			if err != nil || !slices.Equal(rep.Done, []string{ticket3}) || len(rep.Refused) != 39 {
				t.Fatalf("approve: %+v, %v", rep, err)
			}
			var nr *server.NotReadyError
			if err := rep.Err(); !errors.As(err, &nr) || !errors.Is(err, server.ErrInput) || !strings.Contains(err.Error(), ticket1+" (not ready: awaiting-marks, not-moderated)") {
				t.Errorf("refusal: %v", err)
			}
			if r := byTicket(c.Results(t))[ticket3]; r.State != exam.StateApproved || r.ApprovedBy != "office ann" || r.ApprovedAt.IsZero() {
				t.Errorf("approved: %+v", r)
			}
			rep, err = c.Approve(ctx, c.Session.ID, "office ann")
			if err != nil || len(rep.Done) != 0 || !slices.Equal(rep.Already, []string{ticket3}) {
				t.Errorf("approve again: %+v, %v", rep, err)
			}
			rep, err = c.Publish(ctx, c.Session.ID, "office bob")
			if err != nil || !slices.Equal(rep.Done, []string{ticket3}) {
				t.Fatalf("publish: %+v, %v", rep, err)
			}
			if r := byTicket(c.Results(t))[ticket3]; r.State != exam.StatePublished || r.PublishedAt.IsZero() {
				t.Errorf("published: %+v", r)
			}
			var csv bytes.Buffer
			if err := server.WriteResultsCSV(&csv, c.Results(t)); err != nil || !strings.Contains(csv.String(), ",结果,成绩状态,待评分题目,") ||
				!strings.Contains(csv.String(), ticket3+",") || !strings.Contains(csv.String(), ",缺考,已发布,") || !strings.Contains(csv.String(), ",待评分,暂定,q10,") {
				t.Errorf("CSV: %v\n%s", err, csv.String())
			}
			pubs, err := c.Publications(ctx, 0, 100)
			if err != nil || len(pubs) != 1 || pubs[0].Ticket != ticket3 || !pubs[0].Absent || pubs[0].Passed {
				t.Errorf("publications %+v, %v", pubs, err)
			}
			if rep, _ := c.Publish(ctx, c.Session.ID, "office bob"); len(rep.Done) != 0 || !slices.Equal(rep.Already, []string{ticket3}) {
				t.Errorf("publish again: %+v", rep)
			}
			log, _ := c.AuditLog(ctx)
			var got []string
			for _, e := range log.Entries {
				if e.Action == "approve results" || e.Action == "publish results" {
					got = append(got, e.Actor+": "+e.Action+": "+e.Detail)
				}
			}
			want := []string{"office ann: approve results: session " + c.Session.ID + ": 1 results approved: " + ticket3,
				"office bob: publish results: session " + c.Session.ID + ": 1 results published: " + ticket3}
			if !slices.Equal(got, want) || log.Broken != "" {
				t.Errorf("audit %q (broken %q)", got, log.Broken)
			}
		})
	}
}

// TestAppealOfAPracticalItem: an appeal of a site-scored item is recorded
// with the marks it had; a second open appeal of it is refused; a re-mark
// within the tolerance leaves it unchanged, one beyond it changes the
// result once confirmed; closed appeals cannot change; all audited.
func TestAppealOfAPracticalItem(t *testing.T) {
	c, _ := sat(t)
	ctx := context.Background()
	c.Clock.Add(48 * time.Hour)
	req := server.AppealRequest{SessionID: c.Session.ID, Ticket: ticket1, Items: []string{"q11"}, Reason: "实操分数偏低，申请复核", Received: c.Clock.Now()}
	for _, tc := range []struct {
		name string
		edit func(*server.AppealRequest)
		want string
	}{
		{"objective item", func(r *server.AppealRequest) { r.Items = []string{"q1"} }, "scored by its answer"},
		{"unmarked item", func(r *server.AppealRequest) { r.Items = []string{"q10"} }, "item q10 has no mark yet"},
		{"no such item", func(r *server.AppealRequest) { r.Items = []string{"q99"} }, `no item "q99"`},
		{"no reason", func(r *server.AppealRequest) { r.Reason = " " }, "needs the candidate's reason"},
		{"received tomorrow", func(r *server.AppealRequest) { r.Received = r.Received.Add(24 * time.Hour) }, "after today"},
		{"not on the roster", func(r *server.AppealRequest) { r.Ticket = "X1" }, `ticket "X1" is not on the session's roster`},
		{"absent", func(r *server.AppealRequest) { r.Ticket = ticket3 }, "has no submission"},
	} {
		r := req
		tc.edit(&r)
		if _, err := c.RecordAppeal(ctx, r, "office ann"); !errors.Is(err, server.ErrInput) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
	if as, _ := c.Appeals(ctx, c.Session.ID); len(as) != 0 {
		t.Fatalf("refused appeals were recorded: %+v", as)
	}
	as, err := c.RecordAppeal(ctx, req, "office ann")
	if err != nil || len(as) != 1 || !slices.Equal(as[0].Before, []float64{10, 12, 10, 8}) {
		t.Fatalf("appeal: %+v, %v", as, err)
	}
	if _, err := c.RecordAppeal(ctx, req, "office ann"); !errors.Is(err, server.ErrAppealOpen) || !errors.Is(err, server.ErrInput) {
		t.Errorf("second open appeal: %v", err)
	}
	r := byTicket(c.Results(t))[ticket1]
	if r.OpenAppeals != 1 || !slices.Contains(r.NotReady, exam.OpenAppeal) {
		t.Errorf("appealed result: %+v", r)
	}
	before := r.Total
	if _, err := c.CloseAppeal(ctx, as[0].ID, true, "", "office lead"); !errors.Is(err, server.ErrNoRemark) {
		t.Errorf("closed without a re-mark: %v", err)
	}
	if err := c.RemarkAppeal(ctx, as[0].ID, []float64{99, 0, 0, 0}, "marker m9"); !errors.Is(err, server.ErrInput) {
		t.Errorf("a re-mark out of range: %v", err)
	}
	next, err := c.NextAppealRescore(ctx, "marker m9")
	if err != nil || next.AppealID != as[0].ID || next.Item.ID != "q11" || len(next.Item.Rubric) != 4 {
		t.Fatalf("next appeal to re-score: %+v %v", next, err)
	}
	if err := c.RemarkAppeal(ctx, as[0].ID, []float64{14, 16, 12, 8}, "marker m9"); err != nil {
		t.Fatal(err)
	}
	if err := c.RemarkAppeal(ctx, as[0].ID, []float64{1, 1, 1, 1}, "marker m8"); !errors.Is(err, server.ErrRemarked) {
		t.Errorf("a second re-mark: %v", err)
	}
	if _, err := c.NextAppealRescore(ctx, "marker m9"); !errors.Is(err, server.ErrNotFound) {
		t.Errorf("re-scored, still handed out: %v", err)
	}
	if _, err := c.CloseAppeal(ctx, as[0].ID, false, "", "office lead"); !errors.Is(err, server.ErrInput) || !strings.Contains(err.Error(), "needs a note") {
		t.Errorf("refusing a re-mark beyond tolerance without a note: %v", err)
	}
	outcome, err := c.CloseAppeal(ctx, as[0].ID, true, "re-mark confirmed by the lead", "office lead")
	if err != nil || outcome != server.AppealChanged {
		t.Fatalf("close: %q, %v", outcome, err)
	}
	r = byTicket(c.Results(t))[ticket1]
	if r.Total != before+10 || r.OpenAppeals != 0 {
		t.Errorf("after the appeal: total %v (was %v), open %d", r.Total, before, r.OpenAppeals)
	}
	if _, err := c.CloseAppeal(ctx, as[0].ID, true, "", "office lead"); !errors.Is(err, server.ErrAppealClosed) {
		t.Errorf("closed twice: %v", err)
	}
	if err := c.RemarkAppeal(ctx, as[0].ID, []float64{1, 1, 1, 1}, "marker m9"); !errors.Is(err, server.ErrAppealClosed) {
		t.Errorf("re-marked once closed: %v", err)
	}
	// Appealed again: the marks it has now are the appeal's; the same re-mark leaves them unchanged.
	as, err = c.RecordAppeal(ctx, req, "office ann")
	if err != nil || !slices.Equal(as[0].Before, []float64{14, 16, 12, 8}) {
		t.Fatalf("second appeal: %+v, %v", as, err)
	}
	c.RemarkAppeal(ctx, as[0].ID, []float64{14, 16, 12, 8}, "marker m8")
	if outcome, err := c.CloseAppeal(ctx, as[0].ID, true, "", "office lead"); err != nil || outcome != server.AppealUnchanged {
		t.Errorf("unchanged: %q, %v", outcome, err)
	}
	if r := byTicket(c.Results(t))[ticket1]; r.Total != before+10 {
		t.Errorf("an unchanged appeal changed the total to %v", r.Total)
	}
	log, _ := c.AuditLog(ctx)
	var got []string
	for _, e := range log.Entries {
		if strings.Contains(e.Action, "appeal") {
			got = append(got, e.Action)
		}
	}
	if want := []string{"record appeal", "appeal re-mark", "close appeal", "record appeal", "appeal re-mark", "close appeal"}; !slices.Equal(got, want) {
		t.Errorf("audit %q", got)
	}
	for _, e := range log.Entries {
		if strings.Contains(e.Detail, "媒体查询") || strings.Contains(e.Detail, "王老师") {
			t.Errorf("audit entry %q holds an answer or a name", e.Detail)
		}
	}
}

// markAll has marker mark every task the queue hands them with marks.
func markAll(t *testing.T, c *servertest.Central, marker string, marks []float64) int {
	t.Helper()
	n := 0
	for {
		v, err := c.Next(context.Background(), marker)
		if errors.Is(err, server.ErrNoTask) {
			return n
		}
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Mark(context.Background(), marker, v.TaskID, marks, 30); err != nil {
			t.Fatal(err)
		}
		n++
	}
}

// ready marks the sample session's essays (marker m1, besides m2 and a
// lead "mod") and moderates its practical scores, checking that results
// wait for the moderation.
func ready(t *testing.T, c *servertest.Central) {
	t.Helper()
	ctx := context.Background()
	for _, m := range []string{"m1", "m2"} {
		if err := c.PutUser(ctx, m, "a password for "+m, server.RoleMarker, "test"); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.PutUser(ctx, "mod", "a password for mod", server.RoleLead, "test"); err != nil {
		t.Fatal(err)
	}
	if n := markAll(t, c, "m1", []float64{2, 1, 1}); n != 2 {
		t.Fatalf("m1 marked %d scripts", n)
	}
	if r := byTicket(c.Results(t))[ticket1]; r.State != exam.StateMarked || !slices.Equal(r.NotReady, []exam.NotReady{exam.NotModerated}) {
		t.Fatalf("marked, not moderated: %s %v", r.State, r.NotReady)
	}
	if rep, _ := c.Approve(ctx, c.Session.ID, "office ann"); slices.Contains(rep.Done, ticket1) {
		t.Fatal("approved before moderation")
	}
	if _, err := c.DrawModeration(ctx, c.Session.ID, server.DefaultModerationPolicy, "office lead"); err != nil {
		t.Fatal(err)
	}
	for {
		v, err := c.NextRescore(ctx, "mod")
		if errors.Is(err, server.ErrNotFound) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Rescore(ctx, v.ID, "mod", []float64{10, 12, 10, 8}); err != nil {
			t.Fatal(err)
		}
	}
}

// TestAppealRoundTrip: on both engines, through real ingest, marking and
// moderation: a result is marked (essay by a marker, practical moderated),
// approved and published; an appeal withdraws it (back to marked), its
// essay is re-marked through marking's queue by another marker, never the
// first; the re-mark beyond tolerance, confirmed, changes the result,
// which needs approval again and is published again.
func TestAppealRoundTrip(t *testing.T) {
	for _, engine := range pgtest.Engines {
		t.Run(engine, func(t *testing.T) {
			c, _ := sat(t, servertest.WithDB(pgtest.DSN(t, engine)))
			ctx := context.Background()
			ready(t, c)
			r := byTicket(c.Results(t))[ticket1]
			if r.State != exam.StateModerated || len(r.NotReady) != 0 {
				t.Fatalf("moderated: %s %v", r.State, r.NotReady)
			}
			total := r.Total
			if rep, err := c.Approve(ctx, c.Session.ID, "office ann"); err != nil || !slices.Contains(rep.Done, ticket1) {
				t.Fatalf("approve: %+v %v", rep, err)
			}
			if rep, err := c.Publish(ctx, c.Session.ID, "office ann"); err != nil || !slices.Contains(rep.Done, ticket1) {
				t.Fatalf("publish: %+v %v", rep, err)
			}

			c.Clock.Add(72 * time.Hour)
			as, err := c.RecordAppeal(ctx, server.AppealRequest{SessionID: c.Session.ID, Ticket: ticket1, Items: []string{"q10"}, Reason: "简答题得分偏低", Received: c.Clock.Now()}, "office ann")
			if err != nil || len(as) != 1 || as[0].TaskID == 0 || !slices.Equal(as[0].Before, []float64{2, 1, 1}) {
				t.Fatalf("appeal: %+v %v", as, err)
			}
			if r := byTicket(c.Results(t))[ticket1]; r.State != exam.StateMarked || !r.PublishedAt.IsZero() {
				t.Errorf("appealed: %s, published %v", r.State, r.PublishedAt)
			}
			if rep, _ := c.Approve(ctx, c.Session.ID, "office ann"); slices.Contains(rep.Done, ticket1) {
				t.Error("approved with an appeal open")
			}
			if n := markAll(t, c, "m1", []float64{4, 3, 3}); n != 0 {
				t.Fatalf("the first marker was handed the appeal: %d", n)
			}
			if _, err := c.CloseAppeal(ctx, as[0].ID, true, "", "office lead"); !errors.Is(err, server.ErrNoRemark) {
				t.Errorf("closed before the re-mark: %v", err)
			}
			if err := c.RemarkAppeal(ctx, as[0].ID, []float64{4, 3, 3}, "m2"); !errors.Is(err, server.ErrInput) {
				t.Errorf("a re-mark by hand of an item in the marking queue: %v", err)
			}
			v, err := c.Next(ctx, "m2")
			if err != nil || v.Purpose != server.PurposeAppeal {
				t.Fatalf("m2: %+v %v", v, err)
			}
			if _, err := c.Mark(ctx, "m2", v.TaskID, []float64{4, 3, 3}, 40); err != nil {
				t.Fatal(err)
			}
			listed, err := c.Appeals(ctx, c.Session.ID)
			if err != nil || !slices.Equal(listed[0].Remark, []float64{4, 3, 3}) || listed[0].RemarkedBy != "m2" {
				t.Fatalf("appeals: %+v %v", listed, err)
			}
			if r := byTicket(c.Results(t))[ticket1]; r.Total != total {
				t.Errorf("a re-mark changed the result before the outcome: %v", r.Total)
			}
			outcome, err := c.CloseAppeal(ctx, as[0].ID, true, "复核确认", "office lead")
			if err != nil || outcome != server.AppealChanged {
				t.Fatalf("close: %q %v", outcome, err)
			}
			r = byTicket(c.Results(t))[ticket1]
			if r.Total != total+6 || r.State != exam.StateModerated {
				t.Fatalf("after the appeal: %v (was %v), %s", r.Total, total, r.State)
			}
			if rep, err := c.Approve(ctx, c.Session.ID, "office bob"); err != nil || !slices.Contains(rep.Done, ticket1) {
				t.Fatalf("approve again: %+v %v", rep, err)
			}
			if rep, err := c.Publish(ctx, c.Session.ID, "office bob"); err != nil || !slices.Equal(rep.Done, []string{ticket1}) {
				t.Fatalf("publish again: %+v %v", rep, err)
			}
			pubs, _ := c.Publications(ctx, 0, 100)
			var mine []float64
			for _, p := range pubs {
				if p.Ticket == ticket1 {
					mine = append(mine, p.Total)
				}
			}
			if !slices.Equal(mine, []float64{total, total + 6}) {
				t.Errorf("publications of ticket1: %v", mine)
			}
			log, _ := c.AuditLog(ctx)
			var got []string
			for _, e := range log.Entries {
				if strings.Contains(e.Action, "appeal") || e.Action == "approve results" || e.Action == "publish results" {
					got = append(got, e.Action)
				}
			}
			if want := []string{"approve results", "approve results", "publish results", "record appeal", "appeal re-mark", "close appeal", "approve results", "publish results"}; !slices.Equal(got, want) {
				t.Errorf("audit %q", got)
			}
		})
	}
}

// TestConcurrentApprovalsAndAppeal: staff approving a session at once, on
// both engines, with an appeal recorded meanwhile: no approval fails, and
// the appealed result is never left approved while its appeal is open.
func TestConcurrentApprovalsAndAppeal(t *testing.T) {
	for _, engine := range pgtest.Engines {
		t.Run(engine, func(t *testing.T) {
			c, _ := sat(t, servertest.WithDB(pgtest.DSN(t, engine)))
			ready(t, c)
			ctx := context.Background()
			errs := make(chan error, 9)
			for i := range 8 {
				go func() {
					_, err := c.Approve(ctx, c.Session.ID, fmt.Sprintf("office staff%d", i))
					errs <- err
				}()
			}
			go func() {
				_, err := c.RecordAppeal(ctx, server.AppealRequest{SessionID: c.Session.ID, Ticket: ticket1, Items: []string{"q11"}, Reason: "复核", Received: c.Clock.Now()}, "office ann")
				errs <- err
			}()
			for range 9 {
				if err := <-errs; err != nil {
					t.Error(err)
				}
			}
			rs := byTicket(c.Results(t))
			if rs[ticket3].State != exam.StateApproved || rs[ticket1].State != exam.StateMarked || rs[ticket1].ApprovedBy != "" {
				t.Errorf("ticket3 %s, ticket1 %s %q", rs[ticket3].State, rs[ticket1].State, rs[ticket1].ApprovedBy)
			}
			// The moderator who re-scored the item in moderation does not re-score its appeal.
			if _, err := c.NextAppealRescore(ctx, "mod"); !errors.Is(err, server.ErrNotFound) {
				t.Errorf("the item's moderator is handed its appeal: %v", err)
			}
			if next, err := c.NextAppealRescore(ctx, "m2"); err != nil || next.Item.ID != "q11" {
				t.Errorf("another moderator: %+v %v", next, err)
			}
			as, _ := c.Appeals(ctx, c.Session.ID)
			if err := c.RemarkAppeal(ctx, as[0].ID, []float64{10, 12, 10, 8}, "mod"); !errors.Is(err, server.ErrInput) || !strings.Contains(err.Error(), "re-scored this item in the session's moderation") {
				t.Errorf("re-score by the item's moderator: %v", err)
			}
			// Closed unchanged, the result has the scores approved before: an
			// approval recorded while the appeal was open would count again.
			if ap, err := c.DB(t).Approvals(ctx, c.Session.ID); err != nil || ap[ticket1].Digest != "" {
				t.Errorf("an approval of ticket1 stands under its appeal: %+v %v", ap[ticket1], err)
			}
		})
	}
}

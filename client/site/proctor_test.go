package site_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"onex/client/site"
	"onex/exam"
	"onex/server/servertest"
	wire "onex/sync"
)

// centralPayloads are the plaintexts central holds of the records of one
// kind, read from its database file as an auditor would.
func centralPayloads[T any](t *testing.T, c *servertest.Central, kind string) []T {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(c.Dir, "central.db")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query("SELECT payload FROM records WHERE kind = ? ORDER BY seq", kind)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		var b []byte
		var p T
		if err := rows.Scan(&b); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, &p); err != nil {
			t.Fatal(err)
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestProctorsReasonsReachCentral: a pause, extra time and a forced
// submission need a reason, and the records carry it; every forced
// submission says why it was forced; the end records the candidates who never
// began, without a submission.
func TestProctorsReasonsReachCentral(t *testing.T) {
	ctx := context.Background()
	r := newRig(t)
	const a, b, c, d = "2026WEB010001", "2026WEB010002", "2026WEB010003", "2026WEB010004"
	for _, tk := range []string{a, b, c, d} {
		r.checkIn(tk)
	}
	r.started()
	for _, tk := range []string{a, b, c} {
		if _, err := r.s.Begin(ctx, r.session, tk); err != nil {
			t.Fatal(err)
		}
	}
	// No reason, or one of control characters or too long: refused, nothing done.
	for _, bad := range []string{"", "   ", "两行\n原因", string(make([]rune, site.MaxReasonChars+1))} {
		if err := r.s.Pause(ctx, r.session, a, "张监考", bad); !errors.Is(err, site.ErrInput) {
			t.Errorf("pause with reason %q: %v", bad, err)
		}
		if err := r.s.ExtraTime(ctx, r.session, a, 5, "张监考", bad); !errors.Is(err, site.ErrInput) {
			t.Errorf("extra time with reason %q: %v", bad, err)
		}
		if _, err := r.s.ForceSubmit(ctx, r.session, a, "张监考", bad); !errors.Is(err, site.ErrInput) {
			t.Errorf("forced submission with reason %q: %v", bad, err)
		}
	}
	seats, _ := r.s.Seats(ctx, r.session)
	if seats[0].Paused || seats[0].Submitted || seats[0].Remaining > 90*time.Minute {
		t.Fatalf("a refused action changed the seat: %+v", seats[0])
	}

	if err := r.s.Pause(ctx, r.session, a, "张监考", " 考生身体不适 "); err != nil {
		t.Fatal(err)
	}
	if err := r.s.Resume(ctx, r.session, a, "张监考"); err != nil {
		t.Fatal(err)
	}
	if err := r.s.ExtraTime(ctx, r.session, a, 10, "张监考", "设备故障补时"); err != nil {
		t.Fatal(err)
	}
	if _, err := r.s.ForceSubmit(ctx, r.session, b, "张监考", "违纪：使用手机"); err != nil {
		t.Fatal(err)
	}
	sum, err := r.s.BeforeEnd(ctx, r.session)
	if err != nil || sum.Answering != 2 || sum.Waiting != 1 || sum.Submitted != 1 || sum.Left < 99*time.Minute || sum.Left > 100*time.Minute {
		t.Fatalf("before the end: %+v %v", sum, err)
	}
	// c runs out of time first (a has 10 minutes more), then the end.
	r.clock.Add(95 * time.Minute)
	r.central.Clock.Add(95 * time.Minute)
	if subs, err := r.s.Tick(ctx); err != nil || len(subs) != 1 || subs[0].Ticket != c {
		t.Fatalf("tick: %+v %v", subs, err)
	}
	subs, err := r.s.End(ctx, r.session, "张监考")
	if err != nil || len(subs) != 1 || subs[0].Ticket != a {
		t.Fatalf("end: %+v %v", subs, err)
	}
	if _, err := r.s.Sync(ctx); err != nil {
		t.Fatal(err)
	}

	forced := map[string][2]string{}
	for _, s := range centralPayloads[wire.Submission](t, r.central, wire.KindSubmission) {
		if !s.Forced {
			t.Errorf("submission of %s not forced", s.Ticket)
		}
		forced[s.Ticket] = [2]string{s.ForcedBy, s.Reason}
	}
	want := map[string][2]string{
		a: {wire.ForcedRoomEnded, ""},
		b: {wire.ForcedByProctor, "违纪：使用手机"},
		c: {wire.ForcedTimeOut, ""},
	}
	if len(forced) != len(want) {
		t.Errorf("central has submissions %v, want %v (none for %s, who never began)", forced, want, d)
	}
	for tk, w := range want {
		if forced[tk] != w {
			t.Errorf("submission of %s: forced by %q, reason %q; want %q", tk, forced[tk][0], forced[tk][1], w)
		}
	}
	type ev struct{ ticket, event, reason string }
	var events []ev
	for _, e := range centralPayloads[wire.Event](t, r.central, wire.KindEvent) {
		events = append(events, ev{e.Ticket, e.Event, e.Reason})
	}
	wantEvents := []ev{
		{a, wire.EventPause, "考生身体不适"},
		{a, wire.EventResume, ""},
		{a, wire.EventExtraTime, "设备故障补时"},
		{b, wire.EventForceSubmit, "违纪：使用手机"},
		{"", wire.EventEnd, ""},
		{d, wire.EventEnd, ""}, // checked in, never began: ended without submission
	}
	if len(events) != len(wantEvents) {
		t.Fatalf("events %v, want %v", events, wantEvents)
	}
	for i := range events {
		if events[i] != wantEvents[i] {
			t.Errorf("event %d: %v, want %v", i, events[i], wantEvents[i])
		}
	}
	// The site says the same of d.
	cands, _ := r.s.Candidates(ctx, r.session)
	for _, k := range cands {
		if got := exam.StandingOf(k.Status, k.Begun, k.Submitted, true); (k.Ticket == d) != (got == exam.EndedUnsubmitted) {
			t.Errorf("%s stands %q", k.Ticket, got)
		}
	}
}

func TestPINWait(t *testing.T) {
	for _, tc := range []struct {
		failures int
		want     time.Duration
	}{
		{0, 0}, {1, 0}, {site.PINFreeTries, 0},
		{site.PINFreeTries + 1, 30 * time.Second},
		{site.PINFreeTries + 2, time.Minute},
		{site.PINFreeTries + 3, 2 * time.Minute},
		{site.PINFreeTries + 6, 15 * time.Minute},
		{site.PINFreeTries + 100, 15 * time.Minute},
	} {
		if got := site.PINWait(tc.failures); got != tc.want {
			t.Errorf("PINWait(%d) = %v, want %v", tc.failures, got, tc.want)
		}
	}
}

// TestStaffLock: the PIN or the passphrase opens it; wrong tries are free at
// first, then each waits longer, and a try during a wait is not even read.
func TestStaffLock(t *testing.T) {
	ctx := context.Background()
	r := newRig(t)
	l := site.NewStaffLock(r.clock.Now, r.s.VerifyPassphrase)
	if l.HasPIN() {
		t.Fatal("a new lock has a PIN")
	}
	for _, bad := range []string{"", "123", "   4", "12\n34"} {
		if err := l.SetPIN(bad); !errors.Is(err, site.ErrInput) {
			t.Errorf("SetPIN(%q): %v", bad, err)
		}
	}
	if err := l.SetPIN("2468"); err != nil || !l.HasPIN() {
		t.Fatal(err)
	}
	if err := l.SetPIN("1357"); !errors.Is(err, site.ErrInput) {
		t.Fatalf("a second SetPIN: %v", err)
	}
	steps := []struct {
		secret  string
		advance time.Duration
		ok      bool
		left    int           // tries left before the waits
		wait    time.Duration // the wait the refusal names; 0 none
	}{
		{"2468", 0, true, 0, 0},
		{"1111", 0, false, 2, 0},
		{"2222", 0, false, 1, 0},
		{pass, 0, true, 0, 0}, // the passphrase; the count starts again
		{"1111", 0, false, 2, 0},
		{"2222", 0, false, 1, 0},
		{"3333", 0, false, 0, 0},
		{"4444", 0, false, 0, 30 * time.Second},
		{"2468", 10 * time.Second, false, 0, 20 * time.Second}, // the right PIN during the wait is not read
		{"5555", 25 * time.Second, false, 0, time.Minute},
		{"2468", 61 * time.Second, true, 0, 0},
		{"1111", 0, false, 2, 0},
	}
	for i, s := range steps {
		r.clock.Add(s.advance)
		err := l.Check(ctx, s.secret)
		if s.ok != (err == nil) {
			t.Fatalf("step %d (%q): %v", i, s.secret, err)
		}
		if s.ok {
			continue
		}
		var pe *site.PINError
		if !errors.As(err, &pe) || !errors.Is(err, site.ErrWrongPIN) {
			t.Fatalf("step %d: %T %v", i, err, err)
		}
		wait := time.Duration(0)
		if !pe.Until.IsZero() {
			wait = pe.Until.Sub(r.clock.Now()).Round(time.Second)
		}
		if pe.TriesLeft() != s.left || wait != s.wait {
			t.Fatalf("step %d: %d tries left, wait %v; want %d, %v", i, pe.TriesLeft(), wait, s.left, s.wait)
		}
	}
}

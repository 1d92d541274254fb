package api_test

import (
	"bytes"
	"testing"
	"time"

	"onex/exam"
	"onex/server"
	"onex/server/servertest"
	"onex/server/store/pgtest"
	osync "onex/sync"
)

// eachEngine runs a test on a central of each storage engine.
func eachEngine(t *testing.T, test func(t *testing.T, c *servertest.Central)) {
	for _, engine := range pgtest.Engines {
		t.Run(engine, func(t *testing.T) { test(t, servertest.New(t, servertest.WithDB(pgtest.DSN(t, engine)))) })
	}
}

// result is a ticket's result at central.
func result(t *testing.T, c *servertest.Central, ticket string) server.Result {
	t.Helper()
	for _, r := range c.Results(t) {
		if r.Ticket == ticket {
			return r
		}
	}
	t.Fatalf("ticket %s has no result", ticket)
	return server.Result{}
}

// The year 2100, when a forged record says it was made: later than any
// genuine one, which the old rule (the latest device time wins) let through.
var future = time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)

// TestASecondDeviceCannotReplaceASubmission: once central holds a
// candidate's submission, another one, from a second device of the site and
// dated 2100, or re-sealed on the same device, is a conflict kept for the
// office; the results stay those of the first, and the first sent again is
// still a duplicate with its original receipt.
func TestASecondDeviceCannotReplaceASubmission(t *testing.T) {
	eachEngine(t, func(t *testing.T, c *servertest.Central) {
		s, ticket := c.Session, "2026WEB010001"
		c.Release()
		d1 := c.Enrol(t, "SITE-001")
		genuine := d1.Seal(osync.KindSubmission, servertest.Submission(s, ticket, map[string]exam.Answer{"q1": {Choices: []string{"a"}}}))
		_, first := d1.Push(genuine.Bytes)
		if first.Results[0].Outcome != osync.Accepted {
			t.Fatalf("the genuine submission: %+v", first.Results[0])
		}
		before := result(t, c, ticket)

		d2 := c.Enrol(t, "SITE-001")
		better := map[string]exam.Answer{"q1": {Choices: []string{"b"}}, "q4": {Choices: []string{"a", "b"}}, "q9": {Text: "404"}}
		forged := d2.SealAt(osync.KindSubmission, servertest.Submission(s, ticket, better), future)
		resealed := d1.Seal(osync.KindSubmission, servertest.Submission(s, ticket, better))
		for name, env := range map[string][]byte{"a second device's, dated 2100": forged.Bytes, "re-sealed on the same device": resealed.Bytes} {
			for try := range 2 {
				_, resp := d1.Push(env)
				if r := resp.Results[0]; r.Outcome != osync.Conflict || r.Receipt != nil || r.Reason == "" {
					t.Errorf("%s (sent %d times): %s %q, receipt %v; want a conflict with its reason", name, try+1, r.Outcome, r.Reason, r.Receipt != nil)
				}
			}
		}
		after := result(t, c, ticket)
		if after.Total != before.Total || after.Total != 0 {
			t.Errorf("the results changed: %v points, were %v", after.Total, before.Total)
		}
		if len(after.Open) != 2 || after.Open[0].Kind != osync.KindSubmission || !after.Review() {
			t.Errorf("the result does not warn of the open conflicts: %+v", after.Open)
		}
		disputes, err := c.Disputes(t.Context())
		if err != nil || len(disputes) != 2 {
			t.Fatalf("disputes: %+v %v", disputes, err)
		}
		for _, d := range disputes {
			if d.Held.RecordID != genuine.Header.RecordID.String() || !d.Open() {
				t.Errorf("dispute %d holds %s", d.ID, d.Held.RecordID)
			}
			if d.Other.RecordID == forged.Header.RecordID.String() && (d.Other.Time.Flag != "late" || !d.Other.Time.Shown.Equal(d.Other.Time.Received)) {
				t.Errorf("the forged submission's time: %+v", d.Other.Time)
			}
		}
		_, again := d1.Push(genuine.Bytes)
		if r := again.Results[0]; r.Outcome != osync.Duplicate || !bytes.Equal(r.Receipt, first.Results[0].Receipt) {
			t.Errorf("the genuine submission again: %s, want a duplicate with its original receipt", r.Outcome)
		}
	})
}

// TestCorrectionsComeFromTheDeviceThatMadeThem: a check-in and practical
// marks may be corrected, by later records of the device that made them
// (in its chain's order, whatever their device times say); a second
// device's, however late it says it was made, is a conflict.
func TestCorrectionsComeFromTheDeviceThatMadeThem(t *testing.T) {
	eachEngine(t, func(t *testing.T, c *servertest.Central) {
		s, ticket := c.Session, "2026WEB010002"
		c.Release()
		d1, d2 := c.Enrol(t, "SITE-001"), c.Enrol(t, "SITE-001")
		checkIn := func(d *servertest.Device, status exam.Attendance, at time.Time) []byte {
			return d.SealAt(osync.KindCheckIn, osync.CheckIn{SessionID: s.ID, Ticket: ticket, Status: status}, at).Bytes
		}
		mark := func(d *servertest.Device, m float64, at time.Time) []byte {
			return d.SealAt(osync.KindPractical, osync.PracticalScore{SessionID: s.ID, Ticket: ticket, ItemID: "q11", Marks: []float64{m, 0, 0, 0}, Examiner: "王老师"}, at).Bytes
		}
		now := c.Clock.Now()
		absent, absentMark := checkIn(d1, exam.Absent, now), mark(d1, 5, now)
		// The correction was made later but its device time says earlier (a clock stepped back).
		late, lateMark := checkIn(d1, exam.Late, now.Add(-time.Hour)), mark(d1, 10, now.Add(-time.Hour))
		sub := d1.Seal(osync.KindSubmission, servertest.Submission(s, ticket, nil))
		_, resp := d1.Push(absent, absentMark, late, lateMark, sub.Bytes)
		for i, r := range resp.Results {
			if r.Outcome != osync.Accepted {
				t.Errorf("record %d of the site's own: %s %q", i, r.Outcome, r.Reason)
			}
		}
		if r := result(t, c, ticket); r.Attendance != string(exam.Late) || r.Total != 10 {
			t.Fatalf("after the corrections: %s, %v points; want late, 10", r.Attendance, r.Total)
		}
		_, resp = d2.Push(checkIn(d2, exam.Absent, future), mark(d2, 15, future))
		for i, r := range resp.Results {
			if r.Outcome != osync.Conflict {
				t.Errorf("second device's record %d: %s %q, want a conflict", i, r.Outcome, r.Reason)
			}
		}
		if r := result(t, c, ticket); r.Attendance != string(exam.Late) || r.Total != 10 {
			t.Errorf("a second device changed the result: %s, %v points", r.Attendance, r.Total)
		}
	})
}

// TestAnImplausibleTimeIsKeptAndFlagged: a submission the device says it
// made three hours before the paper's release is accepted and scored, and
// flagged: its time is not trusted, central's time of receipt stands. A
// device whose clock is two days ahead, as the batch shows, gets its record
// flagged too, but shown at the time its measured skew makes plausible.
func TestAnImplausibleTimeIsKeptAndFlagged(t *testing.T) {
	eachEngine(t, func(t *testing.T, c *servertest.Central) {
		s := c.Session
		d := c.Enrol(t, "SITE-001")
		early := d.SealAt(osync.KindSubmission, servertest.Submission(s, "2026WEB010003", map[string]exam.Answer{"q1": {Choices: []string{"b"}}}), s.ReleaseAt.Add(-3*time.Hour))
		onTime := d.Seal(osync.KindSubmission, servertest.Submission(s, "2026WEB010004", nil))
		if _, resp := d.Push(early.Bytes, onTime.Bytes); resp.Results[0].Outcome != osync.Accepted || resp.Results[1].Outcome != osync.Accepted {
			t.Fatalf("the early submission: %+v", resp.Results)
		}
		received := c.Clock.Now()
		c.Clock.Set(s.Start)
		ahead := c.Enrol(t, "SITE-001")
		ahead.Skew = 48 * time.Hour
		checkIn := ahead.SealAt(osync.KindCheckIn, osync.CheckIn{SessionID: s.ID, Ticket: "2026WEB010005", Status: exam.Present}, s.Start.Add(ahead.Skew-5*time.Minute))
		if _, resp := ahead.Push(checkIn.Bytes); resp.Results[0].Outcome != osync.Accepted {
			t.Fatalf("the check-in of a device two days ahead: %+v", resp.Results)
		}

		r := result(t, c, "2026WEB010003")
		if !r.Submitted || r.Total != 2 || len(r.Flags) != 1 || !r.Review() {
			t.Fatalf("result: %+v", r)
		}
		f := r.Flags[0]
		if f.Kind != osync.KindSubmission || f.RecordID != early.Header.RecordID.String() || f.Time.Flag != "early" ||
			!f.Time.Device.Equal(s.ReleaseAt.Add(-3*time.Hour)) || !f.Time.Received.Equal(received) || !f.Time.Shown.Equal(received) ||
			f.Time.SkewMS == nil || *f.Time.SkewMS != 0 {
			t.Errorf("flag: %+v", f)
		}
		if r := result(t, c, "2026WEB010004"); len(r.Flags) != 0 || r.Review() {
			t.Errorf("a submission on time is flagged: %+v", r.Flags)
		}
		r = result(t, c, "2026WEB010005")
		if len(r.Flags) != 1 || r.Flags[0].Time.Flag != "late" || !r.Flags[0].Time.Shown.Equal(s.Start.Add(-5*time.Minute)) || !r.Flags[0].Time.Estimated() {
			t.Errorf("the check-in of a device two days ahead: %+v", r.Flags)
		}
	})
}

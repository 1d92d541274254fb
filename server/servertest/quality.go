package servertest

import (
	"fmt"
	"testing"
	"time"

	"onex/exam"
	osync "onex/sync"
)

// PracticalScores has a new device of the sample session's site send the
// marks of the practical item q11 (rubric 15, 20, 15, 10) for the first n
// candidates of a made-up roster (WithRoster), as score(i) gives them, the
// way a site's examiners send them, three hours after the start (central's
// clock is set there). It returns the tickets, in order.
func (c *Central) PracticalScores(t testing.TB, n int, score func(i int) []float64) []string {
	t.Helper()
	d := c.Enrol(t, "SITE-001")
	c.Clock.Set(Start.Add(3 * time.Hour))
	var envs [][]byte
	var tickets []string
	for i := range n {
		tk := fmt.Sprintf("2026BENCH%05d", i+1)
		tickets = append(tickets, tk)
		envs = append(envs, d.Seal(osync.KindPractical, osync.PracticalScore{SessionID: c.Session.ID, Ticket: tk, ItemID: "q11", Marks: score(i), Examiner: "examiner 1"}).Bytes)
	}
	push(t, d, envs)
	return tickets
}

// push sends envelopes in one batch and fails the test unless every one is accepted.
func push(t testing.TB, d *Device, envs [][]byte) {
	t.Helper()
	_, resp := d.Push(envs...)
	if len(resp.Results) != len(envs) {
		t.Fatalf("push of %d records: %+v", len(envs), resp)
	}
	for _, r := range resp.Results {
		if r.Outcome != osync.Accepted {
			t.Fatalf("record %s: %s %s", r.RecordID, r.Outcome, r.Reason)
		}
	}
}

// Essays has a new device of the site send a submission for each text, by
// the roster's tickets in order (the sample roster's 2026WEB01…, or
// WithRoster's 2026BENCH…): the text is the answer to the essay q10. The
// clock is set to 40 minutes after the release.
func (c *Central) Essays(t testing.TB, tickets []string, texts []string) {
	t.Helper()
	c.Release()
	c.Clock.Add(40 * time.Minute)
	d := c.Enrol(t, "SITE-001")
	var envs [][]byte
	for i, text := range texts {
		sub := Submission(c.Session, tickets[i], map[string]exam.Answer{"q10": {Text: text}})
		envs = append(envs, d.Seal(osync.KindSubmission, sub).Bytes)
	}
	push(t, d, envs)
}

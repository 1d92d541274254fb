package servertest

import (
	"fmt"
	"testing"
	"time"

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
	_, resp := d.Push(envs...)
	if len(resp.Results) != n {
		t.Fatalf("push of %d practical scores: %+v", n, resp)
	}
	for _, r := range resp.Results {
		if r.Outcome != osync.Accepted {
			t.Fatalf("practical score %s: %s %s", r.RecordID, r.Outcome, r.Reason)
		}
	}
	return tickets
}

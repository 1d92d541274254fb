package servertest

import (
	"context"
	"encoding/json"
	"testing"

	"onex/exam"
	"onex/server"
	osync "onex/sync"
)

// The sample candidate a certificate is issued to by Certified.
const (
	HolderTicket = "2026WEB010001"
	HolderName   = "毛娜"
	HolderID     = "310104200410159779"
)

// objectiveSections is how many sections of the sample paper are marked by
// the paper's key alone.
const objectiveSections = 4

// ObjectivePaper imports the sample paper without its essay and practical
// sections, so that a submission is scored and complete at once.
func ObjectivePaper() Option {
	return WithPaper(func(b []byte) []byte {
		var paper map[string]json.RawMessage
		var sections []json.RawMessage
		if json.Unmarshal(b, &paper) != nil || json.Unmarshal(paper["sections"], &sections) != nil {
			panic("servertest: the sample paper is not the JSON it was")
		}
		paper["sections"], _ = json.Marshal(sections[:objectiveSections])
		out, _ := json.Marshal(paper)
		return out
	})
}

// AllRight answers every item of the objective paper rightly.
func AllRight() map[string]exam.Answer {
	one := func(c ...string) exam.Answer { return exam.Answer{Choices: c} }
	return map[string]exam.Answer{"q1": one("b"), "q2": one("c"), "q3": one("c"), "q4": one("a", "b", "d"), "q5": one("a", "b", "d"),
		"q6": one("true"), "q7": one("false"), "q8": {Text: "auto"}, "q9": {Text: "404"}}
}

// Certified is a central on the objective paper where HolderTicket sat the
// session, passed, had the result approved and a certificate issued; it
// returns the certificate.
func Certified(t testing.TB, opts ...Option) (*Central, server.Certificate) {
	t.Helper()
	c := New(t, append([]Option{ObjectivePaper()}, opts...)...)
	d := c.Enrol(t, "SITE-001")
	c.Release()
	in := d.Seal(osync.KindCheckIn, osync.CheckIn{SessionID: c.Session.ID, Ticket: HolderTicket, Status: exam.Present})
	sub := d.Seal(osync.KindSubmission, Submission(c.Session, HolderTicket, AllRight()))
	if code, resp := d.Push(in.Bytes, sub.Bytes); code != 200 || resp.Results[1].Outcome != osync.Accepted {
		t.Fatalf("push: %d %+v", code, resp)
	}
	ctx := context.Background()
	if _, err := c.Approve(ctx, c.Session.ID, "office ann"); err != nil {
		t.Fatal(err)
	}
	rep, err := c.Certify(ctx, c.Session.ID, "office ann")
	if err != nil || len(rep.Issued) != 1 {
		t.Fatalf("certify: %v, %+v", err, rep)
	}
	return c, rep.Issued[0]
}

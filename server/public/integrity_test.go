package public_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"onex/exam"
	"onex/exam/seal"
	"onex/server/servertest"
	osync "onex/sync"
)

// TestReceiptOfADisputedSubmission: while the office has not decided
// between two submissions for one candidate, the receipt page says of
// either code that it is under review, not plainly "received"; once the
// office decides, the code of the submission it kept says received and the
// other's that it was set aside.
func TestReceiptOfADisputedSubmission(t *testing.T) {
	c := servertest.New(t)
	c.Release()
	s, ticket := c.Session, "2026WEB010001"
	d1, d2 := c.Enrol(t, "SITE-001"), c.Enrol(t, "SITE-001")
	genuine := d1.Seal(osync.KindSubmission, servertest.Submission(s, ticket, map[string]exam.Answer{"q9": {Text: "404"}}))
	other := d2.SealAt(osync.KindSubmission, servertest.Submission(s, ticket, map[string]exam.Answer{"q9": {Text: "405"}}), time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC))
	d1.Push(genuine.Bytes)
	d2.Push(other.Bytes)
	check := func(env *seal.Envelope, id, word string) {
		t.Helper()
		q := "/receipt?ticket=" + ticket + "&code=" + url.QueryEscape(seal.ReceiptCode(env.Hash))
		status, body := get(t, c, q)
		o := c.Office(t)
		o.Get(q)
		if status != 200 || !strings.Contains(o.Raw, `id="`+id+`"`) || !strings.Contains(body, word) {
			t.Errorf("code of record %s: %d, want %s saying %q\n%s", env.Header.RecordID, status, id, word, body)
		}
		if id != "receipt-found" && strings.Contains(body, "已送达：") {
			t.Errorf("code of record %s: still plainly received", env.Header.RecordID)
		}
	}
	check(genuine, "receipt-review", "审核")
	check(other, "receipt-review", "审核")

	disputes, err := c.Disputes(context.Background())
	if err != nil || len(disputes) != 1 {
		t.Fatalf("disputes: %v, %v", disputes, err)
	}
	if err := c.Decide(context.Background(), disputes[0].ID, false, "考生出示的回执码与第一份一致", "test"); err != nil {
		t.Fatal(err)
	}
	check(genuine, "receipt-found", "已送达")
	check(other, "receipt-set-aside", "不计")
}

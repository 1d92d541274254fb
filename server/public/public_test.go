package public_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"onex/exam"
	"onex/exam/seal"
	"onex/server/servertest"
	osync "onex/sync"
)

// get fetches a public page without any cookie: its status and text.
func get(t *testing.T, c *servertest.Central, path string) (int, string) {
	t.Helper()
	return c.Office(t).Get(path)
}

// TestReceiptCheck looks up the receipt code of a submission central holds,
// typed as a candidate may type it, and codes it does not hold.
func TestReceiptCheck(t *testing.T) {
	c := servertest.New(t)
	d := c.Enrol(t, "SITE-001")
	sub := d.Seal(osync.KindSubmission, servertest.Submission(c.Session, "2026WEB010001", map[string]exam.Answer{"q9": {Text: "404"}}))
	snap := d.Seal(osync.KindAnswer, osync.AnswerSnapshot{SessionID: c.Session.ID, Ticket: "2026WEB010001", ItemID: "q9", Answer: exam.Answer{Text: "40"}})
	if code, resp := d.Push(sub.Bytes, snap.Bytes); code != 200 || resp.Results[0].Outcome != osync.Accepted || resp.Results[1].Outcome != osync.Accepted {
		t.Fatalf("push: %d %+v", code, resp)
	}
	code := seal.ReceiptCode(sub.Hash)
	typed := strings.ToLower(strings.ReplaceAll(code, "-", " "))
	status, body := get(t, c, "/receipt?code="+url.QueryEscape(typed))
	when := c.Clock.Now().In(servertest.Start.Location()).Format("2006-01-02 15:04")
	if status != 200 || !strings.Contains(body, "已送达") || !strings.Contains(body, c.Session.ID) || !strings.Contains(body, when) {
		t.Errorf("the submission's code: %d\n%s", status, body)
	}
	if strings.Contains(body, "2026WEB010001") || strings.Contains(body, "毛娜") || strings.Contains(body, "404") {
		t.Error("the receipt page shows the ticket, the name or the answer")
	}
	altered := d.Seal(osync.KindSubmission, servertest.Submission(c.Session, "2026WEB010001", map[string]exam.Answer{"q9": {Text: "405"}}))
	var other seal.Hash
	copy(other[:], sub.Hash[:])
	other[9] ^= 1
	for name, code := range map[string]string{
		"an answer snapshot's code": seal.ReceiptCode(snap.Hash),
		"a code central never saw":  seal.ReceiptCode(other),
		"an altered submission's":   seal.ReceiptCode(altered.Hash),
	} {
		if status, body := get(t, c, "/receipt?code="+url.QueryEscape(code)); status != http.StatusNotFound || !strings.Contains(body, "尚未收到") {
			t.Errorf("%s: %d", name, status)
		}
	}
	if status, body := get(t, c, "/receipt?code="+url.QueryEscape(code[:18])); status != http.StatusBadRequest || !strings.Contains(body, "15 characters, want 16") {
		t.Errorf("a code one character short: %d", status)
	}
	if status, body := get(t, c, "/receipt"); status != 200 || !strings.Contains(body, `id="receipt-code"`) || strings.Contains(body, "尚未收到") {
		t.Errorf("the empty form: %d", status)
	}
	for _, odd := range []string{"<script>alert(1)</script>", "'; DROP TABLE records; --", "\x00\xff", strings.Repeat("長", 5000), "%2e%2e/"} {
		o := c.Office(t)
		if status, _ := o.Get("/receipt?code=" + url.QueryEscape(odd)); status >= 500 || strings.Contains(o.Raw, "<script>") {
			t.Errorf("code %.20q: %d", odd, status)
		}
	}
}

// TestReceiptCheckInChromium types a receipt code into the page in a real
// headless Chromium, as a candidate would, and reads the answer.
func TestReceiptCheckInChromium(t *testing.T) {
	c := servertest.New(t)
	d := c.Enrol(t, "SITE-001")
	sub := d.Seal(osync.KindSubmission, servertest.Submission(c.Session, "2026WEB010001", nil))
	if code, _ := d.Push(sub.Bytes); code != 200 {
		t.Fatalf("push: %d", code)
	}
	ctx := servertest.Chromium(t)
	err := chromedp.Do(ctx,
		chromedp.Navigate(c.URL+"/receipt"),
		chromedp.WaitVisible(chromedp.ID("receipt-code")),
		chromedp.SendKeys(chromedp.ID("receipt-code"), strings.ToLower(seal.ReceiptCode(sub.Hash))),
		chromedp.Click(chromedp.ID("receipt-submit")),
		chromedp.WaitVisible(chromedp.ID("receipt-found")),
	)
	if err != nil {
		t.Fatal(err)
	}
	if found, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("receipt-found"))); err != nil || !strings.Contains(found, c.Session.ID) {
		t.Errorf("the page says %q, %v", found, err)
	}
}

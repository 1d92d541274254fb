package public_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

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
	status, body := get(t, c, "/receipt?ticket=+2026web010001+&code="+url.QueryEscape(typed))
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
		if status, body := get(t, c, "/receipt?ticket=2026WEB010001&code="+url.QueryEscape(code)); status != http.StatusNotFound || !strings.Contains(body, "尚未收到") {
			t.Errorf("%s: %d", name, status)
		}
	}
	if status, body := get(t, c, "/receipt?ticket=2026WEB010002&code="+url.QueryEscape(code)); status != http.StatusNotFound || !strings.Contains(body, "尚未收到") || strings.Contains(body, c.Session.ID) {
		t.Errorf("the code with another candidate's ticket: %d", status)
	}
	if status, body := get(t, c, "/receipt?code="+url.QueryEscape(code)); status != http.StatusBadRequest || !strings.Contains(body, "请同时输入准考证号") || strings.Contains(body, c.Session.ID) {
		t.Errorf("the code without a ticket: %d", status)
	}
	if status, body := get(t, c, "/receipt?ticket=2026WEB010001&code="+url.QueryEscape(code[:18])); status != http.StatusBadRequest || !strings.Contains(body, "15 characters, want 16") {
		t.Errorf("a code one character short: %d", status)
	}
	if status, body := get(t, c, "/receipt"); status != 200 || !strings.Contains(body, `id="receipt-code"`) || strings.Contains(body, "尚未收到") {
		t.Errorf("the empty form: %d", status)
	}
	for _, odd := range []string{"<script>alert(1)</script>", "'; DROP TABLE records; --", "\x00\xff", strings.Repeat("長", 5000), "%2e%2e/"} {
		o := c.Office(t)
		if status, _ := o.Get("/receipt?ticket=" + url.QueryEscape(odd) + "&code=" + url.QueryEscape(odd)); status >= 500 || strings.Contains(o.Raw, "<script>") {
			t.Errorf("code %.20q: %d", odd, status)
		}
	}
}

// submitted has a device of the sample site send candidate 2026WEB010001's
// submission to central, and returns it.
func submitted(t *testing.T, c *servertest.Central) *seal.Envelope {
	t.Helper()
	d := c.Enrol(t, "SITE-001")
	sub := d.Seal(osync.KindSubmission, servertest.Submission(c.Session, "2026WEB010001", nil))
	if code, _ := d.Push(sub.Bytes); code != 200 {
		t.Fatalf("push: %d", code)
	}
	return sub
}

// TestReceiptCheckInChromium types a receipt code into the page in a real
// headless Chromium, as a candidate would, and reads the answer.
func TestReceiptCheckInChromium(t *testing.T) {
	c := servertest.New(t)
	sub := submitted(t, c)
	ctx := servertest.Chromium(t)
	err := chromedp.Do(ctx,
		chromedp.Navigate(c.URL+"/receipt"),
		chromedp.WaitVisible(chromedp.ID("receipt-code")),
		chromedp.SendKeys(chromedp.ID("receipt-ticket"), "2026WEB010001"),
		chromedp.SendKeys(chromedp.ID("receipt-code"), strings.ToLower(seal.ReceiptCode(sub.Hash))),
		chromedp.Click(chromedp.ID("receipt-submit")),
		chromedp.WaitVisible(chromedp.ID("receipt-found")),
	)
	if err != nil {
		t.Fatal(err)
	}
	when := c.Clock.Now().In(servertest.Start.Location()).Format("2006-01-02 15:04")
	if found, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("receipt-found"))); err != nil || !strings.Contains(found, c.Session.ID) || !strings.Contains(found, when) {
		t.Errorf("the page says %q, %v; want the session and %s", found, err, when)
	}
}

// TestReceiptCheckIsThrottled: an address whose receipt checks keep finding
// nothing waits before its next check, and is locked out after 60 (the
// lock audited); the right ticket and code are refused too while it waits;
// another address is not slowed. Issue 12 point 14: /receipt had no limit
// at all, and a code without the ticket was answered.
func TestReceiptCheckIsThrottled(t *testing.T) {
	c := servertest.New(t)
	sub := submitted(t, c)
	right := "/receipt?ticket=2026WEB010001&code=" + url.QueryEscape(seal.ReceiptCode(sub.Hash))
	from := func(addr, path string) (int, string, http.Header) {
		req := httptest.NewRequest("GET", path, nil)
		req.RemoteAddr = addr + ":40000"
		w := httptest.NewRecorder()
		c.Handler.ServeHTTP(w, req)
		return w.Code, w.Body.String(), w.Header()
	}
	var other seal.Hash
	for i := range 20 { // free: a room of candidates mistyping behind one NAT
		other[0] = byte(i)
		if status, _, _ := from("10.0.0.7", "/receipt?ticket=2026WEB010001&code="+seal.ReceiptCode(other)); status != http.StatusNotFound {
			t.Fatalf("miss %d: %d", i+1, status)
		}
	}
	status, body, h := from("10.0.0.7", right)
	if status != http.StatusTooManyRequests || h.Get("Retry-After") != "1" || !strings.Contains(body, `id="receipt-wait"`) || strings.Contains(body, c.Session.ID) {
		t.Errorf("after 20 misses, the right code at once: %d Retry-After %q", status, h.Get("Retry-After"))
	}
	if status, body, _ := from("10.0.0.8", right); status != 200 || !strings.Contains(body, c.Session.ID) {
		t.Errorf("another address: %d", status)
	}
	for i := 20; i < 60; i++ {
		c.Clock.Add(time.Minute)
		other[1] = byte(i)
		if status, _, _ := from("10.0.0.7", "/receipt?ticket=2026WEB010001&code="+seal.ReceiptCode(other)); status != http.StatusNotFound {
			t.Fatalf("miss %d a minute after the last: %d", i+1, status)
		}
	}
	c.Clock.Add(14 * time.Minute)
	if status, _, h := from("10.0.0.7", right); status != http.StatusTooManyRequests || h.Get("Retry-After") != "60" {
		t.Errorf("locked after 60 misses, 14 minutes on: %d Retry-After %q", status, h.Get("Retry-After"))
	}
	log, err := c.AuditLog(context.Background())
	if err != nil || !strings.Contains(log.Entries[len(log.Entries)-1].Detail, "receipt checks from address 10.0.0.7 locked") {
		t.Errorf("the lock is not audited: %v", err)
	}
	c.Clock.Add(2 * time.Minute)
	if status, _, _ := from("10.0.0.7", right); status != 200 {
		t.Errorf("after the lock: %d", status)
	}
}

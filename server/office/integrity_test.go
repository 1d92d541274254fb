package office_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"onex/exam"
	"onex/exam/seal"
	"onex/server/servertest"
	"onex/server/store/pgtest"
	osync "onex/sync"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// disputeID finds the number of the first open conflict on the conflicts page.
var disputeID = regexp.MustCompile(`name="dispute" value="(\d+)"`)

// TestOfficeDecidesASubmissionConflict: a second device of the site sends a
// submission dated 2100 for a candidate central holds one of. The results
// page warns while the conflict is open; the conflicts page shows both
// records, with their receipt codes and the forged date flagged; staff
// decide, giving a reason; the results follow the decision, and the audit
// log has who decided what and why.
func TestOfficeDecidesASubmissionConflict(t *testing.T) {
	for _, engine := range pgtest.Engines {
		t.Run(engine, func(t *testing.T) {
			c := servertest.New(t, servertest.WithDB(pgtest.DSN(t, engine)))
			c.Release()
			s, ticket := c.Session, "2026WEB010001"
			d1, d2 := c.Enrol(t, "SITE-001"), c.Enrol(t, "SITE-001")
			genuine := d1.Seal(osync.KindSubmission, servertest.Submission(s, ticket, map[string]exam.Answer{"q1": {Choices: []string{"b"}}}))
			d1.Push(genuine.Bytes)
			other := d2.SealAt(osync.KindSubmission, servertest.Submission(s, ticket, map[string]exam.Answer{"q1": {Choices: []string{"b"}}, "q9": {Text: "404"}}),
				time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC))
			if _, resp := d2.Push(other.Bytes); resp.Results[0].Outcome != osync.Conflict {
				t.Fatalf("the second device's submission: %+v", resp.Results[0])
			}

			staff := c.SignedIn(t, "staff")
			resultsPath := "/office/sessions/" + url.PathEscape(s.ID) + "/results"
			body := staff.Page(resultsPath)
			for _, want := range []string{"冲突待裁决", `href="/office/conflicts"`, "2 / 96"} {
				if !strings.Contains(staff.Raw, want) && !strings.Contains(body, want) {
					t.Errorf("results page while the conflict is open: want %q", want)
				}
			}
			body = staff.Page("/office/conflicts")
			for _, want := range []string{ticket, seal.ReceiptCode(genuine.Hash), seal.ReceiptCode(other.Hash), d1.ID, d2.ID, "时间存疑"} {
				if !strings.Contains(body, want) {
					t.Errorf("conflicts page: want %q", want)
				}
			}
			m := disputeID.FindStringSubmatch(staff.Raw)
			if m == nil {
				t.Fatal("the conflicts page has no decision form")
			}
			id := m[1]

			inspector := c.SignedIn(t, "inspector")
			if inspector.Page("/office/conflicts"); strings.Contains(inspector.Raw, `name="why"`) {
				t.Error("an inspector is offered the decision form")
			}
			if code, _, _ := inspector.Post("/office/conflicts", url.Values{"dispute": {id}, "keep": {"other"}, "why": {"x"}}); code != http.StatusForbidden {
				t.Errorf("an inspector decides: %d", code)
			}
			for name, tc := range map[string]struct {
				form url.Values
				want string
			}{
				"no reason":    {url.Values{"dispute": {id}, "keep": {"other"}, "why": {"  "}}, "裁决理由"},
				"no choice":    {url.Values{"dispute": {id}, "why": {"x"}}, "保留"},
				"no such":      {url.Values{"dispute": {"999999"}, "keep": {"held"}, "why": {"x"}}, "999999"},
				"not a number": {url.Values{"dispute": {"x'; DROP"}, "keep": {"held"}, "why": {"x"}}, "x'; DROP"},
			} {
				code, body, _ := staff.Post("/office/conflicts", tc.form)
				if code != http.StatusBadRequest && code != http.StatusNotFound || !strings.Contains(body, tc.want) {
					t.Errorf("%s: %d, want %q", name, code, tc.want)
				}
			}
			if r := c.Results(t)[0]; r.Total != 2 {
				t.Fatalf("refused decisions changed the results: %v", r.Total)
			}

			why := "考点书面说明：主机故障，考生在备用机上重新作答并交卷"
			code, _, h := staff.Post("/office/conflicts", url.Values{"dispute": {id}, "keep": {"other"}, "why": {why}})
			if code != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/office/conflicts") {
				t.Fatalf("decide: %d to %q", code, h.Get("Location"))
			}
			if r := c.Results(t)[0]; r.Total != 6 {
				t.Errorf("after taking the other submission: %v points, want 6", r.Total)
			}
			if body := staff.Page(resultsPath); strings.Contains(body, "冲突待裁决") || !strings.Contains(body, "6 / 96") {
				t.Error("the results page does not follow the decision")
			}
			if audit := auditText(t, c); !strings.Contains(audit, "office staff|decide conflict|") || !strings.Contains(audit, why) ||
				!strings.Contains(audit, other.Header.RecordID.String()) {
				t.Errorf("audit log:\n%s", audit)
			}
			if code, body, _ := staff.Post("/office/conflicts", url.Values{"dispute": {id}, "keep": {"held"}, "why": {"改主意"}}); code != http.StatusBadRequest || !strings.Contains(body, "已裁决") {
				t.Errorf("deciding again: %d", code)
			}
		})
	}
}

// TestOfficeResultsFlagImplausibleTimes: a submission its device dates three
// hours before the paper's release is scored, and flagged on the results
// page with central's own time of receipt.
func TestOfficeResultsFlagImplausibleTimes(t *testing.T) {
	c := servertest.New(t)
	s := c.Session
	d := c.Enrol(t, "SITE-001")
	early := d.SealAt(osync.KindSubmission, servertest.Submission(s, "2026WEB010003", map[string]exam.Answer{"q1": {Choices: []string{"b"}}}), s.ReleaseAt.Add(-3*time.Hour))
	if _, resp := d.Push(early.Bytes); resp.Results[0].Outcome != osync.Accepted {
		t.Fatalf("push: %+v", resp.Results[0])
	}
	o := c.SignedIn(t, "inspector")
	body := o.Page("/office/sessions/" + url.PathEscape(s.ID) + "/results")
	received := c.Clock.Now().In(servertest.Start.Location()).Format("2006-01-02 15:04")
	for _, want := range []string{"时间存疑", "2026-12-01 05:50", received} {
		if !strings.Contains(body, want) {
			t.Errorf("results page: want %q", want)
		}
	}
	if _, body := o.Get("/office/sessions/" + url.PathEscape(s.ID) + "/results?lang=en"); !strings.Contains(body, "before the paper's release") {
		t.Error("the English results page does not say the time is early")
	}
}

// TestOfficeDecidesInChromium decides a conflict on the conflicts page in a
// real headless Chromium: the form asks for a choice and a reason, and the
// page then shows the decision.
func TestOfficeDecidesInChromium(t *testing.T) {
	c := servertest.New(t)
	c.Release()
	s, ticket := c.Session, "2026WEB010001"
	d1, d2 := c.Enrol(t, "SITE-001"), c.Enrol(t, "SITE-001")
	d1.Push(d1.Seal(osync.KindSubmission, servertest.Submission(s, ticket, map[string]exam.Answer{"q1": {Choices: []string{"b"}}})).Bytes)
	d2.Push(d2.SealAt(osync.KindSubmission, servertest.Submission(s, ticket, nil), time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)).Bytes)
	ctx := servertest.Chromium(t)
	err := chromedp.Do(ctx, append(signInAt(c, "/office/conflicts", "decide-1"),
		chromedp.Click(chromedp.CSS(`#dispute-1 input[name="keep"][value="held"]`)),
		chromedp.SendKeys(chromedp.CSS(`#dispute-1 textarea[name="why"]`), "考生出示的回执码与原记录一致"),
		chromedp.Click(chromedp.ID("decide-1")),
		chromedp.WaitVisible(chromedp.ID("notice")),
	)...)
	if err != nil {
		t.Fatal(err)
	}
	section, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("dispute-1")))
	if err != nil || !strings.Contains(section, "已裁决: 保留原记录 · office admin") || !strings.Contains(section, "考生出示的回执码与原记录一致") {
		t.Errorf("the decided conflict shows %q (%v)", section, err)
	}
	if r := c.Results(t)[0]; r.Total != 2 || len(r.Open) != 0 {
		t.Errorf("results after keeping the record held: %+v", r)
	}
}

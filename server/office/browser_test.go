package office_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"onex/exam"
	"onex/server/servertest"
	osync "onex/sync"
)

// browserSteps gives a browser test two helpers on ctx: do runs actions
// and fails the test naming the step; text reads the text of the element a
// CSS selector finds.
func browserSteps(t *testing.T, ctx context.Context) (do func(step string, actions ...chromedp.Action[chromedp.Void]), text func(sel string) string) {
	do = func(step string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatalf("%s: %v", step, err)
		}
	}
	text = func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return s
	}
	return do, text
}

// signInAt goes to a page in Chromium, signs in there as admin and waits
// for the element of the page that has id ready.
func signInAt(c *servertest.Central, path, ready string) []chromedp.Action[chromedp.Void] {
	return []chromedp.Action[chromedp.Void]{
		chromedp.Navigate(c.URL + path),
		chromedp.WaitVisible(chromedp.ID("signin-user")),
		chromedp.SendKeys(chromedp.ID("signin-user"), "admin"),
		chromedp.SendKeys(chromedp.ID("signin-password"), servertest.AdminPassword),
		chromedp.Click(chromedp.ID("signin-submit")),
		chromedp.WaitVisible(chromedp.ID(ready)),
	}
}

// TestOfficeInChromium drives the office pages in a real headless Chromium:
// sign in, schedule a session, upload a roster with errors and see the rows
// named, upload a good one, and view results.
func TestOfficeInChromium(t *testing.T) {
	began := time.Now()
	c := servertest.New(t)
	d := c.Enrol(t, "SITE-001")
	answers := map[string]exam.Answer{"q1": {Choices: []string{"b"}}, "q4": {Choices: []string{"a", "b"}}, "q9": {Text: "404"}}
	if code, _ := d.Push(d.Seal(osync.KindSubmission, servertest.Submission(c.Session, "2026WEB010001", answers)).Bytes); code != 200 {
		t.Fatalf("push a submission: %d", code)
	}
	bad, _ := filepath.Abs(filepath.Join("..", "testdata", "roster-bad.csv"))
	good, _ := filepath.Abs(filepath.Join("..", "testdata", "roster-gb18030.csv"))
	launch := time.Now()
	ctx := servertest.Chromium(t)
	started := time.Since(launch)

	do := func(step string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatalf("%s: %v", step, err)
		}
	}
	text := func(id string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID(id)))
		if err != nil {
			t.Fatalf("text of #%s: %v", id, err)
		}
		return s
	}

	do("sign in", signInAt(c, "/office/sessions", "schedule-submit")...)
	if location, err := chromedp.Run(ctx, chromedp.Location()); err != nil || location != c.URL+"/office/sessions" {
		t.Errorf("after sign-in the browser is at %s (%v), want the sessions page it asked for", location, err)
	}
	if u := text("user"); u != "admin · 管理员" {
		t.Errorf("signed in as %q", u)
	}

	do("schedule a session of the sample paper two days later",
		chromedp.SetValue(chromedp.ID("schedule-site"), "SITE-001"),
		chromedp.SendKeys(chromedp.ID("schedule-room"), "A102"),
		chromedp.SetValue(chromedp.ID("schedule-paper"), "WEB-E-2026-A@1"),
		chromedp.SetValue(chromedp.ID("schedule-start"), "2026-12-03T09:00"),
		chromedp.Click(chromedp.ID("schedule-submit")),
		chromedp.WaitVisible(chromedp.ID("problems")),
	)
	if problems := text("problems"); !strings.Contains(problems, "同一版本试卷的各场考核须同时发卷") || !strings.Contains(problems, "2026-12-01 08:50") {
		t.Errorf("a session of the paper with another release time: %q", problems)
	}
	do("schedule it at the paper's time",
		chromedp.SetValue(chromedp.ID("schedule-start"), "2026-12-01T09:00"),
		chromedp.Click(chromedp.ID("schedule-submit")),
		chromedp.WaitVisible(chromedp.ID("notice")),
	)
	if id := text("session-id"); id != "SITE-001-A102-202612010900" {
		t.Errorf("scheduled session %q", id)
	}

	do("upload a bad roster",
		chromedp.SetUploadFiles(chromedp.ID("roster-file"), []string{bad}),
		chromedp.Click(chromedp.ID("roster-submit")),
		chromedp.WaitVisible(chromedp.ID("problems")),
	)
	problems := text("problems")
	for _, want := range []string{"line 2: 姓名: is empty", "line 3: 证件号码", "line 4: 考生类别"} {
		if !strings.Contains(problems, want) {
			t.Errorf("the refused roster's page does not name %q:\n%s", want, problems)
		}
	}
	if n := text("roster-count"); n != "0" {
		t.Errorf("a refused roster left %s candidates", n)
	}

	do("upload a good roster (GB18030)",
		chromedp.SetUploadFiles(chromedp.ID("roster-file"), []string{good}),
		chromedp.Click(chromedp.ID("roster-submit")),
		chromedp.WaitVisible(chromedp.ID("notice")),
	)
	if n := text("roster-count"); n != "40" {
		t.Errorf("roster has %s candidates, want 40", n)
	}
	if roster := text("roster"); !strings.Contains(roster, "欧阳子轩") {
		t.Error("the GB18030 roster's names are not shown in Chinese")
	}

	do("results of the new session",
		chromedp.Click(chromedp.ID("results-link")),
		chromedp.WaitVisible(chromedp.ID("results")),
	)
	if rows, err := chromedp.Run(ctx, chromedp.Nodes(chromedp.CSSAll("#results tr"))); err != nil || len(rows) != 41 {
		t.Errorf("%d rows in the results table (%v), want a header and 40", len(rows), err)
	}

	do("results with a submission",
		chromedp.Navigate(c.URL+"/office/sessions/"+c.Session.ID+"/results"),
		chromedp.WaitVisible(chromedp.ID("results")),
	)
	first, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#results tr:nth-child(2)")))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"2026WEB010001", "毛娜", "8 / 96", "待评分", "q10"} {
		if !strings.Contains(first, want) {
			t.Errorf("first result %q lacks %q", first, want)
		}
	}
	if csv, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.ID("csv"), "href")); err != nil || !strings.HasSuffix(csv.Value, "/results.csv") {
		t.Errorf("CSV link %q: %v", csv.Value, err)
	}
	t.Logf("Chromium started in %s; whole test %s", started.Round(time.Millisecond), time.Since(began).Round(time.Millisecond))
}

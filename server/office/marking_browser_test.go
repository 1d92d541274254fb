package office_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"onex/server"
	"onex/server/servertest"
)

// markingBrowser is one person at the marking pages in their own headless
// Chromium, with the keyboard only once signed in.
type markingBrowser struct {
	t       *testing.T
	c       *servertest.Central
	ctx     context.Context
	who     string
	narrow  bool     // 400 px wide: no page may scroll sideways
	pages   []string // the HTML of every page the browser got, as it got it
	scripts map[string]string
}

func newMarkingBrowser(t *testing.T, c *servertest.Central, who, role string, narrow bool, scripts map[string]string) *markingBrowser {
	t.Helper()
	if err := c.PutUser(context.Background(), who, "pw of "+who, role, "test"); err != nil {
		t.Fatal(err)
	}
	b := &markingBrowser{t: t, c: c, ctx: servertest.Chromium(t), who: who, narrow: narrow, scripts: scripts}
	var steps []chromedp.Action[chromedp.Void]
	if narrow {
		steps = append(steps, chromedp.EmulateViewport(400, 860))
	}
	steps = append(steps, chromedp.Navigate(c.URL+"/office/mark"),
		chromedp.WaitVisible(chromedp.ID("signin-user")),
		chromedp.SendKeys(chromedp.ID("signin-user"), who),
		chromedp.SendKeys(chromedp.ID("signin-password"), "pw of "+who),
		chromedp.Click(chromedp.ID("signin-submit")))
	if err := chromedp.Do(b.ctx, steps...); err != nil {
		t.Fatalf("%s signs in: %v", who, err)
	}
	return b
}

// until waits for a JavaScript condition on the page, across a navigation.
func (b *markingBrowser) until(what, cond string) {
	b.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		ok, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](cond))
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			loc, _ := chromedp.Run(b.ctx, chromedp.Location())
			b.t.Fatalf("%s: %s did not come (at %s): %v", b.who, what, loc, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// keep records the page as the browser got it and checks its width.
func (b *markingBrowser) keep() {
	b.t.Helper()
	html, err := chromedp.Run(b.ctx, chromedp.OuterHTML(chromedp.CSS("html")))
	if err != nil {
		b.t.Fatalf("%s: the page's HTML: %v", b.who, err)
	}
	b.pages = append(b.pages, html)
	if b.narrow {
		if wide, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > document.documentElement.clientWidth`)); err != nil || wide {
			b.t.Errorf("%s at 400 px: the page scrolls sideways (%v)", b.who, err)
		}
	}
}

func (b *markingBrowser) key(keys string) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, chromedp.KeyEvent(keys)); err != nil {
		b.t.Fatalf("%s presses %q: %v", b.who, keys, err)
	}
}

// shown waits for a task's page (one other than the last) or the page
// that says there is nothing, and returns the script shown ("" for none).
func (b *markingBrowser) shown(last string) string {
	b.t.Helper()
	b.until("the next task", fmt.Sprintf(`(s => (s && s.textContent != %q && document.activeElement.id == "c1") || !!document.getElementById("nothing"))(document.getElementById("script-id"))`, last))
	b.keep()
	s, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`(s => s ? s.textContent : "")(document.getElementById("script-id"))`))
	if err != nil {
		b.t.Fatal(err)
	}
	return s
}

// markAll marks what the queue hands out until it says there is nothing,
// with the keyboard only: the focus starts in the first criterion; each
// mark is typed, then Enter (the page comes back with the focus in the
// next criterion) or Tab; Enter on the last gives the marks and the next
// task loads. plan gives each script's marks by the candidate's ticket; a
// nil plan entry flags the script (Tab to the flag, Enter opens it, the
// arrow keys choose suspected misconduct, a note, Enter sends it).
func (b *markingBrowser) markAll(plan map[string][]string, withTab bool) int {
	b.t.Helper()
	n, last := 0, ""
	for {
		script := b.shown(last)
		if script == "" {
			return n
		}
		if dir := os.Getenv("ONEX_SCREENSHOTS"); dir != "" && b.narrow && n == 0 { // to look at: a task as a phone shows it
			if shot, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100)); err == nil {
				os.WriteFile(filepath.Join(dir, "office-marking-"+b.who+"-400px.png"), shot, 0o644)
			}
		}
		ticket := b.scripts[script]
		marks, ok := plan[ticket]
		if !ok {
			b.t.Fatalf("%s was handed script %s (%s), which the plan does not mark", b.who, script, ticket)
		}
		if marks == nil {
			b.flag()
		} else {
			for i, m := range marks {
				b.key(m)
				switch {
				case i == len(marks)-1:
					b.key(kb.Enter)
				case withTab && i%2 == 1:
					b.key(kb.Tab)
				default:
					b.key(kb.Enter)
					b.until("the next criterion", fmt.Sprintf(`document.activeElement.id == "c%d" && document.getElementById("c%d").value == %q`, i+2, i+1, m))
					b.keep()
				}
			}
		}
		n++
		last = script
	}
}

// flag flags the script shown as suspected misconduct, by keyboard.
func (b *markingBrowser) flag() {
	b.t.Helper()
	// The summary's access key (F) is not tried: key events sent through
	// the DevTools protocol do not trigger access keys in headless Chromium.
	for range 4 { // c2, c3, the marks' button, the flag's summary
		b.key(kb.Tab)
	}
	b.key(kb.Enter) // opens the flag
	b.until("the flag form", `document.getElementById("flag").open`)
	b.key(kb.Tab) // the problem
	b.until("the problem list", `document.activeElement.id == "flag-problem"`)
	for range 3 {
		b.key(kb.ArrowDown)
	}
	b.until("misconduct chosen", `document.getElementById("flag-problem").value == "misconduct"`)
	b.key(kb.Tab)
	b.key("copy of another")
	b.key(kb.Tab)
	b.key(kb.Enter)
}

// TestMarkingInChromium: two markers and a lead mark a session of four
// essays in real Chromium with the keyboard alone. Each essay is double
// marked with a tolerance of 2: the first agrees; the second differs and
// goes to a third marker (the lead, on the marker's page), who agrees with
// one; the third differs and the third mark agrees with neither, so the
// lead arbitrates; the fourth is flagged as suspected misconduct and the
// lead decides it. The final marks show on the results page for staff.
// No page a marker or the lead got holds a candidate's name, ticket or ID
// number, nor the session, site or room. Marker A and the lead work on a
// 400 px wide screen, where no marking page scrolls sideways.
func TestMarkingInChromium(t *testing.T) {
	began := time.Now()
	const n = 4
	c := essaySession(t, n)
	scripts := map[string]string{} // script id -> ticket, which only the test knows
	list, err := c.DB(t).Scripts(context.Background(), c.Session.ID)
	if err != nil || len(list) != n {
		t.Fatalf("scripts: %d, %v", len(list), err)
	}
	for _, s := range list {
		scripts[s.ID] = s.Ticket
	}
	a := newMarkingBrowser(t, c, "marker-a", server.RoleMarker, true, scripts)
	if got := a.markAll(map[string][]string{ticket(0): {"3", "2", "2"}, ticket(1): {"1", "1", "1"}, ticket(2): {"0", "0", "0"}, ticket(3): nil}, false); got != n {
		t.Errorf("marker A did %d scripts, want %d", got, n)
	}
	b := newMarkingBrowser(t, c, "marker-b", server.RoleMarker, false, scripts)
	if got := b.markAll(map[string][]string{ticket(0): {"3", "2", "1"}, ticket(1): {"4", "3", "3"}, ticket(2): {"4", "3", "3"}, ticket(3): {"2", "2", "2"}}, true); got != n {
		t.Errorf("marker B did %d scripts, want %d", got, n)
	}
	lead := newMarkingBrowser(t, c, "lead-l", server.RoleLead, true, scripts)
	if got := lead.markAll(map[string][]string{ticket(1): {"4", "3", "2"}, ticket(2): {"2", "1", "2"}}, false); got != 2 {
		t.Errorf("the lead did %d third marks, want 2", got)
	}

	// The lead's pages: the list, then each task with the marks so far.
	if err := chromedp.Do(lead.ctx, chromedp.Navigate(c.URL+"/office/lead"), chromedp.WaitVisible(chromedp.ID("lead-tasks"))); err != nil {
		t.Fatal(err)
	}
	lead.keep()
	if rows, err := chromedp.Run(lead.ctx, chromedp.Text(chromedp.ID("lead-tasks"))); err != nil || !strings.Contains(rows, "仲裁") || !strings.Contains(rows, "疑似违纪") {
		t.Errorf("the lead's list: %q, %v", rows, err)
	}
	lead.key(kb.Enter) // the focus is on "take the next one"
	decided := map[string]bool{}
	for last := ""; ; {
		script := lead.shown(last)
		if script == "" {
			break
		}
		given, err := chromedp.Run(lead.ctx, chromedp.Text(chromedp.ID("marks-so-far")))
		if err != nil {
			t.Fatal(err)
		}
		marks, note := []string{"2", "2", "2"}, "取中间"
		switch scripts[script] {
		case ticket(2):
			for _, w := range []string{"marker-a", "marker-b", "lead-l", "三评"} {
				if !strings.Contains(given, w) {
					t.Errorf("the arbitration's marks so far lack %q: %q", w, given)
				}
			}
		case ticket(3):
			marks, note = []string{"0", "0", "0"}, "确认雷同"
			if flagged, _ := chromedp.Run(lead.ctx, chromedp.Text(chromedp.CSS("p.flagged"))); !strings.Contains(flagged, "marker-a") || !strings.Contains(flagged, "copy of another") {
				t.Errorf("the problem's flag: %q", flagged)
			}
		default:
			t.Fatalf("the lead was handed script %s (%s)", script, scripts[script])
		}
		for i, m := range marks {
			lead.key(m)
			lead.key(kb.Tab)
			if i < len(marks)-1 {
				continue
			}
			lead.key(note) // the note follows the last criterion
			lead.key(kb.Tab)
			lead.key(kb.Enter) // on the button
		}
		decided[scripts[script]] = true
		last = script
	}
	if !decided[ticket(2)] || !decided[ticket(3)] {
		t.Errorf("the lead decided %v", decided)
	}

	for _, m := range []*markingBrowser{a, b, lead} {
		if len(m.pages) < 2 {
			t.Errorf("%s's pages were not kept", m.who)
		}
		for _, page := range m.pages {
			for _, s := range candidateSecrets(t, c, n) {
				if strings.Contains(page, s) {
					t.Errorf("a page %s got holds %q", m.who, s)
				}
			}
		}
	}

	// Staff see the final marks on the results page.
	staff := servertest.Chromium(t)
	if err := c.PutUser(context.Background(), "clerk", "pw of clerk", server.RoleStaff, "test"); err != nil {
		t.Fatal(err)
	}
	results := c.URL + "/office/sessions/" + c.Session.ID + "/results"
	err = chromedp.Do(staff, chromedp.Navigate(results), chromedp.WaitVisible(chromedp.ID("signin-user")),
		chromedp.SendKeys(chromedp.ID("signin-user"), "clerk"), chromedp.SendKeys(chromedp.ID("signin-password"), "pw of clerk"),
		chromedp.Click(chromedp.ID("signin-submit")), chromedp.WaitVisible(chromedp.ID("results")))
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{"6.5 / 96", "9.5 / 96", "6 / 96", "0 / 96"} {
		row, err := chromedp.Run(staff, chromedp.Text(chromedp.CSS(fmt.Sprintf("#results tr:nth-child(%d)", i+2))))
		if err != nil || !strings.Contains(row, ticket(i)) || !strings.Contains(row, want) || strings.Contains(row, "q10") {
			t.Errorf("result of %s: %q, want %s with q10 marked (%v)", ticket(i), row, want, err)
		}
	}
	t.Logf("%d pages kept (A %d, B %d, lead %d); whole test %s", len(a.pages)+len(b.pages)+len(lead.pages), len(a.pages), len(b.pages), len(lead.pages), time.Since(began).Round(time.Millisecond))
}

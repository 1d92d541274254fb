package office_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"onex/exam"
	"onex/server"
	"onex/server/servertest"
	osync "onex/sync"
)

// TestOfficeApprovalAndAppeals: only staff (and admin) approve, publish and
// manage appeals; a marker or an inspector is refused, and sees no button;
// the results page and its CSV show each result's state and why it is not
// ready; an appeal recorded on the page is re-scored blind by a moderator
// (no ticket, name, site or mark appealed in the page's HTML) and closed,
// changing the result; all audited with the user.
// Tickets of the sample roster.
const t1, t3 = "2026WEB010001", "2026WEB010003"

// satSession is the sample session after the room: t1 submitted (q1
// right) with its practical item scored at the site, t3 absent.
func satSession(t *testing.T) *servertest.Central {
	c := servertest.New(t)
	id := c.Session.ID
	d := c.Enrol(t, "SITE-001")
	c.Release()
	d.Push(d.Seal(osync.KindCheckIn, osync.CheckIn{SessionID: id, Ticket: t1, Status: exam.Present}).Bytes,
		d.Seal(osync.KindCheckIn, osync.CheckIn{SessionID: id, Ticket: t3, Status: exam.Absent}).Bytes,
		d.Seal(osync.KindSubmission, servertest.Submission(c.Session, t1, map[string]exam.Answer{"q1": {Choices: []string{"b"}}})).Bytes,
		d.Seal(osync.KindPractical, osync.PracticalScore{SessionID: id, Ticket: t1, ItemID: "q11", Marks: []float64{10, 12, 10, 8}, Examiner: "王老师"}).Bytes)
	return c
}

func TestOfficeApprovalAndAppeals(t *testing.T) {
	c := satSession(t)
	id := c.Session.ID

	inspector, marker := c.SignedIn(t, server.RoleInspector), c.SignedIn(t, server.RoleMarker)
	lead := c.SignedIn(t, server.RoleLead)
	for _, o := range []*servertest.Office{inspector, marker, lead} {
		o.Page("/office/")
		for _, path := range []string{"/office/sessions/" + id + "/approve", "/office/sessions/" + id + "/publish", "/office/appeals", "/office/appeals/1/close"} {
			if code, _, _ := o.Post(path, url.Values{}); code != http.StatusForbidden {
				t.Errorf("POST %s: %d, want 403", path, code)
			}
		}
		if code, _ := o.Get("/office/appeals"); code != http.StatusForbidden {
			t.Errorf("GET /office/appeals: %d, want 403", code)
		}
	}
	if body := inspector.Page("/office/sessions/" + id); strings.Contains(body, `id="approve"`) || strings.Contains(body, `id="publish"`) {
		t.Error("the inspector is offered approval")
	}
	if code, _ := inspector.Get("/office/appeals/rescore"); code != http.StatusForbidden {
		t.Errorf("an inspector reaches the appeals' re-scores: %d", code)
	}

	staff := c.SignedIn(t, server.RoleStaff)
	if body := staff.Page("/office/sessions/" + id); !strings.Contains(body, `id="approve"`) || !strings.Contains(body, `id="publish"`) || !strings.Contains(body, `id="appeals-link"`) {
		t.Fatal("staff are not offered approval")
	}
	code, _, h := staff.Post("/office/sessions/"+id+"/approve", url.Values{})
	if code != http.StatusSeeOther || !strings.HasSuffix(h.Get("Location"), "/results?msg=done.approved") {
		t.Fatalf("approve: %d %v", code, h)
	}
	body := staff.Page("/office/sessions/" + id + "/results?msg=done.approved")
	if !strings.Contains(body, "已审定所有就绪的成绩") || !strings.Contains(body, "<th>成绩状态</th>") ||
		!strings.Contains(body, `class="state-approved">已审定`) || !strings.Contains(body, "有题目待评分；实操评分未抽查") {
		t.Errorf("results page after approval:\n%s", body)
	}
	if code, _, _ := staff.Post("/office/sessions/"+id+"/publish", url.Values{}); code != http.StatusSeeOther {
		t.Errorf("publish: %d", code)
	}
	if _, csv := staff.Get("/office/sessions/" + id + "/results.csv"); !strings.Contains(csv, ",缺考,已发布,") {
		t.Errorf("CSV:\n%s", csv)
	}
	if body := staff.Page("/office/sessions/" + id + "/results?lang=en"); !strings.Contains(body, "published") || !strings.Contains(body, "items await marks; practical scores not moderated") {
		t.Error("the results page in English lacks the states")
	}
	staff.Page("/office/?lang=zh")

	// Appeals: a form at fault names every field; a good one is recorded.
	staff.Page("/office/appeals")
	code, body, _ = staff.Post("/office/appeals", url.Values{"session": {id}, "ticket": {t1}, "items": {"q11"}, "received": {"12/01"}})
	if code != http.StatusBadRequest || !strings.Contains(body, "请填写考生的复核理由") || !strings.Contains(body, `"12/01" 不是日期`) {
		t.Errorf("appeal at fault: %d\n%s", code, body)
	}
	today := c.Clock.Now().In(server.CST).Format("2006-01-02")
	code, _, _ = staff.Post("/office/appeals", url.Values{"session": {id}, "ticket": {t1}, "items": {"q11"}, "received": {today}, "reason": {"实操题得分有疑问"}})
	if code != http.StatusSeeOther {
		t.Fatalf("record appeal: %d", code)
	}
	if body := staff.Page("/office/appeals"); !strings.Contains(body, "实操题得分有疑问") || !strings.Contains(body, "待抽查员复评") {
		t.Errorf("appeals page:\n%s", body)
	}
	if code, body, _ := staff.Post("/office/appeals", url.Values{"session": {id}, "ticket": {t1}, "items": {"q11"}, "received": {today}, "reason": {"again"}}); code != http.StatusBadRequest || !strings.Contains(body, "该题已有未结的复核") {
		t.Errorf("second open appeal: %d", code)
	}

	// The moderator re-scores blind.
	body = marker.Page("/office/appeals/rescore")
	for _, secret := range []string{t1, "毛娜", "SITE-001", "A101", id, "王老师"} {
		if strings.Contains(marker.Raw, secret) {
			t.Errorf("the re-score page holds %q", secret)
		}
	}
	if !strings.Contains(body, "根据给定的设计稿") || !strings.Contains(body, `id="mark-3"`) {
		t.Fatalf("re-score page:\n%s", body)
	}
	if code, _, _ := marker.Post("/office/appeals/rescore", url.Values{"appeal": {"1"}, "mark": {"14", "16", "x", "8"}}); code != http.StatusBadRequest {
		t.Errorf("a mark that is no number: %d", code)
	}
	if code, _, _ := marker.Post("/office/appeals/rescore", url.Values{"appeal": {"1"}, "mark": {"14", "16", "12", "8"}}); code != http.StatusSeeOther {
		t.Fatalf("re-score: %d", code)
	}
	if body := marker.Page("/office/appeals/rescore"); !strings.Contains(body, "暂无待复评") {
		t.Error("the re-scored appeal is still handed out")
	}

	staff.Page("/office/appeals")
	if code, _, _ := staff.Post("/office/appeals/1/close", url.Values{"confirm": {"1"}, "note": {"复评确认"}}); code != http.StatusSeeOther {
		t.Fatalf("close: %d", code)
	}
	if body := staff.Page("/office/appeals"); !strings.Contains(body, "改分: 40 → 50") {
		t.Errorf("closed appeal:\n%s", body)
	}
	if body := staff.Page("/office/sessions/" + id + "/results"); !strings.Contains(body, "52 / 96") {
		t.Errorf("the appeal did not change the result")
	}
	audit := auditText(t, c)
	for _, want := range []string{"office staff|approve results|", "office staff|publish results|", "office staff|record appeal|session " + id + " ticket " + t1,
		"marker|appeal re-mark|appeal 1", "office staff|close appeal|appeal 1"} {
		if !strings.Contains(audit, want) {
			t.Errorf("audit lacks %q:\n%s", want, audit)
		}
	}
}

// TestApprovalAndAppealInChromium: in a real headless Chromium, an admin
// approves a session's ready results from the session page, sees each
// result's state on the results page, and records an appeal on the appeals
// page.
func TestApprovalAndAppealInChromium(t *testing.T) {
	c := satSession(t)
	id := c.Session.ID
	ctx := servertest.Chromium(t)
	for _, step := range []struct {
		name    string
		actions []chromedp.Action[chromedp.Void]
		texts   map[string][]string // CSS selector -> what its text holds
	}{
		{"sign in", signInAt(c, "/office/sessions/"+id, "approve"), nil},
		{"approve", []chromedp.Action[chromedp.Void]{chromedp.Click(chromedp.ID("approve")), chromedp.WaitVisible(chromedp.ID("notice"))}, map[string][]string{
			"#notice": {"已审定所有就绪的成绩"},
			"#results tr:nth-child(4) td:nth-child(7)": {"已审定"},          // t3, absent
			"#results tr:nth-child(2) td:nth-child(7)": {"暂定", "有题目待评分"}, // t1, its essay unmarked
		}},
		{"record an appeal", []chromedp.Action[chromedp.Void]{
			chromedp.Navigate(c.URL + "/office/appeals"),
			chromedp.WaitVisible(chromedp.ID("appeal-form")),
			chromedp.SendKeys(chromedp.ID("appeal-session"), id),
			chromedp.SendKeys(chromedp.ID("appeal-ticket"), t1),
			chromedp.SendKeys(chromedp.ID("appeal-items"), "q11"),
			chromedp.SendKeys(chromedp.ID("appeal-reason"), "实操题得分有疑问"),
			chromedp.Click(chromedp.ID("appeal-submit")),
			chromedp.WaitVisible(chromedp.ID("notice")),
		}, map[string][]string{"#appeal-1": {t1, "待抽查员复评"}}},
	} {
		if err := chromedp.Do(ctx, step.actions...); err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		for sel, wants := range step.texts {
			got, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
			for _, want := range wants {
				if err != nil || !strings.Contains(got, want) {
					t.Errorf("%s: %s is %q (%v), want %q in it", step.name, sel, got, err, want)
				}
			}
		}
	}
}

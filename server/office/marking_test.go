package office_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"onex/exam"
	"onex/server"
	"onex/server/servertest"
	osync "onex/sync"
)

// essayMarkedTwice makes the sample paper's essay q10 (rubric 4, 3, 3)
// double marked, tolerance 2, in half points, with a reference answer that
// html/template must escape.
func essayMarkedTwice(b []byte) []byte {
	return bytes.Replace(b, []byte(`"max_chars": 800,`),
		[]byte(`"max_chars": 800, "marking": {"double": true, "tolerance": 2, "step": 0.5}, "reference": "媒体查询 @media 与 <div class=\"grid\"> 弹性布局",`), 1)
}

// essaySession is a central whose session of n made-up candidates has a
// double-marked essay, each candidate's answer handed in through the real
// ingest path (a sealed submission pushed by an enrolled site device).
func essaySession(t *testing.T, n int) *servertest.Central {
	t.Helper()
	c := servertest.New(t, servertest.WithRoster(n), servertest.WithPaper(essayMarkedTwice))
	c.Release()
	c.Clock.Add(40 * time.Minute)
	d := c.Enrol(t, "SITE-001")
	var envs [][]byte
	for i := range n {
		answer := fmt.Sprintf("考生作答 %d：使用媒体查询\n\t与 <script>alert(1)</script> 弹性布局", i+1)
		envs = append(envs, d.Seal(osync.KindSubmission, servertest.Submission(c.Session, ticket(i), map[string]exam.Answer{"q10": {Text: answer}})).Bytes)
	}
	if _, resp := d.Push(envs...); len(resp.Results) != n {
		t.Fatalf("push: %+v", resp)
	} else {
		for _, r := range resp.Results {
			if r.Outcome != osync.Accepted {
				t.Fatalf("submission: %s %s", r.Outcome, r.Reason)
			}
		}
	}
	return c
}

func ticket(i int) string { return fmt.Sprintf("2026BENCH%05d", i+1) }

// candidateSecrets is what a marker's page must never hold: every
// candidate's ticket, name and ID number, and the session's id, site and
// room.
func candidateSecrets(t *testing.T, c *servertest.Central, n int) []string {
	t.Helper()
	rows, err := csv.NewReader(bytes.NewReader(servertest.Roster(n))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	secrets := []string{c.Session.ID, "SITE-001", "A101"}
	for _, r := range rows[1:] {
		secrets = append(secrets, r[0], r[1], r[3])
	}
	return secrets
}

// user adds an office user with a role and signs in as them.
func user(t *testing.T, c *servertest.Central, name, role string) *servertest.Office {
	t.Helper()
	if err := c.PutUser(context.Background(), name, "pw of "+name, role, "test"); err != nil {
		t.Fatal(err)
	}
	o := c.Office(t)
	if code := o.SignIn(name, "pw of "+name); code != http.StatusSeeOther {
		t.Fatalf("sign in as %s: %d", name, code)
	}
	return o
}

var (
	scriptIDOf  = regexp.MustCompile(`id="script-id">(S[0-9A-Z]+)<`)
	markActions = regexp.MustCompile(`action="/office/(?:mark|lead)/(\d+)"`)
	autofocused = regexp.MustCompile(`id="(c\d)"[^>]*autofocus`)
)

// TestMarkingPagesByRole: each role reaches only the marking pages it
// may, and its menu offers only those.
func TestMarkingPagesByRole(t *testing.T) {
	c := essaySession(t, 2)
	offices := map[string]*servertest.Office{}
	for _, role := range []string{server.RoleStaff, server.RoleInspector, server.RoleMarker, server.RoleLead} {
		offices[role] = user(t, c, role, role)
	}
	admin := c.Office(t)
	admin.SignIn("admin", servertest.AdminPassword)
	offices["admin"] = admin
	for _, tc := range []struct {
		role               string
		mark, lead         int
		menuMark, menuLead bool
		menuPapers         bool
	}{
		{server.RoleAdmin, 200, 200, true, true, true},
		{server.RoleStaff, 403, 403, false, false, true},
		{server.RoleInspector, 403, 403, false, false, true},
		{server.RoleMarker, 200, 403, true, false, false},
		{server.RoleLead, 200, 200, true, true, false},
	} {
		o := offices[tc.role]
		for path, want := range map[string]int{"/office/mark": tc.mark, "/office/lead": tc.lead, "/office/lead/next": tc.lead} {
			if code, body := o.Get(path); code != want || want == 403 && strings.Contains(body, `id="script-id"`) {
				t.Errorf("%s GET %s: %d, want %d", tc.role, path, code, want)
			}
		}
		_, menu := o.Get("/office/")
		for link, want := range map[string]bool{`href="/office/mark"`: tc.menuMark, `href="/office/lead"`: tc.menuLead, `href="/office/papers"`: tc.menuPapers} {
			if strings.Contains(menu, link) != want {
				t.Errorf("%s's menu: %s shown %v, want %v", tc.role, link, !want, want)
			}
		}
		if tc.role == server.RoleMarker && (strings.Contains(menu, `href="/office/sessions"`) || strings.Contains(menu, `href="/office/sites"`)) {
			t.Error("a marker's menu offers sessions or sites")
		}
	}
	// The forms: a role without marking is refused before its form is read.
	for _, role := range []string{server.RoleStaff, server.RoleInspector} {
		for _, path := range []string{"/office/mark/1", "/office/mark/1/flag", "/office/lead/1"} {
			if code, _, _ := offices[role].Post(path, url.Values{"m": {"1", "1", "1"}, "problem": {"blank"}, "note": {"x"}}); code != http.StatusForbidden {
				t.Errorf("%s POST %s: %d, want 403", role, path, code)
			}
		}
	}
	if code, _, _ := offices[server.RoleMarker].Post("/office/lead/1", url.Values{"m": {"1", "1", "1"}, "note": {"x"}}); code != http.StatusForbidden {
		t.Errorf("a marker's POST to the lead's form: %d", code)
	}
	// A task the user does not hold: the marker's own page holds task
	// ids; the lead (who marks too) cannot mark or see the marker's.
	_, page := offices[server.RoleMarker].Get("/office/mark")
	held := markActions.FindStringSubmatch(offices[server.RoleMarker].Raw)
	if held == nil {
		t.Fatalf("the marker's page has no marking form:\n%s", page)
	}
	for path, form := range map[string]url.Values{
		"/office/mark/" + held[1]:           {"m": {"1", "1", "1"}},
		"/office/mark/" + held[1] + "/flag": {"problem": {"blank"}},
	} {
		if code, body, _ := offices[server.RoleLead].Post(path, form); code != http.StatusForbidden || !strings.Contains(body, "不在您名下") {
			t.Errorf("the lead POST %s on the marker's task: %d", path, code)
		}
	}
	for _, path := range []string{"/office/mark/999999", "/office/mark/x", "/office/mark/-1"} {
		if code, _, _ := offices[server.RoleMarker].Post(path, url.Values{"m": {"1", "1", "1"}}); code != http.StatusNotFound {
			t.Errorf("POST %s: %d, want 404", path, code)
		}
	}
	// Without the CSRF token: refused, nothing marked.
	if code, _, _ := offices[server.RoleMarker].Post("/office/mark/"+held[1], url.Values{"m": {"1", "1", "1"}, "csrf": {"forged"}}); code != http.StatusForbidden {
		t.Errorf("a mark without the CSRF token: %d", code)
	}
	if code, body := offices[server.RoleMarker].Get("/office/mark"); code != 200 || !strings.Contains(body, "您已评 0 份") {
		t.Errorf("after refused forms the marker has marked something: %d", code)
	}
}

// TestMarkingOverHTTP: a marker's page is blind, moves on criterion by
// criterion, refuses bad marks naming the criterion, measures the time
// from the claim, and flags a problem to the lead, who sees the marks so
// far by whom and gives the final mark with a note; with nothing left the
// page says so, and a paused marker is told so.
func TestMarkingOverHTTP(t *testing.T) {
	c := essaySession(t, 2)
	secrets := candidateSecrets(t, c, 2)
	blind := func(who, page string) {
		t.Helper()
		for _, s := range secrets {
			if strings.Contains(page, s) {
				t.Errorf("%s's page holds %q", who, s)
			}
		}
	}
	a, b := user(t, c, "marker-a", server.RoleMarker), user(t, c, "marker-b", server.RoleMarker)
	lead := user(t, c, "lead-l", server.RoleLead)

	body := a.Page("/office/mark")
	blind("a", a.Raw)
	for _, want := range []string{"简述响应式网页设计的基本思路", "说明根据不同屏幕尺寸调整布局的思路", "（0–4）", "考生作答", "您已评 0 份 · 待评 2 份"} {
		if !strings.Contains(body, want) {
			t.Errorf("the marker's page lacks %q", want)
		}
	}
	for _, raw := range []string{`&lt;div class=&#34;grid&#34;&gt;`, `&lt;script&gt;alert(1)&lt;/script&gt;`, `<pre class="response" id="response">`} {
		if !strings.Contains(a.Raw, raw) {
			t.Errorf("the page does not show %q escaped", raw)
		}
	}
	if f := autofocused.FindStringSubmatch(a.Raw); f == nil || f[1] != "c1" {
		t.Errorf("focus starts in %v, want c1", f)
	}
	task := markActions.FindStringSubmatch(a.Raw)[1]
	script := scriptIDOf.FindStringSubmatch(a.Raw)[1]
	if again := a.Page("/office/mark"); !strings.Contains(again, script) {
		t.Error("a reload hands out another script")
	}
	mark := "/office/mark/" + task

	// Enter before the last criterion: the page comes back with the
	// marks typed so far and the focus in the first empty one.
	for _, tc := range []struct {
		marks []string
		focus string
	}{{[]string{"3"}, "c2"}, {[]string{"3", "2", ""}, "c3"}, {[]string{"", "2", "1"}, "c1"}} {
		code, _, _ := a.Post(mark, url.Values{"m": tc.marks})
		if f := autofocused.FindStringSubmatch(a.Raw); code != 200 || f == nil || f[1] != tc.focus || !strings.Contains(a.Raw, `value="2"`) && len(tc.marks) > 1 {
			t.Errorf("marks %q: %d, focus %v, want %s", tc.marks, code, f, tc.focus)
		}
		blind("a", a.Raw)
	}
	// Marks refused, each naming its criterion; the focus on the first refused.
	code, body, _ := a.Post(mark, url.Values{"m": {"5", "2.25", "x"}})
	for _, want := range []string{"第 1 项：5 超出 0 到 4", "第 2 项：2.25 不是 0.5 分的整数倍", "第 3 项：“x”不是数字"} {
		if code != http.StatusBadRequest || !strings.Contains(body, want) {
			t.Errorf("bad marks: %d, want %q", code, want)
		}
	}
	if f := autofocused.FindStringSubmatch(a.Raw); f == nil || f[1] != "c1" {
		t.Errorf("focus after refused marks: %v", f)
	}
	c.Clock.Add(95 * time.Second)
	code, _, h := a.Post(mark, url.Values{"m": {"3", "2", "1.5"}})
	if code != http.StatusSeeOther || h.Get("Location") != "/office/mark?msg=done.marked" {
		t.Fatalf("marks: %d to %q", code, h.Get("Location"))
	}
	// The same form again (Enter pressed twice): on to the next, nothing marked twice.
	if code, _, h := a.Post(mark, url.Values{"m": {"3", "2", "1.5"}}); code != http.StatusSeeOther || !strings.Contains(h.Get("Location"), "done.task_gone") {
		t.Errorf("the same marks again: %d to %q", code, h.Get("Location"))
	}
	body = a.Page("/office/mark?msg=done.marked")
	if !strings.Contains(body, "评分已提交") || !strings.Contains(body, "您已评 1 份 · 待评 1 份") || strings.Contains(a.Raw, script) {
		t.Errorf("the next page: marked count, notice or another script missing")
	}

	// a flags the second script; b marks; the lead takes the flag.
	task2 := markActions.FindStringSubmatch(a.Raw)[1]
	if code, body, _ := a.Post("/office/mark/"+task2+"/flag", url.Values{"problem": {server.ProblemMisconduct}}); code != http.StatusBadRequest || !strings.Contains(body, "疑似违纪须填写说明") {
		t.Errorf("misconduct without a note: %d", code)
	}
	if code, _, _ := a.Post("/office/mark/"+task2+"/flag", url.Values{"problem": {"rude"}}); code != http.StatusBadRequest {
		t.Errorf("an unknown problem: %d", code)
	}
	if code, _, h := a.Post("/office/mark/"+task2+"/flag", url.Values{"problem": {server.ProblemMisconduct}, "note": {"与另一份雷同 <b>"}}); code != http.StatusSeeOther || !strings.Contains(h.Get("Location"), "done.flagged") {
		t.Fatalf("flag: %d %q", code, h.Get("Location"))
	}
	if body := a.Page("/office/mark"); !strings.Contains(body, "目前没有待评的试卷") || !strings.Contains(body, "您已评 2 份 · 待评 0 份") {
		t.Errorf("nothing left for a: %q", body)
	}
	blind("a", a.Raw)
	b.Page("/office/mark")
	blind("b", b.Raw)
	if code, _, _ := b.Post("/office/mark/"+markActions.FindStringSubmatch(b.Raw)[1], url.Values{"m": {"3", "2", "2"}}); code != http.StatusSeeOther {
		t.Fatalf("b's mark: %d", code)
	}

	list := lead.Page("/office/lead")
	blind("the lead", lead.Raw)
	if !strings.Contains(list, "问题卷 · 疑似违纪") {
		t.Errorf("the lead's list lacks the flagged script:\n%s", list)
	}
	body = lead.Page("/office/lead/next")
	blind("the lead", lead.Raw)
	for _, want := range []string{"marker-a", "与另一份雷同 <b>", "疑似违纪"} {
		if !strings.Contains(body, want) {
			t.Errorf("the lead's task lacks %q", want)
		}
	}
	lt := markActions.FindStringSubmatch(lead.Raw)[1]
	if code, body, _ := lead.Post("/office/lead/"+lt, url.Values{"m": {"0", "0", "0"}, "note": {" "}}); code != http.StatusBadRequest || !strings.Contains(body, "请填写评定说明") {
		t.Errorf("the lead's mark without a note: %d", code)
	}
	if code, _, h := lead.Post("/office/lead/"+lt, url.Values{"m": {"0", "0", "0"}, "note": {"确认雷同"}}); code != http.StatusSeeOther || h.Get("Location") != "/office/lead/next?msg=done.marked" {
		t.Fatalf("the lead's mark: %d %q", code, h.Get("Location"))
	}
	if body := lead.Page("/office/lead/next"); !strings.Contains(body, "目前没有待评的试卷") {
		t.Error("the lead's queue is not empty")
	}

	// a's mark is kept with the time from the claim: 95 s.
	given, err := c.ScriptMarks(context.Background(), script)
	if err != nil || len(given) == 0 || given[0].Marker != "marker-a" || given[0].Seconds != 95 {
		t.Errorf("a's mark as kept: %+v, %v", given, err)
	}

	// Paused by the lead: told so.
	if err := c.SetPaused(context.Background(), "lead-l", "marker-b", true, "质检"); err != nil {
		t.Fatal(err)
	}
	if code, body := b.Get("/office/mark"); code != 200 || !strings.Contains(body, "您的评卷已被题组长暂停") || strings.Contains(b.Raw, `id="script-id"`) {
		t.Errorf("a paused marker's page: %d", code)
	}
	if code, body := b.Get("/office/mark?lang=en"); code != 200 || !strings.Contains(body, "paused by the lead marker") {
		t.Errorf("in English: %d", code)
	}
}

// TestMarkingPagesNeverFail sends odd input to every marking route, on a
// task the user holds and on others: a page or a 4xx, never a 500, and
// nothing sent comes back unescaped.
func TestMarkingPagesNeverFail(t *testing.T) {
	c := essaySession(t, 2)
	o := c.Office(t)
	o.SignIn("admin", servertest.AdminPassword) // admin marks and leads
	o.Get("/office/mark")
	held, script := markActions.FindStringSubmatch(o.Raw)[1], scriptIDOf.FindStringSubmatch(o.Raw)[1]
	odd := []string{"", "'; DROP TABLE scripts; --", "<script>alert(1)</script>", "\x00\xff", strings.Repeat("長", 5000), "NaN", "Inf", "-1", "1e309", "0x10", "0x1p1", "１"}
	paths := []string{"/office/mark/" + held, "/office/mark/" + held + "/flag", "/office/lead/" + held, "/office/mark/0", "/office/mark/99999999999999999999", "/office/lead/%27", "/office/mark/1/flag"}
	for _, p := range paths {
		for _, s := range odd {
			form := url.Values{"m": {s, s, s}, "problem": {s}, "note": {s}}
			if code, _, _ := o.Post(p, form); code >= 500 || strings.Contains(o.Raw, "<script>") {
				t.Errorf("POST %s with %.20q: %d", p, s, code)
			}
			if code, _, _ := o.Post(p, url.Values{"m": {s}}); code >= 500 || strings.Contains(o.Raw, "<script>") {
				t.Errorf("POST %s with one mark %.20q: %d", p, s, code)
			}
		}
	}
	for _, p := range []string{"/office/mark", "/office/lead", "/office/lead/next"} {
		for _, s := range odd {
			if code, _ := o.Get(p + "?lang=" + url.QueryEscape(s) + "&msg=" + url.QueryEscape(s)); code >= 500 || strings.Contains(o.Raw, "<script>") {
				t.Errorf("GET %s with %.20q: %d", p, s, code)
			}
		}
	}
	if given, err := c.ScriptMarks(context.Background(), script); err != nil || len(given) > 0 {
		t.Errorf("odd input was taken as a mark: %+v", given)
	}
}

// TestMarkingHandedInFiles: a hand-in item's script shows the files the
// candidate handed in, by index and never by name (a name may carry the
// candidate's): text inline, escaped in a pre; anything else a download
// named by the script id and the index, an attachment never rendered, for
// the marker holding the task only; a file whose pieces have not all come
// is listed as not complete, without a link.
func TestMarkingHandedInFiles(t *testing.T) {
	c := servertest.New(t, servertest.WithHandIn())
	c.Release()
	c.Clock.Add(40 * time.Minute)
	d := c.Enrol(t, "SITE-001")
	const tk = "2026WEB010001"
	page := []byte("<script>alert('handed-in')</script>\n<p>我的网页</p>")
	bin := append([]byte{0, 1, 2}, []byte("binary")...)
	big := make([]byte, exam.HandInChunk+1)
	names := []string{"mao-na.html", "毛娜的照片.bin", "big.dat"}
	answer, envs := d.HandIn(c.Session, tk, servertest.HandInItem, names, map[string][]byte{names[0]: page, names[1]: bin, names[2]: big})
	envs = envs[:len(envs)-1] // the last piece of big.dat never comes
	envs = append(envs, d.Seal(osync.KindSubmission, servertest.Submission(c.Session, tk, map[string]exam.Answer{"q10": {Text: "响应式"}, servertest.HandInItem: answer})).Bytes)
	if code, resp := d.Push(envs...); code != 200 || resp.Results[len(resp.Results)-1].Outcome != osync.Accepted {
		t.Fatalf("push: %d %+v", code, resp.Results)
	}
	m := user(t, c, "marker-a", server.RoleMarker)
	other := user(t, c, "marker-b", server.RoleMarker)
	var task string
	for range 3 { // the essay's script may come first: mark it
		m.Page("/office/mark")
		task = markActions.FindStringSubmatch(m.Raw)[1]
		if strings.Contains(m.Raw, `id="files"`) {
			break
		}
		m.Post("/office/mark/"+task, url.Values{"m": {"1", "1", "1"}})
	}
	html := m.Raw
	if !strings.Contains(html, `<pre class="response">&lt;script&gt;alert(&#39;handed-in&#39;)&lt;/script&gt;`) || strings.Contains(html, "<script>alert") {
		t.Errorf("the text file is not shown escaped in a pre:\n%s", html)
	}
	for _, secret := range append(candidateSecrets(t, c, 0), tk, "毛娜", "mao-na", "big.dat", ".bin") {
		if strings.Contains(html, secret) {
			t.Errorf("the marker's page holds %q", secret)
		}
	}
	if strings.Contains(html, `id="file-link-1"`) || !strings.Contains(html, `id="file-link-2"`) || strings.Contains(html, `id="file-link-3"`) || !strings.Contains(html, "尚不完整") {
		t.Errorf("links: text inline, the binary a link, the incomplete file none")
	}
	script := scriptIDOf.FindStringSubmatch(html)[1]
	files := "/office/mark/" + task + "/files/"
	get := func(o *servertest.Office, n string) (int, http.Header) {
		req, _ := http.NewRequest("GET", c.URL+files+n, nil)
		code, _, h := o.Do(req)
		return code, h
	}
	code, h := get(m, "2")
	if code != 200 || m.Raw != string(bin) || h.Get("Content-Type") != "application/octet-stream" || h.Get("X-Content-Type-Options") != "nosniff" ||
		h.Get("Content-Disposition") != "attachment; filename="+script+"-2.bin" {
		t.Errorf("download: %d %q %v", code, m.Raw, h)
	}
	for n, want := range map[string]int{"1": 200, "3": 404, "4": 404, "0": 404, "x": 404} {
		if code, _ := get(m, n); code != want {
			t.Errorf("file %s: %d, want %d", n, code, want)
		}
	}
	if code, _ := get(other, "2"); code != http.StatusForbidden || strings.Contains(other.Raw, "binary") {
		t.Errorf("another marker's download: %d", code)
	}
	if code, _ := get(user(t, c, "clerk", server.RoleStaff), "2"); code != http.StatusForbidden {
		t.Errorf("staff's download: %d", code)
	}
	if code, _, _ := m.Post("/office/mark/"+task, url.Values{"m": {"4", "5.5"}}); code != http.StatusSeeOther {
		t.Fatalf("marking the hand-in: %d", code)
	}
	for _, r := range c.Results(t) {
		if r.Ticket == tk && slices.Contains(r.Awaiting, servertest.HandInItem) {
			t.Errorf("the hand-in item still awaits marks: %+v", r.Awaiting)
		}
	}
}

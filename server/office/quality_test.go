package office_test

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"onex/exam"
	"onex/server"
	"onex/server/servertest"
	osync "onex/sync"
)

// leadRole is the role of the lead's quality pages.
const leadRole = "lead"

// TestModerationPages: the lead draws a sample on the page; a marker re-scores
// it blind on theirs (no ticket, session, site or site score in the HTML) and
// cannot reach the lead's pages; the site scored 7 high, so the lead's page
// flags it and the lead adjusts, audited.
func TestModerationPages(t *testing.T) {
	c := servertest.New(t, servertest.WithRoster(15))
	c.PracticalScores(t, 15, func(i int) []float64 {
		return []float64{float64(10 + i%6), float64(14 + i%6), float64(8 + i%5), float64(4 + i%4)}
	})
	lead := c.SignedIn(t, leadRole)
	marker := c.SignedIn(t, "marker")
	sid := c.Session.ID

	for _, p := range []string{"/office/quality/moderation", "/office/quality/moderation/" + sid} {
		if code, _ := marker.Get(p); code != http.StatusForbidden {
			t.Errorf("a marker reached %s: %d", p, code)
		}
	}
	marker.Page("/office/quality/moderate")
	if code, _, _ := marker.Post("/office/quality/moderation", url.Values{"session": {sid}}); code != http.StatusForbidden {
		t.Errorf("a marker drew a sample: %d", code)
	}

	list := lead.Page("/office/quality/moderation")
	if !strings.Contains(list, "待抽样") || !strings.Contains(list, `value="10"`) {
		t.Fatalf("the lead's list:\n%s", list)
	}
	if code, body, _ := lead.Post("/office/quality/moderation", url.Values{"session": {sid}, "share": {"150"}, "min": {"10"}}); code != http.StatusBadRequest || !strings.Contains(body, "比例须在 0 到 100 之间") {
		t.Errorf("a share of 150%%: %d", code)
	}
	code, _, h := lead.Post("/office/quality/moderation", url.Values{"session": {sid}, "share": {"10"}, "min": {"10"}, "fails": {"1"}, "tops": {"1"}, "flag": {"20"}})
	if code != http.StatusSeeOther || h.Get("Location") != "/office/quality/moderation/"+sid+"?msg=done.sample_drawn" {
		t.Fatalf("draw: %d %s", code, h.Get("Location"))
	}
	detail := lead.Page("/office/quality/moderation/" + sid)
	if !strings.Contains(detail, "复核中") || !strings.Contains(detail, "与记录一致") || !regexp.MustCompile(`[0-9a-f]{32}`).MatchString(detail) {
		t.Fatalf("the lead's page after the draw:\n%s", detail)
	}

	rescoreID := regexp.MustCompile(`id="rescore-id">(R-[0-9a-f-]+)<`)
	n := 0
	for ; n < 30; n++ {
		page := marker.Page("/office/quality/moderate")
		raw := marker.Raw
		if strings.Contains(page, "暂无待复核的评分") {
			break
		}
		for _, leak := range []string{"2026BENCH", sid, "SITE-001", "examiner", "A101"} {
			if strings.Contains(raw, leak) {
				t.Fatalf("the moderator's page shows %q", leak)
			}
		}
		m := rescoreID.FindStringSubmatch(raw)
		if m == nil || !strings.Contains(page, "正确提交文件") && !strings.Contains(page, "q11") && !strings.Contains(raw, `name="c3"`) {
			t.Fatalf("the moderator's page:\n%s", raw)
		}
		if code, _, _ := marker.Post("/office/quality/moderate", url.Values{"rescore": {m[1]}, "c0": {"x"}, "c1": {"0"}, "c2": {"0"}, "c3": {"0"}}); code != http.StatusBadRequest {
			t.Errorf("a mark that is no number: %d", code)
		}
		if code, _, _ := lead.Post("/office/quality/moderate", url.Values{"rescore": {m[1]}, "c0": {"0"}, "c1": {"0"}, "c2": {"0"}, "c3": {"0"}}); code != http.StatusForbidden {
			t.Errorf("the lead saved the marker's claim: %d", code)
		}
		// 7 below what any site score can be criterion by criterion: 10-3, 14-3, 8-1, 4
		code, _, h := marker.Post("/office/quality/moderate", url.Values{"rescore": {m[1]}, "c0": {"5"}, "c1": {"9"}, "c2": {"6"}, "c3": {"3"}})
		if code != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/office/quality/moderate?msg=done.rescored") {
			t.Fatalf("rescore: %d", code)
		}
	}
	if n < 10 {
		t.Fatalf("re-scored only %d", n)
	}
	detail = lead.Page("/office/quality/moderation/" + sid)
	if !strings.Contains(detail, "超出容差，待决定") || !strings.Contains(detail, "已标记") || strings.Contains(lead.Raw, "2026BENCH") {
		t.Fatalf("the lead's page after re-scoring:\n%s", detail)
	}
	if code, body, _ := lead.Post("/office/quality/moderation/"+sid, url.Values{"decision": {"all"}}); code != http.StatusBadRequest || !strings.Contains(body, "裁决理由") {
		t.Errorf("a decision without a reason: %d", code)
	}
	if code, _, _ := lead.Post("/office/quality/moderation/"+sid, url.Values{"decision": {"all"}, "note": {"site scores high"}}); code != http.StatusSeeOther {
		t.Fatalf("decide: %d", code)
	}
	detail = lead.Page("/office/quality/moderation/" + sid)
	if !strings.Contains(detail, "其余按平均差调整") || !strings.Contains(detail, "已完成") {
		t.Errorf("the lead's page after the decision:\n%s", detail)
	}
	if a := auditText(t, c); !strings.Contains(a, "office lead|decide moderation|session "+sid+": all;") || strings.Count(a, "|moderate practical score|") != n {
		t.Errorf("audit:\n%s", a)
	}
}

// TestModerationHandedInFiles: the moderator's re-score page shows the
// candidate's handed-in files (issue 15) as the marking pages do, blind:
// under the handin item's id and stem, by number and size, never by name,
// text inline and escaped, anything else a download named by the rescore's
// id and the number, an attachment never rendered, for the moderator
// holding the rescore only: another moderator, the lead and staff are
// refused. Nothing of the candidate, the session or the site is on the page.
func TestModerationHandedInFiles(t *testing.T) {
	c := servertest.New(t, servertest.WithHandIn(), servertest.WithRoster(3))
	c.Release()
	c.Clock.Add(40 * time.Minute)
	d := c.Enrol(t, "SITE-001")
	names := []string{"wang-lei.html", "王磊的图.bin"}
	bin := []byte{0, 1, 2, 'b', 'i', 'n'}
	var envs [][]byte
	for i := range 3 {
		tk := fmt.Sprintf("2026BENCH%05d", i+1)
		page := []byte(fmt.Sprintf("<script>alert(%d)</script>", i))
		answer, pieces := d.HandIn(c.Session, tk, servertest.HandInItem, names, map[string][]byte{names[0]: page, names[1]: bin})
		envs = append(append(envs, pieces...), d.Seal(osync.KindSubmission, servertest.Submission(c.Session, tk, map[string]exam.Answer{servertest.HandInItem: answer})).Bytes)
	}
	code, resp := d.Push(envs...)
	for _, r := range resp.Results {
		if code != http.StatusOK || r.Outcome != osync.Accepted {
			t.Fatalf("push: %d %+v", code, r)
		}
	}
	c.PracticalScores(t, 3, func(int) []float64 { return []float64{10, 14, 8, 4} })
	lead := c.SignedIn(t, leadRole)
	if code, _, _ := lead.Post("/office/quality/moderation", url.Values{"session": {c.Session.ID}, "min": {"10"}}); code != http.StatusSeeOther {
		t.Fatalf("draw: %d", code)
	}
	mod := user(t, c, "moderator-a", server.RoleMarker)
	other := user(t, c, "moderator-b", server.RoleMarker)
	mod.Page("/office/quality/moderate")
	html := mod.Raw
	m := regexp.MustCompile(`id="rescore-id">(R-[0-9a-f-]+)<`).FindStringSubmatch(html)
	if m == nil || !strings.Contains(html, `id="handed-h1"`) || !strings.Contains(html, "在工作文件夹中完成网页") ||
		!strings.Contains(html, `<pre class="response">&lt;script&gt;alert(`) || strings.Contains(html, "<script>alert") ||
		strings.Contains(html, `id="file-link-1"`) || !strings.Contains(html, `id="file-link-2"`) || !strings.Contains(html, "6 B") {
		t.Fatalf("the moderator's page does not show the files, the text escaped inline, the binary a link:\n%s", html)
	}
	for _, secret := range append(candidateSecrets(t, c, 3), "2026BENCH", "examiner", "wang-lei", "王磊", ".bin") {
		if strings.Contains(html, secret) {
			t.Errorf("the moderator's page holds %q", secret)
		}
	}
	id := m[1]
	get := func(o *servertest.Office, rescore, n string) (int, http.Header) {
		req, _ := http.NewRequest("GET", c.URL+"/office/quality/moderate/"+rescore+"/files/"+n, nil)
		code, _, h := o.Do(req)
		return code, h
	}
	code, h := get(mod, id, "2")
	if code != http.StatusOK || mod.Raw != string(bin) || h.Get("Content-Type") != "application/octet-stream" || h.Get("X-Content-Type-Options") != "nosniff" ||
		!strings.HasPrefix(h.Get("Content-Security-Policy"), "sandbox") || h.Get("Content-Disposition") != "attachment; filename="+id+"-2.bin" {
		t.Errorf("download: %d %q %v", code, mod.Raw, h)
	}
	for n, want := range map[string]int{"1": 200, "3": 404, "0": 404, "x": 404} {
		if code, _ := get(mod, id, n); code != want {
			t.Errorf("file %s: %d, want %d", n, code, want)
		}
	}
	if code, _ := get(mod, "R-00000000-0000-0000-0000-000000000000", "1"); code != http.StatusNotFound {
		t.Errorf("a rescore that does not exist: %d", code)
	}
	for who, o := range map[string]*servertest.Office{"another moderator": other, "the lead": lead, "staff": user(t, c, "clerk", server.RoleStaff)} {
		if code, _ := get(o, id, "2"); code != http.StatusForbidden || strings.Contains(o.Raw, "bin") {
			t.Errorf("%s's download of the moderator's file: %d", who, code)
		}
	}
}

// TestQualityPages: the lead imports controls and sets the rate on the
// quality page, reads a marker's figures there (controls counted), pauses
// them (they are handed nothing) and sends their marks back, all audited;
// the near-identical page lists a copied pair by script ids only and the
// lead flags it. Markers and staff reach none of the lead's pages, and
// staff not the moderator's.
func TestQualityPages(t *testing.T) {
	c := servertest.New(t)
	ctx := t.Context()
	essay := "响应式设计使用媒体查询根据屏幕宽度调整布局，弹性盒子让元素自动换行，图片设置最大宽度百分之百以按比例缩放。"
	texts := []string{essay, essay + "！", "盒模型由内容、内边距、边框和外边距组成，box-sizing 决定宽度的计算方式。", "我不知道", "视口元标签让移动浏览器按设备宽度显示页面，再配合相对单位。", "栅格系统把页面分成十二列，在不同断点下改变每块占的列数。"}
	c.Essays(t, []string{"2026WEB010001", "2026WEB010002", "2026WEB010003", "2026WEB010004", "2026WEB010005", "2026WEB010006"}, texts)
	lead := c.SignedIn(t, "lead")
	marker := c.SignedIn(t, "marker")
	staff := c.SignedIn(t, "staff")
	for _, p := range []string{"/office/quality", "/office/quality/similar", "/office/quality/moderation"} {
		for name, o := range map[string]*servertest.Office{"marker": marker, "staff": staff} {
			if code, _ := o.Get(p); code != http.StatusForbidden {
				t.Errorf("%s reached %s: %d", name, p, code)
			}
		}
	}
	if code, _ := staff.Get("/office/quality/moderate"); code != http.StatusForbidden {
		t.Errorf("staff reached the moderator's page: %d", code)
	}
	if code, _, _ := marker.Post("/office/quality", url.Values{"do": {"pause"}, "marker": {"marker"}, "reason": {"x"}}); code != http.StatusForbidden {
		t.Errorf("a marker paused a marker: %d", code)
	}

	lead.Page("/office/quality")
	csv := "作答,一,二,三\n\"对照答案：媒体查询与弹性布局。\",3,2,2\n\"对照答案二：栅格与断点。\",1,1,1\n"
	if code, body := lead.Upload("/office/quality", map[string]string{"do": "controls", "session": c.Session.ID, "item": "q10", "encoding": "auto"}, []byte("作答,一\n答,9\n")); code != http.StatusBadRequest || !strings.Contains(body, "row 2") {
		t.Errorf("bad controls: %d", code)
	}
	if code, _ := lead.Upload("/office/quality", map[string]string{"do": "controls", "session": c.Session.ID, "item": "q10", "encoding": "auto"}, []byte(csv)); code != http.StatusSeeOther {
		t.Fatalf("controls: %d", code)
	}
	if code, _, _ := lead.Post("/office/quality", url.Values{"do": {"settings"}, "session": {c.Session.ID}, "item": {""}, "every": {"2"}, "remark": {"0"}}); code != http.StatusSeeOther {
		t.Fatalf("settings: %d", code)
	}
	controls := 0
	for range 5 {
		v, err := c.Next(ctx, "marker")
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(v.Response.Text, "对照答案") {
			controls++
		}
		if _, err := c.Mark(ctx, "marker", v.TaskID, []float64{2, 2, 2}, 0); err != nil {
			t.Fatal(err)
		}
	}
	page := lead.Page("/office/quality")
	if !strings.Contains(lead.Raw, `id="marker-marker"`) || controls < 1 || !strings.Contains(page, "全部主观题") {
		t.Fatalf("%d controls; the quality page:\n%s", controls, page)
	}
	if code, _, _ := lead.Post("/office/quality", url.Values{"do": {"pause"}, "marker": {"marker"}, "reason": {"marks far from the controls"}}); code != http.StatusSeeOther {
		t.Fatalf("pause: %d", code)
	}
	if page := lead.Page("/office/quality"); !strings.Contains(page, "已暂停</strong> marks far from the controls") {
		t.Errorf("the page does not show the pause")
	}
	if _, err := c.Next(ctx, "marker"); err == nil {
		t.Error("a paused marker was handed a task")
	}
	if code, body, _ := lead.Post("/office/quality", url.Values{"do": {"sendback"}, "marker": {"marker"}, "reason": {""}}); code != http.StatusBadRequest || !strings.Contains(body, "reason") {
		t.Errorf("a send-back without a reason: %d", code)
	}
	if code, _, _ := lead.Post("/office/quality", url.Values{"do": {"sendback"}, "marker": {"marker"}, "since": {""}, "reason": {"careless"}}); code != http.StatusSeeOther {
		t.Fatalf("send back: %d", code)
	}
	a := auditText(t, c)
	for _, want := range []string{"office lead|add control script|", "office lead|set quality control|", "office lead|pause marker|marker: marks far from the controls", "office lead|send marks back|marker, all:"} {
		if !strings.Contains(a, want) {
			t.Errorf("audit lacks %q:\n%s", want, a)
		}
	}

	page = lead.Page("/office/quality/similar?session=" + url.QueryEscape(c.Session.ID))
	pair := regexp.MustCompile(`name="a" value="(S[0-9A-Z]+)"><input type="hidden" name="b" value="(S[0-9A-Z]+)"`).FindStringSubmatch(lead.Raw)
	if pair == nil || strings.Count(lead.Raw, `class="flag-pair"`) != 1 || strings.Contains(lead.Raw, "2026WEB") || !strings.Contains(page, "100%") {
		t.Fatalf("the near-identical page:\n%s", lead.Raw)
	}
	code, _, h := lead.Post("/office/quality/similar", url.Values{"session": {c.Session.ID}, "a": {pair[1]}, "b": {pair[2]}, "note": {"same text"}})
	if code != http.StatusSeeOther || !strings.Contains(h.Get("Location"), "msg=done.pair_flagged") {
		t.Fatalf("flag: %d %s", code, h.Get("Location"))
	}
	if page := lead.Page(h.Get("Location")); !strings.Contains(page, "已标记为疑似雷同") || !strings.Contains(page, "same text") || strings.Contains(lead.Raw, `class="flag-pair"`) {
		t.Errorf("after flagging:\n%s", page)
	}
	if !strings.Contains(auditText(t, c), "office lead|flag similar answers|session "+c.Session.ID+" item q10: scripts "+min(pair[1], pair[2])) {
		t.Error("the flag is not audited")
	}
}

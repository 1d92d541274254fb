package office_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"onex/server/servertest"
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
	if !strings.Contains(detail, "复核中") || !regexp.MustCompile(`[0-9a-f]{32}`).MatchString(detail) {
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

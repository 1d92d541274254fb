package office_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"onex/exam/credit"
	"onex/server"
	"onex/server/servertest"
)

// accountPath is the account page of the sample holder, as staff find it
// by ID number (a POST: the number goes into no URL).
func accountPath(t *testing.T, staff *servertest.Office) string {
	t.Helper()
	staff.Page("/office/credit")
	code, _, h := staff.Post("/office/credit/account", url.Values{"id_number": {servertest.HolderID}})
	loc := h.Get("Location")
	if code != http.StatusSeeOther || !strings.HasPrefix(loc, "/office/credit/accounts/") || strings.Contains(loc, servertest.HolderID) {
		t.Fatalf("find the account: %d %q", code, loc)
	}
	return loc
}

// TestCreditPagesByRole: staff upload a rule file (a bad one is refused
// with each problem by line, rule and field, and nothing kept; a form
// without the CSRF token changes nothing), see the version and its rules,
// find an account by ID number (its certificate, the two conversions
// offered), apply for one on the learner's behalf, and decide it on the
// applications page with a reason the form requires; a school's preview
// counts it. An inspector sees the rule sets, the applications without
// names and the preview, and cannot find an account, upload, apply or
// decide; a marker sees nothing of the credit bank. All in the audit log.
func TestCreditPagesByRole(t *testing.T) {
	c, cert := servertest.Certified(t)
	staff, inspector, marker := c.SignedIn(t, server.RoleStaff), c.SignedIn(t, server.RoleInspector), c.SignedIn(t, server.RoleMarker)

	// Rules: a forged form, a bad file, then the good one.
	if body := staff.Page("/office/credit"); !strings.Contains(body, "学分银行") || !strings.Contains(staff.Raw, `id="credit-rules-form"`) || !strings.Contains(staff.Raw, `id="credit-find"`) {
		t.Fatalf("the credit bank's page:\n%s", body)
	}
	if code, _ := staff.Upload("/office/credit/rules", map[string]string{"csrf": "forged"}, []byte(servertest.CreditRuleFile(1))); code != http.StatusForbidden {
		t.Errorf("upload without the CSRF token: %d", code)
	}
	bad := strings.Replace(strings.Replace(servertest.CreditRuleFile(1), `"credits": 4`, `"credits": 0`, 1), `"level": "elementary", "min_score": 60, "school": "示例中等`, `"level": "初级", "min_score": 60, "school": "示例中等`, 1)
	code, body := staff.Upload("/office/credit/rules", map[string]string{}, []byte(bad))
	if code != http.StatusBadRequest || !strings.Contains(body, "line 2: rule 1 (S1): credits: 0 is not more than 0") || !strings.Contains(body, `line 3: rule 2 (S2): level: "初级"`) {
		t.Errorf("a bad rule file: %d\n%s", code, body)
	}
	if sets, err := c.CreditRules(t.Context()); err != nil || len(sets) != 0 {
		t.Fatalf("a refused file was kept: %d %v", len(sets), err)
	}
	code, _ = staff.Upload("/office/credit/rules", map[string]string{}, []byte(servertest.CreditRuleFile(1)))
	if code != http.StatusSeeOther {
		t.Fatalf("upload: %d", code)
	}
	if body := staff.Page("/office/credit/rules/1?msg=done.credit_rules"); !strings.Contains(body, "转换规则已导入为新版本") || !strings.Contains(body, "WEB101 网页设计") || !strings.Contains(body, "2.5") || !strings.Contains(body, "长期") {
		t.Errorf("the rules of version 1:\n%s", body)
	}
	if code, body := staff.Upload("/office/credit/rules", map[string]string{}, []byte(servertest.CreditRuleFile(1))); code != http.StatusBadRequest || !strings.Contains(body, "version") {
		t.Errorf("the same version again: %d\n%s", code, body)
	}
	if code, _ := staff.Get("/office/credit/rules/7"); code != http.StatusNotFound {
		t.Errorf("a version never imported: %d", code)
	}

	// The account, found by ID number; an unknown number is said so.
	staff.Page("/office/credit")
	if code, body, _ := staff.Post("/office/credit/account", url.Values{"id_number": {"31010420031018810X"}}); code != http.StatusBadRequest || !strings.Contains(body, "没有这个证件号码的学习账户") {
		t.Errorf("an unknown ID number: %d\n%s", code, body)
	}
	acct := accountPath(t, staff)
	body = staff.Page(acct)
	for _, want := range []string{servertest.HolderName, cert.Number, "WEB101", "W9", "可申请", "代为申请"} {
		if !strings.Contains(body, want) {
			t.Errorf("the account lacks %q:\n%s", want, body)
		}
	}
	if strings.Contains(body, servertest.HolderID) {
		t.Error("the account page shows the ID number")
	}
	if code, _, _ := staff.Post(acct, url.Values{"csrf": {"forged"}, "outcome": {"certificate:" + cert.Number}, "school": {servertest.CreditSchool}, "course": {"WEB101"}}); code != http.StatusForbidden {
		t.Errorf("apply without the CSRF token: %d", code)
	}
	if code, body, _ := staff.Post(acct, url.Values{"outcome": {"certificate:" + cert.Number}, "school": {servertest.CreditSchool}, "course": {"W9"}}); code != http.StatusBadRequest || !strings.Contains(body, "不再可申请") {
		t.Errorf("apply for what is not offered: %d\n%s", code, body)
	}
	staff.Page(acct)
	if code, _, h := staff.Post(acct, url.Values{"outcome": {"certificate:" + cert.Number}, "school": {servertest.CreditSchool}, "course": {"WEB101"}}); code != http.StatusSeeOther || h.Get("Location") != acct+"?msg=done.credit_applied" {
		t.Fatalf("apply: %d %q", code, h.Get("Location"))
	}
	apps, err := c.CreditApplications(t.Context(), server.ApplicationFilter{State: credit.Applied})
	if err != nil || len(apps) != 1 {
		t.Fatalf("applications %+v %v", apps, err)
	}
	app := apps[0]

	// The decision: a reason is required, then approved.
	body = staff.Page("/office/credit/applications")
	if !strings.Contains(body, app.ID) || !strings.Contains(body, servertest.HolderName) || !strings.Contains(staff.Raw, `class="approve"`) {
		t.Fatalf("the applications page:\n%s", body)
	}
	decide := "/office/credit/applications/" + app.ID
	if code, body, _ := staff.Post(decide, url.Values{"decision": {"approve"}, "reason": {"  "}}); code != http.StatusBadRequest || !strings.Contains(body, "请填写批准或拒绝的理由") {
		t.Errorf("approve without a reason: %d\n%s", code, body)
	}
	if code, _, _ := staff.Post(decide, url.Values{"decision": {"approve"}, "reason": {"课程内容一致"}, "csrf": {"forged"}}); code != http.StatusForbidden {
		t.Errorf("approve without the CSRF token: %d", code)
	}
	if a, _ := c.CreditApplication(t.Context(), app.ID); a.State != credit.Applied {
		t.Fatalf("a refused form decided: %s", a.State)
	}
	staff.Page("/office/credit/applications")
	if code, _, h := staff.Post(decide, url.Values{"decision": {"approve"}, "reason": {"课程内容一致"}}); code != http.StatusSeeOther || !strings.Contains(h.Get("Location"), "done.credit_approved") {
		t.Fatalf("approve: %d %q", code, h.Get("Location"))
	}
	if a, _ := c.CreditApplication(t.Context(), app.ID); a.State != credit.Approved || a.Events[len(a.Events)-1].Why != "课程内容一致" || a.Events[len(a.Events)-1].By != "office staff" {
		t.Fatalf("after approval: %+v", a)
	}
	if body := staff.Page("/office/credit/applications?state=approved"); !strings.Contains(body, "已批准") || !strings.Contains(body, "课程内容一致") || strings.Contains(staff.Raw, `class="approve"`) {
		t.Errorf("approved applications:\n%s", body)
	}
	if body := staff.Page(acct); !strings.Contains(body, "已认定") || !strings.Contains(body, `id="account-credits">4<`) {
		t.Errorf("the account after approval:\n%s", staff.Raw)
	}
	if body := staff.Page("/office/credit/school?school=" + url.QueryEscape(servertest.CreditSchool)); !strings.Contains(body, "WEB101 网页设计") || !strings.Contains(staff.Raw, `id="school-granted">4<`) {
		t.Errorf("the school's preview:\n%s", staff.Raw)
	}

	// The inspector: reads, without names, and changes nothing.
	for _, p := range []string{"/office/credit", "/office/credit/rules/1", "/office/credit/applications?state=approved", "/office/credit/school?school=" + url.QueryEscape(servertest.CreditSchool2)} {
		body := inspector.Page(p)
		if strings.Contains(body, servertest.HolderName) || strings.Contains(inspector.Raw, `id="credit-rules-form"`) || strings.Contains(inspector.Raw, `id="credit-find"`) || strings.Contains(inspector.Raw, `class="approve"`) {
			t.Errorf("the inspector's %s shows a name or a form:\n%s", p, body)
		}
	}
	if body := inspector.Page("/office/credit/applications?state=approved"); !strings.Contains(body, app.ID) || !strings.Contains(body, app.Account[:12]) {
		t.Errorf("the inspector's applications lack the application by account id:\n%s", body)
	}
	if code, _ := inspector.Get(acct); code != http.StatusForbidden {
		t.Errorf("the inspector opens an account: %d", code)
	}
	inspector.Page("/office/credit")
	for _, f := range []struct {
		path string
		form url.Values
	}{
		{"/office/credit/account", url.Values{"id_number": {servertest.HolderID}}},
		{acct, url.Values{"outcome": {"certificate:" + cert.Number}, "school": {servertest.CreditSchool2}, "course": {"W9"}}},
		{decide, url.Values{"decision": {"refuse"}, "reason": {"x"}}},
	} {
		if code, _, _ := inspector.Post(f.path, f.form); code != http.StatusForbidden {
			t.Errorf("the inspector posts %s: %d", f.path, code)
		}
	}
	if code, _ := inspector.Upload("/office/credit/rules", map[string]string{}, []byte(servertest.CreditRuleFile(2))); code != http.StatusForbidden {
		t.Errorf("the inspector uploads rules: %d", code)
	}

	// The marker: nothing, not even the link.
	for _, p := range []string{"/office/credit", "/office/credit/rules/1", acct, "/office/credit/applications", "/office/credit/school"} {
		if code, _ := marker.Get(p); code != http.StatusForbidden {
			t.Errorf("the marker gets %s: %d", p, code)
		}
	}
	if _, body := marker.Get("/office/"); strings.Contains(marker.Raw, `id="nav-credit"`) {
		t.Errorf("the marker's menu links the credit bank:\n%s", body)
	}

	// Nothing of the inspector's and the marker's changed anything; staff's is audited.
	if sets, _ := c.CreditRules(t.Context()); len(sets) != 1 {
		t.Errorf("%d rule sets", len(sets))
	}
	if apps, _ := c.CreditApplications(t.Context(), server.ApplicationFilter{}); len(apps) != 1 {
		t.Errorf("%d applications", len(apps))
	}
	audit := auditText(t, c)
	for _, want := range []string{"office staff|import credit rules|rule set version 1", "office staff|apply credit conversion|application " + app.ID, "office staff|approve credit conversion|application " + app.ID} {
		if !strings.Contains(audit, want) {
			t.Errorf("the audit log lacks %q:\n%s", want, audit)
		}
	}
	if strings.Contains(audit, servertest.HolderID) || strings.Contains(audit, servertest.HolderName) {
		t.Error("the audit log names the learner")
	}
}

// TestCreditRefusal: a refusal from the applications page, with its
// reason, shown in English too; the learner may apply again.
func TestCreditRefusal(t *testing.T) {
	c, cert := servertest.Certified(t)
	c.ImportSampleRules(t)
	staff := c.SignedIn(t, server.RoleAdmin)
	acct := accountPath(t, staff)
	staff.Page(acct)
	if code, _, _ := staff.Post(acct, url.Values{"outcome": {"certificate:" + cert.Number}, "school": {servertest.CreditSchool2}, "course": {"W9"}}); code != http.StatusSeeOther {
		t.Fatalf("apply: %d", code)
	}
	apps, _ := c.CreditApplications(context.Background(), server.ApplicationFilter{})
	if len(apps) != 1 {
		t.Fatalf("%d applications", len(apps))
	}
	staff.Page("/office/credit/applications?lang=en")
	if code, body, _ := staff.Post("/office/credit/applications/"+apps[0].ID, url.Values{"decision": {"refuse"}}); code != http.StatusBadRequest || !strings.Contains(body, "Give the reason") {
		t.Errorf("refuse without a reason: %d\n%s", code, body)
	}
	if code, _, _ := staff.Post("/office/credit/applications/"+apps[0].ID, url.Values{"decision": {"refuse"}, "reason": {"学时不足"}}); code != http.StatusSeeOther {
		t.Fatalf("refuse: %d", code)
	}
	if body := staff.Page("/office/credit/applications?state=refused"); !strings.Contains(body, "refused") || !strings.Contains(body, "学时不足") {
		t.Errorf("refused in English:\n%s", body)
	}
	if body := staff.Page(acct); !strings.Contains(body, "offered") || !strings.Contains(staff.Raw, `class="apply"`) {
		t.Errorf("after a refusal the conversion is not offered again:\n%s", body)
	}
}

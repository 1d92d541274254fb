package office_test

import (
	"bytes"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"onex/exam"
	"onex/server"
	"onex/server/servertest"
)

// TestFeePagesByRole: staff see the fee statement (counts by kind, payable,
// the amount at the catalogue's fee) with the exempt candidates' names,
// download it and the per-candidate list as CSV for Excel, and change an
// exemption on the session's page with a reason the form must give
// (audited; a forged form changes nothing); an inspector sees the counts
// only, downloads the statement but not the names, and has no form; a
// marker sees nothing of fees.
func TestFeePagesByRole(t *testing.T) {
	c := servertest.New(t)
	id := c.Session.ID
	staff, inspector, marker := c.SignedIn(t, server.RoleStaff), c.SignedIn(t, server.RoleInspector), c.SignedIn(t, server.RoleMarker)
	row := func(o *servertest.Office, id string) string {
		t.Helper()
		i := strings.Index(o.Raw, `id="`+id+`"`)
		if i < 0 {
			t.Fatalf("no %s on the page", id)
		}
		return o.Raw[i:min(len(o.Raw), i+800)]
	}

	body := staff.Page("/office/fees")
	for _, want := range []string{"考试费统计", id, "ORG-WEB", "SITE-001", "建档立卡", "低保", "350.00", "12600.00", "于晨", `id="fees-candidates-csv"`, `id="nav-fees"`} {
		if !strings.Contains(body, want) && !strings.Contains(staff.Raw, want) {
			t.Errorf("staff's statement lacks %q", want)
		}
	}
	if total := row(staff, "fee-total"); !strings.Contains(total, "<td>40</td><td>4</td><td>2</td><td>1</td><td>0</td><td>1</td><td>0</td><td>36</td>") {
		t.Errorf("total row %s", total)
	}
	csv := fetch(t, staff, c.URL, "/office/fees/statement.csv?org=ORG-WEB", "text/csv; charset=utf-8", "fees.csv")
	if !bytes.HasPrefix(csv, []byte("\ufeff考核批次,考核时间,")) || !bytes.Contains(csv, []byte(",40,4,2,1,0,1,0,36,350.00,12600.00\r\n")) || bytes.Contains(csv, []byte("于晨")) {
		t.Errorf("statement CSV:\n%s", csv)
	}
	names := fetch(t, staff, c.URL, "/office/fees/candidates.csv?session="+id, "text/csv; charset=utf-8", "fee-candidates.csv")
	if !bytes.HasPrefix(names, []byte("\ufeff考核批次,")) || !bytes.Contains(names, []byte(",2026WEB010003,于晨,是,建档立卡,0.00\r\n")) {
		t.Errorf("candidates CSV:\n%s", names)
	}
	for path, want := range map[string]int{
		"/office/fees?org=ORG-BIM":        http.StatusOK,
		"/office/fees?from=2026-13-01":    http.StatusBadRequest,
		"/office/sessions/nope/fees":      http.StatusNotFound,
		"/office/fees/statement.csv?to=x": http.StatusBadRequest,
	} {
		if code, body := staff.Get(path); code != want || want == http.StatusOK && strings.Contains(body, "于晨") {
			t.Errorf("GET %s: %d, want %d", path, code, want)
		}
	}

	// The session page shows the kind; its fee page has the form.
	if body := staff.Page("/office/sessions/" + id); !strings.Contains(body, "建档立卡") || !strings.Contains(staff.Raw, `id="fees-link"`) {
		t.Error("the session page shows no kind of exemption or no link to its fees")
	}
	page := "/office/sessions/" + id + "/fees"
	staff.Page(page)
	if !strings.Contains(staff.Raw, `id="exemption-form"`) {
		t.Fatal("staff's session fee page has no form")
	}
	for _, tc := range []struct {
		name string
		form url.Values
		want string
	}{
		{"no reason", url.Values{"ticket": {"2026WEB010001"}, "kind": {"subsistence"}, "reason": {" "}}, "请填写原因"},
		{"no kind", url.Values{"ticket": {"2026WEB010001"}, "reason": {"x"}}, "请选择免费类别"},
		{"unknown kind", url.Values{"ticket": {"2026WEB010001"}, "kind": {"unspecified"}, "reason": {"x"}}, "请选择免费类别"},
		{"no ticket", url.Values{"kind": {"none"}, "reason": {"x"}}, "请填写准考证号"},
		{"unknown ticket", url.Values{"ticket": {"T404"}, "kind": {"none"}, "reason": {"x"}}, "has no candidate with ticket T404"},
		{"reason too long", url.Values{"ticket": {"2026WEB010001"}, "kind": {"other"}, "reason": {strings.Repeat("长", 2001)}}, "原因不能超过 2000 个字"},
	} {
		code, body, _ := staff.Post(page, tc.form)
		if code != http.StatusBadRequest || !strings.Contains(body, tc.want) {
			t.Errorf("%s: %d, want 400 with %q", tc.name, code, tc.want)
		}
	}
	if code, _, _ := staff.Post(page, url.Values{"ticket": {"2026WEB010001"}, "kind": {"other"}, "reason": {"x"}, "csrf": {"forged"}}); code != http.StatusForbidden {
		t.Errorf("without the CSRF token: %d", code)
	}
	if roster, _ := c.Roster(t.Context(), id); roster[0].FeeExempt {
		t.Fatal("a refused form changed the exemption")
	}
	code, _, h := staff.Post(page, url.Values{"ticket": {"2026WEB010001"}, "kind": {"subsistence"}, "reason": {"低保证明已核"}})
	if code != http.StatusSeeOther {
		t.Fatalf("change: %d", code)
	}
	if body := staff.Page(h.Get("Location")); !strings.Contains(body, "免考已更改") || !strings.Contains(body, "毛娜") {
		t.Errorf("after the change the page does not say so or list 毛娜")
	}
	if roster, _ := c.Roster(t.Context(), id); !roster[0].FeeExempt || roster[0].FeeKind != exam.FeeSubsistence {
		t.Errorf("stored %+v", roster[0])
	}
	log, _ := c.AuditLog(t.Context())
	last := log.Entries[len(log.Entries)-1]
	if last.Actor != "office staff" || last.Action != "change fee exemption" || last.Detail != "session "+id+" ticket 2026WEB010001: none -> subsistence: 低保证明已核" {
		t.Errorf("audit %+v", last)
	}

	// The inspector: counts, no names, no form, no per-candidate list.
	body = inspector.Page("/office/fees")
	if strings.Contains(body, "于晨") || strings.Contains(body, "毛娜") || strings.Contains(inspector.Raw, `id="fees-candidates-csv"`) || !strings.Contains(inspector.Raw, `id="fees-no-names"`) {
		t.Errorf("the inspector's statement shows names or the list:\n%s", body)
	}
	if total := row(inspector, "fee-total"); !strings.Contains(total, "<td>40</td><td>5</td>") {
		t.Errorf("inspector's total %s", total)
	}
	body = inspector.Page(page)
	if strings.Contains(inspector.Raw, `id="exemption-form"`) || strings.Contains(body, "毛娜") {
		t.Error("the inspector's session fee page has the form or names")
	}
	fetch(t, inspector, c.URL, "/office/fees/statement.csv?session="+id, "text/csv; charset=utf-8", "fees.csv")
	if code, _ := inspector.Get("/office/fees/candidates.csv?session=" + id); code != http.StatusForbidden {
		t.Errorf("inspector, per-candidate CSV: %d", code)
	}
	if code, _, _ := inspector.Post(page, url.Values{"ticket": {"2026WEB010001"}, "kind": {"none"}, "reason": {"x"}}); code != http.StatusForbidden {
		t.Errorf("inspector, change: %d", code)
	}

	// The marker: nothing.
	for _, path := range []string{"/office/fees", page, "/office/fees/statement.csv", "/office/fees/candidates.csv"} {
		if code, _ := marker.Get(path); code != http.StatusForbidden {
			t.Errorf("marker, %s: %d", path, code)
		}
	}
	if roster, _ := c.Roster(t.Context(), id); !roster[0].FeeExempt {
		t.Error("a refused role changed the exemption")
	}
}

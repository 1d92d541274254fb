package office_test

import (
	"bytes"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"onex/exam/inspect"
	"onex/server"
	"onex/server/servertest"
)

// registerFile is a register file of server/testdata.
func registerFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// uploadRegisters posts the two register files as the registers form does.
func uploadRegisters(t *testing.T, o *servertest.Office, base, csrf string, sites, inspectors []byte) (int, string) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("csrf", csrf)
	for field, b := range map[string][]byte{"sites": sites, "inspectors": inspectors} {
		if b != nil {
			fw, _ := mw.CreateFormFile(field, field+".csv")
			fw.Write(b)
		}
	}
	mw.Close()
	req, err := http.NewRequest("POST", base+"/office/inspections/registers", &body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	code, page, _ := o.Do(req)
	return code, page
}

// drawPath is the path of the only draw's page.
var drawPath = regexp.MustCompile(`/office/inspections/[0-9]+`)

// commitForm is a plan of 34 % of the six sample sites (3), at least 1, 2
// inspectors each, seeded by a 双色球 draw's red and blue balls.
func commitForm() url.Values {
	return url.Values{"share": {"34"}, "min_sites": {"1"}, "per_site": {"2"},
		"kind":  {"numbers", "numbers", "numbers"},
		"count": {"6", "1", ""},
		"name":  {"中国福利彩票双色球第2026140期红球", "中国福利彩票双色球第2026140期蓝球", ""}}
}

// TestInspectionPagesByRole: staff import the registers (a bad file is
// refused whole with its file, row and field named), commit a plan (one it
// cannot draw is refused), type the values (the wrong count of numbers is
// refused) and draw once, download the transcript, which verifies against
// the registers, record findings with a deadline and close them; no form
// acts without its CSRF token; an inspector reads every page and acts on
// none; a marker sees nothing; each change is in the audit log.
func TestInspectionPagesByRole(t *testing.T) {
	c := servertest.New(t)
	staff, inspector, marker := c.SignedIn(t, server.RoleStaff), c.SignedIn(t, server.RoleInspector), c.SignedIn(t, server.RoleMarker)
	sites, inspectors := registerFile(t, "registers-sites.csv"), registerFile(t, "registers-inspectors.csv")
	reg, err := inspect.ParseRegisters("sites.csv", sites, "inspectors.csv", inspectors)
	if err != nil {
		t.Fatal(err)
	}
	hash, _ := reg.Hash()

	body := staff.Page("/office/inspections")
	for _, want := range []string{"尚未导入名录", `id="registers-form"`} {
		if !strings.Contains(body, want) && !strings.Contains(staff.Raw, want) {
			t.Errorf("the empty start page lacks %q", want)
		}
	}
	if strings.Contains(staff.Raw, `id="commit-form"`) {
		t.Error("a commitment is offered with no registers")
	}
	if code, _ := uploadRegisters(t, staff, c.URL, "forged", sites, inspectors); code != http.StatusForbidden {
		t.Errorf("registers without the CSRF token: %d, want 403", code)
	}
	code, body := uploadRegisters(t, staff, c.URL, staff.CSRF, sites, registerFile(t, "registers-inspectors-bad.csv"))
	if code != http.StatusBadRequest || !strings.Contains(body, "row 3") || !strings.Contains(body, "sites") || !strings.Contains(body, "S09") {
		t.Errorf("bad registers: %d, want 400 naming row 3, field sites, S09:\n%s", code, body)
	}
	if code, body := uploadRegisters(t, staff, c.URL, staff.CSRF, sites, nil); code != http.StatusBadRequest || !strings.Contains(body, "请选择检查人员名录") {
		t.Errorf("one file missing: %d", code)
	}
	if body := staff.Page("/office/inspections"); !strings.Contains(body, "尚未导入名录") {
		t.Error("a refused import left registers")
	}
	if code, _ := uploadRegisters(t, staff, c.URL, staff.CSRF, sites, inspectors); code != http.StatusSeeOther {
		t.Fatalf("good registers: %d", code)
	}
	body = staff.Page("/office/inspections?msg=done.insp_registers")
	for _, want := range []string{"名录已导入", hexOf(hash), "考点 6 个，检查人员 7 名", "城南培训中心考点", "王芳", `id="commit-form"`} {
		if !strings.Contains(body, want) && !strings.Contains(staff.Raw, want) {
			t.Errorf("the start page after the import lacks %q", want)
		}
	}

	// The commitment: refused forms change nothing.
	for _, tc := range []struct {
		name string
		edit func(url.Values)
		want string
	}{
		{"one inspector per site", func(f url.Values) { f.Set("per_site", "1") }, "inspectors_per_site"},
		{"no share", func(f url.Values) { f.Set("share", "x") }, "“抽取比例（%）”须为整数"},
		{"no source", func(f url.Values) { f["name"] = []string{"", "", ""} }, "请至少填写一项公开数值"},
		{"a numbers source without a count", func(f url.Values) { f["count"] = []string{"", "1", ""} }, "第 1 项公开数值"},
		{"more sites than the register", func(f url.Values) { f.Set("min_sites", "7") }, "7"},
	} {
		f := commitForm()
		tc.edit(f)
		code, body, _ := staff.Post("/office/inspections", f)
		if code != http.StatusBadRequest || !strings.Contains(body, tc.want) {
			t.Errorf("%s: %d, want 400 with %q", tc.name, code, tc.want)
		}
	}
	if code, _, _ := staff.Post("/office/inspections", withCSRF(commitForm(), "forged")); code != http.StatusForbidden {
		t.Errorf("commit without the CSRF token: %d", code)
	}
	if code, _, _ := inspector.Post("/office/inspections", withCSRF(commitForm(), inspector.CSRF)); code != http.StatusForbidden {
		t.Errorf("an inspector commits: %d, want 403", code)
	}
	if list, err := c.Inspections(t.Context()); err != nil || len(list) != 0 {
		t.Fatalf("refused forms made %d commitments (%v)", len(list), err)
	}
	code, _, h := staff.Post("/office/inspections", commitForm())
	if code != http.StatusSeeOther || !drawPath.MatchString(h.Get("Location")) {
		t.Fatalf("commit: %d %q", code, h.Get("Location"))
	}
	draw := drawPath.FindString(h.Get("Location"))
	list, err := c.Inspections(t.Context())
	if err != nil || len(list) != 1 {
		t.Fatalf("commitments: %d (%v)", len(list), err)
	}
	body = staff.Page(h.Get("Location"))
	for _, want := range []string{"承诺已发布", list[0].CommitmentSHA256, hexOf(hash), "抽取考点 34%（至少 1 个），每个考点 2 名检查人员",
		"中国福利彩票双色球第2026140期红球（数字 6 个）", "请在公开数值正式公布之后再录入", `id="value-1"`} {
		if !strings.Contains(body, want) && !strings.Contains(staff.Raw, want) {
			t.Errorf("the committed draw's page lacks %q", want)
		}
	}

	// The inspector reads the draw but has no form.
	if body := inspector.Page(draw); !strings.Contains(body, list[0].CommitmentSHA256) || strings.Contains(inspector.Raw, `id="values-form"`) {
		t.Error("the inspector does not see the commitment, or is offered the values form")
	}
	if code, _, _ := inspector.Post(draw, url.Values{"value": {"1 2 3 4 5 6", "7"}}); code != http.StatusForbidden {
		t.Errorf("an inspector draws: %d", code)
	}
	for _, p := range []string{"/office/inspections", draw} {
		if code, _ := marker.Get(p); code != http.StatusForbidden {
			t.Errorf("a marker reads %s: %d, want 403", p, code)
		}
	}

	// The values: five red balls are refused; the draw happens once.
	staff.Page(draw)
	if code, body, _ := staff.Post(draw, url.Values{"value": {"07 12 19 23 28", "09"}}); code != http.StatusBadRequest || !strings.Contains(body, "values[0]") && !strings.Contains(body, "6") {
		t.Errorf("five red balls: %d\n%s", code, body)
	}
	if code, _, _ := staff.Post(draw, url.Values{"value": {"07 12 19 23 28 33", "09"}, "csrf": {"forged"}}); code != http.StatusForbidden {
		t.Errorf("draw without the CSRF token: %d", code)
	}
	if d, _ := c.Inspection(t.Context(), list[0].ID); d.Drawn {
		t.Fatal("a refused form drew")
	}
	if code, _, h := staff.Post(draw, url.Values{"value": {"07 12 19 23 28 33", "09"}}); code != http.StatusSeeOther {
		t.Fatalf("draw: %d %v", code, h)
	}
	if code, _, _ := staff.Post(draw, url.Values{"value": {"01 02 03 04 05 06", "10"}}); code == http.StatusSeeOther {
		t.Error("a second draw was accepted")
	}
	d, err := c.Inspection(t.Context(), list[0].ID)
	if err != nil || !d.Drawn || len(d.Sites) != 3 {
		t.Fatalf("the draw: %+v (%v)", d, err)
	}
	body = staff.Page(draw)
	for _, want := range []string{"7.12.19.23.28.33./9./", d.Transcript.Seed, d.Sites[0].SiteName, `id="transcript-download"`} {
		if !strings.Contains(body, want) && !strings.Contains(staff.Raw, want) {
			t.Errorf("the drawn page lacks %q", want)
		}
	}
	tr := fetch(t, inspector, c.URL, draw+"/transcript.json", "application/json", "")
	if got, err := inspect.Verify(tr, reg); err != nil || len(got.Draw) != 3 {
		t.Errorf("the office's transcript does not verify: %v", err)
	}

	// Findings of the first site drawn.
	site := d.Sites[0]
	sitePage := draw + "/sites/" + url.PathEscape(site.SiteCode)
	body = staff.Page(sitePage)
	for _, want := range []string{site.SiteName, "考场设施设备", "考核保密", "收费", "证书发放", `id="findings-form"`} {
		if !strings.Contains(body, want) && !strings.Contains(staff.Raw, want) {
			t.Errorf("the site's page lacks %q", want)
		}
	}
	if inspector.Page(sitePage); strings.Contains(inspector.Raw, `id="findings-form"`) {
		t.Error("the inspector is offered the findings form")
	}
	findings := url.Values{"op": {"findings"}}
	for _, item := range inspect.Checklist {
		findings.Set("verdict-"+item.Code, "pass")
	}
	findings.Set("verdict-fees", "issue")
	findings.Set("note-fees", "向考生收取资料费 200 元")
	for _, tc := range []struct {
		name string
		edit func(url.Values)
	}{
		{"no verdict", func(f url.Values) { f.Del("verdict-premises") }},
		{"a deadline that is no date", func(f url.Values) { f.Set("deadline", "next week") }},
		{"an issue without a deadline", func(f url.Values) { f.Del("deadline") }},
		{"an unknown action", func(f url.Values) { f.Set("op", "erase") }},
	} {
		f := url.Values{}
		for k, v := range findings {
			f[k] = v
		}
		f.Set("deadline", "2026-12-31")
		tc.edit(f)
		if code, _, _ := staff.Post(sitePage, f); code != http.StatusBadRequest {
			t.Errorf("%s: %d, want 400", tc.name, code)
		}
	}
	findings.Set("deadline", "2026-12-31")
	if code, _, _ := staff.Post(sitePage, withCSRF(findings, "forged")); code != http.StatusForbidden {
		t.Errorf("findings without the CSRF token: %d", code)
	}
	if code, _, _ := inspector.Post(sitePage, withCSRF(findings, inspector.CSRF)); code != http.StatusForbidden {
		t.Errorf("an inspector records findings: %d", code)
	}
	code, _, h = staff.Post(sitePage, findings)
	if code != http.StatusSeeOther {
		t.Fatalf("findings: %d", code)
	}
	body = staff.Page(h.Get("Location"))
	for _, want := range []string{"检查结果已保存", "限期整改", "2026-12-31", "向考生收取资料费 200 元", `id="close-form"`} {
		if !strings.Contains(body, want) && !strings.Contains(staff.Raw, want) {
			t.Errorf("the site's page after the findings lacks %q", want)
		}
	}
	if code, _, _ := staff.Post(sitePage, url.Values{"op": {"close"}, "note": {" "}}); code != http.StatusBadRequest {
		t.Errorf("closing without a note: %d", code)
	}
	if code, _, _ := staff.Post(sitePage, url.Values{"op": {"close"}, "note": {"已退还全部资料费"}}); code != http.StatusSeeOther {
		t.Fatalf("close: %d", code)
	}
	if body := inspector.Page(sitePage); !strings.Contains(body, "已整改") || strings.Contains(inspector.Raw, `id="close-form"`) {
		t.Errorf("after closing, the inspector's page:\n%s", body)
	}

	// Every change, by whom, in the audit log.
	log, err := c.AuditLog(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var byStaff int
	for _, e := range log.Entries {
		if e.Actor == "office staff" && strings.Contains(strings.ToLower(e.Action), "inspection") {
			byStaff++
		}
	}
	if byStaff < 5 { // registers, commit, draw, findings, close
		t.Errorf("%d audit entries of inspections by staff, want at least 5: %+v", byStaff, log.Entries)
	}
}

// withCSRF is the form with the token set.
func withCSRF(f url.Values, token string) url.Values {
	g := url.Values{}
	for k, v := range f {
		g[k] = v
	}
	g.Set("csrf", token)
	return g
}

func hexOf(h [32]byte) string { return fmt.Sprintf("%x", h) }

// TestInspectionsInChromium drives a draw in a real headless Chromium: the
// admin imports registers (a bad file first, its row named), publishes a
// commitment, types the values and draws, records a site's findings with
// an issue and a deadline and closes the rectification; then the public
// page, in Chinese and in English, shows the commitment and the outcome,
// and the transcript and registers its links download verify with
// exam/inspect.
func TestInspectionsInChromium(t *testing.T) {
	c := servertest.New(t)
	abs := func(name string) string {
		p, err := filepath.Abs(filepath.Join("..", "testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	ctx := servertest.Chromium(t)
	do, text := browserSteps(t, ctx)

	do("sign in", signInAt(c, "/office/inspections", "registers-submit")...)
	if nav := text("#nav-inspections"); nav != "双随机抽查" {
		t.Errorf("the nav item reads %q", nav)
	}
	// upload picks the two register files and sends them, then waits for ready.
	upload := func(inspectors, ready string) []chromedp.Action[chromedp.Void] {
		return []chromedp.Action[chromedp.Void]{
			chromedp.SetUploadFiles(chromedp.ID("registers-sites-file"), []string{abs("registers-sites.csv")}),
			chromedp.SetUploadFiles(chromedp.ID("registers-inspectors-file"), []string{abs(inspectors)}),
			chromedp.Click(chromedp.ID("registers-submit")),
			chromedp.WaitVisible(chromedp.ID(ready)),
		}
	}
	do("import bad registers", upload("registers-inspectors-bad.csv", "problems")...)
	if p := text("#problems"); !strings.Contains(p, "row 3") || !strings.Contains(p, "S09") {
		t.Errorf("the refused registers' problems: %q", p)
	}
	do("import the registers", upload("registers-inspectors.csv", "commit-form")...)
	if n := text("#registers-counts"); n != "考点 6 个，检查人员 7 名" {
		t.Errorf("registers: %q", n)
	}
	do("publish the commitment",
		chromedp.SetValue(chromedp.ID("commit-share"), "34"),
		chromedp.SetValue(chromedp.ID("commit-per-site"), "2"),
		chromedp.SetValue(chromedp.ID("commit-count-0"), "6"),
		chromedp.SendKeys(chromedp.ID("commit-name-0"), "中国福利彩票双色球第2026140期红球"),
		chromedp.SetValue(chromedp.ID("commit-count-1"), "1"),
		chromedp.SendKeys(chromedp.ID("commit-name-1"), "中国福利彩票双色球第2026140期蓝球"),
		chromedp.Click(chromedp.ID("commit-submit")),
		chromedp.WaitVisible(chromedp.ID("values-form")))
	hash := text("#commitment-hash")
	if w := text("#values-warning"); !strings.Contains(w, "公开数值正式公布之后再录入") {
		t.Errorf("the values warning: %q", w)
	}
	do("type the values and draw",
		chromedp.SendKeys(chromedp.ID("value-0"), "07 12 19 23 28 33"),
		chromedp.SendKeys(chromedp.ID("value-1"), "09"),
		chromedp.Click(chromedp.ID("draw-submit")),
		chromedp.WaitVisible(chromedp.ID("draw-result")))
	if key := text("#transcript-key"); key != "7.12.19.23.28.33./9./" {
		t.Errorf("key %q", key)
	}
	if rows, err := chromedp.Run(ctx, chromedp.Nodes(chromedp.CSSAll("#draw-result tr"))); err != nil || len(rows) != 4 {
		t.Errorf("the result has %d rows (%v), want a header and 3 sites", len(rows), err)
	}
	do("open the first site and record an issue",
		chromedp.Click(chromedp.ID("findings-link-0")),
		chromedp.WaitVisible(chromedp.ID("findings-form")),
		chromedp.Click(chromedp.ID("verdict-fees-issue")),
		chromedp.SendKeys(chromedp.ID("note-fees"), "向考生收取资料费"),
		chromedp.SetValue(chromedp.ID("findings-deadline"), "2026-12-31"),
		chromedp.Click(chromedp.ID("findings-submit")),
		chromedp.WaitVisible(chromedp.ID("close-form")))
	if o := text("#site-outcome"); o != "限期整改" {
		t.Errorf("outcome %q", o)
	}
	site := text("#site-name")
	do("close the rectification",
		chromedp.SendKeys(chromedp.ID("close-note"), "资料费已全部退还"),
		chromedp.Click(chromedp.ID("close-submit")),
		chromedp.WaitVisible(chromedp.ID("site-close-note")))
	if o := text("#site-outcome"); o != "已整改" {
		t.Errorf("outcome after closing %q", o)
	}

	// The public page, in Chinese, then English by its link.
	do("the public page", chromedp.Navigate(c.URL+"/inspections"), chromedp.WaitVisible(chromedp.ID("draw-1")))
	if h1 := text("h1"); h1 != "双随机抽查结果公开" {
		t.Errorf("h1 %q", h1)
	}
	if got := text(".commitment-hash"); got != hash {
		t.Errorf("the public commitment hash %q, the office's %q", got, hash)
	}
	if row := text("#outcomes-1"); !strings.Contains(row, site) || !strings.Contains(row, "已整改：收费") || !strings.Contains(row, "2026-12-31 · 已整改") || strings.Contains(row, "资料费") {
		t.Errorf("the public outcomes:\n%s", row)
	}
	do("in English", chromedp.Click(chromedp.ID("inspections-lang")), chromedp.WaitVisible(chromedp.ID("draw-1")))
	if h1 := text("h1"); h1 != "Random inspections: results" {
		t.Errorf("English h1 %q", h1)
	}
	if row := text("#outcomes-1"); !strings.Contains(row, "rectified: Fees") {
		t.Errorf("the English outcomes:\n%s", row)
	}
	if js, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.scripts.length`)); err != nil || js != 0 {
		t.Errorf("the public page has %d scripts (%v)", js, err)
	}
	get := func(id string) []byte {
		t.Helper()
		href, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("`+id+`").href`))
		if err != nil {
			t.Fatalf("link #%s: %v", id, err)
		}
		resp, err := c.HTTP.Get(href)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d %v", href, resp.StatusCode, err)
		}
		return b
	}
	reg, err := inspect.ParseRegisters("sites.csv", get("sites-1"), "inspectors.csv", get("inspectors-1"))
	if err != nil {
		t.Fatal(err)
	}
	if tr, err := inspect.Verify(get("transcript-1"), reg); err != nil || tr.CommitmentSHA256 != hash {
		t.Errorf("the transcript from the public page does not verify against its registers: %v", err)
	}
}

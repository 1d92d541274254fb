package office_test

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"onex/exam"
	"onex/exam/credential"
	"onex/internal/qrscan"
	"onex/server"
	"onex/server/servertest"
	osync "onex/sync"
)

// Tickets of the sample roster: t1 passes, t2 fails, t3 is absent.
const t2 = "2026WEB010002"

// holder is t1's name on the sample roster.
const holder = "毛娜"

// gradedSession is the sample session on the objective part of the sample
// paper (servertest.ObjectivePaper: scored complete at once) after the
// room: t1 answered everything right, t2 answered wrongly, t3 was absent;
// so every result of the three is ready to approve. When approve, they are
// approved as well.
func gradedSession(t *testing.T, approve bool) *servertest.Central {
	t.Helper()
	c := servertest.New(t, servertest.ObjectivePaper())
	id := c.Session.ID
	d := c.Enrol(t, "SITE-001")
	c.Release()
	envs := [][]byte{
		d.Seal(osync.KindCheckIn, osync.CheckIn{SessionID: id, Ticket: t1, Status: exam.Present}).Bytes,
		d.Seal(osync.KindCheckIn, osync.CheckIn{SessionID: id, Ticket: t2, Status: exam.Present}).Bytes,
		d.Seal(osync.KindCheckIn, osync.CheckIn{SessionID: id, Ticket: t3, Status: exam.Absent}).Bytes,
		d.Seal(osync.KindSubmission, servertest.Submission(c.Session, t1, servertest.RightAnswers)).Bytes,
		d.Seal(osync.KindSubmission, servertest.Submission(c.Session, t2, servertest.WrongAnswers)).Bytes,
	}
	if code, resp := d.Push(envs...); code != 200 || resp.Results[len(envs)-1].Outcome != osync.Accepted {
		t.Fatalf("push: %d %+v", code, resp)
	}
	if approve {
		rep, err := c.Approve(t.Context(), id, "office staff")
		if err != nil || len(rep.Done) != 3 {
			t.Fatalf("approve: %+v %v", rep, err)
		}
	}
	return c
}

// TestCertificatePagesByRole: staff issue a session's certificates from
// its page (only the approved results that pass, each other one listed
// with why, once per candidate), see them listed with the holder's name,
// open one, get its QR (a PNG that decodes to the signed text), its PDF
// (whose QR, read from the rasterised page, verifies with central's trust
// list to the certificate's claims) and its VC token as attachments named
// by its number, and suspend, reinstate and revoke it, each with a reason
// the form must give, the status list changing at once; a form
// without the CSRF token changes nothing; an inspector sees the list and
// the page without names, QR or files and cannot act; a marker sees
// nothing of certificates; staff rotate the issuer key, which the
// inspector sees and cannot do; all in the audit log.
func TestCertificatePagesByRole(t *testing.T) {
	c := gradedSession(t, true)
	id := c.Session.ID
	list := "/office/sessions/" + id + "/certificates"
	staff, inspector, marker := c.SignedIn(t, server.RoleStaff), c.SignedIn(t, server.RoleInspector), c.SignedIn(t, server.RoleMarker)

	// Nothing is issued without the form's CSRF token.
	staff.Page(list)
	if code, _, _ := staff.Post(list, url.Values{"csrf": {"forged"}}); code != http.StatusForbidden {
		t.Errorf("certify without the CSRF token: %d, want 403", code)
	}
	if certs, err := c.Certificates(t.Context(), id); err != nil || len(certs) != 0 {
		t.Fatalf("a forged form issued %d certificates (%v)", len(certs), err)
	}

	// Issue: t1 gets one, t2 (failed) and t3 (absent) are listed with why.
	if body := staff.Page("/office/sessions/" + id + "/results"); !strings.Contains(staff.Raw, `id="certificates-link"`) {
		t.Errorf("the results page has no link to the certificates:\n%s", body)
	}
	code, body, _ := staff.Post(list, url.Values{})
	if code != http.StatusOK || !strings.Contains(body, "本次颁发 1 张证书") {
		t.Fatalf("certify: %d\n%s", code, body)
	}
	certs, err := c.Certificates(t.Context(), id)
	if err != nil || len(certs) != 1 || certs[0].Ticket != t1 || certs[0].HolderName != holder {
		t.Fatalf("certificates issued: %+v, %v", certs, err)
	}
	cert := certs[0]
	for _, want := range []string{t2, t3, cert.Number, holder, "有效", "初级"} {
		if !strings.Contains(body, want) {
			t.Errorf("the report and list lack %q:\n%s", want, body)
		}
	}
	if strings.Contains(body, "本次颁发 1 张证书。</p>\n<p>未颁发 0") {
		t.Error("the report lists no skipped result")
	}
	// Again: nothing new, t1 listed as certified already.
	if code, body, _ := staff.Post(list, url.Values{}); code != http.StatusOK || !strings.Contains(body, "本次颁发 0 张证书") || !strings.Contains(body, t1) {
		t.Errorf("certify again: %d\n%s", code, body)
	}
	if certs, _ := c.Certificates(t.Context(), id); len(certs) != 1 {
		t.Errorf("certifying again made %d certificates", len(certs))
	}

	// The certificate's page and its files.
	page := "/office/certificates/" + url.PathEscape(cert.Number)
	body = staff.Page(page)
	for _, want := range []string{cert.Number, holder, `id="cert-qr"`, `id="cert-pdf"`, `id="cert-vc"`, `id="status-form"`} {
		if !strings.Contains(staff.Raw, want) && !strings.Contains(body, want) {
			t.Errorf("the certificate's page lacks %q", want)
		}
	}
	if got, err := qrscan.ReadPNG(fetch(t, staff, c.URL, page+"/qr.png", "image/png", "")); err != nil || got != cert.QR {
		t.Errorf("the QR image reads back %q (%v), not the certificate's text", got, err)
	}
	pdf := fetch(t, staff, c.URL, page+"/pdf", "application/pdf", cert.Number+".pdf")
	if !bytes.HasPrefix(pdf, []byte("%PDF-")) || len(pdf) < 10_000 {
		t.Errorf("PDF: %d bytes, %q", len(pdf), pdf[:min(8, len(pdf))])
	}
	// The PDF's QR, read from the page as a phone would, verifies with the
	// trust list central gives verifiers to the certificate's own claims.
	tl := trustList(t, c)
	if text, err := qrscan.ReadPNG(rasterise(t, pdf, "150")); err != nil || text != cert.QR {
		t.Errorf("the PDF's QR reads %q (%v), want the certificate's text", text, err)
	} else if claims, err := credential.VerifyText(text, tl); err != nil || claims.Number != cert.Number || claims.Holder != holder || claims.StatusIndex != cert.StatusIndex {
		t.Errorf("the PDF's QR verifies to %+v (%v)", claims, err)
	}
	if out := os.Getenv("OFFICE_CERTIFICATE_SCREENSHOT"); out != "" { // the README's picture: a certificate central issued
		if err := os.WriteFile(out, rasterise(t, pdf, "100"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if vc := fetch(t, staff, c.URL, page+"/vc", "application/vc+jwt", cert.Number+".jwt"); string(vc) != cert.VC || strings.Count(string(vc), ".") != 2 {
		t.Errorf("VC token %q, want the certificate's %q", vc, cert.VC)
	}
	if code, _ := staff.Get("/office/certificates/WEB-1-2026-999999"); code != http.StatusNotFound {
		t.Errorf("an unknown certificate: %d, want 404", code)
	}
	if code, _, h := staff.Do(mustRequest(t, c.URL+"/office/certificates?number="+url.QueryEscape(cert.Number))); code != http.StatusSeeOther || h.Get("Location") != page {
		t.Errorf("find by number: %d %q", code, h.Get("Location"))
	}

	// Status changes: the reason is required, the change must be one offered.
	staff.Page(page)
	for _, tc := range []struct {
		name string
		form url.Values
		want string
	}{
		{"no reason", url.Values{"to": {"revoke"}, "reason": {"  "}}, "请填写原因"},
		{"reason too long", url.Values{"to": {"suspend"}, "reason": {strings.Repeat("长", 2001)}}, "原因不能超过 2000 个字"},
		{"unknown change", url.Values{"to": {"delete"}, "reason": {"x"}}, "请选择要进行的操作"},
	} {
		code, body, _ := staff.Post(page, tc.form)
		if code != http.StatusBadRequest || !strings.Contains(body, tc.want) {
			t.Errorf("%s: %d, want 400 with %q", tc.name, code, tc.want)
		}
	}
	if got, _ := c.Certificate(t.Context(), cert.Number); got.Status != credential.Valid {
		t.Fatalf("a refused form changed the status to %s", got.Status)
	}
	if code, _, _ := staff.Post(page, url.Values{"to": {"revoke"}, "reason": {"x"}, "csrf": {"forged"}}); code != http.StatusForbidden {
		t.Errorf("revoke without the CSRF token: %d", code)
	}
	for _, step := range []struct {
		to, reason, notice string
		want               credential.Status
	}{
		{"suspend", "证书信息核查中", "证书已暂停", credential.Suspended},
		{"reinstate", "核查无误", "证书已恢复有效", credential.Valid},
		{"revoke", "考试作弊，经查属实", "证书已撤销", credential.Revoked},
	} {
		code, _, h := staff.Post(page, url.Values{"to": {step.to}, "reason": {step.reason}})
		if code != http.StatusSeeOther {
			t.Fatalf("%s: %d", step.to, code)
		}
		body := staff.Page(h.Get("Location"))
		if !strings.Contains(body, step.notice) || !strings.Contains(body, step.reason) {
			t.Errorf("%s: the page does not say it (%q, %q)", step.to, step.notice, step.reason)
		}
		if got, err := c.Certificate(t.Context(), cert.Number); err != nil || got.Status != step.want || got.Reason != step.reason {
			t.Errorf("%s: status %s %q (%v), want %s", step.to, got.Status, got.Reason, err, step.want)
		}
		if listed := listedStatus(t, c, cert.StatusIndex); listed != step.want {
			t.Errorf("%s: the status list says %s, want %s at once", step.to, listed, step.want)
		}
	}
	if strings.Contains(staff.Raw, `id="status-form"`) {
		t.Error("a revoked certificate still offers a status change")
	}
	if code, body, _ := staff.Post(page, url.Values{"to": {"reinstate"}, "reason": {"撤销有误"}}); code != http.StatusBadRequest || !strings.Contains(body, "证书现为“已撤销”，不能这样更改") {
		t.Errorf("reinstating a revoked certificate: %d", code)
	}
	if got, _ := c.Certificate(t.Context(), cert.Number); got.Status != credential.Revoked {
		t.Errorf("a revoked certificate became %s", got.Status)
	}
	if body := staff.Page(page + "?lang=en"); !strings.Contains(body, "revoked") || !strings.Contains(body, "History (audit log)") {
		t.Error("the certificate's page in English")
	}
	staff.Page(page + "?lang=zh")

	// The issuer keys: one, current; staff rotate it (not without the CSRF
	// token), and the certificate issued before still verifies.
	staff.Page("/office/certificates")
	if n := strings.Count(staff.Raw, "<td><code>"); n != 1 || !strings.Contains(staff.Raw, "当前") || !strings.Contains(staff.Raw, `id="rotate"`) {
		t.Errorf("the issuer keys: %d shown, or none current, or no rotation offered", n)
	}
	if code, _, _ := staff.Post("/office/certificates/rotate", url.Values{"csrf": {"forged"}}); code != http.StatusForbidden {
		t.Errorf("rotate without the CSRF token: %d", code)
	}
	c.Clock.Add(time.Minute)
	if code, _, h := staff.Post("/office/certificates/rotate", url.Values{}); code != http.StatusSeeOther || !strings.Contains(staff.Page(h.Get("Location")), "已更换发证密钥") {
		t.Fatalf("rotate: %d", code)
	}
	if n := strings.Count(staff.Raw, "<td><code>"); n != 2 || strings.Count(staff.Raw, "当前") != 1 {
		t.Errorf("after the rotation: %d keys shown, %d current", n, strings.Count(staff.Raw, "当前"))
	}
	if claims, err := credential.VerifyText(cert.QR, trustList(t, c)); err != nil || claims.Number != cert.Number {
		t.Errorf("the certificate issued before the rotation: %v", err)
	}

	// An inspector sees the list and the page, without names, QR or files, and acts on nothing.
	for _, p := range []string{list, page, "/office/certificates"} {
		code, body := inspector.Get(p)
		if code != http.StatusOK || strings.Contains(body, holder) || strings.Contains(inspector.Raw, cert.QR) {
			t.Errorf("inspector GET %s: %d, or it holds the holder's name or QR", p, code)
		}
		for _, form := range []string{`id="certify"`, `id="status-form"`, `id="cert-qr"`, `id="cert-pdf"`} {
			if strings.Contains(inspector.Raw, form) {
				t.Errorf("inspector GET %s shows %s", p, form)
			}
		}
	}
	if !strings.Contains(inspector.Page(list), cert.Number) {
		t.Error("the inspector does not see the certificate's number")
	}
	for _, p := range []string{page + "/qr.png", page + "/pdf", page + "/vc"} {
		if code, _ := inspector.Get(p); code != http.StatusForbidden {
			t.Errorf("inspector GET %s: %d, want 403", p, code)
		}
	}
	if body := inspector.Page("/office/certificates"); !strings.Contains(inspector.Raw, `id="issuer-keys"`) || strings.Contains(body, `id="rotate"`) {
		t.Error("the inspector does not see the issuer keys, or is offered their rotation")
	}
	for _, p := range []string{list, page, "/office/certificates/rotate"} {
		if code, _, _ := inspector.Post(p, url.Values{"to": {"suspend"}, "reason": {"x"}}); code != http.StatusForbidden {
			t.Errorf("inspector POST %s: %d, want 403", p, code)
		}
	}

	// A marker sees nothing of certificates, not even the nav item.
	if marker.Page("/office/"); strings.Contains(marker.Raw, `id="nav-certificates"`) {
		t.Error("a marker is offered the certificates")
	}
	for _, p := range []string{"/office/certificates", list, page, page + "/qr.png", page + "/pdf", page + "/vc"} {
		if code, body := marker.Get(p); code != http.StatusForbidden || strings.Contains(body, holder) {
			t.Errorf("marker GET %s: %d, want 403", p, code)
		}
	}
	for _, p := range []string{list, page, "/office/certificates/rotate"} {
		if code, _, _ := marker.Post(p, url.Values{"to": {"suspend"}, "reason": {"x"}}); code != http.StatusForbidden {
			t.Errorf("marker POST %s: %d, want 403", p, code)
		}
	}

	// The page's history is the audit log's, and the audit log names the staff user.
	body = staff.Page(page)
	for _, want := range []string{"office staff", "考试作弊，经查属实", "证书信息核查中"} {
		if !strings.Contains(body, want) {
			t.Errorf("the certificate's history lacks %q", want)
		}
	}
	if audit := auditText(t, c); strings.Count(audit, "office staff|") < 5 || !strings.Contains(audit, "office staff|rotate issuer key|") {
		t.Errorf("the audit log lacks the staff's certify and status changes:\n%s", audit)
	}
}

// fetch GETs a download and checks its type, that it is not sniffed, and,
// unless name is "", that it is an attachment of that name.
func fetch(t *testing.T, o *servertest.Office, base, path, contentType, name string) []byte {
	t.Helper()
	code, _, h := o.Do(mustRequest(t, base+path))
	if code != http.StatusOK || h.Get("Content-Type") != contentType {
		t.Fatalf("GET %s: %d %q, want 200 %q", path, code, h.Get("Content-Type"), contentType)
	}
	if name != "" && h.Get("Content-Disposition") != `attachment; filename=`+name && h.Get("Content-Disposition") != `attachment; filename="`+name+`"` {
		t.Errorf("GET %s: Content-Disposition %q, want the attachment %s", path, h.Get("Content-Disposition"), name)
	}
	if name != "" && h.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("GET %s: sniffable", path)
	}
	return []byte(o.Raw)
}

// rasterise turns a PDF's page into a PNG with pdftoppm at dpi.
func rasterise(t *testing.T, pdf []byte, dpi string) []byte {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "c.pdf"), pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	if b, err := exec.Command("pdftoppm", "-png", "-r", dpi, "-singlefile", filepath.Join(dir, "c.pdf"), filepath.Join(dir, "c")).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v: %s", err, b)
	}
	b, err := os.ReadFile(filepath.Join(dir, "c.png"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// trustList is the trust list central gives verifiers, opened with the root it names.
func trustList(t *testing.T, c *servertest.Central) *credential.TrustList {
	t.Helper()
	tr, err := c.CertificateTrust(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	tl, err := credential.OpenTrustList(tr.TrustList, tr.Root)
	if err != nil {
		t.Fatal(err)
	}
	return tl
}

// listedStatus is a certificate's status in the status list central gives verifiers now.
func listedStatus(t *testing.T, c *servertest.Central, index uint32) credential.Status {
	t.Helper()
	tr, err := c.CertificateTrust(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	l, err := credential.OpenStatusList(tr.StatusList, trustList(t, c))
	if err != nil {
		t.Fatal(err)
	}
	s, err := l.Status(index)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func mustRequest(t *testing.T, u string) *http.Request {
	t.Helper()
	req, err := http.NewRequest("GET", u, nil)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// TestCertificatesInChromium: in a real headless Chromium, an admin
// approves the session's results from its page, goes to its certificates
// from the results page, issues them, opens the certificate, downloads its
// PDF (a file named by the number), and revokes it with a reason, seeing
// the status change on the page and in the list.
func TestCertificatesInChromium(t *testing.T) {
	c := gradedSession(t, false)
	id := c.Session.ID
	ctx := servertest.Chromium(t)
	dir := t.TempDir()
	progress := chromedp.Events(ctx, browser.DownloadProgress)
	begin := chromedp.Events(ctx, browser.DownloadWillBegin)
	var number string
	for _, step := range []struct {
		name    string
		actions []chromedp.Action[chromedp.Void]
		texts   map[string][]string // CSS selector -> what its text holds
	}{
		{"sign in", signInAt(c, "/office/sessions/"+id, "approve"), nil},
		{"approve", []chromedp.Action[chromedp.Void]{chromedp.Click(chromedp.ID("approve")), chromedp.WaitVisible(chromedp.ID("notice"))},
			map[string][]string{"#notice": {"已审定所有就绪的成绩"}}},
		{"issue", []chromedp.Action[chromedp.Void]{
			chromedp.Click(chromedp.ID("certificates-link")),
			chromedp.WaitVisible(chromedp.ID("certify")),
			chromedp.Click(chromedp.ID("certify")),
			chromedp.WaitVisible(chromedp.ID("certify-report")),
		}, map[string][]string{"#certify-issued": {"本次颁发 1 张证书"}, "#certify-skipped": {t2, t3}, "#certificates": {holder, "有效"}}},
		{"open", []chromedp.Action[chromedp.Void]{
			chromedp.Click(chromedp.CSS("#certificates a")),
			chromedp.WaitVisible(chromedp.ID("cert-qr")),
			func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
				var err error
				number, err = chromedp.Text(chromedp.ID("cert-number"))(ctx, tg)
				return chromedp.Void{}, err
			},
		}, map[string][]string{"#cert-status": {"有效"}, "#cert-holder": {holder}}},
		{"download the PDF", []chromedp.Action[chromedp.Void]{
			chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
				_, err := chromedp.Call(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
					Behavior: browser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: dir, EventsEnabled: ptr(true)})
				return err
			}),
			chromedp.Click(chromedp.ID("cert-pdf")),
		}, nil},
	} {
		if err := chromedp.Do(ctx, step.actions...); err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		checkTexts(t, ctx, step.name, step.texts)
	}

	// The download completes, named by the number, and is the certificate's PDF.
	waitCtx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	var guid string
	for ev, err := range progress {
		if err != nil {
			t.Fatalf("download: %v", err)
		}
		if ev.State == browser.DownloadProgressStateCompleted {
			guid = ev.GUID
			break
		}
		if ev.State == browser.DownloadProgressStateCanceled || waitCtx.Err() != nil {
			t.Fatalf("download %s", ev.State)
		}
	}
	for ev, err := range begin {
		if err != nil || ev.SuggestedFilename != number+".pdf" {
			t.Errorf("the download is named %q (%v), want %s.pdf", ev.SuggestedFilename, err, number)
		}
		break
	}
	pdf, err := os.ReadFile(filepath.Join(dir, guid))
	if err != nil || !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		t.Fatalf("the downloaded PDF: %v", err)
	}

	// Revoke it with a reason: the page and the list show it revoked.
	for _, step := range []struct {
		name    string
		actions []chromedp.Action[chromedp.Void]
		texts   map[string][]string
	}{
		{"revoke without a reason is held by the form", []chromedp.Action[chromedp.Void]{
			chromedp.SetValue(chromedp.ID("status-to"), "revoke"),
			chromedp.Click(chromedp.ID("status-submit")),
		}, map[string][]string{"#cert-status": {"有效"}}},
		{"revoke", []chromedp.Action[chromedp.Void]{
			chromedp.SendKeys(chromedp.ID("status-reason"), "考试作弊，经查属实"),
			chromedp.Click(chromedp.ID("status-submit")),
			chromedp.WaitVisible(chromedp.ID("notice")),
		}, map[string][]string{"#notice": {"证书已撤销"}, "#cert-status": {"已撤销", "考试作弊，经查属实"}, "#cert-history": {"考试作弊，经查属实"}}},
		{"the list", []chromedp.Action[chromedp.Void]{
			chromedp.Navigate(c.URL + "/office/sessions/" + id + "/certificates"),
			chromedp.WaitVisible(chromedp.ID("certificates")),
		}, map[string][]string{"#certificates": {number, "已撤销"}}},
	} {
		if err := chromedp.Do(ctx, step.actions...); err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		checkTexts(t, ctx, step.name, step.texts)
	}
	if got, err := c.Certificate(t.Context(), number); err != nil || got.Status != credential.Revoked {
		t.Errorf("after the revocation in the browser: %s, %v", got.Status, err)
	}
}

func checkTexts(t *testing.T, ctx context.Context, step string, texts map[string][]string) {
	t.Helper()
	for sel, wants := range texts {
		got, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		for _, want := range wants {
			if err != nil || !strings.Contains(got, want) {
				t.Errorf("%s: %s is %q (%v), want %q in it", step, sel, got, err, want)
			}
		}
	}
}

func ptr[T any](v T) *T { return &v }

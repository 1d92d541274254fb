package public_test

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"onex/exam/credential"
	"onex/exam/seal"
	"onex/exam/vc"
	"onex/server"
	"onex/server/servertest"
	osync "onex/sync"
)

// from asks central's handler as a client at addr would: status, body,
// headers.
func from(c *servertest.Central, addr, path string) (int, string, http.Header) {
	req := httptest.NewRequest("GET", path, nil)
	req.RemoteAddr = addr + ":40000"
	w := httptest.NewRecorder()
	c.Handler.ServeHTTP(w, req)
	return w.Code, w.Body.String(), w.Header()
}

func lookup(number, name string) string {
	return "/verify?" + url.Values{"number": {number}, "name": {name}}.Encode()
}

func byText(text string) string { return "/verify?" + url.Values{"text": {text}}.Encode() }

// TestVerifyPage: each outcome of /verify, in Chinese and English, with its
// status code, showing the certificate's own fields and nothing of the
// ticket, the session, the ID number's hash or salt, or the reason of a
// revocation.
func TestVerifyPage(t *testing.T) {
	c, cert := servertest.Certified(t)
	ctx := context.Background()
	// A text central's issuer key signs of a number it never issued.
	iss, err := c.CurrentIssuer(ctx)
	var unknown string
	if err == nil {
		unknown, err = iss.IssueText(credential.Claims{Number: "WEB-1-2026-999999", Holder: cert.HolderName, IDSalt: cert.IDSalt, IDHash: cert.IDHash,
			Certificate: cert.CertCode, Level: 1, Organisation: cert.OrgName, Site: cert.SiteName, Issued: cert.Issued, StatusIndex: 7})
	}
	if err != nil {
		t.Fatal(err)
	}
	altered := []byte(cert.QR)
	altered[40] = map[bool]byte{true: 'B', false: 'A'}[altered[40] == 'A']
	issued := cert.Issued.In(server.CST).Format("2006-01-02")
	for _, tc := range []struct {
		name, path string
		status     int
		id         string
		says       []string
	}{
		{"the empty form", "/verify", 200, "verify-number", []string{"证书查验", "按二维码文字查验"}},
		{"the empty form in English", "/verify?lang=en", 200, "verify-number", []string{"Verify a certificate", "By the QR code"}},
		{"number and name", lookup(cert.Number, servertest.HolderName), 200, "verify-valid",
			[]string{"证书有效", cert.Number, "毛娜", cert.CertName, "初级", cert.OrgName, cert.SiteName, issued, "有效", "状态截至"}},
		{"number and name in English", lookup(cert.Number, servertest.HolderName) + "&lang=en", 200, "verify-valid",
			[]string{"Valid: OneX issued", cert.Number, "毛娜", "elementary", issued, "Status as of", "(Beijing time)"}},
		{"the QR text", byText(cert.QR), 200, "verify-valid", []string{"证书有效", cert.Number, "毛娜"}},
		{"another name", lookup(cert.Number, "钟静"), 404, "verify-notfound", []string{"未找到"}},
		{"another name in English", lookup(cert.Number, "钟静") + "&lang=en", 404, "verify-notfound", []string{"Not found"}},
		{"an altered QR text", byText(string(altered)), 400, "verify-bad", []string{"这不是有效的证书文字"}},
		{"a text of no certificate, in English", byText("hello") + "&lang=en", 400, "verify-bad", []string{"not a valid certificate text", "does not start with OX1:"}},
		{"signed by central, number unknown", byText(unknown), 404, "verify-unknown", []string{"无法确认", "WEB-1-2026-999999"}},
		{"a name without a number", "/verify?number=&name=x", 400, "verify-input", []string{"请输入证书编号"}},
		{"an empty text", "/verify?text=+", 400, "verify-input", []string{"粘贴二维码文字"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body, h := from(c, "10.6.0.1", tc.path)
			if status != tc.status || !strings.Contains(body, `id="`+tc.id+`"`) {
				t.Fatalf("%d, want %d with #%s\n%s", status, tc.status, tc.id, body)
			}
			for _, s := range tc.says {
				if !strings.Contains(body, s) {
					t.Errorf("the page does not say %q", s)
				}
			}
			for _, secret := range []string{servertest.HolderTicket, c.Session.ID, hex.EncodeToString(cert.IDHash), servertest.HolderID, "office ann"} {
				if strings.Contains(body, secret) {
					t.Errorf("the page shows %q", secret)
				}
			}
			if strings.Contains(tc.path, "lang=en") && !strings.Contains(body, `<html lang="en">`) {
				t.Error("the English page is not marked English")
			}
			if !strings.HasPrefix(h.Get("Content-Security-Policy"), "default-src 'none'") || strings.Contains(body, "<script") {
				t.Error("the page may run scripts")
			}
		})
	}
	if _, err := c.SetCertificateStatus(ctx, cert.Number, credential.Suspended, "举报待核查", "office ann"); err != nil {
		t.Fatal(err)
	}
	if status, body, _ := from(c, "10.6.0.1", byText(cert.QR)); status != 200 || !strings.Contains(body, `id="verify-suspended"`) || !strings.Contains(body, "已暂停") || strings.Contains(body, "举报待核查") {
		t.Errorf("suspended: %d\n%s", status, body)
	}
	if _, err := c.SetCertificateStatus(ctx, cert.Number, credential.Revoked, "冒名顶替", "office ann"); err != nil {
		t.Fatal(err)
	}
	if status, body, _ := from(c, "10.6.0.1", lookup(cert.Number, servertest.HolderName)+"&lang=en"); status != 200 || !strings.Contains(body, `id="verify-revoked"`) || !strings.Contains(body, "revoked") || strings.Contains(body, "冒名顶替") {
		t.Errorf("revoked: %d\n%s", status, body)
	}
	for _, odd := range []string{"<script>alert(1)</script>", "'; DROP TABLE issued_certificates; --", "\x00\xff", strings.Repeat("長", 3000), "OX1:<b>"} {
		for _, path := range []string{lookup(odd, odd), byText(odd)} {
			if status, body, _ := from(c, "10.6.0.2", path); status >= 500 || strings.Contains(body, "<script>") || strings.Contains(body, "<b>") {
				t.Errorf("%.30q: %d", path, status)
			}
		}
	}
}

// TestVerifyPageIsThrottled: after 10 lookups that find nothing an address
// is answered 429 with Retry-After, the right number and name too; another
// address is not.
func TestVerifyPageIsThrottled(t *testing.T) {
	c, cert := servertest.Certified(t)
	for i := range 10 {
		if status, _, _ := from(c, "10.7.0.1", lookup(cert.Number, "钟静"+strings.Repeat("静", i))); status != http.StatusNotFound {
			t.Fatalf("miss %d: %d", i+1, status)
		}
	}
	status, body, h := from(c, "10.7.0.1", lookup(cert.Number, servertest.HolderName))
	if status != http.StatusTooManyRequests || h.Get("Retry-After") != "1" || !strings.Contains(body, `id="verify-wait"`) || strings.Contains(body, cert.OrgName) {
		t.Errorf("after 10 misses: %d Retry-After %q", status, h.Get("Retry-After"))
	}
	if status, _, _ := from(c, "10.7.0.2", lookup(cert.Number, servertest.HolderName)); status != 200 {
		t.Errorf("another address: %d", status)
	}
}

// TestVerifyTrustServed: /verify/trust is the signed trust a site gets,
// readable from any origin, cached for what is left of the minute.
func TestVerifyTrustServed(t *testing.T) {
	c, cert := servertest.Certified(t)
	status, body, h := from(c, "10.8.0.1", "/verify/trust")
	if status != 200 || h.Get("Content-Type") != "application/json" || h.Get("Access-Control-Allow-Origin") != "*" || h.Get("Cache-Control") != "public, max-age=60" {
		t.Fatalf("%d %v", status, h)
	}
	var docs osync.CertificateTrust
	if err := json.Unmarshal([]byte(body), &docs); err != nil {
		t.Fatal(err)
	}
	tl, err := credential.OpenTrustList(docs.TrustList, ed25519.PublicKey(docs.Root))
	if err != nil {
		t.Fatal(err)
	}
	m, err := seal.OpenManifest(c.PublicKey(), docs.Manifest)
	if err != nil {
		t.Fatalf("the manifest does not verify with central's key: %v", err)
	}
	for _, p := range m.Parts {
		if p != seal.NewPart(p.Name, map[string][]byte{osync.PartCertificateRoot: docs.Root, osync.PartTrustList: docs.TrustList, osync.PartStatusList: docs.StatusList}[p.Name]) {
			t.Errorf("manifest part %s does not match", p.Name)
		}
	}
	if _, err := credential.VerifyText(cert.QR, tl); err != nil {
		t.Errorf("the certificate does not verify with the served trust list: %v", err)
	}
	if _, err := credential.OpenStatusList(docs.StatusList, tl); err != nil {
		t.Error(err)
	}
	c.Clock.Add(server.CertificateCacheFor / 2)
	if _, again, h := from(c, "10.8.0.1", "/verify/trust"); again != body || h.Get("Cache-Control") != "public, max-age=30" {
		t.Errorf("half a minute on: signed again, or max-age %q", h.Get("Cache-Control"))
	}
}

// TestStatusListServed: /verify/status-list is the revocation list credential
// a certificate's VC names, ?purpose=suspension the suspension list; they
// verify with central's issuer keys by hex kid.
func TestStatusListServed(t *testing.T) {
	c, cert := servertest.Certified(t)
	ctx := context.Background()
	tl, _ := c.TrustList(ctx)
	keys := vc.Keys{}
	for _, k := range tl.Keys {
		keys[hex.EncodeToString(k.KeyID)] = append(keys[hex.EncodeToString(k.KeyID)], k.Public)
	}
	if _, err := c.SetCertificateStatus(ctx, cert.Number, credential.Revoked, "冒名顶替", "office ann"); err != nil {
		t.Fatal(err)
	}
	v, err := vc.Verify(cert.VC, keys, c.Clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(v.Credential.CredentialStatus.StatusListCredential)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path, purpose string
		set           bool
	}{{u.RequestURI(), vc.PurposeRevocation, true}, {u.RequestURI() + "?purpose=suspension", vc.PurposeSuspension, false}} {
		status, body, h := from(c, "10.9.0.1", tc.path)
		if status != 200 || h.Get("Content-Type") != "application/vc+jwt" || h.Get("Access-Control-Allow-Origin") != "*" {
			t.Fatalf("%s: %d %v", tc.path, status, h)
		}
		sl, err := vc.VerifyStatusList(body, keys, c.Clock.Now())
		if err != nil {
			t.Fatalf("%s: %v", tc.path, err)
		}
		bits, err := credential.DecodeBitstring(sl.CredentialSubject.EncodedList)
		if err != nil {
			t.Fatal(err)
		}
		if set, _ := bits.Get(int(cert.StatusIndex)); set != tc.set || sl.CredentialSubject.StatusPurpose != tc.purpose {
			t.Errorf("%s: bit %v, purpose %s", tc.path, set, sl.CredentialSubject.StatusPurpose)
		}
		if tc.purpose == vc.PurposeRevocation && sl.Covers(v.Credential.CredentialStatus) != nil {
			t.Errorf("the VC's credentialStatus is not covered by %s", tc.path)
		}
	}
	if status, _, _ := from(c, "10.9.0.1", "/verify/status-list?purpose=refresh"); status != http.StatusNotFound {
		t.Errorf("purpose refresh: %d", status)
	}
}

// TestVerifyInChromium drives /verify in a real headless Chromium, in
// Chinese and (by its language link) in English: a lookup by number and
// name, the QR text pasted, revoked after a revocation, another name not
// found, and the throttle's answer.
func TestVerifyInChromium(t *testing.T) {
	for _, tc := range []struct {
		lang                                  string
		title, valid, revoked, notFound, wait string
	}{
		{"zh", "证书查验", "有效", "已撤销", "未找到", "1 秒"},
		{"en", "Verify a certificate", "valid", "revoked", "Not found", "1 s"},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			c, cert := servertest.Certified(t)
			ctx := servertest.Chromium(t)
			steps := []chromedp.Action[chromedp.Void]{chromedp.Navigate(c.URL + "/verify"), chromedp.WaitVisible(chromedp.ID("verify-number"))}
			if tc.lang == "en" {
				steps = append(steps, chromedp.Click(chromedp.ID("verify-lang")), chromedp.WaitVisible(chromedp.ID("verify-number")))
			}
			if err := chromedp.Do(ctx, steps...); err != nil {
				t.Fatal(err)
			}
			if h1, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("h1"))); err != nil || h1 != tc.title {
				t.Fatalf("title %q, %v", h1, err)
			}
			form := c.URL + "/verify"
			if tc.lang == "en" {
				form += "?lang=en"
			}
			// Each step starts from the empty form, so that waiting for its
			// answer never finds the last step's.
			look := func(name, want string) string {
				t.Helper()
				err := chromedp.Do(ctx,
					chromedp.Navigate(form), chromedp.WaitVisible(chromedp.ID("verify-number")),
					chromedp.SendKeys(chromedp.ID("verify-number"), strings.ToLower(cert.Number)),
					chromedp.SendKeys(chromedp.ID("verify-name"), name),
					chromedp.Click(chromedp.ID("verify-submit")),
					chromedp.WaitVisible(chromedp.ID(want)))
				if err != nil {
					t.Fatalf("lookup of %s wanting #%s: %v", name, want, err)
				}
				text, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID(want)))
				if err != nil {
					t.Fatal(err)
				}
				return text
			}
			if text := look(servertest.HolderName, "verify-valid"); !strings.Contains(text, cert.Number) || !strings.Contains(text, servertest.HolderName) || !strings.Contains(text, tc.valid) {
				t.Errorf("lookup: %q", text)
			}
			err := chromedp.Do(ctx,
				chromedp.Navigate(form), chromedp.WaitVisible(chromedp.ID("verify-text")),
				chromedp.SetValue(chromedp.ID("verify-text"), cert.QR), // pasted
				chromedp.Click(chromedp.ID("verify-text-submit")),
				chromedp.WaitVisible(chromedp.ID("verify-valid")))
			if err != nil {
				t.Fatalf("the QR text pasted: %v", err)
			}
			if status, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("cert-status"))); err != nil || status != tc.valid {
				t.Errorf("the QR text's status %q, %v", status, err)
			}
			if _, err := c.SetCertificateStatus(context.Background(), cert.Number, credential.Revoked, "冒名顶替", "office ann"); err != nil {
				t.Fatal(err)
			}
			if text := look(servertest.HolderName, "verify-revoked"); !strings.Contains(text, tc.revoked) || strings.Contains(text, "冒名顶替") {
				t.Errorf("after the revocation: %q", text)
			}
			if text := look("钟静", "verify-notfound"); !strings.Contains(text, tc.notFound) || strings.Contains(text, cert.OrgName) {
				t.Errorf("another name: %q", text)
			}
			for i := range 9 { // nine more misses: ten in all
				look("钟静"+strings.Repeat("静", i+1), "verify-notfound")
			}
			if text := look(servertest.HolderName, "verify-wait"); !strings.Contains(text, tc.wait) {
				t.Errorf("throttled: %q", text)
			}
			if lang, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.documentElement.lang`)); err != nil || (tc.lang == "en") != (lang == "en") {
				t.Errorf("the page's language %q, %v", lang, err)
			}
		})
	}
}

// FuzzVerifyQuery: whatever a query holds, /verify answers without a
// server error and never echoes markup.
func FuzzVerifyQuery(f *testing.F) {
	c, cert := servertest.Certified(f)
	f.Add(cert.Number, servertest.HolderName, "", "")
	f.Add("", "", cert.QR, "en")
	f.Add("<b>", "</textarea><script>", "OX1:<i>", "xx")
	f.Add(strings.Repeat("長", 100), "\x00", "OX1:"+strings.Repeat("%", 500), "zh")
	n := 0
	f.Fuzz(func(t *testing.T, number, name, text, lang string) {
		n++
		q := url.Values{"number": {number}, "name": {name}, "text": {text}, "lang": {lang}}
		status, body, _ := from(c, "10.10."+strconv.Itoa(n%250)+".1", "/verify?"+q.Encode())
		if status >= 500 {
			t.Fatalf("%d for %q", status, q.Encode())
		}
		for _, s := range []string{number, name, text} {
			if strings.ContainsAny(s, "<>") && strings.Contains(body, s) {
				t.Fatalf("%q echoed raw", s)
			}
		}
	})
}

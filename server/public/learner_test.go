package public_test

import (
	"context"
	"encoding/hex"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"onex/exam/vc"
	"onex/server/public"
	"onex/server/servertest"
)

// post sends a form to central's handler as a client at addr would.
func post(c *servertest.Central, addr, path string, form url.Values) (int, string, http.Header) {
	req := httptest.NewRequest("POST", path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.RemoteAddr = addr + ":40000"
	w := httptest.NewRecorder()
	c.Handler.ServeHTTP(w, req)
	return w.Code, w.Body.String(), w.Header()
}

func triple(number, name, id string) url.Values {
	return url.Values{"number": {number}, "name": {name}, "id": {id}}
}

// learnerCentral is Certified with the sample rules and the conversion at
// CreditSchool approved.
func learnerCentral(t *testing.T) (*servertest.Central, string) {
	t.Helper()
	c, cert := servertest.Certified(t)
	c.ImportSampleRules(t)
	c.GrantSample(t)
	return c, cert.Number
}

// TestLearnerPage: the right certificate number, name and ID number show
// the account (the certificate, the conversion granted and the one offered,
// the credits) with the ID number masked and never in full, nor in any form
// field; each wrong field gets the one "not found" answer; a field missing
// is 400; a GET with the fields in its URL shows only the empty form; every
// answer is no-store and runs no script; in English with lang=en.
func TestLearnerPage(t *testing.T) {
	c, number := learnerCentral(t)
	right := triple(number, servertest.HolderName, servertest.HolderID)
	en := triple(strings.ToLower(number), " 毛 娜 ", "310104200410159779")
	en.Set("lang", "en")
	for _, tc := range []struct {
		name   string
		form   url.Values
		status int
		id     string
		says   []string
	}{
		{"the right three", right, 200, "learner-account", []string{"毛娜", "3101**********9779", number, "初级", "WEB101", "网页设计", "已认定", "W9", "可申请", "已有学分", ">4<"}},
		{"in English, as typed loosely", en, 200, "learner-account", []string{"Credit bank", "毛娜", "granted", "offered", "elementary"}},
		{"another name", triple(number, "钟静", servertest.HolderID), 404, "learner-notfound", []string{"未找到"}},
		{"another ID number", triple(number, servertest.HolderName, "31010420031018810X"), 404, "learner-notfound", []string{"未找到"}},
		{"another certificate", triple("WEB-1-2026-999999", servertest.HolderName, servertest.HolderID), 404, "learner-notfound", []string{"未找到"}},
		{"no ID number", triple(number, servertest.HolderName, ""), 400, "learner-input", []string{"请填写"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body, h := post(c, "10.11.0.1", "/learner", tc.form)
			if status != tc.status || !strings.Contains(body, `id="`+tc.id+`"`) {
				t.Fatalf("%d, want %d with #%s\n%s", status, tc.status, tc.id, body)
			}
			for _, s := range tc.says {
				if !strings.Contains(body, s) {
					t.Errorf("the page does not say %q", s)
				}
			}
			if strings.Contains(body, servertest.HolderID) || strings.Contains(body, "31010420031018810X") {
				t.Error("the page shows an ID number in full")
			}
			if h.Get("Cache-Control") != "no-store" || strings.Contains(body, "<script") || !strings.HasPrefix(h.Get("Content-Security-Policy"), "default-src 'none'") {
				t.Errorf("cache %q, CSP %q, or a script", h.Get("Cache-Control"), h.Get("Content-Security-Policy"))
			}
			if tc.status == 404 && (strings.Contains(body, "W9") || strings.Contains(body, "毛娜</dd>")) {
				t.Error("not found, yet the page shows the account")
			}
		})
	}
	// The one answer: the pages of the three wrong fields differ only in what was typed.
	_, a, _ := post(c, "10.11.0.2", "/learner", triple(number, "钟静", servertest.HolderID))
	_, b, _ := post(c, "10.11.0.2", "/learner", triple(number, "钟静", "31010420031018810X"))
	if a != b {
		t.Error("a wrong ID number is answered otherwise than a wrong name")
	}
	// A GET never looks anything up, whatever its URL holds.
	status, body, _ := from(c, "10.11.0.3", "/learner?"+right.Encode())
	if status != 200 || strings.Contains(body, `id="learner-account"`) || !strings.Contains(body, `method="post"`) {
		t.Errorf("GET with the fields: %d\n%s", status, body)
	}
	if status, body, _ := from(c, "10.11.0.3", "/learner?lang=en"); status != 200 || !strings.Contains(body, "See my account") || !strings.Contains(body, `<html lang="en">`) {
		t.Errorf("the empty form in English: %d", status)
	}
	for _, odd := range []string{"<script>alert(1)</script>", "\x00\xff", strings.Repeat("長", 1000)} {
		if status, body, _ := post(c, "10.11.0.4", "/learner", triple(odd, odd, odd)); status >= 500 || strings.Contains(body, "<script>") {
			t.Errorf("%.20q: %d", odd, status)
		}
	}
	if status, _, _ := post(c, "10.11.0.5", "/learner", url.Values{"number": {strings.Repeat("x", 8000)}}); status != http.StatusBadRequest {
		t.Errorf("an 8 kB form: %d", status)
	}
}

// TestLearnerDownloads: the same three fields posted download the
// transcript as a PDF and as a VC-JOSE token that verifies with central's
// issuer keys; wrong fields download nothing.
func TestLearnerDownloads(t *testing.T) {
	c, number := learnerCentral(t)
	right := triple(number, servertest.HolderName, servertest.HolderID)
	status, body, h := post(c, "10.12.0.1", "/learner/transcript.pdf", right)
	if status != 200 || h.Get("Content-Type") != "application/pdf" || !strings.HasPrefix(body, "%PDF-") || !strings.Contains(h.Get("Content-Disposition"), "attachment") || h.Get("Cache-Control") != "no-store" {
		t.Errorf("PDF: %d %v", status, h)
	}
	status, body, h = post(c, "10.12.0.1", "/learner/transcript.jwt", right)
	if status != 200 || h.Get("Content-Type") != "application/vc+jwt" || h.Get("Cache-Control") != "no-store" {
		t.Fatalf("VC: %d %v", status, h)
	}
	tl, err := c.TrustList(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	keys := vc.Keys{}
	for _, k := range tl.Keys {
		keys[hex.EncodeToString(k.KeyID)] = append(keys[hex.EncodeToString(k.KeyID)], k.Public)
	}
	tr, err := vc.VerifyTranscript(body, keys, c.Clock.Now())
	if err != nil || !tr.HolderMatches(servertest.HolderID) || tr.CredentialSubject.CreditsEarned != 4 {
		t.Fatalf("the transcript: %v %+v", err, tr)
	}
	for _, path := range []string{"/learner/transcript.pdf", "/learner/transcript.jwt"} {
		status, body, h := post(c, "10.12.0.2", path, triple(number, "钟静", servertest.HolderID))
		if status != 404 || !strings.Contains(body, `id="learner-notfound"`) || h.Get("Content-Disposition") != "" {
			t.Errorf("%s with another name: %d %v", path, status, h)
		}
	}
	if status, _, _ := from(c, "10.12.0.3", "/learner/transcript.pdf?"+right.Encode()); status != http.StatusMethodNotAllowed {
		t.Errorf("a GET of the PDF: %d", status)
	}
}

// TestLearnerPageIsThrottled: after 10 lookups that find nothing an address
// is answered 429 with Retry-After, the right three too, downloads as well;
// another address is not.
func TestLearnerPageIsThrottled(t *testing.T) {
	c, number := learnerCentral(t)
	right := triple(number, servertest.HolderName, servertest.HolderID)
	for i := range 10 {
		if status, _, _ := post(c, "10.13.0.1", "/learner", triple(number, servertest.HolderName, "31010420031018810X"+strings.Repeat("1", i))); status != http.StatusNotFound && status != http.StatusBadRequest {
			t.Fatalf("miss %d: %d", i+1, status)
		}
	}
	for _, path := range []string{"/learner", "/learner/transcript.pdf", "/learner/transcript.jwt"} {
		status, body, h := post(c, "10.13.0.1", path, right)
		if status != http.StatusTooManyRequests || h.Get("Retry-After") == "" || !strings.Contains(body, `id="learner-wait"`) || strings.Contains(body, "W9") {
			t.Errorf("%s after 10 misses: %d Retry-After %q", path, status, h.Get("Retry-After"))
		}
	}
	if status, _, _ := post(c, "10.13.0.2", "/learner", right); status != 200 {
		t.Errorf("another address: %d", status)
	}
}

// TestLearnerTranslations: every key the learner page uses is in its table
// or the verification page's, in both languages with the same verbs, and
// every key of its table is used.
func TestLearnerTranslations(t *testing.T) {
	b, err := fs.ReadFile(os.DirFS("web"), "learner.html")
	if err != nil {
		t.Fatal(err)
	}
	code, err := os.ReadFile("learner.go")
	if err != nil {
		t.Fatal(err)
	}
	used := map[string]bool{}
	for _, m := range regexp.MustCompile(`\.T "([^"]+)"`).FindAllStringSubmatch(string(b), -1) {
		used[m[1]] = true
	}
	for _, m := range regexp.MustCompile(`T\("(learner\.[a-z_.]+)"\)`).FindAllStringSubmatch(string(code), -1) {
		used[m[1]] = true
	}
	for _, r := range []string{"no-rule", "score", "window", "later", "taken"} {
		used["learner.why."+r] = true
	}
	verb := regexp.MustCompile(`%[a-z]`)
	for k := range used {
		zh, en := public.LearnerText(k)
		if zh == k || strings.TrimSpace(zh) == "" || strings.TrimSpace(en) == "" {
			t.Errorf("key %q is used but not translated", k)
		}
		if strings.Join(verb.FindAllString(zh, -1), "") != strings.Join(verb.FindAllString(en, -1), "") {
			t.Errorf("key %q: the format verbs differ", k)
		}
	}
	for _, k := range public.LearnerKeys() {
		if !used[k] {
			t.Errorf("key %q is never used", k)
		}
	}
}

// FuzzLearnerForm: whatever a posted form holds, /learner answers without a
// server error, never echoes markup and never shows an account for fields
// that are not the holder's.
func FuzzLearnerForm(f *testing.F) {
	c, cert := servertest.Certified(f)
	f.Add(cert.Number, servertest.HolderName, "31010420031018810X", "")
	f.Add("<b>", "</textarea><script>", "'\"><i>", "en")
	f.Add(strings.Repeat("長", 100), "\x00", "%ff", "zh")
	n := 0
	f.Fuzz(func(t *testing.T, number, name, id, lang string) {
		n++
		form := triple(number, name, id)
		form.Set("lang", lang)
		status, body, _ := post(c, "10.14."+strconv.Itoa(n%250)+".1", "/learner", form)
		if status >= 500 {
			t.Fatalf("%d for %q", status, form.Encode())
		}
		for _, s := range []string{number, name, id} {
			if strings.ContainsAny(s, "<>") && strings.Contains(body, s) {
				t.Fatalf("%q echoed raw", s)
			}
		}
		if strings.Contains(body, `id="learner-account"`) && id != servertest.HolderID {
			t.Fatalf("an account shown for %q", form.Encode())
		}
	})
}

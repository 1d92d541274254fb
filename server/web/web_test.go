package web_test

import (
	"bytes"
	"crypto/tls"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"onex/server/servertest"
	"onex/server/web"
	osync "onex/sync"
)

func TestHealthzAndMetrics(t *testing.T) {
	c := servertest.New(t)
	d := c.Enrol(t, "SITE-001")
	d.Push(d.Seal(osync.KindStart, osync.Start{SessionID: c.Session.ID}).Bytes)
	// /healthz first: the request counter has a sample only after a request.
	for _, tc := range []struct{ path, want string }{{"/healthz", "ok"}, {"/metrics", "onex_http_requests_total"}, {"/metrics", `onex_records_total{outcome="accepted"} 1`}, {"/metrics", `onex_http_requests_total{code="200",route="GET /healthz"} 1`}} {
		path, want := tc.path, tc.want
		resp, err := http.Get(c.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(b), want) {
			t.Errorf("%s = %d %q", path, resp.StatusCode, b)
		}
	}
}

// TestSecurityHeaders: every answer, page or API, stays out of caches and
// frames, and pages may run no script and load nothing from elsewhere.
func TestSecurityHeaders(t *testing.T) {
	c := servertest.New(t)
	for _, path := range []string{"/office/signin", "/office/sessions", "/receipt", "/receipt?code=x", "/api/v1/package", "/healthz", "/nope"} {
		resp, err := http.Get(c.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		h := resp.Header
		if !strings.HasPrefix(h.Get("Content-Security-Policy"), "default-src 'none';") || !strings.Contains(h.Get("Content-Security-Policy"), "frame-ancestors 'none'") ||
			h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Cache-Control") != "no-store" || h.Get("Referrer-Policy") != "same-origin" {
			t.Errorf("GET %s (%d): headers %v", path, resp.StatusCode, h)
		}
	}
}

// TestHTTPSFromTheConnectionOrATrustedProxy: a request is secure when it
// came over TLS, or, only with TrustProxy, when the proxy's
// X-Forwarded-Proto says https; then the office's cookies are Secure and
// the answer carries HSTS. X-Forwarded-For names the client in the log only
// with TrustProxy.
func TestHTTPSFromTheConnectionOrATrustedProxy(t *testing.T) {
	c := servertest.New(t)
	for _, tc := range []struct {
		name          string
		trust, tls    bool
		proto         []string
		secure        bool
		forwardedFrom bool // the log names the X-Forwarded-For address
	}{
		{name: "plain HTTP"},
		{name: "central's own TLS", tls: true, secure: true},
		{name: "forged headers, no proxy trusted", proto: []string{"https"}},
		{name: "trusted proxy says https", trust: true, proto: []string{"https"}, secure: true, forwardedFrom: true},
		{name: "trusted proxy says HTTPS", trust: true, proto: []string{"HTTPS"}, secure: true, forwardedFrom: true},
		{name: "trusted proxy says http", trust: true, proto: []string{"http"}, forwardedFrom: true},
		{name: "client forged https, proxy appended http", trust: true, proto: []string{"https, http"}, forwardedFrom: true},
		{name: "trusted proxy, no header", trust: true, forwardedFrom: true},
		{name: "trusted proxy, own TLS", trust: true, tls: true, proto: []string{"http"}, secure: true, forwardedFrom: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c.Clock.Add(2 * time.Minute) // past the wait each wrong password below adds
			var logged bytes.Buffer
			var opts []web.Option
			if tc.trust {
				opts = append(opts, web.TrustProxy())
			}
			h := web.Handler(c.Central, slog.New(slog.NewTextHandler(&logged, nil)), opts...)
			do := func(method, target string, body io.Reader, cookies []*http.Cookie) *http.Response {
				req := httptest.NewRequest(method, target, body)
				if tc.tls {
					req.TLS = &tls.ConnectionState{}
				}
				req.Header["X-Forwarded-Proto"] = tc.proto
				req.Header.Set("X-Forwarded-For", "198.51.100.9, 203.0.113.7")
				if body != nil {
					req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				}
				for _, ck := range cookies {
					req.AddCookie(ck)
				}
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				return rec.Result()
			}
			resp := do("GET", "/office/signin", nil, nil)
			cks := resp.Cookies()
			if len(cks) != 1 || cks[0].Secure != tc.secure || !cks[0].HttpOnly {
				t.Errorf("cookies %+v, want Secure %v", cks, tc.secure)
			}
			if got := resp.Header.Get("Strict-Transport-Security"); (got == web.HSTS) != tc.secure || (got != "" && got != web.HSTS) {
				t.Errorf("Strict-Transport-Security %q, secure %v", got, tc.secure)
			}
			if hsts := do("GET", "/api/v1/central", nil, nil).Header.Get("Strict-Transport-Security"); (hsts != "") != tc.secure {
				t.Errorf("the API's HSTS %q, secure %v", hsts, tc.secure)
			}

			// A refused sign-in is logged with the client's address.
			form := url.Values{"csrf": {cks[0].Value}, "user": {"admin"}, "password": {"wrong password"}}
			if resp := do("POST", "/office/signin", strings.NewReader(form.Encode()), cks); resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("sign-in: %d", resp.StatusCode)
			}
			want := "remote=192.0.2.1" // httptest's RemoteAddr
			if tc.forwardedFrom {
				want = "remote=203.0.113.7"
			}
			if !strings.Contains(logged.String(), want) {
				t.Errorf("log does not say %s:\n%s", want, logged.String())
			}
		})
	}
}

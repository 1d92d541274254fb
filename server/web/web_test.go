package web_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"onex/server/servertest"
	osync "onex/sync"
)

func TestHealthzAndMetrics(t *testing.T) {
	c := servertest.New(t)
	d := c.Enrol(t, "SITE-001")
	d.Push(d.Seal(osync.KindStart, osync.Start{SessionID: c.Session.ID}).Bytes)
	// /healthz first: the request counter has a sample only after a request.
	for _, tc := range []struct{ path, want string }{{"/healthz", "ok"}, {"/metrics", "onex_http_requests_total"}, {"/metrics", `onex_records_total{outcome="accepted"} 1`}} {
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

package web_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"onex/server/servertest"
)

func TestHealthzAndMetrics(t *testing.T) {
	c := servertest.New(t)
	// /healthz first: the request counter has a sample only after a request.
	for _, tc := range []struct{ path, want string }{{"/healthz", "ok"}, {"/metrics", "onex_http_requests_total"}} {
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

package sync_test

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	osync "onex/sync"
)

// TestClientTLSIsPostQuantum: what travels in the transport and not in a
// sealed envelope (the roster in a package, the release key online) is
// harvestable unless the TLS key exchange is. The site's client, left with
// Go's TLS defaults, agrees on the hybrid X25519MLKEM768 with a Go server;
// a server in front of central must offer it too (docs/central.md).
func TestClientTLSIsPostQuantum(t *testing.T) {
	var got tls.CurveID
	ts := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.TLS.CurveID
	}))
	defer ts.Close()
	c := osync.NewClient(osync.RetryPolicy{Timeout: 5 * time.Second}, nil)
	tr := c.HTTPClient.Transport.(*http.Transport)
	tr.TLSClientConfig = ts.Client().Transport.(*http.Transport).TLSClientConfig.Clone() // trusts the test certificate, Go's defaults otherwise
	resp, err := c.Get(ts.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got != tls.X25519MLKEM768 {
		t.Fatalf("key exchange %v, want X25519MLKEM768", got)
	}
}

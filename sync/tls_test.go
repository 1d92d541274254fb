package sync_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"onex/exam/seal"
	osync "onex/sync"
)

// TestPinnedTLS pushes to a central over real TLS with a self-signed
// certificate: a client that pinned its key delivers; one that pinned
// another key, or trusts only the system's roots, sends nothing, at once
// (a refused certificate is not retried), and says why.
func TestPinnedTLS(t *testing.T) {
	cert, roots, other := httptestCertificate(), x509.NewCertPool(), seal.Hash{1}
	roots.AddCert(cert)

	for _, tc := range []struct {
		name  string
		pins  []seal.Hash
		roots *x509.CertPool
		want  string // "" delivers
	}{
		{"pinned to another key", []seal.Hash{other}, nil, "but this site pinned " + seal.TLSFingerprint(other)},
		{"no pin, system roots", nil, nil, "certificate signed by unknown authority"},
		{"no pin, a root that vouches", nil, roots, ""},
		{"pinned to its key", []seal.Hash{other, seal.SPKIHash(cert)}, nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, 3)
			var handshakes atomic.Int32
			srv := httptest.NewUnstartedServer(http.HandlerFunc(f.serve))
			srv.Config.ErrorLog = log.New(io.Discard, "", 0)
			srv.TLS = &tls.Config{GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) {
				handshakes.Add(1)
				return nil, nil
			}}
			srv.StartTLS()
			t.Cleanup(srv.Close)
			if !srv.Certificate().Equal(cert) {
				t.Fatal("httptest's certificate changed")
			}
			base := osync.NewClient(fastRetry, nil)
			client, err := osync.WithTLS(base, osync.CentralTLS(tc.pins, tc.roots))
			if err != nil {
				t.Fatal(err)
			}
			if c := base.HTTPClient.Transport.(*http.Transport).TLSClientConfig; c != nil && (c.InsecureSkipVerify || c.RootCAs != nil) {
				t.Fatal("WithTLS changed the client it copied")
			}
			p, err := osync.NewPusher(osync.PusherConfig{ServerURL: srv.URL, Signer: f.device, Central: f.ck.Public(), Outbox: f.outbox, Client: client})
			if err != nil {
				t.Fatal(err)
			}
			stats, err := p.Push(context.Background())
			if tc.want == "" {
				if err != nil || stats.Accepted != 3 || f.outbox.pending() != 0 {
					t.Fatalf("stats %+v, err %v", stats, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) || !errors.Is(err, osync.ErrUnreachable) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			var pe *osync.PinError
			if tc.pins != nil && (!errors.As(err, &pe) || pe.Seen != seal.SPKIHash(cert) || pe.Cert != seal.CertificateHash(cert) ||
				!strings.Contains(err.Error(), seal.TLSFingerprint(seal.SPKIHash(cert)))) {
				t.Fatalf("not a *PinError naming both keys: %v", err)
			}
			if f.calls.Load() != 0 || f.outbox.pending() != 3 {
				t.Fatal("a request reached central over a refused certificate")
			}
			if n := handshakes.Load(); n != 1 {
				t.Fatalf("%d handshakes: a refused certificate was retried", n)
			}
		})
	}
}

func TestWithTLSNeedsAnHTTPTransport(t *testing.T) {
	c := osync.NewClient(fastRetry, nil)
	c.HTTPClient.Transport = roundTripper(func(*http.Request) (*http.Response, error) { return nil, errors.New("no") })
	if _, err := osync.WithTLS(c, osync.CentralTLS(nil, nil)); err == nil {
		t.Fatal("a transport whose TLS cannot be set was taken")
	}
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// httptestCertificate is the certificate every httptest TLS server presents.
func httptestCertificate() *x509.Certificate {
	probe := httptest.NewTLSServer(nil)
	defer probe.Close()
	return probe.Certificate()
}

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

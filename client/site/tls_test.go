package site_test

import (
	"context"
	"crypto/x509"
	"errors"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"

	"onex/client/site"
	"onex/exam/seal"
	"onex/server/servertest"
	wire "onex/sync"
)

// interceptor is someone on the network between site and central: it ends
// TLS with its own certificate and forwards every request to central.
func interceptor(t *testing.T, c *servertest.Central) *httptest.Server {
	t.Helper()
	target, _ := url.Parse(c.URL)
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.Transport = c.HTTP.Transport
	if proxy.Transport == nil {
		proxy.Transport = http.DefaultTransport
	}
	srv := httptest.NewUnstartedServer(proxy)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

func siteConfig(t *testing.T) site.Config {
	cfg := fastHTTP()
	cfg.Dir, cfg.Passphrase = t.TempDir(), pass
	return cfg
}

func certFP(c *x509.Certificate) string { return seal.TLSFingerprint(seal.CertificateHash(c)) }
func keyFP(c *x509.Certificate) string  { return seal.TLSFingerprint(seal.SPKIHash(c)) }

// TestEnrolmentTrustsOnlyTheCentralNamed: at enrolment staff may name
// central by its key fingerprint or its certificate's; a central whose key
// or certificate differs is refused with both fingerprints named, before
// the one-time code is sent (the same code then enrols with the right
// central). A self-signed certificate needs a fingerprint, and is pinned.
func TestEnrolmentTrustsOnlyTheCentralNamed(t *testing.T) {
	a := servertest.New(t, servertest.WithTLS())
	b := servertest.New(t, servertest.WithTLS()) // another central: other keys, other certificate
	plain := servertest.New(t)
	mitm := interceptor(t, a)
	mitmCert := mitm.Certificate()
	rootsOfA := x509.NewCertPool()
	rootsOfA.AddCert(a.TLS)
	aKey, bKey := a.PublicKey().Fingerprint(), b.PublicKey().Fingerprint()

	for _, tc := range []struct {
		name    string
		central *servertest.Central
		url     string // default central.URL
		fp      string
		roots   *x509.CertPool
		problem site.TrustProblem // "" enrols
		input   bool              // refused as bad input
		given   string            // named in the refusal
		seen    string
		pinned  bool
	}{
		{name: "self-signed, no fingerprint", central: a, problem: site.Untrusted, seen: certFP(a.TLS)},
		{name: "central's key fingerprint", central: a, fp: aKey, pinned: true},
		{name: "the key fingerprint as typed", central: a, fp: strings.ToLower(strings.ReplaceAll(aKey, "-", " ")), pinned: true},
		{name: "the certificate's SHA-256", central: a, fp: certFP(a.TLS), pinned: true},
		{name: "the certificate key's SHA-256", central: a, fp: strings.ReplaceAll(keyFP(a.TLS), ":", ""), pinned: true},
		{name: "another central's key fingerprint", central: a, fp: bKey, problem: site.KeyMismatch, given: bKey, seen: aKey},
		{name: "another central's certificate", central: a, fp: certFP(b.TLS), problem: site.CertificateMismatch, given: certFP(b.TLS), seen: certFP(a.TLS)},
		{name: "interceptor, central's key fingerprint", central: a, url: mitm.URL, fp: aKey, problem: site.Unvouched, given: keyFP(a.TLS), seen: keyFP(mitmCert)},
		{name: "interceptor, central's certificate", central: a, url: mitm.URL, fp: certFP(a.TLS), problem: site.CertificateMismatch, given: certFP(a.TLS), seen: certFP(mitmCert)},
		{name: "interceptor, no fingerprint", central: a, url: mitm.URL, problem: site.Untrusted, seen: certFP(mitmCert)},
		{name: "a root vouches, no fingerprint", central: a, roots: rootsOfA},
		{name: "a root vouches, central's key fingerprint", central: a, roots: rootsOfA, fp: aKey},
		{name: "a root vouches, another central's key", central: a, roots: rootsOfA, fp: bKey, problem: site.KeyMismatch, given: bKey, seen: aKey},
		{name: "plain HTTP, central's key fingerprint", central: plain, fp: plain.PublicKey().Fingerprint()},
		{name: "plain HTTP, another central's key", central: plain, fp: aKey, problem: site.KeyMismatch, given: aKey, seen: plain.PublicKey().Fingerprint()},
		{name: "plain HTTP, a certificate fingerprint", central: plain, fp: certFP(a.TLS), input: true},
		{name: "not a fingerprint", central: a, fp: "7GQX-M3KD", input: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			cfg := siteConfig(t)
			cfg.RootCAs = tc.roots
			code := tc.central.EnrolCode(t)
			u := tc.central.URL
			if tc.url != "" {
				u = tc.url
			}
			s, err := site.Enrol(ctx, cfg, site.EnrolOptions{ServerURL: u, Code: code, Fingerprint: tc.fp})
			if tc.problem == "" && !tc.input {
				if err != nil {
					t.Fatal(err)
				}
				defer s.Close()
				id, err := s.Identity(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if id.CentralKey != tc.central.PublicKey().Fingerprint() || id.Link.Encrypted != (tc.central.TLS != nil) ||
					(len(id.Link.Pinned) == 1) != tc.pinned || tc.pinned && id.Link.Pinned[0] != keyFP(tc.central.TLS) {
					t.Fatalf("identity %+v", id)
				}
				if _, err := s.Download(ctx, nil); err != nil {
					t.Fatalf("download after enrolment: %v", err)
				}
				return
			}
			if s != nil {
				s.Close()
			}
			var te *site.TrustError
			switch {
			case tc.input:
				if !errors.Is(err, site.ErrInput) {
					t.Fatalf("err = %v, want bad input", err)
				}
			case !errors.As(err, &te) || te.Problem != tc.problem || te.Given != tc.given || te.Seen != tc.seen:
				t.Fatalf("err = %#v (%v), want %s naming %q and %q", te, err, tc.problem, tc.given, tc.seen)
			case !strings.Contains(err.Error(), tc.seen) || !strings.Contains(err.Error(), tc.given) || !strings.Contains(err.Error(), "not sent"):
				t.Fatalf("the message does not name both fingerprints: %v", err)
			}
			if site.Exists(cfg.Dir) {
				t.Fatal("a refused enrolment left a store behind")
			}
			// The code never reached central: it still enrols, with the right fingerprint.
			fp := tc.central.PublicKey().Fingerprint()
			s, err = site.Enrol(ctx, siteConfig(t), site.EnrolOptions{ServerURL: tc.central.URL, Code: code, Fingerprint: fp})
			if err != nil {
				t.Fatalf("the code was spent by the refused enrolment: %v", err)
			}
			s.Close()
		})
	}
}

// TestPinnedSiteSyncsOverTLS runs a session between a site and central
// over real TLS with central's self-signed certificate: enrolled with
// central's key fingerprint, the site pins central's TLS key, keeps it
// across a restart, and downloads, releases, checks in and syncs through
// it. Put another central, or an interceptor, at central's address and
// every connection is refused (downloads, release, the pusher, the probe),
// naming both keys, with nothing sent; central back, the site goes on.
func TestPinnedSiteSyncsOverTLS(t *testing.T) {
	ctx := context.Background()
	c := servertest.New(t, servertest.WithTLS())
	logs := &servertest.LogBuffer{}
	cfg := siteConfig(t)
	cfg.Log = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s, err := site.Enrol(ctx, cfg, site.EnrolOptions{ServerURL: c.URL, Code: c.EnrolCode(t), Fingerprint: c.PublicKey().Fingerprint()})
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{t: t, central: c, cfg: cfg, clock: &clock{}, logs: logs, s: s, session: c.Session.ID}
	t.Cleanup(func() { r.s.Close() })
	r.reopen() // the pin is kept in the store
	if id, err := r.s.Identity(ctx); err != nil || !id.Link.Encrypted || len(id.Link.Pinned) != 1 || id.Link.Pinned[0] != keyFP(c.TLS) ||
		!strings.Contains(id.Link.String(), "pinned") {
		t.Fatalf("identity after a restart: %+v, %v", id, err)
	}
	if _, err := r.s.Download(ctx, nil); err != nil {
		t.Fatal(err)
	}
	r.checkIn("2026WEB010001")
	r.started()
	if st, err := r.s.Sync(ctx); err != nil || st.Accepted == 0 {
		t.Fatalf("sync: %+v, %v", st, err)
	}
	if got := attendance(t, c, "2026WEB010001"); got != "present" {
		t.Fatalf("central has the check-in as %q", got)
	}

	other := servertest.New(t, servertest.WithTLS())
	mitm := interceptor(t, c)
	central := c.Relay.Target()
	for _, tc := range []struct {
		name   string
		target string
		cert   *x509.Certificate
	}{
		{"another central at central's address", other.Relay.Addr(), other.TLS},
		{"an interceptor at central's address", strings.TrimPrefix(mitm.URL, "https://"), mitm.Certificate()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c.Relay.SetTarget(tc.target)
			r.checkIn("2026WEB010002")
			for what, err := range map[string]error{
				"download": func() error { _, err := r.s.Download(ctx, nil); return err }(),
				"sync":     func() error { _, err := r.s.Sync(ctx); return err }(),
			} {
				var pe *wire.PinError
				if !errors.As(err, &pe) || !errors.Is(err, wire.ErrUnreachable) || pe.Seen != seal.SPKIHash(tc.cert) ||
					!strings.Contains(err.Error(), keyFP(c.TLS)) || !strings.Contains(err.Error(), keyFP(tc.cert)) {
					t.Errorf("%s: %v, want a *PinError naming %s and %s", what, err, keyFP(c.TLS), keyFP(tc.cert))
				}
			}
			st, err := r.s.Status(ctx, true)
			if err != nil || st.ServerReachable || !strings.Contains(st.ServerProblem, keyFP(tc.cert)) || st.Outbox.Pending == 0 {
				t.Errorf("status: reachable %v, %q, %d pending, %v", st.ServerReachable, st.ServerProblem, st.Outbox.Pending, err)
			}
			if attendance(t, c, "2026WEB010002") != "" {
				t.Fatal("a check-in reached central through the refused connection")
			}
		})
	}
	c.Relay.SetTarget(central)
	if st, err := r.s.Sync(ctx); err != nil || st.Accepted == 0 || attendance(t, c, "2026WEB010002") != "late" {
		t.Fatalf("sync with central back: %+v, %v", st, err)
	}
}

// attendance is a candidate's attendance as central has it.
func attendance(t *testing.T, c *servertest.Central, ticket string) string {
	t.Helper()
	for _, res := range c.Results(t) {
		if res.Ticket == ticket {
			return res.Attendance
		}
	}
	t.Fatalf("ticket %s is not in central's results", ticket)
	return ""
}

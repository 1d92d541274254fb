package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"onex/exam/seal"
	"onex/server"
	"onex/server/servertest"
	"onex/server/web"
)

// initData initialises a data directory with a self-signed certificate
// for hosts and returns it with what init printed.
func initData(t *testing.T, hosts string) (string, string) {
	t.Helper()
	data := filepath.Join(t.TempDir(), "central")
	pw := filepath.Join(t.TempDir(), "pw")
	os.WriteFile(pw, []byte("a long admin password\n"), 0o600)
	out, err := cli(t, "init", "--data", data, "--admin-password-file", pw, "--self-signed-tls", hosts)
	if err != nil {
		t.Fatal(err)
	}
	return data, out
}

func readCert(t *testing.T, path string) *x509.Certificate {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(b)
	if block == nil || block.Type != "CERTIFICATE" {
		t.Fatalf("%s is not a PEM certificate", path)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

// TestSelfSignedTLS: init --self-signed-tls writes a certificate for the
// names and addresses given, with its ECDSA P-256 key 0600 beside it, and
// prints its fingerprints; run again on the same directory it renews the
// certificate and keeps the key, so enrolled sites' pins hold. A bad host
// changes nothing.
func TestSelfSignedTLS(t *testing.T) {
	before := time.Now()
	data, out := initData(t, "onex.example.cn, 10.0.0.5,localhost,127.0.0.1,::1")
	cert := readCert(t, filepath.Join(data, server.TLSCertFile))
	if !slices.Equal(cert.DNSNames, []string{"onex.example.cn", "localhost"}) || len(cert.IPAddresses) != 3 ||
		!cert.IPAddresses[0].Equal(net.ParseIP("10.0.0.5")) || !cert.IPAddresses[2].Equal(net.IPv6loopback) {
		t.Errorf("SANs: %v %v", cert.DNSNames, cert.IPAddresses)
	}
	if cert.Subject.CommonName != "onex.example.cn" || cert.IsCA || !slices.Contains(cert.ExtKeyUsage, x509.ExtKeyUsageServerAuth) {
		t.Errorf("certificate %v, CA %v, key usage %v", cert.Subject, cert.IsCA, cert.ExtKeyUsage)
	}
	if pub, ok := cert.PublicKey.(*ecdsa.PublicKey); !ok || pub.Curve != elliptic.P256() {
		t.Errorf("key %T", cert.PublicKey)
	}
	if d := cert.NotAfter.Sub(before); d < 700*24*time.Hour || d > 825*24*time.Hour || cert.NotBefore.After(before) {
		t.Errorf("valid %v to %v", cert.NotBefore, cert.NotAfter)
	}
	for _, host := range []string{"onex.example.cn", "10.0.0.5", "127.0.0.1", "::1"} {
		if err := cert.VerifyHostname(host); err != nil {
			t.Error(err)
		}
	}
	sum := sha256.Sum256(cert.Raw)
	fp := seal.TLSFingerprint(sum)
	if !strings.Contains(out, "TLS certificate SHA-256: "+fp) || !strings.Contains(out, seal.TLSFingerprint(seal.SPKIHash(cert))) ||
		!strings.Contains(out, "central key fingerprint: ") {
		t.Errorf("init printed:\n%s", out)
	}
	if _, err := tls.LoadX509KeyPair(filepath.Join(data, server.TLSCertFile), filepath.Join(data, server.TLSKeyFile)); err != nil {
		t.Fatalf("not a usable key pair: %v", err)
	}
	for name, want := range map[string]os.FileMode{server.TLSKeyFile: 0o600, server.KeysFile: 0o600} {
		if st, err := os.Stat(filepath.Join(data, name)); err != nil || st.Mode().Perm() != want {
			t.Errorf("%s: %v %v", name, st.Mode(), err)
		}
	}

	// Renewed: a new certificate, the same key.
	out, err := cli(t, "init", "--data", data, "--self-signed-tls", "onex.example.cn")
	if err != nil {
		t.Fatal(err)
	}
	renewed := readCert(t, filepath.Join(data, server.TLSCertFile))
	if renewed.Equal(cert) || seal.SPKIHash(renewed) != seal.SPKIHash(cert) || strings.Contains(out, "admin password") {
		t.Errorf("renewal: same certificate %v, same key %v; printed %q", renewed.Equal(cert), seal.SPKIHash(renewed) == seal.SPKIHash(cert), out)
	}
	if _, err := cli(t, "init", "--data", data); err == nil {
		t.Error("a second init without --self-signed-tls overwrote central's keys")
	}

	fresh := filepath.Join(t.TempDir(), "fresh")
	for _, bad := range []string{"onex.example.cn,exam site", "onex.example.cn,", "-bad.example", "a..b", "*.example.cn"} {
		_, err := cli(t, "init", "--data", fresh, "--self-signed-tls", bad)
		if err == nil || !strings.Contains(err.Error(), "--self-signed-tls") {
			t.Errorf("%q: %v", bad, err)
		}
		if _, err := os.Stat(fresh); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("%q: init wrote %s before refusing", bad, fresh)
		}
	}
}

var officeURL = regexp.MustCompile(`office=(https?://[^ ]+)/office/`)

// serve runs onex-central serve with args until the test ends, and returns
// its base URL and its log.
func serve(t *testing.T, args ...string) (string, *servertest.LogBuffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	logged := &servertest.LogBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...), &bytes.Buffer{}, &bytes.Buffer{}, slog.New(slog.NewTextHandler(logged, nil)))
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	for range 500 {
		if m := officeURL.FindStringSubmatch(logged.String()); m != nil {
			return m[1], logged
		}
		select {
		case err := <-done:
			t.Fatalf("serve stopped: %v\n%s", err, logged.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
	t.Fatalf("serve did not start:\n%s", logged.String())
	return "", nil
}

// get asks for the sign-in page with client, adding headers.
func get(t *testing.T, client *http.Client, url string, header http.Header) *http.Response {
	t.Helper()
	req, err := http.NewRequest("GET", url+"/office/signin", nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

func trusting(certs ...*x509.Certificate) *http.Client {
	roots := x509.NewCertPool()
	for _, c := range certs {
		roots.AddCert(c)
	}
	return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}, ForceAttemptHTTP2: true}}
}

// TestServeTLS serves over real TLS on a real listener: the data
// directory's certificate by default, or the one named; TLS 1.2 at least;
// the office's cookies Secure and HSTS on every answer. --no-tls serves
// plain HTTP, whose cookies are not Secure, and says the link is not
// encrypted.
func TestServeTLS(t *testing.T) {
	data, _ := initData(t, "127.0.0.1,localhost")
	cert := readCert(t, filepath.Join(data, server.TLSCertFile))
	other := filepath.Join(t.TempDir(), "other")
	otherCert, err := server.InitTLS(other, []string{"127.0.0.1"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name string
		args []string
		cert *x509.Certificate
	}{
		{"the data directory's certificate", nil, cert},
		{"a certificate named", []string{"--tls-cert", filepath.Join(other, server.TLSCertFile), "--tls-key", filepath.Join(other, server.TLSKeyFile)}, otherCert},
	} {
		t.Run(tc.name, func(t *testing.T) {
			url, logged := serve(t, append([]string{"--data", data}, tc.args...)...)
			if !strings.HasPrefix(url, "https://127.0.0.1:") || !strings.Contains(logged.String(), seal.TLSFingerprint(seal.CertificateHash(tc.cert))) {
				t.Fatalf("serving %s:\n%s", url, logged.String())
			}
			resp := get(t, trusting(tc.cert), url, nil)
			if resp.TLS == nil || resp.TLS.Version < tls.VersionTLS12 || !resp.TLS.PeerCertificates[0].Equal(tc.cert) || resp.ProtoMajor != 2 {
				t.Fatalf("TLS %+v, %s", resp.TLS, resp.Proto)
			}
			cks := resp.Cookies()
			if resp.StatusCode != 200 || len(cks) != 1 || !cks[0].Secure || !cks[0].HttpOnly {
				t.Errorf("%d, cookies %+v", resp.StatusCode, cks)
			}
			if got := resp.Header.Get("Strict-Transport-Security"); got != web.HSTS {
				t.Errorf("Strict-Transport-Security %q", got)
			}
			// Central tells devices about to enrol the key it serves with.
			var info struct {
				TLSKeys []byte `json:"tls_keys"`
			}
			if err := getJSON(trusting(tc.cert), url+"/api/v1/central", &info); err != nil || len(info.TLSKeys) == 0 {
				t.Errorf("central's info: %v %x", err, info.TLSKeys)
			}
			// Before TLS 1.2: no handshake.
			old := trusting(tc.cert)
			old.Transport.(*http.Transport).TLSClientConfig.MaxVersion = tls.VersionTLS11
			if _, err := old.Get(url + "/healthz"); err == nil {
				t.Error("a TLS 1.1 client was served")
			}
			// A certificate no root vouches for is refused by a client that checks.
			if _, err := (&http.Client{}).Get(url + "/healthz"); err == nil {
				t.Error("a client that trusts only the system's roots took the self-signed certificate")
			}
		})
	}

	t.Run("--no-tls", func(t *testing.T) {
		url, logged := serve(t, "--data", data, "--no-tls")
		resp := get(t, &http.Client{}, url, nil)
		if !strings.HasPrefix(url, "http://") || resp.TLS != nil || !strings.Contains(logged.String(), "not encrypted") {
			t.Fatalf("%s:\n%s", url, logged.String())
		}
		if cks := resp.Cookies(); len(cks) != 1 || cks[0].Secure || resp.Header.Get("Strict-Transport-Security") != "" {
			t.Errorf("plain HTTP: cookies %+v, HSTS %q", cks, resp.Header.Get("Strict-Transport-Security"))
		}
	})

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--tls-cert", filepath.Join(other, server.TLSCertFile)}, "--tls-cert and --tls-key go together"},
		{[]string{"--no-tls", "--tls-key", "k"}, "contradict"},
		{[]string{"--tls-cert", filepath.Join(other, server.TLSCertFile), "--tls-key", filepath.Join(data, server.TLSKeyFile)}, "private key does not match public key"},
		{[]string{"--tls-cert", filepath.Join(data, "nope.crt"), "--tls-key", filepath.Join(data, server.TLSKeyFile)}, "nope.crt"},
	} {
		if _, err := cli(t, append([]string{"serve", "--data", data, "--addr", "127.0.0.1:0"}, tc.args...)...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v, want %q", tc.args, err, tc.want)
		}
	}
}

// TestServeBehindAProxy: --trust-proxy makes cookies Secure and sends HSTS
// when the TLS proxy in front says the browser came over https; without the
// flag the same header changes nothing.
func TestServeBehindAProxy(t *testing.T) {
	data, _ := initData(t, "127.0.0.1")
	https := http.Header{"X-Forwarded-Proto": {"https"}, "X-Forwarded-For": {"203.0.113.7"}}
	for _, tc := range []struct {
		name   string
		args   []string
		header http.Header
		secure bool
	}{
		{"trusted proxy, https", []string{"--trust-proxy"}, https, true},
		{"trusted proxy, http", []string{"--trust-proxy"}, http.Header{"X-Forwarded-Proto": {"http"}}, false},
		{"no proxy trusted", nil, https, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			url, logged := serve(t, append([]string{"--data", data, "--no-tls"}, tc.args...)...)
			resp := get(t, &http.Client{}, url, tc.header)
			cks := resp.Cookies()
			if len(cks) != 1 || cks[0].Secure != tc.secure || (resp.Header.Get("Strict-Transport-Security") == web.HSTS) != tc.secure {
				t.Errorf("cookies %+v, HSTS %q; want secure %v", cks, resp.Header.Get("Strict-Transport-Security"), tc.secure)
			}
			if warned := strings.Contains(logged.String(), "not encrypted"); warned == (tc.args != nil) {
				t.Errorf("plain-HTTP warning %v with %v:\n%s", warned, tc.args, logged.String())
			}
		})
	}
}

func getJSON(client *http.Client, url string, v any) error {
	resp, err := client.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		return fmt.Errorf("%s: %d", url, resp.StatusCode)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

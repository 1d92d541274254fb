package site_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"onex/client/site"
	"onex/client/store"
	"onex/exam/credential"
	"onex/exam/seal"
	"onex/server"
	"onex/server/servertest"
	wire "onex/sync"
)

// trustProxy stands between the site and central: it passes everything,
// keeps every answer to the certificate trust request, and can instead
// answer that request with an error, an altered answer, or one it kept (a
// replay by someone on the network).
type trustProxy struct {
	mu      gosync.Mutex
	answers [][]byte
	mode    string // "", "error", "alter", "replay"
	replay  int    // the answer replayed
}

func (p *trustProxy) set(mode string, replay int) {
	p.mu.Lock()
	p.mode, p.replay = mode, replay
	p.mu.Unlock()
}

// wrap starts the proxy in front of central's URL and returns its own.
func (p *trustProxy) wrap(t testing.TB) func(string) string {
	return func(target string) string {
		u, err := url.Parse(target)
		if err != nil {
			t.Fatal(err)
		}
		rp := httputil.NewSingleHostReverseProxy(u)
		rp.ErrorLog = log.New(io.Discard, "", 0) // central cut away is what some tests play
		rp.ModifyResponse = func(resp *http.Response) error {
			if resp.Request.URL.Path != wire.PathCertificateTrust || resp.StatusCode != http.StatusOK {
				return nil
			}
			b, err := io.ReadAll(resp.Body)
			if err != nil {
				return err
			}
			p.mu.Lock()
			defer p.mu.Unlock()
			p.answers = append(p.answers, b)
			switch p.mode {
			case "alter":
				var ct wire.CertificateTrust
				json.Unmarshal(b, &ct)
				ct.StatusList[len(ct.StatusList)/2] ^= 1
				b, _ = json.Marshal(ct)
			case "replay":
				b = p.answers[p.replay]
			}
			resp.Body = io.NopCloser(strings.NewReader(string(b)))
			resp.ContentLength = int64(len(b))
			resp.Header.Del("Content-Length")
			return nil
		}
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			p.mu.Lock()
			fail := p.mode == "error" && r.URL.Path == wire.PathCertificateTrust
			p.mu.Unlock()
			if fail {
				http.Error(w, "busy", http.StatusServiceUnavailable)
				return
			}
			rp.ServeHTTP(w, r)
		}))
		t.Cleanup(srv.Close)
		return srv.URL
	}
}

// certRig is a site enrolled with a central that issued a certificate
// (servertest.Certified: the holder sat the session at another device of
// the site, passed, the result approved), talking to central through a
// trustProxy.
type certRig struct {
	*rig
	cert  server.Certificate
	proxy *trustProxy
}

func newCertRig(t *testing.T) *certRig {
	t.Helper()
	c, cert := servertest.Certified(t)
	p := &trustProxy{}
	return &certRig{rig: enrolRigWith(t, c, p.wrap(t)), cert: cert, proxy: p}
}

// download downloads and returns what became of the trust documents.
func (r *certRig) download() *site.CertificateTrustResult {
	r.t.Helper()
	res, err := r.s.Download(context.Background(), nil)
	if err != nil {
		r.t.Fatalf("download: %v", err)
	}
	if res.Certificates == nil {
		r.t.Fatal("the download says nothing of the certificate trust documents")
	}
	return res.Certificates
}

// verify checks text offline from the data directory alone.
func (r *certRig) verify(text, id string) site.CertificateCheck {
	r.t.Helper()
	chk, err := site.VerifyCertificate(r.cfg.Dir, text, id)
	if err != nil {
		r.t.Fatalf("verify: %v", err)
	}
	return chk
}

// later moves central's clock and the site's on by d.
func (r *certRig) later(d time.Duration) {
	r.central.Clock.Add(d)
	r.clock.Add(d)
}

// now is central's clock in whole seconds, as status lists are dated.
func (r *certRig) now() time.Time { return r.central.Clock.Now().Truncate(time.Second) }

// TestCertificateVerifiedOffline: a certificate central issued verifies at
// the site with central away — from the data directory alone, while the
// station holds the store open — to the same fields, its status as of the
// status list downloaded, the holder's ID number confirmed and another
// refused; revoked at central, it stays valid offline as of the old date
// until the next download, then shows revoked; a text altered in one byte
// is refused.
func TestCertificateVerifiedOffline(t *testing.T) {
	ctx := context.Background()
	r := newCertRig(t)
	if chk, err := site.VerifyCertificate(r.cfg.Dir, r.cert.QR, ""); chk.Outcome != site.CertificateNoLists || !errors.Is(err, site.ErrNoCertificateLists) {
		t.Fatalf("before the first download: %+v, %v", chk, err)
	}
	firstAsOf := r.now()
	if res := r.download(); !res.Taken || !res.StatusAsOf.Equal(firstAsOf) || res.Problem != "" {
		t.Fatalf("first download: %+v", res)
	}

	// Central away.
	target := r.central.Relay.Target()
	r.central.Relay.SetTarget("127.0.0.1:1")
	if _, err := r.s.Download(ctx, nil); !errors.Is(err, wire.ErrUnreachable) {
		t.Fatalf("download with central away: %v", err)
	}
	if _, err := store.Open(ctx, r.cfg.Dir, pass, store.Options{}); !errors.Is(err, store.ErrLocked) {
		t.Fatalf("the store is not held open by the station: %v", err)
	}
	c := r.cert
	for _, tc := range []struct {
		id                   string
		idChecked, idMatches bool
	}{
		{"", false, false},
		{servertest.HolderID, true, true},
		{" " + strings.ToLower(servertest.HolderID[:10]) + " " + servertest.HolderID[10:], true, true},
		{"31010420031018810X", true, false},
	} {
		chk := r.verify(c.QR, tc.id)
		if chk.Outcome != site.CertificateValid || chk.Number != c.Number || chk.Holder != c.HolderName || chk.Certificate != c.CertCode ||
			chk.Level != c.Level || chk.Organisation != c.OrgName || chk.Site != c.SiteName || !chk.Issued.Equal(c.Issued) ||
			!chk.StatusAsOf.Equal(firstAsOf) || chk.StatusBeforeIssue || chk.IDChecked != tc.idChecked || chk.IDMatches != tc.idMatches ||
			chk.CentralKey != r.central.PublicKey().Fingerprint() {
			t.Errorf("ID %q: check %+v of certificate %+v", tc.id, chk, c)
		}
	}
	// The station's own check agrees, and refuses lists of another central.
	if chk, err := r.s.VerifyCertificate(ctx, c.QR, servertest.HolderID); err != nil || chk.Outcome != site.CertificateValid || !chk.IDMatches {
		t.Errorf("the station's check: %+v, %v", chk, err)
	}
	if strings.Contains(r.logs.String(), servertest.HolderID) || strings.Contains(r.logs.String(), c.HolderName) {
		t.Error("the log names the holder")
	}

	// Altered: every byte changed in turn is refused, never shown.
	cose, err := credential.Decode(c.QR)
	if err != nil {
		t.Fatal(err)
	}
	for i := range cose {
		b := []byte(string(cose))
		b[i] ^= 0x01
		chk := r.verify(credential.Encode(b), "")
		if chk.Verified() || chk.Holder != "" {
			t.Fatalf("byte %d changed: %+v", i, chk)
		}
	}
	if chk := r.verify(strings.Replace(c.QR, "OX1:", "OX2:", 1), ""); chk.Outcome != site.CertificateNotText || chk.Refusal != site.RefusedPrefix {
		t.Errorf("another prefix: %+v", chk)
	}

	// Revoked at central: offline the site still says valid, as of the list
	// it has, until the next download.
	if _, err := r.central.SetCertificateStatus(ctx, c.Number, credential.Revoked, "证书信息有误", "office ann"); err != nil {
		t.Fatal(err)
	}
	r.later(time.Minute)
	if chk := r.verify(c.QR, ""); chk.Outcome != site.CertificateValid || !chk.StatusAsOf.Equal(firstAsOf) {
		t.Errorf("revoked at central, offline: %+v", chk)
	}
	r.central.Relay.SetTarget(target)
	if res := r.download(); !res.Taken || !res.StatusAsOf.Equal(r.now()) {
		t.Fatalf("download after the revocation: %+v", res)
	}
	if chk := r.verify(c.QR, servertest.HolderID); chk.Outcome != site.CertificateRevoked || !chk.StatusAsOf.Equal(r.now()) || !chk.IDMatches || chk.Number != c.Number {
		t.Errorf("after the next download: %+v", chk)
	}
}

// TestCertificateTrustFailuresFailNoDownload: central's certificate trust
// answer failing (an error, a byte altered on the way, an old answer
// replayed) is logged and reported with the download, which itself
// succeeds; what the site keeps stays as it was, so a replayed list never
// takes back a revocation.
func TestCertificateTrustFailuresFailNoDownload(t *testing.T) {
	ctx := context.Background()
	r := newCertRig(t)
	first := r.now()
	r.download() // answer 0: the certificate valid
	if _, err := r.central.SetCertificateStatus(ctx, r.cert.Number, credential.Suspended, "身份存疑", "office ann"); err != nil {
		t.Fatal(err)
	}
	r.later(time.Minute)
	second := r.now()
	if res := r.download(); !res.Taken { // answer 1: suspended
		t.Fatalf("second download: %+v", res)
	}
	r.later(time.Minute)
	for _, tc := range []struct {
		mode string
		want error
		log  string
	}{
		{"error", nil, "certificate trust documents not taken"},
		{"alter", site.ErrCertificateTrust, "certificate trust documents not taken"},
		{"replay", site.ErrStaleCertificateTrust, "older than those kept"},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			r.proxy.set(tc.mode, 0)
			defer r.proxy.set("", 0)
			res, err := r.s.Download(ctx, nil)
			if err != nil {
				t.Fatalf("the download failed with its certificate lists: %v", err)
			}
			c := res.Certificates
			if c == nil || c.Taken || c.Problem == "" || !c.StatusAsOf.Equal(second) || (tc.want != nil && !errors.Is(c.Err, tc.want)) {
				t.Fatalf("result %+v, want %v", c, tc.want)
			}
			if !strings.Contains(r.logs.String(), tc.log) {
				t.Errorf("not logged: %q", tc.log)
			}
			if chk := r.verify(r.cert.QR, ""); chk.Outcome != site.CertificateSuspended || !chk.StatusAsOf.Equal(second) {
				t.Errorf("after a %s: %+v", tc.mode, chk)
			}
		})
	}
	if first.Equal(second) {
		t.Fatal("the two lists have one date")
	}
}

// TestRotatedOutKeyRefusedOffline: after central rotates its issuer key,
// a certificate signed with the old key after its window ended (by someone
// who kept it) is refused offline, while the certificates the old key
// signed inside its window stay valid, and a new one signed by the new key
// verifies.
func TestRotatedOutKeyRefusedOffline(t *testing.T) {
	ctx := context.Background()
	r := newCertRig(t)
	old := issuerKey(t, r.central, r.cert.KeyID)
	r.later(time.Hour)
	kid, err := r.central.RotateIssuerKey(ctx, "office admin")
	if err != nil {
		t.Fatal(err)
	}
	r.later(time.Hour)
	if res := r.download(); !res.Taken {
		t.Fatalf("download: %+v", res)
	}
	claims := func(key ed25519.PrivateKey) string {
		salt := make([]byte, credential.SaltSize)
		rand.Read(salt)
		text, err := credential.NewIssuer(key).IssueText(credential.Claims{Number: "WEB-1-2026-999999", Holder: "冒名", IDSalt: salt,
			IDHash: credential.HashID(salt, servertest.HolderID), Certificate: "WEB", Level: 1, Organisation: r.cert.OrgName, Site: r.cert.SiteName,
			Issued: r.now(), StatusIndex: 5})
		if err != nil {
			t.Fatal(err)
		}
		return text
	}
	if chk := r.verify(claims(old), servertest.HolderID); chk.Outcome != site.CertificateUntrusted || chk.Refusal != site.RefusedKeyWindow || chk.Holder != "" {
		t.Errorf("signed by the rotated-out key after its window: %+v", chk)
	}
	if chk := r.verify(r.cert.QR, ""); chk.Outcome != site.CertificateValid {
		t.Errorf("signed by the old key in its window: %+v", chk)
	}
	if chk := r.verify(claims(issuerKey(t, r.central, kid)), ""); chk.Outcome != site.CertificateValid || chk.Holder != "冒名" {
		t.Errorf("signed by the new key: %+v", chk)
	}
}

// issuerKey opens central's issuer key kid from its database with central's
// key file, as someone holding both could.
func issuerKey(t *testing.T, c *servertest.Central, kid []byte) ed25519.PrivateKey {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(c.Dir, server.KeysFile))
	if err != nil {
		t.Fatal(err)
	}
	ck, err := seal.ParseCentralKeys(b)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := c.DB(t).IssuerKeys(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		if hex.EncodeToString(k.KeyID) == hex.EncodeToString(kid) {
			seed, err := seal.OpenField(ck.SecretsKey(), "issuer_keys", "private_sealed", hex.EncodeToString(kid), k.PrivateSealed)
			if err != nil {
				t.Fatal(err)
			}
			return ed25519.NewKeyFromSeed(seed)
		}
	}
	t.Fatalf("no issuer key %x", kid)
	return nil
}

// TestStationRefusesListsOfAnotherCentral: lists another central signed,
// put in the data directory whole, read as lists by themselves (nothing in
// the directory tells them apart without the store; the certificate is then
// of an unknown key), but the station, which knows its central, refuses
// them.
func TestStationRefusesListsOfAnotherCentral(t *testing.T) {
	r := newCertRig(t)
	r.download()
	other := enrolRig(t, nil)
	if _, err := other.s.Download(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(other.cfg.Dir, site.CertificateTrustFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(r.cfg.Dir, site.CertificateTrustFile), b, 0o644); err != nil {
		t.Fatal(err)
	}
	if chk := r.verify(r.cert.QR, ""); chk.Outcome != site.CertificateUntrusted || chk.Refusal != site.RefusedUnknownKey || chk.CentralKey != other.central.PublicKey().Fingerprint() {
		t.Errorf("from the directory alone: %+v", chk)
	}
	if chk, err := r.s.VerifyCertificate(context.Background(), r.cert.QR, ""); !errors.Is(err, site.ErrCertificateTrust) || chk.Verified() {
		t.Errorf("the station: %+v, %v", chk, err)
	}
	if res := r.download(); !res.Taken {
		t.Errorf("the next download does not replace them: %+v", res)
	}
}

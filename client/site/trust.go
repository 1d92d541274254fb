package site

import (
	"bytes"
	"context"
	"crypto/x509"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	gosync "sync"

	"github.com/hashicorp/go-retryablehttp"

	"onex/exam/seal"
	wire "onex/sync"
)

// How a site trusts its central. At enrolment staff may give central's
// fingerprint (the key fingerprint onex-central init prints and the office's
// sites page shows, or the SHA-256 of central's TLS certificate). Before the
// one-time code is sent, the site looks at who answers at central's address
// (GET /api/v1/central over a connection that only observes the
// certificate) and decides:
//
//   - https, a certificate the machine's roots vouch for: no pin, Go's own
//     verification from then on; a key fingerprint given must match
//     central's key;
//   - https, a certificate no root vouches for (self-signed): a fingerprint
//     is required. A certificate fingerprint must match the certificate (or
//     its key); a key fingerprint must match central's key, and central's
//     signed statement must name the TLS key seen. Either way the site pins
//     that TLS key (its SPKI hash) and from then on every connection
//     (enrolment, downloads, release, the pusher, the probe) must present
//     it, whatever the certificate's name and dates;
//   - http: no TLS, the link is not encrypted; a key fingerprint given must
//     still match central's key, which then signs everything central sends.
//
// A mismatch refuses the enrolment with a *TrustError naming both
// fingerprints, before the code is sent.

// TrustProblem is what was wrong with the central at the address given.
type TrustProblem string

// Trust problems at enrolment.
const (
	// KeyMismatch: central's key has another fingerprint than the one given.
	KeyMismatch TrustProblem = "key"
	// CertificateMismatch: central's certificate has another SHA-256 than
	// the one given.
	CertificateMismatch TrustProblem = "certificate"
	// Unvouched: central's key matches the fingerprint given, but central
	// does not vouch for the TLS key presented: someone in between, or a TLS
	// proxy in front of central (then give the proxy's certificate
	// fingerprint).
	Unvouched TrustProblem = "unvouched"
	// Untrusted: no fingerprint was given and no root of this machine
	// vouches for central's certificate (a self-signed one).
	Untrusted TrustProblem = "untrusted"
)

// TrustError refuses a central at enrolment; nothing secret was sent to it.
// Given is the fingerprint staff gave ("" for Untrusted, the keys central
// vouches for, if any, for Unvouched); Seen is the fingerprint of what
// answered. Err is why the roots refused the certificate (Untrusted).
type TrustError struct {
	Problem TrustProblem
	Given   string
	Seen    string
	Err     error
}

func (e *TrustError) Error() string {
	const notSent = "; the enrolment code was not sent"
	switch e.Problem {
	case KeyMismatch:
		return fmt.Sprintf("central's key fingerprint is %s, not %s as given: this is not the central you were told of%s", e.Seen, e.Given, notSent)
	case CertificateMismatch:
		return fmt.Sprintf("central's TLS certificate SHA-256 is %s, not %s as given: this is not the central you were told of%s", e.Seen, e.Given, notSent)
	case Unvouched:
		vouched := "none (central serves no TLS itself)"
		if e.Given != "" {
			vouched = e.Given
		}
		return fmt.Sprintf("central's key matches, but the TLS key presented, %s, is not one central vouches for (%s): someone in between, or a TLS proxy in front of central (then give the proxy certificate's fingerprint)%s", e.Seen, vouched, notSent)
	}
	return fmt.Sprintf("central's TLS certificate (SHA-256 %s) is not vouched for by any root this machine trusts (%v): give central's fingerprint, from its office's sites page or onex-central init%s", e.Seen, e.Err, notSent)
}

// centralTrust is what enrolment decided to trust.
type centralTrust struct {
	central *seal.CentralPublicKey // the key GET /api/v1/central gave, when asked
	pins    []seal.Hash            // the TLS key to pin; none: the roots, or plain HTTP
}

// meetCentral looks at who answers at server and decides whether and how to
// trust it, by the fingerprint given. It sends nothing secret.
func (s *Site) meetCentral(ctx context.Context, server string, fp seal.Fingerprint) (*centralTrust, error) {
	u, err := url.Parse(server)
	if err != nil {
		return nil, inputf("server_url", "server URL: %v", err)
	}
	if u.Scheme == "http" {
		if fp.IsTLS() {
			return nil, inputf("fingerprint_needs_https", "a certificate fingerprint needs central's https:// address; %s is plain HTTP", server)
		}
		if !fp.IsKey() {
			return &centralTrust{}, nil
		}
	}
	info, chain, err := s.centralInfo(ctx, server)
	if err != nil {
		return nil, fmt.Errorf("enrol: asking who central is: %w", err)
	}
	central, err := seal.ParseCentralPublicKey(info.CentralKey)
	if err != nil {
		return nil, fmt.Errorf("enrol: central's key: %w", err)
	}
	if fp.IsKey() && !fp.MatchesKey(central) {
		return nil, &TrustError{Problem: KeyMismatch, Given: fp.String(), Seen: central.Fingerprint()}
	}
	trust := &centralTrust{central: central}
	if u.Scheme == "http" {
		return trust, nil
	}
	leaf := chain[0]
	if fp.IsTLS() {
		if !fp.MatchesCertificate(leaf) {
			return nil, &TrustError{Problem: CertificateMismatch, Given: fp.String(), Seen: seal.TLSFingerprint(seal.CertificateHash(leaf))}
		}
		trust.pins = []seal.Hash{seal.SPKIHash(leaf)}
		return trust, nil
	}
	roots := x509.NewCertPool()
	for _, c := range chain[1:] {
		roots.AddCert(c)
	}
	_, rootsErr := leaf.Verify(x509.VerifyOptions{DNSName: u.Hostname(), Roots: s.cfg.RootCAs, Intermediates: roots})
	switch {
	case rootsErr == nil:
		return trust, nil
	case !fp.IsKey():
		return nil, &TrustError{Problem: Untrusted, Seen: seal.TLSFingerprint(seal.CertificateHash(leaf)), Err: rootsErr}
	}
	seen := seal.SPKIHash(leaf)
	var vouched []seal.Hash
	if info.TLSKeys != nil {
		if vouched, err = seal.OpenTLSKeys(central, info.TLSKeys); err != nil {
			return nil, fmt.Errorf("enrol: central's TLS key statement: %w", err)
		}
	}
	if !slices.Contains(vouched, seen) {
		names := make([]string, len(vouched))
		for i, h := range vouched {
			names[i] = seal.TLSFingerprint(h)
		}
		return nil, &TrustError{Problem: Unvouched, Given: strings.Join(names, ", "), Seen: seal.TLSFingerprint(seen)}
	}
	trust.pins = []seal.Hash{seen}
	return trust, nil
}

// centralInfo asks GET /api/v1/central over a connection that accepts any
// certificate and notes the chain presented. The connection is not reused.
func (s *Site) centralInfo(ctx context.Context, server string) (*wire.CentralInfo, []*x509.Certificate, error) {
	var mu gosync.Mutex
	var chain []*x509.Certificate
	client, err := wire.WithTLS(s.base, wire.ObservingTLS(func(c []*x509.Certificate) {
		mu.Lock()
		chain = c
		mu.Unlock()
	}))
	if err != nil {
		return nil, nil, err
	}
	req, err := retryablehttp.NewRequestWithContext(ctx, http.MethodGet, server+wire.PathCentral, nil)
	if err != nil {
		return nil, nil, inputf("server_url", "server URL: %v", err)
	}
	req.Close = true
	resp, err := client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, nil, ctx.Err()
		}
		return nil, nil, wire.TransportError(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, nil, wire.StatusErrorFrom(resp)
	}
	var info wire.CentralInfo
	if err := decodeJSON(resp.Body, maxSmallResponse, &info); err != nil {
		return nil, nil, fmt.Errorf("central's answer: %w", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if strings.HasPrefix(server, "https:") && len(chain) == 0 {
		return nil, nil, fmt.Errorf("central's answer came without a certificate")
	}
	return &info, chain, nil
}

// setTrust makes every later connection to central trust it as decided:
// the pinned TLS keys, or the roots.
func (s *Site) setTrust(pins []seal.Hash) error {
	c, err := wire.WithTLS(s.base, wire.CentralTLS(pins, s.cfg.RootCAs))
	if err != nil {
		return fmt.Errorf("site: %w", err)
	}
	s.httpc.Store(c)
	return nil
}

// client is the HTTP client that talks to central, trusting it as
// enrolment decided.
func (s *Site) client() *retryablehttp.Client { return s.httpc.Load() }

// sameKey reports whether two central keys are the same.
func sameKey(a, b *seal.CentralPublicKey) bool { return bytes.Equal(a.Marshal(), b.Marshal()) }

// Link is how the device reaches central, as staff see it.
type Link struct {
	Encrypted bool     `json:"encrypted"`            // https
	Pinned    []string `json:"tls_pinned,omitempty"` // the TLS keys pinned at enrolment (SHA-256 of the public key)
}

func linkOf(serverURL string, pins []seal.Hash) Link {
	l := Link{Encrypted: strings.HasPrefix(serverURL, "https://")}
	for _, p := range pins {
		l.Pinned = append(l.Pinned, seal.TLSFingerprint(p))
	}
	return l
}

// String says it in a line.
func (l Link) String() string {
	switch {
	case !l.Encrypted:
		return "plain HTTP: NOT encrypted (rosters and release keys can be read on the network; enrol with an https:// address)"
	case len(l.Pinned) > 0:
		return "HTTPS, central's TLS key pinned: " + strings.Join(l.Pinned, " or ")
	}
	return "HTTPS, central's certificate checked against this machine's roots"
}

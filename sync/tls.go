package sync

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/hashicorp/go-retryablehttp"

	"onex/exam/seal"
)

// PinError is central's certificate refused because its key is not the one
// the site pinned at enrolment. Nothing was sent over that connection.
type PinError struct {
	Pinned []seal.Hash // SPKI hashes the site pinned
	Seen   seal.Hash   // SPKI hash of the certificate presented
	Cert   seal.Hash   // SHA-256 of the certificate presented
}

func (e *PinError) Error() string {
	return fmt.Sprintf("central's TLS key is %s (certificate SHA-256 %s), but this site pinned %s when it enrolled: "+
		"this is not the central the site enrolled with (someone on the network in between, or central's TLS key was replaced); nothing was sent",
		e.SeenKey(), seal.TLSFingerprint(e.Cert), e.PinnedKeys())
}

// SeenKey is the SHA-256 of the key presented, as staff read it.
func (e *PinError) SeenKey() string { return seal.TLSFingerprint(e.Seen) }

// PinnedKeys are the SHA-256 of the keys pinned, as staff read them.
func (e *PinError) PinnedKeys() string {
	pinned := make([]string, len(e.Pinned))
	for i, h := range e.Pinned {
		pinned[i] = seal.TLSFingerprint(h)
	}
	return strings.Join(pinned, " or ")
}

// CentralTLS is the TLS configuration a site talks to central with, TLS 1.2
// or later. With pins, central's certificate must carry one of the pinned
// keys (SPKI hashes), and nothing else about it is checked: the pin is the
// trust, as an SSH host key is, so a self-signed certificate's name and
// dates do not matter. Without pins, Go's own verification against roots
// (nil: the system's) and the host name.
func CentralTLS(pins []seal.Hash, roots *x509.CertPool) *tls.Config {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: roots}
	if len(pins) == 0 {
		return cfg
	}
	pins = slices.Clone(pins)
	// Go verifies nothing itself here; VerifyConnection checks every
	// handshake, resumed ones included, against the pins.
	cfg.InsecureSkipVerify = true
	cfg.VerifyConnection = func(cs tls.ConnectionState) error {
		if len(cs.PeerCertificates) == 0 {
			return errors.New("central presented no certificate")
		}
		leaf := cs.PeerCertificates[0]
		seen := seal.SPKIHash(leaf)
		if slices.Contains(pins, seen) {
			return nil
		}
		return &tls.CertificateVerificationError{UnverifiedCertificates: cs.PeerCertificates,
			Err: &PinError{Pinned: pins, Seen: seen, Cert: seal.CertificateHash(leaf)}}
	}
	return cfg
}

// WithTLS returns a copy of c whose connections use cfg; c is not changed.
// c's transport must be an *http.Transport (NewClient's is), or nil for
// http.DefaultTransport's settings.
func WithTLS(c *retryablehttp.Client, cfg *tls.Config) (*retryablehttp.Client, error) {
	var t *http.Transport
	switch rt := c.HTTPClient.Transport.(type) {
	case nil:
		t = http.DefaultTransport.(*http.Transport).Clone()
	case *http.Transport:
		t = rt.Clone()
	default:
		return nil, fmt.Errorf("sync: HTTP transport %T is not an *http.Transport: cannot set its TLS", rt)
	}
	t.TLSClientConfig = cfg
	hc := *c.HTTPClient
	hc.Transport = t
	return clone(c, &hc), nil
}

// TransportError is a request to central that got no answer: it wraps
// ErrUnreachable, and the *PinError when central's certificate was
// refused, or ErrTimeout, ErrConnRefused or ErrNoNetwork when the cause is
// one of them; its text names no query.
func TransportError(err error) error {
	var pe *PinError
	if errors.As(err, &pe) {
		return fmt.Errorf("%w: %w", ErrUnreachable, pe)
	}
	if c := transportCause(err); c != nil {
		return fmt.Errorf("%w: %w: %s", ErrUnreachable, c, redactError(err))
	}
	return fmt.Errorf("%w: %s", ErrUnreachable, redactError(err))
}

// ObservingTLS accepts any certificate and hands the chain central
// presented to seen: for a device about to enrol, to look at central's
// certificate before it decides whether to trust it. Nothing secret may go
// over such a connection, and it must not be reused.
func ObservingTLS(seen func(chain []*x509.Certificate)) *tls.Config {
	return &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: true, VerifyConnection: func(cs tls.ConnectionState) error {
		if len(cs.PeerCertificates) == 0 {
			return errors.New("central presented no certificate")
		}
		seen(cs.PeerCertificates)
		return nil
	}}
}

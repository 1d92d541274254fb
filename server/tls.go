package server

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"

	"onex/exam/seal"
	osync "onex/sync"
)

// Central's own TLS certificate and key in its data directory, as
// `onex-central init --self-signed-tls` writes them and `serve` finds them.
const (
	TLSCertFile = "tls.crt"
	TLSKeyFile  = "tls.key"
)

// SelfSignedValidity is how long a certificate of InitTLS is valid: under
// the 825 days Apple's systems accept for a certificate a user trusts. Sites
// pin its key, not the certificate, and do not check its dates; renewing
// keeps the key.
const SelfSignedValidity = 2 * 365 * 24 * time.Hour

// ParseTLSHosts reads the host names and IP addresses a certificate is for,
// separated by commas, such as "onex.example.cn,10.0.0.5". Errors name the
// entry and change nothing.
func ParseTLSHosts(s string) ([]string, error) {
	var hosts []string
	for h := range strings.SplitSeq(s, ",") {
		h = strings.ToLower(strings.TrimSpace(h))
		if _, err := netip.ParseAddr(h); err != nil && !hostName(h) {
			return nil, inputf("%q is neither an IP address nor a host name", h)
		}
		hosts = append(hosts, h)
	}
	return hosts, nil
}

// hostName reports whether s is a DNS host name: dot-separated labels of
// letters, digits and inner hyphens, at most 253 characters.
func hostName(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for label := range strings.SplitSeq(s, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
				return false
			}
		}
	}
	return true
}

// InitTLS writes a self-signed certificate for hosts (names or IP
// addresses, as ParseTLSHosts reads them) into dataDir, valid from now for
// SelfSignedValidity: TLSKeyFile, an ECDSA P-256 key (PKCS #8, PEM, mode
// 0600), and TLSCertFile (PEM). A key that is there already is kept, so a
// renewed certificate carries the key enrolled sites pinned; the
// certificate is replaced.
func InitTLS(dataDir string, hosts []string, now time.Time) (*x509.Certificate, error) {
	if len(hosts) == 0 {
		return nil, inputf("a certificate needs at least one host name or IP address")
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("tls: %w", err)
	}
	key, err := tlsKey(filepath.Join(dataDir, TLSKeyFile))
	if err != nil {
		return nil, err
	}
	der, err := seal.SelfSignedCertificate(key, hosts[0], hosts, now, SelfSignedValidity)
	if err != nil {
		return nil, fmt.Errorf("tls: %w", err)
	}
	path := filepath.Join(dataDir, TLSCertFile)
	if err := os.WriteFile(path+".new", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		return nil, fmt.Errorf("tls: %w", err)
	}
	if err := os.Rename(path+".new", path); err != nil {
		return nil, fmt.Errorf("tls: %w", err)
	}
	return x509.ParseCertificate(der)
}

// tlsKey reads the ECDSA key at path, or makes one and writes it there (0600).
func tlsKey(path string) (*ecdsa.PrivateKey, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return nil, err
		}
		der, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			return nil, err
		}
		if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
			return nil, fmt.Errorf("tls: %w", err)
		}
		return key, nil
	}
	if err != nil {
		return nil, fmt.Errorf("tls: %w", err)
	}
	block, _ := pem.Decode(b)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("tls: %s is not a PEM private key (PKCS #8)", path)
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("tls: %s: %w", path, err)
	}
	key, ok := k.(*ecdsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("tls: %s holds a %T, not an ECDSA key", path, k)
	}
	return key, nil
}

// centralTLS is what central knows of the certificate it serves itself.
type centralTLS struct {
	cert      *x509.Certificate
	statement []byte // seal.SignTLSKeys over its SPKI hash
}

// newCentralTLS reads the DER certificate central serves and signs its key.
func newCentralTLS(keys *seal.CentralKeys, der []byte) (*centralTLS, error) {
	if der == nil {
		return nil, nil
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("central's TLS certificate: %w", err)
	}
	st, err := seal.SignTLSKeys(keys, []seal.Hash{seal.SPKIHash(cert)})
	if err != nil {
		return nil, err
	}
	return &centralTLS{cert: cert, statement: st}, nil
}

// Info is who central is, for a device about to enrol (GET /api/v1/central).
func (c *Central) Info() osync.CentralInfo {
	info := osync.CentralInfo{CentralKey: c.keys.Public().Marshal()}
	if c.tls != nil {
		info.TLSKeys = c.tls.statement
	}
	return info
}

// TLSCertificate is the certificate central serves itself, or nil (plain
// HTTP, or behind a TLS proxy).
func (c *Central) TLSCertificate() *x509.Certificate {
	if c.tls == nil {
		return nil
	}
	return c.tls.cert
}

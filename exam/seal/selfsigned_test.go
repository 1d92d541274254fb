package seal

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"slices"
	"testing"
	"time"
)

// TestSelfSignedCertificate: the names, dates and key of the certificate,
// and a renewal over the same key keeps the SPKI pin.
func TestSelfSignedCertificate(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name  string
		hosts []string
		dns   []string
		ips   []string
	}{
		{"OneX station SITE-001", nil, nil, nil},
		{"onex.example.cn", []string{"onex.example.cn", "10.0.0.5", "::1"}, []string{"onex.example.cn"}, []string{"10.0.0.5", "::1"}},
	} {
		der, err := SelfSignedCertificate(key, tc.name, tc.hosts, now, 48*time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		c, err := x509.ParseCertificate(der)
		if err != nil {
			t.Fatal(err)
		}
		var ips []string
		for _, ip := range c.IPAddresses {
			ips = append(ips, ip.String())
		}
		if c.Subject.CommonName != tc.name || !slices.Equal(c.DNSNames, tc.dns) || !slices.Equal(ips, tc.ips) ||
			!c.NotBefore.Equal(now.Add(-time.Hour)) || !c.NotAfter.Equal(now.Add(48*time.Hour)) ||
			!slices.Equal(c.ExtKeyUsage, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}) {
			t.Errorf("%s: CN %q, DNS %v, IP %v, %s to %s", tc.name, c.Subject.CommonName, c.DNSNames, ips, c.NotBefore, c.NotAfter)
		}
		if err := c.CheckSignature(c.SignatureAlgorithm, c.RawTBSCertificate, c.Signature); err != nil {
			t.Errorf("%s: not signed by its key: %v", tc.name, err)
		}
		again, _ := SelfSignedCertificate(key, tc.name, tc.hosts, now.Add(time.Hour), time.Hour)
		c2, _ := x509.ParseCertificate(again)
		if SPKIHash(c2) != SPKIHash(c) || CertificateHash(c2) == CertificateHash(c) {
			t.Errorf("%s: a renewal changed the pin or not the certificate", tc.name)
		}
	}
}

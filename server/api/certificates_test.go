package api_test

import (
	"crypto/ed25519"
	"net/http"
	"testing"

	"onex/exam/credential"
	"onex/exam/seal"
	"onex/server/servertest"
	osync "onex/sync"
)

// TestCertificateTrust: an enrolled device's signed GET gets the trust and
// status lists under a manifest central signs, which open as a site opens
// them; a request not signed by a device is refused.
func TestCertificateTrust(t *testing.T) {
	c := servertest.New(t)
	d := c.Enrol(t, "SITE-001")
	var ct osync.CertificateTrust
	if code := d.Get(osync.PathCertificateTrust, &ct); code != 200 {
		t.Fatalf("trust: %d", code)
	}
	pkg, err := seal.OpenPackage(d.Central, ct.Manifest, ct.Parts())
	if err != nil {
		t.Fatalf("manifest: %v", err)
	}
	if m := pkg.Manifest(); m.PackageID != osync.CertificateTrustPackage || m.SessionID != "" || m.Version != uint64(c.Clock.Now().Unix()) {
		t.Errorf("manifest %+v", m)
	}
	tl, err := credential.OpenTrustList(ct.TrustList, ed25519.PublicKey(ct.Root))
	if err != nil || len(tl.Keys) != 1 || !tl.Keys[0].ValidAt(c.Clock.Now()) {
		t.Fatalf("trust list %+v: %v", tl, err)
	}
	sl, err := credential.OpenStatusList(ct.StatusList, tl)
	if err != nil || !sl.Issued.Equal(c.Clock.Now().Truncate(1e9)) || sl.Revocation.Len() != credential.MinStatusBits {
		t.Fatalf("status list %+v: %v", sl, err)
	}
	// A part changed is refused by the manifest.
	ct.TrustList[len(ct.TrustList)-1] ^= 1
	if _, err := seal.OpenPackage(d.Central, ct.Manifest, ct.Parts()); err == nil {
		t.Error("a changed trust list passed the manifest")
	}
	resp, err := http.Get(c.URL + osync.PathCertificateTrust)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("unsigned: %d", resp.StatusCode)
	}
}

package server_test

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"

	"onex/exam"
	"onex/exam/credential"
	"onex/exam/vc"
	"onex/server"
	"onex/server/servertest"
	"onex/server/store/pgtest"
)

// TestLookupCertificate: a certificate is found by its number and its
// holder's name as people type them, and by nothing less; a wrong name and
// an unknown number get the same answer.
func TestLookupCertificate(t *testing.T) {
	c, cert := servertest.Certified(t)
	ctx := context.Background()
	fullWidth := strings.Map(func(r rune) rune {
		if r >= '!' && r <= '~' {
			return r + 0xFEE0
		}
		return r
	}, cert.Number)
	for _, tc := range []struct {
		name, number, holder string
		want                 error
	}{
		{"as printed", cert.Number, servertest.HolderName, nil},
		{"lower case, spaces around", "  " + strings.ToLower(cert.Number) + " ", " 毛娜\u3000", nil},
		{"full-width number, space inside the name", fullWidth, "毛 娜", nil},
		{"another holder's name", cert.Number, "钟静", server.ErrNotFound},
		{"the name with a character more", cert.Number, "毛娜娜", server.ErrNotFound},
		{"a number never issued", strings.Replace(cert.Number, "000001", "000002", 1), servertest.HolderName, server.ErrNotFound},
		{"the number cut short", cert.Number[:len(cert.Number)-1], servertest.HolderName, server.ErrNotFound},
		{"no name", cert.Number, " ", server.ErrInput},
		{"no number", "", servertest.HolderName, server.ErrInput},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := c.LookupCertificate(ctx, tc.number, tc.holder, "10.1.0.1")
			if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Fatalf("want %v, got %v", tc.want, err)
			}
			if tc.want != nil {
				if got != (server.PublicCertificate{}) {
					t.Errorf("a refusal with a certificate: %+v", got)
				}
				if errors.Is(err, server.ErrNotFound) && err.Error() != "no certificate of that number and name: not found" {
					t.Errorf("the refusal says more than not found: %q", err)
				}
				return
			}
			want := server.PublicCertificate{Number: cert.Number, HolderName: servertest.HolderName, CertCode: "WEB", CertName: cert.CertName,
				OrgName: cert.OrgName, SiteName: cert.SiteName, Level: exam.Elementary, Issued: cert.Issued, Status: credential.Valid, StatusAsOf: c.Clock.Now()}
			if !got.Issued.Equal(want.Issued) || !got.StatusAsOf.Equal(want.StatusAsOf) {
				t.Errorf("times %v %v, want %v %v", got.Issued, got.StatusAsOf, want.Issued, want.StatusAsOf)
			}
			got.Issued, got.StatusAsOf, want.Issued, want.StatusAsOf = time.Time{}, time.Time{}, time.Time{}, time.Time{}
			if got != want {
				t.Errorf("got %+v\nwant %+v", got, want)
			}
		})
	}
	for _, step := range []struct {
		to   credential.Status
		want credential.Status
	}{{credential.Suspended, credential.Suspended}, {credential.Valid, credential.Valid}, {credential.Revoked, credential.Revoked}} {
		if _, err := c.SetCertificateStatus(ctx, cert.Number, step.to, "核查", "office ann"); err != nil {
			t.Fatal(err)
		}
		if got, err := c.LookupCertificate(ctx, cert.Number, servertest.HolderName, "10.1.0.1"); err != nil || got.Status != step.want {
			t.Errorf("after %v: %v, %v", step.to, got.Status, err)
		}
	}
}

// TestVerifyIsThrottled (SQLite and PostgreSQL): an address enumerating numbers waits after 10
// misses and is locked out after 40 (audited); the right number and name
// are refused too while it waits; an address that finds what it looks up,
// however often, is never slowed, nor is another address.
func TestVerifyIsThrottled(t *testing.T) {
	for _, engine := range pgtest.Engines {
		t.Run(engine, func(t *testing.T) {
			c, cert := servertest.Certified(t, servertest.WithDB(pgtest.DSN(t, engine)))
			ctx := context.Background()
			for i := range 100 { // an office checking the same certificate all day
				if _, err := c.LookupCertificate(ctx, cert.Number, servertest.HolderName, "10.2.0.1"); err != nil {
					t.Fatalf("lookup %d from a well-behaved address: %v", i+1, err)
				}
			}
			guess := func(i int) string { return fmt.Sprintf("WEB-1-2026-%06d", 100+i) }
			for i := range 10 {
				if _, err := c.LookupCertificate(ctx, guess(i), servertest.HolderName, "10.2.0.9"); !errors.Is(err, server.ErrNotFound) {
					t.Fatalf("guess %d: %v", i+1, err)
				}
			}
			_, err := c.LookupCertificate(ctx, cert.Number, servertest.HolderName, "10.2.0.9")
			var wait *server.ThrottledError
			if !errors.As(err, &wait) || wait.Left != time.Second {
				t.Fatalf("after 10 misses, the right number at once: %v", err)
			}
			if _, err := c.VerifyCertificateText(ctx, cert.QR, "10.2.0.9"); !errors.As(err, &wait) {
				t.Errorf("a QR text from the waiting address: %v", err)
			}
			if _, err := c.LookupCertificate(ctx, cert.Number, servertest.HolderName, "10.2.0.1"); err != nil {
				t.Errorf("another address: %v", err)
			}
			for i := 10; i < 40; i++ {
				c.Clock.Add(time.Minute)
				text := "OX1:" + strings.Repeat("A", 3*i) // forged texts strike as misses do
				if _, err := c.VerifyCertificateText(ctx, text, "10.2.0.9"); !errors.Is(err, server.ErrCertificateText) {
					t.Fatalf("miss %d a minute after the last: %v", i+1, err)
				}
			}
			c.Clock.Add(14 * time.Minute)
			if _, err := c.LookupCertificate(ctx, cert.Number, servertest.HolderName, "10.2.0.9"); !errors.As(err, &wait) || wait.Left != time.Minute {
				t.Errorf("locked after 40 misses, 14 minutes on: %v", err)
			}
			log, err := c.AuditLog(ctx)
			if err != nil || !strings.Contains(log.Entries[len(log.Entries)-1].Detail, "certificate verifications from address 10.2.0.9 locked") {
				t.Errorf("the lock is not audited: %v", err)
			}
			c.Clock.Add(2 * time.Minute)
			if _, err := c.LookupCertificate(ctx, cert.Number, servertest.HolderName, "10.2.0.9"); err != nil {
				t.Errorf("after the lock: %v", err)
			}
		})
	}
}

// TestVerifyCertificateText: the QR text of a certificate verifies with its
// status now; an altered, forged or foreign text is refused with why; a
// text validly signed by central's key for a number central has no record of
// says so.
func TestVerifyCertificateText(t *testing.T) {
	c, cert := servertest.Certified(t)
	ctx := context.Background()
	iss, err := c.CurrentIssuer(ctx)
	if err != nil {
		t.Fatal(err)
	}
	claims, err := credential.VerifyText(cert.QR, mustTrust(t, c))
	if err != nil {
		t.Fatal(err)
	}
	signed := func(edit func(*credential.Claims), by *credential.Issuer) string {
		cl := *claims
		edit(&cl)
		text, err := by.IssueText(cl)
		if err != nil {
			t.Fatal(err)
		}
		return text
	}
	stranger := credential.NewIssuer(ed25519.NewKeyFromSeed(make([]byte, 32)))
	tampered := []byte(cert.QR)
	tampered[len(tampered)/2] = map[bool]byte{true: 'B', false: 'A'}[tampered[len(tampered)/2] == 'A']
	for _, tc := range []struct {
		name, text string
		want       error
		why        string
	}{
		{"the certificate's text", cert.QR, nil, ""},
		{"with white space around", "\n " + cert.QR + "\t", nil, ""},
		{"one character changed", string(tampered), server.ErrCertificateText, ""},
		{"lower-case prefix", "ox1:" + strings.TrimPrefix(cert.QR, "OX1:"), server.ErrCertificateText, "prefix"},
		{"a URL", "https://example.com/verify?n=" + cert.Number, server.ErrCertificateText, "prefix"},
		{"not Base45", "OX1:" + strings.ToLower(strings.TrimPrefix(cert.QR, "OX1:")), server.ErrCertificateText, "base45"},
		{"far too long", cert.QR + strings.Repeat("0", 2000), server.ErrCertificateText, "malformed"},
		{"signed by a key central does not trust", signed(func(*credential.Claims) {}, stranger), server.ErrCertificateText, "key"},
		{"central's key, another holder on the same number", signed(func(c *credential.Claims) { c.Holder = "钟静" }, iss), server.ErrCertificateText, "record"},
		{"central's key, a number never issued", signed(func(c *credential.Claims) { c.Number = "WEB-1-2026-999999" }, iss), server.ErrCertificateUnknown, ""},
		{"empty", "  ", server.ErrInput, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := c.VerifyCertificateText(ctx, tc.text, "10.3.0.1")
			if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Fatalf("want %v, got %v", tc.want, err)
			}
			if tc.why != "" && server.CertificateTextWhy(err) != tc.why {
				t.Errorf("why %q, want %q (%v)", server.CertificateTextWhy(err), tc.why, err)
			}
			switch {
			case tc.want == nil && (got.Number != cert.Number || got.HolderName != servertest.HolderName || got.Status != credential.Valid):
				t.Errorf("got %+v", got)
			case errors.Is(tc.want, server.ErrCertificateUnknown) && (got.Number != "WEB-1-2026-999999" || got.HolderName != servertest.HolderName):
				t.Errorf("unknown number: the text's fields not shown: %+v", got)
			case errors.Is(tc.want, server.ErrCertificateText) && got != (server.PublicCertificate{}):
				t.Errorf("a refused text with a certificate: %+v", got)
			}
		})
	}
	if _, err := c.SetCertificateStatus(ctx, cert.Number, credential.Revoked, "证书信息有误", "office ann"); err != nil {
		t.Fatal(err)
	}
	if got, err := c.VerifyCertificateText(ctx, cert.QR, "10.3.0.1"); err != nil || got.Status != credential.Revoked {
		t.Errorf("after revocation: %v, %v", got.Status, err)
	}
	// A rotation: the old key's certificate still verifies, and so does one
	// signed by the new key.
	if _, err := c.RotateIssuerKey(ctx, "admin"); err != nil {
		t.Fatal(err)
	}
	c.Clock.Add(time.Second)
	if _, err := c.VerifyCertificateText(ctx, cert.QR, "10.3.0.1"); err != nil {
		t.Errorf("the old key's certificate after a rotation: %v", err)
	}
	iss2, err := c.CurrentIssuer(ctx)
	if err != nil {
		t.Fatal(err)
	}
	late := signed(func(cl *credential.Claims) {
		cl.Number, cl.Issued = "WEB-1-2026-999998", c.Clock.Now().Truncate(time.Second)
	}, iss2)
	if _, err := c.VerifyCertificateText(ctx, late, "10.3.0.1"); !errors.Is(err, server.ErrCertificateUnknown) {
		t.Errorf("signed by the new key: %v", err)
	}
	afterWindow := signed(func(cl *credential.Claims) { cl.Issued = c.Clock.Now().Truncate(time.Second) }, iss)
	if _, err := c.VerifyCertificateText(ctx, afterWindow, "10.3.0.1"); server.CertificateTextWhy(err) != "window" {
		t.Errorf("signed by the rotated-out key after its window: %v", err)
	}
}

func mustTrust(t *testing.T, c *servertest.Central) *credential.TrustList {
	t.Helper()
	tl, err := c.TrustList(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return tl
}

// vcKeys are central's issuer keys as a wallet holds them: by hex kid.
func vcKeys(t *testing.T, c *servertest.Central) vc.Keys {
	keys := vc.Keys{}
	for _, k := range mustTrust(t, c).Keys {
		keys[hex.EncodeToString(k.KeyID)] = append(keys[hex.EncodeToString(k.KeyID)], k.Public)
	}
	return keys
}

// TestStatusListCredential: the revocation and suspension lists central
// signs verify with its issuer keys; the certificate's VC points at the
// revocation list; the bit of a revoked (suspended) certificate is set in
// the next list after the cache, and only then.
func TestStatusListCredential(t *testing.T) {
	c, cert := servertest.Certified(t)
	ctx := context.Background()
	bit := func(purpose string) (bool, *vc.StatusListCredential) {
		t.Helper()
		tok, _, err := c.StatusListCredential(ctx, purpose)
		if err != nil {
			t.Fatal(err)
		}
		sl, err := vc.VerifyStatusList(tok, vcKeys(t, c), c.Clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		bits, err := credential.DecodeBitstring(sl.CredentialSubject.EncodedList)
		if err != nil {
			t.Fatal(err)
		}
		set, err := bits.Get(int(cert.StatusIndex))
		if err != nil {
			t.Fatal(err)
		}
		return set, sl
	}
	if set, sl := bit(vc.PurposeRevocation); set || sl.ID != c.PublicURL()+"/verify/status-list" || sl.Issuer.ID != c.PublicURL() {
		t.Errorf("a valid certificate's revocation bit: %v; list %s issuer %s", set, sl.ID, sl.Issuer.ID)
	}
	v, err := vc.Verify(cert.VC, vcKeys(t, c), c.Clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	if _, sl := bit(vc.PurposeRevocation); sl.Covers(v.Credential.CredentialStatus) != nil {
		t.Errorf("the certificate's VC does not point at the revocation list: %+v", v.Credential.CredentialStatus)
	}
	if _, sl := bit(vc.PurposeSuspension); sl.ID != c.PublicURL()+"/verify/status-list?purpose=suspension" || sl.CredentialSubject.StatusPurpose != vc.PurposeSuspension {
		t.Errorf("suspension list %s %s", sl.ID, sl.CredentialSubject.StatusPurpose)
	}
	if _, _, err := c.StatusListCredential(ctx, "refresh"); !errors.Is(err, server.ErrInput) {
		t.Errorf("purpose refresh: %v", err)
	}

	if _, err := c.SetCertificateStatus(ctx, cert.Number, credential.Suspended, "核查", "office ann"); err != nil {
		t.Fatal(err)
	}
	if set, _ := bit(vc.PurposeSuspension); set {
		t.Error("the suspension shows before the cached list is a minute old")
	}
	c.Clock.Add(server.CertificateCacheFor)
	if set, _ := bit(vc.PurposeSuspension); !set {
		t.Error("the suspension bit is not set a minute on")
	}
	if _, err := c.SetCertificateStatus(ctx, cert.Number, credential.Revoked, "证书信息有误", "office ann"); err != nil {
		t.Fatal(err)
	}
	c.Clock.Add(server.CertificateCacheFor)
	if set, sl := bit(vc.PurposeRevocation); !set || sl.CredentialSubject.TTL != 60000 || sl.ValidUntil == "" {
		t.Errorf("revoked: bit %v, ttl %d, validUntil %q", set, sl.CredentialSubject.TTL, sl.ValidUntil)
	}
	// A list kept from before stops being valid a day on.
	old, _, _ := c.StatusListCredential(ctx, vc.PurposeRevocation)
	if _, err := vc.VerifyStatusList(old, vcKeys(t, c), c.Clock.Now().Add(server.StatusListValidFor)); !errors.Is(err, vc.ErrExpired) {
		t.Errorf("a day on: %v", err)
	}
	// After a rotation the next list is signed by the new key alone.
	kid, err := c.RotateIssuerKey(ctx, "admin")
	if err != nil {
		t.Fatal(err)
	}
	c.Clock.Add(server.CertificateCacheFor)
	tok, _, err := c.StatusListCredential(ctx, vc.PurposeRevocation)
	if err != nil {
		t.Fatal(err)
	}
	k := hex.EncodeToString(kid)
	if _, err := vc.VerifyStatusList(tok, vc.Keys{k: vcKeys(t, c)[k]}, c.Clock.Now()); err != nil {
		t.Errorf("after a rotation, with the new key: %v", err)
	}
}

// TestPublicCertificateTrust: /verify/trust's documents are made at most
// once a minute, and are what a site checks.
func TestPublicCertificateTrust(t *testing.T) {
	c, cert := servertest.Certified(t)
	ctx := context.Background()
	a, at, err := c.PublicCertificateTrust(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c.Clock.Add(server.CertificateCacheFor - time.Second)
	b, bt, _ := c.PublicCertificateTrust(ctx)
	if string(a.StatusList) != string(b.StatusList) || !at.Equal(bt) {
		t.Error("signed again within the minute")
	}
	if _, err := c.SetCertificateStatus(ctx, cert.Number, credential.Revoked, "证书信息有误", "office ann"); err != nil {
		t.Fatal(err)
	}
	c.Clock.Add(time.Second)
	d, _, _ := c.PublicCertificateTrust(ctx)
	tl, err := credential.OpenTrustList(d.TrustList, ed25519.PublicKey(d.Root))
	if err != nil {
		t.Fatal(err)
	}
	sl, err := credential.OpenStatusList(d.StatusList, tl)
	if err != nil {
		t.Fatal(err)
	}
	if st, err := sl.Status(cert.StatusIndex); err != nil || st != credential.Revoked {
		t.Errorf("a minute on, the revocation: %v, %v", st, err)
	}
}

// Numbers and names as people type them: any mix of case, full-width forms
// and white space around and inside finds the certificate; any other name
// does not.
func TestPropertyLookupFolding(t *testing.T) {
	c, cert := servertest.Certified(t)
	ctx := context.Background()
	rapid.Check(t, func(rt *rapid.T) {
		var b strings.Builder
		for _, r := range cert.Number {
			switch rapid.IntRange(0, 3).Draw(rt, "form") {
			case 1:
				r += 0xFEE0 // full width
			case 2:
				if r >= 'A' && r <= 'Z' {
					r += 'a' - 'A'
				}
			case 3:
				b.WriteString(rapid.SampledFrom([]string{" ", "\u3000", "\t"}).Draw(rt, "space"))
			}
			b.WriteRune(r)
		}
		name := rapid.SampledFrom([]string{"毛娜", " 毛娜", "毛 娜", "毛娜\u3000"}).Draw(rt, "name")
		if _, err := c.LookupCertificate(ctx, b.String(), name, "10.4.0.1"); err != nil {
			rt.Fatalf("%q %q: %v", b.String(), name, err)
		}
		other := rapid.StringMatching(`[\p{Han}]{1,4}`).Filter(func(s string) bool { return s != "毛娜" }).Draw(rt, "other")
		if _, err := c.LookupCertificate(ctx, cert.Number, other, fmt.Sprintf("10.5.%d.1", rapid.IntRange(0, 250).Draw(rt, "addr"))); !errors.Is(err, server.ErrNotFound) && !errors.Is(err, server.ErrThrottled) {
			rt.Fatalf("name %q: %v", other, err)
		}
	})
}

// BenchmarkVerify: what /verify costs central per request (a lookup by
// number and name; a QR text verified against the trust list, then looked
// up), and a status list credential signed afresh (once a minute at most).
func BenchmarkVerify(b *testing.B) {
	c, cert := servertest.Certified(b)
	ctx := context.Background()
	b.Run("lookup", func(b *testing.B) {
		for b.Loop() {
			if _, err := c.LookupCertificate(ctx, cert.Number, servertest.HolderName, "10.11.0.1"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("qr-text", func(b *testing.B) {
		for b.Loop() {
			if _, err := c.VerifyCertificateText(ctx, cert.QR, "10.11.0.1"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("status-list-credential", func(b *testing.B) {
		for b.Loop() {
			c.Clock.Add(server.CertificateCacheFor)
			if _, _, err := c.StatusListCredential(ctx, vc.PurposeRevocation); err != nil {
				b.Fatal(err)
			}
		}
	})
}

package site

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"

	"onex/exam"
	"onex/exam/credential"
	"onex/exam/seal"
	wire "onex/sync"
)

// certIDNumber is a made-up resident ID number of the right shape.
const certIDNumber = "11010519900307123X"

// certCentral makes what central makes for offline verifiers, by hand from
// the formats (the real central's are in certificates_test.go): its keys,
// issuer keys with windows, status lists and credentials.
type certCentral struct {
	t       testing.TB
	ck      *seal.CentralKeys
	old     ed25519.PrivateKey // issuer key of 2025, rotated out on 2026-01-01
	issuer  ed25519.PrivateKey // issuer key from 2026-01-01
	revoked map[uint32]bool
	susp    map[uint32]bool
}

func newCertCentral(t testing.TB) *certCentral {
	t.Helper()
	ck, err := seal.GenerateCentralKeys()
	if err != nil {
		t.Fatal(err)
	}
	return &certCentral{t: t, ck: ck, old: newKey(t), issuer: newKey(t), revoked: map[uint32]bool{}, susp: map[uint32]bool{}}
}

func newKey(t testing.TB) ed25519.PrivateKey {
	_, k, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func trustedKey(k ed25519.PrivateKey, from, to time.Time) credential.TrustedKey {
	pub := k.Public().(ed25519.PublicKey)
	return credential.TrustedKey{KeyID: credential.KeyID(pub), Public: pub, NotBefore: from, NotAfter: to}
}

// trust is central's answer with a status list issued at asOf (and a trust
// list of the same date).
func (c *certCentral) trust(asOf time.Time) *wire.CertificateTrust {
	c.t.Helper()
	tl, err := credential.SignTrustList(c.ck.CertificateRoot(), credential.TrustList{Issued: asOf, Keys: []credential.TrustedKey{
		trustedKey(c.old, day(2025, 1, 1), day(2026, 1, 1)),
		trustedKey(c.issuer, day(2026, 1, 1), day(2126, 1, 1)),
	}})
	if err != nil {
		c.t.Fatal(err)
	}
	l := credential.NewStatusList(asOf, 0)
	for i := range c.revoked {
		l.Revocation.Set(int(i), true)
	}
	for i := range c.susp {
		l.Suspension.Set(int(i), true)
	}
	sl, err := credential.NewIssuer(c.issuer).SignStatusList(l)
	if err != nil {
		c.t.Fatal(err)
	}
	root := c.ck.CertificateRoot().Public().(ed25519.PublicKey)
	return c.signed(&wire.CertificateTrust{Root: root, TrustList: tl, StatusList: sl}, wire.CertificateTrustPackage, asOf)
}

// signed signs ct's parts in a manifest of package id.
func (c *certCentral) signed(ct *wire.CertificateTrust, id string, created time.Time) *wire.CertificateTrust {
	c.t.Helper()
	m, err := seal.SignManifest(c.ck, &seal.Manifest{PackageID: id, Created: created, Parts: []seal.Part{
		seal.NewPart(wire.PartCertificateRoot, ct.Root), seal.NewPart(wire.PartTrustList, ct.TrustList), seal.NewPart(wire.PartStatusList, ct.StatusList),
	}})
	if err != nil {
		c.t.Fatal(err)
	}
	ct.Manifest = m
	return ct
}

// text is a certificate's QR text signed by key at issued.
func (c *certCentral) text(key ed25519.PrivateKey, index uint32, issued time.Time) string {
	c.t.Helper()
	salt := make([]byte, credential.SaltSize)
	rand.Read(salt)
	s, err := credential.NewIssuer(key).IssueText(credential.Claims{
		Number: "WEB-1-2026-000001", Holder: "李明", IDSalt: salt, IDHash: credential.HashID(salt, certIDNumber),
		Certificate: "WEB", Level: 1, Organisation: "网页设计评价组织", Site: "第一考点", Issued: issued, StatusIndex: index,
	})
	if err != nil {
		c.t.Fatal(err)
	}
	return s
}

// bareSite is a Site with a data directory and no store: all that keeping
// the trust documents needs.
func bareSite(t testing.TB) *Site {
	return &Site{cfg: Config{Dir: t.TempDir()}, log: slog.New(slog.DiscardHandler), now: time.Now}
}

// TestOpenCertTrustRefuses: central's documents are taken only when
// central's key signed the manifest, the manifest is the certificate trust
// one with no session, every part matches it, the root signed the trust
// list and a key of that list the status list.
func TestOpenCertTrustRefuses(t *testing.T) {
	c := newCertCentral(t)
	asOf := day(2026, 8, 1)
	if _, err := openCertTrust(c.ck.Public(), c.trust(asOf)); err != nil {
		t.Fatalf("central's documents: %v", err)
	}
	other := newCertCentral(t)
	for _, tc := range []struct {
		name string
		ct   func() *wire.CertificateTrust
		want error
	}{
		{"another central's manifest", func() *wire.CertificateTrust { return other.trust(asOf) }, seal.ErrBadSignature},
		{"status list altered", func() *wire.CertificateTrust {
			ct := c.trust(asOf)
			ct.StatusList[len(ct.StatusList)-1] ^= 1
			return ct
		}, seal.ErrBadPart},
		{"root replaced", func() *wire.CertificateTrust {
			ct := c.trust(asOf)
			ct.Root = other.ck.CertificateRoot().Public().(ed25519.PublicKey)
			return ct
		}, seal.ErrBadPart},
		{"a session package's manifest", func() *wire.CertificateTrust { return c.signed(c.trust(asOf), "SITE-001-A101", asOf) }, ErrCertificateTrust},
		{"trust list by another root, signed over by central", func() *wire.CertificateTrust {
			ct := c.trust(asOf)
			ct.TrustList = other.trust(asOf).TrustList
			return c.signed(ct, wire.CertificateTrustPackage, asOf)
		}, credential.ErrUnknownKey},
		{"status list by a key not in the trust list", func() *wire.CertificateTrust {
			ct := c.trust(asOf)
			ct.StatusList, _ = credential.NewIssuer(newKey(t)).SignStatusList(credential.NewStatusList(asOf, 0))
			return c.signed(ct, wire.CertificateTrustPackage, asOf)
		}, credential.ErrUnknownKey},
		{"status list by the rotated-out key after its window", func() *wire.CertificateTrust {
			ct := c.trust(asOf)
			ct.StatusList, _ = credential.NewIssuer(c.old).SignStatusList(credential.NewStatusList(asOf, 0))
			return c.signed(ct, wire.CertificateTrustPackage, asOf)
		}, credential.ErrKeyWindow},
		{"root of the wrong size", func() *wire.CertificateTrust {
			ct := c.trust(asOf)
			ct.Root = ct.Root[:31]
			return c.signed(ct, wire.CertificateTrustPackage, asOf)
		}, ErrCertificateTrust},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := openCertTrust(c.ck.Public(), tc.ct())
			if !errors.Is(err, ErrCertificateTrust) || !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
}

// TestKeptTrustNeverGoesBack: a newer status list replaces the one kept; an
// older one (a replayed answer) is refused with ErrStaleCertificateTrust and
// the file stays as it was; the same one again changes nothing.
func TestKeptTrustNeverGoesBack(t *testing.T) {
	c := newCertCentral(t)
	s := bareSite(t)
	path := filepath.Join(s.cfg.Dir, CertificateTrustFile)
	first, second := c.trust(day(2026, 8, 1)), c.trust(day(2026, 8, 2))
	for _, step := range []struct {
		name  string
		ct    *wire.CertificateTrust
		taken bool
		err   error
		asOf  time.Time
	}{
		{"first", first, true, nil, day(2026, 8, 1)},
		{"newer", second, true, nil, day(2026, 8, 2)},
		{"older, replayed", first, false, ErrStaleCertificateTrust, day(2026, 8, 2)},
		{"the same again", second, false, nil, day(2026, 8, 2)},
	} {
		before, _ := os.ReadFile(path)
		taken, err := s.takeCertificateTrust(c.ck.Public(), step.ct)
		if taken != step.taken || !errors.Is(err, step.err) || (step.err == nil) != (err == nil) {
			t.Fatalf("%s: taken %v, %v; want %v, %v", step.name, taken, err, step.taken, step.err)
		}
		held, _, err := readKept(s.cfg.Dir)
		if err != nil || !held.sl.Issued.Equal(step.asOf) {
			t.Fatalf("%s: kept %v, %v; want the list of %v", step.name, held, err, step.asOf)
		}
		if after, _ := os.ReadFile(path); !taken && !bytes.Equal(before, after) {
			t.Errorf("%s: the file changed though nothing was taken", step.name)
		}
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("kept file: %v, %v", fi, err)
	}
	// Damaged or of another central, the kept file is replaced by what
	// central sends, even if older.
	os.WriteFile(path, []byte("{}"), 0o644)
	if taken, err := s.takeCertificateTrust(c.ck.Public(), first); !taken || err != nil {
		t.Fatalf("over a damaged file: %v, %v", taken, err)
	}
	other := newCertCentral(t)
	if taken, err := s.takeCertificateTrust(other.ck.Public(), other.trust(day(2026, 7, 1))); !taken || err != nil {
		t.Fatalf("over another central's: %v, %v", taken, err)
	}
}

// TestKeptTrustIsTheNewestOffered: whatever order central's answers come
// in (replays among them), the site keeps the newest status list offered so
// far, and the file always reads back.
func TestKeptTrustIsTheNewestOffered(t *testing.T) {
	c := newCertCentral(t)
	lists := map[int]*wire.CertificateTrust{}
	rapid.Check(t, func(rt *rapid.T) {
		s := bareSite(t)
		var newest time.Time
		for i, d := range rapid.SliceOfN(rapid.IntRange(1, 6), 1, 8).Draw(rt, "days") {
			if lists[d] == nil {
				lists[d] = c.trust(day(2026, 8, d))
			}
			taken, err := s.takeCertificateTrust(c.ck.Public(), lists[d])
			at := day(2026, 8, d)
			switch {
			case at.After(newest):
				if !taken || err != nil {
					rt.Fatalf("offer %d (%v): newer not taken: %v", i, at, err)
				}
				newest = at
			case at.Before(newest):
				if taken || !errors.Is(err, ErrStaleCertificateTrust) {
					rt.Fatalf("offer %d (%v): older taken %v, %v", i, at, taken, err)
				}
			default:
				if taken || err != nil {
					rt.Fatalf("offer %d (%v): the same: %v, %v", i, at, taken, err)
				}
			}
			held, _, err := readKept(s.cfg.Dir)
			if err != nil || !held.sl.Issued.Equal(newest) {
				rt.Fatalf("offer %d: kept %v, want %v", i, err, newest)
			}
		}
	})
}

// TestVerifyCertificateOutcomes: each outcome of an offline check, from the
// file alone: valid, revoked and suspended with the certificate's fields and
// the status list's date; texts not signed by a trusted key, and texts that
// are no certificate, with why and no fields; the ID number's check.
func TestVerifyCertificateOutcomes(t *testing.T) {
	c := newCertCentral(t)
	c.revoked[7], c.susp[8] = true, true
	s := bareSite(t)
	asOf := day(2026, 8, 1)
	issued := day(2026, 7, 15)
	valid := c.text(c.issuer, 6, issued)
	if chk, err := VerifyCertificate(s.cfg.Dir, valid, ""); chk.Outcome != CertificateNoLists || !errors.Is(err, ErrNoCertificateLists) {
		t.Fatalf("before any download: %+v, %v", chk, err)
	}
	if _, err := s.takeCertificateTrust(c.ck.Public(), c.trust(asOf)); err != nil {
		t.Fatal(err)
	}
	tampered := []byte(valid)
	tampered[len(tampered)/2] = map[bool]byte{true: 'A', false: 'B'}[tampered[len(tampered)/2] != 'A']
	for _, tc := range []struct {
		name, text, id string
		outcome        CertificateOutcome
		refusal        string
		idChecked      bool
		idMatches      bool
	}{
		{"valid", valid, "", CertificateValid, "", false, false},
		{"valid, white space around", "\n  " + valid + " \r\n", "", CertificateValid, "", false, false},
		{"valid, the right ID number, full-width and lower case", valid, "１１０１０５１９９００３０７１２３ｘ", CertificateValid, "", true, true},
		{"valid, another ID number", valid, "110105199003071234", CertificateValid, "", true, false},
		{"revoked", c.text(c.issuer, 7, issued), certIDNumber, CertificateRevoked, "", true, true},
		{"suspended", c.text(c.issuer, 8, issued), "", CertificateSuspended, "", false, false},
		{"signed by an unknown key", c.text(newKey(t), 6, issued), certIDNumber, CertificateUntrusted, RefusedUnknownKey, false, false},
		{"signed by the rotated-out key after its window", c.text(c.old, 6, issued), "", CertificateUntrusted, RefusedKeyWindow, false, false},
		{"tampered", string(tampered), "", CertificateUntrusted, RefusedBadSignature, false, false},
		{"not OX1", "HC1:" + strings.TrimPrefix(valid, credential.Prefix), "", CertificateNotText, RefusedPrefix, false, false},
		{"not Base45", valid + "~", "", CertificateNotText, RefusedBase45, false, false},
		{"a URL", "https://example.cn/verify", "", CertificateNotText, RefusedPrefix, false, false},
		{"empty", "", "", CertificateNotText, RefusedPrefix, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			chk, err := VerifyCertificate(s.cfg.Dir, tc.text, tc.id)
			if err != nil || chk.Outcome != tc.outcome || chk.Refusal != tc.refusal || chk.IDChecked != tc.idChecked || chk.IDMatches != tc.idMatches {
				t.Fatalf("check %+v, %v; want %s %q id %v/%v", chk, err, tc.outcome, tc.refusal, tc.idChecked, tc.idMatches)
			}
			if !chk.Verified() {
				if chk.Holder != "" || chk.Number != "" || !chk.Issued.IsZero() || chk.Err == nil {
					t.Errorf("a refused text shows fields or no error: %+v", chk)
				}
				return
			}
			if chk.Number != "WEB-1-2026-000001" || chk.Holder != "李明" || chk.Level != exam.Elementary || chk.Site != "第一考点" ||
				!chk.Issued.Equal(issued) || !chk.StatusAsOf.Equal(asOf) || chk.StatusBeforeIssue || chk.CentralKey != c.ck.Public().Fingerprint() {
				t.Errorf("fields %+v", chk)
			}
		})
	}
	// A certificate issued after the status list: valid, but the list
	// cannot tell of what happened since.
	if chk, err := VerifyCertificate(s.cfg.Dir, c.text(c.issuer, 9, day(2026, 8, 20)), ""); err != nil || chk.Outcome != CertificateValid || !chk.StatusBeforeIssue {
		t.Errorf("issued after the list: %+v, %v", chk, err)
	}
	// An index beyond the list is no "valid".
	if chk, err := VerifyCertificate(s.cfg.Dir, c.text(c.issuer, credential.MinStatusBits, issued), ""); chk.Outcome != CertificateNoLists || !errors.Is(err, ErrNoCertificateLists) {
		t.Errorf("beyond the list: %+v, %v", chk, err)
	}
}

// TestKeptFileCheckedOnRead: the kept file is checked again on every read:
// any change to what central signed, or central's key swapped for another
// central's (whose manifest does not cover the documents), is refused as
// damaged, never used.
func TestKeptFileCheckedOnRead(t *testing.T) {
	c := newCertCentral(t)
	s := bareSite(t)
	if _, err := s.takeCertificateTrust(c.ck.Public(), c.trust(day(2026, 8, 1))); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(s.cfg.Dir, CertificateTrustFile)
	good, _ := os.ReadFile(path)
	text := c.text(c.issuer, 6, day(2026, 7, 15))
	other := newCertCentral(t)
	for _, tc := range []struct {
		name string
		edit func(k *keptTrust)
	}{
		{"central's key swapped", func(k *keptTrust) { k.CentralKey = other.ck.Public().Marshal() }},
		{"status list byte flipped", func(k *keptTrust) { k.StatusList[40] ^= 0x10 }},
		{"trust list byte flipped", func(k *keptTrust) { k.TrustList[len(k.TrustList)-3] ^= 1 }},
		{"manifest byte flipped", func(k *keptTrust) { k.Manifest[10] ^= 1 }},
		{"root dropped", func(k *keptTrust) { k.Root = nil }},
		{"format changed", func(k *keptTrust) { k.Format = "onex-certificate-trust/2" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var k keptTrust
			if err := json.Unmarshal(good, &k); err != nil {
				t.Fatal(err)
			}
			tc.edit(&k)
			b, _ := json.Marshal(k)
			os.WriteFile(path, b, 0o644)
			chk, err := VerifyCertificate(s.cfg.Dir, text, "")
			if chk.Outcome != CertificateNoLists || !errors.Is(err, ErrCertificateTrust) {
				t.Fatalf("check %+v, %v", chk, err)
			}
		})
	}
	for _, b := range [][]byte{append(bytes.Clone(good), "{}"...), []byte(`{"format":"onex-certificate-trust/1","extra":1}`), nil} {
		os.WriteFile(path, b, 0o644)
		if chk, err := VerifyCertificate(s.cfg.Dir, text, ""); chk.Outcome != CertificateNoLists || !errors.Is(err, ErrCertificateTrust) {
			t.Errorf("file %.40q: %+v, %v", b, chk, err)
		}
	}
}

// FuzzParseKept: the kept file lies in a directory others may write; read
// with whatever bytes, it never panics, and what it accepts holds a trust
// list and a status list that central's key in it vouches for.
func FuzzParseKept(f *testing.F) {
	c := newCertCentral(f)
	ct := c.trust(day(2026, 8, 1))
	t, err := openCertTrust(c.ck.Public(), ct)
	if err != nil {
		f.Fatal(err)
	}
	good, err := encodeKept(t, day(2026, 8, 1))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte(`{"format":"onex-certificate-trust/1"}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		kt, _, err := parseKept(b)
		if err != nil {
			if !errors.Is(err, ErrCertificateTrust) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		if kt.tl == nil || kt.sl == nil || len(kt.tl.Keys) == 0 {
			t.Fatalf("accepted without lists: %+v", kt)
		}
		if _, err := openCertTrust(kt.central, &kt.raw); err != nil {
			t.Fatalf("accepted, but its documents do not open again: %v", err)
		}
	})
}

// BenchmarkVerifyCertificateKept: one offline check as onex-site verify and
// the screen make it: the kept file read and every document in it checked
// again (central's manifest, the root's trust list, the issuer's status
// list), then the QR text and its status.
func BenchmarkVerifyCertificateKept(b *testing.B) {
	c := newCertCentral(b)
	s := bareSite(b)
	if _, err := s.takeCertificateTrust(c.ck.Public(), c.trust(day(2026, 8, 1))); err != nil {
		b.Fatal(err)
	}
	text := c.text(c.issuer, 6, day(2026, 7, 15))
	b.ReportAllocs()
	for b.Loop() {
		if chk, err := VerifyCertificate(s.cfg.Dir, text, certIDNumber); err != nil || chk.Outcome != CertificateValid || !chk.IDMatches {
			b.Fatalf("%+v, %v", chk, err)
		}
	}
}

// BenchmarkVerifyCertificateAlone: the credential and status lookup alone,
// with the lists held in memory: what the file's checks add to.
func BenchmarkVerifyCertificateAlone(b *testing.B) {
	c := newCertCentral(b)
	t, err := openCertTrust(c.ck.Public(), c.trust(day(2026, 8, 1)))
	if err != nil {
		b.Fatal(err)
	}
	text := c.text(c.issuer, 6, day(2026, 7, 15))
	for b.Loop() {
		cl, err := credential.VerifyText(text, t.tl)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := t.sl.Status(cl.StatusIndex); err != nil {
			b.Fatal(err)
		}
	}
}

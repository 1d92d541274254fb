package server_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"onex/exam"
	"onex/exam/credential"
	"onex/exam/seal"
	"onex/exam/vc"
	"onex/server"
	"onex/server/servertest"
	"onex/server/store/pgtest"
	osync "onex/sync"
	"pgregory.net/rapid"
)

// Sample roster ID numbers of the first tickets.
const (
	id1 = "310104200410159779"
	id2 = "31010420031018810X"
)

// certifiable is the sample session on the objective-only paper after the
// room: ticket1 passed, ticket2 failed, ticket3 absent, ticket 4 passed; the
// results of tickets 1 to 3 approved, ticket 4's not (the others have no
// submission).
func certifiable(t testing.TB, opts ...servertest.Option) *servertest.Central {
	t.Helper()
	c := servertest.New(t, append([]servertest.Option{servertest.ObjectivePaper()}, opts...)...)
	d := c.Enrol(t, "SITE-001")
	c.Release()
	envs := [][]byte{
		d.Seal(osync.KindCheckIn, osync.CheckIn{SessionID: c.Session.ID, Ticket: ticket1, Status: exam.Present}).Bytes,
		d.Seal(osync.KindCheckIn, osync.CheckIn{SessionID: c.Session.ID, Ticket: ticket2, Status: exam.Present}).Bytes,
		d.Seal(osync.KindCheckIn, osync.CheckIn{SessionID: c.Session.ID, Ticket: ticket3, Status: exam.Absent}).Bytes,
		d.Seal(osync.KindSubmission, servertest.Submission(c.Session, ticket1, servertest.RightAnswers)).Bytes,
		d.Seal(osync.KindSubmission, servertest.Submission(c.Session, ticket2, servertest.WrongAnswers)).Bytes,
	}
	if code, resp := d.Push(envs...); code != 200 || resp.Results[len(envs)-1].Outcome != osync.Accepted {
		t.Fatalf("push: %d %+v", code, resp)
	}
	if _, err := c.Approve(context.Background(), c.Session.ID, "office ann"); err != nil {
		t.Fatal(err)
	}
	late := d.Seal(osync.KindSubmission, servertest.Submission(c.Session, "2026WEB010004", servertest.RightAnswers)).Bytes
	if code, _ := d.Push(late); code != 200 {
		t.Fatalf("push: %d", code)
	}
	return c
}

// certifiedOne is certifiable's session with its one certificate issued.
func certifiedOne(t testing.TB, opts ...servertest.Option) (*servertest.Central, server.Certificate) {
	t.Helper()
	c := certifiable(t, opts...)
	rep, err := c.Certify(context.Background(), c.Session.ID, "office ann")
	if err != nil || len(rep.Issued) != 1 {
		t.Fatalf("certify: %+v, %v", rep, err)
	}
	return c, rep.Issued[0]
}

func skips(rep server.CertifyReport) map[string]string {
	out := map[string]string{}
	for _, s := range rep.Skipped {
		out[s.Ticket] = s.Why
	}
	return out
}

func trustOf(t testing.TB, c *servertest.Central) (*credential.TrustList, *credential.StatusList, osync.CertificateTrust) {
	t.Helper()
	ct, err := c.CertificateTrust(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	m, err := seal.OpenManifest(c.PublicKey(), ct.Manifest)
	if err != nil {
		t.Fatalf("manifest: %v", err)
	}
	parts := ct.Parts()
	if _, err := seal.OpenPackage(c.PublicKey(), ct.Manifest, parts); err != nil {
		t.Fatalf("package: %v", err)
	}
	if m.PackageID != osync.CertificateTrustPackage || m.SessionID != "" || len(m.Parts) != 3 {
		t.Fatalf("manifest %+v", m)
	}
	for _, p := range m.Parts {
		if p != seal.NewPart(p.Name, parts[p.Name]) {
			t.Errorf("manifest part %s does not match", p.Name)
		}
	}
	tl, err := credential.OpenTrustList(ct.TrustList, ed25519.PublicKey(ct.Root))
	if err != nil {
		t.Fatalf("trust list: %v", err)
	}
	sl, err := credential.OpenStatusList(ct.StatusList, tl)
	if err != nil {
		t.Fatalf("status list: %v", err)
	}
	return tl, sl, ct
}

// TestCertify: on both engines, a certificate is issued from an approved
// passing result only (not from a provisional, failed or absent one), never
// twice; its QR text verifies with the trust list to the same claims, the
// ID number typed checks the hash; its VC verifies with the issuer key;
// revoking shows in the next status list; all audited.
func TestCertify(t *testing.T) {
	for _, engine := range pgtest.Engines {
		t.Run(engine, func(t *testing.T) {
			c := certifiable(t, servertest.WithDB(pgtest.DSN(t, engine)))
			ctx := context.Background()
			if _, err := c.Certify(ctx, "no-such-session", "office ann"); !errors.Is(err, server.ErrNotFound) {
				t.Errorf("unknown session: %v", err)
			}
			rep, err := c.Certify(ctx, c.Session.ID, "office ann")
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Issued) != 1 || rep.Issued[0].Ticket != ticket1 {
				t.Fatalf("issued %+v", rep.Issued)
			}
			sk := skips(rep)
			if sk[ticket2] != server.SkipFailed || sk[ticket3] != server.SkipAbsent || !strings.HasPrefix(sk["2026WEB010004"], server.SkipNotApproved) || len(rep.Skipped) != 39 {
				t.Errorf("skipped %v", sk)
			}
			cert := rep.Issued[0]
			year := c.Clock.Now().In(server.CST).Year()
			if want := fmt.Sprintf("WEB-1-%d-000001", year); cert.Number != want || cert.Status != credential.Valid || cert.Level != exam.Elementary ||
				cert.HolderName != "毛娜" || cert.OrgName == "" || cert.SiteName == "" || cert.IssuedBy != "office ann" {
				t.Errorf("certificate %+v, want number %s", cert, want)
			}
			if strings.Contains(cert.QR+cert.VC, id1) {
				t.Error("the ID number is in the certificate")
			}
			got, err := c.Certificate(ctx, cert.Number)
			if err != nil || got.QR != cert.QR || got.StatusIndex != cert.StatusIndex {
				t.Errorf("Certificate: %+v, %v", got, err)
			}
			if _, err := c.Certificate(ctx, "WEB-1-1999-000001"); !errors.Is(err, server.ErrNotFound) {
				t.Errorf("unknown number: %v", err)
			}
			tl, sl, _ := trustOf(t, c)
			claims, err := credential.VerifyText(cert.QR, tl)
			if err != nil {
				t.Fatalf("verify QR: %v", err)
			}
			if claims.Number != cert.Number || claims.Holder != cert.HolderName || claims.Level != 1 || claims.Site != cert.SiteName ||
				claims.Organisation != cert.OrgName || !claims.Issued.Equal(cert.Issued) || claims.StatusIndex != cert.StatusIndex {
				t.Errorf("claims %+v of %+v", claims, cert)
			}
			if !claims.CheckID(id1) || !claims.CheckID(strings.ToLower(id1)+" ") || claims.CheckID(id2) {
				t.Error("ID number check")
			}
			if st, err := sl.Status(cert.StatusIndex); err != nil || st != credential.Valid || sl.Revocation.Len() < credential.MinStatusBits {
				t.Errorf("status %v, %v", st, err)
			}
			v, err := vc.Verify(cert.VC, vc.Keys{fmt.Sprintf("%x", cert.KeyID): {tl.Keys[0].Public}}, c.Clock.Now())
			if err != nil || !v.Credential.HolderMatches(id1) || v.Credential.Issuer.ID != server.DefaultPublicURL ||
				v.Credential.CredentialStatus.StatusListCredential != server.DefaultPublicURL+server.StatusListPath {
				t.Errorf("VC: %v", err)
			}
			// Not twice.
			rep, err = c.Certify(ctx, c.Session.ID, "office bob")
			if err != nil || len(rep.Issued) != 0 || !strings.HasPrefix(skips(rep)[ticket1], server.SkipCertified) {
				t.Errorf("certify again: %+v, %v", rep, err)
			}
			// Status changes.
			if _, err := c.SetCertificateStatus(ctx, cert.Number, credential.Revoked, " ", "office ann"); !errors.Is(err, server.ErrReasonRequired) || !errors.Is(err, server.ErrInput) {
				t.Errorf("no reason: %v", err)
			}
			if _, err := c.SetCertificateStatus(ctx, cert.Number, credential.Valid, "复核", "office ann"); !errors.Is(err, server.ErrInput) {
				t.Errorf("reinstate a valid one: %v", err)
			}
			if got, err := c.SetCertificateStatus(ctx, cert.Number, credential.Suspended, "身份存疑", "office ann"); err != nil || got.Status != credential.Suspended || got.Reason != "身份存疑" {
				t.Errorf("suspend: %+v, %v", got, err)
			}
			if _, sl, _ := trustOf(t, c); must(sl.Status(cert.StatusIndex)) != credential.Suspended {
				t.Error("suspended not in the status list")
			}
			if got, err := c.SetCertificateStatus(ctx, cert.Number, credential.Valid, "核实无误", "office bob"); err != nil || got.Status != credential.Valid {
				t.Errorf("reinstate: %+v, %v", got, err)
			}
			if got, err := c.SetCertificateStatus(ctx, cert.Number, credential.Revoked, "证书信息有误", "office bob"); err != nil || got.Status != credential.Revoked || got.StatusBy != "office bob" {
				t.Errorf("revoke: %+v, %v", got, err)
			}
			var sce *server.StatusChangeError
			if _, err := c.SetCertificateStatus(ctx, cert.Number, credential.Valid, "撤销有误", "office bob"); !errors.As(err, &sce) {
				t.Errorf("reinstate a revoked one: %v", err)
			}
			if _, sl, _ := trustOf(t, c); must(sl.Status(cert.StatusIndex)) != credential.Revoked {
				t.Error("revoked not in the status list")
			}
			log, err := c.AuditLog(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var actions []string
			for _, e := range log.Entries {
				if strings.Contains(e.Action, "certificate") || strings.Contains(e.Action, "issuer") {
					actions = append(actions, e.Action)
					if strings.Contains(e.Detail, id1) || strings.Contains(e.Detail, "毛娜") {
						t.Errorf("audit names the candidate: %s", e.Detail)
					}
				}
			}
			if want := []string{"create issuer key", "issue certificates", "suspend certificate", "reinstate certificate", "revoke certificate"}; !slices.Equal(actions, want) {
				t.Errorf("audit %v, want %v", actions, want)
			}
			list, err := c.Certificates(ctx, c.Session.ID)
			if err != nil || len(list) != 1 || list[0].Status != credential.Revoked {
				t.Errorf("Certificates: %+v, %v", list, err)
			}
		})
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// TestCertifyConcurrently: on both engines, Certify runs at once on two
// central processes sharing the database never give a number or a status
// index twice, nor a ticket two certificates.
func TestCertifyConcurrently(t *testing.T) {
	for _, engine := range pgtest.Engines {
		t.Run(engine, func(t *testing.T) {
			dsn := pgtest.DSN(t, engine)
			c := certifiable(t, servertest.WithDB(dsn))
			ctx := context.Background()
			other, err := server.Open(ctx, c.Dir, dsn, server.Config{Now: c.Clock.Now})
			if err != nil {
				t.Fatal(err)
			}
			defer other.Close()
			var wg sync.WaitGroup
			var issued [2][]server.Certificate
			var errs [2]error
			for i, sc := range []*server.Central{c.Central, other} {
				wg.Go(func() {
					rep, err := sc.Certify(ctx, c.Session.ID, "office")
					issued[i], errs[i] = rep.Issued, err
				})
			}
			wg.Wait()
			if errs[0] != nil || errs[1] != nil {
				t.Fatal(errs)
			}
			if n := len(issued[0]) + len(issued[1]); n != 1 {
				t.Errorf("%d certificates issued for one result", n)
			}
		})
	}
}

// TestIssuerKeyRotation: after a rotation the trust list lists both keys;
// a certificate signed by the old key inside its window still verifies, one
// signed by it after its window is refused, and new certificates are signed
// by the new key; the status list verifies with the new key.
func TestIssuerKeyRotation(t *testing.T) {
	c, before := certifiedOne(t)
	ctx := context.Background()
	old, err := c.CurrentIssuer(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c.Clock.Add(30 * 24 * time.Hour)
	kid, err := c.RotateIssuerKey(ctx, "office admin")
	if err != nil || slices.Equal(kid, old.KeyID()) {
		t.Fatalf("rotate: %x, %v", kid, err)
	}
	c.Clock.Add(time.Hour)
	tl, _, _ := trustOf(t, c)
	if len(tl.Keys) != 2 || !slices.Equal(tl.Keys[0].KeyID, old.KeyID()) || !slices.Equal(tl.Keys[1].KeyID, kid) ||
		!tl.Keys[0].NotAfter.Equal(tl.Keys[1].NotBefore) {
		t.Fatalf("trust list %+v", tl.Keys)
	}
	if _, err := credential.VerifyText(before.QR, tl); err != nil {
		t.Errorf("a certificate signed inside the old key's window: %v", err)
	}
	claims, err := credential.VerifyText(before.QR, tl)
	if err != nil {
		t.Fatal(err)
	}
	forged := *claims
	forged.Number, forged.Issued = "WEB-1-2026-999999", c.Clock.Now()
	text, err := old.IssueText(forged)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := credential.VerifyText(text, tl); !errors.Is(err, credential.ErrKeyWindow) {
		t.Errorf("signed by the rotated-out key after its window: %v", err)
	}
	// The next certificate is signed by the new key.
	d := c.Enrol(t, "SITE-001")
	if code, _ := d.Push(d.Seal(osync.KindCheckIn, osync.CheckIn{SessionID: c.Session.ID, Ticket: "2026WEB010004", Status: exam.Present}).Bytes); code != 200 {
		t.Fatal(code)
	}
	if _, err := c.Approve(ctx, c.Session.ID, "office ann"); err != nil {
		t.Fatal(err)
	}
	rep, err := c.Certify(ctx, c.Session.ID, "office ann")
	if err != nil || len(rep.Issued) != 1 || !slices.Equal(rep.Issued[0].KeyID, kid) || rep.Issued[0].Number[len(rep.Issued[0].Number)-6:] != "000002" {
		t.Fatalf("after rotation: %+v, %v", rep.Issued, err)
	}
	if _, err := credential.VerifyText(rep.Issued[0].QR, tl); err != nil {
		t.Errorf("new certificate: %v", err)
	}
	log, _ := c.AuditLog(ctx)
	if !slices.ContainsFunc(log.Entries, func(e server.AuditEntry) bool {
		return e.Action == "rotate issuer key" && e.Actor == "office admin" && strings.Contains(e.Detail, fmt.Sprintf("%x", kid))
	}) {
		t.Error("rotation not audited")
	}
}

// TestRotationsWithinASecond: two rotations in the very second the first
// key was made and its certificate signed keep every key: each window
// begins a second after the one before, and the first certificate still
// verifies with the trust list.
func TestRotationsWithinASecond(t *testing.T) {
	c, before := certifiedOne(t)
	ctx := context.Background()
	var kids [][]byte
	for range 2 {
		kid, err := c.RotateIssuerKey(ctx, "office admin")
		if err != nil {
			t.Fatal(err)
		}
		kids = append(kids, kid)
	}
	c.Clock.Add(3 * time.Second)
	tl, _, _ := trustOf(t, c)
	if len(tl.Keys) != 3 || !slices.Equal(tl.Keys[1].KeyID, kids[0]) || !slices.Equal(tl.Keys[2].KeyID, kids[1]) {
		t.Fatalf("trust list %+v", tl.Keys)
	}
	for i := 1; i < 3; i++ {
		if !tl.Keys[i-1].NotAfter.Equal(tl.Keys[i].NotBefore) || !tl.Keys[i].NotBefore.After(tl.Keys[i-1].NotBefore) {
			t.Errorf("windows %d and %d: %+v", i-1, i, tl.Keys)
		}
	}
	if _, err := credential.VerifyText(before.QR, tl); err != nil {
		t.Errorf("the first key's certificate after two rotations: %v", err)
	}
}

// TestCertificateStatusProperty: any sequence of status changes on any
// certificates does what the rule says (revocation final, reinstatement
// only from suspension, a reason always), changes nothing when refused, and
// the status list signed after each step shows every certificate's status.
func TestCertificateStatusProperty(t *testing.T) {
	c := servertest.AllPassed(t, 8)
	ctx := context.Background()
	rep, err := c.Certify(ctx, c.Session.ID, "office ann")
	if err != nil || len(rep.Issued) != 8 {
		t.Fatalf("certify: %d, %v", len(rep.Issued), err)
	}
	model := map[string]credential.Status{}
	for _, ce := range rep.Issued {
		model[ce.Number] = credential.Valid
	}
	statuses := []credential.Status{credential.Valid, credential.Suspended, credential.Revoked}
	rapid.Check(t, func(rt *rapid.T) {
		for range rapid.IntRange(1, 6).Draw(rt, "steps") {
			ce := rapid.SampledFrom(rep.Issued).Draw(rt, "certificate")
			to := rapid.SampledFrom(statuses).Draw(rt, "to")
			reason := rapid.SampledFrom([]string{"", " ", "核实有误"}).Draw(rt, "reason")
			from := model[ce.Number]
			got, err := c.SetCertificateStatus(ctx, ce.Number, to, reason, "office")
			ok := strings.TrimSpace(reason) != "" && from != credential.Revoked && from != to && (to != credential.Valid || from == credential.Suspended)
			switch {
			case ok && (err != nil || got.Status != to || got.Reason != reason):
				rt.Fatalf("%s %v -> %v (%q): %+v, %v", ce.Number, from, to, reason, got, err)
			case !ok && !errors.Is(err, server.ErrInput):
				rt.Fatalf("%s %v -> %v (%q) allowed: %v", ce.Number, from, to, reason, err)
			case ok:
				model[ce.Number] = to
			}
			if stored, _ := c.Certificate(ctx, ce.Number); stored.Status != model[ce.Number] {
				rt.Fatalf("%s stored %v, model %v", ce.Number, stored.Status, model[ce.Number])
			}
		}
		_, sl, _ := trustOf(t, c)
		for _, ce := range rep.Issued {
			if st := must(sl.Status(ce.StatusIndex)); st != model[ce.Number] {
				rt.Fatalf("status list: %s is %v, model %v", ce.Number, st, model[ce.Number])
			}
		}
	})
}

// TestCertifyNamesWhatToShorten: a site's and organisation's names so long
// that the credential does not fit the QR code issue nothing, and the error
// names the certificate and the field to shorten.
func TestCertifyNamesWhatToShorten(t *testing.T) {
	c := certifiable(t)
	ctx := context.Background()
	b, err := io.ReadAll(servertest.Sample(t, "catalogue.json"))
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("职", 29)
	b = bytes.Replace(b, []byte("示例职业技术学院 第一考核站点"), []byte(long+"站"), 1)
	b = bytes.Replace(b, []byte("Web前端开发培训评价组织（示例）"), []byte(long), 1)
	if _, err := c.ImportCatalogue(ctx, bytes.NewReader(b), "test"); err != nil {
		t.Fatal(err)
	}
	_, err = c.Certify(ctx, c.Session.ID, "office ann")
	if !errors.Is(err, server.ErrInput) || !strings.Contains(err.Error(), "certificate WEB-1-") ||
		!strings.Contains(err.Error(), "shorten the site's name in the catalogue (90 bytes)") {
		t.Errorf("too long: %v", err)
	}
	if list, _ := c.Certificates(ctx, c.Session.ID); len(list) != 0 {
		t.Errorf("issued %d", len(list))
	}
}

// TestCertificatePDF: the PDF of a certificate is written; an unknown
// number is ErrNotFound.
func TestCertificatePDF(t *testing.T) {
	c, cert := certifiedOne(t)
	ctx := context.Background()
	var pdf bytes.Buffer
	if err := c.CertificatePDF(ctx, cert.Number, &pdf); err != nil || !bytes.HasPrefix(pdf.Bytes(), []byte("%PDF-")) || pdf.Len() < 10000 {
		t.Errorf("pdf of %d bytes: %v", pdf.Len(), err)
	}
	if err := c.CertificatePDF(ctx, "WEB-1-1999-000001", io.Discard); !errors.Is(err, server.ErrNotFound) {
		t.Errorf("unknown: %v", err)
	}
}

package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"onex/exam"
	"onex/server/store"
)

// issuerKey is a stand-in issuer key (the store keeps bytes; signing is the
// service's).
func issuerKey(name string, from time.Time) store.IssuerKey {
	return store.IssuerKey{KeyID: []byte(name), Public: []byte("pub " + name), PrivateSealed: []byte("sealed " + name),
		NotBefore: from, NotAfter: from.AddDate(5, 0, 0), CreatedBy: "test", CreatedAt: from}
}

// stamp is a sign callback that numbers a certificate as the service does
// and records the key it was given.
func stamp(c *store.Certificate, is store.Issue) error {
	c.Number = fmt.Sprintf("%s-1-2026-%06d", c.CertCode, is.Serial)
	c.KeyID, c.QR, c.VC = is.Key.KeyID, "OX1:"+c.Number, "vc "+c.Number
	return nil
}

func pending(sessionID string, tickets ...string) []store.Pending {
	var out []store.Pending
	for _, t := range tickets {
		out = append(out, store.Pending{Digest: "d", Certificate: store.Certificate{Ticket: t, HolderName: "name " + t, IDSalt: []byte("salt0000"),
			IDHash: []byte("hash000000000000"), CertCode: "WEB", CertName: "Web", OrgName: "org", SiteName: "site", Level: exam.Elementary,
			Issued: time.Date(2026, 12, 10, 9, 0, 0, 0, time.UTC), IssuedBy: "office " + sessionID}})
	}
	return out
}

func approveAll(t *testing.T, db *store.DB, sessionID string, tickets []string) {
	t.Helper()
	var as []store.Approval
	for _, tk := range tickets {
		as = append(as, store.Approval{Ticket: tk, Digest: "d"})
	}
	if _, err := db.Approve(context.Background(), sessionID, as, "office", time.Now(), "approve results", func([]string) string { return "" }); err != nil {
		t.Fatal(err)
	}
}

func auditLine(cs []store.Certificate) store.AuditLine {
	var ns []string
	for _, c := range cs {
		ns = append(ns, c.Number)
	}
	return store.AuditLine{Actor: "office", Action: "issue certificates", Detail: strings.Join(ns, " ")}
}

// TestCertificatesStore: issuing numbers each (code, level, year) from 1
// and gives status indexes from 0, only for approvals that hold, once per
// ticket; status changes follow the rule given and are audited; issuer keys
// are made once and rotation ends the window of the one before.
func TestCertificatesStore(t *testing.T) {
	eachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := seed(t, db)
		at := time.Date(2026, 12, 10, 9, 0, 0, 0, time.UTC)
		approveAll(t, db, s.ID, []string{"T1", "T2"})
		if _, _, _, err := db.IssueCertificates(ctx, s.ID, 2026, pending(s.ID, "T1"), stamp, auditLine); !errors.Is(err, store.ErrNoIssuerKey) {
			t.Fatalf("no issuer key: %v", err)
		}
		made := 0
		for range 2 {
			k, err := db.EnsureIssuerKey(ctx, at, func() (store.IssuerKey, store.AuditLine, error) {
				made++
				return issuerKey("k1", at.Add(-time.Hour)), store.AuditLine{Actor: "central", Action: "create issuer key"}, nil
			})
			if err != nil || string(k.KeyID) != "k1" {
				t.Fatalf("ensure: %+v, %v", k, err)
			}
		}
		if made != 1 {
			t.Errorf("made %d keys", made)
		}
		if k, err := db.IssuerKeyAt(ctx, at); err != nil || string(k.KeyID) != "k1" {
			t.Errorf("key at: %+v, %v", k, err)
		}
		if _, err := db.IssuerKeyAt(ctx, at.Add(-2*time.Hour)); !errors.Is(err, store.ErrNoIssuerKey) {
			t.Errorf("before its window: %v", err)
		}
		issued, already, lapsed, err := db.IssueCertificates(ctx, s.ID, 2026, pending(s.ID, "T1", "T2", "T3"), stamp, auditLine)
		if err != nil || len(issued) != 2 || len(already) != 0 || !slices.Equal(lapsed, []string{"T3"}) {
			t.Fatalf("issue: %+v %v %v %v", issued, already, lapsed, err)
		}
		if issued[0].Number != "WEB-1-2026-000001" || issued[1].Number != "WEB-1-2026-000002" || issued[0].StatusIndex != 0 || issued[1].StatusIndex != 1 ||
			string(issued[0].KeyID) != "k1" || issued[0].Status != store.CertValid {
			t.Errorf("issued %+v", issued)
		}
		issued, already, _, err = db.IssueCertificates(ctx, s.ID, 2026, pending(s.ID, "T1"), stamp, auditLine)
		if err != nil || len(issued) != 0 || !slices.Equal(already, []string{"T1"}) {
			t.Fatalf("again: %+v %v %v", issued, already, err)
		}
		// A failing signature issues nothing and gives out no number.
		approveAll(t, db, s.ID, []string{"T4"})
		boom := errors.New("boom")
		if _, _, _, err := db.IssueCertificates(ctx, s.ID, 2026, pending(s.ID, "T4"), func(*store.Certificate, store.Issue) error { return boom }, auditLine); !errors.Is(err, boom) {
			t.Fatal(err)
		}
		issued, _, _, err = db.IssueCertificates(ctx, s.ID, 2026, pending(s.ID, "T4"), stamp, auditLine)
		if err != nil || len(issued) != 1 || issued[0].Number != "WEB-1-2026-000003" || issued[0].StatusIndex != 2 {
			t.Fatalf("after a failure: %+v, %v", issued, err)
		}
		got, err := db.Certificate(ctx, "WEB-1-2026-000002")
		if err != nil || got.Ticket != "T2" || got.HolderName != "name T2" || !got.Issued.Equal(at) || got.Level != exam.Elementary || string(got.IDHash) != "hash000000000000" {
			t.Errorf("certificate %+v, %v", got, err)
		}
		if _, err := db.Certificate(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("unknown: %v", err)
		}
		if list, err := db.Certificates(ctx, s.ID); err != nil || len(list) != 3 || list[0].Number != "WEB-1-2026-000001" {
			t.Errorf("list %+v, %v", list, err)
		}
		// Status.
		refuse := errors.New("refused")
		if _, err := db.SetCertificateStatus(ctx, "WEB-1-2026-000001", store.CertRevoked, "r", "office", at, func(string) error { return refuse },
			func(string) store.AuditLine { return store.AuditLine{} }); !errors.Is(err, refuse) {
			t.Errorf("refused change: %v", err)
		}
		var from string
		c, err := db.SetCertificateStatus(ctx, "WEB-1-2026-000001", store.CertRevoked, "wrong name", "office bob", at, func(f string) error { from = f; return nil },
			func(f string) store.AuditLine {
				return store.AuditLine{Actor: "office bob", Action: "revoke certificate", Detail: f}
			})
		if err != nil || from != store.CertValid || c.Status != store.CertRevoked || c.Reason != "wrong name" || c.StatusBy != "office bob" || !c.StatusAt.Equal(at) {
			t.Errorf("revoke: %+v, %v", c, err)
		}
		if _, err := db.SetCertificateStatus(ctx, "nope", store.CertRevoked, "r", "o", at, func(string) error { return nil }, func(string) store.AuditLine { return store.AuditLine{} }); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("unknown: %v", err)
		}
		n, entries, err := db.CertificateStatuses(ctx)
		if err != nil || n != 3 || !slices.Equal(entries, []store.StatusEntry{{Index: 0, Status: store.CertRevoked}}) {
			t.Errorf("statuses %d %+v %v", n, entries, err)
		}
		// Rotation.
		if err := db.RotateIssuerKey(ctx, issuerKey("k2", at.Add(time.Hour)), store.AuditLine{Actor: "office", Action: "rotate issuer key"}); err != nil {
			t.Fatal(err)
		}
		keys, err := db.IssuerKeys(ctx)
		if err != nil || len(keys) != 2 || string(keys[0].KeyID) != "k1" || !keys[0].NotAfter.Equal(at.Add(time.Hour)) || string(keys[1].KeyID) != "k2" ||
			string(keys[1].PrivateSealed) != "sealed k2" {
			t.Fatalf("keys %+v, %v", keys, err)
		}
		approveAll(t, db, s.ID, []string{"T5", "T6"})
		p := pending(s.ID, "T5", "T6")
		p[1].Issued = at.Add(2 * time.Hour)
		issued, _, _, err = db.IssueCertificates(ctx, s.ID, 2026, p, stamp, auditLine)
		if err != nil || len(issued) != 2 || string(issued[0].KeyID) != "k1" || string(issued[1].KeyID) != "k2" {
			t.Errorf("signed by %+v, %v", issued, err)
		}
		log, err := db.AuditLog(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for _, e := range log {
			actions = append(actions, e.Action)
		}
		if want := []string{"create issuer key", "issue certificates", "approve results", "issue certificates", "revoke certificate", "rotate issuer key", "approve results", "issue certificates"}; !slices.Equal(actions[len(actions)-len(want):], want) {
			t.Errorf("audit %v", actions)
		}
	})
}

// TestIssueConcurrently: on both engines, certificates issued at once from
// two database handles (two central processes), for four sessions, two
// issuers on each, never share a number or a status index, every
// approved ticket gets exactly one, and the serials of one code, level and
// year run 1 to N without a gap.
func TestIssueConcurrently(t *testing.T) {
	ctx := context.Background()
	for _, dsn := range engineDSNs(t) {
		dbs := make([]*store.DB, 2)
		for i := range dbs {
			var err error
			if dbs[i], err = store.Open(ctx, dsn); err != nil {
				t.Fatal(err)
			}
			defer dbs[i].Close()
		}
		db := dbs[0]
		t.Run(string(db.Engine), func(t *testing.T) {
			s := seed(t, db)
			sessions := []string{s.ID}
			for i := 2; i <= 4; i++ {
				o := s
				o.ID = fmt.Sprintf("S%d", i)
				if err := db.CreateSession(ctx, o, pkg("m"+o.ID, "{}")); err != nil {
					t.Fatal(err)
				}
				sessions = append(sessions, o.ID)
			}
			var tickets []string
			for i := range 25 {
				tickets = append(tickets, fmt.Sprintf("T%02d", i))
			}
			for _, id := range sessions {
				approveAll(t, db, id, tickets)
			}
			at := time.Date(2026, 12, 10, 9, 0, 0, 0, time.UTC)
			if _, err := db.EnsureIssuerKey(ctx, at, func() (store.IssuerKey, store.AuditLine, error) {
				return issuerKey("k1", at.Add(-time.Hour)), store.AuditLine{}, nil
			}); err != nil {
				t.Fatal(err)
			}
			var mu sync.Mutex
			var all []store.Certificate
			var wg sync.WaitGroup
			errs := make(chan error, 16)
			for i, id := range slices.Concat(sessions, sessions) {
				wg.Go(func() {
					issued, _, _, err := dbs[i%2].IssueCertificates(ctx, id, 2026, pending(id, tickets...), stamp, auditLine)
					if err != nil {
						errs <- err
						return
					}
					mu.Lock()
					all = append(all, issued...)
					mu.Unlock()
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatal(err)
			}
			if len(all) != len(sessions)*len(tickets) {
				t.Fatalf("%d certificates issued, want %d", len(all), len(sessions)*len(tickets))
			}
			numbers, indexes, holders := map[string]bool{}, map[uint32]bool{}, map[string]bool{}
			for _, c := range all {
				if numbers[c.Number] || indexes[c.StatusIndex] || holders[c.SessionID+"/"+c.Ticket] {
					t.Fatalf("given twice: %+v", c)
				}
				numbers[c.Number], indexes[c.StatusIndex], holders[c.SessionID+"/"+c.Ticket] = true, true, true
			}
			for i := 1; i <= len(all); i++ {
				if !numbers[fmt.Sprintf("WEB-1-2026-%06d", i)] || !indexes[uint32(i-1)] {
					t.Fatalf("serial %d or index %d missing", i, i-1)
				}
			}
		})
	}
}

package server_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"onex/exam"
	"onex/exam/seal"
	"onex/server"
	"onex/server/servertest"
	"onex/server/store/pgtest"
	osync "onex/sync"
)

// TestCentralKeyOfRelease1Upgraded: central opening a key file of release 1
// (no hybrid receiving key) upgrades it in place: the same signing, X25519
// and secrets keys (the unlock codes sealed before still read out), the
// hybrid key added, the file replaced whole and mode 0600, the upgrade
// audited, and every copy of the file upgraded to the same key. A device of
// release 1 keeps working: the envelopes it queued before, sealed to the
// key of release 1, are accepted; it learns the hybrid key from the package
// answer, signed by the key it trusts, and its version 2 envelopes are
// accepted too. On SQLite and PostgreSQL.
func TestCentralKeyOfRelease1Upgraded(t *testing.T) {
	for _, engine := range pgtest.Engines {
		t.Run(engine, func(t *testing.T) {
			testCentralKeyOfRelease1Upgraded(t, servertest.New(t, servertest.WithDB(pgtest.DSN(t, engine)), servertest.Release1()))
		})
	}
}

func testCentralKeyOfRelease1Upgraded(t *testing.T, c *servertest.Central) {
	ctx := context.Background()
	code := c.UnlockCode(t)
	hybrid := c.PublicKey()
	if !hybrid.Hybrid() {
		t.Fatal("central runs without the hybrid key")
	}
	d := c.Enrol(t, "SITE-001")
	if d.Central.Hybrid() || d.Central.Fingerprint() != hybrid.V1().Fingerprint() {
		t.Fatalf("a device enrolled with central of release 1 holds %s", d.Central.Fingerprint())
	}
	s := c.Session
	v1 := []*seal.Envelope{
		d.Seal(osync.KindCheckIn, osync.CheckIn{SessionID: s.ID, Ticket: "2026WEB010001", Status: exam.Present}),
		d.Seal(osync.KindCheckIn, osync.CheckIn{SessionID: s.ID, Ticket: "2026WEB010002", Status: exam.Present}),
	}
	if v1[0].Version != 1 {
		t.Fatalf("a device of release 1 sealed version %d", v1[0].Version)
	}
	if _, resp := d.Push(v1[0].Bytes); resp.Results[0].Outcome != osync.Accepted {
		t.Fatalf("version 1 before the upgrade: %+v", resp.Results[0])
	}

	// Release 2 installed over a key file of release 1.
	path := filepath.Join(c.Dir, server.KeysFile)
	servertest.WriteKeysOfRelease1(t, c.Dir)
	before, _ := os.ReadFile(path)
	c.Restart(t, servertest.Release2())
	after, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(path)
	switch {
	case before[4] != 1 || len(before) != 69:
		t.Fatalf("key file of release 1: type %d, %d bytes", before[4], len(before))
	case after[4] != 5 || len(after) != 101 || !bytes.Equal(after[5:69], before[5:69]):
		t.Fatalf("upgraded key file: type %d, %d bytes, Ed25519 and X25519 kept: %v", after[4], len(after), bytes.Equal(after[5:69], before[5:69]))
	case fi.Mode().Perm() != 0o600:
		t.Fatalf("upgraded key file is %v", fi.Mode().Perm())
	case c.PublicKey().Fingerprint() != hybrid.Fingerprint():
		t.Fatalf("two upgrades of one key file differ: %s, %s", c.PublicKey().Fingerprint(), hybrid.Fingerprint())
	case c.UnlockCode(t) != code:
		t.Fatal("the unlock code sealed before the upgrade reads otherwise")
	}
	if left, _ := filepath.Glob(filepath.Join(c.Dir, "."+server.KeysFile+"-*")); len(left) != 0 {
		t.Fatalf("temporary files left: %v", left)
	}
	log, err := c.AuditLog(ctx)
	if err != nil || log.Broken != "" {
		t.Fatalf("audit log: %v %s", err, log.Broken)
	}
	var upgrades int // at the first open (Release1 writes a key file of release 1) and at the restart
	for _, e := range log.Entries {
		if e.Action == "upgrade central key" && e.Actor == "central" && strings.Contains(e.Detail, hybrid.Fingerprint()) && strings.Contains(e.Detail, hybrid.V1().Fingerprint()) {
			upgrades++
		}
	}
	if upgrades != 2 {
		t.Fatalf("%d upgrades audited, want 2", upgrades)
	}

	// The record queued before the upgrade goes as it is.
	if _, resp := d.Push(v1[1].Bytes); resp.Results[0].Outcome != osync.Accepted {
		t.Fatalf("version 1 queued before the upgrade: %+v", resp.Results[0])
	}
	var pr osync.PackageResponse
	if code := d.Get(osync.PathPackage+"?cursor=0", &pr); code != 200 || pr.HybridKey == nil {
		t.Fatalf("package answer %d without the hybrid key", code)
	}
	learnt, err := pr.HybridKey.Open(d.Central)
	if err != nil || learnt.Fingerprint() != hybrid.Fingerprint() {
		t.Fatalf("hybrid key from the package answer: %v", err)
	}
	d.Central = learnt
	v2 := d.Seal(osync.KindCheckIn, osync.CheckIn{SessionID: s.ID, Ticket: "2026WEB010003", Status: exam.Present})
	if _, resp := d.Push(v2.Bytes); v2.Version != 2 || resp.Results[0].Outcome != osync.Accepted {
		t.Fatalf("version %d after the upgrade: %+v", v2.Version, resp.Results[0])
	}
	// Operators see when the last version 1 envelope came (since the restart).
	if got := envelopeCounts(t, c.Central); got["1"] != 1 || got["2"] != 1 {
		t.Fatalf("onex_records_envelope_total %v, want one of each version", got)
	}
	chain, err := c.DB(t).Chain(ctx, d.ID)
	if err != nil || len(chain) != 3 {
		t.Fatalf("chain %+v, %v", chain, err)
	}
	for i, env := range []*seal.Envelope{v1[0], v1[1], v2} {
		if !bytes.Equal(chain[i].Hash, env.Hash[:]) {
			t.Errorf("record %d (version %d) stored otherwise than sent", i+1, env.Version)
		}
	}
}

// envelopeCounts reads onex_records_envelope_total by version.
func envelopeCounts(t *testing.T, c *server.Central) map[string]float64 {
	t.Helper()
	families, err := c.Metrics().Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, f := range families {
		if f.GetName() != "onex_records_envelope_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "version" {
					got[l.GetValue()] = m.GetCounter().GetValue()
				}
			}
		}
	}
	return got
}

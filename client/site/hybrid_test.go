package site_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"onex/client/site"

	"onex/exam/seal"
	"onex/server"
	"onex/server/servertest"
	wire "onex/sync"
)

// pending is the envelope of every record waiting in the site's outbox, in
// chain order (a record leaves the outbox with its receipt).
func (r *rig) pending() [][]byte {
	r.t.Helper()
	recs, err := r.s.Store().Pending(context.Background(), 1<<20, 1<<40)
	if err != nil {
		r.t.Fatal(err)
	}
	var envs [][]byte
	for _, rec := range recs {
		envs = append(envs, rec.Envelope)
	}
	return envs
}

// versions are the format versions of envelopes (the magic's last byte).
func versions(envs [][]byte) []int {
	var v []int
	for _, env := range envs {
		v = append(v, int(env[3]))
	}
	return v
}

// storedAsSent checks that central stores the device's chain as the
// site's outbox holds it, envelope for envelope.
func (r *rig) storedAsSent(envs [][]byte) {
	r.t.Helper()
	id, err := r.s.Identity(context.Background())
	if err != nil {
		r.t.Fatal(err)
	}
	chain, err := r.central.DB(r.t).Chain(context.Background(), id.DeviceID)
	if err != nil || len(chain) != len(envs) {
		r.t.Fatalf("central holds %d records of %d, %v", len(chain), len(envs), err)
	}
	for i, env := range envs {
		if h := seal.EnvelopeHash(env); !bytes.Equal(chain[i].Hash, h[:]) {
			r.t.Fatalf("record %d stored otherwise than sent", i+1)
		}
	}
}

// TestSiteWritesVersion2: a site enrolled with central now holds central's
// hybrid key from the enrolment answer, seals version 2 envelopes, and
// central stores them.
func TestSiteWritesVersion2(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	id, err := r.s.Identity(ctx)
	if err != nil || id.CentralKey != r.central.PublicKey().Fingerprint() || !r.central.PublicKey().Hybrid() {
		t.Fatalf("enrolled holding central key %s, want the hybrid %s: %v", id.CentralKey, r.central.PublicKey().Fingerprint(), err)
	}
	r.checkIn("2026WEB010001")
	r.checkIn("2026WEB010002")
	envs := r.pending()
	if v := versions(envs); len(v) != 2 || v[0] != 2 || v[1] != 2 {
		t.Fatalf("envelope versions %v, want 2 and 2", v)
	}
	if st, err := r.s.Sync(ctx); err != nil || st.Accepted != 2 {
		t.Fatalf("sync: %+v, %v", st, err)
	}
	r.storedAsSent(envs)
}

// TestSiteOfRelease1KeepsWorking: a site that enrolled with a central of
// release 1 holds only its key of release 1 and seals version 1 envelopes.
// Central is upgraded (release 2 over a key file of release 1): the site
// keeps syncing, the version 1 envelope it queued before the upgrade goes as
// it is, it learns the hybrid key at its next download (signed by the key it
// trusts) and seals version 2 from then on. An export file carrying both
// versions is taken by central as the network would be.
func TestSiteOfRelease1KeepsWorking(t *testing.T) {
	ctx := context.Background()
	c := servertest.New(t, servertest.Release1())
	r := enrolRigWith(t, c, nil)
	if _, err := r.s.Download(ctx, nil); err != nil {
		t.Fatal(err)
	}
	id, _ := r.s.Identity(ctx)
	if id.CentralKey != c.PublicKey().V1().Fingerprint() {
		t.Fatalf("a site enrolled with central of release 1 holds %s", id.CentralKey)
	}
	r.checkIn("2026WEB010001")
	envs := r.pending()
	if st, err := r.s.Sync(ctx); err != nil || st.Accepted != 1 {
		t.Fatalf("sync before the upgrade: %+v, %v", st, err)
	}
	r.checkIn("2026WEB010002") // queued when central is upgraded

	servertest.WriteKeysOfRelease1(t, c.Dir)
	c.Restart(t, servertest.Release2())
	if b, _ := os.ReadFile(filepath.Join(c.Dir, server.KeysFile)); len(b) != 101 || b[4] != 5 {
		t.Fatalf("central's key file after the upgrade: %d bytes", len(b))
	}
	if _, err := r.s.Download(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if id, _ := r.s.Identity(ctx); id.CentralKey != c.PublicKey().Fingerprint() {
		t.Fatalf("after the download the site holds %s, want the hybrid %s", id.CentralKey, c.PublicKey().Fingerprint())
	}
	r.checkIn("2026WEB010003")
	envs = append(envs, r.pending()...)
	if v := versions(envs); len(v) != 3 || v[0] != 1 || v[1] != 1 || v[2] != 2 {
		t.Fatalf("envelope versions %v, want 1, 1 (queued before the upgrade), 2", v)
	}

	// The two pending records, one of each version, carried on a USB stick
	// and imported as onex-central import records does; then the sync gets
	// their receipts.
	var file bytes.Buffer
	if n, err := r.s.Export(ctx, &file); err != nil || n != 2 {
		t.Fatalf("export: %d, %v", n, err)
	}
	exp, err := wire.ReadExport(&file)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Ingest(ctx, wire.Batch{Envelopes: exp.Envelopes})
	if err != nil {
		t.Fatal(err)
	}
	for i, res := range resp.Results {
		if res.Outcome != wire.Accepted {
			t.Fatalf("imported envelope %d (version %d): %s %s", i+1, exp.Envelopes[i][3], res.Outcome, res.Reason)
		}
	}
	if st, err := r.s.Sync(ctx); err != nil || st.Duplicate != 2 {
		t.Fatalf("sync after the import: %+v, %v", st, err)
	}
	r.storedAsSent(envs)
	if st, err := r.s.Status(ctx, false); err != nil || st.Outbox.Pending != 0 {
		t.Fatalf("status %+v, %v", st, err)
	}
}

// TestSiteRefusesForeignHybridKey: a package answer whose hybrid key
// another central signed (a man in the middle, a server that is not
// central) fails the download and changes nothing: the site keeps the key
// of release 1, no package is stored, and the next honest download works.
func TestSiteRefusesForeignHybridKey(t *testing.T) {
	ctx := context.Background()
	c := servertest.New(t, servertest.Release1())
	forger, err := seal.GenerateCentralKeys()
	if err != nil {
		t.Fatal(err)
	}
	manifest, err := seal.SignCentralKey(forger, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	forged := &wire.SignedKey{Manifest: manifest, Key: forger.Public().Marshal()}
	tp := &tamperer{}
	r := enrolRigWith(t, c, tp.wrap(t))
	forge := func(pr *wire.PackageResponse) { pr.HybridKey = forged }
	tp.spoil.Store(&forge)
	if _, err := r.s.Download(ctx, nil); !errors.Is(err, site.ErrBadPackage) || !errors.Is(err, seal.ErrBadSignature) {
		t.Fatalf("download with a forged hybrid key: %v", err)
	}
	if id, _ := r.s.Identity(ctx); id.CentralKey != c.PublicKey().V1().Fingerprint() {
		t.Fatalf("after the refused download the site holds %s", id.CentralKey)
	}
	if sessions, _ := r.s.Sessions(ctx); len(sessions) != 0 {
		t.Fatalf("the refused download stored %d sessions", len(sessions))
	}
	tp.spoil.Store(nil)
	if res, err := r.s.Download(ctx, nil); err != nil || len(res.Updated) != 1 {
		t.Fatalf("honest download: %+v, %v", res, err)
	}
}

package site

import (
	"bytes"
	"context"
	"errors"
	"maps"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"
	"time"

	"onex/client/store"
	"onex/exam"
	"onex/exam/seal"
	"onex/server/servertest"
	wire "onex/sync"
)

// eachByteChanged calls check on b with each byte changed twice (one bit,
// then a random other value), over the CPUs, and fails naming the changes
// check accepted.
func eachByteChanged(t *testing.T, rng *rand.Rand, b []byte, check func([]byte) error) int {
	t.Helper()
	deltas := make([]byte, len(b))
	for i := range deltas {
		deltas[i] = byte(1 + rng.IntN(255))
	}
	workers := runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var missed []int
	for w := range workers {
		wg.Go(func() {
			m := bytes.Clone(b)
			for i := w; i < len(b); i += workers {
				for _, d := range []byte{1 << (i % 8), deltas[i]} {
					m[i] ^= d
					err := check(m)
					m[i] ^= d
					if err == nil {
						mu.Lock()
						missed = append(missed, i)
						mu.Unlock()
					}
				}
			}
		})
	}
	wg.Wait()
	if len(missed) > 0 {
		t.Errorf("%d changed bytes accepted, such as at %v", len(missed), missed[:min(len(missed), 10)])
	}
	return 2 * len(b)
}

// TestEveryByteOfARealPackage changes every byte of the manifest and of each
// part of a package as central made it, and checks it the way the site
// checks a download or its stored copy: every change is ErrBadPackage.
// Then every byte of a real envelope is changed on its way to central, in a
// batch with a good record: central rejects the changed one with a reason
// and takes the other.
func TestEveryByteOfARealPackage(t *testing.T) {
	ctx := context.Background()
	c := servertest.New(t)
	s, err := Enrol(ctx, Config{Dir: t.TempDir(), Passphrase: "passphrase of the tamper test"},
		EnrolOptions{ServerURL: c.URL, Code: c.EnrolCode(t), DeviceName: "tamper"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Download(ctx, nil); err != nil {
		t.Fatal(err)
	}
	id, err := s.identity(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var pkg *store.Package
	if err := s.st.View(ctx, func(tx *store.Tx) error {
		pkg, err = tx.Package(c.Session.ID)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 0))
	verify := func(manifest []byte, parts map[string][]byte) error {
		_, _, err := verifyPackage(id.Central, id.SiteCode, c.Session.ID, manifest, parts)
		if err != nil && !errors.Is(err, ErrBadPackage) {
			t.Errorf("a changed package: %v, want ErrBadPackage", err)
		}
		return err
	}
	if err := verify(pkg.Manifest, pkg.Parts); err != nil {
		t.Fatal(err)
	}
	changes := eachByteChanged(t, rng, pkg.Manifest, func(m []byte) error { return verify(m, pkg.Parts) })
	for name, part := range pkg.Parts {
		changes += eachByteChanged(t, rng, part, func(p []byte) error {
			parts := maps.Clone(pkg.Parts)
			parts[name] = p
			return verify(pkg.Manifest, parts)
		})
	}
	t.Logf("package: %d changes of the manifest and %d parts", changes, len(pkg.Parts))

	// Records: every byte of a real envelope changed in transit.
	for _, ticket := range []string{"2026WEB010001", "2026WEB010002"} {
		if _, err := s.CheckIn(ctx, c.Session.ID, CheckInRequest{Ticket: ticket, Status: exam.Present, Confirmed: true}); err != nil {
			t.Fatal(err)
		}
	}
	recs, err := s.st.Pending(ctx, 10, 1<<20)
	if err != nil || len(recs) != 2 {
		t.Fatalf("pending: %d %v", len(recs), err)
	}
	bad, good := recs[0].Envelope, recs[1].Envelope
	n := eachByteChanged(t, rng, bad, func(env []byte) error {
		resp, err := c.Ingest(ctx, wire.Batch{Envelopes: [][]byte{env, good}})
		if err != nil {
			t.Error(err) // storage failed: not what is tested, but reported
			return err
		}
		if o := resp.Results[1].Outcome; o != wire.Accepted && o != wire.Duplicate {
			t.Errorf("the good record beside a changed one: %s %s", o, resp.Results[1].Reason)
		}
		if r := resp.Results[0]; r.Outcome != wire.Rejected || r.Reason == "" || r.Receipt != nil {
			return nil
		}
		return errors.New(resp.Results[0].Reason)
	})
	t.Logf("envelope: %d changes", n)
	// Nothing changed got in: central holds the good record and nothing else.
	chain, err := c.Chain(ctx, id.DeviceID)
	if err != nil || chain.Records != 1 {
		t.Fatalf("central holds %d records of the device, want the good one: %v", chain.Records, err)
	}
	if cs, err := c.DB(t).Conflicts(ctx); err != nil || len(cs) != 0 {
		t.Fatalf("conflicts %v %v", cs, err)
	}
	// And the real receipt: every change of it is refused.
	resp, err := c.Ingest(ctx, wire.Batch{Envelopes: [][]byte{good}})
	if err != nil || resp.Results[0].Outcome != wire.Duplicate {
		t.Fatalf("the good record again: %+v %v", resp, err)
	}
	n = eachByteChanged(t, rng, resp.Results[0].Receipt, func(r []byte) error {
		_, err := seal.VerifyReceipt(id.Central, r, good)
		return err
	})
	t.Logf("receipt: %d changes", n)
}

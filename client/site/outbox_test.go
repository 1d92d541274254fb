package site_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"onex/client/site"
	"onex/internal/faultproxy"
	wire "onex/sync"
)

// stallable puts a fault proxy between the site and the real central
// (through central's relay) that holds every answer while stalled: central
// gets each request and commits it, the site hears nothing. The proxy holds
// each answer for hold (longer than a try, so every try times out).
func stallable(t *testing.T, r *rig, hold time.Duration) *atomic.Bool {
	t.Helper()
	var stalled atomic.Bool
	target := r.central.Relay.Target()
	p, err := faultproxy.Start(target, func(int64) faultproxy.Fault {
		if stalled.Load() {
			return faultproxy.Stall
		}
		return faultproxy.Pass
	})
	if err != nil {
		t.Fatal(err)
	}
	p.StallFor = hold
	t.Cleanup(func() { p.Close() })
	r.central.Relay.SetTarget(p.URL()[len("http://"):])
	t.Cleanup(func() { r.central.Relay.SetTarget(target) })
	return &stalled
}

// syncBound is the station's bound; the fast tier uses a shorter one.
func syncBound() site.SyncBound {
	if testing.Short() {
		return site.SyncBound{Try: time.Second, Total: 3 * time.Second}
	}
	return site.DefaultSyncBound
}

// TestSyncGivesUpOnAStalledCentral is issue 12's frozen sync: central (or
// the network) takes each batch and never answers. A sync from the station
// gives up within its bound, saying it timed out and how far it got; export
// to a file works while it waits; and the site's bookkeeping stays right
// afterwards: the file imported at central, the records the stalled sync
// delivered and the next sync all settle on one receipt per record, nothing
// lost, nothing counted twice. Before issue 12 Site.Sync waited out the
// client's five tries of a minute each (the station showed "正在上传……" for
// 104 s), and Export refused nothing.
func TestSyncGivesUpOnAStalledCentral(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	const n = 6
	for i := 1; i <= n; i++ {
		r.checkIn(fmt.Sprintf("2026WEB0100%02d", i))
	}
	sent := r.pending()
	b := syncBound()
	stalled := stallable(t, r, b.Try+2*time.Second)
	stalled.Store(true)

	var progress []site.SyncProgress
	type result struct {
		stats wire.PushStats
		err   error
		took  time.Duration
	}
	done := make(chan result, 1)
	start := time.Now()
	go func() {
		st, err := r.s.SyncWithin(ctx, b, func(p site.SyncProgress) { progress = append(progress, p) })
		done <- result{st, err, time.Since(start)}
	}()

	// While the sync waits on central, the records export.
	time.Sleep(b.Try / 2)
	var file bytes.Buffer
	if got, err := r.s.Export(ctx, &file); err != nil || got != n {
		t.Fatalf("export during the sync: %d records, %v", got, err)
	}
	select {
	case res := <-done:
		t.Fatalf("export waited for the sync, which ended after %s: %v", res.took, res.err)
	default:
	}
	res := <-done
	t.Logf("a stalled central: the sync gave up after %s (bound %s a try, %s in all)", res.took.Round(10*time.Millisecond), b.Try, b.Total)
	var se *site.SyncError
	if !errors.Is(res.err, wire.ErrTimeout) || !errors.Is(res.err, wire.ErrUnreachable) || !errors.As(res.err, &se) {
		t.Fatalf("sync with central stalled: %v, want a timeout", res.err)
	}
	if res.took > b.Total+time.Second {
		t.Fatalf("the sync gave up after %s, bound %s", res.took, b.Total)
	}
	if se.Progress != (site.SyncProgress{Pending: n}) || len(progress) < 2 || progress[0] != (site.SyncProgress{Pending: n}) || progress[1].Sending != n {
		t.Fatalf("progress told %+v, the error %+v", progress, se.Progress)
	}
	if got, err := r.s.PendingRecords(ctx); err != nil || got != n {
		t.Fatalf("%d pending after the stalled sync, %v", got, err)
	}

	// The file reaches central (which has the records already, from the
	// stalled batches): duplicates, no conflict.
	exp, err := wire.ReadExport(&file)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := r.central.Ingest(ctx, wire.Batch{Envelopes: exp.Envelopes})
	if err != nil {
		t.Fatal(err)
	}
	for i, res := range resp.Results {
		if res.Outcome != wire.Duplicate {
			t.Fatalf("imported record %d: %s %s, want a duplicate of what the stalled sync delivered", i+1, res.Outcome, res.Reason)
		}
	}

	// Central answers again: the next sync gets the receipts, one per record.
	stalled.Store(false)
	st, err := r.s.SyncWithin(ctx, b, nil)
	if err != nil || st.Duplicate != n || st.Accepted != 0 {
		t.Fatalf("sync once central answers: %+v, %v", st, err)
	}
	r.storedAsSent(sent)
	status, err := r.s.Status(ctx, false)
	if err != nil || status.Outbox.Pending != 0 || status.Outbox.Acked != n || status.Outbox.Refused() != 0 {
		t.Fatalf("outbox after: %+v, %v", status.Outbox, err)
	}
	// Nothing left to carry: export says so and writes nothing.
	file.Reset()
	if got, err := r.s.Export(ctx, &file); !errors.Is(err, site.ErrNothingPending) || got != 0 || file.Len() != 0 {
		t.Fatalf("export with nothing pending: %d, %v, %d bytes written", got, err, file.Len())
	}
}

// TestSyncBesideThePusher: the station's sync, the background pusher and
// exports run at once over the same outbox while records are queued: each
// record is stored at central once and receipted at the site once.
func TestSyncBesideThePusher(t *testing.T) {
	r := newRig(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	bg := make(chan error, 1)
	go func() {
		bg <- r.s.RunPusher(ctx, wire.RunPolicy{Idle: 5 * time.Millisecond, RetryMin: 5 * time.Millisecond, RetryMax: 20 * time.Millisecond})
	}()
	const n = 30
	for i := 1; i <= n; i++ {
		r.checkIn(fmt.Sprintf("2026WEB0100%02d", i))
		if i%5 == 0 {
			if _, err := r.s.SyncWithin(ctx, site.DefaultSyncBound, nil); err != nil {
				t.Fatal(err)
			}
		}
		var file bytes.Buffer
		if _, err := r.s.Export(ctx, &file); err != nil && !errors.Is(err, site.ErrNothingPending) {
			t.Fatal(err)
		}
	}
	if _, err := r.s.SyncWithin(ctx, site.DefaultSyncBound, nil); err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := <-bg; err != nil {
		t.Fatal(err)
	}
	st, err := r.s.Status(context.Background(), false)
	if err != nil || st.Outbox.Pending != 0 || st.Outbox.Acked != n || st.Outbox.Refused() != 0 {
		t.Fatalf("outbox: %+v, %v", st.Outbox, err)
	}
	id, err := r.s.Identity(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if chain, err := r.central.DB(t).Chain(context.Background(), id.DeviceID); err != nil || len(chain) != n {
		t.Fatalf("central holds %d records of %d: %v", len(chain), n, err)
	}
}

package reliability_test

// Network faults between the site and central (issue 7, section 3): the
// site's pusher sends 10,000 records to a real central through
// internal/faultproxy, which resets connections before and after the
// request, cuts responses short, stalls, answers 502, 503 and 429 with
// Retry-After, delivers requests twice, and plays an outage.

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"onex/client/site"
	"onex/client/store"
	"onex/exam"
	"onex/exam/seal"
	"onex/internal/faultproxy"
	"onex/server/servertest"
	osync "onex/sync"
)

const netPassphrase = "site passphrase for the network tests"

// netCentral is a central of servertest in this process on SQLite, its
// clock at the real time, and the tickets of its session's roster.
type netCentral struct {
	*servertest.Central
	tickets []string
}

func startNetCentral(t testing.TB, opts ...servertest.Option) *netCentral {
	t.Helper()
	c := servertest.New(t, append([]servertest.Option{servertest.At(time.Now())}, opts...)...)
	cands, err := c.Roster(context.Background(), c.Session.ID)
	if err != nil {
		t.Fatal(err)
	}
	nc := &netCentral{Central: c}
	for _, cand := range cands {
		nc.tickets = append(nc.tickets, cand.Ticket)
	}
	return nc
}

// payloadCounts counts central's answer records by their text, reading its
// database file as an auditor would.
func (c *netCentral) payloadCounts(t testing.TB) map[string]int {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(c.Dir, "central.db")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query("SELECT payload FROM records WHERE kind = ?", osync.KindAnswer)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var b []byte
		if err := rows.Scan(&b); err != nil {
			t.Fatal(err)
		}
		var a osync.AnswerSnapshot
		if err := json.Unmarshal(b, &a); err != nil {
			t.Fatal(err)
		}
		out[a.Answer.Text]++
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// netRecord is the text of the n-th record's answer.
func netRecord(n int) string { return fmt.Sprintf("network test record %05d", n) }

// queueRecords seals records from..to-1 into the site's outbox, as answer
// snapshots of the session's candidates, and returns their envelope hashes.
func queueRecords(t testing.TB, s *site.Site, c *netCentral, from, to int) []seal.Hash {
	t.Helper()
	var hashes []seal.Hash
	for lo := from; lo < to; lo += 500 {
		err := s.Store().Update(context.Background(), func(tx *store.Tx) error {
			for n := lo; n < min(lo+500, to); n++ {
				rec := osync.AnswerSnapshot{SessionID: c.Session.ID, Ticket: c.tickets[n%len(c.tickets)], ItemID: "q8",
					Answer: exam.Answer{Text: netRecord(n)}, Clock: osync.Clock{DeviceTime: time.Now().UTC()}}
				env, err := tx.Queue(osync.KindAnswer, c.Session.ID, rec, time.Now())
				if err != nil {
					return err
				}
				hashes = append(hashes, env.Hash)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return hashes
}

func outbox(t testing.TB, s *site.Site) store.OutboxCounts {
	t.Helper()
	var c store.OutboxCounts
	err := s.Store().View(context.Background(), func(tx *store.Tx) error {
		var err error
		c, err = tx.OutboxCounts()
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// siteReceipts counts the hashes for which the site's database holds a
// receipt that verifies under central's key and names that envelope.
func siteReceipts(t testing.TB, dir string, central *seal.CentralPublicKey, hashes []seal.Hash) int {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+store.Path(dir)+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query("SELECT hash, receipt FROM receipts")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	good := map[seal.Hash]bool{}
	for rows.Next() {
		var h, b []byte
		if err := rows.Scan(&h, &b); err != nil {
			t.Fatal(err)
		}
		rc, err := seal.OpenReceipt(central, b)
		if err != nil || !bytes.Equal(rc.EnvelopeHash[:], h) {
			t.Errorf("a stored receipt does not verify: %v", err)
			continue
		}
		good[rc.EnvelopeHash] = true
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, h := range hashes {
		if good[h] {
			n++
		}
	}
	return n
}

// TestTenThousandRecordsThroughFaults pushes 5,000 records through every
// fault of faultproxy, then cuts central off, queues 5,000 more during the
// outage with the background pusher running, restores central and times the
// drain. Central must end with each of the 10,000 exactly once, and the site
// with a verified receipt for each. The outage lasts 2 s here and 60 s in
// make soak (ONEX_SOAK=1), where the pusher runs with the production retry
// and run policies. The fast tier (go test -short) sends 1,000 records.
func TestTenThousandRecordsThroughFaults(t *testing.T) {
	total := 10000
	if testing.Short() {
		total = 1000
	}
	outage := 2 * time.Second
	if os.Getenv("ONEX_SOAK") == "1" {
		outage = 60 * time.Second
	}
	ctx := context.Background()
	c := startNetCentral(t, servertest.WithLimits(50, 0)) // many batches, so that every fault gets many turns
	var faulty atomic.Bool
	faults := faultproxy.Faults()
	u, _ := url.Parse(c.URL)
	proxy, err := faultproxy.Start(u.Host, func(n int64) faultproxy.Fault {
		if !faulty.Load() || n%3 == 0 {
			return faultproxy.Pass
		}
		return faults[int(n)%len(faults)]
	})
	if err != nil {
		t.Fatal(err)
	}
	proxy.StallFor = 200 * time.Millisecond
	t.Cleanup(func() { proxy.Close() })

	code, err := c.NewEnrolCode(ctx, "SITE-001", "test")
	if err != nil {
		t.Fatal(err)
	}
	fast := osync.NewClient(osync.RetryPolicy{Retries: 3, WaitMin: 5 * time.Millisecond, WaitMax: 50 * time.Millisecond, Timeout: 30 * time.Second}, nil)
	cfg := site.Config{Dir: t.TempDir(), Passphrase: netPassphrase, HTTP: fast}
	s, err := site.Enrol(ctx, cfg, site.EnrolOptions{ServerURL: proxy.URL(), Code: code, DeviceName: "network test"})
	if err != nil {
		t.Fatal(err)
	}
	id, err := s.Identity(ctx)
	if err != nil {
		t.Fatal(err)
	}

	// Part one: every fault.
	hashes := queueRecords(t, s, c, 0, total/2)
	faulty.Store(true)
	started := time.Now()
	pushes := 0
	for {
		pushes++
		_, err := s.Sync(ctx)
		if err == nil {
			break
		}
		if !errors.Is(err, osync.ErrUnreachable) && !errors.Is(err, osync.ErrNoProgress) || pushes > 2000 {
			t.Fatalf("push %d: %v", pushes, err)
		}
	}
	faulty.Store(false)
	faultTime := time.Since(started)
	counts := proxy.Counts()
	for _, f := range faults {
		if counts[f] == 0 {
			t.Errorf("fault %s never happened", f)
		}
	}
	if ob := outbox(t, s); ob.Pending != 0 || ob.Acked != total/2 || ob.Refused() != 0 {
		t.Fatalf("after pushing %d records through faults: %+v", total/2, ob)
	}

	// Part two: an outage while the site keeps recording.
	pol := osync.RunPolicy{Idle: 100 * time.Millisecond, RetryMin: 50 * time.Millisecond, RetryMax: time.Second}
	if os.Getenv("ONEX_SOAK") == "1" {
		// The production policies: what a site would do.
		s.Close()
		cfg.HTTP = nil
		if s, err = site.Open(ctx, cfg); err != nil {
			t.Fatal(err)
		}
		pol = osync.DefaultRun
	}
	proxy.SetDown(true)
	pctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- s.RunPusher(pctx, pol) }()
	cut := time.Now()
	for i := range 10 {
		hashes = append(hashes, queueRecords(t, s, c, total/2+i*total/20, total/2+(i+1)*total/20)...)
		time.Sleep(time.Until(cut.Add(outage * time.Duration(i+1) / 10)))
	}
	if ob := outbox(t, s); ob.Pending != total/2 {
		t.Errorf("during the outage: %+v", ob)
	}
	proxy.SetDown(false)
	restored := time.Now()
	var firstDelivery, drain time.Duration
	for {
		ob := outbox(t, s)
		if firstDelivery == 0 && ob.Acked > total/2 {
			firstDelivery = time.Since(restored)
		}
		if ob.Pending == 0 {
			drain = time.Since(restored)
			break
		}
		if time.Since(restored) > 15*time.Minute {
			t.Fatalf("not drained 15 minutes after the outage: %+v", ob)
		}
		time.Sleep(50 * time.Millisecond)
	}
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	// Nothing lost, nothing twice.
	ob := outbox(t, s)
	if ob.Pending != 0 || ob.Acked != total || ob.Refused() != 0 {
		t.Errorf("site outbox at the end: %+v", ob)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	receipted := siteReceipts(t, cfg.Dir, c.PublicKey(), hashes)
	got := c.payloadCounts(t)
	lost, dup := 0, 0
	for n := range total {
		switch k := got[netRecord(n)]; {
		case k == 0:
			lost++
		case k > 1:
			dup += k - 1
		}
	}
	chain, err := c.Chain(ctx, id.DeviceID)
	if err != nil {
		t.Fatal(err)
	}
	conflicts, err := c.DB(t).Conflicts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if receipted != total || len(got) != total || lost != 0 || dup != 0 || chain.Records != total ||
		len(chain.Gaps)+len(chain.Breaks) != 0 || len(conflicts) != 0 {
		t.Errorf("receipted %d of %d; central holds %d distinct, %d records, lost %d, duplicated %d, gaps %v, breaks %v, conflicts %d",
			receipted, total, len(got), chain.Records, lost, dup, chain.Gaps, chain.Breaks, len(conflicts))
	}
	t.Logf("faults: %v", counts)
	t.Logf("reliability: scenario=network-faults runs=1 records=%d receipted=%d at-central=%d lost=%d duplicated=%d fault-phase=%s pushes=%d outage=%s first-delivery-after=%s drained-after=%s",
		total, receipted, chain.Records, lost, dup, faultTime.Round(time.Millisecond), pushes, outage, firstDelivery.Round(time.Millisecond), drain.Round(time.Millisecond))
}

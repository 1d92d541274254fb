package site_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"onex/client/site"
	"onex/client/store"
	"onex/exam"
	wire "onex/sync"
)

// BenchmarkAutosave measures one answer change saved durably: checked,
// sealed, written (with the candidate's clock checkpoint every 5 s) and, in
// "record-every-save", an answer-snapshot record sealed to central in the
// outbox, committed with synchronous=FULL. "default" is the site's default:
// at most one snapshot record per item per 10 s, so repeated saves of one
// item (typing) are journal-only. Each iteration also times the floor: a
// bare insert of 1 KiB (about what one autosave writes) into another SQLite
// file in the same directory, WAL and synchronous=FULL, in its own
// transaction. It reports p50 and p99 of both, and p99 over the floor's p99.
func BenchmarkAutosave(b *testing.B) {
	for _, bc := range []struct {
		name  string
		every time.Duration
	}{
		{"record-every-save", -1},
		{"default", 0},
	} {
		b.Run(bc.name, func(b *testing.B) {
			r := benchRig(b)
			r.cfg.SnapshotEvery = bc.every
			ctx := context.Background()
			s, err := site.Open(ctx, r.cfg)
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			e, err := s.Begin(ctx, r.session, "2026WEB010001")
			if err != nil {
				b.Fatal(err)
			}
			floor := openFloor(b, filepath.Join(b.TempDir(), "floor.db"))
			defer floor.Close()
			blob := make([]byte, 1024)
			saves := make([]time.Duration, 0, b.N)
			inserts := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				t0 := time.Now()
				if err := e.Save(ctx, "q9", exam.Answer{Text: fmt.Sprintf("答案 %d", i)}); err != nil {
					b.Fatal(err)
				}
				t1 := time.Now()
				blob[i%len(blob)]++
				if _, err := floor.Exec("INSERT INTO t (v) VALUES (?)", blob); err != nil {
					b.Fatal(err)
				}
				saves = append(saves, t1.Sub(t0))
				inserts = append(inserts, time.Since(t1))
			}
			b.StopTimer()
			ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
			sp50, sp99 := percentile(saves, 50), percentile(saves, 99)
			fp50, fp99 := percentile(inserts, 50), percentile(inserts, 99)
			b.ReportMetric(ms(sp50), "p50-ms")
			b.ReportMetric(ms(sp99), "p99-ms")
			b.ReportMetric(ms(fp50), "floor-p50-ms")
			b.ReportMetric(ms(fp99), "floor-p99-ms")
			b.ReportMetric(float64(sp99)/float64(fp99), "p99/floor-p99")
		})
	}
}

func percentile(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[min(len(s)-1, len(s)*p/100)]
}

// openFloor opens the floor's database with the site store's settings.
func openFloor(b *testing.B, path string) *sql.DB {
	q := url.Values{}
	for _, p := range []string{"journal_mode(WAL)", "busy_timeout(5000)", "foreign_keys(1)", "synchronous(FULL)"} {
		q.Add("_pragma", p)
	}
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		b.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	if _, err := db.Exec("CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB NOT NULL)"); err != nil {
		b.Fatal(err)
	}
	return db
}

// benchRig is a site with the room started and one candidate checked in,
// closed again so that the benchmark opens it with its own settings.
func benchRig(b *testing.B) *rig {
	b.Helper()
	r := newRig(b)
	r.checkIn("2026WEB010001")
	ctx := context.Background()
	r.central.Release()
	if err := r.s.Release(ctx, r.session); err != nil {
		b.Fatal(err)
	}
	if err := r.s.StartRoom(ctx, r.session, "bench"); err != nil {
		b.Fatal(err)
	}
	r.s.Close()
	return r
}

// BenchmarkSyncDrain pushes 10,000 queued records to a local central (the
// real one, SQLite, over loopback HTTP) and reports records per second.
func BenchmarkSyncDrain(b *testing.B) {
	const n = 10000
	r := newRig(b)
	ctx := context.Background()
	defer r.s.Close()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		err := r.s.Store().Update(ctx, func(tx *store.Tx) error {
			for k := range n {
				in := wire.Incident{SessionID: r.session, Type: "bench", Note: fmt.Sprintf("record %d", k),
					Clock: wire.Clock{DeviceTime: time.Now().UTC()}}
				if _, err := tx.Queue(wire.KindIncident, r.session, in, time.Now()); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start := time.Now()
		stats, err := r.s.Sync(ctx)
		if err != nil {
			b.Fatal(err)
		}
		d := time.Since(start)
		if stats.Accepted != n {
			b.Fatalf("accepted %d of %d", stats.Accepted, n)
		}
		b.ReportMetric(float64(n)/d.Seconds(), "records/s")
		b.ReportMetric(d.Seconds(), "s/10k")
	}
}

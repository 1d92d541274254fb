package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"testing"
	"time"

	"onex/server/store"
)

// queuedTasks is the queue the hand-out benchmark runs against.
const queuedTasks = 100_000

// BenchmarkHandOut is the time to hand out the next task (store.Claim)
// with 100,000 tasks queued, on each engine, 50 markers taking turns and
// marking what they were handed (untimed). p50 and p99 are reported in ms
// and as ratios to a floor measured in the same run: a primary-key SELECT
// of the task just handed out (store.Task).
func BenchmarkHandOut(b *testing.B) {
	ctx := context.Background()
	for _, dsn := range engineDSNs(b) {
		db, err := store.Open(ctx, dsn)
		if err != nil {
			b.Fatal(err)
		}
		fillQueue(b, db, dsn)
		b.Run(string(db.Engine), func(b *testing.B) {
			now := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
			var claims, floors []time.Duration
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				marker := fmt.Sprintf("m%02d", i%50)
				start := time.Now()
				tk, err := db.Claim(ctx, store.Claim{Marker: marker, Now: now, Until: now.Add(20 * time.Minute)})
				claims = append(claims, time.Since(start))
				if err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				start = time.Now()
				if _, err := db.Task(ctx, tk.ID); err != nil {
					b.Fatal(err)
				}
				floors = append(floors, time.Since(start))
				if _, _, err := db.GiveMark(ctx, store.Give{TaskID: tk.ID, Marker: marker, Marks: []float64{1, 1, 1}, Seconds: 60, Now: now}); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
			b.StopTimer()
			p50, p99 := percentile(claims, 50), percentile(claims, 99)
			f50 := percentile(floors, 50)
			b.ReportMetric(ms(p50), "p50-ms")
			b.ReportMetric(ms(p99), "p99-ms")
			b.ReportMetric(ms(f50), "floor-p50-ms")
			b.ReportMetric(float64(p50)/float64(f50), "p50/floor")
			b.ReportMetric(float64(p99)/float64(f50), "p99/floor")
		})
		db.Close()
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// percentile is the p-th percentile of ds (nearest rank).
func percentile(ds []time.Duration, p int) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	i := (len(s)*p + 99) / 100
	return s[max(i-1, 0)]
}

// fillQueue stores queuedTasks scripts, each with an open first task, in a
// few statements (the benchmark times the hand-out, not the filling).
func fillQueue(b *testing.B, db *store.DB, dsn string) {
	b.Helper()
	driver, name := "pgx", dsn
	series := fmt.Sprintf("generate_series(1, %d) AS g(x)", queuedTasks)
	with := ""
	if db.Engine == store.SQLite {
		driver, name = "sqlite", "file:"+dsn+"?_pragma=busy_timeout(10000)"
		with = fmt.Sprintf("WITH RECURSIVE g(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM g WHERE x < %d) ", queuedTasks)
		series = "g"
	}
	raw, err := sql.Open(driver, name)
	if err != nil {
		b.Fatal(err)
	}
	defer raw.Close()
	for _, stmt := range []string{
		with + `INSERT INTO scripts (id, session_id, ticket, record_id, item_id, paper_id, paper_version, response, state, created_at)
			SELECT 'B' || x, 'S1', 'T' || x, 'R' || x, 'q10', 'WEB-E-2026-A', 1, '{"text":"x"}', 'marking', 0 FROM ` + series,
		with + `INSERT INTO marking_tasks (script_id, purpose, fresh, priority, created_at, created_by)
			SELECT 'B' || x, 'first', 1, 40, 0, 'bench' FROM ` + series,
		"ANALYZE",
	} {
		if _, err := raw.Exec(stmt); err != nil {
			b.Fatalf("%v\n%s", err, stmt)
		}
	}
}

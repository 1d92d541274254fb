package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"onex/exam"
	"onex/server/store"
)

// TestMarkerProgress: what a marker's page counts agrees with what Claim
// hands out: scripts (not tasks) with a task the marker could take now, the
// marker's own claim included, none the marker marked or is kept from; the
// marks given; the lead's queue apart; at most ProgressCap, then More.
func TestMarkerProgress(t *testing.T) {
	eachEngine(t, func(t *testing.T, db *store.DB) {
		ctx, audit := context.Background(), store.AuditLine{Actor: "test", Action: "test"}
		t0 := seed(t, db).Start.Add(24 * time.Hour)
		script := func() string {
			id, err := db.AddControlScript(ctx, store.ControlScript{PaperID: "WEB-E-2026-A", PaperVersion: 1, ItemID: "q10", Response: exam.Answer{Text: "x"}, Known: []float64{1, 1, 1}}, audit, t0)
			if err != nil {
				t.Fatal(err)
			}
			return id
		}
		add := func(nt store.NewTask) int64 {
			id, err := db.AddTask(ctx, nt, audit, t0)
			if err != nil {
				t.Fatal(err)
			}
			return id
		}
		s1, s2 := script(), script()
		first := add(store.NewTask{ScriptID: s1, Purpose: "first", Fresh: true, Priority: 40})
		add(store.NewTask{ScriptID: s1, Purpose: "second", Fresh: true, Priority: 40})
		add(store.NewTask{ScriptID: s2, Purpose: "remark", OnlyMarker: "b"})
		add(store.NewTask{ScriptID: s2, Purpose: "control", Exclude: []string{"a"}})
		add(store.NewTask{ScriptID: s2, Purpose: "arbitrate", LeadOnly: true})
		progress := func(who string, lead bool, at time.Time) store.MarkerProgress {
			t.Helper()
			p, err := db.MarkerProgress(ctx, who, lead, at)
			if err != nil {
				t.Fatal(err)
			}
			return p
		}
		for _, tc := range []struct {
			who  string
			lead bool
			want store.MarkerProgress
		}{
			{"a", false, store.MarkerProgress{Waiting: 1}}, // s1; s2's tasks are b's only or keep a away
			{"b", false, store.MarkerProgress{Waiting: 2}}, // s1 (two tasks, one script) and s2
			{"c", false, store.MarkerProgress{Waiting: 2}}, // s1 and s2's control
			{"l", true, store.MarkerProgress{Waiting: 1}},  // the lead's queue
		} {
			if got := progress(tc.who, tc.lead, t0); got != tc.want {
				t.Errorf("%s (lead %v): %+v, want %+v", tc.who, tc.lead, got, tc.want)
			}
		}
		tk, err := db.Claim(ctx, store.Claim{Marker: "a", Now: t0, Until: t0.Add(10 * time.Minute)})
		if err != nil || tk.ID != first {
			t.Fatalf("a's claim: %d, %v", tk.ID, err)
		}
		if got := progress("a", false, t0); got.Waiting != 1 {
			t.Errorf("a holding s1: %+v, want its own claim counted, the script's other task not", got)
		}
		if got := progress("c", false, t0); got.Waiting != 2 {
			t.Errorf("c while a holds s1's first: %+v, want s1 (its second) and s2", got)
		}
		if _, _, err := db.GiveMark(ctx, store.Give{TaskID: first, Marker: "a", Marks: []float64{1, 1, 1}, Now: t0.Add(time.Minute)}); err != nil {
			t.Fatal(err)
		}
		if got := progress("a", false, t0); got != (store.MarkerProgress{Done: 1}) {
			t.Errorf("a after marking s1: %+v, want 1 done, nothing waiting", got)
		}
		if _, err := db.Claim(ctx, store.Claim{Marker: "a", Now: t0, Until: t0.Add(10 * time.Minute)}); !errors.Is(err, store.ErrNoTask) {
			t.Errorf("a's page says nothing waits, yet Claim: %v", err)
		}
		// c takes s2's control (first by priority): d sees s1 only until c's claim runs out.
		if tk, err := db.Claim(ctx, store.Claim{Marker: "c", Now: t0, Until: t0.Add(10 * time.Minute)}); err != nil || tk.ScriptID != s2 {
			t.Fatalf("c's claim: %+v, %v", tk, err)
		}
		if got := progress("d", false, t0); got.Waiting != 1 {
			t.Errorf("d while c holds s2's control: %+v, want s1 only", got)
		}
		if got := progress("d", false, t0.Add(11*time.Minute)); got.Waiting != 2 {
			t.Errorf("d once c's claim ran out: %+v, want 2", got)
		}

		for range store.ProgressCap + 1 {
			add(store.NewTask{ScriptID: script(), Purpose: "control"})
		}
		if got := progress("z", false, t0); got.Waiting != store.ProgressCap || !got.More {
			t.Errorf("beyond the cap: %+v", got)
		}
	})
}

// BenchmarkMarkerProgress is the cost of the counts on every marking page
// (store.MarkerProgress) with 100,000 tasks queued, on each engine, 50
// markers who each marked some: p50 and p99 in ms and as ratios to a floor
// measured in the same run (a primary-key SELECT of a task).
func BenchmarkMarkerProgress(b *testing.B) {
	ctx := context.Background()
	for _, dsn := range engineDSNs(b) {
		db, err := store.Open(ctx, dsn)
		if err != nil {
			b.Fatal(err)
		}
		fillQueue(b, db, dsn)
		now := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
		for i := range 200 { // each marker marked four scripts
			marker := fmt.Sprintf("m%02d", i%50)
			tk, err := db.Claim(ctx, store.Claim{Marker: marker, Now: now, Until: now.Add(20 * time.Minute)})
			if err != nil {
				b.Fatal(err)
			}
			if _, _, err := db.GiveMark(ctx, store.Give{TaskID: tk.ID, Marker: marker, Marks: []float64{1, 1, 1}, Seconds: 60, Now: now}); err != nil {
				b.Fatal(err)
			}
		}
		b.Run(string(db.Engine), func(b *testing.B) {
			var counts, floors []time.Duration
			for i := 0; b.Loop(); i++ {
				start := time.Now()
				p, err := db.MarkerProgress(ctx, fmt.Sprintf("m%02d", i%50), false, now)
				counts = append(counts, time.Since(start))
				if err != nil || p.Done != 4 || !p.More {
					b.Fatalf("%+v, %v", p, err)
				}
				start = time.Now()
				if _, err := db.Task(ctx, int64(i%1000+1)); err != nil {
					b.Fatal(err)
				}
				floors = append(floors, time.Since(start))
			}
			f50 := percentile(floors, 50)
			b.ReportMetric(ms(percentile(counts, 50)), "p50-ms")
			b.ReportMetric(ms(percentile(counts, 99)), "p99-ms")
			b.ReportMetric(float64(percentile(counts, 50))/float64(f50), "p50/floor")
			b.ReportMetric(float64(percentile(counts, 99))/float64(f50), "p99/floor")
		})
		db.Close()
	}
}

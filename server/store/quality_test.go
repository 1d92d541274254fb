package store_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"onex/exam"
	"onex/server/store"
)

// TestModerationStore: a draw is stored once; 8 moderators claiming at once
// never hold the same rescore; a claim is theirs until it goes stale; marks
// are saved once, by their holder; the decision is stored once with its
// marks; each write's audit entry goes in with it.
func TestModerationStore(t *testing.T) {
	eachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := seed(t, db)
		t0 := time.Date(2026, 12, 1, 14, 0, 0, 0, time.UTC)
		m := store.Moderation{SessionID: s.ID, Seed: "00ff", Policy: []byte(`{"share":0.1}`), DrawnBy: "lead", DrawnAt: t0}
		for i := range 20 {
			m.Rescores = append(m.Rescores, store.Rescore{ID: fmt.Sprintf("R-%02d", i), Ticket: fmt.Sprintf("T%02d", i), ItemID: "q11", Reason: exam.SampledRandom, SiteMarks: []float64{1, 2, 3, 4}})
		}
		if err := db.PutModeration(ctx, m, store.AuditIn(ctx, "lead", "draw", s.ID)); err != nil {
			t.Fatal(err)
		}
		if err := db.PutModeration(ctx, m, store.AuditIn(ctx, "lead", "draw", s.ID)); !errors.Is(err, store.ErrExists) {
			t.Fatalf("second draw: %v", err)
		}
		var mu sync.Mutex
		holder := map[string]string{}
		var wg sync.WaitGroup
		for w := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				mod := fmt.Sprintf("mod%d", w)
				for range 2 {
					r, err := db.ClaimRescore(ctx, mod, t0, t0.Add(-20*time.Minute))
					if err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					if h, ok := holder[r.ID]; ok && h != mod {
						t.Errorf("%s handed to %s and %s", r.ID, h, mod)
					}
					holder[r.ID] = mod
					mu.Unlock()
					if err := db.SaveRescore(ctx, r.ID, mod, []float64{1, 1, 1, 1}, 30, t0, store.AuditIn(ctx, mod, "rescore", r.ID)); err != nil {
						t.Error(err)
					}
				}
			}()
		}
		wg.Wait()
		if len(holder) != 16 {
			t.Fatalf("%d rescores handed out to 8 moderators twice", len(holder))
		}
		r, err := db.ClaimRescore(ctx, "mod0", t0, t0.Add(-20*time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		if again, _ := db.ClaimRescore(ctx, "mod0", t0.Add(time.Minute), t0.Add(-19*time.Minute)); again.ID != r.ID {
			t.Errorf("mod0's open claim %s, handed %s", r.ID, again.ID)
		}
		if other, _ := db.ClaimRescore(ctx, "mod1", t0, t0.Add(-20*time.Minute)); other.ID == r.ID {
			t.Errorf("mod0's live claim went to mod1")
		}
		if err := db.SaveRescore(ctx, r.ID, "mod1", []float64{0, 0, 0, 0}, 1, t0, store.AuditIn(ctx, "mod1", "rescore", r.ID)); !errors.Is(err, store.ErrNotHolder) {
			t.Errorf("mod1 saved mod0's rescore: %v", err)
		}
		var someDone string
		for id := range holder {
			someDone = id
		}
		if err := db.SaveRescore(ctx, someDone, holder[someDone], []float64{1, 1, 1, 1}, 30, t0, store.AuditIn(ctx, "x", "rescore", "")); !errors.Is(err, store.ErrConflict) {
			t.Errorf("saved twice: %v", err)
		}
		// An hour on, every claim is stale: mod2 is handed all four left, mod0's among them.
		later := map[string]bool{}
		for range 4 {
			x, err := db.ClaimRescore(ctx, "mod2", t0.Add(time.Hour), t0.Add(40*time.Minute))
			if err != nil {
				t.Fatal(err)
			}
			later[x.ID] = true
			if err := db.SaveRescore(ctx, x.ID, "mod2", []float64{1, 1, 1, 1}, 30, t0, store.AuditIn(ctx, "mod2", "rescore", x.ID)); err != nil {
				t.Fatal(err)
			}
		}
		if !later[r.ID] || len(later) != 4 {
			t.Errorf("stale claims did not return: %v", later)
		}
		if _, err := db.ClaimRescore(ctx, "mod2", t0.Add(time.Hour), t0.Add(40*time.Minute)); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("an empty queue: %v", err)
		}
		if err := db.SaveRescore(ctx, "R-none", "mod0", nil, 0, t0, nil); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("no such rescore: %v", err)
		}
		got, err := db.ModerationOf(ctx, s.ID)
		if err != nil || len(got.Rescores) != 20 || got.Seed != "00ff" || got.Decision != "" {
			t.Fatalf("moderation %+v %v", got, err)
		}
		done := 0
		for _, r := range got.Rescores {
			if r.Done() {
				done++
				if r.Seconds != 30 || r.RescoredAt.IsZero() {
					t.Errorf("rescore %+v", r)
				}
			}
		}
		if done != 20 {
			t.Errorf("%d re-scored", done)
		}
		adj := map[string]exam.Marks{"T01": {"q11": {0, 1, 2, 3}}, "T02": {"q11": {1, 1, 1, 1}}}
		if err := db.DecideModeration(ctx, s.ID, exam.AdoptSample, "lead", "why", t0, adj, store.AuditIn(ctx, "lead", "decide", s.ID)); err != nil {
			t.Fatal(err)
		}
		if err := db.DecideModeration(ctx, s.ID, exam.KeepSiteScores, "lead", "why", t0, nil, store.AuditIn(ctx, "lead", "decide", s.ID)); !errors.Is(err, store.ErrConflict) {
			t.Errorf("decided twice: %v", err)
		}
		if err := db.DecideModeration(ctx, "S-none", exam.KeepSiteScores, "lead", "why", t0, nil, nil); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("no moderation: %v", err)
		}
		if mm, err := db.ModeratedMarks(ctx, s.ID); err != nil || fmt.Sprint(mm) != fmt.Sprint(adj) {
			t.Errorf("moderated marks %v %v", mm, err)
		}
		if list, err := db.Moderations(ctx); err != nil || len(list) != 1 || list[0].Decision != exam.AdoptSample || list[0].DecidedBy != "lead" {
			t.Errorf("moderations %+v %v", list, err)
		}
		log, err := db.AuditLog(ctx)
		if err != nil || len(log) != 1+20+1 {
			t.Errorf("audit: %d entries, %v", len(log), err)
		}
	})
}

// TestSimilarFlagsAndSettings: a pair is flagged once; settings replace
// their predecessor for the same session and item.
func TestSimilarFlagsAndSettings(t *testing.T) {
	eachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := seed(t, db)
		t0 := time.Date(2026, 12, 1, 14, 0, 0, 0, time.UTC)
		f := store.SimilarFlag{SessionID: s.ID, ItemID: "q10", ScriptA: "a", ScriptB: "b", Similarity: 0.93, By: "lead", At: t0, Note: "same wording"}
		if err := db.PutSimilarFlag(ctx, f, store.AuditIn(ctx, "lead", "flag", "a b")); err != nil {
			t.Fatal(err)
		}
		if err := db.PutSimilarFlag(ctx, f, store.AuditIn(ctx, "lead", "flag", "a b")); !errors.Is(err, store.ErrExists) {
			t.Errorf("flagged twice: %v", err)
		}
		if got, err := db.SimilarFlags(ctx, s.ID); err != nil || len(got) != 1 || got[0] != f {
			t.Errorf("flags %+v %v", got, err)
		}
		q := store.QualitySettings{SessionID: s.ID, ControlEvery: 20, RemarkShare: 0.05, Seed: "ab", SetBy: "lead", SetAt: t0}
		for _, every := range []int{20, 10} {
			q.ControlEvery = every
			if err := db.PutQualitySettings(ctx, q, store.AuditIn(ctx, "lead", "settings", s.ID)); err != nil {
				t.Fatal(err)
			}
		}
		if got, err := db.AllQualitySettings(ctx); err != nil || len(got) != 1 || got[0] != q {
			t.Errorf("settings %+v %v", got, err)
		}
	})
}

// BenchmarkQualitySeeding is what quality control adds to each hand-out
// (server: seedQuality reads store.QualitySeeding, and the control and
// re-mark candidates) with 100,000 tasks queued (fillQueue), on each
// engine, 50 markers taking turns, each hand-out marked (untimed). p50 and
// p99 in ms and as ratios to BenchmarkHandOut's floor: a primary-key
// SELECT of a task.
func BenchmarkQualitySeeding(b *testing.B) {
	for _, engine := range []store.Engine{store.SQLite, store.Postgres} {
		db := filledQueue(b, engine)
		b.Run(string(engine), func(b *testing.B) { benchSeeding(b, db) })
	}
}

// filledQueue is a database of the engine with fillQueue's tasks, closed
// when the benchmark ends.
func filledQueue(b *testing.B, engine store.Engine) *store.DB {
	ctx := context.Background()
	dsn := filepath.Join(b.TempDir(), "central.db")
	if engine == store.Postgres {
		var err error
		if dsn, err = pg.URL(ctx); err != nil {
			b.Fatal(err)
		}
	}
	db, err := store.Open(ctx, dsn)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	fillQueue(b, db, dsn)
	return db
}

func benchSeeding(b *testing.B, db *store.DB) {
	ctx := context.Background()
	now := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	timed := map[string][]time.Duration{}
	clock := func(what string, f func() error) {
		start := time.Now()
		err := f()
		timed[what] = append(timed[what], time.Since(start))
		if err != nil {
			b.Fatal(err)
		}
	}
	for i := 0; b.Loop(); i++ {
		marker := fmt.Sprintf("m%02d", i%50)
		clock("seed", func() error {
			sd, err := db.QualitySeeding(ctx, marker)
			if err != nil || sd.Last.ID == "" {
				return err
			}
			if _, err := db.ControlScriptsFor(ctx, marker, sd.Last.PaperID, sd.Last.PaperVersion, sd.Last.ItemID); err != nil {
				return err
			}
			_, err = db.RemarkCandidates(ctx, marker, sd.Last.SessionID, sd.Last.ItemID, 3)
			return err
		})
		tk, err := db.Claim(ctx, store.Claim{Marker: marker, Now: now, Until: now.Add(20 * time.Minute)})
		if err != nil {
			b.Fatal(err)
		}
		clock("floor", func() error { _, err := db.Task(ctx, tk.ID); return err })
		if _, _, err := db.GiveMark(ctx, store.Give{TaskID: tk.ID, Marker: marker, Marks: []float64{1, 1, 1}, Seconds: 60, Now: now}); err != nil {
			b.Fatal(err)
		}
	}
	floor := percentile(timed["floor"], 50)
	for _, p := range []int{50, 99} {
		d := percentile(timed["seed"], p)
		b.ReportMetric(ms(d), fmt.Sprintf("p%d-ms", p))
		b.ReportMetric(float64(d)/float64(floor), fmt.Sprintf("p%d/floor", p))
	}
	b.ReportMetric(ms(floor), "floor-p50-ms")
}

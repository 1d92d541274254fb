package store_test

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"onex/exam"
	"onex/server/store"
)

// enrolled seeds db and enrols devices of SITE-001.
func enrolled(t *testing.T, db *store.DB, devices ...string) {
	t.Helper()
	ctx := context.Background()
	seed(t, db)
	for _, id := range devices {
		if err := db.AddEnrolCode(ctx, "code "+id, "SITE-001", time.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if err := db.Enrol(ctx, "code "+id, time.Now(), &store.Device{ID: id, PublicKey: []byte(id)}); err != nil {
			t.Fatal(err)
		}
	}
}

func signAny(rec *store.Incoming, seq int64) ([]byte, error) {
	return []byte("receipt " + rec.RecordID), nil
}

// from is a record of a device and epoch, in chain place seq, of a kind.
func from(device string, epoch, seq uint64, id, kind string, created time.Time, eff store.Effect) store.Incoming {
	return store.Incoming{RecordID: id, DeviceID: device, Epoch: epoch, Seq: seq, Prev: []byte("p"), Hash: []byte("hash " + id),
		Kind: kind, SessionID: "S1", Created: created, Envelope: []byte("env " + id), Payload: []byte("{}"), Effect: eff}
}

// TestSuccession: what a record does to the candidate's check-in and marks
// central holds: a later record of the same device and epoch corrects them,
// in chain order whatever the device times; an earlier one changes nothing;
// another device's or another epoch's opens a dispute.
func TestSuccession(t *testing.T) {
	eachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		enrolled(t, db, "D1", "D2")
		t0 := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
		att := func(status string) store.Effect { return store.Attendance{Ticket: "T1", Status: status} }
		marks := func(m float64) store.Effect { return store.Marks{Ticket: "T1", ItemID: "q11", Marks: []float64{m}} }
		for _, step := range []struct {
			rec        store.Incoming
			outcome    string
			attendance string
			marks      float64
		}{
			{from("D1", 1, 2, "A2", "check-in", t0, att("absent")), store.OutcomeAccepted, "absent", 0},
			{from("D1", 1, 1, "A1", "check-in", t0.Add(time.Hour), att("present")), store.OutcomeAccepted, "absent", 0}, // older in the chain: nothing
			{from("D1", 1, 3, "A3", "check-in", t0.Add(-time.Hour), att("late")), store.OutcomeAccepted, "late", 0},     // a correction
			{from("D2", 1, 1, "A4", "check-in", t0.Add(99*time.Hour), att("absent")), store.OutcomeConflict, "late", 0}, // another device
			{from("D1", 2, 1, "A5", "check-in", t0, att("absent")), store.OutcomeConflict, "late", 0},                   // another epoch
			{from("D1", 1, 4, "M1", "practical-score", t0, marks(10)), store.OutcomeAccepted, "late", 10},
			{from("D1", 1, 5, "M2", "practical-score", t0.Add(-time.Hour), marks(12)), store.OutcomeAccepted, "late", 12},
			{from("D2", 1, 2, "M3", "practical-score", t0.Add(time.Hour), marks(15)), store.OutcomeConflict, "late", 12},
			{from("D1", 1, 6, "A6", "check-in", t0, att("present")), store.OutcomeAccepted, "present", 12}, // a correction while a dispute is open
		} {
			out, err := db.Ingest(ctx, []store.Incoming{step.rec}, t0, signAny)
			if err != nil {
				t.Fatal(err)
			}
			sr, err := db.SessionRecords(ctx, "S1")
			if err != nil {
				t.Fatal(err)
			}
			var m float64
			if v := sr.Marks["T1"]["q11"]; len(v) > 0 {
				m = v[0]
			}
			if out[0].Outcome != step.outcome || sr.Attendance["T1"] != step.attendance || m != step.marks {
				t.Errorf("record %s: %s %q, then %s with marks %v; want %s, %s, %v", step.rec.RecordID, out[0].Outcome, out[0].Reason,
					sr.Attendance["T1"], m, step.outcome, step.attendance, step.marks)
			}
		}
		ds, err := db.Disputes(ctx, "S1")
		if err != nil || len(ds) != 3 {
			t.Fatalf("disputes: %+v, %v", ds, err)
		}
		for _, d := range ds {
			if d.Kind == "check-in" && d.Held.RecordID != "A6" || d.Kind == "practical-score" && (d.Held.RecordID != "M2" || d.ItemID != "q11") {
				t.Errorf("dispute %d (%s) weighs %s against %s", d.ID, d.Kind, d.Held.RecordID, d.Other.RecordID)
			}
		}
	})
}

// TestDecide: the office's decision takes the other record or keeps the one
// held, once, with its audit entry in the same transaction; the receipt
// standing of each submission follows.
func TestDecide(t *testing.T) {
	eachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		enrolled(t, db, "D1", "D2")
		t0 := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
		sub := func(answer string) store.Submission {
			return store.Submission{Ticket: "T1", Answers: map[string]exam.Answer{"q1": {Choices: []string{answer}}}}
		}
		skew := int64(3600_000)
		late := from("D2", 1, 1, "S2", "submission", time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC), sub("b"))
		late.SkewMS, late.TimeFlag = &skew, store.TimeLate
		third := from("D2", 1, 2, "S3", "submission", t0, sub("c"))
		if _, err := db.Ingest(ctx, []store.Incoming{from("D1", 1, 1, "S1", "submission", t0, sub("a")), late, third}, t0.Add(time.Hour), signAny); err != nil {
			t.Fatal(err)
		}
		standing := func(id string) string {
			s, err := db.SubmissionStanding(ctx, "S1", id)
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
		for _, id := range []string{"S1", "S2", "S3"} {
			if s := standing(id); s != store.StandingReview {
				t.Errorf("%s while open: %s", id, s)
			}
		}
		ds, err := db.Disputes(ctx, "S1")
		if err != nil || len(ds) != 2 {
			t.Fatalf("disputes: %+v %v", ds, err)
		}
		second, third2 := ds[1], ds[0]
		if o := second.Other; o.RecordID != "S2" || o.TimeFlag != store.TimeLate || o.SkewMS == nil || *o.SkewMS != skew || !o.ReceivedAt.Equal(t0.Add(time.Hour)) {
			t.Errorf("the other record: %+v", o)
		}
		audit := func(d store.Dispute) (string, string) { return "decide conflict", "kept " + d.Other.RecordID }
		if err := db.Decide(ctx, store.Decision{ID: second.ID, Keep: store.TakeOther, Other: sub("b"), By: "office staff", Why: "the site's account", At: t0, Audit: audit}); err != nil {
			t.Fatal(err)
		}
		sr, _ := db.SessionRecords(ctx, "S1")
		if got := sr.Submissions["T1"].Answers["q1"].Choices[0]; got != "b" {
			t.Errorf("after taking S2 the submission is %q", got)
		}
		if len(sr.Flagged) != 1 || sr.Flagged[0].RecordID != "S2" || sr.Flagged[0].Ticket != "T1" || sr.Flagged[0].Kind != "submission" {
			t.Errorf("flagged: %+v", sr.Flagged)
		}
		var decided *store.DecidedError
		if err := db.Decide(ctx, store.Decision{ID: second.ID, Keep: store.KeepHeld, By: "office admin", Why: "again", At: t0, Audit: audit}); !errors.As(err, &decided) || decided.By != "office staff" || !errors.Is(err, store.ErrConflict) {
			t.Errorf("deciding again: %v", err)
		}
		if err := db.Decide(ctx, store.Decision{ID: 999, Keep: store.KeepHeld, Audit: audit}); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("no such conflict: %v", err)
		}
		// The third weighs itself against the record taken.
		if d, _ := db.Dispute(ctx, third2.ID); d.Held.RecordID != "S2" || d.Decision != "" {
			t.Errorf("the other open dispute: %+v", d)
		}
		if err := db.Decide(ctx, store.Decision{ID: third2.ID, Keep: store.KeepHeld, By: "office staff", Why: "receipt code", At: t0, Audit: audit}); err != nil {
			t.Fatal(err)
		}
		for id, want := range map[string]string{"S1": store.StandingSetAside, "S2": store.StandingCounted, "S3": store.StandingSetAside} {
			if s := standing(id); s != want {
				t.Errorf("%s once decided: %s, want %s", id, s, want)
			}
		}
		log, err := db.AuditLog(ctx)
		if err != nil || len(log) != 2 || log[0].Actor != "office staff" || log[0].Detail != "kept S2" {
			t.Errorf("audit log: %+v %v", log, err)
		}
	})
}

// TestOneReleasePerPaperVersion: the first session of a paper version fixes
// its release time; a session with another is refused, and nothing of it is stored.
func TestOneReleasePerPaperVersion(t *testing.T) {
	eachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s1 := seed(t, db)
		fixed, err := db.PaperRelease(ctx, s1.PaperID, s1.PaperVersion)
		if err != nil || !fixed.ReleaseAt.Equal(s1.ReleaseAt) || fixed.SessionID != s1.ID {
			t.Fatalf("release of the first session's paper: %+v %v", fixed, err)
		}
		s2 := s1
		s2.ID, s2.Room, s2.ReleaseAt = "S2", "A102", s1.ReleaseAt.Add(time.Minute)
		var mismatch *store.ReleaseMismatchError
		err = db.CreateSession(ctx, s2, pkg("m", "{}"))
		if !errors.As(err, &mismatch) || mismatch.Fixed.SessionID != s1.ID || !strings.Contains(err.Error(), s1.ID) {
			t.Errorf("another release time: %v", err)
		}
		if _, err := db.Session(ctx, "S2"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("a refused session was stored: %v", err)
		}
		s2.ReleaseAt = s1.ReleaseAt
		if err := db.CreateSession(ctx, s2, pkg("m", "{}")); err != nil {
			t.Errorf("the same release time: %v", err)
		}
		if _, err := db.PaperRelease(ctx, "NOPE", 1); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("a paper without sessions: %v", err)
		}
	})
}

// TestMigration003FixesReleasesOfExistingSessions: on a database whose
// sessions were scheduled before migration 003, with other release times
// for one paper version, the paper's release time is fixed at the earliest.
func TestMigration003FixesReleasesOfExistingSessions(t *testing.T) {
	ctx := context.Background()
	pgURL, err := pg.URL(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for engine, dsn := range map[string]string{"sqlite": filepath.Join(t.TempDir(), "central.db"), "postgres": pgURL} {
		t.Run(engine, func(t *testing.T) {
			db, err := store.Open(ctx, dsn)
			if err != nil {
				t.Fatal(err)
			}
			s1 := seed(t, db)
			db.Close()
			// Back to before 003, with a second session of the paper released 40 minutes earlier.
			raw := rawSQL(t, dsn)
			for _, stmt := range []string{
				"DROP TABLE disputes", "DROP TABLE paper_releases", "ALTER TABLE records DROP COLUMN skew_ms", "ALTER TABLE records DROP COLUMN time_flag",
				"DELETE FROM schema_migrations WHERE version = 3",
				`INSERT INTO sessions (id, site, room, paper_id, paper_version, start_at, release_at, late_limit_minutes, unlock_code, pkg_version, manifest, created_at)
					SELECT 'S0', site, 'A102', paper_id, paper_version, start_at, release_at - 2400000000, late_limit_minutes, unlock_code, pkg_version, manifest, created_at FROM sessions WHERE id = 'S1'`,
			} {
				if _, err := raw.Exec(stmt); err != nil {
					t.Fatalf("%s: %v", stmt, err)
				}
			}
			raw.Close()
			if db, err = store.Open(ctx, dsn); err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			fixed, err := db.PaperRelease(ctx, s1.PaperID, s1.PaperVersion)
			if err != nil || fixed.SessionID != "S0" || !fixed.ReleaseAt.Equal(s1.ReleaseAt.Add(-40*time.Minute)) {
				t.Errorf("the paper's release after the migration: %+v %v", fixed, err)
			}
		})
	}
}

// rawSQL opens central's database with plain SQL, as an operator would.
func rawSQL(t *testing.T, dsn string) *sql.DB {
	t.Helper()
	driver, name := "sqlite", "file:"+dsn
	if strings.HasPrefix(dsn, "postgres") {
		driver, name = "pgx", dsn
	}
	db, err := sql.Open(driver, name)
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// TestConcurrentSubmissionsOneStands: devices sending a check-in and a
// submission for one candidate at once, each in its own batch: exactly one
// of each is accepted and stands, every other is a dispute against it, on
// both engines (PostgreSQL runs the batches' transactions side by side;
// before set, its upserts let the last check-in overwrite the first).
func TestConcurrentSubmissionsOneStands(t *testing.T) {
	eachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		devices := []string{"D1", "D2", "D3", "D4", "D5", "D6", "D7", "D8"}
		enrolled(t, db, devices...)
		t0 := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
		outcomes := make([][]store.Stored, len(devices))
		errs := make(chan error, len(devices))
		var wg sync.WaitGroup
		for i, d := range devices {
			wg.Go(func() {
				sub := store.Submission{Ticket: "T1", Answers: map[string]exam.Answer{"q9": {Text: d}}}
				check := from(d, 1, 1, "C"+d, "check-in", t0, store.Attendance{Ticket: "T1", Status: "present"})
				out, err := db.Ingest(ctx, []store.Incoming{check, from(d, 1, 2, "S"+d, "submission", t0, sub)}, t0, signAny)
				outcomes[i] = out
				errs <- err
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		accepted := []string{"", ""} // the check-in, the submission
		for i, out := range outcomes {
			for k, o := range out {
				switch {
				case o.Outcome == store.OutcomeAccepted && accepted[k] == "":
					accepted[k] = []string{"C", "S"}[k] + devices[i]
				case o.Outcome != store.OutcomeConflict:
					t.Errorf("device %s record %d: %s, and %s was accepted already", devices[i], k, o.Outcome, accepted[k])
				}
			}
		}
		sr, err := db.SessionRecords(ctx, "S1")
		if err != nil {
			t.Fatal(err)
		}
		ds, err := db.Disputes(ctx, "S1")
		if err != nil {
			t.Fatal(err)
		}
		held := map[string]int{}
		for _, d := range ds {
			held[d.Kind+" "+d.Held.RecordID]++
		}
		stands := sr.Submissions["T1"].Answers["q9"].Text
		if "S"+stands != accepted[1] || held["submission "+accepted[1]] != len(devices)-1 || held["check-in "+accepted[0]] != len(devices)-1 {
			t.Errorf("accepted %v, the submission standing is %s's; disputes held against: %v", accepted, stands, held)
		}
	})
}

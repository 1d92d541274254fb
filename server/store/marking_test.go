package store_test

import (
	"context"
	"errors"
	"regexp"
	"testing"
	"time"

	"onex/exam"
	"onex/server/store"
)

// essaySub is a submission of T1 answering the essay q10, marked at
// central (double when double).
func essaySub(text string, double bool) store.Submission {
	return store.Submission{Ticket: "T1", Answers: map[string]exam.Answer{"q1": {Choices: []string{"b"}}, "q10": {Text: text}},
		PaperID: "WEB-E-2026-A", PaperVersion: 1, Central: []store.CentralItem{{ItemID: "q10", Double: double}}}
}

// TestScriptsComeWithTheSubmission: storing a submission makes its scripts
// and their first tasks in the same transaction (none when the batch
// fails), once; when the office takes another submission for the
// candidate, the old script is superseded, its open tasks cancelled, and
// the new one's made.
func TestScriptsComeWithTheSubmission(t *testing.T) {
	eachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		enrolled(t, db, "D1", "D2")
		t0 := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
		failing := func(rec *store.Incoming, seq int64) ([]byte, error) {
			if rec.RecordID == "X" {
				return nil, errors.New("signer down")
			}
			return signAny(rec, seq)
		}
		if _, err := db.Ingest(ctx, []store.Incoming{from("D1", 1, 1, "R1", "submission", t0, essaySub("一", true)), from("D1", 1, 2, "X", "check-in", t0, nil)}, t0, failing); err == nil {
			t.Fatal("the batch went in")
		}
		if s, _ := db.Scripts(ctx, "S1"); len(s) != 0 {
			t.Fatalf("a failed batch left %d scripts", len(s))
		}
		for range 2 { // the second time a duplicate
			if _, err := db.Ingest(ctx, []store.Incoming{from("D1", 1, 1, "R1", "submission", t0, essaySub("一", true))}, t0, signAny); err != nil {
				t.Fatal(err)
			}
		}
		scripts, err := db.Scripts(ctx, "S1")
		if err != nil || len(scripts) != 1 {
			t.Fatalf("scripts: %+v, %v", scripts, err)
		}
		s := scripts[0]
		if !regexp.MustCompile(`^S[0-9A-HJKMNP-TV-Z]{12}$`).MatchString(s.ID) || s.Ticket != "T1" || s.ItemID != "q10" || s.RecordID != "R1" ||
			s.Response.Text != "一" || s.State != store.ScriptMarking || s.PaperID != "WEB-E-2026-A" {
			t.Errorf("script: %+v", s)
		}
		tasks, err := db.Tasks(ctx, s.ID)
		if err != nil || len(tasks) != 2 || tasks[0].Purpose != "first" || tasks[1].Purpose != "second" || !tasks[0].Fresh {
			t.Fatalf("tasks: %+v, %v", tasks, err)
		}
		if u, err := db.UnscriptedSubmissions(ctx); err != nil || len(u) != 0 {
			t.Errorf("unscripted: %v, %v", u, err)
		}

		// Another device's submission for T1: a dispute; taken, it replaces the script.
		other := from("D2", 1, 1, "R2", "submission", t0, essaySub("二", false))
		if out, err := db.Ingest(ctx, []store.Incoming{other}, t0, signAny); err != nil || out[0].Outcome != store.OutcomeConflict {
			t.Fatalf("second submission: %+v, %v", out, err)
		}
		if s2, _ := db.Scripts(ctx, "S1"); len(s2) != 1 || s2[0].ID != s.ID {
			t.Fatalf("a disputed submission changed the scripts: %+v", s2)
		}
		ds, err := db.Disputes(ctx, "S1")
		if err != nil || len(ds) != 1 {
			t.Fatal(ds, err)
		}
		err = db.Decide(ctx, store.Decision{ID: ds[0].ID, Keep: store.TakeOther, Other: essaySub("二", false), By: "admin", Why: "test", At: t0,
			Audit: func(store.Dispute) (string, string) { return "decide conflict", "test" }})
		if err != nil {
			t.Fatal(err)
		}
		now, err := db.Scripts(ctx, "S1")
		if err != nil || len(now) != 1 || now[0].ID == s.ID || now[0].RecordID != "R2" || now[0].Response.Text != "二" {
			t.Fatalf("scripts after the decision: %+v, %v", now, err)
		}
		old, err := db.Script(ctx, s.ID)
		if err != nil || old.State != store.ScriptSuperseded {
			t.Errorf("the old script: %+v, %v", old, err)
		}
		if tasks, _ := db.Tasks(ctx, s.ID); tasks[0].Outcome != store.TaskCancelled || tasks[1].Outcome != store.TaskCancelled {
			t.Errorf("the old script's tasks: %+v", tasks)
		}
		if tasks, _ := db.Tasks(ctx, now[0].ID); len(tasks) != 1 {
			t.Errorf("the new single-marked script's tasks: %+v", tasks)
		}
	})
}

// TestClaimRules: who may take a task (only, excluded, fresh, lead-only),
// in what order (priority, then age), claims that run out, paused markers.
func TestClaimRules(t *testing.T) {
	eachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		seed(t, db)
		t0 := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
		audit := store.AuditLine{Actor: "quality", Action: "test"}
		cs, err := db.AddControlScript(ctx, store.ControlScript{PaperID: "WEB-E-2026-A", PaperVersion: 1, ItemID: "q10", Response: exam.Answer{Text: "x"}, Known: []float64{2, 2, 2}}, audit, t0)
		if err != nil {
			t.Fatal(err)
		}
		add := func(nt store.NewTask) int64 {
			nt.ScriptID = cs
			id, err := db.AddTask(ctx, nt, audit, t0)
			if err != nil {
				t.Fatal(err)
			}
			return id
		}
		onlyB := add(store.NewTask{Purpose: "remark", OnlyMarker: "b", Priority: 1})
		notA := add(store.NewTask{Purpose: "control", Exclude: []string{"a"}, Priority: 2})
		lead := add(store.NewTask{Purpose: "arbitrate", LeadOnly: true, Priority: 0})
		fresh := add(store.NewTask{Purpose: "appeal", Fresh: true, Priority: 3})
		claim := func(m string, leadOnly bool, at time.Time) (int64, error) {
			tk, err := db.Claim(ctx, store.Claim{Marker: m, LeadOnly: leadOnly, Now: at, Until: at.Add(10 * time.Minute)})
			return tk.ID, err
		}
		// a: not b's only, not the excluded one, not the lead's: the fresh one.
		if id, err := claim("a", false, t0); id != fresh || err != nil {
			t.Fatalf("a got %d, %v; want %d", id, err, fresh)
		}
		if id, err := claim("a", false, t0); id != fresh || err != nil {
			t.Errorf("a again (own claim first) got %d, %v", id, err)
		}
		if id, err := claim("b", false, t0); id != onlyB || err != nil {
			t.Errorf("b got %d, %v; want %d", id, err, onlyB)
		}
		if id, err := claim("c", false, t0); id != notA || err != nil {
			t.Errorf("c got %d, %v; want %d", id, err, notA)
		}
		if _, err := claim("d", false, t0); !errors.Is(err, store.ErrNoTask) {
			t.Errorf("d: %v", err)
		}
		if id, err := claim("l", true, t0); id != lead || err != nil {
			t.Errorf("the lead's queue: %d, %v", id, err)
		}
		// a marks the fresh task; the mark is kept with its time spent since the claim.
		g, _, err := db.GiveMark(ctx, store.Give{TaskID: fresh, Marker: "a", Marks: []float64{1, 1, 1}, Now: t0.Add(90 * time.Second)})
		if err != nil || g.Seconds != 90 || g.Total != 3 {
			t.Fatalf("a's mark: %+v, %v", g, err)
		}
		if _, _, err := db.GiveMark(ctx, store.Give{TaskID: notA, Marker: "a", Marks: []float64{1, 1, 1}, Now: t0}); !errors.Is(err, store.ErrNotYours) {
			t.Errorf("a marking c's task: %v", err)
		}
		// c's claim runs out: d may take it, a never (excluded).
		later := t0.Add(11 * time.Minute)
		if id, err := claim("a", false, later); !errors.Is(err, store.ErrNoTask) {
			t.Errorf("a after the claims ran out: %d, %v", id, err)
		}
		if id, err := claim("d", false, later); id != notA || err != nil {
			t.Errorf("d after c's claim ran out: %d, %v", id, err)
		}
		// A fresh task on a script a marked: never a's.
		again := add(store.NewTask{Purpose: "appeal", Fresh: true})
		if _, err := claim("a", false, later); !errors.Is(err, store.ErrNoTask) {
			t.Errorf("a was handed a fresh task on a script a marked: %v", err)
		}
		if id, err := claim("e", false, later); id != again || err != nil {
			t.Errorf("e: %d, %v", id, err)
		}
		// Paused: nothing, and what the marker held goes back.
		if err := db.SetPaused(ctx, "e", true, "test", audit, later); err != nil {
			t.Fatal(err)
		}
		if p, err := db.Paused(ctx, "e"); !p || err != nil {
			t.Errorf("paused: %v %v", p, err)
		}
		if _, err := claim("e", false, later); !errors.Is(err, store.ErrPaused) {
			t.Errorf("a paused marker: %v", err)
		}
		if id, err := claim("f", false, later); id != again || err != nil {
			t.Errorf("f after e was paused: %d, %v", id, err)
		}
		tasks, err := db.Tasks(ctx, cs)
		if err != nil || len(tasks) != 5 || tasks[3].Outcome != store.TaskMarked {
			t.Errorf("tasks: %+v, %v", tasks, err)
		}
	})
}

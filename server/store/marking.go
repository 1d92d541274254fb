package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"onex/exam"
)

// Marking at central (docs/marking.md): scripts, their tasks and marks.

// States of a script.
const (
	ScriptMarking    = "marking"    // marks still to come
	ScriptFinal      = "final"      // its final mark is set
	ScriptSuperseded = "superseded" // the office took another submission for the candidate
	ScriptControl    = "control"    // a control script: known marks, no candidate
)

// Outcomes of a done task.
const (
	TaskMarked    = "marked"
	TaskFlagged   = "flagged"
	TaskCancelled = "cancelled"
)

// Errors of marking callers decide on.
var (
	ErrNoTask     = errors.New("no task to hand out")
	ErrPaused     = errors.New("the marker is paused")
	ErrNotYours   = errors.New("the task is not claimed by this marker") // never claimed, another's, or a claim that ran out and went to another
	ErrTaskDone   = errors.New("the task is done already")
	ErrMarkedOnce = errors.New("the marker gave this script a mark already")
)

// Script is one response to one item marked at central, under its
// pseudonymous id. SessionID, Ticket and RecordID are empty for a control
// script; central never shows them to a marker.
type Script struct {
	ID           string
	SessionID    string
	Ticket       string
	RecordID     string
	ItemID       string
	PaperID      string
	PaperVersion int
	Response     exam.Answer
	Known        []float64 // a control script's known marks; nil otherwise
	State        string    // Script* constant
	Final        []float64 // per rubric criterion once final
	How          string    // exam.Final* once final
	FinalAt      time.Time
	CreatedAt    time.Time
}

// Task is one mark to give on a script.
type Task struct {
	ID         int64
	ScriptID   string
	Purpose    string
	LeadOnly   bool
	OnlyMarker string // "" for anyone
	Fresh      bool   // never a marker who gave the script a mark already
	Priority   int    // lower first
	ClaimedBy  string
	ClaimedAt  time.Time
	ClaimUntil time.Time // zero: unclaimed
	CreatedAt  time.Time
	CreatedBy  string
	DoneAt     time.Time // zero while open
	Outcome    string    // Task* once done
	Ref        string
	Problem    string
	Note       string
}

// NewTask is a task to add to a script.
type NewTask struct {
	ScriptID   string
	Purpose    string
	LeadOnly   bool
	OnlyMarker string   // "" for anyone, else only this marker
	Exclude    []string // markers who must not take it
	Fresh      bool     // never a marker who gave the script a mark already
	Priority   int      // lower first; central's own: see the Priority* constants
	Ref        string   // what the adder links it to (an appeal's id, a control set)
	Problem    string   // a problem task: the flag
	Note       string   // why the task was added
}

// Priorities of central's own tasks: finishing a script comes before
// starting another. A double-marked script's first and second tasks are
// made together, so in id order a script's second comes before the next
// script's first.
const (
	PriorityArbitrate = 10
	PriorityThird     = 20
	PrioritySecond    = 40
	PriorityFirst     = 40
)

// Given is a mark given, or a flag raised, on a script.
type Given struct {
	ID       int64
	ScriptID string
	TaskID   int64
	Marker   string
	Purpose  string
	Marks    []float64 // nil for a flag
	Total    float64
	Flag     string // the problem flagged, "" for a mark
	Note     string
	Seconds  int
	At       time.Time
	Voided   bool
	VoidedBy string
}

// AuditLine is an audit entry written in the transaction of the change it tells.
type AuditLine struct{ Actor, Action, Detail string }

// ScriptID makes a pseudonymous script id: "S" and 12 characters of
// Crockford base32 from crypto/rand (60 bits), nothing derived from the
// candidate.
func ScriptID() string {
	const alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
	b := make([]byte, 12)
	rand.Read(b)
	for i := range b {
		b[i] = alphabet[b[i]&31]
	}
	return "S" + string(b)
}

// putScripts makes the scripts of a submission just stored in its slot,
// with their first tasks, in the submission's transaction. Scripts of
// another submission record for the same candidate (one the office set
// aside) are superseded and their open tasks cancelled.
func putScripts(ctx context.Context, tx *sql.Tx, sessionID, recordID string, s Submission, now time.Time) error {
	if _, err := tx.ExecContext(ctx, `UPDATE marking_tasks SET done_at = $1, outcome = $2 WHERE done_at IS NULL AND script_id IN
		(SELECT id FROM scripts WHERE session_id = $3 AND ticket = $4 AND record_id <> $5 AND state IN ($6, $7))`,
		micros(now), TaskCancelled, sessionID, s.Ticket, recordID, ScriptMarking, ScriptFinal); err != nil {
		return fmt.Errorf("supersede scripts: %w", err)
	}
	if _, err := tx.ExecContext(ctx, "UPDATE scripts SET state = $1 WHERE session_id = $2 AND ticket = $3 AND record_id <> $4 AND state IN ($5, $6)",
		ScriptSuperseded, sessionID, s.Ticket, recordID, ScriptMarking, ScriptFinal); err != nil {
		return fmt.Errorf("supersede scripts: %w", err)
	}
	for _, it := range s.Central {
		var n int
		if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM scripts WHERE session_id = $1 AND ticket = $2 AND item_id = $3 AND record_id = $4",
			sessionID, s.Ticket, it.ItemID, recordID).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			continue
		}
		resp, err := json.Marshal(s.Answers[it.ItemID])
		if err != nil {
			return err
		}
		id := ScriptID()
		if _, err := tx.ExecContext(ctx, `INSERT INTO scripts (id, session_id, ticket, record_id, item_id, paper_id, paper_version, response, state, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
			id, sessionID, s.Ticket, recordID, it.ItemID, s.PaperID, s.PaperVersion, string(resp), ScriptMarking, micros(now)); err != nil {
			return fmt.Errorf("script of item %s: %w", it.ItemID, err)
		}
		if _, err := addTask(ctx, tx, NewTask{ScriptID: id, Purpose: "first", Fresh: true, Priority: PriorityFirst}, "central", now); err != nil {
			return err
		}
		if it.Double {
			if _, err := addTask(ctx, tx, NewTask{ScriptID: id, Purpose: "second", Fresh: true, Priority: PrioritySecond}, "central", now); err != nil {
				return err
			}
		}
	}
	_, err := tx.ExecContext(ctx, "UPDATE submissions SET scripted = 1 WHERE session_id = $1 AND ticket = $2 AND record_id = $3", sessionID, s.Ticket, recordID)
	return err
}

// CentralItem is an item of a submission's paper marked at central.
type CentralItem struct {
	ItemID string
	Double bool // two first marks, so a second task from the start
}

// Unscripted is a submission stored before scripts existed.
type Unscripted struct{ SessionID, Ticket string }

// UnscriptedSubmissions lists the submissions whose scripts were never made
// (stored before migration 008).
func (db *DB) UnscriptedSubmissions(ctx context.Context) ([]Unscripted, error) {
	return collect(ctx, db.sql, "SELECT session_id, ticket FROM submissions WHERE scripted = 0 ORDER BY session_id, ticket", nil,
		func(scan func(...any) error) (Unscripted, error) {
			var u Unscripted
			err := scan(&u.SessionID, &u.Ticket)
			return u, err
		})
}

// ScriptSubmission makes the scripts of a stored submission that has none:
// items are the paper's items marked at central.
func (db *DB) ScriptSubmission(ctx context.Context, sessionID, ticket, paperID string, paperVersion int, items []CentralItem, now time.Time) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		var answers, recordID string
		var scripted int
		err := tx.QueryRowContext(ctx, "SELECT answers, record_id, scripted FROM submissions WHERE session_id = $1 AND ticket = $2", sessionID, ticket).
			Scan(&answers, &recordID, &scripted)
		if err != nil {
			return notFound(err, fmt.Sprintf("submission of session %s ticket %s", sessionID, ticket))
		}
		if scripted == 1 {
			return nil
		}
		s := Submission{Ticket: ticket, PaperID: paperID, PaperVersion: paperVersion, Central: items}
		if err := json.Unmarshal([]byte(answers), &s.Answers); err != nil {
			return err
		}
		return putScripts(ctx, tx, sessionID, recordID, s, now)
	})
}

// ControlScript is a response with known marks, seeded into queues by
// quality control: it names no candidate.
type ControlScript struct {
	PaperID      string
	PaperVersion int
	ItemID       string
	Response     exam.Answer
	Known        []float64 // per rubric criterion
}

// AddControlScript stores a control script and returns its id; add its
// tasks with AddTask.
func (db *DB) AddControlScript(ctx context.Context, cs ControlScript, audit AuditLine, now time.Time) (string, error) {
	resp, err := json.Marshal(cs.Response)
	if err != nil {
		return "", err
	}
	known, err := json.Marshal(cs.Known)
	if err != nil {
		return "", err
	}
	id := ScriptID()
	err = db.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO scripts (id, session_id, ticket, record_id, item_id, paper_id, paper_version, response, known, state, created_at)
			VALUES ($1, '', '', '', $2, $3, $4, $5, $6, $7, $8)`, id, cs.ItemID, cs.PaperID, cs.PaperVersion, string(resp), string(known), ScriptControl, micros(now)); err != nil {
			return err
		}
		return auditIf(ctx, tx, audit)
	})
	return id, err
}

func auditIf(ctx context.Context, tx *sql.Tx, a AuditLine) error {
	if a.Action == "" {
		return nil
	}
	return appendAudit(ctx, tx, a.Actor, a.Action, a.Detail)
}

// AddTask adds a task to a script, with its audit entry.
func (db *DB) AddTask(ctx context.Context, t NewTask, audit AuditLine, now time.Time) (int64, error) {
	var id int64
	err := db.tx(ctx, func(tx *sql.Tx) error {
		var state string
		if err := tx.QueryRowContext(ctx, "SELECT state FROM scripts WHERE id = $1", t.ScriptID).Scan(&state); err != nil {
			return notFound(err, "script "+t.ScriptID)
		}
		if state == ScriptSuperseded {
			return fmt.Errorf("script %s is superseded: %w", t.ScriptID, ErrConflict)
		}
		var err error
		if id, err = addTask(ctx, tx, t, audit.Actor, now); err != nil {
			return err
		}
		return auditIf(ctx, tx, audit)
	})
	return id, err
}

func addTask(ctx context.Context, tx *sql.Tx, t NewTask, by string, now time.Time) (int64, error) {
	var id int64
	err := tx.QueryRowContext(ctx, `INSERT INTO marking_tasks (script_id, purpose, lead_only, only_marker, fresh, priority, created_at, created_by, ref, problem, note)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
		t.ScriptID, t.Purpose, boolInt(t.LeadOnly), t.OnlyMarker, boolInt(t.Fresh), t.Priority, micros(now), by, t.Ref, t.Problem, t.Note).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("add %s task to script %s: %w", t.Purpose, t.ScriptID, err)
	}
	for _, m := range t.Exclude {
		if _, err := tx.ExecContext(ctx, "INSERT INTO task_exclusions (task_id, marker) VALUES ($1, $2) ON CONFLICT DO NOTHING", id, m); err != nil {
			return 0, err
		}
	}
	return id, nil
}

const taskCols = "t.id, t.script_id, t.purpose, t.lead_only, t.only_marker, t.fresh, t.priority, t.claimed_by, t.claimed_at, t.claim_until, t.created_at, t.created_by, COALESCE(t.done_at, 0), t.outcome, t.ref, t.problem, t.note"

func scanTask(scan func(...any) error) (Task, error) {
	var t Task
	var lead, fresh int
	var claimedAt, until, created, done int64
	err := scan(&t.ID, &t.ScriptID, &t.Purpose, &lead, &t.OnlyMarker, &fresh, &t.Priority, &t.ClaimedBy, &claimedAt, &until, &created, &t.CreatedBy, &done, &t.Outcome, &t.Ref, &t.Problem, &t.Note)
	t.LeadOnly, t.Fresh = lead == 1, fresh == 1
	t.CreatedAt = fromMicros(created)
	if claimedAt != 0 {
		t.ClaimedAt = fromMicros(claimedAt)
	}
	if until != 0 {
		t.ClaimUntil = fromMicros(until)
	}
	if done != 0 {
		t.DoneAt = fromMicros(done)
	}
	return t, err
}

// Task returns a task, or ErrNotFound.
func (db *DB) Task(ctx context.Context, id int64) (Task, error) {
	t, err := scanTask(db.sql.QueryRowContext(ctx, "SELECT "+taskCols+" FROM marking_tasks t WHERE t.id = $1", id).Scan)
	return t, notFound(err, fmt.Sprintf("task %d", id))
}

// Tasks lists a script's tasks, oldest first.
func (db *DB) Tasks(ctx context.Context, scriptID string) ([]Task, error) {
	return collect(ctx, db.sql, "SELECT "+taskCols+" FROM marking_tasks t WHERE t.script_id = $1 ORDER BY t.id", []any{scriptID}, scanTask)
}

// OpenTasks lists the open tasks, lead-only ones or the others, in hand-out order.
func (db *DB) OpenTasks(ctx context.Context, leadOnly bool, limit int) ([]Task, error) {
	return collect(ctx, db.sql, "SELECT "+taskCols+" FROM marking_tasks t WHERE t.done_at IS NULL AND t.lead_only = $1 ORDER BY t.priority, t.id LIMIT $2",
		[]any{boolInt(leadOnly), limit}, scanTask)
}

const scriptCols = "s.id, s.session_id, s.ticket, s.record_id, s.item_id, s.paper_id, s.paper_version, s.response, s.known, s.state, s.final, s.how, COALESCE(s.final_at, 0), s.created_at"

func scanScript(scan func(...any) error) (Script, error) {
	var s Script
	var resp string
	var known, final sql.NullString
	var finalAt, created int64
	if err := scan(&s.ID, &s.SessionID, &s.Ticket, &s.RecordID, &s.ItemID, &s.PaperID, &s.PaperVersion, &resp, &known, &s.State, &final, &s.How, &finalAt, &created); err != nil {
		return s, err
	}
	s.CreatedAt = fromMicros(created)
	if finalAt != 0 {
		s.FinalAt = fromMicros(finalAt)
	}
	if err := json.Unmarshal([]byte(resp), &s.Response); err != nil {
		return s, fmt.Errorf("script %s response: %w", s.ID, err)
	}
	for _, f := range []struct {
		v   sql.NullString
		dst *[]float64
	}{{known, &s.Known}, {final, &s.Final}} {
		if f.v.Valid {
			if err := json.Unmarshal([]byte(f.v.String), f.dst); err != nil {
				return s, fmt.Errorf("script %s: %w", s.ID, err)
			}
		}
	}
	return s, nil
}

// Script returns a script, or ErrNotFound.
func (db *DB) Script(ctx context.Context, id string) (Script, error) {
	s, err := scanScript(db.sql.QueryRowContext(ctx, "SELECT "+scriptCols+" FROM scripts s WHERE s.id = $1", id).Scan)
	return s, notFound(err, "script "+id)
}

// Scripts lists a session's scripts that are not superseded, by ticket and item.
func (db *DB) Scripts(ctx context.Context, sessionID string) ([]Script, error) {
	return collect(ctx, db.sql, "SELECT "+scriptCols+" FROM scripts s WHERE s.session_id = $1 AND s.state IN ($2, $3) ORDER BY s.ticket, s.item_id",
		[]any{sessionID, ScriptMarking, ScriptFinal}, scanScript)
}

// Claim is a marker asking for a task.
type Claim struct {
	Marker   string
	LeadOnly bool      // the lead's queue (lead-only tasks), else the markers' queue
	Now      time.Time // claims that ran out by then are free again
	Until    time.Time // the new claim holds until then
}

// Claim hands the marker one task of a queue: the marker's own live claim
// first (held on to Until), else the first free task in priority order the
// marker may take (not a fresh task on a script the marker marked or holds
// a claim on; not another marker's only; not one the marker is excluded
// from), claimed for the marker until Until. PostgreSQL skips the tasks
// other transactions are claiming (FOR UPDATE SKIP LOCKED); SQLite's
// writers take turns (BEGIN IMMEDIATE). A paused marker gets ErrPaused, an
// empty queue ErrNoTask.
func (db *DB) Claim(ctx context.Context, c Claim) (Task, error) {
	var t Task
	err := db.tx(ctx, func(tx *sql.Tx) error {
		var paused int
		err := tx.QueryRowContext(ctx, "SELECT paused FROM markers WHERE name = $1", c.Marker).Scan(&paused)
		switch {
		case err != nil && !errors.Is(err, sql.ErrNoRows):
			return err
		case paused == 1:
			return ErrPaused
		}
		lock := ""
		if db.Engine == Postgres {
			lock = " FOR UPDATE OF t SKIP LOCKED"
			// A generic plan (what a prepared statement gets after five
			// runs) cannot tell a marker's few claims from the rest and
			// scans the whole queue: 30 ms and more at 100,000 tasks.
			if _, err := tx.ExecContext(ctx, "SET LOCAL plan_cache_mode = force_custom_plan"); err != nil {
				return err
			}
		}
		var id int64
		err = tx.QueryRowContext(ctx, `SELECT t.id FROM marking_tasks t WHERE t.claimed_by = $1 AND t.done_at IS NULL AND t.claim_until > $2 AND t.lead_only = $3
			ORDER BY t.id LIMIT 1`+lock, c.Marker, micros(c.Now), boolInt(c.LeadOnly)).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			err = tx.QueryRowContext(ctx, `SELECT t.id FROM marking_tasks t
				WHERE t.done_at IS NULL AND t.lead_only = $1 AND t.claim_until <= $2
				AND (t.only_marker = '' OR t.only_marker = $3)
				AND NOT (t.fresh = 1 AND (EXISTS (SELECT 1 FROM marking_marks g WHERE g.script_id = t.script_id AND g.marker = $3)
					OR EXISTS (SELECT 1 FROM marking_tasks o WHERE o.script_id = t.script_id AND o.claimed_by = $3 AND o.done_at IS NULL AND o.claim_until > $2)))
				AND NOT EXISTS (SELECT 1 FROM task_exclusions x WHERE x.task_id = t.id AND x.marker = $3)
				ORDER BY t.lead_only, t.priority, t.id LIMIT 1`+lock, boolInt(c.LeadOnly), micros(c.Now), c.Marker).Scan(&id)
		}
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNoTask
		}
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "UPDATE marking_tasks SET claimed_by = $1, claimed_at = CASE WHEN claimed_by = $1 AND claim_until > $2 THEN claimed_at ELSE $2 END, claim_until = $3 WHERE id = $4",
			c.Marker, micros(c.Now), micros(c.Until), id); err != nil {
			return err
		}
		t, err = scanTask(tx.QueryRowContext(ctx, "SELECT "+taskCols+" FROM marking_tasks t WHERE t.id = $1", id).Scan)
		return err
	})
	return t, err
}

// Give is a mark, or a flag, a marker gives on a claimed task.
type Give struct {
	TaskID  int64
	Marker  string
	Marks   []float64 // nil for a flag
	Flag    string    // the problem, for a flag
	Note    string
	Seconds int // <= 0: the time since the claim
	Now     time.Time
	// Resolve is called in the transaction, the script's row locked, with
	// the script, the task and every unvoided mark and flag of the script
	// (this one included), oldest first. Its outcome is stored with it.
	Resolve func(s Script, t Task, given []Given) (Outcome, error)
	Audit   func(s Script, t Task) AuditLine
}

// Outcome is what a mark leads to: the script's final mark, and the tasks to add.
type Outcome struct {
	Final []float64 // nil: not final
	How   string
	Add   []NewTask
}

// GiveMark stores a mark or flag for a task the marker holds, in one
// transaction with what it leads to (Give.Resolve) and its audit entry. A
// task done already is ErrTaskDone; one the marker does not hold,
// ErrNotYours: another marker's, or one whose claim ran out and that
// another marker claimed since (a claim that ran out but was not taken
// again still counts). A fresh
// task on a script the marker gave a mark already is ErrMarkedOnce, and
// the task is released.
func (db *DB) GiveMark(ctx context.Context, g Give) (Given, Outcome, error) {
	var given Given
	var out Outcome
	released := false
	err := db.tx(ctx, func(tx *sql.Tx) error {
		lock := ""
		if db.Engine == Postgres {
			lock = " FOR UPDATE"
		}
		var scriptID string
		if err := tx.QueryRowContext(ctx, "SELECT script_id FROM marking_tasks WHERE id = $1", g.TaskID).Scan(&scriptID); err != nil {
			return notFound(err, fmt.Sprintf("task %d", g.TaskID))
		}
		// The script first, then the task: the order every marking transaction locks in.
		s, err := scanScript(tx.QueryRowContext(ctx, "SELECT "+scriptCols+" FROM scripts s WHERE s.id = $1"+lock, scriptID).Scan)
		if err != nil {
			return err
		}
		t, err := scanTask(tx.QueryRowContext(ctx, "SELECT "+taskCols+" FROM marking_tasks t WHERE t.id = $1"+lock, g.TaskID).Scan)
		if err != nil {
			return err
		}
		switch {
		case !t.DoneAt.IsZero():
			return fmt.Errorf("task %d: %w", t.ID, ErrTaskDone)
		case t.ClaimedBy != g.Marker:
			return fmt.Errorf("task %d: %w", t.ID, ErrNotYours)
		}
		if t.Fresh {
			var n int
			if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM marking_marks WHERE script_id = $1 AND marker = $2", s.ID, g.Marker).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				if _, err := tx.ExecContext(ctx, "UPDATE marking_tasks SET claimed_by = '', claim_until = 0 WHERE id = $1", t.ID); err != nil {
					return err
				}
				released = true
				return nil
			}
		}
		seconds := g.Seconds
		if seconds <= 0 && !t.ClaimedAt.IsZero() {
			seconds = int(g.Now.Sub(t.ClaimedAt) / time.Second)
		}
		given = Given{ScriptID: s.ID, TaskID: t.ID, Marker: g.Marker, Purpose: t.Purpose, Marks: g.Marks, Total: exam.Total(g.Marks), Flag: g.Flag, Note: g.Note, Seconds: max(seconds, 0), At: fromMicros(micros(g.Now))}
		var marks any
		var total any
		if g.Marks != nil {
			b, err := json.Marshal(g.Marks)
			if err != nil {
				return err
			}
			marks, total = string(b), given.Total
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO marking_marks (script_id, task_id, marker, purpose, marks, total, flag, note, seconds, at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
			s.ID, t.ID, g.Marker, t.Purpose, marks, total, g.Flag, g.Note, given.Seconds, micros(g.Now)).Scan(&given.ID); err != nil {
			return err
		}
		outcome := TaskMarked
		if g.Marks == nil {
			outcome = TaskFlagged
		}
		if _, err := tx.ExecContext(ctx, "UPDATE marking_tasks SET done_at = $1, outcome = $2 WHERE id = $3", micros(g.Now), outcome, t.ID); err != nil {
			return err
		}
		all, err := scriptMarks(ctx, tx, s.ID, false)
		if err != nil {
			return err
		}
		if g.Resolve != nil {
			if out, err = g.Resolve(s, t, all); err != nil {
				return err
			}
		}
		if out.Final != nil {
			if s.State != ScriptMarking {
				return fmt.Errorf("script %s is %s: %w", s.ID, s.State, ErrConflict)
			}
			b, err := json.Marshal(out.Final)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, "UPDATE scripts SET state = $1, final = $2, how = $3, final_at = $4 WHERE id = $5",
				ScriptFinal, string(b), out.How, micros(g.Now), s.ID); err != nil {
				return err
			}
			// Whatever else was queued for the script's resolution is moot.
			if _, err := tx.ExecContext(ctx, `UPDATE marking_tasks SET done_at = $1, outcome = $2 WHERE script_id = $3 AND done_at IS NULL
				AND purpose IN ('first', 'second', 'third', 'arbitrate', 'problem')`, micros(g.Now), TaskCancelled, s.ID); err != nil {
				return err
			}
		}
		for _, nt := range out.Add {
			nt.ScriptID = s.ID
			if _, err := addTask(ctx, tx, nt, "central", g.Now); err != nil {
				return err
			}
		}
		if g.Audit != nil {
			return auditIf(ctx, tx, g.Audit(s, t))
		}
		return nil
	})
	if err == nil && released {
		err = fmt.Errorf("task %d: %w", g.TaskID, ErrMarkedOnce)
	}
	return given, out, err
}

// ScriptMarks returns every mark and flag given on a script, oldest first,
// voided ones too.
func (db *DB) ScriptMarks(ctx context.Context, scriptID string) ([]Given, error) {
	return collect(ctx, db.sql, "SELECT "+givenCols+" FROM marking_marks g WHERE g.script_id = $1 ORDER BY g.id", []any{scriptID}, scanGiven)
}

const givenCols = "g.id, g.script_id, g.task_id, g.marker, g.purpose, g.marks, COALESCE(g.total, 0), g.flag, g.note, g.seconds, g.at, COALESCE(g.voided_at, 0), g.voided_by"

func scanGiven(scan func(...any) error) (Given, error) {
	var g Given
	var marks sql.NullString
	var at, voided int64
	if err := scan(&g.ID, &g.ScriptID, &g.TaskID, &g.Marker, &g.Purpose, &marks, &g.Total, &g.Flag, &g.Note, &g.Seconds, &at, &voided, &g.VoidedBy); err != nil {
		return g, err
	}
	g.At, g.Voided = fromMicros(at), voided != 0
	if marks.Valid {
		if err := json.Unmarshal([]byte(marks.String), &g.Marks); err != nil {
			return g, fmt.Errorf("mark %d: %w", g.ID, err)
		}
	}
	return g, nil
}

func scriptMarks(ctx context.Context, tx *sql.Tx, scriptID string, voided bool) ([]Given, error) {
	return collect(ctx, tx, "SELECT "+givenCols+" FROM marking_marks g WHERE g.script_id = $1 AND (g.voided_at IS NULL OR $2 = 1) ORDER BY g.id",
		[]any{scriptID, boolInt(voided)}, scanGiven)
}

// querier is a database or a transaction.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// collect runs a query and scans each row with scan.
func collect[T any](ctx context.Context, q querier, query string, args []any, scan func(func(...any) error) (T, error)) ([]T, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows.Scan)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// SetPaused pauses a marker (handed nothing until resumed) or resumes one,
// with its audit entry.
func (db *DB) SetPaused(ctx context.Context, marker string, paused bool, reason string, audit AuditLine, now time.Time) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO markers (name, paused, paused_by, paused_at, reason) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (name) DO UPDATE SET paused = excluded.paused, paused_by = excluded.paused_by, paused_at = excluded.paused_at, reason = excluded.reason`,
			marker, boolInt(paused), audit.Actor, micros(now), reason); err != nil {
			return err
		}
		if paused {
			// Whatever the marker holds goes back to the queue.
			if _, err := tx.ExecContext(ctx, "UPDATE marking_tasks SET claimed_by = '', claim_until = 0 WHERE claimed_by = $1 AND done_at IS NULL", marker); err != nil {
				return err
			}
		}
		return auditIf(ctx, tx, audit)
	})
}

// Paused reports whether a marker is paused.
func (db *DB) Paused(ctx context.Context, marker string) (bool, error) {
	var p int
	err := db.sql.QueryRowContext(ctx, "SELECT paused FROM markers WHERE name = $1", marker).Scan(&p)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return p == 1, err
}

// FinalMarks returns the final marks of a session's scripts: ticket -> item -> marks.
func (db *DB) FinalMarks(ctx context.Context, sessionID string) (map[string]exam.Marks, error) {
	out := map[string]exam.Marks{}
	err := queryEach(ctx, db.sql, "SELECT ticket, item_id, final FROM scripts WHERE session_id = $1 AND state = $2", []any{sessionID, ScriptFinal},
		func(scan func(...any) error) error {
			var ticket, item, final string
			if err := scan(&ticket, &item, &final); err != nil {
				return err
			}
			var m []float64
			if err := json.Unmarshal([]byte(final), &m); err != nil {
				return fmt.Errorf("final mark of session %s ticket %s item %s: %w", sessionID, ticket, item, err)
			}
			if out[ticket] == nil {
				out[ticket] = exam.Marks{}
			}
			out[ticket][item] = m
			return nil
		})
	return out, err
}

// MarkingCounts are a session's scripts by state, and the open tasks by purpose.
type MarkingCounts struct {
	Scripts map[string]int // state -> count (superseded ones not counted)
	Open    map[string]int // purpose -> open tasks
}

// MarkingCounts counts a session's scripts and their open tasks.
func (db *DB) MarkingCounts(ctx context.Context, sessionID string) (MarkingCounts, error) {
	var mc MarkingCounts
	var err error
	if mc.Scripts, err = db.countBy(ctx, "SELECT state, COUNT(*) FROM scripts WHERE session_id = $1 AND state <> $2 GROUP BY state", sessionID, ScriptSuperseded); err != nil {
		return mc, err
	}
	mc.Open, err = db.countBy(ctx, `SELECT t.purpose, COUNT(*) FROM marking_tasks t JOIN scripts s ON s.id = t.script_id
		WHERE s.session_id = $1 AND t.done_at IS NULL GROUP BY t.purpose`, sessionID)
	return mc, err
}

// countBy runs a query of (key, count) rows.
func (db *DB) countBy(ctx context.Context, query string, args ...any) (map[string]int, error) {
	out := map[string]int{}
	err := queryEach(ctx, db.sql, query, args, func(scan func(...any) error) error {
		var k string
		var n int
		err := scan(&k, &n)
		out[k] = n
		return err
	})
	return out, err
}

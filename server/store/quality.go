package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"onex/exam"
)

// Moderation is a session's moderation of its site's practical scores.
type Moderation struct {
	SessionID string
	Seed      string // hex: exam.DrawSample's seed
	Policy    []byte // JSON, as the service wrote it
	DrawnBy   string
	DrawnAt   time.Time
	Decision  string // "" undecided, else exam.KeepSiteScores, AdoptSample or AdjustAll
	DecidedBy string
	DecidedAt time.Time
	Note      string
	Rescores  []Rescore // by ticket, then item
}

// Rescore is one sampled candidate's practical item to re-score.
type Rescore struct {
	ID         string // pseudonymous: all a moderator sees
	SessionID  string
	Ticket     string
	ItemID     string
	Reason     string    // exam.SampledRandom, SampledFail or SampledTop
	SiteMarks  []float64 // as the site scored it when drawn
	Marks      []float64 // the moderator's; nil until re-scored
	Moderator  string
	ClaimedAt  time.Time
	RescoredAt time.Time
	Seconds    int
}

// Done reports whether the moderator has re-scored it.
func (r Rescore) Done() bool { return r.Marks != nil }

// PutModeration stores a moderation's draw and its rescores, with the audit
// entry, in one transaction; ErrExists when the session has one already.
func (db *DB) PutModeration(ctx context.Context, m Moderation, audit func(tx *sql.Tx) error) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "INSERT INTO moderations (session_id, seed, policy, drawn_by, drawn_at) VALUES ($1, $2, $3, $4, $5)",
			m.SessionID, m.Seed, string(m.Policy), m.DrawnBy, micros(m.DrawnAt))
		if isUnique(err) {
			return fmt.Errorf("moderation of session %s: %w", m.SessionID, ErrExists)
		}
		if err != nil {
			return fmt.Errorf("moderation of session %s: %w", m.SessionID, err)
		}
		for _, r := range m.Rescores {
			site, err := json.Marshal(r.SiteMarks)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, "INSERT INTO rescores (id, session_id, ticket, item_id, reason, site_marks) VALUES ($1, $2, $3, $4, $5, $6)",
				r.ID, m.SessionID, r.Ticket, r.ItemID, r.Reason, string(site)); err != nil {
				return fmt.Errorf("rescore of session %s: %w", m.SessionID, err)
			}
		}
		return audit(tx)
	})
}

// AuditIn returns an audit function for a transaction of this package.
func AuditIn(ctx context.Context, actor, action, detail string) func(*sql.Tx) error {
	return func(tx *sql.Tx) error { return appendAudit(ctx, tx, actor, action, detail) }
}

const rescoreCols = "id, session_id, ticket, item_id, reason, site_marks, marks, moderator, claimed_at, rescored_at, seconds"

func scanRescore(scan func(...any) error) (Rescore, error) {
	var r Rescore
	var site string
	var marks sql.NullString
	var claimed, rescored int64
	if err := scan(&r.ID, &r.SessionID, &r.Ticket, &r.ItemID, &r.Reason, &site, &marks, &r.Moderator, &claimed, &rescored, &r.Seconds); err != nil {
		return r, err
	}
	if claimed != 0 {
		r.ClaimedAt = fromMicros(claimed)
	}
	if rescored != 0 {
		r.RescoredAt = fromMicros(rescored)
	}
	if err := json.Unmarshal([]byte(site), &r.SiteMarks); err != nil {
		return r, err
	}
	if marks.Valid {
		if err := json.Unmarshal([]byte(marks.String), &r.Marks); err != nil {
			return r, err
		}
	}
	return r, nil
}

// ModerationOf returns a session's moderation and its rescores; ErrNotFound
// when none was drawn.
func (db *DB) ModerationOf(ctx context.Context, sessionID string) (Moderation, error) {
	m := Moderation{SessionID: sessionID}
	var drawn, decided int64
	var policy string
	err := db.sql.QueryRowContext(ctx, "SELECT seed, policy, drawn_by, drawn_at, decision, decided_by, decided_at, note FROM moderations WHERE session_id = $1", sessionID).
		Scan(&m.Seed, &policy, &m.DrawnBy, &drawn, &m.Decision, &m.DecidedBy, &decided, &m.Note)
	if err != nil {
		return m, notFound(err, "moderation of session "+sessionID)
	}
	m.Policy, m.DrawnAt = []byte(policy), fromMicros(drawn)
	if decided != 0 {
		m.DecidedAt = fromMicros(decided)
	}
	err = queryEach(ctx, db.sql, "SELECT "+rescoreCols+" FROM rescores WHERE session_id = $1 ORDER BY ticket, item_id", []any{sessionID}, func(scan func(...any) error) error {
		r, err := scanRescore(scan)
		m.Rescores = append(m.Rescores, r)
		return err
	})
	return m, err
}

// Moderations lists the sessions with a moderation, by session id, without
// their rescores.
func (db *DB) Moderations(ctx context.Context) ([]Moderation, error) {
	var out []Moderation
	err := queryEach(ctx, db.sql, "SELECT session_id, drawn_by, drawn_at, decision, decided_by, decided_at FROM moderations ORDER BY session_id", nil, func(scan func(...any) error) error {
		var m Moderation
		var drawn, decided int64
		err := scan(&m.SessionID, &m.DrawnBy, &drawn, &m.Decision, &m.DecidedBy, &decided)
		m.DrawnAt = fromMicros(drawn)
		if decided != 0 {
			m.DecidedAt = fromMicros(decided)
		}
		out = append(out, m)
		return err
	})
	return out, err
}

// ClaimRescore hands a moderator one rescore: their own open claim first,
// else the oldest-drawn unclaimed one (or one whose claim is older than
// staleBefore), in id order, which is random. ErrNotFound when none is
// left. On PostgreSQL the row is taken with FOR UPDATE SKIP LOCKED; SQLite
// has one writer at a time (BEGIN IMMEDIATE).
func (db *DB) ClaimRescore(ctx context.Context, moderator string, now, staleBefore time.Time) (Rescore, error) {
	var r Rescore
	err := db.tx(ctx, func(tx *sql.Tx) error {
		lock := ""
		if db.Engine == Postgres {
			lock = " FOR UPDATE SKIP LOCKED"
		}
		row := tx.QueryRowContext(ctx, "SELECT "+rescoreCols+" FROM rescores WHERE marks IS NULL AND moderator = $1 AND claimed_at >= $2 ORDER BY id LIMIT 1"+lock, moderator, micros(staleBefore))
		got, err := scanRescore(row.Scan)
		if errors.Is(err, sql.ErrNoRows) {
			row = tx.QueryRowContext(ctx, "SELECT "+rescoreCols+" FROM rescores WHERE marks IS NULL AND (moderator = '' OR claimed_at < $1) ORDER BY id LIMIT 1"+lock, micros(staleBefore))
			got, err = scanRescore(row.Scan)
		}
		if err != nil {
			return notFound(err, "rescore")
		}
		if _, err := tx.ExecContext(ctx, "UPDATE rescores SET moderator = $1, claimed_at = $2 WHERE id = $3", moderator, micros(now), got.ID); err != nil {
			return err
		}
		got.Moderator, got.ClaimedAt = moderator, fromMicros(micros(now))
		r = got
		return nil
	})
	return r, err
}

// ErrNotHolder refuses a rescore or task claimed by someone else, or by no one.
var ErrNotHolder = errors.New("not claimed by this user")

// SaveRescore stores a moderator's marks of a rescore they hold, with the
// audit entry, in one transaction. ErrNotFound for no such rescore,
// ErrNotHolder when another holds it, ErrConflict when it is re-scored already.
func (db *DB) SaveRescore(ctx context.Context, id, moderator string, marks []float64, seconds int, now time.Time, audit func(*sql.Tx) error) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		var holder string
		var done sql.NullString
		err := tx.QueryRowContext(ctx, "SELECT moderator, marks FROM rescores WHERE id = $1", id).Scan(&holder, &done)
		if err != nil {
			return notFound(err, "rescore "+id)
		}
		if done.Valid {
			return fmt.Errorf("rescore %s: re-scored already: %w", id, ErrConflict)
		}
		if holder != moderator {
			return fmt.Errorf("rescore %s: %w", id, ErrNotHolder)
		}
		b, err := json.Marshal(marks)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "UPDATE rescores SET marks = $1, rescored_at = $2, seconds = $3 WHERE id = $4", string(b), micros(now), seconds, id); err != nil {
			return err
		}
		return audit(tx)
	})
}

// RescoreByID returns one rescore.
func (db *DB) RescoreByID(ctx context.Context, id string) (Rescore, error) {
	r, err := scanRescore(db.sql.QueryRowContext(ctx, "SELECT "+rescoreCols+" FROM rescores WHERE id = $1", id).Scan)
	return r, notFound(err, "rescore "+id)
}

// DecideModeration records the lead's decision on a session's moderation
// and the marks that replace the site's, with the audit entry, in one
// transaction. ErrNotFound when the session has no moderation, ErrConflict
// when it is decided already.
func (db *DB) DecideModeration(ctx context.Context, sessionID, decision, by, note string, at time.Time, adjusted map[string]exam.Marks, audit func(*sql.Tx) error) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		var held string
		if err := tx.QueryRowContext(ctx, "SELECT decision FROM moderations WHERE session_id = $1", sessionID).Scan(&held); err != nil {
			return notFound(err, "moderation of session "+sessionID)
		}
		if held != "" {
			return fmt.Errorf("moderation of session %s: decided already (%s): %w", sessionID, held, ErrConflict)
		}
		if _, err := tx.ExecContext(ctx, "UPDATE moderations SET decision = $1, decided_by = $2, decided_at = $3, note = $4 WHERE session_id = $5",
			decision, by, micros(at), note, sessionID); err != nil {
			return err
		}
		for ticket, ms := range adjusted {
			for item, m := range ms {
				b, err := json.Marshal(m)
				if err != nil {
					return err
				}
				if _, err := tx.ExecContext(ctx, "INSERT INTO moderated_marks (session_id, ticket, item_id, marks) VALUES ($1, $2, $3, $4)", sessionID, ticket, item, string(b)); err != nil {
					return err
				}
			}
		}
		return audit(tx)
	})
}

// ModeratedMarks returns the marks that replace a session's site marks, by
// ticket and item.
func (db *DB) ModeratedMarks(ctx context.Context, sessionID string) (map[string]exam.Marks, error) {
	out := map[string]exam.Marks{}
	err := queryEach(ctx, db.sql, "SELECT ticket, item_id, marks FROM moderated_marks WHERE session_id = $1", []any{sessionID}, func(scan func(...any) error) error {
		var t, item, marks string
		if err := scan(&t, &item, &marks); err != nil {
			return err
		}
		if out[t] == nil {
			out[t] = exam.Marks{}
		}
		var v []float64
		err := json.Unmarshal([]byte(marks), &v)
		out[t][item] = v
		return err
	})
	return out, err
}

// SimilarFlag is a pair of near-identical essay scripts the lead flagged as
// suspected misconduct.
type SimilarFlag struct {
	SessionID        string
	ItemID           string
	ScriptA, ScriptB string // ScriptA < ScriptB
	Similarity       float64
	By               string
	At               time.Time
	Note             string
}

// PutSimilarFlag records a flag, with its audit entry; ErrExists when the
// pair is flagged already.
func (db *DB) PutSimilarFlag(ctx context.Context, f SimilarFlag, audit func(*sql.Tx) error) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "INSERT INTO similar_flags (session_id, item_id, script_a, script_b, similarity, flagged_by, flagged_at, note) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
			f.SessionID, f.ItemID, f.ScriptA, f.ScriptB, f.Similarity, f.By, micros(f.At), f.Note)
		if isUnique(err) {
			return fmt.Errorf("pair %s %s: %w", f.ScriptA, f.ScriptB, ErrExists)
		}
		if err != nil {
			return err
		}
		return audit(tx)
	})
}

// SimilarFlags lists a session's flagged pairs.
func (db *DB) SimilarFlags(ctx context.Context, sessionID string) ([]SimilarFlag, error) {
	var out []SimilarFlag
	err := queryEach(ctx, db.sql, "SELECT session_id, item_id, script_a, script_b, similarity, flagged_by, flagged_at, note FROM similar_flags WHERE session_id = $1 ORDER BY item_id, script_a, script_b", []any{sessionID}, func(scan func(...any) error) error {
		var f SimilarFlag
		var at int64
		err := scan(&f.SessionID, &f.ItemID, &f.ScriptA, &f.ScriptB, &f.Similarity, &f.By, &at, &f.Note)
		f.At = fromMicros(at)
		out = append(out, f)
		return err
	})
	return out, err
}

// QualitySettings are a session's quality-control settings for an item
// ("" for every item of the session without its own).
type QualitySettings struct {
	SessionID    string
	ItemID       string
	ControlEvery int     // one control in every ControlEvery hand-outs; 0 none
	RemarkShare  float64 // share of a marker's finished scripts handed back for a re-mark
	Seed         string  // hex
	SetBy        string
	SetAt        time.Time
}

// PutQualitySettings sets (or replaces) settings, with the audit entry.
func (db *DB) PutQualitySettings(ctx context.Context, q QualitySettings, audit func(*sql.Tx) error) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "DELETE FROM quality_settings WHERE session_id = $1 AND item_id = $2", q.SessionID, q.ItemID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO quality_settings (session_id, item_id, control_every, remark_share, seed, set_by, set_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
			q.SessionID, q.ItemID, q.ControlEvery, q.RemarkShare, q.Seed, q.SetBy, micros(q.SetAt)); err != nil {
			return fmt.Errorf("quality settings of session %s: %w", q.SessionID, err)
		}
		return audit(tx)
	})
}

// AllQualitySettings lists every setting, by session and item.
func (db *DB) AllQualitySettings(ctx context.Context) ([]QualitySettings, error) {
	var out []QualitySettings
	err := queryEach(ctx, db.sql, "SELECT session_id, item_id, control_every, remark_share, seed, set_by, set_at FROM quality_settings ORDER BY session_id, item_id", nil, func(scan func(...any) error) error {
		var q QualitySettings
		var at int64
		err := scan(&q.SessionID, &q.ItemID, &q.ControlEvery, &q.RemarkShare, &q.Seed, &q.SetBy, &at)
		q.SetAt = fromMicros(at)
		out = append(out, q)
		return err
	})
	return out, err
}

// QualityMark is a mark given, with what the quality figures need of its
// script: the item it answers and, for a control, the known marks.
type QualityMark struct {
	Given
	SessionID    string // "" for a control script
	ItemID       string
	PaperID      string
	PaperVersion int
	Known        []float64 // a control script's known marks
}

// QualityMarks returns every mark given (not flags), voided ones left out,
// oldest first.
func (db *DB) QualityMarks(ctx context.Context) ([]QualityMark, error) {
	var out []QualityMark
	err := queryEach(ctx, db.sql, "SELECT "+givenCols+", s.session_id, s.item_id, s.paper_id, s.paper_version, s.known FROM marking_marks g JOIN scripts s ON s.id = g.script_id WHERE g.marks IS NOT NULL AND g.voided_at IS NULL ORDER BY g.id", nil, func(scan func(...any) error) error {
		var q QualityMark
		var known sql.NullString
		g, err := scanGiven(func(d ...any) error {
			return scan(append(d, &q.SessionID, &q.ItemID, &q.PaperID, &q.PaperVersion, &known)...)
		})
		if err != nil {
			return err
		}
		q.Given = g
		if known.Valid {
			if err := json.Unmarshal([]byte(known.String), &q.Known); err != nil {
				return err
			}
		}
		out = append(out, q)
		return nil
	})
	return out, err
}

// Seeding is what quality control needs to know of a marker before a
// hand-out (see server: seedQuality).
type Seeding struct {
	OpenControl bool   // the marker has an open control task
	OpenRemark  bool   // the marker has an open re-mark task
	Last        Script // the candidate script of the marker's latest live mark (first, second, third); ID "" for none
	Handouts    int    // the marker's live, control and re-mark marks on Last's session and item
}

// QualitySeeding reads a marker's Seeding. Control and re-mark tasks name
// their session and item in ref as "session/item".
func (db *DB) QualitySeeding(ctx context.Context, marker string) (Seeding, error) {
	var s Seeding
	var n int
	if err := db.sql.QueryRowContext(ctx, "SELECT COUNT(*) FROM marking_tasks WHERE only_marker = $1 AND purpose = 'control' AND done_at IS NULL", marker).Scan(&n); err != nil {
		return s, err
	}
	s.OpenControl = n > 0
	if err := db.sql.QueryRowContext(ctx, "SELECT COUNT(*) FROM marking_tasks WHERE only_marker = $1 AND purpose = 'remark' AND done_at IS NULL", marker).Scan(&n); err != nil {
		return s, err
	}
	s.OpenRemark = n > 0
	var lastID string
	err := db.sql.QueryRowContext(ctx, "SELECT script_id FROM marking_marks WHERE marker = $1 AND purpose IN ('first', 'second', 'third') ORDER BY id DESC LIMIT 1", marker).Scan(&lastID)
	if errors.Is(err, sql.ErrNoRows) {
		return s, nil
	}
	if err != nil {
		return s, err
	}
	if s.Last, err = db.Script(ctx, lastID); err != nil {
		return s, err
	}
	err = db.sql.QueryRowContext(ctx, `SELECT COUNT(*) FROM marking_marks g WHERE g.marker = $1 AND (
		(g.purpose IN ('first', 'second', 'third') AND EXISTS (SELECT 1 FROM scripts s WHERE s.id = g.script_id AND s.session_id = $2 AND s.item_id = $3))
		OR (g.purpose IN ('control', 'remark') AND EXISTS (SELECT 1 FROM marking_tasks t WHERE t.id = g.task_id AND t.ref = $4)))`,
		marker, s.Last.SessionID, s.Last.ItemID, s.Last.SessionID+"/"+s.Last.ItemID).Scan(&s.Handouts)
	return s, err
}

// ControlScriptsFor lists the ids of the control scripts of a paper's item
// that the marker has not marked, in id order.
func (db *DB) ControlScriptsFor(ctx context.Context, marker, paperID string, version int, itemID string) ([]string, error) {
	var out []string
	err := queryEach(ctx, db.sql, `SELECT s.id FROM scripts s WHERE s.session_id = '' AND s.state = $1 AND s.paper_id = $2 AND s.paper_version = $3 AND s.item_id = $4
		AND NOT EXISTS (SELECT 1 FROM marking_marks g WHERE g.script_id = s.id AND g.marker = $5) ORDER BY s.id`,
		[]any{ScriptControl, paperID, version, itemID, marker}, func(scan func(...any) error) error {
			var id string
			err := scan(&id)
			out = append(out, id)
			return err
		})
	return out, err
}

// RemarkCandidates lists the scripts of a session's item the marker gave a
// live mark (not voided), leaving out the latest skip of them and those the
// marker has a re-mark task on, oldest mark first.
func (db *DB) RemarkCandidates(ctx context.Context, marker, sessionID, itemID string, skip int) ([]string, error) {
	var all []string
	err := queryEach(ctx, db.sql, `SELECT g.script_id FROM marking_marks g JOIN scripts s ON s.id = g.script_id
		WHERE g.marker = $1 AND g.purpose IN ('first', 'second', 'third') AND g.marks IS NOT NULL AND g.voided_at IS NULL AND s.state IN ('marking', 'final')
		AND s.session_id = $2 AND s.item_id = $3
		AND NOT EXISTS (SELECT 1 FROM marking_tasks t WHERE t.script_id = g.script_id AND t.purpose = 'remark' AND t.only_marker = $1)
		ORDER BY g.id`, []any{marker, sessionID, itemID}, func(scan func(...any) error) error {
		var id string
		err := scan(&id)
		all = append(all, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return all[:max(len(all)-skip, 0)], nil
}

// SendBack is a lead sending a marker's marks back for re-marking.
type SendBack struct {
	Marker string
	Since  time.Time // the marks given at or after it; zero: all
	By     string
	Now    time.Time
	// Next says what a script needs once the marks are voided, given its
	// marks left (unvoided, oldest first) and its open tasks: a final mark
	// (when those left resolve it) and the tasks to add. Tasks added are
	// fresh and keep the sent-back marker away.
	Next  func(s Script, kept []Given, open []Task) (Outcome, error)
	Audit func(marks, scripts int) AuditLine
}

// SendBackMarks voids a marker's live marks (first, second, third; since
// sb.Since) and, on each script they marked, the third and arbitration
// marks given after theirs (which weighed their mark), cancels the script's
// open third and arbitration tasks, reopens its final mark, and adds what
// sb.Next says it needs, all in one transaction with the audit entry. It
// returns how many marks were voided and scripts reopened. Marks are never
// deleted: voided_at and voided_by say when and by whom.
func (db *DB) SendBackMarks(ctx context.Context, sb SendBack) (int, int, error) {
	var voided, scripts int
	err := db.tx(ctx, func(tx *sql.Tx) error {
		type first struct {
			script string
			id     int64
		}
		var hits []first
		rows, err := tx.QueryContext(ctx, `SELECT g.script_id, MIN(g.id) FROM marking_marks g JOIN scripts s ON s.id = g.script_id
			WHERE g.marker = $1 AND g.voided_at IS NULL AND g.marks IS NOT NULL AND g.purpose IN ('first', 'second', 'third') AND g.at >= $2
			AND s.state IN ('marking', 'final') GROUP BY g.script_id ORDER BY g.script_id`, sb.Marker, micros(sb.Since))
		if err != nil {
			return err
		}
		for rows.Next() {
			var f first
			if err := rows.Scan(&f.script, &f.id); err != nil {
				rows.Close()
				return err
			}
			hits = append(hits, f)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		lock := ""
		if db.Engine == Postgres {
			lock = " FOR UPDATE"
		}
		for _, h := range hits {
			s, err := scanScript(tx.QueryRowContext(ctx, "SELECT "+scriptCols+" FROM scripts s WHERE s.id = $1"+lock, h.script).Scan)
			if err != nil {
				return err
			}
			res, err := tx.ExecContext(ctx, `UPDATE marking_marks SET voided_at = $1, voided_by = $2 WHERE script_id = $3 AND voided_at IS NULL
				AND ((marker = $4 AND marks IS NOT NULL AND purpose IN ('first', 'second', 'third') AND at >= $5) OR (purpose IN ('third', 'arbitrate') AND id > $6))`,
				micros(sb.Now), sb.By, s.ID, sb.Marker, micros(sb.Since), h.id)
			if err != nil {
				return err
			}
			n, _ := res.RowsAffected()
			voided += int(n)
			if _, err := tx.ExecContext(ctx, "UPDATE marking_tasks SET done_at = $1, outcome = $2 WHERE script_id = $3 AND done_at IS NULL AND purpose IN ('third', 'arbitrate')",
				micros(sb.Now), TaskCancelled, s.ID); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, "UPDATE scripts SET state = $1, final = NULL, how = '', final_at = NULL WHERE id = $2", ScriptMarking, s.ID); err != nil {
				return err
			}
			s.State, s.Final, s.How, s.FinalAt = ScriptMarking, nil, "", time.Time{}
			scripts++
			kept, err := scriptMarks(ctx, tx, s.ID, false)
			if err != nil {
				return err
			}
			var open []Task
			trows, err := tx.QueryContext(ctx, "SELECT "+taskCols+" FROM marking_tasks t WHERE t.script_id = $1 AND t.done_at IS NULL ORDER BY t.id", s.ID)
			if err != nil {
				return err
			}
			for trows.Next() {
				t, err := scanTask(trows.Scan)
				if err != nil {
					trows.Close()
					return err
				}
				open = append(open, t)
			}
			trows.Close()
			out, err := sb.Next(s, kept, open)
			if err != nil {
				return err
			}
			if out.Final != nil {
				b, err := json.Marshal(out.Final)
				if err != nil {
					return err
				}
				if _, err := tx.ExecContext(ctx, "UPDATE scripts SET state = $1, final = $2, how = $3, final_at = $4 WHERE id = $5", ScriptFinal, string(b), out.How, micros(sb.Now), s.ID); err != nil {
					return err
				}
			}
			for _, nt := range out.Add {
				nt.ScriptID, nt.Fresh, nt.Exclude = s.ID, true, append(nt.Exclude, sb.Marker)
				if _, err := addTask(ctx, tx, nt, sb.By, sb.Now); err != nil {
					return err
				}
			}
		}
		return auditIf(ctx, tx, sb.Audit(voided, scripts))
	})
	return voided, scripts, err
}

// PausedMarkers returns the markers paused now, with why.
func (db *DB) PausedMarkers(ctx context.Context) (map[string]string, error) {
	out := map[string]string{}
	err := queryEach(ctx, db.sql, "SELECT name, reason FROM markers WHERE paused = 1", nil, func(scan func(...any) error) error {
		var n, r string
		err := scan(&n, &r)
		out[n] = r
		return err
	})
	return out, err
}

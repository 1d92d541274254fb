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
		var m []float64
		if err := json.Unmarshal([]byte(marks), &m); err != nil {
			return err
		}
		if out[t] == nil {
			out[t] = exam.Marks{}
		}
		out[t][item] = m
		return nil
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

package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Approval is the approval that stands for a candidate's result: of the
// scores whose digest it holds; Published once published.
type Approval struct {
	Ticket      string
	Digest      string
	ApprovedBy  string
	ApprovedAt  time.Time
	PublishedBy string
	PublishedAt time.Time // zero until published
}

// Published reports whether the approval was published.
func (a Approval) Published() bool { return !a.PublishedAt.IsZero() }

// Approvals returns the approvals of a session's results by ticket.
func (db *DB) Approvals(ctx context.Context, sessionID string) (map[string]Approval, error) {
	out := map[string]Approval{}
	err := queryEach(ctx, db.sql, "SELECT ticket, digest, approved_by, approved_at, published_by, COALESCE(published_at, 0) FROM result_approvals WHERE session_id = $1",
		[]any{sessionID}, func(scan func(...any) error) error {
			var a Approval
			var at, pub int64
			if err := scan(&a.Ticket, &a.Digest, &a.ApprovedBy, &at, &a.PublishedBy, &pub); err != nil {
				return err
			}
			a.ApprovedAt = fromMicros(at)
			if pub != 0 {
				a.PublishedAt = fromMicros(pub)
			}
			out[a.Ticket] = a
			return nil
		})
	return out, err
}

// Approve records approvals of a session's results, each replacing any
// approval of the candidate's result before (one that lapsed when its
// scores changed), in one transaction with the audit entry, which detail
// makes of the tickets approved. A result with an appeal open (recorded
// since its scores were read) is left out. It returns the tickets approved.
func (db *DB) Approve(ctx context.Context, sessionID string, approvals []Approval, by string, at time.Time, action string, detail func(approved []string) string) ([]string, error) {
	var done []string
	err := db.tx(ctx, func(tx *sql.Tx) error {
		done = nil
		if err := db.lockSession(ctx, tx, sessionID); err != nil {
			return err
		}
		for _, a := range approvals {
			res, err := tx.ExecContext(ctx, `INSERT INTO result_approvals (session_id, ticket, digest, approved_by, approved_at)
				SELECT $1, $2, $3, $4, $5 WHERE NOT EXISTS (SELECT 1 FROM appeals WHERE session_id = $1 AND ticket = $2 AND outcome = '')
				ON CONFLICT (session_id, ticket) DO UPDATE SET digest = excluded.digest, approved_by = excluded.approved_by,
				approved_at = excluded.approved_at, published_by = '', published_at = NULL`,
				sessionID, a.Ticket, a.Digest, by, micros(at))
			if err != nil {
				return fmt.Errorf("approve %s of session %s: %w", a.Ticket, sessionID, err)
			}
			if n, _ := res.RowsAffected(); n > 0 {
				done = append(done, a.Ticket)
			}
		}
		if len(done) == 0 {
			return nil
		}
		return appendAudit(ctx, tx, by, action, detail(done))
	})
	return done, err
}

// lockSession serialises the changes of a session's approvals and appeals:
// on PostgreSQL by locking the session's row, on SQLite by its one writer.
func (db *DB) lockSession(ctx context.Context, tx *sql.Tx, sessionID string) error {
	if db.Engine != Postgres {
		return nil
	}
	var id string
	err := tx.QueryRowContext(ctx, "SELECT id FROM sessions WHERE id = $1 FOR UPDATE", sessionID).Scan(&id)
	return notFound(err, "session "+sessionID)
}

// Publication is a result published: what certificates are issued from.
type Publication struct {
	ID          int64
	SessionID   string
	Ticket      string
	Digest      string
	Total, Max  float64
	Passed      bool
	Absent      bool
	PublishedBy string
	PublishedAt time.Time
}

// Publish publishes approved results of a session: each whose approval
// still holds the digest given and is not published yet is marked
// published and added to the publications, in one transaction with the
// audit entry, which detail makes of the tickets published. It returns the
// tickets published; one whose approval changed meanwhile is left out.
func (db *DB) Publish(ctx context.Context, sessionID string, pubs []Publication, by string, at time.Time, action string, detail func(published []string) string) ([]string, error) {
	var done []string
	err := db.tx(ctx, func(tx *sql.Tx) error {
		done = nil
		if err := db.lockSession(ctx, tx, sessionID); err != nil {
			return err
		}
		for _, p := range pubs {
			res, err := tx.ExecContext(ctx, "UPDATE result_approvals SET published_by = $1, published_at = $2 WHERE session_id = $3 AND ticket = $4 AND digest = $5 AND published_at IS NULL",
				by, micros(at), sessionID, p.Ticket, p.Digest)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				continue
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO publications (session_id, ticket, digest, total, max_points, passed, absent, published_by, published_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, sessionID, p.Ticket, p.Digest, p.Total, p.Max, boolInt(p.Passed), boolInt(p.Absent), by, micros(at)); err != nil {
				return err
			}
			done = append(done, p.Ticket)
		}
		if len(done) == 0 {
			return nil
		}
		return appendAudit(ctx, tx, by, action, detail(done))
	})
	return done, err
}

// Publications lists the publications after the one with id after, oldest
// first, at most limit: the hook certificates are issued from.
func (db *DB) Publications(ctx context.Context, after int64, limit int) ([]Publication, error) {
	return queryAll(ctx, db, `SELECT id, session_id, ticket, digest, total, max_points, passed, absent, published_by, published_at
		FROM publications WHERE id > $1 ORDER BY id LIMIT $2`, []any{after, limit}, func(scan func(...any) error) (Publication, error) {
		var p Publication
		var passed, absent int
		var at int64
		err := scan(&p.ID, &p.SessionID, &p.Ticket, &p.Digest, &p.Total, &p.Max, &passed, &absent, &p.PublishedBy, &at)
		p.Passed, p.Absent, p.PublishedAt = passed == 1, absent == 1, fromMicros(at)
		return p, err
	})
}

// Appeal outcomes.
const (
	AppealOpen      = ""          // being re-marked, or the re-mark awaits its outcome
	AppealUnchanged = "unchanged" // the final mark stays
	AppealChanged   = "changed"   // the re-mark replaced the final mark
)

// Appeal is a candidate's appeal of one item's mark.
type Appeal struct {
	ID         int64
	SessionID  string
	Ticket     string
	ItemID     string
	Reason     string
	ReceivedOn string // the date the request was received, YYYY-MM-DD
	RecordedBy string
	RecordedAt time.Time
	Before     []float64 // the item's marks when the appeal was recorded; nil when it had none
	TaskID     int64     // marking's appeal task; 0 when there is none (yet)
	Remark     []float64 // the re-mark; nil until given
	RemarkedBy string
	RemarkedAt time.Time
	Outcome    string // AppealOpen, AppealUnchanged or AppealChanged
	After      []float64
	ClosedBy   string
	ClosedAt   time.Time
	Note       string
}

// ErrAppealOpen is an appeal of an item that has an open appeal already.
var ErrAppealOpen = errors.New("the item has an open appeal already")

// ErrAppealClosed is a change to an appeal closed already.
var ErrAppealClosed = errors.New("the appeal is closed already")

// ErrRemarked is a second re-mark of an appeal.
var ErrRemarked = errors.New("the appeal is re-marked already")

// AddAppeals records appeals, withdraws the approval of every candidate's
// result they name (it must be given again once they are closed), and
// writes the audit entry, in one transaction. The appeals get their ids.
// An item with an open appeal already is refused with ErrAppealOpen, and
// nothing is recorded.
func (db *DB) AddAppeals(ctx context.Context, appeals []Appeal, action string, detail func([]Appeal) string) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		if err := db.lockSession(ctx, tx, appeals[0].SessionID); err != nil {
			return err
		}
		for i := range appeals {
			a := &appeals[i]
			before, err := marksJSON(a.Before)
			if err != nil {
				return err
			}
			err = tx.QueryRowContext(ctx, `INSERT INTO appeals (session_id, ticket, item_id, reason, received_on, recorded_by, recorded_at, before_marks)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`, a.SessionID, a.Ticket, a.ItemID, a.Reason, a.ReceivedOn, a.RecordedBy, micros(a.RecordedAt), before).Scan(&a.ID)
			if isUnique(err) {
				return fmt.Errorf("appeal of item %s of %s: %w", a.ItemID, a.Ticket, ErrAppealOpen)
			}
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, "DELETE FROM result_approvals WHERE session_id = $1 AND ticket = $2", a.SessionID, a.Ticket); err != nil {
				return err
			}
		}
		return appendAudit(ctx, tx, appeals[0].RecordedBy, action, detail(appeals))
	})
}

// SetAppealTask records the marking task that re-marks an appeal.
func (db *DB) SetAppealTask(ctx context.Context, id, taskID int64) error {
	_, err := db.sql.ExecContext(ctx, "UPDATE appeals SET task_id = $1 WHERE id = $2", taskID, id)
	return err
}

// RecordRemark records an open appeal's re-mark, with its audit entry.
func (db *DB) RecordRemark(ctx context.Context, id int64, marks []float64, by string, at time.Time, action, detail string) error {
	m, err := marksJSON(marks)
	if err != nil {
		return err
	}
	return db.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "UPDATE appeals SET remark = $1, remarked_by = $2, remarked_at = $3 WHERE id = $4 AND outcome = '' AND remark = ''", m, by, micros(at), id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			if err := db.appealGone(ctx, tx, id); err != nil {
				return err
			}
			return fmt.Errorf("appeal %d: %w", id, ErrRemarked)
		}
		return appendAudit(ctx, tx, by, action, detail)
	})
}

// CloseAppeal records an open appeal's outcome, with its audit entry; a
// changed outcome's marks (after) replace the item's final marks in results
// from then on. An appeal closed already is refused with ErrAppealClosed.
func (db *DB) CloseAppeal(ctx context.Context, id int64, outcome string, after []float64, by string, at time.Time, note, action, detail string) error {
	if outcome != AppealUnchanged && outcome != AppealChanged {
		return fmt.Errorf("appeal %d: %q is not an outcome", id, outcome)
	}
	m := ""
	if outcome == AppealChanged {
		var err error
		if m, err = marksJSON(after); err != nil {
			return err
		}
	}
	return db.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "UPDATE appeals SET outcome = $1, after_marks = $2, closed_by = $3, closed_at = $4, note = $5 WHERE id = $6 AND outcome = ''",
			outcome, m, by, micros(at), note, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			if err := db.appealGone(ctx, tx, id); err != nil {
				return err
			}
			return fmt.Errorf("appeal %d: not closed", id)
		}
		return appendAudit(ctx, tx, by, action, detail)
	})
}

// appealGone says why an open appeal was not found: ErrNotFound or
// ErrAppealClosed; nil when it is there and open.
func (db *DB) appealGone(ctx context.Context, tx *sql.Tx, id int64) error {
	var outcome string
	err := tx.QueryRowContext(ctx, "SELECT outcome FROM appeals WHERE id = $1", id).Scan(&outcome)
	switch {
	case err != nil:
		return notFound(err, fmt.Sprintf("appeal %d", id))
	case outcome != AppealOpen:
		return fmt.Errorf("appeal %d: %w", id, ErrAppealClosed)
	}
	return nil
}

const appealCols = `id, session_id, ticket, item_id, reason, received_on, recorded_by, recorded_at, before_marks, COALESCE(task_id, 0),
	remark, remarked_by, COALESCE(remarked_at, 0), outcome, after_marks, closed_by, COALESCE(closed_at, 0), note`

func scanAppeal(scan func(...any) error) (Appeal, error) {
	var a Appeal
	var recorded, remarked, closed int64
	var before, remark, after string
	if err := scan(&a.ID, &a.SessionID, &a.Ticket, &a.ItemID, &a.Reason, &a.ReceivedOn, &a.RecordedBy, &recorded, &before, &a.TaskID,
		&remark, &a.RemarkedBy, &remarked, &a.Outcome, &after, &a.ClosedBy, &closed, &a.Note); err != nil {
		return a, err
	}
	a.RecordedAt = fromMicros(recorded)
	if remarked != 0 {
		a.RemarkedAt = fromMicros(remarked)
	}
	if closed != 0 {
		a.ClosedAt = fromMicros(closed)
	}
	for _, m := range []struct {
		s   string
		dst *[]float64
	}{{before, &a.Before}, {remark, &a.Remark}, {after, &a.After}} {
		if m.s != "" && m.s != "null" {
			if err := json.Unmarshal([]byte(m.s), m.dst); err != nil {
				return a, fmt.Errorf("appeal %d: %w", a.ID, err)
			}
		}
	}
	return a, nil
}

// Appeals lists the appeals of a session, or of every session when
// sessionID is empty: the open ones first, then the newest first.
func (db *DB) Appeals(ctx context.Context, sessionID string) ([]Appeal, error) {
	return queryAll(ctx, db, "SELECT "+appealCols+" FROM appeals WHERE session_id = $1 OR $1 = '' ORDER BY outcome <> '', id DESC", []any{sessionID}, scanAppeal)
}

// queryAll runs a query and scans each row with scanRow.
func queryAll[T any](ctx context.Context, db *DB, query string, args []any, scanRow func(scan func(...any) error) (T, error)) ([]T, error) {
	var out []T
	err := queryEach(ctx, db.sql, query, args, func(scan func(...any) error) error {
		v, err := scanRow(scan)
		out = append(out, v)
		return err
	})
	return out, err
}

// Appeal returns one appeal, or ErrNotFound.
func (db *DB) Appeal(ctx context.Context, id int64) (Appeal, error) {
	a, err := scanAppeal(db.sql.QueryRowContext(ctx, "SELECT "+appealCols+" FROM appeals WHERE id = $1", id).Scan)
	return a, notFound(err, fmt.Sprintf("appeal %d", id))
}

func marksJSON(m []float64) (string, error) {
	if m == nil {
		return "", nil
	}
	b, err := json.Marshal(m)
	return string(b), err
}

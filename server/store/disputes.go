package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Decisions of a dispute.
const (
	KeepHeld  = "held"  // the record results followed stays
	TakeOther = "other" // the other record replaces it
)

// Dispute is a record about what central holds one of already that did not
// simply follow it (see succeed), kept for the office: the record held and
// the other one, and the office's decision once made.
type Dispute struct {
	ID        int64
	SessionID string
	Kind      string // the records' kind
	Ticket    string
	ItemID    string // marks: the practical item
	Held      RecordInfo
	Other     RecordInfo
	Reason    string
	OpenedAt  time.Time
	Decision  string // "" while open, KeepHeld or TakeOther
	DecidedBy string
	DecidedAt time.Time
	Why       string
}

// RecordInfo is a stored record as the office weighs it.
type RecordInfo struct {
	RecordID   string
	DeviceID   string
	Epoch      uint64
	Seq        uint64
	Hash       []byte
	Created    time.Time // as the device says
	ReceivedAt time.Time
	SkewMS     *int64 // measured on the batch that brought it; nil when not measured
	TimeFlag   string
	Payload    []byte
}

// recordInfoCols are the columns of a RecordInfo in table records as alias.
func recordInfoCols(alias string) string {
	cols := []string{"record_id", "device_id", "epoch", "dseq", "hash", "created_at", "received_at", "skew_ms", "time_flag", "payload"}
	for i, c := range cols {
		cols[i] = alias + "." + c
	}
	return strings.Join(cols, ", ")
}

// scanRecordInfo returns where to scan recordInfoCols into ri, and what to
// call after the scan.
func scanRecordInfo(ri *RecordInfo) (dest []any, done func()) {
	var epoch, seq, created, received int64
	var skew sql.NullInt64
	return []any{&ri.RecordID, &ri.DeviceID, &epoch, &seq, &ri.Hash, &created, &received, &skew, &ri.TimeFlag, &ri.Payload}, func() {
		ri.Epoch, ri.Seq, ri.Created, ri.ReceivedAt = uint64(epoch), uint64(seq), fromMicros(created), fromMicros(received)
		if skew.Valid {
			ri.SkewMS = &skew.Int64
		}
	}
}

var disputeQuery = `SELECT d.id, d.session_id, d.kind, d.ticket, d.item_id, d.reason, d.opened_at, d.decision, d.decided_by, COALESCE(d.decided_at, 0), d.why, ` +
	recordInfoCols("h") + `, ` + recordInfoCols("o") + `
	FROM disputes d JOIN records h ON h.record_id = d.held_record JOIN records o ON o.record_id = d.other_record`

func scanDispute(scan func(...any) error) (Dispute, error) {
	var d Dispute
	var opened, decided int64
	held, heldDone := scanRecordInfo(&d.Held)
	other, otherDone := scanRecordInfo(&d.Other)
	dest := append([]any{&d.ID, &d.SessionID, &d.Kind, &d.Ticket, &d.ItemID, &d.Reason, &opened, &d.Decision, &d.DecidedBy, &decided, &d.Why}, held...)
	if err := scan(append(dest, other...)...); err != nil {
		return d, err
	}
	heldDone()
	otherDone()
	d.OpenedAt = fromMicros(opened)
	if decided != 0 {
		d.DecidedAt = fromMicros(decided)
	}
	return d, nil
}

// Disputes lists the disputes of a session, or of every session when
// sessionID is empty: the open ones first, then the newest first.
func (db *DB) Disputes(ctx context.Context, sessionID string) ([]Dispute, error) {
	var out []Dispute
	err := queryEach(ctx, db.sql, disputeQuery+" WHERE d.session_id = $1 OR $1 = '' ORDER BY d.decision <> '', d.id DESC", []any{sessionID},
		func(scan func(...any) error) error {
			d, err := scanDispute(scan)
			out = append(out, d)
			return err
		})
	return out, err
}

// Dispute returns one dispute, or ErrNotFound.
func (db *DB) Dispute(ctx context.Context, id int64) (Dispute, error) {
	d, err := scanDispute(db.sql.QueryRowContext(ctx, disputeQuery+" WHERE d.id = $1", id).Scan)
	return d, notFound(err, fmt.Sprintf("conflict %d", id))
}

// DecidedError is a decision on a dispute decided already.
type DecidedError struct {
	ID  int64
	By  string
	At  time.Time
	Was string // KeepHeld or TakeOther
}

func (e *DecidedError) Error() string {
	return fmt.Sprintf("conflict %d was decided already, by %s at %s", e.ID, e.By, e.At.Format(time.RFC3339))
}

// Unwrap makes errors.Is(err, ErrConflict) true.
func (e *DecidedError) Unwrap() error { return ErrConflict }

// Decision is the office's decision on a dispute.
type Decision struct {
	ID      int64
	Keep    string // KeepHeld or TakeOther
	Other   Effect // what the other record sets, when it is taken
	By, Why string
	At      time.Time
	Audit   func(d Dispute) (action, detail string) // the audit entry, written in the same transaction
}

// ErrChanged is a decision on a dispute whose record held changed while it
// was being decided (a correction of it arrived): decide again.
var ErrChanged = errors.New("the record held changed meanwhile")

// Decide records the office's decision on an open dispute, in one
// transaction with its audit entry. Taking the other record sets its effect
// in place of the one held; the other open disputes of the same slot then
// weigh their records against it. A dispute decided already is refused with
// a *DecidedError and changes nothing. (Like ingest, it changes the slot
// before the disputes, so that the two never wait on each other.)
func (db *DB) Decide(ctx context.Context, dec Decision) error {
	if dec.Keep != KeepHeld && dec.Keep != TakeOther || dec.Keep == TakeOther && dec.Other == nil {
		return fmt.Errorf("decide conflict %d: %q is not a decision", dec.ID, dec.Keep)
	}
	return db.tx(ctx, func(tx *sql.Tx) error {
		d, err := scanDispute(tx.QueryRowContext(ctx, disputeQuery+" WHERE d.id = $1", dec.ID).Scan)
		if err != nil {
			return notFound(err, fmt.Sprintf("conflict %d", dec.ID))
		}
		if dec.Keep == TakeOther && d.Decision == "" {
			o := d.Other
			ok, err := set(ctx, tx, dec.Other, &Incoming{RecordID: o.RecordID, SessionID: d.SessionID, Created: o.Created}, d.Held.RecordID)
			if err != nil {
				return fmt.Errorf("decide conflict %d: %w", d.ID, err)
			}
			if !ok {
				return db.changed(ctx, tx, d.ID)
			}
			if _, err := tx.ExecContext(ctx, "UPDATE disputes SET held_record = $1 WHERE held_record = $2 AND decision = '' AND id <> $3", o.RecordID, d.Held.RecordID, d.ID); err != nil {
				return err
			}
		}
		res, err := tx.ExecContext(ctx, "UPDATE disputes SET decision = $1, decided_by = $2, decided_at = $3, why = $4 WHERE id = $5 AND decision = ''",
			dec.Keep, dec.By, micros(dec.At), dec.Why, dec.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return db.changed(ctx, tx, d.ID)
		}
		action, detail := dec.Audit(d)
		return appendAudit(ctx, tx, dec.By, action, detail)
	})
}

// changed says why a decision found its dispute other than it read it: a
// *DecidedError when another decision came first, else ErrChanged.
func (db *DB) changed(ctx context.Context, tx *sql.Tx, id int64) error {
	d, err := scanDispute(tx.QueryRowContext(ctx, disputeQuery+" WHERE d.id = $1", id).Scan)
	switch {
	case err != nil:
		return err
	case d.Decision != "":
		return &DecidedError{ID: d.ID, By: d.DecidedBy, At: d.DecidedAt, Was: d.Decision}
	}
	return fmt.Errorf("decide conflict %d: %w", id, ErrChanged)
}

// Standings of a submission record, as the public receipt check tells them.
const (
	StandingCounted  = "counted"   // results follow it
	StandingReview   = "review"    // it, or another submission for the same candidate, waits for the office
	StandingSetAside = "set-aside" // results follow another submission for the candidate
)

// SubmissionStanding says whether results follow a stored submission record.
func (db *DB) SubmissionStanding(ctx context.Context, sessionID, recordID string) (string, error) {
	var ticket string
	err := db.sql.QueryRowContext(ctx, "SELECT ticket FROM submissions WHERE session_id = $1 AND record_id = $2", sessionID, recordID).Scan(&ticket)
	if err == nil {
		var open int
		err := db.sql.QueryRowContext(ctx, "SELECT COUNT(*) FROM disputes WHERE session_id = $1 AND kind = 'submission' AND ticket = $2 AND decision = ''",
			sessionID, ticket).Scan(&open)
		if open > 0 {
			return StandingReview, err
		}
		return StandingCounted, err
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return "", err
	}
	var decision string
	err = db.sql.QueryRowContext(ctx, "SELECT decision FROM disputes WHERE other_record = $1", recordID).Scan(&decision)
	switch {
	case err == nil && decision == "":
		return StandingReview, nil
	case err == nil || errors.Is(err, sql.ErrNoRows):
		return StandingSetAside, nil
	}
	return "", err
}

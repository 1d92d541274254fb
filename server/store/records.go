package store

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"onex/exam"
)

// Incoming is a record central has verified and opened, ready to store.
type Incoming struct {
	RecordID  string
	DeviceID  string
	Epoch     uint64
	Seq       uint64
	Prev      []byte
	Hash      []byte
	Kind      string
	SessionID string
	Created   time.Time
	Envelope  []byte
	Payload   []byte
	Effect    Effect // what else the record changes; nil for none
}

// Effect is what a record changes besides being stored, applied in the same
// transaction: attendance, a submission or practical marks.
type Effect interface {
	apply(ctx context.Context, tx *sql.Tx, rec *Incoming) error
}

// Attendance is the effect of a check-in record.
type Attendance struct{ Ticket, Status string }

// Submission is the effect of a submission record. Of two submissions for
// one candidate, the one the device made later wins.
type Submission struct {
	Ticket  string
	Answers map[string]exam.Answer
	Forced  bool
}

// Marks is the effect of a practical-score record.
type Marks struct {
	Ticket, ItemID, Examiner string
	Marks                    []float64
}

func (a Attendance) apply(ctx context.Context, tx *sql.Tx, rec *Incoming) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO attendance (session_id, ticket, status, created_at, record_id) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (session_id, ticket) DO UPDATE SET status = excluded.status, created_at = excluded.created_at, record_id = excluded.record_id
		WHERE excluded.created_at >= attendance.created_at`, rec.SessionID, a.Ticket, a.Status, micros(rec.Created), rec.RecordID)
	return err
}

func (s Submission) apply(ctx context.Context, tx *sql.Tx, rec *Incoming) error {
	answers, err := json.Marshal(s.Answers)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO submissions (session_id, ticket, answers, forced, created_at, record_id) VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (session_id, ticket) DO UPDATE SET answers = excluded.answers, forced = excluded.forced, created_at = excluded.created_at, record_id = excluded.record_id
		WHERE excluded.created_at > submissions.created_at`, rec.SessionID, s.Ticket, string(answers), boolInt(s.Forced), micros(rec.Created), rec.RecordID)
	return err
}

func (m Marks) apply(ctx context.Context, tx *sql.Tx, rec *Incoming) error {
	marks, err := json.Marshal(m.Marks)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO marks (session_id, ticket, item_id, marks, examiner, created_at, record_id) VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (session_id, ticket, item_id) DO UPDATE SET marks = excluded.marks, examiner = excluded.examiner, created_at = excluded.created_at, record_id = excluded.record_id
		WHERE excluded.created_at > marks.created_at`, rec.SessionID, m.Ticket, m.ItemID, string(marks), m.Examiner, micros(rec.Created), rec.RecordID)
	return err
}

// Stored says what became of one incoming record.
type Stored struct {
	Outcome string // "accepted", "duplicate" or "conflict"
	Receipt []byte // for accepted and duplicate
	Reason  string // for conflict
}

// Outcomes of Stored.
const (
	OutcomeAccepted  = "accepted"
	OutcomeDuplicate = "duplicate"
	OutcomeConflict  = "conflict"
)

// Ingest stores records in one transaction, idempotently by record id and by
// (device, epoch, seq). A record already stored with the same hash answers
// with its original receipt; the same id or chain position with another
// hash is kept in conflicts, never overwriting. sign makes the receipt of a
// newly stored record from central's sequence number for it; the receipt is
// stored with the record, and Ingest returns only after the commit.
func (db *DB) Ingest(ctx context.Context, recs []Incoming, now time.Time, sign func(rec *Incoming, seq int64) ([]byte, error)) ([]Stored, error) {
	out := make([]Stored, len(recs))
	err := db.tx(ctx, func(tx *sql.Tx) error {
		seqs := db.sequencer(ctx, tx)
		for i := range recs {
			s, err := ingestOne(ctx, tx, &recs[i], now, seqs, sign)
			if err != nil {
				return fmt.Errorf("record %s: %w", recs[i].RecordID, err)
			}
			out[i] = s
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// sequencer returns the source of central's record sequence numbers within a
// transaction: PostgreSQL's identity sequence, or, in SQLite, whose write
// transactions are exclusive, one past the highest number stored.
func (db *DB) sequencer(ctx context.Context, tx *sql.Tx) func() (int64, error) {
	if db.Engine == Postgres {
		return func() (int64, error) {
			var seq int64
			err := tx.QueryRowContext(ctx, "SELECT nextval(pg_get_serial_sequence('records', 'seq'))").Scan(&seq)
			return seq, err
		}
	}
	var last int64 = -1
	return func() (int64, error) {
		if last < 0 {
			if err := tx.QueryRowContext(ctx, "SELECT COALESCE(MAX(seq), 0) FROM records").Scan(&last); err != nil {
				return 0, err
			}
		}
		last++
		return last, nil
	}
}

func ingestOne(ctx context.Context, tx *sql.Tx, rec *Incoming, now time.Time, nextSeq func() (int64, error), sign func(*Incoming, int64) ([]byte, error)) (Stored, error) {
	var other string
	var hash, receipt []byte
	err := tx.QueryRowContext(ctx, `SELECT record_id, hash, receipt FROM records
		WHERE record_id = $1 OR (device_id = $2 AND epoch = $3 AND dseq = $4) ORDER BY record_id = $1 DESC LIMIT 1`,
		rec.RecordID, rec.DeviceID, int64(rec.Epoch), int64(rec.Seq)).Scan(&other, &hash, &receipt)
	switch {
	case err == nil && other == rec.RecordID && bytes.Equal(hash, rec.Hash):
		return Stored{Outcome: OutcomeDuplicate, Receipt: receipt}, nil
	case err == nil && other == rec.RecordID:
		return conflict(ctx, tx, rec, now, "record id already stored with other content")
	case err == nil:
		return conflict(ctx, tx, rec, now, fmt.Sprintf("chain position epoch %d seq %d already holds record %s", rec.Epoch, rec.Seq, other))
	case err != sql.ErrNoRows:
		return Stored{}, err
	}
	seq, err := nextSeq()
	if err != nil {
		return Stored{}, err
	}
	if receipt, err = sign(rec, seq); err != nil {
		return Stored{}, err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO records (seq, record_id, device_id, epoch, dseq, prev_hash, hash, kind, session_id, created_at, received_at, envelope, payload, receipt)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
		seq, rec.RecordID, rec.DeviceID, int64(rec.Epoch), int64(rec.Seq), rec.Prev, rec.Hash, rec.Kind, rec.SessionID,
		micros(rec.Created), micros(now), rec.Envelope, rec.Payload, receipt)
	if err != nil {
		return Stored{}, err
	}
	if rec.Effect != nil {
		if err := rec.Effect.apply(ctx, tx, rec); err != nil {
			return Stored{}, err
		}
	}
	return Stored{Outcome: OutcomeAccepted, Receipt: receipt}, nil
}

func conflict(ctx context.Context, tx *sql.Tx, rec *Incoming, now time.Time, reason string) (Stored, error) {
	_, err := tx.ExecContext(ctx, "INSERT INTO conflicts (record_id, device_id, hash, envelope, reason, received_at) VALUES ($1, $2, $3, $4, $5, $6)",
		rec.RecordID, rec.DeviceID, rec.Hash, rec.Envelope, reason, micros(now))
	return Stored{Outcome: OutcomeConflict, Reason: reason}, err
}

// Link is one record's place in its device's chain.
type Link struct {
	Epoch    uint64
	Seq      uint64
	Prev     []byte
	Hash     []byte
	RecordID string
}

// Chain returns a device's records in chain order.
func (db *DB) Chain(ctx context.Context, deviceID string) ([]Link, error) {
	rows, err := db.sql.QueryContext(ctx, "SELECT epoch, dseq, prev_hash, hash, record_id FROM records WHERE device_id = $1 ORDER BY epoch, dseq", deviceID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Link
	for rows.Next() {
		var l Link
		var epoch, seq int64
		if err := rows.Scan(&epoch, &seq, &l.Prev, &l.Hash, &l.RecordID); err != nil {
			return nil, err
		}
		l.Epoch, l.Seq = uint64(epoch), uint64(seq)
		out = append(out, l)
	}
	return out, rows.Err()
}

// Received is a record as central received it.
type Received struct {
	RecordID   string
	SessionID  string
	ReceivedAt time.Time
}

// ReceivedByHash returns the first record of a kind received whose envelope
// hash begins with prefix (a receipt code's bytes), or ErrNotFound.
func (db *DB) ReceivedByHash(ctx context.Context, kind string, prefix []byte) (Received, error) {
	lo, hi := make([]byte, 32), bytes.Repeat([]byte{0xff}, 32)
	copy(lo, prefix)
	copy(hi, prefix)
	var r Received
	var at int64
	err := db.sql.QueryRowContext(ctx, `SELECT record_id, session_id, received_at FROM records
		WHERE hash >= $1 AND hash <= $2 AND kind = $3 ORDER BY seq LIMIT 1`, lo, hi, kind).Scan(&r.RecordID, &r.SessionID, &at)
	r.ReceivedAt = fromMicros(at)
	return r, notFound(err, "record")
}

// SessionRecords is what a session's results are computed from.
type SessionRecords struct {
	Attendance  map[string]string // ticket -> status
	Submissions map[string]Submission
	Marks       map[string]exam.Marks // ticket -> item -> marks
	Devices     map[string]bool       // devices that sent records for the session
}

// SessionRecords returns the attendance, submissions and marks of a session.
func (db *DB) SessionRecords(ctx context.Context, sessionID string) (*SessionRecords, error) {
	sr := &SessionRecords{Attendance: map[string]string{}, Submissions: map[string]Submission{}, Marks: map[string]exam.Marks{}, Devices: map[string]bool{}}
	err := queryEach(ctx, db.sql, "SELECT ticket, status FROM attendance WHERE session_id = $1", []any{sessionID}, func(scan func(...any) error) error {
		var t, s string
		err := scan(&t, &s)
		sr.Attendance[t] = s
		return err
	})
	if err != nil {
		return nil, err
	}
	err = queryEach(ctx, db.sql, "SELECT ticket, answers, forced FROM submissions WHERE session_id = $1", []any{sessionID}, func(scan func(...any) error) error {
		var s Submission
		var answers string
		var forced int
		if err := scan(&s.Ticket, &answers, &forced); err != nil {
			return err
		}
		s.Forced = forced == 1
		err := json.Unmarshal([]byte(answers), &s.Answers)
		sr.Submissions[s.Ticket] = s
		return err
	})
	if err != nil {
		return nil, err
	}
	err = queryEach(ctx, db.sql, "SELECT ticket, item_id, marks FROM marks WHERE session_id = $1", []any{sessionID}, func(scan func(...any) error) error {
		var t, item, marks string
		if err := scan(&t, &item, &marks); err != nil {
			return err
		}
		if sr.Marks[t] == nil {
			sr.Marks[t] = exam.Marks{}
		}
		var m []float64
		err := json.Unmarshal([]byte(marks), &m)
		sr.Marks[t][item] = m
		return err
	})
	if err != nil {
		return nil, err
	}
	err = queryEach(ctx, db.sql, "SELECT DISTINCT device_id FROM records WHERE session_id = $1", []any{sessionID}, func(scan func(...any) error) error {
		var d string
		err := scan(&d)
		sr.Devices[d] = true
		return err
	})
	return sr, err
}

func queryEach(ctx context.Context, q *sql.DB, query string, args []any, each func(scan func(...any) error) error) error {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := each(rows.Scan); err != nil {
			return err
		}
	}
	return rows.Err()
}

// Conflict is a record kept for review because its id or chain position was
// already taken by other content.
type Conflict struct {
	RecordID   string
	DeviceID   string
	Reason     string
	ReceivedAt time.Time
}

// Conflicts lists the conflicts, newest first.
func (db *DB) Conflicts(ctx context.Context) ([]Conflict, error) {
	var out []Conflict
	err := queryEach(ctx, db.sql, "SELECT record_id, device_id, reason, received_at FROM conflicts ORDER BY id DESC", nil, func(scan func(...any) error) error {
		var c Conflict
		var at int64
		err := scan(&c.RecordID, &c.DeviceID, &c.Reason, &at)
		c.ReceivedAt = fromMicros(at)
		out = append(out, c)
		return err
	})
	return out, err
}

package store

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
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
	Created   time.Time // as the device says
	Envelope  []byte
	Payload   []byte
	Effect    Effect       // what else the record changes; nil for none
	Piece     *HandInPiece // a piece of a handed-in file the record brings; nil for none
	SkewMS    *int64       // the device's clock less central's, measured on the batch; nil when not measured
	TimeFlag  string       // TimeEarly or TimeLate when Created is implausible for the session, else ""
}

// Time flags of a record whose device time is implausible for its session.
const (
	TimeEarly = "early"
	TimeLate  = "late"
)

// Effect is what a record changes besides being stored, applied in the same
// transaction: attendance, a submission or practical marks. Each sets one
// slot (a candidate's submission, check-in, or marks of one item); what
// happens when central holds a record in that slot already is succeed's
// rule.
type Effect interface {
	slot() slot
	// values are the slot's columns other than its key, created_at and
	// record_id, and what rec sets them to.
	values() ([]string, []any, error)
}

// slot is what an effect sets: a row of table for a ticket (and item).
type slot struct {
	table  string // attendance, submissions or marks
	ticket string
	item   string // marks only
	once   bool   // one record only: any other is a dispute, even from the same device
}

// Attendance is the effect of a check-in record.
type Attendance struct{ Ticket, Status string }

// Submission is the effect of a submission record: a candidate submits once.
type Submission struct {
	Ticket   string
	Answers  map[string]exam.Answer
	Forced   bool
	RecordID string // of the record held, as SessionRecords reads it; not stored from here
	// The paper's items marked at central: the submission's scripts are
	// made with it (putScripts). Not read back by SessionRecords.
	PaperID      string
	PaperVersion int
	Central      []CentralItem
}

// Marks is the effect of a practical-score record.
type Marks struct {
	Ticket, ItemID, Examiner string
	Marks                    []float64
}

func (a Attendance) slot() slot { return slot{table: "attendance", ticket: a.Ticket} }
func (s Submission) slot() slot { return slot{table: "submissions", ticket: s.Ticket, once: true} }
func (m Marks) slot() slot      { return slot{table: "marks", ticket: m.Ticket, item: m.ItemID} }

func (a Attendance) values() ([]string, []any, error) {
	return []string{"status"}, []any{a.Status}, nil
}

func (s Submission) values() ([]string, []any, error) {
	answers, err := json.Marshal(s.Answers)
	return []string{"answers", "forced", "scripted"}, []any{string(answers), boolInt(s.Forced), 1}, err
}

func (m Marks) values() ([]string, []any, error) {
	marks, err := json.Marshal(m.Marks)
	return []string{"marks", "examiner"}, []any{string(marks), m.Examiner}, err
}

// set writes eff, the effect of rec, into its slot: into the empty slot
// when replacing is "", else in place of the record replacing. It reports
// false when the slot was not so (another transaction set it meanwhile),
// and then changes nothing.
func set(ctx context.Context, tx *sql.Tx, eff Effect, rec *Incoming, replacing string) (bool, error) {
	sl := eff.slot()
	cols, vals, err := eff.values()
	if err != nil {
		return false, err
	}
	cols, vals = append(cols, "created_at", "record_id"), append(vals, micros(rec.Created), rec.RecordID)
	var res sql.Result
	if replacing == "" {
		keyCols, keyVals := []string{"session_id", "ticket"}, []any{rec.SessionID, sl.ticket}
		if sl.table == "marks" {
			keyCols, keyVals = append(keyCols, "item_id"), append(keyVals, sl.item)
		}
		cols, vals = append(keyCols, cols...), append(keyVals, vals...)
		res, err = tx.ExecContext(ctx, "INSERT INTO "+sl.table+" ("+strings.Join(cols, ", ")+") VALUES ("+placeholders(1, len(vals))+") ON CONFLICT DO NOTHING", vals...)
	} else {
		cond, args := sl.where(rec.SessionID)
		sets := make([]string, len(cols))
		for i, c := range cols {
			sets[i] = fmt.Sprintf("%s = $%d", c, len(args)+i+1)
		}
		args = append(append(args, vals...), replacing)
		res, err = tx.ExecContext(ctx, "UPDATE "+sl.table+" SET "+strings.Join(sets, ", ")+" WHERE "+cond+fmt.Sprintf(" AND record_id = $%d", len(args)), args...)
	}
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	if err != nil || n != 1 {
		return false, err
	}
	if s, ok := eff.(Submission); ok {
		if err := putScripts(ctx, tx, rec.SessionID, rec.RecordID, s, time.Now()); err != nil {
			return false, err
		}
	}
	return true, nil
}

// placeholders is "$from, …" for n arguments.
func placeholders(from, n int) string {
	ps := make([]string, n)
	for i := range ps {
		ps[i] = fmt.Sprintf("$%d", from+i)
	}
	return strings.Join(ps, ", ")
}

// where is the condition selecting the slot's row, with its arguments
// numbered from $1 (the session id).
func (s slot) where(sessionID string) (string, []any) {
	if s.table == "marks" {
		return "session_id = $1 AND ticket = $2 AND item_id = $3", []any{sessionID, s.ticket, s.item}
	}
	return "session_id = $1 AND ticket = $2", []any{sessionID, s.ticket}
}

// position is a record's place: its device and its place in the device's chain.
type position struct {
	record, device string
	epoch, seq     uint64
}

// holder returns the record that holds the slot, if any.
func (s slot) holder(ctx context.Context, tx *sql.Tx, sessionID string) (position, bool, error) {
	cond, args := s.where(sessionID)
	var p position
	var epoch, seq int64
	err := tx.QueryRowContext(ctx, `SELECT r.record_id, r.device_id, r.epoch, r.dseq FROM records r
		WHERE r.record_id = (SELECT record_id FROM `+s.table+` WHERE `+cond+`)`, args...).Scan(&p.record, &p.device, &epoch, &seq)
	if errors.Is(err, sql.ErrNoRows) {
		return p, false, nil
	}
	p.epoch, p.seq = uint64(epoch), uint64(seq)
	return p, err == nil, err
}

// succession is what a record does to the slot it would set.
type succession int

const (
	fills    succession = iota // the slot is empty: the record sets it
	replaces                   // a correction by the device that made the record held: it sets the slot
	follows                    // older than the correction held, or a record without an effect: stored, the slot unchanged
	disputes                   // anything else: stored, a dispute for the office
)

// succeed is the rule of one slot: held is the record that holds it (nil
// when none), next the record that would set it. A record that may be
// corrected (a check-in, marks) is replaced by a later record of the same
// device in the same epoch, in the order of the device's chain, whatever
// the device times say; an older one of that chain changes nothing. A
// submission is made once. Every other record for a held slot (another
// device's, another epoch's, a second submission) is a dispute: device
// times decide nothing, since whoever seals a record sets its time.
func succeed(once bool, held *position, next position) succession {
	switch {
	case held == nil:
		return fills
	case once || held.device != next.device || held.epoch != next.epoch:
		return disputes
	case next.seq > held.seq:
		return replaces
	}
	return follows
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
// hash is kept in conflicts, never overwriting. A record whose effect
// disputes what central holds (see succeed) is stored without a receipt
// and answered as a conflict, with a dispute for the office; sent again, it
// is answered the same. sign makes the receipt of a newly stored record
// from central's sequence number for it; the receipt is stored with the
// record, and Ingest returns only after the commit.
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
	case err == nil && other == rec.RecordID && bytes.Equal(hash, rec.Hash) && receipt == nil:
		var reason string
		err := tx.QueryRowContext(ctx, "SELECT reason FROM disputes WHERE other_record = $1", rec.RecordID).Scan(&reason)
		return Stored{Outcome: OutcomeConflict, Reason: reason}, err
	case err == nil && other == rec.RecordID && bytes.Equal(hash, rec.Hash):
		return Stored{Outcome: OutcomeDuplicate, Receipt: receipt}, nil
	case err == nil && other == rec.RecordID:
		return conflict(ctx, tx, rec, now, "record id already stored with other content")
	case err == nil:
		return conflict(ctx, tx, rec, now, fmt.Sprintf("chain position epoch %d seq %d already holds record %s", rec.Epoch, rec.Seq, other))
	case err != sql.ErrNoRows:
		return Stored{}, err
	}
	succ, held, err := weigh(ctx, tx, rec)
	if err != nil {
		return Stored{}, err
	}
	seq, err := nextSeq()
	if err != nil {
		return Stored{}, err
	}
	receipt = nil
	if succ != disputes {
		if receipt, err = sign(rec, seq); err != nil {
			return Stored{}, err
		}
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO records (seq, record_id, device_id, epoch, dseq, prev_hash, hash, kind, session_id, created_at, received_at, envelope, payload, receipt, skew_ms, time_flag)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`,
		seq, rec.RecordID, rec.DeviceID, int64(rec.Epoch), int64(rec.Seq), rec.Prev, rec.Hash, rec.Kind, rec.SessionID,
		micros(rec.Created), micros(now), rec.Envelope, rec.Payload, receipt, rec.SkewMS, rec.TimeFlag)
	if err != nil {
		return Stored{}, err
	}
	if rec.Piece != nil {
		if err := notePiece(ctx, tx, rec); err != nil {
			return Stored{}, err
		}
	}
	// Another transaction may set the slot between weighing and setting
	// (PostgreSQL runs batches side by side): then weigh again.
	for range 3 {
		switch succ {
		case follows:
			return Stored{Outcome: OutcomeAccepted, Receipt: receipt}, nil
		case disputes:
			if receipt != nil {
				if _, err := tx.ExecContext(ctx, "UPDATE records SET receipt = NULL WHERE record_id = $1", rec.RecordID); err != nil {
					return Stored{}, err
				}
			}
			return dispute(ctx, tx, rec, held, now)
		}
		ok, err := set(ctx, tx, rec.Effect, rec, held.record)
		switch {
		case err != nil:
			return Stored{}, err
		case ok && succ == replaces:
			_, err = tx.ExecContext(ctx, "UPDATE disputes SET held_record = $1 WHERE held_record = $2 AND decision = ''", rec.RecordID, held.record)
			return Stored{Outcome: OutcomeAccepted, Receipt: receipt}, err
		case ok:
			return Stored{Outcome: OutcomeAccepted, Receipt: receipt}, nil
		}
		if succ, held, err = weigh(ctx, tx, rec); err != nil {
			return Stored{}, err
		}
	}
	return Stored{}, fmt.Errorf("%s of session %s ticket %s keeps changing", rec.Kind, rec.SessionID, rec.Effect.slot().ticket)
}

// weigh says what rec does to the slot its effect sets, and the record that
// holds the slot: follows, for a record without an effect.
func weigh(ctx context.Context, tx *sql.Tx, rec *Incoming) (succession, position, error) {
	if rec.Effect == nil {
		return follows, position{}, nil
	}
	held, ok, err := rec.Effect.slot().holder(ctx, tx, rec.SessionID)
	if err != nil || !ok {
		return fills, position{}, err
	}
	return succeed(rec.Effect.slot().once, &held, position{rec.RecordID, rec.DeviceID, rec.Epoch, rec.Seq}), held, nil
}

// dispute opens a dispute between the record held and rec, stored already.
func dispute(ctx context.Context, tx *sql.Tx, rec *Incoming, held position, now time.Time) (Stored, error) {
	sl := rec.Effect.slot()
	what := "ticket " + sl.ticket
	if sl.item != "" {
		what += " item " + sl.item
	}
	reason := fmt.Sprintf("session %s %s already has a %s record, %s from device %s; this one is kept for the office to decide",
		rec.SessionID, what, rec.Kind, held.record, held.device)
	_, err := tx.ExecContext(ctx, `INSERT INTO disputes (session_id, kind, ticket, item_id, held_record, other_record, reason, opened_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, rec.SessionID, rec.Kind, sl.ticket, sl.item, held.record, rec.RecordID, reason, micros(now))
	return Stored{Outcome: OutcomeConflict, Reason: reason}, err
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
	Payload    []byte // the record's plaintext
}

// ReceivedByHash returns the first record of a kind received whose envelope
// hash begins with prefix (a receipt code's bytes), or ErrNotFound.
func (db *DB) ReceivedByHash(ctx context.Context, kind string, prefix []byte) (Received, error) {
	lo, hi := make([]byte, 32), bytes.Repeat([]byte{0xff}, 32)
	copy(lo, prefix)
	copy(hi, prefix)
	var r Received
	var at int64
	err := db.sql.QueryRowContext(ctx, `SELECT record_id, session_id, received_at, payload FROM records
		WHERE hash >= $1 AND hash <= $2 AND kind = $3 ORDER BY seq LIMIT 1`, lo, hi, kind).Scan(&r.RecordID, &r.SessionID, &at, &r.Payload)
	r.ReceivedAt = fromMicros(at)
	return r, notFound(err, "record")
}

// Logged is a stored record of a session's log: what happened in the room.
type Logged struct {
	Kind string
	RecordInfo
}

// SessionLog returns a session's records of the given kinds, disputed ones
// too, in the order central received them.
func (db *DB) SessionLog(ctx context.Context, sessionID string, kinds ...string) ([]Logged, error) {
	args := []any{sessionID}
	for _, k := range kinds {
		args = append(args, k)
	}
	var out []Logged
	err := queryEach(ctx, db.sql, "SELECT r.kind, "+recordInfoCols("r")+" FROM records r WHERE r.session_id = $1 AND r.kind IN ("+placeholders(2, len(kinds))+") ORDER BY r.seq",
		args, func(scan func(...any) error) error {
			var l Logged
			dest, done := scanRecordInfo(&l.RecordInfo)
			err := scan(append([]any{&l.Kind}, dest...)...)
			done()
			out = append(out, l)
			return err
		})
	return out, err
}

// LastReceived is when central received the newest record of a session; zero when none.
func (db *DB) LastReceived(ctx context.Context, sessionID string) (time.Time, error) {
	var at int64
	if err := db.sql.QueryRowContext(ctx, "SELECT COALESCE(MAX(received_at), 0) FROM records WHERE session_id = $1", sessionID).Scan(&at); err != nil || at == 0 {
		return time.Time{}, err
	}
	return fromMicros(at), nil
}

// SessionRecords is what a session's results are computed from.
type SessionRecords struct {
	Attendance  map[string]string // ticket -> status
	Submissions map[string]Submission
	Marks       map[string]exam.Marks // ticket -> item -> marks
	Devices     map[string]bool       // devices that sent records for the session
	Flagged     []Held                // records results follow whose device time is implausible
}

// Held is a record results follow: a candidate's submission, check-in, or
// marks of a practical item.
type Held struct {
	Ticket string
	Kind   string
	ItemID string // marks only
	RecordInfo
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
	err = queryEach(ctx, db.sql, "SELECT ticket, answers, forced, record_id FROM submissions WHERE session_id = $1", []any{sessionID}, func(scan func(...any) error) error {
		var s Submission
		var answers string
		var forced int
		if err := scan(&s.Ticket, &answers, &forced, &s.RecordID); err != nil {
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
	if err != nil {
		return nil, err
	}
	var held []string
	for _, t := range []struct{ table, item string }{{"submissions", "''"}, {"attendance", "''"}, {"marks", "e.item_id"}} {
		held = append(held, "SELECT e.ticket, r.kind, "+t.item+", "+recordInfoCols("r")+" FROM "+t.table+
			" e JOIN records r ON r.record_id = e.record_id WHERE e.session_id = $1 AND r.time_flag <> ''")
	}
	err = queryEach(ctx, db.sql, strings.Join(held, " UNION ALL ")+" ORDER BY 1, 2, 3", []any{sessionID}, func(scan func(...any) error) error {
		var h Held
		dest, done := scanRecordInfo(&h.RecordInfo)
		err := scan(append([]any{&h.Ticket, &h.Kind, &h.ItemID}, dest...)...)
		done()
		sr.Flagged = append(sr.Flagged, h)
		return err
	})
	return sr, err
}

func queryEach(ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, query string, args []any, each func(scan func(...any) error) error) error {
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

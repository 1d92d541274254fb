package store

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"onex/exam/seal"
	wire "onex/sync"
)

// Outbox states of a record not yet cleared by a receipt.
const (
	StatePending  = "pending"
	StateRejected = "rejected" // central refused it; the reason says why
	StateConflict = "conflict" // central holds another record under its id or place in the chain
	StateDamaged  = "damaged"  // the row no longer holds what the device signed; never sent
)

// Queue seals payload, in JSON, as a record of kind for central, signed by
// the device and chained after the device's previous record, and puts it in
// the outbox, all in this transaction: the record commits with the change it
// reports, or neither does. It returns the envelope (whose hash gives a
// candidate's receipt code).
func (tx *Tx) Queue(kind, sessionID string, payload any, created time.Time) (*seal.Envelope, error) {
	id, err := tx.Identity()
	if err != nil {
		return nil, err
	}
	plaintext, err := json.Marshal(payload)
	if err != nil {
		return nil, fmt.Errorf("site store: %s record: %w", kind, err)
	}
	seq, err := tx.metaInt(metaChainSeq)
	if err != nil {
		return nil, err
	}
	tipBytes, err := tx.meta(metaChainTip)
	if err != nil {
		return nil, err
	}
	var tip seal.Hash
	if len(tipBytes) != len(tip) {
		return nil, &DamagedError{Table: "meta", Column: "value", Row: metaChainTip, Err: errors.New("not a hash")}
	}
	copy(tip[:], tipBytes)
	env, err := seal.SealRecord(id.Key, id.Central, seal.Header{
		DeviceID: id.DeviceID,
		Epoch:    tx.s.epoch,
		Seq:      uint64(seq) + 1,
		Prev:     tip,
		Kind:     kind,
		Created:  created.Round(0),
	}, plaintext)
	if err != nil {
		return nil, fmt.Errorf("site store: sealing %s record: %w", kind, err)
	}
	_, err = tx.exec(`INSERT INTO outbox (epoch, seq, record_id, kind, session_id, envelope, hash, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		int64(tx.s.epoch), seq+1, env.Header.RecordID.String(), kind, sessionID, env.Bytes, env.Hash[:], fmtTime(created))
	if err != nil {
		return nil, fmt.Errorf("site store: outbox: %w", err)
	}
	if err := tx.setMetaInt(metaChainSeq, seq+1); err != nil {
		return nil, err
	}
	if err := tx.setMeta(metaChainTip, env.Hash[:]); err != nil {
		return nil, err
	}
	return env, nil
}

// Pending implements sync.Outbox. Each envelope is checked before it goes:
// its hash must be the one stored with it and its signature the device's. A
// row that fails is marked damaged (kept, never sent) and left out.
func (s *Store) Pending(ctx context.Context, max, maxBytes int) ([]wire.Outgoing, error) {
	type row struct {
		id       int64
		recordID string
		env      []byte
		hash     []byte
	}
	var out []wire.Outgoing
	var damaged []*DamagedError
	err := s.View(ctx, func(tx *Tx) error {
		ident, err := tx.Identity()
		if err != nil {
			return err
		}
		rows, err := tx.query("SELECT id, record_id, envelope, hash FROM outbox WHERE state = ? ORDER BY id LIMIT ?", StatePending, max)
		if err != nil {
			return fmt.Errorf("site store: outbox: %w", err)
		}
		defer rows.Close()
		size := 0
		for rows.Next() {
			var r row
			if err := rows.Scan(&r.id, &r.recordID, &r.env, &r.hash); err != nil {
				return err
			}
			if err := checkEnvelope(ident, r.recordID, r.env, r.hash); err != nil {
				damaged = append(damaged, &DamagedError{Table: "outbox", Column: "envelope", Row: r.recordID, Err: err})
				continue
			}
			if len(out) > 0 && size+len(r.env) > maxBytes {
				break
			}
			size += len(r.env)
			out = append(out, wire.Outgoing{RecordID: r.recordID, Envelope: r.env})
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	if len(damaged) > 0 {
		err := s.Update(ctx, func(tx *Tx) error {
			for _, d := range damaged {
				s.log.Error("outbox record damaged: kept, not sent", "record", d.Row, "err", d.Err)
				if _, err := tx.exec("UPDATE outbox SET state = ?, reason = ? WHERE record_id = ?", StateDamaged, d.Error(), d.Row); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("site store: marking damaged records: %w", err)
		}
	}
	return out, nil
}

// checkEnvelope tells whether an outbox row still holds what the device sealed.
func checkEnvelope(id *Identity, recordID string, env, hash []byte) error {
	h := seal.EnvelopeHash(env)
	if !bytes.Equal(h[:], hash) {
		return errors.New("envelope does not match its stored hash")
	}
	hdr, err := seal.VerifyEnvelope(env, id.Key.Public())
	if err != nil {
		return err
	}
	if hdr.RecordID.String() != recordID || hdr.DeviceID != id.DeviceID {
		return fmt.Errorf("envelope is record %s of device %s", hdr.RecordID, hdr.DeviceID)
	}
	return nil
}

// Delivered implements sync.Outbox: each receipt is stored and its envelope
// dropped, in one transaction. A receipt for an envelope other than the one
// stored is refused and changes nothing.
func (s *Store) Delivered(ctx context.Context, ds []wire.Delivery) error {
	now := time.Now()
	return s.Update(ctx, func(tx *Tx) error {
		for _, d := range ds {
			var epoch, seq int64
			var kind, session string
			var hash []byte
			err := tx.queryRow("SELECT epoch, seq, kind, session_id, hash FROM outbox WHERE record_id = ?", d.RecordID).
				Scan(&epoch, &seq, &kind, &session, &hash)
			if errors.Is(err, sql.ErrNoRows) {
				continue // cleared already
			}
			if err != nil {
				return fmt.Errorf("site store: outbox %s: %w", d.RecordID, err)
			}
			if !bytes.Equal(hash, d.EnvelopeHash[:]) {
				return fmt.Errorf("site store: receipt for record %s names another envelope", d.RecordID)
			}
			_, err = tx.exec(`INSERT INTO receipts (record_id, epoch, seq, kind, session_id, hash, receipt, server_seq, server_time, acked_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (record_id) DO NOTHING`,
				d.RecordID, epoch, seq, kind, session, hash, d.Receipt, int64(d.ServerSeq), fmtTime(d.ServerTime), fmtTime(now))
			if err != nil {
				return fmt.Errorf("site store: receipt %s: %w", d.RecordID, err)
			}
			if _, err := tx.exec("DELETE FROM outbox WHERE record_id = ?", d.RecordID); err != nil {
				return fmt.Errorf("site store: outbox %s: %w", d.RecordID, err)
			}
		}
		return nil
	})
}

// Refused implements sync.Outbox: the records stay, marked with central's
// outcome and reason.
func (s *Store) Refused(ctx context.Context, rs []wire.Refusal) error {
	return s.Update(ctx, func(tx *Tx) error {
		for _, r := range rs {
			state := StateRejected
			if r.Outcome == wire.Conflict {
				state = StateConflict
			}
			if _, err := tx.exec("UPDATE outbox SET state = ?, reason = ? WHERE record_id = ? AND state = ?", state, r.Reason, r.RecordID, StatePending); err != nil {
				return fmt.Errorf("site store: outbox %s: %w", r.RecordID, err)
			}
		}
		return nil
	})
}

// OutboxCounts are the outbox's figures.
type OutboxCounts struct {
	Pending  int `json:"pending"`
	Acked    int `json:"acked"` // records cleared by a verified receipt
	Rejected int `json:"rejected"`
	Conflict int `json:"conflict"`
	Damaged  int `json:"damaged"`
}

// Refused counts the records kept for review: rejected, in conflict or damaged.
func (c OutboxCounts) Refused() int { return c.Rejected + c.Conflict + c.Damaged }

// OutboxCounts returns the outbox's figures.
func (tx *Tx) OutboxCounts() (OutboxCounts, error) {
	var c OutboxCounts
	err := tx.queryRow(`SELECT coalesce(sum(state = 'pending'), 0), coalesce(sum(state = 'rejected'), 0),
		coalesce(sum(state = 'conflict'), 0), coalesce(sum(state = 'damaged'), 0) FROM outbox`).
		Scan(&c.Pending, &c.Rejected, &c.Conflict, &c.Damaged)
	if err != nil {
		return c, fmt.Errorf("site store: outbox counts: %w", err)
	}
	if err := tx.queryRow("SELECT count(*) FROM receipts").Scan(&c.Acked); err != nil {
		return c, fmt.Errorf("site store: receipt count: %w", err)
	}
	return c, nil
}

// OutboxRecord is a record still in the outbox.
type OutboxRecord struct {
	Seq       int64
	Epoch     uint64
	RecordID  string
	Kind      string
	SessionID string
	State     string
	Reason    string
	Created   time.Time
}

// OutboxRecords returns the records in the outbox in a state, oldest first;
// an empty state means every state.
func (tx *Tx) OutboxRecords(state string) ([]OutboxRecord, error) {
	rows, err := tx.query(`SELECT epoch, seq, record_id, kind, session_id, state, reason, created FROM outbox
		WHERE ? = '' OR state = ? ORDER BY id`, state, state)
	if err != nil {
		return nil, fmt.Errorf("site store: outbox: %w", err)
	}
	defer rows.Close()
	var out []OutboxRecord
	for rows.Next() {
		var r OutboxRecord
		var epoch int64
		var created string
		if err := rows.Scan(&epoch, &r.Seq, &r.RecordID, &r.Kind, &r.SessionID, &r.State, &r.Reason, &created); err != nil {
			return nil, err
		}
		r.Epoch = uint64(epoch)
		if r.Created, err = parseTime("outbox", "created", r.RecordID, created); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Receipt is central's verified receipt for one record.
type Receipt struct {
	RecordID   string
	Epoch      uint64
	Seq        int64
	Kind       string
	SessionID  string
	Hash       seal.Hash
	Receipt    []byte
	ServerSeq  int64
	ServerTime time.Time
	Acked      time.Time
}

// LastReceipt returns the receipt stored last, or ErrNotFound.
func (tx *Tx) LastReceipt() (*Receipt, error) {
	var r Receipt
	var epoch int64
	var hash []byte
	var st, acked string
	err := tx.queryRow(`SELECT record_id, epoch, seq, kind, session_id, hash, receipt, server_seq, server_time, acked_at
		FROM receipts ORDER BY rowid DESC LIMIT 1`).
		Scan(&r.RecordID, &epoch, &r.Seq, &r.Kind, &r.SessionID, &hash, &r.Receipt, &r.ServerSeq, &st, &acked)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("receipt: %w", ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("site store: receipts: %w", err)
	}
	r.Epoch = uint64(epoch)
	copy(r.Hash[:], hash)
	if r.ServerTime, err = parseTime("receipts", "server_time", r.RecordID, st); err != nil {
		return nil, err
	}
	r.Acked, err = parseTime("receipts", "acked_at", r.RecordID, acked)
	return &r, err
}

// HasReceipt reports whether the record whose envelope hashes to h was
// cleared by a verified receipt.
func (tx *Tx) HasReceipt(h seal.Hash) (bool, error) {
	var n int
	if err := tx.queryRow("SELECT count(*) FROM receipts WHERE hash = ?", h[:]).Scan(&n); err != nil {
		return false, fmt.Errorf("site store: receipts: %w", err)
	}
	return n > 0, nil
}

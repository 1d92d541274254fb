package store

import (
	"database/sql"
	"errors"
	"fmt"
	"time"

	"onex/exam/seal"
)

// The exam room (issue 13): the station's keys for its room server, the
// terminals paired with it and the seat codes that sign candidates in.

const metaRoomKeys = "room_keys"

// RoomKeys are the station's keys for its room server: its TLS key (PKCS #8
// DER) and its record key (seal.CentralKeys.Marshal), to which terminals
// seal their changes. They are kept sealed and never change while the
// store lives.
type RoomKeys struct {
	TLSKey    []byte `json:"tls_key"`
	RecordKey []byte `json:"record_key"`
}

// RoomKeys returns the station's room keys, or ErrNotFound before they are made.
func (tx *Tx) RoomKeys() (*RoomKeys, error) {
	sealed, err := tx.meta(metaRoomKeys)
	if err != nil {
		return nil, err
	}
	var k RoomKeys
	if err := tx.openJSON("meta", "value", metaRoomKeys, sealed, &k); err != nil {
		return nil, err
	}
	return &k, nil
}

// SetRoomKeys stores the station's room keys, sealed.
func (tx *Tx) SetRoomKeys(k *RoomKeys) error {
	sealed, err := tx.sealJSON("meta", "value", metaRoomKeys, k)
	if err != nil {
		return err
	}
	return tx.setMeta(metaRoomKeys, sealed)
}

// Terminal is a terminal paired with the station.
type Terminal struct {
	ID        string
	Key       []byte // seal.DevicePublicKey.Marshal
	Name      string
	Seat      string
	Room      string // "": every room
	Paired    time.Time
	Revoked   time.Time // zero while it may talk to the station
	Acked     uint64    // its last change committed
	AckedHash seal.Hash
	LastSave  time.Time
	SessionID string // the candidate it serves, if any
	Ticket    string
}

// AddTerminal stores a newly paired terminal.
func (tx *Tx) AddTerminal(t Terminal) error {
	_, err := tx.exec("INSERT INTO terminals (id, key, name, seat, room, paired) VALUES (?, ?, ?, ?, ?, ?)",
		t.ID, t.Key, t.Name, t.Seat, t.Room, fmtTime(t.Paired))
	if err != nil {
		return fmt.Errorf("site store: terminal %s: %w", t.ID, err)
	}
	return nil
}

const terminalColumns = "id, key, name, seat, room, paired, revoked, acked, acked_hash, last_save, session_id, ticket"

func scanTerminal(sc interface{ Scan(...any) error }) (Terminal, error) {
	var t Terminal
	var paired string
	var revoked, lastSave sql.NullString
	var hash []byte
	if err := sc.Scan(&t.ID, &t.Key, &t.Name, &t.Seat, &t.Room, &paired, &revoked, &t.Acked, &hash, &lastSave, &t.SessionID, &t.Ticket); err != nil {
		return t, err
	}
	var err error
	if t.Paired, err = parseTime("terminals", "paired", t.ID, paired); err != nil {
		return t, err
	}
	if t.Revoked, err = parseTime("terminals", "revoked", t.ID, revoked.String); err != nil {
		return t, err
	}
	if t.LastSave, err = parseTime("terminals", "last_save", t.ID, lastSave.String); err != nil {
		return t, err
	}
	switch len(hash) {
	case 0:
	case len(t.AckedHash):
		t.AckedHash = seal.Hash(hash)
	default:
		return t, &DamagedError{Table: "terminals", Column: "acked_hash", Row: t.ID, Err: fmt.Errorf("%d bytes", len(hash))}
	}
	return t, nil
}

// Terminal returns a paired terminal, or ErrNotFound.
func (tx *Tx) Terminal(id string) (Terminal, error) {
	t, err := scanTerminal(tx.queryRow("SELECT "+terminalColumns+" FROM terminals WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return t, fmt.Errorf("terminal %q: %w", id, ErrNotFound)
	}
	if err != nil {
		return t, fmt.Errorf("site store: terminal %s: %w", id, err)
	}
	return t, nil
}

// Terminals returns every paired terminal, by id.
func (tx *Tx) Terminals() ([]Terminal, error) {
	rows, err := tx.query("SELECT " + terminalColumns + " FROM terminals ORDER BY id")
	if err != nil {
		return nil, fmt.Errorf("site store: terminals: %w", err)
	}
	defer rows.Close()
	var out []Terminal
	for rows.Next() {
		t, err := scanTerminal(rows)
		if err != nil {
			return nil, fmt.Errorf("site store: terminals: %w", err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// RevokeTerminal revokes a terminal at a time for a reason (kept sealed)
// and ends the candidate's binding to it.
func (tx *Tx) RevokeTerminal(id string, at time.Time, reason string) error {
	sealed, err := tx.seal("terminals", "revoked_reason", id, []byte(reason))
	if err != nil {
		return err
	}
	return tx.mustChange("UPDATE terminals SET revoked = ?, revoked_reason = ?, session_id = '', ticket = '' WHERE id = ?",
		"terminal "+id, fmtTime(at), sealed, id)
}

// RevokedReason returns why a terminal was revoked ("" if it is not).
func (tx *Tx) RevokedReason(id string) (string, error) {
	var sealed []byte
	err := tx.queryRow("SELECT revoked_reason FROM terminals WHERE id = ?", id).Scan(&sealed)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("terminal %q: %w", id, ErrNotFound)
	}
	if err != nil || sealed == nil {
		return "", err
	}
	b, err := tx.open("terminals", "revoked_reason", id, sealed)
	return string(b), err
}

// BindTerminal makes a terminal serve a candidate (empty ticket: none). A
// candidate is served by one terminal not revoked at a time: binding one
// served elsewhere fails.
func (tx *Tx) BindTerminal(id, sessionID, ticket string) error {
	if ticket == "" {
		sessionID = ""
	}
	return tx.mustChange("UPDATE terminals SET session_id = ?, ticket = ? WHERE id = ?", "terminal "+id, sessionID, ticket, id)
}

// SetTerminalAcked stores the last change of a terminal committed, with its
// envelope hash, and when it was saved.
func (tx *Tx) SetTerminalAcked(id string, seq uint64, hash seal.Hash, at time.Time) error {
	return tx.mustChange("UPDATE terminals SET acked = ?, acked_hash = ?, last_save = ? WHERE id = ?",
		"terminal "+id, seq, hash[:], fmtTime(at), id)
}

// MaxSeatCodeFailures is how many wrong seat codes void a candidate's code.
const MaxSeatCodeFailures = 5

// SeatCode returns a candidate's live seat code ("" if none: not issued,
// used, or voided by wrong tries) and the wrong tries since it was issued.
func (tx *Tx) SeatCode(sessionID, ticket string) (string, int, error) {
	var sealed []byte
	var failures int
	err := tx.queryRow("SELECT seat_code, seat_code_failures FROM candidates WHERE session_id = ? AND ticket = ?", sessionID, ticket).Scan(&sealed, &failures)
	if errors.Is(err, sql.ErrNoRows) {
		return "", 0, fmt.Errorf("ticket %q in session %q: %w", ticket, sessionID, ErrNotFound)
	}
	if err != nil || sealed == nil {
		return "", failures, err
	}
	b, err := tx.open("candidates", "seat_code", rowKey(sessionID, ticket), sealed)
	return string(b), failures, err
}

// SeatCodes returns the live seat codes of a session's candidates, by ticket.
func (tx *Tx) SeatCodes(sessionID string) (map[string]string, error) {
	rows, err := tx.query("SELECT ticket, seat_code FROM candidates WHERE session_id = ? AND seat_code IS NOT NULL", sessionID)
	if err != nil {
		return nil, fmt.Errorf("site store: seat codes: %w", err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var ticket string
		var sealed []byte
		if err := rows.Scan(&ticket, &sealed); err != nil {
			return nil, err
		}
		b, err := tx.open("candidates", "seat_code", rowKey(sessionID, ticket), sealed)
		if err != nil {
			return nil, err
		}
		out[ticket] = string(b)
	}
	return out, rows.Err()
}

// PutSeatCode issues a candidate's seat code, sealed, with no wrong tries;
// "" takes it away (used).
func (tx *Tx) PutSeatCode(sessionID, ticket, code string) error {
	var sealed []byte
	if code != "" {
		var err error
		if sealed, err = tx.seal("candidates", "seat_code", rowKey(sessionID, ticket), []byte(code)); err != nil {
			return err
		}
	}
	return tx.mustChange("UPDATE candidates SET seat_code = ?, seat_code_failures = 0 WHERE session_id = ? AND ticket = ?",
		"ticket "+ticket, sealed, sessionID, ticket)
}

// SeatCodeFailed counts a wrong seat code for a candidate; at
// MaxSeatCodeFailures the code is voided. It returns the wrong tries so far.
func (tx *Tx) SeatCodeFailed(sessionID, ticket string) (int, error) {
	var n int
	err := tx.queryRow(`UPDATE candidates SET seat_code_failures = seat_code_failures + 1,
			seat_code = CASE WHEN seat_code_failures + 1 >= ? THEN NULL ELSE seat_code END
		WHERE session_id = ? AND ticket = ? RETURNING seat_code_failures`, MaxSeatCodeFailures, sessionID, ticket).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("ticket %q in session %q: %w", ticket, sessionID, ErrNotFound)
	}
	if err != nil {
		return 0, fmt.Errorf("site store: seat code of %s: %w", ticket, err)
	}
	return n, nil
}

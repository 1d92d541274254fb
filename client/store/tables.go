package store

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"onex/exam"
	"onex/exam/seal"
)

// rowKey joins the parts of a row's identity for the associated data of its
// sealed fields. The separator is a control character, which neither tickets
// nor item ids may hold, so two different rows never share a key.
func rowKey(parts ...string) string { return strings.Join(parts, "\x1f") }

func fmtTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

func parseTime(table, column, row, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, &DamagedError{Table: table, Column: column, Row: row, Err: err}
	}
	return t, nil
}

// Identity is who the device is: what enrolment gave it and its own key.
type Identity struct {
	DeviceID      string
	DeviceName    string
	SiteCode      string
	SiteName      string
	ServerURL     string
	Central       *seal.CentralPublicKey
	Key           *seal.DeviceKey
	MaxRecords    int
	MaxBatchBytes int
	Enrolled      time.Time
	// TLSPins are the SPKI hashes of central's TLS keys the device pinned at
	// enrolment; none: central's certificate is checked against the
	// system's roots (or there is no TLS).
	TLSPins []seal.Hash
}

type identityJSON struct {
	DeviceID      string    `json:"device_id"`
	DeviceName    string    `json:"device_name"`
	SiteCode      string    `json:"site_code"`
	SiteName      string    `json:"site_name"`
	ServerURL     string    `json:"server_url"`
	CentralKey    []byte    `json:"central_key"`
	DeviceKey     []byte    `json:"device_key"`
	MaxRecords    int       `json:"max_records"`
	MaxBatchBytes int       `json:"max_batch_bytes"`
	Enrolled      time.Time `json:"enrolled"`
	TLSPins       [][]byte  `json:"tls_pins,omitempty"`
}

// SetIdentity stores the device's identity, sealed; the device key never
// leaves the store in clear.
func (tx *Tx) SetIdentity(id *Identity) error {
	if id.DeviceID == "" || id.Central == nil || id.Key == nil {
		return errors.New("site store: identity lacks device id or keys")
	}
	b, err := json.Marshal(identityJSON{
		DeviceID: id.DeviceID, DeviceName: id.DeviceName, SiteCode: id.SiteCode, SiteName: id.SiteName,
		ServerURL: id.ServerURL, CentralKey: id.Central.Marshal(), DeviceKey: id.Key.Marshal(),
		MaxRecords: id.MaxRecords, MaxBatchBytes: id.MaxBatchBytes, Enrolled: id.Enrolled, TLSPins: pinBytes(id.TLSPins),
	})
	if err != nil {
		return err
	}
	sealed, err := tx.seal("meta", "value", metaIdentity, b)
	if err != nil {
		return err
	}
	if err := tx.setMeta(metaIdentity, sealed); err != nil {
		return err
	}
	tx.identSet = true
	tx.onCommit = append(tx.onCommit, func() { tx.s.ident = nil })
	return nil
}

// Identity returns the device's identity, or ErrNotEnrolled.
func (tx *Tx) Identity() (*Identity, error) {
	if tx.s.ident != nil && !tx.identSet {
		return tx.s.ident, nil
	}
	id, err := tx.readIdentity()
	if err == nil && !tx.identSet {
		tx.s.ident = id
	}
	return id, err
}

func (tx *Tx) readIdentity() (*Identity, error) {
	sealed, err := tx.meta(metaIdentity)
	if errors.Is(err, ErrNotFound) {
		return nil, ErrNotEnrolled
	}
	if err != nil {
		return nil, err
	}
	b, err := tx.open("meta", "value", metaIdentity, sealed)
	if err != nil {
		return nil, err
	}
	var j identityJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return nil, &DamagedError{Table: "meta", Column: "value", Row: metaIdentity, Err: err}
	}
	central, err := seal.ParseCentralPublicKey(j.CentralKey)
	if err != nil {
		return nil, &DamagedError{Table: "meta", Column: "value", Row: metaIdentity, Err: err}
	}
	key, err := seal.ParseDeviceKey(j.DeviceKey)
	if err != nil {
		return nil, &DamagedError{Table: "meta", Column: "value", Row: metaIdentity, Err: err}
	}
	var pins []seal.Hash
	for _, p := range j.TLSPins {
		if len(p) != len(seal.Hash{}) {
			return nil, &DamagedError{Table: "meta", Column: "value", Row: metaIdentity, Err: fmt.Errorf("a TLS pin of %d bytes", len(p))}
		}
		pins = append(pins, seal.Hash(p))
	}
	return &Identity{
		DeviceID: j.DeviceID, DeviceName: j.DeviceName, SiteCode: j.SiteCode, SiteName: j.SiteName,
		ServerURL: j.ServerURL, Central: central, Key: key,
		MaxRecords: j.MaxRecords, MaxBatchBytes: j.MaxBatchBytes, Enrolled: j.Enrolled, TLSPins: pins,
	}, nil
}

func pinBytes(pins []seal.Hash) [][]byte {
	var b [][]byte
	for _, p := range pins {
		b = append(b, p[:])
	}
	return b
}

// Package is a session package as stored: the manifest and parts exactly as
// central sent them (sealed parts are opened on reading).
type Package struct {
	PackageID string
	Manifest  []byte
	Parts     map[string][]byte
}

// PutPackage stores or replaces a session's package. Parts named in clear
// are kept as they are (they are ciphertext already); every other part is
// sealed under the store key. Check-ins, exam state and the release key of a
// session stored before are kept.
func (tx *Tx) PutPackage(sessionID string, p *Package, clear map[string]bool, now time.Time) error {
	_, err := tx.exec(`INSERT INTO sessions (id, package_id, manifest, updated) VALUES (?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET package_id = excluded.package_id, manifest = excluded.manifest, updated = excluded.updated`,
		sessionID, p.PackageID, p.Manifest, fmtTime(now))
	if err != nil {
		return fmt.Errorf("site store: session %s: %w", sessionID, err)
	}
	if _, err := tx.exec("DELETE FROM parts WHERE session_id = ?", sessionID); err != nil {
		return fmt.Errorf("site store: session %s parts: %w", sessionID, err)
	}
	for name, data := range p.Parts {
		sealed := 0
		if !clear[name] {
			sealed = 1
			if data, err = tx.seal("parts", "data", rowKey(sessionID, name), data); err != nil {
				return err
			}
		}
		if _, err := tx.exec("INSERT INTO parts (session_id, name, data, sealed) VALUES (?, ?, ?, ?)", sessionID, name, data, sealed); err != nil {
			return fmt.Errorf("site store: session %s part %s: %w", sessionID, name, err)
		}
	}
	return nil
}

// Manifest returns the manifest of a session's stored package, or ErrNotFound.
func (tx *Tx) Manifest(sessionID string) ([]byte, error) {
	var m []byte
	err := tx.sessionRow(sessionID, "manifest", &m)
	return m, err
}

// sessionRow scans columns of a session's row, or returns ErrNotFound.
func (tx *Tx) sessionRow(sessionID, columns string, dest ...any) error {
	err := tx.queryRow("SELECT "+columns+" FROM sessions WHERE id = ?", sessionID).Scan(dest...)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("session %q: %w", sessionID, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("site store: session %s: %w", sessionID, err)
	}
	return nil
}

// Package returns a session's stored package, or ErrNotFound.
func (tx *Tx) Package(sessionID string) (*Package, error) {
	p := &Package{Parts: map[string][]byte{}}
	if err := tx.sessionRow(sessionID, "package_id, manifest", &p.PackageID, &p.Manifest); err != nil {
		return nil, err
	}
	rows, err := tx.query("SELECT name, data, sealed FROM parts WHERE session_id = ?", sessionID)
	if err != nil {
		return nil, fmt.Errorf("site store: session %s parts: %w", sessionID, err)
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		var data []byte
		var sealed bool
		if err := rows.Scan(&name, &data, &sealed); err != nil {
			return nil, err
		}
		if sealed {
			if data, err = tx.open("parts", "data", rowKey(sessionID, name), data); err != nil {
				return nil, err
			}
		}
		p.Parts[name] = data
	}
	return p, rows.Err()
}

// SessionIDs lists the stored sessions in id order.
func (tx *Tx) SessionIDs() ([]string, error) {
	rows, err := tx.query("SELECT id FROM sessions ORDER BY id")
	if err != nil {
		return nil, fmt.Errorf("site store: sessions: %w", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// ReleaseKey returns a session's stored release key, or nil if it has none.
func (tx *Tx) ReleaseKey(sessionID string) ([]byte, error) {
	var sealed []byte
	err := tx.queryRow("SELECT release_key FROM sessions WHERE id = ?", sessionID).Scan(&sealed)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("session %q: %w", sessionID, ErrNotFound)
	}
	if err != nil || sealed == nil {
		return nil, err
	}
	return tx.open("sessions", "release_key", sessionID, sealed)
}

// PutReleaseKey stores a session's release key, sealed; nil removes it.
func (tx *Tx) PutReleaseKey(sessionID string, key []byte) error {
	var sealed []byte
	if key != nil {
		var err error
		if sealed, err = tx.seal("sessions", "release_key", sessionID, key); err != nil {
			return err
		}
	}
	return tx.mustChange("UPDATE sessions SET release_key = ? WHERE id = ?", "session "+sessionID, sealed, sessionID)
}

// SessionState decodes a session's sealed state into v; it reports false
// when none was stored yet.
func (tx *Tx) SessionState(sessionID string, v any) (bool, error) {
	var sealed []byte
	err := tx.queryRow("SELECT state FROM sessions WHERE id = ?", sessionID).Scan(&sealed)
	if errors.Is(err, sql.ErrNoRows) {
		return false, fmt.Errorf("session %q: %w", sessionID, ErrNotFound)
	}
	if err != nil || sealed == nil {
		return false, err
	}
	return true, tx.openJSON("sessions", "state", sessionID, sealed, v)
}

// PutSessionState stores v, in JSON, as a session's sealed state.
func (tx *Tx) PutSessionState(sessionID string, v any) error {
	sealed, err := tx.sealJSON("sessions", "state", sessionID, v)
	if err != nil {
		return err
	}
	return tx.mustChange("UPDATE sessions SET state = ? WHERE id = ?", "session "+sessionID, sealed, sessionID)
}

func (tx *Tx) sealJSON(table, column, row string, v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("site store: %s.%s: %w", table, column, err)
	}
	return tx.seal(table, column, row, b)
}

func (tx *Tx) openJSON(table, column, row string, sealed []byte, v any) error {
	b, err := tx.open(table, column, row, sealed)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return &DamagedError{Table: table, Column: column, Row: row, Err: err}
	}
	return nil
}

// mustChange runs an UPDATE that must change one row; none is ErrNotFound.
func (tx *Tx) mustChange(query, what string, args ...any) error {
	res, err := tx.exec(query, args...)
	if err != nil {
		return fmt.Errorf("site store: %s: %w", what, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("%s: %w", what, ErrNotFound)
	}
	return nil
}

// CheckIn is a candidate's check-in state.
type CheckIn struct {
	Ticket   string
	Status   exam.Attendance // "" until checked in, then present, late or absent
	Seat     string
	Override bool // late entry past the limit, allowed by a proctor
	At       time.Time
}

// SetCandidates makes a session's candidates the roster's tickets: tickets
// already there keep their check-in, new ones are added, and those no
// longer on the roster are dropped with all the store holds of them.
func (tx *Tx) SetCandidates(sessionID string, tickets []string) error {
	for _, t := range tickets {
		if _, err := tx.exec("INSERT INTO candidates (session_id, ticket) VALUES (?, ?) ON CONFLICT DO NOTHING", sessionID, t); err != nil {
			return fmt.Errorf("site store: candidate %s: %w", t, err)
		}
	}
	rows, err := tx.query("SELECT ticket FROM candidates WHERE session_id = ?", sessionID)
	if err != nil {
		return fmt.Errorf("site store: candidates: %w", err)
	}
	var gone []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			rows.Close()
			return err
		}
		if !slices.Contains(tickets, t) {
			gone = append(gone, t)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, t := range gone {
		if _, err := tx.exec("DELETE FROM candidates WHERE session_id = ? AND ticket = ?", sessionID, t); err != nil {
			return fmt.Errorf("site store: drop candidate %s: %w", t, err)
		}
	}
	return nil
}

// CheckIn returns one candidate's check-in, or ErrNotFound for a ticket
// not on the session's roster.
func (tx *Tx) CheckIn(sessionID, ticket string) (CheckIn, error) {
	c := CheckIn{Ticket: ticket}
	var at sql.NullString
	err := tx.queryRow("SELECT status, seat, override, checked_at FROM candidates WHERE session_id = ? AND ticket = ?", sessionID, ticket).
		Scan(&c.Status, &c.Seat, &c.Override, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return c, fmt.Errorf("ticket %q in session %q: %w", ticket, sessionID, ErrNotFound)
	}
	if err != nil {
		return c, fmt.Errorf("site store: candidate %s: %w", ticket, err)
	}
	c.At, err = parseTime("candidates", "checked_at", ticket, at.String)
	return c, err
}

// CheckIns returns every candidate's check-in of a session, by ticket.
func (tx *Tx) CheckIns(sessionID string) ([]CheckIn, error) {
	rows, err := tx.query("SELECT ticket, status, seat, override, checked_at FROM candidates WHERE session_id = ? ORDER BY ticket", sessionID)
	if err != nil {
		return nil, fmt.Errorf("site store: candidates: %w", err)
	}
	defer rows.Close()
	var out []CheckIn
	for rows.Next() {
		var c CheckIn
		var at sql.NullString
		if err := rows.Scan(&c.Ticket, &c.Status, &c.Seat, &c.Override, &at); err != nil {
			return nil, err
		}
		if c.At, err = parseTime("candidates", "checked_at", c.Ticket, at.String); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// PutCheckIn stores a candidate's check-in.
func (tx *Tx) PutCheckIn(sessionID string, c CheckIn) error {
	return tx.mustChange("UPDATE candidates SET status = ?, seat = ?, override = ?, checked_at = ? WHERE session_id = ? AND ticket = ?",
		"ticket "+c.Ticket, string(c.Status), c.Seat, c.Override, fmtTime(c.At), sessionID, c.Ticket)
}

// PutPhoto stores a candidate's photo taken at check-in, sealed.
func (tx *Tx) PutPhoto(sessionID, ticket string, photo []byte) error {
	sealed, err := tx.seal("candidates", "photo", rowKey(sessionID, ticket), photo)
	if err != nil {
		return err
	}
	return tx.mustChange("UPDATE candidates SET photo = ? WHERE session_id = ? AND ticket = ?", "ticket "+ticket, sealed, sessionID, ticket)
}

// Photo returns a candidate's photo, or nil if none was taken.
func (tx *Tx) Photo(sessionID, ticket string) ([]byte, error) {
	var sealed []byte
	err := tx.queryRow("SELECT photo FROM candidates WHERE session_id = ? AND ticket = ?", sessionID, ticket).Scan(&sealed)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("ticket %q in session %q: %w", ticket, sessionID, ErrNotFound)
	}
	if err != nil || sealed == nil {
		return nil, err
	}
	return tx.open("candidates", "photo", rowKey(sessionID, ticket), sealed)
}

// Attempt decodes a candidate's sealed exam state into v; it reports false
// when the candidate has not begun.
func (tx *Tx) Attempt(sessionID, ticket string, v any) (bool, error) {
	var sealed []byte
	err := tx.queryRow("SELECT state FROM attempts WHERE session_id = ? AND ticket = ?", sessionID, ticket).Scan(&sealed)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("site store: attempt %s: %w", ticket, err)
	}
	return true, tx.openJSON("attempts", "state", rowKey(sessionID, ticket), sealed, v)
}

// PutAttempt stores v, in JSON, as a candidate's sealed exam state, with the
// clear facts that status counts need.
func (tx *Tx) PutAttempt(sessionID, ticket string, v any, submitted bool, receiptCode string) error {
	sealed, err := tx.sealJSON("attempts", "state", rowKey(sessionID, ticket), v)
	if err != nil {
		return err
	}
	_, err = tx.exec(`INSERT INTO attempts (session_id, ticket, state, submitted, receipt_code) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (session_id, ticket) DO UPDATE SET state = excluded.state, submitted = excluded.submitted, receipt_code = excluded.receipt_code`,
		sessionID, ticket, sealed, submitted, receiptCode)
	if err != nil {
		return fmt.Errorf("site store: attempt %s: %w", ticket, err)
	}
	return nil
}

// AttemptTickets lists the candidates of a session who have begun, by ticket.
func (tx *Tx) AttemptTickets(sessionID string) ([]string, error) {
	rows, err := tx.query("SELECT ticket FROM attempts WHERE session_id = ? ORDER BY ticket", sessionID)
	if err != nil {
		return nil, fmt.Errorf("site store: attempts: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// Answer is one item's saved answer with its review flag.
type Answer struct {
	ItemID  string
	Value   exam.Answer
	Flagged bool
	Rev     int // how many times it was saved
	Saved   time.Time
}

// PutAnswer stores an item's answer, sealed, replacing the one before.
func (tx *Tx) PutAnswer(sessionID, ticket string, a Answer) error {
	sealed, err := tx.sealJSON("answers", "answer", rowKey(sessionID, ticket, a.ItemID), a.Value)
	if err != nil {
		return err
	}
	_, err = tx.exec(`INSERT INTO answers (session_id, ticket, item_id, answer, flagged, rev, saved_at) VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (session_id, ticket, item_id) DO UPDATE SET answer = excluded.answer, flagged = excluded.flagged, rev = excluded.rev, saved_at = excluded.saved_at`,
		sessionID, ticket, a.ItemID, sealed, a.Flagged, a.Rev, fmtTime(a.Saved))
	if err != nil {
		return fmt.Errorf("site store: answer %s: %w", a.ItemID, err)
	}
	return nil
}

// Answer returns one item's saved answer; ErrNotFound if none was saved.
func (tx *Tx) Answer(sessionID, ticket, itemID string) (Answer, error) {
	a := Answer{ItemID: itemID}
	var sealed []byte
	var saved string
	err := tx.queryRow("SELECT answer, flagged, rev, saved_at FROM answers WHERE session_id = ? AND ticket = ? AND item_id = ?", sessionID, ticket, itemID).
		Scan(&sealed, &a.Flagged, &a.Rev, &saved)
	if errors.Is(err, sql.ErrNoRows) {
		return a, fmt.Errorf("answer to %s: %w", itemID, ErrNotFound)
	}
	if err != nil {
		return a, fmt.Errorf("site store: answer %s: %w", itemID, err)
	}
	row := rowKey(sessionID, ticket, itemID)
	if err := tx.openJSON("answers", "answer", row, sealed, &a.Value); err != nil {
		return a, err
	}
	a.Saved, err = parseTime("answers", "saved_at", row, saved)
	return a, err
}

// Answers returns a candidate's saved answers by item id.
func (tx *Tx) Answers(sessionID, ticket string) (map[string]Answer, error) {
	rows, err := tx.query("SELECT item_id, answer, flagged, rev, saved_at FROM answers WHERE session_id = ? AND ticket = ?", sessionID, ticket)
	if err != nil {
		return nil, fmt.Errorf("site store: answers: %w", err)
	}
	defer rows.Close()
	out := map[string]Answer{}
	for rows.Next() {
		var a Answer
		var sealed []byte
		var saved string
		if err := rows.Scan(&a.ItemID, &sealed, &a.Flagged, &a.Rev, &saved); err != nil {
			return nil, err
		}
		row := rowKey(sessionID, ticket, a.ItemID)
		if err := tx.openJSON("answers", "answer", row, sealed, &a.Value); err != nil {
			return nil, err
		}
		if a.Saved, err = parseTime("answers", "saved_at", row, saved); err != nil {
			return nil, err
		}
		out[a.ItemID] = a
	}
	return out, rows.Err()
}

// Marks are an examiner's marks for one practical item, one per rubric criterion.
type Marks struct {
	ItemID   string
	Values   []float64
	Examiner string
	Saved    time.Time
}

// PutMarks stores an item's marks, sealed, replacing those before.
func (tx *Tx) PutMarks(sessionID, ticket string, m Marks) error {
	row := rowKey(sessionID, ticket, m.ItemID)
	sealed, err := tx.sealJSON("marks", "marks", row, m.Values)
	if err != nil {
		return err
	}
	examiner, err := tx.seal("marks", "examiner", row, []byte(m.Examiner))
	if err != nil {
		return err
	}
	_, err = tx.exec(`INSERT INTO marks (session_id, ticket, item_id, marks, examiner, saved_at) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (session_id, ticket, item_id) DO UPDATE SET marks = excluded.marks, examiner = excluded.examiner, saved_at = excluded.saved_at`,
		sessionID, ticket, m.ItemID, sealed, examiner, fmtTime(m.Saved))
	if err != nil {
		return fmt.Errorf("site store: marks %s: %w", m.ItemID, err)
	}
	return nil
}

// Marks returns a candidate's practical marks by item id.
func (tx *Tx) Marks(sessionID, ticket string) (map[string]Marks, error) {
	rows, err := tx.query("SELECT item_id, marks, examiner, saved_at FROM marks WHERE session_id = ? AND ticket = ?", sessionID, ticket)
	if err != nil {
		return nil, fmt.Errorf("site store: marks: %w", err)
	}
	defer rows.Close()
	out := map[string]Marks{}
	for rows.Next() {
		var m Marks
		var sealed, examiner []byte
		var saved string
		if err := rows.Scan(&m.ItemID, &sealed, &examiner, &saved); err != nil {
			return nil, err
		}
		row := rowKey(sessionID, ticket, m.ItemID)
		if err := tx.openJSON("marks", "marks", row, sealed, &m.Values); err != nil {
			return nil, err
		}
		name, err := tx.open("marks", "examiner", row, examiner)
		if err != nil {
			return nil, err
		}
		m.Examiner = string(name)
		if m.Saved, err = parseTime("marks", "saved_at", row, saved); err != nil {
			return nil, err
		}
		out[m.ItemID] = m
	}
	return out, rows.Err()
}

// Incident is something a proctor (or the site itself) noted.
type Incident struct {
	ID        int64
	SessionID string
	Ticket    string // empty: the whole room
	Type      string
	Note      string
	At        time.Time
}

// AddIncident stores an incident with its note sealed and returns its id.
func (tx *Tx) AddIncident(in Incident) (int64, error) {
	res, err := tx.exec("INSERT INTO incidents (session_id, ticket, type, note, at) VALUES (?, ?, ?, x'', ?)",
		in.SessionID, in.Ticket, in.Type, fmtTime(in.At))
	if err != nil {
		return 0, fmt.Errorf("site store: incident: %w", err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return 0, err
	}
	sealed, err := tx.seal("incidents", "note", fmt.Sprint(id), []byte(in.Note))
	if err != nil {
		return 0, err
	}
	if _, err := tx.exec("UPDATE incidents SET note = ? WHERE id = ?", sealed, id); err != nil {
		return 0, fmt.Errorf("site store: incident: %w", err)
	}
	return id, nil
}

// Incidents returns a session's incidents in the order they were noted.
func (tx *Tx) Incidents(sessionID string) ([]Incident, error) {
	rows, err := tx.query("SELECT id, ticket, type, note, at FROM incidents WHERE session_id = ? ORDER BY id", sessionID)
	if err != nil {
		return nil, fmt.Errorf("site store: incidents: %w", err)
	}
	defer rows.Close()
	var out []Incident
	for rows.Next() {
		in := Incident{SessionID: sessionID}
		var sealed []byte
		var at string
		if err := rows.Scan(&in.ID, &in.Ticket, &in.Type, &sealed, &at); err != nil {
			return nil, err
		}
		row := fmt.Sprint(in.ID)
		note, err := tx.open("incidents", "note", row, sealed)
		if err != nil {
			return nil, err
		}
		in.Note = string(note)
		if in.At, err = parseTime("incidents", "at", row, at); err != nil {
			return nil, err
		}
		out = append(out, in)
	}
	return out, rows.Err()
}

// Counts are a session's figures for status screens.
type Counts struct {
	Candidates int
	Present    int
	Late       int
	Absent     int
	Begun      int
	Submitted  int
}

// Counts returns a session's figures.
func (tx *Tx) Counts(sessionID string) (Counts, error) {
	var c Counts
	err := tx.queryRow(`SELECT count(*),
			coalesce(sum(status = 'present'), 0), coalesce(sum(status = 'late'), 0), coalesce(sum(status = 'absent'), 0)
		FROM candidates WHERE session_id = ?`, sessionID).Scan(&c.Candidates, &c.Present, &c.Late, &c.Absent)
	if err != nil {
		return c, fmt.Errorf("site store: counts: %w", err)
	}
	err = tx.queryRow("SELECT count(*), coalesce(sum(submitted), 0) FROM attempts WHERE session_id = ?", sessionID).Scan(&c.Begun, &c.Submitted)
	if err != nil {
		return c, fmt.Errorf("site store: counts: %w", err)
	}
	return c, nil
}

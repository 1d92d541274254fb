package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Inspection statuses as kept (issue 17).
const (
	InspectionDrawn      = "drawn"      // drawn, no findings yet
	InspectionPassed     = "passed"     // findings recorded, no issue found
	InspectionRectifying = "rectifying" // an issue found, to be rectified by a deadline
	InspectionRectified  = "rectified"  // the rectification closed
)

// InspectionRegisters is a snapshot of the inspection registers as parsed:
// Canonical is their canonical JSON (exam/inspect), exactly as the parser
// wrote it, SHA256 its hash; the CSV files are kept as they came.
type InspectionRegisters struct {
	ID                int64
	Canonical         []byte
	SHA256            string
	Sites, Inspectors int
	SitesCSV          []byte
	InspectorsCSV     []byte
	ImportedAt        time.Time
	ImportedBy        string
}

// InspectionCommitment is a published commitment and, once drawn, its draw.
type InspectionCommitment struct {
	ID          int64
	RegistersID int64
	Canonical   []byte // the commitment's canonical JSON, as exam/inspect wrote it
	SHA256      string
	// The plan, copied from the commitment for listing.
	SharePercent, MinSites, InspectorsPerSite int
	Description                               string // the public values, as the office described them
	PublishedAt                               time.Time
	CommittedBy                               string
	Draw                                      *InspectionDraw // nil until drawn
}

// InspectionDraw is the draw of a commitment: the public values as typed
// (who, when) and the transcript's canonical bytes.
type InspectionDraw struct {
	Typed      []string
	TypedBy    string
	TypedAt    time.Time
	Transcript []byte
	SHA256     string
}

// InspectedSite is the inspection of one drawn site.
type InspectedSite struct {
	CommitmentID int64
	SiteCode     string
	SiteName     string
	Position     int      // in the draw order, from 0
	Inspectors   []string // ids, in the order drawn
	Status       string   // InspectionDrawn, …
	FindingsAt   time.Time
	FindingsBy   string
	RectifyBy    time.Time // zero: no deadline
	ClosedAt     time.Time
	ClosedBy     string
	CloseNote    string
	Findings     []Finding // in checklist order as recorded
}

// Finding is the result of one checklist item at an inspected site.
type Finding struct {
	Item  string
	Issue bool
	Note  string
}

// ErrInspectionState is a change an inspection's state does not allow now
// (a second draw, findings twice, closing what is not being rectified).
var ErrInspectionState = errors.New("not allowed in the inspection's state")

// AddInspectionRegisters keeps a registers snapshot, with its audit entry.
func (db *DB) AddInspectionRegisters(ctx context.Context, r InspectionRegisters, audit func(id int64) AuditLine) (int64, error) {
	var id int64
	err := db.tx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `INSERT INTO inspection_registers (canonical, sha256, sites, inspectors, sites_csv, inspectors_csv, imported_at, imported_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
			r.Canonical, r.SHA256, r.Sites, r.Inspectors, r.SitesCSV, r.InspectorsCSV, micros(r.ImportedAt), r.ImportedBy).Scan(&id)
		if err != nil {
			return fmt.Errorf("add inspection registers: %w", err)
		}
		return auditIf(ctx, tx, audit(id))
	})
	return id, err
}

const registersCols = "id, canonical, sha256, sites, inspectors, sites_csv, inspectors_csv, imported_at, imported_by"

func scanRegisters(scan func(...any) error) (InspectionRegisters, error) {
	var r InspectionRegisters
	var at int64
	err := scan(&r.ID, &r.Canonical, &r.SHA256, &r.Sites, &r.Inspectors, &r.SitesCSV, &r.InspectorsCSV, &at, &r.ImportedBy)
	r.ImportedAt = fromMicros(at)
	return r, err
}

// InspectionRegistersByID returns a registers snapshot, or ErrNotFound.
func (db *DB) InspectionRegistersByID(ctx context.Context, id int64) (InspectionRegisters, error) {
	r, err := scanRegisters(db.sql.QueryRowContext(ctx, "SELECT "+registersCols+" FROM inspection_registers WHERE id = $1", id).Scan)
	return r, notFound(err, fmt.Sprintf("inspection registers %d", id))
}

// LatestInspectionRegisters returns the registers imported last, or ErrNotFound.
func (db *DB) LatestInspectionRegisters(ctx context.Context) (InspectionRegisters, error) {
	r, err := scanRegisters(db.sql.QueryRowContext(ctx, "SELECT "+registersCols+" FROM inspection_registers ORDER BY id DESC LIMIT 1").Scan)
	return r, notFound(err, "inspection registers")
}

// AddInspectionCommitment keeps a commitment as published, with its audit entry.
func (db *DB) AddInspectionCommitment(ctx context.Context, c InspectionCommitment, audit func(id int64) AuditLine) (int64, error) {
	var id int64
	err := db.tx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `INSERT INTO inspection_commitments (registers_id, canonical, sha256, share_percent, min_sites, inspectors_per_site, description, published_at, committed_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
			c.RegistersID, c.Canonical, c.SHA256, c.SharePercent, c.MinSites, c.InspectorsPerSite, c.Description, micros(c.PublishedAt), c.CommittedBy).Scan(&id)
		if isUnique(err) {
			return fmt.Errorf("inspection commitment %s: %w", c.SHA256, ErrExists)
		}
		if err != nil {
			return fmt.Errorf("add inspection commitment: %w", err)
		}
		return auditIf(ctx, tx, audit(id))
	})
	return id, err
}

const commitmentCols = `c.id, c.registers_id, c.canonical, c.sha256, c.share_percent, c.min_sites, c.inspectors_per_site, c.description, c.published_at, c.committed_by,
	d.commitment_id, d.typed, d.typed_by, d.typed_at, d.transcript, d.sha256`

const commitmentFrom = " FROM inspection_commitments c LEFT JOIN inspection_draws d ON d.commitment_id = c.id"

func scanCommitment(scan func(...any) error) (InspectionCommitment, error) {
	var c InspectionCommitment
	var at int64
	var did, typedAt sql.NullInt64
	var typed, typedBy, dsha sql.NullString
	var transcript []byte
	err := scan(&c.ID, &c.RegistersID, &c.Canonical, &c.SHA256, &c.SharePercent, &c.MinSites, &c.InspectorsPerSite, &c.Description, &at, &c.CommittedBy,
		&did, &typed, &typedBy, &typedAt, &transcript, &dsha)
	if err != nil {
		return c, err
	}
	c.PublishedAt = fromMicros(at)
	if did.Valid {
		d := &InspectionDraw{TypedBy: typedBy.String, TypedAt: fromMicros(typedAt.Int64), Transcript: transcript, SHA256: dsha.String}
		if d.Typed, err = unmarshalStrings(typed.String); err != nil {
			return c, fmt.Errorf("inspection %d: values typed: %w", c.ID, err)
		}
		c.Draw = d
	}
	return c, nil
}

// InspectionCommitment returns a commitment and its draw, or ErrNotFound.
func (db *DB) InspectionCommitment(ctx context.Context, id int64) (InspectionCommitment, error) {
	c, err := scanCommitment(db.sql.QueryRowContext(ctx, "SELECT "+commitmentCols+commitmentFrom+" WHERE c.id = $1", id).Scan)
	return c, notFound(err, fmt.Sprintf("inspection %d", id))
}

// InspectionCommitments lists every commitment with its draw, newest first.
func (db *DB) InspectionCommitments(ctx context.Context) ([]InspectionCommitment, error) {
	return queryAll(ctx, db, "SELECT "+commitmentCols+commitmentFrom+" ORDER BY c.id DESC", nil, scanCommitment)
}

// AddInspectionDraw keeps the draw of a commitment and an inspection per
// drawn site, with its audit entry, once: a commitment drawn already is
// ErrInspectionState.
func (db *DB) AddInspectionDraw(ctx context.Context, commitmentID int64, d InspectionDraw, sites []InspectedSite, audit AuditLine) error {
	typed, err := marshalStrings(d.Typed)
	if err != nil {
		return err
	}
	return db.tx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM inspection_commitments WHERE id = $1", commitmentID).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("inspection %d: %w", commitmentID, ErrNotFound)
		}
		_, err := tx.ExecContext(ctx, "INSERT INTO inspection_draws (commitment_id, typed, typed_by, typed_at, transcript, sha256) VALUES ($1, $2, $3, $4, $5, $6)",
			commitmentID, typed, d.TypedBy, micros(d.TypedAt), d.Transcript, d.SHA256)
		if isUnique(err) {
			return fmt.Errorf("inspection %d is drawn already: %w", commitmentID, ErrInspectionState)
		}
		if err != nil {
			return fmt.Errorf("add inspection draw: %w", err)
		}
		for _, s := range sites {
			inspectorsJSON, err := marshalStrings(s.Inspectors)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, "INSERT INTO inspection_sites (commitment_id, site_code, site_name, position, inspectors, status) VALUES ($1, $2, $3, $4, $5, $6)",
				commitmentID, s.SiteCode, s.SiteName, s.Position, inspectorsJSON, InspectionDrawn); err != nil {
				return fmt.Errorf("add inspected site %s: %w", s.SiteCode, err)
			}
		}
		return auditIf(ctx, tx, audit)
	})
}

const siteCols = "commitment_id, site_code, site_name, position, inspectors, status, findings_at, findings_by, rectify_by, closed_at, closed_by, close_note"

func scanSite(scan func(...any) error) (InspectedSite, error) {
	var s InspectedSite
	var ins string
	var fat, rby, cat int64
	err := scan(&s.CommitmentID, &s.SiteCode, &s.SiteName, &s.Position, &ins, &s.Status, &fat, &s.FindingsBy, &rby, &cat, &s.ClosedBy, &s.CloseNote)
	if err != nil {
		return s, err
	}
	if s.Inspectors, err = unmarshalStrings(ins); err != nil {
		return s, fmt.Errorf("inspection %d, site %s: inspectors: %w", s.CommitmentID, s.SiteCode, err)
	}
	s.FindingsAt, s.RectifyBy, s.ClosedAt = timeOrZero(fat), timeOrZero(rby), timeOrZero(cat)
	return s, err
}

func timeOrZero(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return fromMicros(v)
}

func microsOrZero(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return micros(t)
}

// InspectedSites lists the inspected sites of a commitment's draw in the
// draw order, each with its findings.
func (db *DB) InspectedSites(ctx context.Context, commitmentID int64) ([]InspectedSite, error) {
	sites, err := queryAll(ctx, db, "SELECT "+siteCols+" FROM inspection_sites WHERE commitment_id = $1 ORDER BY position", []any{commitmentID}, scanSite)
	if err != nil {
		return nil, err
	}
	at := map[string]int{}
	for i, s := range sites {
		at[s.SiteCode] = i
	}
	err = queryEach(ctx, db.sql, "SELECT site_code, item, issue, note FROM inspection_findings WHERE commitment_id = $1 ORDER BY site_code, item", []any{commitmentID}, func(scan func(...any) error) error {
		var code string
		var f Finding
		var issue int
		if err := scan(&code, &f.Item, &issue, &f.Note); err != nil {
			return err
		}
		f.Issue = issue != 0
		if i, ok := at[code]; ok {
			sites[i].Findings = append(sites[i].Findings, f)
		}
		return nil
	})
	return sites, err
}

func site(ctx context.Context, tx *sql.Tx, commitmentID int64, code string) (InspectedSite, error) {
	s, err := scanSite(tx.QueryRowContext(ctx, "SELECT "+siteCols+" FROM inspection_sites WHERE commitment_id = $1 AND site_code = $2", commitmentID, code).Scan)
	return s, notFound(err, fmt.Sprintf("inspection %d, site %s", commitmentID, code))
}

// RecordInspectionFindings keeps the findings of a drawn site, once, and
// sets its status (InspectionPassed, or InspectionRectifying with the
// deadline rectifyBy), with its audit entry. A site with findings already is
// ErrInspectionState.
func (db *DB) RecordInspectionFindings(ctx context.Context, commitmentID int64, code string, findings []Finding, status string, rectifyBy, at time.Time, by string, audit AuditLine) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		s, err := site(ctx, tx, commitmentID, code)
		if err != nil {
			return err
		}
		if s.Status != InspectionDrawn {
			return fmt.Errorf("inspection %d, site %s: findings are recorded already (%s): %w", commitmentID, code, s.Status, ErrInspectionState)
		}
		res, err := tx.ExecContext(ctx, "UPDATE inspection_sites SET status = $1, findings_at = $2, findings_by = $3, rectify_by = $4 WHERE commitment_id = $5 AND site_code = $6 AND status = $7",
			status, micros(at), by, microsOrZero(rectifyBy), commitmentID, code, InspectionDrawn)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return fmt.Errorf("inspection %d, site %s: %w", commitmentID, code, ErrInspectionState)
		}
		for _, f := range findings {
			if _, err := tx.ExecContext(ctx, "INSERT INTO inspection_findings (commitment_id, site_code, item, issue, note) VALUES ($1, $2, $3, $4, $5)",
				commitmentID, code, f.Item, boolInt(f.Issue), f.Note); err != nil {
				return fmt.Errorf("add finding %s: %w", f.Item, err)
			}
		}
		return auditIf(ctx, tx, audit)
	})
}

// CloseInspectionRectification closes the rectification of a site being
// rectified (else ErrInspectionState), with its audit entry.
func (db *DB) CloseInspectionRectification(ctx context.Context, commitmentID int64, code, note string, at time.Time, by string, audit AuditLine) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "UPDATE inspection_sites SET status = $1, closed_at = $2, closed_by = $3, close_note = $4 WHERE commitment_id = $5 AND site_code = $6 AND status = $7",
			InspectionRectified, micros(at), by, note, commitmentID, code, InspectionRectifying)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			s, err := site(ctx, tx, commitmentID, code)
			if err != nil {
				return err
			}
			return fmt.Errorf("inspection %d, site %s is %s, not being rectified: %w", commitmentID, code, s.Status, ErrInspectionState)
		}
		return auditIf(ctx, tx, audit)
	})
}

// marshalStrings keeps a list of strings as a JSON list ("[]" when empty).
func marshalStrings(ss []string) (string, error) {
	if ss == nil {
		ss = []string{}
	}
	b, err := json.Marshal(ss)
	return string(b), err
}

func unmarshalStrings(s string) ([]string, error) {
	var ss []string
	err := json.Unmarshal([]byte(s), &ss)
	return ss, err
}

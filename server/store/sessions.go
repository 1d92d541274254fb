package store

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"time"

	"onex/exam"
)

// Session is a scheduled sitting as central stores it.
type Session struct {
	ID               string
	Site             string
	Room             string
	PaperID          string
	PaperVersion     int
	Start            time.Time
	ReleaseAt        time.Time
	LateLimitMinutes int
	UnlockSealed     []byte // the code read out by phone, which derives the release key, sealed under central's secrets key
	PkgVersion       int64  // the package cursor value of its last change
	CreatedAt        time.Time
}

// Package is a session's package: the signed manifest and the parts it lists.
type Package struct {
	Manifest []byte
	Parts    map[string][]byte
	Version  int64 // the package cursor's value at its last change (PackagesSince)
}

const sessionCols = "id, site, room, paper_id, paper_version, start_at, release_at, late_limit_minutes, unlock_sealed, pkg_version, created_at"

func scanSession(row interface{ Scan(...any) error }) (Session, error) {
	var s Session
	var start, release, created int64
	err := row.Scan(&s.ID, &s.Site, &s.Room, &s.PaperID, &s.PaperVersion, &start, &release, &s.LateLimitMinutes, &s.UnlockSealed, &s.PkgVersion, &created)
	s.Start, s.ReleaseAt, s.CreatedAt = fromMicros(start), fromMicros(release), fromMicros(created)
	return s, err
}

// PaperRelease is the one release time of a paper version's sessions,
// fixed by the first of them.
type PaperRelease struct {
	PaperID   string
	Version   int
	ReleaseAt time.Time
	SessionID string // the session that fixed it
}

// ReleaseMismatchError is a session whose release time is not its paper
// version's.
type ReleaseMismatchError struct{ Fixed PaperRelease }

func (e *ReleaseMismatchError) Error() string {
	return fmt.Sprintf("paper %s version %d is released at %s (session %s)", e.Fixed.PaperID, e.Fixed.Version, e.Fixed.ReleaseAt.Format(time.RFC3339), e.Fixed.SessionID)
}

// Unwrap makes errors.Is(err, ErrConflict) true.
func (e *ReleaseMismatchError) Unwrap() error { return ErrConflict }

// PaperRelease returns the release time of a paper version's sessions, or
// ErrNotFound when it has none.
func (db *DB) PaperRelease(ctx context.Context, paperID string, version int) (PaperRelease, error) {
	return paperRelease(ctx, db.sql, paperID, version)
}

func paperRelease(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, paperID string, version int) (PaperRelease, error) {
	r := PaperRelease{PaperID: paperID, Version: version}
	var at int64
	err := q.QueryRowContext(ctx, "SELECT release_at, session_id FROM paper_releases WHERE paper_id = $1 AND paper_version = $2", paperID, version).Scan(&at, &r.SessionID)
	r.ReleaseAt = fromMicros(at)
	return r, notFound(err, fmt.Sprintf("release of paper %s version %d", paperID, version))
}

// SignPackage makes a session's package for the version it gets: the
// package cursor's value at this change, which its manifest carries.
type SignPackage func(version int64) (Package, error)

// CreateSession stores a new session with its first package. The first
// session of a paper version fixes the release time of all; a session with
// another one is refused with a *ReleaseMismatchError.
func (db *DB) CreateSession(ctx context.Context, s Session, sign SignPackage) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO paper_releases (paper_id, paper_version, release_at, session_id) VALUES ($1, $2, $3, $4)
			ON CONFLICT (paper_id, paper_version) DO NOTHING`, s.PaperID, s.PaperVersion, micros(s.ReleaseAt), s.ID)
		if err != nil {
			return fmt.Errorf("session %s: %w", s.ID, err)
		}
		fixed, err := paperRelease(ctx, tx, s.PaperID, s.PaperVersion)
		if err != nil {
			return fmt.Errorf("session %s: %w", s.ID, err)
		}
		if !fixed.ReleaseAt.Equal(fromMicros(micros(s.ReleaseAt))) {
			return &ReleaseMismatchError{Fixed: fixed}
		}
		v, pkg, err := nextPackage(ctx, tx, sign)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, "INSERT INTO sessions ("+sessionCols+", manifest, unlock_code) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, '')",
			s.ID, s.Site, s.Room, s.PaperID, s.PaperVersion, micros(s.Start), micros(s.ReleaseAt), s.LateLimitMinutes, s.UnlockSealed, v, micros(s.CreatedAt), pkg.Manifest)
		if isUnique(err) {
			return fmt.Errorf("session %s: %w", s.ID, ErrExists)
		}
		if err != nil {
			return fmt.Errorf("session %s: %w", s.ID, err)
		}
		return putParts(ctx, tx, s.ID, pkg)
	})
}

func putParts(ctx context.Context, tx *sql.Tx, sessionID string, pkg Package) error {
	if _, err := tx.ExecContext(ctx, "DELETE FROM session_parts WHERE session_id = $1", sessionID); err != nil {
		return err
	}
	for name, data := range pkg.Parts {
		if _, err := tx.ExecContext(ctx, "INSERT INTO session_parts (session_id, name, data) VALUES ($1, $2, $3)", sessionID, name, data); err != nil {
			return fmt.Errorf("session %s part %s: %w", sessionID, name, err)
		}
	}
	return nil
}

// Session returns a session.
func (db *DB) Session(ctx context.Context, id string) (Session, error) {
	s, err := scanSession(db.sql.QueryRowContext(ctx, "SELECT "+sessionCols+" FROM sessions WHERE id = $1", id))
	return s, notFound(err, "session "+id)
}

// Sessions lists the sessions of a site, or of every site when site is empty, by start time.
func (db *DB) Sessions(ctx context.Context, site string) ([]Session, error) {
	rows, err := db.sql.QueryContext(ctx, "SELECT "+sessionCols+" FROM sessions WHERE site = $1 OR $1 = '' ORDER BY start_at, id", site)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Session
	for rows.Next() {
		s, err := scanSession(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// PackagesSince returns the packages of the site's sessions changed after
// cursor, and the cursor that covers them.
func (db *DB) PackagesSince(ctx context.Context, site string, cursor int64) (map[string]Package, int64, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT s.id, s.pkg_version, s.manifest, p.name, p.data
		FROM sessions s JOIN session_parts p ON p.session_id = s.id
		WHERE s.site = $1 AND s.pkg_version > $2 ORDER BY s.id, p.name`, site, cursor)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out := map[string]Package{}
	newCursor := cursor
	for rows.Next() {
		var id, name string
		var v int64
		var manifest, data []byte
		if err := rows.Scan(&id, &v, &manifest, &name, &data); err != nil {
			return nil, 0, err
		}
		pkg, ok := out[id]
		if !ok {
			pkg = Package{Manifest: manifest, Parts: map[string][]byte{}, Version: v}
			out[id] = pkg
		}
		pkg.Parts[name] = data
		newCursor = max(newCursor, v)
	}
	return out, newCursor, rows.Err()
}

// PutRoster replaces a session's roster and its package in one transaction.
func (db *DB) PutRoster(ctx context.Context, sessionID string, cands []exam.Candidate, sign SignPackage) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		v, pkg, err := nextPackage(ctx, tx, sign)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, "UPDATE sessions SET pkg_version = $1, manifest = $2 WHERE id = $3", v, pkg.Manifest, sessionID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("session %s: %w", sessionID, ErrNotFound)
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM candidates WHERE session_id = $1", sessionID); err != nil {
			return err
		}
		for i, c := range cands {
			_, err := tx.ExecContext(ctx, `INSERT INTO candidates (session_id, ticket, line, name, id_type, id_number, gender, category, school, fee_exempt, room, seat, fee_kind)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
				sessionID, c.Ticket, i+1, c.Name, c.IDType, c.IDNumber, string(c.Gender), string(c.Category), c.School, boolInt(c.FeeExempt), c.Room, c.Seat, string(c.FeeKind))
			if err != nil {
				return fmt.Errorf("candidate %s: %w", c.Ticket, err)
			}
		}
		return putParts(ctx, tx, sessionID, pkg)
	})
}

// Manifests returns the manifest of every session, by session id.
func (db *DB) Manifests(ctx context.Context) (map[string][]byte, error) {
	out := map[string][]byte{}
	err := queryEach(ctx, db.sql, "SELECT id, manifest FROM sessions", nil, func(scan func(...any) error) error {
		var id string
		var m []byte
		err := scan(&id, &m)
		out[id] = m
		return err
	})
	return out, err
}

// nextPackage takes the package counter's next value and has sign make the
// package of that version.
func nextPackage(ctx context.Context, tx *sql.Tx, sign SignPackage) (int64, Package, error) {
	v, err := next(ctx, tx, "package")
	if err != nil {
		return 0, Package{}, err
	}
	pkg, err := sign(v)
	return v, pkg, err
}

// ReplaceManifest gives a session's unchanged parts a new manifest (the
// Manifest of what sign makes for a new version), if its manifest is still
// old; it reports whether it did.
func (db *DB) ReplaceManifest(ctx context.Context, sessionID string, old []byte, sign SignPackage) (bool, error) {
	done := false
	err := db.tx(ctx, func(tx *sql.Tx) error {
		var cur []byte
		if err := tx.QueryRowContext(ctx, "SELECT manifest FROM sessions WHERE id = $1", sessionID).Scan(&cur); err != nil {
			return notFound(err, "session "+sessionID)
		}
		if !bytes.Equal(cur, old) {
			return nil
		}
		v, pkg, err := nextPackage(ctx, tx, sign)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, "UPDATE sessions SET pkg_version = $1, manifest = $2 WHERE id = $3", v, pkg.Manifest, sessionID)
		done = err == nil
		return err
	})
	return done, err
}

// Roster returns a session's candidates in roster order.
func (db *DB) Roster(ctx context.Context, sessionID string) ([]exam.Candidate, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT ticket, name, id_type, id_number, gender, category, school, fee_exempt, room, seat, fee_kind
		FROM candidates WHERE session_id = $1 ORDER BY line`, sessionID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []exam.Candidate
	for rows.Next() {
		var c exam.Candidate
		var fee int
		if err := rows.Scan(&c.Ticket, &c.Name, &c.IDType, &c.IDNumber, &c.Gender, &c.Category, &c.School, &fee, &c.Room, &c.Seat, &c.FeeKind); err != nil {
			return nil, err
		}
		c.FeeExempt = fee == 1
		out = append(out, c)
	}
	return out, rows.Err()
}

// SessionPackage returns a session's current package.
func (db *DB) SessionPackage(ctx context.Context, sessionID string) (Package, error) {
	pkg := Package{Parts: map[string][]byte{}}
	err := db.sql.QueryRowContext(ctx, "SELECT manifest FROM sessions WHERE id = $1", sessionID).Scan(&pkg.Manifest)
	if err != nil {
		return pkg, notFound(err, "session "+sessionID)
	}
	err = queryEach(ctx, db.sql, "SELECT name, data FROM session_parts WHERE session_id = $1", []any{sessionID}, func(scan func(...any) error) error {
		var name string
		var data []byte
		err := scan(&name, &data)
		pkg.Parts[name] = data
		return err
	})
	return pkg, err
}

// PlainUnlockCodes returns the unlock codes stored in the clear before they
// were kept sealed, by session id.
func (db *DB) PlainUnlockCodes(ctx context.Context) (map[string]string, error) {
	out := map[string]string{}
	err := queryEach(ctx, db.sql, "SELECT id, unlock_code FROM sessions WHERE unlock_code <> ''", nil, func(scan func(...any) error) error {
		var id, code string
		err := scan(&id, &code)
		out[id] = code
		return err
	})
	return out, err
}

// SealUnlockCode keeps a session's unlock code sealed and forgets the clear one.
func (db *DB) SealUnlockCode(ctx context.Context, sessionID string, sealed []byte) error {
	_, err := db.sql.ExecContext(ctx, "UPDATE sessions SET unlock_sealed = $1, unlock_code = '' WHERE id = $2", sealed, sessionID)
	return err
}

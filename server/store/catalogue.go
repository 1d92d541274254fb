package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"onex/exam"
)

// PutCatalogue adds or updates every organisation, certificate and site of c
// in one transaction. Entries not in c are kept.
func (db *DB) PutCatalogue(ctx context.Context, c *exam.Catalogue) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		for _, o := range c.Organisations {
			if _, err := tx.ExecContext(ctx, `INSERT INTO organisations (code, name) VALUES ($1, $2)
				ON CONFLICT (code) DO UPDATE SET name = excluded.name`, o.Code, o.Name); err != nil {
				return fmt.Errorf("organisation %s: %w", o.Code, err)
			}
		}
		for _, ct := range c.Certificates {
			levels, _ := json.Marshal(ct.Levels)
			if _, err := tx.ExecContext(ctx, `INSERT INTO certificates (code, org, name, levels) VALUES ($1, $2, $3, $4)
				ON CONFLICT (code) DO UPDATE SET org = excluded.org, name = excluded.name, levels = excluded.levels`,
				ct.Code, ct.Org, ct.Name, string(levels)); err != nil {
				return fmt.Errorf("certificate %s: %w", ct.Code, err)
			}
		}
		for _, s := range c.Sites {
			rooms, _ := json.Marshal(s.Rooms)
			if _, err := tx.ExecContext(ctx, `INSERT INTO sites (code, name, school, province, rooms) VALUES ($1, $2, $3, $4, $5)
				ON CONFLICT (code) DO UPDATE SET name = excluded.name, school = excluded.school, province = excluded.province, rooms = excluded.rooms`,
				s.Code, s.Name, s.School, s.Province, string(rooms)); err != nil {
				return fmt.Errorf("site %s: %w", s.Code, err)
			}
		}
		return nil
	})
}

// Catalogue returns the whole catalogue, ordered by code.
func (db *DB) Catalogue(ctx context.Context) (*exam.Catalogue, error) {
	c := &exam.Catalogue{Format: exam.CatalogueFormat}
	rows, err := db.sql.QueryContext(ctx, "SELECT code, name FROM organisations ORDER BY code")
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var o exam.Organisation
		if err := rows.Scan(&o.Code, &o.Name); err != nil {
			rows.Close()
			return nil, err
		}
		c.Organisations = append(c.Organisations, o)
	}
	rows.Close()
	rows, err = db.sql.QueryContext(ctx, "SELECT code, org, name, levels FROM certificates ORDER BY code")
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var ct exam.Certificate
		var levels string
		if err := rows.Scan(&ct.Code, &ct.Org, &ct.Name, &levels); err != nil {
			rows.Close()
			return nil, err
		}
		if err := json.Unmarshal([]byte(levels), &ct.Levels); err != nil {
			rows.Close()
			return nil, fmt.Errorf("certificate %s levels: %w", ct.Code, err)
		}
		c.Certificates = append(c.Certificates, ct)
	}
	rows.Close()
	rows, err = db.sql.QueryContext(ctx, "SELECT code, name, school, province, rooms FROM sites ORDER BY code")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var s exam.Site
		var rooms string
		if err := rows.Scan(&s.Code, &s.Name, &s.School, &s.Province, &rooms); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(rooms), &s.Rooms); err != nil {
			return nil, fmt.Errorf("site %s rooms: %w", s.Code, err)
		}
		c.Sites = append(c.Sites, s)
	}
	return c, rows.Err()
}

// PaperInfo describes a stored paper without its questions.
type PaperInfo struct {
	ID          string
	Version     int
	Certificate string
	Level       exam.Level
	Title       string
	ImportedAt  time.Time
}

// PutPaper stores a validated paper with its JSON sealed. Storing the same id
// and version again changes nothing when same says the stored body holds the
// same JSON; otherwise it is refused with ErrConflict: a changed paper needs a
// new version.
func (db *DB) PutPaper(ctx context.Context, p *exam.Paper, sealed []byte, same func(stored []byte) bool) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		var old []byte
		err := tx.QueryRowContext(ctx, "SELECT body FROM papers WHERE id = $1 AND version = $2", p.ID, p.Version).Scan(&old)
		switch {
		case err == nil && same(old):
			return nil
		case err == nil:
			return fmt.Errorf("paper %s version %d is stored with other content (give the new paper a new version): %w", p.ID, p.Version, ErrConflict)
		case err != sql.ErrNoRows:
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO papers (id, version, certificate, level, title, body, sealed, imported_at)
			VALUES ($1, $2, $3, $4, $5, $6, 1, $7)`, p.ID, p.Version, p.Certificate, string(p.Level), p.Title, sealed, micros(time.Now()))
		return err
	})
}

// Paper returns the sealed JSON of a stored paper.
func (db *DB) Paper(ctx context.Context, id string, version int) ([]byte, error) {
	var body []byte
	err := db.sql.QueryRowContext(ctx, "SELECT body FROM papers WHERE id = $1 AND version = $2", id, version).Scan(&body)
	return body, notFound(err, fmt.Sprintf("paper %s version %d", id, version))
}

// PlainPaper is a paper stored before papers were kept sealed.
type PlainPaper struct {
	ID      string
	Version int
	Body    []byte
}

// PlainPapers lists the papers whose JSON is still in the clear.
func (db *DB) PlainPapers(ctx context.Context) ([]PlainPaper, error) {
	var out []PlainPaper
	err := queryEach(ctx, db.sql, "SELECT id, version, body FROM papers WHERE sealed = 0", nil, func(scan func(...any) error) error {
		var p PlainPaper
		err := scan(&p.ID, &p.Version, &p.Body)
		out = append(out, p)
		return err
	})
	return out, err
}

// SealPaper replaces a paper's clear JSON with its sealed JSON.
func (db *DB) SealPaper(ctx context.Context, id string, version int, sealed []byte) error {
	_, err := db.sql.ExecContext(ctx, "UPDATE papers SET body = $1, sealed = 1 WHERE id = $2 AND version = $3 AND sealed = 0", sealed, id, version)
	return err
}

// LatestPaperVersion returns the highest stored version of a paper.
func (db *DB) LatestPaperVersion(ctx context.Context, id string) (int, error) {
	var v sql.NullInt64
	if err := db.sql.QueryRowContext(ctx, "SELECT MAX(version) FROM papers WHERE id = $1", id).Scan(&v); err != nil {
		return 0, err
	}
	if !v.Valid {
		return 0, fmt.Errorf("paper %s: %w", id, ErrNotFound)
	}
	return int(v.Int64), nil
}

// Papers lists the stored papers.
func (db *DB) Papers(ctx context.Context) ([]PaperInfo, error) {
	rows, err := db.sql.QueryContext(ctx, "SELECT id, version, certificate, level, title, imported_at FROM papers ORDER BY id, version")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []PaperInfo
	for rows.Next() {
		var p PaperInfo
		var at int64
		if err := rows.Scan(&p.ID, &p.Version, &p.Certificate, &p.Level, &p.Title, &at); err != nil {
			return nil, err
		}
		p.ImportedAt = fromMicros(at)
		out = append(out, p)
	}
	return out, rows.Err()
}

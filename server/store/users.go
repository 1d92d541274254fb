package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"strconv"
	"time"
)

// User is a person who signs in to the office pages.
type User struct {
	Name         string
	PasswordHash string // argon2id, in the PHC string format
	Role         string
}

// PutUser adds a user or replaces its password hash and role.
func (db *DB) PutUser(ctx context.Context, u User) error {
	_, err := db.sql.ExecContext(ctx, `INSERT INTO users (name, password_hash, role, created_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (name) DO UPDATE SET password_hash = excluded.password_hash, role = excluded.role`, u.Name, u.PasswordHash, u.Role, micros(time.Now()))
	return err
}

// User returns a user.
func (db *DB) User(ctx context.Context, name string) (User, error) {
	var u User
	err := db.sql.QueryRowContext(ctx, "SELECT name, password_hash, role FROM users WHERE name = $1", name).Scan(&u.Name, &u.PasswordHash, &u.Role)
	return u, notFound(err, "user "+name)
}

// WebSession is a signed-in browser.
type WebSession struct {
	User    User
	Expires time.Time
}

// PutWebSession stores a browser session under the hash of its token.
func (db *DB) PutWebSession(ctx context.Context, tokenHash, user string, expires time.Time) error {
	_, err := db.sql.ExecContext(ctx, "INSERT INTO web_sessions (token_hash, user_name, expires_at) VALUES ($1, $2, $3)", tokenHash, user, micros(expires))
	return err
}

// WebSession returns the unexpired browser session with the token hash.
func (db *DB) WebSession(ctx context.Context, tokenHash string, now time.Time) (WebSession, error) {
	var ws WebSession
	var exp int64
	err := db.sql.QueryRowContext(ctx, `SELECT u.name, u.password_hash, u.role, w.expires_at FROM web_sessions w JOIN users u ON u.name = w.user_name
		WHERE w.token_hash = $1 AND w.expires_at > $2`, tokenHash, micros(now)).Scan(&ws.User.Name, &ws.User.PasswordHash, &ws.User.Role, &exp)
	ws.Expires = fromMicros(exp)
	return ws, notFound(err, "web session")
}

// DeleteWebSession signs a browser out.
func (db *DB) DeleteWebSession(ctx context.Context, tokenHash string) error {
	_, err := db.sql.ExecContext(ctx, "DELETE FROM web_sessions WHERE token_hash = $1", tokenHash)
	return err
}

// AuditEntry is one line of the audit log. Each entry's hash covers the
// previous entry's hash, so a removed or altered line breaks the chain.
type AuditEntry struct {
	Seq      int64
	At       time.Time
	Actor    string
	Action   string
	Detail   string
	PrevHash string
	Hash     string
}

func auditHash(e AuditEntry) string {
	h := sha256.New()
	for _, f := range []string{e.PrevHash, strconv.FormatInt(e.Seq, 10), strconv.FormatInt(micros(e.At), 10), e.Actor, e.Action, e.Detail} {
		h.Write([]byte(strconv.Itoa(len(f)) + ":" + f))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Audit appends an entry to the audit log.
func (db *DB) Audit(ctx context.Context, actor, action, detail string) error {
	return db.tx(ctx, func(tx *sql.Tx) error { return appendAudit(ctx, tx, actor, action, detail) })
}

// appendAudit appends an entry to the audit log within tx.
func appendAudit(ctx context.Context, tx *sql.Tx, actor, action, detail string) error {
	seq, err := next(ctx, tx, "audit")
	if err != nil {
		return err
	}
	e := AuditEntry{Seq: seq, At: fromMicros(micros(time.Now())), Actor: actor, Action: action, Detail: detail}
	err = tx.QueryRowContext(ctx, "SELECT hash FROM audit WHERE seq = $1", seq-1).Scan(&e.PrevHash)
	if err != nil && err != sql.ErrNoRows {
		return err
	}
	e.Hash = auditHash(e)
	_, err = tx.ExecContext(ctx, "INSERT INTO audit (seq, at, actor, action, detail, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7)",
		e.Seq, micros(e.At), e.Actor, e.Action, e.Detail, e.PrevHash, e.Hash)
	return err
}

// AuditLog returns the audit log, oldest first, and an error if its hash chain is broken.
func (db *DB) AuditLog(ctx context.Context) ([]AuditEntry, error) {
	var out []AuditEntry
	err := queryEach(ctx, db.sql, "SELECT seq, at, actor, action, detail, prev_hash, hash FROM audit ORDER BY seq", nil, func(scan func(...any) error) error {
		var e AuditEntry
		var at int64
		err := scan(&e.Seq, &at, &e.Actor, &e.Action, &e.Detail, &e.PrevHash, &e.Hash)
		e.At = fromMicros(at)
		out = append(out, e)
		return err
	})
	if err != nil {
		return nil, err
	}
	prev := ""
	for _, e := range out {
		if e.PrevHash != prev || auditHash(e) != e.Hash {
			return out, fmt.Errorf("audit log: chain broken at entry %d: %w", e.Seq, ErrConflict)
		}
		prev = e.Hash
	}
	return out, nil
}

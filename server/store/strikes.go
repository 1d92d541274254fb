package store

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// Strikes are the failed attempts recorded against one throttled key.
type Strikes struct {
	Failures int
	Last     time.Time
}

// Strikes returns the failures recorded against a key (none: zero Strikes).
func (db *DB) Strikes(ctx context.Context, keyHash string) (Strikes, error) {
	var s Strikes
	var last int64
	err := db.sql.QueryRowContext(ctx, "SELECT failures, last_at FROM strikes WHERE key_hash = $1", keyHash).Scan(&s.Failures, &last)
	if errors.Is(err, sql.ErrNoRows) {
		return Strikes{}, nil
	}
	if err != nil {
		return Strikes{}, err
	}
	s.Last = fromMicros(last)
	return s, nil
}

// AddStrike records one more failure against a key at a time and returns
// the key's strikes; strikes a day older than that are forgotten.
func (db *DB) AddStrike(ctx context.Context, keyHash string, at time.Time) (Strikes, error) {
	var s Strikes
	var last int64
	if _, err := db.sql.ExecContext(ctx, "DELETE FROM strikes WHERE last_at < $1", micros(at.Add(-24*time.Hour))); err != nil {
		return Strikes{}, err
	}
	err := db.sql.QueryRowContext(ctx, `INSERT INTO strikes (key_hash, failures, last_at) VALUES ($1, 1, $2)
		ON CONFLICT (key_hash) DO UPDATE SET failures = strikes.failures + 1, last_at = excluded.last_at
		RETURNING failures, last_at`, keyHash, micros(at)).Scan(&s.Failures, &last)
	s.Last = fromMicros(last)
	return s, err
}

// ClearStrikes forgets the failures of a key.
func (db *DB) ClearStrikes(ctx context.Context, keyHash string) error {
	_, err := db.sql.ExecContext(ctx, "DELETE FROM strikes WHERE key_hash = $1", keyHash)
	return err
}

package store

import (
	"context"
	"time"
)

// DeleteExpiredWebSessions removes the browser sessions that expired by now.
func (db *DB) DeleteExpiredWebSessions(ctx context.Context, now time.Time) error {
	_, err := db.sql.ExecContext(ctx, "DELETE FROM web_sessions WHERE expires_at <= $1", micros(now))
	return err
}

package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Errors of enrolment.
var (
	ErrCodeUsed    = fmt.Errorf("enrolment code already used: %w", ErrConflict)
	ErrCodeExpired = fmt.Errorf("enrolment code expired: %w", ErrConflict)
)

// Device is an enrolled site device.
type Device struct {
	ID          string
	Site        string
	Name        string
	PublicKey   []byte
	EnrolledAt  time.Time
	LastSeen    time.Time
	ClockSkewMS int64 // device clock minus central's at its last contact
	Records     int64 // records received
	// RevokedAt is when the office revoked the device (zero: in use), by
	// whom and why: central refuses its requests and records from then on.
	RevokedAt    time.Time
	RevokedBy    string
	RevokeReason string
}

// Revoked reports whether the office revoked the device.
func (d Device) Revoked() bool { return !d.RevokedAt.IsZero() }

// deviceCols are the columns of a Device but its public key and records.
const deviceCols = "d.id, d.site, d.name, d.enrolled_at, d.last_seen, d.clock_skew_ms, COALESCE(d.revoked_at, 0), d.revoked_by, d.revoke_reason"

// scanDevice returns where to scan deviceCols into d, and what to call after the scan.
func scanDevice(d *Device) ([]any, func()) {
	var enrolled, seen, revoked int64
	return []any{&d.ID, &d.Site, &d.Name, &enrolled, &seen, &d.ClockSkewMS, &revoked, &d.RevokedBy, &d.RevokeReason}, func() {
		d.EnrolledAt, d.LastSeen = fromMicros(enrolled), fromMicros(seen)
		if revoked != 0 {
			d.RevokedAt = fromMicros(revoked)
		}
	}
}

// AddEnrolCode stores the hash of a one-time enrolment code for a site.
func (db *DB) AddEnrolCode(ctx context.Context, codeHash, site string, expires time.Time) error {
	_, err := db.sql.ExecContext(ctx, "INSERT INTO enrol_codes (code_hash, site, expires_at) VALUES ($1, $2, $3)", codeHash, site, micros(expires))
	if err != nil {
		return fmt.Errorf("enrolment code for site %s: %w", site, err)
	}
	return nil
}

// Enrol uses a one-time code to register d at the code's site; d.Site is set
// from the code. A used or expired code is refused and changes nothing.
func (db *DB) Enrol(ctx context.Context, codeHash string, now time.Time, d *Device) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		var site string
		var expires int64
		var used sql.NullInt64
		err := tx.QueryRowContext(ctx, "SELECT site, expires_at, used_at FROM enrol_codes WHERE code_hash = $1", codeHash).Scan(&site, &expires, &used)
		switch {
		case err == sql.ErrNoRows:
			return fmt.Errorf("enrolment code: %w", ErrNotFound)
		case err != nil:
			return err
		case used.Valid:
			return ErrCodeUsed
		case now.After(fromMicros(expires)):
			return ErrCodeExpired
		}
		res, err := tx.ExecContext(ctx, "UPDATE enrol_codes SET used_at = $1, device_id = $2 WHERE code_hash = $3 AND used_at IS NULL", micros(now), d.ID, codeHash)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return ErrCodeUsed
		}
		d.Site, d.EnrolledAt, d.LastSeen = site, now, now
		_, err = tx.ExecContext(ctx, "INSERT INTO devices (id, site, name, public_key, enrolled_at, last_seen) VALUES ($1, $2, $3, $4, $5, $6)",
			d.ID, d.Site, d.Name, d.PublicKey, micros(now), micros(now))
		return err
	})
}

// Device returns an enrolled device.
func (db *DB) Device(ctx context.Context, id string) (Device, error) {
	var d Device
	dest, done := scanDevice(&d)
	err := db.sql.QueryRowContext(ctx, "SELECT "+deviceCols+", d.public_key FROM devices d WHERE d.id = $1", id).Scan(append(dest, &d.PublicKey)...)
	done()
	return d, notFound(err, "device "+id)
}

// Devices lists the enrolled devices with the number of records each sent.
func (db *DB) Devices(ctx context.Context) ([]Device, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT `+deviceCols+`,
		(SELECT COUNT(*) FROM records r WHERE r.device_id = d.id) FROM devices d ORDER BY d.site, d.enrolled_at`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Device
	for rows.Next() {
		var d Device
		dest, done := scanDevice(&d)
		if err := rows.Scan(append(dest, &d.Records)...); err != nil {
			return nil, err
		}
		done()
		out = append(out, d)
	}
	return out, rows.Err()
}

// RevokeDevice marks a device revoked at a time, by whom and why. A device
// revoked already is ErrConflict, one not enrolled ErrNotFound; either
// changes nothing.
func (db *DB) RevokeDevice(ctx context.Context, id string, at time.Time, by, reason string) error {
	res, err := db.sql.ExecContext(ctx, "UPDATE devices SET revoked_at = $1, revoked_by = $2, revoke_reason = $3 WHERE id = $4 AND revoked_at IS NULL",
		micros(at), by, reason, id)
	if err != nil {
		return fmt.Errorf("revoke device %s: %w", id, err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 1 {
		return err
	}
	if _, err := db.Device(ctx, id); err != nil {
		return err
	}
	return fmt.Errorf("device %s is revoked already: %w", id, ErrConflict)
}

// ErrReplayed: a device request's nonce is one central has seen.
var ErrReplayed = errors.New("nonce seen before")

// DeviceRequest is an authenticated request of a device, as NoteRequest keeps it.
type DeviceRequest struct {
	DeviceID string
	Nonce    string
	Signed   time.Time // the request's signed time
	SkewMS   int64     // the device's clock minus central's
}

// NoteRequest keeps an authenticated device request in one transaction: its
// nonce, refused with ErrReplayed (and nothing changed) when central has
// seen it; the device's last contact (now) and clock skew; and it forgets
// the device's nonces signed before forget.
func (db *DB) NoteRequest(ctx context.Context, r DeviceRequest, now, forget time.Time) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "INSERT INTO device_nonces (device_id, nonce, signed_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
			r.DeviceID, r.Nonce, micros(r.Signed))
		if err != nil {
			return fmt.Errorf("device %s nonce: %w", r.DeviceID, err)
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return fmt.Errorf("device %s nonce %s: %w", r.DeviceID, r.Nonce, ErrReplayed)
		}
		if _, err := tx.ExecContext(ctx, "UPDATE devices SET last_seen = $1, clock_skew_ms = $2 WHERE id = $3", micros(now), r.SkewMS, r.DeviceID); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, "DELETE FROM device_nonces WHERE device_id = $1 AND signed_at < $2", r.DeviceID, micros(forget))
		return err
	})
}

// ForgetNonces forgets every device's nonces signed before t.
func (db *DB) ForgetNonces(ctx context.Context, t time.Time) error {
	_, err := db.sql.ExecContext(ctx, "DELETE FROM device_nonces WHERE signed_at < $1", micros(t))
	return err
}

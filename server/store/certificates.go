package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"onex/exam"
)

// Certificate statuses as kept.
const (
	CertValid     = "valid"
	CertSuspended = "suspended"
	CertRevoked   = "revoked"
)

// Certificate is an issued certificate as central keeps it. The holder's
// resident ID number is not kept: IDHash is its salted hash.
type Certificate struct {
	Number            string // "<cert code>-<level 1|2|3>-<year>-<serial, 6 digits>"
	SessionID, Ticket string
	HolderName        string
	IDSalt, IDHash    []byte
	CertCode          string
	CertName          string
	OrgName           string
	SiteName          string
	Level             exam.Level
	Issued            time.Time
	StatusIndex       uint32
	KeyID             []byte
	Status            string // CertValid, CertSuspended or CertRevoked
	Reason            string // of the last status change
	StatusAt          time.Time
	StatusBy          string
	QR                string
	VC                string
	IssuedBy          string
	// [added: issue 17] the credit bank: the holder's learner account
	// (deposited at issue; "" until backfilled) and the result's score in
	// hundredths of a percent (-1 until backfilled).
	Account string
	Score   int64
}

const certCols = `number, session_id, ticket, holder_name, id_salt, id_hash, cert_code, cert_name, org_name, site_name, level,
	issued_at, status_index, kid, status, reason, status_at, status_by, qr, vc, issued_by, account, score`

func scanCertificate(scan func(...any) error) (Certificate, error) {
	var c Certificate
	var issued, statusAt, index int64
	err := scan(&c.Number, &c.SessionID, &c.Ticket, &c.HolderName, &c.IDSalt, &c.IDHash, &c.CertCode, &c.CertName, &c.OrgName, &c.SiteName, &c.Level,
		&issued, &index, &c.KeyID, &c.Status, &c.Reason, &statusAt, &c.StatusBy, &c.QR, &c.VC, &c.IssuedBy, &c.Account, &c.Score)
	c.Issued, c.StatusIndex = fromMicros(issued), uint32(index)
	if statusAt != 0 {
		c.StatusAt = fromMicros(statusAt)
	}
	return c, err
}

// IssuerKey is an issuer key: it signs certificates and status lists from
// NotBefore (inclusive) to NotAfter (exclusive). PrivateSealed is its
// private key sealed by the service; the store keeps the bytes.
type IssuerKey struct {
	KeyID         []byte
	Public        []byte
	PrivateSealed []byte
	NotBefore     time.Time
	NotAfter      time.Time
	CreatedBy     string
	CreatedAt     time.Time
}

// issuerLock is the PostgreSQL advisory lock that orders issuer key changes
// before and after the certificates they sign (SQLite has one writer).
const issuerLock = 7262016

func (db *DB) lockIssuer(ctx context.Context, tx *sql.Tx, shared bool) error {
	if db.Engine != Postgres {
		return nil
	}
	fn := "pg_advisory_xact_lock"
	if shared {
		fn = "pg_advisory_xact_lock_shared"
	}
	_, err := tx.ExecContext(ctx, "SELECT "+fn+"($1)", issuerLock)
	return err
}

// ErrNoIssuerKey is a signing with no issuer key in its window.
var ErrNoIssuerKey = errors.New("no issuer key is valid now")

const issuerCols = "kid, public_key, private_sealed, not_before, not_after, created_by, created_at"

func scanIssuerKey(scan func(...any) error) (IssuerKey, error) {
	var k IssuerKey
	var nb, na, at int64
	err := scan(&k.KeyID, &k.Public, &k.PrivateSealed, &nb, &na, &k.CreatedBy, &at)
	k.NotBefore, k.NotAfter, k.CreatedAt = fromMicros(nb), fromMicros(na), fromMicros(at)
	return k, err
}

// issuerAt is the issuer key whose window holds at, the newest if several.
func issuerAt(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, at time.Time) (IssuerKey, error) {
	k, err := scanIssuerKey(q.QueryRowContext(ctx, "SELECT "+issuerCols+" FROM issuer_keys WHERE not_before <= $1 AND not_after > $1 ORDER BY not_before DESC LIMIT 1", micros(at)).Scan)
	if errors.Is(err, sql.ErrNoRows) {
		return IssuerKey{}, fmt.Errorf("issuer key at %s: %w", at.Format(time.RFC3339), ErrNoIssuerKey)
	}
	return k, err
}

// IssuerKeyAt is the issuer key whose window holds at, or ErrNoIssuerKey.
func (db *DB) IssuerKeyAt(ctx context.Context, at time.Time) (IssuerKey, error) {
	return issuerAt(ctx, db.sql, at)
}

// IssuerKeys lists every issuer key, oldest window first.
func (db *DB) IssuerKeys(ctx context.Context) ([]IssuerKey, error) {
	return queryAll(ctx, db, "SELECT "+issuerCols+" FROM issuer_keys ORDER BY not_before, kid", nil, scanIssuerKey)
}

// EnsureIssuerKey returns the issuer key valid at at; when there is none it
// adds the one newKey makes, with its audit entry, in one transaction.
func (db *DB) EnsureIssuerKey(ctx context.Context, at time.Time, newKey func() (IssuerKey, AuditLine, error)) (IssuerKey, error) {
	var k IssuerKey
	err := db.tx(ctx, func(tx *sql.Tx) error {
		if err := db.lockIssuer(ctx, tx, false); err != nil {
			return err
		}
		var err error
		if k, err = issuerAt(ctx, tx, at); !errors.Is(err, ErrNoIssuerKey) {
			return err
		}
		nk, audit, err := newKey()
		if err != nil {
			return err
		}
		if err := insertIssuerKey(ctx, tx, nk); err != nil {
			return err
		}
		k = nk
		return auditIf(ctx, tx, audit)
	})
	return k, err
}

func insertIssuerKey(ctx context.Context, tx *sql.Tx, k IssuerKey) error {
	_, err := tx.ExecContext(ctx, "INSERT INTO issuer_keys ("+issuerCols+") VALUES ($1, $2, $3, $4, $5, $6, $7)",
		k.KeyID, k.Public, k.PrivateSealed, micros(k.NotBefore), micros(k.NotAfter), k.CreatedBy, micros(k.CreatedAt))
	if err != nil {
		return fmt.Errorf("add issuer key %x: %w", k.KeyID, err)
	}
	return nil
}

// ErrRotationTooSoon refuses a new issuer key whose window would not begin
// after every key's before it: a key is never removed nor its window
// emptied, since it may have signed certificates already.
var ErrRotationTooSoon = errors.New("an issuer key's window begins at or after the new key's")

// RotateIssuerKey ends the window of every key valid at k.NotBefore there
// and adds k, with its audit entry, in one transaction: no certificate is
// being signed meanwhile (IssueCertificates holds the same lock). It
// refuses (ErrRotationTooSoon) a k that does not begin after every key
// there is.
func (db *DB) RotateIssuerKey(ctx context.Context, k IssuerKey, audit AuditLine) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		if err := db.lockIssuer(ctx, tx, false); err != nil {
			return err
		}
		at := micros(k.NotBefore)
		var later int
		if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM issuer_keys WHERE not_before >= $1", at).Scan(&later); err != nil {
			return err
		}
		if later > 0 {
			return fmt.Errorf("issuer key from %s: %w", k.NotBefore.Format(time.RFC3339), ErrRotationTooSoon)
		}
		if _, err := tx.ExecContext(ctx, "UPDATE issuer_keys SET not_after = $1 WHERE not_before < $1 AND not_after > $1", at); err != nil {
			return fmt.Errorf("end issuer keys' windows: %w", err)
		}
		if err := insertIssuerKey(ctx, tx, k); err != nil {
			return err
		}
		return auditIf(ctx, tx, audit)
	})
}

// Pending is a certificate to issue from the result whose approval holds
// Digest (exam.ResultDigest): an approval that changed meanwhile (an appeal)
// issues nothing.
type Pending struct {
	Certificate
	Digest string
}

// Issue is what a sign callback of IssueCertificates is given: the
// certificate's serial in its code, level and year, and the issuer key
// valid at its issue time.
type Issue struct {
	Serial int64
	Key    IssuerKey
}

// IssueCertificates issues certificates in one transaction with the audit
// entry: each of pending whose session and ticket has none yet gets the
// next serial of its code, level and year, the next status-list index, and
// is signed by sign (which sets Number, KeyID, QR and VC) with the issuer key
// valid at its Issued time, then kept. It returns the certificates issued and
// the tickets that had one already or whose approval lapsed. audit makes the entry of the
// certificates issued (none: no entry). A failing sign issues nothing.
func (db *DB) IssueCertificates(ctx context.Context, sessionID string, year int, pending []Pending,
	sign func(c *Certificate, is Issue) error, audit func([]Certificate) AuditLine) (issued []Certificate, already, lapsed []string, err error) {
	err = db.tx(ctx, func(tx *sql.Tx) error {
		issued, already, lapsed = nil, nil, nil
		if err := db.lockSession(ctx, tx, sessionID); err != nil {
			return err
		}
		if err := db.lockIssuer(ctx, tx, true); err != nil {
			return err
		}
		// What the session has, read once; then three prepared statements a
		// certificate (parsing them each time was a fifth of the work).
		have, approved := map[string]bool{}, map[string]string{}
		if err := queryEach(ctx, tx, "SELECT ticket FROM issued_certificates WHERE session_id = $1", []any{sessionID}, func(scan func(...any) error) error {
			var t string
			err := scan(&t)
			have[t] = true
			return err
		}); err != nil {
			return err
		}
		if err := queryEach(ctx, tx, "SELECT ticket, digest FROM result_approvals WHERE session_id = $1", []any{sessionID}, func(scan func(...any) error) error {
			var t, d string
			err := scan(&t, &d)
			approved[t] = d
			return err
		}); err != nil {
			return err
		}
		serials, err := tx.PrepareContext(ctx, `INSERT INTO certificate_serials (cert_code, level, year, last) VALUES ($1, $2, $3, 1)
			ON CONFLICT (cert_code, level, year) DO UPDATE SET last = certificate_serials.last + 1 RETURNING last`)
		if err != nil {
			return err
		}
		defer serials.Close()
		indexes, err := tx.PrepareContext(ctx, "UPDATE counters SET value = value + 1 WHERE name = 'certificate_status' RETURNING value")
		if err != nil {
			return err
		}
		defer indexes.Close()
		insert, err := tx.PrepareContext(ctx, "INSERT INTO issued_certificates ("+certCols+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23)`)
		if err != nil {
			return err
		}
		defer insert.Close()
		var key IssuerKey
		var keyAt time.Time
		for _, p := range pending {
			c := p.Certificate
			switch {
			case have[c.Ticket]:
				already = append(already, c.Ticket)
				continue
			case approved[c.Ticket] != p.Digest:
				lapsed = append(lapsed, c.Ticket)
				continue
			}
			if key.KeyID == nil || !c.Issued.Equal(keyAt) {
				if key, err = issuerAt(ctx, tx, c.Issued); err != nil {
					return err
				}
				keyAt = c.Issued
			}
			var serial, index int64
			if err := serials.QueryRowContext(ctx, c.CertCode, string(c.Level), year).Scan(&serial); err != nil {
				return fmt.Errorf("certificate serial of %s %s %d: %w", c.CertCode, c.Level, year, err)
			}
			if err := indexes.QueryRowContext(ctx).Scan(&index); err != nil {
				return fmt.Errorf("counter certificate_status: %w", err)
			}
			c.SessionID, c.StatusIndex, c.Status = sessionID, uint32(index-1), CertValid
			if err := sign(&c, Issue{Serial: serial, Key: key}); err != nil {
				return err
			}
			if _, err := insert.ExecContext(ctx, c.Number, c.SessionID, c.Ticket, c.HolderName, c.IDSalt, c.IDHash, c.CertCode, c.CertName, c.OrgName, c.SiteName, string(c.Level),
				micros(c.Issued), int64(c.StatusIndex), c.KeyID, c.Status, "", 0, "", c.QR, c.VC, c.IssuedBy, c.Account, c.Score); err != nil {
				if isUnique(err) {
					return fmt.Errorf("certificate %s of %s: %w", c.Number, c.Ticket, ErrExists)
				}
				return fmt.Errorf("keep certificate %s: %w", c.Number, err)
			}
			if err := depositAccount(ctx, tx, c.Account, c.HolderName, c.Issued); err != nil {
				return err
			}
			have[c.Ticket] = true
			issued = append(issued, c)
		}
		if len(issued) == 0 {
			return nil
		}
		return auditIf(ctx, tx, audit(issued))
	})
	if err != nil {
		return nil, nil, nil, err
	}
	return issued, already, lapsed, nil
}

// Certificate returns the certificate numbered number, or ErrNotFound.
func (db *DB) Certificate(ctx context.Context, number string) (Certificate, error) {
	c, err := scanCertificate(db.sql.QueryRowContext(ctx, "SELECT "+certCols+" FROM issued_certificates WHERE number = $1", number).Scan)
	return c, notFound(err, "certificate "+number)
}

// Certificates lists a session's certificates by number.
func (db *DB) Certificates(ctx context.Context, sessionID string) ([]Certificate, error) {
	return queryAll(ctx, db, "SELECT "+certCols+" FROM issued_certificates WHERE session_id = $1 ORDER BY number", []any{sessionID}, scanCertificate)
}

// SetCertificateStatus changes a certificate's status in one transaction
// with the audit entry: allowed says whether the change from its status now
// may be made (an error refuses it, and nothing changes).
func (db *DB) SetCertificateStatus(ctx context.Context, number, to, reason, by string, at time.Time,
	allowed func(from string) error, audit func(from string) AuditLine) (Certificate, error) {
	var c Certificate
	err := db.tx(ctx, func(tx *sql.Tx) error {
		q := "SELECT " + certCols + " FROM issued_certificates WHERE number = $1"
		if db.Engine == Postgres {
			q += " FOR UPDATE"
		}
		var err error
		if c, err = scanCertificate(tx.QueryRowContext(ctx, q, number).Scan); err != nil {
			return notFound(err, "certificate "+number)
		}
		if err := allowed(c.Status); err != nil {
			return err
		}
		from := c.Status
		if _, err := tx.ExecContext(ctx, "UPDATE issued_certificates SET status = $1, reason = $2, status_at = $3, status_by = $4 WHERE number = $5",
			to, reason, micros(at), by, number); err != nil {
			return fmt.Errorf("certificate %s: %w", number, err)
		}
		c.Status, c.Reason, c.StatusAt, c.StatusBy = to, reason, fromMicros(micros(at)), by
		return auditIf(ctx, tx, audit(from))
	})
	return c, err
}

// StatusEntry is a certificate's status-list index and status.
type StatusEntry struct {
	Index  uint32
	Status string
}

// CertificateStatuses returns how many status-list indexes were given out
// and the index and status of every certificate that is not valid.
func (db *DB) CertificateStatuses(ctx context.Context) (int64, []StatusEntry, error) {
	var n int64
	if err := db.sql.QueryRowContext(ctx, "SELECT value FROM counters WHERE name = 'certificate_status'").Scan(&n); err != nil {
		return 0, nil, fmt.Errorf("counter certificate_status: %w", err)
	}
	out, err := queryAll(ctx, db, "SELECT status_index, status FROM issued_certificates WHERE status <> $1 ORDER BY status_index", []any{CertValid},
		func(scan func(...any) error) (StatusEntry, error) {
			var e StatusEntry
			var i int64
			err := scan(&i, &e.Status)
			e.Index = uint32(i)
			return e, err
		})
	return n, out, err
}

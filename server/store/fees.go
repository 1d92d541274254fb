package store

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"time"

	"onex/exam"
)

// FeeFilter chooses the sessions of a fee statement: empty fields and zero
// times choose all. From is inclusive, To exclusive, both of a session's start.
type FeeFilter struct {
	SessionID string
	Org       string // the organisation of the session's certificate
	Site      string
	From, To  time.Time
}

// FeeCount is how many candidates of a session share one exemption
// (Exempt false: those who pay).
type FeeCount struct {
	SessionID   string
	Site        string
	Org         string // "" when the catalogue has no such certificate
	Certificate string
	Level       exam.Level
	Start       time.Time
	Exempt      bool
	Kind        exam.FeeKind // "" for those who pay, and for exemptions stored before kinds
	N           int
}

// FeeCandidate is one candidate of a fee statement's per-candidate list.
type FeeCandidate struct {
	FeeCount // N is 1
	Ticket   string
	Name     string
}

const feeFrom = `FROM candidates c
	JOIN sessions s ON s.id = c.session_id
	JOIN papers p ON p.id = s.paper_id AND p.version = s.paper_version
	LEFT JOIN certificates ct ON ct.code = p.certificate
	WHERE ($1 = '' OR s.id = $1) AND ($2 = '' OR ct.org = $2) AND ($3 = '' OR s.site = $3)
	AND s.start_at >= $4 AND s.start_at < $5`

func (f FeeFilter) args() []any {
	var from, to int64 = 0, math.MaxInt64
	if !f.From.IsZero() {
		from = micros(f.From)
	}
	if !f.To.IsZero() {
		to = micros(f.To)
	}
	return []any{f.SessionID, f.Org, f.Site, from, to}
}

// FeeCounts counts the candidates of the chosen sessions by session and
// exemption, in order of the sessions' start.
func (db *DB) FeeCounts(ctx context.Context, f FeeFilter) ([]FeeCount, error) {
	var out []FeeCount
	err := queryEach(ctx, db.sql, `SELECT s.id, s.site, COALESCE(ct.org, ''), p.certificate, p.level, s.start_at, c.fee_exempt, c.fee_kind, COUNT(*) `+feeFrom+`
		GROUP BY s.id, s.site, ct.org, p.certificate, p.level, s.start_at, c.fee_exempt, c.fee_kind
		ORDER BY s.start_at, s.id, c.fee_exempt, c.fee_kind`, f.args(), func(scan func(...any) error) error {
		var fc FeeCount
		var start int64
		var exempt int
		err := scan(&fc.SessionID, &fc.Site, &fc.Org, &fc.Certificate, &fc.Level, &start, &exempt, &fc.Kind, &fc.N)
		fc.Start, fc.Exempt = fromMicros(start), exempt == 1
		out = append(out, fc)
		return err
	})
	return out, err
}

// FeeCandidates lists the candidates of the chosen sessions with their
// exemptions, in order of the sessions' start and the rosters' lines.
func (db *DB) FeeCandidates(ctx context.Context, f FeeFilter) ([]FeeCandidate, error) {
	var out []FeeCandidate
	err := queryEach(ctx, db.sql, `SELECT s.id, s.site, COALESCE(ct.org, ''), p.certificate, p.level, s.start_at, c.fee_exempt, c.fee_kind, c.ticket, c.name `+feeFrom+`
		ORDER BY s.start_at, s.id, c.line`, f.args(), func(scan func(...any) error) error {
		fc := FeeCandidate{FeeCount: FeeCount{N: 1}}
		var start int64
		var exempt int
		err := scan(&fc.SessionID, &fc.Site, &fc.Org, &fc.Certificate, &fc.Level, &start, &exempt, &fc.Kind, &fc.Ticket, &fc.Name)
		fc.Start, fc.Exempt = fromMicros(start), exempt == 1
		out = append(out, fc)
		return err
	})
	return out, err
}

// ExemptionChange is a change of a candidate's fee exemption and its entry
// in the audit log.
type ExemptionChange struct {
	SessionID, Ticket string
	Exempt            bool
	Kind              exam.FeeKind // "" when not exempt
	Actor, Action     string
	// Detail makes the audit entry's detail from the candidate's exemption before.
	Detail func(wasExempt bool, wasKind exam.FeeKind) string
}

// SetFeeExemption changes a candidate's exemption and audits it in one
// transaction. An unknown candidate is ErrNotFound; a change to what is
// stored already is ErrConflict, and neither changes or audits anything.
func (db *DB) SetFeeExemption(ctx context.Context, ch ExemptionChange) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		var exempt int
		var kind exam.FeeKind
		err := tx.QueryRowContext(ctx, "SELECT fee_exempt, fee_kind FROM candidates WHERE session_id = $1 AND ticket = $2", ch.SessionID, ch.Ticket).Scan(&exempt, &kind)
		if err != nil {
			return notFound(err, fmt.Sprintf("session %s ticket %s", ch.SessionID, ch.Ticket))
		}
		if (exempt == 1) == ch.Exempt && kind == ch.Kind {
			return fmt.Errorf("session %s ticket %s has this exemption already: %w", ch.SessionID, ch.Ticket, ErrConflict)
		}
		if _, err := tx.ExecContext(ctx, "UPDATE candidates SET fee_exempt = $1, fee_kind = $2 WHERE session_id = $3 AND ticket = $4",
			boolInt(ch.Exempt), string(ch.Kind), ch.SessionID, ch.Ticket); err != nil {
			return err
		}
		return appendAudit(ctx, tx, ch.Actor, ch.Action, ch.Detail(exempt == 1, kind))
	})
}

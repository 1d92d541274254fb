package store

// The credit bank (issue 17): learner accounts keyed by an id the service
// computes from the resident ID number (never kept here), the certificates
// deposited in them (issued_certificates.account), courses imported from
// schools' CSV files, the conversion rule sets by version and the
// applications for conversions with their decisions. The store keeps the
// rule sets, conversions and events as the JSON the service writes.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// CreditAccount is a learner account.
type CreditAccount struct {
	ID        string // HMAC-SHA-256 under central's learner key of the normalised ID number
	Name      string // as last seen
	CreatedAt time.Time
	UpdatedAt time.Time
}

// CreditCourse is a course a learner passed at a school, from its CSV.
type CreditCourse struct {
	Account    string
	School     string
	Course     string
	CourseName string
	Credits    int64 // hundredths
	Score      int64 // hundredths of a percent
	Passed     int64 // the day, yyyymmdd
	ImportID   int64
}

// CreditRuleSet is one version of the conversion rules; Body is the set as
// JSON.
type CreditRuleSet struct {
	Version    int
	Name       string
	Body       string
	ImportedBy string
	ImportedAt time.Time
}

// CreditApplication is an application for a conversion as kept:
// Conversion and Events are JSON.
type CreditApplication struct {
	ID         string
	Account    string
	School     string
	State      string
	Conversion string
	Events     string
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// CreditLearner is what one account holds, read at once.
type CreditLearner struct {
	Account      CreditAccount
	Certificates []Certificate // deposited, by number
	Courses      []CreditCourse
	Applications []CreditApplication // oldest first
	Rules        CreditRuleSet       // the newest version; Version 0 when none was imported
}

// ErrRuleVersion refuses a rule set whose version is not above every
// version kept.
var ErrRuleVersion = errors.New("the rule set's version is not above the last one")

// depositAccount makes or renames a learner account in tx (account "":
// nothing).
func depositAccount(ctx context.Context, tx *sql.Tx, account, name string, at time.Time) error {
	if account == "" {
		return nil
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO credit_accounts (id, name, created_at, updated_at) VALUES ($1, $2, $3, $3)
		ON CONFLICT (id) DO UPDATE SET name = excluded.name, updated_at = excluded.updated_at`, account, name, micros(at))
	if err != nil {
		return fmt.Errorf("learner account: %w", err)
	}
	return nil
}

// lockAccount serialises the changes of one learner's applications: on
// PostgreSQL by locking the account's row, on SQLite by its one writer.
func (db *DB) lockAccount(ctx context.Context, tx *sql.Tx, account string) error {
	q := "SELECT id FROM credit_accounts WHERE id = $1"
	if db.Engine == Postgres {
		q += " FOR UPDATE"
	}
	var id string
	return notFound(tx.QueryRowContext(ctx, q, account).Scan(&id), "learner account")
}

const ruleSetCols = "version, name, body, imported_by, imported_at"

func scanRuleSet(scan func(...any) error) (CreditRuleSet, error) {
	var r CreditRuleSet
	var at int64
	err := scan(&r.Version, &r.Name, &r.Body, &r.ImportedBy, &at)
	r.ImportedAt = fromMicros(at)
	return r, err
}

// AddCreditRuleSet keeps a new rule set version with its audit entry; a
// version not above every one kept is ErrRuleVersion.
func (db *DB) AddCreditRuleSet(ctx context.Context, rs CreditRuleSet, audit AuditLine) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		if db.Engine == Postgres {
			if _, err := tx.ExecContext(ctx, "LOCK TABLE credit_rule_sets IN EXCLUSIVE MODE"); err != nil {
				return err
			}
		}
		var last sql.NullInt64
		if err := tx.QueryRowContext(ctx, "SELECT MAX(version) FROM credit_rule_sets").Scan(&last); err != nil {
			return err
		}
		if last.Valid && int64(rs.Version) <= last.Int64 {
			return fmt.Errorf("rule set version %d, the last is %d: %w", rs.Version, last.Int64, ErrRuleVersion)
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO credit_rule_sets ("+ruleSetCols+") VALUES ($1, $2, $3, $4, $5)",
			rs.Version, rs.Name, rs.Body, rs.ImportedBy, micros(rs.ImportedAt)); err != nil {
			return fmt.Errorf("keep rule set %d: %w", rs.Version, err)
		}
		return auditIf(ctx, tx, audit)
	})
}

// CreditRuleSets lists every rule set version kept, the newest first.
func (db *DB) CreditRuleSets(ctx context.Context) ([]CreditRuleSet, error) {
	return queryAll(ctx, db, "SELECT "+ruleSetCols+" FROM credit_rule_sets ORDER BY version DESC", nil, scanRuleSet)
}

type queryRower interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}

// rowsQuerier is a database or a transaction, for one row or many.
type rowsQuerier interface {
	queryRower
	querier
}

// latestRuleSet is the newest rule set, Version 0 when there is none.
func latestRuleSet(ctx context.Context, q queryRower) (CreditRuleSet, error) {
	r, err := scanRuleSet(q.QueryRowContext(ctx, "SELECT "+ruleSetCols+" FROM credit_rule_sets ORDER BY version DESC LIMIT 1").Scan)
	if errors.Is(err, sql.ErrNoRows) {
		return CreditRuleSet{}, nil
	}
	return r, err
}

// LatestCreditRuleSet is the newest rule set, Version 0 when there is none.
func (db *DB) LatestCreditRuleSet(ctx context.Context) (CreditRuleSet, error) {
	return latestRuleSet(ctx, db.sql)
}

const courseCols = "account, school, course, course_name, credits, score, passed, import_id"

func scanCourse(scan func(...any) error) (CreditCourse, error) {
	var c CreditCourse
	err := scan(&c.Account, &c.School, &c.Course, &c.CourseName, &c.Credits, &c.Score, &c.Passed, &c.ImportID)
	return c, err
}

// ImportCreditCourses keeps a school's courses passed in one transaction
// with the import's record and its audit entry: names gives each account's
// name (accounts are made as needed); a course kept before for the same
// account, school and course is replaced. It returns the import's id.
func (db *DB) ImportCreditCourses(ctx context.Context, school, file string, names map[string]string, courses []CreditCourse, by string, at time.Time, audit func(id int64) AuditLine) (int64, error) {
	var id int64
	err := db.tx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `INSERT INTO credit_course_imports (school, file, rows_count, imported_by, imported_at)
			VALUES ($1, $2, $3, $4, $5) RETURNING id`, school, file, len(courses), by, micros(at)).Scan(&id); err != nil {
			return fmt.Errorf("course import: %w", err)
		}
		for account, name := range names {
			if err := depositAccount(ctx, tx, account, name, at); err != nil {
				return err
			}
		}
		ins, err := tx.PrepareContext(ctx, "INSERT INTO credit_courses ("+courseCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
			ON CONFLICT (account, school, course) DO UPDATE SET course_name = excluded.course_name, credits = excluded.credits,
			score = excluded.score, passed = excluded.passed, import_id = excluded.import_id`)
		if err != nil {
			return err
		}
		defer ins.Close()
		for _, c := range courses {
			if _, err := ins.ExecContext(ctx, c.Account, c.School, c.Course, c.CourseName, c.Credits, c.Score, c.Passed, id); err != nil {
				return fmt.Errorf("keep course %s/%s: %w", c.School, c.Course, err)
			}
		}
		return auditIf(ctx, tx, audit(id))
	})
	return id, err
}

// CreditCourses lists the courses kept of a school, by account and course.
func (db *DB) CreditCourses(ctx context.Context, school string) ([]CreditCourse, error) {
	return queryAll(ctx, db, "SELECT "+courseCols+" FROM credit_courses WHERE school = $1 ORDER BY account, course", []any{school}, scanCourse)
}

// DepositedCertificates lists every certificate deposited in an account, by
// account and number.
func (db *DB) DepositedCertificates(ctx context.Context) ([]Certificate, error) {
	return queryAll(ctx, db, "SELECT "+certCols+" FROM issued_certificates WHERE account <> '' ORDER BY account, number", nil, scanCertificate)
}

const applicationCols = "id, account, school, state, conversion, events, created_at, updated_at"

func scanApplication(scan func(...any) error) (CreditApplication, error) {
	var a CreditApplication
	var c, u int64
	err := scan(&a.ID, &a.Account, &a.School, &a.State, &a.Conversion, &a.Events, &c, &u)
	a.CreatedAt, a.UpdatedAt = fromMicros(c), fromMicros(u)
	return a, err
}

// CreditApplicationFilter chooses applications; empty fields choose all.
type CreditApplicationFilter struct {
	Account, School, State string
}

// CreditApplications lists the applications the filter chooses, oldest
// first.
func (db *DB) CreditApplications(ctx context.Context, f CreditApplicationFilter) ([]CreditApplication, error) {
	return queryAll(ctx, db, "SELECT "+applicationCols+` FROM credit_applications
		WHERE ($1 = '' OR account = $1) AND ($2 = '' OR school = $2) AND ($3 = '' OR state = $3) ORDER BY created_at, id`,
		[]any{f.Account, f.School, f.State}, scanApplication)
}

// CreditApplication returns one application, or ErrNotFound.
func (db *DB) CreditApplication(ctx context.Context, id string) (CreditApplication, error) {
	a, err := scanApplication(db.sql.QueryRowContext(ctx, "SELECT "+applicationCols+" FROM credit_applications WHERE id = $1", id).Scan)
	return a, notFound(err, "application "+id)
}

// creditLearner reads what an account holds.
func creditLearner(ctx context.Context, q rowsQuerier, account string) (CreditLearner, error) {
	var l CreditLearner
	var c, u int64
	err := q.QueryRowContext(ctx, "SELECT id, name, created_at, updated_at FROM credit_accounts WHERE id = $1", account).Scan(&l.Account.ID, &l.Account.Name, &c, &u)
	if err != nil {
		return l, notFound(err, "learner account")
	}
	l.Account.CreatedAt, l.Account.UpdatedAt = fromMicros(c), fromMicros(u)
	if l.Certificates, err = collect(ctx, q, "SELECT "+certCols+" FROM issued_certificates WHERE account = $1 ORDER BY number", []any{account}, scanCertificate); err != nil {
		return l, err
	}
	if l.Courses, err = collect(ctx, q, "SELECT "+courseCols+" FROM credit_courses WHERE account = $1 ORDER BY school, course", []any{account}, scanCourse); err != nil {
		return l, err
	}
	if l.Applications, err = collect(ctx, q, "SELECT "+applicationCols+" FROM credit_applications WHERE account = $1 ORDER BY created_at, id", []any{account}, scanApplication); err != nil {
		return l, err
	}
	l.Rules, err = latestRuleSet(ctx, q)
	return l, err
}

// CreditAccount returns one learner account, or ErrNotFound.
func (db *DB) CreditAccount(ctx context.Context, id string) (CreditAccount, error) {
	var a CreditAccount
	var c, u int64
	err := db.sql.QueryRowContext(ctx, "SELECT id, name, created_at, updated_at FROM credit_accounts WHERE id = $1", id).Scan(&a.ID, &a.Name, &c, &u)
	a.CreatedAt, a.UpdatedAt = fromMicros(c), fromMicros(u)
	return a, notFound(err, "learner account")
}

// CreditLearner reads what an account holds, or ErrNotFound.
func (db *DB) CreditLearner(ctx context.Context, account string) (CreditLearner, error) {
	return creditLearner(ctx, db.sql, account)
}

// AddCreditApplication adds an application to an account in one
// transaction with its audit entry, the account locked: make is given the
// next application number and what the account holds, and returns the
// application (an error adds nothing).
func (db *DB) AddCreditApplication(ctx context.Context, account string, at time.Time,
	make func(n int64, l CreditLearner) (CreditApplication, AuditLine, error)) (CreditApplication, error) {
	var a CreditApplication
	err := db.tx(ctx, func(tx *sql.Tx) error {
		if err := db.lockAccount(ctx, tx, account); err != nil {
			return err
		}
		l, err := creditLearner(ctx, tx, account)
		if err != nil {
			return err
		}
		n, err := next(ctx, tx, "credit_application")
		if err != nil {
			return err
		}
		var audit AuditLine
		if a, audit, err = make(n, l); err != nil {
			return err
		}
		a.Account, a.CreatedAt, a.UpdatedAt = account, fromMicros(micros(at)), fromMicros(micros(at))
		if _, err := tx.ExecContext(ctx, "INSERT INTO credit_applications ("+applicationCols+") VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
			a.ID, a.Account, a.School, a.State, a.Conversion, a.Events, micros(at), micros(at)); err != nil {
			return fmt.Errorf("keep application %s: %w", a.ID, err)
		}
		return auditIf(ctx, tx, audit)
	})
	return a, err
}

// UpdateCreditApplication moves an application on in one transaction with
// its audit entry, its account locked: move is given the application and
// what its account holds, and returns the application's new state and
// events (an error changes nothing).
func (db *DB) UpdateCreditApplication(ctx context.Context, id string, at time.Time,
	move func(a CreditApplication, l CreditLearner) (CreditApplication, AuditLine, error)) (CreditApplication, error) {
	var a CreditApplication
	err := db.tx(ctx, func(tx *sql.Tx) error {
		var account string
		if err := tx.QueryRowContext(ctx, "SELECT account FROM credit_applications WHERE id = $1", id).Scan(&account); err != nil {
			return notFound(err, "application "+id)
		}
		if err := db.lockAccount(ctx, tx, account); err != nil {
			return err
		}
		var err error
		if a, err = scanApplication(tx.QueryRowContext(ctx, "SELECT "+applicationCols+" FROM credit_applications WHERE id = $1", id).Scan); err != nil {
			return err
		}
		l, err := creditLearner(ctx, tx, account)
		if err != nil {
			return err
		}
		var audit AuditLine
		if a, audit, err = move(a, l); err != nil {
			return err
		}
		a.UpdatedAt = fromMicros(micros(at))
		if _, err := tx.ExecContext(ctx, "UPDATE credit_applications SET state = $1, events = $2, updated_at = $3 WHERE id = $4",
			a.State, a.Events, micros(at), id); err != nil {
			return fmt.Errorf("application %s: %w", id, err)
		}
		return auditIf(ctx, tx, audit)
	})
	return a, err
}

// Undeposited lists the sessions with certificates not yet deposited in an
// account (issued before the credit bank).
func (db *DB) Undeposited(ctx context.Context) ([]string, error) {
	return queryAll(ctx, db, "SELECT DISTINCT session_id FROM issued_certificates WHERE account = '' ORDER BY session_id", nil,
		func(scan func(...any) error) (string, error) {
			var s string
			return s, scan(&s)
		})
}

// Deposit is a certificate issued before the credit bank put into its
// holder's account, with its score.
type Deposit struct {
	Number, Account, Name string
	Score                 int64
	At                    time.Time
}

// DepositCertificates puts certificates into accounts in one transaction
// with its audit entry; one deposited already is left as it is.
func (db *DB) DepositCertificates(ctx context.Context, ds []Deposit, audit AuditLine) error {
	if len(ds) == 0 {
		return nil
	}
	return db.tx(ctx, func(tx *sql.Tx) error {
		for _, d := range ds {
			if err := depositAccount(ctx, tx, d.Account, d.Name, d.At); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, "UPDATE issued_certificates SET account = $1, score = $2 WHERE number = $3 AND account = ''",
				d.Account, d.Score, d.Number); err != nil {
				return fmt.Errorf("deposit certificate %s: %w", d.Number, err)
			}
		}
		return auditIf(ctx, tx, audit)
	})
}

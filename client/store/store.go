// Package store is the site's local store: one SQLite file (modernc.org/sqlite,
// WAL, synchronous=FULL) in the site's data directory, holding the device's
// identity, the session packages as central signed them, check-ins, exam
// state, answers, examiner marks, incidents, the outbox of sealed records
// with the receipts that cleared them, and (schema 3) the exam room's
// terminals with their chain of changes and the candidates' seat codes.
//
// Sensitive values (the roster inside each session package, photos, answers,
// marks, incident notes, the device key, release keys, exam state, seat
// codes, the station's room keys and why a terminal was revoked) are
// sealed field by field with exam/seal under a random store key bound to
// table, column and row; the store key is wrapped under the site passphrase.
// Papers are kept only as central sealed them. Neither the database file nor
// its WAL ever holds a candidate's name, ID number, a question or an answer in
// plaintext; temporary tables live in memory.
//
// One process at a time owns a store: the database is opened in exclusive
// locking mode, and a second opener gets ErrLocked. Every change runs in one
// transaction (Update) and a record reporting it is queued to the outbox in
// the same transaction (Tx.Queue), so a change and its record commit together
// or not at all. The store knows no HTTP and no site rules.
package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	_ "modernc.org/sqlite" // driver "sqlite"

	"onex/exam/seal"
)

// FileName is the database file inside a site's data directory.
const FileName = "site.db"

// MinPassphrase is the shortest passphrase a new store accepts, in characters.
const MinPassphrase = 8

// Errors callers decide on.
var (
	ErrNoStore         = errors.New("no site store")
	ErrExists          = errors.New("a site store already exists")
	ErrWrongPassphrase = errors.New("wrong passphrase")
	ErrLocked          = errors.New("the site store is open in another onex-site process")
	ErrNotEnrolled     = errors.New("this site store is not enrolled with central")
	ErrNotFound        = errors.New("not found")
	ErrBadPassphrase   = errors.New("unacceptable passphrase")
	ErrTooNew          = errors.New("the site store was written by a newer onex-site")
)

// DamagedError reports a value in the database that fails its integrity
// check: a sealed field that does not open, or an outbox envelope that is not
// what the device signed. Nothing is changed when it is returned.
type DamagedError struct {
	Table, Column, Row string
	Err                error
}

func (e *DamagedError) Error() string {
	return fmt.Sprintf("site store damaged: %s.%s of %s: %v", e.Table, e.Column, e.Row, e.Err)
}

func (e *DamagedError) Unwrap() error { return e.Err }

// Store is an open site store.
type Store struct {
	db    *sql.DB
	key   *seal.StoreKey
	log   *slog.Logger
	mu    sync.Mutex // one transaction at a time on the one connection
	epoch uint64
	ident *Identity // cached once read or set
}

// Options tune Create and Open.
type Options struct {
	Log *slog.Logger // nil: discard
}

func (o Options) logger() *slog.Logger {
	if o.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return o.Log
}

// Path is the database file of the store in dir.
func Path(dir string) string { return filepath.Join(dir, FileName) }

// Exists reports whether dir holds a site store.
func Exists(dir string) bool {
	_, err := os.Stat(Path(dir))
	return err == nil
}

// CheckPassphrase tells whether a passphrase is acceptable for a new store.
func CheckPassphrase(p string) error {
	switch {
	case strings.TrimSpace(p) == "":
		return fmt.Errorf("%w: it is empty", ErrBadPassphrase)
	case !utf8.ValidString(p):
		return fmt.Errorf("%w: it is not valid UTF-8", ErrBadPassphrase)
	case utf8.RuneCountInString(p) < MinPassphrase:
		return fmt.Errorf("%w: it has %d characters, at least %d are needed", ErrBadPassphrase, utf8.RuneCountInString(p), MinPassphrase)
	}
	return nil
}

func dsn(path string) string {
	q := url.Values{}
	for _, p := range []string{
		"locking_mode(EXCLUSIVE)",
		"journal_mode(WAL)",
		"busy_timeout(5000)",
		"foreign_keys(1)",
		"synchronous(FULL)",
		"temp_store(MEMORY)",
		"secure_delete(ON)",
	} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	return "file:" + path + "?" + q.Encode()
}

// openDB opens the database file and takes the exclusive lock.
func openDB(ctx context.Context, path string) (*sql.DB, error) {
	db, err := sql.Open("sqlite", dsn(path))
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	// A write takes the exclusive lock and keeps it until Close. Another
	// process holds a store for as long as it runs, so waiting is no use.
	if _, err := db.ExecContext(ctx, "PRAGMA busy_timeout = 250; BEGIN IMMEDIATE; COMMIT; PRAGMA busy_timeout = 5000"); err != nil {
		db.Close()
		if strings.Contains(err.Error(), "SQLITE_BUSY") || strings.Contains(err.Error(), "database is locked") {
			return nil, fmt.Errorf("%w (%s)", ErrLocked, path)
		}
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return db, nil
}

// Create makes a new store in dir (created if missing) under passphrase: a
// fresh store key wrapped under the passphrase and a fresh epoch. It refuses
// a dir that holds a store already.
func Create(ctx context.Context, dir, passphrase string, opt Options) (*Store, error) {
	if err := CheckPassphrase(passphrase); err != nil {
		return nil, err
	}
	if Exists(dir) {
		return nil, fmt.Errorf("%w in %s", ErrExists, dir)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create site store: %w", err)
	}
	key, err := seal.NewStoreKey()
	if err != nil {
		return nil, err
	}
	wrapped, err := seal.WrapStoreKey(key, passphrase)
	if err != nil {
		return nil, err
	}
	path := Path(dir)
	db, err := openDB(ctx, path)
	if err != nil {
		return nil, err
	}
	s := &Store{db: db, key: key, log: opt.logger()}
	// The WAL takes the database file's mode: nobody but the owner reads either.
	if err := os.Chmod(path, 0o600); err != nil {
		db.Close()
		return nil, fmt.Errorf("create site store: %w", err)
	}
	fail := func(err error) (*Store, error) {
		db.Close()
		for _, suffix := range []string{"", "-wal", "-shm", "-journal"} {
			os.Remove(path + suffix)
		}
		return nil, err
	}
	if err := s.migrate(ctx); err != nil {
		return fail(err)
	}
	epoch, err := newEpoch()
	if err != nil {
		return fail(err)
	}
	err = s.Update(ctx, func(tx *Tx) error {
		if err := tx.setMeta(metaStoreKey, wrapped); err != nil {
			return err
		}
		if err := tx.setMeta(metaCreated, []byte(time.Now().UTC().Format(time.RFC3339Nano))); err != nil {
			return err
		}
		return tx.startEpoch(epoch, fileID(path))
	})
	if err != nil {
		return fail(fmt.Errorf("create site store: %w", err))
	}
	s.epoch = epoch
	s.log.Info("site store created", "dir", dir, "epoch", epoch)
	return s, nil
}

// Open opens the store in dir with passphrase. A wrong passphrase is
// ErrWrongPassphrase and changes nothing. A database file that is a copy
// (restored from a backup or moved from another disk) gets a new epoch, so
// sequence numbers are never reused.
func Open(ctx context.Context, dir, passphrase string, opt Options) (*Store, error) {
	path := Path(dir)
	if !Exists(dir) {
		return nil, fmt.Errorf("%w in %s (enrol first)", ErrNoStore, dir)
	}
	if passphrase == "" {
		return nil, fmt.Errorf("%w: the passphrase is empty", ErrBadPassphrase)
	}
	db, err := openDB(ctx, path)
	if err != nil {
		return nil, err
	}
	s := &Store{db: db, log: opt.logger()}
	var wrapped []byte
	err = db.QueryRowContext(ctx, "SELECT value FROM meta WHERE key = ?", metaStoreKey).Scan(&wrapped)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open site store %s: not a site store or damaged: %v", path, err)
	}
	s.key, err = seal.UnwrapStoreKey(wrapped, passphrase)
	if errors.Is(err, seal.ErrDecrypt) {
		db.Close()
		return nil, fmt.Errorf("%w for the site store in %s", ErrWrongPassphrase, dir)
	}
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open site store %s: stored key: %w", path, err)
	}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	err = s.Update(ctx, func(tx *Tx) error {
		epoch, err := tx.metaUint(metaEpoch)
		if err != nil {
			return err
		}
		id, err := tx.meta(metaFileID)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
		if now := fileID(path); now != "" && string(id) != now {
			fresh, err := newEpoch()
			if err != nil {
				return err
			}
			s.log.Warn("site store is a copy: starting a new epoch", "old_epoch", epoch, "epoch", fresh)
			epoch = fresh
			if err := tx.startEpoch(epoch, now); err != nil {
				return err
			}
		}
		s.epoch = epoch
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open site store %s: %w", path, err)
	}
	return s, nil
}

// VerifyPassphrase tells whether passphrase is this open store's
// (ErrWrongPassphrase if not), without opening it again: how staff come back
// to a station locked while candidates use the machine. It costs the
// passphrase's argon2id.
func (s *Store) VerifyPassphrase(ctx context.Context, passphrase string) error {
	var wrapped []byte
	if err := s.View(ctx, func(tx *Tx) error {
		var err error
		wrapped, err = tx.meta(metaStoreKey)
		return err
	}); err != nil {
		return fmt.Errorf("checking the passphrase: %w", err)
	}
	k, err := seal.UnwrapStoreKey(wrapped, passphrase)
	switch {
	case errors.Is(err, seal.ErrDecrypt):
		return ErrWrongPassphrase
	case err != nil:
		return fmt.Errorf("checking the passphrase: %w", err)
	case *k != *s.key:
		return ErrWrongPassphrase
	}
	return nil
}

// Close closes the store, releasing its lock.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.db.Close()
}

// Epoch is the store's current epoch.
func (s *Store) Epoch() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.epoch
}

// Tx is one transaction. Its methods may be called only inside the function
// given to Update or View.
type Tx struct {
	s        *Store
	tx       *sql.Tx
	ctx      context.Context
	ro       bool
	identSet bool // SetIdentity was called: the cached identity is stale
	onCommit []func()
}

// Update runs fn in one write transaction, committed (durably, with
// synchronous=FULL) if fn returns nil and rolled back otherwise. When Update
// returns nil the change survives a crash.
func (s *Store) Update(ctx context.Context, fn func(*Tx) error) error {
	return s.run(ctx, false, fn)
}

// View runs fn in a transaction that is always rolled back.
func (s *Store) View(ctx context.Context, fn func(*Tx) error) error {
	return s.run(ctx, true, fn)
}

func (s *Store) run(ctx context.Context, ro bool, fn func(*Tx) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	sqltx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("site store: begin: %w", err)
	}
	tx := &Tx{s: s, tx: sqltx, ctx: ctx, ro: ro}
	if err := fn(tx); err != nil {
		sqltx.Rollback()
		return err
	}
	if ro {
		return sqltx.Rollback()
	}
	if err := sqltx.Commit(); err != nil {
		return fmt.Errorf("site store: commit: %w", err)
	}
	for _, f := range tx.onCommit {
		f()
	}
	return nil
}

func (tx *Tx) exec(query string, args ...any) (sql.Result, error) {
	if tx.ro {
		return nil, errors.New("site store: write in a read-only transaction")
	}
	return tx.tx.ExecContext(tx.ctx, query, args...)
}

func (tx *Tx) queryRow(query string, args ...any) *sql.Row {
	return tx.tx.QueryRowContext(tx.ctx, query, args...)
}

func (tx *Tx) query(query string, args ...any) (*sql.Rows, error) {
	return tx.tx.QueryContext(tx.ctx, query, args...)
}

// seal seals one field of one row under the store key.
func (tx *Tx) seal(table, column, row string, plaintext []byte) ([]byte, error) {
	b, err := seal.SealField(tx.s.key, table, column, row, plaintext)
	if err != nil {
		return nil, fmt.Errorf("site store: sealing %s.%s: %w", table, column, err)
	}
	return b, nil
}

// open opens one sealed field; a field that does not open is a *DamagedError.
func (tx *Tx) open(table, column, row string, sealed []byte) ([]byte, error) {
	b, err := seal.OpenField(tx.s.key, table, column, row, sealed)
	if err != nil {
		return nil, &DamagedError{Table: table, Column: column, Row: row, Err: err}
	}
	return b, nil
}

// Meta keys.
const (
	metaStoreKey = "store_key"
	metaCreated  = "created"
	metaEpoch    = "epoch"
	metaFileID   = "file_id"
	metaChainSeq = "chain_seq"
	metaChainTip = "chain_tip"
	metaIdentity = "identity"
	metaCursor   = "cursor"
	metaOffset   = "server_offset_ms"
)

func (tx *Tx) meta(key string) ([]byte, error) {
	var v []byte
	err := tx.queryRow("SELECT value FROM meta WHERE key = ?", key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("meta %s: %w", key, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("site store: meta %s: %w", key, err)
	}
	return v, nil
}

func (tx *Tx) setMeta(key string, value []byte) error {
	_, err := tx.exec("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", key, value)
	if err != nil {
		return fmt.Errorf("site store: meta %s: %w", key, err)
	}
	return nil
}

// metaInt reads an integer kept as decimal text; a missing key is 0.
func (tx *Tx) metaInt(key string) (int64, error) {
	v, err := tx.meta(key)
	if errors.Is(err, ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	n, err := strconv.ParseInt(string(v), 10, 64)
	if err != nil {
		return 0, &DamagedError{Table: "meta", Column: "value", Row: key, Err: err}
	}
	return n, nil
}

func (tx *Tx) metaUint(key string) (uint64, error) {
	v, err := tx.meta(key)
	if err != nil {
		return 0, err
	}
	n, err := strconv.ParseUint(string(v), 10, 64)
	if err != nil {
		return 0, &DamagedError{Table: "meta", Column: "value", Row: key, Err: err}
	}
	return n, nil
}

func (tx *Tx) setMetaInt(key string, n int64) error {
	return tx.setMeta(key, []byte(strconv.FormatInt(n, 10)))
}

// startEpoch begins a new epoch: its chain starts at sequence 1 after a zero hash.
func (tx *Tx) startEpoch(epoch uint64, fileID string) error {
	if err := tx.setMeta(metaEpoch, []byte(strconv.FormatUint(epoch, 10))); err != nil {
		return err
	}
	if err := tx.setMeta(metaFileID, []byte(fileID)); err != nil {
		return err
	}
	if err := tx.setMetaInt(metaChainSeq, 0); err != nil {
		return err
	}
	return tx.setMeta(metaChainTip, make([]byte, len(seal.Hash{})))
}

// newEpoch draws a random non-zero epoch.
func newEpoch() (uint64, error) {
	var b [8]byte
	for {
		if _, err := rand.Read(b[:]); err != nil {
			return 0, fmt.Errorf("site store: epoch: %w", err)
		}
		if e := binary.BigEndian.Uint64(b[:]) >> 1; e != 0 { // fits an SQLite integer
			return e, nil
		}
	}
}

// Cursor is the package cursor central gave last.
func (tx *Tx) Cursor() (int64, error) { return tx.metaInt(metaCursor) }

// SetCursor stores the package cursor; call it in the transaction that stores
// the packages it covers.
func (tx *Tx) SetCursor(c int64) error { return tx.setMetaInt(metaCursor, c) }

// ServerOffset is the last offset learned between central's clock and the
// device's (central minus device).
func (tx *Tx) ServerOffset() (time.Duration, error) {
	ms, err := tx.metaInt(metaOffset)
	return time.Duration(ms) * time.Millisecond, err
}

// SetServerOffset stores the offset to central's clock.
func (tx *Tx) SetServerOffset(d time.Duration) error {
	return tx.setMetaInt(metaOffset, d.Milliseconds())
}

// Backup writes a consistent copy of the store to path (which must not
// exist), for carrying or archiving. Opening the copy later starts a new epoch.
func (s *Store) Backup(ctx context.Context, path string) error {
	if _, err := os.Stat(path); err == nil {
		return fmt.Errorf("backup: %s exists", path)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.db.ExecContext(ctx, "VACUUM INTO ?", path); err != nil {
		return fmt.Errorf("backup to %s: %w", path, err)
	}
	return nil
}

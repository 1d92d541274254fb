// Package server is central's service: every operation of the central
// office, with no HTTP in it. It imports the catalogue, papers and rosters,
// schedules sessions and builds their signed packages, enrols site devices
// and authenticates their requests, releases papers at their time, ingests
// the sealed records sites send (exactly once, with signed receipts), scores
// submissions, signs office users in and keeps the audit log.
//
// Storage is package store, cryptography package seal, domain rules package
// exam. The transports only decode, call a Central and encode: the device API
// (server/api), the office pages (server/office), the public pages
// (server/public), mounted together by server/web; the command line is
// server/cmd/onex-central.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"onex/exam/seal"
	"onex/server/store"
)

// Defaults of central's limits.
const (
	DefaultMaxRecords    = 500     // envelopes in one batch
	DefaultMaxBatchBytes = 8 << 20 // bytes of one batch body
	DefaultMaxIngest     = 4       // batches read and ingested at once
	DefaultBatchIdle     = 30 * time.Second
	DefaultBatchTimeout  = 10 * time.Minute
	EnrolCodeLifetime    = 72 * time.Hour
)

// Errors callers decide on. ErrInput marks errors caused by what the caller
// sent: a bad file, row, field or request (the transports answer 4xx).
// ErrNotFound is what was asked for not existing. ErrUnauthorized is a
// device request whose signature or time does not hold.
var (
	ErrInput        = errors.New("bad input")
	ErrNotFound     = store.ErrNotFound
	ErrUnauthorized = errors.New("unauthorized")
)

// What central keeps, as the transports see it.
type (
	Session    = store.Session    // a scheduled session (its unlock code too: show it only on request)
	Device     = store.Device     // an enrolled site device
	PaperInfo  = store.PaperInfo  // a paper's id, version and title, never its questions
	Conflict   = store.Conflict   // a record kept for review
	AuditEntry = store.AuditEntry // a line of the hash-chained audit log
)

// Config is how a Central runs. Zero fields take their defaults.
type Config struct {
	Log           *slog.Logger     // default: discard
	Now           func() time.Time // central's clock; default time.Now
	MaxRecords    int              // envelopes in one batch; default DefaultMaxRecords
	MaxBatchBytes int              // bytes of one batch body; default DefaultMaxBatchBytes
	MaxIngest     int              // batches read and ingested at once; default DefaultMaxIngest
	// BatchIdle is the longest central waits for more of a batch body it
	// authenticated, BatchTimeout the longest the whole body may take;
	// defaults DefaultBatchIdle and DefaultBatchTimeout.
	BatchIdle, BatchTimeout time.Duration
	// TLSCertificate is the DER of the certificate central serves itself
	// (nil: none): central signs its key for devices that enrol.
	TLSCertificate []byte
}

// Limits are the batch limits central advertises to devices (MaxRecords,
// MaxBatchBytes) and those it reads batches by.
type Limits struct {
	MaxRecords, MaxBatchBytes, MaxIngest int
	BatchIdle, BatchTimeout              time.Duration
}

func (cfg Config) limits() Limits {
	return Limits{MaxRecords: orDefault(cfg.MaxRecords, DefaultMaxRecords), MaxBatchBytes: orDefault(cfg.MaxBatchBytes, DefaultMaxBatchBytes),
		MaxIngest: orDefault(cfg.MaxIngest, DefaultMaxIngest),
		BatchIdle: orDefault(cfg.BatchIdle, DefaultBatchIdle), BatchTimeout: orDefault(cfg.BatchTimeout, DefaultBatchTimeout)}
}

// Central is the central office's service.
type Central struct {
	db     *store.DB
	keys   *seal.CentralKeys
	log    *slog.Logger
	now    func() time.Time
	limits Limits
	tls    *centralTLS // nil: central serves no TLS itself

	metrics         *metrics
	noncesForgotten atomic.Int64 // unix nanoseconds by central's clock
	releaseMu       sync.Mutex
	releaseCache    map[string][]byte // session id -> release key
}

// KeysFile is where central's private keys live in its data directory.
const KeysFile = "central.key"

// Init creates a data directory's database, central's keys and the first
// office user, admin, with the given password. It refuses to overwrite keys
// that exist: they are what every enrolled device trusts.
func Init(ctx context.Context, dataDir, dbURL, adminPassword string) (*seal.CentralPublicKey, error) {
	if err := privateDir(dataDir); err != nil {
		return nil, fmt.Errorf("init: %w", err)
	}
	path := filepath.Join(dataDir, KeysFile)
	if _, err := os.Stat(path); err == nil {
		return nil, fmt.Errorf("init: %s exists; central is initialised already: %w", path, ErrInput)
	}
	keys, err := seal.GenerateCentralKeys()
	if err != nil {
		return nil, err
	}
	db, err := store.Open(ctx, dsn(dataDir, dbURL))
	if err != nil {
		return nil, err
	}
	defer db.Close()
	if err := db.PutUser(ctx, store.User{Name: "admin", PasswordHash: seal.HashPassword(adminPassword), Role: RoleAdmin}); err != nil {
		return nil, err
	}
	if err := os.WriteFile(path, keys.Marshal(), 0o600); err != nil {
		return nil, fmt.Errorf("init: %w", err)
	}
	return keys.Public(), nil
}

// Open opens an initialised data directory: its keys and its database
// (DIR/central.db, or dbURL when given).
func Open(ctx context.Context, dataDir, dbURL string, cfg Config) (*Central, error) {
	b, err := os.ReadFile(filepath.Join(dataDir, KeysFile))
	if err != nil {
		return nil, fmt.Errorf("open %s (run onex-central init first): %w", dataDir, err)
	}
	keys, err := seal.ParseCentralKeys(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dataDir, KeysFile), err)
	}
	if err := privateDir(dataDir); err != nil {
		return nil, fmt.Errorf("open %s: %w", dataDir, err)
	}
	ctls, err := newCentralTLS(keys, cfg.TLSCertificate)
	if err != nil {
		return nil, err
	}
	db, err := store.Open(ctx, dsn(dataDir, dbURL))
	if err != nil {
		return nil, err
	}
	c := &Central{db: db, keys: keys, log: cfg.logger(), now: cfg.clock(), tls: ctls, limits: cfg.limits(),
		metrics: newMetrics(), releaseCache: map[string][]byte{}}
	if err := c.sealPlainUnlockCodes(ctx); err != nil {
		db.Close()
		return nil, err
	}
	if err := c.versionPackages(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return c, nil
}

func (cfg Config) logger() *slog.Logger {
	if cfg.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return cfg.Log
}

func (cfg Config) clock() func() time.Time {
	if cfg.Now == nil {
		return time.Now
	}
	return cfg.Now
}

func orDefault[T int | time.Duration](n, def T) T {
	if n == 0 {
		return def
	}
	return n
}

// Close closes the database.
func (c *Central) Close() error { return c.db.Close() }

// Now is the time by central's clock.
func (c *Central) Now() time.Time { return c.now() }

// PublicKey is central's public key, which enrolled devices trust.
func (c *Central) PublicKey() *seal.CentralPublicKey { return c.keys.Public() }

// Limits are the batch limits central holds devices to.
func (c *Central) Limits() Limits { return c.limits }

// Health checks that central can read its database.
func (c *Central) Health(ctx context.Context) error {
	_, err := c.db.Catalogue(ctx)
	return err
}

// privateDir makes a data directory, or keeps it, readable by its owner
// only (0700), whatever it was: it holds central's keys and database.
func privateDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	return os.Chmod(dir, 0o700)
}

func dsn(dataDir, dbURL string) string {
	if dbURL != "" {
		return dbURL
	}
	return filepath.Join(dataDir, "central.db")
}

// inputError is an error of the caller's input; its message is the cause's alone.
type inputError struct{ err error }

func (e inputError) Error() string        { return e.err.Error() }
func (e inputError) Unwrap() error        { return e.err }
func (e inputError) Is(target error) bool { return target == ErrInput }

func inputf(format string, args ...any) error { return inputError{fmt.Errorf(format, args...)} }

// AsInput marks err as the caller's fault (errors.Is(err, ErrInput)),
// keeping its message.
func AsInput(err error) error { return inputError{err} }

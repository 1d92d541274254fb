// Package server is central, the central office's server: it imports the
// catalogue, papers and rosters, schedules sessions and builds their signed
// packages, enrols site devices, releases papers at their time, ingests the
// sealed records sites send (exactly once, with signed receipts), scores
// submissions, and serves the HTTP API and the office pages. Storage is
// package store; every cryptographic operation is package seal's.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"onex/exam/seal"
	"onex/server/store"
)

// Defaults of central's limits.
const (
	DefaultMaxRecords    = 500     // envelopes in one batch
	DefaultMaxBatchBytes = 8 << 20 // bytes of one batch body
	EnrolCodeLifetime    = 72 * time.Hour
)

// Roles of office users.
const (
	RoleAdmin     = "admin"     // everything, including users
	RoleStaff     = "staff"     // organisation staff: catalogue, papers, sessions, rosters, results
	RoleMarker    = "marker"    // marks essays
	RoleInspector = "inspector" // reads results and the audit log
)

// ErrInput marks errors caused by what the caller sent: a bad file, row,
// field or request. The HTTP layer answers them with 4xx.
var ErrInput = errors.New("bad input")

// Central is the central office's server.
type Central struct {
	DB            *store.DB
	Keys          *seal.CentralKeys
	Log           *slog.Logger
	Now           func() time.Time
	MaxRecords    int
	MaxBatchBytes int

	metrics      *metrics
	releaseMu    sync.Mutex
	releaseCache map[string][]byte // session id -> release key
}

// KeysFile is where central's private keys live in its data directory.
const KeysFile = "central.key"

// Init creates a data directory's database, central's keys and the first
// office user, admin, with the given password. It refuses to overwrite keys
// that exist: they are what every enrolled device trusts.
func Init(ctx context.Context, dataDir, dbURL, adminPassword string) (*seal.CentralPublicKey, error) {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
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
func Open(ctx context.Context, dataDir, dbURL string, log *slog.Logger) (*Central, error) {
	b, err := os.ReadFile(filepath.Join(dataDir, KeysFile))
	if err != nil {
		return nil, fmt.Errorf("open %s (run onex-central init first): %w", dataDir, err)
	}
	keys, err := seal.ParseCentralKeys(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dataDir, KeysFile), err)
	}
	db, err := store.Open(ctx, dsn(dataDir, dbURL))
	if err != nil {
		return nil, err
	}
	return New(db, keys, log), nil
}

// New is central over an open database and its keys.
func New(db *store.DB, keys *seal.CentralKeys, log *slog.Logger) *Central {
	return &Central{DB: db, Keys: keys, Log: log, Now: time.Now,
		MaxRecords: DefaultMaxRecords, MaxBatchBytes: DefaultMaxBatchBytes,
		metrics: newMetrics(), releaseCache: map[string][]byte{}}
}

// Close closes the database.
func (c *Central) Close() error { return c.DB.Close() }

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

// asInput marks err as the caller's fault.
func asInput(err error) error { return inputError{err} }

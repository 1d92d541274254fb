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
	osync "onex/sync"
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
	// ClaimTimeout is how long a marker holds a task handed out before it
	// returns to the queue; default DefaultClaimTimeout.
	ClaimTimeout time.Duration
	// PublicURL is central's address as the public reaches it (https):
	// the issuer id of certificates' verifiable credentials and the base of
	// the /verify address printed on them; default DefaultPublicURL.
	// [added: issue 16]
	PublicURL string
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

	signedKey       osync.SignedKey // central's key signed for devices that hold only its key of release 1
	metrics         *metrics
	noncesForgotten atomic.Int64 // unix nanoseconds by central's clock
	releaseMu       sync.Mutex
	releaseCache    map[string][]byte // session id -> release key
	claimTimeout    time.Duration     // Config.ClaimTimeout
	marking         markingState
	certs           certState // [added: issue 16]
	verifyCache     certCache // certverify.go: what central signed for anyone, briefly
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
	if err := writeFileAtomic(path, keys.Marshal()); err != nil {
		return nil, fmt.Errorf("init: %w", err)
	}
	return keys.Public(), nil
}

// Open opens an initialised data directory: its keys and its database
// (DIR/central.db, or dbURL when given). A key file of release 1, without
// the hybrid receiving key, is upgraded in place (upgradeKeys).
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
		metrics: newMetrics(), releaseCache: map[string][]byte{}, claimTimeout: orDefault(cfg.ClaimTimeout, DefaultClaimTimeout),
		certs: newCertState(cfg.PublicURL)}
	// What a database or key file of an earlier release lacks, done once.
	for _, step := range []func(context.Context) error{
		func(ctx context.Context) error { return c.upgradeKeys(ctx, filepath.Join(dataDir, KeysFile)) },
		c.sealPlainUnlockCodes, c.sealPlainPapers, db.Scrub, c.versionPackages, c.scriptOldSubmissions,
		c.depositOldCertificates, // [added: issue 17]
	} {
		if err := step(ctx); err != nil {
			db.Close()
			return nil, err
		}
	}
	return c, nil
}

// upgradeKeys gives central the hybrid receiving key (MLKEM768-X25519) when
// its key file is of release 1, and signs its public key for the devices
// that know only the key of release 1. The hybrid seed is derived from the
// keys of release 1 (seal.CentralKeys.Upgrade): the signing key, the X25519
// key that opens the version 1 envelopes sites still send, and the secrets
// key the unlock codes are sealed under stay as they were, and every copy of
// one key file upgrades to the same key, so central processes sharing a
// database agree whichever opens first. The file is replaced atomically
// (written beside it, synced, renamed over it) and the upgrade audited.
func (c *Central) upgradeKeys(ctx context.Context, path string) error {
	if old := c.keys; !old.Hybrid() {
		up := old.Upgrade()
		if err := writeFileAtomic(path, up.Marshal()); err != nil {
			return fmt.Errorf("upgrade %s with the hybrid key: %w", path, err)
		}
		c.keys = up
		c.log.Info("central.key upgraded: hybrid ML-KEM-768+X25519 receiving key added", "key", up.Public().Fingerprint(), "release1_key", old.Public().Fingerprint())
		if err := c.db.Audit(ctx, "central", "upgrade central key", fmt.Sprintf("%s: hybrid receiving key added; key %s (release 1: %s)", KeysFile, up.Public().Fingerprint(), old.Public().Fingerprint())); err != nil {
			return err
		}
	}
	m, err := seal.SignCentralKey(c.keys, c.now())
	if err != nil {
		return err
	}
	c.signedKey = osync.SignedKey{Manifest: m, Key: c.keys.Public().Marshal()}
	return nil
}

// writeFileAtomic replaces path with data, mode 0600, so that a crash
// leaves the old file or the new one, never a part: it writes a temporary
// file in the same directory, syncs it, renames it over path and syncs the
// directory.
func writeFileAtomic(path string, data []byte) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+"-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			os.Remove(tmp.Name())
		}
	}()
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	dir, err := os.Open(filepath.Dir(path))
	if err != nil {
		return err
	}
	defer dir.Close()
	return dir.Sync()
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

// PublicKey is central's public key, which enrolled devices trust: with the
// hybrid part (key type 6), to which sites seal version 2 envelopes; its V1
// is the key of release 1 that sites enrolled before it hold.
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

package store

import (
	"context"
	"fmt"
)

// migration is one step of the schema, run in a transaction that holds the
// store key: SQL, or Go where a step seals what was kept in the clear.
type migration func(tx *Tx) error

// ddl is a migration of SQL alone.
func ddl(statements string) migration {
	return func(tx *Tx) error {
		_, err := tx.exec(statements)
		return err
	}
}

// migrations are applied in order; PRAGMA user_version counts those applied.
// A migration is never edited once released: changes come as a new one.
var migrations = []migration{
	// 1: the first schema.
	ddl(`CREATE TABLE meta (
		key   TEXT PRIMARY KEY,
		value BLOB NOT NULL
	);
	CREATE TABLE sessions (
		id          TEXT PRIMARY KEY,
		package_id  TEXT NOT NULL,
		manifest    BLOB NOT NULL,
		release_key BLOB,           -- sealed; NULL until unlocked
		state       BLOB,           -- sealed JSON SessionState
		updated     TEXT NOT NULL
	);
	CREATE TABLE parts (
		session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
		name       TEXT NOT NULL,
		data       BLOB NOT NULL,
		sealed     INTEGER NOT NULL, -- 1: data is sealed under the store key
		PRIMARY KEY (session_id, name)
	) WITHOUT ROWID;
	CREATE TABLE candidates (
		session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
		ticket     TEXT NOT NULL,
		status     TEXT NOT NULL DEFAULT '',
		seat       TEXT NOT NULL DEFAULT '',
		override   INTEGER NOT NULL DEFAULT 0,
		checked_at TEXT,
		photo      BLOB,             -- sealed
		PRIMARY KEY (session_id, ticket)
	) WITHOUT ROWID;
	CREATE TABLE attempts (
		session_id   TEXT NOT NULL,
		ticket       TEXT NOT NULL,
		state        BLOB NOT NULL,  -- sealed JSON Attempt
		submitted    INTEGER NOT NULL DEFAULT 0,
		receipt_code TEXT NOT NULL DEFAULT '',
		PRIMARY KEY (session_id, ticket),
		FOREIGN KEY (session_id, ticket) REFERENCES candidates (session_id, ticket) ON DELETE CASCADE
	) WITHOUT ROWID;
	CREATE TABLE answers (
		session_id TEXT NOT NULL,
		ticket     TEXT NOT NULL,
		item_id    TEXT NOT NULL,
		answer     BLOB NOT NULL,    -- sealed JSON exam.Answer
		flagged    INTEGER NOT NULL DEFAULT 0,
		rev        INTEGER NOT NULL,
		saved_at   TEXT NOT NULL,
		PRIMARY KEY (session_id, ticket, item_id),
		FOREIGN KEY (session_id, ticket) REFERENCES attempts (session_id, ticket) ON DELETE CASCADE
	) WITHOUT ROWID;
	CREATE TABLE marks (
		session_id TEXT NOT NULL,
		ticket     TEXT NOT NULL,
		item_id    TEXT NOT NULL,
		marks      BLOB NOT NULL,    -- sealed JSON []float64
		examiner   TEXT NOT NULL,
		saved_at   TEXT NOT NULL,
		PRIMARY KEY (session_id, ticket, item_id),
		FOREIGN KEY (session_id, ticket) REFERENCES candidates (session_id, ticket) ON DELETE CASCADE
	) WITHOUT ROWID;
	CREATE TABLE incidents (
		id         INTEGER PRIMARY KEY AUTOINCREMENT,
		session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
		ticket     TEXT NOT NULL DEFAULT '',
		type       TEXT NOT NULL,
		note       BLOB NOT NULL,    -- sealed
		at         TEXT NOT NULL
	);
	CREATE TABLE outbox (
		id         INTEGER PRIMARY KEY AUTOINCREMENT,
		epoch      INTEGER NOT NULL,
		seq        INTEGER NOT NULL,
		record_id  TEXT NOT NULL UNIQUE,
		kind       TEXT NOT NULL,
		session_id TEXT NOT NULL,
		envelope   BLOB NOT NULL,    -- sealed to central by exam/seal
		hash       BLOB NOT NULL,
		created    TEXT NOT NULL,
		state      TEXT NOT NULL DEFAULT 'pending', -- pending, rejected, conflict, damaged
		reason     TEXT NOT NULL DEFAULT ''
	);
	CREATE TABLE receipts (
		record_id   TEXT PRIMARY KEY,
		epoch       INTEGER NOT NULL,
		seq         INTEGER NOT NULL,
		kind        TEXT NOT NULL,
		session_id  TEXT NOT NULL,
		hash        BLOB NOT NULL,
		receipt     BLOB NOT NULL,
		server_seq  INTEGER NOT NULL,
		server_time TEXT NOT NULL,
		acked_at    TEXT NOT NULL
	);`),
	// 2: examiners' names sealed like their marks (kept in the clear before).
	sealExaminers,
	// 3: the exam room (issue 13): paired terminals with their chain of
	// changes and the candidate each serves, and seat codes.
	ddl(`CREATE TABLE terminals (
		id             TEXT PRIMARY KEY,
		key            BLOB NOT NULL,             -- the terminal's public key
		name           TEXT NOT NULL,             -- the machine's name
		seat           TEXT NOT NULL DEFAULT '',
		room           TEXT NOT NULL DEFAULT '',  -- '': every room of the station
		paired         TEXT NOT NULL,
		revoked        TEXT,                      -- NULL while it may talk to the station
		revoked_reason BLOB,                      -- sealed
		acked          INTEGER NOT NULL DEFAULT 0, -- its last change committed
		acked_hash     BLOB,                      -- that change's envelope hash
		last_save      TEXT,
		session_id     TEXT NOT NULL DEFAULT '',  -- the candidate it serves, if any
		ticket         TEXT NOT NULL DEFAULT ''
	);
	CREATE UNIQUE INDEX terminals_candidate ON terminals (session_id, ticket) WHERE ticket != '' AND revoked IS NULL;
	ALTER TABLE candidates ADD COLUMN seat_code BLOB;  -- sealed; NULL: none (not issued, used or voided)
	ALTER TABLE candidates ADD COLUMN seat_code_failures INTEGER NOT NULL DEFAULT 0;`),
	// 4: the pieces of files candidates handed in for handin items (issue
	// 15), sealed: the answer lists the files, these hold their bytes.
	ddl(`CREATE TABLE handin (
		session_id TEXT NOT NULL,
		ticket     TEXT NOT NULL,
		file_hash  TEXT NOT NULL,     -- the whole file's SHA-256, hex
		idx        INTEGER NOT NULL,  -- the piece's index from 0
		size       INTEGER NOT NULL,
		data       BLOB NOT NULL,     -- sealed
		PRIMARY KEY (session_id, ticket, file_hash, idx),
		FOREIGN KEY (session_id, ticket) REFERENCES candidates (session_id, ticket) ON DELETE CASCADE
	) WITHOUT ROWID;`),
}

// sealExaminers seals every examiner's name still stored in the clear.
func sealExaminers(tx *Tx) error {
	rows, err := tx.query("SELECT session_id, ticket, item_id, examiner FROM marks WHERE typeof(examiner) = 'text'")
	if err != nil {
		return err
	}
	type plain struct{ session, ticket, item, name string }
	var todo []plain
	for rows.Next() {
		var p plain
		if err := rows.Scan(&p.session, &p.ticket, &p.item, &p.name); err != nil {
			rows.Close()
			return err
		}
		todo = append(todo, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, p := range todo {
		sealed, err := tx.seal("marks", "examiner", rowKey(p.session, p.ticket, p.item), []byte(p.name))
		if err != nil {
			return err
		}
		if _, err := tx.exec("UPDATE marks SET examiner = ? WHERE session_id = ? AND ticket = ? AND item_id = ?", sealed, p.session, p.ticket, p.item); err != nil {
			return err
		}
	}
	return nil
}

// SchemaVersion is the schema version this build writes.
var SchemaVersion = len(migrations)

// migrate applies the migrations the database lacks, each in its own
// transaction with the version bump.
func (s *Store) migrate(ctx context.Context) error {
	var v int
	s.mu.Lock()
	err := s.db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v)
	s.mu.Unlock()
	if err != nil {
		return fmt.Errorf("site store: schema version: %w", err)
	}
	if v > len(migrations) {
		return fmt.Errorf("%w: schema version %d, this build knows %d", ErrTooNew, v, len(migrations))
	}
	for i := v; i < len(migrations); i++ {
		err := s.Update(ctx, func(tx *Tx) error {
			if err := migrations[i](tx); err != nil {
				return err
			}
			_, err := tx.exec(fmt.Sprintf("PRAGMA user_version = %d", i+1))
			return err
		})
		if err != nil {
			return fmt.Errorf("site store: migration %d: %w", i+1, err)
		}
		s.log.Info("site store migrated", "version", i+1)
	}
	return nil
}

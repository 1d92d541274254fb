package store_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"onex/client/store"
	"onex/exam"
	"onex/exam/seal"
	wire "onex/sync"
)

// TestMain: the fast tier (go test -short) wraps store keys cheaply.
func TestMain(m *testing.M) {
	seal.CheapStoreKeysInShortTests()
	os.Exit(m.Run())
}

const pass = "correct horse battery staple"

func create(t *testing.T, dir string) *store.Store {
	t.Helper()
	s, err := store.Create(context.Background(), dir, pass, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// enrolled is a store with an identity, ready to queue records.
func enrolled(t *testing.T, dir string) (*store.Store, *seal.CentralKeys) {
	t.Helper()
	s := create(t, dir)
	ck, _ := seal.GenerateCentralKeys()
	dk, _ := seal.GenerateDeviceKey()
	err := s.Update(context.Background(), func(tx *store.Tx) error {
		return tx.SetIdentity(&store.Identity{DeviceID: "dev-1", SiteCode: "SITE-001", ServerURL: "http://127.0.0.1:1",
			Central: ck.Public(), Key: dk, Enrolled: time.Now()})
	})
	if err != nil {
		t.Fatal(err)
	}
	return s, ck
}

func TestCreateAndOpen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	for _, tc := range []struct {
		pass string
		want string
	}{
		{"", "empty"},
		{"   ", "empty"},
		{"short", "5 characters"},
	} {
		if _, err := store.Create(ctx, filepath.Join(dir, "bad"), tc.pass, store.Options{}); !errors.Is(err, store.ErrBadPassphrase) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Create with %q: %v", tc.pass, err)
		}
	}
	if store.Exists(filepath.Join(dir, "bad")) {
		t.Fatal("a refused passphrase left a store behind")
	}
	if _, err := store.Open(ctx, dir, pass, store.Options{}); !errors.Is(err, store.ErrNoStore) {
		t.Fatalf("Open of an empty dir: %v", err)
	}
	s := create(t, dir)
	epoch := s.Epoch()
	if epoch == 0 {
		t.Fatal("zero epoch")
	}
	if _, err := store.Create(ctx, dir, pass, store.Options{}); !errors.Is(err, store.ErrExists) {
		t.Fatalf("second Create: %v", err)
	}
	if _, err := store.Open(ctx, dir, pass, store.Options{}); !errors.Is(err, store.ErrLocked) {
		t.Fatalf("Open while open: %v", err)
	}
	s.Close()
	before, _ := os.ReadFile(store.Path(dir))
	if _, err := store.Open(ctx, dir, "wrong passphrase!", store.Options{}); !errors.Is(err, store.ErrWrongPassphrase) {
		t.Fatalf("wrong passphrase: %v", err)
	}
	if after, _ := os.ReadFile(store.Path(dir)); !bytes.Equal(before, after) {
		t.Fatal("a wrong passphrase changed the database file")
	}
	s, err := store.Open(ctx, dir, pass, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.Epoch() != epoch {
		t.Fatalf("epoch changed on reopen: %d, was %d", s.Epoch(), epoch)
	}
	err = s.View(ctx, func(tx *store.Tx) error {
		_, err := tx.Identity()
		return err
	})
	if !errors.Is(err, store.ErrNotEnrolled) {
		t.Fatalf("Identity of a new store: %v", err)
	}
}

func TestCopyGetsNewEpoch(t *testing.T) {
	ctx := context.Background()
	dir, copyDir := t.TempDir(), t.TempDir()
	s, _ := enrolled(t, dir)
	queue(t, s)
	epoch := s.Epoch()
	if err := s.Backup(ctx, store.Path(copyDir)); err != nil {
		t.Fatal(err)
	}
	s.Close()
	c, err := store.Open(ctx, copyDir, pass, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.Epoch() == epoch {
		t.Fatal("a restored copy kept the epoch")
	}
	env := queue(t, c)
	if env.Header.Epoch != c.Epoch() || env.Header.Seq != 1 || env.Header.Prev != (seal.Hash{}) {
		t.Fatalf("first record of the new epoch: %+v", env.Header)
	}
	s, err = store.Open(ctx, dir, pass, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.Epoch() != epoch {
		t.Fatal("the original lost its epoch")
	}
}

// queue queues one record in its own transaction.
func queue(t *testing.T, s *store.Store) *seal.Envelope {
	t.Helper()
	var env *seal.Envelope
	err := s.Update(context.Background(), func(tx *store.Tx) error {
		var err error
		env, err = tx.Queue(wire.KindCheckIn, "S1", wire.CheckIn{SessionID: "S1", Ticket: "T1", Status: exam.Present}, time.Now())
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return env
}

func TestOutboxChainAndReceipts(t *testing.T) {
	ctx := context.Background()
	s, ck := enrolled(t, t.TempDir())
	defer s.Close()
	var envs []*seal.Envelope
	for range 3 {
		envs = append(envs, queue(t, s))
	}
	for i, e := range envs {
		if e.Header.Seq != uint64(i+1) || e.Header.Epoch != s.Epoch() {
			t.Fatalf("record %d: seq %d epoch %d", i, e.Header.Seq, e.Header.Epoch)
		}
		if i > 0 && e.Header.Prev != envs[i-1].Hash {
			t.Fatalf("record %d does not chain to the one before", i)
		}
	}
	pending, err := s.Pending(ctx, 2, 1<<20)
	if err != nil || len(pending) != 2 || pending[0].RecordID != envs[0].Header.RecordID.String() {
		t.Fatalf("Pending(2) = %d records, %v", len(pending), err)
	}
	if p, _ := s.Pending(ctx, 10, 1); len(p) != 1 {
		t.Fatalf("Pending with a tiny byte budget gave %d records, want 1", len(p))
	}
	// A receipt naming another envelope changes nothing.
	bad := wire.Delivery{RecordID: envs[0].Header.RecordID.String(), EnvelopeHash: envs[1].Hash}
	if err := s.Delivered(ctx, []wire.Delivery{bad}); err == nil {
		t.Fatal("a receipt for another envelope was stored")
	}
	rc, _ := seal.SignReceipt(ck, &seal.Receipt{RecordID: envs[0].Header.RecordID, EnvelopeHash: envs[0].Hash, ServerSeq: 7, ServerTime: time.Now()})
	if err := s.Delivered(ctx, []wire.Delivery{{RecordID: envs[0].Header.RecordID.String(), EnvelopeHash: envs[0].Hash, Receipt: rc, ServerSeq: 7, ServerTime: time.Now()}}); err != nil {
		t.Fatal(err)
	}
	if err := s.Refused(ctx, []wire.Refusal{{RecordID: envs[1].Header.RecordID.String(), Outcome: wire.Conflict, Reason: "same id, other content"}}); err != nil {
		t.Fatal(err)
	}
	err = s.View(ctx, func(tx *store.Tx) error {
		c, err := tx.OutboxCounts()
		if err != nil {
			return err
		}
		if c != (store.OutboxCounts{Pending: 1, Acked: 1, Conflict: 1}) {
			t.Errorf("counts %+v", c)
		}
		last, err := tx.LastReceipt()
		if err != nil || last.ServerSeq != 7 || last.Hash != envs[0].Hash {
			t.Errorf("last receipt %+v, %v", last, err)
		}
		if ok, _ := tx.HasReceipt(envs[0].Hash); !ok {
			t.Error("HasReceipt is false for a receipted record")
		}
		refused, err := tx.OutboxRecords(store.StateConflict)
		if err != nil || len(refused) != 1 || refused[0].Reason != "same id, other content" {
			t.Errorf("refused records %+v, %v", refused, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// raw opens the database file with plain SQL, as someone with a copy of it would.
func raw(t *testing.T, dir string, fn func(db *sql.DB)) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+store.Path(dir))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	fn(db)
}

func TestEditedRowsFailClosed(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, _ := enrolled(t, dir)
	env := queue(t, s)
	queue(t, s)
	err := s.Update(ctx, func(tx *store.Tx) error {
		if err := tx.PutPackage("S1", &store.Package{PackageID: "S1", Manifest: []byte("m"), Parts: map[string][]byte{}}, nil, time.Now()); err != nil {
			return err
		}
		if err := tx.SetCandidates("S1", []string{"T1"}); err != nil {
			return err
		}
		if err := tx.PutAttempt("S1", "T1", map[string]int{"x": 1}, false, ""); err != nil {
			return err
		}
		return tx.PutAnswer("S1", "T1", store.Answer{ItemID: "q1", Value: exam.Answer{Text: "an answer"}, Rev: 1, Saved: time.Now()})
	})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	raw(t, dir, func(db *sql.DB) {
		if _, err := db.Exec("UPDATE outbox SET envelope = substr(envelope, 1, 60) || CASE WHEN substr(envelope, 61, 1) = x'ff' THEN x'fe' ELSE x'ff' END || substr(envelope, 62) WHERE seq = 1"); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec("UPDATE answers SET answer = substr(answer, 1, 60) || CASE WHEN substr(answer, 61, 1) = x'ff' THEN x'fe' ELSE x'ff' END || substr(answer, 62)"); err != nil {
			t.Fatal(err)
		}
	})
	s, err = store.Open(ctx, dir, pass, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	pending, err := s.Pending(ctx, 10, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if len(pending) != 1 || pending[0].RecordID == env.Header.RecordID.String() {
		t.Fatalf("the edited record was offered for sending: %d pending", len(pending))
	}
	err = s.View(ctx, func(tx *store.Tx) error {
		damaged, err := tx.OutboxRecords(store.StateDamaged)
		if err != nil {
			return err
		}
		if len(damaged) != 1 || damaged[0].RecordID != env.Header.RecordID.String() || damaged[0].Reason == "" {
			t.Errorf("damaged records %+v", damaged)
		}
		_, err = tx.Answers("S1", "T1")
		var de *store.DamagedError
		if !errors.As(err, &de) || de.Table != "answers" || !errors.Is(err, seal.ErrDecrypt) {
			t.Errorf("reading an edited answer: %v", err)
		}
		var v map[string]int
		if _, err := tx.Attempt("S1", "T1", &v); err != nil || v["x"] != 1 {
			t.Errorf("an untouched row: %v %v", v, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestMovedCiphertextDoesNotOpen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := create(t, dir)
	err := s.Update(ctx, func(tx *store.Tx) error {
		if err := tx.PutPackage("S1", &store.Package{PackageID: "S1", Manifest: []byte("m"), Parts: map[string][]byte{}}, nil, time.Now()); err != nil {
			return err
		}
		if err := tx.SetCandidates("S1", []string{"T1", "T2"}); err != nil {
			return err
		}
		for _, t := range []string{"T1", "T2"} {
			if err := tx.PutAttempt("S1", t, map[string]string{"t": t}, false, ""); err != nil {
				return err
			}
			if err := tx.PutAnswer("S1", t, store.Answer{ItemID: "q1", Value: exam.Answer{Text: "answer of " + t}, Rev: 1, Saved: time.Now()}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	raw(t, dir, func(db *sql.DB) {
		if _, err := db.Exec(`UPDATE answers SET answer = (SELECT answer FROM answers WHERE ticket = 'T1') WHERE ticket = 'T2'`); err != nil {
			t.Fatal(err)
		}
	})
	s, err = store.Open(ctx, dir, pass, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	err = s.View(ctx, func(tx *store.Tx) error {
		if a, err := tx.Answers("S1", "T1"); err != nil || a["q1"].Value.Text != "answer of T1" {
			t.Errorf("T1: %v %v", a, err)
		}
		if _, err := tx.Answers("S1", "T2"); !errors.Is(err, seal.ErrDecrypt) {
			t.Errorf("T2 with T1's ciphertext: %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	dir := t.TempDir()
	create(t, dir).Close()
	raw(t, dir, func(db *sql.DB) {
		if _, err := db.Exec("PRAGMA user_version = 99"); err != nil {
			t.Fatal(err)
		}
	})
	if _, err := store.Open(context.Background(), dir, pass, store.Options{}); !errors.Is(err, store.ErrTooNew) {
		t.Fatalf("Open of a newer schema: %v", err)
	}
}

func TestVerifyPassphraseOfAnOpenStore(t *testing.T) {
	ctx := context.Background()
	s := create(t, t.TempDir())
	defer s.Close()
	for _, tc := range []struct {
		pass string
		want error
	}{
		{pass, nil},
		{"wrong passphrase!", store.ErrWrongPassphrase},
		{"", store.ErrWrongPassphrase},
		{pass + " ", store.ErrWrongPassphrase},
	} {
		if err := s.VerifyPassphrase(ctx, tc.pass); !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
			t.Errorf("VerifyPassphrase(%q) = %v, want %v", tc.pass, err, tc.want)
		}
	}
}

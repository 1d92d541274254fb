package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"onex/client/store"
	"onex/exam/seal"
)

// TestTerminalsAndSeatCodes: schema 3's rows as the station keeps them:
// one terminal not revoked per candidate, the chain's place kept over a
// reopening, a seat code voided by store.MaxSeatCodeFailures wrong tries.
func TestTerminalsAndSeatCodes(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := create(t, dir)
	now := time.Now()
	hash := seal.Hash{1, 2, 3}
	step := func(name string, want error, fn func(tx *store.Tx) error) {
		t.Helper()
		if err := s.Update(ctx, fn); !errors.Is(err, want) && (want != nil || err != nil) {
			t.Fatalf("%s: %v, want %v", name, err, want)
		}
	}
	step("setup", nil, func(tx *store.Tx) error {
		if err := tx.PutPackage("S-1", &store.Package{PackageID: "S-1", Manifest: []byte("m"), Parts: map[string][]byte{}}, nil, now); err != nil {
			return err
		}
		if err := tx.SetCandidates("S-1", []string{"A", "B"}); err != nil {
			return err
		}
		for _, id := range []string{"T-1", "T-2"} {
			if err := tx.AddTerminal(store.Terminal{ID: id, Key: []byte("key " + id), Name: "终端 " + id, Seat: "01", Room: "A101", Paired: now}); err != nil {
				return err
			}
		}
		if err := tx.BindTerminal("T-1", "S-1", "A"); err != nil {
			return err
		}
		return tx.SetTerminalAcked("T-1", 7, hash, now)
	})
	step("a second terminal for A", nil, func(tx *store.Tx) error {
		if err := tx.BindTerminal("T-2", "S-1", "A"); err == nil {
			t.Error("A bound to two terminals")
		}
		return nil
	})
	step("an unknown terminal", store.ErrNotFound, func(tx *store.Tx) error { return tx.BindTerminal("T-9", "S-1", "B") })
	step("revoke T-1, bind T-2", nil, func(tx *store.Tx) error {
		if err := tx.RevokeTerminal("T-1", now, "死机"); err != nil {
			return err
		}
		return tx.BindTerminal("T-2", "S-1", "A")
	})
	step("seat codes", nil, func(tx *store.Tx) error {
		if err := tx.PutSeatCode("S-1", "B", "123456"); err != nil {
			return err
		}
		for i := 1; i <= store.MaxSeatCodeFailures; i++ {
			code, n, err := tx.SeatCode("S-1", "B")
			if err != nil || code != "123456" || n != i-1 {
				t.Errorf("before wrong try %d: %q, %d, %v", i, code, n, err)
			}
			if n, err := tx.SeatCodeFailed("S-1", "B"); err != nil || n != i {
				t.Errorf("wrong try %d: %d, %v", i, n, err)
			}
		}
		if code, _, err := tx.SeatCode("S-1", "B"); code != "" || err != nil {
			t.Errorf("after %d wrong tries: %q, %v", store.MaxSeatCodeFailures, code, err)
		}
		if err := tx.PutSeatCode("S-1", "B", "654321"); err != nil {
			return err
		}
		codes, err := tx.SeatCodes("S-1")
		if err != nil || len(codes) != 1 || codes["B"] != "654321" {
			t.Errorf("seat codes %v, %v", codes, err)
		}
		return nil
	})
	s.Close()
	s, err := store.Open(ctx, dir, pass, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	err = s.View(ctx, func(tx *store.Tx) error {
		all, err := tx.Terminals()
		if err != nil || len(all) != 2 {
			t.Fatalf("terminals %+v, %v", all, err)
		}
		t1, t2 := all[0], all[1]
		if t1.Acked != 7 || t1.AckedHash != hash || t1.Revoked.IsZero() || t1.Ticket != "" || t1.LastSave.IsZero() || t1.Name != "终端 T-1" {
			t.Errorf("T-1 %+v", t1)
		}
		if t2.Ticket != "A" || t2.SessionID != "S-1" || !t2.Revoked.IsZero() || t2.Acked != 0 {
			t.Errorf("T-2 %+v", t2)
		}
		if why, err := tx.RevokedReason("T-1"); why != "死机" || err != nil {
			t.Errorf("reason %q, %v", why, err)
		}
		if _, err := tx.Terminal("T-9"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("unknown terminal: %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

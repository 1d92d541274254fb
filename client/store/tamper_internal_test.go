package store

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"testing"
	"time"

	"onex/exam"
	"onex/exam/seal"
)

var errRollback = errors.New("roll back")

// TestEveryByteOfEverySealedField changes each byte of each kind of sealed
// field in the database (twice: one bit, and a random other value) and
// reads it back through the store: every change is a *DamagedError naming
// the table and column, and the other candidate's row of the same table
// still reads. Each change is rolled back before the next.
func TestEveryByteOfEverySealedField(t *testing.T) {
	ctx := context.Background()
	s, err := Create(ctx, t.TempDir(), "passphrase for the tamper test", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	dk, err := seal.GenerateDeviceKey()
	if err != nil {
		t.Fatal(err)
	}
	ck, err := seal.GenerateCentralKeys()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	tickets := []string{"2026WEB010001", "2026WEB010002"}
	err = s.Update(ctx, func(tx *Tx) error {
		if err := tx.SetIdentity(&Identity{DeviceID: "device-1", SiteCode: "SITE-001", ServerURL: "http://central", Central: ck.Public(), Key: dk}); err != nil {
			return err
		}
		for _, sid := range []string{"S-1", "S-2"} {
			p := &Package{PackageID: sid, Manifest: []byte("manifest"), Parts: map[string][]byte{"session.json": []byte(`{"id":"` + sid + `","candidates":[{"name":"张三"}]}`)}}
			if err := tx.PutPackage(sid, p, nil, now); err != nil {
				return err
			}
			if err := tx.PutReleaseKey(sid, bytes.Repeat([]byte{7}, 32)); err != nil {
				return err
			}
			if err := tx.PutSessionState(sid, map[string]any{"started": now}); err != nil {
				return err
			}
		}
		if err := tx.SetCandidates("S-1", tickets); err != nil {
			return err
		}
		for _, tk := range tickets {
			if err := tx.PutPhoto("S-1", tk, []byte("photo of "+tk)); err != nil {
				return err
			}
			if err := tx.PutAttempt("S-1", tk, map[string]int{"elapsed_ms": 1000}, false, ""); err != nil {
				return err
			}
			if err := tx.PutAnswer("S-1", tk, Answer{ItemID: "q10", Value: exam.Answer{Text: "答案 of " + tk}, Rev: 1, Saved: now}); err != nil {
				return err
			}
			if err := tx.PutMarks("S-1", tk, Marks{ItemID: "q11", Values: []float64{2, 1.5}, Examiner: "e", Saved: now}); err != nil {
				return err
			}
			if _, err := tx.AddIncident(Incident{SessionID: "S-1", Ticket: tk, Type: "misconduct", Note: "note on " + tk, At: now}); err != nil {
				return err
			}
			if err := tx.PutSeatCode("S-1", tk, "12345"+tk[len(tk)-1:]); err != nil {
				return err
			}
			if err := tx.AddTerminal(Terminal{ID: "T-" + tk, Key: dk.Public().Marshal(), Name: "终端", Paired: now}); err != nil {
				return err
			}
			if err := tx.RevokeTerminal("T-"+tk, now, "terminal froze at "+tk); err != nil {
				return err
			}
		}
		return tx.SetRoomKeys(&RoomKeys{TLSKey: []byte("tls key"), RecordKey: []byte("record key")})
	})
	if err != nil {
		t.Fatal(err)
	}
	type field struct {
		table, column string
		where         string // the row changed
		args          []any
		read          func(tx *Tx) error // reads the changed row
		other         func(tx *Tx) error // reads another row of the table
	}
	var state map[string]any
	fields := []field{
		{"meta", "value", "key = ?", []any{metaIdentity}, func(tx *Tx) error { _, err := tx.readIdentity(); return err }, nil},
		{"parts", "data", "session_id = ? AND name = ?", []any{"S-1", "session.json"},
			func(tx *Tx) error { _, err := tx.Package("S-1"); return err }, func(tx *Tx) error { _, err := tx.Package("S-2"); return err }},
		{"sessions", "release_key", "id = ?", []any{"S-1"},
			func(tx *Tx) error { _, err := tx.ReleaseKey("S-1"); return err }, func(tx *Tx) error { _, err := tx.ReleaseKey("S-2"); return err }},
		{"sessions", "state", "id = ?", []any{"S-1"},
			func(tx *Tx) error { _, err := tx.SessionState("S-1", &state); return err }, func(tx *Tx) error { _, err := tx.SessionState("S-2", &state); return err }},
		{"candidates", "photo", "session_id = ? AND ticket = ?", []any{"S-1", tickets[0]},
			func(tx *Tx) error { _, err := tx.Photo("S-1", tickets[0]); return err }, func(tx *Tx) error { _, err := tx.Photo("S-1", tickets[1]); return err }},
		{"attempts", "state", "session_id = ? AND ticket = ?", []any{"S-1", tickets[0]},
			func(tx *Tx) error { _, err := tx.Attempt("S-1", tickets[0], &state); return err }, func(tx *Tx) error { _, err := tx.Attempt("S-1", tickets[1], &state); return err }},
		{"answers", "answer", "session_id = ? AND ticket = ?", []any{"S-1", tickets[0]},
			func(tx *Tx) error { _, err := tx.Answers("S-1", tickets[0]); return err }, func(tx *Tx) error { _, err := tx.Answers("S-1", tickets[1]); return err }},
		{"marks", "marks", "session_id = ? AND ticket = ?", []any{"S-1", tickets[0]},
			func(tx *Tx) error { _, err := tx.Marks("S-1", tickets[0]); return err }, nil},
		{"marks", "examiner", "session_id = ? AND ticket = ?", []any{"S-1", tickets[0]},
			func(tx *Tx) error { _, err := tx.Marks("S-1", tickets[0]); return err }, func(tx *Tx) error { _, err := tx.Marks("S-1", tickets[1]); return err }},
		{"incidents", "note", "ticket = ?", []any{tickets[0]},
			func(tx *Tx) error { _, err := tx.Incidents("S-1"); return err }, nil},
		{"meta", "value", "key = ?", []any{metaRoomKeys}, func(tx *Tx) error { _, err := tx.RoomKeys(); return err },
			func(tx *Tx) error { _, err := tx.readIdentity(); return err }},
		{"candidates", "seat_code", "session_id = ? AND ticket = ?", []any{"S-1", tickets[0]},
			func(tx *Tx) error { _, _, err := tx.SeatCode("S-1", tickets[0]); return err },
			func(tx *Tx) error { _, _, err := tx.SeatCode("S-1", tickets[1]); return err }},
		{"terminals", "revoked_reason", "id = ?", []any{"T-" + tickets[0]},
			func(tx *Tx) error { _, err := tx.RevokedReason("T-" + tickets[0]); return err },
			func(tx *Tx) error { _, err := tx.RevokedReason("T-" + tickets[1]); return err }},
	}
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 0))
	for _, f := range fields {
		t.Run(f.table+"."+f.column, func(t *testing.T) {
			var orig []byte
			err := s.View(ctx, func(tx *Tx) error {
				return tx.queryRow("SELECT "+f.column+" FROM "+f.table+" WHERE "+f.where, f.args...).Scan(&orig)
			})
			if err != nil || len(orig) == 0 {
				t.Fatalf("reading the sealed field: %d bytes, %v", len(orig), err)
			}
			changes := 0
			for i := range orig {
				for _, d := range []byte{1 << (i % 8), byte(1 + rng.IntN(255))} {
					m := bytes.Clone(orig)
					m[i] ^= d
					changes++
					err := s.Update(ctx, func(tx *Tx) error {
						if _, err := tx.exec("UPDATE "+f.table+" SET "+f.column+" = ? WHERE "+f.where, append([]any{m}, f.args...)...); err != nil {
							return err
						}
						var de *DamagedError
						if err := f.read(tx); !errors.As(err, &de) || de.Table != f.table || de.Column != f.column {
							t.Errorf("byte %d ^ %#x: read %v, want the field reported damaged", i, d, err)
						}
						if f.other != nil {
							if err := f.other(tx); err != nil {
								t.Errorf("byte %d ^ %#x: another row: %v", i, d, err)
							}
						}
						return errRollback
					})
					if !errors.Is(err, errRollback) {
						t.Fatal(err)
					}
				}
			}
			if err := s.View(ctx, f.read); err != nil {
				t.Fatalf("after rolling back: %v", err)
			}
			t.Logf("%d changes of %d bytes", changes, len(orig))
		})
	}
}

// TestExaminerSealed: an examiner's name is sealed like the marks; a store
// from before (schema 1) that kept it in the clear seals it when opened.
func TestExaminerSealed(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	const pass = "passphrase for the examiner test"
	s, err := Create(ctx, dir, pass, Options{})
	if err != nil {
		t.Fatal(err)
	}
	put := func(tx *Tx, ticket, examiner string) error {
		return tx.PutMarks("S-1", ticket, Marks{ItemID: "q11", Values: []float64{3}, Examiner: examiner, Saved: time.Now()})
	}
	err = s.Update(ctx, func(tx *Tx) error {
		if err := tx.PutPackage("S-1", &Package{PackageID: "S-1", Manifest: []byte("m"), Parts: map[string][]byte{"session.json": []byte("{}")}}, nil, time.Now()); err != nil {
			return err
		}
		if err := tx.SetCandidates("S-1", []string{"T1", "T2"}); err != nil {
			return err
		}
		if err := put(tx, "T1", "王考评"); err != nil {
			return err
		}
		if err := put(tx, "T2", "李考评"); err != nil {
			return err
		}
		// As schema 1 kept it: the name in the clear.
		if _, err := tx.exec("UPDATE marks SET examiner = '李考评' WHERE ticket = 'T2'"); err != nil {
			return err
		}
		// Nor had it the tables of schemas 3 and 4, which opening adds.
		_, err := tx.exec(`DROP TABLE handin;
			DROP TABLE terminals;
			ALTER TABLE candidates DROP COLUMN seat_code;
			ALTER TABLE candidates DROP COLUMN seat_code_failures;
			PRAGMA user_version = 1`)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if s, err = Open(ctx, dir, pass, Options{}); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	err = s.View(ctx, func(tx *Tx) error {
		for ticket, want := range map[string]string{"T1": "王考评", "T2": "李考评"} {
			m, err := tx.Marks("S-1", ticket)
			if err != nil || m["q11"].Examiner != want {
				t.Errorf("%s: examiner %q, %v; want %q", ticket, m["q11"].Examiner, err, want)
			}
		}
		var clear int
		if err := tx.queryRow("SELECT count(*) FROM marks WHERE typeof(examiner) <> 'blob'").Scan(&clear); err != nil || clear != 0 {
			t.Errorf("%d examiners in the clear after opening, %v", clear, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

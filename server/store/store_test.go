package store_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"onex/assets"
	"onex/exam"
	"onex/server/store"
	"onex/server/store/pgtest"
)

var pg *pgtest.Server

func TestMain(m *testing.M) {
	var err error
	pg, err = pgtest.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, "PostgreSQL for the storage tests:", err)
		os.Exit(1)
	}
	code := m.Run()
	pg.Stop()
	os.Exit(code)
}

// eachEngine runs fn against a fresh SQLite database and a fresh PostgreSQL database.
func eachEngine(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	t.Helper()
	ctx := context.Background()
	for _, dsn := range engineDSNs(t) {
		db, err := store.Open(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(string(db.Engine), func(t *testing.T) {
			defer db.Close()
			fn(t, db)
		})
	}
}

// engineDSNs are a fresh SQLite database and a fresh PostgreSQL database.
func engineDSNs(t testing.TB) []string {
	t.Helper()
	pgURL, err := pg.URL(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return []string{filepath.Join(t.TempDir(), "central.db"), pgURL}
}

func sampleCatalogue(t *testing.T) *exam.Catalogue {
	f, _ := assets.Samples.Open("samples/catalogue.json")
	defer f.Close()
	c, err := exam.ReadCatalogue(f)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func samplePaper(t *testing.T) (*exam.Paper, []byte) {
	raw, _ := fs.ReadFile(assets.Samples, "samples/paper-web-elementary.json")
	p, err := exam.ReadPaper(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	return p, raw
}

// seed stores the sample catalogue and paper and one session S1 at SITE-001.
func seed(t *testing.T, db *store.DB) store.Session {
	ctx := context.Background()
	if err := db.PutCatalogue(ctx, sampleCatalogue(t)); err != nil {
		t.Fatal(err)
	}
	p, raw := samplePaper(t)
	if err := db.PutPaper(ctx, p, raw, nil); err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	s := store.Session{ID: "S1", Site: "SITE-001", Room: "A101", PaperID: p.ID, PaperVersion: 1, Start: start,
		ReleaseAt: start.Add(-10 * time.Minute), LateLimitMinutes: 15, UnlockSealed: []byte("sealed code"), CreatedAt: start.Add(-time.Hour)}
	if err := db.CreateSession(ctx, s, pkg("m1", "{}")); err != nil {
		t.Fatal(err)
	}
	return s
}

// pkg makes a package whose manifest is name@version.
func pkg(name, session string) store.SignPackage {
	return func(v int64) (store.Package, error) {
		return store.Package{Manifest: fmt.Appendf(nil, "%s@%d", name, v), Parts: map[string][]byte{"session.json": []byte(session)}}, nil
	}
}

func TestMigrationsApplyOnce(t *testing.T) {
	eachEngine(t, func(t *testing.T, db *store.DB) {
		seed(t, db)
	})
	path := filepath.Join(t.TempDir(), "c.db")
	for i := 0; i < 2; i++ {
		db, err := store.Open(context.Background(), path)
		if err != nil {
			t.Fatalf("open %d: %v", i, err)
		}
		db.Close()
	}
}

func TestCatalogueAndPapers(t *testing.T) {
	eachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		seed(t, db)
		c, err := db.Catalogue(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Validate(); err != nil {
			t.Fatal(err)
		}
		if rule, err := c.Rule("WEB", exam.Advanced); err != nil || rule.PassMark != 70 {
			t.Errorf("WEB advanced: %+v %v", rule, err)
		}
		if s, ok := c.Site("SITE-001"); !ok || !s.HasRoom("A102") {
			t.Errorf("site: %+v", s)
		}
		p, raw := samplePaper(t)
		same := func(b []byte) func([]byte) bool { return func(stored []byte) bool { return bytes.Equal(stored, b) } }
		if err := db.PutPaper(ctx, p, raw, same(raw)); err != nil {
			t.Errorf("same paper again: %v", err)
		}
		changed := bytes.Replace(raw, []byte("A卷"), []byte("B卷"), 1)
		if err := db.PutPaper(ctx, p, changed, same(changed)); !errors.Is(err, store.ErrConflict) {
			t.Errorf("changed paper, same version: %v", err)
		}
		got, err := db.Paper(ctx, p.ID, 1)
		if err != nil || !bytes.Equal(got, raw) {
			t.Errorf("paper body changed: %v", err)
		}
		if v, err := db.LatestPaperVersion(ctx, p.ID); v != 1 || err != nil {
			t.Errorf("latest version %d %v", v, err)
		}
		if _, err := db.Paper(ctx, "nope", 1); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("missing paper: %v", err)
		}
	})
}

func TestSessionsRostersAndPackageCursor(t *testing.T) {
	eachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := seed(t, db)
		got, err := db.Session(ctx, "S1")
		if err != nil || !got.Start.Equal(s.Start) || string(got.UnlockSealed) != "sealed code" || got.PkgVersion == 0 {
			t.Fatalf("session = %+v, %v", got, err)
		}
		if err := db.CreateSession(ctx, s, pkg("x", "{}")); !errors.Is(err, store.ErrExists) {
			t.Errorf("same id twice: %v", err)
		}
		pkgs, cursor, err := db.PackagesSince(ctx, "SITE-001", 0)
		if err != nil || len(pkgs) != 1 || string(pkgs["S1"].Manifest) != fmt.Sprintf("m1@%d", cursor) || cursor != got.PkgVersion {
			t.Fatalf("packages = %v cursor %d, %v", pkgs, cursor, err)
		}
		if pkgs, c2, _ := db.PackagesSince(ctx, "SITE-001", cursor); len(pkgs) != 0 || c2 != cursor {
			t.Errorf("nothing changed, yet %d packages, cursor %d", len(pkgs), c2)
		}
		if pkgs, _, _ := db.PackagesSince(ctx, "SITE-002", 0); len(pkgs) != 0 {
			t.Error("another site sees the session")
		}
		cands := []exam.Candidate{
			{Ticket: "T2", Name: "钟静", IDType: exam.ResidentID, IDNumber: "31010420031018810X", Gender: exam.Female, Category: exam.Student, FeeExempt: true},
			{Ticket: "T1", Name: "毛娜", IDType: exam.ResidentID, IDNumber: "310104200410159779", Gender: exam.Male, Category: exam.Public},
		}
		if err := db.PutRoster(ctx, "S1", cands, pkg("m2", "{2}")); err != nil {
			t.Fatal(err)
		}
		roster, err := db.Roster(ctx, "S1")
		if err != nil || len(roster) != 2 || roster[0] != cands[0] || roster[1] != cands[1] {
			t.Errorf("roster = %+v, %v", roster, err)
		}
		pkgs, c3, _ := db.PackagesSince(ctx, "SITE-001", cursor)
		if len(pkgs) != 1 || string(pkgs["S1"].Parts["session.json"]) != "{2}" || string(pkgs["S1"].Manifest) != fmt.Sprintf("m2@%d", c3) || c3 <= cursor {
			t.Errorf("after roster: %v cursor %d", pkgs, c3)
		}
		if err := db.PutRoster(ctx, "S9", cands, pkg("m", "{}")); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("roster of a missing session: %v", err)
		}
		// A new manifest for the same parts, only while the old one is current.
		ms, err := db.Manifests(ctx)
		if err != nil || string(ms["S1"]) != fmt.Sprintf("m2@%d", c3) {
			t.Fatalf("manifests %q %v", ms, err)
		}
		resign := pkg("m3", "ignored")
		if done, err := db.ReplaceManifest(ctx, "S1", []byte("stale"), resign); done || err != nil {
			t.Errorf("replaced a manifest that was not current: %v %v", done, err)
		}
		if done, err := db.ReplaceManifest(ctx, "S1", ms["S1"], resign); !done || err != nil {
			t.Errorf("replace: %v %v", done, err)
		}
		pkgs, c4, _ := db.PackagesSince(ctx, "SITE-001", c3)
		if len(pkgs) != 1 || string(pkgs["S1"].Manifest) != fmt.Sprintf("m3@%d", c4) || string(pkgs["S1"].Parts["session.json"]) != "{2}" {
			t.Errorf("after a new manifest: %v cursor %d", pkgs, c4)
		}
	})
}

func TestEnrolment(t *testing.T) {
	eachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		seed(t, db)
		now := time.Now()
		if err := db.AddEnrolCode(ctx, "h1", "SITE-001", now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if err := db.AddEnrolCode(ctx, "h2", "SITE-001", now.Add(-time.Second)); err != nil {
			t.Fatal(err)
		}
		d := &store.Device{ID: "D1", Name: "station", PublicKey: []byte{1, 2}}
		if err := db.Enrol(ctx, "h1", now, d); err != nil || d.Site != "SITE-001" {
			t.Fatalf("enrol: %v %+v", err, d)
		}
		if err := db.Enrol(ctx, "h1", now, &store.Device{ID: "D2"}); !errors.Is(err, store.ErrCodeUsed) {
			t.Errorf("used code: %v", err)
		}
		if err := db.Enrol(ctx, "h2", now, &store.Device{ID: "D3"}); !errors.Is(err, store.ErrCodeExpired) {
			t.Errorf("expired code: %v", err)
		}
		if err := db.Enrol(ctx, "h9", now, &store.Device{ID: "D4"}); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("unknown code: %v", err)
		}
		if _, err := db.Device(ctx, "D2"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("a refused enrolment left device D2: %v", err)
		}
		later := now.Add(time.Minute)
		req := store.DeviceRequest{DeviceID: "D1", Nonce: "n1", Signed: now, SkewMS: -7200000}
		if err := db.NoteRequest(ctx, req, later, now.Add(-time.Hour)); err != nil {
			t.Fatal(err)
		}
		got, err := db.Device(ctx, "D1")
		if err != nil || got.ClockSkewMS != -7200000 || !got.LastSeen.Equal(later.Truncate(time.Microsecond)) || !bytes.Equal(got.PublicKey, []byte{1, 2}) {
			t.Errorf("device = %+v, %v", got, err)
		}
		// The same nonce again is a replay and changes nothing.
		again := req
		again.SkewMS = 5
		if err := db.NoteRequest(ctx, again, later.Add(time.Minute), now.Add(-time.Hour)); !errors.Is(err, store.ErrReplayed) {
			t.Errorf("nonce again: %v", err)
		}
		if got, _ := db.Device(ctx, "D1"); got.ClockSkewMS != -7200000 || !got.LastSeen.Equal(later.Truncate(time.Microsecond)) {
			t.Errorf("a replay moved the device: %+v", got)
		}
		// Forgotten once older than the cutoff: by the device's next request, or by ForgetNonces.
		if err := db.NoteRequest(ctx, store.DeviceRequest{DeviceID: "D1", Nonce: "n2", Signed: later}, later, now.Add(time.Second)); err != nil {
			t.Fatal(err)
		}
		if err := db.NoteRequest(ctx, req, later, now.Add(-time.Hour)); err != nil {
			t.Errorf("n1 after it was forgotten: %v", err)
		}
		if err := db.ForgetNonces(ctx, later.Add(time.Second)); err != nil {
			t.Fatal(err)
		}
		if err := db.NoteRequest(ctx, store.DeviceRequest{DeviceID: "D1", Nonce: "n2", Signed: later}, later, now.Add(-time.Hour)); err != nil {
			t.Errorf("n2 after ForgetNonces: %v", err)
		}
	})
}

func incoming(id string, seq uint64, hash string, created time.Time, eff store.Effect) store.Incoming {
	return store.Incoming{RecordID: id, DeviceID: "D1", Epoch: 1<<63 + 5, Seq: seq, Prev: []byte("p"), Hash: []byte(hash),
		Kind: "submission", SessionID: "S1", Created: created, Envelope: []byte("env-" + hash), Payload: []byte("{}"), Effect: eff}
}

// TestIngestIsIdempotent: the same record again is a duplicate with its
// receipt; the same id or chain position with other content is a conflict;
// a second submission for a candidate, whatever its device time says, is
// stored without a receipt and kept as a dispute, the first one standing,
// and answered the same when sent again.
func TestIngestIsIdempotent(t *testing.T) {
	eachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		seed(t, db)
		if err := db.AddEnrolCode(ctx, "h", "SITE-001", time.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if err := db.Enrol(ctx, "h", time.Now(), &store.Device{ID: "D1", PublicKey: []byte{1}}); err != nil {
			t.Fatal(err)
		}
		sign := func(rec *store.Incoming, seq int64) ([]byte, error) {
			return []byte(fmt.Sprintf("receipt %s %d", rec.RecordID, seq)), nil
		}
		t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
		sub := func(answer string) store.Submission {
			return store.Submission{Ticket: "T1", Answers: map[string]exam.Answer{"q1": {Choices: []string{answer}}}}
		}
		out, err := db.Ingest(ctx, []store.Incoming{
			incoming("R1", 1, "h1", t0, sub("a")),
			incoming("R2", 2, "h2", t0.Add(time.Minute), sub("b")), // made later: a second submission all the same
			incoming("R1", 1, "h1", t0, sub("a")),                  // the same again in one batch
		}, time.Now(), sign)
		if err != nil {
			t.Fatal(err)
		}
		if out[0].Outcome != store.OutcomeAccepted || out[1].Outcome != store.OutcomeConflict || out[1].Receipt != nil ||
			!strings.Contains(out[1].Reason, "already has a submission record, R1 from device D1") ||
			out[2].Outcome != store.OutcomeDuplicate || !bytes.Equal(out[2].Receipt, out[0].Receipt) {
			t.Fatalf("outcomes = %+v", out)
		}
		// Replays, conflicts and another submission, made earlier, that arrives later.
		out, err = db.Ingest(ctx, []store.Incoming{
			incoming("R2", 2, "h2", t0, sub("b")),
			incoming("R2", 2, "hX", t0, nil),
			incoming("R9", 1, "h9", t0, nil),
			incoming("R0", 3, "h0", t0.Add(-time.Minute), sub("c")),
		}, time.Now(), sign)
		if err != nil {
			t.Fatal(err)
		}
		want := []string{store.OutcomeConflict, store.OutcomeConflict, store.OutcomeConflict, store.OutcomeConflict}
		for i, w := range want {
			if out[i].Outcome != w || out[i].Receipt != nil {
				t.Errorf("record %d: %s (%s), want %s", i, out[i].Outcome, out[i].Reason, w)
			}
		}
		if !strings.Contains(out[0].Reason, "R1 from device D1") {
			t.Errorf("the dispute sent again: %q", out[0].Reason)
		}
		sr, err := db.SessionRecords(ctx, "S1")
		if err != nil {
			t.Fatal(err)
		}
		if got := sr.Submissions["T1"].Answers["q1"].Choices; len(got) != 1 || got[0] != "a" {
			t.Errorf("submission kept %v, want the first received (a)", got)
		}
		chain, err := db.Chain(ctx, "D1")
		if err != nil || len(chain) != 3 || chain[0].Epoch != 1<<63+5 || chain[2].Seq != 3 {
			t.Errorf("chain = %+v, %v", chain, err)
		}
		conflicts, err := db.Conflicts(ctx)
		if err != nil || len(conflicts) != 2 {
			t.Errorf("conflicts = %+v, %v", conflicts, err)
		}
		disputes, err := db.Disputes(ctx, "S1")
		if err != nil || len(disputes) != 2 || disputes[0].Other.RecordID != "R0" || disputes[1].Other.RecordID != "R2" || disputes[1].Held.RecordID != "R1" {
			t.Errorf("disputes = %+v, %v", disputes, err)
		}
	})
}

func TestReceivedByHash(t *testing.T) {
	eachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		seed(t, db)
		db.AddEnrolCode(ctx, "h", "SITE-001", time.Now().Add(time.Hour))
		db.Enrol(ctx, "h", time.Now(), &store.Device{ID: "D1", PublicKey: []byte{1}})
		sign := func(*store.Incoming, int64) ([]byte, error) { return []byte("receipt"), nil }
		t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
		sub := incoming("R1", 1, "\x00\xffAAAAAAAA"+strings.Repeat("\xff", 22), t0, nil)
		start := incoming("R2", 2, "\x00\xffAAAAAAAB"+strings.Repeat("\x00", 22), t0, nil)
		start.Kind = "start"
		if _, err := db.Ingest(ctx, []store.Incoming{sub, start}, t0.Add(time.Hour), sign); err != nil {
			t.Fatal(err)
		}
		got, err := db.ReceivedByHash(ctx, "submission", []byte("\x00\xffAAAAAAAA"))
		if err != nil || got.RecordID != "R1" || got.SessionID != "S1" || !got.ReceivedAt.Equal(t0.Add(time.Hour)) {
			t.Errorf("the submission by its prefix: %+v, %v", got, err)
		}
		for name, prefix := range map[string]string{"another kind": "\x00\xffAAAAAAAB", "no such hash": "\x00\xffAAAAAAAC", "last byte differs": "\x00\xffAAAAAAA@"} {
			if _, err := db.ReceivedByHash(ctx, "submission", []byte(prefix)); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("%s: %v, want not found", name, err)
			}
		}
	})
}

func TestIngestRollsBackWhole(t *testing.T) {
	eachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		seed(t, db)
		db.AddEnrolCode(ctx, "h", "SITE-001", time.Now().Add(time.Hour))
		db.Enrol(ctx, "h", time.Now(), &store.Device{ID: "D1", PublicKey: []byte{1}})
		calls := 0
		failSecond := func(rec *store.Incoming, seq int64) ([]byte, error) {
			if calls++; calls == 2 {
				return nil, errors.New("signer down")
			}
			return []byte("r"), nil
		}
		now := time.Now()
		if _, err := db.Ingest(ctx, []store.Incoming{incoming("R1", 1, "h1", now, nil), incoming("R2", 2, "h2", now, nil)}, now, failSecond); err == nil {
			t.Fatal("no error")
		}
		if chain, _ := db.Chain(ctx, "D1"); len(chain) != 0 {
			t.Errorf("a failed batch left %d records", len(chain))
		}
	})
}

func TestAuditChain(t *testing.T) {
	eachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		for i := 0; i < 3; i++ {
			if err := db.Audit(ctx, "admin", "unlock-code", fmt.Sprintf("session S%d", i)); err != nil {
				t.Fatal(err)
			}
		}
		log, err := db.AuditLog(ctx)
		if err != nil || len(log) != 3 || log[1].PrevHash != log[0].Hash {
			t.Fatalf("log = %+v, %v", log, err)
		}
	})
}

func TestStrikes(t *testing.T) {
	eachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		t0 := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
		if s, err := db.Strikes(ctx, "k"); err != nil || s.Failures != 0 {
			t.Fatalf("no strikes yet: %+v %v", s, err)
		}
		for i := 1; i <= 3; i++ {
			s, err := db.AddStrike(ctx, "k", t0.Add(time.Duration(i)*time.Minute))
			if err != nil || s.Failures != i || !s.Last.Equal(t0.Add(time.Duration(i)*time.Minute)) {
				t.Fatalf("strike %d: %+v %v", i, s, err)
			}
		}
		if s, err := db.Strikes(ctx, "k"); err != nil || s.Failures != 3 {
			t.Errorf("after three: %+v %v", s, err)
		}
		// A day later the old strikes are forgotten.
		if s, err := db.AddStrike(ctx, "other", t0.Add(25*time.Hour)); err != nil || s.Failures != 1 {
			t.Fatal(s, err)
		}
		if s, _ := db.Strikes(ctx, "k"); s.Failures != 0 {
			t.Errorf("a day-old key kept %d strikes", s.Failures)
		}
		if err := db.ClearStrikes(ctx, "other"); err != nil {
			t.Fatal(err)
		}
		if s, _ := db.Strikes(ctx, "other"); s.Failures != 0 {
			t.Errorf("cleared key has %d strikes", s.Failures)
		}
	})
}

func TestUsersAndWebSessions(t *testing.T) {
	eachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if err := db.PutUser(ctx, store.User{Name: "admin", PasswordHash: "$argon2id$x", Role: "admin"}); err != nil {
			t.Fatal(err)
		}
		now := time.Now()
		if err := db.PutWebSession(ctx, "tok", "admin", now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		ws, err := db.WebSession(ctx, "tok", now)
		if err != nil || ws.User.Role != "admin" {
			t.Errorf("session = %+v, %v", ws, err)
		}
		if _, err := db.WebSession(ctx, "tok", now.Add(2*time.Hour)); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("expired session: %v", err)
		}
		db.DeleteWebSession(ctx, "tok")
		if _, err := db.WebSession(ctx, "tok", now); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("signed-out session: %v", err)
		}
	})
}

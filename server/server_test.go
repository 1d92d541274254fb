package server_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"onex/assets"
	"onex/exam"
	"onex/exam/seal"
	"onex/server"
	"onex/server/servertest"
	"onex/server/store/pgtest"
	osync "onex/sync"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func TestImportErrors(t *testing.T) {
	c := servertest.New(t)
	ctx := context.Background()
	bad, _ := fs.ReadFile(assets.Samples, "samples/paper-web-elementary.json")
	bad = bytes.Replace(bad, []byte(`"answer": ["b"]`), []byte(`"answer": ["z"]`), 1)
	bad = bytes.Replace(bad, []byte(`"WEB-E-2026-A"`), []byte(`"WEB-E-2026-B"`), 1)
	_, err := c.ImportPaper(ctx, bytes.NewReader(bad), "test")
	if !errors.Is(err, server.ErrInput) || !strings.Contains(err.Error(), `item q1: answer "z" is not an option`) {
		t.Errorf("bad paper: %v", err)
	}
	if papers, _ := c.Papers(ctx); len(papers) != 1 {
		t.Errorf("a bad paper was stored: %d papers", len(papers))
	}
	roster := "准考证号,姓名,证件类型,证件号码,性别,考生类别\nT1,,居民身份证,310104200410159779,男,在校学生\nT2,王五,居民身份证,310104200410159778,男,在校学生\n"
	_, err = c.ImportRoster(ctx, c.Session.ID, strings.NewReader(roster), "auto", "test")
	if !errors.Is(err, server.ErrInput) || !strings.Contains(err.Error(), "line 2: 姓名: is empty") || !strings.Contains(err.Error(), "line 3: 证件号码") {
		t.Errorf("bad roster: %v", err)
	}
	if cands, _ := c.Roster(ctx, c.Session.ID); len(cands) != 40 {
		t.Errorf("a bad roster changed the session: %d candidates", len(cands))
	}
	gb, _ := os.ReadFile(filepath.Join("testdata", "roster-gb18030.csv"))
	cands, err := c.ImportRoster(ctx, c.Session.ID, bytes.NewReader(gb), "auto", "test")
	if err != nil || len(cands) != 40 || cands[6].Name != "欧阳子轩" {
		t.Errorf("GB18030 roster: %v", err)
	}
	c.Clock.Set(servertest.Start)
	if _, err := c.ImportRoster(ctx, c.Session.ID, servertest.Sample(t, "roster-web-elementary.csv"), "auto", "test"); !errors.Is(err, server.ErrInput) {
		t.Errorf("roster after release: %v", err)
	}
}

// BenchmarkIngest measures records per second through Ingest — envelope and
// record signatures verified, HPKE opened, payload checked against the
// session, stored idempotently, receipted and committed — in batches of 100,
// for version 1 envelopes (a device holding central's key of release 1) and
// version 2 (MLKEM768-X25519), and beside them the floor: a bare batched
// insert of as many bytes as each version's envelope into a fresh database
// of the same engine.
func BenchmarkIngest(b *testing.B) {
	const batch = 100
	for _, name := range pgtest.Engines {
		c := servertest.New(b, servertest.WithDB(pgtest.DSN(b, name)))
		for _, version := range []int{1, 2} {
			d := c.Enrol(b, "SITE-001")
			if version == 1 {
				d.Central = d.Central.V1()
			}
			size := len(d.Seal(osync.KindStart, osync.Start{SessionID: c.Session.ID}).Bytes)
			b.Run(fmt.Sprintf("%s/v%d", name, version), func(b *testing.B) {
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					b.StopTimer()
					envs := make([][]byte, batch)
					for j := range envs {
						envs[j] = d.Seal(osync.KindStart, osync.Start{SessionID: c.Session.ID}).Bytes
					}
					b.StartTimer()
					resp, err := c.Ingest(context.Background(), osync.Batch{Envelopes: envs})
					if err != nil || resp.Results[batch-1].Outcome != osync.Accepted || envs[0][3] != byte(version) {
						b.Fatal(err, resp.Results[batch-1])
					}
				}
				b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "records/s")
			})
			b.Run(fmt.Sprintf("%s-bare-insert/v%d", name, version), func(b *testing.B) {
				db := bareDB(b, name)
				env := make([]byte, size) // as large as a sealed start record
				ctx := context.Background()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					tx, err := db.BeginTx(ctx, nil)
					if err != nil {
						b.Fatal(err)
					}
					for j := 0; j < batch; j++ {
						if _, err := tx.ExecContext(ctx, "INSERT INTO floor (id, envelope) VALUES ($1, $2)", fmt.Sprint(i, "/", j), env); err != nil {
							b.Fatal(err)
						}
					}
					if err := tx.Commit(); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "records/s")
			})
		}
	}
}

// bareDB opens a fresh database of the engine with central's settings and a
// table of envelopes.
func bareDB(b *testing.B, engine string) *sql.DB {
	var db *sql.DB
	var err error
	blob := "BLOB"
	if engine == "postgres" {
		db, err = sql.Open("pgx", pgtest.DSN(b, engine))
		blob = "BYTEA"
	} else {
		db, err = sql.Open("sqlite", "file:"+filepath.Join(b.TempDir(), "floor.db")+
			"?_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=busy_timeout(10000)&_txlock=immediate")
	}
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	if _, err := db.Exec("CREATE TABLE floor (id TEXT PRIMARY KEY, envelope " + blob + " NOT NULL)"); err != nil {
		b.Fatal(err)
	}
	return db
}

// TestDataFilesOwnerOnly: central's directory is 0700 and its database,
// WAL and shared memory 0600, even when the directory was made 0755 before
// init and the umask allows more.
func TestDataFilesOwnerOnly(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "central")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := server.Init(ctx, dir, "", "a password for the test"); err != nil {
		t.Fatal(err)
	}
	os.Chmod(dir, 0o755) // as an operator's later chmod might
	c, err := server.Open(ctx, dir, "", server.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.ImportCatalogue(ctx, servertest.Sample(t, "catalogue.json"), "test"); err != nil {
		t.Fatal(err)
	}
	want := map[string]os.FileMode{"": 0o700, server.KeysFile: 0o600, "central.db": 0o600, "central.db-wal": 0o600, "central.db-shm": 0o600}
	for name, mode := range want {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != mode {
			t.Errorf("%s/%s is %v, want %v", dir, name, fi.Mode().Perm(), mode)
		}
	}
}

// TestUnlockCodesSealedAtRest: no unlock code is in central's database
// files; one left in the clear by an older central is sealed at the next
// open, and reads out the same.
func TestUnlockCodesSealedAtRest(t *testing.T) {
	c := servertest.New(t)
	code := c.UnlockCode(t)
	inFiles := func() bool {
		for _, name := range []string{"central.db", "central.db-wal"} {
			b, _ := os.ReadFile(filepath.Join(c.Dir, name))
			if bytes.Contains(b, []byte(code)) {
				return true
			}
		}
		return false
	}
	if inFiles() {
		t.Fatal("the unlock code is in central's database files in the clear")
	}
	raw, err := sql.Open("sqlite", "file:"+filepath.Join(c.Dir, "central.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec("UPDATE sessions SET unlock_code = ?, unlock_sealed = NULL WHERE id = ?", code, c.Session.ID); err != nil {
		t.Fatal(err)
	}
	c.Restart(t)
	if inFiles() {
		t.Error("after reopening, the clear code is still in central's database files")
	}
	var left string
	if err := raw.QueryRow("SELECT unlock_code FROM sessions WHERE id = ?", c.Session.ID).Scan(&left); err != nil || left != "" {
		t.Errorf("after reopening, the clear code is still there: %q %v", left, err)
	}
	if got := c.UnlockCode(t); got != code {
		t.Errorf("the code sealed on reopening reads %q, want %q", got, code)
	}
}

// TestUnversionedPackagesGetAVersion: a package stored before manifests
// carried a version (read as version 0) is signed anew, for a new version,
// when central starts, so that devices take it; parts unchanged.
func TestUnversionedPackagesGetAVersion(t *testing.T) {
	c := servertest.New(t)
	ctx := context.Background()
	b, err := os.ReadFile(filepath.Join(c.Dir, server.KeysFile))
	if err != nil {
		t.Fatal(err)
	}
	keys, err := seal.ParseCentralKeys(b)
	if err != nil {
		t.Fatal(err)
	}
	old, err := c.DB(t).SessionPackage(ctx, c.Session.ID)
	if err != nil {
		t.Fatal(err)
	}
	m, err := seal.OpenManifest(keys.Public(), old.Manifest)
	if err != nil || m.Version == 0 {
		t.Fatalf("a new session's manifest: %+v %v", m, err)
	}
	m.Version = 0
	unversioned, err := seal.SignManifest(keys, m)
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", "file:"+filepath.Join(c.Dir, "central.db"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = db.Exec("UPDATE sessions SET manifest = ? WHERE id = ?", unversioned, c.Session.ID)
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	c.Restart(t)
	now, err := c.DB(t).SessionPackage(ctx, c.Session.ID)
	if err != nil {
		t.Fatal(err)
	}
	s, _ := c.Central.Session(ctx, c.Session.ID)
	m2, err := seal.OpenPackage(keys.Public(), now.Manifest, now.Parts)
	if err != nil || m2.Manifest().Version != uint64(s.PkgVersion) || m2.Manifest().Version <= m.Version || len(m2.Manifest().Parts) != len(m.Parts) {
		t.Fatalf("after a restart: version %d, session's %d: %v", m2.Manifest().Version, s.PkgVersion, err)
	}
	// A second start leaves it alone.
	c.Restart(t)
	if again, _ := c.Central.Session(ctx, c.Session.ID); again.PkgVersion != s.PkgVersion {
		t.Errorf("a second start gave the package version %d, after %d", again.PkgVersion, s.PkgVersion)
	}
}

// TestCentralKeyOfRelease1Upgraded: central opening a key file of release 1
// (no hybrid receiving key) upgrades it in place: the same signing, X25519
// and secrets keys (the unlock codes sealed before still read out), the
// hybrid key added, the file replaced whole and mode 0600, the upgrade
// audited, and every copy of the file upgraded to the same key. A device of
// release 1 keeps working: the envelopes it queued before, sealed to the
// key of release 1, are accepted; it learns the hybrid key from the package
// answer, signed by the key it trusts, and its version 2 envelopes are
// accepted too. On SQLite and PostgreSQL.
func TestCentralKeyOfRelease1Upgraded(t *testing.T) {
	for _, engine := range pgtest.Engines {
		t.Run(engine, func(t *testing.T) {
			testCentralKeyOfRelease1Upgraded(t, servertest.New(t, servertest.WithDB(pgtest.DSN(t, engine)), servertest.Release1()))
		})
	}
}

func testCentralKeyOfRelease1Upgraded(t *testing.T, c *servertest.Central) {
	ctx := context.Background()
	code := c.UnlockCode(t)
	hybrid := c.PublicKey()
	if !hybrid.Hybrid() {
		t.Fatal("central runs without the hybrid key")
	}
	d := c.Enrol(t, "SITE-001")
	if d.Central.Hybrid() || d.Central.Fingerprint() != hybrid.V1().Fingerprint() {
		t.Fatalf("a device enrolled with central of release 1 holds %s", d.Central.Fingerprint())
	}
	s := c.Session
	v1 := []*seal.Envelope{
		d.Seal(osync.KindCheckIn, osync.CheckIn{SessionID: s.ID, Ticket: "2026WEB010001", Status: exam.Present}),
		d.Seal(osync.KindCheckIn, osync.CheckIn{SessionID: s.ID, Ticket: "2026WEB010002", Status: exam.Present}),
	}
	if v1[0].Version != 1 {
		t.Fatalf("a device of release 1 sealed version %d", v1[0].Version)
	}
	if _, resp := d.Push(v1[0].Bytes); resp.Results[0].Outcome != osync.Accepted {
		t.Fatalf("version 1 before the upgrade: %+v", resp.Results[0])
	}

	// Release 2 installed over a key file of release 1.
	path := filepath.Join(c.Dir, server.KeysFile)
	servertest.WriteKeysOfRelease1(t, c.Dir)
	before, _ := os.ReadFile(path)
	c.Restart(t, servertest.Release2())
	after, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(path)
	switch {
	case before[4] != 1 || len(before) != 69:
		t.Fatalf("key file of release 1: type %d, %d bytes", before[4], len(before))
	case after[4] != 5 || len(after) != 101 || !bytes.Equal(after[5:69], before[5:69]):
		t.Fatalf("upgraded key file: type %d, %d bytes, Ed25519 and X25519 kept: %v", after[4], len(after), bytes.Equal(after[5:69], before[5:69]))
	case fi.Mode().Perm() != 0o600:
		t.Fatalf("upgraded key file is %v", fi.Mode().Perm())
	case c.PublicKey().Fingerprint() != hybrid.Fingerprint():
		t.Fatalf("two upgrades of one key file differ: %s, %s", c.PublicKey().Fingerprint(), hybrid.Fingerprint())
	case c.UnlockCode(t) != code:
		t.Fatal("the unlock code sealed before the upgrade reads otherwise")
	}
	if left, _ := filepath.Glob(filepath.Join(c.Dir, "."+server.KeysFile+"-*")); len(left) != 0 {
		t.Fatalf("temporary files left: %v", left)
	}
	log, err := c.AuditLog(ctx)
	if err != nil || log.Broken != "" {
		t.Fatalf("audit log: %v %s", err, log.Broken)
	}
	var upgrades int // at the first open (Release1 writes a key file of release 1) and at the restart
	for _, e := range log.Entries {
		if e.Action == "upgrade central key" && e.Actor == "central" && strings.Contains(e.Detail, hybrid.Fingerprint()) && strings.Contains(e.Detail, hybrid.V1().Fingerprint()) {
			upgrades++
		}
	}
	if upgrades != 2 {
		t.Fatalf("%d upgrades audited, want 2", upgrades)
	}

	// The record queued before the upgrade goes as it is.
	if _, resp := d.Push(v1[1].Bytes); resp.Results[0].Outcome != osync.Accepted {
		t.Fatalf("version 1 queued before the upgrade: %+v", resp.Results[0])
	}
	var pr osync.PackageResponse
	if code := d.Get(osync.PathPackage+"?cursor=0", &pr); code != 200 || pr.HybridKey == nil {
		t.Fatalf("package answer %d without the hybrid key", code)
	}
	learnt, err := pr.HybridKey.Open(d.Central)
	if err != nil || learnt.Fingerprint() != hybrid.Fingerprint() {
		t.Fatalf("hybrid key from the package answer: %v", err)
	}
	d.Central = learnt
	v2 := d.Seal(osync.KindCheckIn, osync.CheckIn{SessionID: s.ID, Ticket: "2026WEB010003", Status: exam.Present})
	if _, resp := d.Push(v2.Bytes); v2.Version != 2 || resp.Results[0].Outcome != osync.Accepted {
		t.Fatalf("version %d after the upgrade: %+v", v2.Version, resp.Results[0])
	}
	// Operators see when the last version 1 envelope came (since the restart).
	if got := envelopeCounts(t, c.Central); got["1"] != 1 || got["2"] != 1 {
		t.Fatalf("onex_records_envelope_total %v, want one of each version", got)
	}
	chain, err := c.DB(t).Chain(ctx, d.ID)
	if err != nil || len(chain) != 3 {
		t.Fatalf("chain %+v, %v", chain, err)
	}
	for i, env := range []*seal.Envelope{v1[0], v1[1], v2} {
		if !bytes.Equal(chain[i].Hash, env.Hash[:]) {
			t.Errorf("record %d (version %d) stored otherwise than sent", i+1, env.Version)
		}
	}
}

// envelopeCounts reads onex_records_envelope_total by version.
func envelopeCounts(t *testing.T, c *server.Central) map[string]float64 {
	t.Helper()
	families, err := c.Metrics().Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, f := range families {
		if f.GetName() != "onex_records_envelope_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "version" {
					got[l.GetValue()] = m.GetCounter().GetValue()
				}
			}
		}
	}
	return got
}

// TestFullBatchOfVersion2Fits: a batch at central's default count limit of
// the largest answers the sample paper takes (an essay of 500 Chinese
// characters), sealed as version 2, still fits the default byte limit with
// room to spare, and central takes it whole over HTTP.
func TestFullBatchOfVersion2Fits(t *testing.T) {
	c := servertest.New(t)
	d := c.Enrol(t, "SITE-001")
	essay := exam.Answer{Text: strings.Repeat("语", 500)}
	envs := make([][]byte, server.DefaultMaxRecords)
	for i := range envs {
		env := d.Seal(osync.KindAnswer, osync.AnswerSnapshot{SessionID: c.Session.ID, Ticket: "2026WEB010001", ItemID: "q10", Answer: essay})
		if env.Version != 2 {
			t.Fatalf("sealed version %d", env.Version)
		}
		envs[i] = env.Bytes
	}
	body, err := json.Marshal(osync.Batch{Envelopes: envs})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d version 2 envelopes of %d bytes: a body of %d bytes, %.0f%% of the %d allowed", len(envs), len(envs[0]), len(body), 100*float64(len(body))/server.DefaultMaxBatchBytes, server.DefaultMaxBatchBytes)
	if len(body) > server.DefaultMaxBatchBytes/2 {
		t.Fatalf("a full batch of version 2 essays is %d bytes, more than half the limit %d", len(body), server.DefaultMaxBatchBytes)
	}
	code, resp := d.Push(envs...)
	if code != 200 || len(resp.Results) != len(envs) {
		t.Fatalf("batch: %d, %d results", code, len(resp.Results))
	}
	for i, r := range resp.Results {
		if r.Outcome != osync.Accepted {
			t.Fatalf("envelope %d: %s %s", i+1, r.Outcome, r.Reason)
		}
	}
}

// TestPapersSealedAtRest: central's database files hold no question of an
// imported paper; a paper a database of an earlier release holds in the
// clear is sealed when central opens it, leaving no clear copy in the files,
// and still sits and scores.
func TestPapersSealedAtRest(t *testing.T) {
	c := servertest.New(t)
	ctx := context.Background()
	stem := []byte("HTML 文档中，用于定义最重要标题的标签是？")
	inFiles := func() string {
		for _, name := range []string{"central.db", "central.db-wal"} {
			b, _ := os.ReadFile(filepath.Join(c.Dir, name))
			if bytes.Contains(b, stem) {
				return name
			}
		}
		return ""
	}
	if f := inFiles(); f != "" {
		t.Fatalf("a question of the imported paper is in %s in the clear", f)
	}
	plain, err := io.ReadAll(servertest.Sample(t, "paper-web-elementary.json"))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := sql.Open("sqlite", "file:"+filepath.Join(c.Dir, "central.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec("UPDATE papers SET body = ?, sealed = 0 WHERE id = ?", plain, c.Session.PaperID); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	if inFiles() == "" {
		t.Fatal("the test did not put the paper back in the clear")
	}
	c.Restart(t)
	if f := inFiles(); f != "" {
		t.Errorf("after reopening, a question is still in %s in the clear", f)
	}
	if _, err := c.ImportPaper(ctx, servertest.Sample(t, "paper-web-elementary.json"), "test"); err != nil {
		t.Errorf("importing the same paper again after sealing: %v", err)
	}
	if _, err := c.SessionResults(ctx, c.Session.ID); err != nil {
		t.Errorf("results from the sealed paper: %v", err)
	}
}

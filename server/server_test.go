package server_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"onex/assets"
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
	var left string
	if err := raw.QueryRow("SELECT unlock_code FROM sessions WHERE id = ?", c.Session.ID).Scan(&left); err != nil || left != "" {
		t.Errorf("after reopening, the clear code is still there: %q %v", left, err)
	}
	if got := c.UnlockCode(t); got != code {
		t.Errorf("the code sealed on reopening reads %q, want %q", got, code)
	}
}

package server_test

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"onex/server/store/pgtest"
	osync "onex/sync"
)

var pg *pgtest.Server

func TestMain(m *testing.M) {
	flag.Parse()
	if f := flag.Lookup("test.fuzz"); f != nil && f.Value.String() != "" {
		os.Exit(m.Run()) // fuzzing runs one target, on SQLite; its workers need no PostgreSQL
	}
	var err error
	if pg, err = pgtest.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "PostgreSQL for the central tests:", err)
		os.Exit(1)
	}
	code := m.Run()
	pg.Stop()
	os.Exit(code)
}

// Engines of central's database.
var engines = []string{"sqlite", "postgres"}

// dsn names a fresh database of the engine: "" for SQLite in the data
// directory, or a new PostgreSQL database.
func dsn(t testing.TB, engine string) string {
	if engine == "sqlite" {
		return ""
	}
	url, err := pg.URL(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return url
}

// BenchmarkIngest measures records per second through Ingest — envelope and
// record signatures verified, HPKE opened, payload checked against the
// session, stored idempotently, receipted and committed — in batches of 100,
// and beside it the floor: a bare batched insert of the same envelope bytes
// into a fresh database of the same engine.
func BenchmarkIngest(b *testing.B) {
	const batch = 100
	for _, name := range engines {
		b.Run(name, func(b *testing.B) {
			e := newEnv(b, dsn(b, name))
			d := e.enrol(b, "SITE-001")
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				envs := make([][]byte, batch)
				for j := range envs {
					envs[j] = d.seal(osync.KindStart, osync.Start{SessionID: e.session.ID}).Bytes
				}
				b.StartTimer()
				resp, err := e.c.Ingest(context.Background(), osync.Batch{Envelopes: envs})
				if err != nil || resp.Results[batch-1].Outcome != osync.Accepted {
					b.Fatal(err, resp.Results[batch-1])
				}
			}
			b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "records/s")
		})
		b.Run(name+"-bare-insert", func(b *testing.B) {
			db := bareDB(b, name)
			env := make([]byte, 600) // the size of a sealed start record
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

// bareDB opens a fresh database of the engine with central's settings and a
// table of envelopes.
func bareDB(b *testing.B, engine string) *sql.DB {
	var db *sql.DB
	var err error
	blob := "BLOB"
	if engine == "postgres" {
		db, err = sql.Open("pgx", dsn(b, engine))
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

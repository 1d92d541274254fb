package pgtest

import (
	"context"
	"flag"
	"fmt"
	"os"
	"testing"
)

// shared is the server Main started for a test binary.
var shared *Server

// Main runs a test binary's tests with a server started for them, stops it
// and exits: call it from TestMain. A binary that is fuzzing starts none
// (its workers run one target, on SQLite).
func Main(m *testing.M) {
	flag.Parse()
	if f := flag.Lookup("test.fuzz"); f != nil && f.Value.String() != "" {
		os.Exit(m.Run())
	}
	var err error
	if shared, err = Start(); err != nil {
		fmt.Fprintln(os.Stderr, "PostgreSQL for the tests:", err)
		os.Exit(1)
	}
	code := m.Run()
	shared.Stop()
	os.Exit(code)
}

// Engines are the database engines central runs on, by name.
var Engines = []string{"sqlite", "postgres"}

// DSN names a fresh database of the engine for central: "" for SQLite (in
// central's data directory), or a new database on the server Main started.
func DSN(t testing.TB, engine string) string {
	t.Helper()
	if engine == "sqlite" {
		return ""
	}
	if shared == nil {
		t.Fatal("pgtest.DSN needs pgtest.Main in the package's TestMain")
	}
	url, err := shared.URL(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return url
}

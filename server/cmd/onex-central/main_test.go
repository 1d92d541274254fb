package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"onex/server/store/pgtest"
)

// cli runs one command in-process and returns its standard output.
func cli(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	err := run(context.Background(), args, &out, slog.New(slog.DiscardHandler))
	return out.String(), err
}

var pg *pgtest.Server

func TestMain(m *testing.M) {
	var err error
	if pg, err = pgtest.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "PostgreSQL for the command tests:", err)
		os.Exit(1)
	}
	code := m.Run()
	pg.Stop()
	os.Exit(code)
}

// TestCommands runs every command on SQLite (DIR/central.db) and on PostgreSQL (--db).
func TestCommands(t *testing.T) {
	url, err := pg.URL(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for engine, db := range map[string]string{"sqlite": "", "postgres": url} {
		t.Run(engine, func(t *testing.T) { testCommands(t, db) })
	}
}

func testCommands(t *testing.T, db string) {
	data := t.TempDir()
	samples := filepath.Join("..", "..", "..", "assets", "samples")
	pw := filepath.Join(t.TempDir(), "pw")
	os.WriteFile(pw, []byte("a long admin password\n"), 0o600)

	mustRun := func(args ...string) string {
		t.Helper()
		if db != "" {
			args = append(args, "--db", db)
		}
		out, err := cli(t, args...)
		if err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		return out
	}
	if out := mustRun("init", "--data", data, "--admin-password-file", pw); !strings.Contains(out, "central key fingerprint") || !strings.Contains(out, "sites of release 1 show") {
		t.Errorf("init printed %q", out)
	}
	if _, err := cli(t, "init", "--data", data); err == nil {
		t.Error("a second init overwrote central's keys")
	}
	mustRun("import", "catalogue", "--data", data, filepath.Join(samples, "catalogue.json"))
	mustRun("import", "paper", filepath.Join(samples, "paper-web-elementary.json"), "--data", data)
	session := strings.TrimSpace(mustRun("session", "create", "--data", data, "--site", "SITE-001", "--room", "A101",
		"--paper", "WEB-E-2026-A", "--start", "2099-12-01T09:00:00+08:00"))
	if session != "SITE-001-A101-209912010900" {
		t.Fatalf("session id %q", session)
	}
	mustRun("import", "roster", "--data", data, filepath.Join(samples, "roster-web-elementary.csv"), "--session", session)
	if code := strings.TrimSpace(mustRun("enrol-code", "--data", data, "--site", "SITE-001")); len(code) != 19 {
		t.Errorf("enrolment code %q", code)
	}
	if code := strings.TrimSpace(mustRun("unlock-code", "--data", data, "--session", session)); len(code) != 23 {
		t.Errorf("unlock code %q", code)
	}
	var results []map[string]any
	if err := json.Unmarshal([]byte(mustRun("results", "--data", data, "--session", session, "--format", "json")), &results); err != nil || len(results) != 40 {
		t.Errorf("results: %d, %v", len(results), err)
	}
	if csv := mustRun("results", "--data", data, "--session", session); !strings.HasPrefix(csv, "\ufeff准考证号") {
		t.Errorf("csv starts %q", csv[:20])
	}

	bad := filepath.Join(t.TempDir(), "bad.csv")
	os.WriteFile(bad, []byte("准考证号,姓名,证件类型,证件号码,性别,考生类别\nT1,毛娜,居民身份证,310104200410159778,男,在校学生\n"), 0o600)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"import", "roster", "--data", data, bad, "--session", session}, "bad.csv: roster: line 2: 证件号码: check character is 8, expected 9"},
		{[]string{"import", "roster", "--data", data, bad}, "--session is required"},
		{[]string{"import", "paper", "--data", data, filepath.Join(samples, "catalogue.json")}, "catalogue.json: paper: "},
		{[]string{"import", "paper", "--data", data}, "FILE is missing"},
		{[]string{"session", "create", "--data", data, "--site", "SITE-001", "--room", "Z9", "--paper", "WEB-E-2026-A", "--start", "2099-12-01T09:00:00Z"}, `site SITE-001 has no room "Z9"`},
		{[]string{"session", "create", "--data", data, "--site", "SITE-001", "--room", "A101", "--paper", "WEB-E-2026-A", "--start", "tomorrow"}, `--start "tomorrow" is not an RFC 3339 time`},
		{[]string{"unlock-code", "--data", data, "--session", "nope"}, "session nope does not exist"},
		{[]string{"results", "--data", data, "--session", session, "--format", "xls"}, `--format "xls"`},
		{[]string{"serve"}, "--data is required"},
		{[]string{"frobnicate"}, `unknown command "frobnicate"`},
	} {
		if db != "" && len(tc.args) > 2 {
			tc.args = append(tc.args, "--db", db)
		}
		if _, err := cli(t, tc.args...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: err = %v, want %q", tc.args, err, tc.want)
		}
	}
}

func TestHelp(t *testing.T) {
	for _, cmd := range []string{"init", "serve", "enrol-code", "unlock-code", "results"} {
		_, err := cli(t, cmd, "--help")
		if !errors.Is(err, flag.ErrHelp) {
			t.Errorf("%s --help: %v", cmd, err)
		}
	}
	if out, err := cli(t, "--help"); err != nil || !strings.Contains(out, "enrol-code") {
		t.Errorf("--help: %q %v", out, err)
	}
}

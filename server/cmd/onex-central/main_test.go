package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"onex/exam"
	"onex/server"
	"onex/server/servertest"
	"onex/server/store/pgtest"
	osync "onex/sync"
)

// cli runs one command in-process and returns its standard output.
func cli(t *testing.T, args ...string) (string, error) {
	t.Helper()
	out, _, err := cliWarn(t, args...)
	return out, err
}

// cliWarn runs one command in-process and returns its standard output and
// its warnings.
func cliWarn(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	var out, warn bytes.Buffer
	err := run(context.Background(), args, &out, &warn, slog.New(slog.DiscardHandler))
	return out.String(), warn.String(), err
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
	if out := mustRun("user", "add", "--data", data, "--name", "zhang", "--role", "lead", "--password-file", pw); strings.TrimSpace(out) != "user zhang, role lead" {
		t.Errorf("user add printed %q", out)
	}
	if _, err := cli(t, "user", "add", "--data", data, "--name", "li", "--role", "chief", "--password-file", pw); err == nil || !strings.Contains(err.Error(), `role "chief"`) {
		t.Errorf("user add with an unknown role: %v", err)
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
		{[]string{"session", "create", "--data", data, "--site", "SITE-001", "--room", "A102", "--paper", "WEB-E-2026-A", "--start", "2099-12-02T09:00:00+08:00"},
			"paper WEB-E-2026-A version 1 is released at 2099-12-01T08:50:00+08:00 (session " + session + "), and all sessions of a paper version are released at the same time"},
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

	// A session starting 3 minutes ahead of a paper version of its own:
	// the default release time has passed (issue 12 point 16).
	paper2 := filepath.Join(t.TempDir(), "paper-v2.json")
	b, _ := os.ReadFile(filepath.Join(samples, "paper-web-elementary.json"))
	os.WriteFile(paper2, bytes.Replace(b, []byte(`"format": "onex-paper/1",`), []byte(`"format": "onex-paper/1", "version": 2,`), 1), 0o600)
	mustRun("import", "paper", paper2, "--data", data)
	soon := time.Now().Add(3 * time.Minute).Format(time.RFC3339)

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"session", "create", "--data", data, "--site", "SITE-001", "--room", "A102", "--paper", "WEB-E-2026-A", "--paper-version", "2", "--start", soon},
			"so the default release time, "},
		{[]string{"session", "create", "--data", data, "--site", "SITE-001", "--room", "A102", "--paper", "WEB-E-2026-A", "--paper-version", "2", "--start", soon, "--release", "2020-01-01T00:00:00Z"},
			"release time 2020-01-01T08:00:00+08:00 has passed"},
		{[]string{"device", "revoke", "--data", data, "--device", "nope", "--reason", "stolen"}, `device "nope" is not enrolled`},
		{[]string{"device", "revoke", "--data", data, "--device", "nope"}, "--reason is required"},
		{[]string{"device", "list", "--data", data}, `device: the subcommand is "revoke"`},
	} {
		if db != "" {
			tc.args = append(tc.args, "--db", db)
		}
		if _, err := cli(t, tc.args...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: err = %v, want %q", tc.args, err, tc.want)
		}
	}
}

func TestHelp(t *testing.T) {
	for _, cmd := range []string{"init", "serve", "enrol-code", "unlock-code", "results", "approve", "publish"} {
		_, err := cli(t, cmd, "--help")
		if !errors.Is(err, flag.ErrHelp) {
			t.Errorf("%s --help: %v", cmd, err)
		}
	}
	if out, err := cli(t, "--help"); err != nil || !strings.Contains(out, "enrol-code") {
		t.Errorf("--help: %q %v", out, err)
	}
}

// TestVersion: `version` and `--version` print the version make release
// stamps in (-X main.version), "dev" in a plain build.
func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}} {
		out, err := cli(t, args...)
		if want := "onex-central " + version + "\n"; err != nil || out != want {
			t.Errorf("%v: %q %v, want %q", args, out, err, want)
		}
	}
}

// TestResultsWarn: `results` warns, beside the results, of an open conflict
// about a candidate's submission and of a record whose device time is
// implausible, and carries both in its JSON and its CSV.
func TestResultsWarn(t *testing.T) {
	url, err := pg.URL(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for engine, db := range map[string]string{"sqlite": "", "postgres": url} {
		t.Run(engine, func(t *testing.T) {
			c := servertest.New(t, servertest.WithDB(db))
			s := c.Session
			d1, d2 := c.Enrol(t, "SITE-001"), c.Enrol(t, "SITE-001")
			d1.Push(d1.Seal(osync.KindSubmission, servertest.Submission(s, "2026WEB010001", nil)).Bytes,
				d1.SealAt(osync.KindSubmission, servertest.Submission(s, "2026WEB010002", nil), s.ReleaseAt.Add(-3*time.Hour)).Bytes)
			d2.Push(d2.SealAt(osync.KindSubmission, servertest.Submission(s, "2026WEB010001", nil), time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)).Bytes)
			results := func(format string) (string, string, error) {
				args := []string{"results", "--data", c.Dir, "--session", s.ID, "--format", format}
				if db != "" {
					args = append(args, "--db", db)
				}
				return cliWarn(t, args...)
			}
			out, warn, err := results("json")
			if err != nil {
				t.Fatal(err)
			}
			for _, want := range []string{"warning: ticket 2026WEB010001: conflict 1 about its submission is open",
				"warning: ticket 2026WEB010002: submission record ", "is before the paper's release, not trusted"} {
				if !strings.Contains(warn, want) {
					t.Errorf("warnings lack %q:\n%s", want, warn)
				}
			}
			var res []server.Result
			if err := json.Unmarshal([]byte(out), &res); err != nil || len(res[0].Open) != 1 || len(res[1].Flags) != 1 || res[1].Flags[0].Time.Flag != "early" {
				t.Errorf("json: %v\n%.400s", err, out)
			}
			csv, _, err := results("csv")
			if err != nil || !strings.Contains(csv, ",待核查\r\n") || !strings.Contains(csv, ",交卷冲突待裁决\r\n") || !strings.Contains(csv, ",交卷时间存疑\r\n") {
				t.Errorf("csv: %v\n%s", err, csv)
			}
		})
	}
}

// TestServeLimits: serve refuses limits that make no sense, and hangs up
// on a client whose headers do not arrive within --read-header-timeout.
func TestServeLimits(t *testing.T) {
	data := t.TempDir()
	pw := filepath.Join(t.TempDir(), "pw")
	os.WriteFile(pw, []byte("a long admin password\n"), 0o600)
	if _, err := cli(t, "init", "--data", data, "--admin-password-file", pw); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--max-ingest", "0"}, "--max-ingest must be at least 1"},
		{[]string{"--read-header-timeout", "0s"}, "--read-header-timeout must be positive"},
		{[]string{"--batch-idle", "-1s"}, "--batch-idle must be positive"},
		{[]string{"--batch-timeout", "soon"}, "invalid value"},
	} {
		if _, err := cli(t, append([]string{"serve", "--data", data, "--addr", "127.0.0.1:0"}, tc.args...)...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v, want %q", tc.args, err, tc.want)
		}
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--data", data, "--addr", addr, "--read-header-timeout", "300ms", "--max-ingest", "2"}, io.Discard, io.Discard, slog.New(slog.DiscardHandler))
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	}()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if resp, err := http.Get("http://" + addr + "/healthz"); err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("serve did not start")
		}
	}
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	conn.Write([]byte("GET /healthz HTTP/1.1\r\nHost: central\r\n")) // and the headers never end
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.ReadAll(conn); err != nil {
		t.Errorf("central kept the connection: %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("central hung up after %v, the header timeout is 300ms", d)
	}
}

// TestApproveAndPublish: `approve` approves the results that are ready and
// names each that is not, with why, failing then; `publish` publishes the
// approved; `results` shows each result's state in its JSON and CSV.
func TestApproveAndPublish(t *testing.T) {
	for _, engine := range pgtest.Engines {
		t.Run(engine, func(t *testing.T) {
			db := engineURL(t, engine)
			c := servertest.New(t, servertest.WithDB(db), servertest.WithRoster(3))
			s := c.Session
			d := c.Enrol(t, "SITE-001")
			c.Release()
			tickets := []string{}
			roster, _ := c.Roster(context.Background(), s.ID)
			for _, r := range roster {
				tickets = append(tickets, r.Ticket)
			}
			d.Push(d.Seal(osync.KindSubmission, servertest.Submission(s, tickets[0], nil)).Bytes,
				d.Seal(osync.KindCheckIn, osync.CheckIn{SessionID: s.ID, Ticket: tickets[1], Status: exam.Absent}).Bytes)
			command := func(args ...string) (string, string, error) {
				args = append(args, "--data", c.Dir, "--session", s.ID)
				if db != "" {
					args = append(args, "--db", db)
				}
				return cliWarn(t, args...)
			}
			out, warn, err := command("approve")
			var nr *server.NotReadyError
			if !errors.As(err, &nr) || len(nr.Refused) != 2 || out != "session "+s.ID+": 1 results approved now, 0 before, 2 not ready\n" ||
				!strings.Contains(warn, "not approved: ticket "+tickets[0]+": awaiting-marks\n") ||
				!strings.Contains(warn, "not approved: ticket "+tickets[2]+": no-submission\n") {
				t.Errorf("approve: %v\n%s%s", err, out, warn)
			}
			out, _, err = command("publish")
			if err == nil || out != "session "+s.ID+": 1 results published now, 0 before, 2 not ready\n" {
				t.Errorf("publish: %v %q", err, out)
			}
			out, _, err = command("results", "--format", "json")
			var res []server.Result
			if err := json.Unmarshal([]byte(out), &res); err != nil || len(res) != 3 || res[0].State != exam.StateProvisional || res[1].State != exam.StatePublished {
				t.Errorf("results json: %v\n%s", err, out)
			}
			if out, _, _ = command("results"); !strings.Contains(out, ",结果,成绩状态,") || !strings.Contains(out, ",缺考,已发布,") {
				t.Errorf("results csv:\n%s", out)
			}
			if _, err := cli(t, "approve", "--data", c.Dir); err == nil || !strings.Contains(err.Error(), "--session is required") {
				t.Errorf("approve without --session: %v", err)
			}
			log, _ := c.AuditLog(context.Background())
			if n := len(log.Entries); n < 2 || log.Entries[n-2].Actor != "cli" || log.Entries[n-2].Action != "approve results" || log.Entries[n-1].Action != "publish results" {
				t.Errorf("audit: %+v", log.Entries[max(0, n-2):])
			}
		})
	}
}

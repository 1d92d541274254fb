package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"onex/exam/credential"
	"onex/server"
	"onex/server/servertest"
	"onex/server/store/pgtest"
)

// engineURL is the --db of an engine: "" (DIR/central.db) for SQLite, a
// fresh PostgreSQL database's URL for postgres.
func engineURL(t *testing.T, engine string) string {
	t.Helper()
	if engine != "postgres" {
		return ""
	}
	db, err := pg.URL(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// TestCertificateCommands: on both engines, certify issues a session's
// certificates (a second run none), certificates lists them as CSV for
// Excel and as JSON with the QR text and the VC, revoke, suspend and
// reinstate change a status with a reason and refuse what the rule
// forbids, issuer rotate makes a new key, certificate-pdf writes a PDF;
// every refusal names its cause.
func TestCertificateCommands(t *testing.T) {
	for _, engine := range pgtest.Engines {
		t.Run(engine, func(t *testing.T) {
			db := engineURL(t, engine)
			c := servertest.AllPassed(t, 3, servertest.WithDB(db))
			c.Central.Close() // the commands open central themselves
			s := c.Session
			command := func(args ...string) (string, string, error) {
				args = append(args, "--data", c.Dir)
				if db != "" {
					args = append(args, "--db", db)
				}
				return cliWarn(t, args...)
			}
			out, warn, err := command("certify", "--session", s.ID, "--public-url", "https://cert.example.cn")
			if err != nil || !strings.HasSuffix(out, "session "+s.ID+": 3 certificates issued, 0 results without one\n") || warn != "" {
				t.Fatalf("certify: %v\n%s%s", err, out, warn)
			}
			number := strings.Fields(out)[0]
			if out, warn, err := command("certify", "--session", s.ID); err != nil || !strings.Contains(out, ": 0 certificates issued, 3 results without one") ||
				!strings.Contains(warn, "no certificate: ticket 2026BENCH00001: 已发证 "+number+"\n") {
				t.Errorf("certify again: %v %s%s", err, out, warn)
			}
			csv, _, err := command("certificates", "--session", s.ID)
			if err != nil || !strings.HasPrefix(csv, "\ufeff证书编号,准考证号,姓名,") || strings.Count(csv, "\r\n") != 4 || !strings.Contains(csv, number+",2026BENCH00001,") || !strings.Contains(csv, ",有效,") {
				t.Errorf("csv: %v\n%s", err, csv)
			}
			js, _, err := command("certificates", "--session", s.ID, "--format", "json")
			var list []map[string]any
			if err := json.Unmarshal([]byte(js), &list); err != nil || len(list) != 3 || !strings.HasPrefix(list[0]["qr"].(string), credential.Prefix) ||
				strings.Count(list[0]["vc"].(string), ".") != 2 || list[0]["status"] != "valid" {
				t.Errorf("json: %v\n%s", err, js)
			}
			if payload, err := base64.RawURLEncoding.DecodeString(strings.Split(list[0]["vc"].(string), ".")[1]); err != nil ||
				!strings.Contains(string(payload), `"issuer":{"id":"https://cert.example.cn"`) {
				t.Errorf("the VC does not name --public-url: %v %s", err, payload)
			}
			for _, tc := range []struct {
				args []string
				out  string // "" when refused
				err  string
			}{
				{[]string{"suspend", "--number", number, "--reason", "身份待核实"}, "certificate " + number + ": suspended\n", ""},
				{[]string{"suspend", "--number", number, "--reason", "again"}, "", "is suspended already"},
				{[]string{"reinstate", "--number", number, "--reason", "核实无误"}, "certificate " + number + ": valid\n", ""},
				{[]string{"reinstate", "--number", number, "--reason", "again"}, "", "only a suspended certificate is reinstated"},
				{[]string{"revoke", "--number", number}, "", "--reason is required"},
				{[]string{"revoke", "--number", number, "--reason", "  "}, "", "a reason is required"},
				{[]string{"revoke", "--number", number, "--reason", "冒名顶替"}, "certificate " + number + ": revoked\n", ""},
				{[]string{"reinstate", "--number", number, "--reason", "撤销有误"}, "", "is revoked, which is final"},
				{[]string{"revoke", "--number", "WEB-1-1999-000001", "--reason", "x"}, "", "not found"},
				{[]string{"certificates", "--session", s.ID, "--format", "xls"}, "", `--format "xls"`},
				{[]string{"certify", "--session", "nope"}, "", "not found"},
				{[]string{"certify", "--session", s.ID, "--public-url", "http://cert.example.cn"}, "", "is not an https URL"},
				{[]string{"issuer", "list"}, "", `issuer: the subcommand is "rotate"`},
				{[]string{"certificate-pdf", "--number", number}, "", "--out is required"},
			} {
				out, _, err := command(tc.args...)
				if tc.err == "" && (err != nil || out != tc.out) || tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
					t.Errorf("%v: %q, %v; want %q, %q", tc.args, out, err, tc.out, tc.err)
				}
			}
			if out, _, err := command("issuer", "rotate"); err != nil || !strings.HasPrefix(out, "issuer key ") {
				t.Errorf("rotate: %q, %v", out, err)
			}
			pdf := filepath.Join(t.TempDir(), "cert.pdf")
			if out, _, err := command("certificate-pdf", "--number", number, "--out", pdf); err != nil || out != "certificate "+number+": "+pdf+"\n" {
				t.Fatalf("pdf: %q, %v", out, err)
			}
			if b, err := os.ReadFile(pdf); err != nil || !strings.HasPrefix(string(b), "%PDF-") {
				t.Errorf("pdf file: %v", err)
			}
			sc, err := server.Open(context.Background(), c.Dir, db, server.Config{})
			if err != nil {
				t.Fatal(err)
			}
			defer sc.Close()
			log, _ := sc.AuditLog(context.Background())
			var actions []string
			for _, e := range log.Entries {
				if e.Actor == "cli" {
					actions = append(actions, e.Action)
				}
			}
			if want := "issue certificates,suspend certificate,reinstate certificate,revoke certificate,rotate issuer key"; !strings.Contains(strings.Join(actions, ","), want) {
				t.Errorf("audit %v", actions)
			}
			if _, err := sc.Certificate(context.Background(), number); errors.Is(err, server.ErrNotFound) {
				t.Error(err)
			}
		})
	}
}

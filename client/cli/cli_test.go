package cli_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"onex/exam/seal"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"onex/client/cli"
	"onex/client/site"
	"onex/client/store"
	"onex/exam"
	"onex/server/servertest"
)

// TestMain: the fast tier (go test -short) wraps store keys cheaply.
func TestMain(m *testing.M) {
	seal.CheapStoreKeysInShortTests()
	os.Exit(m.Run())
}

const pass = "站点口令 for the CLI tests"

// run runs one onex-site command line with the passphrase in the environment.
func run(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	return runEnv(t, map[string]string{cli.PassphraseEnv: pass}, args...)
}

func runEnv(t *testing.T, env map[string]string, args ...string) (string, string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := cli.Main(context.Background(), args, cli.Env{Stdout: &out, Stderr: &errOut, Getenv: func(k string) string { return env[k] }})
	return out.String(), errOut.String(), code
}

// must runs a command that must succeed and returns its stdout.
func must(t *testing.T, args ...string) string {
	t.Helper()
	return mustEnv(t, map[string]string{cli.PassphraseEnv: pass}, args...)
}

// mustEnv is must with an environment of its own.
func mustEnv(t *testing.T, env map[string]string, args ...string) string {
	t.Helper()
	out, errOut, code := runEnv(t, env, args...)
	if code != cli.ExitOK {
		t.Fatalf("onex-site %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

func TestUsageErrors(t *testing.T) {
	dir := t.TempDir()
	passFile := filepath.Join(t.TempDir(), "pass")
	os.WriteFile(passFile, []byte("\n"), 0o600)
	for _, tc := range []struct {
		name string
		env  map[string]string
		args []string
		code int
		want string
	}{
		{"help", nil, []string{"--help"}, cli.ExitOK, "commands:"},
		{"unknown command", nil, []string{"frobnicate"}, cli.ExitUsage, `unknown command "frobnicate"`},
		{"no data dir", map[string]string{cli.PassphraseEnv: pass}, []string{"status"}, cli.ExitUsage, "--data is required"},
		{"passphrase as an argument", nil, []string{"status", "--data", dir, "hunter22"}, cli.ExitUsage, "never an argument"},
		{"unknown flag", nil, []string{"status", "--data", dir, "--passphrase", "x"}, cli.ExitUsage, "flag provided but not defined"},
		{"no passphrase", nil, []string{"status", "--data", dir}, cli.ExitUsage, "no site passphrase"},
		{"empty passphrase file", nil, []string{"status", "--data", dir, "--passphrase-file", passFile}, cli.ExitFailed, "is empty"},
		{"no store", map[string]string{cli.PassphraseEnv: pass}, []string{"status", "--data", dir}, cli.ExitFailed, "no site store"},
		{"enrol without code", map[string]string{cli.PassphraseEnv: pass}, []string{"enrol", "--data", dir, "--server", "http://x"}, cli.ExitUsage, "--code is required"},
		{"enrol with a bad URL", map[string]string{cli.PassphraseEnv: pass}, []string{"enrol", "--data", dir, "--server", "ftp://x", "--code", "C"}, cli.ExitFailed, "not an http:// or https:// address"},
		{"enrol with a short passphrase", map[string]string{cli.PassphraseEnv: "short"}, []string{"enrol", "--data", dir, "--server", "http://127.0.0.1:1", "--code", "C"}, cli.ExitFailed, "at least 8"},
		{"drill without session", map[string]string{cli.PassphraseEnv: pass}, []string{"drill", "--data", dir}, cli.ExitUsage, "--session is required"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, code := runEnv(t, tc.env, tc.args...)
			if code != tc.code || !strings.Contains(out+errOut, tc.want) {
				t.Fatalf("exit %d, want %d; output:\n%s%s\nwant %q", code, tc.code, out, errOut, tc.want)
			}
		})
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("failed commands left %d files in the data dir", len(entries))
	}
}

// status runs status --json.
func status(t *testing.T, dir string) *site.Status {
	t.Helper()
	out := must(t, "status", "--data", dir, "--json")
	var st site.Status
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatalf("status --json: %v\n%s", err, out)
	}
	return &st
}

// checkCentral asserts central holds exactly n submissions and that each
// candidate's objective score there is exam's score of the answers the site
// recorded.
func checkCentral(t *testing.T, c *servertest.Central, dir string, n int) {
	t.Helper()
	ctx := context.Background()
	paper, err := exam.ReadPaper(servertest.Sample(t, "paper-web-elementary.json"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := site.Open(ctx, site.Config{Dir: dir, Passphrase: pass})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	submitted := 0
	for _, res := range c.Results(t) {
		if !res.Submitted {
			continue
		}
		submitted++
		answers, err := s.Answers(ctx, c.Session.ID, res.Ticket)
		if err != nil {
			t.Fatal(err)
		}
		want, err := paper.Score(answers, nil, 60)
		if err != nil {
			t.Fatal(err)
		}
		objective := func(items []exam.ItemScore) (sum float64) {
			for _, is := range items {
				if it, _ := paper.Item(is.ItemID); it.Type.Objective() {
					sum += is.Points
				}
			}
			return sum
		}
		if got, want := objective(res.Items), objective(want.Items); got != want {
			t.Errorf("%s: central's objective score %v, exam's score of the site's answers %v", res.Ticket, got, want)
		}
	}
	if submitted != n {
		t.Fatalf("central holds %d submissions, want %d", submitted, n)
	}
}

// TestEndToEnd runs a whole session against a real central: enrol,
// download, unlock refused before the release time and granted after, a
// drill of 40 candidates with central cut off for the whole exam, then sync.
func TestEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("over 10 s (a 40-candidate drill): skipped by -short; TestEndToEndWithUnlockCode still runs enrol, download, unlock, drill and sync")
	}
	c := servertest.New(t)
	dir := filepath.Join(t.TempDir(), "site")
	out := must(t, "enrol", "--data", dir, "--server", c.URL, "--code", c.EnrolCode(t), "--name", "A101 主机")
	if !strings.Contains(out, c.PublicKey().Fingerprint()) {
		t.Fatalf("enrol does not show central's key fingerprint:\n%s", out)
	}
	if _, errOut, code := run(t, "enrol", "--data", dir, "--server", c.URL, "--code", c.EnrolCode(t)); code != cli.ExitFailed || !strings.Contains(errOut, "enrolled already") {
		t.Fatalf("second enrol: exit %d %s", code, errOut)
	}
	_, progress, _ := run(t, "download", "--data", dir)
	if !strings.Contains(progress, "checked 1/1: session "+c.Session.ID) {
		t.Fatalf("download progress: %q", progress)
	}
	if _, errOut, code := run(t, "unlock", "--data", dir, "--session", c.Session.ID); code != cli.ExitFailed || !strings.Contains(errOut, "central releases the paper at") {
		t.Fatalf("unlock before the release time: exit %d %s", code, errOut)
	}
	c.Release()
	must(t, "unlock", "--data", dir, "--session", c.Session.ID)

	c.Relay.Cut()
	var rep site.DrillReport
	if err := json.Unmarshal([]byte(must(t, "drill", "--data", dir, "--session", c.Session.ID, "--candidates", "40", "--seed", "42")), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Submissions) != 40 {
		t.Fatalf("drill submitted %d", len(rep.Submissions))
	}
	st := status(t, dir)
	if st.ServerReachable || st.Outbox.Pending == 0 || st.Outbox.Acked != 0 || st.Submissions != 40 || st.CheckIns != 40 {
		t.Fatalf("status while cut off: %+v", st)
	}
	if _, errOut, code := run(t, "sync", "--data", dir); code != cli.ExitUnreachable {
		t.Fatalf("sync while cut off: exit %d %s", code, errOut)
	}
	if err := c.Relay.Restore(); err != nil {
		t.Fatal(err)
	}
	must(t, "sync", "--data", dir)
	st = status(t, dir)
	if !st.ServerReachable || st.Outbox.Pending != 0 || st.Outbox.Refused() != 0 || st.Outbox.Acked < 40 || st.LastReceipt == nil {
		t.Fatalf("status after sync: %+v", st)
	}
	checkCentral(t, c, dir, 40)
}

// TestEndToEndWithUnlockCode unlocks with the code the office reads out
// (before central's release time: the code does not need central).
func TestEndToEndWithUnlockCode(t *testing.T) {
	c := servertest.New(t)
	dir := t.TempDir()
	must(t, "enrol", "--data", dir, "--server", c.URL, "--code", c.EnrolCode(t))
	must(t, "download", "--data", dir)
	code := c.UnlockCode(t)
	c.Relay.Cut()
	if _, errOut, exit := run(t, "unlock", "--data", dir, "--session", c.Session.ID, "--code", "0000-0000-0000-0000"); exit != cli.ExitFailed || !strings.Contains(errOut, "unlock code") {
		t.Fatalf("mistyped code: exit %d %s", exit, errOut)
	}
	must(t, "unlock", "--data", dir, "--session", c.Session.ID, "--code", code)
	must(t, "drill", "--data", dir, "--session", c.Session.ID, "--candidates", "40", "--seed", "7")
	if err := c.Relay.Restore(); err != nil {
		t.Fatal(err)
	}
	c.Release() // central's clock moves on; the site's records carry its offset
	must(t, "sync", "--data", dir)
	if st := status(t, dir); st.Outbox.Pending != 0 || st.Outbox.Acked < 40 {
		t.Fatalf("status after sync: %+v", st.Outbox)
	}
	checkCentral(t, c, dir, 40)
}

// TestExportToCentral carries the records on a "USB stick": export, then
// onex-central import records; the next sync gets the receipts as duplicates.
func TestExportToCentral(t *testing.T) {
	c := servertest.New(t)
	dir := t.TempDir()
	must(t, "enrol", "--data", dir, "--server", c.URL, "--code", c.EnrolCode(t))
	must(t, "download", "--data", dir)
	must(t, "unlock", "--data", dir, "--session", c.Session.ID, "--code", c.UnlockCode(t))
	c.Relay.Cut()
	must(t, "drill", "--data", dir, "--session", c.Session.ID, "--candidates", "40", "--seed", "9")
	file := filepath.Join(t.TempDir(), "usb", "records.onex")
	os.MkdirAll(filepath.Dir(file), 0o700)
	pending := status(t, dir).Outbox.Pending
	if out := must(t, "export", "--data", dir, "--to", file); !strings.Contains(out, "records written") {
		t.Fatalf("export: %s", out)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	roster, _ := exam.ReadRoster(servertest.Sample(t, "roster-web-elementary.csv"))
	for _, cand := range roster {
		if bytes.Contains(b, []byte(cand.Name)) || bytes.Contains(b, []byte(cand.IDNumber)) {
			t.Fatalf("the export file holds %s's name or ID number", cand.Ticket)
		}
	}
	central := buildCentral(t)
	cmd := exec.Command(central, "import", "records", "--data", c.Dir, file)
	imported, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("onex-central import records: %v\n%s", err, imported)
	}
	if want := "accepted"; !strings.Contains(string(imported), want) {
		t.Fatalf("import: %s", imported)
	}
	checkCentral(t, c, dir, 40)
	if err := c.Relay.Restore(); err != nil {
		t.Fatal(err)
	}
	out := must(t, "sync", "--data", dir)
	if !strings.Contains(out, "0 accepted") {
		t.Fatalf("the records came back as new after the import: %s", out)
	}
	if st := status(t, dir); st.Outbox.Pending != 0 || st.Outbox.Acked != pending {
		t.Fatalf("outbox after sync: %+v, %d were exported", st.Outbox, pending)
	}
	checkCentral(t, c, dir, 40)
}

// buildCentral builds bin/onex-central into a temporary directory.
func buildCentral(t *testing.T) string {
	t.Helper()
	goBin := filepath.Join(runtime.GOROOT(), "bin", "go")
	out := filepath.Join(t.TempDir(), "onex-central")
	cmd := exec.Command(goBin, "build", "-o", out, "onex/server/cmd/onex-central")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build onex-central: %v\n%s", err, b)
	}
	return out
}

// TestEditedRecordIsNotSent: a record row edited in the database file is
// kept, marked damaged with the reason, and not sent; the rest go through.
func TestEditedRecordIsNotSent(t *testing.T) {
	c := servertest.New(t)
	dir := t.TempDir()
	must(t, "enrol", "--data", dir, "--server", c.URL, "--code", c.EnrolCode(t))
	must(t, "download", "--data", dir)
	must(t, "unlock", "--data", dir, "--session", c.Session.ID, "--code", c.UnlockCode(t))
	must(t, "drill", "--data", dir, "--session", c.Session.ID, "--candidates", "2", "--seed", "1")
	pending := status(t, dir).Outbox.Pending
	db, err := sql.Open("sqlite", "file:"+store.Path(dir))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("UPDATE outbox SET envelope = substr(envelope, 1, 100) || CASE WHEN substr(envelope, 101, 1) = x'ff' THEN x'fe' ELSE x'ff' END || substr(envelope, 102) WHERE kind = 'submission' AND seq = (SELECT min(seq) FROM outbox WHERE kind = 'submission')"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	c.Release()
	out, errOut, code := run(t, "sync", "--data", dir)
	if code != cli.ExitFailed || !strings.Contains(errOut, "1 records in the outbox are damaged") || !strings.Contains(errOut, "kept for review: submission") {
		t.Fatalf("sync: exit %d\n%s%s", code, out, errOut)
	}
	st := status(t, dir)
	if st.Outbox.Damaged != 1 || st.Outbox.Pending != 0 || st.Outbox.Acked != pending-1 || len(st.Refused) != 1 || st.Refused[0].State != store.StateDamaged {
		t.Fatalf("status: %+v %+v", st.Outbox, st.Refused)
	}
	submitted := 0
	for _, res := range c.Results(t) {
		if res.Submitted {
			submitted++
		}
	}
	if submitted != 1 {
		t.Fatalf("central holds %d submissions, want the 1 not edited", submitted)
	}
}

// TestEnrolWithAFingerprint: onex-site enrol --fingerprint names the central
// meant; a central with a self-signed certificate needs it, another central
// is refused naming both fingerprints, and the pinned site then refuses a
// central whose TLS key differs. Plain http:// says it is not encrypted.
func TestEnrolWithAFingerprint(t *testing.T) {
	plain := servertest.New(t)
	dir := filepath.Join(t.TempDir(), "plain")
	out, errOut, code := run(t, "enrol", "--data", dir, "--server", plain.URL, "--code", plain.EnrolCode(t), "--fingerprint", plain.PublicKey().Fingerprint())
	if code != cli.ExitOK || !strings.Contains(out, "link        plain HTTP: NOT encrypted") || !strings.Contains(errOut, "not encrypted") {
		t.Fatalf("enrol over http: exit %d\n%s%s", code, out, errOut)
	}

	c := servertest.New(t, servertest.WithTLS())
	other := servertest.New(t, servertest.WithTLS())
	certFP := seal.TLSFingerprint(seal.CertificateHash(c.TLS))
	pin := seal.TLSFingerprint(seal.SPKIHash(c.TLS))
	dir = filepath.Join(t.TempDir(), "tls")
	code1 := c.EnrolCode(t)
	for _, tc := range []struct {
		fp   string
		want []string
	}{
		{"", []string{"not vouched for by any root", certFP, "give central's fingerprint"}},
		{other.PublicKey().Fingerprint(), []string{"central's key fingerprint is " + c.PublicKey().Fingerprint() + ", not " + other.PublicKey().Fingerprint()}},
		{"not a fingerprint", []string{"not a fingerprint"}},
	} {
		_, errOut, code := run(t, "enrol", "--data", dir, "--server", c.URL, "--code", code1, "--fingerprint", tc.fp)
		for _, w := range tc.want {
			if code != cli.ExitFailed || !strings.Contains(errOut, w) {
				t.Errorf("--fingerprint %q: exit %d, want %q in\n%s", tc.fp, code, w, errOut)
			}
		}
	}
	out = must(t, "enrol", "--data", dir, "--server", c.URL, "--code", code1, "--fingerprint", c.PublicKey().Fingerprint())
	if !strings.Contains(out, "link        HTTPS, central's TLS key pinned: "+pin) {
		t.Fatalf("enrol over TLS:\n%s", out)
	}
	must(t, "download", "--data", dir)
	if out := must(t, "status", "--data", dir); !strings.Contains(out, "link: HTTPS, central's TLS key pinned: "+pin) || !strings.Contains(out, "central reachable: true") {
		t.Fatalf("status:\n%s", out)
	}

	c.Relay.SetTarget(other.Relay.Addr())
	_, errOut, code = run(t, "download", "--data", dir)
	if code != cli.ExitUnreachable || !strings.Contains(errOut, pin) || !strings.Contains(errOut, seal.TLSFingerprint(seal.SPKIHash(other.TLS))) {
		t.Fatalf("download from another central: exit %d\n%s", code, errOut)
	}
}

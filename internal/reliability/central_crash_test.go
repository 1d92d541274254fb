package reliability_test

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"onex/client/site"
	"onex/client/store"
	"onex/exam/seal"
	serverstore "onex/server/store"
	"onex/server/store/pgtest"
	osync "onex/sync"
)

// centralKills is how many times each engine's central is killed: 8, 100
// under `make soak` (ONEX_SOAK=1), or ONEX_CENTRAL_KILLS.
func centralKills() int {
	if n, err := strconv.Atoi(os.Getenv("ONEX_CENTRAL_KILLS")); err == nil && n > 0 {
		return n
	}
	if os.Getenv("ONEX_SOAK") != "" {
		return 100
	}
	return 8
}

var buildCentral = sync.OnceValues(func() (string, error) {
	bin := filepath.Join(os.TempDir(), fmt.Sprintf("onex-central-crashtest-%d", os.Getpid()))
	out, err := exec.Command("go", "build", "-o", bin, "onex/server/cmd/onex-central").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("build onex-central: %v\n%s", err, out)
	}
	return bin, nil
})

// central is bin/onex-central on a data directory, run and killed as a child process.
type central struct {
	t    *testing.T
	bin  string
	data string
	db   string // PostgreSQL URL, or "" for SQLite in data
	addr string
	cmd  *exec.Cmd
}

func (c *central) run(args ...string) string {
	c.t.Helper()
	args = append(args, "--data", c.data)
	if c.db != "" {
		args = append(args, "--db", c.db)
	}
	out, err := exec.Command(c.bin, args...).Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		c.t.Fatalf("onex-central %v: %v\n%s", args, err, stderr)
	}
	return strings.TrimSpace(string(out))
}

func (c *central) start() {
	c.t.Helper()
	// Small batches, so that kills land before, during and after commits.
	args := []string{"serve", "--data", c.data, "--addr", c.addr, "--max-records", "100"}
	if c.db != "" {
		args = append(args, "--db", c.db)
	}
	c.cmd = exec.Command(c.bin, args...)
	if err := c.cmd.Start(); err != nil {
		c.t.Fatal(err)
	}
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if resp, err := http.Get("http://" + c.addr + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
	}
	c.t.Fatal("central did not start")
}

func (c *central) kill() {
	c.cmd.Process.Kill() // SIGKILL
	c.cmd.Wait()
}

func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// TestCentralCrashDuringIngest kills central with SIGKILL at random moments
// while a site pushes its outbox, on SQLite and on PostgreSQL. After every
// kill, every record the site holds a verified receipt for must be in
// central's database with the same envelope hash (no receipt without a
// durable record); at the end, after the site's retries, central holds every
// record exactly once, with an unbroken chain and no conflicts.
func TestCentralCrashDuringIngest(t *testing.T) {
	if testing.Short() {
		t.Skip("the kill loop: skipped by -short; make test runs 8 kills an engine, make soak 100")
	}
	bin, err := buildCentral()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Remove(bin) })
	pg, err := pgtest.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pg.Stop)
	url, err := pg.URL(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for engine, db := range map[string]string{"sqlite": "", "postgres": url} {
		t.Run(engine, func(t *testing.T) {
			seed := uint64(time.Now().UnixNano())
			t.Logf("seed %d", seed)
			testCentralCrash(t, &central{t: t, bin: bin, data: t.TempDir(), db: db, addr: freeAddr(t)}, rand.New(rand.NewPCG(seed, 1)))
		})
	}
}

func testCentralCrash(t *testing.T, c *central, rng *rand.Rand) {
	ctx := context.Background()
	samples := filepath.Join("..", "..", "assets", "samples")
	pw := filepath.Join(t.TempDir(), "pw")
	os.WriteFile(pw, []byte("admin password for the crash test\n"), 0o600)
	c.run("init", "--admin-password-file", pw)
	c.run("import", "catalogue", filepath.Join(samples, "catalogue.json"))
	c.run("import", "paper", filepath.Join(samples, "paper-web-elementary.json"))
	// The session starts in an hour; the site opens the paper with the code
	// read out by phone, which needs no release time.
	session := c.run("session", "create", "--site", "SITE-001", "--room", "A101", "--paper", "WEB-E-2026-A",
		"--start", time.Now().UTC().Add(time.Hour).Format(time.RFC3339))
	c.run("import", "roster", filepath.Join(samples, "roster-web-elementary.csv"), "--session", session)
	code := c.run("enrol-code", "--site", "SITE-001")
	c.start()

	// A site with a drilled session and a long outbox: the drill's records
	// (one per save) and 2,000 incident notes.
	http := osync.NewClient(osync.RetryPolicy{Retries: 1, WaitMin: 10 * time.Millisecond, WaitMax: 50 * time.Millisecond, Timeout: 5 * time.Second}, nil)
	s, err := site.Enrol(ctx, site.Config{Dir: t.TempDir(), Passphrase: "site passphrase for the crash test",
		Log: slog.New(slog.DiscardHandler), HTTP: http, SnapshotEvery: -1}, site.EnrolOptions{ServerURL: "http://" + c.addr, Code: code})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Download(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.UnlockWithCode(ctx, session, c.run("unlock-code", "--session", session)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Drill(ctx, site.DrillOptions{SessionID: session, Candidates: 40, Seed: rng.Uint64()}); err != nil {
		t.Fatal(err)
	}
	note := 0
	queue := func(n int) { // incident records, to keep the outbox long
		for i := 0; i < n; i++ {
			note++
			if err := s.Incident(ctx, session, "", "note", fmt.Sprintf("crash-test note %d", note)); err != nil {
				t.Fatal(err)
			}
		}
	}
	queue(1000)
	st, err := s.Status(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	device := st.Device.DeviceID

	kills, acked, replayed := 0, 0, 0
	for kills < centralKills() {
		if st, _ = s.Status(ctx, false); st.Outbox.Pending < 300 {
			queue(500)
		}
		done := make(chan struct{})
		go func() {
			defer close(done)
			stats, _ := s.Sync(ctx) // ends when central dies (unreachable) or the outbox is empty
			replayed += stats.Duplicate
		}()
		time.Sleep(time.Duration(rng.IntN(800)) * time.Millisecond)
		c.kill()
		<-done
		kills++
		before := acked
		acked = checkReceiptsStored(t, c, s, device)
		t.Logf("kill %d: %d records receipted (+%d)", kills, acked, acked-before)
		c.start()
	}
	st, _ = s.Status(ctx, false)
	total := acked + st.Outbox.Pending
	stats, err := s.Sync(ctx)
	if err != nil {
		t.Fatalf("final sync: %v", err)
	}
	replayed += stats.Duplicate
	c.kill()
	if acked := checkReceiptsStored(t, c, s, device); acked != total {
		t.Fatalf("%d of %d records receipted after the final sync", acked, total)
	}
	st, _ = s.Status(ctx, false)
	if st.Outbox.Pending != 0 || st.Outbox.Conflict != 0 || st.Outbox.Rejected != 0 {
		t.Errorf("site outbox after the final sync: %+v", st.Outbox)
	}
	db, err := serverstore.Open(ctx, c.dsn())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	chain, _ := db.Chain(ctx, device)
	conflicts, _ := db.Conflicts(ctx)
	if len(chain) != total || len(conflicts) != 0 {
		t.Errorf("central holds %d records of %d and %d conflicts after %d kills", len(chain), total, len(conflicts), kills)
	}
	for i, l := range chain {
		if l.Seq != uint64(i+1) || i > 0 && string(l.Prev) != string(chain[i-1].Hash) {
			t.Fatalf("central's chain breaks at seq %d", l.Seq)
		}
	}
	t.Logf("%d kills, %d records, 0 lost, 0 duplicated; %d committed by central before a kill and receipted on a retry", kills, total, replayed)
}

func (c *central) dsn() string {
	if c.db != "" {
		return c.db
	}
	return filepath.Join(c.data, "central.db")
}

// checkReceiptsStored checks, with central down, that every record the site
// holds a receipt for is in central's database with the same envelope hash,
// and returns how many there are.
func checkReceiptsStored(t *testing.T, c *central, s *site.Site, device string) int {
	t.Helper()
	ctx := context.Background()
	var receipted map[string]seal.Hash
	if err := s.Store().View(ctx, func(tx *store.Tx) (err error) {
		receipted, err = tx.ReceiptHashes()
		return err
	}); err != nil {
		t.Fatal(err)
	}
	db, err := serverstore.Open(ctx, c.dsn())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	chain, err := db.Chain(ctx, device)
	if err != nil {
		t.Fatal(err)
	}
	stored := map[string]string{}
	for _, l := range chain {
		if _, dup := stored[l.RecordID]; dup {
			t.Fatalf("record %s stored twice", l.RecordID)
		}
		stored[l.RecordID] = string(l.Hash)
	}
	for id, h := range receipted {
		if stored[id] != string(h[:]) {
			t.Fatalf("the site holds a receipt for record %s, which central did not store", id)
		}
	}
	return len(receipted)
}

package site_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"onex/client/site"
	"onex/exam"
	"onex/internal/faultproxy"
	"onex/server/servertest"
	wire "onex/sync"
)

// needles are what must never be found in the site's files or logs: every
// name and ID number of the sample roster, the sample paper's title, stems
// and longer option texts.
func needles(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	roster, err := exam.ReadRoster(servertest.Sample(t, "roster-web-elementary.csv"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range roster {
		out[c.Name] = "name of " + c.Ticket
		out[c.IDNumber] = "ID number of " + c.Ticket
	}
	p := samplePaper(t)
	out[p.Title] = "paper title"
	out[p.Instructions] = "paper instructions"
	for _, it := range p.Items() {
		out[it.Stem] = "stem of " + it.ID
		for _, o := range it.Options {
			if len(o.Text) >= 8 {
				out[o.Text] = "option " + o.ID + " of " + it.ID
			}
		}
	}
	return out
}

// grepDir reports every needle found in any file of dir.
func grepDir(t *testing.T, dir string, needles map[string]string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		for n, what := range needles {
			if bytes.Contains(b, []byte(n)) {
				t.Errorf("%s holds the %s in plaintext", e.Name(), what)
			}
		}
	}
}

func TestDrillLeavesNoPlaintext(t *testing.T) {
	ctx := context.Background()
	r := newRig(t)
	r.central.Release()
	if err := r.s.Release(ctx, r.session); err != nil {
		t.Fatal(err)
	}
	const seed = 20261201
	roster, _ := exam.ReadRoster(servertest.Sample(t, "roster-web-elementary.csv"))
	if _, err := r.s.CheckIn(ctx, r.session, site.CheckInRequest{Ticket: roster[39].Ticket, Status: exam.Present, Confirmed: true,
		Photo: []byte("PHOTO-MARKER-0123456789")}); err != nil {
		t.Fatal(err)
	}
	rep, err := r.s.Drill(ctx, site.DrillOptions{SessionID: r.session, Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Submissions) != 40 || rep.Saves < 400 || rep.PracticalScores != 40 {
		t.Fatalf("drill: %d submissions, %d saves, %d practical scores", len(rep.Submissions), rep.Saves, rep.PracticalScores)
	}
	if !rep.Ended {
		t.Fatal("the drill did not end the session")
	}
	n := needles(t)
	n["PHOTO-MARKER-0123456789"] = "photo"
	note := "考生" + roster[0].Name + "（" + roster[0].IDNumber + "）使用手机，已收缴"
	if err := r.s.Incident(ctx, r.session, roster[0].Ticket, "misconduct", note); err != nil {
		t.Fatal(err)
	}
	n[note] = "incident note"
	for _, c := range roster {
		n[site.DrillEssay(seed, c.Ticket, "q10")] = "essay answer of " + c.Ticket
	}
	// While open: the database and its WAL.
	grepDir(t, r.cfg.Dir, n)
	r.s.Close()
	grepDir(t, r.cfg.Dir, n)
	for needle, what := range n {
		if bytes.Contains(r.logs.Bytes(), []byte(needle)) {
			t.Errorf("the log holds the %s", what)
		}
	}
	s, err := site.Open(ctx, r.cfg)
	if err != nil {
		t.Fatal(err)
	}
	r.s = s
	// The answers are there all the same, for whoever has the passphrase.
	a, err := r.s.Answers(ctx, r.session, roster[0].Ticket)
	if err != nil || !strings.HasPrefix(a["q10"].Text, site.DrillEssay(seed, roster[0].Ticket, "q10")) {
		t.Fatalf("essay answer after reopening: %q %v", a["q10"].Text, err)
	}
}

// TestOutageDuringTheExam runs the background pusher through a drill with
// central cut off, then brings central back: everything arrives once.
func TestOutageDuringTheExam(t *testing.T) {
	ctx := context.Background()
	r := newRig(t)
	r.central.Release()
	if err := r.s.Release(ctx, r.session); err != nil {
		t.Fatal(err)
	}
	r.central.Relay.Cut()
	pctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- r.s.RunPusher(pctx, wire.RunPolicy{Idle: 50 * time.Millisecond, RetryMin: 20 * time.Millisecond, RetryMax: 200 * time.Millisecond})
	}()
	if _, err := r.s.Drill(ctx, site.DrillOptions{SessionID: r.session, Candidates: 12, Seed: 7}); err != nil {
		t.Fatal(err)
	}
	st, _ := r.s.Status(ctx, false)
	if st.Outbox.Pending == 0 || st.Outbox.Acked != 0 {
		t.Fatalf("outbox during the outage: %+v", st.Outbox)
	}
	if err := r.central.Relay.Restore(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		st, _ = r.s.Status(ctx, false)
		if st.Outbox.Pending == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if st.Outbox.Pending != 0 || st.Outbox.Refused() != 0 {
		t.Fatalf("outbox after the outage: %+v", st.Outbox)
	}
	submitted := 0
	for _, res := range r.central.Results(t) {
		if res.Submitted {
			submitted++
		}
	}
	if submitted != 12 {
		t.Fatalf("central holds %d submissions, want 12", submitted)
	}
}

// TestSyncThroughFaults pushes through resets, truncated answers, stalls,
// 502/503/429 and doubled requests: central ends with each record once and
// the site with a verified receipt for each.
func TestSyncThroughFaults(t *testing.T) {
	ctx := context.Background()
	var faulty atomic.Bool
	faults := faultproxy.Faults()
	var proxy *faultproxy.Proxy
	r := newRigVia(t, func(target string) string {
		u, _ := url.Parse(target)
		var err error
		proxy, err = faultproxy.Start(u.Host, func(n int64) faultproxy.Fault {
			if !faulty.Load() || n%3 == 0 {
				return faultproxy.Pass
			}
			return faults[int(n)%len(faults)]
		})
		if err != nil {
			t.Fatal(err)
		}
		proxy.StallFor = 50 * time.Millisecond
		t.Cleanup(func() { proxy.Close() })
		return proxy.URL()
	})
	r.central.Release()
	if err := r.s.Release(ctx, r.session); err != nil {
		t.Fatal(err)
	}
	if _, err := r.s.Drill(ctx, site.DrillOptions{SessionID: r.session, Candidates: 10, Seed: 3}); err != nil {
		t.Fatal(err)
	}
	st, _ := r.s.Status(ctx, false)
	queued := st.Outbox.Pending
	r.central.Restart(r.t, servertest.WithLimits(16, 0)) // many batches, so that every fault gets its turn
	faulty.Store(true)
	for i := 0; ; i++ {
		_, err := r.s.Sync(ctx)
		if err == nil {
			break
		}
		if !errors.Is(err, wire.ErrUnreachable) && !errors.Is(err, wire.ErrNoProgress) || i > 200 {
			t.Fatalf("sync %d: %v", i, err)
		}
	}
	st, _ = r.s.Status(ctx, false)
	if st.Outbox.Pending != 0 || st.Outbox.Acked != queued || st.Outbox.Refused() != 0 {
		t.Fatalf("after syncing %d records through faults: %+v", queued, st.Outbox)
	}
	counts := proxy.Counts()
	for _, f := range faults {
		if counts[f] == 0 {
			t.Errorf("fault %s never happened", f)
		}
	}
	submitted := 0
	for _, res := range r.central.Results(t) {
		if res.Submitted {
			submitted++
		}
	}
	if submitted != 10 {
		t.Fatalf("central holds %d submissions, want 10", submitted)
	}
	conflicts, err := r.central.DB(t).Conflicts(ctx)
	if err != nil || len(conflicts) != 0 {
		t.Fatalf("conflicts at central: %v %v", conflicts, err)
	}
}

// tamperer is a reverse proxy to central that can spoil package answers.
type tamperer struct {
	spoil atomic.Pointer[func(*wire.PackageResponse)]
}

func (tp *tamperer) wrap(t *testing.T) func(string) string {
	return func(target string) string {
		u, _ := url.Parse(target)
		rp := httputil.NewSingleHostReverseProxy(u)
		rp.ModifyResponse = func(resp *http.Response) error {
			f := tp.spoil.Load()
			if f == nil || resp.Request.URL.Path != wire.PathPackage || resp.StatusCode != 200 {
				return nil
			}
			var pr wire.PackageResponse
			b, _ := io.ReadAll(resp.Body)
			if err := json.Unmarshal(b, &pr); err != nil {
				return err
			}
			(*f)(&pr)
			b, _ = json.Marshal(pr)
			resp.Body = io.NopCloser(bytes.NewReader(b))
			resp.ContentLength = int64(len(b))
			resp.Header.Set("Content-Length", strconv.Itoa(len(b)))
			return nil
		}
		ts := httptest.NewServer(rp)
		t.Cleanup(ts.Close)
		return ts.URL
	}
}

func TestTamperedPackageIsRefused(t *testing.T) {
	ctx := context.Background()
	tp := &tamperer{}
	r := enrolRig(t, tp.wrap(t))
	flip := func(b []byte, i int) []byte {
		b = bytes.Clone(b)
		b[i%len(b)] ^= 0x01
		return b
	}
	for _, tc := range []struct {
		name  string
		spoil func(*wire.PackageResponse)
		want  string
	}{
		{"paper body altered", func(pr *wire.PackageResponse) {
			pr.Sessions[0].Parts[wire.PartPaperBody] = flip(pr.Sessions[0].Parts[wire.PartPaperBody], 100)
		}, "does not match its hash"},
		{"roster altered", func(pr *wire.PackageResponse) {
			pr.Sessions[0].Parts[wire.PartSession] = bytes.Replace(pr.Sessions[0].Parts[wire.PartSession], []byte("2026WEB010001"), []byte("2026WEB010099"), 1)
		}, "does not match its hash"},
		{"manifest signature altered", func(pr *wire.PackageResponse) {
			m := pr.Sessions[0].Manifest
			pr.Sessions[0].Manifest = flip(m, len(m)-1)
		}, "bad signature"},
		{"part added", func(pr *wire.PackageResponse) {
			pr.Sessions[0].Parts["extra.bin"] = []byte("x")
		}, "not in package"},
		{"part removed", func(pr *wire.PackageResponse) {
			delete(pr.Sessions[0].Parts, wire.PartPaperKey)
		}, "lacks part"},
		{"package under another session's id", func(pr *wire.PackageResponse) {
			pr.Sessions[0].SessionID = "SITE-001-A102-202612010900"
		}, "manifest is for session"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tp.spoil.Store(&tc.spoil)
			_, err := r.s.Download(ctx, nil)
			if !errors.Is(err, site.ErrBadPackage) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			if got, _ := r.s.Sessions(ctx); len(got) != 0 {
				t.Fatalf("a refused download stored %d sessions", len(got))
			}
		})
	}
	tp.spoil.Store(nil)
	if res, err := r.s.Download(ctx, nil); err != nil || len(res.Updated) != 1 {
		t.Fatalf("clean download: %+v %v", res, err)
	}
	// A package row edited in the database file fails closed too.
	r.s.Close()
	db := openRaw(t, r.cfg.Dir)
	if _, err := db.Exec("UPDATE parts SET data = substr(data, 1, 200) || CASE WHEN substr(data, 201, 1) = x'ff' THEN x'fe' ELSE x'ff' END || substr(data, 202) WHERE name = ?", wire.PartPaperBody); err != nil {
		t.Fatal(err)
	}
	db.Close()
	r.reopen()
	r.central.Release()
	if err := r.s.Release(ctx, r.session); !errors.Is(err, site.ErrBadPackage) {
		t.Fatalf("release of an edited package: %v", err)
	}
	sessions, err := r.s.Sessions(ctx)
	if err != nil || len(sessions) != 1 || !strings.Contains(sessions[0].Error, "does not match its hash") {
		t.Fatalf("sessions: %+v %v", sessions, err)
	}
}

func TestRefusedRecordsStayVisible(t *testing.T) {
	ctx := context.Background()
	r := newRig(t)
	// Central drops the first candidate from the roster after the site downloaded it.
	b, _ := io.ReadAll(servertest.Sample(t, "roster-web-elementary.csv"))
	lines := strings.SplitAfter(string(b), "\n")
	lines = append(lines[:1], lines[2:]...)
	if _, err := r.central.ImportRoster(ctx, r.session, strings.NewReader(strings.Join(lines, "")), "auto", "test"); err != nil {
		t.Fatal(err)
	}
	r.checkIn("2026WEB010001")
	r.checkIn("2026WEB010002")
	if _, err := r.s.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	st, err := r.s.Status(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	if st.Outbox.Pending != 0 || st.Outbox.Rejected != 1 || len(st.Refused) != 1 {
		t.Fatalf("outbox %+v, refused %+v", st.Outbox, st.Refused)
	}
	if rr := st.Refused[0]; rr.Kind != wire.KindCheckIn || !strings.Contains(rr.Reason, "not on the roster") {
		t.Fatalf("refused record %+v", rr)
	}
}

// The kill test: a child process saves answers as fast as it can and prints
// each acknowledgement; the parent kills it with SIGKILL and checks that
// every acknowledged save is in the store.
const killEnv = "ONEX_SITE_KILL_TEST_DIR"

func TestAcknowledgedSaveSurvivesKill(t *testing.T) {
	if dir := os.Getenv(killEnv); dir != "" {
		killChild(dir)
		return
	}
	ctx := context.Background()
	r := newRig(t)
	r.checkIn("2026WEB010001")
	r.started()
	if _, err := r.s.Begin(ctx, r.session, "2026WEB010001"); err != nil {
		t.Fatal(err)
	}
	r.s.Close()
	cmd := exec.Command(os.Args[0], "-test.run=^TestAcknowledgedSaveSurvivesKill$")
	cmd.Env = append(os.Environ(), killEnv+"="+r.cfg.Dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	acked := map[string]int{}
	sc := bufio.NewScanner(out)
	n := 0
	for sc.Scan() {
		var item string
		var i int
		if _, err := fmt.Sscanf(sc.Text(), "ack %s %d", &item, &i); err != nil {
			continue
		}
		acked[item] = i
		if n++; n == 150 {
			cmd.Process.Signal(syscall.SIGKILL)
			break
		}
	}
	cmd.Wait()
	if n < 150 {
		t.Fatalf("the child stopped after %d saves", n)
	}
	s, err := site.Open(ctx, r.cfg)
	if err != nil {
		t.Fatal(err)
	}
	r.s = s
	got, err := r.s.Answers(ctx, r.session, "2026WEB010001")
	if err != nil {
		t.Fatal(err)
	}
	for item, i := range acked {
		var saved int
		if _, err := fmt.Sscanf(got[item].Text, "v%d", &saved); err != nil || saved < i {
			t.Errorf("item %s: acknowledged v%d, stored %q", item, i, got[item].Text)
		}
	}
	st, _ := r.s.Status(ctx, false)
	if st.Outbox.Damaged != 0 {
		t.Fatalf("damaged records after the kill: %+v", st.Outbox)
	}
}

func killChild(dir string) {
	ctx := context.Background()
	cfg := fastHTTP()
	cfg.Dir, cfg.Passphrase = dir, pass
	s, err := site.Open(ctx, cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	var sessionID string
	ids, _ := s.Sessions(ctx)
	sessionID = ids[0].ID
	e, err := s.Begin(ctx, sessionID, "2026WEB010001")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	items := []string{"q8", "q9", "q10"}
	for i := 1; ; i++ {
		item := items[i%len(items)]
		if err := e.Save(ctx, item, exam.Answer{Text: fmt.Sprintf("v%d", i)}); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Printf("ack %s %d\n", item, i)
	}
}

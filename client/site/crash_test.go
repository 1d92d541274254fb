package site_test

// The crash and power-cut harness (issue 7, sections 1 and 2). A child
// process of this test binary runs the site logic (the crash worker): it
// downloads, releases, checks in, starts rooms, saves answers, submits,
// syncs and ticks, chosen at random, and writes every step to an event log
// before it starts ("begin") and after it was acknowledged ("ack"). The
// parent kills it with SIGKILL at random moments inside a chosen kind of
// step, or freezes it with SIGSTOP and copies its database files, and checks
// what the log says was acknowledged against what survived.

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"onex/assets"
	"onex/client/site"
	"onex/client/store"
	"onex/exam"
	"onex/exam/seal"
	"onex/server"
	"onex/server/servertest"
	wire "onex/sync"
)

// Environment of the crash worker.
const (
	crashDirEnv      = "ONEX_CRASH_DIR"      // the site's data directory
	crashLogEnv      = "ONEX_CRASH_LOG"      // the event log
	crashSeedEnv     = "ONEX_CRASH_SEED"     // seed of this incarnation's choices
	crashIncEnv      = "ONEX_CRASH_INC"      // incarnation number
	crashSessionsEnv = "ONEX_CRASH_SESSIONS" // sessions to run, in order, comma-separated
	crashFinishEnv   = "ONEX_CRASH_FINISH"   // "1": finish every session, sync everything, exit
)

// soak reports whether the long versions run (make soak sets ONEX_SOAK=1).
func soak() bool { return os.Getenv("ONEX_SOAK") == "1" }

// skipIfShort skips a loop that takes tens of seconds under go test -short,
// the fast tier, unless ONEX_SOAK asks for the long versions; the full run
// runs it as always.
func skipIfShort(t *testing.T) {
	t.Helper()
	if testing.Short() && !soak() {
		t.Skip("a loop of tens of seconds: skipped by -short (go test without -short and make soak run it)")
	}
}

// crashEvent is one line of the worker's event log.
type crashEvent struct {
	Op      string       `json:"op"`
	Phase   string       `json:"phase"` // "begin" or "ack"
	Inc     int          `json:"inc"`
	At      int64        `json:"at"` // unix ns
	Session string       `json:"session,omitempty"`
	Ticket  string       `json:"ticket,omitempty"`
	Item    string       `json:"item,omitempty"`
	Answer  *exam.Answer `json:"answer,omitempty"`
	Record  string       `json:"record,omitempty"`
	Receipt string       `json:"receipt,omitempty"`
	// remaining: time left, read between T0 and T1 (unix ns), of a room
	// that started at Started (unix ns) with a paper of Minutes.
	RemainingMS int64 `json:"remaining_ms,omitempty"`
	T0          int64 `json:"t0,omitempty"`
	T1          int64 `json:"t1,omitempty"`
	Started     int64 `json:"started,omitempty"`
	Minutes     int   `json:"minutes,omitempty"`
	N           int64 `json:"n,omitempty"`
}

// Ops the parent aims its kills at.
const (
	opSave     = "save"
	opSubmit   = "submit"
	opSync     = "sync"
	opDownload = "download"
)

var killTargets = []string{opSave, opSync, opSubmit, opDownload}

// crashWorker is the child's side.
type crashWorker struct {
	s        *site.Site
	log      *os.File
	inc      int
	rng      *rand.Rand
	sessions []string
	paper    *exam.Paper
	step     int
}

func (w *crashWorker) emit(e crashEvent) {
	e.Inc, e.At = w.inc, time.Now().UnixNano()
	b, _ := json.Marshal(e)
	b = append(b, '\n')
	// One write each: a line is in the log whole or not at all.
	if _, err := w.log.Write(b); err != nil {
		w.fail("event log", err)
	}
	os.Stdout.Write(b)
}

func (w *crashWorker) fail(what string, err error) {
	fmt.Fprintf(os.Stderr, "crash worker (incarnation %d, step %d): %s: %v\n", w.inc, w.step, what, err)
	os.Exit(2)
}

// do runs one step between its begin and ack events.
func (w *crashWorker) do(e crashEvent, f func(*crashEvent) error) {
	b := e
	b.Phase = "begin"
	w.emit(b)
	if err := f(&e); err != nil {
		w.fail(e.Op+" "+e.Session+" "+e.Ticket, err)
	}
	e.Phase = "ack"
	w.emit(e)
}

// crashWorkerMain is the child process.
func crashWorkerMain() {
	ctx := context.Background()
	inc, _ := strconv.Atoi(os.Getenv(crashIncEnv))
	seed, _ := strconv.ParseUint(os.Getenv(crashSeedEnv), 10, 64)
	lf, err := os.OpenFile(os.Getenv(crashLogEnv), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	w := &crashWorker{log: lf, inc: inc, rng: rand.New(rand.NewPCG(seed, uint64(inc))),
		sessions: strings.Split(os.Getenv(crashSessionsEnv), ",")}
	cfg := site.Config{Dir: os.Getenv(crashDirEnv), Passphrase: pass, SnapshotEvery: -1,
		HTTP: wire.NewClient(wire.RetryPolicy{Retries: 3, WaitMin: 5 * time.Millisecond, WaitMax: 50 * time.Millisecond, Timeout: 30 * time.Second}, nil),
		Log:  slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))}
	w.do(crashEvent{Op: "open"}, func(*crashEvent) error {
		w.s, err = site.Open(ctx, cfg)
		return err
	})
	w.checkTimers(ctx)
	finish := os.Getenv(crashFinishEnv) == "1"
	for w.step = 0; ; w.step++ {
		if !w.next(ctx, finish) {
			break
		}
	}
	// Finishing: everything goes to central.
	for i := 0; ; i++ {
		var pending int
		w.do(crashEvent{Op: opSync}, func(e *crashEvent) error {
			stats, err := w.s.Sync(ctx)
			e.N = int64(stats.Delivered())
			if err != nil {
				return err
			}
			st, err := w.s.Status(ctx, false)
			if err == nil {
				pending = st.Outbox.Pending
			}
			return err
		})
		if pending == 0 {
			break
		}
		if i > 100 {
			w.fail("final sync", fmt.Errorf("%d records still pending", pending))
		}
	}
	if err := w.s.Close(); err != nil {
		w.fail("close", err)
	}
	w.emit(crashEvent{Op: "done", Phase: "ack"})
	os.Exit(0)
}

// checkTimers reports the time left of every candidate who began and has
// not submitted, and each room's start, right after opening.
func (w *crashWorker) checkTimers(ctx context.Context) {
	infos, err := w.s.Sessions(ctx)
	if err != nil {
		w.fail("sessions", err)
	}
	for _, si := range infos {
		if si.Started.IsZero() || !si.Ended.IsZero() {
			continue
		}
		cands, err := w.s.Candidates(ctx, si.ID)
		if err != nil {
			w.fail("candidates", err)
		}
		for _, c := range cands {
			if !c.Begun || c.Submitted {
				continue
			}
			e, err := w.s.Begin(ctx, si.ID, c.Ticket)
			if err != nil {
				w.fail("resume", err)
			}
			t0 := time.Now()
			rem, err := e.Remaining(ctx)
			t1 := time.Now()
			if err != nil {
				w.fail("remaining", err)
			}
			w.emit(crashEvent{Op: "remaining", Phase: "ack", Session: si.ID, Ticket: c.Ticket, RemainingMS: rem.Milliseconds(),
				T0: t0.UnixNano(), T1: t1.UnixNano(), Started: si.Started.UnixNano(), Minutes: si.Duration})
		}
	}
}

// next takes one step of the flow and reports whether there is more to do.
func (w *crashWorker) next(ctx context.Context, finish bool) bool {
	infos, err := w.s.Sessions(ctx)
	if err != nil {
		w.fail("sessions", err)
	}
	byID := map[string]site.SessionInfo{}
	for _, si := range infos {
		byID[si.ID] = si
	}
	cur := ""
	for _, id := range w.sessions {
		if si, ok := byID[id]; !ok || si.Ended.IsZero() {
			cur = id
			break
		}
	}
	if cur == "" {
		if finish {
			return false
		}
		// Nothing left to answer: keep syncing and downloading.
		if w.rng.IntN(2) == 0 {
			w.sync(ctx)
		} else {
			w.download(ctx)
		}
		return true
	}
	si, ok := byID[cur]
	switch {
	case !ok:
		w.download(ctx)
		return true
	case si.Error != "":
		w.fail("session "+cur, errors.New(si.Error))
	case !si.Released:
		w.do(crashEvent{Op: "release", Session: cur}, func(*crashEvent) error { return w.s.Release(ctx, cur) })
		return true
	}
	if w.paper == nil {
		b, err := fs.ReadFile(assets.Samples, "samples/paper-web-elementary.json")
		if err == nil {
			w.paper, err = exam.ReadPaper(bytes.NewReader(b))
		}
		if err != nil {
			w.fail("paper", err)
		}
	}
	cands, err := w.s.Candidates(ctx, cur)
	if err != nil {
		w.fail("candidates", err)
	}
	if si.Started.IsZero() {
		for _, c := range cands {
			if c.Status == "" {
				w.do(crashEvent{Op: "check-in", Session: cur, Ticket: c.Ticket}, func(*crashEvent) error {
					_, err := w.s.CheckIn(ctx, cur, site.CheckInRequest{Ticket: c.Ticket, Status: exam.Present, Confirmed: true})
					return err
				})
				return true
			}
		}
		w.do(crashEvent{Op: "start", Session: cur}, func(*crashEvent) error { return w.s.StartRoom(ctx, cur, "crash test") })
		return true
	}
	i := slices.IndexFunc(cands, func(c site.Candidate) bool { return !c.Submitted })
	if i < 0 {
		w.do(crashEvent{Op: "end", Session: cur}, func(*crashEvent) error {
			_, err := w.s.End(ctx, cur, "crash test")
			return err
		})
		return true
	}
	c := cands[i]
	e, err := w.s.Begin(ctx, cur, c.Ticket)
	if err != nil {
		w.fail("begin", err)
	}
	if finish {
		if w.rng.IntN(5) == 0 {
			w.submit(ctx, e)
		} else {
			w.save(ctx, e)
		}
		return true
	}
	switch n := w.rng.IntN(100); {
	case n < 3:
		w.submit(ctx, e)
	case n < 9:
		w.sync(ctx)
	case n < 12:
		w.download(ctx)
	case n < 16:
		w.do(crashEvent{Op: "tick"}, func(*crashEvent) error {
			_, err := w.s.Tick(ctx)
			return err
		})
	default:
		w.save(ctx, e)
	}
	return true
}

// answerable are the sample paper's items a candidate answers.
var answerable = []string{"q1", "q2", "q3", "q4", "q5", "q6", "q7", "q8", "q9", "q10"}

func (w *crashWorker) save(ctx context.Context, e *site.Exam) {
	id := answerable[w.rng.IntN(len(answerable))]
	it, _ := w.paper.Item(id)
	var a exam.Answer
	switch it.Type {
	case exam.Single:
		a.Choices = []string{it.Options[w.rng.IntN(len(it.Options))].ID}
	case exam.Multiple:
		for _, o := range it.Options {
			if w.rng.IntN(2) == 0 {
				a.Choices = append(a.Choices, o.ID)
			}
		}
		if len(a.Choices) == 0 {
			a.Choices = []string{it.Options[0].ID}
		}
	case exam.TrueFalse:
		a.Choices = []string{[]string{"true", "false"}[w.rng.IntN(2)]}
	default:
		// Unique text: the final answer names the save that wrote it.
		a.Text = fmt.Sprintf("incarnation %d step %d %s", w.inc, w.step, strings.Repeat("答", w.rng.IntN(40)))
	}
	w.do(crashEvent{Op: opSave, Session: e.SessionID(), Ticket: e.Ticket(), Item: id, Answer: &a}, func(*crashEvent) error {
		return e.Save(ctx, id, a)
	})
}

func (w *crashWorker) submit(ctx context.Context, e *site.Exam) {
	w.do(crashEvent{Op: opSubmit, Session: e.SessionID(), Ticket: e.Ticket()}, func(ev *crashEvent) error {
		sub, err := e.Submit(ctx)
		ev.Record, ev.Receipt = sub.RecordID, sub.ReceiptCode
		return err
	})
}

func (w *crashWorker) sync(ctx context.Context) {
	w.do(crashEvent{Op: opSync}, func(e *crashEvent) error {
		stats, err := w.s.Sync(ctx)
		e.N = int64(stats.Delivered())
		return err
	})
}

func (w *crashWorker) download(ctx context.Context) {
	w.do(crashEvent{Op: opDownload}, func(e *crashEvent) error {
		res, err := w.s.Download(ctx, nil)
		if err == nil {
			e.N = res.Cursor
		}
		return err
	})
}

// crashRig is the parent's side: a central, an enrolled site directory and
// the event log.
type crashRig struct {
	t        *testing.T
	central  *servertest.Central
	dir      string
	logPath  string
	sessions []string
	churn    string // an unreleased session whose roster the parent keeps changing
	churnN   int
	seed     uint64
	inc      int
	events   []crashEvent
	logOff   int64
	stderr   string
}

// newCrashRig starts central with nSessions sessions of the sample roster
// for SITE-001, released, and enrols a site; the worker downloads.
func newCrashRig(t *testing.T, nSessions int) *crashRig {
	t.Helper()
	ctx := context.Background()
	c := servertest.New(t, servertest.WithLimits(8, 0)) // a sync is many batches
	r := &crashRig{t: t, central: c, dir: t.TempDir(), sessions: []string{c.Session.ID}}
	r.logPath = filepath.Join(r.dir, "events.log")
	r.dir = filepath.Join(r.dir, "site")
	r.seed = uint64(time.Now().UnixNano())
	t.Logf("crash harness seed %d", r.seed)
	last := c.Session
	for i := 1; i < nSessions; i++ {
		room := []string{"A101", "A102"}[i%2]
		s, err := c.CreateSession(ctx, server.SessionSpec{Site: "SITE-001", Room: room, PaperID: "WEB-E-2026-A",
			Start: servertest.Start.Add(time.Duration(i) * 24 * time.Hour), ReleaseAt: c.Session.ReleaseAt}, "test") // one paper version, one release time
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.ImportRoster(ctx, s.ID, servertest.Sample(t, "roster-web-elementary.csv"), "auto", "test"); err != nil {
			t.Fatal(err)
		}
		r.sessions = append(r.sessions, s.ID)
		last = s
	}
	churn, err := c.CreateSession(ctx, server.SessionSpec{Site: "SITE-001", Room: "A102", PaperID: "WEB-E-2026-A", PaperVersion: c.PaperVersion(t, 2),
		Start: servertest.Start.Add(365 * 24 * time.Hour)}, "test")
	if err != nil {
		t.Fatal(err)
	}
	r.churn = churn.ID
	r.changeChurn()
	c.Clock.Set(last.Start.Add(-9 * time.Minute))
	cfg := site.Config{Dir: r.dir, Passphrase: pass}
	s, err := site.Enrol(ctx, cfg, site.EnrolOptions{ServerURL: c.URL, Code: c.EnrolCode(t), DeviceName: "crash"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return r
}

// changeChurn gives the churn session a new roster, so that the next
// download brings a new package.
func (r *crashRig) changeChurn() {
	r.t.Helper()
	b, _ := io.ReadAll(servertest.Sample(r.t, "roster-web-elementary.csv"))
	lines := strings.SplitAfter(strings.TrimRight(string(b), "\n")+"\n", "\n")
	r.churnN++
	n := len(lines) - 1 - r.churnN%3 // the header and 37 to 39 candidates
	roster := strings.Join(lines[:n], "")
	if _, err := r.central.ImportRoster(context.Background(), r.churn, strings.NewReader(roster), "auto", "test"); err != nil {
		r.t.Fatal(err)
	}
}

// worker is a running child.
type worker struct {
	cmd    *exec.Cmd
	lines  chan crashEvent
	stderr *os.File
}

func (r *crashRig) start(finish bool) *worker {
	r.t.Helper()
	r.inc++
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashWorker$")
	cmd.Env = append(os.Environ(), crashDirEnv+"="+r.dir, crashLogEnv+"="+r.logPath,
		crashSeedEnv+"="+strconv.FormatUint(r.seed, 10), crashIncEnv+"="+strconv.Itoa(r.inc),
		crashSessionsEnv+"="+strings.Join(r.sessions, ","))
	if finish {
		cmd.Env = append(cmd.Env, crashFinishEnv+"=1")
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		r.t.Fatal(err)
	}
	ef, err := os.CreateTemp(r.t.TempDir(), "stderr")
	if err != nil {
		r.t.Fatal(err)
	}
	cmd.Stderr = ef
	if err := cmd.Start(); err != nil {
		r.t.Fatal(err)
	}
	w := &worker{cmd: cmd, lines: make(chan crashEvent, 1024), stderr: ef}
	go func() {
		defer close(w.lines)
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			var e crashEvent
			if json.Unmarshal(sc.Bytes(), &e) == nil {
				w.lines <- e
			}
		}
	}()
	return w
}

// wait reaps the child and reads what it logged.
func (r *crashRig) wait(w *worker) error {
	for range w.lines {
	}
	err := w.cmd.Wait()
	b, _ := os.ReadFile(w.stderr.Name())
	w.stderr.Close()
	r.stderr = string(b)
	r.readLog()
	return err
}

// readLog appends the log's new complete lines to r.events.
func (r *crashRig) readLog() {
	r.t.Helper()
	b, err := os.ReadFile(r.logPath)
	if errors.Is(err, os.ErrNotExist) {
		return // the worker has not started yet
	}
	if err != nil {
		r.t.Fatal(err)
	}
	b = b[r.logOff:]
	end := bytes.LastIndexByte(b, '\n') + 1
	for _, line := range bytes.Split(b[:end], []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		var e crashEvent
		if err := json.Unmarshal(line, &e); err != nil {
			r.t.Fatalf("event log: %v: %q", err, line)
		}
		r.events = append(r.events, e)
	}
	r.logOff += int64(end)
}

// inFlight is the step the last incarnation had begun and not acknowledged.
func (r *crashRig) inFlight() string {
	if n := len(r.events); n > 0 && r.events[n-1].Inc == r.inc && r.events[n-1].Phase == "begin" {
		return r.events[n-1].Op
	}
	return ""
}

// durations are the mean time each kind of step took, from the log.
func (r *crashRig) durations() map[string]time.Duration {
	sum, n := map[string]time.Duration{}, map[string]int{}
	var begun *crashEvent
	for i := range r.events {
		e := &r.events[i]
		if e.Phase == "begin" {
			begun = e
			continue
		}
		if begun != nil && begun.Op == e.Op && begun.Inc == e.Inc {
			sum[e.Op] += time.Duration(e.At - begun.At)
			n[e.Op]++
		}
		begun = nil
	}
	out := map[string]time.Duration{}
	for op, d := range sum {
		out[op] = d / time.Duration(n[op])
	}
	return out
}

// TestCrashWorker is the child process of the crash tests; run alone it
// does nothing.
func TestCrashWorker(t *testing.T) {
	if os.Getenv(crashDirEnv) != "" {
		crashWorkerMain()
	}
}

// TestSiteSurvivesKill9 kills the site with SIGKILL at random moments inside
// saves, submissions, sync batches and downloads, restarts it and repeats;
// then lets it finish and sync, and checks central against everything the
// site acknowledged.
func TestSiteSurvivesKill9(t *testing.T) {
	skipIfShort(t)
	kills := 30
	if soak() {
		kills = 500
	}
	// About one candidate is submitted every two kills.
	r := newCrashRig(t, 3+kills/50)
	rng := rand.New(rand.NewPCG(r.seed, 1))
	landed := map[string]int{}
	total := 0
	for total < kills || landed[opSave] == 0 || landed[opSubmit] == 0 || landed[opSync] == 0 || landed[opDownload] == 0 {
		if total >= 4*kills {
			t.Fatalf("after %d kills, kills landed inside: %v", total, landed)
		}
		target := killTargets[total%len(killTargets)]
		if target == opDownload {
			r.changeChurn()
		}
		w := r.start(false)
		mean := r.durations()[target]
		deadline := time.After(3 * time.Minute)
	wait:
		for {
			select {
			case e, ok := <-w.lines:
				if !ok {
					r.wait(w)
					t.Fatalf("the worker exited before a %s step: %s", target, r.stderr)
				}
				if e.Op == target && e.Phase == "begin" {
					break wait
				}
			case <-deadline:
				w.cmd.Process.Kill()
				r.wait(w)
				t.Fatalf("the worker began no %s step in 3 minutes: %s", target, r.stderr)
			}
		}
		// A random moment within about the time such a step takes.
		if mean > 0 {
			time.Sleep(time.Duration(rng.Int64N(int64(mean)*3/2 + 1)))
		}
		w.cmd.Process.Signal(syscall.SIGKILL)
		if err := r.wait(w); err == nil {
			t.Fatalf("the worker exited cleanly instead of being killed: %s", r.stderr)
		}
		total++
		if op := r.inFlight(); op != "" {
			landed[op]++
		}
	}
	w := r.start(true)
	ok := make(chan error, 1)
	go func() { ok <- r.wait(w) }()
	select {
	case err := <-ok:
		if err != nil || len(r.events) == 0 || r.events[len(r.events)-1].Op != "done" {
			t.Fatalf("the last run: %v\n%s", err, r.stderr)
		}
	case <-time.After(10 * time.Minute):
		w.cmd.Process.Kill()
		<-ok
		t.Fatalf("the last run did not finish: %s", r.stderr)
	}
	f := r.check()
	t.Logf("reliability: scenario=kill-9 runs=%d landed=%v acknowledged-saves=%d answers-checked=%d submissions=%d records=%d timers=%d lost=%d duplicated=%d",
		total, landed, f.ackedSaves, f.answers, f.submissions, f.records, f.timers, f.lost, f.duplicated)
}

// crashFigures are what a check found.
type crashFigures struct {
	ackedSaves, answers, submissions, records, timers int
	lost, duplicated                                  int
}

// expected is, for one (session, ticket, item), the last acknowledged answer
// and the answers of saves begun after it and never acknowledged (cut off
// by a kill: each may or may not have committed).
type expected struct {
	acked    *exam.Answer
	inFlight []exam.Answer
}

type answerKey struct{ session, ticket, item string }

// expectations reads the events into what must have survived.
func expectations(events []crashEvent) (map[answerKey]*expected, map[[2]string]crashEvent, int) {
	want := map[answerKey]*expected{}
	subs := map[[2]string]crashEvent{}
	saves := 0
	for _, e := range events {
		switch {
		case e.Op == opSave:
			k := answerKey{e.Session, e.Ticket, e.Item}
			x := want[k]
			if x == nil {
				x = &expected{}
				want[k] = x
			}
			if e.Phase == "begin" {
				x.inFlight = append(x.inFlight, *e.Answer)
			} else {
				saves++
				x.acked, x.inFlight = e.Answer, nil
			}
		case e.Op == opSubmit && e.Phase == "ack":
			subs[[2]string{e.Session, e.Ticket}] = e
		}
	}
	return want, subs, saves
}

func sameAnswer(a, b exam.Answer) bool {
	return a.Text == b.Text && slices.Equal(a.Choices, b.Choices)
}

// matches tells whether got (present or not) is what x allows.
func (x *expected) matches(got exam.Answer, present bool) bool {
	if present && x.acked != nil && sameAnswer(got, *x.acked) {
		return true
	}
	if !present && x.acked == nil {
		return true
	}
	return present && slices.ContainsFunc(x.inFlight, func(a exam.Answer) bool { return sameAnswer(got, a) })
}

// check compares central (after the final run) and the site with the events.
func (r *crashRig) check() crashFigures {
	t := r.t
	t.Helper()
	ctx := context.Background()
	var f crashFigures
	want, subs, saves := expectations(r.events)
	f.ackedSaves = saves

	// The timers resumed with the right time left: the time since the
	// room's start counts as used, the machine's downtime included.
	startedAt := map[string]int64{}
	restarts := 0
	for _, e := range r.events {
		if e.Op == "open" && e.Phase == "ack" {
			restarts++
		}
		if e.Op != "remaining" {
			continue
		}
		f.timers++
		if s, ok := startedAt[e.Session]; ok && s != e.Started {
			t.Errorf("session %s: the room's start moved from %d to %d", e.Session, s, e.Started)
		}
		startedAt[e.Session] = e.Started
		dur := time.Duration(e.Minutes) * time.Minute
		lo := dur - time.Duration(e.T1-e.Started)
		hi := dur - time.Duration(e.T0-e.Started)
		// Each restart rounds the checkpointed clock down to a millisecond.
		slack := time.Duration(restarts+2) * time.Millisecond
		if got := time.Duration(e.RemainingMS) * time.Millisecond; got < lo-slack || got > hi+slack {
			t.Errorf("incarnation %d, %s: %v left, want %v to %v", e.Inc, e.Ticket, got, lo, hi)
		}
	}

	s, err := site.Open(ctx, site.Config{Dir: r.dir, Passphrase: pass})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	st, err := s.Status(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	if st.Outbox.Pending != 0 || st.Outbox.Refused() != 0 {
		t.Errorf("site outbox after the final sync: %+v %+v", st.Outbox, st.Refused)
	}
	id, err := s.Identity(ctx)
	if err != nil {
		t.Fatal(err)
	}
	chain, err := r.central.Chain(ctx, id.DeviceID)
	if err != nil {
		t.Fatal(err)
	}
	f.records = chain.Records
	if len(chain.Gaps)+len(chain.Breaks) != 0 {
		t.Errorf("central's chain of the site: gaps %v, breaks %v", chain.Gaps, chain.Breaks)
	}
	if chain.Records != st.Outbox.Acked {
		t.Errorf("central holds %d records of the site, the site holds %d receipts", chain.Records, st.Outbox.Acked)
		f.lost += max(0, st.Outbox.Acked-chain.Records)
	}
	if cs, err := r.central.DB(t).Conflicts(ctx); err != nil || len(cs) != 0 {
		t.Errorf("conflicts at central: %v %v", cs, err)
		f.duplicated += len(cs)
	}
	perTicket := submissionRecords(t, r.central)
	for _, sid := range r.sessions {
		recs, err := r.central.DB(t).SessionRecords(ctx, sid)
		if err != nil {
			t.Fatal(err)
		}
		cands, err := s.Candidates(ctx, sid)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cands {
			key := [2]string{sid, c.Ticket}
			sub, atCentral := recs.Submissions[c.Ticket]
			if !c.Submitted || !atCentral {
				t.Errorf("%s %s: submitted on the site %v, at central %v", sid, c.Ticket, c.Submitted, atCentral)
				f.lost++
				continue
			}
			f.submissions++
			if n := perTicket[key]; n != 1 {
				t.Errorf("%s %s: %d submission records at central", sid, c.Ticket, n)
				f.duplicated += max(0, n-1)
			}
			if ack, ok := subs[key]; ok && ack.Receipt != c.ReceiptCode {
				t.Errorf("%s %s: acknowledged receipt code %s, the site now shows %s", sid, c.Ticket, ack.Receipt, c.ReceiptCode)
			}
			if got, err := s.Receipted(ctx, sid, c.Ticket); err != nil || !got {
				t.Errorf("%s %s: no receipt from central for the submission: %v", sid, c.Ticket, err)
				f.lost++
			}
			for _, item := range answerable {
				x := want[answerKey{sid, c.Ticket, item}]
				got, present := sub.Answers[item]
				if x == nil {
					if present {
						t.Errorf("%s %s %s: central holds %+v, never saved", sid, c.Ticket, item, got)
					}
					continue
				}
				f.answers++
				if !x.matches(got, present) {
					t.Errorf("%s %s %s: central holds %+v (present %v); acknowledged %+v, cut off %+v", sid, c.Ticket, item, got, present, x.acked, x.inFlight)
					f.lost++
				}
			}
		}
	}
	return f
}

// submissionRecords counts central's submission records by session and ticket.
func submissionRecords(t *testing.T, c *servertest.Central) map[[2]string]int {
	t.Helper()
	out := map[[2]string]int{}
	for _, sub := range centralPayloads[wire.Submission](t, c, wire.KindSubmission) {
		out[[2]string{sub.SessionID, sub.Ticket}]++
	}
	return out
}

// TestPowerCutCopies freezes the working site with SIGSTOP at random
// moments and copies its database files as they stand (what a power cut
// leaves once the disk has what was written), also with the write-ahead
// log's tail cut or overwritten after its last commit (a torn last write).
// Each copy must open, pass SQLite's integrity check, hold every answer
// whose save was acknowledged before the freeze, and keep its outbox chain
// whole.
func TestPowerCutCopies(t *testing.T) {
	skipIfShort(t)
	copies := 12
	if soak() {
		copies = 150
	}
	r := newCrashRig(t, 2)
	rng := rand.New(rand.NewPCG(r.seed, 2))
	w := r.start(false)
	go func() {
		for range w.lines {
		}
	}()
	type snapshot struct {
		dir    string
		events int
	}
	var snaps []snapshot
	// Wait until the worker answers, then cut at random moments.
	deadline := time.Now().Add(3 * time.Minute)
	for {
		r.readLog()
		if slices.ContainsFunc(r.events, func(e crashEvent) bool { return e.Op == opSave && e.Phase == "ack" }) {
			break
		}
		if time.Now().After(deadline) {
			w.cmd.Process.Kill()
			r.wait(w)
			t.Fatalf("the worker acknowledged no save in 3 minutes: %s", r.stderr)
		}
		time.Sleep(50 * time.Millisecond)
	}
	shm := 0
	for i := range copies {
		time.Sleep(time.Duration(20+rng.IntN(200)) * time.Millisecond)
		if err := freeze(w.cmd.Process.Pid); err != nil {
			w.cmd.Process.Kill()
			t.Fatal(err)
		}
		r.readLog()
		dir := filepath.Join(t.TempDir(), fmt.Sprint("cut", i))
		n, err := copyStore(r.dir, dir)
		if err != nil {
			t.Fatal(err)
		}
		if n == 3 {
			shm++
		}
		if err := syscall.Kill(w.cmd.Process.Pid, syscall.SIGCONT); err != nil {
			t.Fatal(err)
		}
		snaps = append(snaps, snapshot{dir, len(r.events)})
	}
	w.cmd.Process.Kill()
	r.wait(w)
	var checked, variants, torn int
	var total copyFigures
	for i, sn := range snaps {
		// The variants are made before any copy is opened: opening one
		// checkpoints its log.
		dirs := map[string]string{"as copied": sn.dir}
		for _, variant := range []string{"log cut after its last commit", "garbage after its last commit"} {
			dir := filepath.Join(t.TempDir(), fmt.Sprint("variant", i))
			if _, err := copyStore(sn.dir, dir); err != nil {
				t.Fatal(err)
			}
			if tornTail(t, filepath.Join(dir, store.FileName+"-wal"), strings.HasPrefix(variant, "garbage"), rng) {
				torn++
				dirs[variant] = dir
			}
		}
		for variant, dir := range dirs {
			f := checkCopy(t, dir, r.events[:sn.events], fmt.Sprintf("copy %d, %s", i, variant))
			checked += f.answers
			total.lost += f.lost
			total.duplicated += f.duplicated
			total.records += f.records
			variants++
		}
	}
	if torn == 0 {
		t.Error("no copy had a write-ahead log with a commit to cut after")
	}
	_, _, lastSaves := expectations(r.events[:snaps[len(snaps)-1].events])
	t.Logf("reliability: scenario=power-cut runs=%d copies=%d with-shm=%d torn=%d saves-acknowledged-by-the-last-copy=%d answer-checks=%d record-checks=%d lost=%d duplicated=%d",
		variants, len(snaps), shm, torn, lastSaves, checked, total.records, total.lost, total.duplicated)
}

// freeze stops a process and waits until every thread of it has stopped.
func freeze(pid int) error {
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		return err
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
		if err != nil {
			return err
		}
		stopped := true
		for _, task := range tasks {
			b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/stat", pid, task.Name()))
			if err != nil {
				return err
			}
			// The state follows the command's closing parenthesis.
			i := bytes.LastIndexByte(b, ')')
			if i < 0 || i+2 >= len(b) || (b[i+2] != 'T' && b[i+2] != 't') {
				stopped = false
				break
			}
		}
		if stopped {
			return nil
		}
		time.Sleep(time.Millisecond)
	}
	return fmt.Errorf("process %d did not stop", pid)
}

// copyStore copies the database file and whatever of its WAL and shared
// memory exist, and reports how many files it copied.
func copyStore(from, to string) (int, error) {
	if err := os.MkdirAll(to, 0o700); err != nil {
		return 0, err
	}
	n := 0
	for _, suffix := range []string{"", "-wal", "-shm"} {
		b, err := os.ReadFile(filepath.Join(from, store.FileName+suffix))
		if errors.Is(err, os.ErrNotExist) && suffix != "" {
			continue
		}
		if err != nil {
			return n, err
		}
		if err := os.WriteFile(filepath.Join(to, store.FileName+suffix), b, 0o600); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// walCommitEnd is the offset just past the last commit frame of the valid
// frames of a SQLite write-ahead log (salts and running checksums match),
// or 0 when the log holds no valid commit.
func walCommitEnd(wal []byte) int {
	if len(wal) < 32 {
		return 0
	}
	magic := binary.BigEndian.Uint32(wal)
	if magic&^1 != 0x377f0682 {
		return 0
	}
	var order binary.ByteOrder = binary.LittleEndian
	if magic&1 == 1 {
		order = binary.BigEndian
	}
	checksum := func(s1, s2 uint32, b []byte) (uint32, uint32) {
		for i := 0; i+8 <= len(b); i += 8 {
			s1 += order.Uint32(b[i:]) + s2
			s2 += order.Uint32(b[i+4:]) + s1
		}
		return s1, s2
	}
	pageSize := int(binary.BigEndian.Uint32(wal[8:]))
	if pageSize == 1 {
		pageSize = 65536
	}
	s1, s2 := checksum(0, 0, wal[:24])
	if s1 != binary.BigEndian.Uint32(wal[24:]) || s2 != binary.BigEndian.Uint32(wal[28:]) || pageSize < 512 {
		return 0
	}
	salt := wal[16:24]
	end := 0
	for off := 32; off+24+pageSize <= len(wal); off += 24 + pageSize {
		fh := wal[off : off+24]
		if !bytes.Equal(fh[8:16], salt) {
			break
		}
		s1, s2 = checksum(s1, s2, fh[:8])
		s1, s2 = checksum(s1, s2, wal[off+24:off+24+pageSize])
		if s1 != binary.BigEndian.Uint32(fh[16:]) || s2 != binary.BigEndian.Uint32(fh[20:]) {
			break
		}
		if binary.BigEndian.Uint32(fh[4:]) != 0 {
			end = off + 24 + pageSize
		}
	}
	return end
}

// tornTail cuts the WAL at a random offset after its last commit, or
// overwrites it from there with random bytes running past its end; it
// reports whether the log had a commit to keep.
func tornTail(t *testing.T, path string, garbage bool, rng *rand.Rand) bool {
	t.Helper()
	wal, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return false
	}
	if err != nil {
		t.Fatal(err)
	}
	end := walCommitEnd(wal)
	if end == 0 {
		return false
	}
	at := end + rng.IntN(len(wal)-end+1)
	if garbage {
		junk := make([]byte, 1+rng.IntN(8192))
		for i := range junk {
			junk[i] = byte(rng.Uint32())
		}
		wal = append(wal[:at], junk...)
	} else {
		wal = wal[:at]
	}
	if err := os.WriteFile(path, wal, 0o600); err != nil {
		t.Fatal(err)
	}
	return true
}

// copyFigures are what checking copies found: answers and records compared,
// acknowledged answers or submissions and chain records missing (lost), and
// chain positions held twice (duplicated).
type copyFigures struct{ answers, records, lost, duplicated int }

// checkCopy opens a copy of a site's files and checks it against the events
// logged before the copy was taken.
func checkCopy(t *testing.T, dir string, events []crashEvent, name string) copyFigures {
	t.Helper()
	ctx := context.Background()
	db, err := sql.Open("sqlite", "file:"+store.Path(dir))
	if err != nil {
		t.Fatal(err)
	}
	var ok string
	if err := db.QueryRow("PRAGMA integrity_check").Scan(&ok); err != nil || ok != "ok" {
		t.Errorf("%s: integrity check: %q %v", name, ok, err)
	}
	var f copyFigures
	f.records, f.lost, f.duplicated = checkChain(t, db, name)
	db.Close()
	s, err := site.Open(ctx, site.Config{Dir: dir, Passphrase: pass})
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	defer s.Close()
	want, subs, _ := expectations(events)
	for k, x := range want {
		got, err := s.Answers(ctx, k.session, k.ticket)
		if err != nil {
			t.Fatalf("%s: answers of %s: %v", name, k.ticket, err)
		}
		a, present := got[k.item]
		f.answers++
		if !x.matches(a, present) {
			t.Errorf("%s: %s %s: stored %+v (present %v); acknowledged %+v, cut off %+v", name, k.ticket, k.item, a, present, x.acked, x.inFlight)
			f.lost++
		}
	}
	for key, e := range subs {
		cands, err := s.Candidates(ctx, key[0])
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		i := slices.IndexFunc(cands, func(c site.Candidate) bool { return c.Ticket == key[1] })
		if i < 0 || !cands[i].Submitted || cands[i].ReceiptCode != e.Receipt {
			t.Errorf("%s: acknowledged submission of %s (receipt %s) is not in the copy", name, key[1], e.Receipt)
			f.lost++
		}
	}
	// Every outbox envelope is still what the device signed.
	if _, err := s.Store().Pending(ctx, 1<<30, 1<<62); err != nil {
		t.Errorf("%s: outbox: %v", name, err)
	}
	st, err := s.Status(ctx, false)
	if err != nil || st.Outbox.Damaged != 0 {
		t.Errorf("%s: status %+v %v", name, st, err)
	}
	return f
}

// checkChain checks that the copy's records (still in the outbox or cleared
// by a receipt) are sequence numbers 1 to the chain's last, each once, and
// that each outbox envelope names the hash of the record before it. It
// returns the records of the chain, those missing and those held twice.
func checkChain(t *testing.T, db *sql.DB, name string) (records, missing, twice int) {
	t.Helper()
	var epochText, seqText string
	if err := db.QueryRow("SELECT value FROM meta WHERE key = 'epoch'").Scan(&epochText); err != nil {
		t.Fatalf("%s: epoch: %v", name, err)
	}
	if err := db.QueryRow("SELECT value FROM meta WHERE key = 'chain_seq'").Scan(&seqText); err != nil {
		t.Fatalf("%s: chain: %v", name, err)
	}
	epoch, _ := strconv.ParseInt(epochText, 10, 64)
	last, _ := strconv.ParseInt(seqText, 10, 64)
	hashes := map[int64][]byte{}
	envs := map[int64][]byte{}
	rows, err := db.Query(`SELECT seq, hash, envelope FROM outbox WHERE epoch = ?1
		UNION ALL SELECT seq, hash, NULL FROM receipts WHERE epoch = ?1`, epoch)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var seq int64
		var h, env []byte
		if err := rows.Scan(&seq, &h, &env); err != nil {
			t.Fatal(err)
		}
		if _, dup := hashes[seq]; dup {
			t.Errorf("%s: seq %d twice", name, seq)
			twice++
		}
		hashes[seq] = h
		if env != nil {
			envs[seq] = env
		}
	}
	for seq := int64(1); seq <= last; seq++ {
		if _, ok := hashes[seq]; !ok {
			t.Errorf("%s: seq %d of %d missing", name, seq, last)
			missing++
		}
	}
	if int64(len(hashes)) != last {
		t.Errorf("%s: %d records for a chain of %d", name, len(hashes), last)
	}
	for seq, env := range envs {
		h, err := seal.ParseHeader(env)
		if err != nil {
			t.Errorf("%s: seq %d: %v", name, seq, err)
			continue
		}
		var prev []byte
		if seq > 1 {
			prev = hashes[seq-1]
		} else {
			prev = make([]byte, len(h.Prev))
		}
		own := seal.EnvelopeHash(env)
		if h.Seq != uint64(seq) || !bytes.Equal(h.Prev[:], prev) || !bytes.Equal(hashes[seq], own[:]) {
			t.Errorf("%s: seq %d does not follow its predecessor", name, seq)
		}
	}
	return int(last), missing, twice
}

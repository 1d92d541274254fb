package drill_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"reflect"
	"runtime/pprof"
	"strconv"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"onex/client/drill"
	"onex/client/room"
	"onex/client/site"
	"onex/client/station"
	"onex/client/store"
	"onex/client/terminal"
	"onex/exam"
	"onex/server/servertest"
)

// Environment of the station child: a room server on a site store,
// killed with SIGKILL by the parent test.
const (
	stationDirEnv  = "ONEX_ROOM_STATION_DIR"
	stationAddrEnv = "ONEX_ROOM_STATION_ADDR"
	// stationProfileEnv, when set, names the file the child writes its CPU
	// profile to, from its start until SIGINT (BenchmarkRoom passes on
	// $ONEX_ROOM_STATION_CPUPROFILE).
	stationProfileEnv = "ONEX_ROOM_STATION_PROFILE"
	// stationLocalEnv names a candidate whom the child has save on its
	// own screen every 100 ms; it writes their saves' count, p50 and p99
	// (ns) to the file stationReportEnv names at SIGINT.
	stationLocalEnv  = "ONEX_ROOM_STATION_LOCAL"
	stationReportEnv = "ONEX_ROOM_STATION_REPORT"
)

// stationChild serves the room of the store in $ONEX_ROOM_STATION_DIR on
// $ONEX_ROOM_STATION_ADDR, ticking the site's clock, until killed; or,
// for BenchmarkRoom, until SIGINT, when it writes what it measured.
func stationChild() {
	ctx := context.Background()
	fail := func(err error) {
		fmt.Fprintln(os.Stderr, "station child:", err)
		os.Exit(1)
	}
	dir := os.Getenv(stationDirEnv)
	s, err := site.Open(ctx, site.Config{Dir: dir, Passphrase: pass})
	if err != nil {
		fail(err)
	}
	srv, err := station.Listen(ctx, s, os.Getenv(stationAddrEnv), station.Config{DataDir: dir})
	if err != nil {
		fail(err)
	}
	go func() {
		for range time.Tick(time.Second) {
			s.Tick(ctx)
		}
	}()
	var local *localSaves
	if ticket := os.Getenv(stationLocalEnv); ticket != "" {
		if local, err = saveLocally(ctx, s, ticket); err != nil {
			fail(err)
		}
	}
	if path := os.Getenv(stationProfileEnv); path != "" {
		f, err := os.Create(path)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fail(err)
		}
		defer func() { pprof.StopCPUProfile(); f.Close() }()
	}
	go func() {
		if err := srv.Serve(ctx); err != nil {
			fail(err)
		}
	}()
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt)
	<-sig
	if local != nil {
		if err := local.report(os.Getenv(stationReportEnv)); err != nil {
			fail(err)
		}
	}
}

// localSaves is a candidate on the station's own screen saving an answer
// every 100 ms, beside the terminals: the station's autosave under the
// same load.
type localSaves struct {
	mu    gosync.Mutex
	times []time.Duration
}

func saveLocally(ctx context.Context, s *site.Site, ticket string) (*localSaves, error) {
	sessions, err := s.Sessions(ctx)
	if err != nil || len(sessions) == 0 {
		return nil, fmt.Errorf("the station's session: %v", err)
	}
	e, err := s.Begin(ctx, sessions[0].ID, ticket)
	if err != nil {
		return nil, err
	}
	item, err := textItem(ctx, e)
	if err != nil {
		return nil, err
	}
	l := &localSaves{}
	go func() {
		for k := 0; ; k++ {
			t0 := time.Now()
			if err := e.Save(ctx, item, exam.Answer{Text: fmt.Sprintf("第%d次作答", k)}); err != nil {
				fmt.Fprintln(os.Stderr, "station child: local save:", err)
				return
			}
			d := time.Since(t0)
			l.mu.Lock()
			l.times = append(l.times, d)
			l.mu.Unlock()
			time.Sleep(100*time.Millisecond - d)
		}
	}()
	return l, nil
}

// report writes the local saves' count, p50 and p99 to path, one a line.
func (l *localSaves) report(path string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return os.WriteFile(path, fmt.Appendf(nil, "%d\n%d\n%d\n", len(l.times), drill.Percentile(l.times, 50), drill.Percentile(l.times, 99)), 0o600)
}

// textItem is a fill or essay item of a candidate's paper.
func textItem(ctx context.Context, e *site.Exam) (string, error) {
	v, err := e.View(ctx)
	if err != nil {
		return "", err
	}
	for _, it := range v.Items() {
		if it.Type == exam.Essay || it.Type == exam.Fill {
			return it.ID, nil
		}
	}
	return "", errors.New("the paper has no text item")
}

// saveWait is how long a terminal's save waits for the station in these
// tests before it answers "saved on this computer".
const saveWait = 500 * time.Millisecond

// stationProcess is a station child run and killed by a test.
type stationProcess struct {
	t    testing.TB
	dir  string
	addr string
	env  []string // more of the child's environment
	cmd  *exec.Cmd
}

func (p *stationProcess) start() {
	p.t.Helper()
	p.cmd = exec.Command(os.Args[0], "-test.run=^$")
	p.cmd.Env = append(append(os.Environ(), stationDirEnv+"="+p.dir, stationAddrEnv+"="+p.addr), p.env...)
	p.cmd.Stderr = os.Stderr
	if err := p.cmd.Start(); err != nil {
		p.t.Fatal(err)
	}
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if c, err := net.Dial("tcp", p.addr); err == nil {
			c.Close()
			if _, err := os.Stat(filepath.Join(p.dir, station.ControlSocket)); err == nil {
				return
			}
		}
		if time.Now().After(deadline) {
			p.t.Fatal("the station child did not start")
		}
	}
}

// cpu is the CPU time the station process has used so far (Linux: user
// and system time from /proc, in clock ticks of 1/100 s).
func (p *stationProcess) cpu(t testing.TB) time.Duration {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.cmd.Process.Pid))
	if err != nil {
		t.Fatal(err)
	}
	// The fields after the command name, which ends with the last ')'.
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+2:]))
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(utime+stime) * 10 * time.Millisecond
}

func (p *stationProcess) kill() {
	p.cmd.Process.Kill() // SIGKILL
	p.cmd.Wait()
}

// candidateSeats checks in the first n candidates of the session and
// starts the room, and returns them with their seat codes.
func candidateSeats(t testing.TB, s *site.Site, sessionID string, n int) []site.Candidate {
	t.Helper()
	ctx := context.Background()
	all, err := s.Candidates(ctx, sessionID)
	if err != nil {
		t.Fatal(err)
	}
	var out []site.Candidate
	for _, c := range all[:n] {
		got, err := s.CheckIn(ctx, sessionID, site.CheckInRequest{Ticket: c.Ticket, Status: exam.Present, Confirmed: true})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, got)
	}
	if err := s.StartRoom(ctx, sessionID, "张监考"); err != nil {
		t.Fatal(err)
	}
	return out
}

// sitter is a terminal with its candidate signed in, making changes and
// remembering what it saved.
type sitter struct {
	t      *terminal.Terminal
	ticket string
	items  []string // the items the candidate answers, in their order
	mu     gosync.Mutex
	saved  map[string]exam.Answer
	counts map[string]int // changes made to each item
	where  map[terminal.Where]int
}

func sit(t testing.TB, ctx context.Context, term *terminal.Terminal, c site.Candidate) *sitter {
	t.Helper()
	if _, err := term.SignIn(ctx, c.Ticket, c.SeatCode); err != nil {
		t.Fatalf("sign-in of %s: %v", c.Ticket, err)
	}
	v, err := term.View(ctx)
	if err != nil {
		t.Fatal(err)
	}
	st := &sitter{t: term, ticket: c.Ticket, saved: map[string]exam.Answer{}, counts: map[string]int{}, where: map[terminal.Where]int{}}
	for _, it := range v.Items() {
		if it.Type == exam.Fill || it.Type == exam.Essay {
			st.items = append(st.items, it.ID)
		}
	}
	return st
}

// change saves the k-th answer of the candidate: a text answer to one of
// their text items, in turn.
func (s *sitter) change(ctx context.Context, k int) error {
	item := s.items[k%len(s.items)]
	ans := exam.Answer{Text: fmt.Sprintf("第%d次 %s", k, s.ticket)}
	w, err := s.t.Save(ctx, item, ans)
	if err != nil {
		return fmt.Errorf("%s save %d: %w", s.ticket, k, err)
	}
	s.mu.Lock()
	s.saved[item], s.where[w] = ans, s.where[w]+1
	s.counts[item]++
	s.mu.Unlock()
	return nil
}

// settled waits until the terminal has nothing left to send.
func (s *sitter) settled(t *testing.T, ctx context.Context) {
	t.Helper()
	for {
		st := s.t.Status()
		if st.Pending == 0 && st.Connected {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s: %d changes still not at the station: %v", s.ticket, st.Pending, st.Err)
		case <-s.t.Changed():
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// checkExactlyOnce checks the station's store: each item holds the last
// answer the candidate saved on the terminal, saved as many times as the
// candidate changed it (nothing lost, nothing twice). It returns how many
// changes it checked.
func checkExactlyOnce(t *testing.T, s *site.Site, sessionID string, sitters []*sitter) (changes int) {
	t.Helper()
	lost, twice := 0, 0
	for _, st := range sitters {
		var got map[string]store.Answer
		err := s.Store().View(context.Background(), func(tx *store.Tx) error {
			var err error
			got, err = tx.Answers(sessionID, st.ticket)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		for item, want := range st.saved {
			g, n := got[item], st.counts[item]
			changes += n
			switch {
			case g.Rev > n:
				twice += g.Rev - n
			case g.Rev < n || !reflect.DeepEqual(g.Value, want):
				lost += max(1, n-g.Rev)
			default:
				continue
			}
			t.Errorf("%s item %s: the station holds %q saved %d times; the terminal saved %q %d times",
				st.ticket, item, g.Value.Text, g.Rev, want.Text, n)
		}
	}
	t.Logf("reliability: %d changes checked at the station: %d lost, %d applied twice", changes, lost, twice)
	return changes
}

// TestStationKilledMidExam kills the station (SIGKILL) while ten
// terminals save answers: the terminals keep each change in their
// journals ("saved on this computer"); the station restarts on the same
// store and address; the journals replay; the station holds every change
// once.
func TestStationKilledMidExam(t *testing.T) {
	c, s, dir := released(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	const n = 10
	cands := candidateSeats(t, s, c.Session.ID, n)
	s.Close()
	p := &stationProcess{t: t, dir: dir, addr: freeAddr(t)}
	p.start()
	defer p.kill()
	code, err := station.RequestPairingCode(ctx, dir, "A101", n, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	sitters := make([]*sitter, n)
	var wg gosync.WaitGroup
	defer wg.Wait()
	rctx, stop := context.WithCancel(ctx)
	defer stop()
	for i := range n {
		term, err := terminal.Pair(ctx, terminal.Config{Dir: filepath.Join(t.TempDir(), "t"), SaveWait: saveWait}, code, fmt.Sprint("T", i), fmt.Sprint(i+1))
		if err != nil {
			t.Fatal(err)
		}
		defer term.Close()
		wg.Go(func() { term.Run(rctx) })
		sitters[i] = sit(t, ctx, term, cands[i])
	}
	// Every terminal saves 30 changes; the station dies after the 10th of
	// the first and comes back after the 20th.
	var swg gosync.WaitGroup
	errs := make(chan error, n)
	killed, back := make(chan struct{}), make(chan struct{})
	for i, st := range sitters {
		swg.Go(func() {
			for k := range 30 {
				switch {
				case k == 10 && i == 0:
					p.kill()
					close(killed)
				case k == 10:
					<-killed
				case k == 20 && i == 0:
					p.start()
					close(back)
				case k == 20:
					<-back
				}
				if err := st.change(ctx, k); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	swg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	journalled := 0
	for _, st := range sitters {
		st.settled(t, ctx)
		journalled += st.where[terminal.OnThisComputer]
	}
	if journalled < n*5 {
		t.Errorf("only %d changes were journalled while the station was down", journalled)
	}
	t.Logf("reliability: station killed under %d terminals: %d of %d changes kept in the terminals' journals while it was down", n, journalled, n*30)
	stop()
	wg.Wait()
	p.kill()
	s2, err := site.Open(context.Background(), site.Config{Dir: dir, Passphrase: pass})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	checkExactlyOnce(t, s2, c.Session.ID, sitters)
}

// TestTerminalCutOff: a terminal cut off from the station (60 s; 6 s under
// -short) keeps saving to its journal and counting down on its own
// clock; when the network returns the journal is replayed once, in order,
// and its clock agrees with the station's again.
func TestTerminalCutOff(t *testing.T) {
	cut := 60 * time.Second
	if testing.Short() {
		cut = room.Silent + time.Second
	}
	c, s, _ := released(t)
	ctx, cancel := context.WithTimeout(context.Background(), cut+2*time.Minute)
	defer cancel()
	cands := candidateSeats(t, s, c.Session.ID, 1)
	srv, serve := serveRoom(t, s)
	defer serve()
	relay, err := servertest.NewRelay(srv.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer relay.Close()
	code, err := srv.PairingCode("A101", 1, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	code.Station = netip.MustParseAddrPort(relay.Addr())
	term, err := terminal.Pair(ctx, terminal.Config{Dir: t.TempDir(), SaveWait: saveWait}, code, "T1", "1")
	if err != nil {
		t.Fatal(err)
	}
	defer term.Close()
	rctx, stop := context.WithCancel(ctx)
	var wg gosync.WaitGroup
	wg.Go(func() { term.Run(rctx) })
	defer wg.Wait()
	defer stop()
	st := sit(t, ctx, term, cands[0])
	for k := range 5 {
		if err := st.change(ctx, k); err != nil {
			t.Fatal(err)
		}
	}
	relay.Cut()
	before := term.Remaining()
	for k := 5; k < 15; k++ {
		if err := st.change(ctx, k); err != nil {
			t.Fatal(err)
		}
		time.Sleep(cut / 10)
	}
	if got := term.Status(); got.Connected || got.Pending == 0 {
		t.Fatalf("cut off, the terminal says connected %v with %d pending", got.Connected, got.Pending)
	}
	console := func() site.TerminalStatus {
		t.Helper()
		all, err := s.Terminals(ctx)
		if err != nil || len(all) != 1 || all[0].Candidate == nil {
			t.Fatalf("the console's terminals: %+v, %v", all, err)
		}
		return all[0]
	}
	if ts := console(); !ts.Silent || ts.Candidate.Answered != min(5, len(st.items)) {
		t.Errorf("cut off for %v, the console shows the terminal silent %v, %d answered (want 5)", cut, ts.Silent, ts.Candidate.Answered)
	}
	moved := before - term.Remaining()
	if moved < cut*8/10 {
		t.Errorf("cut off for %v, the terminal's clock moved %v", cut, moved)
	}
	if err := relay.Restore(); err != nil {
		t.Fatal(err)
	}
	st.settled(t, ctx)
	if st.where[terminal.OnThisComputer] != 10 {
		t.Errorf("%d changes journalled while cut off, want 10", st.where[terminal.OnThisComputer])
	}
	seats, err := s.Seats(ctx, c.Session.ID)
	if err != nil {
		t.Fatal(err)
	}
	d := term.Remaining() - seats[0].Remaining
	if d > 2*time.Second || d < -2*time.Second {
		t.Errorf("after the cut the terminal's clock is %v off the station's", d)
	}
	t.Logf("reliability: a terminal cut off for %v: 10 changes journalled, its clock counted %v meanwhile, %v off the station's after", cut, moved.Round(time.Millisecond), d.Round(time.Millisecond))
	if ts := console(); ts.Silent || ts.LastSave.IsZero() || ts.Candidate.Remaining <= 0 {
		t.Errorf("back, the console shows the terminal silent %v, last save %v, %v left", ts.Silent, ts.LastSave, ts.Candidate.Remaining)
	}
	checkExactlyOnce(t, s, c.Session.ID, []*sitter{st})
}

// TestCandidateMovesToAnotherTerminal: a candidate's terminal dies; with
// the proctor's approval they sign in on another with a new seat code and
// find every answer the station acknowledged; the old terminal is revoked.
func TestCandidateMovesToAnotherTerminal(t *testing.T) {
	c, s, _ := released(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cands := candidateSeats(t, s, c.Session.ID, 1)
	srv, serve := serveRoom(t, s)
	defer serve()
	terms, err := drill.Pair(ctx, srv, "A101", t.TempDir(), 2, terminal.Config{})
	if err != nil {
		t.Fatal(err)
	}
	rctx, stop := context.WithCancel(ctx)
	var wg gosync.WaitGroup
	defer wg.Wait()
	defer stop()
	oldCtx, freeze := context.WithCancel(rctx)
	wg.Go(func() { terms[0].Run(oldCtx) })
	wg.Go(func() { terms[1].Run(rctx) })
	st := sit(t, ctx, terms[0], cands[0])
	for k := range 8 {
		if err := st.change(ctx, k); err != nil {
			t.Fatal(err)
		}
	}
	freeze() // the old terminal stops answering
	if _, err := terms[1].SignIn(ctx, cands[0].Ticket, cands[0].SeatCode); !errors.Is(err, terminal.ErrSeatCode) && !errors.Is(err, terminal.ErrElsewhere) {
		t.Fatalf("signing in elsewhere without the proctor: %v", err)
	}
	code, err := s.MoveCandidate(ctx, c.Session.ID, cands[0].Ticket, "张监考", "终端死机")
	if err != nil {
		t.Fatal(err)
	}
	moved := cands[0]
	moved.SeatCode = code
	st2 := sit(t, ctx, terms[1], moved)
	v, err := terms[1].View(ctx)
	if err != nil {
		t.Fatal(err)
	}
	found := 0
	for _, it := range v.Items() {
		if want, ok := st.saved[it.ID]; ok {
			if !reflect.DeepEqual(it.Answer, want) {
				t.Errorf("item %s on the new terminal: %q, want %q", it.ID, it.Answer.Text, want.Text)
				continue
			}
			found++
		}
	}
	t.Logf("reliability: a candidate moved to another terminal: %d of %d acknowledged answers there", found, len(st.saved))
	if err := st2.change(ctx, 8); err != nil {
		t.Fatal(err)
	}
	if _, err := terms[0].Save(ctx, st.items[0], exam.Answer{Text: "from the old terminal"}); !errors.Is(err, terminal.ErrRevoked) {
		if err := terms[0].Refresh(ctx); !errors.Is(err, terminal.ErrRevoked) {
			t.Errorf("the old terminal after the move: %v", err)
		}
	}
}

// TestPauseAndExtraTimeReachEveryTerminal: a room pause, its resumption
// and extra time reach all forty terminals through their long polls.
func TestPauseAndExtraTimeReachEveryTerminal(t *testing.T) {
	c, s, _ := released(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cands := candidateSeats(t, s, c.Session.ID, 40)
	srv, serve := serveRoom(t, s)
	defer serve()
	terms := runTerminals(t, ctx, srv, 40)
	for i, term := range terms {
		sit(t, ctx, term, cands[i])
	}
	every := func(what string, ok func(*room.Candidate) bool) time.Duration {
		t.Helper()
		t0 := time.Now()
		for _, term := range terms {
			for c := term.Status().Candidate; c == nil || !ok(c); c = term.Status().Candidate {
				select {
				case <-ctx.Done():
					t.Fatalf("%s never reached terminal %s", what, term.Info().TerminalID)
				case <-term.Changed():
				case <-time.After(50 * time.Millisecond):
				}
			}
		}
		return time.Since(t0)
	}
	extraBefore := terms[0].Remaining()
	if err := s.Pause(ctx, c.Session.ID, "", "张监考", "停电"); err != nil {
		t.Fatal(err)
	}
	paused := every("the pause", func(c *room.Candidate) bool { return c.Paused })
	if err := s.Resume(ctx, c.Session.ID, "", "张监考"); err != nil {
		t.Fatal(err)
	}
	resumed := every("the resumption", func(c *room.Candidate) bool { return !c.Paused })
	if err := s.ExtraTime(ctx, c.Session.ID, "", 10, "张监考", "停电补时"); err != nil {
		t.Fatal(err)
	}
	extra := every("the extra time", func(c *room.Candidate) bool { return c.Remaining > extraBefore+9*time.Minute })
	t.Logf("reliability: 40 terminals heard the pause in %v, the resumption in %v, extra time in %v", paused, resumed, extra)
}

// runTerminals pairs n terminals with srv and runs them until the test
// ends.
func runTerminals(t *testing.T, ctx context.Context, srv *station.Server, n int) []*terminal.Terminal {
	t.Helper()
	terms, err := drill.Pair(ctx, srv, "A101", t.TempDir(), n, terminal.Config{Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	rctx, stop := context.WithCancel(ctx)
	var wg gosync.WaitGroup
	for _, term := range terms {
		wg.Go(func() { term.Run(rctx) })
	}
	t.Cleanup(func() {
		stop()
		wg.Wait()
		for _, term := range terms {
			term.Close()
		}
	})
	return terms
}

// serveRoom serves the station's room on a loopback port until the
// returned function is called.
func serveRoom(t *testing.T, s *site.Site) (*station.Server, func()) {
	t.Helper()
	srv, err := station.Listen(context.Background(), s, "127.0.0.1:0", station.Config{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { srv.Serve(ctx); close(done) }()
	return srv, func() { cancel(); <-done }
}

func freeAddr(t testing.TB) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

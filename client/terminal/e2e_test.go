package terminal_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"onex/client/site"
	"onex/client/station"
	"onex/client/terminal"
	"onex/exam"
	"onex/internal/roomtest"
	"onex/server/servertest"
)

const ticket = "2026WEB010001"

// stationUnderTest is a real station (internal/roomtest), which the test
// stops and starts again at the same address.
type stationUnderTest struct {
	*roomtest.Station
	central *servertest.Central
	site    *site.Site
	session string
	srv     *station.Server
}

func newStation(t *testing.T) *stationUnderTest {
	t.Helper()
	rs := roomtest.New(t)
	return &stationUnderTest{Station: rs, central: rs.Central, site: rs.Site, session: rs.Session, srv: rs.Server}
}

// stop stops serving the room.
func (st *stationUnderTest) stop() { st.Station.Stop() }

// start serves the room again at the same address.
func (st *stationUnderTest) start(t *testing.T) {
	t.Helper()
	st.Station.Start(t)
	st.srv = st.Server
}

// until waits for cond, reading the terminal's status at each change it
// announces, for at most d.
func until(t *testing.T, tm *terminal.Terminal, d time.Duration, what string, cond func(terminal.Status) bool) time.Duration {
	t.Helper()
	start := time.Now()
	deadline := time.After(d)
	for !cond(tm.Status()) {
		select {
		case <-tm.Changed():
		case <-time.After(50 * time.Millisecond):
		case <-deadline:
			t.Fatalf("%s: not within %v; status %+v", what, d, tm.Status())
		}
	}
	return time.Since(start)
}

func itemOf(t *testing.T, v *exam.View, typ exam.ItemType) *exam.ViewItem {
	for _, it := range v.Items() {
		if it.Type == typ {
			return it
		}
	}
	t.Fatalf("the sample paper has no %s item", typ)
	return nil
}

// TestEndToEndWithARealStation: pair, sign in, answer; the station goes
// away, the changes are journalled sealed; it comes back at the same
// address and Run replays them exactly once; pause and resume arrive
// through the long poll; the terminal restarted finds its candidate and
// paper again; nothing in its directory is readable.
func TestEndToEndWithARealStation(t *testing.T) {
	ctx := context.Background()
	st := newStation(t)
	code, err := st.srv.PairingCode("A101", 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "terminal")
	cfg := terminal.Config{Dir: dir, SaveWait: 2 * time.Second}
	tm, err := terminal.Pair(ctx, cfg, code, "PC-07", "07")
	if err != nil {
		t.Fatal(err)
	}
	if info := tm.Info(); info.Pin != st.srv.SPKI() {
		t.Fatalf("pinned %x, the station's key is %x", info.Pin, st.srv.SPKI())
	}
	runCtx, stopRun := context.WithCancel(ctx)
	ran := make(chan error, 1)
	go func() { ran <- tm.Run(runCtx) }()

	if _, err := st.site.CheckIn(ctx, st.session, site.CheckInRequest{Ticket: ticket, Status: exam.Present, Confirmed: true}); err != nil {
		t.Fatal(err)
	}
	found, err := st.site.Find(ctx, st.session, ticket)
	if err != nil || len(found) != 1 {
		t.Fatal(found, err)
	}
	if _, err := tm.SignIn(ctx, ticket, "000000"); !errors.Is(err, terminal.ErrSeatCode) && found[0].SeatCode != "000000" {
		t.Errorf("a wrong seat code: %v, want ErrSeatCode", err)
	}
	cand, err := tm.SignIn(ctx, ticket, found[0].SeatCode)
	if err != nil || cand.Ticket != ticket || cand.Started {
		t.Fatalf("sign-in: %+v, %v", cand, err)
	}
	if _, err := tm.View(ctx); !errors.Is(err, terminal.ErrNotStarted) {
		t.Errorf("the paper before the start: %v", err)
	}

	// The start reaches the terminal through the long poll.
	st.central.Release()
	if err := st.site.Release(ctx, st.session); err != nil {
		t.Fatal(err)
	}
	if err := st.site.StartRoom(ctx, st.session, "张监考"); err != nil {
		t.Fatal(err)
	}
	took := until(t, tm, time.Second, "the start", func(s terminal.Status) bool { return s.Candidate != nil && s.Candidate.Started })
	t.Logf("the start reached the terminal in %v", took)
	v, err := tm.View(ctx)
	if err != nil {
		t.Fatal(err)
	}
	fill, single := itemOf(t, v, exam.Fill), itemOf(t, v, exam.Single)
	stem := fill.Stem

	const first, second = "first-answer-7431", "second-answer-9902"
	if w, err := tm.Save(ctx, fill.ID, exam.Answer{Text: first}); err != nil || w != terminal.AtStation {
		t.Fatalf("a save with the station there: %v, %v", w, err)
	}
	if ans, _ := st.site.Answers(ctx, st.session, ticket); ans[fill.ID].Text != first {
		t.Fatalf("the station holds %+v", ans[fill.ID])
	}

	// The station goes away: the changes stay on this computer.
	st.stop()
	begin := time.Now()
	if w, err := tm.Save(ctx, fill.ID, exam.Answer{Text: second}); err != nil || w != terminal.OnThisComputer {
		t.Fatalf("a save with the station gone: %v, %v", w, err)
	}
	if w, err := tm.Flag(ctx, single.ID, true); err != nil || w != terminal.OnThisComputer {
		t.Fatalf("a flag with the station gone: %v, %v", w, err)
	}
	if w, err := tm.Save(ctx, single.ID, exam.Answer{Choices: []string{single.Options[0].ID}}); err != nil || w != terminal.OnThisComputer {
		t.Fatalf("a save with the station gone: %v, %v", w, err)
	}
	if d := time.Since(begin); d > 7*time.Second {
		t.Errorf("three saves with the station gone took %v", d)
	}
	if s := tm.Status(); s.Connected || s.Pending != 3 {
		t.Errorf("status with the station gone: %+v", s)
	}
	v, err = tm.View(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range v.Items() {
		if it.ID == fill.ID && it.Answer.Text != second || it.ID == single.ID && (!it.Flagged || len(it.Answer.Choices) != 1) {
			t.Errorf("the screen does not show what the candidate did: %+v", it)
		}
	}
	noSecrets := func() {
		t.Helper()
		es, _ := os.ReadDir(dir)
		for _, e := range es {
			b, _ := os.ReadFile(filepath.Join(dir, e.Name()))
			for _, s := range []string{first, second, ticket, cand.Name, stem} {
				if s != "" && bytes.Contains(b, []byte(s)) {
					t.Errorf("%s holds %q", e.Name(), s)
				}
			}
		}
	}
	noSecrets()

	// The station comes back at the same address: Run replays the journal.
	st.start(t)
	took = until(t, tm, 10*time.Second, "the replay", func(s terminal.Status) bool { return s.Connected && s.Pending == 0 })
	t.Logf("the journal was replayed %v after the station came back", took)
	ans, err := st.site.Answers(ctx, st.session, ticket)
	if err != nil || ans[fill.ID].Text != second || len(ans[single.ID].Choices) != 1 {
		t.Fatalf("after the replay the station holds %+v, %v", ans, err)
	}
	term, err := st.site.TerminalByID(ctx, tm.Info().TerminalID)
	if err != nil || term.Acked != 4 || tm.Status().Acked != 4 {
		t.Fatalf("the station committed up to change %d, the terminal says %d: want 4, each once (%v)", term.Acked, tm.Status().Acked, err)
	}

	// Pause and resume arrive through the long poll within a second.
	if err := st.site.Pause(ctx, st.session, ticket, "张监考", "the candidate is unwell"); err != nil {
		t.Fatal(err)
	}
	took = until(t, tm, time.Second, "the pause", func(s terminal.Status) bool { return s.Candidate != nil && s.Candidate.Paused })
	t.Logf("the pause reached the terminal in %v", took)
	left := tm.Remaining()
	time.Sleep(1100 * time.Millisecond)
	if tm.Remaining() != left {
		t.Errorf("the time runs while paused: %v then %v", left, tm.Remaining())
	}
	if _, err := tm.Save(ctx, fill.ID, exam.Answer{Text: "while paused"}); !errors.Is(err, terminal.ErrPaused) {
		t.Errorf("a save while paused: %v, want ErrPaused", err)
	}
	if err := st.site.Resume(ctx, st.session, ticket, "张监考"); err != nil {
		t.Fatal(err)
	}
	until(t, tm, time.Second, "the resume", func(s terminal.Status) bool { return s.Candidate != nil && !s.Candidate.Paused })

	// The terminal restarts: it finds its candidate through the state and
	// fetches the paper again.
	stopRun()
	if err := <-ran; err != nil {
		t.Fatal(err)
	}
	tm.Close()
	tm, err = terminal.Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer tm.Close()
	if err := tm.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if s := tm.Status(); s.Candidate == nil || s.Candidate.Ticket != ticket || s.Acked != 4 {
		t.Fatalf("the restarted terminal: %+v", s)
	}
	v, err = tm.View(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range v.Items() {
		if it.ID == fill.ID && it.Answer.Text != second || it.ID == single.ID && !it.Flagged {
			t.Errorf("the restarted terminal's paper: %+v", it)
		}
	}
	if w, err := tm.Submit(ctx); err != nil || w != terminal.AtStation {
		t.Fatalf("submit: %v, %v", w, err)
	}
	if s := tm.Status(); s.Candidate == nil || !s.Candidate.Submitted || s.Candidate.ReceiptCode == "" {
		t.Errorf("after submitting: %+v", s.Candidate)
	}
	if _, err := tm.Save(ctx, fill.ID, exam.Answer{Text: "after"}); !errors.Is(err, terminal.ErrSubmitted) {
		t.Errorf("a save after submitting: %v", err)
	}
	noSecrets()

	// Revoked: the terminal is told, and does nothing more.
	if err := st.site.RevokeTerminal(ctx, tm.Info().TerminalID, "张监考", "frozen"); err != nil {
		t.Fatal(err)
	}
	if err := tm.Run(ctx); !errors.Is(err, terminal.ErrRevoked) || !tm.Status().Revoked {
		t.Errorf("Run of a revoked terminal: %v", err)
	}
}

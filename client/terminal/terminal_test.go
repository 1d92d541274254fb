package terminal

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	gosync "sync"
	"sync/atomic"
	"testing"
	"time"

	"onex/client/room"
	"onex/exam"
	"onex/exam/seal"
	wire "onex/sync"
)

// fakeClock is a clock the test moves.
type fakeClock struct {
	mu gosync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// identityAt writes a paired terminal's identity for a station at addr
// with TLS pin pin, and opens it.
func identityAt(t *testing.T, addr netip.AddrPort, pin seal.Hash, cfg Config) (*Terminal, *seal.DeviceKey, *seal.CentralKeys) {
	t.Helper()
	dk, ck := keys(t)
	if cfg.Dir == "" {
		cfg.Dir = t.TempDir()
	}
	b, _ := json.Marshal(identity{Format: stateFormat, TerminalID: "T1", Room: "A101", Site: "S01", Station: addr.String(),
		Pin: hex.EncodeToString(pin[:]), StationKey: ck.Public().Marshal(), Key: dk.Marshal(), Name: "PC-07"})
	if err := createJournal(cfg.Dir); err != nil {
		t.Fatal(err)
	}
	if err := writeAtomic(filepath.Join(cfg.Dir, stateFile), b); err != nil {
		t.Fatal(err)
	}
	tm, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tm.Close() })
	return tm, dk, ck
}

// closedPort is a loopback address nothing listens on: a station that is
// gone.
func closedPort(t *testing.T) netip.AddrPort {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln.Close()
	return netip.MustParseAddrPort(ln.Addr().String())
}

const answerText = "我的答案是量子纠缠 quokka-7431"

func samplePaper() *exam.View {
	return &exam.View{SessionID: "S1", Ticket: "TK1", Title: "Paper", Sections: []exam.ViewSection{{Title: "One", Items: []exam.ViewItem{
		{ID: "q1", Number: 1, Type: exam.Fill, Stem: "stem one"},
		{ID: "q2", Number: 2, Type: exam.Single, Stem: "stem two", Options: []exam.Option{{ID: "a"}, {ID: "b"}}},
	}}}}
}

// signedIn gives the terminal a candidate and paper as if the station had
// sent them.
func signedIn(tm *Terminal, c room.Candidate) {
	tm.mu.Lock()
	defer tm.mu.Unlock()
	tm.ex.known = true
	tm.setCandidate(&c)
	tm.ex.paper = samplePaper()
}

func running30() room.Candidate {
	return room.Candidate{SessionID: "S1", Ticket: "TK1", Started: true, Remaining: 30 * time.Minute, Used: 10 * time.Minute, Items: 2}
}

func TestSavesWithTheStationGoneAreJournalledSealed(t *testing.T) {
	clk := &fakeClock{t: time.Date(2026, 11, 29, 9, 0, 0, 0, time.UTC)}
	tm, dk, ck := identityAt(t, closedPort(t), seal.Hash{1}, Config{Clock: clk.Now, SaveWait: time.Second})
	signedIn(tm, running30())
	start := time.Now()
	where, err := tm.Save(context.Background(), "q1", exam.Answer{Text: answerText})
	if err != nil || where != OnThisComputer {
		t.Fatalf("Save with the station gone: %v, %v; want OnThisComputer", where, err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Save took %v with the station gone", d)
	}
	clk.Advance(time.Minute)
	if where, err := tm.Flag(context.Background(), "q2", true); err != nil || where != OnThisComputer {
		t.Fatalf("Flag: %v, %v", where, err)
	}
	st := tm.Status()
	if st.Connected || st.Pending != 2 || !errors.Is(st.Err, ErrUnreachable) {
		t.Errorf("status %+v, want not connected with 2 pending", st)
	}
	// Nothing in the directory holds the answer, the stem or the ticket.
	es, _ := os.ReadDir(tm.cfg.Dir)
	for _, e := range es {
		b, _ := os.ReadFile(filepath.Join(tm.cfg.Dir, e.Name()))
		for _, secret := range []string{answerText, "quokka", "stem one", "TK1"} {
			if bytes.Contains(b, []byte(secret)) {
				t.Errorf("%s contains %q", e.Name(), secret)
			}
		}
	}
	// The station opens them: a chain from 1, with the candidate's time used.
	j, err := openJournal(tm.cfg.Dir)
	if err != nil {
		t.Fatal(err)
	}
	defer j.close()
	var prev seal.Hash
	for i, f := range j.frames {
		rec, err := seal.OpenEnvelope(ck, f.env, dk.Public())
		if err != nil {
			t.Fatal(err)
		}
		var ch room.Change
		json.Unmarshal(rec.Plaintext, &ch)
		if rec.Header.Seq != uint64(i+1) || rec.Header.Prev != prev || rec.Header.DeviceID != "T1" || rec.Header.Epoch != 1 || rec.Header.Kind != room.KindChange {
			t.Errorf("envelope %d header %+v", i, rec.Header)
		}
		prev = rec.Hash
		want := []room.Change{
			{SessionID: "S1", Ticket: "TK1", Op: room.OpSave, ItemID: "q1", Answer: exam.Answer{Text: answerText}, Used: 10 * time.Minute},
			{SessionID: "S1", Ticket: "TK1", Op: room.OpFlag, ItemID: "q2", Flagged: true, Used: 11 * time.Minute},
		}[i]
		if ch.Op != want.Op || ch.ItemID != want.ItemID || ch.Answer.Text != want.Answer.Text || ch.Flagged != want.Flagged || ch.Used != want.Used || ch.Ticket != want.Ticket {
			t.Errorf("change %d is %+v, want %+v", i, ch, want)
		}
	}
	// The screen shows what the candidate did.
	v, err := tm.View(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if it := v.Items(); it[0].Answer.Text != answerText || !it[0].Answered || !it[1].Flagged {
		t.Errorf("the view does not show the changes: %+v", it)
	}
}

func TestChangesTheStationsLastWordRulesOut(t *testing.T) {
	for _, tc := range []struct {
		name string
		c    func(*room.Candidate)
		want error
	}{
		{"submitted", func(c *room.Candidate) { c.Submitted = true }, ErrSubmitted},
		{"paused", func(c *room.Candidate) { c.Paused = true }, ErrPaused},
		{"ended", func(c *room.Candidate) { c.Ended = true }, ErrEnded},
		{"time up", func(c *room.Candidate) { c.Remaining = 0 }, ErrTimeUp},
		{"not started", func(c *room.Candidate) { c.Started = false }, ErrNotStarted},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tm, _, _ := identityAt(t, closedPort(t), seal.Hash{1}, Config{})
			c := running30()
			tc.c(&c)
			signedIn(tm, c)
			if _, err := tm.Save(context.Background(), "q1", exam.Answer{Text: "x"}); !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			if n := tm.Status().Pending; n != 0 {
				t.Errorf("%d changes journalled", n)
			}
		})
	}
	tm, _, _ := identityAt(t, closedPort(t), seal.Hash{1}, Config{})
	if _, err := tm.Save(context.Background(), "q1", exam.Answer{}); !errors.Is(err, ErrNotSignedIn) {
		t.Errorf("no candidate: %v", err)
	}
	signedIn(tm, running30())
	if _, err := tm.Save(context.Background(), "q9", exam.Answer{}); !errors.Is(err, ErrInput) {
		t.Errorf("an item not in the paper: %v", err)
	}
}

func TestRemainingCountsDownOnTheMonotonicClockAndReconciles(t *testing.T) {
	clk := &fakeClock{t: time.Date(2026, 11, 29, 9, 0, 0, 0, time.UTC)}
	tm, _, _ := identityAt(t, closedPort(t), seal.Hash{1}, Config{Clock: clk.Now})
	if r := tm.Remaining(); r != 0 {
		t.Errorf("no candidate: %v left", r)
	}
	c := running30()
	c.Started = false
	signedIn(tm, c)
	clk.Advance(5 * time.Minute)
	if r := tm.Remaining(); r != 30*time.Minute {
		t.Errorf("before the start: %v, want 30m", r)
	}
	state := func(c room.Candidate) {
		tm.mu.Lock()
		defer tm.mu.Unlock()
		if err := tm.applyState(room.State{Gen: 2, StationTime: clk.Now(), Candidate: &c}, tm.ex.signIns); err != nil {
			t.Fatal(err)
		}
	}
	state(running30())
	for _, step := range []struct {
		advance time.Duration
		apply   func()
		want    time.Duration
	}{
		{90 * time.Second, nil, 28*time.Minute + 30*time.Second},
		{30 * time.Second, nil, 28 * time.Minute},
		// The station pauses the candidate at 27:00 left: the clock stops.
		{0, func() { c := running30(); c.Remaining, c.Paused = 27*time.Minute, true; state(c) }, 27 * time.Minute},
		{10 * time.Minute, nil, 27 * time.Minute},
		// Resumed with 5 minutes extra: the station's word replaces ours.
		{0, func() { c := running30(); c.Remaining = 32 * time.Minute; state(c) }, 32 * time.Minute},
		{2 * time.Minute, nil, 30 * time.Minute},
		{31 * time.Minute, nil, 0},
		// Submitted: it stays.
		{0, func() { c := running30(); c.Remaining, c.Submitted = 7*time.Minute, true; state(c) }, 7 * time.Minute},
		{time.Hour, nil, 7 * time.Minute},
	} {
		clk.Advance(step.advance)
		if step.apply != nil {
			step.apply()
		}
		if got := tm.Remaining(); got != step.want {
			t.Fatalf("after %v: %v left, want %v", step.advance, got, step.want)
		}
	}
	// The station's time teaches the signer its offset.
	tm.mu.Lock()
	tm.applyState(room.State{Gen: 3, StationTime: clk.Now().Add(42 * time.Second)}, tm.ex.signIns)
	tm.mu.Unlock()
	if off := time.Duration(tm.offset.Load()); off != 42*time.Second {
		t.Errorf("offset %v after the station said it is 42 s ahead", off)
	}
}

// TestAStateFromBeforeASignInIsDropped: a long poll answered with the
// state put together before the candidate signed in (no candidate) must not
// sign the candidate out again (it did: the paper was then never fetched).
func TestAStateFromBeforeASignInIsDropped(t *testing.T) {
	tm, _, _ := identityAt(t, closedPort(t), seal.Hash{1}, Config{})
	tm.mu.Lock()
	before := tm.ex.signIns // the poll is sent
	tm.mu.Unlock()
	c := running30()
	tm.mu.Lock()
	tm.setCandidate(&c) // SignIn's answer, as SignIn takes it
	tm.ex.signIns++
	tm.mu.Unlock()
	tm.mu.Lock()
	err := tm.applyState(room.State{Gen: 7}, before) // the poll's answer: no candidate
	tm.mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	if st := tm.Status(); st.Candidate == nil || st.Candidate.Ticket != c.Ticket {
		t.Fatalf("a state from before the sign-in took the candidate away: %+v", st.Candidate)
	}
	tm.mu.Lock()
	err = tm.applyState(room.State{Gen: 8}, tm.ex.signIns) // a state asked for after it is taken
	tm.mu.Unlock()
	if err != nil || tm.Status().Candidate != nil {
		t.Fatalf("a state from after the sign-in was not taken: %v, %+v", err, tm.Status().Candidate)
	}
}

func TestTheOverlayFollowsTheStation(t *testing.T) {
	tm, _, _ := identityAt(t, closedPort(t), seal.Hash{1}, Config{SaveWait: 200 * time.Millisecond})
	signedIn(tm, running30())
	ctx := context.Background()
	for _, a := range []string{"first", "second"} {
		if w, err := tm.Save(ctx, "q1", exam.Answer{Text: a}); err != nil || w != OnThisComputer {
			t.Fatal(w, err)
		}
	}
	if w, err := tm.Save(ctx, "q2", exam.Answer{Choices: []string{"b"}}); err != nil || w != OnThisComputer {
		t.Fatal(w, err)
	}
	view := func() []*exam.ViewItem {
		v, err := tm.View(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return v.Items()
	}
	if it := view(); it[0].Answer.Text != "second" || it[1].Answer.Choices[0] != "b" {
		t.Fatalf("pending changes not shown: %+v %+v", it[0].Answer, it[1].Answer)
	}
	hash := func(seq uint64) seal.Hash { return tm.journal.frames[seq-tm.journal.base-1].hash }
	c := running30()
	// The station applies the first, refuses the second (say, paused).
	tm.settle(room.ChangesResponse{Acked: 2, AckedHash: hash(2), Results: []room.ChangeResult{
		{Seq: 1, Outcome: room.Applied}, {Seq: 2, Outcome: room.Refused, Code: CodePaused}},
		State: room.State{Gen: 5, Acked: 2, AckedHash: hash(2), Candidate: &c}}, tm.ex.signIns)
	if it := view(); it[0].Answer.Text != "first" || it[1].Answer.Choices[0] != "b" {
		t.Errorf("after the station refused the second: %q, want the first", it[0].Answer.Text)
	}
	if st := tm.Status(); st.Pending != 1 || st.Acked != 2 || st.LastAck.IsZero() {
		t.Errorf("status %+v", st)
	}
	// The third committed in a request whose answer was lost: the State
	// says so; the paper is taken as applied and fetched again.
	h3 := hash(3)
	tm.mu.Lock()
	tm.applyState(room.State{Gen: 6, Acked: 3, AckedHash: h3, Candidate: &c}, tm.ex.signIns)
	stale, pend := tm.ex.stale, len(tm.ex.pending)
	tm.mu.Unlock()
	if !stale || pend != 0 {
		t.Errorf("after an acknowledgement unheard: stale %v, %d pending", stale, pend)
	}
	if it := view(); it[1].Answer.Choices[0] != "b" {
		t.Errorf("the change acknowledged by State is not shown")
	}
	// The candidate moved away: nothing of theirs is shown.
	tm.mu.Lock()
	tm.applyState(room.State{Gen: 7, Acked: 3, AckedHash: h3}, tm.ex.signIns)
	tm.mu.Unlock()
	if _, err := tm.View(ctx); !errors.Is(err, ErrNotSignedIn) {
		t.Errorf("after the binding ended: %v", err)
	}
}

// TestRequestsAreSignedAndPinned: every request carries onex-auth/2 by the
// terminal's key; a station showing another TLS key gets nothing.
func TestRequestsAreSignedAndPinned(t *testing.T) {
	var calls atomic.Int32
	var verified atomic.Bool
	var pub atomic.Pointer[seal.DevicePublicKey]
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		a, sig, err := wire.ParseAuth(r.Method, r.URL.RequestURI(), r.Header)
		if err == nil && a.DeviceID == "T1" && a.Verify(pub.Load(), sig, time.Now()) == nil {
			verified.Store(true)
		}
		json.NewEncoder(w).Encode(room.State{Gen: 1, StationTime: time.Now()})
	})
	srv, spki := tlsServer(t, h)
	tm, dk, _ := identityAt(t, addrOf(srv), spki, Config{})
	pub.Store(dk.Public())
	if err := tm.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !verified.Load() || !tm.Status().Connected {
		t.Error("the request was not signed by the terminal's key")
	}
	n := calls.Load()
	other, _, _ := identityAt(t, addrOf(srv), seal.Hash{7}, Config{})
	err := other.Refresh(context.Background())
	var pe *PinError
	if !errors.As(err, &pe) || pe.Seen != spki || !errors.Is(err, ErrUnreachable) {
		t.Fatalf("a terminal pinned to another key: %v", err)
	}
	if calls.Load() != n {
		t.Error("a request reached a station whose key is not the one pinned")
	}
}

// TestASaveDoesNotHang: a station that takes the connection but never
// answers, or answers 503 first, leaves the save on this computer within
// SaveWait, or retried.
func TestASaveDoesNotHang(t *testing.T) {
	hold := make(chan struct{})
	var busy atomic.Int32
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case room.PathChanges:
			<-hold
		default:
			if busy.Add(1) == 1 {
				w.WriteHeader(http.StatusServiceUnavailable)
				json.NewEncoder(w).Encode(wire.Problem{Error: "busy", Code: wire.RefusedBusy})
				return
			}
			json.NewEncoder(w).Encode(room.State{Gen: 4})
		}
	})
	srv, spki := tlsServer(t, h)
	t.Cleanup(func() { close(hold) }) // before the server closes
	tm, _, _ := identityAt(t, addrOf(srv), spki, Config{SaveWait: 800 * time.Millisecond})
	if err := tm.fetchState(context.Background()); err != nil || busy.Load() != 2 {
		t.Fatalf("a 503 then an answer: %v after %d tries", err, busy.Load())
	}
	signedIn(tm, running30())
	start := time.Now()
	w, err := tm.Save(context.Background(), "q1", exam.Answer{Text: "a"})
	if d := time.Since(start); err != nil || w != OnThisComputer || d > 1500*time.Millisecond {
		t.Fatalf("a station that never answers: %v, %v after %v", w, err, d)
	}
}

package terminal

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"time"

	"onex/client/room"
	"onex/exam"
	"onex/exam/seal"
)

// chainEpoch is the epoch of every terminal envelope: a terminal's chain
// has one epoch, since its journal's header keeps the chain's place.
const chainEpoch = 1

// Where a change is when Save, Flag or Submit return.
type Where int

const (
	// AtStation: the station committed the change (applied, or refused
	// with a *RefusedError).
	AtStation Where = iota + 1
	// OnThisComputer: saved on this computer, not yet at the station. The
	// journal keeps it sealed; Run sends it when the station answers again.
	OnThisComputer
)

func (w Where) String() string {
	switch w {
	case AtStation:
		return "at the station"
	case OnThisComputer:
		return "saved on this computer, not yet at the station"
	}
	return "nowhere"
}

// examState is the candidate's exam as this terminal holds it, in memory
// only.
type examState struct {
	gen     uint64
	known   bool            // a State has come since Open
	signIns uint64          // sign-ins in this run: a State asked for before the last is stale
	cand    *room.Candidate // as the station last said, or as SignIn returned
	candAt  time.Time       // our clock when cand's times were read
	paper   *exam.View      // as the station sent it, with acknowledged changes applied
	stale   bool            // refetch the paper: the station holds changes whose outcome this terminal did not hear
	pending []pending       // journalled in this run, not yet acknowledged

	// Hand-in (handin.go), for the candidate signed in: the files whose
	// answer the station acknowledged in this run (by SHA-256), the
	// proctor's last request collected, whether the terminal collected
	// on its own near the end, why that failed, and whether the candidate
	// submitted here after handing in (the folder is removed then).
	handed        map[string]bool
	collected     time.Time
	autoCollected bool
	handInErr     error
	submittedHere bool
}

type pending struct {
	seq uint64
	ch  room.Change
}

type status struct {
	connected bool
	revoked   bool
	lastAck   time.Time
	lastHeard time.Time
	err       error
}

// Status is how the terminal stands with the station, for the screens.
type Status struct {
	Connected bool      // the station answered the last request
	Pending   int       // changes saved on this computer, not yet at the station
	Acked     uint64    // the last change the station committed
	LastAck   time.Time // when the station last acknowledged a change (this run)
	LastHeard time.Time // when the station last answered (this run)
	Revoked   bool      // the station revoked this terminal: it can do nothing more
	// Candidate is the candidate signed in here, as the station last said
	// (nil for none); its Remaining is as of then: use Remaining.
	Candidate *room.Candidate
	Err       error // why the last request failed; nil when it succeeded
}

// Status is the terminal's status now.
func (t *Terminal) Status() Status {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := Status{Connected: t.st.connected, Pending: len(t.journal.frames), Acked: t.journal.base, LastAck: t.st.lastAck,
		LastHeard: t.st.lastHeard, Revoked: t.st.revoked, Err: t.st.err}
	if t.ex.cand != nil {
		c := *t.ex.cand
		s.Candidate = &c
	}
	return s
}

// Changed is told (without blocking; several changes may come as one)
// whenever the status, the candidate or the paper may have changed: the
// screens read Status, View and Remaining again.
func (t *Terminal) Changed() <-chan struct{} { return t.changed }

func (t *Terminal) notify() {
	select {
	case t.changed <- struct{}{}:
	default:
	}
}

func (t *Terminal) setRevoked() {
	t.mu.Lock()
	t.st.revoked = true
	t.mu.Unlock()
	t.log.Warn("the station revoked this terminal", "terminal", t.info.TerminalID)
	t.notify()
}

// heard notes how the last request went.
func (t *Terminal) heard(err error) {
	t.mu.Lock()
	was := t.st.connected
	now := err == nil || !errors.Is(err, ErrUnreachable)
	t.st.connected, t.st.err = now, err
	if now {
		t.st.lastHeard = t.now()
	}
	t.mu.Unlock()
	if was != now {
		t.log.Info("station connection", "connected", now)
		t.notify()
	}
}

// SignIn signs a candidate in on this terminal with the ticket number and
// the one-time seat code from check-in.
func (t *Terminal) SignIn(ctx context.Context, ticket, seatCode string) (room.Candidate, error) {
	var c room.Candidate
	err := t.do(ctx, t.client, http.MethodPost, room.PathSignIn, room.SignInRequest{Ticket: ticket, SeatCode: seatCode}, &c)
	t.heard(err)
	if err != nil {
		return room.Candidate{}, err
	}
	t.mu.Lock()
	t.setCandidate(&c)
	// A state on its way was put together before the sign-in and would
	// take the candidate away again: it is dropped, and the next is asked
	// for at once.
	t.ex.signIns++
	t.ex.known = false
	t.mu.Unlock()
	t.notify()
	return c, nil
}

// setCandidate takes the station's word on the candidate; t.mu held.
func (t *Terminal) setCandidate(c *room.Candidate) {
	old := t.ex.cand
	if c == nil || old == nil || old.SessionID != c.SessionID || old.Ticket != c.Ticket {
		t.ex.paper, t.ex.stale = nil, false
		t.ex.handed, t.ex.collected, t.ex.autoCollected, t.ex.handInErr, t.ex.submittedHere = map[string]bool{}, time.Time{}, false, nil, false
	}
	if c != nil {
		cc := *c
		c = &cc
	}
	t.ex.cand, t.ex.candAt = c, t.now()
}

// running reports whether the candidate's clock runs, by the station's
// last word.
func running(c *room.Candidate) bool {
	return c != nil && c.Started && !c.Paused && !c.Submitted && !c.Ended
}

// elapsed is the time since the station's last word on the candidate, on
// the terminal's monotonic clock, while the clock runs; t.mu held.
func (t *Terminal) elapsed() time.Duration {
	if !running(t.ex.cand) {
		return 0
	}
	return max(0, t.now().Sub(t.ex.candAt))
}

// Remaining is the candidate's time left: the station's Candidate.Remaining
// at its last word, counted down on this computer's monotonic clock while
// the exam runs (not paused, submitted or ended), so a terminal cut off
// from the station keeps counting; each State replaces it.
func (t *Terminal) Remaining() time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.ex.cand == nil {
		return 0
	}
	return max(0, t.ex.cand.Remaining-t.elapsed())
}

// used is the candidate's time used now, as sent with each change; t.mu held.
func (t *Terminal) used() time.Duration {
	return t.ex.cand.Used + t.elapsed()
}

// View is the candidate's paper with every change made here overlaid, the
// ones the station has not acknowledged yet included, so the screen shows
// what the candidate did even while the station is unreachable. The paper
// is fetched from the station once the room has started and kept in memory
// only; the caller may change what it gets.
func (t *Terminal) View(ctx context.Context) (*exam.View, error) {
	t.mu.Lock()
	c, have, stale := t.ex.cand, t.ex.paper != nil, t.ex.stale
	t.mu.Unlock()
	if c == nil {
		return nil, ErrNotSignedIn
	}
	if !have || stale {
		if err := t.fetchPaper(ctx); err != nil && !have {
			return nil, err
		}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.ex.paper == nil || t.ex.cand == nil {
		return nil, fmt.Errorf("the paper: %w", ErrNotStarted)
	}
	v := cloneView(t.ex.paper)
	c = t.ex.cand
	for _, p := range t.ex.pending {
		if p.ch.SessionID == c.SessionID && p.ch.Ticket == c.Ticket {
			applyChange(v, p.ch)
		}
	}
	v.Remaining = max(0, c.Remaining-t.elapsed())
	v.Paused, v.Forced, v.ReceiptCode = c.Paused, c.Forced, c.ReceiptCode
	v.Submitted = v.Submitted || c.Submitted
	return v, nil
}

// fetchPaper fetches the candidate's paper. It holds the journal's sender
// so that no change is acknowledged while the paper is on its way (which
// the paper might or might not hold).
func (t *Terminal) fetchPaper(ctx context.Context) error {
	if err := t.acquire(ctx); err != nil {
		return err
	}
	defer t.release()
	t.mu.Lock()
	c := t.ex.cand
	t.mu.Unlock()
	if c == nil {
		return ErrNotSignedIn
	}
	if !c.Started {
		return fmt.Errorf("the paper: %w", ErrNotStarted)
	}
	var v exam.View
	target := room.PathPaper + "?session=" + url.QueryEscape(c.SessionID) + "&ticket=" + url.QueryEscape(c.Ticket)
	err := t.do(ctx, t.client, http.MethodGet, target, nil, &v)
	t.heard(err)
	if err != nil {
		return err
	}
	t.mu.Lock()
	if cur := t.ex.cand; cur != nil && cur.SessionID == c.SessionID && cur.Ticket == c.Ticket {
		t.ex.paper, t.ex.stale = &v, false
	}
	t.mu.Unlock()
	if slices.ContainsFunc(v.Items(), func(it *exam.ViewItem) bool { return it.Type == exam.HandIn }) {
		// The candidate's work folder, for a paper that asks for files:
		// made when the paper first comes, before they can work.
		if _, err := t.workFolder(c.SessionID, c.Ticket); err != nil {
			t.log.Warn("work folder not made", "err", err)
		}
	}
	t.notify()
	return nil
}

// cloneView copies what applyChange and the screens may change.
func cloneView(v *exam.View) *exam.View {
	out := *v
	out.Sections = slices.Clone(v.Sections)
	for i := range out.Sections {
		out.Sections[i].Items = slices.Clone(out.Sections[i].Items)
		for j := range out.Sections[i].Items {
			it := &out.Sections[i].Items[j]
			it.Answer.Choices = slices.Clone(it.Answer.Choices)
		}
	}
	return &out
}

// applyChange makes a change in a view.
func applyChange(v *exam.View, ch room.Change) {
	if ch.Op == room.OpSubmit {
		v.Submitted = true
		return
	}
	for _, it := range v.Items() {
		if it.ID != ch.ItemID {
			continue
		}
		switch ch.Op {
		case room.OpSave:
			it.Answer, it.Answered = ch.Answer, ch.Answer.Answered()
		case room.OpFlag:
			it.Flagged = ch.Flagged
		}
	}
}

// Save saves the candidate's answer to one item (an empty answer clears
// it): sealed to the station and journalled on this computer before
// anything else, then sent. It says where the change is: AtStation once the
// station committed it, or OnThisComputer when the station did not answer
// within Config.SaveWait. A change the station refused (submitted, paused,
// time up...) is a *RefusedError, and the view follows the station.
func (t *Terminal) Save(ctx context.Context, itemID string, ans exam.Answer) (Where, error) {
	return t.change(ctx, room.Change{Op: room.OpSave, ItemID: itemID, Answer: ans})
}

// Flag marks or unmarks an item for review, as Save saves an answer.
func (t *Terminal) Flag(ctx context.Context, itemID string, flagged bool) (Where, error) {
	return t.change(ctx, room.Change{Op: room.OpFlag, ItemID: itemID, Flagged: flagged})
}

// Submit submits the candidate's paper, as Save saves an answer; the
// receipt code comes in the candidate's status (and View) once the station
// has it. A paper with handin items hands in the work folder for each
// first (HandIn): a folder the limits refuse is a *handin.FileError, and
// the paper is not submitted.
func (t *Terminal) Submit(ctx context.Context) (Where, error) {
	if _, err := t.handInAll(ctx); err != nil {
		return 0, err
	}
	where, err := t.change(ctx, room.Change{Op: room.OpSubmit})
	if err == nil {
		t.mu.Lock()
		t.ex.submittedHere = true
		t.mu.Unlock()
	}
	return where, err
}

// maxChange bounds a change's plaintext, so that its envelope fits a frame.
const maxChange = 512 << 10

func (t *Terminal) change(ctx context.Context, ch room.Change) (Where, error) {
	return t.changeWait(ctx, ch, t.cfg.SaveWait)
}

// changeWait journals a change and waits at most d for the station's word.
func (t *Terminal) changeWait(ctx context.Context, ch room.Change, d time.Duration) (Where, error) {
	seq, wait, err := t.journalChange(ch)
	if err != nil {
		return 0, err
	}
	t.notify()
	defer func() {
		t.mu.Lock()
		delete(t.waiters, seq)
		t.mu.Unlock()
	}()
	sctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	if err := t.flush(sctx); err != nil {
		t.log.Debug("change kept on this computer", "seq", seq, "err", err)
	}
	select {
	case r := <-wait:
		if r.Outcome == room.Refused {
			return AtStation, &RefusedError{Seq: seq, Code: r.Code, Detail: r.Detail}
		}
		return AtStation, nil
	default:
		if t.Status().Revoked {
			return OnThisComputer, fmt.Errorf("change %d: %w", seq, ErrRevoked)
		}
		return OnThisComputer, nil
	}
}

// journalChange checks a change against the station's last word, seals it
// and appends it to the journal; it returns its seq and where its outcome
// will come.
func (t *Terminal) journalChange(ch room.Change) (uint64, chan room.ChangeResult, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	c := t.ex.cand
	refuse := func(code, detail string) (uint64, chan room.ChangeResult, error) {
		return 0, nil, &RefusedError{Code: code, Detail: detail}
	}
	switch {
	case t.st.revoked:
		return 0, nil, ErrRevoked
	case c == nil:
		return 0, nil, ErrNotSignedIn
	case c.Submitted:
		return refuse(CodeSubmitted, "the paper was submitted")
	case c.Ended:
		return refuse(CodeEnded, "the session has ended")
	case !c.Started || t.ex.paper == nil:
		return 0, nil, fmt.Errorf("the paper is not on this computer yet: %w", ErrNotStarted)
	case c.Paused:
		return refuse(CodePaused, "the exam is paused")
	case c.Remaining-t.elapsed() <= 0:
		return refuse(CodeTimeUp, "the candidate's time is up")
	}
	if ch.Op != room.OpSubmit && !slices.ContainsFunc(t.ex.paper.Items(), func(it *exam.ViewItem) bool { return it.ID == ch.ItemID }) {
		return refuse("input", fmt.Sprintf("item %q is not in the paper", ch.ItemID))
	}
	ch.SessionID, ch.Ticket, ch.Used = c.SessionID, c.Ticket, t.used()
	plain, err := json.Marshal(ch)
	if err != nil {
		return 0, nil, err
	}
	if len(plain) > maxChange {
		return refuse("input", fmt.Sprintf("the change is %d bytes, more than %d", len(plain), maxChange))
	}
	seq, prev := t.journal.next()
	env, err := seal.SealRecord(t.key, t.station, seal.Header{DeviceID: t.info.TerminalID, Epoch: chainEpoch, Seq: seq, Prev: prev,
		Kind: room.KindChange, Created: t.now().Add(time.Duration(t.offset.Load()))}, plain)
	clear(plain)
	if err != nil {
		return 0, nil, fmt.Errorf("sealing change %d: %w", seq, err)
	}
	if err := t.journal.append(env.Bytes, seq, env.Hash); err != nil {
		return 0, nil, err
	}
	t.ex.pending = append(t.ex.pending, pending{seq: seq, ch: ch})
	w := make(chan room.ChangeResult, 1)
	t.waiters[seq] = w
	return seq, w, nil
}

func (t *Terminal) acquire(ctx context.Context) error {
	select {
	case t.send <- struct{}{}:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("%w: %w", ErrUnreachable, ctx.Err())
	}
}

func (t *Terminal) release() { <-t.send }

// batchBytes bounds the envelopes of one request, so that its body (base64
// in JSON) fits room.MaxBody.
const batchBytes = (room.MaxBody - 4096) / 4 * 3

// flush sends every journalled change the station has not acknowledged,
// in order, until none is left; on a gap it learns from the station's
// state where to resume.
func (t *Terminal) flush(ctx context.Context) error {
	if err := t.acquire(ctx); err != nil {
		return err
	}
	defer t.release()
	for gaps := 0; ; {
		t.mu.Lock()
		signIns := t.ex.signIns
		var envs [][]byte
		size, last := 0, uint64(0)
		for _, f := range t.journal.frames {
			if len(envs) > 0 && size+len(f.env) > batchBytes {
				break
			}
			envs, size, last = append(envs, f.env), size+len(f.env), f.seq
		}
		t.mu.Unlock()
		if len(envs) == 0 {
			return nil
		}
		var resp room.ChangesResponse
		err := t.do(ctx, t.client, http.MethodPost, room.PathChanges, room.ChangesRequest{Envelopes: envs}, &resp)
		t.heard(err)
		if errors.Is(err, ErrGap) && gaps < 3 {
			gaps++
			if err := t.fetchState(ctx); err != nil {
				return err
			}
			continue
		}
		if err != nil {
			return err
		}
		if err := t.settle(resp, signIns); err != nil {
			return err
		}
		if resp.Acked < last {
			return fmt.Errorf("the station acknowledged up to change %d of %d sent", resp.Acked, last)
		}
	}
}

// settle takes the station's answer to a batch of changes, sent after
// signIns sign-ins.
func (t *Terminal) settle(resp room.ChangesResponse, signIns uint64) error {
	t.mu.Lock()
	defer t.notify()
	defer t.mu.Unlock()
	for _, r := range resp.Results {
		i := slices.IndexFunc(t.ex.pending, func(p pending) bool { return p.seq == r.Seq })
		if i >= 0 {
			p := t.ex.pending[i]
			t.ex.pending = slices.Delete(t.ex.pending, i, i+1)
			t.committed(p, r)
		}
		if w, ok := t.waiters[r.Seq]; ok {
			w <- r
			delete(t.waiters, r.Seq)
		}
		if r.Outcome == room.Refused {
			t.log.Info("the station refused a change", "seq", r.Seq, "code", r.Code)
		}
	}
	t.st.lastAck = t.now()
	return t.applyState(resp.State, signIns)
}

// committed applies what the station committed of a change to the paper;
// t.mu held.
func (t *Terminal) committed(p pending, r room.ChangeResult) {
	c, v := t.ex.cand, t.ex.paper
	if r.Outcome == room.Refused || c == nil || v == nil || p.ch.SessionID != c.SessionID || p.ch.Ticket != c.Ticket {
		return
	}
	applyChange(v, p.ch)
	if r.Outcome == room.Duplicate {
		t.ex.stale = true // committed before: applied or refused, the station's paper says which
	}
}

// applyState takes the station's state, asked for after signIns sign-ins
// (a state asked for before the last sign-in is dropped); t.mu held.
func (t *Terminal) applyState(st room.State, signIns uint64) error {
	if signIns != t.ex.signIns {
		return nil
	}
	now := t.now()
	if !st.StationTime.IsZero() {
		t.learn(st.StationTime, now)
	}
	t.ex.gen, t.ex.known = st.Gen, true
	t.st.lastHeard = now
	if st.Acked > t.journal.base {
		// Changes the station committed whose answers this terminal did
		// not hear: taken as applied until the paper is fetched again.
		for len(t.ex.pending) > 0 && t.ex.pending[0].seq <= st.Acked {
			p := t.ex.pending[0]
			t.ex.pending = t.ex.pending[1:]
			r := room.ChangeResult{Seq: p.seq, Outcome: room.Duplicate}
			t.committed(p, r)
			t.ex.stale = true
			if w, ok := t.waiters[p.seq]; ok {
				w <- r
				delete(t.waiters, p.seq)
			}
		}
		if st.Acked > t.journal.base+uint64(len(t.journal.frames)) {
			t.log.Warn("the station acknowledges changes this journal does not hold; the chain goes on after them",
				"acked", st.Acked, "journal_next", t.journal.base+uint64(len(t.journal.frames))+1)
		}
		if _, err := t.journal.ack(st.Acked, st.AckedHash); err != nil {
			t.log.Error("journal", "err", err)
			return err
		}
	}
	t.setCandidate(st.Candidate)
	return nil
}

// anyGen is a generation the station never has: the state at once.
const anyGen = ^uint64(0)

// fetchState asks for the station's state now and takes it.
func (t *Terminal) fetchState(ctx context.Context) error {
	t.mu.Lock()
	signIns := t.ex.signIns
	t.mu.Unlock()
	var st room.State
	err := t.do(ctx, t.client, http.MethodGet, stateTarget(anyGen), nil, &st)
	t.heard(err)
	if err != nil {
		return err
	}
	t.mu.Lock()
	err = t.applyState(st, signIns)
	t.mu.Unlock()
	t.notify()
	return err
}

// Refresh brings the terminal up to date with the station once: its state
// now, the journal replayed, the paper fetched if the candidate has none.
func (t *Terminal) Refresh(ctx context.Context) error {
	if err := t.fetchState(ctx); err != nil {
		return err
	}
	return t.catchUp(ctx)
}

// catchUp replays the journal and fetches the paper when due.
func (t *Terminal) catchUp(ctx context.Context) error {
	if err := t.flush(ctx); err != nil {
		return err
	}
	t.mu.Lock()
	c, need := t.ex.cand, t.ex.paper == nil || t.ex.stale
	t.mu.Unlock()
	if c != nil && c.Started && need {
		return t.fetchPaper(ctx)
	}
	return nil
}

// Reconnect waits of Run after a failed request: from the first to the
// last, doubling.
const (
	ReconnectMin = 250 * time.Millisecond
	ReconnectMax = 2 * time.Second
)

// Run keeps one long poll of the station's state open until ctx ends, so
// that a start, pause, resume, extra time, forced submission or end
// reaches the candidate as soon as the station commits it; after each
// answer it replays what the journal holds and fetches the paper when due.
// When the station is gone it tries again with backoff. It returns nil
// when ctx ends, or ErrRevoked when the station revoked the terminal.
func (t *Terminal) Run(ctx context.Context) error {
	wait := ReconnectMin
	for ctx.Err() == nil {
		t.mu.Lock()
		gen, signIns := t.ex.gen, t.ex.signIns
		if !t.ex.known {
			gen = anyGen
		}
		t.mu.Unlock()
		var st room.State
		err := t.do(ctx, t.poll, http.MethodGet, stateTarget(gen), nil, &st)
		t.heard(err)
		if err == nil {
			t.mu.Lock()
			err = t.applyState(st, signIns)
			t.mu.Unlock()
			t.notify()
		}
		if err == nil {
			if err = t.catchUp(ctx); errors.Is(err, ErrNotStarted) {
				err = nil
			}
		}
		if err == nil {
			t.collectWhenDue(ctx)
			t.clearWorkFolder()
		}
		switch {
		case ctx.Err() != nil:
			return nil
		case errors.Is(err, ErrRevoked):
			return err
		case err == nil:
			wait = ReconnectMin
			continue
		}
		t.log.Debug("station", "err", err, "retry_in", wait)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait/2 + rand.N(wait/2+1)):
		}
		wait = min(2*wait, ReconnectMax)
	}
	return nil
}

// Package drill rehearses an exam room over its real network (模拟考 with
// the room's computers): the station's room server and N simulated
// terminals, each paired by a pairing code and signing a candidate in with
// the seat code from check-in, answering, flagging and submitting through
// the room's protocol over TLS, while the station checks candidates in,
// starts the room, scores the practical items and ends the session as
// site.Drill does. `onex-site drill --terminals N` runs it; the room's
// reliability tests and BenchmarkRoom build on its parts.
package drill

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	gosync "sync"
	"sync/atomic"
	"time"

	"onex/client/room"
	"onex/client/site"
	"onex/client/station"
	"onex/client/terminal"
	"onex/exam"
)

// Options configure a drill through terminals.
type Options struct {
	site.DrillOptions
	// Terminals is how many terminals sit the exam, one candidate each,
	// all at once; the drill seats the first Terminals candidates of the
	// roster (DrillOptions.Candidates is ignored).
	Terminals int
	// Dir holds the terminals' directories (terminal-001 on); "" is a
	// temporary directory, removed after.
	Dir string
	// Server is the station's room server to drill through; nil starts one
	// on the loopback address for the drill.
	Server *station.Server
	// Terminal is the terminals' configuration (Dir is set per terminal).
	Terminal terminal.Config
}

// Report is what a drill through terminals did.
type Report struct {
	*site.DrillReport
	Terminals int `json:"terminals"`
	// AtStation counts the changes the station acknowledged while the
	// terminal waited; Journalled those a terminal kept in its journal
	// first ("saved on this computer") and the station took later.
	AtStation  int `json:"at_station"`
	Journalled int `json:"journalled"`
	// AckP50 and AckP99 are the times from a change on a terminal to the
	// station's acknowledgement, of the changes acknowledged at once.
	AckP50 time.Duration `json:"ack_p50_ns"`
	AckP99 time.Duration `json:"ack_p99_ns"`
	// Saved is the last answer each candidate saved to each item, by
	// ticket and item: what the station must hold.
	Saved map[string]map[string]exam.Answer `json:"-"`
}

// Run drills the session through opt.Terminals terminals.
func Run(ctx context.Context, s *site.Site, opt Options) (*Report, error) {
	if opt.Terminals <= 0 {
		return nil, fmt.Errorf("drill: %d terminals: at least one is needed", opt.Terminals)
	}
	var wg gosync.WaitGroup
	defer wg.Wait()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // before the Wait: it ends the server and the terminals
	srv := opt.Server
	if srv == nil {
		var err error
		if srv, err = station.Listen(ctx, s, "127.0.0.1:0", station.Config{}); err != nil {
			return nil, err
		}
		wg.Go(func() { srv.Serve(ctx) })
	}
	dir := opt.Dir
	if dir == "" {
		tmp, err := os.MkdirTemp("", "onex-drill-terminals-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	}
	roomName, err := sessionRoom(ctx, s, opt.SessionID)
	if err != nil {
		return nil, err
	}
	terms, err := Pair(ctx, srv, roomName, dir, opt.Terminals, opt.Terminal)
	if err != nil {
		return nil, err
	}
	defer func() {
		for _, t := range terms {
			t.Close()
		}
	}()
	for _, t := range terms {
		wg.Go(func() { t.Run(ctx) })
	}
	acks := &Acks{}
	var next atomic.Int64
	o := opt.DrillOptions
	o.Candidates = opt.Terminals
	o.Sitter = func(ctx context.Context, c site.Candidate, steps []site.DrillStep) (site.Submission, error) {
		return Sit(ctx, terms[next.Add(1)-1], c, steps, acks)
	}
	dr, err := s.Drill(ctx, o)
	rep := &Report{DrillReport: dr, Terminals: opt.Terminals}
	rep.AtStation, rep.Journalled, rep.AckP50, rep.AckP99 = acks.Summary()
	rep.Saved = acks.saved
	return rep, err
}

// sessionRoom is the room a session of the station sits in.
func sessionRoom(ctx context.Context, s *site.Site, sessionID string) (string, error) {
	all, err := s.Sessions(ctx)
	if err != nil {
		return "", err
	}
	i := slices.IndexFunc(all, func(si site.SessionInfo) bool { return si.ID == sessionID })
	if i < 0 {
		return "", fmt.Errorf("drill: %w: %q", site.ErrNoSession, sessionID)
	}
	return all[i].Room, nil
}

// Pair pairs n terminals with a station's room server for a room, each in a directory dir/terminal-NNN of its
// own, with one pairing code for all.
func Pair(ctx context.Context, srv *station.Server, roomName, dir string, n int, cfg terminal.Config) ([]*terminal.Terminal, error) {
	code, err := srv.PairingCode(roomName, n, 10*time.Minute)
	if err != nil {
		return nil, err
	}
	terms := make([]*terminal.Terminal, 0, n)
	for i := range n {
		c := cfg
		c.Dir = filepath.Join(dir, fmt.Sprintf("terminal-%03d", i+1))
		t, err := terminal.Pair(ctx, c, code, fmt.Sprintf("drill-%03d", i+1), fmt.Sprint(i+1))
		if err != nil {
			for _, t := range terms {
				t.Close()
			}
			return nil, fmt.Errorf("drill: pairing terminal %d: %w", i+1, err)
		}
		terms = append(terms, t)
	}
	return terms, nil
}

// Sit signs a candidate in on a terminal with their seat code, makes the
// changes in order and submits, noting how each was acknowledged in acks,
// and returns the submission once the station has it. The terminal's Run
// must be running.
func Sit(ctx context.Context, t *terminal.Terminal, c site.Candidate, steps []site.DrillStep, acks *Acks) (site.Submission, error) {
	if _, err := t.SignIn(ctx, c.Ticket, c.SeatCode); err != nil {
		return site.Submission{}, fmt.Errorf("sign-in: %w", err)
	}
	if _, err := t.View(ctx); err != nil {
		return site.Submission{}, fmt.Errorf("the paper: %w", err)
	}
	for _, st := range steps {
		t0 := time.Now()
		var where terminal.Where
		var err error
		if st.Flag {
			where, err = t.Flag(ctx, st.ItemID, true)
		} else {
			where, err = t.Save(ctx, st.ItemID, st.Answer)
		}
		if err != nil {
			return site.Submission{}, fmt.Errorf("item %s: %w", st.ItemID, err)
		}
		acks.note(c.Ticket, st, where, time.Since(t0))
	}
	if _, err := t.Submit(ctx); err != nil {
		return site.Submission{}, fmt.Errorf("submit: %w", err)
	}
	cand, err := Submitted(ctx, t)
	if err != nil {
		return site.Submission{}, err
	}
	return site.Submission{SessionID: cand.SessionID, Ticket: cand.Ticket, ReceiptCode: cand.ReceiptCode, Forced: cand.Forced}, nil
}

// Submitted waits until the station has the paper of the candidate signed
// in on t submitted, with nothing of t's journal left to send, and returns
// the candidate as the station then says.
func Submitted(ctx context.Context, t *terminal.Terminal) (*room.Candidate, error) {
	for {
		st := t.Status()
		if st.Revoked {
			return nil, terminal.ErrRevoked
		}
		if c := st.Candidate; c != nil && c.Submitted && c.ReceiptCode != "" && st.Pending == 0 {
			return c, nil
		}
		select {
		case <-ctx.Done():
			return nil, errors.Join(ctx.Err(), st.Err)
		case <-t.Changed():
		case <-time.After(room.Wait):
		}
	}
}

// Acks counts how terminals' changes were acknowledged. Safe for
// concurrent use.
type Acks struct {
	mu         gosync.Mutex
	at         []time.Duration
	journalled int
	saved      map[string]map[string]exam.Answer
}

// note notes a candidate's change, and where it was d after it was made.
func (a *Acks) note(ticket string, st site.DrillStep, w terminal.Where, d time.Duration) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if !st.Flag {
		if a.saved == nil {
			a.saved = map[string]map[string]exam.Answer{}
		}
		if a.saved[ticket] == nil {
			a.saved[ticket] = map[string]exam.Answer{}
		}
		a.saved[ticket][st.ItemID] = st.Answer
	}
	a.noteLocked(w, d)
}

// Note notes a change that was where w is d after it was made.
func (a *Acks) Note(w terminal.Where, d time.Duration) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.noteLocked(w, d)
}

func (a *Acks) noteLocked(w terminal.Where, d time.Duration) {
	if w == terminal.AtStation {
		a.at = append(a.at, d)
	} else {
		a.journalled++
	}
}

// Summary returns the changes acknowledged at once and journalled first,
// and the 50th and 99th percentiles of the time to acknowledgement of the
// first.
func (a *Acks) Summary() (atStation, journalled int, p50, p99 time.Duration) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.at), a.journalled, Percentile(a.at, 50), Percentile(a.at, 99)
}

// Percentile is the p-th percentile of ds (nearest rank); 0 for none.
func Percentile(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[min(len(s)-1, (len(s)*p+99)/100-1)]
}

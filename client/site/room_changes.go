package site

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	roomwire "onex/client/room"
	"onex/client/store"
	"onex/exam/seal"
)

// roomEpoch is the epoch of every terminal's chain of changes.
const roomEpoch = 1

// ApplyChanges applies a terminal's sealed changes (PROTOCOL.md,
// "Changes") exactly once and in chain order, in one transaction with the
// terminal's new acknowledged place in its chain, and returns the outcome
// of each with the terminal's state after the commit.
//
// Each envelope must name the terminal as the device, epoch 1, kind
// room-change, and each applied must verify with the terminal's key; one
// that does not is ErrInput (with seal's error) and nothing is committed.
// An envelope at or before the acknowledged one is a duplicate (it came in
// a request the terminal signed, and is not verified again); the next (seq acked+1 whose prev is the
// acknowledged hash) is opened and applied, or refused with a code when the
// exam's rules refuse it: the chain moves past it either way. Any other is
// ErrGap, and nothing of the request is committed.
//
// A change that arrives when the station's clock says the candidate's time
// is up is applied if its Used is within the candidate's time and the paper
// is not submitted; one past the time submits the paper (forced) and is
// refused time_up.
func (s *Site) ApplyChanges(ctx context.Context, terminalID string, envelopes [][]byte) (roomwire.ChangesResponse, error) {
	// The envelopes are verified and opened before the station's lock is
	// taken, so that one terminal's cryptography does not hold up the
	// others' saves; if another request of the terminal moved its chain
	// meanwhile, they are opened again under the lock.
	s.mu.Lock()
	t, err := s.activeTerm(ctx, terminalID)
	if err == nil {
		err = s.roomKeys(ctx)
	}
	var o opened
	if err == nil {
		o = opened{acked: t.Acked, tip: t.AckedHash}
	}
	s.mu.Unlock()
	if err != nil {
		return roomwire.ChangesResponse{}, err
	}
	if err := o.open(s.keys, t, envelopes); err != nil {
		return roomwire.ChangesResponse{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if t, err = s.activeTerm(ctx, terminalID); err != nil {
		return roomwire.ChangesResponse{}, err
	}
	if t.Acked != o.from || t.AckedHash != o.fromHash {
		o = opened{acked: t.Acked, tip: t.AckedHash}
		if err := o.open(s.keys, t, envelopes); err != nil {
			return roomwire.ChangesResponse{}, err
		}
	}
	results, todo, acked, tip := o.results, o.todo, o.acked, o.tip
	if len(todo) > 0 {
		var r *room
		if t.ticket != "" {
			if r, err = s.room(ctx, t.sessionID); err != nil {
				return roomwire.ChangesResponse{}, err
			}
			if r.started() && !r.ended() {
				if err := s.begin(ctx, r, t.ticket); err != nil && !errors.Is(err, ErrNotCheckedIn) {
					return roomwire.ChangesResponse{}, err
				}
			}
		}
		now := s.now()
		err = s.update(ctx, r, func(tx *store.Tx) error {
			for _, n := range todo {
				res := &results[n.i]
				if n.bad != nil {
					res.Outcome, res.Code, res.Detail = roomwire.Refused, RefusedInput, n.bad.Error()
					continue
				}
				if err := s.applyChange(tx, t, r, n.change, now, res); err != nil {
					return err
				}
			}
			return tx.SetTerminalAcked(t.ID, acked, tip, now)
		})
		if err != nil {
			return roomwire.ChangesResponse{}, err
		}
		t.Acked, t.AckedHash, t.lastSave = acked, tip, now.Round(0).UTC()
	}
	st, err := s.stateOf(ctx, t, s.now())
	if err != nil {
		return roomwire.ChangesResponse{}, err
	}
	return roomwire.ChangesResponse{Acked: t.Acked, AckedHash: t.AckedHash, Results: results, State: st}, nil
}

// Codes of a refused change (roomwire.ChangeResult.Code).
const (
	RefusedSubmitted = "submitted"
	RefusedPaused    = "paused"
	RefusedTimeUp    = "time_up"
	RefusedEnded     = "ended"
	RefusedInput     = "input"
)

// opened is a request's envelopes verified and opened against a terminal's
// chain as it stood (from, fromHash): the result of each, the changes to
// apply, and where the chain ends after them (acked, tip).
type opened struct {
	from     uint64
	fromHash seal.Hash
	acked    uint64
	tip      seal.Hash
	results  []roomwire.ChangeResult
	todo     []next
}

// next is a change to apply: its place in the results, the change, or why
// it does not decode (refused input).
type next struct {
	i      int
	change roomwire.Change
	bad    error
}

// open verifies and opens envelopes of terminal t after o.acked; keys are
// the station's record keys. It needs no lock: t's id and key do not change.
func (o *opened) open(keys *seal.CentralKeys, t *term, envelopes [][]byte) error {
	o.from, o.fromHash = o.acked, o.tip
	o.results = make([]roomwire.ChangeResult, 0, len(envelopes))
	for i, b := range envelopes {
		// The header decides the envelope's place; the one applied is
		// verified whole by OpenEnvelope, and the request carrying them
		// all is signed by the terminal (its body hash), so a duplicate
		// is not verified a second time.
		h, err := seal.ParseHeader(b)
		if err != nil {
			return fmt.Errorf("%w: envelope %d of terminal %s: %w", ErrInput, i+1, t.ID, err)
		}
		if h.DeviceID != t.ID || h.Epoch != roomEpoch || h.Kind != roomwire.KindChange {
			return fmt.Errorf("%w: envelope %d of terminal %s is of device %q, epoch %d, kind %q (want %q, %d, %q)",
				ErrInput, i+1, t.ID, h.DeviceID, h.Epoch, h.Kind, t.ID, roomEpoch, roomwire.KindChange)
		}
		switch {
		case h.Seq <= o.acked:
			o.results = append(o.results, roomwire.ChangeResult{Seq: h.Seq, Outcome: roomwire.Duplicate})
		case h.Seq == o.acked+1 && h.Prev == o.tip:
			rec, err := seal.OpenEnvelope(keys, b, t.Key)
			if err != nil {
				return fmt.Errorf("%w: envelope %d (seq %d) of terminal %s: %w", ErrInput, i+1, h.Seq, t.ID, err)
			}
			n := next{i: len(o.results)}
			n.bad = decodeChange(rec.Plaintext, &n.change)
			o.results = append(o.results, roomwire.ChangeResult{Seq: h.Seq})
			o.todo = append(o.todo, n)
			o.acked, o.tip = h.Seq, rec.Hash
		default:
			return fmt.Errorf("%w: terminal %s sent seq %d after %d (prev %.8s, acknowledged %.8s): send from %d",
				ErrGap, t.ID, h.Seq, o.acked, h.Prev, o.tip, o.acked+1)
		}
	}
	return nil
}

// decodeChange reads a change's plaintext strictly.
func decodeChange(b []byte, c *roomwire.Change) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(c); err != nil {
		return fmt.Errorf("the change does not decode: %v", err)
	}
	return nil
}

// applyChange applies one change of terminal t, serving a candidate of room
// r (nil if none), in tx, writing its outcome to res. It returns an error
// only when the store fails.
func (s *Site) applyChange(tx *store.Tx, t *term, r *room, c roomwire.Change, now time.Time, res *roomwire.ChangeResult) error {
	refuse := func(code, detail string) error {
		res.Outcome, res.Code, res.Detail = roomwire.Refused, code, detail
		return nil
	}
	if r == nil || c.SessionID != t.sessionID || c.Ticket != t.ticket {
		return refuse(roomwire.RefusedNotYours, "the candidate is not signed in on this terminal")
	}
	a, ok := r.att[c.Ticket]
	if !ok || r.paper == nil {
		if r.ended() {
			return refuse(RefusedEnded, "the session has ended")
		}
		return refuse(roomwire.RefusedNotStarted, "the candidate's exam has not begun")
	}
	if c.Used < 0 {
		return refuse(RefusedInput, "a negative time used")
	}
	switch err := r.refusal(a, now); {
	case errors.Is(err, ErrTimeUp):
		if c.Used > r.allowed(a) {
			if _, err := s.submit(tx, r, a, now, true); err != nil {
				return err
			}
			return refuse(RefusedTimeUp, "made after the candidate's time; the paper was submitted")
		}
		// Made in time, arrived late: applied (PROTOCOL.md).
	case errors.Is(err, ErrSubmitted):
		return refuse(RefusedSubmitted, "the paper is submitted")
	case errors.Is(err, ErrEnded):
		return refuse(RefusedEnded, "the session has ended")
	case errors.Is(err, ErrPaused):
		return refuse(RefusedPaused, "the exam is paused")
	}
	var fn itemChange
	switch c.Op {
	case roomwire.OpSubmit:
		if _, err := s.submitAs(tx, r, a, now, forcing{}); err != nil {
			return err
		}
		res.Outcome = roomwire.Applied
		return nil
	case roomwire.OpSave:
		fn = setAnswer(c.Answer)
	case roomwire.OpFlag:
		fn = setFlag(c.Flagged)
	case roomwire.OpPiece:
		return s.applyPiece(tx, r, a, c, now, res)
	default:
		return refuse(RefusedInput, fmt.Sprintf("operation %q is not save, flag, piece or submit", c.Op))
	}
	it, ok := r.paper.Item(c.ItemID)
	if !ok {
		return refuse(RefusedInput, fmt.Sprintf("item %q is not in the paper", c.ItemID))
	}
	if c.Op == roomwire.OpSave {
		if _, err := it.CheckAnswer(c.Answer); err != nil {
			return refuse(RefusedInput, fmt.Sprintf("item %s does not take this answer", it.ID))
		}
		switch missing, err := missingFile(tx, r.id, a.ticket, c.Answer); {
		case err != nil:
			return err
		case missing != "":
			return refuse(RefusedInput, missing)
		}
	}
	if err := s.changeItem(tx, r, a, it, fn, now); err != nil {
		return err
	}
	res.Outcome = roomwire.Applied
	return nil
}

// allowed is a candidate's whole time: the duration and extra time.
func (r *room) allowed(a *attempt) time.Duration {
	return r.duration() + time.Duration(r.st.ExtraMS+a.st.ExtraMS)*time.Millisecond
}

// holdSubmission reports whether Tick holds the forced submission of a
// candidate whose time is up, so that the changes their terminal made in
// time can still arrive: for roomwire.Silent past the time when a terminal
// serves them (changes in flight), and for SubmitGrace while that terminal
// is silent (not heard for roomwire.Silent, or not at all since the station
// started). The caller holds s.mu.
func (s *Site) holdSubmission(r *room, a *attempt, now time.Time) bool {
	if s.terms == nil {
		return false
	}
	t := s.boundTerm(r.id, a.ticket)
	if t == nil {
		return false
	}
	over := a.clock.Elapsed(now) - r.allowed(a)
	if over < roomwire.Silent {
		return true
	}
	last := s.lastHeard(t.ID)
	silent := last.IsZero() || now.Sub(last) > roomwire.Silent
	return silent && over < SubmitGrace
}

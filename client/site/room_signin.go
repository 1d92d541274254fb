package site

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"fmt"
	"math/big"
	"strings"

	roomwire "onex/client/room"
	"onex/client/store"
	"onex/exam"
)

// SeatCodeDigits is the length of a seat code.
const SeatCodeDigits = 6

// newSeatCode draws a seat code: six decimal digits from crypto/rand.
func newSeatCode() (string, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		return "", fmt.Errorf("seat code: %w", err)
	}
	return fmt.Sprintf("%06d", n.Int64()), nil
}

// SignIn signs a candidate in on a terminal with the ticket and the seat
// code from check-in. The ticket must be in a session of this station, of
// the terminal's room (a terminal paired for room "" serves every room),
// not ended (ErrEnded); the candidate checked in present or late
// (ErrNotCheckedIn); the seat code theirs (ErrSeatCode: a wrong code counts
// against it, and store.MaxSeatCodeFailures wrong codes void it until the
// proctor issues another); the candidate signed in on no other terminal
// not revoked (ErrElsewhere), and this terminal serving nobody else who is
// still answering (ErrElsewhere too). The code is then used up and the
// binding is stored. Once the room has started, the candidate's exam begins
// (their time counts from the room's start, as Begin says).
func (s *Site) SignIn(ctx context.Context, terminalID, ticket, seatCode string) (roomwire.Candidate, error) {
	ticket, seatCode = strings.TrimSpace(ticket), strings.TrimSpace(seatCode)
	s.mu.Lock()
	defer s.mu.Unlock()
	t, err := s.activeTerm(ctx, terminalID)
	if err != nil {
		return roomwire.Candidate{}, err
	}
	r, err := s.signInRoom(ctx, t, ticket)
	if err != nil {
		return roomwire.Candidate{}, err
	}
	var ci store.CheckIn
	var live string
	err = s.st.View(ctx, func(tx *store.Tx) error {
		if ci, err = tx.CheckIn(r.id, ticket); err != nil {
			return err
		}
		live, _, err = tx.SeatCode(r.id, ticket)
		return err
	})
	if err != nil {
		return roomwire.Candidate{}, err
	}
	switch {
	case !ci.Status.CheckedIn():
		return roomwire.Candidate{}, fmt.Errorf("ticket %s: %w", ticket, ErrNotCheckedIn)
	case live == "":
		return roomwire.Candidate{}, fmt.Errorf("%w: ticket %s has no seat code in force (used, or voided after %d wrong codes): the proctor issues a new one",
			ErrSeatCode, ticket, store.MaxSeatCodeFailures)
	case subtle.ConstantTimeCompare([]byte(seatCode), []byte(live)) != 1:
		var n int
		if err := s.update(ctx, nil, func(tx *store.Tx) error {
			n, err = tx.SeatCodeFailed(r.id, ticket)
			return err
		}); err != nil {
			return roomwire.Candidate{}, err
		}
		s.log.Warn("wrong seat code", "terminal", t.ID, "session", r.id, "failures", n)
		if n >= store.MaxSeatCodeFailures {
			return roomwire.Candidate{}, fmt.Errorf("%w: ticket %s: %d wrong codes; the seat code is void until the proctor issues another", ErrSeatCode, ticket, n)
		}
		return roomwire.Candidate{}, fmt.Errorf("%w: ticket %s (%d of %d tries left)", ErrSeatCode, ticket, store.MaxSeatCodeFailures-n, store.MaxSeatCodeFailures)
	}
	if other := s.boundTerm(r.id, ticket); other != nil && other != t {
		return roomwire.Candidate{}, fmt.Errorf("ticket %s: %w (terminal %s): the proctor moves the candidate", ticket, ErrElsewhere, other.ID)
	}
	if t.ticket != "" && (t.sessionID != r.id || t.ticket != ticket) && s.stillAnswering(ctx, t) {
		return roomwire.Candidate{}, fmt.Errorf("terminal %s: %w: another candidate signed in here is still answering", t.ID, ErrElsewhere)
	}
	err = s.update(ctx, nil, func(tx *store.Tx) error {
		if err := tx.PutSeatCode(r.id, ticket, ""); err != nil {
			return err
		}
		return tx.BindTerminal(t.ID, r.id, ticket)
	})
	if err != nil {
		return roomwire.Candidate{}, err
	}
	t.sessionID, t.ticket, t.candSeat = r.id, ticket, ci.Seat
	s.bump()
	s.log.Info("candidate signed in on a terminal", "terminal", t.ID, "session", r.id)
	if r.started() {
		if err := s.begin(ctx, r, ticket); err != nil {
			return roomwire.Candidate{}, err
		}
	}
	return s.wireCandidate(ctx, t, s.now())
}

// signInRoom finds the session of a terminal's room whose roster has the
// ticket and that has not ended; the caller holds s.mu. A ticket in none is
// ErrSeatCode (a terminal learns no more of which tickets exist).
func (s *Site) signInRoom(ctx context.Context, t *term, ticket string) (*room, error) {
	var ids []string
	if err := s.st.View(ctx, func(tx *store.Tx) error {
		var err error
		ids, err = tx.SessionIDs()
		return err
	}); err != nil {
		return nil, err
	}
	var ended error
	for _, id := range ids {
		r, err := s.room(ctx, id)
		if err != nil {
			continue // a session that cannot load is reported by Sessions
		}
		if _, ok := r.roster[ticket]; !ok || (t.Room != "" && r.sess.Room != t.Room) {
			continue
		}
		if r.ended() {
			ended = fmt.Errorf("session %s: %w", id, ErrEnded)
			continue
		}
		return r, nil
	}
	if ended != nil {
		return nil, ended
	}
	return nil, fmt.Errorf("%w: ticket %q is in no session of room %q on this station", ErrSeatCode, ticket, t.Room)
}

// stillAnswering reports whether the candidate a terminal serves may still
// change their paper: not submitted, session not ended.
func (s *Site) stillAnswering(ctx context.Context, t *term) bool {
	r, err := s.room(ctx, t.sessionID)
	if err != nil {
		return false
	}
	a, ok := r.att[t.ticket]
	return !r.ended() && (!ok || a.st.Submitted.IsZero())
}

// TerminalView is the paper of the candidate signed in on a terminal
// (ErrNotYours for anyone else), once the room has started (ErrNotStarted):
// the items in that candidate's order with the answers the station holds.
func (s *Site) TerminalView(ctx context.Context, terminalID, sessionID, ticket string) (*exam.View, error) {
	s.mu.Lock()
	t, err := s.activeTerm(ctx, terminalID)
	if err == nil && (t.ticket == "" || t.sessionID != sessionID || t.ticket != ticket) {
		err = fmt.Errorf("terminal %s, ticket %q of session %q: %w", terminalID, ticket, sessionID, ErrNotYours)
	}
	var r *room
	if err == nil {
		r, err = s.room(ctx, sessionID)
	}
	if err == nil && !r.started() {
		err = fmt.Errorf("session %s: %w", sessionID, ErrNotStarted)
	}
	if err == nil {
		err = s.begin(ctx, r, ticket)
	}
	s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return (&Exam{s: s, sessionID: sessionID, ticket: ticket}).View(ctx)
}

// roomCandidate returns a session's room and a roster ticket checked in,
// for a proctor's action on the candidate's sign-in; the caller holds s.mu.
func (s *Site) roomCandidate(ctx context.Context, sessionID, ticket, proctor string) (*room, error) {
	if err := checkProctor(proctor); err != nil {
		return nil, err
	}
	r, err := s.room(ctx, sessionID)
	if err != nil {
		return nil, err
	}
	if r.ended() {
		return nil, fmt.Errorf("session %s: %w", sessionID, ErrEnded)
	}
	if _, ok := r.roster[ticket]; !ok {
		return nil, inputf("not_on_roster", "ticket %q is not on the roster of session %s", ticket, sessionID)
	}
	var ci store.CheckIn
	if err := s.st.View(ctx, func(tx *store.Tx) error {
		ci, err = tx.CheckIn(sessionID, ticket)
		return err
	}); err != nil {
		return nil, err
	}
	if !ci.Status.CheckedIn() {
		return nil, fmt.Errorf("ticket %s: %w", ticket, ErrNotCheckedIn)
	}
	if _, err := s.terminals(ctx); err != nil {
		return nil, err
	}
	return r, nil
}

// NewSeatCode issues a checked-in candidate a new seat code (a lost slip, or
// one voided by wrong codes), noting an incident; the code before is void.
// The candidate stays signed in where they are.
func (s *Site) NewSeatCode(ctx context.Context, sessionID, ticket, proctor string) (string, error) {
	return s.reissue(ctx, sessionID, ticket, proctor, "", false)
}

// MoveCandidate lets a candidate continue on another terminal, for the
// reason the proctor gives: it ends the candidate's binding, revokes the
// terminal they were signed in on (if any), notes an incident and returns a
// new seat code. Signed in elsewhere, the candidate finds every answer the
// station acknowledged.
func (s *Site) MoveCandidate(ctx context.Context, sessionID, ticket, proctor, reason string) (string, error) {
	reason, err := checkReason(reason)
	if err != nil {
		return "", err
	}
	return s.reissue(ctx, sessionID, ticket, proctor, reason, true)
}

// reissue issues a checked-in candidate a new seat code and notes the
// incident, in one transaction; with move, it first revokes the terminal
// the candidate is signed in on.
func (s *Site) reissue(ctx context.Context, sessionID, ticket, proctor, reason string, move bool) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := s.roomCandidate(ctx, sessionID, ticket, proctor)
	if err != nil {
		return "", err
	}
	code, err := newSeatCode()
	if err != nil {
		return "", err
	}
	var old *term
	typ, note := IncidentSeatCode, "a new seat code issued by "+proctor
	if move {
		old = s.boundTerm(sessionID, ticket)
		typ, note = IncidentMoved, fmt.Sprintf("moved to another terminal by %s: %s", proctor, reason)
		if old != nil {
			note = fmt.Sprintf("moved from terminal %s (revoked) by %s: %s", old.ID, proctor, reason)
		}
	}
	now := s.now()
	err = s.update(ctx, r, func(tx *store.Tx) error {
		if old != nil {
			if err := tx.RevokeTerminal(old.ID, now, reason); err != nil {
				return err
			}
		}
		if err := tx.PutSeatCode(r.id, ticket, code); err != nil {
			return err
		}
		return s.incident(tx, r, ticket, typ, note, now)
	})
	if err != nil {
		return "", err
	}
	if old != nil {
		old.Revoked, old.sessionID, old.ticket, old.candSeat = now.Round(0).UTC(), "", "", ""
		s.log.Info("candidate moved: terminal revoked", "session", sessionID, "terminal", old.ID)
		s.bump()
	}
	return code, nil
}

package site

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"onex/client/store"
	"onex/exam"
	wire "onex/sync"
)

// Candidate is one roster entry with its state on this site.
type Candidate struct {
	exam.Candidate
	Status      exam.Attendance `json:"status"`              // "" until checked in; present, late or absent
	Seat        string          `json:"seat"`                // assigned at check-in (the roster's by default)
	SeatCode    string          `json:"seat_code,omitempty"` // issued at check-in: signs the candidate in on a terminal, once
	Override    bool            `json:"override,omitempty"`
	CheckedIn   time.Time       `json:"checked_in,omitzero"`
	Begun       bool            `json:"begun,omitempty"`
	Submitted   bool            `json:"submitted,omitempty"`
	ReceiptCode string          `json:"receipt_code,omitempty"`
}

// Candidates returns the session's roster with each candidate's state, by ticket.
func (s *Site) Candidates(ctx context.Context, sessionID string) ([]Candidate, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := s.room(ctx, sessionID)
	if err != nil {
		return nil, err
	}
	return s.candidates(ctx, r)
}

func (s *Site) candidates(ctx context.Context, r *room) ([]Candidate, error) {
	var checks []store.CheckIn
	var codes map[string]string
	if err := s.st.View(ctx, func(tx *store.Tx) error {
		var err error
		if checks, err = tx.CheckIns(r.id); err != nil {
			return err
		}
		codes, err = tx.SeatCodes(r.id)
		return err
	}); err != nil {
		return nil, err
	}
	byTicket := make(map[string]store.CheckIn, len(checks))
	for _, c := range checks {
		byTicket[c.Ticket] = c
	}
	out := make([]Candidate, 0, len(r.sess.Candidates))
	for _, rc := range r.sess.Candidates {
		c := r.candidate(rc, byTicket[rc.Ticket])
		c.SeatCode = codes[rc.Ticket]
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b Candidate) int { return strings.Compare(a.Ticket, b.Ticket) })
	return out, nil
}

func (r *room) candidate(rc exam.Candidate, ci store.CheckIn) Candidate {
	c := Candidate{Candidate: rc, Status: ci.Status, Seat: rc.Seat, Override: ci.Override, CheckedIn: ci.At}
	if ci.Seat != "" {
		c.Seat = ci.Seat
	}
	if a, ok := r.att[rc.Ticket]; ok {
		c.Begun, c.Submitted, c.ReceiptCode = true, !a.st.Submitted.IsZero(), a.st.ReceiptCode
	}
	return c
}

// Find looks a candidate up by ticket number, ID number, seat or name, as
// staff type them, by the rule of Search; when some candidates match the
// query exactly (a whole ticket or ID number, a seat, a whole name), only
// those. It returns every match, by ticket.
func (s *Site) Find(ctx context.Context, sessionID, query string) ([]Candidate, error) {
	q := strings.TrimSpace(query)
	if q == "" {
		return nil, inputf("search_empty", "search is empty: type a ticket number, ID number, seat or name")
	}
	all, err := s.Candidates(ctx, sessionID)
	if err != nil {
		return nil, err
	}
	found := Search(all, q)
	if len(found) > 0 && exactly(found[0], q) {
		n := 1
		for n < len(found) && exactly(found[n], q) {
			n++
		}
		found = found[:n]
	}
	return found, nil
}

// Search is the check-in search as staff type: the candidates of all that
// query finds. A ticket matches by any part of it, so by its last digits
// ("010005" finds 2026WEB010005, and "0100" on the way there finds its
// neighbours); an ID number by its beginning or its last characters, ignoring
// case (not its middle: a birth date would find strangers); a seat whole with
// or without its leading zeros ("5" is seat 05); a name whole or in part. Those that
// match exactly (a whole ticket or ID number, a seat, a whole name) come
// first, then the rest, each in the order of all. An empty query finds all.
func Search(all []Candidate, query string) []Candidate {
	q := strings.TrimSpace(query)
	if q == "" {
		return slices.Clone(all)
	}
	var exact, partial []Candidate
	for _, c := range all {
		switch {
		case exactly(c, q):
			exact = append(exact, c)
		case strings.Contains(c.Ticket, q), partly(strings.ToUpper(c.IDNumber), strings.ToUpper(q)), strings.Contains(c.Name, q):
			partial = append(partial, c)
		}
	}
	return append(exact, partial...)
}

// exactly reports whether q names candidate c whole: ticket, ID number
// (ignoring case), seat (leading zeros aside) or name.
func exactly(c Candidate, q string) bool {
	return c.Ticket == q || strings.EqualFold(c.IDNumber, q) || c.Name == q || sameSeat(c.Seat, q)
}

// partly reports whether q is the beginning or the end of number.
func partly(number, q string) bool {
	return strings.HasPrefix(number, q) || strings.HasSuffix(number, q)
}

// sameSeat reports whether q is seat, leading zeros aside.
func sameSeat(seat, q string) bool {
	if seat == "" {
		return false
	}
	if seat == q {
		return true
	}
	a, b := strings.TrimLeft(seat, "0"), strings.TrimLeft(q, "0")
	return a != "" && a == b
}

// CheckInRequest is a proctor's check-in of one candidate.
type CheckInRequest struct {
	Ticket string
	Status exam.Attendance // present, late or absent
	Seat   string          // seat or terminal; empty keeps the roster's
	// Confirmed says the proctor compared the candidate with the photo ID;
	// present and late need it.
	Confirmed bool
	// Override lets a late candidate in past the late limit; it needs the
	// proctor's name and is recorded.
	Override bool
	Proctor  string
	Photo    []byte // optional photo taken at check-in, stored sealed
}

// check refuses a request that cannot be right whatever the time: an
// attendance other than present, late or absent, present or late without
// the identity confirmed, an absence of a candidate who has begun the exam,
// an override of an absence or without the proctor's name, a seat or name
// too long.
func (req CheckInRequest) check(begun bool) error {
	switch {
	case req.Status.CheckedIn():
		if !req.Confirmed {
			return inputf("confirm_identity", "ticket %s: confirm the candidate's identity against the photo ID first", req.Ticket)
		}
	case req.Status == exam.Absent:
		if req.Override {
			return inputf("override_not_absent", "ticket %s: an override applies to late entry, not to absence", req.Ticket)
		}
		if begun {
			return inputf("begun_not_absent", "ticket %s has begun the exam and cannot be marked absent", req.Ticket)
		}
	default:
		return inputf("bad_status", "status %q is not %s, %s or %s", req.Status, exam.Present, exam.Late, exam.Absent)
	}
	if req.Override && strings.TrimSpace(req.Proctor) == "" {
		return inputf("override_needs_proctor", "ticket %s: a late-entry override needs the proctor's name", req.Ticket)
	}
	if !plain(req.Seat, 32) || !plain(req.Proctor, 64) {
		return inputf("seat_or_proctor", "seat or proctor name is too long or has control characters")
	}
	return nil
}

// CheckIn marks a candidate present, late or absent and assigns a seat, and
// records it. Before the scheduled start, with the room not started, nobody
// is late: late is refused with a *NotLateError. Once the room has started a
// present candidate counts as late;
// a late entry past the late limit (counted from the actual start) is
// refused with a *LateError unless a proctor overrides it.
func (s *Site) CheckIn(ctx context.Context, sessionID string, req CheckInRequest) (Candidate, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := s.room(ctx, sessionID)
	if err != nil {
		return Candidate{}, err
	}
	if r.ended() {
		return Candidate{}, fmt.Errorf("check-in for session %s: %w", sessionID, ErrEnded)
	}
	rc, ok := r.roster[req.Ticket]
	if !ok {
		return Candidate{}, inputf("not_on_roster", "ticket %q is not on the roster of session %s", req.Ticket, sessionID)
	}
	_, begun := r.att[req.Ticket]
	if err := req.check(begun); err != nil {
		return Candidate{}, err
	}
	now := s.now()
	if req.Status == exam.Late && !r.started() && now.Before(r.sess.Start) {
		return Candidate{}, &NotLateError{Ticket: req.Ticket, Start: r.sess.Start}
	}
	since, limit := r.clock.Elapsed(now), exam.LateLimit(r.sess.LateLimitMinutes)
	adm := exam.Admit(req.Status, r.started(), since, limit, req.Override)
	if adm.Refused {
		return Candidate{}, &LateError{Ticket: req.Ticket, Since: since, Limit: limit}
	}
	status, override := adm.Attendance, adm.Override
	seat := req.Seat
	if seat == "" {
		seat = rc.Seat
	}
	var out Candidate
	err = s.update(ctx, r, func(tx *store.Tx) error {
		if seat != "" && status.CheckedIn() {
			checks, err := tx.CheckIns(r.id)
			if err != nil {
				return err
			}
			for _, c := range checks {
				if c.Ticket != req.Ticket && c.Seat == seat && c.Status.CheckedIn() {
					return inputf("seat_taken", "seat %s is taken by ticket %s", seat, c.Ticket)
				}
			}
		}
		before, err := tx.CheckIn(r.id, req.Ticket)
		if err != nil {
			return err
		}
		ci := store.CheckIn{Ticket: req.Ticket, Status: status, Seat: seat, Override: override, At: now}
		if err := tx.PutCheckIn(r.id, ci); err != nil {
			return err
		}
		code, _, err := tx.SeatCode(r.id, req.Ticket)
		if err != nil {
			return err
		}
		if status.CheckedIn() && !before.Status.CheckedIn() && code == "" {
			if code, err = newSeatCode(); err != nil {
				return err
			}
			if err := tx.PutSeatCode(r.id, req.Ticket, code); err != nil {
				return err
			}
		}
		if len(req.Photo) > 0 {
			if err := tx.PutPhoto(r.id, req.Ticket, req.Photo); err != nil {
				return err
			}
		}
		rec := wire.CheckIn{SessionID: r.id, Ticket: req.Ticket, Status: status, Seat: seat, Override: override, Clock: s.stamp(r, now)}
		if override || req.Proctor != "" {
			rec.Proctor = req.Proctor
		}
		if _, err := s.queue(tx, wire.KindCheckIn, r.id, rec, now); err != nil {
			return err
		}
		out = r.candidate(rc, ci)
		out.SeatCode = code
		return nil
	})
	if err != nil {
		return Candidate{}, err
	}
	if override {
		s.log.Warn("late entry past the limit allowed by a proctor", "session", r.id, "ticket", req.Ticket)
	}
	return out, nil
}

// Photo returns the photo taken of a candidate at check-in, or nil.
func (s *Site) Photo(ctx context.Context, sessionID, ticket string) ([]byte, error) {
	var photo []byte
	err := s.st.View(ctx, func(tx *store.Tx) error {
		var err error
		photo, err = tx.Photo(sessionID, ticket)
		return err
	})
	return photo, err
}

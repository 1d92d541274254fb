package site

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"onex/client/store"
	"onex/exam"
	wire "onex/sync"
)

// Limits of proctors' input.
const (
	MaxExtraMinutes = int(exam.MaxExtraTime / time.Minute) // at once; central flags records made later than this allows (exam.Schedule)
	maxNoteChars    = 2000
)

// proctorRoom returns a started, unended room with s.mu held.
func (s *Site) proctorRoom(ctx context.Context, sessionID, proctor string) (*room, error) {
	if strings.TrimSpace(proctor) == "" || !plain(proctor, 64) {
		return nil, inputf("the proctor's name is empty, too long or has control characters")
	}
	r, err := s.room(ctx, sessionID)
	if err != nil {
		return nil, err
	}
	switch {
	case !r.started():
		return nil, fmt.Errorf("session %s: %w", sessionID, ErrNotStarted)
	case r.ended():
		return nil, fmt.Errorf("session %s: %w", sessionID, ErrEnded)
	}
	return r, nil
}

// event queues a session-event record in tx.
func (s *Site) event(tx *store.Tx, r *room, ticket, ev, proctor string, extra int, now time.Time) error {
	_, err := s.queue(tx, wire.KindEvent, r.id, wire.Event{SessionID: r.id, Ticket: ticket, Event: ev, ExtraMinutes: extra, Proctor: proctor, Clock: s.stamp(r, now)}, now)
	return err
}

// StartRoom starts the room: the actual start, from which durations and the
// late limit count. It needs the paper released; the planned start is only
// the plan.
func (s *Site) StartRoom(ctx context.Context, sessionID, proctor string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if strings.TrimSpace(proctor) == "" || !plain(proctor, 64) {
		return inputf("the proctor's name is empty, too long or has control characters")
	}
	r, err := s.room(ctx, sessionID)
	if err != nil {
		return err
	}
	switch {
	case r.paper == nil:
		if r.paperErr != nil {
			return r.paperErr
		}
		return fmt.Errorf("session %s: %w", sessionID, ErrNotReleased)
	case r.ended():
		return fmt.Errorf("session %s: %w", sessionID, ErrEnded)
	case r.started():
		return fmt.Errorf("session %s: %w at %s", sessionID, ErrStarted, r.st.Started.Local().Format(time.TimeOnly))
	}
	now := s.now()
	r.st.Started, r.st.StartedBy = now.Round(0), proctor
	r.setClocks(now)
	err = s.update(ctx, r, func(tx *store.Tx) error {
		if err := r.save(tx, now); err != nil {
			return err
		}
		_, err := s.queue(tx, wire.KindStart, r.id, wire.Start{SessionID: r.id, Clock: s.stamp(r, now)}, now)
		return err
	})
	if err == nil {
		s.log.Info("room started", "session", sessionID)
	}
	return err
}

// Pause pauses one candidate's clock (ticket) or the whole room (ticket
// empty); paused candidates cannot change answers.
func (s *Site) Pause(ctx context.Context, sessionID, ticket, proctor string) error {
	return s.pauseResume(ctx, sessionID, ticket, proctor, true)
}

// Resume resumes what Pause paused.
func (s *Site) Resume(ctx context.Context, sessionID, ticket, proctor string) error {
	return s.pauseResume(ctx, sessionID, ticket, proctor, false)
}

func (s *Site) pauseResume(ctx context.Context, sessionID, ticket, proctor string, pause bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := s.proctorRoom(ctx, sessionID, proctor)
	if err != nil {
		return err
	}
	ev := wire.EventResume
	if pause {
		ev = wire.EventPause
	}
	var a *attempt
	if ticket == "" {
		if r.st.Paused == pause {
			return inputf("the room is %s already", map[bool]string{true: "paused", false: "running"}[pause])
		}
		r.st.Paused = pause
	} else {
		if a, err = r.openAttempt(ticket); err != nil {
			return err
		}
		if a.st.Paused == pause {
			return inputf("ticket %s is %s already", ticket, map[bool]string{true: "paused", false: "running"}[pause])
		}
		a.st.Paused = pause
	}
	now := s.now()
	r.setClocks(now)
	return s.update(ctx, r, func(tx *store.Tx) error {
		if err := r.save(tx, now); err != nil {
			return err
		}
		for _, t := range slices.Sorted(maps.Keys(r.att)) {
			if err := r.saveAttempt(tx, r.att[t], now); err != nil {
				return err
			}
		}
		return s.event(tx, r, ticket, ev, proctor, 0, now)
	})
}

// openAttempt returns a candidate's exam that has begun and is not
// submitted; a submitted one comes with an error wrapping ErrSubmitted.
func (r *room) openAttempt(ticket string) (*attempt, error) {
	a, ok := r.att[ticket]
	if !ok {
		return nil, inputf("ticket %q has not begun the exam", ticket)
	}
	if !a.st.Submitted.IsZero() {
		return a, fmt.Errorf("ticket %s: %w", ticket, ErrSubmitted)
	}
	return a, nil
}

// ExtraTime grants minutes of extra time to one candidate (ticket) or the
// whole room (ticket empty).
func (s *Site) ExtraTime(ctx context.Context, sessionID, ticket string, minutes int, proctor string) error {
	if minutes < 1 || minutes > MaxExtraMinutes {
		return inputf("extra time of %d minutes is not 1 to %d", minutes, MaxExtraMinutes)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := s.proctorRoom(ctx, sessionID, proctor)
	if err != nil {
		return err
	}
	extra := int64(minutes) * time.Minute.Milliseconds()
	var a *attempt
	if ticket == "" {
		r.st.ExtraMS += extra
	} else {
		if a, err = r.openAttempt(ticket); err != nil {
			return err
		}
		a.st.ExtraMS += extra
	}
	now := s.now()
	return s.update(ctx, r, func(tx *store.Tx) error {
		if a != nil {
			if err := r.saveAttempt(tx, a, now); err != nil {
				return err
			}
		} else if err := r.save(tx, now); err != nil {
			return err
		}
		return s.event(tx, r, ticket, wire.EventExtraTime, proctor, minutes, now)
	})
}

// ForceSubmit submits a candidate's paper on a proctor's decision.
func (s *Site) ForceSubmit(ctx context.Context, sessionID, ticket, proctor string) (Submission, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := s.proctorRoom(ctx, sessionID, proctor)
	if err != nil {
		return Submission{}, err
	}
	a, err := r.openAttempt(ticket)
	if errors.Is(err, ErrSubmitted) {
		return submissionOf(r, a), err
	}
	if err != nil {
		return Submission{}, err
	}
	now := s.now()
	var sub Submission
	err = s.update(ctx, r, func(tx *store.Tx) error {
		if err := s.event(tx, r, ticket, wire.EventForceSubmit, proctor, 0, now); err != nil {
			return err
		}
		sub, err = s.submit(tx, r, a, now, true)
		return err
	})
	return sub, err
}

// End ends the session: every paper not yet submitted is submitted (forced)
// and the clocks stop. Examiners may still score practical items after.
func (s *Site) End(ctx context.Context, sessionID, proctor string) ([]Submission, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := s.proctorRoom(ctx, sessionID, proctor)
	if err != nil {
		return nil, err
	}
	now := s.now()
	var subs []Submission
	err = s.update(ctx, r, func(tx *store.Tx) error {
		subs = subs[:0]
		for _, t := range slices.Sorted(maps.Keys(r.att)) {
			if a := r.att[t]; a.st.Submitted.IsZero() {
				sub, err := s.submit(tx, r, a, now, true)
				if err != nil {
					return err
				}
				subs = append(subs, sub)
			}
		}
		r.st.Ended = now.Round(0)
		r.setClocks(now)
		if err := r.save(tx, now); err != nil {
			return err
		}
		return s.event(tx, r, "", wire.EventEnd, proctor, 0, now)
	})
	if err != nil {
		return nil, err
	}
	s.log.Info("session ended", "session", sessionID, "forced", len(subs))
	return subs, nil
}

// Incident notes something that happened: a type (such as "identity",
// "misconduct", "device"), a candidate or the whole room (ticket empty),
// and a note, stored sealed and recorded for central.
func (s *Site) Incident(ctx context.Context, sessionID, ticket, typ, note string) error {
	typ, note = strings.TrimSpace(typ), strings.TrimSpace(note)
	if typ == "" || !plain(typ, 32) {
		return inputf("incident type is empty, too long or has control characters")
	}
	if note == "" || !utf8.ValidString(note) || utf8.RuneCountInString(note) > maxNoteChars {
		return inputf("incident note is empty or longer than %d characters", maxNoteChars)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := s.room(ctx, sessionID)
	if err != nil {
		return err
	}
	if _, ok := r.roster[ticket]; ticket != "" && !ok {
		return inputf("ticket %q is not on the roster of session %s", ticket, sessionID)
	}
	now := s.now()
	return s.update(ctx, r, func(tx *store.Tx) error { return s.incident(tx, r, ticket, typ, note, now) })
}

// Incidents returns the session's incidents in order.
func (s *Site) Incidents(ctx context.Context, sessionID string) ([]store.Incident, error) {
	var out []store.Incident
	err := s.st.View(ctx, func(tx *store.Tx) error {
		var err error
		out, err = tx.Incidents(sessionID)
		return err
	})
	return out, err
}

// ScorePractical stores an examiner's marks for a candidate's practical
// item, one per rubric criterion in rubric order, each between 0 and the
// criterion's points, and records them. Scoring again replaces the marks.
func (s *Site) ScorePractical(ctx context.Context, sessionID, ticket, itemID string, marks []float64, examiner string) error {
	if strings.TrimSpace(examiner) == "" || !plain(examiner, 64) {
		return inputf("the examiner's name is empty, too long or has control characters")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := s.room(ctx, sessionID)
	if err != nil {
		return err
	}
	if r.paper == nil {
		return fmt.Errorf("session %s: %w", sessionID, ErrNotReleased)
	}
	if _, ok := r.roster[ticket]; !ok {
		return inputf("ticket %q is not on the roster of session %s", ticket, sessionID)
	}
	it, ok := r.paper.Item(itemID)
	switch {
	case !ok:
		return inputf("item %q is not in paper %s", itemID, r.paper.ID)
	case it.Type != exam.Practical:
		return inputf("item %s is a %s item; examiners score practical items", itemID, it.Type)
	}
	if err := it.CheckMarks(marks); err != nil {
		return fmt.Errorf("%w: %w", ErrInput, err)
	}
	now := s.now()
	return s.update(ctx, r, func(tx *store.Tx) error {
		ci, err := tx.CheckIn(sessionID, ticket)
		if err != nil {
			return err
		}
		if !ci.Status.CheckedIn() {
			return fmt.Errorf("ticket %s: %w", ticket, ErrNotCheckedIn)
		}
		if err := tx.PutMarks(sessionID, ticket, store.Marks{ItemID: itemID, Values: slices.Clone(marks), Examiner: examiner, Saved: now}); err != nil {
			return err
		}
		rec := wire.PracticalScore{SessionID: sessionID, Ticket: ticket, ItemID: itemID, Marks: slices.Clone(marks), Examiner: examiner, Clock: s.stamp(r, now)}
		_, err = s.queue(tx, wire.KindPractical, sessionID, rec, now)
		return err
	})
}

// Marks returns the practical marks given to a candidate, by item id.
func (s *Site) Marks(ctx context.Context, sessionID, ticket string) (exam.Marks, error) {
	out := exam.Marks{}
	err := s.st.View(ctx, func(tx *store.Tx) error {
		m, err := tx.Marks(sessionID, ticket)
		for id, v := range m {
			out[id] = v.Values
		}
		return err
	})
	return out, err
}

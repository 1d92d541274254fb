package site

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	gosync "sync"
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
	// MaxReasonChars is the longest reason a proctor gives for a pause,
	// extra time or a forced submission.
	MaxReasonChars = 200
)

// checkReason checks the reason a proctor gives for an action on a
// candidate's time or paper: required, one line, at most MaxReasonChars.
func checkReason(reason string) (string, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" || !plain(reason, MaxReasonChars) {
		return "", inputf("reason", "the reason is empty, longer than %d characters or has control characters", MaxReasonChars)
	}
	return reason, nil
}

// checkProctor checks a proctor's name: not empty, one line, at most 64
// characters.
func checkProctor(proctor string) error {
	if strings.TrimSpace(proctor) == "" || !plain(proctor, 64) {
		return inputf("proctor_name", "the proctor's name is empty, too long or has control characters")
	}
	return nil
}

// proctorRoom returns a started, unended room with s.mu held.
func (s *Site) proctorRoom(ctx context.Context, sessionID, proctor string) (*room, error) {
	if err := checkProctor(proctor); err != nil {
		return nil, err
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
func (s *Site) event(tx *store.Tx, r *room, ticket, ev, proctor string, extra int, reason string, now time.Time) error {
	_, err := s.queue(tx, wire.KindEvent, r.id, wire.Event{SessionID: r.id, Ticket: ticket, Event: ev, ExtraMinutes: extra, Proctor: proctor, Reason: reason, Clock: s.stamp(r, now)}, now)
	return err
}

// StartRoom starts the room: the actual start, from which durations and the
// late limit count. It needs the paper released; the planned start is only
// the plan.
func (s *Site) StartRoom(ctx context.Context, sessionID, proctor string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if strings.TrimSpace(proctor) == "" || !plain(proctor, 64) {
		return inputf("proctor_name", "the proctor's name is empty, too long or has control characters")
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
// empty), for the reason the proctor gives (required; it goes into the
// record); paused candidates cannot change answers.
func (s *Site) Pause(ctx context.Context, sessionID, ticket, proctor, reason string) error {
	reason, err := checkReason(reason)
	if err != nil {
		return err
	}
	return s.pauseResume(ctx, sessionID, ticket, proctor, reason, true)
}

// Resume resumes what Pause paused.
func (s *Site) Resume(ctx context.Context, sessionID, ticket, proctor string) error {
	return s.pauseResume(ctx, sessionID, ticket, proctor, "", false)
}

func (s *Site) pauseResume(ctx context.Context, sessionID, ticket, proctor, reason string, pause bool) error {
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
			if pause {
				return inputf("room_paused", "the room is paused already")
			}
			return inputf("room_running", "the room is running already")
		}
		r.st.Paused = pause
	} else {
		if a, err = r.openAttempt(ticket); err != nil {
			return err
		}
		if a.st.Paused == pause {
			if pause {
				return inputf("ticket_paused", "ticket %s is paused already", ticket)
			}
			return inputf("ticket_running", "ticket %s is running already", ticket)
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
		return s.event(tx, r, ticket, ev, proctor, 0, reason, now)
	})
}

// openAttempt returns a candidate's exam that has begun and is not
// submitted; a submitted one comes with an error wrapping ErrSubmitted.
func (r *room) openAttempt(ticket string) (*attempt, error) {
	a, ok := r.att[ticket]
	if !ok {
		return nil, inputf("not_begun", "ticket %q has not begun the exam", ticket)
	}
	if !a.st.Submitted.IsZero() {
		return a, fmt.Errorf("ticket %s: %w", ticket, ErrSubmitted)
	}
	return a, nil
}

// ExtraTime grants minutes of extra time to one candidate (ticket) or the
// whole room (ticket empty), for the reason the proctor gives (required).
func (s *Site) ExtraTime(ctx context.Context, sessionID, ticket string, minutes int, proctor, reason string) error {
	if minutes < 1 || minutes > MaxExtraMinutes {
		return inputf("extra_range", "extra time of %d minutes is not 1 to %d", minutes, MaxExtraMinutes)
	}
	reason, err := checkReason(reason)
	if err != nil {
		return err
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
		return s.event(tx, r, ticket, wire.EventExtraTime, proctor, minutes, reason, now)
	})
}

// ForceSubmit submits a candidate's paper on a proctor's decision, for the
// reason the proctor gives (required): the submission and its event carry it.
func (s *Site) ForceSubmit(ctx context.Context, sessionID, ticket, proctor, reason string) (Submission, error) {
	reason, err := checkReason(reason)
	if err != nil {
		return Submission{}, err
	}
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
		if err := s.event(tx, r, ticket, wire.EventForceSubmit, proctor, 0, reason, now); err != nil {
			return err
		}
		sub, err = s.submitAs(tx, r, a, now, forcing{by: wire.ForcedByProctor, reason: reason})
		return err
	})
	return sub, err
}

// End ends the session: every paper not yet submitted is submitted (forced,
// wire.ForcedRoomEnded) and the clocks stop. A candidate checked in who never
// began has no paper to submit: the end is recorded for each such candidate
// with an "end" session-event naming the ticket (exam.EndedUnsubmitted),
// after the room's own. Examiners may still score practical items after.
func (s *Site) End(ctx context.Context, sessionID, proctor string) ([]Submission, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := s.proctorRoom(ctx, sessionID, proctor)
	if err != nil {
		return nil, err
	}
	cands, err := s.candidates(ctx, r)
	if err != nil {
		return nil, err
	}
	now := s.now()
	var subs []Submission
	unbegun := 0
	err = s.update(ctx, r, func(tx *store.Tx) error {
		subs, unbegun = subs[:0], 0
		for _, t := range slices.Sorted(maps.Keys(r.att)) {
			if a := r.att[t]; a.st.Submitted.IsZero() {
				sub, err := s.submitAs(tx, r, a, now, forcing{by: wire.ForcedRoomEnded})
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
		if err := s.event(tx, r, "", wire.EventEnd, proctor, 0, "", now); err != nil {
			return err
		}
		for _, c := range cands {
			if exam.StandingOf(c.Status, c.Begun, c.Submitted, true) == exam.EndedUnsubmitted {
				if err := s.event(tx, r, c.Ticket, wire.EventEnd, proctor, 0, "", now); err != nil {
					return err
				}
				unbegun++
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.log.Info("session ended", "session", sessionID, "forced", len(subs), "never_began", unbegun)
	return subs, nil
}

// EndSummary is what the proctor is told before ending a room.
type EndSummary struct {
	Left      time.Duration // the room's time left (its duration and room-wide extra time, less the time run)
	Answering int           // candidates who began and have not submitted: their papers will be forced
	Waiting   int           // checked in and not begun: they will end without submission
	Submitted int
}

// BeforeEnd says what ending the room now would do.
func (s *Site) BeforeEnd(ctx context.Context, sessionID string) (EndSummary, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := s.room(ctx, sessionID)
	if err != nil {
		return EndSummary{}, err
	}
	cands, err := s.candidates(ctx, r)
	if err != nil {
		return EndSummary{}, err
	}
	now := s.now()
	sum := EndSummary{Left: exam.Remaining(r.duration(), time.Duration(r.st.ExtraMS)*time.Millisecond, r.clock.Elapsed(now))}
	for _, c := range cands {
		switch exam.StandingOf(c.Status, c.Begun, c.Submitted, r.ended()) {
		case exam.Answering:
			sum.Answering++
			if a := r.att[c.Ticket]; a != nil {
				sum.Left = max(sum.Left, r.remaining(a, now))
			}
		case exam.Waiting:
			sum.Waiting++
		case exam.Submitted:
			sum.Submitted++
		}
	}
	return sum, nil
}

// Incident notes something that happened: a type (such as "identity",
// "misconduct", "device"), a candidate or the whole room (ticket empty),
// and a note, stored sealed and recorded for central.
func (s *Site) Incident(ctx context.Context, sessionID, ticket, typ, note string) error {
	typ, note = strings.TrimSpace(typ), strings.TrimSpace(note)
	if typ == "" || !plain(typ, 32) {
		return inputf("incident_type", "incident type is empty, too long or has control characters")
	}
	if note == "" || !utf8.ValidString(note) || utf8.RuneCountInString(note) > maxNoteChars {
		return inputf("incident_note", "incident note is empty or longer than %d characters", maxNoteChars)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := s.room(ctx, sessionID)
	if err != nil {
		return err
	}
	if _, ok := r.roster[ticket]; ticket != "" && !ok {
		return inputf("not_on_roster", "ticket %q is not on the roster of session %s", ticket, sessionID)
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
		return inputf("examiner_name", "the examiner's name is empty, too long or has control characters")
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
		return inputf("not_on_roster", "ticket %q is not on the roster of session %s", ticket, sessionID)
	}
	it, ok := r.paper.Item(itemID)
	switch {
	case !ok:
		return inputf("item_not_in_paper", "item %q is not in paper %s", itemID, r.paper.ID)
	case it.Type != exam.Practical:
		return inputf("not_practical", "item %s is a %s item; examiners score practical items", itemID, it.Type)
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

// VerifyPassphrase tells whether passphrase is the site's (ErrWrongPassphrase
// if not), without reopening the store; it costs the passphrase's argon2id.
func (s *Site) VerifyPassphrase(ctx context.Context, passphrase string) error {
	return s.st.VerifyPassphrase(ctx, passphrase)
}

// The staff PIN: what a proctor sets before the first candidate window of a
// run, and what closes candidate windows, unlocks the station while they are
// open and quits the app with candidates at work. The site passphrase does
// the same.
const (
	MinPIN       = 4 // the least number of characters of a PIN
	maxPIN       = 64
	PINFreeTries = 3 // wrong tries in a row before the waits begin
	pinWaitBase  = 30 * time.Second
	pinWaitMax   = 15 * time.Minute
)

// ErrWrongPIN: neither the staff PIN nor the site passphrase; see *PINError.
var ErrWrongPIN = errors.New("neither the staff PIN nor the site passphrase")

// PINError is a refused PIN: the wrong tries in a row so far and, once past
// PINFreeTries, the time before which no try is taken.
type PINError struct {
	Failures int
	Until    time.Time // zero while tries are free
}

func (e *PINError) Error() string {
	if e.Until.IsZero() {
		return fmt.Sprintf("%v (%d of %d free tries used)", ErrWrongPIN, e.Failures, PINFreeTries)
	}
	return fmt.Sprintf("%v (%d wrong tries); the next try is taken from %s", ErrWrongPIN, e.Failures, e.Until.Local().Format(time.TimeOnly))
}

// Unwrap makes errors.Is(err, ErrWrongPIN) true.
func (e *PINError) Unwrap() error { return ErrWrongPIN }

// TriesLeft is how many tries remain before the waits begin.
func (e *PINError) TriesLeft() int { return max(0, PINFreeTries-e.Failures) }

// PINWait is the wait after failures wrong tries in a row: none for the first
// PINFreeTries, then 30 s, doubling with each further failure, at most 15
// minutes.
func PINWait(failures int) time.Duration {
	n := failures - PINFreeTries
	if n < 1 {
		return 0
	}
	return min(pinWaitBase<<min(n-1, 16), pinWaitMax)
}

// StaffLock checks the staff PIN (or the site passphrase) and counts wrong
// tries: after PINFreeTries wrong ones in a row each further try waits
// PINWait, and a try during a wait is refused unread. The right PIN or
// passphrase resets the count. Its state lives as long as the app runs.
type StaffLock struct {
	now        func() time.Time
	passphrase func(ctx context.Context, passphrase string) error

	mu       gosync.Mutex
	pin      [sha256.Size]byte
	set      bool
	failures int
	until    time.Time
}

// NewStaffLock makes a staff lock with no PIN yet; passphrase, if not nil,
// checks the site passphrase (Site.VerifyPassphrase); now is the clock (nil:
// time.Now).
func NewStaffLock(now func() time.Time, passphrase func(ctx context.Context, passphrase string) error) *StaffLock {
	if now == nil {
		now = time.Now
	}
	return &StaffLock{now: now, passphrase: passphrase}
}

// CheckPIN tells whether pin may be a staff PIN: MinPIN to 64 characters,
// one line, not only spaces.
func CheckPIN(pin string) error {
	if n := utf8.RuneCountInString(strings.TrimSpace(pin)); n < MinPIN || !plain(pin, maxPIN) {
		return inputf("pin_length", "a PIN has %d to %d characters on one line", MinPIN, maxPIN)
	}
	return nil
}

// SetPIN sets the PIN, once per run: a set PIN is changed only by a
// check that passes with the old one.
func (l *StaffLock) SetPIN(pin string) error {
	if err := CheckPIN(pin); err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.set {
		return inputf("pin_set", "the PIN is set already")
	}
	l.pin, l.set = sha256.Sum256([]byte(pin)), true
	return nil
}

// HasPIN reports whether the PIN is set.
func (l *StaffLock) HasPIN() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.set
}

// Check takes the PIN or the site passphrase: nil if it is either, else a
// *PINError. During a wait nothing is read.
func (l *StaffLock) Check(ctx context.Context, secret string) error {
	l.mu.Lock()
	now := l.now()
	if now.Before(l.until) {
		defer l.mu.Unlock()
		return &PINError{Failures: l.failures, Until: l.until}
	}
	sum := sha256.Sum256([]byte(secret))
	ok := l.set && subtle.ConstantTimeCompare(sum[:], l.pin[:]) == 1
	l.mu.Unlock()
	// The passphrase's argon2id takes a moment: not under the lock, and
	// only for what could be a passphrase.
	if !ok && l.passphrase != nil && utf8.RuneCountInString(secret) >= MinPassphrase {
		ok = l.passphrase(ctx, secret) == nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if ok {
		l.failures, l.until = 0, time.Time{}
		return nil
	}
	l.failures++
	e := &PINError{Failures: l.failures}
	if w := PINWait(l.failures); w > 0 {
		l.until = l.now().Add(w)
		e.Until = l.until
	}
	return e
}

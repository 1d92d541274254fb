package site

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"onex/client/store"
	"onex/exam"
	"onex/exam/seal"
	wire "onex/sync"
)

// Exam is one candidate's exam: what the terminal screens drive.
type Exam struct {
	s         *Site
	sessionID string
	ticket    string
}

// Begin opens a candidate's exam, beginning it on first call and resuming
// it after. The room must have started and the candidate be checked in
// present or late. The candidate's time counts from the room's actual start:
// one who begins late has lost the time.
func (s *Site) Begin(ctx context.Context, sessionID, ticket string) (*Exam, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := s.room(ctx, sessionID)
	if err != nil {
		return nil, err
	}
	if err := s.begin(ctx, r, ticket); err != nil {
		return nil, err
	}
	return &Exam{s: s, sessionID: sessionID, ticket: ticket}, nil
}

// begin begins a candidate's exam in room r if it has not begun; the
// caller holds s.mu.
func (s *Site) begin(ctx context.Context, r *room, ticket string) error {
	if _, ok := r.att[ticket]; ok {
		return nil
	}
	if _, ok := r.roster[ticket]; !ok {
		return inputf("not_on_roster", "ticket %q is not on the roster of session %s", ticket, r.id)
	}
	switch {
	case r.paper == nil:
		return fmt.Errorf("session %s: %w", r.id, ErrNotReleased)
	case !r.started():
		return fmt.Errorf("session %s: %w", r.id, ErrNotStarted)
	case r.ended():
		return fmt.Errorf("session %s: %w", r.id, ErrEnded)
	}
	var ci store.CheckIn
	if err := s.st.View(ctx, func(tx *store.Tx) error {
		var err error
		ci, err = tx.CheckIn(r.id, ticket)
		return err
	}); err != nil {
		return err
	}
	if !ci.Status.CheckedIn() {
		return fmt.Errorf("ticket %s: %w", ticket, ErrNotCheckedIn)
	}
	now := s.now()
	a := newAttempt(ticket)
	a.st.Begun = now
	// The time the room has run is time this candidate has used.
	a.clock, _ = exam.Restore(r.clock.Elapsed(now), false, time.Time{}, now)
	r.att[ticket] = a
	r.setClocks(now)
	return s.update(ctx, r, func(tx *store.Tx) error { return r.saveAttempt(tx, a, now) })
}

// SessionID is the exam's session.
func (e *Exam) SessionID() string { return e.sessionID }

// Ticket is the candidate's ticket.
func (e *Exam) Ticket() string { return e.ticket }

// lock returns the room and the candidate's attempt with s.mu held; the
// caller unlocks.
func (e *Exam) lock(ctx context.Context) (*room, *attempt, error) {
	e.s.mu.Lock()
	r, err := e.s.room(ctx, e.sessionID)
	if err != nil {
		e.s.mu.Unlock()
		return nil, nil, err
	}
	a, ok := r.att[e.ticket]
	if !ok || r.paper == nil {
		e.s.mu.Unlock()
		return nil, nil, fmt.Errorf("exam of ticket %s: %w", e.ticket, ErrNotStarted)
	}
	return r, a, nil
}

// View returns the candidate's paper with the answers saved so far.
func (e *Exam) View(ctx context.Context) (*exam.View, error) {
	r, a, err := e.lock(ctx)
	if err != nil {
		return nil, err
	}
	defer e.s.mu.Unlock()
	var answers map[string]store.Answer
	if err := e.s.st.View(ctx, func(tx *store.Tx) error {
		answers, err = tx.Answers(e.sessionID, e.ticket)
		return err
	}); err != nil {
		return nil, err
	}
	now := e.s.now()
	v := &exam.View{SessionID: e.sessionID, Ticket: e.ticket, Title: r.paper.Title, Instructions: r.paper.Instructions,
		Remaining: r.remaining(a, now), Paused: a.st.Paused || r.st.Paused, Submitted: !a.st.Submitted.IsZero(),
		Forced: a.st.Forced, ReceiptCode: a.st.ReceiptCode}
	n := 0
	for _, ps := range r.paper.Present(e.sessionID, e.ticket).Sections {
		vs := exam.ViewSection{Title: ps.Title}
		for _, pi := range ps.Items {
			it, _ := r.paper.Item(pi.ItemID)
			n++
			vi := exam.ViewItem{ID: it.ID, Number: n, Type: it.Type, Points: it.Points, Stem: it.Stem, MaxChars: it.MaxChars,
				Rubric: it.Rubric, Examiner: it.Type == exam.Practical, Flagged: a.flags[it.ID],
				MaxFiles: it.MaxFiles, MaxBytes: it.MaxBytes, Extensions: it.Extensions}
			for _, oid := range pi.Options {
				i := slices.IndexFunc(it.Options, func(o exam.Option) bool { return o.ID == oid })
				vi.Options = append(vi.Options, it.Options[i])
			}
			if ans, ok := answers[it.ID]; ok {
				vi.Answer, vi.Answered = ans.Value, ans.Value.Answered()
			}
			vs.Items = append(vs.Items, vi)
		}
		v.Sections = append(v.Sections, vs)
	}
	return v, nil
}

// Remaining is the candidate's time left.
func (e *Exam) Remaining(ctx context.Context) (time.Duration, error) {
	r, a, err := e.lock(ctx)
	if err != nil {
		return 0, err
	}
	defer e.s.mu.Unlock()
	return r.remaining(a, e.s.now()), nil
}

// Save stores the candidate's answer to one item; it returns only after the
// answer is committed durably, with its record for central when one is due
// (see Config.SnapshotEvery). An empty answer clears the item. Once the time
// is up the paper is submitted and Save returns ErrTimeUp.
func (e *Exam) Save(ctx context.Context, itemID string, ans exam.Answer) error {
	return e.change(ctx, itemID, setAnswer(ans))
}

// Flag marks or unmarks an item for review; the flag is saved like an answer.
func (e *Exam) Flag(ctx context.Context, itemID string, flagged bool) error {
	return e.change(ctx, itemID, setFlag(flagged))
}

// itemChange is one change to an item's saved answer: it gets the item, the
// answer saved before (read on demand) and the row to write, and reports
// whether the answer itself changed (and so may need a record).
type itemChange func(it exam.Item, prev func() (exam.Answer, error), cur *store.Answer) (bool, error)

// setAnswer makes ans the item's answer, if the item takes it (ErrInput).
func setAnswer(ans exam.Answer) itemChange {
	return func(it exam.Item, _ func() (exam.Answer, error), cur *store.Answer) (bool, error) {
		a, err := it.CheckAnswer(ans)
		if err != nil {
			return false, fmt.Errorf("%w: %w", ErrInput, err)
		}
		cur.Value = a
		return true, nil
	}
}

// setFlag sets the item's review flag, keeping its answer.
func setFlag(flagged bool) itemChange {
	return func(_ exam.Item, prev func() (exam.Answer, error), cur *store.Answer) (bool, error) {
		v, err := prev()
		cur.Value, cur.Flagged = v, flagged
		return false, err
	}
}

// change applies one change to an item's saved answer in one transaction.
func (e *Exam) change(ctx context.Context, itemID string, fn itemChange) error {
	return e.onItem(ctx, itemID, func(tx *store.Tx, r *room, a *attempt, it exam.Item, now time.Time) error {
		return e.s.changeItem(tx, r, a, it, fn, now)
	})
}

// onItem runs do on an item of the candidate's paper in one transaction,
// when the paper takes changes.
func (e *Exam) onItem(ctx context.Context, itemID string, do func(tx *store.Tx, r *room, a *attempt, it exam.Item, now time.Time) error) error {
	r, a, err := e.lock(ctx)
	if err != nil {
		return err
	}
	s := e.s
	defer s.mu.Unlock()
	now := s.now()
	if err := e.writable(ctx, r, a, now); err != nil {
		return err
	}
	it, ok := r.paper.Item(itemID)
	if !ok {
		return inputf("item_not_in_paper", "item %q is not in paper %s", itemID, r.paper.ID)
	}
	return s.update(ctx, r, func(tx *store.Tx) error { return do(tx, r, a, it, now) })
}

// changeItem applies fn to item it of a candidate's paper in tx: the row,
// the clock's checkpoint when due, and the answer-snapshot record when due.
// Memory follows at once: if tx does not commit, s.update drops the room and
// it is read again from the store.
func (s *Site) changeItem(tx *store.Tx, r *room, a *attempt, it exam.Item, fn itemChange, now time.Time) error {
	cur := store.Answer{ItemID: it.ID, Flagged: a.flags[it.ID], Rev: a.revs[it.ID] + 1, Saved: now}
	prev := func() (exam.Answer, error) {
		if a.revs[it.ID] == 0 {
			return exam.Answer{}, nil
		}
		p, err := tx.Answer(r.id, a.ticket, it.ID)
		return p.Value, err
	}
	answered, err := fn(it, prev, &cur)
	if err != nil {
		return err
	}
	if err := tx.PutAnswer(r.id, a.ticket, cur); err != nil {
		return err
	}
	// The clock's checkpoint need not be fresh: a restart counts the
	// time since the last one anyway.
	if now.Sub(a.st.Clock.Checkpoint) >= s.cfg.CheckpointEvery {
		if err := r.saveAttempt(tx, a, now); err != nil {
			return err
		}
	}
	if answered && (s.cfg.SnapshotEvery < 0 || now.Sub(a.snaps[it.ID]) >= s.cfg.SnapshotEvery) {
		rec := wire.AnswerSnapshot{SessionID: r.id, Ticket: a.ticket, ItemID: it.ID, Answer: cur.Value, Clock: s.stamp(r, now)}
		if _, err := s.queue(tx, wire.KindAnswer, r.id, rec, now); err != nil {
			return err
		}
		a.snaps[it.ID] = now
	}
	a.revs[it.ID], a.flags[it.ID], a.answered[it.ID] = cur.Rev, cur.Flagged, cur.Value.Answered()
	return nil
}

// refusal says why a candidate's paper takes no change now: it is
// submitted (ErrSubmitted), the session ended (ErrEnded), it is paused
// (ErrPaused), or the time is up (ErrTimeUp: the caller submits it).
func (r *room) refusal(a *attempt, now time.Time) error {
	switch {
	case !a.st.Submitted.IsZero():
		return fmt.Errorf("ticket %s: %w", a.ticket, ErrSubmitted)
	case r.ended():
		return fmt.Errorf("session %s: %w", r.id, ErrEnded)
	case a.st.Paused || r.st.Paused:
		return fmt.Errorf("ticket %s: %w", a.ticket, ErrPaused)
	case r.remaining(a, now) <= 0:
		return fmt.Errorf("ticket %s: %w", a.ticket, ErrTimeUp)
	}
	return nil
}

// writable refuses a change to a paper that is submitted, paused or out of
// time; at time-out it submits the paper first.
func (e *Exam) writable(ctx context.Context, r *room, a *attempt, now time.Time) error {
	err := r.refusal(a, now)
	if !errors.Is(err, ErrTimeUp) {
		return err
	}
	if err := e.s.update(ctx, r, func(tx *store.Tx) error {
		_, err := e.s.submit(tx, r, a, now, true)
		return err
	}); err != nil {
		return err
	}
	return fmt.Errorf("%w: the paper was submitted", err)
}

// Submission is a submitted paper: what the candidate is shown.
type Submission struct {
	SessionID   string    `json:"session_id"`
	Ticket      string    `json:"ticket"`
	ReceiptCode string    `json:"receipt_code"` // checkable on central's public pages
	RecordID    string    `json:"record_id"`
	At          time.Time `json:"at"`
	Forced      bool      `json:"forced,omitempty"`
}

// Submit submits the candidate's paper and returns the receipt code.
// Submitting again returns the first submission.
func (e *Exam) Submit(ctx context.Context) (Submission, error) {
	r, a, err := e.lock(ctx)
	if err != nil {
		return Submission{}, err
	}
	defer e.s.mu.Unlock()
	if !a.st.Submitted.IsZero() {
		return submissionOf(r, a), nil
	}
	now := e.s.now()
	var sub Submission
	err = e.s.update(ctx, r, func(tx *store.Tx) error {
		sub, err = e.s.submit(tx, r, a, now, r.remaining(a, now) <= 0)
		return err
	})
	return sub, err
}

func submissionOf(r *room, a *attempt) Submission {
	return Submission{SessionID: r.id, Ticket: a.ticket, ReceiptCode: a.st.ReceiptCode, RecordID: a.st.RecordID,
		At: a.st.Submitted, Forced: a.st.Forced}
}

// forcing is why a paper is submitted for its candidate: by (a wire.Forced…
// value) and the proctor's reason; the zero forcing is the candidate's own
// submission.
type forcing struct{ by, reason string }

// submit stops a candidate's clock and queues the submission with every
// saved answer, in tx: the candidate's own, or forced by the time running
// out.
func (s *Site) submit(tx *store.Tx, r *room, a *attempt, now time.Time, timeOut bool) (Submission, error) {
	var why forcing
	if timeOut {
		why.by = wire.ForcedTimeOut
	}
	return s.submitAs(tx, r, a, now, why)
}

// submitAs is submit for any reason.
func (s *Site) submitAs(tx *store.Tx, r *room, a *attempt, now time.Time, why forcing) (Submission, error) {
	forced := why.by != ""
	saved, err := tx.Answers(r.id, a.ticket)
	if err != nil {
		return Submission{}, err
	}
	answers := make(map[string]exam.Answer, len(saved))
	for id, ans := range saved {
		if ans.Value.Answered() {
			answers[id] = ans.Value
		}
	}
	rec := wire.Submission{SessionID: r.id, Ticket: a.ticket, PaperID: r.paper.ID, PaperVersion: r.paper.Version,
		Answers: answers, Forced: forced, ForcedBy: why.by, Reason: why.reason, Clock: s.stamp(r, now)}
	env, err := s.queue(tx, wire.KindSubmission, r.id, rec, now)
	if err != nil {
		return Submission{}, err
	}
	a.clock.Stop(now)
	a.st.Submitted, a.st.Forced = now, forced
	a.st.ReceiptCode, a.st.RecordID, a.st.EnvelopeHash = seal.ReceiptCode(env.Hash), env.Header.RecordID.String(), env.Hash
	if err := r.saveAttempt(tx, a, now); err != nil {
		return Submission{}, err
	}
	return submissionOf(r, a), nil
}

// Answers returns a candidate's saved answers by item id, for examiners and
// rehearsals. Empty answers are left out.
func (s *Site) Answers(ctx context.Context, sessionID, ticket string) (map[string]exam.Answer, error) {
	out := map[string]exam.Answer{}
	err := s.st.View(ctx, func(tx *store.Tx) error {
		saved, err := tx.Answers(sessionID, ticket)
		for id, a := range saved {
			if a.Value.Answered() {
				out[id] = a.Value
			}
		}
		return err
	})
	return out, err
}

// Receipted reports whether central's verified receipt for the candidate's
// submission has come back.
func (s *Site) Receipted(ctx context.Context, sessionID, ticket string) (bool, error) {
	s.mu.Lock()
	r, err := s.room(ctx, sessionID)
	if err != nil {
		s.mu.Unlock()
		return false, err
	}
	a, ok := r.att[ticket]
	s.mu.Unlock()
	if !ok || a.st.Submitted.IsZero() {
		return false, nil
	}
	var got bool
	err = s.st.View(ctx, func(tx *store.Tx) error {
		got, err = tx.HasReceipt(a.st.EnvelopeHash)
		return err
	})
	return got, err
}

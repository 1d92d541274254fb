package site

import (
	"context"
	"errors"
	"fmt"
	"time"

	"onex/client/store"
	"onex/exam"
	"onex/exam/seal"
)

// What the desktop app needs beyond the command line's calls: whether a
// store exists, the passphrase rules, which group of an unlock code is
// mistyped, and the room as the proctor console and seat screen show it.

// MinPassphrase is the least number of characters of a site passphrase.
const MinPassphrase = store.MinPassphrase

var (
	// ErrWrongPassphrase: Open was given a passphrase that does not open the store.
	ErrWrongPassphrase = store.ErrWrongPassphrase
	// ErrStoreInUse: another onex-site process has the store open.
	ErrStoreInUse = store.ErrLocked
)

// Exists reports whether dir holds a site store (enrolled or not).
func Exists(dir string) bool { return store.Exists(dir) }

// CheckPassphrase tells whether a passphrase is acceptable for a new store.
func CheckPassphrase(p string) error { return store.CheckPassphrase(p) }

// CheckFingerprint tells whether text typed as central's fingerprint is one
// (EnrolOptions.Fingerprint): empty, a key fingerprint or a SHA-256.
func CheckFingerprint(s string) error {
	_, err := seal.ParseFingerprint(s)
	return err
}

// MistypedGroup tells whether an error of UnlockWithCode is a mistyped code,
// and which group (1-based) is at fault; group 0 means the code as a whole
// has the wrong number of characters.
func MistypedGroup(err error) (group int, mistyped bool) {
	var ce *seal.CodeError
	if errors.As(err, &ce) {
		return ce.Group, true
	}
	return 0, false
}

// Instructions returns the instructions of a session's paper, once it is
// released; before, ErrNotReleased.
func (s *Site) Instructions(ctx context.Context, sessionID string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := s.room(ctx, sessionID)
	if err != nil {
		return "", err
	}
	if r.paper == nil {
		return "", fmt.Errorf("session %s: %w", sessionID, ErrNotReleased)
	}
	return r.paper.Instructions, nil
}

// PracticalItems returns the practical items of a session's released paper,
// in paper order and numbered in it, with their rubrics, for examiners.
func (s *Site) PracticalItems(ctx context.Context, sessionID string) ([]exam.ViewItem, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := s.room(ctx, sessionID)
	if err != nil {
		return nil, err
	}
	if r.paper == nil {
		return nil, fmt.Errorf("session %s: %w", sessionID, ErrNotReleased)
	}
	var out []exam.ViewItem
	for i, it := range r.paper.Items() {
		if it.Type == exam.Practical {
			out = append(out, exam.ViewItem{ID: it.ID, Number: i + 1, Type: it.Type, Points: it.Points, Stem: it.Stem,
				Rubric: it.Rubric, Examiner: true})
		}
	}
	return out, nil
}

// SeatState is a candidate as the proctor console shows it.
type SeatState struct {
	Candidate
	Paused    bool          // by a proctor, for the candidate or the room
	Answered  int           // items with a saved answer
	Items     int           // items the candidate answers (practical ones are the examiner's)
	Remaining time.Duration // the candidate's time left; for one not begun, the room's
	Extra     time.Duration // extra time given: the room's and the candidate's own
}

// Seats returns every candidate of the session's roster with the state of
// their exam, by ticket.
func (s *Site) Seats(ctx context.Context, sessionID string) ([]SeatState, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := s.room(ctx, sessionID)
	if err != nil {
		return nil, err
	}
	cands, err := s.candidates(ctx, r)
	if err != nil {
		return nil, err
	}
	items := 0
	if r.paper != nil {
		for _, it := range r.paper.Items() {
			if it.Type != exam.Practical {
				items++
			}
		}
	}
	now := s.now()
	roomLeft := exam.Remaining(r.duration(), time.Duration(r.st.ExtraMS)*time.Millisecond, r.clock.Elapsed(now))
	out := make([]SeatState, len(cands))
	err = s.st.View(ctx, func(tx *store.Tx) error {
		for i, c := range cands {
			out[i] = SeatState{Candidate: c, Items: items, Remaining: roomLeft, Paused: r.st.Paused, Extra: time.Duration(r.st.ExtraMS) * time.Millisecond}
			a, ok := r.att[c.Ticket]
			if !ok {
				continue
			}
			out[i].Remaining, out[i].Paused = r.remaining(a, now), r.st.Paused || a.st.Paused
			out[i].Extra += time.Duration(a.st.ExtraMS) * time.Millisecond
			answers, err := tx.Answers(r.id, c.Ticket)
			if err != nil {
				return err
			}
			for _, ans := range answers {
				if ans.Value.Answered() {
					out[i].Answered++
				}
			}
		}
		return nil
	})
	return out, err
}

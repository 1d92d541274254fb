package site

import (
	"errors"
	"fmt"
	"time"

	"onex/client/store"
)

// Errors callers decide on. Each is wrapped with what was wrong.
var (
	// ErrInput: what the caller gave is wrong (a ticket not on the roster, an
	// option the item lacks, a seat taken); nothing changed.
	ErrInput = errors.New("invalid input")
	// ErrNotEnrolled: the store has no identity from central yet.
	ErrNotEnrolled = store.ErrNotEnrolled
	// ErrEnrolled: the store is enrolled already.
	ErrEnrolled = errors.New("this site store is enrolled already")
	// ErrNoSession: no package of that session was downloaded.
	ErrNoSession = errors.New("no such session on this site")
	// ErrNotReleased: the session's paper is still sealed.
	ErrNotReleased = errors.New("the paper is not released yet")
	// ErrNotStarted: the room has not started.
	ErrNotStarted = errors.New("the room has not started")
	// ErrStarted: the room has started already.
	ErrStarted = errors.New("the room has started already")
	// ErrEnded: the session has ended.
	ErrEnded = errors.New("the session has ended")
	// ErrNotCheckedIn: the candidate was not checked in present or late.
	ErrNotCheckedIn = errors.New("the candidate is not checked in")
	// ErrSubmitted: the candidate's paper is submitted already.
	ErrSubmitted = errors.New("the paper is submitted already")
	// ErrTimeUp: the candidate's time is up; the paper was submitted.
	ErrTimeUp = errors.New("time is up")
	// ErrPaused: the candidate's clock is paused.
	ErrPaused = errors.New("the exam is paused")
	// ErrWrongCode: the unlock code passed its check characters but does not
	// open this session's paper (a wrong code, or a code of another session).
	ErrWrongCode = errors.New("the unlock code does not open this session's paper")
	// ErrLocked: too many wrong unlock codes; see *LockedError.
	ErrLocked = errors.New("unlocking is locked after wrong codes")
	// ErrLateLimit: a late candidate came after the late limit; see *LateError.
	ErrLateLimit = errors.New("past the late limit")
	// ErrNotLate: a candidate marked late before the scheduled start, with
	// the room not started; see *NotLateError.
	ErrNotLate = errors.New("nobody is late before the scheduled start")
	// ErrTooEarly: central refuses the release before its time; see *TooEarlyError.
	ErrTooEarly = errors.New("too early: central releases the paper later")
	// ErrBadPackage: a package from central failed its checks and was not stored.
	ErrBadPackage = errors.New("package refused")
)

// Beijing is China Standard Time (UTC+8; China has kept no daylight saving
// since 1991), central's time (server.CST): every time the site shows, on
// screen and in its errors, is Beijing time, whatever the machine's zone.
// A fixed zone needs no zoneinfo on the machine.
var Beijing = time.FixedZone("CST", 8*60*60)

// InputError is input refused (errors.Is ErrInput): Key names the message
// for the screens, which show it in the user's language (client/ui's
// translation "input.Key", its values {{.V0}}, {{.V1}}… being Values in
// order); Error is the English for logs and the command line.
type InputError struct {
	Key    string
	Values []any
	text   string
}

func (e *InputError) Error() string { return ErrInput.Error() + ": " + e.text }

// Unwrap makes errors.Is(err, ErrInput) true.
func (e *InputError) Unwrap() error { return ErrInput }

// inputf is an InputError with the message key and its English.
func inputf(key, format string, values ...any) error {
	return &InputError{Key: key, Values: values, text: fmt.Sprintf(format, values...)}
}

// TooEarlyError is central's refusal to release a paper before its time.
type TooEarlyError struct {
	SessionID string
	ReleaseAt time.Time     // by central's clock
	Remaining time.Duration // by central's clock
}

func (e *TooEarlyError) Error() string {
	return fmt.Sprintf("session %s: central releases the paper at %s, in %s", e.SessionID, e.ReleaseAt.In(Beijing).Format(time.DateTime)+" Beijing time", e.Remaining.Round(time.Second))
}

// Unwrap makes errors.Is(err, ErrTooEarly) true.
func (e *TooEarlyError) Unwrap() error { return ErrTooEarly }

// LockedError says until when unlocking by code is locked.
type LockedError struct {
	SessionID string
	Failures  int
	Until     time.Time
}

func (e *LockedError) Error() string {
	return fmt.Sprintf("session %s: %d wrong unlock codes; unlocking is locked until %s", e.SessionID, e.Failures, e.Until.In(Beijing).Format(time.TimeOnly)+" Beijing time")
}

// Unwrap makes errors.Is(err, ErrLocked) true.
func (e *LockedError) Unwrap() error { return ErrLocked }

// LateError is a late entry refused: the candidate came Since after the
// actual start, and the limit is Limit. A proctor may override it.
type LateError struct {
	Ticket string
	Since  time.Duration
	Limit  time.Duration
}

func (e *LateError) Error() string {
	return fmt.Sprintf("ticket %s: %s after the start, the late limit is %s (a proctor may override)", e.Ticket, e.Since.Round(time.Second), e.Limit)
}

// Unwrap makes errors.Is(err, ErrLateLimit) true.
func (e *LateError) Unwrap() error { return ErrLateLimit }

// NotLateError refuses a late check-in before the session's scheduled start
// (the room not started): the candidate is present.
type NotLateError struct {
	Ticket string
	Start  time.Time // the scheduled start
}

func (e *NotLateError) Error() string {
	return fmt.Sprintf("ticket %s: the session starts at %s; nobody is late before then (mark the candidate present)", e.Ticket, e.Start.In(Beijing).Format(time.DateTime)+" Beijing time")
}

// Unwrap makes errors.Is(err, ErrNotLate) true.
func (e *NotLateError) Unwrap() error { return ErrNotLate }

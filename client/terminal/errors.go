package terminal

import (
	"errors"
	"fmt"
	"net/http"

	"onex/client/room"
	"onex/exam/seal"
	wire "onex/sync"
)

// Errors a caller (the candidate's screens, the command line) decides on.
// The station's refusals arrive as *StationError or *RefusedError, which
// unwrap to these.
var (
	ErrNotPaired     = errors.New("this computer is not paired with a station")
	ErrAlreadyPaired = errors.New("this computer is already paired with a station")
	ErrUnreachable   = errors.New("the station cannot be reached")
	ErrStationProof  = errors.New("the station's answer does not prove it knows the pairing secret")
	ErrPairing       = errors.New("the station refused the pairing code (unknown, used or expired)")
	ErrRevoked       = errors.New("the station has revoked this terminal")
	ErrSeatCode      = errors.New("the ticket and seat code do not match")
	ErrElsewhere     = errors.New("the candidate is signed in on another terminal")
	ErrNotYours      = errors.New("the candidate is not signed in on this terminal")
	ErrNotStarted    = errors.New("the room has not started")
	ErrGap           = errors.New("the station is missing a change before these")
	ErrNotFound      = errors.New("the station has no such candidate in this room's sessions")
	ErrNotSignedIn   = errors.New("no candidate is signed in on this terminal")
	// Refusals of a change, by the exam's rules (the station's, or the
	// terminal's from the station's last word).
	ErrSubmitted = errors.New("the paper is submitted")
	ErrPaused    = errors.New("the exam is paused")
	ErrTimeUp    = errors.New("the candidate's time is up")
	ErrEnded     = errors.New("the session has ended")
	ErrInput     = errors.New("the change is not valid for the paper")
)

// Codes of a refused change (room.ChangeResult.Code) besides room's.
const (
	CodeSubmitted = "submitted"
	CodePaused    = "paused"
	CodeTimeUp    = "time_up"
	CodeEnded     = "ended"
)

// byCode is the error each refusal code stands for.
var byCode = map[string]error{
	room.RefusedPairing: ErrPairing, wire.RefusedRevoked: ErrRevoked, room.RefusedSeatCode: ErrSeatCode,
	room.RefusedElsewhere: ErrElsewhere, room.RefusedNotYours: ErrNotYours, room.RefusedNotStarted: ErrNotStarted,
	room.RefusedGap: ErrGap, wire.RefusedNotFound: ErrNotFound, wire.RefusedInput: ErrInput,
	CodeSubmitted: ErrSubmitted, CodePaused: ErrPaused, CodeTimeUp: ErrTimeUp, CodeEnded: ErrEnded,
}

// StationError is a request the station answered with an error: Status
// and the problem's Code and text. It unwraps to the Err… of its code, and
// to ErrUnreachable for 5xx, 408 and 429 (the station is there but cannot
// serve now).
type StationError struct {
	Path   string
	Status int
	Code   string
	Detail string
}

func (e *StationError) Error() string {
	s := fmt.Sprintf("the station answered %s with %d %s", e.Path, e.Status, http.StatusText(e.Status))
	if e.Code != "" {
		s += " (" + e.Code + ")"
	}
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}

func (e *StationError) Unwrap() error {
	if err, ok := byCode[e.Code]; ok {
		return err
	}
	if e.Status >= 500 || wire.Retryable(e.Status) {
		return ErrUnreachable
	}
	return nil
}

// RefusedError is a change the station committed as refused (the chain
// moved past it; it changed nothing), or one the terminal refused before
// journalling it because the station's last word already rules it out
// (Seq 0). It unwraps to ErrSubmitted, ErrPaused, ErrTimeUp, ErrEnded,
// ErrInput or ErrNotYours.
type RefusedError struct {
	Seq    uint64
	Code   string
	Detail string
}

func (e *RefusedError) Error() string {
	by := "the station"
	if e.Seq == 0 {
		by = "the terminal, by the station's last word,"
	}
	s := fmt.Sprintf("%s refused change %d (%s)", by, e.Seq, e.Code)
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}

func (e *RefusedError) Unwrap() error { return byCode[e.Code] }

// PinError is a station whose TLS key is not the one pinned (by the
// pairing code, or at pairing): another machine answers at its address.
// The handshake failed, so nothing was sent.
type PinError struct {
	Pinned seal.Hash
	Seen   seal.Hash
}

func (e *PinError) Error() string {
	return fmt.Sprintf("the station's TLS key is %s, but this terminal pinned %s: this is not the station it pairs with "+
		"(another machine answers at its address, or someone on the network in between); nothing was sent",
		seal.TLSFingerprint(e.Seen), seal.TLSFingerprint(e.Pinned))
}

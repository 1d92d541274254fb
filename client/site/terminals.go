package site

import (
	"context"
	"crypto/tls"
	"errors"
	"time"

	roomwire "onex/client/room"
	"onex/exam"
	"onex/exam/seal"
)

// The exam room (issue 13): the station's side of client/room's protocol.
// client/station decodes requests, calls these, and encodes what they
// return; the errors below are how it picks the refusal code.

// Errors of the room a caller decides on.
var (
	ErrUnknownTerminal = errors.New("no such terminal is paired with this station")
	ErrRevoked         = errors.New("the terminal is revoked")
	ErrSeatCode        = errors.New("the ticket and seat code do not match")
	ErrElsewhere       = errors.New("the candidate is signed in on another terminal")
	ErrNotYours        = errors.New("the candidate is not signed in on this terminal")
	ErrGap             = errors.New("a change arrived before one it follows")
)

// RoomIdentity is what the station's room server serves with, made on
// first use and kept sealed in the site store: its TLS certificate
// (self-signed; terminals pin SPKI) and its record key, to which terminals
// seal their changes.
type RoomIdentity struct {
	Certificate tls.Certificate
	SPKI        seal.Hash
	RecordKey   *seal.CentralPublicKey
	Site        string // the site's code
}

// Terminal is a paired exam computer as the station knows it.
type Terminal struct {
	ID        string                `json:"id"`
	Name      string                `json:"name"`
	Seat      string                `json:"seat,omitempty"`
	Room      string                `json:"room"`
	Key       *seal.DevicePublicKey `json:"-"`
	Paired    time.Time             `json:"paired"`
	Revoked   time.Time             `json:"revoked,omitzero"` // zero while it may talk to the station
	Acked     uint64                `json:"acked"`            // its last change committed
	AckedHash seal.Hash             `json:"-"`
}

// TerminalStatus is a terminal as the proctor console shows it.
type TerminalStatus struct {
	Terminal
	LastHeard time.Time       `json:"last_heard,omitzero"` // in this run of the station
	Silent    bool            `json:"silent,omitempty"`    // not heard for roomwire.Silent
	LastSave  time.Time       `json:"last_save,omitzero"`  // its last change committed
	Candidate *roomwire.Candidate `json:"candidate,omitempty"`
}

var errTODO = errors.New("issue 13: not built yet")

// RoomIdentity returns the station's room identity, making it on first use.
func (s *Site) RoomIdentity(ctx context.Context) (*RoomIdentity, error) { return nil, errTODO }

// PairTerminal stores a new terminal of a room with its key, and returns
// it with the id it is given.
func (s *Site) PairTerminal(ctx context.Context, roomName string, key *seal.DevicePublicKey, name, seat string) (Terminal, error) {
	return Terminal{}, errTODO
}

// TerminalByID returns a paired terminal (ErrUnknownTerminal), revoked or not.
func (s *Site) TerminalByID(ctx context.Context, id string) (Terminal, error) {
	return Terminal{}, errTODO
}

// Terminals returns every paired terminal with what the console shows, by seat.
func (s *Site) Terminals(ctx context.Context) ([]TerminalStatus, error) { return nil, errTODO }

// RevokeTerminal revokes a terminal: from then on it is refused.
func (s *Site) RevokeTerminal(ctx context.Context, id, proctor, reason string) error { return errTODO }

// Heard notes that a terminal was heard from now (memory only).
func (s *Site) Heard(id string) {}

// Watch returns a channel closed at the next change a terminal must hear of
// (start, pause, resume, extra time, submission, end, a move, a revocation).
func (s *Site) Watch() <-chan struct{} { return nil }

// RoomState is what the station tells a terminal now.
func (s *Site) RoomState(ctx context.Context, terminalID string) (roomwire.State, error) {
	return roomwire.State{}, errTODO
}

// SignIn signs a candidate in on a terminal with the ticket and the seat
// code from check-in.
func (s *Site) SignIn(ctx context.Context, terminalID, ticket, seatCode string) (roomwire.Candidate, error) {
	return roomwire.Candidate{}, errTODO
}

// TerminalView is the paper of the candidate signed in on a terminal.
func (s *Site) TerminalView(ctx context.Context, terminalID, sessionID, ticket string) (*exam.View, error) {
	return nil, errTODO
}

// ApplyChanges applies a terminal's sealed changes in chain order, in one
// transaction, and returns the outcome of each after the commit.
func (s *Site) ApplyChanges(ctx context.Context, terminalID string, envelopes [][]byte) (roomwire.ChangesResponse, error) {
	return roomwire.ChangesResponse{}, errTODO
}

// MoveCandidate lets a candidate continue on another terminal: it ends the
// candidate's binding, revokes the old terminal, notes an incident and
// returns a new seat code.
func (s *Site) MoveCandidate(ctx context.Context, sessionID, ticket, proctor, reason string) (string, error) {
	return "", errTODO
}

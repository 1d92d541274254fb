package site

import (
	"crypto/tls"
	"errors"
	"time"

	roomwire "onex/client/room"
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

// Incident types of the exam room, noted for central like a proctor's.
const (
	IncidentTerminalRevoked = "terminal_revoked" // a proctor revoked the terminal a candidate was signed in on
	IncidentMoved           = "moved"            // a candidate moved to another terminal (MoveCandidate)
	IncidentSeatCode        = "seat_code"        // a proctor issued a candidate a new seat code (NewSeatCode)
)

// SubmitGrace is how long past a candidate's time the station holds the
// forced submission while the candidate's terminal is silent, so that the
// changes it journalled can still arrive (PROTOCOL.md, "Changes").
const SubmitGrace = 2 * time.Minute

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
	LastHeard time.Time           `json:"last_heard,omitzero"` // in this run of the station
	Silent    bool                `json:"silent,omitempty"`    // not heard for roomwire.Silent
	LastSave  time.Time           `json:"last_save,omitzero"`  // its last change committed
	Candidate *roomwire.Candidate `json:"candidate,omitempty"`
}

// Package room is the exam room's protocol between a station (the staff
// machine that holds the site store) and its terminals (the candidates'
// exam computers) on the room's network: the pairing code, the paths and
// messages, the changes a terminal seals to the station, and the refusal
// codes. PROTOCOL.md writes it down; client/station serves it and
// client/terminal speaks it.
//
// It reuses the site–central link where that fits: requests are signed
// with onex-auth/2 (sync.Signer) by the terminal's own Ed25519 key, the
// station's clock standing for central's; a terminal's changes are records
// sealed to the station's key (seal.SealRecord) in a hash chain per
// terminal, so that the station applies each exactly once and in order.
package room

import (
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"strings"
	"time"
	"unicode"

	"onex/exam"
	"onex/exam/seal"
)

// Version names the protocol in PROTOCOL.md and in the station's answers.
const Version = "onex-room/1"

// Paths of the room server. Every request but PathPair is signed by the
// terminal (onex-auth/2, sync.Signer) with its id as the device.
const (
	PathPair    = "/room/v1/pair"    // POST PairRequest → PairResponse
	PathState   = "/room/v1/state"   // GET ?after=GEN → State, held until GEN changes or Wait passes
	PathSignIn  = "/room/v1/sign-in" // POST SignInRequest → Candidate
	PathPaper   = "/room/v1/paper"   // GET ?session=ID&ticket=T → exam.View
	PathChanges = "/room/v1/changes" // POST ChangesRequest → ChangesResponse
)

// Wait is the longest time the station holds a state request before it
// answers with the state unchanged: a terminal is heard at least this
// often, and one silent for Silent is flagged on the console.
const (
	Wait   = 2 * time.Second
	Silent = 5 * time.Second
)

// MaxBody is the largest request body the station reads.
const MaxBody = 1 << 20

// Refusal codes of the room server, in sync.Problem.Code, beside sync's
// (RefusedHeaders, RefusedDevice, RefusedTime, RefusedSignature,
// RefusedReplayed, RefusedBody, RefusedRevoked, RefusedInput,
// RefusedTooLarge, RefusedThrottled, RefusedNotFound).
const (
	RefusedPairing    = "pairing"          // 403: no live pairing secret matches the proof (unknown, used or expired)
	RefusedSeatCode   = "seat_code"        // 403: the ticket and seat code do not match, or the candidate is not checked in
	RefusedElsewhere  = "active_elsewhere" // 409: the candidate is signed in on another terminal; the proctor moves them
	RefusedNotYours   = "not_yours"        // 403: the request names a candidate not signed in on this terminal
	RefusedNotStarted = "not_started"      // 409: the room has not started (the paper is not sent before)
	RefusedGap        = "gap"              // 409: a change arrived before one it follows; send from Acked+1
	RefusedEnded      = "ended"            // 409: the candidate's session has ended (a sign-in after the end)
)

// PairRequest is a terminal's first message, over TLS to the station's
// address in the pairing code. Proof is seal.PairingSecret.Proof with role
// seal.PairingTerminal, the SPKI hash of the station's certificate as the
// terminal saw it, Key and terminal id "".
type PairRequest struct {
	Key   []byte `json:"key"`            // the terminal's public key (seal.DevicePublicKey.Marshal)
	Name  string `json:"name"`           // the machine's name, as the console shows it
	Seat  string `json:"seat,omitempty"` // the seat label the terminal stands at, if known
	Proof []byte `json:"proof"`
}

// PairResponse answers a pairing. Proof is seal.PairingSecret.Proof with
// role seal.PairingStation, the station's SPKI hash, the terminal's key and
// TerminalID: the terminal pins the station's TLS key only when it checks.
type PairResponse struct {
	TerminalID string `json:"terminal_id"`
	Room       string `json:"room"`
	Site       string `json:"site"`
	// StationKey is the station's record key (seal.CentralPublicKey.Marshal):
	// a terminal's changes are sealed to it.
	StationKey []byte `json:"station_key"`
	Proof      []byte `json:"proof"`
}

// State is what the station tells a terminal, at once and whenever it
// changes (a long poll on Gen).
type State struct {
	Gen         uint64     `json:"gen"`          // changes whenever anything below may have
	StationTime time.Time  `json:"station_time"` // the station's clock when it answered
	Terminal    Terminal   `json:"terminal"`
	Acked       uint64     `json:"acked"`               // the last change of this terminal the station committed
	AckedHash   seal.Hash  `json:"acked_hash,omitzero"` // its envelope hash: the Prev of the next
	Candidate   *Candidate `json:"candidate,omitempty"` // the candidate signed in here, if any
}

// Terminal is what the station knows of a terminal.
type Terminal struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Seat string `json:"seat,omitempty"`
	Room string `json:"room"`
}

// Candidate is a candidate signed in on a terminal, as the station sees
// them now. Name and Seat are for the candidate to confirm who they are.
type Candidate struct {
	SessionID    string        `json:"session_id"`
	SessionTitle string        `json:"session_title"`
	Ticket       string        `json:"ticket"`
	Name         string        `json:"name"`
	Seat         string        `json:"seat,omitempty"`
	Started      bool          `json:"started,omitempty"` // the room has started: the paper can be fetched
	Ended        bool          `json:"ended,omitempty"`
	Remaining    time.Duration `json:"remaining_ns"`
	Used         time.Duration `json:"used_ns"` // the candidate's time used, by the station's clocks
	Paused       bool          `json:"paused,omitempty"`
	Submitted    bool          `json:"submitted,omitempty"`
	Forced       bool          `json:"forced,omitempty"`
	ReceiptCode  string        `json:"receipt_code,omitempty"`
	Answered     int           `json:"answered"`
	Items        int           `json:"items"`
	// CollectAt is when a proctor last asked for the candidate's work
	// folder (a seat or the whole room; zero: never): a terminal that has
	// not collected for this CollectAt hands in every handin item's files
	// at once (PROTOCOL.md, "Hand-in") **[added: issue 15]**.
	CollectAt time.Time `json:"collect_at,omitzero"`
}

// SignInRequest signs a candidate in on the terminal that sends it: the
// ticket number and the one-time seat code from check-in.
type SignInRequest struct {
	Ticket   string `json:"ticket"`
	SeatCode string `json:"seat_code"`
}

// KindChange is the record kind of a terminal's change.
const KindChange = "room-change"

// Operations of a Change.
const (
	OpSave   = "save"   // Answer becomes the item's answer (empty clears it)
	OpFlag   = "flag"   // Flagged becomes the item's review flag
	OpSubmit = "submit" // the candidate submits the paper
	// OpPiece carries one piece of a file handed in for a handin item
	// (File, Index, Data); the OpSave that lists the file follows it in
	// the chain **[added: issue 15]**.
	OpPiece = "piece"
)

// Change is one thing a candidate did on a terminal: the plaintext of a
// KindChange record, sealed to the station in the terminal's journal.
type Change struct {
	SessionID string      `json:"session_id"`
	Ticket    string      `json:"ticket"`
	Op        string      `json:"op"`
	ItemID    string      `json:"item_id,omitempty"`
	Answer    exam.Answer `json:"answer,omitzero"`
	Flagged   bool        `json:"flagged,omitempty"`
	// For OpPiece: the file's SHA-256 (hex), the piece's index from 0 and
	// its bytes, 1 to exam.HandInChunk (PROTOCOL.md, "Hand-in").
	File  string `json:"file,omitempty"`
	Index int    `json:"index,omitempty"`
	Data  []byte `json:"data,omitempty"`
	// Used is the candidate's time used when the change was made, as the
	// terminal counted it on its monotonic clock from the station's last
	// word: how the station judges a change that arrives late.
	Used time.Duration `json:"used_ns"`
}

// ChangesRequest is the body of POST PathChanges: envelopes of KindChange
// records in the terminal's chain order, from the first the station has
// not acknowledged.
type ChangesRequest struct {
	Envelopes [][]byte `json:"envelopes"`
}

// Outcomes of a change. Applied and Refused changes are committed (the
// chain moves past them); a refused one changed nothing, and Code says why.
const (
	Applied   = "applied"
	Duplicate = "duplicate" // committed before: a replay, or a retry after a lost answer
	Refused   = "refused"
)

// ChangesResponse answers POST PathChanges after the station's commit.
type ChangesResponse struct {
	Acked     uint64         `json:"acked"`
	AckedHash seal.Hash      `json:"acked_hash,omitzero"`
	Results   []ChangeResult `json:"results"`
	State     State          `json:"state"`
}

// ChangeResult is the station's word on one envelope.
type ChangeResult struct {
	Seq     uint64 `json:"seq"`
	Outcome string `json:"outcome"`
	Code    string `json:"code,omitempty"`   // for Refused: submitted, paused, time_up, ended, input
	Detail  string `json:"detail,omitempty"` // for people; never a name or an answer
}

// PairingCode is what a terminal needs to pair with a station: the
// station's address, the one-time secret and, when read from the screen or
// a QR code rather than typed, the SHA-256 of the station's TLS public key.
type PairingCode struct {
	Station netip.AddrPort
	Secret  seal.PairingSecret
	Pin     seal.Hash // zero when the code was typed without it
}

// Scheme of a pairing code's full form.
const Scheme = "onex-room"

// String writes the full form, for the screen and a QR code:
// onex-room://192.168.1.10:7443/2XGWR-VYGY7-FYKNG-4FKY8?pin=<64 hex>.
func (c PairingCode) String() string {
	s := Scheme + "://" + c.Station.String() + "/" + c.Secret.String()
	if c.Pin != (seal.Hash{}) {
		s += "?pin=" + fmt.Sprintf("%x", c.Pin[:])
	}
	return s
}

// Short writes what a proctor types at a terminal: the address and the
// secret, such as "192.168.1.10:7443 2XGWR-VYGY7-FYKNG-4FKY8". The station's
// proof over the TLS key authenticates it without the pin.
func (c PairingCode) Short() string { return c.Station.String() + " " + c.Secret.String() }

// ErrPairingCode: text that is not a pairing code; the error says which
// part is wrong.
var ErrPairingCode = errors.New("not a pairing code")

// maxPairingCode bounds what ParsePairingCode reads.
const maxPairingCode = 512

// ParsePairingCode reads a pairing code in its full form (String) or as
// typed (Short): an IP address and port, white space, the secret (read as
// seal.ParsePairingSecret reads it, so case, dashes, spaces and full-width
// characters do not matter).
func ParsePairingCode(s string) (PairingCode, error) {
	if len(s) > maxPairingCode {
		return PairingCode{}, fmt.Errorf("%w: %d bytes long", ErrPairingCode, len(s))
	}
	s = strings.TrimSpace(s)
	var addr, secret, pin string
	if rest, ok := strings.CutPrefix(s, Scheme+"://"); ok {
		u, err := url.Parse(Scheme + "://" + rest)
		if err != nil {
			return PairingCode{}, fmt.Errorf("%w: %v", ErrPairingCode, err)
		}
		addr, secret, pin = u.Host, strings.TrimPrefix(u.Path, "/"), u.Query().Get("pin")
	} else {
		var ok bool
		addr, secret, ok = strings.Cut(strings.Map(halfWidthSpace, s), " ")
		if !ok {
			return PairingCode{}, fmt.Errorf("%w: %q is not the station's address and the secret, separated by a space", ErrPairingCode, s)
		}
	}
	var c PairingCode
	var err error
	if c.Station, err = netip.ParseAddrPort(strings.TrimSpace(addr)); err != nil {
		return PairingCode{}, fmt.Errorf("%w: the station's address %q is not an IP address and port such as 192.168.1.10:7443", ErrPairingCode, addr)
	}
	if c.Secret, err = seal.ParsePairingSecret(secret); err != nil {
		return PairingCode{}, fmt.Errorf("%w: the secret: %w", ErrPairingCode, err)
	}
	if pin != "" {
		f, err := seal.ParseFingerprint(pin)
		if err != nil || !f.IsTLS() {
			return PairingCode{}, fmt.Errorf("%w: the pin %q is not a SHA-256 (64 hexadecimal digits)", ErrPairingCode, pin)
		}
		c.Pin = f.TLSHash()
	}
	return c, nil
}

// halfWidthSpace maps the ideographic space a Chinese input method types
// to a space.
func halfWidthSpace(r rune) rune {
	if r != ' ' && unicode.IsSpace(r) {
		return ' '
	}
	return r
}

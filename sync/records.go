package sync

import (
	"encoding/json"
	"fmt"
	"time"

	"onex/exam"
)

// Session is a session's metadata and roster as its package carries them.
type Session struct {
	ID               string           `json:"id"`
	SiteCode         string           `json:"site"`
	Room             string           `json:"room"`
	PaperID          string           `json:"paper_id"`
	PaperVersion     int              `json:"paper_version"`
	Certificate      string           `json:"certificate"`
	Level            exam.Level       `json:"level"`
	Title            string           `json:"title"`
	Start            time.Time        `json:"start"`
	ReleaseAt        time.Time        `json:"release_at"`
	DurationMinutes  int              `json:"duration_minutes"`
	LateLimitMinutes int              `json:"late_limit_minutes"`
	PassMark         float64          `json:"pass_mark"`
	Candidates       []exam.Candidate `json:"candidates"`
}

// Record kinds: the kind of an envelope's header names the plaintext type.
const (
	KindCheckIn    = "check-in"        // CheckIn
	KindStart      = "start"           // Start
	KindAnswer     = "answer"          // AnswerSnapshot
	KindSubmission = "submission"      // Submission
	KindPractical  = "practical-score" // PracticalScore
	KindIncident   = "incident"        // Incident
	KindEvent      = "session-event"   // Event
	KindHandIn     = "handin-chunk"    // HandInChunk
)

// Clock is when a record was made, as the device knows it: its wall time, the
// monotonic time elapsed since the room started, and the offset to central's
// clock it last learned (central minus device). Central flags implausible
// clocks instead of trusting them.
type Clock struct {
	DeviceTime     time.Time `json:"device_time"`
	ElapsedMS      int64     `json:"elapsed_ms"`
	ServerOffsetMS int64     `json:"server_offset_ms"`
}

// CheckIn records a candidate marked present, absent or late.
type CheckIn struct {
	SessionID string          `json:"session_id"`
	Ticket    string          `json:"ticket"`
	Status    exam.Attendance `json:"status"`
	Seat      string          `json:"seat,omitempty"`
	Override  bool            `json:"override,omitempty"` // late entry past the limit, allowed by a proctor
	Proctor   string          `json:"proctor,omitempty"`
	Clock
}

// Start records the room's actual start.
type Start struct {
	SessionID string `json:"session_id"`
	Clock
}

// AnswerSnapshot records one saved answer.
type AnswerSnapshot struct {
	SessionID string      `json:"session_id"`
	Ticket    string      `json:"ticket"`
	ItemID    string      `json:"item"`
	Answer    exam.Answer `json:"answer"`
	Clock
}

// Submission records a candidate's final answers.
type Submission struct {
	SessionID    string                 `json:"session_id"`
	Ticket       string                 `json:"ticket"`
	PaperID      string                 `json:"paper_id"`
	PaperVersion int                    `json:"paper_version"`
	Answers      map[string]exam.Answer `json:"answers"`
	Forced       bool                   `json:"forced,omitempty"`    // submitted by a proctor or at time-out
	ForcedBy     string                 `json:"forced_by,omitempty"` // why forced: ForcedTimeOut, ForcedByProctor, ForcedRoomEnded
	Reason       string                 `json:"reason,omitempty"`    // the proctor's reason, when a proctor forced it
	Clock
}

// Why a submission was forced (Submission.ForcedBy); empty in records of
// sites that did not say.
const (
	ForcedTimeOut   = "time-out"   // the candidate's time ran out
	ForcedByProctor = "proctor"    // a proctor submitted for the candidate
	ForcedRoomEnded = "room-ended" // the proctor ended the room early
)

// PracticalScore records an examiner's marks for a practical item, one per rubric criterion.
type PracticalScore struct {
	SessionID string    `json:"session_id"`
	Ticket    string    `json:"ticket"`
	ItemID    string    `json:"item"`
	Marks     []float64 `json:"marks"`
	Examiner  string    `json:"examiner"`
	Clock
}

// HandInChunk records one piece of a file a candidate handed in for a
// handin item: the Index-th exam.HandInChunk bytes of the file whose
// SHA-256 is File (PROTOCOL.md, "Hand-in files"). The answer (an
// AnswerSnapshot, the Submission) lists the files by name, size and hash;
// central puts each file together from its pieces and checks its hash.
// A piece is the same record content wherever it comes from: central
// keeps one per (session, ticket, file, index) and takes copies as they
// are.
type HandInChunk struct {
	SessionID string `json:"session_id"`
	Ticket    string `json:"ticket"`
	ItemID    string `json:"item"`
	File      string `json:"file"`  // the whole file's SHA-256, hex
	Index     int    `json:"index"` // from 0
	Data      []byte `json:"data"`  // 1 to exam.HandInChunk bytes
	Clock
}

// Incident records something a proctor noted, or the site itself (an unlock
// attempt, time a device was off during the exam).
type Incident struct {
	SessionID string `json:"session_id"`
	Ticket    string `json:"ticket,omitempty"`
	Type      string `json:"type,omitempty"` // such as "unlock", "downtime", "identity", "misconduct"
	Note      string `json:"note"`
	Clock
}

// Events of a session.
const (
	EventPause       = "pause"
	EventResume      = "resume"
	EventExtraTime   = "extra-time"
	EventForceSubmit = "force-submit"
	EventEnd         = "end"
)

// Event records a proctor's action on the room or one candidate.
type Event struct {
	SessionID    string `json:"session_id"`
	Ticket       string `json:"ticket,omitempty"` // empty: the whole room
	Event        string `json:"event"`
	ExtraMinutes int    `json:"extra_minutes,omitempty"`
	Proctor      string `json:"proctor,omitempty"`
	Reason       string `json:"reason,omitempty"` // the proctor's reason for a pause, extra time or forced submission
	Clock
}

// Payload is what every record plaintext has: the session it belongs to and when it was made.
type Payload interface {
	Session() string
	When() Clock
}

func (c CheckIn) Session() string        { return c.SessionID }
func (s Start) Session() string          { return s.SessionID }
func (a AnswerSnapshot) Session() string { return a.SessionID }
func (s Submission) Session() string     { return s.SessionID }
func (p PracticalScore) Session() string { return p.SessionID }
func (i Incident) Session() string       { return i.SessionID }
func (e Event) Session() string          { return e.SessionID }
func (h HandInChunk) Session() string    { return h.SessionID }

// When returns the record's clock.
func (c Clock) When() Clock { return c }

// DecodePayload decodes a record plaintext of the given kind, refusing unknown
// kinds and fields, and checking the fields every kind needs.
func DecodePayload(kind string, plaintext []byte) (Payload, error) {
	var p Payload
	switch kind {
	case KindCheckIn:
		p = &CheckIn{}
	case KindStart:
		p = &Start{}
	case KindAnswer:
		p = &AnswerSnapshot{}
	case KindSubmission:
		p = &Submission{}
	case KindPractical:
		p = &PracticalScore{}
	case KindIncident:
		p = &Incident{}
	case KindEvent:
		p = &Event{}
	case KindHandIn:
		p = &HandInChunk{}
	default:
		return nil, fmt.Errorf("record kind %q is unknown", kind)
	}
	if err := json.Unmarshal(plaintext, p); err != nil {
		return nil, fmt.Errorf("%s record: %v", kind, err)
	}
	if p.Session() == "" {
		return nil, fmt.Errorf("%s record: session_id is empty", kind)
	}
	switch v := p.(type) {
	case *CheckIn:
		if v.Ticket == "" || !v.Status.Valid() {
			return nil, fmt.Errorf("check-in record: ticket %q status %q", v.Ticket, v.Status)
		}
	case *AnswerSnapshot:
		if v.Ticket == "" || v.ItemID == "" {
			return nil, fmt.Errorf("answer record: ticket or item is empty")
		}
	case *Submission:
		if v.Ticket == "" || v.PaperID == "" {
			return nil, fmt.Errorf("submission record: ticket or paper_id is empty")
		}
	case *PracticalScore:
		if v.Ticket == "" || v.ItemID == "" {
			return nil, fmt.Errorf("practical-score record: ticket or item is empty")
		}
	case *HandInChunk:
		if err := v.Check(); err != nil {
			return nil, err
		}
	case *Event:
		switch v.Event {
		case EventPause, EventResume, EventExtraTime, EventForceSubmit, EventEnd:
		default:
			return nil, fmt.Errorf("session-event record: event %q is unknown", v.Event)
		}
	}
	return p, nil
}

// Check checks what a piece of a handed-in file must be on its own: a
// ticket and an item, a well-formed file hash, an index from 0 and 1 to
// exam.HandInChunk bytes, within the largest file a hand-in takes.
func (h *HandInChunk) Check() error {
	switch {
	case h.Ticket == "" || h.ItemID == "":
		return fmt.Errorf("handin-chunk record: ticket or item is empty")
	case !exam.ValidHash(h.File):
		return fmt.Errorf("handin-chunk record: file %q is not a SHA-256 in lower-case hex", h.File)
	case h.Index < 0 || int64(h.Index)*exam.HandInChunk >= exam.MaxHandInBytes:
		return fmt.Errorf("handin-chunk record: index %d is outside 0..%d", h.Index, exam.MaxHandInBytes/exam.HandInChunk-1)
	case len(h.Data) == 0 || len(h.Data) > exam.HandInChunk:
		return fmt.Errorf("handin-chunk record: %d bytes, 1 to %d", len(h.Data), exam.HandInChunk)
	}
	return nil
}

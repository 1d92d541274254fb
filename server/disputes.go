package server

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"onex/exam"
	"onex/exam/seal"
	"onex/server/store"
	osync "onex/sync"
)

// Decisions on a dispute.
const (
	KeepHeld  = store.KeepHeld  // the record results followed stays
	TakeOther = store.TakeOther // the other record replaces it
)

// DecidedError is a decision on a conflict the office has decided already.
type DecidedError = store.DecidedError

// ErrChanged is a decision on a conflict whose record held changed while it
// was being decided (a correction of it arrived): decide again.
var ErrChanged = store.ErrChanged

// Dispute is a conflict about a candidate's submission, check-in or marks
// of a practical item: central held one record when another came that does
// not simply follow it (a second submission, or a record of another device
// or store epoch). Results follow the record held until the office decides;
// the decision is final and audited.
type Dispute struct {
	ID        int64
	SessionID string
	Kind      string // the records' kind: a submission, check-in or practical-score
	Ticket    string
	ItemID    string         // the practical item, for marks
	Held      DisputedRecord // what results followed when it opened, or when it was decided
	Other     DisputedRecord
	Reason    string // as the device was told
	OpenedAt  time.Time
	Decision  string // "" while open, then KeepHeld or TakeOther
	DecidedBy string
	DecidedAt time.Time
	Why       string
}

// Open reports whether the office has yet to decide.
func (d Dispute) Open() bool { return d.Decision == "" }

// DisputedRecord is one record of a dispute, as the office weighs it: where
// it comes from, when it was made as far as central can tell, and what it
// says in brief (never a candidate's answers).
type DisputedRecord struct {
	RecordID    string
	DeviceID    string
	Epoch, Seq  uint64
	ReceiptCode string // of a submission: the code its candidate was shown
	Time        RecordTime
	Answered    int    // submission: the items answered
	Forced      bool   // submission: by a proctor, at time-out or when the room ended
	ForcedBy    string // submission: why forced (ForcedByProctor, ...), "" when the site did not say
	ForcedWhy   string // submission: the proctor's reason
	Attendance  string // check-in
	Marks       []float64
	Examiner    string
}

// RecordTime is when a record was made as far as central can tell: the
// device's own time, which is trusted unless it is implausible for the
// session (Flag), central's time of receipt, the device clock's skew
// measured on the batch that brought it, and the time central shows.
type RecordTime struct {
	Device   time.Time `json:"device_time"` // as the device says
	Received time.Time `json:"received_at"` // by central's clock
	SkewMS   *int64    `json:"skew_ms,omitempty"`
	Flag     string    `json:"flag,omitempty"` // "early" or "late": the device time is implausible, and not trusted
	Shown    time.Time `json:"shown"`          // see recordTime
}

// Skew is the measured skew, or zero.
func (t RecordTime) Skew() time.Duration {
	if t.SkewMS == nil {
		return 0
	}
	return time.Duration(*t.SkewMS) * time.Millisecond
}

// Estimated reports whether the time shown for a flagged record is the
// device's corrected by the measured skew, not central's time of receipt.
func (t RecordTime) Estimated() bool { return t.Flag != "" && !t.Shown.Equal(t.Received) }

// recordTime is a stored record's time. Central shows the device's time
// unless it is flagged; then, when the device's clock was simply off, the
// device time less the skew measured on the batch, if that is plausible
// for the session and not after the receipt; else central's own time of
// receipt, the one time it knows.
func recordTime(ri store.RecordInfo, kind string, sched exam.Schedule) RecordTime {
	t := RecordTime{Device: ri.Created, Received: ri.ReceivedAt, SkewMS: ri.SkewMS, Flag: ri.TimeFlag, Shown: ri.Created}
	if t.Flag == "" {
		return t
	}
	t.Shown = t.Received
	if t.SkewMS != nil {
		est := t.Device.Add(-t.Skew())
		if _, ok := plausible(sched, kind, est); ok && !est.After(t.Received) {
			t.Shown = est
		}
	}
	return t
}

// Disputes lists every session's disputes, the open ones first.
func (c *Central) Disputes(ctx context.Context) ([]Dispute, error) { return c.disputes(ctx, "") }

func (c *Central) disputes(ctx context.Context, sessionID string) ([]Dispute, error) {
	ds, err := c.db.Disputes(ctx, sessionID)
	if err != nil {
		return nil, err
	}
	l := c.lookups(ctx)
	out := make([]Dispute, len(ds))
	for i, d := range ds {
		se := l.session(d.SessionID)
		if se.err != nil {
			return nil, se.err
		}
		sched := schedule(se.s, se.paper)
		out[i] = Dispute{ID: d.ID, SessionID: d.SessionID, Kind: d.Kind, Ticket: d.Ticket, ItemID: d.ItemID,
			Held: disputedRecord(d.Kind, d.Held, sched), Other: disputedRecord(d.Kind, d.Other, sched), Reason: d.Reason,
			OpenedAt: d.OpenedAt, Decision: d.Decision, DecidedBy: d.DecidedBy, DecidedAt: d.DecidedAt, Why: d.Why}
	}
	return out, nil
}

// disputedRecord sums up a stored record of a kind.
func disputedRecord(kind string, ri store.RecordInfo, sched exam.Schedule) DisputedRecord {
	r := DisputedRecord{RecordID: ri.RecordID, DeviceID: ri.DeviceID, Epoch: ri.Epoch, Seq: ri.Seq, Time: recordTime(ri, kind, sched)}
	p, err := osync.DecodePayload(kind, ri.Payload)
	if err != nil {
		return r // stored after the same check: unreachable
	}
	switch v := p.(type) {
	case *osync.Submission:
		r.ReceiptCode, r.Forced, r.ForcedBy, r.ForcedWhy = seal.ReceiptCode(seal.Hash(ri.Hash)), v.Forced, v.ForcedBy, v.Reason
		for _, a := range v.Answers {
			if a.Answered() {
				r.Answered++
			}
		}
	case *osync.CheckIn:
		r.Attendance = string(v.Status)
	case *osync.PracticalScore:
		r.Marks, r.Examiner = v.Marks, v.Examiner
	}
	return r
}

// Decide records the office's decision on an open dispute: keep the record
// held, or take the other in its place (results follow it from then on). A
// decision needs its reason; it is final, and written to the audit log with
// who decided and why. A dispute decided already is refused with a
// *DecidedError, one whose record held changed meanwhile with ErrChanged,
// and one that does not exist with ErrNotFound.
func (c *Central) Decide(ctx context.Context, id int64, takeOther bool, why, actor string) error {
	why = strings.TrimSpace(why)
	if why == "" {
		return inputf("conflict %d: a decision needs its reason", id)
	}
	d, err := c.db.Dispute(ctx, id)
	if err != nil {
		return err
	}
	if d.Decision != "" {
		return AsInput(&DecidedError{ID: d.ID, By: d.DecidedBy, At: d.DecidedAt, Was: d.Decision})
	}
	dec := store.Decision{ID: id, Keep: KeepHeld, By: actor, Why: why, At: c.now(), Audit: func(d store.Dispute) (string, string) {
		what := fmt.Sprintf("session %s ticket %s", d.SessionID, d.Ticket)
		if d.ItemID != "" {
			what += " item " + d.ItemID
		}
		kept, over := d.Held, d.Other
		if takeOther {
			kept, over = over, kept
		}
		return "decide conflict", fmt.Sprintf("conflict %d, %s %s: kept record %s (device %s) over record %s (device %s); why: %s",
			d.ID, what, d.Kind, kept.RecordID, kept.DeviceID, over.RecordID, over.DeviceID, why)
	}}
	if takeOther {
		dec.Keep = TakeOther
		p, err := osync.DecodePayload(d.Kind, d.Other.Payload)
		if err != nil {
			return fmt.Errorf("conflict %d: stored record %s: %w", id, d.Other.RecordID, err)
		}
		se := c.lookups(ctx).session(d.SessionID)
		if se.err != nil {
			return se.err
		}
		if dec.Other, err = effect(p, se); err != nil {
			return fmt.Errorf("conflict %d: stored record %s: %w", id, d.Other.RecordID, err)
		}
	}
	err = c.db.Decide(ctx, dec)
	var decided *DecidedError
	if errors.As(err, &decided) || errors.Is(err, ErrChanged) {
		return AsInput(err) // decided, or changed, meanwhile
	}
	return err
}

package server

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"sync"
	"time"

	"github.com/google/uuid"

	"onex/exam"
	"onex/exam/seal"
	"onex/server/store"
	osync "onex/sync"
)

// Ingest verifies, opens, checks and stores a batch of envelopes and answers
// each with an outcome; accepted and duplicate records carry central's signed
// receipt. Invalid envelopes are rejected with a reason while the rest of the
// batch goes in. A record about what central holds one of already, which
// does not simply follow it, is kept as a conflict for the office to decide
// (see Decide). It returns an error only when storage fails, and then
// nothing of the batch was stored. Ingest is IngestFrom with no sender: a
// file carried by hand.
func (c *Central) Ingest(ctx context.Context, b osync.Batch) (osync.BatchResponse, error) {
	return c.IngestFrom(ctx, b, Sender{})
}

// Sender is who says it sent a batch, and its clock: the device id and
// device's own clock as it signed the batch (sync.Auth.Clock).
type Sender struct {
	DeviceID string
	Time     time.Time // zero: unknown
}

// IngestFrom is Ingest of a batch a device sent. The skew of the sender's
// clock from central's, measured on the batch, is kept with the sender's own
// records, to tell when a record whose device time is implausible was made.
func (c *Central) IngestFrom(ctx context.Context, b osync.Batch, from Sender) (osync.BatchResponse, error) {
	results := make([]osync.RecordResult, len(b.Envelopes))
	incoming := make([]*store.Incoming, len(b.Envelopes))
	versions := make([]int, len(b.Envelopes))
	c.check(ctx, b.Envelopes, results, incoming, versions)

	now := c.now()
	var skew *int64
	if from.DeviceID != "" && !from.Time.IsZero() {
		ms := clockSkew(from.Time, now)
		skew = &ms
	}
	var recs []store.Incoming
	var where []int
	for i, in := range incoming {
		if in != nil {
			if in.DeviceID == from.DeviceID {
				in.SkewMS = skew
			}
			recs = append(recs, *in)
			where = append(where, i)
		}
	}
	if len(recs) > 0 {
		stored, err := c.db.Ingest(ctx, recs, now, func(rec *store.Incoming, seq int64) ([]byte, error) {
			return seal.SignReceipt(c.keys, &seal.Receipt{RecordID: uuid.MustParse(rec.RecordID), EnvelopeHash: seal.Hash(rec.Hash), ServerSeq: uint64(seq), ServerTime: now})
		})
		if err != nil {
			return osync.BatchResponse{}, fmt.Errorf("ingest: %w", err)
		}
		for k, s := range stored {
			r := &results[where[k]]
			r.Outcome, r.Receipt, r.Reason = osync.Outcome(s.Outcome), s.Receipt, s.Reason
			if r.Outcome == osync.Accepted {
				c.metrics.versions.WithLabelValues(strconv.Itoa(versions[where[k]])).Inc()
			}
		}
	}
	for _, r := range results {
		c.metrics.ingested.WithLabelValues(string(r.Outcome)).Inc()
	}
	return osync.BatchResponse{ServerTime: now, Results: results}, nil
}

// rejection is why an envelope was rejected: a short label for metrics and a message.
type rejection struct {
	label string
	err   error
}

func (r *rejection) Error() string { return r.err.Error() }

func reject(label string, format string, args ...any) error {
	return &rejection{label: label, err: fmt.Errorf(format, args...)}
}

// check verifies and opens every envelope, in parallel, and fills either
// results (rejected) or incoming (ready to store) and versions (the
// envelope's format version).
func (c *Central) check(ctx context.Context, envs [][]byte, results []osync.RecordResult, incoming []*store.Incoming, versions []int) {
	lookup := c.lookups(ctx)
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				in, version, err := c.open(ctx, envs[i], lookup)
				if in != nil {
					results[i].RecordID = in.RecordID
				}
				if err != nil {
					var rej *rejection
					label := "storage"
					if errors.As(err, &rej) {
						label = rej.label
					}
					if h, herr := seal.ParseHeader(envs[i]); herr == nil {
						results[i].RecordID = h.RecordID.String()
					}
					results[i].Outcome, results[i].Reason = osync.Rejected, err.Error()
					c.metrics.rejects.WithLabelValues(label).Inc()
					continue
				}
				incoming[i], versions[i] = in, version
			}
		}()
	}
	for i := range envs {
		next <- i
	}
	close(next)
	wg.Wait()
}

// lookup caches what checking a batch reads: device keys, sessions, papers and rosters.
type lookup struct {
	mu       sync.Mutex
	devices  map[string]*deviceEntry
	sessions map[string]*sessionEntry
	central  *Central
	ctx      context.Context
}

type deviceEntry struct {
	dev store.Device
	pub *seal.DevicePublicKey
	err error
}

type sessionEntry struct {
	s       store.Session
	paper   *exam.Paper
	tickets map[string]bool
	err     error
}

func (c *Central) lookups(ctx context.Context) *lookup {
	return &lookup{devices: map[string]*deviceEntry{}, sessions: map[string]*sessionEntry{}, central: c, ctx: ctx}
}

func (l *lookup) device(id string) *deviceEntry {
	l.mu.Lock()
	defer l.mu.Unlock()
	if e, ok := l.devices[id]; ok {
		return e
	}
	e := &deviceEntry{}
	e.dev, e.err = l.central.db.Device(l.ctx, id)
	if e.err == nil {
		e.pub, e.err = seal.ParseDevicePublicKey(e.dev.PublicKey)
	}
	l.devices[id] = e
	return e
}

func (l *lookup) session(id string) *sessionEntry {
	l.mu.Lock()
	defer l.mu.Unlock()
	if e, ok := l.sessions[id]; ok {
		return e
	}
	e := &sessionEntry{tickets: map[string]bool{}}
	l.sessions[id] = e
	if e.s, e.err = l.central.db.Session(l.ctx, id); e.err != nil {
		return e
	}
	if e.paper, e.err = l.central.paper(l.ctx, e.s.PaperID, e.s.PaperVersion); e.err != nil {
		return e
	}
	roster, err := l.central.db.Roster(l.ctx, id)
	for _, c := range roster {
		e.tickets[c.Ticket] = true
	}
	e.err = err
	return e
}

// open verifies one envelope and turns it into a record to store, with its
// effect; it says the envelope's format version too.
func (c *Central) open(ctx context.Context, env []byte, l *lookup) (*store.Incoming, int, error) {
	h, err := seal.ParseHeader(env)
	if err != nil {
		return nil, 0, reject("malformed", "%v", err)
	}
	d := l.device(h.DeviceID)
	switch {
	case errors.Is(d.err, store.ErrNotFound):
		return nil, 0, reject("unknown-device", "device %q is not enrolled", h.DeviceID)
	case d.err != nil:
		return nil, 0, d.err
	case d.dev.Revoked():
		return nil, 0, reject("revoked-device", "device %s was revoked by the office at %s: its records are refused", h.DeviceID, d.dev.RevokedAt.In(CST).Format(time.RFC3339))
	}
	rec, err := seal.OpenEnvelope(c.keys, env, d.pub)
	if err != nil {
		return nil, 0, reject("signature", "%v", err)
	}
	p, err := osync.DecodePayload(rec.Header.Kind, rec.Plaintext)
	if err != nil {
		return nil, 0, reject("payload", "%v", err)
	}
	se := l.session(p.Session())
	switch {
	case errors.Is(se.err, store.ErrNotFound) || se.err == nil && se.s.Site != d.dev.Site:
		return nil, 0, reject("session", "session %q is not a session of site %s", p.Session(), d.dev.Site)
	case se.err != nil:
		return nil, 0, se.err
	}
	in := &store.Incoming{
		RecordID: rec.Header.RecordID.String(), DeviceID: h.DeviceID, Epoch: rec.Header.Epoch, Seq: rec.Header.Seq,
		Prev: rec.Header.Prev[:], Hash: rec.Hash[:], Kind: rec.Header.Kind, SessionID: p.Session(),
		Created: rec.Header.Created, Envelope: env, Payload: rec.Plaintext, TimeFlag: se.timeFlag(rec.Header.Kind, rec.Header.Created),
	}
	in.Effect, err = effect(p, se)
	if h, ok := p.(*osync.HandInChunk); ok && err == nil {
		in.Piece, err = piece(h, se)
	}
	if err != nil {
		return in, 0, reject("content", "record %s: %v", in.RecordID, err)
	}
	return in, rec.Version, nil
}

// timeFlag judges the time a device says it made a record of a kind:
// store.TimeEarly or store.TimeLate when it is implausible for the session,
// else "".
func (se *sessionEntry) timeFlag(kind string, made time.Time) string {
	imp, ok := plausible(schedule(se.s, se.paper), kind, made)
	switch {
	case ok:
		return ""
	case imp.Early:
		return store.TimeEarly
	}
	return store.TimeLate
}

// schedule is a session's timing, for the times of its records.
func schedule(s store.Session, p *exam.Paper) exam.Schedule {
	return exam.Schedule{ReleaseAt: s.ReleaseAt, Start: s.Start, Duration: time.Duration(p.DurationMinutes) * time.Minute}
}

// plausible checks the time of a record of a kind against its session's
// schedule (exam.Schedule.Check), allowing a device clock off by as much as
// central allows a device request (sync.AuthWindow).
func plausible(sched exam.Schedule, kind string, t time.Time) (exam.Implausible, bool) {
	activity := exam.Sitting
	switch kind {
	case osync.KindCheckIn:
		activity = exam.CheckingIn
	case osync.KindPractical:
		activity = exam.Scoring
	}
	return sched.Check(activity, t, osync.AuthWindow)
}

// effect checks a record against its session and says what it changes.
func effect(p osync.Payload, se *sessionEntry) (store.Effect, error) {
	ticket := func(t string) error {
		if !se.tickets[t] {
			return fmt.Errorf("ticket %q is not on the roster of session %s", t, se.s.ID)
		}
		return nil
	}
	switch v := p.(type) {
	case *osync.CheckIn:
		return store.Attendance{Ticket: v.Ticket, Status: string(v.Status)}, ticket(v.Ticket)
	case *osync.Submission:
		if err := ticket(v.Ticket); err != nil {
			return nil, err
		}
		if v.PaperID != se.paper.ID || v.PaperVersion != se.paper.Version {
			return nil, fmt.Errorf("submission for paper %s v%d, the session's paper is %s v%d", v.PaperID, v.PaperVersion, se.paper.ID, se.paper.Version)
		}
		if err := se.paper.CheckAnswers(v.Answers); err != nil {
			return nil, err
		}
		return store.Submission{Ticket: v.Ticket, Answers: v.Answers, Forced: v.Forced,
			PaperID: se.paper.ID, PaperVersion: se.paper.Version, Central: centralItems(se.paper)}, nil
	case *osync.PracticalScore:
		if err := ticket(v.Ticket); err != nil {
			return nil, err
		}
		it, ok := se.paper.Item(v.ItemID)
		if !ok {
			return nil, fmt.Errorf("item %s is not in paper %s", v.ItemID, se.paper.ID)
		}
		if it.Type != exam.Practical {
			return nil, fmt.Errorf("item %s is a %s item; examiners score practical items", it.ID, it.Type)
		}
		if err := it.CheckMarks(v.Marks); err != nil {
			return nil, err
		}
		return store.Marks{Ticket: v.Ticket, ItemID: v.ItemID, Marks: v.Marks, Examiner: v.Examiner}, nil
	case *osync.AnswerSnapshot:
		return nil, ticket(v.Ticket)
	}
	return nil, nil
}

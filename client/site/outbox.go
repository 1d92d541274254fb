package site

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/hashicorp/go-retryablehttp"

	"onex/client/store"
	wire "onex/sync"
)

// Pusher returns the site's outbox pusher, made on first use from the
// enrolment. Records queued afterwards wake it.
func (s *Site) Pusher(ctx context.Context) (*wire.Pusher, error) {
	s.mu.Lock()
	p := s.pusher
	s.mu.Unlock()
	if p != nil {
		return p, nil
	}
	p, err := s.newPusher(ctx, s.client(), nil)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pusher == nil {
		s.pusher = p
	}
	return s.pusher, nil
}

// newPusher makes a pusher of the outbox from the enrolment, over client.
func (s *Site) newPusher(ctx context.Context, client *retryablehttp.Client, progress func(wire.PushProgress)) (*wire.Pusher, error) {
	id, err := s.identity(ctx)
	if err != nil {
		return nil, err
	}
	return wire.NewPusher(wire.PusherConfig{
		ServerURL: id.ServerURL, Signer: s.signer(ctx, id), Central: id.Central, Outbox: s.st,
		Client: client, Log: s.log, MaxRecords: id.MaxRecords, MaxBytes: id.MaxBatchBytes,
		ServerTime: func(server, local time.Time) { s.learnServerTime(context.WithoutCancel(ctx), server, local) },
		Progress:   progress,
	})
}

// Sync pushes the outbox until nothing is pending, or until central is
// unreachable (sync.ErrUnreachable) or refuses to go on. Its requests are
// retried by the site's client (sync.DefaultRetry unless Config.HTTP says
// otherwise) and it waits as long as ctx lets it: the command line's sync.
// Staff at the station use SyncWithin.
func (s *Site) Sync(ctx context.Context) (wire.PushStats, error) {
	p, err := s.Pusher(ctx)
	if err != nil {
		return wire.PushStats{}, err
	}
	return p.Push(ctx)
}

// SyncBound bounds one sync that staff wait for: each HTTP try of a batch
// times out after Try (the answer read included), and the whole sync, every
// batch and retry, after Total. The background pusher is not bounded so: it
// keeps sync.DefaultRetry and its durable loop.
type SyncBound struct {
	Try   time.Duration
	Total time.Duration
}

// DefaultSyncBound is the station's: a try 8 s, the sync 20 s. A batch is
// at most 500 records (about 1 MB of version 2 envelopes); 8 s carries it
// at about 1 Mbit/s up.
var DefaultSyncBound = SyncBound{Try: 8 * time.Second, Total: 20 * time.Second}

// SyncProgress is how far a sync is.
type SyncProgress struct {
	Pending   int // records waiting when the sync began
	Sending   int // records of the batch on its way now
	Delivered int // cleared by a verified receipt so far
	Refused   int // refused by central so far, kept for review
}

// SyncError is a sync that stopped before the outbox was empty: what it did
// first, and why it stopped (wrapping sync.ErrUnreachable and
// sync.ErrTimeout, sync.ErrConnRefused or sync.ErrNoNetwork when that is
// the cause, a *sync.StatusError when central refused).
type SyncError struct {
	Progress SyncProgress
	Err      error
}

func (e *SyncError) Error() string {
	return fmt.Sprintf("sync stopped with %d of %d records delivered: %v", e.Progress.Delivered, e.Progress.Pending, e.Err)
}

func (e *SyncError) Unwrap() error { return e.Err }

// SyncWithin pushes the outbox once, as Sync does, but gives up within b:
// a stalled central or network costs staff b.Total at most, not minutes.
// progress, if set, hears before and after each batch. Records central
// answered stay delivered whatever happens after; the others stay pending
// for the background pusher or the next sync. It may run beside the
// background pusher and Export: a record both pushers send is answered as a
// duplicate with the same receipt, and stored once.
func (s *Site) SyncWithin(ctx context.Context, b SyncBound, progress func(SyncProgress)) (wire.PushStats, error) {
	var pending int
	err := s.st.View(ctx, func(tx *store.Tx) error {
		c, err := tx.OutboxCounts()
		pending = c.Pending
		return err
	})
	if err != nil {
		return wire.PushStats{}, err
	}
	sp := SyncProgress{Pending: pending}
	client := wire.WithRetry(s.client(), wire.RetryPolicy{Retries: 2, WaitMin: 250 * time.Millisecond, WaitMax: 2 * time.Second, Timeout: b.Try})
	p, err := s.newPusher(ctx, client, func(pp wire.PushProgress) {
		sp.Sending, sp.Delivered, sp.Refused = pp.Sending, pp.Delivered(), pp.Conflict+pp.Rejected
		if progress != nil {
			progress(sp)
		}
	})
	if err != nil {
		return wire.PushStats{}, err
	}
	if progress != nil {
		progress(sp)
	}
	bctx, cancel := context.WithTimeout(ctx, b.Total)
	defer cancel()
	stats, err := p.Push(bctx)
	if err == nil {
		return stats, nil
	}
	if ctx.Err() == nil && bctx.Err() != nil {
		err = fmt.Errorf("%w: %w: no answer within %s", wire.ErrUnreachable, wire.ErrTimeout, b.Total)
	}
	sp.Sending = 0
	return stats, &SyncError{Progress: sp, Err: err}
}

// RunPusher is the durable background push loop; it returns when ctx is done.
func (s *Site) RunPusher(ctx context.Context, pol wire.RunPolicy) error {
	p, err := s.Pusher(ctx)
	if err != nil {
		return err
	}
	p.Run(ctx, pol)
	return nil
}

// Status is the site at a glance, as `onex-site status --json` prints it.
type Status struct {
	Enrolled        bool               `json:"enrolled"`
	Device          *Identity          `json:"device,omitempty"`
	Sessions        []SessionInfo      `json:"sessions"`
	CheckIns        int                `json:"check_ins"`   // present and late, all sessions
	Submissions     int                `json:"submissions"` // all sessions
	Outbox          store.OutboxCounts `json:"outbox"`
	Refused         []RefusedRecord    `json:"refused,omitempty"`
	LastReceipt     *ReceiptInfo       `json:"last_receipt"`
	ServerReachable bool               `json:"server_reachable"`
	ServerProblem   string             `json:"server_problem,omitempty"`
	Checked         time.Time          `json:"checked"`
	PendingByKind   map[string]int     `json:"pending_by_kind,omitempty"`
	Incidents       map[string]int     `json:"incidents,omitempty"` // by session
}

// RefusedRecord is a record central refused (or the device found damaged),
// kept for review with the reason.
type RefusedRecord struct {
	RecordID  string    `json:"record_id"`
	Seq       int64     `json:"seq"`
	Kind      string    `json:"kind"`
	SessionID string    `json:"session_id"`
	State     string    `json:"state"`
	Reason    string    `json:"reason"`
	Created   time.Time `json:"created"`
}

// ReceiptInfo describes a verified receipt.
type ReceiptInfo struct {
	RecordID   string    `json:"record_id"`
	Kind       string    `json:"kind"`
	SessionID  string    `json:"session_id"`
	ServerSeq  int64     `json:"server_seq"`
	ServerTime time.Time `json:"server_time"`
	Acked      time.Time `json:"acked"`
}

// Status gathers the site's status; with probe it also asks whether central
// answers (a short GET of /healthz, no retries).
func (s *Site) Status(ctx context.Context, probe bool) (*Status, error) {
	st := &Status{Checked: s.now().Round(0), PendingByKind: map[string]int{}, Incidents: map[string]int{}}
	var server string
	err := s.st.View(ctx, func(tx *store.Tx) error {
		id, err := tx.Identity()
		if err == nil {
			st.Enrolled, server = true, id.ServerURL
		} else if err != store.ErrNotEnrolled {
			return err
		}
		if st.Outbox, err = tx.OutboxCounts(); err != nil {
			return err
		}
		recs, err := tx.OutboxRecords("")
		if err != nil {
			return err
		}
		for _, r := range recs {
			if r.State == store.StatePending {
				st.PendingByKind[r.Kind]++
				continue
			}
			st.Refused = append(st.Refused, RefusedRecord{RecordID: r.RecordID, Seq: r.Seq, Kind: r.Kind, SessionID: r.SessionID,
				State: r.State, Reason: r.Reason, Created: r.Created})
		}
		if rc, err := tx.LastReceipt(); err == nil {
			st.LastReceipt = &ReceiptInfo{RecordID: rc.RecordID, Kind: rc.Kind, SessionID: rc.SessionID,
				ServerSeq: rc.ServerSeq, ServerTime: rc.ServerTime, Acked: rc.Acked}
		}
		ids, err := tx.SessionIDs()
		if err != nil {
			return err
		}
		for _, id := range ids {
			in, err := tx.Incidents(id)
			if err != nil {
				return err
			}
			st.Incidents[id] = len(in)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if !st.Enrolled {
		st.Sessions = []SessionInfo{}
		return st, nil
	}
	if st.Device, err = s.Identity(ctx); err != nil {
		return nil, err
	}
	if st.Sessions, err = s.Sessions(ctx); err != nil {
		return nil, err
	}
	for _, si := range st.Sessions {
		st.CheckIns += si.Present + si.Late
		st.Submissions += si.Submitted
	}
	if probe {
		st.ServerReachable, st.ServerProblem = s.probe(ctx, server)
	}
	return st, nil
}

// probe asks central's /healthz once, briefly.
func (s *Site) probe(ctx context.Context, server string) (bool, string) {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, server+"/healthz", nil)
	if err != nil {
		return false, err.Error()
	}
	resp, err := s.client().HTTPClient.Do(req)
	if err != nil {
		if pe := (*wire.PinError)(nil); errors.As(err, &pe) {
			return false, pe.Error()
		}
		return false, "unreachable"
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return false, fmt.Sprintf("central answered %d", resp.StatusCode)
	}
	return true, ""
}

// ErrNothingPending: no record waits to go to central, so there is
// nothing to export; no file is written.
var ErrNothingPending = errors.New("no record is waiting to go to central")

// PendingRecords counts the records waiting to go to central.
func (s *Site) PendingRecords(ctx context.Context) (int, error) {
	var n int
	err := s.st.View(ctx, func(tx *store.Tx) error {
		c, err := tx.OutboxCounts()
		n = c.Pending
		return err
	})
	return n, err
}

// Export writes every pending record to w as an export file (sync.Export),
// for carrying to central when there is no network. The records stay
// pending: they leave the outbox only when their receipts come back, at the
// next sync, as duplicates. It returns how many records it wrote. With
// nothing pending it writes nothing and returns ErrNothingPending.
//
// Export only reads the outbox, so it may run while a sync waits on
// central: a record exported and then delivered by that sync is answered
// as a duplicate when the file is imported, and its receipt stays the one
// the sync stored.
func (s *Site) Export(ctx context.Context, w io.Writer) (int, error) {
	e := wire.Export{Format: wire.ExportFormat, Created: s.now().Round(0).UTC(), Envelopes: [][]byte{}}
	err := s.st.View(ctx, func(tx *store.Tx) error {
		id, err := tx.Identity()
		if err != nil {
			return err
		}
		e.DeviceID = id.DeviceID
		return nil
	})
	if err != nil {
		return 0, err
	}
	// Pending checks each envelope against the device's signature first.
	recs, err := s.st.Pending(ctx, 1<<30, 1<<62)
	if err != nil {
		return 0, err
	}
	if len(recs) == 0 {
		return 0, ErrNothingPending
	}
	for _, r := range recs {
		e.Envelopes = append(e.Envelopes, r.Envelope)
	}
	b, err := json.Marshal(e)
	if err != nil {
		return 0, err
	}
	if _, err := w.Write(b); err != nil {
		return 0, fmt.Errorf("export: %w", err)
	}
	return len(e.Envelopes), nil
}

package site

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

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
	id, err := s.identity(ctx)
	if err != nil {
		return nil, err
	}
	p, err = wire.NewPusher(wire.PusherConfig{
		ServerURL: id.ServerURL, Signer: s.signer(ctx, id), Central: id.Central, Outbox: s.st,
		Client: s.client(), Log: s.log, MaxRecords: id.MaxRecords, MaxBytes: id.MaxBatchBytes,
		ServerTime: func(server, local time.Time) { s.learnServerTime(context.WithoutCancel(ctx), server, local) },
	})
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

// Sync pushes the outbox until nothing is pending, or until central is
// unreachable (sync.ErrUnreachable) or refuses to go on.
func (s *Site) Sync(ctx context.Context) (wire.PushStats, error) {
	p, err := s.Pusher(ctx)
	if err != nil {
		return wire.PushStats{}, err
	}
	return p.Push(ctx)
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

// Export writes every pending record to w as an export file (sync.Export),
// for carrying to central when there is no network. The records stay
// pending: they leave the outbox only when their receipts come back, at the
// next sync, as duplicates. It returns how many records it wrote.
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

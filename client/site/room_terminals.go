package site

import (
	"cmp"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/base32"
	"errors"
	"fmt"
	"slices"
	"strings"
	gosync "sync"
	"sync/atomic"
	"time"

	roomwire "onex/client/room"
	"onex/client/store"
	"onex/exam"
	"onex/exam/seal"
)

// roomNet is what the station keeps in memory of its exam room: the
// terminals (read from the store on first use, then kept in step with every
// commit, under Site.mu), when each was last heard, and the watchers of the
// room's state.
type roomNet struct {
	terms  map[string]*term // nil until loaded
	keys   *seal.CentralKeys
	tlsKey *ecdsa.PrivateKey

	heardMu gosync.Mutex
	heard   map[string]time.Time

	watchMu gosync.Mutex
	watch   chan struct{}
	gen     atomic.Uint64

	// collect is when a proctor last asked for work folders (CollectNow),
	// by session and ticket ("" for the whole session); under Site.mu.
	collect map[string]time.Time
}

func (n *roomNet) init() {
	n.heard = map[string]time.Time{}
	n.watch = make(chan struct{})
	// A run of the station starts its generations from its start time, so
	// that a terminal waiting on a generation of the run before hears at once.
	n.gen.Store(uint64(time.Now().UnixNano()))
}

// bump tells every watcher that the room's state changed.
func (n *roomNet) bump() {
	n.watchMu.Lock()
	n.gen.Add(1)
	close(n.watch)
	n.watch = make(chan struct{})
	n.watchMu.Unlock()
}

// term is a terminal in memory with the candidate it serves.
type term struct {
	Terminal
	sessionID, ticket string
	candSeat          string // the candidate's seat at sign-in
	lastSave          time.Time
}

func (t *term) revoked() bool { return !t.Revoked.IsZero() }

func (t *term) wire() roomwire.Terminal {
	return roomwire.Terminal{ID: t.ID, Name: t.Name, Seat: t.Seat, Room: t.Room}
}

// terminals returns the terminals in memory, reading them on first use;
// the caller holds s.mu.
func (s *Site) terminals(ctx context.Context) (map[string]*term, error) {
	if s.terms != nil {
		return s.terms, nil
	}
	terms := map[string]*term{}
	err := s.st.View(ctx, func(tx *store.Tx) error {
		all, err := tx.Terminals()
		if err != nil {
			return err
		}
		for _, st := range all {
			key, err := seal.ParseDevicePublicKey(st.Key)
			if err != nil {
				return &store.DamagedError{Table: "terminals", Column: "key", Row: st.ID, Err: err}
			}
			t := &term{Terminal: Terminal{ID: st.ID, Name: st.Name, Seat: st.Seat, Room: st.Room, Key: key, Paired: st.Paired,
				Revoked: st.Revoked, Acked: st.Acked, AckedHash: st.AckedHash}, sessionID: st.SessionID, ticket: st.Ticket, lastSave: st.LastSave}
			if t.ticket != "" {
				ci, err := tx.CheckIn(t.sessionID, t.ticket)
				if err != nil && !errors.Is(err, store.ErrNotFound) {
					return err
				}
				t.candSeat = ci.Seat
			}
			terms[t.ID] = t
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.terms = terms
	return terms, nil
}

// term returns a terminal (ErrUnknownTerminal), revoked or not; the caller
// holds s.mu.
func (s *Site) term(ctx context.Context, id string) (*term, error) {
	terms, err := s.terminals(ctx)
	if err != nil {
		return nil, err
	}
	t, ok := terms[id]
	if !ok {
		return nil, fmt.Errorf("terminal %q: %w", id, ErrUnknownTerminal)
	}
	return t, nil
}

// activeTerm returns a terminal that may talk to the station: known
// (ErrUnknownTerminal) and not revoked (ErrRevoked).
func (s *Site) activeTerm(ctx context.Context, id string) (*term, error) {
	t, err := s.term(ctx, id)
	if err == nil && t.revoked() {
		err = fmt.Errorf("terminal %s: %w", id, ErrRevoked)
	}
	return t, err
}

// boundTerm is the terminal not revoked that serves a candidate, or nil;
// the caller holds s.mu and has loaded the terminals.
func (s *Site) boundTerm(sessionID, ticket string) *term {
	for _, t := range s.terms {
		if t.ticket == ticket && t.sessionID == sessionID && !t.revoked() {
			return t
		}
	}
	return nil
}

// crockford32 writes terminal ids.
var crockford32 = base32.NewEncoding("0123456789ABCDEFGHJKMNPQRSTVWXYZ").WithPadding(base32.NoPadding)

// newTerminalID draws "T-" and 8 Crockford symbols (40 random bits).
func newTerminalID() (string, error) {
	var b [5]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("terminal id: %w", err)
	}
	return "T-" + crockford32.EncodeToString(b[:]), nil
}

// RoomIdentity returns the station's room identity, making its keys on
// first use: an ECDSA P-256 TLS key and a record key (seal.CentralKeys,
// hybrid), kept sealed in the store. The certificate is made afresh from
// the key on each call (CN "OneX station <site code>", no names: terminals
// pin the key's SPKI hash, which never changes while the store lives).
func (s *Site) RoomIdentity(ctx context.Context) (*RoomIdentity, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.roomKeys(ctx); err != nil {
		return nil, err
	}
	id, err := s.identity(ctx)
	if err != nil {
		return nil, err
	}
	der, err := seal.SelfSignedCertificate(s.tlsKey, "OneX station "+id.SiteCode, nil, s.now(), stationCertValidity)
	if err != nil {
		return nil, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("the station's certificate: %w", err)
	}
	return &RoomIdentity{
		Certificate: tls.Certificate{Certificate: [][]byte{der}, PrivateKey: s.tlsKey, Leaf: leaf},
		SPKI:        seal.SPKIHash(leaf), RecordKey: s.keys.Public(), Site: id.SiteCode,
	}, nil
}

// stationCertValidity is how long the station's certificate is valid from
// when it is made; terminals do not check its dates.
const stationCertValidity = 2 * 365 * 24 * time.Hour

// roomKeys reads the station's room keys, making and storing them on first
// use; the caller holds s.mu.
func (s *Site) roomKeys(ctx context.Context) error {
	if s.keys != nil {
		return nil
	}
	var stored *store.RoomKeys
	err := s.st.View(ctx, func(tx *store.Tx) error {
		var err error
		stored, err = tx.RoomKeys()
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		stored, err = s.makeRoomKeys(ctx)
	}
	if err != nil {
		return err
	}
	damaged := func(err error) error {
		return &store.DamagedError{Table: "meta", Column: "value", Row: "room_keys", Err: err}
	}
	k, err := x509.ParsePKCS8PrivateKey(stored.TLSKey)
	if err != nil {
		return damaged(err)
	}
	tlsKey, ok := k.(*ecdsa.PrivateKey)
	if !ok {
		return damaged(fmt.Errorf("the TLS key is a %T, not ECDSA", k))
	}
	keys, err := seal.ParseCentralKeys(stored.RecordKey)
	if err != nil {
		return damaged(err)
	}
	s.tlsKey, s.keys = tlsKey, keys
	return nil
}

func (s *Site) makeRoomKeys(ctx context.Context) (*store.RoomKeys, error) {
	tlsKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("the station's TLS key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(tlsKey)
	if err != nil {
		return nil, fmt.Errorf("the station's TLS key: %w", err)
	}
	rk, err := seal.GenerateCentralKeys()
	if err != nil {
		return nil, fmt.Errorf("the station's record key: %w", err)
	}
	k := &store.RoomKeys{TLSKey: der, RecordKey: rk.Marshal()}
	if err := s.st.Update(ctx, func(tx *store.Tx) error { return tx.SetRoomKeys(k) }); err != nil {
		return nil, err
	}
	s.log.Info("room keys made")
	return k, nil
}

// PairTerminal stores a new terminal of a room ("" serves every room) with
// its key, and returns it with the id it is given.
func (s *Site) PairTerminal(ctx context.Context, roomName string, key *seal.DevicePublicKey, name, seat string) (Terminal, error) {
	name, seat, roomName = strings.TrimSpace(name), strings.TrimSpace(seat), strings.TrimSpace(roomName)
	// What a terminal sends over the network: refused in English for the
	// station's log and the terminal, not shown on the station's screens.
	switch {
	case key == nil:
		return Terminal{}, fmt.Errorf("%w: the terminal's key is missing", ErrInput)
	case name == "" || !plain(name, 64):
		return Terminal{}, fmt.Errorf("%w: the terminal's name is empty, longer than 64 characters or has control characters", ErrInput)
	case !plain(seat, 32) || !plain(roomName, 64):
		return Terminal{}, fmt.Errorf("%w: the terminal's seat (32) or room (64) is too long or has control characters", ErrInput)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	terms, err := s.terminals(ctx)
	if err != nil {
		return Terminal{}, err
	}
	var id string
	for id == "" || terms[id] != nil {
		if id, err = newTerminalID(); err != nil {
			return Terminal{}, err
		}
	}
	now := s.now()
	t := &term{Terminal: Terminal{ID: id, Name: name, Seat: seat, Room: roomName, Key: key, Paired: now.Round(0).UTC()}}
	err = s.update(ctx, nil, func(tx *store.Tx) error {
		return tx.AddTerminal(store.Terminal{ID: id, Key: key.Marshal(), Name: name, Seat: seat, Room: roomName, Paired: now})
	})
	if err != nil {
		return Terminal{}, err
	}
	terms[id] = t
	s.log.Info("terminal paired", "terminal", id, "room", roomName)
	return t.Terminal, nil
}

// TerminalByID returns a paired terminal (ErrUnknownTerminal), revoked or not.
func (s *Site) TerminalByID(ctx context.Context, id string) (Terminal, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, err := s.term(ctx, id)
	if err != nil {
		return Terminal{}, err
	}
	return t.Terminal, nil
}

// Terminals returns every paired terminal with what the console shows, by
// seat then id.
func (s *Site) Terminals(ctx context.Context) ([]TerminalStatus, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	terms, err := s.terminals(ctx)
	if err != nil {
		return nil, err
	}
	now := s.now()
	out := make([]TerminalStatus, 0, len(terms))
	for _, t := range terms {
		ts := TerminalStatus{Terminal: t.Terminal, LastHeard: s.lastHeard(t.ID), LastSave: t.lastSave}
		ts.Silent = !t.revoked() && (ts.LastHeard.IsZero() || now.Sub(ts.LastHeard) > roomwire.Silent)
		if t.ticket != "" {
			c, err := s.wireCandidate(ctx, t, now)
			if err != nil {
				return nil, err
			}
			ts.Candidate = &c
		}
		out = append(out, ts)
	}
	slices.SortFunc(out, func(a, b TerminalStatus) int { return cmp.Or(cmp.Compare(a.Seat, b.Seat), cmp.Compare(a.ID, b.ID)) })
	return out, nil
}

// RevokeTerminal revokes a terminal: from then on it is refused. The
// candidate it served, if any, is no longer signed in on it, and an
// incident is noted for them.
func (s *Site) RevokeTerminal(ctx context.Context, id, proctor, reason string) error {
	reason, err := checkReason(reason)
	if err != nil {
		return err
	}
	if err := checkProctor(proctor); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t, err := s.term(ctx, id)
	if err != nil {
		return err
	}
	if t.revoked() {
		return nil
	}
	var r *room
	if t.ticket != "" {
		if r, err = s.room(ctx, t.sessionID); err != nil {
			return err
		}
	}
	now := s.now()
	err = s.update(ctx, r, func(tx *store.Tx) error {
		if err := tx.RevokeTerminal(id, now, reason); err != nil {
			return err
		}
		if r == nil {
			return nil
		}
		return s.incident(tx, r, t.ticket, IncidentTerminalRevoked, fmt.Sprintf("terminal %s revoked by %s: %s", id, proctor, reason), now)
	})
	if err != nil {
		return err
	}
	t.Revoked, t.sessionID, t.ticket, t.candSeat = now.Round(0).UTC(), "", "", ""
	s.bump()
	s.log.Info("terminal revoked", "terminal", id)
	return nil
}

// Heard notes that a terminal was heard from now (memory only); call it for
// a request that authenticated as the terminal.
func (s *Site) Heard(id string) {
	now := s.now()
	s.heardMu.Lock()
	s.heard[id] = now
	s.heardMu.Unlock()
}

func (s *Site) lastHeard(id string) time.Time {
	s.heardMu.Lock()
	defer s.heardMu.Unlock()
	return s.heard[id]
}

// Watch returns a channel closed at the next change a terminal must hear of
// (start, pause, resume, extra time, submission, end, check-in, a sign-in,
// a move, a revocation; not an answer saved): a long poll waits on it. Take
// the channel before reading RoomState, so that a change committed in
// between closes the channel held rather than a later one.
func (s *Site) Watch() <-chan struct{} {
	s.watchMu.Lock()
	defer s.watchMu.Unlock()
	return s.watch
}

// RoomState is what the station tells a terminal now. Gen changes whenever
// anything in it but the clocks may have changed (see Watch).
func (s *Site) RoomState(ctx context.Context, terminalID string) (roomwire.State, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, err := s.activeTerm(ctx, terminalID)
	if err != nil {
		return roomwire.State{}, err
	}
	return s.stateOf(ctx, t, s.now())
}

// stateOf is a terminal's state; the caller holds s.mu. Gen is read first:
// a change committed while the state is put together bumps it again.
func (s *Site) stateOf(ctx context.Context, t *term, now time.Time) (roomwire.State, error) {
	st := roomwire.State{Gen: s.gen.Load(), StationTime: now.Round(0).UTC(), Terminal: t.wire(), Acked: t.Acked, AckedHash: t.AckedHash}
	if t.ticket != "" {
		c, err := s.wireCandidate(ctx, t, now)
		if err != nil {
			return roomwire.State{}, err
		}
		st.Candidate = &c
	}
	return st, nil
}

// wireCandidate is the candidate a terminal serves as the station sees
// them now; the caller holds s.mu.
func (s *Site) wireCandidate(ctx context.Context, t *term, now time.Time) (roomwire.Candidate, error) {
	r, err := s.room(ctx, t.sessionID)
	if err != nil {
		return roomwire.Candidate{}, err
	}
	rc := r.roster[t.ticket]
	c := roomwire.Candidate{SessionID: r.id, SessionTitle: r.sess.Title, Ticket: t.ticket, Name: rc.Name, Seat: t.candSeat,
		Started: r.started(), Ended: r.ended(), Paused: r.st.Paused}
	if c.Seat == "" {
		c.Seat = rc.Seat
	}
	if r.paper != nil {
		for _, sec := range r.paper.Sections {
			c.Items += len(sec.Items)
		}
	}
	a, ok := r.att[t.ticket]
	if !ok {
		c.Used = r.clock.Elapsed(now)
		c.Remaining = exam.Remaining(r.duration(), time.Duration(r.st.ExtraMS)*time.Millisecond, c.Used)
		return c, nil
	}
	c.Used, c.Remaining = a.clock.Elapsed(now), r.remaining(a, now)
	c.CollectAt = s.collectAt(r.id, t.ticket)
	c.Paused = c.Paused || a.st.Paused
	c.Submitted, c.Forced, c.ReceiptCode = !a.st.Submitted.IsZero(), a.st.Forced, a.st.ReceiptCode
	for _, yes := range a.answered {
		if yes {
			c.Answered++
		}
	}
	return c, nil
}

// Package site is the logic of a OneX exam site, with no window: enrolment
// with central, downloading session packages (signature-checked, by cursor),
// unlocking papers online or by a phoned-in code, check-in, the room's start,
// each candidate's exam (presentation order, autosave acknowledged only after
// commit, review flags, a monotonic timer checkpointed to the store, forced
// submission at time-out, a receipt code), proctoring (pause, resume, extra
// time, forced submission, incidents, end), examiners' practical scores,
// status, the outbox pusher and export. The Fyne screens and the command
// line sit on this package; they need no SQL and no cryptography.
//
// Every state change is one transaction of the site store, committed with
// the record that reports it to central; a call returns only after that
// commit, so what it acknowledged survives a crash. Nothing here logs a
// candidate's name, ID number, a question or an answer.
package site

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	gosync "sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-retryablehttp"

	"onex/client/store"
	"onex/exam"
	"onex/exam/seal"
	wire "onex/sync"
)

// Config says where a site's store is and how the site behaves.
type Config struct {
	Dir        string // data directory of the site store
	Passphrase string // the site passphrase, never from the command line
	Log        *slog.Logger
	// Now is the wall and monotonic clock; nil is time.Now.
	Now func() time.Time
	// HTTP talks to central; nil is sync.NewClient(sync.DefaultRetry, Log).
	// Its transport must be an *http.Transport: the site sets its TLS to
	// trust central as enrolment decided (a copy; HTTP is not changed).
	HTTP *retryablehttp.Client
	// RootCAs are the roots that vouch for central's certificate when
	// enrolment pinned none; nil is the system's.
	RootCAs *x509.CertPool
	// SnapshotEvery is the least time between two answer-snapshot records of
	// one item, so that typing an essay does not queue a record per
	// keystroke; every save is stored at once regardless, and the submission
	// carries every answer. 0 is DefaultSnapshotEvery; negative queues a
	// record on every save.
	SnapshotEvery time.Duration
	// CheckpointEvery is how often Tick writes the running clocks; 0 is 5 s.
	CheckpointEvery time.Duration
}

// DefaultSnapshotEvery is Config.SnapshotEvery's default.
const DefaultSnapshotEvery = 10 * time.Second

// Unlock attempts before unlocking by code is locked, and the first lock.
const (
	UnlockAttempts = 5
	unlockLockBase = time.Minute
	unlockLockMax  = time.Hour
)

// downtimeNote is the least downtime that is reported as an incident.
const downtimeNote = 30 * time.Second

// Site is an open site store with the logic over it. Its methods are safe
// for concurrent use; each state change is serialised.
type Site struct {
	cfg   Config
	st    *store.Store
	log   *slog.Logger
	now   func() time.Time
	base  *retryablehttp.Client                // Config.HTTP, or the default
	httpc atomic.Pointer[retryablehttp.Client] // base trusting central as enrolled (see client)

	mu         gosync.Mutex
	rooms      map[string]*room
	offset     time.Duration // central's clock minus ours, last learned
	pusher     *wire.Pusher
	queued     bool // records were queued by the current change
	lastCkpt   time.Time
	enrolledAt time.Time
	notify     bool // the current change is one terminals must hear of (see Watch)

	certMu gosync.Mutex // keeping the certificate trust documents (certificates.go)

	roomNet // the exam room's terminals (room_*.go)
}

// Open opens the site store in cfg.Dir.
func Open(ctx context.Context, cfg Config) (*Site, error) {
	st, err := store.Open(ctx, cfg.Dir, cfg.Passphrase, store.Options{Log: cfg.Log})
	if err != nil {
		return nil, err
	}
	return newSite(ctx, cfg, st)
}

func newSite(ctx context.Context, cfg Config, st *store.Store) (*Site, error) {
	s := &Site{cfg: cfg, st: st, log: cfg.Log, now: cfg.Now, base: cfg.HTTP, rooms: map[string]*room{}}
	s.roomNet.init()
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.base == nil {
		s.base = wire.NewClient(wire.DefaultRetry, s.log)
	}
	if s.cfg.CheckpointEvery <= 0 {
		s.cfg.CheckpointEvery = 5 * time.Second
	}
	if s.cfg.SnapshotEvery == 0 {
		s.cfg.SnapshotEvery = DefaultSnapshotEvery
	}
	var pins []seal.Hash
	err := st.View(ctx, func(tx *store.Tx) error {
		var err error
		if s.offset, err = tx.ServerOffset(); err != nil {
			return err
		}
		id, err := tx.Identity()
		if err == nil {
			pins = id.TLSPins
		} else if !errors.Is(err, store.ErrNotEnrolled) {
			return err
		}
		return nil
	})
	if err == nil {
		err = s.setTrust(pins)
	}
	if err != nil {
		st.Close()
		return nil, err
	}
	return s, nil
}

// Close checkpoints the running clocks and closes the store.
func (s *Site) Close() error {
	s.mu.Lock()
	if len(s.rooms) > 0 {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if err := s.checkpointLocked(ctx, s.now()); err != nil {
			s.log.Warn("final checkpoint", "err", err)
		}
		cancel()
	}
	s.mu.Unlock()
	return s.st.Close()
}

// Store returns the site store, for tools that inspect it (status, export).
func (s *Site) Store() *store.Store { return s.st }

// identity returns the device's identity.
func (s *Site) identity(ctx context.Context) (*store.Identity, error) {
	var id *store.Identity
	err := s.st.View(ctx, func(tx *store.Tx) error {
		var err error
		id, err = tx.Identity()
		return err
	})
	return id, err
}

// update runs fn in one store transaction for room r (nil for none). If it
// fails, r is dropped from memory and reloaded from the store on next use, so
// memory never runs ahead of what was committed. After a commit that queued
// records, the pusher is woken.
func (s *Site) update(ctx context.Context, r *room, fn func(tx *store.Tx) error) error {
	s.queued, s.notify = false, false
	err := s.st.Update(ctx, fn)
	if err != nil {
		if r != nil {
			delete(s.rooms, r.id)
		}
		return err
	}
	if s.queued && s.pusher != nil {
		s.pusher.Notify()
	}
	if s.notify {
		s.bump()
	}
	return nil
}

// queue puts a record in the outbox in tx.
func (s *Site) queue(tx *store.Tx, kind, sessionID string, payload any, now time.Time) (*seal.Envelope, error) {
	env, err := tx.Queue(kind, sessionID, payload, now)
	if err == nil {
		s.queued = true
		// Every record but an answer snapshot or a hand-in piece reports a change of a room or
		// of a candidate's state that terminals hear of (start, pause,
		// resume, extra time, submission, end, check-in, incident).
		s.notify = s.notify || kind != wire.KindAnswer && kind != wire.KindHandIn
	}
	return env, err
}

// stamp is the clock a record carries.
func (s *Site) stamp(r *room, now time.Time) wire.Clock {
	c := wire.Clock{DeviceTime: now.Round(0).UTC(), ServerOffsetMS: s.offset.Milliseconds()}
	if r != nil {
		c.ElapsedMS = r.clock.Elapsed(now).Milliseconds()
	}
	return c
}

// learnServerTime records the offset of central's clock from an answer's
// server time; it is kept in memory and stored with the next change.
func (s *Site) learnServerTime(ctx context.Context, server, local time.Time) {
	if server.IsZero() {
		return
	}
	off := server.Sub(local.Round(0)).Round(time.Millisecond)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.offset = off
	if err := s.st.Update(ctx, func(tx *store.Tx) error { return tx.SetServerOffset(off) }); err != nil {
		s.log.Warn("storing central's clock offset", "err", err)
	}
}

// ServerOffset is the last offset learned between central's clock and this
// device's (central minus device).
func (s *Site) ServerOffset() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.offset
}

// clockState is a stopwatch as checkpointed: the time it had run, whether it
// was running, and the wall time of the checkpoint.
type clockState struct {
	ElapsedMS  int64     `json:"elapsed_ms"`
	Running    bool      `json:"running,omitempty"`
	Checkpoint time.Time `json:"checkpoint"`
}

func checkpoint(sw exam.Stopwatch, now time.Time) clockState {
	return clockState{ElapsedMS: sw.Elapsed(now).Milliseconds(), Running: sw.Running(), Checkpoint: now.Round(0).UTC()}
}

func (c clockState) restore(now time.Time) (exam.Stopwatch, time.Duration) {
	return exam.Restore(time.Duration(c.ElapsedMS)*time.Millisecond, c.Running, c.Checkpoint, now)
}

// sessionState is a session's state on this site, stored sealed.
type sessionState struct {
	Released       time.Time  `json:"released,omitzero"`
	ReleasedHow    string     `json:"released_how,omitempty"` // "online" or "code"
	Started        time.Time  `json:"started,omitzero"`       // the actual start, device wall time
	StartedBy      string     `json:"started_by,omitempty"`
	Clock          clockState `json:"clock"` // runs from the actual start, stops while the room is paused
	Paused         bool       `json:"paused,omitempty"`
	ExtraMS        int64      `json:"extra_ms,omitempty"` // extra time for the whole room
	Ended          time.Time  `json:"ended,omitzero"`
	UnlockFailures int        `json:"unlock_failures,omitempty"`
	LockedUntil    time.Time  `json:"locked_until,omitzero"`
}

// attemptState is a candidate's exam on this site, stored sealed.
type attemptState struct {
	Begun        time.Time  `json:"begun"`
	Clock        clockState `json:"clock"` // the candidate's time used
	ExtraMS      int64      `json:"extra_ms,omitempty"`
	Paused       bool       `json:"paused,omitempty"` // by a proctor, for this candidate
	Submitted    time.Time  `json:"submitted,omitzero"`
	Forced       bool       `json:"forced,omitempty"`
	ReceiptCode  string     `json:"receipt_code,omitempty"`
	RecordID     string     `json:"record_id,omitempty"`
	EnvelopeHash seal.Hash  `json:"envelope_hash,omitzero"`
}

// attempt is a candidate's exam in memory.
type attempt struct {
	ticket string
	st     attemptState
	clock  exam.Stopwatch
	revs   map[string]int
	flags  map[string]bool
	snaps  map[string]time.Time // last answer-snapshot record of each item, this run
	// answered says which items have an answer (what a terminal's console
	// line counts).
	answered map[string]bool
}

func newAttempt(ticket string) *attempt {
	return &attempt{ticket: ticket, revs: map[string]int{}, flags: map[string]bool{}, snaps: map[string]time.Time{}, answered: map[string]bool{}}
}

// room is a session in memory: its verified package, roster, paper once
// released, state and clocks.
type room struct {
	id       string
	sess     *wire.Session
	pkg      *seal.Package
	roster   map[string]exam.Candidate
	paper    *exam.Paper // nil until released
	paperErr error       // why a stored release key does not open the paper
	st       sessionState
	clock    exam.Stopwatch
	att      map[string]*attempt
}

func (r *room) started() bool { return !r.st.Started.IsZero() }
func (r *room) ended() bool   { return !r.st.Ended.IsZero() }

func (r *room) duration() time.Duration {
	return time.Duration(r.sess.DurationMinutes) * time.Minute
}

// remaining is a candidate's time left.
func (r *room) remaining(a *attempt, now time.Time) time.Duration {
	extra := time.Duration(r.st.ExtraMS+a.st.ExtraMS) * time.Millisecond
	return exam.Remaining(r.duration(), extra, a.clock.Elapsed(now))
}

// runs reports whether a candidate's clock should run.
func (r *room) runs(a *attempt) bool {
	return r.started() && !r.ended() && !r.st.Paused && !a.Paused() && a.st.Submitted.IsZero()
}

// Paused reports whether a proctor paused this candidate.
func (a *attempt) Paused() bool { return a.st.Paused }

// setClocks starts or stops every clock of the room as its state says.
func (r *room) setClocks(now time.Time) {
	if r.started() && !r.ended() && !r.st.Paused {
		r.clock.Start(now)
	} else {
		r.clock.Stop(now)
	}
	for _, a := range r.att {
		if r.runs(a) {
			a.clock.Start(now)
		} else {
			a.clock.Stop(now)
		}
	}
}

// save writes the room's state with its clock checkpointed.
func (r *room) save(tx *store.Tx, now time.Time) error {
	r.st.Clock = checkpoint(r.clock, now)
	return tx.PutSessionState(r.id, r.st)
}

// saveAttempt writes a candidate's state with the clock checkpointed.
func (r *room) saveAttempt(tx *store.Tx, a *attempt, now time.Time) error {
	a.st.Clock = checkpoint(a.clock, now)
	return tx.PutAttempt(r.id, a.ticket, a.st, !a.st.Submitted.IsZero(), a.st.ReceiptCode)
}

// room returns a session in memory, loading and verifying it on first use.
// The caller holds s.mu.
func (s *Site) room(ctx context.Context, id string) (*room, error) {
	if r, ok := s.rooms[id]; ok {
		return r, nil
	}
	r, err := s.loadRoom(ctx, id)
	if err != nil {
		return nil, err
	}
	s.rooms[id] = r
	return r, nil
}

// loadRoom reads a session from the store, verifies its package, opens its
// paper with the stored release key, and restores its clocks, noting an
// incident when they ran while the device was off.
func (s *Site) loadRoom(ctx context.Context, id string) (*room, error) {
	now := s.now()
	r, releaseKey, err := s.readRoom(ctx, id)
	if err != nil {
		return nil, err
	}
	if releaseKey != nil {
		if err := r.openStoredPaper(releaseKey); err != nil {
			s.log.Warn("stored release key does not open the paper", "session", id, "err", err)
		}
	}
	// Time the device was off while a clock ran counts as used, and is
	// reported (once, for the room) when candidates' clocks ran, so that a
	// proctor can grant it back.
	down, running := r.restoreClocks(now)
	if down >= downtimeNote {
		note := fmt.Sprintf("device was off for %s while %d candidates' clocks ran; the time counted as used", down.Round(time.Second), running)
		if err := s.update(ctx, nil, func(tx *store.Tx) error { return s.incident(tx, r, "", IncidentDowntime, note, now) }); err != nil {
			return nil, err
		}
		s.log.Warn("clocks resumed after downtime", "session", id, "downtime", down.Round(time.Second), "candidates", running)
	}
	return r, nil
}

// readRoom reads a session's package (verified against central's key and
// this site), state and candidates' attempts from the store, and returns
// them with the stored release key (nil before release).
func (s *Site) readRoom(ctx context.Context, id string) (*room, []byte, error) {
	r := &room{id: id, att: map[string]*attempt{}}
	var releaseKey []byte
	err := s.st.View(ctx, func(tx *store.Tx) error {
		ident, err := tx.Identity()
		if err != nil {
			return err
		}
		p, err := tx.Package(id)
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("%w: %q (run download)", ErrNoSession, id)
		}
		if err != nil {
			return err
		}
		if r.pkg, r.sess, err = verifyPackage(ident.Central, ident.SiteCode, id, p.Manifest, p.Parts); err != nil {
			return fmt.Errorf("stored package of session %s: %w", id, err)
		}
		if releaseKey, err = tx.ReleaseKey(id); err != nil {
			return err
		}
		if _, err := tx.SessionState(id, &r.st); err != nil {
			return err
		}
		r.att, err = readAttempts(tx, id)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	r.roster = make(map[string]exam.Candidate, len(r.sess.Candidates))
	for _, c := range r.sess.Candidates {
		r.roster[c.Ticket] = c
	}
	return r, releaseKey, nil
}

// readAttempts reads the exams begun in a session, by ticket, with each
// saved answer's revision and review flag.
func readAttempts(tx *store.Tx, sessionID string) (map[string]*attempt, error) {
	tickets, err := tx.AttemptTickets(sessionID)
	if err != nil {
		return nil, err
	}
	att := make(map[string]*attempt, len(tickets))
	for _, t := range tickets {
		a := newAttempt(t)
		if _, err := tx.Attempt(sessionID, t, &a.st); err != nil {
			return nil, err
		}
		answers, err := tx.Answers(sessionID, t)
		if err != nil {
			return nil, err
		}
		for item, ans := range answers {
			a.revs[item] = ans.Rev
			a.flags[item] = ans.Flagged
			a.answered[item] = ans.Value.Answered()
		}
		att[t] = a
	}
	return att, nil
}

// openStoredPaper opens the room's paper with the stored release key. When
// it does not open, the room stays sealed with r.paperErr saying why, and
// the error is returned.
func (r *room) openStoredPaper(releaseKey []byte) error {
	rk, err := seal.ParseReleaseKey(r.id, releaseKey)
	if err == nil {
		r.paper, err = openPaper(r.pkg, r.sess, rk)
	}
	if err != nil {
		r.paperErr = fmt.Errorf("the stored release key no longer opens the paper of session %s (unlock again): %w", r.id, err)
	}
	return err
}

// restoreClocks restores the room's and each candidate's clock from their
// checkpoints and sets them running as the room's state says. It returns
// the longest time the device was off while a candidate's clock ran, and
// how many candidates' clocks were running.
func (r *room) restoreClocks(now time.Time) (down time.Duration, running int) {
	r.clock, _ = r.st.Clock.restore(now)
	for _, a := range r.att {
		var d time.Duration
		a.clock, d = a.st.Clock.restore(now)
		if a.st.Clock.Running {
			running++
			down = max(down, d)
		}
	}
	r.setClocks(now)
	return down, running
}

// Incident types the site notes by itself.
const (
	IncidentUnlock   = "unlock"   // an unlock attempt, online or by code
	IncidentDowntime = "downtime" // the device was off while a clock ran
)

// incident stores an incident and queues its record in tx.
func (s *Site) incident(tx *store.Tx, r *room, ticket, typ, note string, now time.Time) error {
	if _, err := tx.AddIncident(store.Incident{SessionID: r.id, Ticket: ticket, Type: typ, Note: note, At: now}); err != nil {
		return err
	}
	_, err := s.queue(tx, wire.KindIncident, r.id, wire.Incident{SessionID: r.id, Ticket: ticket, Type: typ, Note: note, Clock: s.stamp(r, now)}, now)
	return err
}

// openPaper opens a session's paper with a release key and checks it is the
// paper the session names.
func openPaper(pkg *seal.Package, sess *wire.Session, rk *seal.ReleaseKey) (*exam.Paper, error) {
	sp, err := pkg.OpenPaper(wire.PartPaperBody, wire.PartPaperKey, rk)
	if err != nil {
		return nil, err
	}
	p, err := exam.ReadPaper(bytes.NewReader(sp.Content))
	if err != nil {
		return nil, fmt.Errorf("%w: the released paper: %v", ErrBadPackage, err)
	}
	if p.ID != sess.PaperID || p.Version != sess.PaperVersion || int(sp.Version) != p.Version || sp.ID != p.ID {
		return nil, fmt.Errorf("%w: the released paper is %s v%d, the session names %s v%d", ErrBadPackage, p.ID, p.Version, sess.PaperID, sess.PaperVersion)
	}
	return p, nil
}

// SessionInfo describes a session on this site.
type SessionInfo struct {
	ID          string     `json:"id"`
	Title       string     `json:"title"`
	Certificate string     `json:"certificate"`
	Level       exam.Level `json:"level"`
	Room        string     `json:"room"`
	PaperID     string     `json:"paper_id"`
	Start       time.Time  `json:"start"`      // planned
	ReleaseAt   time.Time  `json:"release_at"` // by central's clock
	Duration    int        `json:"duration_minutes"`
	LateLimit   int        `json:"late_limit_minutes"`
	Released    bool       `json:"released"`
	Started     time.Time  `json:"started,omitzero"` // actual start
	Ended       time.Time  `json:"ended,omitzero"`
	Paused      bool       `json:"paused,omitempty"`
	Locked      time.Time  `json:"unlock_locked_until,omitzero"`
	store.Counts
	Error string `json:"error,omitempty"` // why the session cannot be used
}

// Sessions lists the sessions on this site, by id.
func (s *Site) Sessions(ctx context.Context) ([]SessionInfo, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ids []string
	counts := map[string]store.Counts{}
	err := s.st.View(ctx, func(tx *store.Tx) error {
		var err error
		if ids, err = tx.SessionIDs(); err != nil {
			return err
		}
		for _, id := range ids {
			if counts[id], err = tx.Counts(id); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := make([]SessionInfo, 0, len(ids))
	for _, id := range ids {
		info := SessionInfo{ID: id, Counts: counts[id]}
		r, err := s.room(ctx, id)
		if err != nil {
			info.Error = err.Error()
			out = append(out, info)
			continue
		}
		info.Title, info.Certificate, info.Level, info.Room = r.sess.Title, r.sess.Certificate, r.sess.Level, r.sess.Room
		info.PaperID, info.Start, info.ReleaseAt = r.sess.PaperID, r.sess.Start, r.sess.ReleaseAt
		info.Duration, info.LateLimit = r.sess.DurationMinutes, int(exam.LateLimit(r.sess.LateLimitMinutes)/time.Minute)
		info.Released, info.Started, info.Ended, info.Paused = r.paper != nil, r.st.Started, r.st.Ended, r.st.Paused
		if r.st.LockedUntil.After(s.now()) {
			info.Locked = r.st.LockedUntil
		}
		if r.paperErr != nil {
			info.Error = r.paperErr.Error()
		}
		out = append(out, info)
	}
	return out, nil
}

// Tick forces the submission of every candidate whose time is up and
// checkpoints the running clocks (at most every CheckpointEvery). The UI
// calls it about once a second; it returns the submissions it forced. A
// candidate signed in on a terminal is held for roomwire.Silent past their
// time, and for SubmitGrace while that terminal is silent, so that changes
// made in time can still arrive (holdSubmission).
func (s *Site) Tick(ctx context.Context) ([]Submission, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	var ids []string
	err := s.st.View(ctx, func(tx *store.Tx) error {
		var err error
		ids, err = tx.SessionIDs()
		return err
	})
	if err != nil {
		return nil, err
	}
	// The terminals say whose forced submission waits (holdSubmission).
	if _, err := s.terminals(ctx); err != nil {
		return nil, err
	}
	var out []Submission
	for _, id := range ids {
		r, err := s.room(ctx, id)
		if err != nil || !r.started() || r.ended() {
			continue // a session that cannot load is reported by Sessions
		}
		var due []*attempt
		for _, t := range slices.Sorted(maps.Keys(r.att)) {
			if a := r.att[t]; r.runs(a) && r.remaining(a, now) <= 0 && !s.holdSubmission(r, a, now) {
				due = append(due, a)
			}
		}
		if len(due) == 0 {
			continue
		}
		var subs []Submission
		err = s.update(ctx, r, func(tx *store.Tx) error {
			subs = subs[:0]
			for _, a := range due {
				sub, err := s.submit(tx, r, a, now, true)
				if err != nil {
					return err
				}
				subs = append(subs, sub)
			}
			return nil
		})
		if err != nil {
			return out, err
		}
		s.log.Info("time up: papers submitted", "session", id, "count", len(subs))
		out = append(out, subs...)
	}
	if now.Sub(s.lastCkpt) >= s.cfg.CheckpointEvery {
		if err := s.checkpointLocked(ctx, now); err != nil {
			return out, err
		}
	}
	return out, nil
}

// checkpointLocked writes every running clock of the rooms in memory.
func (s *Site) checkpointLocked(ctx context.Context, now time.Time) error {
	for _, r := range s.rooms {
		if !r.clock.Running() && !anyRunning(r) {
			continue
		}
		err := s.update(ctx, r, func(tx *store.Tx) error {
			if err := r.save(tx, now); err != nil {
				return err
			}
			for _, a := range r.att {
				if a.clock.Running() {
					if err := r.saveAttempt(tx, a, now); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	s.lastCkpt = now
	return nil
}

func anyRunning(r *room) bool {
	for _, a := range r.att {
		if a.clock.Running() {
			return true
		}
	}
	return false
}

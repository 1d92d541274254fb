package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"onex/exam"
	"onex/exam/seal"
	"onex/server/store"
	osync "onex/sync"
)

// China Standard Time, in which sites read their schedules.
var CST = time.FixedZone("CST", 8*3600)

// SessionSpec is what the office gives to schedule a session.
type SessionSpec struct {
	Site             string
	Room             string
	PaperID          string
	PaperVersion     int       // 0: the latest
	Start            time.Time // the planned start
	ReleaseAt        time.Time // zero: 10 minutes before Start
	LateLimitMinutes int       // 0: 15
}

// CreateSession schedules a session, generates its unlock code and release
// key, seals its paper under that key, and stores its first package. The
// sessions of one paper version are all released at one time, fixed by the
// first (see PaperReleaseError).
func (c *Central) CreateSession(ctx context.Context, spec SessionSpec, actor string) (store.Session, error) {
	cat, err := c.db.Catalogue(ctx)
	if err != nil {
		return store.Session{}, err
	}
	site, ok := cat.Site(spec.Site)
	switch {
	case !ok:
		return store.Session{}, inputf("site %q is not in the catalogue", spec.Site)
	case !site.HasRoom(spec.Room):
		return store.Session{}, inputf("site %s has no room %q (rooms: %s)", site.Code, spec.Room, strings.Join(site.Rooms, ", "))
	case spec.Start.IsZero():
		return store.Session{}, inputf("start time is missing")
	}
	if spec.PaperVersion == 0 {
		if spec.PaperVersion, err = c.db.LatestPaperVersion(ctx, spec.PaperID); err != nil {
			return store.Session{}, inputf("paper %q is not imported", spec.PaperID)
		}
	}
	raw, err := c.paperJSON(ctx, spec.PaperID, spec.PaperVersion)
	if errors.Is(err, store.ErrNotFound) {
		return store.Session{}, inputf("paper %s version %d is not imported", spec.PaperID, spec.PaperVersion)
	}
	if err != nil {
		return store.Session{}, err
	}
	defaultRelease := spec.ReleaseAt.IsZero()
	if defaultRelease {
		spec.ReleaseAt = spec.Start.Add(-DefaultReleaseLead)
	}
	if spec.ReleaseAt.After(spec.Start) {
		return store.Session{}, inputf("release time %s is after the start %s", spec.ReleaseAt.Format(time.RFC3339), spec.Start.Format(time.RFC3339))
	}
	if spec.LateLimitMinutes == 0 {
		spec.LateLimitMinutes = 15
	}
	if err := c.checkPaperRelease(ctx, spec); err != nil {
		return store.Session{}, err
	}
	if now := c.now(); !spec.ReleaseAt.After(now) {
		return store.Session{}, &ReleasePassedError{ReleaseAt: spec.ReleaseAt, Start: spec.Start, Now: now, Default: defaultRelease}
	}
	code, err := seal.NewUnlockCode()
	if err != nil {
		return store.Session{}, err
	}
	s := store.Session{
		ID:   fmt.Sprintf("%s-%s-%s", site.Code, spec.Room, spec.Start.In(CST).Format("200601021504")),
		Site: site.Code, Room: spec.Room, PaperID: spec.PaperID, PaperVersion: spec.PaperVersion,
		Start: spec.Start, ReleaseAt: spec.ReleaseAt, LateLimitMinutes: spec.LateLimitMinutes,
		CreatedAt: c.now(),
	}
	if s.UnlockSealed, err = c.sealUnlockCode(s.ID, code.String()); err != nil {
		return store.Session{}, err
	}
	rk, err := seal.DeriveReleaseKey(code, s.ID)
	if err != nil {
		return store.Session{}, err
	}
	sealed, err := seal.SealPaper(raw, s.PaperID, uint32(s.PaperVersion), rk)
	if err != nil {
		return store.Session{}, fmt.Errorf("seal paper %s: %w", s.PaperID, err)
	}
	pkg, err := c.signPackage(ctx, s, nil, map[string][]byte{osync.PartPaperBody: sealed.Body, osync.PartPaperKey: sealed.Key})
	if err != nil {
		return store.Session{}, err
	}
	if err := c.db.CreateSession(ctx, s, pkg); err != nil {
		var mismatch *store.ReleaseMismatchError
		switch {
		case errors.Is(err, store.ErrExists):
			return store.Session{}, inputf("session %s exists already (same site, room and start)", s.ID)
		case errors.As(err, &mismatch): // another session of the paper was scheduled meanwhile
			return store.Session{}, &PaperReleaseError{PaperRelease: mismatch.Fixed}
		}
		return store.Session{}, err
	}
	c.cacheReleaseKey(s.ID, rk.Bytes())
	return s, c.db.Audit(ctx, actor, "create session", fmt.Sprintf("%s: paper %s v%d, start %s", s.ID, s.PaperID, s.PaperVersion, s.Start.Format(time.RFC3339)))
}

// DefaultReleaseLead is how long before its start a session is released
// when the office gives no release time.
const DefaultReleaseLead = 10 * time.Minute

// ReleasePassedError refuses a session whose release time has passed by
// central's clock: its paper would be out at once, and its roster could
// never be imported (a roster changes only before the release). Default
// says the release time was the default, DefaultReleaseLead before a start
// that close.
type ReleasePassedError struct {
	ReleaseAt, Start, Now time.Time
	Default               bool
}

func (e *ReleasePassedError) Error() string {
	at, start := e.ReleaseAt.In(CST).Format(time.RFC3339), e.Start.In(CST).Format(time.RFC3339)
	if e.Default {
		return fmt.Sprintf("the start %s is less than %s away, so the default release time, %s, has passed by central's clock (%s): the paper would be out at once and no roster could be imported; give a release time between now and the start (--release; import the roster before it), or a later start",
			start, DefaultReleaseLead, at, e.Now.In(CST).Format(time.RFC3339))
	}
	return fmt.Sprintf("release time %s has passed by central's clock (%s): the paper would be out at once and no roster could be imported; give a release time between now and the start %s, and import the roster before it",
		at, e.Now.In(CST).Format(time.RFC3339), start)
}

// Is makes errors.Is(err, ErrInput) true.
func (e *ReleasePassedError) Is(target error) bool { return target == ErrInput }

// PaperReleaseError refuses a session of a paper version whose questions
// would be out before the session's release: every session of one paper
// version is released at the same time, fixed by the first, since
// releasing any of them reveals the questions of all. A paper version
// released already takes no new session.
type PaperReleaseError struct {
	store.PaperRelease
	Released bool // that time has passed
}

func (e *PaperReleaseError) Error() string {
	at := e.ReleaseAt.In(CST).Format(time.RFC3339)
	if e.Released {
		return fmt.Sprintf("paper %s version %d was released at %s (session %s): its questions are out; schedule another version", e.PaperID, e.Version, at, e.SessionID)
	}
	return fmt.Sprintf("paper %s version %d is released at %s (session %s), and all sessions of a paper version are released at the same time: give release %s, or schedule another version",
		e.PaperID, e.Version, at, e.SessionID, at)
}

// Is makes errors.Is(err, ErrInput) true.
func (e *PaperReleaseError) Is(target error) bool { return target == ErrInput }

// checkPaperRelease refuses a session whose release is not its paper
// version's (see PaperReleaseError).
func (c *Central) checkPaperRelease(ctx context.Context, spec SessionSpec) error {
	fixed, err := c.db.PaperRelease(ctx, spec.PaperID, spec.PaperVersion)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil
	case err != nil:
		return err
	case !c.now().Before(fixed.ReleaseAt):
		return &PaperReleaseError{PaperRelease: fixed, Released: true}
	case !fixed.ReleaseAt.Equal(spec.ReleaseAt.Truncate(time.Microsecond)):
		return &PaperReleaseError{PaperRelease: fixed}
	}
	return nil
}

// rebuildPackage makes a session's package anew around its sealed paper, for a new roster.
func (c *Central) rebuildPackage(ctx context.Context, s store.Session, cands []exam.Candidate) (store.SignPackage, error) {
	old, err := c.db.SessionPackage(ctx, s.ID)
	if err != nil {
		return nil, err
	}
	return c.signPackage(ctx, s, cands, map[string][]byte{osync.PartPaperBody: old.Parts[osync.PartPaperBody], osync.PartPaperKey: old.Parts[osync.PartPaperKey]})
}

// signPackage adds the session part to parts and returns how to sign the
// manifest of them all for the version the store gives the package.
func (c *Central) signPackage(ctx context.Context, s store.Session, cands []exam.Candidate, parts map[string][]byte) (store.SignPackage, error) {
	p, err := c.paper(ctx, s.PaperID, s.PaperVersion)
	if err != nil {
		return nil, err
	}
	cat, err := c.db.Catalogue(ctx)
	if err != nil {
		return nil, err
	}
	rule, err := cat.Rule(p.Certificate, p.Level)
	if err != nil {
		return nil, err
	}
	// The kind of a fee exemption stays at central: sites have no use for
	// it, and sites before issue 17 refuse a field they do not know.
	cands = slices.Clone(cands)
	for i := range cands {
		cands[i].FeeKind = ""
	}
	meta, err := json.Marshal(osync.Session{
		ID: s.ID, SiteCode: s.Site, Room: s.Room, PaperID: p.ID, PaperVersion: p.Version,
		Certificate: p.Certificate, Level: p.Level, Title: p.Title,
		Start: s.Start, ReleaseAt: s.ReleaseAt, DurationMinutes: p.DurationMinutes,
		LateLimitMinutes: s.LateLimitMinutes, PassMark: rule.PassMark, Candidates: cands,
	})
	if err != nil {
		return nil, err
	}
	parts[osync.PartSession] = meta
	m := &seal.Manifest{PackageID: s.ID, SessionID: s.ID, Created: c.now()}
	for name, data := range parts {
		m.Parts = append(m.Parts, seal.NewPart(name, data))
	}
	return func(version int64) (store.Package, error) {
		manifest, err := c.signManifest(*m, version)
		return store.Package{Manifest: manifest, Parts: parts}, err
	}, nil
}

// signManifest signs m as the package's given version.
func (c *Central) signManifest(m seal.Manifest, version int64) ([]byte, error) {
	m.Version = uint64(version)
	return seal.SignManifest(c.keys, &m)
}

// versionPackages gives every package whose manifest has no version (made
// before manifests carried one) a new one, signed for a new version, so
// that devices take it. Central processes that start together give each
// such package one new version between them.
func (c *Central) versionPackages(ctx context.Context) error {
	ms, err := c.db.Manifests(ctx)
	if err != nil {
		return err
	}
	for id, old := range ms {
		m, err := seal.OpenManifest(c.keys.Public(), old)
		if err != nil {
			return fmt.Errorf("session %s: stored manifest: %w", id, err)
		}
		if m.Version != 0 {
			continue
		}
		done, err := c.db.ReplaceManifest(ctx, id, old, func(v int64) (store.Package, error) {
			manifest, err := c.signManifest(*m, v)
			return store.Package{Manifest: manifest}, err
		})
		if err != nil {
			return fmt.Errorf("session %s: new manifest: %w", id, err)
		}
		if done {
			c.log.Info("package signed with a version", "session", id)
		}
	}
	return nil
}

func (c *Central) cacheReleaseKey(sessionID string, key []byte) {
	c.releaseMu.Lock()
	c.releaseCache[sessionID] = key
	c.releaseMu.Unlock()
}

// releaseKey returns a session's release key, deriving it from the unlock code once per process.
func (c *Central) releaseKey(s store.Session) ([]byte, error) {
	c.releaseMu.Lock()
	key, ok := c.releaseCache[s.ID]
	c.releaseMu.Unlock()
	if ok {
		return key, nil
	}
	text, err := c.openUnlockCode(s)
	if err != nil {
		return nil, err
	}
	code, err := seal.ParseUnlockCode(text)
	if err != nil {
		return nil, fmt.Errorf("session %s: stored unlock code: %w", s.ID, err)
	}
	rk, err := seal.DeriveReleaseKey(code, s.ID)
	if err != nil {
		return nil, err
	}
	c.cacheReleaseKey(s.ID, rk.Bytes())
	return rk.Bytes(), nil
}

// UnlockCode returns a session's unlock code for the office to read out, and audits it.
func (c *Central) UnlockCode(ctx context.Context, sessionID, actor string) (string, error) {
	s, err := c.db.Session(ctx, sessionID)
	if errors.Is(err, store.ErrNotFound) {
		return "", inputf("session %s does not exist", sessionID)
	}
	if err != nil {
		return "", err
	}
	code, err := c.openUnlockCode(s)
	if err != nil {
		return "", err
	}
	return code, c.db.Audit(ctx, actor, "show unlock code", "session "+s.ID)
}

// sealUnlockCode seals a session's unlock code under central's secrets key.
func (c *Central) sealUnlockCode(sessionID, code string) ([]byte, error) {
	return seal.SealField(c.keys.SecretsKey(), "sessions", "unlock_code", sessionID, []byte(code))
}

// openUnlockCode opens the unlock code a session keeps sealed.
func (c *Central) openUnlockCode(s store.Session) (string, error) {
	b, err := seal.OpenField(c.keys.SecretsKey(), "sessions", "unlock_code", s.ID, s.UnlockSealed)
	if err != nil {
		return "", fmt.Errorf("session %s: sealed unlock code: %w", s.ID, err)
	}
	return string(b), nil
}

// sealPlainUnlockCodes seals the unlock codes a database from before they
// were sealed still holds in the clear.
func (c *Central) sealPlainUnlockCodes(ctx context.Context) error {
	plain, err := c.db.PlainUnlockCodes(ctx)
	if err != nil {
		return err
	}
	for id, code := range plain {
		sealed, err := c.sealUnlockCode(id, code)
		if err != nil {
			return err
		}
		if err := c.db.SealUnlockCode(ctx, id, sealed); err != nil {
			return fmt.Errorf("seal the unlock code of session %s: %w", id, err)
		}
	}
	return nil
}

// TooEarlyError answers a release asked before the release time.
type TooEarlyError struct{ Body osync.TooEarly }

func (e *TooEarlyError) Error() string {
	return fmt.Sprintf("session %s is released at %s, in %d s", e.Body.SessionID, e.Body.ReleaseAt.Format(time.RFC3339), e.Body.SecondsRemaining)
}

// Release gives an enrolled device of the session's site the session's
// release key, once central's clock has passed the release time.
func (c *Central) Release(ctx context.Context, dev store.Device, sessionID string) (osync.ReleaseResponse, error) {
	s, err := c.db.Session(ctx, sessionID)
	if errors.Is(err, store.ErrNotFound) || err == nil && s.Site != dev.Site {
		return osync.ReleaseResponse{}, fmt.Errorf("session %s: %w", sessionID, store.ErrNotFound)
	}
	if err != nil {
		return osync.ReleaseResponse{}, err
	}
	now := c.now()
	if now.Before(s.ReleaseAt) {
		wait := s.ReleaseAt.Sub(now)
		return osync.ReleaseResponse{}, &TooEarlyError{osync.TooEarly{SessionID: s.ID, ReleaseAt: s.ReleaseAt,
			SecondsRemaining: int64((wait + time.Second - 1) / time.Second), ServerTime: now}}
	}
	key, err := c.releaseKey(s)
	if err != nil {
		return osync.ReleaseResponse{}, err
	}
	if err := c.db.Audit(ctx, "device "+dev.ID, "release", "session "+s.ID); err != nil {
		return osync.ReleaseResponse{}, err
	}
	return osync.ReleaseResponse{SessionID: s.ID, Key: key, ServerTime: now}, nil
}

// Sessions lists every session by start time.
func (c *Central) Sessions(ctx context.Context) ([]Session, error) { return c.db.Sessions(ctx, "") }

// Session returns a session.
func (c *Central) Session(ctx context.Context, id string) (Session, error) {
	return c.db.Session(ctx, id)
}

// Roster returns a session's candidates.
func (c *Central) Roster(ctx context.Context, sessionID string) ([]exam.Candidate, error) {
	return c.db.Roster(ctx, sessionID)
}

package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"onex/exam"
	"onex/exam/seal"
	"onex/server/store"
	osync "onex/sync"
)

// China Standard Time, in which sites read their schedules.
var cst = time.FixedZone("CST", 8*3600)

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
// key, seals its paper under that key, and stores its first package.
func (c *Central) CreateSession(ctx context.Context, spec SessionSpec, actor string) (store.Session, error) {
	cat, err := c.DB.Catalogue(ctx)
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
		if spec.PaperVersion, err = c.DB.LatestPaperVersion(ctx, spec.PaperID); err != nil {
			return store.Session{}, inputf("paper %q is not imported", spec.PaperID)
		}
	}
	raw, err := c.DB.Paper(ctx, spec.PaperID, spec.PaperVersion)
	if err != nil {
		return store.Session{}, inputf("paper %s version %d is not imported", spec.PaperID, spec.PaperVersion)
	}
	if spec.ReleaseAt.IsZero() {
		spec.ReleaseAt = spec.Start.Add(-10 * time.Minute)
	}
	if spec.ReleaseAt.After(spec.Start) {
		return store.Session{}, inputf("release time %s is after the start %s", spec.ReleaseAt.Format(time.RFC3339), spec.Start.Format(time.RFC3339))
	}
	if spec.LateLimitMinutes == 0 {
		spec.LateLimitMinutes = 15
	}
	code, err := seal.NewUnlockCode()
	if err != nil {
		return store.Session{}, err
	}
	s := store.Session{
		ID:   fmt.Sprintf("%s-%s-%s", site.Code, spec.Room, spec.Start.In(cst).Format("200601021504")),
		Site: site.Code, Room: spec.Room, PaperID: spec.PaperID, PaperVersion: spec.PaperVersion,
		Start: spec.Start, ReleaseAt: spec.ReleaseAt, LateLimitMinutes: spec.LateLimitMinutes,
		UnlockCode: code.String(), CreatedAt: c.Now(),
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
	if err := c.DB.CreateSession(ctx, s, pkg); err != nil {
		if errors.Is(err, store.ErrExists) {
			return store.Session{}, inputf("session %s exists already (same site, room and start)", s.ID)
		}
		return store.Session{}, err
	}
	c.cacheReleaseKey(s.ID, rk.Bytes())
	return s, c.DB.Audit(ctx, actor, "create session", fmt.Sprintf("%s: paper %s v%d, start %s", s.ID, s.PaperID, s.PaperVersion, s.Start.Format(time.RFC3339)))
}

// rebuildPackage makes a session's package anew around its sealed paper, for a new roster.
func (c *Central) rebuildPackage(ctx context.Context, s store.Session, cands []exam.Candidate) (store.Package, error) {
	old, err := c.DB.SessionPackage(ctx, s.ID)
	if err != nil {
		return store.Package{}, err
	}
	return c.signPackage(ctx, s, cands, map[string][]byte{osync.PartPaperBody: old.Parts[osync.PartPaperBody], osync.PartPaperKey: old.Parts[osync.PartPaperKey]})
}

// signPackage adds the session part to parts and signs the manifest of them all.
func (c *Central) signPackage(ctx context.Context, s store.Session, cands []exam.Candidate, parts map[string][]byte) (store.Package, error) {
	raw, err := c.DB.Paper(ctx, s.PaperID, s.PaperVersion)
	if err != nil {
		return store.Package{}, err
	}
	p, err := exam.ReadPaper(bytes.NewReader(raw))
	if err != nil {
		return store.Package{}, fmt.Errorf("stored paper %s: %w", s.PaperID, err)
	}
	cat, err := c.DB.Catalogue(ctx)
	if err != nil {
		return store.Package{}, err
	}
	rule, err := cat.Rule(p.Certificate, p.Level)
	if err != nil {
		return store.Package{}, err
	}
	meta, err := json.Marshal(osync.Session{
		ID: s.ID, SiteCode: s.Site, Room: s.Room, PaperID: p.ID, PaperVersion: p.Version,
		Certificate: p.Certificate, Level: p.Level, Title: p.Title,
		Start: s.Start, ReleaseAt: s.ReleaseAt, DurationMinutes: p.DurationMinutes,
		LateLimitMinutes: s.LateLimitMinutes, PassMark: rule.PassMark, Candidates: cands,
	})
	if err != nil {
		return store.Package{}, err
	}
	parts[osync.PartSession] = meta
	m := &seal.Manifest{PackageID: s.ID, SessionID: s.ID, Created: c.Now()}
	for name, data := range parts {
		m.Parts = append(m.Parts, seal.NewPart(name, data))
	}
	manifest, err := seal.SignManifest(c.Keys, m)
	if err != nil {
		return store.Package{}, err
	}
	return store.Package{Manifest: manifest, Parts: parts}, nil
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
	code, err := seal.ParseUnlockCode(s.UnlockCode)
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
	s, err := c.DB.Session(ctx, sessionID)
	if errors.Is(err, store.ErrNotFound) {
		return "", inputf("session %s does not exist", sessionID)
	}
	if err != nil {
		return "", err
	}
	return s.UnlockCode, c.DB.Audit(ctx, actor, "show unlock code", "session "+s.ID)
}

// TooEarlyError answers a release asked before the release time.
type TooEarlyError struct{ Body osync.TooEarly }

func (e *TooEarlyError) Error() string {
	return fmt.Sprintf("session %s is released at %s, in %d s", e.Body.SessionID, e.Body.ReleaseAt.Format(time.RFC3339), e.Body.SecondsRemaining)
}

// Release gives an enrolled device of the session's site the session's
// release key, once central's clock has passed the release time.
func (c *Central) Release(ctx context.Context, dev store.Device, sessionID string) (osync.ReleaseResponse, error) {
	s, err := c.DB.Session(ctx, sessionID)
	if errors.Is(err, store.ErrNotFound) || err == nil && s.Site != dev.Site {
		return osync.ReleaseResponse{}, fmt.Errorf("session %s: %w", sessionID, store.ErrNotFound)
	}
	if err != nil {
		return osync.ReleaseResponse{}, err
	}
	now := c.Now()
	if now.Before(s.ReleaseAt) {
		wait := s.ReleaseAt.Sub(now)
		return osync.ReleaseResponse{}, &TooEarlyError{osync.TooEarly{SessionID: s.ID, ReleaseAt: s.ReleaseAt,
			SecondsRemaining: int64((wait + time.Second - 1) / time.Second), ServerTime: now}}
	}
	key, err := c.releaseKey(s)
	if err != nil {
		return osync.ReleaseResponse{}, err
	}
	if err := c.DB.Audit(ctx, "device "+dev.ID, "release", "session "+s.ID); err != nil {
		return osync.ReleaseResponse{}, err
	}
	return osync.ReleaseResponse{SessionID: s.ID, Key: key, ServerTime: now}, nil
}

// NewEnrolCode makes a one-time enrolment code for a site, valid for EnrolCodeLifetime.
func (c *Central) NewEnrolCode(ctx context.Context, site, actor string) (string, error) {
	cat, err := c.DB.Catalogue(ctx)
	if err != nil {
		return "", err
	}
	if _, ok := cat.Site(site); !ok {
		return "", inputf("site %q is not in the catalogue", site)
	}
	raw := seal.NewToken()[:16] // 80 bits of base32
	code := raw[0:4] + "-" + raw[4:8] + "-" + raw[8:12] + "-" + raw[12:16]
	if err := c.DB.AddEnrolCode(ctx, seal.HashToken(normalCode(code)), site, c.Now().Add(EnrolCodeLifetime)); err != nil {
		return "", err
	}
	return code, c.DB.Audit(ctx, actor, "enrolment code", "site "+site)
}

// normalCode folds an enrolment code as staff may type it.
func normalCode(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '-' || r == ' ' {
			return -1
		}
		if r >= 'a' && r <= 'z' {
			return r - 'a' + 'A'
		}
		return r
	}, s)
}

// Enrol registers a site device that presents a one-time code and its public key.
func (c *Central) Enrol(ctx context.Context, req osync.EnrolRequest) (osync.EnrolResponse, error) {
	pub, err := seal.ParseDevicePublicKey(req.PublicKey)
	if err != nil {
		return osync.EnrolResponse{}, inputf("public_key: %v", err)
	}
	if n := len([]rune(req.DeviceName)); n == 0 || n > 64 {
		return osync.EnrolResponse{}, inputf("device_name must have 1 to 64 characters")
	}
	id, err := uuid.NewV7()
	if err != nil {
		return osync.EnrolResponse{}, err
	}
	d := &store.Device{ID: id.String(), Name: req.DeviceName, PublicKey: req.PublicKey}
	if err := c.DB.Enrol(ctx, seal.HashToken(normalCode(req.Code)), c.Now(), d); err != nil {
		switch {
		case errors.Is(err, store.ErrNotFound):
			return osync.EnrolResponse{}, inputf("enrolment code is not valid")
		case errors.Is(err, store.ErrConflict):
			return osync.EnrolResponse{}, asInput(err)
		}
		return osync.EnrolResponse{}, err
	}
	cat, err := c.DB.Catalogue(ctx)
	if err != nil {
		return osync.EnrolResponse{}, err
	}
	site, _ := cat.Site(d.Site)
	if err := c.DB.Audit(ctx, "device "+d.ID, "enrol", fmt.Sprintf("site %s, %q, key %s", d.Site, d.Name, pub.Fingerprint())); err != nil {
		return osync.EnrolResponse{}, err
	}
	return osync.EnrolResponse{DeviceID: d.ID, SiteCode: d.Site, SiteName: site.Name, CentralKey: c.Keys.Public().Marshal(),
		ServerTime: c.Now(), MaxRecords: c.MaxRecords, MaxBatchBytes: c.MaxBatchBytes}, nil
}

// Packages returns the packages of the device's site changed after cursor.
func (c *Central) Packages(ctx context.Context, dev store.Device, cursor int64) (osync.PackageResponse, error) {
	pkgs, next, err := c.DB.PackagesSince(ctx, dev.Site, cursor)
	if err != nil {
		return osync.PackageResponse{}, err
	}
	resp := osync.PackageResponse{Cursor: next, ServerTime: c.Now(), Sessions: []osync.SessionPackage{}}
	for _, id := range slices.Sorted(maps.Keys(pkgs)) {
		resp.Sessions = append(resp.Sessions, osync.SessionPackage{SessionID: id, Manifest: pkgs[id].Manifest, Parts: pkgs[id].Parts})
	}
	return resp, nil
}

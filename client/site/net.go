package site

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"onex/client/store"
	"onex/exam"
	"onex/exam/seal"
	wire "onex/sync"
)

// Limits on what central sends.
const (
	maxPackageResponse = 1 << 30
	maxSmallResponse   = 1 << 20
)

// EnrolOptions are what staff give to enrol a device.
type EnrolOptions struct {
	ServerURL  string // central, such as https://onex.example.cn
	Code       string // the one-time code from central's office
	DeviceName string // shown at central; default the host name
	// Fingerprint names the central meant: its key fingerprint (as
	// onex-central init prints it and the office's sites page shows it) or
	// the SHA-256 of its TLS certificate. Optional, but needed for a
	// certificate no root of this machine vouches for; see TrustError.
	Fingerprint string
}

// checkServerURL accepts an http(s) URL with a host and nothing after the path.
func checkServerURL(s string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return "", inputf("server_url_scheme", "server URL %q is not an http:// or https:// address of central", s)
	}
	return strings.TrimRight(u.String(), "/"), nil
}

// Enrol creates the site store in cfg.Dir (or opens one that was created but
// never enrolled), makes the device key, and registers it with central using
// the one-time code. When enrolment fails, a store it created is removed.
func Enrol(ctx context.Context, cfg Config, opt EnrolOptions) (*Site, error) {
	server, err := checkServerURL(opt.ServerURL)
	if err != nil {
		return nil, err
	}
	code := strings.TrimSpace(opt.Code)
	if code == "" || len(code) > 64 {
		return nil, inputf("enrol_code", "enrolment code is empty or too long")
	}
	fp, err := seal.ParseFingerprint(opt.Fingerprint)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInput, err)
	}
	name := strings.TrimSpace(opt.DeviceName)
	if name == "" {
		if name, err = os.Hostname(); err != nil || name == "" {
			name = "onex-site"
		}
	}
	if n := utf8.RuneCountInString(name); n > 64 || !utf8.ValidString(name) {
		return nil, inputf("device_name", "device name has %d characters, at most 64", n)
	}
	var st *store.Store
	created := false
	if store.Exists(cfg.Dir) {
		if st, err = store.Open(ctx, cfg.Dir, cfg.Passphrase, store.Options{Log: cfg.Log}); err != nil {
			return nil, err
		}
		err = st.View(ctx, func(tx *store.Tx) error {
			_, err := tx.Identity()
			return err
		})
		if err == nil {
			st.Close()
			return nil, fmt.Errorf("%w (in %s)", ErrEnrolled, cfg.Dir)
		}
		if !errors.Is(err, store.ErrNotEnrolled) {
			st.Close()
			return nil, err
		}
	} else {
		if st, err = store.Create(ctx, cfg.Dir, cfg.Passphrase, store.Options{Log: cfg.Log}); err != nil {
			return nil, err
		}
		created = true
	}
	s, err := newSite(ctx, cfg, st)
	if err != nil {
		return nil, err
	}
	if err := s.enrol(ctx, server, code, name, fp); err != nil {
		s.st.Close()
		if created {
			for _, suffix := range []string{"", "-wal", "-shm"} {
				os.Remove(store.Path(cfg.Dir) + suffix)
			}
		}
		return nil, err
	}
	return s, nil
}

func (s *Site) enrol(ctx context.Context, server, code, name string, fp seal.Fingerprint) error {
	trust, err := s.meetCentral(ctx, server, fp)
	if err != nil {
		return err
	}
	if err := s.setTrust(trust.pins); err != nil {
		return err
	}
	key, err := seal.GenerateDeviceKey()
	if err != nil {
		return err
	}
	body, err := json.Marshal(wire.EnrolRequest{Code: code, DeviceName: name, PublicKey: key.Public().Marshal()})
	if err != nil {
		return err
	}
	// One try only: a retried enrolment could spend the one-time code twice.
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, server+wire.PathEnrol, bytes.NewReader(body))
	if err != nil {
		return inputf("server_url", "server URL: %v", err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.client().HTTPClient.Do(req)
	if err != nil {
		return fmt.Errorf("enrol: %w", wire.TransportError(err))
	}
	defer resp.Body.Close()
	local := s.now()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("enrol: %w", wire.StatusErrorFrom(resp))
	}
	var er wire.EnrolResponse
	if err := decodeJSON(resp.Body, maxSmallResponse, &er); err != nil {
		return fmt.Errorf("enrol: central's answer: %w", err)
	}
	central, err := seal.ParseCentralPublicKey(er.CentralKey)
	if err != nil {
		return fmt.Errorf("enrol: central's key: %w", err)
	}
	if er.HybridKey != nil {
		if central, err = er.HybridKey.Open(central); err != nil {
			return fmt.Errorf("enrol: central's hybrid key: %w", err)
		}
	}
	if fp.IsKey() && !fp.MatchesKey(central) {
		return &TrustError{Problem: KeyMismatch, Given: fp.String(), Seen: central.Fingerprint()}
	}
	if trust.central != nil && !sameKey(trust.central.V1(), central.V1()) {
		return fmt.Errorf("enrol: central enrolled this device with key %s but introduced itself with key %s", central.Fingerprint(), trust.central.Fingerprint())
	}
	if er.DeviceID == "" || er.SiteCode == "" {
		return errors.New("enrol: central's answer lacks the device id or site code")
	}
	id := &store.Identity{DeviceID: er.DeviceID, DeviceName: name, SiteCode: er.SiteCode, SiteName: er.SiteName,
		ServerURL: server, Central: central, Key: key, MaxRecords: er.MaxRecords, MaxBatchBytes: er.MaxBatchBytes, Enrolled: local,
		TLSPins: trust.pins}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !er.ServerTime.IsZero() {
		s.offset = er.ServerTime.Sub(local.Round(0)).Round(time.Millisecond)
	}
	err = s.update(ctx, nil, func(tx *store.Tx) error {
		if err := tx.SetIdentity(id); err != nil {
			return err
		}
		return tx.SetServerOffset(s.offset)
	})
	if err != nil {
		return err
	}
	s.log.Info("enrolled", "device", er.DeviceID, "site", er.SiteCode, "central_key", central.Fingerprint(), "link", linkOf(server, trust.pins).String())
	return nil
}

// Identity is what staff see of the device's enrolment.
type Identity struct {
	DeviceID       string `json:"device_id"`
	DeviceName     string `json:"device_name"`
	SiteCode       string `json:"site_code"`
	SiteName       string `json:"site_name"`
	Server         string `json:"server"`
	CentralKey     string `json:"central_key"` // fingerprint, to compare by eye
	DeviceKey      string `json:"device_key"`  // fingerprint
	StoreEpoch     uint64 `json:"store_epoch"`
	ServerOffsetMS int64  `json:"server_offset_ms"`
	Link           Link   `json:"link"` // encrypted or not, and the TLS key pinned
}

// Identity returns the device's enrolment, or ErrNotEnrolled.
func (s *Site) Identity(ctx context.Context) (*Identity, error) {
	id, err := s.identity(ctx)
	if err != nil {
		return nil, err
	}
	return &Identity{DeviceID: id.DeviceID, DeviceName: id.DeviceName, SiteCode: id.SiteCode, SiteName: id.SiteName,
		Server: id.ServerURL, CentralKey: id.Central.Fingerprint(), DeviceKey: id.Key.Public().Fingerprint(),
		StoreEpoch: s.st.Epoch(), ServerOffsetMS: s.ServerOffset().Milliseconds(), Link: linkOf(id.ServerURL, id.TLSPins)}, nil
}

func decodeJSON(r io.Reader, limit int64, v any) error {
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return err
	}
	if int64(len(data)) > limit {
		return fmt.Errorf("answer is larger than %d bytes", limit)
	}
	return json.Unmarshal(data, v)
}

// signer signs the device's requests by its clock corrected by central's,
// as last learnt; told central's time by a refusal for the time, it learns
// it (and the client signs the retry with it).
func (s *Site) signer(ctx context.Context, id *store.Identity) *wire.Signer {
	return &wire.Signer{DeviceID: id.DeviceID, Key: id.Key, Clock: s.now, Offset: s.ServerOffset,
		Learn: func(central, local time.Time) {
			s.log.Warn("device clock is off central's; correcting the signing time", "off", local.Add(s.ServerOffset()).Sub(central).Round(time.Second))
			s.learnServerTime(context.WithoutCancel(ctx), central, local)
		}}
}

// get makes a device-authenticated GET of target (a path and query) at
// central and decodes the JSON answer. It returns what the request that got
// the answer was signed as, to which a signed answer is bound.
func (s *Site) get(ctx context.Context, id *store.Identity, target string, limit int64, out any) (wire.Auth, error) {
	req, err := s.signer(ctx, id).NewRequest(ctx, http.MethodGet, id.ServerURL+target, nil)
	if err != nil {
		return wire.Auth{}, inputf("server_url", "server URL: %v", err)
	}
	resp, err := s.client().Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return wire.Auth{}, ctx.Err()
		}
		return wire.Auth{}, wire.TransportError(err)
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK:
		if err := decodeJSON(resp.Body, limit, out); err != nil {
			return wire.Auth{}, fmt.Errorf("central's answer to %s: %w", req.URL.Path, err)
		}
		return wire.SignedAs(resp.Request)
	case http.StatusTooEarly:
		var te wire.TooEarly
		if err := decodeJSON(resp.Body, maxSmallResponse, &te); err != nil {
			return wire.Auth{}, fmt.Errorf("central's answer to %s: %w", req.URL.Path, err)
		}
		s.learnServerTime(ctx, te.ServerTime, s.now())
		return wire.Auth{}, &TooEarlyError{SessionID: te.SessionID, ReleaseAt: te.ReleaseAt, Remaining: time.Duration(te.SecondsRemaining) * time.Second}
	}
	return wire.Auth{}, wire.StatusErrorFrom(resp)
}

// Progress reports how far a download is.
type Progress struct {
	Done, Total int    // sessions stored of those central sent
	SessionID   string // the session just checked
	Bytes       int    // of that session's package
}

// DownloadResult is what a download brought.
type DownloadResult struct {
	Cursor  int64    `json:"cursor"`
	Updated []string `json:"updated"`        // sessions stored or replaced
	Kept    []string `json:"kept,omitempty"` // started sessions whose new package was not applied
	// Certificates is what became of central's certificate trust documents,
	// fetched after the packages (certificates.go); their failure fails no
	// download.
	Certificates *CertificateTrustResult `json:"certificates,omitempty"`
}

// Download fetches every session package central changed since the stored
// cursor, checks each (central's signature, every part against the
// manifest, the session for this site) and the answer as a whole against
// central's signed list of it (bound to this request: no package left out,
// none older than the cursor or than the one held), and stores them with
// the list's cursor in one transaction. One bad package refuses the whole
// download: nothing is stored and the cursor stays. A session whose room
// has started keeps the package it started with. A device that holds only
// central's key of release 1 takes the hybrid key central signed in its
// answer, in the same transaction, and seals version 2 envelopes from then on.
// **[added: issue 16]** Then it fetches central's certificate trust
// documents and keeps them when they pass and are newer than those held
// (certificates.go); what became of them is in the result's Certificates,
// and their failure fails no download.
func (s *Site) Download(ctx context.Context, progress func(Progress)) (*DownloadResult, error) {
	id, err := s.identity(ctx)
	if err != nil {
		return nil, err
	}
	var cursor int64
	if err := s.st.View(ctx, func(tx *store.Tx) error {
		cursor, err = tx.Cursor()
		return err
	}); err != nil {
		return nil, err
	}
	var pr wire.PackageResponse
	asked, err := s.get(ctx, id, wire.PathPackage+"?cursor="+strconv.FormatInt(cursor, 10), maxPackageResponse, &pr)
	if err != nil {
		return nil, fmt.Errorf("download: %w", err)
	}
	s.learnServerTime(ctx, pr.ServerTime, s.now())
	ok, err := checkPackages(id, pr.Sessions, progress)
	if err != nil {
		return nil, fmt.Errorf("download: %w", err)
	}
	next, err := checkList(id.Central, asked, cursor, &pr, ok)
	if err != nil {
		return nil, fmt.Errorf("download: %w", err)
	}
	learnt, err := learnHybridKey(id.Central, pr.HybridKey)
	if err != nil {
		return nil, fmt.Errorf("download: %w", err)
	}
	res, err := s.keepDownload(ctx, id, ok, next, learnt)
	if err != nil {
		return nil, err
	}
	central := id.Central
	if learnt != nil {
		central = learnt
	}
	res.Certificates = s.downloadCertificateTrust(ctx, id, central)
	return res, nil
}

// keepDownload stores a download's checked packages and cursor (and the
// hybrid key learnt, unless nil) and forgets the rooms they replace.
func (s *Site) keepDownload(ctx context.Context, id *store.Identity, ok []checkedPackage, next int64, learnt *seal.CentralPublicKey) (*DownloadResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	res, err := s.storePackages(ctx, id, ok, next, learnt)
	if err != nil {
		return nil, fmt.Errorf("download: %w", err)
	}
	for _, id := range res.Updated {
		delete(s.rooms, id)
	}
	for _, id := range res.Kept {
		s.log.Warn("session started: new package not applied", "session", id)
	}
	if learnt != nil {
		s.log.Info("central's hybrid key learnt: records are sealed as version 2 envelopes from now on", "central_key", learnt.Fingerprint(), "release1_key", id.Central.Fingerprint())
	}
	s.log.Info("downloaded", "sessions", len(res.Updated), "cursor", res.Cursor)
	return res, nil
}

// checkedPackage is a session package that passed verifyPackage, with its
// session part decoded and its version.
type checkedPackage struct {
	sp      wire.SessionPackage
	sess    *wire.Session
	version uint64
}

// checkList checks central's signed list of a package answer: it answers
// the request asked (so it is no replay of an older answer), lists exactly
// the packages of the answer in order with their manifests and versions,
// each newer than cursor, and gives the cursor to store next, which is the
// list's, never the answer's unsigned one.
func checkList(central *seal.CentralPublicKey, asked wire.Auth, cursor int64, pr *wire.PackageResponse, pkgs []checkedPackage) (int64, error) {
	list, err := seal.OpenPackageList(central, pr.List)
	if err != nil {
		return 0, fmt.Errorf("%w: central's package list: %w", ErrBadPackage, err)
	}
	bad := func(format string, args ...any) (int64, error) {
		return 0, fmt.Errorf("%w: central's package list: %s", ErrBadPackage, fmt.Sprintf(format, args...))
	}
	switch {
	case list.Request != asked.Hash():
		return bad("it answers another request than this download's (an old answer replayed?)")
	case list.Cursor > math.MaxInt64 || int64(list.Cursor) < cursor:
		return bad("its cursor %d is behind ours %d", list.Cursor, cursor)
	case int64(list.Cursor) != pr.Cursor:
		return bad("its cursor %d is not the answer's %d", list.Cursor, pr.Cursor)
	case len(list.Packages) != len(pkgs):
		return bad("it lists %d packages, the answer holds %d", len(list.Packages), len(pkgs))
	}
	for i, l := range list.Packages {
		p := pkgs[i]
		switch {
		case l.SessionID != p.sp.SessionID || l.Manifest != seal.ManifestHash(p.sp.Manifest) || l.Version != p.version:
			return bad("package %d is session %s version %d, the answer holds session %s version %d", i+1, l.SessionID, l.Version, p.sp.SessionID, p.version)
		case l.Version <= uint64(cursor):
			return bad("session %s version %d is not newer than our cursor %d", l.SessionID, l.Version, cursor)
		}
	}
	return int64(list.Cursor), nil
}

// checkPackages verifies every package central sent for this device's site,
// telling progress after each; the first that fails fails them all.
func checkPackages(id *store.Identity, sps []wire.SessionPackage, progress func(Progress)) ([]checkedPackage, error) {
	var ok []checkedPackage
	for i, sp := range sps {
		pkg, sess, err := verifyPackage(id.Central, id.SiteCode, sp.SessionID, sp.Manifest, sp.Parts)
		if err != nil {
			return nil, fmt.Errorf("package of session %q: %w", sp.SessionID, err)
		}
		ok = append(ok, checkedPackage{sp, sess, pkg.Manifest().Version})
		if progress != nil {
			n := len(sp.Manifest)
			for _, p := range sp.Parts {
				n += len(p)
			}
			progress(Progress{Done: i + 1, Total: len(sps), SessionID: sp.SessionID, Bytes: n})
		}
	}
	return ok, nil
}

// learnHybridKey checks central's signed key against the key the device
// holds and returns the hybrid key to hold from now on, or nil when there is
// nothing to learn (central sent none, or the device holds it already).
func learnHybridKey(held *seal.CentralPublicKey, signed *wire.SignedKey) (*seal.CentralPublicKey, error) {
	if signed == nil {
		return nil, nil
	}
	k, err := signed.Open(held)
	if err != nil {
		return nil, fmt.Errorf("%w: central's signed key: %w", ErrBadPackage, err)
	}
	if held.Hybrid() {
		return nil, nil
	}
	return k, nil
}

// storePackages stores checked packages, each with its roster's tickets,
// and the new cursor, in one transaction; a session whose room has started
// keeps its package. A package no newer than the one held refuses them all.
// central, unless nil, is the hybrid key the device learnt, stored in the
// same transaction. The caller holds s.mu.
func (s *Site) storePackages(ctx context.Context, id *store.Identity, pkgs []checkedPackage, cursor int64, central *seal.CentralPublicKey) (*DownloadResult, error) {
	res := &DownloadResult{Cursor: cursor}
	now := s.now()
	err := s.update(ctx, nil, func(tx *store.Tx) error {
		res.Updated, res.Kept = nil, nil
		if central != nil {
			id, err := tx.Identity()
			if err != nil {
				return err
			}
			up := *id
			up.Central = central
			if err := tx.SetIdentity(&up); err != nil {
				return err
			}
		}
		for _, c := range pkgs {
			if err := checkNewer(tx, id.Central, c); err != nil {
				return err
			}
			var st sessionState
			if _, err := tx.SessionState(c.sp.SessionID, &st); err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
			if !st.Started.IsZero() {
				res.Kept = append(res.Kept, c.sp.SessionID)
				continue
			}
			pkg := &store.Package{PackageID: c.sp.SessionID, Manifest: c.sp.Manifest, Parts: c.sp.Parts}
			if err := tx.PutPackage(c.sp.SessionID, pkg, clearParts, now); err != nil {
				return err
			}
			tickets := make([]string, len(c.sess.Candidates))
			for i, cand := range c.sess.Candidates {
				tickets[i] = cand.Ticket
			}
			if err := tx.SetCandidates(c.sp.SessionID, tickets); err != nil {
				return err
			}
			res.Updated = append(res.Updated, c.sp.SessionID)
		}
		return tx.SetCursor(cursor)
	})
	return res, err
}

// checkNewer refuses a package no newer than the one the store holds for
// its session (a package held from before versions reads as version 0).
func checkNewer(tx *store.Tx, central *seal.CentralPublicKey, c checkedPackage) error {
	held, err := tx.Manifest(c.sp.SessionID)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	m, err := seal.OpenManifest(central, held)
	if err != nil {
		return fmt.Errorf("%w: stored package of session %s: %w", ErrBadPackage, c.sp.SessionID, err)
	}
	if c.version <= m.Version {
		return fmt.Errorf("%w: session %s version %d is not newer than the version %d held", ErrBadPackage, c.sp.SessionID, c.version, m.Version)
	}
	return nil
}

// clearParts are the parts stored as central sent them: they are ciphertext.
// Every other part (the roster in session.json) is sealed under the store key.
var clearParts = map[string]bool{wire.PartPaperBody: true, wire.PartPaperKey: true}

// verifyPackage checks a session package as it came from central or from
// the store: central's signature on the manifest, every part against it, the
// session id and this site, and the session part's content.
func verifyPackage(central *seal.CentralPublicKey, site, sessionID string, manifest []byte, parts map[string][]byte) (*seal.Package, *wire.Session, error) {
	pkg, err := seal.OpenPackage(central, manifest, parts)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrBadPackage, err)
	}
	if m := pkg.Manifest(); m.SessionID != sessionID {
		return nil, nil, fmt.Errorf("%w: manifest is for session %q", ErrBadPackage, m.SessionID)
	}
	for _, name := range []string{wire.PartSession, wire.PartPaperBody, wire.PartPaperKey} {
		if _, err := pkg.Part(name); err != nil {
			return nil, nil, fmt.Errorf("%w: %w", ErrBadPackage, err)
		}
	}
	raw, _ := pkg.Part(wire.PartSession)
	sess, err := DecodeSession(raw)
	if err != nil {
		return nil, nil, err
	}
	if sess.ID != sessionID {
		return nil, nil, fmt.Errorf("%w: session part is for session %q", ErrBadPackage, sess.ID)
	}
	if sess.SiteCode != site {
		return nil, nil, fmt.Errorf("%w: session %s is for site %q, this device is enrolled at %q", ErrBadPackage, sess.ID, sess.SiteCode, site)
	}
	return pkg, sess, nil
}

// DecodeSession decodes and checks the session part of a package: known
// fields only, the facts the site relies on present and sane, tickets unique
// and printable. Errors wrap ErrBadPackage and name the field.
func DecodeSession(b []byte) (*wire.Session, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var s wire.Session
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("%w: session part: %v", ErrBadPackage, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: session part: data after the JSON value", ErrBadPackage)
	}
	bad := func(format string, args ...any) (*wire.Session, error) {
		return nil, fmt.Errorf("%w: session %q: %s", ErrBadPackage, s.ID, fmt.Sprintf(format, args...))
	}
	switch {
	case !plain(s.ID, 128) || s.ID == "":
		return bad("id is empty, too long or has control characters")
	case !plain(s.PaperID, 128) || s.PaperID == "":
		return bad("paper_id is empty, too long or has control characters")
	case s.PaperVersion < 1:
		return bad("paper_version %d is not positive", s.PaperVersion)
	case s.DurationMinutes < 1 || s.DurationMinutes > 24*60:
		return bad("duration_minutes %d is not 1 to 1440", s.DurationMinutes)
	case s.LateLimitMinutes < 0 || s.LateLimitMinutes > 24*60:
		return bad("late_limit_minutes %d is not 0 to 1440", s.LateLimitMinutes)
	case s.Start.IsZero():
		return bad("start is missing")
	case !s.Level.Valid():
		return bad("level %q is unknown", s.Level)
	case !(s.PassMark >= 0 && s.PassMark <= 100):
		return bad("pass_mark %v is not a percentage", s.PassMark)
	}
	seen := make(map[string]bool, len(s.Candidates))
	for i, c := range s.Candidates {
		if c.Ticket == "" || !plain(c.Ticket, 32) {
			return bad("candidate %d: ticket %q is empty, too long or has control characters", i+1, c.Ticket)
		}
		if seen[c.Ticket] {
			return bad("ticket %s is on the roster twice", c.Ticket)
		}
		seen[c.Ticket] = true
		if !plain(c.Name, 64) || !plain(c.IDNumber, 64) || !plain(c.Seat, 32) {
			return bad("ticket %s: name, ID number or seat is too long or has control characters", c.Ticket)
		}
	}
	return &s, nil
}

// plain reports whether s is valid UTF-8 of at most max characters with no
// control characters.
func plain(s string, max int) bool {
	if !utf8.ValidString(s) || utf8.RuneCountInString(s) > max {
		return false
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	return true
}

// Release asks central for the session's release key and opens the paper.
// Before the release time (by central's clock) central refuses with a
// *TooEarlyError. Every attempt is recorded.
func (s *Site) Release(ctx context.Context, sessionID string) error {
	id, err := s.identity(ctx)
	if err != nil {
		return err
	}
	s.mu.Lock()
	r, err := s.sealedRoom(ctx, sessionID)
	s.mu.Unlock()
	if r == nil {
		return err
	}
	var rr wire.ReleaseResponse
	_, callErr := s.get(ctx, id, wire.PathRelease(sessionID), maxSmallResponse, &rr)
	if callErr == nil {
		s.learnServerTime(ctx, rr.ServerTime, s.now())
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if r, err = s.sealedRoom(ctx, sessionID); r == nil {
		return err
	}
	now := s.now()
	var paper *exam.Paper
	var rk *seal.ReleaseKey
	if callErr == nil {
		if rr.SessionID != sessionID {
			callErr = fmt.Errorf("%w: central released session %q", ErrBadPackage, rr.SessionID)
		} else if rk, callErr = seal.ParseReleaseKey(sessionID, rr.Key); callErr == nil {
			paper, callErr = openPaper(r.pkg, r.sess, rk)
		}
	}
	if callErr != nil {
		note := "online release failed: " + callErr.Error()
		if err := s.update(ctx, r, func(tx *store.Tx) error { return s.incident(tx, r, "", IncidentUnlock, note, now) }); err != nil {
			return errors.Join(callErr, err)
		}
		return fmt.Errorf("release session %s: %w", sessionID, callErr)
	}
	return s.released(ctx, r, paper, rk, "online", now)
}

// sealedRoom returns the session's room while its paper is sealed; once
// the paper is open it returns nil and no error: there is nothing to
// unlock. The caller holds s.mu.
func (s *Site) sealedRoom(ctx context.Context, sessionID string) (*room, error) {
	r, err := s.room(ctx, sessionID)
	if err != nil || r.paper != nil {
		return nil, err
	}
	return r, nil
}

// released stores the release key and keeps the paper in memory.
func (s *Site) released(ctx context.Context, r *room, paper *exam.Paper, rk *seal.ReleaseKey, how string, now time.Time) error {
	r.st.Released, r.st.ReleasedHow = now, how
	r.st.UnlockFailures, r.st.LockedUntil = 0, time.Time{}
	err := s.update(ctx, r, func(tx *store.Tx) error {
		if err := tx.PutReleaseKey(r.id, rk.Bytes()); err != nil {
			return err
		}
		if err := r.save(tx, now); err != nil {
			return err
		}
		return s.incident(tx, r, "", IncidentUnlock, "paper released "+how, now)
	})
	if err != nil {
		return err
	}
	r.paper, r.paperErr = paper, nil
	s.log.Info("paper released", "session", r.id, "how", how)
	return nil
}

// UnlockWithCode opens the session's paper with the unlock code the central
// office reads out. A mistyped code is refused at once, naming the group,
// and does not count. A code that does not open the paper (a wrong one, or
// one for another session) counts; after UnlockAttempts of them unlocking is
// locked for a delay that doubles with each further failure. Every attempt
// is recorded.
func (s *Site) UnlockWithCode(ctx context.Context, sessionID, code string) error {
	s.mu.Lock()
	r, err := s.sealedRoom(ctx, sessionID)
	if r == nil {
		s.mu.Unlock()
		return err
	}
	now := s.now()
	note := func(msg string) error {
		return s.update(ctx, r, func(tx *store.Tx) error {
			if err := r.save(tx, now); err != nil {
				return err
			}
			return s.incident(tx, r, "", IncidentUnlock, msg, now)
		})
	}
	if r.st.LockedUntil.After(now) {
		lerr := &LockedError{SessionID: sessionID, Failures: r.st.UnlockFailures, Until: r.st.LockedUntil}
		err := note("unlock code refused: " + lerr.Error())
		s.mu.Unlock()
		return errors.Join(lerr, err)
	}
	uc, perr := seal.ParseUnlockCode(code)
	if perr != nil {
		err := note("unlock code mistyped: " + perr.Error())
		s.mu.Unlock()
		return errors.Join(fmt.Errorf("%w: %w", ErrInput, perr), err)
	}
	s.mu.Unlock()

	// argon2id takes a moment: candidates' saves go on meanwhile.
	rk, err := seal.DeriveReleaseKey(uc, sessionID)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if r, err = s.sealedRoom(ctx, sessionID); r == nil {
		return err
	}
	now = s.now()
	paper, oerr := openPaper(r.pkg, r.sess, rk)
	if oerr == nil {
		return s.released(ctx, r, paper, rk, "by code", now)
	}
	if !errors.Is(oerr, seal.ErrDecrypt) {
		return fmt.Errorf("unlock session %s: %w", sessionID, oerr)
	}
	r.st.UnlockFailures++
	werr := fmt.Errorf("%w (%d of %d attempts used)", ErrWrongCode, r.st.UnlockFailures, UnlockAttempts)
	if n := r.st.UnlockFailures - UnlockAttempts; n >= 0 {
		delay := unlockLockBase << min(n, 16)
		r.st.LockedUntil = now.Add(min(delay, unlockLockMax))
		werr = errors.Join(werr, &LockedError{SessionID: sessionID, Failures: r.st.UnlockFailures, Until: r.st.LockedUntil})
	}
	if err := note("wrong unlock code: " + werr.Error()); err != nil {
		return errors.Join(werr, err)
	}
	s.log.Warn("wrong unlock code", "session", sessionID, "failures", r.st.UnlockFailures)
	return werr
}

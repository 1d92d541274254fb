package server

import (
	"context"
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

// NewEnrolCode makes a one-time enrolment code for a site, valid for EnrolCodeLifetime.
func (c *Central) NewEnrolCode(ctx context.Context, site, actor string) (string, error) {
	cat, err := c.db.Catalogue(ctx)
	if err != nil {
		return "", err
	}
	if _, ok := cat.Site(site); !ok {
		return "", inputf("site %q is not in the catalogue", site)
	}
	raw := seal.NewToken()[:16] // 80 bits of base32
	code := raw[0:4] + "-" + raw[4:8] + "-" + raw[8:12] + "-" + raw[12:16]
	if err := c.db.AddEnrolCode(ctx, seal.HashToken(normalCode(code)), site, c.now().Add(EnrolCodeLifetime)); err != nil {
		return "", err
	}
	return code, c.db.Audit(ctx, actor, "enrolment code", "site "+site)
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

// ErrEnrolCode is the one answer to an enrolment code that is unknown, used
// or expired: a guesser learns nothing of which.
var ErrEnrolCode = errors.New("enrolment code is not valid (unknown, used or expired)")

// Enrol registers a site device that presents a one-time code and its public
// key, from an address. Failed codes slow that address's next attempts (see
// throttle); while it must wait, the attempt is a *ThrottledError.
func (c *Central) Enrol(ctx context.Context, req osync.EnrolRequest, from string) (osync.EnrolResponse, error) {
	addr := throttled{what: "enrolments from address " + from, key: "enrol-addr\n" + from, policy: enrolThrottle}
	if err := c.checkThrottles(ctx, addr); err != nil {
		return osync.EnrolResponse{}, err
	}
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
	if err := c.db.Enrol(ctx, seal.HashToken(normalCode(req.Code)), c.now(), d); err != nil {
		if !errors.Is(err, store.ErrNotFound) && !errors.Is(err, store.ErrConflict) {
			return osync.EnrolResponse{}, err
		}
		if err := c.strike(ctx, addr); err != nil {
			return osync.EnrolResponse{}, err
		}
		return osync.EnrolResponse{}, AsInput(ErrEnrolCode)
	}
	cat, err := c.db.Catalogue(ctx)
	if err != nil {
		return osync.EnrolResponse{}, err
	}
	site, _ := cat.Site(d.Site)
	if err := c.db.Audit(ctx, "device "+d.ID, "enrol", fmt.Sprintf("site %s, %q, key %s", d.Site, d.Name, pub.Fingerprint())); err != nil {
		return osync.EnrolResponse{}, err
	}
	hk := c.signedKey
	return osync.EnrolResponse{DeviceID: d.ID, SiteCode: d.Site, SiteName: site.Name, CentralKey: c.keys.Public().V1().Marshal(), HybridKey: &hk,
		ServerTime: c.now(), MaxRecords: c.limits.MaxRecords, MaxBatchBytes: c.limits.MaxBatchBytes}, nil
}

// Packages answers a device's request for the packages of its site changed
// after cursor: the packages, and central's signed list of them that names
// the request (the hash of the message the device signed).
func (c *Central) Packages(ctx context.Context, dev Device, cursor int64, request seal.Hash) (osync.PackageResponse, error) {
	pkgs, next, err := c.db.PackagesSince(ctx, dev.Site, cursor)
	if err != nil {
		return osync.PackageResponse{}, err
	}
	hk := c.signedKey
	resp := osync.PackageResponse{Cursor: next, ServerTime: c.now(), Sessions: []osync.SessionPackage{}, HybridKey: &hk}
	list := &seal.PackageList{Request: request, Cursor: uint64(next)}
	for _, id := range slices.Sorted(maps.Keys(pkgs)) {
		p := pkgs[id]
		resp.Sessions = append(resp.Sessions, osync.SessionPackage{SessionID: id, Manifest: p.Manifest, Parts: p.Parts})
		list.Packages = append(list.Packages, seal.Listed{SessionID: id, Version: uint64(p.Version), Manifest: seal.ManifestHash(p.Manifest)})
	}
	if resp.List, err = seal.SignPackageList(c.keys, list); err != nil {
		return osync.PackageResponse{}, fmt.Errorf("package list: %w", err)
	}
	return resp, nil
}

// AuthenticateDevice checks a device's request: a time within
// sync.AuthWindow of central's clock, an enrolled device, its signature,
// and a nonce central has not seen. Nonces live in the database, so no
// central process sharing it answers a copy of a request another answered.
// Only then does it note the device's last contact and clock skew. Whether
// the body is the one signed is the caller's to check. Refusals wrap
// ErrUnauthorized and a *sync.AuthError with the code to answer.
func (c *Central) AuthenticateDevice(ctx context.Context, a osync.Auth, sig []byte) (Device, error) {
	now := c.now()
	dev, err := c.db.Device(ctx, a.DeviceID)
	if errors.Is(err, store.ErrNotFound) {
		return Device{}, unauthorized(osync.RefusedDevice, "device %q is not enrolled", a.DeviceID)
	}
	if err != nil {
		return Device{}, err
	}
	pub, err := seal.ParseDevicePublicKey(dev.PublicKey)
	if err != nil {
		return Device{}, err
	}
	var ae *osync.AuthError
	if err := a.Verify(pub, sig, now); errors.As(err, &ae) {
		return Device{}, fmt.Errorf("%w: %w", ErrUnauthorized, ae)
	}
	if dev.Revoked() {
		return Device{}, unauthorized(osync.RefusedRevoked, "device %s was revoked by the office at %s: enrol this machine again with a new enrolment code",
			dev.ID, dev.RevokedAt.In(CST).Format(time.RFC3339))
	}
	c.forgetNonces(ctx, now)
	err = c.db.NoteRequest(ctx, store.DeviceRequest{DeviceID: dev.ID, Nonce: a.Nonce, Signed: time.Unix(a.Time, 0), SkewMS: clockSkew(time.Unix(a.Clock, 0), now)},
		now, now.Add(-nonceMemory))
	if errors.Is(err, store.ErrReplayed) {
		return Device{}, unauthorized(osync.RefusedReplayed, "request replayed: central has answered nonce %s of device %s", a.Nonce, dev.ID)
	}
	if err != nil {
		return Device{}, err
	}
	return dev, nil
}

// RevokeDevice revokes an enrolled device, for a reason (a stolen or
// retired machine): from then on central refuses its requests (403, code
// osync.RefusedRevoked) and the records it sealed, whether they come over the
// network or in an export file. It is audited and cannot be undone; the
// machine can be enrolled again with a new code, as a new device.
func (c *Central) RevokeDevice(ctx context.Context, id, reason, actor string) error {
	reason = strings.TrimSpace(reason)
	switch n := len([]rune(reason)); {
	case n == 0:
		return inputf("revoke device %s: the reason is missing", id)
	case n > 500:
		return inputf("revoke device %s: the reason is longer than 500 characters", id)
	}
	dev, err := c.db.Device(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return inputf("device %q is not enrolled", id)
	}
	if err != nil {
		return err
	}
	if dev.Revoked() {
		return inputf("device %s was revoked already, at %s by %s", id, dev.RevokedAt.In(CST).Format("2006-01-02 15:04"), dev.RevokedBy)
	}
	if err := c.db.RevokeDevice(ctx, id, c.now(), actor, reason); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return AsInput(err)
		}
		return err
	}
	return c.db.Audit(ctx, actor, "revoke device", fmt.Sprintf("device %s (site %s, %q): %s", dev.ID, dev.Site, dev.Name, reason))
}

// nonceMemory is how long central keeps a nonce by its signed time: longer
// than a request's time is accepted for (sync.AuthWindow), with as much
// again for the clocks of central processes that differ.
const nonceMemory = 2 * osync.AuthWindow

// forgetNonces forgets the nonces every device signed too long ago to be
// accepted again, at most once per sync.AuthWindow in each process (each
// device's own are forgotten with its next request).
func (c *Central) forgetNonces(ctx context.Context, now time.Time) {
	last := c.noncesForgotten.Load()
	if now.UnixNano()-last < int64(osync.AuthWindow) || !c.noncesForgotten.CompareAndSwap(last, now.UnixNano()) {
		return
	}
	if err := c.db.ForgetNonces(ctx, now.Add(-nonceMemory)); err != nil {
		c.log.Warn("forget nonces", "err", err)
	}
}

func unauthorized(code, format string, args ...any) error {
	return fmt.Errorf("%w: %w", ErrUnauthorized, &osync.AuthError{Code: code, Reason: fmt.Sprintf(format, args...)})
}

// clockSkew is a device's clock minus central's.
func clockSkew(deviceTime, now time.Time) int64 {
	return deviceTime.Sub(now).Milliseconds()
}

// SkewLimit is how far a device's clock may be off central's before the office is warned.
const SkewLimit = 5 * time.Minute

// SiteDevices is a site of the catalogue with its enrolled devices.
type SiteDevices struct {
	Site    exam.Site
	Devices []DeviceStatus
}

// DeviceStatus is a device as the office watches it.
type DeviceStatus struct {
	Device
	Gaps, Breaks []string
	SkewFlagged  bool // the device clock is more than SkewLimit off central's
}

// Sites lists every site of the catalogue with its devices, their chains and clocks.
func (c *Central) Sites(ctx context.Context) ([]SiteDevices, error) {
	cat, err := c.db.Catalogue(ctx)
	if err != nil {
		return nil, err
	}
	devices, err := c.db.Devices(ctx)
	if err != nil {
		return nil, err
	}
	bySite := map[string][]DeviceStatus{}
	for _, d := range devices {
		rep, err := c.Chain(ctx, d.ID)
		if err != nil {
			return nil, err
		}
		off := time.Duration(d.ClockSkewMS) * time.Millisecond
		bySite[d.Site] = append(bySite[d.Site], DeviceStatus{Device: d, Gaps: rep.Gaps, Breaks: rep.Breaks, SkewFlagged: off > SkewLimit || off < -SkewLimit})
	}
	out := make([]SiteDevices, 0, len(cat.Sites))
	for _, s := range cat.Sites {
		out = append(out, SiteDevices{Site: s, Devices: bySite[s.Code]})
	}
	return out, nil
}

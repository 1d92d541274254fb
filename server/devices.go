package server

import (
	"context"
	"encoding/base64"
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

// Packages returns the packages of the device's site changed after cursor.
func (c *Central) Packages(ctx context.Context, dev store.Device, cursor int64) (osync.PackageResponse, error) {
	pkgs, next, err := c.db.PackagesSince(ctx, dev.Site, cursor)
	if err != nil {
		return osync.PackageResponse{}, err
	}
	hk := c.signedKey
	resp := osync.PackageResponse{Cursor: next, ServerTime: c.now(), Sessions: []osync.SessionPackage{}, HybridKey: &hk}
	for _, id := range slices.Sorted(maps.Keys(pkgs)) {
		resp.Sessions = append(resp.Sessions, osync.SessionPackage{SessionID: id, Manifest: pkgs[id].Manifest, Parts: pkgs[id].Parts})
	}
	return resp, nil
}

// DeviceRequest is what a device's request carries to prove who sent it:
// the headers of package sync, parsed, and what was asked.
type DeviceRequest struct {
	DeviceID  string
	Time      int64  // unix seconds, by the device's clock
	Signature string // base64, as sent
	Method    string
	Path      string
}

// AuthenticateDevice checks a device's request: an enrolled device, a time
// within sync.AuthWindow of central's clock and the device's signature. It
// notes when central last heard from the device. Refusals wrap ErrUnauthorized.
func (c *Central) AuthenticateDevice(ctx context.Context, req DeviceRequest) (Device, error) {
	now := c.now()
	if d := now.Sub(time.Unix(req.Time, 0)); d > osync.AuthWindow || d < -osync.AuthWindow {
		return Device{}, fmt.Errorf("%w: request time is %s off central's clock (see the Date header)", ErrUnauthorized, d.Round(time.Second))
	}
	sig, err := base64.StdEncoding.DecodeString(req.Signature)
	if err != nil {
		return Device{}, fmt.Errorf("%w: %s is not base64", ErrUnauthorized, osync.HeaderSignature)
	}
	dev, err := c.db.Device(ctx, req.DeviceID)
	if errors.Is(err, store.ErrNotFound) {
		return Device{}, fmt.Errorf("%w: device %q is not enrolled", ErrUnauthorized, req.DeviceID)
	}
	if err != nil {
		return Device{}, err
	}
	pub, err := seal.ParseDevicePublicKey(dev.PublicKey)
	if err != nil {
		return Device{}, err
	}
	if err := pub.VerifyRequest(osync.AuthMessage(req.Method, req.Path, req.Time), sig); err != nil {
		return Device{}, fmt.Errorf("%w: %v", ErrUnauthorized, err)
	}
	if err := c.db.SeenDevice(ctx, dev.ID, now, dev.ClockSkewMS); err != nil {
		return Device{}, err
	}
	return dev, nil
}

// NoteDeviceClock records the skew of a device's clock from the time it
// says it sent a batch, when the batch held a genuine record of that device
// (accepted or duplicate): anyone can claim a device id, only the device can
// sign its records.
func (c *Central) NoteDeviceClock(ctx context.Context, deviceID string, deviceTime time.Time, b osync.Batch, resp osync.BatchResponse) {
	genuine := false
	for i, env := range b.Envelopes {
		out := resp.Results[i].Outcome
		if h, err := seal.ParseHeader(env); err == nil && h.DeviceID == deviceID && (out == osync.Accepted || out == osync.Duplicate) {
			genuine = true
			break
		}
	}
	if !genuine {
		return
	}
	now := c.now()
	if err := c.db.SeenDevice(ctx, deviceID, now, clockSkew(deviceTime, now)); err != nil {
		c.log.Warn("note device clock", "err", err)
	}
}

// clockSkew is a device's clock minus central's, from the time the device says it sent a request.
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

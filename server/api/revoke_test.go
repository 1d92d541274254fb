package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"onex/server"
	"onex/server/servertest"
	osync "onex/sync"
)

// TestRevokedDeviceIsRefused: once the office revokes a device, every
// request it signs is refused, 403 with code "revoked" (its signature holds:
// refused, not unauthenticated), and so are the records it sealed, over the
// network or in an export file; the revocation is audited, needs a reason,
// happens once; the site's other device goes on working (issue 12 point 16).
func TestRevokedDeviceIsRefused(t *testing.T) {
	c := servertest.New(t)
	ctx := context.Background()
	d, other := c.Enrol(t, "SITE-001"), c.Enrol(t, "SITE-001")
	before := d.Seal(osync.KindSubmission, servertest.Submission(c.Session, "2026WEB010001", nil))
	if code, _ := d.Push(before.Bytes); code != 200 {
		t.Fatalf("push before the revocation: %d", code)
	}
	for _, tc := range []struct{ id, reason, want string }{
		{d.ID, "  ", "reason is missing"},
		{d.ID, strings.Repeat("长", 501), "longer than 500"},
		{"no-such-device", "stolen", "not enrolled"},
	} {
		if err := c.RevokeDevice(ctx, tc.id, tc.reason, "office admin"); !errors.Is(err, server.ErrInput) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("revoke %q for %q: %v, want %q", tc.id, tc.reason, err, tc.want)
		}
	}
	pending := d.Seal(osync.KindSubmission, servertest.Submission(c.Session, "2026WEB010002", nil))
	if err := c.RevokeDevice(ctx, d.ID, "机器被盗", "office admin"); err != nil {
		t.Fatal(err)
	}
	if err := c.RevokeDevice(ctx, d.ID, "again", "office admin"); !errors.Is(err, server.ErrInput) || !strings.Contains(err.Error(), "revoked already") {
		t.Errorf("revoked twice: %v", err)
	}

	var p osync.Problem
	if code := d.Get(osync.PathPackage, &p); code != http.StatusForbidden || p.Code != osync.RefusedRevoked || !strings.Contains(p.Error, "enrol this machine again") {
		t.Errorf("package of a revoked device: %d %+v", code, p)
	}
	p = osync.Problem{}
	if code := d.Get(osync.PathRelease(c.Session.ID), &p); code != http.StatusForbidden || p.Code != osync.RefusedRevoked {
		t.Errorf("release to a revoked device: %d %+v", code, p)
	}
	resp, err := c.HTTP.Do(d.BatchRequest(pending.Bytes))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("batch of a revoked device: %d", resp.StatusCode)
	}
	file, _ := json.Marshal(osync.Export{Format: osync.ExportFormat, DeviceID: d.ID, Envelopes: [][]byte{pending.Bytes, before.Bytes}})
	rep, err := c.ImportRecords(ctx, bytes.NewReader(file), "cli")
	if err != nil || rep.Rejected != 2 || !strings.Contains(rep.Problems[0].Reason, "was revoked") {
		t.Errorf("export file of a revoked device: %+v, %v", rep, err)
	}
	if code, resp := other.Push(other.Seal(osync.KindSubmission, servertest.Submission(c.Session, "2026WEB010003", nil)).Bytes); code != 200 || resp.Results[0].Outcome != osync.Accepted {
		t.Errorf("the site's other device: %d %+v", code, resp)
	}
	if res := c.Results(t); !res[0].Submitted || res[1].Submitted {
		t.Errorf("results: the submission received before the revocation counts, the one after does not: %v %v", res[0].Submitted, res[1].Submitted)
	}
	sites, err := c.Sites(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, dev := range sites[0].Devices {
		if revoked := dev.ID == d.ID; dev.Revoked() != revoked || revoked && (dev.RevokedBy != "office admin" || dev.RevokeReason != "机器被盗" || !dev.RevokedAt.Equal(c.Clock.Now())) {
			t.Errorf("device %s on the sites list: revoked %v at %v by %q for %q", dev.ID, dev.Revoked(), dev.RevokedAt, dev.RevokedBy, dev.RevokeReason)
		}
	}
	log, _ := c.AuditLog(ctx)
	var revocations []string
	for _, e := range log.Entries {
		if e.Action == "revoke device" {
			revocations = append(revocations, e.Actor+": "+e.Detail)
		}
	}
	if len(revocations) != 1 || !strings.HasPrefix(revocations[0], "office admin: device "+d.ID) || !strings.Contains(revocations[0], "机器被盗") {
		t.Errorf("revocations audited: %q", revocations)
	}
}

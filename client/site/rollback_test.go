package site_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"onex/client/site"
	"onex/client/store"
	"onex/exam"
	"onex/server"
	"onex/server/servertest"
	wire "onex/sync"
)

// dropFirstCandidate imports the sample roster without its first line at
// central: a new package of the session.
func dropFirstCandidate(t *testing.T, c *servertest.Central, session string) {
	t.Helper()
	b, _ := io.ReadAll(servertest.Sample(t, "roster-web-elementary.csv"))
	lines := strings.SplitAfter(string(b), "\n")
	lines = append(lines[:1], lines[2:]...)
	if _, err := c.ImportRoster(context.Background(), session, strings.NewReader(strings.Join(lines, "")), "auto", "test"); err != nil {
		t.Fatal(err)
	}
}

// heldBy is what a site holds: its cursor and, by session, the number of
// candidates on the roster it holds.
func heldBy(t *testing.T, s *site.Site) (int64, map[string]int) {
	t.Helper()
	ctx := context.Background()
	var cursor int64
	if err := s.Store().View(ctx, func(tx *store.Tx) error {
		var err error
		cursor, err = tx.Cursor()
		return err
	}); err != nil {
		t.Fatal(err)
	}
	sessions, err := s.Sessions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	roster := map[string]int{}
	for _, si := range sessions {
		cands, err := s.Candidates(ctx, si.ID)
		if err != nil {
			t.Fatal(err)
		}
		roster[si.ID] = len(cands)
	}
	return cursor, roster
}

// TestPackageAnswersCannotBeReplayedOrCut: a man in the middle holds
// answers central signed. Whatever he does with them (an old package of a
// session answered again with the cursor made to look current, a cursor
// pushed far ahead, one of two packages taken out), the site refuses the
// download and keeps what it holds and its cursor; the next true answer
// brings the site up to date. Before packages carried a signed version and
// the answer a signed list, each of these was stored.
func TestPackageAnswersCannotBeReplayedOrCut(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		// before sets the scene, given the first answer the site got, and
		// returns the spoiling.
		before func(t *testing.T, r *rig, first wire.PackageResponse) func(*wire.PackageResponse)
	}{
		{"old package answered again", func(t *testing.T, r *rig, first wire.PackageResponse) func(*wire.PackageResponse) {
			dropFirstCandidate(t, r.central, r.session)
			if _, err := r.s.Download(ctx, nil); err != nil {
				t.Fatal(err)
			}
			return func(pr *wire.PackageResponse) {
				pr.Sessions = first.Sessions
				pr.Cursor = max(pr.Cursor, first.Cursor) + 1
			}
		}},
		{"cursor pushed ahead", func(t *testing.T, r *rig, first wire.PackageResponse) func(*wire.PackageResponse) {
			return func(pr *wire.PackageResponse) { pr.Cursor = 1 << 40 }
		}},
		{"one of two packages cut", func(t *testing.T, r *rig, first wire.PackageResponse) func(*wire.PackageResponse) {
			// Another day's sitting takes another version of the paper (one release time a version).
			if _, err := r.central.CreateSession(ctx, server.SessionSpec{Site: "SITE-001", Room: "A101", PaperID: "WEB-E-2026-A", PaperVersion: r.central.PaperVersion(t, 2), Start: servertest.Start.Add(24 * time.Hour)}, "test"); err != nil {
				t.Fatal(err)
			}
			dropFirstCandidate(t, r.central, r.session)
			return func(pr *wire.PackageResponse) {
				if len(pr.Sessions) != 2 {
					t.Errorf("central answered %d packages, want 2", len(pr.Sessions))
					return
				}
				pr.Sessions = pr.Sessions[1:]
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tp := &tamperer{}
			var first wire.PackageResponse
			capture := func(pr *wire.PackageResponse) {
				b, _ := json.Marshal(pr)
				json.Unmarshal(b, &first)
			}
			tp.spoil.Store(&capture)
			r := newRigVia(t, tp.wrap(t))
			tp.spoil.Store(nil)
			spoil := tc.before(t, r, first)
			cursor, roster := heldBy(t, r.s)

			tp.spoil.Store(&spoil)
			_, err := r.s.Download(ctx, nil)
			tp.spoil.Store(nil)
			if !errors.Is(err, site.ErrBadPackage) {
				t.Errorf("the spoiled answer: %v, want ErrBadPackage", err)
			}
			if c, ro := heldBy(t, r.s); c != cursor || len(ro) != len(roster) || ro[r.session] != roster[r.session] {
				t.Fatalf("after the spoiled answer the site holds cursor %d and rosters %v, before %d and %v", c, ro, cursor, roster)
			}

			// Central moves on; the true answer brings everything.
			dropFirstCandidate(t, r.central, r.session)
			if _, err := r.s.Download(ctx, nil); err != nil {
				t.Fatal(err)
			}
			_, ro := heldBy(t, r.s)
			sessions, err := r.central.Sessions(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(ro) != len(sessions) || ro[r.session] != 39 {
				t.Fatalf("after the true answer the site holds rosters %v of %d sessions, want 39 candidates in %s", ro, len(sessions), r.session)
			}
		})
	}
}

// TestRosterShrinksAtTheSite: a candidate central takes off the roster
// before the release is gone from the site at the next download (and may
// not be checked in); the others keep their check-ins.
func TestRosterShrinksAtTheSite(t *testing.T) {
	ctx := context.Background()
	r := newRig(t)
	if _, err := r.s.CheckIn(ctx, r.session, site.CheckInRequest{Ticket: "2026WEB010002", Status: exam.Present, Confirmed: true}); err != nil {
		t.Fatal(err)
	}
	dropFirstCandidate(t, r.central, r.session) // 2026WEB010001
	if _, err := r.s.Download(ctx, nil); err != nil {
		t.Fatal(err)
	}
	cands, err := r.s.Candidates(ctx, r.session)
	if err != nil {
		t.Fatal(err)
	}
	status := map[string]exam.Attendance{}
	for _, c := range cands {
		status[c.Ticket] = c.Status
	}
	if _, kept := status["2026WEB010001"]; kept || len(cands) != 39 || status["2026WEB010002"] != exam.Present {
		t.Errorf("after the roster shrank: %d candidates, the dropped one kept: %v, 2026WEB010002 %q", len(cands), kept, status["2026WEB010002"])
	}
	infos, err := r.s.Sessions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range infos {
		if in.ID == r.session && (in.Candidates != 39 || in.Present != 1) {
			t.Errorf("the session's figures after the roster shrank: %d candidates, %d present; want 39, 1", in.Candidates, in.Present)
		}
	}
	if _, err := r.s.CheckIn(ctx, r.session, site.CheckInRequest{Ticket: "2026WEB010001", Status: exam.Present, Confirmed: true}); err == nil || !strings.Contains(err.Error(), "not on the roster") {
		t.Errorf("checking in the dropped candidate: %v", err)
	}
}

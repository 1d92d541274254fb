package site_test

// Chains and clocks (issue 7, section 5): records taken out of the site's
// outbox or put in each other's place show at central, on the sites page
// (the device's chain) and with the session's results; a site whose clock
// is days ahead or hours behind still times the paper right, and central
// flags the clock and keeps the submission.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"onex/client/site"
	"onex/client/store"
	"onex/exam"
	"onex/exam/seal"
	"onex/server/servertest"
	wire "onex/sync"
)

// signIn signs in to central's office as its admin.
func signIn(t *testing.T, c *servertest.Central) *servertest.Office {
	t.Helper()
	o := c.Office(t)
	if code := o.SignIn("admin", servertest.AdminPassword); code != http.StatusSeeOther {
		t.Fatalf("office sign-in: %d", code)
	}
	return o
}

// outboxSeqs returns the site's outbox rows as seq → record id.
func outboxSeqs(t *testing.T, dir string) (uint64, map[int64]string) {
	t.Helper()
	db := openRaw(t, dir)
	defer db.Close()
	var epoch int64
	out := map[int64]string{}
	rows, err := db.Query("SELECT epoch, seq, record_id FROM outbox ORDER BY seq")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var seq int64
		var id string
		if err := rows.Scan(&epoch, &seq, &id); err != nil {
			t.Fatal(err)
		}
		out[seq] = id
	}
	return uint64(epoch), out
}

// TestTamperedOutboxShowsAtCentral takes records out of the site's outbox
// before they are sent, or puts two in each other's place, and looks for
// the damage where the office looks: the device's chain on the sites page,
// the session's results page and the results command's warnings.
func TestTamperedOutboxShowsAtCentral(t *testing.T) {
	tickets := []string{"2026WEB010001", "2026WEB010002", "2026WEB010003", "2026WEB010004", "2026WEB010005", "2026WEB010006"}
	for _, tc := range []struct {
		name    string
		tamper  func(t *testing.T, r *rig)
		damaged int      // records the site itself finds damaged and keeps
		want    []string // on the sites page, and in the results' warnings
	}{
		{"a record deleted", func(t *testing.T, r *rig) {
			db := openRaw(t, r.cfg.Dir)
			defer db.Close()
			if res, err := db.Exec("DELETE FROM outbox WHERE seq = 3"); err != nil {
				t.Fatal(err)
			} else if n, _ := res.RowsAffected(); n != 1 {
				t.Fatalf("%d rows deleted", n)
			}
		}, 0, []string{"缺失: epoch %d: seq 3 missing"}},
		{"two records deleted", func(t *testing.T, r *rig) {
			db := openRaw(t, r.cfg.Dir)
			defer db.Close()
			if _, err := db.Exec("DELETE FROM outbox WHERE seq IN (3, 4)"); err != nil {
				t.Fatal(err)
			}
		}, 0, []string{"缺失: epoch %d: seq 3–4 missing"}},
		{"two envelopes swapped in the database", func(t *testing.T, r *rig) {
			db := openRaw(t, r.cfg.Dir)
			defer db.Close()
			var env [2][]byte
			var hash [2][]byte
			for i, seq := range []int{3, 4} {
				if err := db.QueryRow("SELECT envelope, hash FROM outbox WHERE seq = ?", seq).Scan(&env[i], &hash[i]); err != nil {
					t.Fatal(err)
				}
			}
			for i, seq := range []int{4, 3} {
				if _, err := db.Exec("UPDATE outbox SET envelope = ?, hash = ? WHERE seq = ?", env[i], hash[i], seq); err != nil {
					t.Fatal(err)
				}
			}
		}, 2, []string{"缺失: epoch %d: seq 3–4 missing"}},
		{"two records re-sealed in each other's place with the device key", func(t *testing.T, r *rig) {
			// Someone with the site passphrase has the device key: they
			// can seal the check-ins of seq 3 and 4 in swapped order, each
			// chained after the other, but not the records after them.
			ctx := context.Background()
			st, err := store.Open(ctx, r.cfg.Dir, pass, store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			id, err := (func() (*store.Identity, error) {
				var id *store.Identity
				err := st.View(ctx, func(tx *store.Tx) error {
					var err error
					id, err = tx.Identity()
					return err
				})
				return id, err
			})()
			if err != nil {
				t.Fatal(err)
			}
			epoch := st.Epoch()
			st.Close()
			db := openRaw(t, r.cfg.Dir)
			defer db.Close()
			var prev []byte
			if err := db.QueryRow("SELECT hash FROM outbox WHERE seq = 2").Scan(&prev); err != nil {
				t.Fatal(err)
			}
			for _, p := range []struct {
				seq    int
				ticket string
			}{{3, tickets[3]}, {4, tickets[2]}} {
				rec, _ := json.Marshal(wire.CheckIn{SessionID: r.session, Ticket: p.ticket, Status: exam.Present, Clock: wire.Clock{DeviceTime: r.clock.Now().UTC()}})
				env, err := seal.SealRecord(id.Key, id.Central, seal.Header{DeviceID: id.DeviceID, Epoch: epoch, Seq: uint64(p.seq),
					Prev: seal.Hash(prev), Kind: wire.KindCheckIn, Created: r.clock.Now()}, rec)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := db.Exec("UPDATE outbox SET envelope = ?, hash = ?, record_id = ? WHERE seq = ?", env.Bytes, env.Hash[:], env.Header.RecordID.String(), p.seq); err != nil {
					t.Fatal(err)
				}
				prev = env.Hash[:]
			}
		}, 0, []string{"断链: epoch %d: seq 5 does not follow seq 4"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			r := newRig(t)
			for _, tk := range tickets {
				r.checkIn(tk)
			}
			r.s.Close()
			epoch, seqs := outboxSeqs(t, r.cfg.Dir)
			if len(seqs) != len(tickets) {
				t.Fatalf("outbox %v, want %d check-ins", seqs, len(tickets))
			}
			tc.tamper(t, r)
			s, err := site.Open(ctx, r.cfg)
			if err != nil {
				t.Fatal(err)
			}
			r.s = s
			if _, err := r.s.Sync(ctx); err != nil {
				t.Fatal(err)
			}
			st, err := r.s.Status(ctx, false)
			if err != nil {
				t.Fatal(err)
			}
			if st.Outbox.Pending != 0 || st.Outbox.Damaged != tc.damaged {
				t.Errorf("site outbox %+v, want %d damaged", st.Outbox, tc.damaged)
			}
			id, _ := r.s.Identity(ctx)
			chain, err := r.central.Chain(ctx, id.DeviceID)
			if err != nil {
				t.Fatal(err)
			}
			var warn bytes.Buffer
			if err := r.central.WarnChains(ctx, r.session, &warn); err != nil {
				t.Fatal(err)
			}
			o := signIn(t, r.central)
			sites := o.Page("/office/sites")
			results := o.Page("/office/sessions/" + r.session + "/results")
			for _, w := range tc.want {
				w = fmt.Sprintf(w, epoch)
				if !strings.Contains(sites, w) {
					t.Errorf("the sites page lacks %q", w)
				}
				detail := w[strings.Index(w, ": ")+2:]
				line := fmt.Sprintf("warning: device %s: %s", id.DeviceID, detail)
				if !strings.Contains(warn.String(), line+"\n") {
					t.Errorf("results warnings %q lack %q", warn.String(), line)
				}
				if !strings.Contains(results, "以下设备的记录链不完整") || !strings.Contains(results, line) {
					t.Errorf("the results page lacks the warning %q", line)
				}
				if !slices.Contains(append(chain.Gaps, chain.Breaks...), detail) {
					t.Errorf("chain %+v lacks %q", chain, detail)
				}
			}
			if len(chain.Gaps)+len(chain.Breaks) != len(tc.want) {
				t.Errorf("chain: gaps %v, breaks %v; want only %v", chain.Gaps, chain.Breaks, tc.want)
			}
		})
	}
}

// TestSiteClockOff runs a candidate's whole paper on a site whose clock is
// two days ahead of central's, or three hours behind: the paper lasts its
// 90 minutes by the site's running clock, central accepts everything, flags
// the clock on the sites page and keeps the submission.
func TestSiteClockOff(t *testing.T) {
	for _, tc := range []struct {
		name string
		off  time.Duration
	}{
		{"two days ahead", 48 * time.Hour},
		{"three hours behind", -3 * time.Hour},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			c := servertest.New(t)
			clk := &clock{}
			clk.Add(c.Clock.Now().Sub(time.Now()) + tc.off)
			advance := func(d time.Duration) { // both clocks run on
				c.Clock.Set(c.Clock.Now().Add(d))
				clk.Add(d)
			}
			cfg := fastHTTP()
			cfg.Dir, cfg.Passphrase, cfg.Now = t.TempDir(), pass, clk.Now
			cfg.Log = slog.New(slog.DiscardHandler)
			s, err := site.Enrol(ctx, cfg, site.EnrolOptions{ServerURL: c.URL, Code: c.EnrolCode(t), DeviceName: "clock test"})
			if err != nil {
				t.Fatal(err)
			}
			defer func() { s.Close() }()
			if _, err := s.Download(ctx, nil); err != nil {
				t.Fatal(err)
			}
			var early *site.TooEarlyError
			if err := s.Release(ctx, c.Session.ID); !errors.As(err, &early) {
				t.Fatalf("release before central's release time: %v", err)
			}
			advance(c.Session.ReleaseAt.Sub(c.Clock.Now()) + time.Second)
			if err := s.Release(ctx, c.Session.ID); err != nil {
				t.Fatal(err)
			}
			const ticket = "2026WEB010001"
			if _, err := s.CheckIn(ctx, c.Session.ID, site.CheckInRequest{Ticket: ticket, Status: exam.Present, Confirmed: true}); err != nil {
				t.Fatal(err)
			}
			if err := s.StartRoom(ctx, c.Session.ID, "张监考"); err != nil {
				t.Fatal(err)
			}
			e, err := s.Begin(ctx, c.Session.ID, ticket)
			if err != nil {
				t.Fatal(err)
			}
			left := func() time.Duration {
				t.Helper()
				d, err := e.Remaining(ctx)
				if err != nil {
					t.Fatal(err)
				}
				return d
			}
			// Real time runs on too, a little, while the test does.
			if d := left(); d > 90*time.Minute || d < 89*time.Minute {
				t.Fatalf("at the start: %v left, want 90m", d)
			}
			if err := e.Save(ctx, "q8", exam.Answer{Text: "first"}); err != nil {
				t.Fatal(err)
			}
			advance(89 * time.Minute)
			if d := left(); d > time.Minute || d < 30*time.Second {
				t.Fatalf("after 89 minutes: %v left, want just under 1m", d)
			}
			if subs, err := s.Tick(ctx); err != nil || len(subs) != 0 {
				t.Fatalf("tick before time: %v %v", subs, err)
			}
			if err := e.Save(ctx, "q8", exam.Answer{Text: "last answer"}); err != nil {
				t.Fatal(err)
			}
			advance(time.Minute)
			subs, err := s.Tick(ctx)
			if err != nil || len(subs) != 1 || subs[0].Ticket != ticket || !subs[0].Forced {
				t.Fatalf("tick at 90 minutes: %+v %v", subs, err)
			}
			if d := left(); d != 0 {
				t.Fatalf("after the time: %v left", d)
			}
			// Central's test clock stands still while real time moves the
			// site's: line them up again before the site calls.
			c.Clock.Set(clk.Now().Add(-tc.off))
			if _, err := s.Sync(ctx); err != nil {
				t.Fatal(err)
			}
			id, _ := s.Identity(ctx)
			dev, err := c.DB(t).Device(ctx, id.DeviceID)
			if err != nil {
				t.Fatal(err)
			}
			if got := time.Duration(dev.ClockSkewMS) * time.Millisecond; (got - tc.off).Abs() > 5*time.Second {
				t.Errorf("central measured the device clock %v off, want %v", got, tc.off)
			}
			// The batch carries the device's clock in whole seconds.
			page := signIn(t, c).Page("/office/sites")
			m := regexp.MustCompile(`<td class="bad">(\S+) · 时钟偏差超过 5 分钟</td>`).FindStringSubmatch(page)
			if m == nil {
				t.Fatalf("the sites page does not flag the clock:\n%s", page)
			}
			if shown, err := time.ParseDuration(m[1]); err != nil || (shown-tc.off).Abs() > 5*time.Second {
				t.Errorf("the sites page shows the clock %s off, want %v", m[1], tc.off)
			}
			var kept bool
			for _, res := range c.Results(t) {
				if res.Ticket == ticket {
					kept = res.Submitted && res.Forced
				}
			}
			recs, err := c.DB(t).SessionRecords(ctx, c.Session.ID)
			if err != nil {
				t.Fatal(err)
			}
			if !kept || recs.Submissions[ticket].Answers["q8"].Text != "last answer" {
				t.Errorf("central's submission: kept %v, answers %+v", kept, recs.Submissions[ticket].Answers)
			}
			if chain, _ := c.Chain(ctx, id.DeviceID); len(chain.Gaps)+len(chain.Breaks) != 0 {
				t.Errorf("chain %+v", chain)
			}
		})
	}
}

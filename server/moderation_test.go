package server_test

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"onex/exam"
	"onex/server"
	"onex/server/servertest"
	"onex/server/store"
)

// siteScore is 36..54 of 60 by i (never a fail at 60%), criterion by criterion.
func siteScore(i int) []float64 {
	return []float64{float64(10 + i%6), float64(14 + i%6), float64(8 + i%5), float64(4 + i%4)}
}

// TestModerationOfALenientSite: 40 candidates scored at the site, a sample
// drawn (the larger of 10% or 10, plus every fail and top score) that
// re-runs from its recorded seed; two moderators re-score it blind, each
// only what they hold; the site scored 7 points high, so it is flagged and
// not done until the lead decides; "all" adjusts every candidate, audited;
// results see the state and the adjusted marks.
func TestModerationOfALenientSite(t *testing.T) {
	c := servertest.New(t, servertest.WithRoster(40))
	ctx := context.Background()
	moderators(t, c, "mod1", "mod2")
	if m, err := c.Moderated(ctx, c.Session.ID); err != nil || m.State != server.ModerationNotNeeded || !m.Done() {
		t.Fatalf("before any practical score: %+v %v", m, err)
	}
	tickets := c.PracticalScores(t, 40, func(i int) []float64 {
		if i == 7 {
			return []float64{5, 5, 5, 5} // 20: a fail
		}
		return siteScore(i)
	})
	if m, _ := c.Moderated(ctx, c.Session.ID); m.State != server.ModerationNotDrawn || m.Done() {
		t.Fatalf("practical scores in, none drawn: %+v", m)
	}
	if err := c.DecideModeration(ctx, c.Session.ID, exam.KeepSiteScores, "no", "office lead"); !errors.Is(err, server.ErrInput) {
		t.Errorf("a decision before a draw: %v", err)
	}
	v, err := c.DrawModeration(ctx, c.Session.ID, server.DefaultModerationPolicy, "office lead")
	if err != nil {
		t.Fatal(err)
	}
	// One fail (i=7), the tops (those with the highest score there is), and 10 at random.
	reasons := map[string]int{}
	for _, r := range v.Rescores {
		reasons[r.Reason]++
	}
	if reasons[exam.SampledFail] != 1 || reasons[exam.SampledRandom] != 10 || reasons[exam.SampledTop] < 1 || v.Sampled != len(v.Rescores) || v.State != server.ModerationRescoring {
		t.Fatalf("sample %v of %d, state %s", reasons, v.Sampled, v.State)
	}
	if _, err := c.DrawModeration(ctx, c.Session.ID, server.DefaultModerationPolicy, "office lead"); !errors.Is(err, server.ErrInput) {
		t.Errorf("a second draw: %v", err)
	}
	// The draw re-runs from the recorded seed and the site's scores.
	seed, _ := hex.DecodeString(v.Seed)
	var scores []exam.SiteScore
	for i, tk := range tickets {
		m := siteScore(i)
		if i == 7 {
			m = []float64{5, 5, 5, 5}
		}
		scores = append(scores, exam.SiteScore{Ticket: tk, Points: m[0] + m[1] + m[2] + m[3], Max: 60})
	}
	var again []string
	for _, s := range exam.DrawSample(scores, v.Policy.SamplePolicy, seed) {
		again = append(again, s.Ticket)
	}
	var drawn []string
	for _, r := range v.Rescores {
		drawn = append(drawn, r.Ticket)
	}
	if !slices.Equal(again, drawn) || !v.Reproduced {
		t.Fatalf("re-run draw %v, stored %v (reproduced: %v)", again, drawn, v.Reproduced)
	}

	// Two moderators re-score, each what they hold.
	byID := map[string]store.Rescore{}
	for _, r := range v.Rescores {
		byID[r.ID] = r
	}
	mods := []string{"mod1", "mod2"}
	held := map[string]string{}
	for k := 0; ; k++ {
		mod := mods[k%2]
		rv, err := c.NextRescore(ctx, mod)
		if errors.Is(err, server.ErrNotFound) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if again, _ := c.NextRescore(ctx, mod); again.ID != rv.ID {
			t.Fatalf("%s asked again and got %s, not their open %s", mod, again.ID, rv.ID)
		}
		b, _ := json.Marshal(rv)
		if r := byID[rv.ID]; strings.Contains(string(b), r.Ticket) || strings.Contains(string(b), c.Session.ID) || strings.Contains(string(b), "examiner") || rv.Item.ID != "q11" {
			t.Fatalf("the moderator's view shows the candidate, session or site: %s", b)
		}
		other := mods[(k+1)%2]
		site := byID[rv.ID].SiteMarks
		lower := []float64{site[0] - 3, site[1] - 3, site[2] - 1, site[3]} // 7 lower: beyond q11's tolerance of 6
		if err := c.Rescore(ctx, rv.ID, other, lower); !errors.Is(err, server.ErrNotHolder) {
			t.Fatalf("%s re-scored what %s holds: %v", other, mod, err)
		}
		if err := c.Rescore(ctx, rv.ID, mod, []float64{99, 0, 0, 0}); !errors.Is(err, server.ErrInput) {
			t.Fatalf("a mark over the criterion: %v", err)
		}
		if err := c.Rescore(ctx, rv.ID, mod, lower); err != nil {
			t.Fatal(err)
		}
		if err := c.Rescore(ctx, rv.ID, mod, lower); !errors.Is(err, server.ErrInput) {
			t.Fatalf("re-scored twice: %v", err)
		}
		held[rv.ID] = mod
		if k > 100 {
			t.Fatal("the queue does not end")
		}
	}
	if len(held) != len(v.Rescores) {
		t.Fatalf("%d of %d re-scored", len(held), len(v.Rescores))
	}
	m, _ := c.Moderated(ctx, c.Session.ID)
	v, _ = c.Moderation(ctx, c.Session.ID)
	if m.State != server.ModerationFlagged || m.Done() || !v.Verdict.Flagged || v.Verdict.Beyond != v.Verdict.Rescored {
		t.Fatalf("lenient site: %+v, verdict %+v", m, v.Verdict)
	}
	if err := c.DecideModeration(ctx, c.Session.ID, exam.AdjustAll, "", "office lead"); !errors.Is(err, server.ErrInput) {
		t.Errorf("a decision without a reason: %v", err)
	}
	if err := c.DecideModeration(ctx, c.Session.ID, exam.AdjustAll, "site marked 5 high on every sampled script", "office lead"); err != nil {
		t.Fatal(err)
	}
	m, err = c.Moderated(ctx, c.Session.ID)
	if err != nil || m.State != server.ModerationDone || !m.Done() || len(m.Adjusted) != 40 {
		t.Fatalf("after the decision: %+v %v", m, err)
	}
	// An unsampled candidate: every criterion shifted by the sample's mean difference, rounded to 0.5.
	for i, tk := range tickets {
		if _, sampled := byID[findRescore(v.Rescores, tk)]; sampled {
			continue
		}
		site := siteScore(i)
		got := m.Adjusted[tk]["q11"]
		if len(got) != 4 || got[3] != site[3] || got[0] >= site[0] || got[1] >= site[1] || got[0]+got[1]+got[2]+got[3] != site[0]+site[1]+site[2]+site[3]-7 {
			t.Errorf("%s: adjusted %v from %v", tk, got, site)
		}
	}
	if err := c.DecideModeration(ctx, c.Session.ID, exam.KeepSiteScores, "again", "office lead"); !errors.Is(err, server.ErrInput) {
		t.Errorf("a second decision: %v", err)
	}
	log, _ := c.AuditLog(ctx)
	var actions []string
	for _, e := range log.Entries {
		if strings.Contains(e.Action, "moderat") {
			actions = append(actions, e.Actor+": "+e.Action)
		}
	}
	if _, err := c.NextRescore(ctx, "admin-less"); !errors.Is(err, server.ErrForbidden) {
		t.Errorf("no such user moderated: %v", err)
	}
	if len(actions) != len(v.Rescores)+2 || actions[0] != "office lead: draw moderation sample" || actions[len(actions)-1] != "office lead: decide moderation" {
		t.Errorf("audit: %q", actions)
	}
}

// moderators adds office users of role marker.
func moderators(t *testing.T, c *servertest.Central, names ...string) {
	for _, n := range names {
		if err := c.PutUser(t.Context(), n, "pw of "+n, server.RoleMarker, "test"); err != nil {
			t.Fatal(err)
		}
	}
}

func findRescore(rs []store.Rescore, ticket string) string {
	for _, r := range rs {
		if r.Ticket == ticket {
			return r.ID
		}
	}
	return ""
}

// TestModerationOfAFairSite: re-scores within tolerance make moderation
// done with no decision and no adjusted marks; a claim not re-scored within
// the timeout goes to another moderator.
func TestModerationOfAFairSite(t *testing.T) {
	c := servertest.New(t, servertest.WithRoster(12))
	ctx := context.Background()
	moderators(t, c, "mod1", "mod2")
	c.PracticalScores(t, 12, siteScore)
	v, err := c.DrawModeration(ctx, c.Session.ID, server.ModerationPolicy{SamplePolicy: exam.SamplePolicy{Share: 0.1, Min: 3}, FlagShare: 0.2}, "office lead")
	if err != nil || len(v.Rescores) != 3 {
		t.Fatalf("draw of 3: %v %v", v.Rescores, err)
	}
	first, err := c.NextRescore(ctx, "mod1")
	if err != nil {
		t.Fatal(err)
	}
	c.Clock.Add(server.RescoreTimeout + time.Minute)
	seen := map[string]bool{}
	for {
		rv, err := c.NextRescore(ctx, "mod2")
		if errors.Is(err, server.ErrNotFound) {
			break
		}
		seen[rv.ID] = true
		var site []float64
		for _, r := range v.Rescores {
			if r.ID == rv.ID {
				site = r.SiteMarks
			}
		}
		if err := c.Rescore(ctx, rv.ID, "mod2", []float64{site[0], site[1], site[2] + 1, site[3]}); err != nil {
			t.Fatal(err)
		}
	}
	if !seen[first.ID] || len(seen) != 3 {
		t.Fatalf("the stale claim %s did not return: %v", first.ID, seen)
	}
	m, err := c.Moderated(ctx, c.Session.ID)
	if err != nil || m.State != server.ModerationDone || len(m.Adjusted) != 0 {
		t.Fatalf("fair site: %+v %v", m, err)
	}
}

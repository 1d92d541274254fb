package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"onex/exam"
	"onex/server/store"
)

// Moderation (抽样复核) of a site's practical scores, per session (a session
// is at one site): DrawModeration draws the sample with a recorded seed,
// moderators re-score it blind through NextRescore and Rescore, Judge
// compares, and the lead keeps the site's scores or adjusts them with
// DecideModeration. Results read Moderated.

// ModerationPolicy is how a session's sample is drawn and judged.
type ModerationPolicy struct {
	exam.SamplePolicy
	FlagShare float64 `json:"flag_share"` // the site is flagged when more than this share of re-scores is beyond tolerance
}

// DefaultModerationPolicy is exam.DefaultSamplePolicy with
// exam.DefaultFlagShare; the pass mark is the level's, set when drawn.
var DefaultModerationPolicy = ModerationPolicy{SamplePolicy: exam.DefaultSamplePolicy, FlagShare: exam.DefaultFlagShare}

// ErrNotHolder refuses a user's marks of a rescore or task another user holds.
var ErrNotHolder = store.ErrNotHolder

// RescoreTimeout is how long a moderator's claim on a rescore holds before
// it returns to the queue.
const RescoreTimeout = 20 * time.Minute

// Moderation states of a session, as results read them.
const (
	ModerationNotNeeded = "not-needed" // the paper has no practical item, or the site sent no practical marks
	ModerationNotDrawn  = "not-drawn"  // practical marks wait for a sample to be drawn
	ModerationRescoring = "rescoring"  // the sample is being re-scored
	ModerationFlagged   = "flagged"    // re-scored, beyond tolerance: the lead decides
	ModerationDone      = "done"       // re-scored within tolerance, or the lead decided
)

// Moderated is a session's moderation as results need it.
type Moderated struct {
	State string // one of the Moderation* states
	// Adjusted are the marks that replace the site's for practical items,
	// by ticket and item; empty unless the lead adjusted.
	Adjusted map[string]exam.Marks
}

// Done reports whether the session's practical scores are final: moderated,
// or needing no moderation.
func (m Moderated) Done() bool { return m.State == ModerationDone || m.State == ModerationNotNeeded }

// ModerationView is a session's moderation for the lead's page.
type ModerationView struct {
	SessionID string
	State     string
	Policy    ModerationPolicy
	Seed      string
	DrawnBy   string
	DrawnAt   time.Time
	Decision  string
	DecidedBy string
	DecidedAt time.Time
	Note      string
	Sampled   int // candidates in the sample
	Rescores  []store.Rescore
	Rows      []RescoreRow // the rescores as the lead's page shows them, in id order
	Verdict   exam.Verdict // over the re-scores done so far
	// Reproduced says whether re-running the draw (exam.DrawSample) from
	// the recorded seed and policy on the site's scores held now gives the
	// sample stored: false when the site's scores changed since the draw.
	Reproduced bool
}

// RescoreRow is a rescore on the lead's page: its pseudonymous id, never
// the ticket, and the totals.
type RescoreRow struct {
	ID, ItemID, Reason string
	Site, Moderated    float64 // item totals; Moderated is 0 until Done
	Done, Beyond       bool    // Beyond: differs by more than the item's tolerance
}

// practical is a session's paper's practical items and its pass mark.
type practical struct {
	session  store.Session
	items    map[string]exam.Item
	passMark float64
}

func (c *Central) practicalOf(ctx context.Context, sessionID string) (practical, error) {
	s, err := c.db.Session(ctx, sessionID)
	if errors.Is(err, store.ErrNotFound) {
		return practical{}, inputf("session %s does not exist", sessionID)
	}
	if err != nil {
		return practical{}, err
	}
	paper, err := c.markingPaper(ctx, s.PaperID, s.PaperVersion) // cached: results ask for every session
	if err != nil {
		return practical{}, err
	}
	cat, err := c.db.Catalogue(ctx)
	if err != nil {
		return practical{}, err
	}
	rule, err := cat.Rule(paper.Certificate, paper.Level)
	if err != nil {
		return practical{}, err
	}
	p := practical{session: s, items: map[string]exam.Item{}, passMark: rule.PassMark}
	for _, it := range paper.Items() {
		if it.Type == exam.Practical {
			p.items[it.ID] = it
		}
	}
	return p, nil
}

// siteMarks are the session's site marks of practical items, by ticket.
func (c *Central) siteMarks(ctx context.Context, p practical) (map[string]exam.Marks, error) {
	recs, err := c.db.SessionRecords(ctx, p.session.ID)
	if err != nil {
		return nil, err
	}
	out := map[string]exam.Marks{}
	for ticket, ms := range recs.Marks {
		for id, m := range ms {
			if _, ok := p.items[id]; ok {
				if out[ticket] == nil {
					out[ticket] = exam.Marks{}
				}
				out[ticket][id] = m
			}
		}
	}
	return out, nil
}

// siteScores are the candidates' practical totals as DrawSample weighs them.
func siteScores(p practical, site map[string]exam.Marks) []exam.SiteScore {
	var max float64
	for _, it := range p.items {
		max += it.Points
	}
	var scores []exam.SiteScore
	for ticket, ms := range site {
		var pts float64
		for _, m := range ms {
			pts += exam.Total(m)
		}
		scores = append(scores, exam.SiteScore{Ticket: ticket, Points: pts, Max: max})
	}
	return scores
}

// itemTolerance is the tolerance a practical item's re-score is judged by:
// a tenth of its points, at least 1.
func itemTolerance(it exam.Item) float64 { return math.Max(it.Points/10, 1) }

// itemStep is the rounding step of an item's adjusted marks.
func itemStep(exam.Item) float64 { return 0.5 }

// DrawModeration draws the moderation sample of a session's site practical
// scores with a fresh random seed, recorded with the policy so the draw can
// be re-run (exam.DrawSample): the sampled candidates' practical items
// become rescores under pseudonymous ids. The pass mark is the level's.
// Audited. It refuses a session with no practical marks, and one drawn
// already.
func (c *Central) DrawModeration(ctx context.Context, sessionID string, policy ModerationPolicy, actor string) (ModerationView, error) {
	p, err := c.practicalOf(ctx, sessionID)
	if err != nil {
		return ModerationView{}, err
	}
	policy.PassMark = p.passMark
	if err := policy.Validate(); err != nil {
		return ModerationView{}, AsInput(err)
	}
	if !(policy.FlagShare >= 0 && policy.FlagShare <= 1) {
		return ModerationView{}, inputf("flag share %v is outside 0..1", policy.FlagShare)
	}
	site, err := c.siteMarks(ctx, p)
	if err != nil {
		return ModerationView{}, err
	}
	if len(site) == 0 {
		return ModerationView{}, inputf("session %s has no practical scores from its site to moderate", sessionID)
	}
	scores := siteScores(p, site)
	seed := make([]byte, 16)
	rand.Read(seed)
	sample := exam.DrawSample(scores, policy.SamplePolicy, seed)
	pol, err := json.Marshal(policy)
	if err != nil {
		return ModerationView{}, err
	}
	m := store.Moderation{SessionID: sessionID, Seed: hex.EncodeToString(seed), Policy: pol, DrawnBy: actor, DrawnAt: c.now()}
	for _, s := range sample {
		ids := make([]string, 0, len(site[s.Ticket]))
		for id := range site[s.Ticket] {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		for _, id := range ids {
			m.Rescores = append(m.Rescores, store.Rescore{ID: "R-" + uuid.NewString(), Ticket: s.Ticket, ItemID: id, Reason: s.Reason, SiteMarks: site[s.Ticket][id]})
		}
	}
	detail := fmt.Sprintf("session %s: %d of %d candidates sampled (%d practical re-scores), seed %s, policy %s", sessionID, len(sample), len(scores), len(m.Rescores), m.Seed, pol)
	err = c.db.PutModeration(ctx, m, store.AuditIn(ctx, actor, "draw moderation sample", detail))
	if errors.Is(err, store.ErrExists) {
		return ModerationView{}, inputf("session %s: a moderation sample was drawn already", sessionID)
	}
	if err != nil {
		return ModerationView{}, err
	}
	return c.Moderation(ctx, sessionID)
}

// Moderation returns a session's moderation for the lead: the policy and
// seed, the rescores (with the site's and the moderator's marks), and the
// verdict over those re-scored so far.
func (c *Central) Moderation(ctx context.Context, sessionID string) (ModerationView, error) {
	p, err := c.practicalOf(ctx, sessionID)
	if err != nil {
		return ModerationView{}, err
	}
	v := ModerationView{SessionID: sessionID, Policy: DefaultModerationPolicy}
	v.Policy.PassMark = p.passMark
	m, err := c.db.ModerationOf(ctx, sessionID)
	if errors.Is(err, store.ErrNotFound) {
		v.State, err = c.undrawnState(ctx, p)
		return v, err
	}
	if err != nil {
		return v, err
	}
	if err := json.Unmarshal(m.Policy, &v.Policy); err != nil {
		return v, fmt.Errorf("moderation of session %s: policy: %w", sessionID, err)
	}
	v.Seed, v.DrawnBy, v.DrawnAt, v.Decision, v.DecidedBy, v.DecidedAt, v.Note, v.Rescores = m.Seed, m.DrawnBy, m.DrawnAt, m.Decision, m.DecidedBy, m.DecidedAt, m.Note, m.Rescores
	tickets := map[string]bool{}
	for _, r := range m.Rescores {
		tickets[r.Ticket] = true
	}
	v.Sampled = len(tickets)
	seed, err := hex.DecodeString(m.Seed)
	if err != nil {
		return v, fmt.Errorf("moderation of session %s: seed: %w", sessionID, err)
	}
	site, err := c.siteMarks(ctx, p)
	if err != nil {
		return v, err
	}
	redrawn := exam.DrawSample(siteScores(p, site), v.Policy.SamplePolicy, seed)
	v.Reproduced = len(redrawn) == len(tickets)
	for _, r := range redrawn {
		v.Reproduced = v.Reproduced && tickets[r.Ticket]
	}
	rs, all := rescoresOf(m.Rescores, p.items)
	for _, r := range m.Rescores {
		row := RescoreRow{ID: r.ID, ItemID: r.ItemID, Reason: r.Reason, Done: r.Done()}
		x := exam.Rescore{Site: r.SiteMarks, Moderated: r.Marks, Tolerance: itemTolerance(p.items[r.ItemID])}
		for _, f := range r.SiteMarks {
			row.Site += f
		}
		if r.Done() {
			row.Moderated, row.Beyond = row.Site+x.Difference(), x.Beyond()
		}
		v.Rows = append(v.Rows, row)
	}
	slices.SortFunc(v.Rows, func(a, b RescoreRow) int { return strings.Compare(a.ID, b.ID) })
	v.Verdict = exam.Judge(rs, v.Policy.FlagShare)
	switch {
	case m.Decision != "":
		v.State = ModerationDone
	case !all:
		v.State = ModerationRescoring
	case v.Verdict.Flagged:
		v.State = ModerationFlagged
	default:
		v.State = ModerationDone
	}
	return v, nil
}

func (c *Central) undrawnState(ctx context.Context, p practical) (string, error) {
	if len(p.items) == 0 {
		return ModerationNotNeeded, nil
	}
	site, err := c.siteMarks(ctx, p)
	if err != nil || len(site) == 0 {
		return ModerationNotNeeded, err
	}
	return ModerationNotDrawn, nil
}

// rescoresOf are the re-scored rescores for exam.Judge, and whether every
// rescore is re-scored.
func rescoresOf(rs []store.Rescore, items map[string]exam.Item) ([]exam.Rescore, bool) {
	var out []exam.Rescore
	all := true
	for _, r := range rs {
		if !r.Done() {
			all = false
			continue
		}
		out = append(out, exam.Rescore{Ticket: r.Ticket, Item: r.ItemID, Site: r.SiteMarks, Moderated: r.Marks, Tolerance: itemTolerance(items[r.ItemID])})
	}
	return out, all
}

// Moderated is what results need of a session's moderation: its state and
// the marks that replace the site's practical marks.
func (c *Central) Moderated(ctx context.Context, sessionID string) (Moderated, error) {
	v, err := c.Moderation(ctx, sessionID)
	if err != nil {
		return Moderated{}, err
	}
	out := Moderated{State: v.State, Adjusted: map[string]exam.Marks{}}
	if v.Decision == exam.AdoptSample || v.Decision == exam.AdjustAll {
		out.Adjusted, err = c.db.ModeratedMarks(ctx, sessionID)
	}
	return out, err
}

// RescoreView is what a moderator sees of a rescore: its pseudonymous id,
// the item (stem and rubric) and the candidate's answer to it if the
// submission holds one — never the candidate, the session, the site or the
// site's marks.
type RescoreView struct {
	ID     string
	Item   exam.Item
	Answer string
}

// NextRescore hands a moderator a rescore of any session: their own open
// claim first, else an unclaimed one (or one whose claim is older than
// RescoreTimeout). ErrNotFound when there is none; ErrForbidden for a
// user whose role does not mark (moderators are markers and leads).
func (c *Central) NextRescore(ctx context.Context, moderator string) (RescoreView, error) {
	if err := c.need(ctx, moderator, Mark); err != nil {
		return RescoreView{}, err
	}
	now := c.now()
	r, err := c.db.ClaimRescore(ctx, moderator, now, now.Add(-RescoreTimeout))
	if err != nil {
		return RescoreView{}, err
	}
	return c.rescoreView(ctx, r)
}

func (c *Central) rescoreView(ctx context.Context, r store.Rescore) (RescoreView, error) {
	p, err := c.practicalOf(ctx, r.SessionID)
	if err != nil {
		return RescoreView{}, err
	}
	v := RescoreView{ID: r.ID, Item: p.items[r.ItemID]}
	recs, err := c.db.SessionRecords(ctx, r.SessionID)
	if err != nil {
		return RescoreView{}, err
	}
	if s, ok := recs.Submissions[r.Ticket]; ok {
		v.Answer = s.Answers[r.ItemID].Text
	}
	return v, nil
}

// RescoreFiles returns what the candidate of a rescore handed in for every
// handin item of its paper (HandedInAll, in paper order), for the moderator
// holding the rescore only: anyone else is refused with ErrNotHolder, a
// user whose role does not mark with ErrForbidden. None when the paper has
// no handin item or central holds no submission of the candidate. The
// files carry the names the candidate gave: the caller shows them by
// index, never by name, and never the session or ticket behind the id.
func (c *Central) RescoreFiles(ctx context.Context, moderator, id string) ([]HandedItem, error) {
	if err := c.need(ctx, moderator, Mark); err != nil {
		return nil, err
	}
	r, err := c.db.RescoreByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if r.Moderator != moderator {
		return nil, fmt.Errorf("rescore %s: %w", id, ErrNotHolder)
	}
	items, err := c.HandedInAll(ctx, r.SessionID, r.Ticket)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	return items, err
}

// Rescore stores a moderator's marks of a rescore they hold, checked
// against the item's rubric, with the time since their claim; audited (the
// rescore's id, never the candidate). A rescore held by another moderator
// is refused with ErrNotHolder.
func (c *Central) Rescore(ctx context.Context, id, moderator string, marks []float64) error {
	if err := c.need(ctx, moderator, Mark); err != nil {
		return err
	}
	r, err := c.db.RescoreByID(ctx, id)
	if err != nil {
		return err
	}
	now := c.now()
	seconds := 0
	if !r.ClaimedAt.IsZero() {
		seconds = int(now.Sub(r.ClaimedAt).Seconds())
	}
	p, err := c.practicalOf(ctx, r.SessionID)
	if err != nil {
		return err
	}
	if err := p.items[r.ItemID].CheckMarks(marks); err != nil {
		return AsInput(err)
	}
	err = c.db.SaveRescore(ctx, id, moderator, marks, max(seconds, 0), now, store.AuditIn(ctx, moderator, "moderate practical score", fmt.Sprintf("rescore %s item %s: %v", id, r.ItemID, marks)))
	if errors.Is(err, store.ErrConflict) {
		return AsInput(err)
	}
	return err
}

// DecideModeration records the lead's decision on a session whose sample is
// re-scored: exam.KeepSiteScores, AdoptSample (the moderated marks replace
// the site's for the sampled candidates) or AdjustAll (that, and every
// other candidate's criterion marks shift by the sample's mean difference,
// rounded to the item's step and kept within the criterion's points:
// exam.Adjust). A note is required. Audited with the counts and the
// verdict.
func (c *Central) DecideModeration(ctx context.Context, sessionID, decision, note, actor string) error {
	if !exam.ValidDecision(decision) {
		return inputf("decision %q is not keep, sample or all", decision)
	}
	if note == "" {
		return inputf("a decision on moderation needs its reason")
	}
	v, err := c.Moderation(ctx, sessionID)
	if err != nil {
		return err
	}
	switch {
	case v.State == ModerationNotNeeded || v.State == ModerationNotDrawn:
		return inputf("session %s has no moderation sample to decide on", sessionID)
	case v.State == ModerationRescoring:
		return inputf("session %s: the sample is not all re-scored yet", sessionID)
	case v.Decision != "":
		return inputf("session %s: moderation was decided already by %s", sessionID, v.DecidedBy)
	}
	p, err := c.practicalOf(ctx, sessionID)
	if err != nil {
		return err
	}
	site, err := c.siteMarks(ctx, p)
	if err != nil {
		return err
	}
	rs, _ := rescoresOf(v.Rescores, p.items)
	step := 0.5
	for _, it := range p.items {
		step = math.Min(step, itemStep(it))
	}
	adjusted := exam.Adjust(decision, p.items, site, rs, step)
	changed := 0
	for _, ms := range adjusted {
		changed += len(ms)
	}
	detail := fmt.Sprintf("session %s: %s; %d of %d re-scores beyond tolerance (%.0f%%); %d item scores replaced; why: %s",
		sessionID, decision, v.Verdict.Beyond, v.Verdict.Rescored, v.Verdict.Share*100, changed, note)
	err = c.db.DecideModeration(ctx, sessionID, decision, actor, note, c.now(), adjusted, store.AuditIn(ctx, actor, "decide moderation", detail))
	if errors.Is(err, store.ErrConflict) {
		return AsInput(err)
	}
	return err
}

// ModerationSessions lists the sessions with a moderation drawn.
func (c *Central) ModerationSessions(ctx context.Context) ([]store.Moderation, error) {
	return c.db.Moderations(ctx)
}

package server

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"onex/exam"
	"onex/server/store"
)

// StateNames names the result states in Chinese, for the CSV and the command line.
var StateNames = map[exam.ResultState]string{
	exam.StateProvisional: "暂定", exam.StateMarked: "已评分", exam.StateModerated: "已抽查",
	exam.StateApproved: "已审定", exam.StatePublished: "已发布",
}

// standing is what a session's results stand on besides their records:
// the moderation of its practical scores, the appeals whose re-mark
// changed a mark, the open appeals and the approvals.
type standing struct {
	practical bool                  // the paper has an item scored at the site
	moderated bool                  // the session's practical scores are moderated
	adjusted  map[string]exam.Marks // ticket -> practical item -> marks the moderation set
	appealed  map[string]exam.Marks // ticket -> item -> marks an appeal's re-mark set
	open      map[string]int        // ticket -> open appeals
	approvals map[string]store.Approval
}

// resultStanding reads what a session's results stand on.
func (c *Central) resultStanding(ctx context.Context, sessionID string, paper *exam.Paper) (*standing, error) {
	st := &standing{appealed: map[string]exam.Marks{}, open: map[string]int{}}
	for _, it := range paper.Items() {
		st.practical = st.practical || it.Type == exam.Practical
	}
	var err error
	if st.practical {
		if st.moderated, st.adjusted, err = c.moderation(ctx, sessionID); err != nil {
			return nil, err
		}
	}
	appeals, err := c.db.Appeals(ctx, sessionID)
	if err != nil {
		return nil, err
	}
	for _, a := range slices.Backward(appeals) { // oldest first: the newest changed outcome wins
		switch a.Outcome {
		case store.AppealOpen:
			st.open[a.Ticket]++
		case store.AppealChanged:
			if st.appealed[a.Ticket] == nil {
				st.appealed[a.Ticket] = exam.Marks{}
			}
			st.appealed[a.Ticket][a.ItemID] = a.After
		}
	}
	if st.approvals, err = c.db.Approvals(ctx, sessionID); err != nil {
		return nil, err
	}
	return st, nil
}

// moderation says whether the session's practical scores are moderated
// (quality's Moderated: done, or none needed), and the marks the
// moderation set in place of the site's.
func (c *Central) moderation(ctx context.Context, sessionID string) (bool, map[string]exam.Marks, error) {
	m, err := c.Moderated(ctx, sessionID)
	if err != nil {
		return false, nil, fmt.Errorf("moderation of session %s: %w", sessionID, err)
	}
	return m.Done(), m.Adjusted, nil
}

// marks are a candidate's marks as results score them: the marks given
// (the site's for practical items, central's final ones for items marked at
// central), then the moderation's in place of the site's, then those an
// appeal's re-mark set.
func (st *standing) marks(ticket string, given exam.Marks) exam.Marks {
	out := maps.Clone(given)
	if out == nil {
		out = exam.Marks{}
	}
	maps.Copy(out, st.adjusted[ticket])
	maps.Copy(out, st.appealed[ticket])
	return out
}

// settle gives a scored result its state: what blocks its approval, and
// the approval that stands for its scores (one given for other scores has
// lapsed).
func (st *standing) settle(r *Result) {
	absent := r.Attendance == string(exam.Absent) && !r.Submitted
	r.digest = exam.ResultDigest(absent, r.Items)
	r.OpenAppeals = st.open[r.Ticket]
	r.facts = exam.ResultFacts{Absent: absent, Submitted: r.Submitted, Awaiting: len(r.Awaiting), Practical: st.practical,
		Moderated: st.moderated, OpenConflicts: len(r.Open), OpenAppeals: r.OpenAppeals}
	if a, ok := st.approvals[r.Ticket]; ok && a.Digest == r.digest {
		r.facts.Approved, r.facts.Published = true, a.Published()
		r.ApprovedBy, r.ApprovedAt, r.PublishedAt = a.ApprovedBy, a.ApprovedAt, a.PublishedAt
	}
	r.State, r.NotReady = r.facts.State(), r.facts.Blockers()
	if r.State.Rank() < exam.StateApproved.Rank() {
		r.ApprovedBy, r.ApprovedAt, r.PublishedAt = "", time.Time{}, time.Time{} // an approval that does not count
	}
}

// Refused is a result a step refused, and why.
type Refused struct {
	Ticket  string
	Reasons []exam.NotReady
}

// StepReport is what an approval or publication of a session did: the
// results it approved or published, those done already, and those refused
// with why.
type StepReport struct {
	SessionID string
	Done      []string // tickets approved (or published) now
	Already   []string // approved (or published) before
	Refused   []Refused
}

// Err is nil when nothing was refused, else a *NotReadyError naming every
// result refused and why (errors.Is(err, ErrInput)).
func (r StepReport) Err() error {
	if len(r.Refused) == 0 {
		return nil
	}
	return &NotReadyError{SessionID: r.SessionID, Refused: r.Refused}
}

// NotReadyError is an approval or publication refused for some of a
// session's results, with the reasons of each.
type NotReadyError struct {
	SessionID string
	Refused   []Refused
}

func (e *NotReadyError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "session %s: %d results not ready:", e.SessionID, len(e.Refused))
	for _, r := range e.Refused {
		fmt.Fprintf(&b, " %s (%s);", r.Ticket, (&exam.NotReadyError{Reasons: r.Reasons}).Error())
	}
	return strings.TrimSuffix(b.String(), ";")
}

// Is makes errors.Is(err, ErrInput) true.
func (e *NotReadyError) Is(target error) bool { return target == ErrInput }

// Approve approves every result of a session that is ready — moderated
// (or with no practical item), every item scored, no conflict and no
// appeal open — and reports those that are not, with why. An approval is
// of the result's scores: it lapses when any score changes and must then be
// given again; an appeal withdraws it. Audited (one entry naming the
// tickets approved); a staff role's to do (Write).
func (c *Central) Approve(ctx context.Context, sessionID, actor string) (StepReport, error) {
	rep, ready, err := c.sortResults(ctx, sessionID, exam.ResultFacts.CanApprove, exam.AlreadyApproved)
	if err != nil || len(ready) == 0 {
		return rep, err
	}
	approvals := make([]store.Approval, len(ready))
	for i, r := range ready {
		approvals[i] = store.Approval{Ticket: r.Ticket, Digest: r.digest}
	}
	rep.Done, err = c.db.Approve(ctx, sessionID, approvals, actor, c.now(), "approve results", func(done []string) string {
		return fmt.Sprintf("session %s: %d results approved: %s", sessionID, len(done), strings.Join(done, " "))
	})
	if err != nil {
		return StepReport{}, err
	}
	for _, a := range approvals {
		if !slices.Contains(rep.Done, a.Ticket) { // an appeal came meanwhile
			rep.Refused = append(rep.Refused, Refused{Ticket: a.Ticket, Reasons: []exam.NotReady{exam.OpenAppeal}})
		}
	}
	c.log.Info("results approved", "session", sessionID, "approved", len(rep.Done), "not_ready", len(rep.Refused))
	return rep, nil
}

// sortResults scores a session and sorts its results by a step's rule
// (exam.ResultFacts.CanApprove or CanPublish): those the step may act on,
// returned; those it did already (the reason done), and those it may not,
// with why, in the report.
func (c *Central) sortResults(ctx context.Context, sessionID string, may func(exam.ResultFacts) error, done exam.NotReady) (StepReport, []Result, error) {
	results, err := c.SessionResults(ctx, sessionID)
	if err != nil {
		return StepReport{}, nil, err
	}
	rep := StepReport{SessionID: sessionID}
	var ready []Result
	for _, r := range results {
		err := may(r.facts)
		var nr *exam.NotReadyError
		switch {
		case err == nil:
			ready = append(ready, r)
		case errors.As(err, &nr) && nr.Has(done):
			rep.Already = append(rep.Already, r.Ticket)
		case errors.As(err, &nr):
			rep.Refused = append(rep.Refused, Refused{Ticket: r.Ticket, Reasons: nr.Reasons})
		default:
			return StepReport{}, nil, err
		}
	}
	return rep, ready, nil
}

// Publish publishes every approved result of a session and reports those
// that are not approved, with why. A publication is kept for good
// (store.Publications: what certificates are issued from); a result
// published, then appealed and changed, is published again once approved
// again. Audited; a staff role's to do (Write).
func (c *Central) Publish(ctx context.Context, sessionID, actor string) (StepReport, error) {
	rep, ready, err := c.sortResults(ctx, sessionID, exam.ResultFacts.CanPublish, exam.AlreadyPublished)
	if err != nil || len(ready) == 0 {
		return rep, err
	}
	pubs := make([]store.Publication, len(ready))
	for i, r := range ready {
		pubs[i] = store.Publication{Ticket: r.Ticket, Digest: r.digest, Total: r.Total, Max: r.Max, Passed: r.Passed, Absent: r.facts.Absent}
	}
	rep.Done, err = c.db.Publish(ctx, sessionID, pubs, actor, c.now(), "publish results", func(done []string) string {
		return fmt.Sprintf("session %s: %d results published: %s", sessionID, len(done), strings.Join(done, " "))
	})
	if err != nil {
		return StepReport{}, err
	}
	c.log.Info("results published", "session", sessionID, "published", len(rep.Done), "not_ready", len(rep.Refused))
	return rep, nil
}

// Publication is a published result, as certificates are issued from it.
type Publication = store.Publication

// Publications lists the publications after the one with id after, oldest
// first, at most limit: the hook certificates (issue 16) are issued from.
// A candidate's newest publication is the one that stands.
func (c *Central) Publications(ctx context.Context, after int64, limit int) ([]Publication, error) {
	return c.db.Publications(ctx, after, limit)
}

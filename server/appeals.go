package server

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"onex/exam"
	"onex/server/store"
)

// Appeal is a candidate's appeal (复核) of one item's mark.
type Appeal = store.Appeal

// Appeal outcomes.
const (
	AppealOpen      = store.AppealOpen
	AppealUnchanged = store.AppealUnchanged
	AppealChanged   = store.AppealChanged
)

// ErrAppealOpen is an appeal of an item with an open appeal already.
var ErrAppealOpen = store.ErrAppealOpen

// ErrAppealClosed is a change to an appeal closed already.
var ErrAppealClosed = store.ErrAppealClosed

// ErrRemarked is a second re-mark of an appeal.
var ErrRemarked = store.ErrRemarked

// ErrNoRemark is an appeal closed before its re-mark was given.
var ErrNoRemark = errors.New("the appeal has no re-mark yet")

// AppealRequest is a candidate's request as the office records it.
type AppealRequest struct {
	SessionID string
	Ticket    string
	Items     []string  // the items appealed, each marked by people (essay, hand-in, practical)
	Reason    string    // the candidate's reason, as written
	Received  time.Time // the day the office received the request
}

// maxAppealReason bounds an appeal's reason, in characters.
const maxAppealReason = 2000

// RecordAppeal records a candidate's appeal of items of a submitted result,
// one appeal per item, each holding the item's marks as they stand. The
// result goes back to marked: its approval (and publication) is withdrawn
// and must be given again once the appeals are closed. Each item is handed
// out for a re-mark by someone who did not mark it (see appealTask).
// Audited. An item with an open appeal already is refused (ErrAppealOpen).
func (c *Central) RecordAppeal(ctx context.Context, req AppealRequest, actor string) ([]Appeal, error) {
	req.Ticket, req.Reason = strings.TrimSpace(req.Ticket), strings.TrimSpace(req.Reason)
	s, paper, err := c.sessionPaper(ctx, req.SessionID)
	if err != nil {
		return nil, err
	}
	var pr []string
	switch n := len([]rune(req.Reason)); {
	case n == 0:
		pr = append(pr, "an appeal needs the candidate's reason")
	case n > maxAppealReason:
		pr = append(pr, fmt.Sprintf("the reason has %d characters, more than %d", n, maxAppealReason))
	}
	day := func(t time.Time) string { return t.In(CST).Format(time.DateOnly) }
	switch {
	case req.Received.IsZero():
		pr = append(pr, "the day the request was received is missing")
	case day(req.Received) > day(c.now()):
		pr = append(pr, fmt.Sprintf("the request was received on %s, after today (%s)", day(req.Received), day(c.now())))
	case day(req.Received) < day(s.Start):
		pr = append(pr, fmt.Sprintf("the request was received on %s, before the session (%s)", day(req.Received), day(s.Start)))
	}
	if len(req.Items) == 0 {
		pr = append(pr, "name the items appealed")
	}
	results, err := c.SessionResults(ctx, s.ID)
	if err != nil {
		return nil, err
	}
	i := slices.IndexFunc(results, func(r Result) bool { return strings.EqualFold(r.Ticket, req.Ticket) })
	if i < 0 {
		pr = append(pr, fmt.Sprintf("ticket %q is not on the session's roster", req.Ticket))
		return nil, AsInput(&exam.InvalidError{Problems: pr})
	}
	r := results[i]
	if !r.Submitted {
		pr = append(pr, fmt.Sprintf("ticket %s has no submission to appeal", r.Ticket))
	}
	now := c.now()
	var appeals []Appeal
	for _, id := range dedupe(req.Items) {
		it, ok := paper.Item(id)
		switch {
		case !ok:
			pr = append(pr, fmt.Sprintf("the paper has no item %q", id))
		case it.Type.Objective():
			pr = append(pr, fmt.Sprintf("item %s is a %s item, scored by its answer: there is nothing to re-mark", id, it.Type))
		case r.Submitted && r.marks[id] == nil:
			pr = append(pr, fmt.Sprintf("item %s has no mark yet: there is nothing to appeal", id))
		default:
			appeals = append(appeals, Appeal{SessionID: s.ID, Ticket: r.Ticket, ItemID: id, Reason: req.Reason, ReceivedOn: day(req.Received),
				RecordedBy: actor, RecordedAt: now, Before: r.marks[id]})
		}
	}
	if len(pr) > 0 {
		return nil, AsInput(&exam.InvalidError{Problems: pr})
	}
	withdrawn := ""
	if r.State == exam.StateApproved || r.State == exam.StatePublished {
		withdrawn = fmt.Sprintf("; its %s result is withdrawn until approved again", r.State)
	}
	err = c.db.AddAppeals(ctx, appeals, "record appeal", func(as []Appeal) string {
		var parts []string
		for _, a := range as {
			parts = append(parts, fmt.Sprintf("appeal %d item %s (marks %v)", a.ID, a.ItemID, a.Before))
		}
		return fmt.Sprintf("session %s ticket %s, received %s: %s%s", s.ID, r.Ticket, day(req.Received), strings.Join(parts, ", "), withdrawn)
	})
	if errors.Is(err, store.ErrAppealOpen) {
		return nil, AsInput(err)
	}
	if err != nil {
		return nil, err
	}
	for i := range appeals {
		task, err := c.appealTask(ctx, appeals[i], paper)
		if err != nil {
			return appeals, fmt.Errorf("appeal %d: hand out its re-mark: %w", appeals[i].ID, err)
		}
		if task != 0 {
			if err := c.db.SetAppealTask(ctx, appeals[i].ID, task); err != nil {
				return appeals, err
			}
			appeals[i].TaskID = task
		}
	}
	c.log.Info("appeal recorded", "session", s.ID, "appeals", len(appeals))
	return appeals, nil
}

func dedupe(s []string) []string {
	var out []string
	for _, v := range s {
		if v = strings.TrimSpace(v); v != "" && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// appealTask hands an appeal's item out for a re-mark by someone who did
// not mark it, and returns the task's id. An item marked at central goes
// to marking's queue as an appeal task on its script, fresh (never a
// marker who marked or flagged the script), blind like any other, before
// first marks (priority of an arbitration). A practical item, scored at
// the site, has no script: 0, and a moderator re-scores it on the appeal
// re-score page (NextAppealRescore, RemarkAppeal).
func (c *Central) appealTask(ctx context.Context, a Appeal, paper *exam.Paper) (int64, error) {
	it, _ := paper.Item(a.ItemID)
	if !it.Type.MarkedCentrally() {
		return 0, nil
	}
	sc, err := c.appealScript(ctx, a)
	if err != nil {
		return 0, err
	}
	return c.AddTask(ctx, a.RecordedBy, NewTask{ScriptID: sc.ID, Purpose: PurposeAppeal, Fresh: true, Priority: store.PriorityArbitrate,
		Ref: fmt.Sprintf("appeal %d", a.ID), Note: "复核"})
}

// appealScript is the script of an appeal's item, final.
func (c *Central) appealScript(ctx context.Context, a Appeal) (store.Script, error) {
	scripts, err := c.db.Scripts(ctx, a.SessionID)
	if err != nil {
		return store.Script{}, err
	}
	for _, sc := range scripts {
		if sc.Ticket == a.Ticket && sc.ItemID == a.ItemID && sc.State == store.ScriptFinal {
			return sc, nil
		}
	}
	return store.Script{}, fmt.Errorf("appeal %d: no final script of item %s: %w", a.ID, a.ItemID, store.ErrNotFound)
}

// appealTolerance is how far an item's re-mark may differ from the marks
// appealed (in total points) and leave them unchanged: for an item marked
// at central, its marking rule's tolerance (0 for a single-marked item:
// any difference counts); for a practical item, the tolerance its
// moderation judges re-scores by.
func appealTolerance(it exam.Item) float64 {
	if it.Type.MarkedCentrally() {
		return it.Rule().Tolerance
	}
	return itemTolerance(it)
}

// withRemarks fills in the re-mark of open appeals whose marking task has
// been marked: the appeal task's mark, and its marker.
func (c *Central) withRemarks(ctx context.Context, appeals []Appeal) error {
	for i := range appeals {
		a := &appeals[i]
		if a.Outcome != AppealOpen || a.Remark != nil || a.TaskID == 0 {
			continue
		}
		t, err := c.db.Task(ctx, a.TaskID)
		if err != nil {
			return err
		}
		given, err := c.db.ScriptMarks(ctx, t.ScriptID)
		if err != nil {
			return err
		}
		for _, g := range given {
			if g.TaskID == a.TaskID && g.Marks != nil && !g.Voided {
				a.Remark, a.RemarkedBy, a.RemarkedAt = g.Marks, g.Marker, g.At
			}
		}
	}
	return nil
}

// Appeals lists the appeals of a session, or of every session when
// sessionID is empty: the open ones first, then the newest first.
func (c *Central) Appeals(ctx context.Context, sessionID string) ([]Appeal, error) {
	as, err := c.db.Appeals(ctx, sessionID)
	if err != nil {
		return nil, err
	}
	return as, c.withRemarks(ctx, as)
}

// RemarkAppeal records an open appeal's re-mark of a practical item, given
// by a moderator who did not re-score the item in the session's moderation
// (the site's examiner is not a user of central). Audited.
func (c *Central) RemarkAppeal(ctx context.Context, id int64, marks []float64, marker string) error {
	a, it, err := c.appealItem(ctx, id)
	if err != nil {
		return err
	}
	switch {
	case a.Outcome != AppealOpen:
		return AsInput(fmt.Errorf("appeal %d: %w", id, ErrAppealClosed))
	case a.TaskID != 0 || it.Type.MarkedCentrally():
		return inputf("appeal %d is re-marked through the marking queue (task %d)", id, a.TaskID)
	case a.Remark != nil:
		return AsInput(fmt.Errorf("appeal %d: %w", id, ErrRemarked))
	}
	if by, err := c.moderatedBy(ctx, a); err != nil {
		return err
	} else if by == marker {
		return inputf("appeal %d: %s re-scored this item in the session's moderation; another moderator re-scores the appeal", id, marker)
	}
	if err := it.CheckMarks(marks); err != nil {
		return AsInput(err)
	}
	err = c.db.RecordRemark(ctx, id, marks, marker, c.now(), "appeal re-mark",
		fmt.Sprintf("appeal %d, session %s item %s: re-mark %v", id, a.SessionID, a.ItemID, marks))
	if errors.Is(err, store.ErrAppealClosed) || errors.Is(err, store.ErrRemarked) {
		return AsInput(err)
	}
	return err
}

// AppealRescore is what a moderator sees of a practical item's appeal to
// re-score: the appeal's number, the item (stem and rubric) and the
// candidate's answer to it if the submission holds one — never the
// candidate, the session, the site or the site's marks.
type AppealRescore struct {
	AppealID int64
	Item     MarkingItem
	Response exam.Answer
}

// NextAppealRescore gives a moderator the oldest open appeal of a practical
// item still to re-score that the moderator did not re-score in the
// session's moderation, ErrNotFound when there is none. Two moderators may
// be shown the same one; the first re-score stands (ErrRemarked).
func (c *Central) NextAppealRescore(ctx context.Context, moderator string) (AppealRescore, error) {
	as, err := c.db.Appeals(ctx, "")
	if err != nil {
		return AppealRescore{}, err
	}
	for _, a := range slices.Backward(as) {
		if a.Outcome != AppealOpen || a.TaskID != 0 || a.Remark != nil {
			continue
		}
		if by, err := c.moderatedBy(ctx, a); err != nil {
			return AppealRescore{}, err
		} else if by == moderator {
			continue
		}
		_, it, err := c.appealItem(ctx, a.ID)
		if err != nil {
			return AppealRescore{}, err
		}
		if it.Type.MarkedCentrally() {
			continue // re-marked through the marking queue
		}
		recs, err := c.db.SessionRecords(ctx, a.SessionID)
		if err != nil {
			return AppealRescore{}, err
		}
		return AppealRescore{AppealID: a.ID, Response: recs.Submissions[a.Ticket].Answers[a.ItemID],
			Item: MarkingItem{ID: it.ID, Type: it.Type, Points: it.Points, Stem: it.Stem, Rubric: it.Rubric, Reference: it.Reference, Rule: it.Rule()}}, nil
	}
	return AppealRescore{}, fmt.Errorf("no appeal to re-score: %w", ErrNotFound)
}

// moderatedBy is the moderator who re-scored an appeal's practical item in
// its session's moderation, "" when none did.
func (c *Central) moderatedBy(ctx context.Context, a Appeal) (string, error) {
	m, err := c.db.ModerationOf(ctx, a.SessionID)
	if errors.Is(err, store.ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	for _, r := range m.Rescores {
		if r.Ticket == a.Ticket && r.ItemID == a.ItemID && r.Done() {
			return r.Moderator, nil
		}
	}
	return "", nil
}

// appealItem returns an appeal and its item.
func (c *Central) appealItem(ctx context.Context, id int64) (Appeal, exam.Item, error) {
	a, err := c.db.Appeal(ctx, id)
	if err != nil {
		return a, exam.Item{}, err
	}
	_, paper, err := c.sessionPaper(ctx, a.SessionID)
	if err != nil {
		return a, exam.Item{}, err
	}
	it, ok := paper.Item(a.ItemID)
	if !ok {
		return a, it, fmt.Errorf("appeal %d: the paper has no item %s", id, a.ItemID)
	}
	return a, it, nil
}

// CloseAppeal records an appeal's outcome once its re-mark is in, by the
// rule exam.Item.AppealChanges: a re-mark within the item's tolerance of
// the marks appealed leaves them unchanged; one beyond it replaces them
// when the office confirms it (confirm), and results follow it from then
// on; refusing it (the lead finds the re-mark wrong) needs a note and
// leaves the marks unchanged. Either way the result needs approval again.
// Audited, with the marks before and after.
func (c *Central) CloseAppeal(ctx context.Context, id int64, confirm bool, note, actor string) (string, error) {
	note = strings.TrimSpace(note)
	a, it, err := c.appealItem(ctx, id)
	if err != nil {
		return "", err
	}
	fromTask := a.Remark == nil && a.TaskID != 0
	as := []Appeal{a}
	if err := c.withRemarks(ctx, as); err != nil {
		return "", err
	}
	a = as[0]
	switch {
	case a.Outcome != AppealOpen:
		return "", AsInput(fmt.Errorf("appeal %d: %w", id, ErrAppealClosed))
	case a.Remark == nil:
		return "", AsInput(fmt.Errorf("appeal %d: %w", id, ErrNoRemark))
	case len([]rune(note)) > maxAppealReason:
		return "", inputf("the note has more than %d characters", maxAppealReason)
	}
	if fromTask {
		err := c.db.RecordRemark(ctx, id, a.Remark, a.RemarkedBy, a.RemarkedAt, "appeal re-mark",
			fmt.Sprintf("appeal %d, session %s item %s: re-mark %v (marking task %d)", id, a.SessionID, a.ItemID, a.Remark, a.TaskID))
		if err != nil {
			return "", err
		}
	}
	tol := appealTolerance(it)
	changes, err := it.AppealChanges(a.Before, a.Remark, tol)
	if err != nil {
		return "", fmt.Errorf("appeal %d: %w", id, err)
	}
	outcome, after := AppealUnchanged, []float64(nil)
	switch {
	case changes && confirm:
		outcome, after = AppealChanged, a.Remark
	case changes && note == "":
		return "", inputf("appeal %d: the re-mark differs beyond the tolerance; not confirming it needs a note saying why", id)
	}
	detail := fmt.Sprintf("appeal %d, session %s ticket %s item %s: marks %v, re-mark %v by %s (tolerance %v): %s", id, a.SessionID, a.Ticket, a.ItemID,
		a.Before, a.Remark, a.RemarkedBy, tol, outcome)
	if outcome == AppealChanged {
		detail += fmt.Sprintf(" from %v to %v", sum(a.Before), sum(after))
	}
	if note != "" {
		detail += "; note: " + note
	}
	err = c.db.CloseAppeal(ctx, id, outcome, after, actor, c.now(), note, "close appeal", detail)
	if errors.Is(err, store.ErrAppealClosed) {
		return "", AsInput(err)
	}
	return outcome, err
}

func sum(m []float64) float64 {
	var t float64
	for _, v := range m {
		t += v
	}
	return t
}

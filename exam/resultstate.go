package exam

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// ResultState is how far a candidate's result has come on its way to
// being published. States follow one another in this order; a result only
// moves back when an appeal or a send-back reopens its marking, and then its
// approval must be given again.
type ResultState string

// Result states, in order.
const (
	// StateProvisional: some item still awaits a mark (an essay or hand-in at
	// central, a practical item's site score), or the submission has not
	// arrived: the total counts the objective items and what is marked so far.
	StateProvisional ResultState = "provisional"
	// StateMarked: every item has its score — central's final marks for the
	// items marked at central, the site's for practical items — but the
	// site's practical scores are not moderated yet, or an appeal is open.
	StateMarked ResultState = "marked"
	// StateModerated: the site's practical scores are moderated (a paper with
	// no practical item skips straight here): ready to approve, unless a
	// conflict about its records is open.
	StateModerated ResultState = "moderated"
	// StateApproved: a staff member approved exactly these scores (audited).
	StateApproved ResultState = "approved"
	// StatePublished: approved and published; certificates follow published
	// results.
	StatePublished ResultState = "published"
)

// ResultStates lists the states in order.
var ResultStates = []ResultState{StateProvisional, StateMarked, StateModerated, StateApproved, StatePublished}

// Rank is the state's place in ResultStates, from 0; -1 for an unknown state.
func (s ResultState) Rank() int { return slices.Index(ResultStates, s) }

// NotReady is why a result cannot be approved (or published) yet.
type NotReady string

// Reasons a result is not ready.
const (
	NoSubmission     NotReady = "no-submission"  // checked in, or no check-in at all, and no submission received
	AwaitingMarks    NotReady = "awaiting-marks" // some item has no score yet
	NotModerated     NotReady = "not-moderated"  // the paper has a practical item and the session's moderation is not done
	OpenConflict     NotReady = "open-conflict"  // a conflict about the candidate's records is undecided
	OpenAppeal       NotReady = "open-appeal"    // an appeal is being re-marked or awaits its outcome
	NotApproved      NotReady = "not-approved"   // publishing needs an approval that stands
	AlreadyApproved  NotReady = "approved"       // approving again: nothing to do
	AlreadyPublished NotReady = "published"      // publishing again: nothing to do
)

// NotReadyReasons lists every reason, in the order Blockers gives them,
// then the two that only say a step was done already.
var NotReadyReasons = []NotReady{NoSubmission, AwaitingMarks, NotModerated, OpenConflict, OpenAppeal, NotApproved, AlreadyApproved, AlreadyPublished}

// ResultFacts is what decides a result's state: read from the records,
// marks, moderation, conflicts, appeals and approvals central holds.
type ResultFacts struct {
	Absent        bool // recorded absent: there is nothing to mark, and the result (缺考) can be approved as such
	Submitted     bool // the submission central follows has arrived
	Awaiting      int  // items still without a score
	Practical     bool // the paper has an item scored at the site
	Moderated     bool // the session's practical scores are moderated (sample re-scored, flags decided)
	OpenConflicts int  // conflicts about the candidate's records the office has yet to decide
	OpenAppeals   int  // appeals recorded and not yet closed
	// Approved: an approval stands for exactly the scores the result has now
	// (see ResultDigest); one given for other scores has lapsed.
	Approved  bool
	Published bool // the standing approval was published
}

// Blockers lists why the result cannot be approved now, in a fixed order;
// none when it can. Open conflicts block approval: the result follows a
// record the office may yet set aside. Records with implausible device
// times do not: they are kept and scored, only their time is not trusted,
// and there is nothing to decide about them.
func (f ResultFacts) Blockers() []NotReady {
	var out []NotReady
	if !f.Absent && !f.Submitted {
		out = append(out, NoSubmission)
	}
	if !f.Absent && f.Submitted && f.Awaiting > 0 {
		out = append(out, AwaitingMarks)
	}
	if !f.Absent && f.Practical && !f.Moderated {
		out = append(out, NotModerated)
	}
	if f.OpenConflicts > 0 {
		out = append(out, OpenConflict)
	}
	if f.OpenAppeals > 0 {
		out = append(out, OpenAppeal)
	}
	return out
}

// State is the result's state: the furthest state the facts support.
// An approval counts only while nothing blocks it, a publication only on an
// approval that counts; an open appeal holds the result at marked.
func (f ResultFacts) State() ResultState {
	switch {
	case !f.Absent && (!f.Submitted || f.Awaiting > 0):
		return StateProvisional
	case !f.Absent && f.Practical && !f.Moderated || f.OpenAppeals > 0:
		return StateMarked
	case !f.Approved || len(f.Blockers()) > 0:
		return StateModerated
	case !f.Published:
		return StateApproved
	}
	return StatePublished
}

// CanApprove is nil when the result may be approved now, else a
// *NotReadyError saying why not (AlreadyApproved when its approval stands).
func (f ResultFacts) CanApprove() error {
	b := f.Blockers()
	if len(b) == 0 && f.Approved {
		b = []NotReady{AlreadyApproved}
	}
	if len(b) > 0 {
		return &NotReadyError{Reasons: b}
	}
	return nil
}

// CanPublish is nil when the result may be published now: its approval
// stands and nothing blocks it; else a *NotReadyError.
func (f ResultFacts) CanPublish() error {
	b := f.Blockers()
	switch {
	case len(b) == 0 && !f.Approved:
		b = []NotReady{NotApproved}
	case len(b) == 0 && f.Published:
		b = []NotReady{AlreadyPublished}
	}
	if len(b) > 0 {
		return &NotReadyError{Reasons: b}
	}
	return nil
}

// NotReadyError is an approval or publication refused, with every reason.
type NotReadyError struct {
	Reasons []NotReady
}

func (e *NotReadyError) Error() string {
	s := make([]string, len(e.Reasons))
	for i, r := range e.Reasons {
		s[i] = string(r)
	}
	return "not ready: " + strings.Join(s, ", ")
}

// Has reports whether r is one of the reasons.
func (e *NotReadyError) Has(r NotReady) bool { return slices.Contains(e.Reasons, r) }

// ResultDigest fingerprints a result's scores: every item's points and
// whether it awaits a mark, in the paper's order, and whether the candidate
// is absent. An approval records the digest of the scores it approved; when
// any score changes (an appeal, a send-back, a conflict decided, a
// moderation adjustment), the digest changes and the approval lapses.
func ResultDigest(absent bool, items []ItemScore) string {
	var b strings.Builder
	fmt.Fprintf(&b, "absent=%t\n", absent)
	for _, it := range items {
		fmt.Fprintf(&b, "%s=%s/%s awaiting=%t\n", it.ItemID, strconv.FormatFloat(it.Points, 'g', -1, 64),
			strconv.FormatFloat(it.Max, 'g', -1, 64), it.Awaiting)
	}
	h := sha256.Sum256([]byte(b.String()))
	return hex.EncodeToString(h[:16])
}

// AppealChanges is the appeal rule: the re-mark of an item (by a marker who
// did not mark it) changes the final mark only when its total differs from
// the final's total by more than the item's tolerance; then, once a lead
// confirms it, the re-mark replaces the final. Within the tolerance the
// outcome is "unchanged" and the final stays, as double marking would have
// let two such marks agree. Both are checked like any marks (CheckMarks).
func (it Item) AppealChanges(final, remark []float64, tolerance float64) (bool, error) {
	if err := it.CheckMarks(final); err != nil {
		return false, err
	}
	if err := it.CheckMarks(remark); err != nil {
		return false, err
	}
	if !(tolerance >= 0) {
		return false, invalidf("item %s: tolerance %v is negative", it.ID, tolerance)
	}
	var a, b float64
	for i := range final {
		a += final[i]
		b += remark[i]
	}
	return math.Abs(a-b) > tolerance+1e-9, nil
}

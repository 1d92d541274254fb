package exam

import "time"

// Limits of a session's timing, against which central judges the time a
// device says it made a record.
const (
	// MaxExtraTime is the most extra time a proctor grants at once, to one
	// candidate or to the whole room; the site refuses more.
	MaxExtraTime = 120 * time.Minute
	// EndMargin is what central allows past the planned end and the extra
	// time: a room that started late, a pause, a slow last submission.
	EndMargin = 2 * time.Hour
	// CheckInLead is how long before the planned start the check-in desk
	// opens at the earliest; candidates are checked in before the paper is
	// released.
	CheckInLead = 2 * time.Hour
	// ScoringTime is how long after the sitting examiners may still score
	// the practical items.
	ScoringTime = 24 * time.Hour
)

// Activity is what a record of a session does, as far as its time goes.
type Activity int

// Activities.
const (
	Sitting    Activity = iota // the exam itself: the start, answers, the submission, proctors' events and incidents
	CheckingIn                 // a candidate checked in, late or marked absent
	Scoring                    // an examiner's marks of a practical item
)

// Schedule is a session's timing as central planned it.
type Schedule struct {
	ReleaseAt time.Time     // when the paper may be opened
	Start     time.Time     // the planned start
	Duration  time.Duration // the paper's duration
}

// Span is the span of times at which a record of the activity can have
// been made, with skew allowed each way for a device clock that is off:
// from the release (for check-ins, from CheckInLead before the start if
// that is earlier) to the planned end plus MaxExtraTime and EndMargin (for
// marks, ScoringTime later still).
func (s Schedule) Span(a Activity, skew time.Duration) (from, to time.Time) {
	from = s.ReleaseAt
	to = s.Start.Add(s.Duration + MaxExtraTime + EndMargin)
	switch a {
	case CheckingIn:
		if lead := s.Start.Add(-CheckInLead); lead.Before(from) {
			from = lead
		}
	case Scoring:
		to = to.Add(ScoringTime)
	}
	return from.Add(-skew), to.Add(skew)
}

// Implausible is a record time outside its activity's span: Early (before
// the span) or late, and by how much.
type Implausible struct {
	Early bool
	By    time.Duration
}

// Check says whether t, the time a device says it made a record of the
// activity, falls within the span (inclusive); when it does not, ok is
// false and the Implausible says on which side and how far out it lies.
func (s Schedule) Check(a Activity, t time.Time, skew time.Duration) (imp Implausible, ok bool) {
	from, to := s.Span(a, skew)
	switch {
	case t.Before(from):
		return Implausible{Early: true, By: from.Sub(t)}, false
	case t.After(to):
		return Implausible{By: t.Sub(to)}, false
	}
	return Implausible{}, true
}

package exam

// Standing is where a candidate stands in a session, as the proctor console
// shows it; central derives the same from the records it holds (check-ins,
// submissions and end events).
type Standing string

// Standings.
const (
	NotCheckedIn Standing = "not-checked-in" // not checked in (yet), or marked absent
	Waiting      Standing = "waiting"        // checked in; the exam not begun and the room not ended
	Answering    Standing = "answering"      // began, not submitted
	Submitted    Standing = "submitted"      // the paper is submitted (by the candidate, the proctor or the time)
	// EndedUnsubmitted is a candidate checked in who never began the exam
	// when the proctor ended the room: there is no submission, since there
	// are no answers, and the end is the proctor's. The site records it with
	// a session-event record "end" naming the candidate's ticket, never with
	// an invented submission.
	EndedUnsubmitted Standing = "ended-without-submission"
)

// StandingOf is the rule: a candidate checked in (present or late) who began
// is answering until submitted; one who did not begin is waiting until the
// room ends, and then ended without submission. The room's end submits every
// paper begun, so a begun paper never ends unsubmitted.
func StandingOf(att Attendance, begun, submitted, roomEnded bool) Standing {
	switch {
	case submitted:
		return Submitted
	case !att.CheckedIn():
		return NotCheckedIn
	case begun:
		return Answering
	case roomEnded:
		return EndedUnsubmitted
	}
	return Waiting
}

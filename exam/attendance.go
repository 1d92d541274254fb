package exam

import "time"

// Attendance is a candidate's check-in: present, late or absent. The zero
// value is a candidate not checked in yet. Its values are the words of the
// check-in record on the wire.
type Attendance string

// Attendances.
const (
	Present Attendance = "present" // came in before the room started
	Late    Attendance = "late"    // came in after the room's actual start
	Absent  Attendance = "absent"  // marked absent by a proctor
)

// Valid reports whether a is present, late or absent.
func (a Attendance) Valid() bool { return a == Present || a == Late || a == Absent }

// CheckedIn reports whether the candidate came in, present or late: only
// such a candidate begins the exam and is scored.
func (a Attendance) CheckedIn() bool { return a == Present || a == Late }

// Admission is the outcome of the check-in rule for one candidate.
type Admission struct {
	Attendance Attendance // what is recorded
	Override   bool       // let in past the late limit by a proctor's override
	Refused    bool       // past the late limit without an override: not let in
}

// Admit is the check-in rule of a session's timing. A candidate checked in
// present or late before the room's actual start is recorded as asked; once
// the room has started (started, sinceStart ago) the candidate counts as
// late, and one who comes after the late limit (see MayEnterLate) is let in
// only on a proctor's override. Absent is recorded as asked, and an override
// that was not needed is not used.
func Admit(asked Attendance, started bool, sinceStart, limit time.Duration, override bool) Admission {
	if !asked.CheckedIn() || !started {
		return Admission{Attendance: asked}
	}
	switch {
	case MayEnterLate(sinceStart, limit):
		return Admission{Attendance: Late}
	case override:
		return Admission{Attendance: Late, Override: true}
	}
	return Admission{Attendance: Late, Refused: true}
}

package exam_test

import (
	"testing"

	"onex/exam"
)

func TestStandingOf(t *testing.T) {
	for _, tc := range []struct {
		att                     exam.Attendance
		begun, submitted, ended bool
		want                    exam.Standing
	}{
		{"", false, false, false, exam.NotCheckedIn},
		{"", false, false, true, exam.NotCheckedIn},
		{exam.Absent, false, false, true, exam.NotCheckedIn},
		{exam.Present, false, false, false, exam.Waiting},
		{exam.Late, false, false, false, exam.Waiting},
		{exam.Present, true, false, false, exam.Answering},
		{exam.Present, true, true, false, exam.Submitted},
		{exam.Present, true, true, true, exam.Submitted},
		// Checked in, never began, the room ended: no submission, ended by the proctor.
		{exam.Present, false, false, true, exam.EndedUnsubmitted},
		{exam.Late, false, false, true, exam.EndedUnsubmitted},
	} {
		if got := exam.StandingOf(tc.att, tc.begun, tc.submitted, tc.ended); got != tc.want {
			t.Errorf("StandingOf(%q, begun %v, submitted %v, ended %v) = %q, want %q", tc.att, tc.begun, tc.submitted, tc.ended, got, tc.want)
		}
	}
}

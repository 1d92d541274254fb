package exam_test

import (
	"encoding/json"
	"testing"
	"time"

	"onex/exam"
)

func TestAttendance(t *testing.T) {
	for _, tc := range []struct {
		a                exam.Attendance
		wire             string
		valid, checkedIn bool
	}{
		{exam.Present, `"present"`, true, true},
		{exam.Late, `"late"`, true, true},
		{exam.Absent, `"absent"`, true, false},
		{"", `""`, false, false},
		{"Present", `"Present"`, false, false},
		{"excused", `"excused"`, false, false},
	} {
		if got := tc.a.Valid(); got != tc.valid {
			t.Errorf("%q.Valid() = %v, want %v", tc.a, got, tc.valid)
		}
		if got := tc.a.CheckedIn(); got != tc.checkedIn {
			t.Errorf("%q.CheckedIn() = %v, want %v", tc.a, got, tc.checkedIn)
		}
		// The words on the wire are the record format's: they do not change.
		if b, _ := json.Marshal(tc.a); string(b) != tc.wire {
			t.Errorf("%q marshals as %s, want %s", tc.a, b, tc.wire)
		}
	}
}

func TestAdmit(t *testing.T) {
	limit := 15 * time.Minute
	within, past := 10*time.Minute, 16*time.Minute
	type adm = exam.Admission
	for _, tc := range []struct {
		name     string
		asked    exam.Attendance
		started  bool
		since    time.Duration
		override bool
		want     adm
	}{
		{"present before the start", exam.Present, false, 0, false, adm{Attendance: exam.Present}},
		{"late before the start stays late", exam.Late, false, 0, false, adm{Attendance: exam.Late}},
		{"present after the start counts as late", exam.Present, true, within, false, adm{Attendance: exam.Late}},
		{"late within the limit", exam.Late, true, within, false, adm{Attendance: exam.Late}},
		{"exactly at the limit", exam.Late, true, limit, false, adm{Attendance: exam.Late}},
		{"an override within the limit is not used", exam.Late, true, within, true, adm{Attendance: exam.Late}},
		{"past the limit is refused", exam.Late, true, past, false, adm{Attendance: exam.Late, Refused: true}},
		{"present past the limit is refused", exam.Present, true, past, false, adm{Attendance: exam.Late, Refused: true}},
		{"past the limit with an override", exam.Late, true, past, true, adm{Attendance: exam.Late, Override: true}},
		{"absent before the start", exam.Absent, false, 0, false, adm{Attendance: exam.Absent}},
		{"absent long after the start", exam.Absent, true, 2 * time.Hour, false, adm{Attendance: exam.Absent}},
	} {
		if got := exam.Admit(tc.asked, tc.started, tc.since, limit, tc.override); got != tc.want {
			t.Errorf("%s: Admit = %+v, want %+v", tc.name, got, tc.want)
		}
	}
}

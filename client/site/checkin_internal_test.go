package site

import (
	"errors"
	"strings"
	"testing"

	"onex/exam"
)

// TestCheckInRequestCheck: what a check-in request must be whatever the
// time; the rule of the time itself is exam.Admit's.
func TestCheckInRequestCheck(t *testing.T) {
	type checkCase struct {
		name  string
		req   CheckInRequest
		begun bool
		want  string // "" accepts
	}
	for _, tc := range []checkCase{
		{"present, confirmed", CheckInRequest{Ticket: "T1", Status: exam.Present, Confirmed: true}, false, ""},
		{"late with an override", CheckInRequest{Ticket: "T1", Status: exam.Late, Confirmed: true, Override: true, Proctor: "王"}, false, ""},
		{"absent", CheckInRequest{Ticket: "T1", Status: exam.Absent}, false, ""},
		{"present, begun", CheckInRequest{Ticket: "T1", Status: exam.Present, Confirmed: true}, true, ""},
		{"present, not confirmed", CheckInRequest{Ticket: "T1", Status: exam.Present}, false, "confirm the candidate's identity"},
		{"late, not confirmed", CheckInRequest{Ticket: "T1", Status: exam.Late}, false, "confirm the candidate's identity"},
		{"override of an absence", CheckInRequest{Ticket: "T1", Status: exam.Absent, Override: true, Proctor: "王"}, false, "override applies to late entry"},
		{"absent after beginning", CheckInRequest{Ticket: "T1", Status: exam.Absent}, true, "has begun the exam"},
		{"unknown status", CheckInRequest{Ticket: "T1", Status: "here", Confirmed: true}, false, `status "here" is not present, late or absent`},
		{"no status", CheckInRequest{Ticket: "T1"}, false, `status "" is not`},
		{"override without proctor", CheckInRequest{Ticket: "T1", Status: exam.Late, Confirmed: true, Override: true, Proctor: " "}, false, "needs the proctor's name"},
		{"seat too long", CheckInRequest{Ticket: "T1", Status: exam.Present, Confirmed: true, Seat: strings.Repeat("9", 33)}, false, "too long"},
		{"control character in the proctor's name", CheckInRequest{Ticket: "T1", Status: exam.Present, Confirmed: true, Proctor: "王\x07"}, false, "control characters"},
	} {
		err := tc.req.check(tc.begun)
		if tc.want == "" && err != nil || tc.want != "" && (!errors.Is(err, ErrInput) || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%s: err = %v, want %q", tc.name, err, tc.want)
		}
	}
}

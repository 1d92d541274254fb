package site_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"onex/client/site"
	"onex/exam"
	"onex/server/servertest"
)

// TestSearchAsStaffType: tickets by any part (so by their last digits), ID
// numbers by their beginning or their end, seats whole with or without
// leading zeros, names in part; exact matches first. "010005" found nobody: tickets matched by their
// beginning only, and seats not at all.
func TestSearchAsStaffType(t *testing.T) {
	k := func(ticket, id, seat, name string) site.Candidate {
		var c site.Candidate
		c.Ticket, c.IDNumber, c.Seat, c.Name = ticket, id, seat, name
		return c
	}
	all := []site.Candidate{
		k("2026WEB010001", "110101200001011234", "01", "毛娜"),
		k("2026WEB010005", "31010420031018810X", "05", "董豪梓"),
		k("2026WEB010015", "440301199912120015", "15", "钟静"),
		k("2026WEB010050", "510104200205050021", "50", "毛毛"),
	}
	for _, tc := range []struct {
		query string
		want  []string // tickets, in order
	}{
		{"010005", []string{"2026WEB010005"}},
		{"0005", []string{"2026WEB010005"}},
		{"2026WEB0100", []string{"2026WEB010001", "2026WEB010005", "2026WEB010015", "2026WEB010050"}},
		{"15", []string{"2026WEB010015"}},                                                      // seat 15 (also the ticket's and ID's end)
		{"5", []string{"2026WEB010005", "2026WEB010015", "2026WEB010050"}},                     // seat 05 first, then the ticket ending 5, the ID starting 5
		{"05", []string{"2026WEB010005", "2026WEB010050"}},                                     // seat 05, then a ticket with 05 in it
		{"0100", []string{"2026WEB010001", "2026WEB010005", "2026WEB010015", "2026WEB010050"}}, // on the way to 010005
		{"20050", nil},                                    // the middle of an ID number finds nobody
		{"810x", []string{"2026WEB010005"}},               // the ID number's end, any case
		{"3101", []string{"2026WEB010005"}},               // the ID number's start
		{"毛", []string{"2026WEB010001", "2026WEB010050"}}, // a family name
		{"毛毛", []string{"2026WEB010050"}},                 // a whole name
		{"  2026WEB010001 ", []string{"2026WEB010001"}},   // spaces around
		{"", []string{"2026WEB010001", "2026WEB010005", "2026WEB010015", "2026WEB010050"}},
		{"999999", nil},
		{"0", []string{"2026WEB010001", "2026WEB010005", "2026WEB010015", "2026WEB010050"}}, // no seat 0
	} {
		t.Run(tc.query, func(t *testing.T) {
			var got []string
			for _, c := range site.Search(all, tc.query) {
				got = append(got, c.Ticket)
			}
			if strings.Join(got, " ") != strings.Join(tc.want, " ") {
				t.Fatalf("Search(%q) = %v, want %v", tc.query, got, tc.want)
			}
		})
	}
}

// TestLateRefusedBeforeTheScheduledStart: before the scheduled start, with
// the room not started, nobody is late; after it (the room still not
// started) late is taken as asked, and present still is.
func TestLateRefusedBeforeTheScheduledStart(t *testing.T) {
	ctx := context.Background()
	r := newRig(t)
	ci := func(ticket string, st exam.Attendance) (site.Candidate, error) {
		return r.s.CheckIn(ctx, r.session, site.CheckInRequest{Ticket: ticket, Status: st, Confirmed: true})
	}
	var early *site.NotLateError
	if _, err := ci("2026WEB010001", exam.Late); !errors.As(err, &early) || !errors.Is(err, site.ErrNotLate) || !early.Start.Equal(servertest.Start) {
		t.Fatalf("late before the start: %v", err)
	}
	all, _ := r.s.Candidates(ctx, r.session)
	if all[0].Status != "" {
		t.Fatalf("the refused late check-in changed the candidate: %+v", all[0])
	}
	if c, err := ci("2026WEB010001", exam.Present); err != nil || c.Status != exam.Present {
		t.Fatalf("present before the start: %+v %v", c, err)
	}
	r.clock.Add(time.Until(servertest.Start) + time.Minute)
	if c, err := ci("2026WEB010002", exam.Late); err != nil || c.Status != exam.Late {
		t.Fatalf("late after the scheduled start: %+v %v", c, err)
	}
}

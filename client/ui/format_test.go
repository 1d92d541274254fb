package ui

import (
	"testing"
	"time"
)

// TestTimesAreBeijingTime: whatever the machine's zone, the station shows
// Beijing time, as the office does, and dates say so. A machine set to UTC
// showed 06:47 for the office's 14:47.
func TestTimesAreBeijingTime(t *testing.T) {
	UseLanguage(Chinese)
	at := time.Date(2026, 11, 29, 6, 47, 5, 0, time.UTC) // 14:47:05 in Beijing
	saved := time.Local
	defer func() { time.Local = saved }()
	for _, zone := range []*time.Location{time.UTC, time.FixedZone("EST", -5*3600), time.FixedZone("CST", 8*3600), time.FixedZone("JST", 9*3600)} {
		time.Local = zone
		for _, tc := range []struct{ got, want string }{
			{clock(at), "14:47:05"},
			{clock(at.In(zone)), "14:47:05"},
			{stamp(at), "2026-11-29 14:47:05"},
			{dateTime(at), "2026-11-29 14:47（北京时间）"},
		} {
			if tc.got != tc.want {
				t.Errorf("machine in %s: %q, want %q", zone, tc.got, tc.want)
			}
		}
	}
	UseLanguage(English)
	defer UseLanguage(Chinese)
	if got := dateTime(at); got != "2026-11-29 14:47 (China Standard Time)" {
		t.Errorf("in English: %q", got)
	}
}

package site_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"onex/client/site"
	"onex/exam"
	"onex/server/servertest"
	wire "onex/sync"
)

func sampleSession(t testing.TB) []byte {
	t.Helper()
	roster, err := exam.ReadRoster(servertest.Sample(t, "roster-web-elementary.csv"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(wire.Session{ID: "SITE-001-A101-202612010900", SiteCode: "SITE-001", Room: "A101", PaperID: "WEB-E-2026-A",
		PaperVersion: 1, Certificate: "WEB", Level: exam.Elementary, Title: "t", Start: servertest.Start, ReleaseAt: servertest.Start,
		DurationMinutes: 90, LateLimitMinutes: 15, PassMark: 60, Candidates: roster})
	return b
}

func TestDecodeSession(t *testing.T) {
	good := sampleSession(t)
	if s, err := site.DecodeSession(good); err != nil || len(s.Candidates) != 40 {
		t.Fatalf("sample session: %v", err)
	}
	for _, tc := range []struct {
		name, from, to, want string
	}{
		{"unknown field", `"room":`, `"rooms":"x","room":`, `unknown field "rooms"`},
		{"no duration", `"duration_minutes":90`, `"duration_minutes":0`, "duration_minutes 0"},
		{"negative late limit", `"late_limit_minutes":15`, `"late_limit_minutes":-1`, "late_limit_minutes -1"},
		{"repeated ticket", `"2026WEB010002"`, `"2026WEB010001"`, "ticket 2026WEB010001 is on the roster twice"},
		{"control character in a ticket", `"2026WEB010003"`, `"2026WEB\u001f10003"`, "control characters"},
		{"no paper", `"paper_id":"WEB-E-2026-A"`, `"paper_id":""`, "paper_id is empty"},
		{"bad level", `"level":"elementary"`, `"level":"expert"`, `level "expert"`},
		{"trailing data", `}]}`, `}]} {}`, "after the JSON value"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := []byte(strings.Replace(string(good), tc.from, tc.to, 1))
			_, err := site.DecodeSession(b)
			if !errors.Is(err, site.ErrBadPackage) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

// FuzzDecodeSession: central's session part is outside input; whatever it
// holds, decoding never panics, and what it accepts has unique printable
// tickets and a usable schedule.
func FuzzDecodeSession(f *testing.F) {
	f.Add(sampleSession(f))
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"id":"S","paper_id":"P","paper_version":1,"duration_minutes":1,"start":"2026-01-01T00:00:00Z","level":"advanced","candidates":[{"ticket":"A"},{"ticket":"A"}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := site.DecodeSession(b)
		if err != nil {
			return
		}
		seen := map[string]bool{}
		for _, c := range s.Candidates {
			if c.Ticket == "" || seen[c.Ticket] || strings.ContainsRune(c.Ticket, 0x1f) || !utf8.ValidString(c.Ticket) {
				t.Fatalf("accepted ticket %q", c.Ticket)
			}
			seen[c.Ticket] = true
		}
		if s.DurationMinutes < 1 || s.Start.IsZero() || s.ID == "" {
			t.Fatalf("accepted schedule %+v", s)
		}
	})
}

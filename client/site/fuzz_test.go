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

func TestCheckAnswer(t *testing.T) {
	p := samplePaper(t)
	item := func(id string) exam.Item { it, _ := p.Item(id); return it }
	long := strings.Repeat("字", 501)
	for _, tc := range []struct {
		item string
		ans  exam.Answer
		want string // "" accepts
	}{
		{"q1", exam.Answer{Choices: []string{"b"}}, ""},
		{"q1", exam.Answer{}, ""},
		{"q1", exam.Answer{Choices: []string{"z"}}, `"z" is not a choice`},
		{"q1", exam.Answer{Choices: []string{"a", "b"}}, "takes one"},
		{"q1", exam.Answer{Text: "b"}, "takes choices, not text"},
		{"q4", exam.Answer{Choices: []string{"a", "b", "d"}}, ""},
		{"q4", exam.Answer{Choices: []string{"a", "a"}}, "repeated"},
		{"q6", exam.Answer{Choices: []string{"true"}}, ""},
		{"q6", exam.Answer{Choices: []string{"yes"}}, `"yes" is not a choice`},
		{"q8", exam.Answer{Text: "ａｕｔｏ"}, ""},
		{"q8", exam.Answer{Text: long}, "at most 500"},
		{"q8", exam.Answer{Text: "a\x00b"}, "control character"},
		{"q8", exam.Answer{Text: "\xff"}, "not valid UTF-8"},
		{"q8", exam.Answer{Choices: []string{"a"}}, "takes text"},
		{"q10", exam.Answer{Text: "第一段\n第二段\t缩进"}, ""},
		{"q11", exam.Answer{Text: "done"}, "scored by the examiner"},
	} {
		_, err := site.CheckAnswer(item(tc.item), tc.ans)
		if tc.want == "" && err != nil || tc.want != "" && (!errors.Is(err, site.ErrInput) || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%s %+v: err = %v, want %q", tc.item, tc.ans, err, tc.want)
		}
	}
}

// FuzzCheckAnswer: a candidate's answer is outside input; what CheckAnswer
// accepts, exam scores without error.
func FuzzCheckAnswer(f *testing.F) {
	p, err := exam.ReadPaper(servertest.Sample(f, "paper-web-elementary.json"))
	if err != nil {
		f.Fatal(err)
	}
	items := p.Items()
	f.Add(0, "b", "", "")
	f.Add(3, "a", "d", "")
	f.Add(7, "", "", "ＡＵＴＯ")
	f.Fuzz(func(t *testing.T, i int, c1, c2, text string) {
		it := items[(i%len(items)+len(items))%len(items)]
		var choices []string
		for _, c := range []string{c1, c2} {
			if c != "" {
				choices = append(choices, c)
			}
		}
		a, err := site.CheckAnswer(it, exam.Answer{Choices: choices, Text: text})
		if err != nil {
			return
		}
		if _, err := p.Score(map[string]exam.Answer{it.ID: a}, nil, 60); err != nil {
			t.Fatalf("accepted %+v for %s, which exam refuses: %v", a, it.ID, err)
		}
		if s := it.Score(a); s < 0 || s > it.Points {
			t.Fatalf("score %v outside 0..%v", s, it.Points)
		}
	})
}

package exam_test

import (
	"testing"
	"time"

	"pgregory.net/rapid"

	"onex/exam"
)

// TestScheduleCheck: the times a record of a session can plausibly carry, by
// what the record does, with central's allowed clock skew of 15 minutes.
func TestScheduleCheck(t *testing.T) {
	start := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	s := exam.Schedule{ReleaseAt: start.Add(-10 * time.Minute), Start: start, Duration: 90 * time.Minute}
	skew := 15 * time.Minute
	end := start.Add(90*time.Minute + exam.MaxExtraTime + exam.EndMargin) // 14:30
	for name, tc := range map[string]struct {
		a     exam.Activity
		at    time.Time
		ok    bool
		early bool
		by    time.Duration
	}{
		"a submission at the planned end":           {exam.Sitting, start.Add(90 * time.Minute), true, false, 0},
		"a submission 3 h before the release":       {exam.Sitting, s.ReleaseAt.Add(-3 * time.Hour), false, true, 3*time.Hour - skew},
		"a submission dated 2100":                   {exam.Sitting, time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC), false, false, time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC).Sub(end.Add(skew))},
		"the start, one skew before the release":    {exam.Sitting, s.ReleaseAt.Add(-skew), true, false, 0},
		"a second before that":                      {exam.Sitting, s.ReleaseAt.Add(-skew - time.Second), false, true, time.Second},
		"the last plausible moment":                 {exam.Sitting, end.Add(skew), true, false, 0},
		"a second after it":                         {exam.Sitting, end.Add(skew + time.Second), false, false, time.Second},
		"a check-in an hour before the start":       {exam.CheckingIn, start.Add(-time.Hour), true, false, 0},
		"a check-in the evening before":             {exam.CheckingIn, start.Add(-12 * time.Hour), false, true, 12*time.Hour - exam.CheckInLead - skew},
		"an absence marked at the end":              {exam.CheckingIn, end, true, false, 0},
		"marks the afternoon after":                 {exam.Scoring, end.Add(6 * time.Hour), true, false, 0},
		"marks two days after":                      {exam.Scoring, end.Add(48 * time.Hour), false, false, 24*time.Hour - skew},
		"marks before the release":                  {exam.Scoring, s.ReleaseAt.Add(-time.Hour), false, true, time.Hour - skew},
		"an answer an hour before the release time": {exam.Sitting, s.ReleaseAt.Add(-time.Hour), false, true, time.Hour - skew},
	} {
		imp, ok := s.Check(tc.a, tc.at, skew)
		if ok != tc.ok || imp.Early != tc.early || imp.By != tc.by {
			t.Errorf("%s: %+v %v, want ok %v early %v by %v", name, imp, ok, tc.ok, tc.early, tc.by)
		}
	}
}

var genSchedule = rapid.Custom(func(t *rapid.T) exam.Schedule {
	start := time.Unix(rapid.Int64Range(1_700_000_000, 4_000_000_000).Draw(t, "start"), 0)
	return exam.Schedule{
		Start:     start,
		ReleaseAt: start.Add(-time.Duration(rapid.Int64Range(0, 48*3600).Draw(t, "lead_s")) * time.Second),
		Duration:  time.Duration(rapid.IntRange(1, 600).Draw(t, "minutes")) * time.Minute,
	}
})

var genActivity = rapid.SampledFrom([]exam.Activity{exam.Sitting, exam.CheckingIn, exam.Scoring})

// TestScheduleCheckProperties: a time is plausible exactly when it lies in
// the activity's span; outside it, the flag names the side and the distance
// to the span; the span holds the whole planned sitting from the release on;
// allowing more skew never flags a time that was plausible.
func TestScheduleCheckProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := genSchedule.Draw(t, "schedule")
		a := genActivity.Draw(t, "activity")
		skew := time.Duration(rapid.Int64Range(0, 3600).Draw(t, "skew_s")) * time.Second
		at := s.Start.Add(time.Duration(rapid.Int64Range(-7*24*3600, 7*24*3600).Draw(t, "offset_s")) * time.Second)

		from, to := s.Span(a, skew)
		imp, ok := s.Check(a, at, skew)
		switch {
		case ok != (!at.Before(from) && !at.After(to)):
			t.Fatalf("%v in [%v, %v]: ok %v", at, from, to, ok)
		case ok && imp != (exam.Implausible{}):
			t.Fatalf("a plausible time carries %+v", imp)
		case !ok && imp.Early && imp.By != from.Sub(at):
			t.Fatalf("early by %v, want %v", imp.By, from.Sub(at))
		case !ok && !imp.Early && imp.By != at.Sub(to):
			t.Fatalf("late by %v, want %v", imp.By, at.Sub(to))
		case !ok && imp.By <= 0:
			t.Fatalf("flagged by %v", imp.By)
		}
		for _, planned := range []time.Time{s.ReleaseAt, s.Start, s.Start.Add(s.Duration), s.Start.Add(s.Duration + exam.MaxExtraTime)} {
			if _, ok := s.Check(a, planned, 0); !ok {
				t.Fatalf("the planned time %v is implausible for activity %d", planned, a)
			}
		}
		if _, wider := s.Check(a, at, skew+time.Minute); ok && !wider {
			t.Fatalf("more skew flags %v", at)
		}
		if sf, st := s.Span(exam.Sitting, skew); from.After(sf) || to.Before(st) {
			t.Fatalf("activity %d's span [%v, %v] does not hold the sitting's [%v, %v]", a, from, to, sf, st)
		}
	})
}

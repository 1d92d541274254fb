package exam_test

import (
	"testing"
	"time"

	"onex/exam"
)

func TestLateLimit(t *testing.T) {
	for _, tc := range []struct {
		minutes int
		want    time.Duration
	}{
		{0, 15 * time.Minute},
		{-3, 15 * time.Minute},
		{5, 5 * time.Minute},
		{30, 30 * time.Minute},
	} {
		if got := exam.LateLimit(tc.minutes); got != tc.want {
			t.Errorf("LateLimit(%d) = %v, want %v", tc.minutes, got, tc.want)
		}
	}
}

func TestMayEnterLate(t *testing.T) {
	limit := 15 * time.Minute
	for _, tc := range []struct {
		since time.Duration
		want  bool
	}{
		{0, true},
		{14*time.Minute + 59*time.Second, true},
		{15 * time.Minute, true},
		{15*time.Minute + time.Millisecond, false},
		{2 * time.Hour, false},
	} {
		if got := exam.MayEnterLate(tc.since, limit); got != tc.want {
			t.Errorf("MayEnterLate(%v) = %v, want %v", tc.since, got, tc.want)
		}
	}
}

func TestRemaining(t *testing.T) {
	for _, tc := range []struct {
		duration, extra, used, want time.Duration
	}{
		{90 * time.Minute, 0, 0, 90 * time.Minute},
		{90 * time.Minute, 0, 30 * time.Minute, 60 * time.Minute},
		{90 * time.Minute, 10 * time.Minute, 95 * time.Minute, 5 * time.Minute},
		{90 * time.Minute, 0, 91 * time.Minute, 0},
	} {
		if got := exam.Remaining(tc.duration, tc.extra, tc.used); got != tc.want {
			t.Errorf("Remaining(%v, %v, %v) = %v, want %v", tc.duration, tc.extra, tc.used, got, tc.want)
		}
	}
}

func TestStopwatch(t *testing.T) {
	t0 := time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	var s exam.Stopwatch
	if s.Running() || s.Elapsed(at(time.Hour)) != 0 {
		t.Fatal("zero stopwatch is not stopped at zero")
	}
	s.Start(at(0))
	s.Start(at(5 * time.Minute)) // no effect
	if got := s.Elapsed(at(10 * time.Minute)); got != 10*time.Minute {
		t.Fatalf("elapsed = %v", got)
	}
	s.Stop(at(10 * time.Minute))
	s.Stop(at(20 * time.Minute)) // no effect
	if got := s.Elapsed(at(time.Hour)); got != 10*time.Minute {
		t.Fatalf("elapsed while stopped = %v", got)
	}
	s.Start(at(30 * time.Minute))
	if got := s.Elapsed(at(35 * time.Minute)); got != 15*time.Minute {
		t.Fatalf("elapsed after restart = %v", got)
	}
	if got := s.Elapsed(at(25 * time.Minute)); got != 10*time.Minute {
		t.Fatalf("a clock stepped back took time away: %v", got)
	}
}

func TestRestore(t *testing.T) {
	cp := time.Date(2026, 6, 1, 9, 30, 0, 0, time.UTC)
	for _, tc := range []struct {
		name         string
		running      bool
		now          time.Time
		wantElapsed  time.Duration
		wantDowntime time.Duration
	}{
		{"stopped: no downtime", false, cp.Add(10 * time.Minute), 30 * time.Minute, 0},
		{"running: downtime counts", true, cp.Add(10 * time.Minute), 40 * time.Minute, 10 * time.Minute},
		{"clock went back", true, cp.Add(-time.Hour), 30 * time.Minute, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, down := exam.Restore(30*time.Minute, tc.running, cp, tc.now)
			if down != tc.wantDowntime {
				t.Errorf("downtime = %v, want %v", down, tc.wantDowntime)
			}
			if got := s.Elapsed(tc.now); got != tc.wantElapsed {
				t.Errorf("elapsed = %v, want %v", got, tc.wantElapsed)
			}
			if s.Running() != tc.running {
				t.Errorf("running = %v", s.Running())
			}
			if tc.running {
				if got := s.Elapsed(tc.now.Add(time.Minute)); got != tc.wantElapsed+time.Minute {
					t.Errorf("a minute later elapsed = %v", got)
				}
			}
		})
	}
}

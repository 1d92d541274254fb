package exam

import "time"

// DefaultLateLimit is how long after a room's actual start a late candidate
// may still be let in when the session names no limit of its own.
const DefaultLateLimit = 15 * time.Minute

// LateLimit is a session's late limit from its minutes; zero or less means
// DefaultLateLimit.
func LateLimit(minutes int) time.Duration {
	if minutes <= 0 {
		return DefaultLateLimit
	}
	return time.Duration(minutes) * time.Minute
}

// MayEnterLate reports whether a candidate arriving sinceStart after the
// room's actual start is still within the late limit. The limit itself is
// inclusive: a candidate arriving exactly at it may enter.
func MayEnterLate(sinceStart, limit time.Duration) bool {
	return sinceStart <= limit
}

// Remaining is the time a candidate has left: the paper's duration plus extra
// time granted, less the time used; never negative.
func Remaining(duration, extra, used time.Duration) time.Duration {
	return max(0, duration+extra-used)
}

// Stopwatch measures the time a clock has run, on the monotonic clock when
// the times given to it carry a monotonic reading (as time.Now's do). It is a
// value: the zero Stopwatch is stopped at zero.
type Stopwatch struct {
	base  time.Duration // time run before since
	since time.Time     // when it last started; zero while stopped
}

// Running reports whether the stopwatch runs.
func (s Stopwatch) Running() bool { return !s.since.IsZero() }

// Elapsed is the time run up to now. A now before the last start counts as
// the start itself, so a clock stepped backwards never takes time away.
func (s Stopwatch) Elapsed(now time.Time) time.Duration {
	if s.since.IsZero() {
		return s.base
	}
	return s.base + max(0, now.Sub(s.since))
}

// Start starts the stopwatch at now; starting a running one changes nothing.
func (s *Stopwatch) Start(now time.Time) {
	if s.since.IsZero() {
		s.since = now
	}
}

// Stop stops the stopwatch at now, keeping the time run; stopping a stopped
// one changes nothing.
func (s *Stopwatch) Stop(now time.Time) {
	if !s.since.IsZero() {
		s.base = s.Elapsed(now)
		s.since = time.Time{}
	}
}

// Restore rebuilds a stopwatch from a checkpoint: the time it had run and
// whether it was running when the checkpoint was written at wall time
// checkpoint. A stopwatch that was running has also run while the machine
// was off, from the checkpoint to now: that downtime is counted, and returned
// so that a proctor can decide to grant it back as extra time. A wall clock
// that went backwards counts no downtime.
func Restore(elapsed time.Duration, running bool, checkpoint, now time.Time) (s Stopwatch, downtime time.Duration) {
	s.base = max(0, elapsed)
	if !running {
		return s, 0
	}
	if !checkpoint.IsZero() {
		downtime = max(0, now.Round(0).Sub(checkpoint.Round(0)))
	}
	s.base += downtime
	s.since = now
	return s, downtime
}

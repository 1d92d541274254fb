package server

import (
	"context"
	"errors"
	"fmt"
	"time"

	"onex/exam/seal"
)

// ErrThrottled marks an attempt refused, unchecked, because its key failed
// too often of late: a *ThrottledError says until when.
var ErrThrottled = errors.New("too many failed attempts")

// ThrottledError is an attempt refused until a time; the right password or
// code is refused too until then.
type ThrottledError struct {
	Until time.Time
	Left  time.Duration // from now to Until, rounded up to a second
}

func (e *ThrottledError) Error() string {
	return fmt.Sprintf("%v: try again in %d s", ErrThrottled, int64(e.Left/time.Second))
}

func (e *ThrottledError) Is(target error) bool { return target == ErrThrottled }

// throttle is how failures of one key slow its next attempts: the first
// free failures cost nothing, each one after doubles the wait after the last
// failure (from a second, at most maxWait), and lockAt failures lock the key
// for lock after the last.
type throttle struct {
	free, lockAt  int
	maxWait, lock time.Duration
}

// wait is how long after the last of failures the next attempt must wait.
func (p throttle) wait(failures int) time.Duration {
	switch {
	case failures < p.free:
		return 0
	case failures >= p.lockAt:
		return p.lock
	}
	return min(time.Second<<min(failures-p.free, 30), p.maxWait)
}

// Throttles: an office user's name, an address signing in, an address
// enrolling, an address checking receipt codes. An address is shared by a school's NAT, so it gets more room.
var (
	userThrottle  = throttle{free: 3, lockAt: 10, maxWait: time.Minute, lock: 15 * time.Minute}
	addrThrottle  = throttle{free: 10, lockAt: 30, maxWait: time.Minute, lock: 15 * time.Minute}
	enrolThrottle = throttle{free: 5, lockAt: 20, maxWait: time.Minute, lock: 15 * time.Minute}
	// receiptThrottle slows an address whose receipt checks find nothing:
	// a room of candidates behind one NAT mistyping now and then stays
	// free, a guesser waits, then is locked out.
	receiptThrottle = throttle{free: 20, lockAt: 60, maxWait: 30 * time.Second, lock: 15 * time.Minute}
)

// throttled names one thing that failing attempts slow down.
type throttled struct {
	what   string // for the audit log when it locks: "office user admin", "address 10.0.0.7"
	key    string // stored only as its hash
	policy throttle
}

// checkThrottles refuses an attempt while any of keys must wait.
func (c *Central) checkThrottles(ctx context.Context, keys ...throttled) error {
	now := c.now()
	var latest time.Time
	for _, k := range keys {
		s, err := c.db.Strikes(ctx, seal.HashToken(k.key))
		if err != nil {
			return err
		}
		if until := s.Last.Add(k.policy.wait(s.Failures)); s.Failures > 0 && now.Before(until) && until.After(latest) {
			latest = until
		}
	}
	if latest.IsZero() {
		return nil
	}
	return &ThrottledError{Until: latest, Left: (latest.Sub(now) + time.Second - 1) / time.Second * time.Second}
}

// strike records a failed attempt against keys; a key that reaches its lock
// is audited, with what it is when that may be said (auditable).
func (c *Central) strike(ctx context.Context, keys ...throttled) error {
	for _, k := range keys {
		s, err := c.db.AddStrike(ctx, seal.HashToken(k.key), c.now())
		if err != nil {
			return err
		}
		if s.Failures == k.policy.lockAt && k.what != "" {
			if err := c.db.Audit(ctx, "central", "lock", fmt.Sprintf("%s locked for %s after %d failed attempts", k.what, k.policy.lock, s.Failures)); err != nil {
				return err
			}
		}
	}
	return nil
}

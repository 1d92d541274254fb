package station

import (
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	gosync "sync"
	"time"

	"onex/client/room"
	"onex/client/site"
	"onex/exam/seal"
)

// Pairing defaults and bounds.
const (
	DefaultPairingTTL = 10 * time.Minute
	MaxPairingTTL     = 24 * time.Hour
	MaxPairingUses    = 500
	// MaxPairingFailures is how many failed pairings one address may make
	// in PairingWindow; more are 429 throttled until the oldest ages out.
	MaxPairingFailures = 10
	PairingWindow      = time.Minute
)

// ErrPairingCode: a pairing code asked for with a bad room, count or
// lifetime.
var ErrPairingCode = errors.New("pairing code refused")

// pairings are the live pairing secrets, in memory only.
type pairings struct {
	mu   gosync.Mutex
	live []*pending
}

type pending struct {
	secret  seal.PairingSecret
	room    string
	left    int
	expires time.Time
}

// PairingCode makes a pairing secret for terminals of roomName, usable by
// terminals pairings (0: one) until ttl has passed (0: DefaultPairingTTL),
// and returns the code a proctor hands out: the station's address, the
// secret and its TLS pin. The secret lives in this process's memory only.
func (s *Server) PairingCode(roomName string, terminals int, ttl time.Duration) (room.PairingCode, error) {
	if terminals == 0 {
		terminals = 1
	}
	if ttl == 0 {
		ttl = DefaultPairingTTL
	}
	switch {
	case roomName == "" || len(roomName) > 64:
		return room.PairingCode{}, fmt.Errorf("%w: room %q: give the room's name (1 to 64 bytes)", ErrPairingCode, roomName)
	case terminals < 0 || terminals > MaxPairingUses:
		return room.PairingCode{}, fmt.Errorf("%w: %d terminals: a code serves 1 to %d", ErrPairingCode, terminals, MaxPairingUses)
	case ttl < 0 || ttl > MaxPairingTTL:
		return room.PairingCode{}, fmt.Errorf("%w: lifetime %s: a code lives up to %s", ErrPairingCode, ttl, MaxPairingTTL)
	}
	secret, err := seal.NewPairingSecret()
	if err != nil {
		return room.PairingCode{}, fmt.Errorf("pairing code: %w", err)
	}
	now := s.cfg.Now()
	s.pairing.mu.Lock()
	defer s.pairing.mu.Unlock()
	s.pairing.prune(now)
	s.pairing.live = append(s.pairing.live, &pending{secret: secret, room: roomName, left: terminals, expires: now.Add(ttl)})
	return room.PairingCode{Station: s.addr, Secret: secret, Pin: s.id.SPKI}, nil
}

func (p *pairings) prune(now time.Time) {
	kept := p.live[:0]
	for _, l := range p.live {
		if l.left > 0 && now.Before(l.expires) {
			kept = append(kept, l)
		}
	}
	clear(p.live[len(kept):])
	p.live = kept
}

// take finds the live secret whose terminal proof checks over the
// station's SPKI hash and uses it once.
func (p *pairings) take(proof []byte, spki seal.Hash, key []byte, now time.Time) (*pending, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.prune(now)
	for _, l := range p.live {
		if l.secret.CheckProof(proof, seal.PairingTerminal, spki, key, "") {
			l.left--
			return l, true
		}
	}
	return nil, false
}

// giveBack returns a use taken for a pairing the store did not keep.
func (p *pairings) giveBack(l *pending) {
	p.mu.Lock()
	defer p.mu.Unlock()
	l.left++
	for _, x := range p.live {
		if x == l {
			return
		}
	}
	p.live = append(p.live, l)
}

// throttle counts failed pairings per address.
type throttle struct {
	mu       gosync.Mutex
	failures map[netip.Addr][]time.Time
}

// throttledError: an address failed too often; left is how long it waits.
type throttledError struct{ left time.Duration }

func (e *throttledError) Error() string {
	return fmt.Sprintf("too many failed pairings from this address: try again in %d s", int64((e.left+time.Second-1)/time.Second))
}

// check refuses an address with MaxPairingFailures failures in the last
// PairingWindow: its next attempt would be one more.
func (t *throttle) check(a netip.Addr, now time.Time) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	f := t.recent(a, now)
	if len(f) >= MaxPairingFailures {
		return &throttledError{left: f[len(f)-MaxPairingFailures].Add(PairingWindow).Sub(now)}
	}
	return nil
}

func (t *throttle) fail(a netip.Addr, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.failures == nil {
		t.failures = map[netip.Addr][]time.Time{}
	}
	f := append(t.recent(a, now), now)
	if len(f) > MaxPairingFailures {
		f = f[len(f)-MaxPairingFailures:]
	}
	t.failures[a] = f
	if len(t.failures) > 4096 { // forget the quiet addresses
		for k := range t.failures {
			if len(t.recent(k, now)) == 0 {
				delete(t.failures, k)
			}
		}
	}
}

// recent is the failures of a within PairingWindow of now, oldest first.
func (t *throttle) recent(a netip.Addr, now time.Time) []time.Time {
	f := t.failures[a]
	i := 0
	for i < len(f) && now.Sub(f[i]) >= PairingWindow {
		i++
	}
	return f[i:]
}

// pair answers POST room.PathPair: the terminal's proof checked against
// each live secret with the station's own SPKI hash, the terminal stored,
// and the station's proof in return.
func (s *Server) pair(w http.ResponseWriter, r *http.Request) {
	now := s.cfg.Now()
	from := clientAddr(r)
	if err := s.throttle.check(from, now); err != nil {
		s.fail(w, r, err)
		return
	}
	var req room.PairRequest
	if err := decode(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	key, err := seal.ParseDevicePublicKey(req.Key)
	if err != nil {
		s.fail(w, r, fmt.Errorf("%w: the terminal's key: %v", site.ErrInput, err))
		return
	}
	l, ok := s.pairing.take(req.Proof, s.id.SPKI, req.Key, now)
	if !ok {
		s.throttle.fail(from, now)
		s.log.Warn("room server: pairing refused", "from", from.String())
		writeJSON(w, http.StatusForbidden, problem("no live pairing code matches: it is wrong, used up or expired, or a machine between the terminal and the station shows another TLS key; ask the proctor for a new code", room.RefusedPairing))
		return
	}
	t, err := s.site.PairTerminal(r.Context(), l.room, key, req.Name, req.Seat)
	if err != nil {
		s.pairing.giveBack(l)
		s.fail(w, r, err)
		return
	}
	s.log.Info("room server: terminal paired", "terminal", t.ID, "room", t.Room)
	writeJSON(w, http.StatusOK, room.PairResponse{
		TerminalID: t.ID, Room: t.Room, Site: s.id.Site, StationKey: s.id.RecordKey.Marshal(),
		Proof: l.secret.Proof(seal.PairingStation, s.id.SPKI, req.Key, t.ID),
	})
}

// clientAddr is the address a request came from (the room has no proxies).
func clientAddr(r *http.Request) netip.Addr {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}

package station

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	gosync "sync"
	"time"

	"onex/client/room"
	"onex/client/site"
	osync "onex/sync"
)

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}

// refusals maps the site's errors to the room's answers, first match wins.
var refusals = []struct {
	err    error
	status int
	code   string
}{
	{site.ErrUnknownTerminal, http.StatusUnauthorized, osync.RefusedDevice},
	{site.ErrRevoked, http.StatusForbidden, osync.RefusedRevoked},
	{site.ErrSeatCode, http.StatusForbidden, room.RefusedSeatCode},
	{site.ErrNotCheckedIn, http.StatusForbidden, room.RefusedSeatCode}, // as PROTOCOL.md says; was a 500 **[added: issue 14]**
	{site.ErrElsewhere, http.StatusConflict, room.RefusedElsewhere},
	{site.ErrNotYours, http.StatusForbidden, room.RefusedNotYours},
	{site.ErrNotStarted, http.StatusConflict, room.RefusedNotStarted},
	{site.ErrGap, http.StatusConflict, room.RefusedGap},
	{site.ErrEnded, http.StatusConflict, room.RefusedEnded}, // a sign-in after the end; was a 500
	{site.ErrInput, http.StatusBadRequest, osync.RefusedInput},
	{site.ErrNoSession, http.StatusNotFound, osync.RefusedNotFound},
}

// fail answers an error: a problem with its refusal code for what the
// terminal did wrong, 500 with no detail (and a log line) for the rest.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	var refused *osync.AuthError
	var tooBig *http.MaxBytesError
	var throttled *throttledError
	switch {
	case errors.As(err, &refused):
		if refused.Code == osync.RefusedRevoked {
			writeJSON(w, http.StatusForbidden, problem("forbidden: "+refused.Reason, refused.Code))
			return
		}
		w.Header().Set("WWW-Authenticate", osync.AuthScheme+` error="`+refused.Code+`"`)
		if r.ContentLength != 0 && refused.Code != osync.RefusedBody && refused.Code != osync.RefusedReplayed {
			w.Header().Set("Connection", "close") // a body the station will not read
		}
		writeJSON(w, http.StatusUnauthorized, problem("unauthorized: "+refused.Reason, refused.Code))
		return
	case errors.As(err, &tooBig):
		w.Header().Set("Connection", "close")
		writeJSON(w, http.StatusRequestEntityTooLarge, problem(fmt.Sprintf("request body is larger than %d bytes", tooBig.Limit), osync.RefusedTooLarge))
		return
	case errors.As(err, &throttled):
		w.Header().Set("Retry-After", strconv.FormatInt(int64((throttled.left+time.Second-1)/time.Second), 10))
		writeJSON(w, http.StatusTooManyRequests, problem(err.Error(), osync.RefusedThrottled))
		return
	}
	for _, m := range refusals {
		if errors.Is(err, m.err) {
			writeJSON(w, m.status, problem(err.Error(), m.code))
			return
		}
	}
	s.log.Error("room server: request failed", "route", r.Pattern, "err", err)
	writeJSON(w, http.StatusInternalServerError, problem("internal error", ""))
}

// decode reads one JSON value from the request's body, refusing unknown
// fields and anything after it. A body over room.MaxBody keeps its
// *http.MaxBytesError; the rest is the terminal's input.
func decode(r *http.Request, v any) error {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return err
		}
		return fmt.Errorf("%w: request body: %v", site.ErrInput, err)
	}
	if dec.More() {
		return fmt.Errorf("%w: request body: data after the JSON value", site.ErrInput)
	}
	return nil
}

// signedHandler serves a request a terminal signed.
type signedHandler func(w http.ResponseWriter, r *http.Request, t site.Terminal)

// signed authenticates a terminal's request (PROTOCOL.md, Signed
// requests) before h sees it: well-formed headers, a paired terminal, not
// revoked, a time within sync.AuthWindow of the station's clock, its
// signature, the body it signed (read whole, at most room.MaxBody), and a
// nonce not seen since the station started, signed after it started. The
// terminal is then heard.
func (s *Server) signed(h signedHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		t, body, err := s.authenticate(r)
		var refused *osync.AuthError
		if errors.As(err, &refused) && refused.Code != osync.RefusedDevice && refused.Code != osync.RefusedHeaders {
			s.log.Warn("room server: terminal request refused", "route", r.Pattern, "terminal", t.ID, "code", refused.Code)
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.site.Heard(t.ID)
		r.Body = io.NopCloser(bytes.NewReader(body))
		h(w, r, t)
	}
}

func refuse(code, format string, args ...any) *osync.AuthError {
	return &osync.AuthError{Code: code, Reason: fmt.Sprintf(format, args...)}
}

func (s *Server) authenticate(r *http.Request) (site.Terminal, []byte, error) {
	auth, sig, err := osync.ParseAuth(r.Method, r.URL.RequestURI(), r.Header)
	if err != nil {
		return site.Terminal{}, nil, err
	}
	t, err := s.site.TerminalByID(r.Context(), auth.DeviceID)
	if errors.Is(err, site.ErrUnknownTerminal) {
		return site.Terminal{}, nil, refuse(osync.RefusedDevice, "terminal %q is not paired with this station", auth.DeviceID)
	}
	if err != nil {
		return site.Terminal{}, nil, err
	}
	if !t.Revoked.IsZero() {
		return t, nil, refuse(osync.RefusedRevoked, "terminal %s was revoked; pair the machine again", t.ID)
	}
	now := s.cfg.Now()
	if err := auth.Verify(t.Key, sig, now); err != nil {
		return t, nil, err
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return t, nil, err
		}
		return t, nil, fmt.Errorf("%w: request body: %v", site.ErrInput, err)
	}
	if osync.BodyHash(body) != auth.BodyHash {
		return t, nil, refuse(osync.RefusedBody, "the body is not the one signed (%s)", osync.HeaderBodyHash)
	}
	if auth.Time < s.started {
		return t, nil, refuse(osync.RefusedReplayed, "request signed at %d, before the station started (%d): sign it again", auth.Time, s.started)
	}
	if !s.nonces.use(t.ID+" "+auth.Nonce, time.Unix(auth.Time, 0), now) {
		return t, nil, refuse(osync.RefusedReplayed, "request replayed: the station has answered nonce %s of terminal %s", auth.Nonce, t.ID)
	}
	return t, body, nil
}

// nonces are the nonces the station has seen since it started, each kept
// until it is both sync.AuthWindow old by the station's monotonic clock
// and signed more than sync.AuthWindow ago by its wall clock: by then the
// time check refuses a copy, even after the clock was set back.
type nonces struct {
	mu     gosync.Mutex
	seen   map[string]nonceSeen
	pruned time.Time
}

type nonceSeen struct{ signed, at time.Time }

// use reports whether key is new, and remembers it.
func (n *nonces) use(key string, signed, now time.Time) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	at := time.Now()
	if n.seen == nil {
		n.seen = map[string]nonceSeen{}
	}
	if at.Sub(n.pruned) > time.Minute {
		for k, v := range n.seen {
			if at.Sub(v.at) > osync.AuthWindow && now.Sub(v.signed) > osync.AuthWindow {
				delete(n.seen, k)
			}
		}
		n.pruned = at
	}
	if _, ok := n.seen[key]; ok {
		return false
	}
	n.seen[key] = nonceSeen{signed: signed, at: at}
	return true
}

func (n *nonces) len() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return len(n.seen)
}

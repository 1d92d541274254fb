// Package station is the exam room's server on the station (the staff
// machine that holds the site store): client/room's protocol over HTTPS
// with TLS 1.3 and the station's own certificate (site.RoomIdentity), the
// pairing secrets a proctor hands out, the authentication of terminals'
// signed requests (onex-auth/2, as central authenticates a site), a long
// poll on the room's state, a local control socket through which another
// process of the same user asks for pairing codes, and the mDNS
// announcement (client/discover). It is a thin transport: it decodes a
// request, calls *site.Site, and encodes the answer with the refusal codes
// of client/room and sync.
package station

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	gosync "sync"
	"time"

	"onex/client/discover"
	"onex/client/room"
	"onex/client/site"
	"onex/exam"
	"onex/exam/seal"
	osync "onex/sync"
)

// DefaultAddr is where a station listens unless told otherwise.
const DefaultAddr = ":7443"

// backend is what the server asks of the station's logic: *site.Site.
type backend interface {
	RoomIdentity(ctx context.Context) (*site.RoomIdentity, error)
	PairTerminal(ctx context.Context, roomName string, key *seal.DevicePublicKey, name, seat string) (site.Terminal, error)
	TerminalByID(ctx context.Context, id string) (site.Terminal, error)
	Heard(id string)
	Watch() <-chan struct{}
	RoomState(ctx context.Context, terminalID string) (room.State, error)
	SignIn(ctx context.Context, terminalID, ticket, seatCode string) (room.Candidate, error)
	TerminalView(ctx context.Context, terminalID, sessionID, ticket string) (*exam.View, error)
	ApplyChanges(ctx context.Context, terminalID string, envelopes [][]byte) (room.ChangesResponse, error)
}

var _ backend = (*site.Site)(nil)

// Config is how a Server runs; the zero value serves with defaults.
type Config struct {
	// Advertise is the address terminals reach the station at, as pairing
	// codes carry it. Invalid (the zero value): the listener's address, or,
	// when it listens on every address (0.0.0.0, ::), the machine's first
	// non-loopback IPv4 address (loopback when it has none).
	Advertise netip.Addr
	// DataDir, when set, is the site's data directory: Serve opens the
	// control socket there (ControlSocket) for RequestPairingCode.
	DataDir string
	// Announce makes Serve announce the station by mDNS (client/discover)
	// as a station of Room.
	Announce bool
	Room     string
	// Log receives the server's own lines; nil discards them.
	Log *slog.Logger
	// Now is the station's clock; nil is time.Now.
	Now func() time.Time
}

// Server serves client/room's protocol to the terminals of a station.
type Server struct {
	site    backend
	ln      net.Listener
	cfg     Config
	log     *slog.Logger
	id      *site.RoomIdentity
	started int64 // unix seconds by the station's clock: requests signed no later are refused as replayed
	addr    netip.AddrPort
	tls     *tls.Config

	nonces   nonces
	pairing  pairings
	throttle throttle

	ready       chan struct{} // closed once Serve serves (tests wait on it)
	closing     chan struct{} // closed when Serve stops: long polls answer at once
	closingOnce gosync.Once
}

// Listen listens on addr ("" is DefaultAddr) and makes a server of st on it.
func Listen(ctx context.Context, st *site.Site, addr string, cfg Config) (*Server, error) {
	if addr == "" {
		addr = DefaultAddr
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("room server: listen on %s: %w", addr, err)
	}
	s, err := New(ctx, st, ln, cfg)
	if err != nil {
		ln.Close()
	}
	return s, err
}

// New makes a server of st on ln (a TCP listener; the server adds TLS),
// with the station's room identity, made on first use. Serve runs it; ln
// is closed when Serve returns.
func New(ctx context.Context, st *site.Site, ln net.Listener, cfg Config) (*Server, error) {
	return newServer(ctx, st, ln, cfg)
}

func newServer(ctx context.Context, b backend, ln net.Listener, cfg Config) (*Server, error) {
	id, err := b.RoomIdentity(ctx)
	if err != nil {
		return nil, fmt.Errorf("room server: the station's identity: %w", err)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{site: b, ln: ln, cfg: cfg, log: log, id: id, closing: make(chan struct{}), ready: make(chan struct{})}
	s.started = cfg.Now().Unix()
	if s.addr, err = reachable(ln.Addr(), cfg.Advertise); err != nil {
		return nil, err
	}
	s.tls = &tls.Config{MinVersion: tls.VersionTLS13, Certificates: []tls.Certificate{id.Certificate}, NextProtos: []string{"http/1.1"}}
	return s, nil
}

// Addr is the station's address as pairing codes carry it.
func (s *Server) Addr() netip.AddrPort { return s.addr }

// SPKI is the SHA-256 of the station's TLS public key: the pin.
func (s *Server) SPKI() seal.Hash { return s.id.SPKI }

// reachable is the address a terminal reaches a listener at: advertise if
// valid, the listener's own unless it is unspecified, else the machine's
// first non-loopback IPv4 address, else loopback.
func reachable(a net.Addr, advertise netip.Addr) (netip.AddrPort, error) {
	tcp, ok := a.(*net.TCPAddr)
	if !ok {
		return netip.AddrPort{}, fmt.Errorf("room server: listener address %v is not TCP", a)
	}
	ap := tcp.AddrPort()
	port := ap.Port()
	switch {
	case advertise.IsValid():
		return netip.AddrPortFrom(advertise, port), nil
	case !ap.Addr().IsUnspecified():
		return netip.AddrPortFrom(ap.Addr().Unmap(), port), nil
	}
	return netip.AddrPortFrom(firstIPv4(), port), nil
}

// firstIPv4 is the machine's first non-loopback IPv4 address that is up,
// or 127.0.0.1.
func firstIPv4() netip.Addr {
	ifs, _ := net.Interfaces()
	for _, ifc := range ifs {
		if ifc.Flags&net.FlagUp == 0 || ifc.Flags&net.FlagLoopback != 0 {
			continue
		}
		addrs, _ := ifc.Addrs()
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok {
				if ip, ok := netip.AddrFromSlice(n.IP); ok && ip.Unmap().Is4() && !ip.IsLoopback() && !ip.IsLinkLocalUnicast() {
					return ip.Unmap()
				}
			}
		}
	}
	return netip.AddrFrom4([4]byte{127, 0, 0, 1})
}

// Handler is the room server's HTTP handler (without TLS).
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+room.PathPair, s.pair)
	mux.HandleFunc("GET "+room.PathState, s.signed(s.state))
	mux.HandleFunc("POST "+room.PathSignIn, s.signed(s.signIn))
	mux.HandleFunc("GET "+room.PathPaper, s.signed(s.paper))
	mux.HandleFunc("POST "+room.PathChanges, s.signed(s.changes))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Date", s.cfg.Now().UTC().Format(http.TimeFormat))
		h.Set("Cache-Control", "no-store")
		h.Set("X-Content-Type-Options", "nosniff")
		if _, pattern := mux.Handler(r); pattern == "" {
			writeJSON(w, http.StatusNotFound, problem("no such request: "+r.Method+" "+r.URL.Path, "not_found"))
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, room.MaxBody)
		mux.ServeHTTP(w, r)
	})
}

// Serve serves terminals until ctx is done, then shuts down gracefully:
// open long polls answer at once, requests under way finish, and the
// control socket and the mDNS announcement stop with it.
func (s *Server) Serve(ctx context.Context) error {
	hs := &http.Server{
		Handler:           s.Handler(),
		TLSConfig:         s.tls,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       time.Minute,
		WriteTimeout:      time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	var stops []func()
	defer func() {
		for _, stop := range stops {
			stop()
		}
	}()
	if s.cfg.DataDir != "" {
		stop, err := s.serveControl(ctx)
		if err != nil {
			s.ln.Close()
			return err
		}
		stops = append(stops, stop)
	}
	if s.cfg.Announce {
		actx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() {
			done <- discover.Announce(actx, discover.Station{Room: s.cfg.Room, Site: s.id.Site, Addr: s.addr, Pin: s.id.SPKI})
		}()
		stops = append(stops, func() {
			cancel()
			if err := <-done; err != nil {
				s.log.Warn("room server: mDNS announcement", "err", err)
			}
		})
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(tls.NewListener(s.ln, s.tls)) }()
	close(s.ready)
	s.log.Info("room server listening", "addr", s.addr.String(), "pin", seal.TLSFingerprint(s.id.SPKI))
	select {
	case err := <-errc:
		return fmt.Errorf("room server: %w", err)
	case <-ctx.Done():
	}
	s.closingOnce.Do(func() { close(s.closing) })
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		hs.Close()
		return fmt.Errorf("room server: shutting down: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("room server: %w", err)
	}
	return nil
}

// state answers GET PathState?after=G: at once when the state's Gen is not
// G (or no G is given), else when the station signals a change, after
// room.Wait, or when the request or the server ends.
func (s *Server) state(w http.ResponseWriter, r *http.Request, t site.Terminal) {
	var after uint64
	hasAfter := false
	if v := r.URL.Query().Get("after"); v != "" {
		var err error
		if after, err = strconv.ParseUint(v, 10, 64); err != nil {
			s.fail(w, r, fmt.Errorf("%w: after=%q is not a generation (a non-negative integer)", site.ErrInput, v))
			return
		}
		hasAfter = true
	}
	changed := s.site.Watch() // before the state: a change after it is not missed
	st, err := s.site.RoomState(r.Context(), t.ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if hasAfter && st.Gen == after {
		timer := time.NewTimer(room.Wait)
		defer timer.Stop()
		select {
		case <-changed:
		case <-timer.C:
		case <-s.closing:
		case <-r.Context().Done():
			return
		}
		if st, err = s.site.RoomState(r.Context(), t.ID); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	writeJSON(w, http.StatusOK, st)
}

func (s *Server) signIn(w http.ResponseWriter, r *http.Request, t site.Terminal) {
	var req room.SignInRequest
	if err := decode(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	c, err := s.site.SignIn(r.Context(), t.ID, req.Ticket, req.SeatCode)
	s.reply(w, r, c, err)
}

func (s *Server) paper(w http.ResponseWriter, r *http.Request, t site.Terminal) {
	q := r.URL.Query()
	v, err := s.site.TerminalView(r.Context(), t.ID, q.Get("session"), q.Get("ticket"))
	s.reply(w, r, v, err)
}

func (s *Server) changes(w http.ResponseWriter, r *http.Request, t site.Terminal) {
	var req room.ChangesRequest
	if err := decode(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	resp, err := s.site.ApplyChanges(r.Context(), t.ID, req.Envelopes)
	s.reply(w, r, resp, err)
}

// reply answers v, or the error.
func (s *Server) reply(w http.ResponseWriter, r *http.Request, v any, err error) {
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

// problem is a refusal's body.
func problem(msg, code string) osync.Problem { return osync.Problem{Error: msg, Code: code} }

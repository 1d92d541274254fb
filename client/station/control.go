package station

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"onex/client/room"
	osync "onex/sync"
)

// ControlSocket is the name of the control socket in the site's data
// directory: a Unix domain socket (mode 0600, so only the user who runs
// the station may connect) over which another process of that user asks
// the running station for pairing codes. The site store is locked by the
// station's process, so the command line cannot open it meanwhile.
const ControlSocket = "room.sock"

// PathControlPairingCode is the control socket's one request: POST
// controlRequest → controlResponse, plain HTTP.
const PathControlPairingCode = "/control/v1/pairing-code"

type controlRequest struct {
	Room      string        `json:"room"`
	Terminals int           `json:"terminals"`
	TTL       time.Duration `json:"ttl_ns"`
}

type controlResponse struct {
	Code string `json:"code"` // room.PairingCode.String
}

// ErrNoStation: no station answers on the data directory's control socket.
var ErrNoStation = errors.New("no room server is running on this data directory")

// serveControl opens the control socket in the data directory and serves
// it until stop is called.
func (s *Server) serveControl(ctx context.Context) (stop func(), err error) {
	path := filepath.Join(s.cfg.DataDir, ControlSocket)
	// A socket left by a station that died: the store's lock, held by this
	// process, says no other station runs on this directory.
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("room server: control socket %s: %w", path, err)
	}
	ln, err := listenPrivate(path)
	if err != nil {
		return nil, fmt.Errorf("room server: control socket %s: %w", path, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+PathControlPairingCode, func(w http.ResponseWriter, r *http.Request) {
		var req controlRequest
		r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
		if err := decode(r, &req); err != nil {
			s.fail(w, r, err)
			return
		}
		c, err := s.PairingCode(req.Room, req.Terminals, req.TTL)
		if err != nil {
			writeJSON(w, http.StatusBadRequest, problem(err.Error(), osync.RefusedInput))
			return
		}
		s.log.Info("room server: pairing code issued", "room", req.Room, "terminals", max(req.Terminals, 1))
		writeJSON(w, http.StatusOK, controlResponse{Code: c.String()})
	})
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, BaseContext: func(net.Listener) context.Context { return context.WithoutCancel(ctx) }}
	done := make(chan struct{})
	go func() {
		defer close(done)
		hs.Serve(ln)
	}()
	return func() {
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		hs.Shutdown(sctx)
		<-done
		os.Remove(path)
	}, nil
}

// listenPrivate listens on a Unix socket at path that only this user may
// connect to: it is made in a private directory beside path and renamed
// into place once its mode is 0600, so there is no moment at which another
// user could connect.
func listenPrivate(path string) (net.Listener, error) {
	dir, err := os.MkdirTemp(filepath.Dir(path), ".room-sock-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	tmp := filepath.Join(dir, "s")
	ln, err := net.Listen("unix", tmp)
	if err != nil {
		return nil, err
	}
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	if err := os.Chmod(tmp, 0o600); err != nil {
		ln.Close()
		return nil, err
	}
	if err := os.Rename(tmp, path); err != nil {
		ln.Close()
		return nil, err
	}
	return ln, nil
}

// RequestPairingCode asks the station running on the site's data
// directory, through its control socket, for a pairing code for terminals
// of roomName (terminals 0: one; ttl 0: DefaultPairingTTL). It fails with
// ErrNoStation when no station runs there, and with ErrPairingCode when the
// station refuses what was asked.
func RequestPairingCode(ctx context.Context, dataDir, roomName string, terminals int, ttl time.Duration) (room.PairingCode, error) {
	path := filepath.Join(dataDir, ControlSocket)
	hc := &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", path)
		},
	}}
	defer hc.CloseIdleConnections()
	body, err := json.Marshal(controlRequest{Room: roomName, Terminals: terminals, TTL: ttl})
	if err != nil {
		return room.PairingCode{}, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://station"+PathControlPairingCode, bytes.NewReader(body))
	if err != nil {
		return room.PairingCode{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return room.PairingCode{}, ctx.Err()
		}
		return room.PairingCode{}, fmt.Errorf("%w (%s: %v): start the room server first", ErrNoStation, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return room.PairingCode{}, fmt.Errorf("control socket %s: %w", path, err)
	}
	if resp.StatusCode != http.StatusOK {
		var p osync.Problem
		if json.Unmarshal(b, &p) != nil || p.Error == "" {
			p.Error = resp.Status
		}
		return room.PairingCode{}, fmt.Errorf("%w: the station says: %s", ErrPairingCode, p.Error)
	}
	var cr controlResponse
	if err := json.Unmarshal(b, &cr); err != nil {
		return room.PairingCode{}, fmt.Errorf("control socket %s: answer: %w", path, err)
	}
	return room.ParsePairingCode(cr.Code)
}

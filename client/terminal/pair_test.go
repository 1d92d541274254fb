package terminal

import (
	"context"
	"crypto/ed25519"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"onex/client/room"
	"onex/exam/seal"
	wire "onex/sync"
)

// The servers here test the terminal's TLS, pairing handshake and
// retries over a real TLS 1.3 connection on loopback; they are not a
// station (the end-to-end tests use client/station).

// tlsServer serves h over TLS with a self-signed Ed25519 certificate of its
// own, and returns it with the SHA-256 of its public key.
func tlsServer(t *testing.T, h http.Handler) (*httptest.Server, seal.Hash) {
	t.Helper()
	_, priv, _ := ed25519.GenerateKey(nil) // crypto/rand
	der, err := seal.SelfSignedCertificate(priv, "station", nil, time.Now(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	srv := httptest.NewUnstartedServer(h)
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: priv}}, MinVersion: tls.VersionTLS13}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv, seal.SPKIHash(cert)
}

func addrOf(srv *httptest.Server) netip.AddrPort {
	return netip.MustParseAddrPort(strings.TrimPrefix(srv.URL, "https://"))
}

// pairing answers POST room.PathPair as the protocol says, over the SPKI
// hash spki: lie, when set, changes the station's proof.
type pairing struct {
	secret seal.PairingSecret
	spki   seal.Hash
	ck     *seal.CentralKeys
	lie    bool
	calls  atomic.Int32
}

func (p *pairing) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.calls.Add(1)
	var req room.PairRequest
	if r.URL.Path != room.PathPair || json.NewDecoder(r.Body).Decode(&req) != nil ||
		!p.secret.CheckProof(req.Proof, seal.PairingTerminal, p.spki, req.Key, "") {
		w.WriteHeader(http.StatusForbidden)
		json.NewEncoder(w).Encode(wire.Problem{Error: "no live pairing secret matches", Code: room.RefusedPairing})
		return
	}
	id := "T-1"
	proofID := id
	if p.lie {
		proofID = "T-2"
	}
	json.NewEncoder(w).Encode(room.PairResponse{TerminalID: id, Room: "A101", Site: "S01", StationKey: p.ck.Public().Marshal(),
		Proof: p.secret.Proof(seal.PairingStation, p.spki, req.Key, proofID)})
}

func newPairing(t *testing.T) (*pairing, *httptest.Server, room.PairingCode) {
	t.Helper()
	sec, err := seal.NewPairingSecret()
	if err != nil {
		t.Fatal(err)
	}
	_, ck := keys(t)
	p := &pairing{secret: sec, ck: ck}
	srv, spki := tlsServer(t, p)
	p.spki = spki
	return p, srv, room.PairingCode{Station: addrOf(srv), Secret: sec, Pin: spki}
}

func dirEmpty(t *testing.T, dir string) {
	t.Helper()
	if es, _ := os.ReadDir(dir); len(es) != 0 || Paired(dir) {
		t.Errorf("%s holds %d files after a failed pairing", dir, len(es))
	}
}

func TestPairRefusesAnotherStationBeforeSending(t *testing.T) {
	p, _, code := newPairing(t)
	code.Pin[0] ^= 1 // the code names another station's key
	dir := t.TempDir()
	_, err := Pair(context.Background(), Config{Dir: dir}, code, "PC-07", "07")
	var pe *PinError
	if !errors.As(err, &pe) || pe.Seen != p.spki || !errors.Is(err, ErrUnreachable) {
		t.Fatalf("got %v, want a *PinError naming the key seen", err)
	}
	if n := p.calls.Load(); n != 0 {
		t.Errorf("the station got %d requests: the proof was sent to a station that is not the code's", n)
	}
	dirEmpty(t, dir)
}

func TestPairChecksTheStationsProof(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(*pairing, *room.PairingCode)
		want  error
	}{
		{"the station's proof names another terminal", func(p *pairing, _ *room.PairingCode) { p.lie = true }, ErrStationProof},
		{"a secret the station does not know", func(p *pairing, _ *room.PairingCode) { p.secret, _ = seal.NewPairingSecret() }, ErrPairing},
		// A machine in the middle shows its own key: the terminal's proof
		// over that key does not check at the real station.
		{"proof over another key", func(p *pairing, c *room.PairingCode) { p.spki[0] ^= 1; c.Pin = seal.Hash{} }, ErrPairing},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, _, code := newPairing(t)
			tc.setup(p, &code)
			dir := t.TempDir()
			_, err := Pair(context.Background(), Config{Dir: dir}, code, "PC-07", "07")
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			dirEmpty(t, dir)
		})
	}
}

func TestPairWritesTheTerminalsIdentityOnly(t *testing.T) {
	for _, pinned := range []bool{true, false} {
		p, _, code := newPairing(t)
		if !pinned {
			code.Pin = seal.Hash{} // typed: the proofs authenticate the key
		}
		dir := filepath.Join(t.TempDir(), "terminal")
		tm, err := Pair(context.Background(), Config{Dir: dir}, code, "PC-07", "07")
		if err != nil {
			t.Fatal(err)
		}
		info := tm.Info()
		if info.TerminalID != "T-1" || info.Room != "A101" || info.Site != "S01" || info.Pin != p.spki || info.Station != code.Station {
			t.Errorf("paired as %+v", info)
		}
		tm.Close()
		es, _ := os.ReadDir(dir)
		var names []string
		for _, e := range es {
			fi, _ := e.Info()
			names = append(names, e.Name())
			if fi.Mode().Perm() != 0o600 {
				t.Errorf("%s has mode %v, want 0600", e.Name(), fi.Mode().Perm())
			}
		}
		if strings.Join(names, " ") != "journal terminal.json" {
			t.Errorf("the terminal's directory holds %v, want its journal and terminal.json", names)
		}
		if !Paired(dir) {
			t.Error("Paired is false after pairing")
		}
		again, err := Open(Config{Dir: dir})
		if err != nil || again.Info() != info {
			t.Fatalf("reopened: %+v, %v", again, err)
		}
		again.Close()
		if _, err := Pair(context.Background(), Config{Dir: dir}, code, "PC-07", "07"); !errors.Is(err, ErrAlreadyPaired) {
			t.Errorf("pairing again: %v, want ErrAlreadyPaired", err)
		}
	}
}

func TestOpenSaysWhatIsWrong(t *testing.T) {
	p, _, code := newPairing(t)
	dir := t.TempDir()
	tm, err := Pair(context.Background(), Config{Dir: dir}, code, "PC", "")
	if err != nil {
		t.Fatal(err)
	}
	tm.Close()
	_ = p
	path := filepath.Join(dir, stateFile)
	good, _ := os.ReadFile(path)
	for _, tc := range []struct{ field, from, to string }{
		{"pin", `"pin": "`, `"pin": "zz`},
		{"format", stateFormat, "onex-terminal/9"},
		{"station", `"station": "`, `"station": "x`},
	} {
		os.WriteFile(path, []byte(strings.Replace(string(good), tc.from, tc.to, 1)), 0o600)
		if _, err := Open(Config{Dir: dir}); err == nil || !strings.Contains(err.Error(), "field "+tc.field) || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: %v, want an error naming the file and the field", tc.field, err)
		}
	}
	if _, err := Open(Config{Dir: t.TempDir()}); !errors.Is(err, ErrNotPaired) {
		t.Errorf("an empty directory: %v, want ErrNotPaired", err)
	}
}

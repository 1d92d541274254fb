package station

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	gosync "sync"
	"sync/atomic"
	"testing"
	"time"

	"onex/client/room"
	"onex/client/site"
	"onex/exam"
	"onex/exam/seal"
	osync "onex/sync"
)

// selfSigned makes a TLS certificate of a fresh ECDSA P-256 key, as the
// station's identity and a machine in the middle each have.
func selfSigned(t testing.TB) (tls.Certificate, seal.Hash) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := seal.SelfSignedCertificate(key, "test", nil, time.Now(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, seal.SPKIHash(leaf)
}

// fakeSite stands for client/site's station logic while its functions are
// stubs, so that this package's own mechanics (TLS, pairing, signatures,
// nonces, the long poll, the control socket) are tested now. The end to
// end tests over the real site are in e2e_test.go.
type fakeSite struct {
	id *site.RoomIdentity

	mu        gosync.Mutex
	terminals map[string]site.Terminal
	heard     atomic.Int64 // requests heard, of any terminal
	gen       uint64
	watch     atomic.Pointer[chan struct{}]
	err       error // what SignIn, TerminalView and ApplyChanges return
}

func newFakeSite(t testing.TB) *fakeSite {
	cert, spki := selfSigned(t)
	ck, err := seal.GenerateCentralKeys()
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeSite{id: &site.RoomIdentity{Certificate: cert, SPKI: spki, RecordKey: ck.Public(), Site: "S01"},
		terminals: map[string]site.Terminal{}, gen: 1}
	ch := make(chan struct{})
	f.watch.Store(&ch)
	return f
}

func (f *fakeSite) RoomIdentity(context.Context) (*site.RoomIdentity, error) { return f.id, nil }

func (f *fakeSite) PairTerminal(_ context.Context, roomName string, key *seal.DevicePublicKey, name, seat string) (site.Terminal, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	t := site.Terminal{ID: fmt.Sprintf("T%03d", len(f.terminals)+1), Name: name, Seat: seat, Room: roomName, Key: key, Paired: time.Now()}
	f.terminals[t.ID] = t
	return t, nil
}

func (f *fakeSite) TerminalByID(_ context.Context, id string) (site.Terminal, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	t, ok := f.terminals[id]
	if !ok {
		return site.Terminal{}, fmt.Errorf("terminal %q: %w", id, site.ErrUnknownTerminal)
	}
	return t, nil
}

func (f *fakeSite) revoke(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	t := f.terminals[id]
	t.Revoked = time.Now()
	f.terminals[id] = t
}

func (f *fakeSite) Heard(string)           { f.heard.Add(1) }
func (f *fakeSite) heardOf() int64         { return f.heard.Load() }
func (f *fakeSite) Watch() <-chan struct{} { return *f.watch.Load() }

// change moves the generation on and wakes the watchers.
func (f *fakeSite) change() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.gen++
	next := make(chan struct{})
	close(*f.watch.Swap(&next))
}

func (f *fakeSite) RoomState(_ context.Context, id string) (room.State, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	t := f.terminals[id]
	return room.State{Gen: f.gen, StationTime: time.Now(), Terminal: room.Terminal{ID: t.ID, Name: t.Name, Seat: t.Seat, Room: t.Room}}, nil
}

func (f *fakeSite) failWith(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.err = err
}

func (f *fakeSite) SignIn(_ context.Context, id, ticket, seatCode string) (room.Candidate, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return room.Candidate{Ticket: ticket, SessionID: "S1"}, f.err
}

func (f *fakeSite) TerminalView(context.Context, string, string, string) (*exam.View, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return &exam.View{}, f.err
}

func (f *fakeSite) ApplyChanges(_ context.Context, id string, envs [][]byte) (room.ChangesResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return room.ChangesResponse{Acked: uint64(len(envs))}, f.err
}

// running is a room server serving on loopback until the test ends.
type running struct {
	*Server
	url  string
	stop func() error
}

// serve runs a server of b on 127.0.0.1 with cfg.
func serve(t testing.TB, b backend, cfg Config) *running {
	t.Helper()
	if cfg.Now == nil {
		// A request signed in the second the station started is refused
		// as replayed: the test's station started two seconds ago.
		cfg.Now = behind(2 * time.Second).now
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s, err := newServer(context.Background(), b, ln, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx) }()
	select {
	case <-s.ready:
	case err := <-done:
		t.Fatalf("Serve: %v", err)
	}
	var once gosync.Once
	var serr error
	stop := func() error {
		once.Do(func() { cancel(); serr = <-done })
		return serr
	}
	t.Cleanup(func() { stop() })
	return &running{Server: s, url: "https://" + s.Addr().String(), stop: stop}
}

// terminal is a hand-made terminal speaking the room protocol: its key,
// the SPKI hash of the certificate it was shown, and once paired its id.
type terminal struct {
	key  *seal.DeviceKey
	id   string
	seen seal.Hash // the SPKI of the last certificate seen
	pin  seal.Hash // zero until paired
	hc   *http.Client
	sg   *osync.Signer
}

func newTerminal(t testing.TB) *terminal {
	t.Helper()
	k, err := seal.GenerateDeviceKey()
	if err != nil {
		t.Fatal(err)
	}
	term := &terminal{key: k}
	cfg := &tls.Config{MinVersion: tls.VersionTLS13, InsecureSkipVerify: true, VerifyConnection: func(cs tls.ConnectionState) error {
		if len(cs.PeerCertificates) == 0 {
			return errors.New("no certificate")
		}
		term.seen = seal.SPKIHash(cs.PeerCertificates[0])
		if term.pin != (seal.Hash{}) && term.seen != term.pin {
			return errors.New("the station's TLS key is not the one pinned")
		}
		return nil
	}}
	term.hc = &http.Client{Transport: &http.Transport{TLSClientConfig: cfg, ForceAttemptHTTP2: false}, Timeout: 10 * time.Second}
	return term
}

// pair pairs with the station at url by the secret, as PROTOCOL.md says:
// the proof over the SPKI seen, the station's proof checked before pinning.
func (term *terminal) pair(t testing.TB, url string, secret seal.PairingSecret) (*http.Response, room.PairResponse, []byte) {
	t.Helper()
	// The TLS handshake happens before the proof is made: a HEAD tells the
	// terminal what certificate it is shown.
	if resp, err := term.hc.Head(url + "/"); err != nil {
		t.Fatal(err)
	} else {
		resp.Body.Close()
	}
	seen := term.seen
	req := room.PairRequest{Key: term.key.Public().Marshal(), Name: "PC-01", Seat: "A1",
		Proof: secret.Proof(seal.PairingTerminal, seen, term.key.Public().Marshal(), "")}
	resp, body := term.do(t, http.MethodPost, url+room.PathPair, req, false)
	var pr room.PairResponse
	if resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(body, &pr); err != nil {
			t.Fatal(err)
		}
		if term.seen != seen {
			t.Fatalf("the certificate changed during pairing")
		}
		if secret.CheckProof(pr.Proof, seal.PairingStation, seen, req.Key, pr.TerminalID) {
			term.pin, term.id = seen, pr.TerminalID
			term.sg = &osync.Signer{DeviceID: pr.TerminalID, Key: term.key}
		}
	}
	return resp, pr, body
}

// do sends a request, signed when sign is set, and returns the answer
// with its body read.
func (term *terminal) do(t testing.TB, method, url string, v any, sign bool) (*http.Response, []byte) {
	t.Helper()
	req := term.request(t, method, url, v, sign)
	return term.send(t, req)
}

func (term *terminal) request(t testing.TB, method, url string, v any, sign bool) *http.Request {
	t.Helper()
	var body []byte
	if v != nil {
		var err error
		if body, err = json.Marshal(v); err != nil {
			t.Fatal(err)
		}
	}
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if sign {
		if _, err := term.sg.Sign(req, osync.BodyHash(body)); err != nil {
			t.Fatal(err)
		}
	}
	req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	return req
}

func (term *terminal) send(t testing.TB, req *http.Request) (*http.Response, []byte) {
	t.Helper()
	resp, err := term.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

// refusal is the problem code of an answer.
func refusal(t testing.TB, body []byte) string {
	t.Helper()
	var p osync.Problem
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatalf("answer %q is not a problem: %v", body, err)
	}
	return p.Code
}

// clock is the station's clock in a test, off time.Now by what the test
// adds.
type clock struct{ off atomic.Int64 }

func (c *clock) now() time.Time      { return time.Now().Add(time.Duration(c.off.Load())) }
func (c *clock) add(d time.Duration) { c.off.Add(int64(d)) }

// behind is a clock d behind time.Now.
func behind(d time.Duration) *clock {
	c := &clock{}
	c.add(-d)
	return c
}

package station

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"onex/client/discover"
	"onex/client/room"
	"onex/client/site"
	"onex/exam/seal"
	osync "onex/sync"
)

func TestPairing(t *testing.T) {
	f := newFakeSite(t)
	clk := behind(2 * time.Second)
	srv := serve(t, f, Config{Now: clk.now})

	t.Run("the right secret pins and works", func(t *testing.T) {
		code, err := srv.PairingCode("R101", 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		if code.Station != srv.Addr() || code.Pin != f.id.SPKI {
			t.Fatalf("code %v: want the station's address %v and pin %x", code, srv.Addr(), f.id.SPKI)
		}
		term := newTerminal(t)
		resp, pr, _ := term.pair(t, srv.url, code.Secret)
		if resp.StatusCode != http.StatusOK || term.pin != f.id.SPKI || term.id == "" {
			t.Fatalf("pairing: %s, pinned %x as %q", resp.Status, term.pin, term.id)
		}
		if pr.Room != "R101" || pr.Site != "S01" || !bytes.Equal(pr.StationKey, f.id.RecordKey.Marshal()) {
			t.Errorf("pair response %+v", pr)
		}
		// The pinned terminal's signed requests are answered.
		resp, body := term.do(t, http.MethodGet, srv.url+room.PathState, nil, true)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("state after pairing: %s %s", resp.Status, body)
		}
		// Used up: one terminal per code by default.
		resp, _, _ = newTerminal(t).pair(t, srv.url, code.Secret)
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("a used-up code: %s, want 403", resp.Status)
		}
	})

	refused := func(t *testing.T, secret seal.PairingSecret) {
		t.Helper()
		term := newTerminal(t)
		resp, _, body := term.pair(t, srv.url, secret)
		if resp.StatusCode != http.StatusForbidden || refusal(t, body) != room.RefusedPairing || term.pin != (seal.Hash{}) {
			t.Fatalf("got %s %s, pinned %x; want 403 pairing and no pin", resp.Status, body, term.pin)
		}
	}
	t.Run("a wrong secret", func(t *testing.T) {
		if _, err := srv.PairingCode("R101", 5, 0); err != nil {
			t.Fatal(err)
		}
		wrong, _ := seal.NewPairingSecret()
		refused(t, wrong)
	})
	t.Run("an expired secret", func(t *testing.T) {
		code, _ := srv.PairingCode("R101", 1, time.Minute)
		clk.add(time.Minute + time.Second)
		refused(t, code.Secret)
	})
	t.Run("a secret for three serves three", func(t *testing.T) {
		code, _ := srv.PairingCode("R102", 3, 0)
		for i := range 3 {
			term := newTerminal(t)
			if resp, pr, _ := term.pair(t, srv.url, code.Secret); resp.StatusCode != http.StatusOK || pr.Room != "R102" {
				t.Fatalf("pairing %d: %s", i+1, resp.Status)
			}
		}
		refused(t, code.Secret)
	})
	t.Run("bad requests for a code", func(t *testing.T) {
		for _, tc := range []struct {
			room string
			n    int
			ttl  time.Duration
		}{{"", 1, 0}, {"R1", -1, 0}, {"R1", MaxPairingUses + 1, 0}, {"R1", 1, -time.Second}, {"R1", 1, 25 * time.Hour}} {
			if _, err := srv.PairingCode(tc.room, tc.n, tc.ttl); !errors.Is(err, ErrPairingCode) {
				t.Errorf("PairingCode(%q, %d, %s): %v, want ErrPairingCode", tc.room, tc.n, tc.ttl, err)
			}
		}
	})
}

// TestPairingThroughAMachineInTheMiddle puts a TLS proxy with a key of its
// own between a terminal and the station: the terminal's proof, made over
// the key it was shown, does not check at the station, and nothing the
// proxy could send back would make the terminal pin it.
func TestPairingThroughAMachineInTheMiddle(t *testing.T) {
	f := newFakeSite(t)
	srv := serve(t, f, Config{})
	code, _ := srv.PairingCode("R101", 1, 0)

	mitmCert, mitmSPKI := selfSigned(t)
	target, _ := url.Parse(srv.url)
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.Transport = &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}
	var answers [][]byte // what the station said, as the machine in the middle saw it
	proxy.ModifyResponse = func(r *http.Response) error {
		b, _ := io.ReadAll(r.Body)
		answers = append(answers, b)
		r.Body = io.NopCloser(bytes.NewReader(b))
		return nil
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{mitmCert}, MinVersion: tls.VersionTLS13})
	if err != nil {
		t.Fatal(err)
	}
	ps := &http.Server{Handler: proxy}
	go ps.Serve(ln)
	defer ps.Close()

	term := newTerminal(t)
	resp, _, body := term.pair(t, "https://"+ln.Addr().String(), code.Secret)
	if term.seen != mitmSPKI {
		t.Fatalf("the terminal saw %x, not the proxy's key", term.seen)
	}
	if resp.StatusCode != http.StatusForbidden || refusal(t, body) != room.RefusedPairing {
		t.Fatalf("through the proxy: %s %s, want 403 pairing", resp.Status, body)
	}
	if term.pin != (seal.Hash{}) {
		t.Fatalf("the terminal pinned %x", term.pin)
	}
	// The proxy learnt nothing it could answer with: a station proof for the
	// station's own key does not check over the key the terminal saw.
	stationProof := code.Secret.Proof(seal.PairingStation, f.id.SPKI, term.key.Public().Marshal(), "T001")
	if code.Secret.CheckProof(stationProof, seal.PairingStation, term.seen, term.key.Public().Marshal(), "T001") {
		t.Fatal("a station proof over the station's key checks over the proxy's")
	}
	// And the secret is not used up: the terminal, connected directly, pairs.
	direct := newTerminal(t)
	if resp, _, _ := direct.pair(t, srv.url, code.Secret); resp.StatusCode != http.StatusOK || direct.pin != f.id.SPKI {
		t.Fatalf("direct pairing after the refused one: %s", resp.Status)
	}
	if len(answers) == 0 {
		t.Fatal("the proxy forwarded nothing")
	}
}

func TestPairingThrottled(t *testing.T) {
	f := newFakeSite(t)
	clk := behind(2 * time.Second)
	srv := serve(t, f, Config{Now: clk.now})
	code, _ := srv.PairingCode("R101", 1, time.Hour)
	wrong, _ := seal.NewPairingSecret()
	for i := range MaxPairingFailures {
		resp, _, body := newTerminal(t).pair(t, srv.url, wrong)
		if resp.StatusCode != http.StatusForbidden {
			t.Fatalf("failure %d: %s %s, want 403", i+1, resp.Status, body)
		}
	}
	term := newTerminal(t)
	resp, _, body := term.pair(t, srv.url, code.Secret) // even the right code, now
	if resp.StatusCode != http.StatusTooManyRequests || refusal(t, body) != osync.RefusedThrottled {
		t.Fatalf("after %d failures: %s %s, want 429 throttled", MaxPairingFailures, resp.Status, body)
	}
	if ra, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || ra < 1 || ra > 60 {
		t.Errorf("Retry-After %q, want 1 to 60 seconds", resp.Header.Get("Retry-After"))
	}
	clk.add(PairingWindow)
	if resp, _, _ := term.pair(t, srv.url, code.Secret); resp.StatusCode != http.StatusOK {
		t.Fatalf("a minute later: %s, want 200", resp.Status)
	}
}

// paired runs a station with one paired terminal.
func paired(t *testing.T, cfg Config) (*fakeSite, *running, *terminal) {
	f := newFakeSite(t)
	srv := serve(t, f, cfg)
	code, err := srv.PairingCode("R101", 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	term := newTerminal(t)
	if resp, _, _ := term.pair(t, srv.url, code.Secret); resp.StatusCode != http.StatusOK {
		t.Fatalf("pairing: %s", resp.Status)
	}
	return f, srv, term
}

// TestSignedRequestsRefused runs over the test's stand-in for the station
// logic and over the real one (client/site with a real central).
func TestSignedRequestsRefused(t *testing.T) {
	t.Run("fake site", func(t *testing.T) {
		f, srv, term := paired(t, Config{})
		signedRequestsRefused(t, srv, term, f.revoke, f.heardOf)
	})
	t.Run("real site", func(t *testing.T) {
		rs := newRealStation(t)
		revoke := func(id string) {
			if err := rs.site.RevokeTerminal(context.Background(), id, "张监考", "test"); err != nil {
				t.Fatal(err)
			}
		}
		signedRequestsRefused(t, rs.srv, rs.pairNew(t, false), revoke, nil)
	})
}

func signedRequestsRefused(t *testing.T, srv *running, term *terminal, revoke func(id string), heardOf func() int64) {
	stranger := newTerminal(t)
	stranger.sg = &osync.Signer{DeviceID: term.id, Key: stranger.key} // another key, the terminal's id
	unknown := newTerminal(t)
	unknown.sg = &osync.Signer{DeviceID: "T999", Key: unknown.key}
	changes := room.ChangesRequest{Envelopes: [][]byte{[]byte("x")}}

	for _, tc := range []struct {
		name   string
		req    func() *http.Request
		status int
		code   string
	}{
		{"unsigned", func() *http.Request { return term.request(t, http.MethodGet, srv.url+room.PathState, nil, false) },
			http.StatusUnauthorized, osync.RefusedHeaders},
		{"an unknown terminal", func() *http.Request { return unknown.request(t, http.MethodGet, srv.url+room.PathState, nil, true) },
			http.StatusUnauthorized, osync.RefusedDevice},
		{"signed by another key", func() *http.Request {
			return stranger.request(t, http.MethodGet, srv.url+room.PathState, nil, true)
		}, http.StatusUnauthorized, osync.RefusedSignature},
		{"a signature of another target", func() *http.Request {
			r := term.request(t, http.MethodGet, srv.url+room.PathState, nil, true)
			r.URL.RawQuery = "after=7"
			return r
		}, http.StatusUnauthorized, osync.RefusedSignature},
		{"a time 20 minutes off", func() *http.Request {
			sg := *term.sg
			sg.Offset = func() time.Duration { return -20 * time.Minute }
			r := term.request(t, http.MethodGet, srv.url+room.PathState, nil, false)
			sg.Sign(r, osync.EmptyBodyHash)
			return r
		}, http.StatusUnauthorized, osync.RefusedTime},
		{"another body than the one signed", func() *http.Request {
			r := term.request(t, http.MethodPost, srv.url+room.PathChanges, changes, true)
			other := []byte(`{"envelopes":["eQ=="]}`)
			r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(other)), int64(len(other))
			return r
		}, http.StatusUnauthorized, osync.RefusedBody},
		{"a GET signed with a body's hash", func() *http.Request {
			r := term.request(t, http.MethodGet, srv.url+room.PathState, nil, false)
			term.sg.Sign(r, osync.BodyHash([]byte("x")))
			return r
		}, http.StatusUnauthorized, osync.RefusedBody},
		{"a body over 1 MiB", func() *http.Request {
			big := room.ChangesRequest{Envelopes: [][]byte{bytes.Repeat([]byte{1}, room.MaxBody)}}
			return term.request(t, http.MethodPost, srv.url+room.PathChanges, big, true)
		}, http.StatusRequestEntityTooLarge, osync.RefusedTooLarge},
		{"unknown fields", func() *http.Request {
			return term.request(t, http.MethodPost, srv.url+room.PathSignIn, map[string]string{"ticket": "1", "pin": "2"}, true)
		}, http.StatusBadRequest, osync.RefusedInput},
		{"a bad generation", func() *http.Request {
			return term.request(t, http.MethodGet, srv.url+room.PathState+"?after=-1", nil, true)
		}, http.StatusBadRequest, osync.RefusedInput},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := term.send(t, tc.req())
			if resp.StatusCode != tc.status || refusal(t, body) != tc.code {
				t.Fatalf("%s %s, want %d %s", resp.Status, body, tc.status, tc.code)
			}
			if resp.Header.Get("Date") == "" {
				t.Error("no Date")
			}
			if tc.status == http.StatusUnauthorized && !strings.Contains(resp.Header.Get("WWW-Authenticate"), `error="`+tc.code+`"`) {
				t.Errorf("WWW-Authenticate %q", resp.Header.Get("WWW-Authenticate"))
			}
		})
	}

	t.Run("replayed", func(t *testing.T) {
		req := term.request(t, http.MethodGet, srv.url+room.PathState, nil, true)
		copyOf := req.Clone(context.Background())
		if resp, body := term.send(t, req); resp.StatusCode != http.StatusOK {
			t.Fatalf("first: %s %s", resp.Status, body)
		}
		var heard int64
		if heardOf != nil {
			heard = heardOf()
		}
		resp, body := term.send(t, copyOf)
		if resp.StatusCode != http.StatusUnauthorized || refusal(t, body) != osync.RefusedReplayed {
			t.Fatalf("the same request again: %s %s, want 401 replayed", resp.Status, body)
		}
		if heardOf != nil && heardOf() != heard {
			t.Error("a replayed request counted as the terminal heard")
		}
	})

	t.Run("revoked", func(t *testing.T) {
		revoke(term.id)
		resp, body := term.do(t, http.MethodGet, srv.url+room.PathState, nil, true)
		if resp.StatusCode != http.StatusForbidden || refusal(t, body) != osync.RefusedRevoked {
			t.Fatalf("%s %s, want 403 revoked", resp.Status, body)
		}
	})
}

// TestRestartRefusesWhatItForgot: a request the station answered before it
// restarted, sent again to the new process, is refused as replayed though
// the new process never saw its nonce.
func TestRestartRefusesWhatItForgot(t *testing.T) {
	f, srv, term := paired(t, Config{})
	req := term.request(t, http.MethodGet, srv.url+room.PathState, nil, true)
	again := req.Clone(context.Background())
	signed, err := strconv.ParseInt(req.Header.Get(osync.HeaderTime), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	if resp, body := term.send(t, req); resp.StatusCode != http.StatusOK {
		t.Fatalf("before the restart: %s %s", resp.Status, body)
	}
	if err := srv.stop(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Until(time.Unix(signed+1, 0))) // a restart in a later second than the signature
	restarted := serve(t, f, Config{Now: time.Now})
	if restarted.nonces.len() != 0 {
		t.Fatal("the new process remembers nonces")
	}
	again.URL.Host = strings.TrimPrefix(restarted.url, "https://")
	resp, body := term.send(t, again)
	if resp.StatusCode != http.StatusUnauthorized || refusal(t, body) != osync.RefusedReplayed {
		t.Fatalf("after the restart: %s %s, want 401 replayed", resp.Status, body)
	}
	// A request signed now, in the second it started, is answered.
	if resp, body := term.do(t, http.MethodGet, restarted.url+room.PathState, nil, true); resp.StatusCode != http.StatusOK {
		t.Fatalf("a fresh request after the restart: %s %s", resp.Status, body)
	}
}

func TestSiteErrorsAnswerWithTheirCodes(t *testing.T) {
	f, srv, term := paired(t, Config{})
	for _, tc := range []struct {
		err    error
		status int
		code   string
	}{
		{site.ErrUnknownTerminal, 401, osync.RefusedDevice},
		{site.ErrRevoked, 403, osync.RefusedRevoked},
		{site.ErrSeatCode, 403, room.RefusedSeatCode},
		{site.ErrElsewhere, 409, room.RefusedElsewhere},
		{site.ErrNotYours, 403, room.RefusedNotYours},
		{site.ErrNotStarted, 409, room.RefusedNotStarted},
		{site.ErrGap, 409, room.RefusedGap},
		{site.ErrEnded, 409, room.RefusedEnded},
		{&site.InputError{Key: "x"}, 400, osync.RefusedInput},
		{site.ErrNoSession, 404, osync.RefusedNotFound},
		{errors.New("disk on fire"), 500, ""},
	} {
		f.failWith(fmt.Errorf("wrapped: %w", tc.err))
		for _, r := range []struct {
			method, path string
			body         any
		}{
			{http.MethodPost, room.PathSignIn, room.SignInRequest{Ticket: "1", SeatCode: "123456"}},
			{http.MethodGet, room.PathPaper + "?session=S1&ticket=1", nil},
			{http.MethodPost, room.PathChanges, room.ChangesRequest{}},
		} {
			resp, body := term.do(t, r.method, srv.url+r.path, r.body, true)
			if resp.StatusCode != tc.status || refusal(t, body) != tc.code {
				t.Errorf("%v on %s: %s %s, want %d %q", tc.err, r.path, resp.Status, body, tc.status, tc.code)
			}
		}
	}
	f.failWith(nil)
	if resp, body := term.do(t, http.MethodPost, srv.url+room.PathSignIn, room.SignInRequest{Ticket: "1", SeatCode: "123456"}, true); resp.StatusCode != 200 {
		t.Fatalf("sign-in: %s %s", resp.Status, body)
	}
	if n := f.heardOf(); n < 31 {
		t.Errorf("heard %d times, want every authenticated request", n)
	}
}

func TestStateLongPoll(t *testing.T) {
	f, srv, term := paired(t, Config{})
	get := func(after string) (time.Duration, room.State) {
		t.Helper()
		u := srv.url + room.PathState
		if after != "" {
			u += "?after=" + after
		}
		start := time.Now()
		resp, body := term.do(t, http.MethodGet, u, nil, true)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("state: %s %s", resp.Status, body)
		}
		var st room.State
		if err := jsonUnmarshal(body, &st); err != nil {
			t.Fatal(err)
		}
		return time.Since(start), st
	}
	took, st := get("")
	if took > 500*time.Millisecond || st.Terminal.ID != term.id {
		t.Fatalf("first state took %s: %+v", took, st)
	}
	gen := strconv.FormatUint(st.Gen, 10)
	if took, _ := get(strconv.FormatUint(st.Gen+5, 10)); took > 500*time.Millisecond {
		t.Errorf("a stale generation took %s, want at once", took)
	}
	// Nothing changes: answered after room.Wait, unchanged.
	took, same := get(gen)
	if took < room.Wait-100*time.Millisecond || took > room.Wait+time.Second || same.Gen != st.Gen {
		t.Errorf("an unchanged state took %s (gen %d), want about %s", took, same.Gen, room.Wait)
	}
	// A change: answered within 100 ms of it.
	changed := make(chan time.Time, 1)
	go func() {
		time.Sleep(300 * time.Millisecond)
		changed <- time.Now()
		f.change()
	}()
	_, next := get(gen)
	late := time.Since(<-changed)
	t.Logf("unchanged state answered after %s; a change answered %s after it", took, late)
	if late > 100*time.Millisecond || next.Gen == st.Gen {
		t.Errorf("answered %s after the change with gen %d, want within 100 ms and a new gen", late, next.Gen)
	}
}

// jsonUnmarshal reads an answer strictly, as the station reads a request.
func jsonUnmarshal(b []byte, v any) error {
	return decode(&http.Request{Body: io.NopCloser(bytes.NewReader(b))}, v)
}

func TestServeStopsGracefully(t *testing.T) {
	_, srv, term := paired(t, Config{DataDir: t.TempDir()})
	resp, body := term.do(t, http.MethodGet, srv.url+room.PathState, nil, true)
	if resp.StatusCode != 200 {
		t.Fatal(resp.Status)
	}
	var st room.State
	jsonUnmarshal(body, &st)
	done := make(chan time.Duration, 1)
	go func() {
		start := time.Now()
		r, _ := term.do(t, http.MethodGet, srv.url+room.PathState+"?after="+strconv.FormatUint(st.Gen, 10), nil, true)
		if r.StatusCode != 200 {
			t.Errorf("a long poll open at shutdown: %s", r.Status)
		}
		done <- time.Since(start)
	}()
	time.Sleep(200 * time.Millisecond)
	if err := srv.stop(); err != nil {
		t.Fatalf("Serve: %v", err)
	}
	if took := <-done; took > time.Second {
		t.Errorf("the open long poll took %s to answer at shutdown", took)
	}
	if _, err := os.Stat(filepath.Join(srv.cfg.DataDir, ControlSocket)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("control socket left behind: %v", err)
	}
	if _, err := net.DialTimeout("tcp", srv.Addr().String(), time.Second); err == nil {
		t.Error("still listening")
	}
}

func TestTLS13Only(t *testing.T) {
	_, srv, _ := paired(t, Config{})
	for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS11} {
		c, err := tls.Dial("tcp", srv.Addr().String(), &tls.Config{InsecureSkipVerify: true, MaxVersion: v})
		if err == nil {
			c.Close()
			t.Errorf("a TLS %s client was served", tls.VersionName(v))
		}
	}
	c, err := tls.Dial("tcp", srv.Addr().String(), &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if st := c.ConnectionState(); st.Version != tls.VersionTLS13 || seal.SPKIHash(st.PeerCertificates[0]) != srv.SPKI() {
		t.Errorf("served %s with key %x", tls.VersionName(st.Version), seal.SPKIHash(st.PeerCertificates[0]))
	}
}

func TestControlSocket(t *testing.T) {
	dir := t.TempDir()
	f := newFakeSite(t)
	srv := serve(t, f, Config{DataDir: dir})
	fi, err := os.Stat(filepath.Join(dir, ControlSocket))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode()&os.ModeSocket == 0 || fi.Mode().Perm() != 0o600 {
		t.Errorf("control socket %s, want a socket of mode 0600", fi.Mode())
	}
	code, err := RequestPairingCode(context.Background(), dir, "R103", 2, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if code.Station != srv.Addr() || code.Pin != f.id.SPKI {
		t.Errorf("code %v", code)
	}
	for range 2 {
		term := newTerminal(t)
		if resp, pr, _ := term.pair(t, srv.url, code.Secret); resp.StatusCode != 200 || pr.Room != "R103" {
			t.Fatalf("pairing with the socket's code: %s %+v", resp.Status, pr)
		}
	}
	if _, err := RequestPairingCode(context.Background(), dir, "", 1, 0); !errors.Is(err, ErrPairingCode) || !strings.Contains(err.Error(), "room") {
		t.Errorf("a code without a room: %v", err)
	}
	srv.stop()
	if _, err := RequestPairingCode(context.Background(), dir, "R103", 1, 0); !errors.Is(err, ErrNoStation) {
		t.Errorf("with the station stopped: %v, want ErrNoStation", err)
	}
}

func TestAdvertisedAddress(t *testing.T) {
	tcp := func(s string) net.Addr { return net.TCPAddrFromAddrPort(netip.MustParseAddrPort(s)) }
	first := firstIPv4()
	for _, tc := range []struct {
		ln        net.Addr
		advertise netip.Addr
		want      netip.AddrPort
	}{
		{tcp("127.0.0.1:7443"), netip.Addr{}, netip.MustParseAddrPort("127.0.0.1:7443")},
		{tcp("192.0.2.9:7443"), netip.Addr{}, netip.MustParseAddrPort("192.0.2.9:7443")},
		{tcp("0.0.0.0:7443"), netip.Addr{}, netip.AddrPortFrom(first, 7443)},
		{tcp("[::]:7443"), netip.Addr{}, netip.AddrPortFrom(first, 7443)},
		{tcp("0.0.0.0:7443"), netip.MustParseAddr("10.1.2.3"), netip.MustParseAddrPort("10.1.2.3:7443")},
	} {
		got, err := reachable(tc.ln, tc.advertise)
		if err != nil || got != tc.want {
			t.Errorf("reachable(%v, %v) = %v, %v; want %v", tc.ln, tc.advertise, got, err, tc.want)
		}
	}
	if first.IsLoopback() {
		t.Log("this machine has no non-loopback IPv4 address: codes carry 127.0.0.1")
	} else if !first.Is4() {
		t.Errorf("first address %v is not IPv4", first)
	}
}

// FuzzPair: a pairing request from anyone on the room's network is
// refused or answered, never a crash or a 500.
func FuzzPair(f *testing.F) {
	fs := newFakeSite(f)
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	defer ln.Close()
	s, err := newServer(context.Background(), fs, ln, Config{})
	if err != nil {
		f.Fatal(err)
	}
	k, _ := seal.GenerateDeviceKey()
	f.Add([]byte(`{"key":"` + base64.StdEncoding.EncodeToString(k.Public().Marshal()) + `","name":"PC","proof":"AAAA"}`))
	f.Add([]byte(`{"key":1}`))
	h := s.Handler()
	f.Fuzz(func(t *testing.T, body []byte) {
		rec := httptest.NewRecorder()
		req, _ := http.NewRequest(http.MethodPost, room.PathPair, bytes.NewReader(body))
		req.RemoteAddr = "192.0.2.1:5000"
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusBadRequest && rec.Code != http.StatusForbidden && rec.Code != http.StatusTooManyRequests {
			t.Fatalf("%q: %d", body, rec.Code)
		}
	})
}

// TestServeAnnounces: a station told to announce itself is heard by mDNS
// with its address and pin while it serves, and no longer once it stopped.
func TestServeAnnounces(t *testing.T) {
	f := newFakeSite(t)
	srv := serve(t, f, Config{Announce: true, Room: "A101"})
	var found []discover.Station
	var err error
	for try := 0; try < 5 && len(found) == 0; try++ {
		if found, err = discover.Browse(context.Background(), 500*time.Millisecond); err != nil {
			t.Fatal(err)
		}
		found = slices.DeleteFunc(found, func(st discover.Station) bool { return st.Pin != srv.SPKI() })
	}
	if len(found) != 1 || found[0].Addr != srv.Addr() || found[0].Room != "A101" || found[0].Site != "S01" {
		t.Fatalf("heard %+v, want the station at %v", found, srv.Addr())
	}
	if err := srv.stop(); err != nil {
		t.Fatal(err)
	}
	found, err = discover.Browse(context.Background(), 300*time.Millisecond)
	if err != nil || slices.ContainsFunc(found, func(st discover.Station) bool { return st.Pin == srv.SPKI() }) {
		t.Fatalf("after the stop: %+v %v", found, err)
	}
}

package station

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"onex/client/room"
	"onex/client/site"
	"onex/exam"
	"onex/exam/seal"
	"onex/server/servertest"
	osync "onex/sync"
)

const (
	ticketA = "2026WEB010001"
	ticketB = "2026WEB010002"
)

// realStation is a site enrolled with a real central, the sample session
// downloaded, and its room server on loopback.
type realStation struct {
	central *servertest.Central
	cfg     site.Config
	site    *site.Site
	session string
	srv     *running
}

func newRealStation(t *testing.T) *realStation {
	t.Helper()
	ctx := context.Background()
	c := servertest.New(t)
	cfg := site.Config{Dir: t.TempDir(), Passphrase: "site passphrase for tests", Log: slog.New(slog.DiscardHandler),
		HTTP: osync.NewClient(osync.RetryPolicy{Retries: 2, WaitMin: 5 * time.Millisecond, WaitMax: 20 * time.Millisecond, Timeout: 10 * time.Second}, nil)}
	s, err := site.Enrol(ctx, cfg, site.EnrolOptions{ServerURL: c.URL, Code: c.EnrolCode(t), DeviceName: "A101 主机"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := s.Download(ctx, nil); err != nil {
		t.Fatal(err)
	}
	rs := &realStation{central: c, cfg: cfg, site: s, session: c.Session.ID}
	rs.srv = serve(t, s, Config{Now: time.Now, DataDir: cfg.Dir})
	// A request signed in the second the station started is refused as
	// replayed (PROTOCOL.md): the terminals of this test start after it.
	time.Sleep(time.Until(time.Unix(rs.srv.started+1, 0)))
	return rs
}

// pairNew pairs a new terminal of room A101 through the room server, with
// a code from the server or, viaSocket, from its control socket in the
// site's data directory (as onex-site pair-code asks while the store is
// locked by the server).
func (rs *realStation) pairNew(t *testing.T, viaSocket bool) *terminal {
	t.Helper()
	code, err := rs.srv.PairingCode("A101", 1, 0)
	if viaSocket {
		code, err = RequestPairingCode(context.Background(), rs.cfg.Dir, "A101", 1, 0)
	}
	if err != nil {
		t.Fatal(err)
	}
	term := newTerminal(t)
	if resp, _, body := term.pair(t, rs.srv.url, code.Secret); resp.StatusCode != http.StatusOK || term.pin != rs.srv.SPKI() {
		t.Fatalf("pairing: %s %s", resp.Status, body)
	}
	return term
}

func (rs *realStation) seatCode(t *testing.T, ticket string) string {
	t.Helper()
	if _, err := rs.site.CheckIn(context.Background(), rs.session, site.CheckInRequest{Ticket: ticket, Status: exam.Present, Confirmed: true}); err != nil {
		t.Fatal(err)
	}
	cs, err := rs.site.Find(context.Background(), rs.session, ticket)
	if err != nil || len(cs) != 1 || cs[0].SeatCode == "" {
		t.Fatalf("find %s: %+v %v", ticket, cs, err)
	}
	return cs[0].SeatCode
}

// call sends a signed request and decodes a 200 answer into v, or returns
// the refusal's status and code.
func (term *terminal) call(t *testing.T, method, u string, body, v any) (int, string) {
	t.Helper()
	resp, b := term.do(t, method, u, body, true)
	if resp.StatusCode != http.StatusOK {
		return resp.StatusCode, refusal(t, b)
	}
	if v != nil {
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatalf("%s %s: %v", method, u, err)
		}
	}
	return resp.StatusCode, ""
}

// change seals the terminal's next change to the station's record key.
func (term *terminal) change(t *testing.T, stationKey *seal.CentralPublicKey, seq uint64, prev seal.Hash, c room.Change) *seal.Envelope {
	t.Helper()
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	env, err := seal.SealRecord(term.key, stationKey, seal.Header{DeviceID: term.id, Epoch: 1, Seq: seq, Prev: prev, Kind: room.KindChange, Created: time.Now()}, b)
	if err != nil {
		t.Fatal(err)
	}
	return env
}

// TestEndToEndOverTheRealSite runs a candidate through the room server over
// the real station logic (client/site) and a real central: pairing,
// sign-in with the seat code, the paper only for the candidate bound to
// the terminal and only once the room started (the long poll carrying the
// start), changes acknowledged after their commit, and revocation.
func TestEndToEndOverTheRealSite(t *testing.T) {
	ctx := context.Background()
	rs := newRealStation(t)
	id, err := rs.site.RoomIdentity(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if id.SPKI != rs.srv.SPKI() {
		t.Fatal("the server does not serve the site's room identity")
	}
	one, two := rs.pairNew(t, false), rs.pairNew(t, true)
	codeA := rs.seatCode(t, ticketA)
	rs.seatCode(t, ticketB)

	var st room.State
	if status, code := one.call(t, http.MethodGet, rs.srv.url+room.PathState, nil, &st); status != 200 || st.Terminal.ID != one.id || st.Candidate != nil {
		t.Fatalf("state before sign-in: %d %s %+v", status, code, st)
	}

	// Sign-in: a wrong seat code, then the right one; it works once.
	wrong := "000000"
	if codeA == wrong {
		wrong = "111111"
	}
	if status, code := one.call(t, http.MethodPost, rs.srv.url+room.PathSignIn, room.SignInRequest{Ticket: ticketA, SeatCode: wrong}, nil); status != 403 || code != room.RefusedSeatCode {
		t.Fatalf("a wrong seat code: %d %s", status, code)
	}
	var cand room.Candidate
	if status, code := one.call(t, http.MethodPost, rs.srv.url+room.PathSignIn, room.SignInRequest{Ticket: ticketA, SeatCode: codeA}, &cand); status != 200 || cand.Ticket != ticketA || cand.SessionID != rs.session || cand.Started {
		t.Fatalf("sign-in: %d %s %+v", status, code, cand)
	}
	if status, code := two.call(t, http.MethodPost, rs.srv.url+room.PathSignIn, room.SignInRequest{Ticket: ticketA, SeatCode: codeA}, nil); status == 200 {
		t.Fatalf("the same seat code on another terminal: %d %s", status, code)
	}

	query := "?" + url.Values{"session": {rs.session}, "ticket": {ticketA}}.Encode()
	paper := rs.srv.url + room.PathPaper + query
	if status, code := one.call(t, http.MethodGet, paper, nil, nil); status != 409 || code != room.RefusedNotStarted {
		t.Fatalf("the paper before the start: %d %s", status, code)
	}
	if status, code := two.call(t, http.MethodGet, paper, nil, nil); status != 403 || code != room.RefusedNotYours {
		t.Fatalf("the paper on another terminal: %d %s", status, code)
	}

	// The long poll carries the start.
	if status, code := one.call(t, http.MethodGet, rs.srv.url+room.PathState, nil, &st); status != 200 || st.Candidate == nil || st.Candidate.Started {
		t.Fatalf("state after sign-in: %d %s %+v", status, code, st)
	}
	type polled struct {
		st   room.State
		at   time.Time
		code string
	}
	poll := make(chan polled, 1)
	go func() {
		var p polled
		_, p.code = one.call(t, http.MethodGet, rs.srv.url+room.PathState+"?after="+strconv.FormatUint(st.Gen, 10), nil, &p.st)
		p.at = time.Now()
		poll <- p
	}()
	time.Sleep(200 * time.Millisecond)
	rs.central.Release()
	if err := rs.site.Release(ctx, rs.session); err != nil {
		t.Fatal(err)
	}
	if err := rs.site.StartRoom(ctx, rs.session, "张监考"); err != nil {
		t.Fatal(err)
	}
	started := time.Now()
	p := <-poll
	t.Logf("the long poll answered %s after StartRoom returned", p.at.Sub(started))
	if p.code != "" || p.st.Gen == st.Gen || p.st.Candidate == nil || !p.st.Candidate.Started {
		t.Fatalf("the long poll at the start: %s %+v", p.code, p.st)
	}
	if late := p.at.Sub(started); late > 100*time.Millisecond {
		t.Errorf("the long poll answered %s after the start, want within 100 ms", late)
	}

	var view exam.View
	if status, code := one.call(t, http.MethodGet, paper, nil, &view); status != 200 || view.Ticket != ticketA || len(view.Items()) == 0 {
		t.Fatalf("the paper after the start: %d %s", status, code)
	}
	if status, code := two.call(t, http.MethodGet, paper, nil, nil); status != 403 || code != room.RefusedNotYours {
		t.Fatalf("the paper on another terminal after the start: %d %s", status, code)
	}
	var item *exam.ViewItem
	for _, it := range view.Items() {
		if len(it.Options) > 0 && it.Type == exam.Single {
			item = it
			break
		}
	}
	if item == nil {
		t.Fatal("the sample paper has no single-choice item")
	}

	// A change, acknowledged after its commit; the same again is a duplicate;
	// one after a gap is refused whole.
	answer := exam.Answer{Choices: []string{item.Options[0].ID}}
	env := one.change(t, id.RecordKey, 1, seal.Hash{}, room.Change{SessionID: rs.session, Ticket: ticketA, Op: room.OpSave, ItemID: item.ID, Answer: answer, Used: time.Minute})
	var cr room.ChangesResponse
	if status, code := one.call(t, http.MethodPost, rs.srv.url+room.PathChanges, room.ChangesRequest{Envelopes: [][]byte{env.Bytes}}, &cr); status != 200 ||
		cr.Acked != 1 || cr.AckedHash != env.Hash || len(cr.Results) != 1 || cr.Results[0].Outcome != room.Applied {
		t.Fatalf("a change: %d %s %+v", status, code, cr)
	}
	if status, _ := one.call(t, http.MethodPost, rs.srv.url+room.PathChanges, room.ChangesRequest{Envelopes: [][]byte{env.Bytes}}, &cr); status != 200 || cr.Results[0].Outcome != room.Duplicate {
		t.Fatalf("the change again: %d %+v", status, cr)
	}
	gap := one.change(t, id.RecordKey, 3, env.Hash, room.Change{SessionID: rs.session, Ticket: ticketA, Op: room.OpFlag, ItemID: item.ID, Flagged: true, Used: time.Minute})
	if status, code := one.call(t, http.MethodPost, rs.srv.url+room.PathChanges, room.ChangesRequest{Envelopes: [][]byte{gap.Bytes}}, nil); status != 409 || code != room.RefusedGap {
		t.Fatalf("a change after a gap: %d %s", status, code)
	}

	// Committed: the station, restarted on its store, holds the answer.
	if err := rs.srv.stop(); err != nil {
		t.Fatal(err)
	}
	if err := rs.site.Close(); err != nil {
		t.Fatal(err)
	}
	reopened, err := site.Open(ctx, rs.cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { reopened.Close() })
	rs.site = reopened
	rs.srv = serve(t, reopened, Config{Now: time.Now})
	time.Sleep(time.Until(time.Unix(rs.srv.started+1, 0)))
	paper = rs.srv.url + room.PathPaper + query
	if got, _ := reopened.TerminalByID(ctx, one.id); got.Acked != 1 || got.AckedHash != env.Hash {
		t.Errorf("after the restart the terminal's chain is at %d %x, want 1", got.Acked, got.AckedHash)
	}
	if status, code := one.call(t, http.MethodGet, paper, nil, &view); status != 200 {
		t.Fatalf("the paper after the restart: %d %s", status, code)
	}
	for _, it := range view.Items() {
		if it.ID == item.ID && (!it.Answered || len(it.Answer.Choices) != 1 || it.Answer.Choices[0] != answer.Choices[0]) {
			t.Errorf("after the restart item %s holds %+v, want %+v", it.ID, it.Answer, answer)
		}
	}

	// Revoked: refused from then on.
	if err := reopened.RevokeTerminal(ctx, one.id, "张监考", "frozen"); err != nil {
		t.Fatal(err)
	}
	if status, code := one.call(t, http.MethodGet, rs.srv.url+room.PathState, nil, nil); status != 403 || code != osync.RefusedRevoked {
		t.Fatalf("a revoked terminal: %d %s", status, code)
	}
}

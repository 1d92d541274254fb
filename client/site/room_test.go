package site_test

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"testing"
	"time"

	roomwire "onex/client/room"
	"onex/client/site"
	"onex/client/store"
	"onex/exam"
	"onex/exam/seal"

	"pgregory.net/rapid"
)

const (
	ticketA = "2026WEB010001"
	ticketB = "2026WEB010002"
	ticketC = "2026WEB010003"
)

// terminal is an exam computer as the station sees it: its own key, the
// station's record key, and its chain of changes, sealed with
// seal.SealRecord as client/terminal seals them.
type terminal struct {
	t       testing.TB
	id      string
	key     *seal.DeviceKey
	station *seal.CentralPublicKey
	seq     uint64
	prev    seal.Hash
}

// pair pairs a new terminal for room (empty: every room) with the rig's site.
func (r *rig) pair(room, seat string) *terminal {
	r.t.Helper()
	ctx := context.Background()
	id, err := r.s.RoomIdentity(ctx)
	if err != nil {
		r.t.Fatal(err)
	}
	key, err := seal.GenerateDeviceKey()
	if err != nil {
		r.t.Fatal(err)
	}
	got, err := r.s.PairTerminal(ctx, room, key.Public(), "考场终端 "+seat, seat)
	if err != nil {
		r.t.Fatal(err)
	}
	return &terminal{t: r.t, id: got.ID, key: key, station: id.RecordKey}
}

// seal seals the terminal's next change.
func (tm *terminal) seal(c roomwire.Change) []byte {
	tm.t.Helper()
	b, err := json.Marshal(c)
	if err != nil {
		tm.t.Fatal(err)
	}
	env, err := seal.SealRecord(tm.key, tm.station, seal.Header{DeviceID: tm.id, Epoch: 1, Seq: tm.seq + 1, Prev: tm.prev, Kind: roomwire.KindChange, Created: time.Now()}, b)
	if err != nil {
		tm.t.Fatal(err)
	}
	tm.seq, tm.prev = env.Header.Seq, env.Hash
	return env.Bytes
}

func save(session, ticket, item, text string, used time.Duration) roomwire.Change {
	return roomwire.Change{SessionID: session, Ticket: ticket, Op: roomwire.OpSave, ItemID: item, Answer: exam.Answer{Text: text}, Used: used}
}

// seatCode is the live seat code of a candidate, as the check-in screen shows it.
func (r *rig) seatCode(ticket string) string {
	r.t.Helper()
	cs, err := r.s.Find(context.Background(), r.session, ticket)
	if err != nil || len(cs) != 1 {
		r.t.Fatalf("find %s: %v %v", ticket, cs, err)
	}
	return cs[0].SeatCode
}

// signedIn checks a candidate in, releases and starts the room if asked,
// and signs the candidate in on a new terminal.
func (r *rig) signedIn(ticket string) *terminal {
	r.t.Helper()
	r.checkIn(ticket)
	tm := r.pair("", "")
	if _, err := r.s.SignIn(context.Background(), tm.id, ticket, r.seatCode(ticket)); err != nil {
		r.t.Fatal(err)
	}
	return tm
}

func outcomes(res roomwire.ChangesResponse) []string {
	var out []string
	for _, x := range res.Results {
		s := fmt.Sprintf("%d %s", x.Seq, x.Outcome)
		if x.Code != "" {
			s += " " + x.Code
		}
		out = append(out, s)
	}
	return out
}

func closed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

func TestRoomIdentity(t *testing.T) {
	ctx := context.Background()
	r := newRig(t)
	a, err := r.s.RoomIdentity(ctx)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(a.Certificate.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	if leaf.Subject.CommonName != "OneX station "+a.Site || a.Site == "" || seal.SPKIHash(leaf) != a.SPKI || !a.RecordKey.Hybrid() {
		t.Fatalf("identity: CN %q, site %q, hybrid %v", leaf.Subject.CommonName, a.Site, a.RecordKey.Hybrid())
	}
	if err := leaf.CheckSignature(leaf.SignatureAlgorithm, leaf.RawTBSCertificate, leaf.Signature); err != nil {
		t.Fatalf("not self-signed: %v", err)
	}
	// The keys stay while the store lives; the certificate is made afresh.
	r.reopen()
	b, err := r.s.RoomIdentity(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if b.SPKI != a.SPKI || string(b.RecordKey.Marshal()) != string(a.RecordKey.Marshal()) {
		t.Fatal("the room identity changed over a restart")
	}
}

func TestPairingAndRevocation(t *testing.T) {
	ctx := context.Background()
	r := newRig(t)
	tm := r.pair("A101", "05")
	if !regexp.MustCompile(`^T-[0-9A-HJKMNP-TV-Z]{8}$`).MatchString(tm.id) {
		t.Fatalf("terminal id %q", tm.id)
	}
	got, err := r.s.TerminalByID(ctx, tm.id)
	if err != nil || got.Room != "A101" || got.Seat != "05" || got.Key.Fingerprint() != tm.key.Public().Fingerprint() || !got.Revoked.IsZero() {
		t.Fatalf("terminal %+v, %v", got, err)
	}
	if _, err := r.s.TerminalByID(ctx, "T-NOSUCH00"); !errors.Is(err, site.ErrUnknownTerminal) {
		t.Fatalf("unknown terminal: %v", err)
	}
	for _, bad := range []struct{ name, seat string }{{"", "1"}, {"a\nb", "1"}, {"ok", string(make([]byte, 40))}} {
		if _, err := r.s.PairTerminal(ctx, "", tm.key.Public(), bad.name, bad.seat); !errors.Is(err, site.ErrInput) {
			t.Errorf("pair %q %q: %v", bad.name, bad.seat, err)
		}
	}
	st, err := r.s.Terminals(ctx)
	if err != nil || len(st) != 1 || !st[0].Silent || st[0].Candidate != nil {
		t.Fatalf("console before any word: %+v, %v", st, err)
	}
	r.s.Heard(tm.id)
	if st, _ = r.s.Terminals(ctx); st[0].Silent || st[0].LastHeard.IsZero() {
		t.Fatalf("console after a word: %+v", st)
	}
	r.clock.Add(roomwire.Silent + time.Second)
	if st, _ = r.s.Terminals(ctx); !st[0].Silent {
		t.Fatalf("console after %v of silence: %+v", roomwire.Silent, st)
	}

	// A terminal serving a candidate is revoked: refused from then on, the
	// watchers woken, an incident noted for the candidate.
	r.checkIn(ticketA)
	if _, err := r.s.SignIn(ctx, tm.id, ticketA, r.seatCode(ticketA)); err != nil {
		t.Fatal(err)
	}
	watch := r.s.Watch()
	if err := r.s.RevokeTerminal(ctx, tm.id, "张监考", "终端死机"); err != nil {
		t.Fatal(err)
	}
	if !closed(watch) {
		t.Fatal("revocation did not wake the watchers")
	}
	if _, err := r.s.RoomState(ctx, tm.id); !errors.Is(err, site.ErrRevoked) {
		t.Fatalf("state of a revoked terminal: %v", err)
	}
	if _, err := r.s.ApplyChanges(ctx, tm.id, [][]byte{tm.seal(save(r.session, ticketA, "q8", "x", 0))}); !errors.Is(err, site.ErrRevoked) {
		t.Fatalf("changes of a revoked terminal: %v", err)
	}
	if _, err := r.s.SignIn(ctx, tm.id, ticketA, "000000"); !errors.Is(err, site.ErrRevoked) {
		t.Fatalf("sign-in on a revoked terminal: %v", err)
	}
	if _, err := r.s.TerminalView(ctx, tm.id, r.session, ticketA); !errors.Is(err, site.ErrRevoked) {
		t.Fatalf("paper on a revoked terminal: %v", err)
	}
	if got, _ = r.s.TerminalByID(ctx, tm.id); got.Revoked.IsZero() {
		t.Fatal("TerminalByID does not say revoked")
	}
	if st, _ = r.s.Terminals(ctx); st[0].Silent || st[0].Candidate != nil {
		t.Fatalf("console of a revoked terminal: %+v", st[0])
	}
	ins, err := r.s.Incidents(ctx, r.session)
	if err != nil || !slices.ContainsFunc(ins, func(in store.Incident) bool {
		return in.Type == site.IncidentTerminalRevoked && in.Ticket == ticketA
	}) {
		t.Fatalf("incidents %+v, %v", ins, err)
	}
	// Revoked survives a restart.
	r.reopen()
	if _, err := r.s.RoomState(ctx, tm.id); !errors.Is(err, site.ErrRevoked) {
		t.Fatalf("state of a revoked terminal after a restart: %v", err)
	}
}

func TestSeatCodes(t *testing.T) {
	ctx := context.Background()
	r := newRig(t)
	if c := r.seatCode(ticketA); c != "" {
		t.Fatalf("a seat code before check-in: %q", c)
	}
	got, err := r.s.CheckIn(ctx, r.session, site.CheckInRequest{Ticket: ticketA, Status: exam.Present, Confirmed: true})
	if err != nil {
		t.Fatal(err)
	}
	code := got.SeatCode
	if !regexp.MustCompile(`^[0-9]{6}$`).MatchString(code) || r.seatCode(ticketA) != code {
		t.Fatalf("seat code %q at check-in, %q in Find", code, r.seatCode(ticketA))
	}
	// Checked in again (another seat): the code stays.
	if got, err = r.s.CheckIn(ctx, r.session, site.CheckInRequest{Ticket: ticketA, Status: exam.Present, Confirmed: true, Seat: "07"}); err != nil || got.SeatCode != code {
		t.Fatalf("check-in again: code %q, %v", got.SeatCode, err)
	}
	r.checkIn(ticketB)
	if _, err := r.s.CheckIn(ctx, r.session, site.CheckInRequest{Ticket: ticketC, Status: exam.Absent}); err != nil {
		t.Fatal(err)
	}
	wrong := fmt.Sprintf("%06d", (atoi(code)+1)%1_000_000)
	tm := r.pair("", "07")
	other := r.pair("B202", "07") // another room's terminal
	for _, tc := range []struct {
		name, term, ticket, code string
		want                     error
	}{
		{"another room's terminal", other.id, ticketA, code, site.ErrSeatCode},
		{"not on any roster", tm.id, "2026WEB999999", code, site.ErrSeatCode},
		{"absent", tm.id, ticketC, code, site.ErrNotCheckedIn},
		{"not checked in", tm.id, "2026WEB010004", code, site.ErrNotCheckedIn},
		{"someone else's code", tm.id, ticketB, code, site.ErrSeatCode},
		{"unknown terminal", "T-00000000", ticketA, code, site.ErrUnknownTerminal},
	} {
		if _, err := r.s.SignIn(ctx, tc.term, tc.ticket, tc.code); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	// Four wrong codes leave the code working; the fifth voids it.
	for i := range 4 {
		if _, err := r.s.SignIn(ctx, tm.id, ticketA, wrong); !errors.Is(err, site.ErrSeatCode) {
			t.Fatalf("wrong code %d: %v", i+1, err)
		}
	}
	c, err := r.s.SignIn(ctx, tm.id, ticketA, " "+code+" ")
	if err != nil || c.Ticket != ticketA || c.Seat != "07" || c.Started || c.Items != 0 {
		t.Fatalf("sign-in after four wrong codes: %+v, %v", c, err)
	}
	// The code worked once.
	if r.seatCode(ticketA) != "" {
		t.Fatal("the seat code is still shown after it was used")
	}
	if _, err := r.s.SignIn(ctx, tm.id, ticketA, code); !errors.Is(err, site.ErrSeatCode) {
		t.Fatalf("the code used twice: %v", err)
	}
	codeB := r.seatCode(ticketB)
	tmB := r.pair("", "08")
	for i := range 5 {
		if _, err := r.s.SignIn(ctx, tmB.id, ticketB, fmt.Sprintf("%06d", (atoi(codeB)+1+i)%1_000_000)); !errors.Is(err, site.ErrSeatCode) {
			t.Fatalf("wrong code %d: %v", i+1, err)
		}
	}
	if _, err := r.s.SignIn(ctx, tmB.id, ticketB, codeB); !errors.Is(err, site.ErrSeatCode) {
		t.Fatalf("the right code after five wrong: %v", err)
	}
	if r.seatCode(ticketB) != "" {
		t.Fatal("a voided code is still shown")
	}
	// The proctor issues another: it works, and survives a restart.
	if _, err := r.s.NewSeatCode(ctx, r.session, ticketC, "张监考"); !errors.Is(err, site.ErrNotCheckedIn) {
		t.Fatalf("a seat code for an absent candidate: %v", err)
	}
	codeB, err = r.s.NewSeatCode(ctx, r.session, ticketB, "张监考")
	if err != nil || codeB == "" {
		t.Fatal(err)
	}
	r.reopen()
	if _, err := r.s.SignIn(ctx, tmB.id, ticketB, codeB); err != nil {
		t.Fatalf("a new code after voiding: %v", err)
	}
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}

func TestOneTerminalPerCandidate(t *testing.T) {
	ctx := context.Background()
	r := newRig(t)
	r.checkIn(ticketA)
	r.checkIn(ticketB)
	t1, t2 := r.pair("", "01"), r.pair("", "02")
	if _, err := r.s.SignIn(ctx, t1.id, ticketA, r.seatCode(ticketA)); err != nil {
		t.Fatal(err)
	}
	// A's new code (a lost slip) does not sign A in on a second terminal.
	code, err := r.s.NewSeatCode(ctx, r.session, ticketA, "张监考")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.s.SignIn(ctx, t2.id, ticketA, code); !errors.Is(err, site.ErrElsewhere) {
		t.Fatalf("a second terminal: %v", err)
	}
	// Nor does B take A's terminal while A answers.
	if _, err := r.s.SignIn(ctx, t1.id, ticketB, r.seatCode(ticketB)); !errors.Is(err, site.ErrElsewhere) {
		t.Fatalf("another candidate on a busy terminal: %v", err)
	}
	st, err := r.s.RoomState(ctx, t1.id)
	if err != nil || st.Candidate == nil || st.Candidate.Ticket != ticketA || st.Terminal.ID != t1.id {
		t.Fatalf("state of t1: %+v, %v", st, err)
	}
	if st, err = r.s.RoomState(ctx, t2.id); err != nil || st.Candidate != nil {
		t.Fatalf("state of t2: %+v, %v", st, err)
	}
	// The paper only for the candidate signed in, only once started.
	if _, err := r.s.TerminalView(ctx, t1.id, r.session, ticketA); !errors.Is(err, site.ErrNotStarted) {
		t.Fatalf("paper before the start: %v", err)
	}
	r.started()
	if _, err := r.s.TerminalView(ctx, t2.id, r.session, ticketA); !errors.Is(err, site.ErrNotYours) {
		t.Fatalf("A's paper on t2: %v", err)
	}
	if _, err := r.s.TerminalView(ctx, t1.id, r.session, ticketB); !errors.Is(err, site.ErrNotYours) {
		t.Fatalf("B's paper on A's terminal: %v", err)
	}
	v, err := r.s.TerminalView(ctx, t1.id, r.session, ticketA)
	if err != nil || v.Ticket != ticketA || len(v.Sections) == 0 {
		t.Fatalf("A's paper: %v", err)
	}
	if st, err = r.s.RoomState(ctx, t1.id); err != nil || !st.Candidate.Started || st.Candidate.Items == 0 || st.Candidate.Remaining <= 0 {
		t.Fatalf("state after the start: %+v, %v", st.Candidate, err)
	}
	// Signed in after the start, B begins at once.
	if _, err := r.s.SignIn(ctx, t2.id, ticketB, r.seatCode(ticketB)); err != nil {
		t.Fatal(err)
	}
	if cs, _ := r.s.Find(ctx, r.session, ticketB); !cs[0].Begun {
		t.Fatal("B signed in after the start has not begun")
	}
}

// roomRig is a started room with candidate A signed in on a terminal.
func roomRig(t *testing.T) (*rig, *terminal) {
	r := newRig(t)
	tm := r.signedIn(ticketA)
	r.started()
	if _, err := r.s.TerminalView(context.Background(), tm.id, r.session, ticketA); err != nil {
		t.Fatal(err)
	}
	return r, tm
}

func TestApplyChangesExactlyOnce(t *testing.T) {
	ctx := context.Background()
	r, tm := roomRig(t)
	apply := func(envs ...[]byte) (roomwire.ChangesResponse, error) {
		return r.s.ApplyChanges(ctx, tm.id, envs)
	}
	e1 := tm.seal(save(r.session, ticketA, "q8", "一", time.Minute))
	e2 := tm.seal(roomwire.Change{SessionID: r.session, Ticket: ticketA, Op: roomwire.OpFlag, ItemID: "q8", Flagged: true, Used: time.Minute})
	watch := r.s.Watch()
	res, err := apply(e1, e2)
	if err != nil || res.Acked != 2 || res.AckedHash != tm.prev || !slices.Equal(outcomes(res), []string{"1 applied", "2 applied"}) {
		t.Fatalf("first two: %v %+v, %v", outcomes(res), res, err)
	}
	if res.State.Acked != 2 || res.State.Candidate == nil || res.State.Candidate.Answered != 1 {
		t.Fatalf("state in the answer: %+v", res.State)
	}
	if closed(watch) {
		t.Fatal("saving an answer woke the watchers")
	}
	// A retry whose answer was lost, and a replay of an old envelope.
	if res, err = apply(e1, e2); err != nil || !slices.Equal(outcomes(res), []string{"1 duplicate", "2 duplicate"}) || res.Acked != 2 {
		t.Fatalf("again: %v, %v", outcomes(res), err)
	}
	if res, err = apply(e2); err != nil || !slices.Equal(outcomes(res), []string{"2 duplicate"}) {
		t.Fatalf("replay: %v, %v", outcomes(res), err)
	}
	// A gap commits nothing, not even the change before it in the request.
	e3 := tm.seal(save(r.session, ticketA, "q8", "三", time.Minute))
	e4 := tm.seal(save(r.session, ticketA, "q8", "四", time.Minute))
	e5 := tm.seal(save(r.session, ticketA, "q8", "五", time.Minute))
	for _, envs := range [][][]byte{{e4}, {e3, e5}, {e2, e4, e3}} {
		if _, err := apply(envs...); !errors.Is(err, site.ErrGap) {
			t.Fatalf("gap: %v", err)
		}
	}
	if got, _ := r.s.Answers(ctx, r.session, ticketA); got["q8"].Text != "一" {
		t.Fatalf("after gaps q8 = %q", got["q8"].Text)
	}
	if got, _ := r.s.TerminalByID(ctx, tm.id); got.Acked != 2 {
		t.Fatalf("acked %d after gaps", got.Acked)
	}
	// A forged envelope (another key under this terminal's id) is refused
	// whole; one with the right key but another device id too.
	forger := &terminal{t: t, id: tm.id, station: tm.station, seq: tm.seq, prev: tm.prev}
	forger.key, _ = seal.GenerateDeviceKey()
	if _, err := apply(e3, e4, e5, forger.seal(save(r.session, ticketA, "q8", "伪", time.Minute))); !errors.Is(err, site.ErrInput) || !errors.Is(err, seal.ErrWrongDevice) {
		t.Fatalf("forged: %v", err)
	}
	alias := &terminal{t: t, id: "T-OTHER000", key: tm.key, station: tm.station, seq: tm.seq, prev: tm.prev}
	if _, err := apply(alias.seal(save(r.session, ticketA, "q8", "伪", time.Minute))); !errors.Is(err, site.ErrInput) {
		t.Fatalf("another device id: %v", err)
	}
	if got, _ := r.s.Answers(ctx, r.session, ticketA); got["q8"].Text != "一" {
		t.Fatalf("after forgeries q8 = %q", got["q8"].Text)
	}
	// Another candidate's ticket, an item not in the paper, a bad answer:
	// refused, and the chain moves past them.
	r.checkIn(ticketB)
	e6 := tm.seal(save(r.session, ticketB, "q8", "别人", time.Minute))
	e7 := tm.seal(save(r.session, ticketA, "q99", "x", time.Minute))
	e8 := tm.seal(roomwire.Change{SessionID: r.session, Ticket: ticketA, Op: roomwire.OpSave, ItemID: "q1", Answer: exam.Answer{Choices: []string{"z"}}, Used: time.Minute})
	e9 := tm.seal(roomwire.Change{SessionID: r.session, Ticket: ticketA, Op: "erase", Used: time.Minute})
	res, err = apply(e3, e4, e5, e6, e7, e8, e9)
	want := []string{"3 applied", "4 applied", "5 applied", "6 refused not_yours", "7 refused input", "8 refused input", "9 refused input"}
	if err != nil || !slices.Equal(outcomes(res), want) || res.Acked != 9 {
		t.Fatalf("mixed: %v, %v", outcomes(res), err)
	}
	if got, _ := r.s.Answers(ctx, r.session, ticketB); len(got) != 0 {
		t.Fatalf("B's answers from A's terminal: %v", got)
	}
	// The submission wakes the watchers; a change after it is refused and
	// chained.
	watch = r.s.Watch()
	e10 := tm.seal(roomwire.Change{SessionID: r.session, Ticket: ticketA, Op: roomwire.OpSubmit, Used: 2 * time.Minute})
	e11 := tm.seal(save(r.session, ticketA, "q8", "交卷后", 2*time.Minute))
	res, err = apply(e10, e11)
	if err != nil || !slices.Equal(outcomes(res), []string{"10 applied", "11 refused submitted"}) || res.Acked != 11 {
		t.Fatalf("submission: %v, %v", outcomes(res), err)
	}
	if !closed(watch) || !res.State.Candidate.Submitted || res.State.Candidate.Forced || res.State.Candidate.ReceiptCode == "" {
		t.Fatalf("after the submission: woken %v, %+v", closed(watch), res.State.Candidate)
	}
	if got, _ := r.s.Answers(ctx, r.session, ticketA); got["q8"].Text != "五" {
		t.Fatalf("q8 = %q, want 五", got["q8"].Text)
	}
	// The submission went to central with every answer.
	if _, err := r.s.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	for _, res := range r.central.Results(t) {
		if res.Ticket == ticketA && !res.Submitted {
			t.Fatal("A's submission not at central")
		}
	}

	// Kill and restart: the chain's place and the binding are kept.
	r.reopen()
	got, err := r.s.TerminalByID(ctx, tm.id)
	if err != nil || got.Acked != 11 || got.AckedHash != tm.prev {
		t.Fatalf("after a restart: %+v, %v", got, err)
	}
	st, err := r.s.RoomState(ctx, tm.id)
	if err != nil || st.Acked != 11 || st.AckedHash != tm.prev || st.Candidate == nil || st.Candidate.Ticket != ticketA || !st.Candidate.Submitted {
		t.Fatalf("state after a restart: %+v, %v", st, err)
	}
	if res, err = apply(e10, e11); err != nil || !slices.Equal(outcomes(res), []string{"10 duplicate", "11 duplicate"}) {
		t.Fatalf("after a restart: %v, %v", outcomes(res), err)
	}
	if res, err = apply(tm.seal(save(r.session, ticketA, "q8", "x", 3*time.Minute))); err != nil || !slices.Equal(outcomes(res), []string{"12 refused submitted"}) {
		t.Fatalf("the next after a restart: %v, %v", outcomes(res), err)
	}
}

func TestLateChange(t *testing.T) {
	ctx := context.Background()
	r, tm := roomRig(t)
	r.clock.Add(90*time.Minute + 30*time.Second) // the station says A's time is up
	for _, tc := range []struct {
		name string
		used time.Duration
		want string
	}{
		{"made in time, arrived late", 89*time.Minute + 59*time.Second, "applied"},
		{"made at the last instant", 90 * time.Minute, "applied"},
		{"made after the time", 90*time.Minute + time.Second, "refused time_up"},
		{"after the forced submission", 89 * time.Minute, "refused submitted"},
	} {
		res, err := r.s.ApplyChanges(ctx, tm.id, [][]byte{tm.seal(save(r.session, ticketA, "q8", tc.name, tc.used))})
		if err != nil || len(res.Results) != 1 || outcomes(res)[0] != fmt.Sprintf("%d %s", tm.seq, tc.want) {
			t.Fatalf("%s: %v, %v", tc.name, outcomes(res), err)
		}
	}
	if got, _ := r.s.Answers(ctx, r.session, ticketA); got["q8"].Text != "made at the last instant" {
		t.Fatalf("q8 = %q", got["q8"].Text)
	}
	st, _ := r.s.RoomState(ctx, tm.id)
	if !st.Candidate.Submitted || !st.Candidate.Forced {
		t.Fatalf("after a change past the time: %+v", st.Candidate)
	}
}

func TestTickGrace(t *testing.T) {
	ctx := context.Background()
	r := newRig(t)
	heard := r.signedIn(ticketA)
	silent := r.signedIn(ticketB)
	r.checkIn(ticketC) // on the station's own screen
	r.started()
	for _, tk := range []struct {
		tm     *terminal
		ticket string
	}{{heard, ticketA}, {silent, ticketB}} {
		if _, err := r.s.TerminalView(ctx, tk.tm.id, r.session, tk.ticket); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := r.s.Begin(ctx, r.session, ticketC); err != nil {
		t.Fatal(err)
	}
	submitted := func() []string {
		t.Helper()
		subs, err := r.s.Tick(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, s := range subs {
			out = append(out, s.Ticket)
		}
		return out
	}
	r.clock.Add(90*time.Minute + 2*time.Second)
	r.s.Heard(heard.id)
	// 2 s past the time: only the candidate with no terminal is submitted;
	// changes of the others may be in flight.
	if got := submitted(); !slices.Equal(got, []string{ticketC}) {
		t.Fatalf("at time-up: %v", got)
	}
	// Past roomwire.Silent: the heard terminal's candidate is submitted; the
	// silent one's waits for its journal.
	r.clock.Add(roomwire.Silent)
	r.s.Heard(heard.id)
	if got := submitted(); !slices.Equal(got, []string{ticketA}) {
		t.Fatalf("%v past time-up: %v", roomwire.Silent, got)
	}
	// The silent terminal's journal arrives within the grace: applied.
	res, err := r.s.ApplyChanges(ctx, silent.id, [][]byte{silent.seal(save(r.session, ticketB, "q8", "离线时写的", 89*time.Minute))})
	if err != nil || outcomes(res)[0] != "1 applied" {
		t.Fatalf("the journal within the grace: %v, %v", outcomes(res), err)
	}
	r.clock.Add(site.SubmitGrace - roomwire.Silent - 3*time.Second)
	if got := submitted(); len(got) != 0 {
		t.Fatalf("within the grace: %v", got)
	}
	r.clock.Add(2 * time.Second)
	if got := submitted(); !slices.Equal(got, []string{ticketB}) {
		t.Fatalf("after the grace: %v", got)
	}
	if got, _ := r.s.Answers(ctx, r.session, ticketB); got["q8"].Text != "离线时写的" {
		t.Fatalf("B's journalled answer: %q", got["q8"].Text)
	}
}

func TestMoveCandidateKeepsEveryAnswer(t *testing.T) {
	ctx := context.Background()
	r, old := roomRig(t)
	want := map[string]string{"q8": "第一", "q10": "语义化标签"}
	var envs [][]byte
	for item, text := range want {
		envs = append(envs, old.seal(save(r.session, ticketA, item, text, time.Minute)))
	}
	if _, err := r.s.ApplyChanges(ctx, old.id, envs); err != nil {
		t.Fatal(err)
	}
	if _, err := r.s.MoveCandidate(ctx, r.session, ticketA, "张监考", ""); !errors.Is(err, site.ErrInput) {
		t.Fatalf("a move without a reason: %v", err)
	}
	if _, err := r.s.MoveCandidate(ctx, r.session, ticketB, "张监考", "终端死机"); !errors.Is(err, site.ErrNotCheckedIn) {
		t.Fatalf("moving a candidate not checked in: %v", err)
	}
	watch := r.s.Watch()
	code, err := r.s.MoveCandidate(ctx, r.session, ticketA, "张监考", "终端死机")
	if err != nil || len(code) != site.SeatCodeDigits || r.seatCode(ticketA) != code {
		t.Fatalf("move: %q, %v", code, err)
	}
	if !closed(watch) {
		t.Fatal("the move did not wake the watchers")
	}
	if _, err := r.s.ApplyChanges(ctx, old.id, [][]byte{old.seal(save(r.session, ticketA, "q8", "旧终端", time.Minute))}); !errors.Is(err, site.ErrRevoked) {
		t.Fatalf("the old terminal after the move: %v", err)
	}
	r.reopen() // nothing of the move is in memory only
	fresh := r.pair("", "09")
	if _, err := r.s.SignIn(ctx, fresh.id, ticketA, code); err != nil {
		t.Fatal(err)
	}
	v, err := r.s.TerminalView(ctx, fresh.id, r.session, ticketA)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, sec := range v.Sections {
		for _, it := range sec.Items {
			if it.Answered {
				got[it.ID] = it.Answer.Text
			}
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("answers on the new terminal %v, want %v", got, want)
	}
	// The new terminal's chain starts afresh.
	res, err := r.s.ApplyChanges(ctx, fresh.id, [][]byte{fresh.seal(save(r.session, ticketA, "q8", "新终端", 2*time.Minute))})
	if err != nil || outcomes(res)[0] != "1 applied" {
		t.Fatalf("the new terminal: %v, %v", outcomes(res), err)
	}
	ins, _ := r.s.Incidents(ctx, r.session)
	if !slices.ContainsFunc(ins, func(in store.Incident) bool {
		return in.Type == site.IncidentMoved && in.Ticket == ticketA && regexp.MustCompile(`terminal T-\w+ \(revoked\)`).MatchString(in.Note)
	}) {
		t.Fatalf("incidents %+v", ins)
	}
}

// TestChangesExactlyOnceProperty: whatever a terminal sends (retries,
// replays, envelopes out of order, gaps), the station commits each change
// of its chain once and in order: its acknowledged place and the answer it
// holds are those of the longest run of the chain it was sent in order.
func TestChangesExactlyOnceProperty(t *testing.T) {
	ctx := context.Background()
	r, tm := roomRig(t)
	const chain = 6
	rapid.Check(t, func(rt *rapid.T) {
		// A fresh terminal for each run: the candidate moves to it.
		code, err := r.s.MoveCandidate(ctx, r.session, ticketA, "张监考", "换终端")
		if err != nil {
			rt.Fatal(err)
		}
		tm = r.pair("", "01")
		if _, err := r.s.SignIn(ctx, tm.id, ticketA, code); err != nil {
			rt.Fatal(err)
		}
		before, _ := r.s.Answers(ctx, r.session, ticketA)
		envs := make([][]byte, chain)
		for i := range envs {
			envs[i] = tm.seal(save(r.session, ticketA, "q8", fmt.Sprintf("第%d次", i+1), time.Minute))
		}
		acked := 0
		for range rapid.IntRange(1, 5).Draw(rt, "requests") {
			req := rapid.SliceOfN(rapid.IntRange(0, chain-1), 1, 4).Draw(rt, "request")
			// The model: duplicates below acked, the next in order, else a gap.
			want, next, gap := []string(nil), acked, false
			for _, i := range req {
				seq := i + 1
				switch {
				case seq <= next:
					want = append(want, fmt.Sprintf("%d duplicate", seq))
				case seq == next+1:
					want = append(want, fmt.Sprintf("%d applied", seq))
					next = seq
				default:
					gap = true
				}
			}
			var batch [][]byte
			for _, i := range req {
				batch = append(batch, envs[i])
			}
			res, err := r.s.ApplyChanges(ctx, tm.id, batch)
			if gap {
				if !errors.Is(err, site.ErrGap) {
					rt.Fatalf("request %v after %d: %v, want a gap", req, acked, err)
				}
			} else {
				if err != nil || !slices.Equal(outcomes(res), want) || res.Acked != uint64(next) {
					rt.Fatalf("request %v after %d: %v (acked %d), %v; want %v", req, acked, outcomes(res), res.Acked, err, want)
				}
				acked = next
			}
			got, _ := r.s.Answers(ctx, r.session, ticketA)
			wantText := before["q8"].Text
			if acked > 0 {
				wantText = fmt.Sprintf("第%d次", acked)
			}
			if got["q8"].Text != wantText {
				rt.Fatalf("after %v: q8 = %q, want %q", req, got["q8"].Text, wantText)
			}
			if st, _ := r.s.TerminalByID(ctx, tm.id); st.Acked != uint64(acked) {
				rt.Fatalf("after %v: acked %d, want %d", req, st.Acked, acked)
			}
		}
	})
}

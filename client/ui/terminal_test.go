package ui

import (
	"context"
	"errors"
	"image/png"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"onex/client/discover"
	"onex/client/site"
	"onex/client/terminal"
	"onex/exam"
	"onex/internal/roomtest"
	"onex/server/servertest"
)

const termTicket = "2026WEB010001"

// roomStation is a real station serving the room (internal/roomtest).
type roomStation struct{ *roomtest.Station }

func newRoomStation(t *testing.T) *roomStation { return &roomStation{roomtest.New(t)} }

// checkIn checks the candidate in and returns the seat code.
func (st *roomStation) checkIn(t *testing.T, ticket string) string {
	t.Helper()
	ctx := context.Background()
	if _, err := st.Site.CheckIn(ctx, st.Session, site.CheckInRequest{Ticket: ticket, Status: exam.Present, Confirmed: true}); err != nil {
		t.Fatal(err)
	}
	found, err := st.Site.Find(ctx, st.Session, ticket)
	if err != nil || len(found) != 1 || found[0].SeatCode == "" {
		t.Fatal(found, err)
	}
	return found[0].SeatCode
}

// start releases the paper and starts the room.
func (st *roomStation) start(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	st.Central.Release()
	if err := st.Site.Release(ctx, st.Session); err != nil {
		t.Fatal(err)
	}
	if err := st.Site.StartRoom(ctx, st.Session, proctor); err != nil {
		t.Fatal(err)
	}
}

// termRig is the app on Fyne's test driver as an exam computer.
type termRig struct {
	t     *testing.T
	a     *App
	clock *skewClock
	dir   string
}

func newTermRig(t *testing.T) *termRig {
	t.Helper()
	r := &termRig{t: t, clock: &skewClock{}, dir: t.TempDir()}
	r.a = New(test.NewTempApp(t), Options{Site: site.Config{Dir: r.dir, Now: r.clock.Now}, Tick: -1,
		Browse: func(context.Context) ([]discover.Station, error) { return nil, nil }})
	t.Cleanup(func() {
		r.a.Close()
		UseLanguage(Chinese)
	})
	r.a.Start()
	return r
}

// until waits for cond, letting the terminal's changes reach the screens.
func (r *termRig) until(what string, d time.Duration, cond func() bool) {
	r.t.Helper()
	deadline := time.Now().Add(d)
	for {
		r.a.jobs.Wait()
		if r.a.term != nil {
			r.a.term.changed() // what the app's loop does on each of the terminal's changes
		}
		if cond() {
			return
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("%s: not within %v; terminal status %+v", what, d, r.a.term.t.Status())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// pair pairs on the pairing screen with code.
func (r *termRig) pair(code string) {
	r.t.Helper()
	if r.a.pair == nil {
		tap(r.t, button(r.t, r.a.win.Canvas(), tr("pair.choose")))
	}
	p := r.a.pair
	p.code.SetText(code)
	p.seat.SetText("07")
	p.name.SetText("PC-07")
	p.pin.SetText("2468")
	p.again.SetText("2468")
	tap(r.t, p.pair)
	r.a.jobs.Wait()
}

// TestTerminalPairing: the first start offers "this is an exam computer";
// a wrong code is named by its part in Chinese; the typed code pairs, and
// the terminal waits at its seat screen with its room and seat.
func TestTerminalPairing(t *testing.T) {
	st := newRoomStation(t)
	r := newTermRig(t)
	c := r.a.win.Canvas()
	if !shows(c, tr("pair.choose")) || !shows(c, tr("first.as_station")) {
		t.Fatal("the first start does not offer the two choices")
	}
	code, err := st.Server.PairingCode("A101", 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []struct{ code, want string }{
		{"nonsense", "pair.bad_form"},
		{"192.168.1:7443 " + code.Secret.String(), "pair.bad_address"},
		{code.Station.String() + " 2XGWR-VYGY7", "pair.bad_secret"},
		{"onex-room://" + code.Station.String() + "/" + code.Secret.String() + "?pin=abc", "pair.bad_pin"},
	} {
		r.pair(bad.code)
		if !shows(c, tr(bad.want)) {
			t.Errorf("code %q: the screen does not say %q but %q", bad.code, tr(bad.want), r.a.pair.problem.Text)
		}
		if terminal.Paired(r.dir) {
			t.Fatalf("code %q paired", bad.code)
		}
	}
	r.pair(code.Station.String() + " " + code.Secret.String()) // the typed form
	if r.a.term == nil || !shows(c, tr("terminal.waiting")) {
		t.Fatalf("not at the seat screen after pairing; problem %q", r.a.pair.problem.Text)
	}
	if !shows(c, tr("terminal.where", args{"Room": "A101", "Seat": "07", "Site": dash(r.a.term.t.Info().Site)})) {
		t.Error("the seat screen does not name the room and seat")
	}
	r.until("connected", 5*time.Second, func() bool { return shows(c, tr("terminal.connected")) })
	if !terminal.HasProctorPIN(r.dir) {
		t.Error("no proctor PIN kept")
	}
	// The seat screen fits 1366×768 in both languages at every text size.
	fitsEverywhere(t, r.a, "terminal seat", func() { r.a.term.showSeat() }, "terminal.sign_in", "exam.proctor")
	// The same code again (used up) is refused, in Chinese.
	r2 := newTermRig(t)
	r2.pair(code.Station.String() + " " + code.Secret.String())
	if r2.a.term != nil || !shows(r2.a.win.Canvas(), tr("pair.refused")) {
		t.Errorf("a used code: %q", r2.a.pair.problem.Text)
	}
	fitsEverywhere(t, r2.a, "pairing", r2.a.showPairing, "pair.pair")

	// A station found on the network: picked, its address fills the code,
	// and only the secret is typed.
	code2, err := st.Server.PairingCode("A101", 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	r2.a.opt.Browse = func(context.Context) ([]discover.Station, error) {
		return []discover.Station{{Room: "A101", Site: "S1", Addr: code2.Station}}, nil
	}
	tap(t, button(t, r2.a.win.Canvas(), tr("pair.find")))
	r2.a.jobs.Wait()
	p := r2.a.pair
	p.found.SetSelectedIndex(0)
	if p.code.Text != code2.Station.String()+" " {
		t.Fatalf("picking the station left the code %q", p.code.Text)
	}
	p.code.SetText(p.code.Text + code2.Secret.String())
	tap(t, p.pair)
	r2.a.jobs.Wait()
	if r2.a.term == nil || !shows(r2.a.win.Canvas(), tr("terminal.waiting")) {
		t.Errorf("pairing with a station found: %q", p.problem.Text)
	}
}

// pairedTerminal pairs a terminal through a relay in front of the station.
func pairedTerminal(t *testing.T, st *roomStation) (*termRig, *servertest.Relay) {
	t.Helper()
	relay, err := servertest.NewRelay(st.Server.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	code, err := st.Server.PairingCode("A101", 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	code.Station = netip.MustParseAddrPort(relay.Addr())
	r := newTermRig(t)
	r.pair(code.String())
	if r.a.term == nil {
		t.Fatalf("not paired: %q", r.a.pair.problem.Text)
	}
	return r, relay
}

// signIn signs the candidate in on the seat screen.
func (r *termRig) signIn(ticket, seatCode string) {
	r.t.Helper()
	es := entries(r.a.win.Canvas())
	if len(es) != 2 {
		r.t.Fatalf("the seat screen has %d entries", len(es))
	}
	es[0].SetText(ticket)
	es[1].SetText(seatCode)
	tap(r.t, button(r.t, r.a.win.Canvas(), tr("terminal.sign_in")))
	r.a.jobs.Wait()
}

// TestTerminalExamCutOff: a wrong seat code is refused in Chinese; the
// candidate confirms who they are and takes the exam on the candidate's
// screens; with the station cut off an answer is "saved on this computer,
// not yet at the station", never "saved"; back, it reaches the station and
// the state is connected again. The proctor PIN closes the screens, with
// longer waits after wrong PINs.
func TestTerminalExamCutOff(t *testing.T) {
	st := newRoomStation(t)
	r, relay := pairedTerminal(t, st)
	c := r.a.win.Canvas()
	r.signIn(termTicket, "123456") // not checked in yet
	if !shows(c, tr("terminal.wrong_seat_code")) {
		t.Fatalf("a candidate not checked in: %q", r.a.term.problem.Text)
	}
	seatCode := st.checkIn(t, termTicket)

	r.signIn(termTicket, "000000")
	if seatCode != "000000" && !shows(c, tr("terminal.wrong_seat_code")) {
		t.Fatal("a wrong seat code is not shown as one")
	}
	r.signIn(termTicket, seatCode)
	if !shows(c, tr("terminal.confirm_title")) {
		t.Fatal("no identity to confirm")
	}
	tap(t, button(t, c, tr("terminal.its_me")))
	cw := r.a.term.cand
	if cw == nil || cw.screen != "seat" || !shows(c, tr("seat.wait")) {
		t.Fatal("the candidate does not wait for the start")
	}
	st.start(t)
	r.until("the exam", 5*time.Second, func() bool { return cw.screen == "exam" })
	if !shows(c, tr("terminal.connected")) {
		t.Error("the exam screen does not show the connection")
	}
	// Every terminal screen fits 1366×768 in both languages at every text
	// size, with submit and the proctor's button inside the window.
	r.a.win.Resize(contentAt)
	for _, l := range Languages {
		cw.setLanguage(l)
		for i, scale := range TextScales {
			cw.scale = i
			cw.rebuild()
			fits(t, r.a.win, l, scale, "terminal exam")
			within(t, r.a.win, l, scale, cw.tr("exam.submit"), cw.tr("exam.proctor"), cw.tr("settings.larger"))
		}
	}
	cw.setLanguage(Chinese)
	cw.scale = 0
	cw.rebuild()
	var fill *exam.ViewItem
	for _, it := range cw.items {
		if it.Type == exam.Fill {
			fill = it
		}
	}
	if fill == nil {
		t.Fatal("no fill item")
	}

	relay.SetTarget("127.0.0.1:1") // the station cut off
	cw.answer(fill, exam.Answer{Text: "cut-off-answer"})
	cw.saver.wait()
	r.until("saved here", 10*time.Second, func() bool {
		return r.a.term.state.Text == cw.tr("terminal.reconnecting_pending", args{"N": 1})
	})
	if want := cw.tr("terminal.saved_here", args{"N": 1}); cw.saved.Text != want {
		t.Errorf("the save reads %q with the station cut off, want %q", cw.saved.Text, want)
	}
	r.a.win.Resize(fyne.NewSize(1366, 768))
	keepScreen(t, r.a.win, "terminal-exam-cut-off")
	if ans, _ := st.Site.Answers(context.Background(), st.Session, termTicket); ans[fill.ID].Text == "cut-off-answer" {
		t.Fatal("the station holds the answer though cut off")
	}

	relay.SetTarget(st.Server.Addr().String()) // back
	r.until("connected again", 15*time.Second, func() bool { return shows(c, tr("terminal.connected")) })
	if ans, _ := st.Site.Answers(context.Background(), st.Session, termTicket); ans[fill.ID].Text != "cut-off-answer" {
		t.Errorf("the station holds %+v after the reconnection", ans[fill.ID])
	}

	// Pause, resume and a forced submission reach the screens through the
	// long poll: the cover, the paper again, the receipt with its code.
	ctx := context.Background()
	if err := st.Site.Pause(ctx, st.Session, termTicket, proctor, "测试暂停"); err != nil {
		t.Fatal(err)
	}
	r.until("the pause cover", 5*time.Second, func() bool { return cw.screen == "paused" })
	if err := st.Site.Resume(ctx, st.Session, termTicket, proctor); err != nil {
		t.Fatal(err)
	}
	r.until("the paper again", 5*time.Second, func() bool { return cw.screen == "exam" })
	sub, err := st.Site.ForceSubmit(ctx, st.Session, termTicket, proctor, "测试收卷")
	if err != nil {
		t.Fatal(err)
	}
	r.until("the receipt", 5*time.Second, func() bool { return cw.screen == "receipt" && cw.view.ReceiptCode == sub.ReceiptCode })
	if !cw.view.Forced || !shows(c, sub.ReceiptCode) {
		t.Errorf("the forced submission's receipt: forced %v, code %q on screen %v: %q", cw.view.Forced, sub.ReceiptCode, shows(c, sub.ReceiptCode), texts(c))
	}

	// The proctor PIN: wrong ones wait longer and longer.
	lock := r.a.term.lock
	var waits []time.Duration
	for range site.PINFreeTries + 2 {
		err := lock.Check(context.Background(), "0000")
		var pe *site.PINError
		if !errors.As(err, &pe) {
			t.Fatalf("a wrong PIN: %v", err)
		}
		if !pe.Until.IsZero() {
			waits = append(waits, pe.Until.Sub(r.clock.Now()))
			if err := lock.Check(context.Background(), "2468"); err == nil {
				t.Fatal("the right PIN during a wait was taken")
			}
			r.clock.Add(pe.Until.Sub(r.clock.Now()) + time.Second)
		}
	}
	if len(waits) != 2 || waits[1] <= waits[0] {
		t.Errorf("waits after wrong PINs: %v, want two, growing", waits)
	}
	cw.askPIN()
	es := entries(c)
	es[len(es)-1].SetText("2468")
	tap(t, button(t, c, cw.tr("pin.leave")))
	if r.a.term.cand != nil || !shows(c, tr("terminal.waiting")) {
		t.Error("the right PIN does not bring the seat screen back")
	}
}

// keepScreen keeps what window w shows, rendered by the test driver, in
// the repository's tmp/screenshots/NAME.png, for people to look at.
func keepScreen(t *testing.T, w fyne.Window, name string) {
	t.Helper()
	dir := filepath.Join("..", "..", "tmp", "screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(filepath.Join(dir, name+".png"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, w.Canvas().Capture()); err != nil {
		t.Fatal(err)
	}
}

// fitsEverywhere shows a screen of the app's window in both languages at
// every text size, and checks that it fits 1366×768 with the buttons
// labelled by keys inside the window.
func fitsEverywhere(t *testing.T, a *App, name string, show func(), keys ...string) {
	t.Helper()
	a.win.Resize(contentAt)
	for _, l := range Languages {
		a.setLanguage(l)
		for i, scale := range TextScales {
			a.fa.Preferences().SetInt(prefScale, i)
			a.applyTheme()
			show()
			fits(t, a.win, l, scale, name)
			var labels []string
			for _, k := range keys {
				labels = append(labels, tr(k))
			}
			within(t, a.win, l, scale, labels...)
		}
	}
	a.setLanguage(Chinese)
	a.fa.Preferences().SetInt(prefScale, 0)
	a.applyTheme()
}

package ui

import (
	"bytes"
	"context"
	"image/png"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
	qrcode "github.com/skip2/go-qrcode"

	roomwire "onex/client/room"
	"onex/client/site"
	"onex/client/terminal"
	"onex/exam"
)

// showsText tells whether some text the canvas renders (canvas texts and
// dialogs included) contains s.
func showsText(c fyne.Canvas, s string) bool {
	return slices.ContainsFunc(texts(c), func(x string) bool { return strings.Contains(x, s) })
}

// seatCards are the seat map's cards on screen.
func seatCards(c fyne.Canvas) []*tapCard {
	var out []*tapCard
	for _, o := range objects(c) {
		if k, ok := o.(*tapCard); ok {
			out = append(out, k)
		}
	}
	return out
}

// roomRig is the app serving the room on loopback, on its room page.
func roomRig(t *testing.T) (*rig, *App) {
	t.Helper()
	r := newRig(t)
	r.opt.Room = "127.0.0.1:0"
	a := r.enrolled()
	if a.room == nil {
		t.Fatal("the app serves no room")
	}
	a.station.tabs.SelectIndex(tabRoom)
	return r, a
}

// TestSeatMapFollowsTheRoom: the pairing code shown (typed form and a QR
// code of the full form) pairs a real terminal on loopback, whose seat then
// shows; the candidate signed in there shows on it, a save raises the
// answered count, the terminal cut off is flagged silent after
// roomwire.Silent; from the seat, the candidate moves to another terminal
// and the new seat code shows large.
func TestSeatMapFollowsTheRoom(t *testing.T) {
	r, a := roomRig(t)
	c := a.win.Canvas()
	ctx := context.Background()
	rs := a.station.room
	if !shows(c, "还没有考试机配对") || len(seatCards(c)) != 0 {
		t.Fatal("an empty room does not say how to pair")
	}

	// The pairing code: 40 terminals by default (the roster), the room's name.
	tap(t, button(t, c, "配对考试机"))
	form := dialogEntries(t, c)
	if len(form) != 3 || form[0].Text != r.central.Session.Room || form[1].Text != "40" || form[2].Text != "30" {
		t.Fatalf("pairing form %v", entryTexts(form))
	}
	form[1].SetText("0")
	if form[1].Validate() == nil {
		t.Fatal("a code for 0 terminals accepted")
	}
	form[1].SetText("2")
	tap(t, dialogButton(t, c, "生成配对码"))
	p := rs.pairing
	if p == nil {
		t.Fatal("no pairing code shown")
	}
	if p.code.Station != a.room.Addr() || p.code.Pin != a.room.SPKI() {
		t.Fatalf("the code names %v, the server is %v", p.code.Station, a.room.Addr())
	}
	for _, s := range []string{p.code.Station.String(), p.code.Secret.String(), "已配对 0 台（本码 0 台）", "最多配对 2 台"} {
		if !showsText(c, s) {
			t.Fatalf("the pairing dialog does not show %q: %q", s, texts(c))
		}
	}
	// The QR code on screen is go-qrcode's of the full form, pin included, at
	// qrPixels square.
	var qr *canvas.Image
	for _, o := range objectsIn(c.Overlays().Top()) {
		if im, ok := o.(*canvas.Image); ok && im.Resource != nil && im.Resource.Name() == "pairing-qr.png" {
			qr = im
		}
	}
	if qr == nil {
		t.Fatal("no QR code on screen")
	}
	want, err := qrcode.New(p.code.String(), qrLevel)
	if err != nil {
		t.Fatal(err)
	}
	wantPNG, _ := want.PNG(qrPixels)
	if !bytes.Equal(qr.Resource.Content(), wantPNG) || !strings.Contains(p.code.String(), "?pin=") {
		t.Fatal("the QR code on screen is not that of the full pairing code")
	}
	img, err := png.Decode(bytes.NewReader(qr.Resource.Content()))
	if err != nil || img.Bounds().Dx() != qrPixels || img.Bounds().Dy() != qrPixels {
		t.Fatalf("QR PNG: %v, %v", img, err)
	}
	if back, err := roomwire.ParsePairingCode(p.code.String()); err != nil || back != p.code {
		t.Fatalf("the full form parses to %v, %v", back, err)
	}
	t.Logf("QR code: version %d for %d characters", want.VersionNumber, len(p.code.String()))

	// A terminal pairs with it: the count and the map follow.
	cfg := terminal.Config{Dir: filepath.Join(t.TempDir(), "t07"), SaveWait: 2 * time.Second}
	tm, err := terminal.Pair(ctx, cfg, p.code, "PC-07", "07")
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stopRun := context.WithCancel(ctx)
	ran := make(chan error, 1)
	go func() { ran <- tm.Run(runCtx) }()
	defer func() { stopRun(); <-ran }()
	rs.refresh()
	if !showsText(c, "已配对 1 台（本码 1 台）") {
		t.Fatalf("after a pairing the dialog shows %q", texts(c))
	}
	tap(t, dialogButton(t, c, "关闭"))
	if rs.pairing != nil {
		t.Fatal("the closed dialog is still counted")
	}
	rs.refresh()
	if len(seatCards(c)) != 1 || !shows(c, "07 号座　PC-07") || !shows(c, "在线") || !shows(c, "等待考生登录") {
		t.Fatalf("after the pairing the map shows %q", texts(c))
	}

	// The candidate signs in there with the seat code from check-in.
	r.checkIn(ticket)
	k := candidate(t, a, ticket)
	if _, err := tm.SignIn(ctx, ticket, k.SeatCode); err != nil {
		t.Fatal(err)
	}
	r.startRoom()
	a.station.tabs.SelectIndex(tabRoom)
	if !shows(c, k.Name+"　"+ticket) || !shows(c, "已答 0/") {
		t.Fatalf("after the sign-in the map shows %q", texts(c))
	}
	v, err := tm.View(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var fill *exam.ViewItem
	for _, it := range v.Items() {
		if it.Type == exam.Fill {
			fill = it
		}
	}
	if w, err := tm.Save(ctx, fill.ID, exam.Answer{Text: "答案"}); err != nil || w != terminal.AtStation {
		t.Fatalf("save: %v, %v", w, err)
	}
	a.tick()
	if !shows(c, "已答 1/") || !shows(c, "最后保存 ") || shows(c, "最后保存 —") {
		t.Fatalf("after a save the map shows %q", texts(c))
	}

	// Cut off: flagged silent once roomwire.Silent has passed.
	stopRun()
	<-ran
	ran <- nil // for the deferred wait
	a.tick()
	if shows(c, "失联（") || !shows(c, "失联 0 台") {
		t.Fatal("flagged silent at once")
	}
	r.clock.Add(roomwire.Silent + time.Second)
	a.tick()
	if !shows(c, "失联（最后联系 ") || !shows(c, "失联 1 台") {
		t.Fatalf("the terminal cut off is not flagged: %q", texts(c))
	}

	// From the seat: the console's actions for the candidate, and the move.
	test.Tap(seatCards(c)[0])
	if rs.seatDlg == nil {
		t.Fatal("no actions for the seat")
	}
	for _, b := range []string{"暂停", "加时", "强制交卷", "记录事件"} {
		if dialogButton(t, c, b).Disabled() {
			t.Errorf("%s is disabled for a candidate answering", b)
		}
	}
	if !dialogButton(t, c, "继续").Disabled() {
		t.Error("resume is enabled for a candidate not paused")
	}
	tap(t, dialogButton(t, c, "换机"))
	chooseReason(t, c, 0, "")
	tap(t, dialogButton(t, c, "换机"))
	k2 := candidate(t, a, ticket)
	if k2.SeatCode == k.SeatCode || len(k2.SeatCode) != site.SeatCodeDigits {
		t.Fatalf("seat code after the move %q (was %q)", k2.SeatCode, k.SeatCode)
	}
	if !showsText(c, spaced(k2.SeatCode)) || !showsText(c, "换机：新的座位码") {
		t.Fatalf("the new seat code is not shown: %q", texts(c))
	}
	// The old terminal's sign-in is gone: the seat waits, the new code works elsewhere.
	tm2, err := terminal.Pair(ctx, terminal.Config{Dir: filepath.Join(t.TempDir(), "t08")}, p.code, "PC-08", "08")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tm2.SignIn(ctx, ticket, k2.SeatCode); err != nil {
		t.Fatalf("the moved candidate's sign-in elsewhere: %v", err)
	}
	rs.refresh()
	if len(seatCards(c)) != 2 || !shows(c, "08 号座　PC-08") {
		t.Fatalf("after the move the map shows %q", texts(c))
	}
}

// TestRevokeFromTheSeatMap: a seat's revoke asks the reason, and the seat
// then says revoked, its actions gone.
func TestRevokeFromTheSeatMap(t *testing.T) {
	_, a := roomRig(t)
	c := a.win.Canvas()
	ctx := context.Background()
	code, err := a.room.PairingCode("A101", 1, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := terminal.Pair(ctx, terminal.Config{Dir: t.TempDir()}, code, "PC-01", "1"); err != nil {
		t.Fatal(err)
	}
	a.station.room.refresh()
	test.Tap(seatCards(c)[0])
	if shows(c, "换机") {
		t.Fatal("a move offered with no candidate on the seat")
	}
	tap(t, dialogButton(t, c, "停用这台考试机"))
	chooseReason(t, c, 0, "")
	tap(t, dialogButton(t, c, "停用这台考试机"))
	terms, err := a.site.Terminals(ctx)
	if err != nil || len(terms) != 1 || terms[0].Revoked.IsZero() {
		t.Fatalf("terminals after the revoke: %+v, %v", terms, err)
	}
	if !shows(c, "已停用") {
		t.Fatalf("the revoked seat shows %q", texts(c))
	}
	test.Tap(seatCards(c)[0])
	if !dialogButton(t, c, "停用这台考试机").Disabled() {
		t.Fatal("a revoked terminal can be revoked again")
	}
}

// TestPairingSaysWhyThereIsNoRoomServer: with the room's address taken by
// another program, or the room server off, the room page and the pairing
// button say so in Chinese.
func TestPairingSaysWhyThereIsNoRoomServer(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	for _, tc := range []struct{ addr, want string }{
		{taken.Addr().String(), "考场服务未能启动（地址 " + taken.Addr().String() + "）"},
		{"", "本机未开启考场服务"},
	} {
		r := newRig(t)
		r.opt.Room = tc.addr
		a := r.enrolled()
		if a.room != nil {
			t.Fatalf("%q: a room server", tc.addr)
		}
		c := a.win.Canvas()
		a.station.tabs.SelectIndex(tabRoom)
		if !shows(c, tc.want) {
			t.Fatalf("%q: the room page shows %q", tc.addr, texts(c))
		}
		tap(t, button(t, c, "配对考试机"))
		if !shows(c, tc.want) || c.Overlays().Top() == nil {
			t.Fatalf("%q: pairing says %q", tc.addr, texts(c))
		}
		r.a.Close()
		r.a = nil
	}
}

// TestCheckInShowsTheSeatCodeAndSlip: once a candidate is checked in the
// check-in screen shows the seat code large with the ticket and seat; the
// slip is a PNG of them; a lost slip gets a new code, shown in its place
// (that the old one then signs nobody in is client/site's test).
func TestCheckInShowsTheSeatCodeAndSlip(t *testing.T) {
	a := newRig(t).enrolled()
	a.station.tabs.SelectIndex(tabCheckIn)
	c, st, ci := a.win.Canvas(), a.station, a.station.checkin
	test.Type(ci.search, ticket)
	ci.search.OnSubmitted(ci.search.Text)
	if ci.ticket != ticket || ci.code.obj.Visible() {
		t.Fatalf("before check-in: shown %q, seat code visible %v", ci.ticket, ci.code.obj.Visible())
	}
	ci.confirm.SetChecked(true)
	tap(t, button(t, c, "到场"))
	k := candidate(t, a, ticket)
	if len(k.SeatCode) != site.SeatCodeDigits {
		t.Fatalf("seat code %q", k.SeatCode)
	}
	if ci.ticket != ticket || !ci.code.obj.Visible() || ci.code.code.Text != spaced(k.SeatCode) ||
		!shows(c, "准考证号 "+ticket+"　座位 "+k.Seat) {
		t.Fatalf("after check-in: code %q (want %q), %q", ci.code.code.Text, spaced(k.SeatCode), texts(c))
	}
	if ci.code.code.TextSize < 2*theme0TextSize() {
		t.Fatalf("the seat code is set at %v", ci.code.code.TextSize)
	}

	// The slip: a PNG of slipSize.
	b, err := slipPNG(st.slipOf(k))
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil || img.Bounds().Dx() < int(slipSize.Width) || img.Bounds().Dy() < int(slipSize.Height) {
		t.Fatalf("slip: %v, %v", img.Bounds(), err)
	}
	if r, g, bl, _ := img.At(img.Bounds().Dx()/2, 40).RGBA(); r == 0 && g == 0 && bl == 0 {
		t.Log("slip: the title row is black at its middle") // text there, not a failure
	}
	dark := 0
	for y := 0; y < img.Bounds().Dy(); y += 2 {
		for x := 0; x < img.Bounds().Dx(); x += 2 {
			if r, _, _, _ := img.At(x, y).RGBA(); r < 0x4000 {
				dark++
			}
		}
	}
	if dark < 2000 {
		t.Fatalf("the slip is nearly blank: %d dark samples", dark)
	}
	t.Logf("slip: %d bytes, %v", len(b), img.Bounds())

	// A lost slip: a new code, after asking.
	tap(t, button(t, c, "补发座位码"))
	tap(t, dialogButton(t, c, "补发座位码"))
	k2 := candidate(t, a, ticket)
	if k2.SeatCode == k.SeatCode || !showsText(c, spaced(k2.SeatCode)) || ci.code.code.Text != spaced(k2.SeatCode) {
		t.Fatalf("new code %q (was %q), shown %q", k2.SeatCode, k.SeatCode, ci.code.code.Text)
	}
}

// candidate is a candidate of the central's session as the site has them.
func candidate(t *testing.T, a *App, ticket string) site.Candidate {
	t.Helper()
	all, err := a.site.Candidates(context.Background(), a.station.current)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range all {
		if k.Ticket == ticket {
			return k
		}
	}
	t.Fatalf("no candidate %s", ticket)
	return site.Candidate{}
}

func entryTexts(es []*widget.Entry) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.Text)
	}
	return out
}

func theme0TextSize() float32 { return 14 }

// TestCompareSeats: seats by number, names after, none last.
func TestCompareSeats(t *testing.T) {
	seats := []string{"", "10", "B2", "2", "01", "A1", "3"}
	slices.SortStableFunc(seats, compareSeats)
	if got := strings.Join(seats, ","); got != "01,2,3,10,A1,B2," {
		t.Fatalf("seats in order %s", got)
	}
}

// TestRoomPageFits1366x768: the room page with a seat map of 40 terminals (12 with -short)
// (one signed in, the rest waiting), the pairing dialog and a seat's
// actions fit a 1366×768 screen in both languages at every text size, the
// pairing button inside the window.
func TestRoomPageFits1366x768(t *testing.T) {
	r, a := roomRig(t)
	ctx := context.Background()
	n := 40
	if testing.Short() {
		n = 12
	}
	code, err := a.room.PairingCode(r.central.Session.Room, n, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if _, err := terminal.Pair(ctx, terminal.Config{Dir: filepath.Join(t.TempDir(), "t")}, code, "PC-"+strconv.Itoa(i+1), strconv.Itoa(i+1)); err != nil {
			t.Fatal(err)
		}
	}
	a.win.Resize(contentAt)
	for _, l := range Languages {
		a.setLanguage(l)
		for i, scale := range TextScales {
			a.fa.Preferences().SetInt(prefScale, i)
			a.applyTheme()
			a.station.rebuild()
			a.station.tabs.SelectIndex(tabRoom)
			rs := a.station.room
			if len(rs.terms) != n {
				t.Fatalf("%d terminals on the map", len(rs.terms))
			}
			fits(t, a.win, l, scale, "room")
			within(t, a.win, l, scale, tr("room.pair"))
			rs.makePairing(r.central.Session.Room, 40, time.Minute)
			dialogFits(t, a.win, l, scale, "pairing")
			a.win.Canvas().Overlays().Top().Hide()
			rs.showSeat(rs.terms[0].ID)
			dialogFits(t, a.win, l, scale, "seat")
			rs.seatDlg.Hide()
		}
	}
}

// dialogFits checks that the dialog on top asks for no more than the screen.
func dialogFits(t *testing.T, w fyne.Window, l Language, scale float32, name string) {
	t.Helper()
	top := w.Canvas().Overlays().Top()
	if top == nil {
		t.Fatalf("%s at text ×%.2f: no %s dialog", l, scale, name)
	}
	var biggest fyne.Size
	for _, o := range objectsIn(top) {
		if _, ok := o.(*fyne.Container); ok {
			biggest = biggest.Max(o.MinSize())
		}
	}
	if biggest.Width > contentAt.Width || biggest.Height > contentAt.Height {
		t.Errorf("%s at text ×%.2f: the %s dialog asks for %.0f×%.0f", l, scale, name, biggest.Width, biggest.Height)
	}
	t.Logf("%s at text ×%.2f: the %s dialog asks for %.0f×%.0f", l, scale, name, biggest.Width, biggest.Height)
}

// TestSeatMapScreenshot renders the room page of a room under way at
// 1366×768 with Fyne's software painter, in the app's theme and fonts:
// eight terminals paired, six candidates signed in and answering, one
// terminal silent; kept as tmp/screenshots/onex-site-room.png (the README's
// seat map) for people to look at.
func TestSeatMapScreenshot(t *testing.T) {
	r, a := roomRig(t)
	ctx := context.Background()
	code, err := a.room.PairingCode(r.central.Session.Room, 8, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	all, err := a.site.Candidates(ctx, r.central.Session.ID)
	if err != nil {
		t.Fatal(err)
	}
	var terms []*terminal.Terminal
	var stops []func()
	defer func() {
		for _, stop := range stops {
			stop()
		}
	}()
	for i := range 8 {
		tm, err := terminal.Pair(ctx, terminal.Config{Dir: filepath.Join(t.TempDir(), "t")}, code, "PC-"+strconv.Itoa(i+1), strconv.Itoa(i+1))
		if err != nil {
			t.Fatal(err)
		}
		terms = append(terms, tm)
		runCtx, stop := context.WithCancel(ctx)
		ran := make(chan error, 1)
		go func() { ran <- tm.Run(runCtx) }()
		stops = append(stops, func() { stop(); <-ran })
		if i < 6 {
			r.checkIn(all[i].Ticket)
			if _, err := tm.SignIn(ctx, all[i].Ticket, candidate(t, a, all[i].Ticket).SeatCode); err != nil {
				t.Fatal(err)
			}
		}
	}
	r.startRoom()
	for i, tm := range terms[:6] {
		if err := tm.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
		v, err := tm.View(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for j, it := range v.Items() {
			if j >= 3*i+2 {
				break
			}
			var ans exam.Answer
			switch it.Type {
			case exam.Single, exam.Multiple:
				ans.Choices = []string{it.Options[0].ID}
			case exam.Fill, exam.Essay:
				ans.Text = "x"
			default:
				continue
			}
			if _, err := tm.Save(ctx, it.ID, ans); err != nil {
				t.Fatal(err)
			}
		}
	}
	// Seat 3 is cut off: the others are heard after roomwire.Silent, it is not.
	stops[2]()
	stops[2] = func() {}
	r.clock.Add(roomwire.Silent + 3*time.Second)
	for i, tm := range terms {
		if i != 2 {
			a.site.Heard(tm.Info().TerminalID)
		}
	}
	a.win.Resize(fyne.NewSize(1366, 768))
	a.station.room.refresh()
	c := a.win.Canvas()
	if !shows(c, "失联 1 台") {
		t.Fatalf("the room shows %q", texts(c))
	}
	keepScreenshot(t, c, "room")
	// The pairing code, and the seat code at check-in.
	a.station.room.makePairing(r.central.Session.Room, 40, 30*time.Minute)
	keepScreenshot(t, c, "room-pairing")
	c.Overlays().Top().Hide()
	a.station.tabs.SelectIndex(tabCheckIn)
	r.checkIn(all[6].Ticket) // not signed in yet: the seat code stands
	a.station.checkin.refresh()
	a.station.checkin.show(all[6].Ticket)
	a.win.Resize(fyne.NewSize(1366, 767)) // lays the tab out afresh
	a.win.Resize(fyne.NewSize(1366, 768))
	keepScreenshot(t, c, "checkin-seat-code")
	if !a.station.checkin.code.obj.Visible() {
		t.Fatal("no seat code at check-in")
	}
	b, err := slipPNG(a.station.slipOf(candidate(t, a, all[6].Ticket)))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(screenshots, "onex-site-slip.png"), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// screenshots is where the tests keep what they rendered (the screenshot
// test's directory at the module's root).
var screenshots = filepath.Join("..", "..", "tmp", "screenshots")

// keepScreenshot keeps what a canvas shows as screenshots/onex-site-<name>.png.
func keepScreenshot(t *testing.T, c fyne.Canvas, name string) {
	t.Helper()
	if err := os.MkdirAll(screenshots, 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(filepath.Join(screenshots, "onex-site-"+name+".png"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, c.Capture()); err != nil {
		t.Fatal(err)
	}
}

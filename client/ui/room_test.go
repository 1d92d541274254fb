package ui

import (
	"bytes"
	"context"
	"image/png"
	"net"
	"path/filepath"
	"slices"
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
// slip is a PNG of them; a lost slip gets a new code, and the old one
// signs nobody in.
func TestCheckInShowsTheSeatCodeAndSlip(t *testing.T) {
	r := newRig(t)
	a := r.enrolled()
	c := a.win.Canvas()
	st := a.station
	st.tabs.SelectIndex(tabCheckIn)
	ci := st.checkin
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

package ui

import (
	"cmp"
	"image/color"
	"slices"
	"strconv"
	"sync"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	roomwire "onex/client/room"
	"onex/client/site"
)

// roomScreen is the station's room page (issue 14): a seat map of every
// terminal paired with this station, by seat number, each seat showing
// whether the terminal is heard (flagged when silent for roomwire.Silent),
// the candidate signed in on it, answers given, time left and the last
// save; a seat tapped offers the candidate's actions, which are the
// console's (its dialogs and reasons), and the terminal's revocation. The
// page also shows the pairing code (roomPairing).
type roomScreen struct {
	st  *station
	obj fyne.CanvasObject

	terms   []site.TerminalStatus
	state   *widget.Label // the room server, the count of terminals
	problem *widget.Label // the room server not serving, and why
	grid    *fyne.Container
	pair    *widget.Button
	pairing *pairingDialog // while shown
	seatDlg dialog.Dialog  // the seat's actions, while shown
}

func newRoom(st *station) *roomScreen {
	r := &roomScreen{st: st}
	r.state = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	r.state.Truncation = fyne.TextTruncateEllipsis
	r.problem = wrapped("")
	r.problem.Importance = widget.DangerImportance
	r.problem.Hide()
	r.pair = widget.NewButtonWithIcon(tr("room.pair"), theme.ContentAddIcon(), r.showPairing)
	r.pair.Importance = widget.HighImportance
	r.grid = container.NewGridWrap(seatSize())
	r.obj = container.NewBorder(
		container.NewVBox(container.NewBorder(nil, nil, nil, r.pair, r.state), r.problem, widget.NewSeparator()),
		nil, nil, nil, container.NewVScroll(r.grid))
	return r
}

// seatLines is how many lines a seat's card has at most (seatWords).
const seatLines = 5

// seatSize is a seat's card on the map: seatLines lines of text, larger
// with the text.
func seatSize() fyne.Size {
	line := widget.NewLabel(tr("room.connected")).MinSize().Height
	return fyne.NewSize(theme.Size(theme.SizeNameText)*15, line*seatLines+theme.Padding())
}

// roomProblems holds why an app serves no room (its port taken), for the
// room page: App is ui.go's, which this part of the app leaves alone.
var roomProblems sync.Map // *App → error

// roomProblem says why the app serves no room, or "" when it serves one.
func (a *App) roomProblem() string {
	if a.room != nil {
		return ""
	}
	if a.opt.Room == "" {
		return tr("room.off")
	}
	if err, ok := roomProblems.Load(a); ok {
		return tr("room.not_serving", args{"Addr": a.opt.Room, "Reason": err.(error).Error()})
	}
	return tr("room.not_serving", args{"Addr": a.opt.Room, "Reason": "—"})
}

// refresh reads the terminals again and draws the map.
func (r *roomScreen) refresh() {
	a := r.st.a
	terms, err := a.site.Terminals(a.ctx)
	if err != nil {
		r.state.SetText(message(err))
		return
	}
	slices.SortStableFunc(terms, func(x, y site.TerminalStatus) int { return compareSeats(x.Seat, y.Seat) })
	r.terms = terms
	live, silent := 0, 0
	for _, t := range terms {
		switch {
		case !t.Revoked.IsZero():
		case t.Silent:
			silent++
		default:
			live++
		}
	}
	addr := "—"
	if a.room != nil {
		addr = a.room.Addr().String()
	}
	r.state.SetText(tr("room.state", args{"Addr": addr, "Live": live, "Silent": silent}))
	if p := a.roomProblem(); p != "" {
		r.problem.SetText(p)
		r.problem.Show()
	} else {
		r.problem.Hide()
	}
	r.grid.Layout = container.NewGridWrap(seatSize()).Layout
	r.grid.Objects = r.grid.Objects[:0]
	for _, t := range terms {
		r.grid.Add(r.card(t))
	}
	if len(terms) == 0 {
		r.grid.Add(wrapped(tr("room.no_terminals")))
	}
	r.grid.Refresh()
	if r.pairing != nil {
		r.pairing.count(terms)
	}
}

// compareSeats orders seats by number, then by name; no seat goes last.
func compareSeats(x, y string) int {
	switch {
	case x == "" && y == "":
		return 0
	case x == "":
		return 1
	case y == "":
		return -1
	}
	nx, ex := strconv.Atoi(x)
	ny, ey := strconv.Atoi(y)
	if ex == nil && ey == nil && nx != ny {
		return cmp.Compare(nx, ny)
	}
	return cmp.Compare(x, y)
}

// seatWords are what a seat's card says, line by line, and whether it is
// flagged (silent or revoked).
func seatWords(t site.TerminalStatus, ended bool) (lines []string, flagged bool) {
	seat := t.Seat
	if seat == "" {
		seat = "—"
	}
	lines = append(lines, tr("room.seat", args{"Seat": seat, "Name": t.Name}))
	switch {
	case !t.Revoked.IsZero():
		lines = append(lines, tr("room.revoked"))
		flagged = true
	case t.Silent:
		if t.LastHeard.IsZero() {
			lines = append(lines, tr("room.silent_never"))
		} else {
			lines = append(lines, tr("room.silent", args{"At": clock(t.LastHeard)}))
		}
		flagged = true
	default:
		lines = append(lines, tr("room.connected"))
	}
	k := t.Candidate
	if k == nil {
		return append(lines, tr("room.waiting")), flagged
	}
	lines = append(lines, tr("room.candidate", args{"Name": k.Name, "Ticket": k.Ticket}))
	left := "—"
	switch {
	case k.Submitted:
		left = tr("console.submitted")
	case k.Paused:
		left = tr("console.paused")
	case k.Started && !k.Ended && !ended:
		left = countdown(k.Remaining)
	}
	lines = append(lines, tr("room.progress", args{"Answered": k.Answered, "Items": k.Items, "Left": left}))
	save := "—"
	if !t.LastSave.IsZero() {
		save = clock(t.LastSave)
	}
	return append(lines, tr("room.last_save", args{"At": save})), flagged
}

// card is a seat on the map: tapped, it offers the seat's actions.
func (r *roomScreen) card(t site.TerminalStatus) fyne.CanvasObject {
	info, _ := r.st.info()
	lines, flagged := seatWords(t, !info.Ended.IsZero())
	box := container.NewVBox()
	for i, l := range lines {
		lb := widget.NewLabel(l)
		lb.Truncation = fyne.TextTruncateEllipsis
		if i == 0 {
			lb.TextStyle.Bold = true
		}
		if i == 1 && flagged {
			lb.Importance = widget.DangerImportance
			lb.TextStyle.Bold = true
		}
		box.Add(lb)
	}
	bg := canvas.NewRectangle(theme.Color(theme.ColorNameInputBackground))
	bg.StrokeWidth = 2
	bg.StrokeColor = theme.Color(theme.ColorNameSeparator)
	bg.CornerRadius = theme.Size(theme.SizeNameInputRadius)
	if flagged {
		bg.StrokeWidth = 4
		bg.StrokeColor = theme.Color(theme.ColorNameError)
		bg.FillColor = withAlpha(theme.Color(theme.ColorNameError), 0x30)
	}
	id := t.ID
	return newTapCard(container.NewStack(bg, box), func() { r.showSeat(id) })
}

func withAlpha(c color.Color, a uint8) color.Color {
	r, g, b, _ := c.RGBA()
	return color.NRGBA{R: uint8(r >> 8), G: uint8(g >> 8), B: uint8(b >> 8), A: a}
}

// tapCard is a seat's card, tappable.
type tapCard struct {
	widget.BaseWidget
	content fyne.CanvasObject
	tapped  func()
}

func newTapCard(content fyne.CanvasObject, tapped func()) *tapCard {
	c := &tapCard{content: content, tapped: tapped}
	c.ExtendBaseWidget(c)
	return c
}

func (c *tapCard) CreateRenderer() fyne.WidgetRenderer { return widget.NewSimpleRenderer(c.content) }
func (c *tapCard) Tapped(*fyne.PointEvent)             { c.tapped() }

// terminal is a terminal of the map by ID.
func (r *roomScreen) terminal(id string) (site.TerminalStatus, bool) {
	for _, t := range r.terms {
		if t.ID == id {
			return t, true
		}
	}
	return site.TerminalStatus{}, false
}

// seatAction is one of a seat's actions: its button, the console's button
// whose state it takes (nil: its own), and what it does.
type seatAction struct {
	text string
	icon fyne.Resource
	like *widget.Button
	on   bool
	do   func()
}

// showSeat offers a seat's actions: those of the candidate signed in on it
// (the console's, for the console's candidate of that ticket) and moving
// them to another terminal, and revoking the terminal.
func (r *roomScreen) showSeat(id string) {
	a := r.st.a
	r.st.touch()
	t, ok := r.terminal(id)
	if !ok {
		return
	}
	c := r.st.console
	k := t.Candidate
	ours := k != nil && k.SessionID == r.st.current && c.list != nil
	if ours {
		c.ticket = k.Ticket
		c.refresh() // the console's seats, and its buttons' states for this candidate
	}
	lines, _ := seatWords(t, false)
	about := wrapped(lines[0] + "\n" + lines[1])
	if k != nil {
		about.SetText(about.Text + "\n" + lines[2])
	}
	var acts []seatAction
	if ours {
		acts = []seatAction{
			{tr("console.pause"), theme.MediaPauseIcon(), c.pause, false, func() { c.pauseWithReason(k.Ticket) }},
			{tr("console.resume"), theme.MediaPlayIcon(), c.resume, false, c.resume.OnTapped},
			{tr("console.extra"), theme.ContentAddIcon(), c.extra, false, func() { c.extraTime(k.Ticket) }},
			{tr("room.move"), theme.ViewRefreshIcon(), nil, !k.Submitted && !k.Ended, func() { r.move(*k) }},
			{tr("console.force"), theme.MailSendIcon(), c.force, false, c.forceSubmit},
			{tr("console.incident"), theme.DocumentCreateIcon(), c.incident, false, func() { c.recordIncident(k.Ticket) }},
		}
	} else if k != nil {
		about.SetText(about.Text + "\n" + tr("room.other_session", args{"Title": k.SessionTitle}))
	}
	acts = append(acts, seatAction{tr("room.revoke"), theme.DeleteIcon(), nil, t.Revoked.IsZero(), func() { r.revoke(t) }})
	box := container.NewVBox(about, widget.NewSeparator())
	for _, act := range acts {
		b := widget.NewButtonWithIcon(act.text, act.icon, nil)
		b.OnTapped = func() {
			if r.seatDlg != nil {
				r.seatDlg.Hide()
			}
			act.do()
		}
		on := act.on
		if act.like != nil {
			on = !act.like.Disabled()
		}
		setEnabled(on, b)
		if act.like == nil && act.text == tr("room.revoke") {
			b.Importance = widget.DangerImportance
		}
		box.Add(b)
	}
	d := dialog.NewCustom(tr("room.seat_title", args{"Seat": t.Seat}), tr("dialog.close"), box, a.win)
	d.SetOnClosed(func() { r.seatDlg = nil })
	r.seatDlg = d
	d.Resize(fyne.NewSize(formWidth, 0))
	d.Show()
}

// Reasons offered for moving a candidate and for revoking a terminal; the
// last is "other", which needs the note.
func moveReasons() []string {
	return []string{tr("reason.device"), tr("reason.disturbance"), tr("reason.other")}
}

func revokeReasons() []string {
	return []string{tr("reason.device"), tr("reason.lost_terminal"), tr("reason.misconduct"), tr("reason.other")}
}

// move lets a candidate continue on another terminal, for a reason, and
// shows the new seat code large for the candidate to type there.
func (r *roomScreen) move(k roomwire.Candidate) {
	a := r.st.a
	about := tr("console.chosen", args{"Seat": k.Seat, "Name": k.Name, "Ticket": k.Ticket})
	r.st.console.askReason(tr("room.move"), about+"\n"+tr("room.move_hint"), tr("room.move"), moveReasons(), nil, func(reason string) {
		r.st.touch()
		code, err := a.site.MoveCandidate(a.ctx, k.SessionID, k.Ticket, a.proctor, reason)
		if err != nil {
			a.showError(err, a.win)
			return
		}
		r.st.sessionsChanged()
		showSeatCode(tr("room.moved_title"), k.Ticket, k.Seat, code, tr("room.moved_hint"), a.win)
	})
}

// revoke revokes a terminal, for a reason: from then on the station
// refuses it, and the candidate on it moves to another terminal.
func (r *roomScreen) revoke(t site.TerminalStatus) {
	a := r.st.a
	about := tr("room.seat", args{"Seat": t.Seat, "Name": t.Name})
	r.st.console.askReason(tr("room.revoke"), about+"\n"+tr("room.revoke_hint"), tr("room.revoke"), revokeReasons(), nil, func(reason string) {
		r.st.touch()
		if err := a.site.RevokeTerminal(a.ctx, t.ID, a.proctor, reason); err != nil {
			a.showError(err, a.win)
		}
		r.st.sessionsChanged()
	})
}

// bigText is text set large, for reading across a room.
func bigText(s string, times float32) *canvas.Text {
	t := canvas.NewText(s, theme.Color(theme.ColorNameForeground))
	t.TextSize = theme.Size(theme.SizeNameText) * times
	t.TextStyle = fyne.TextStyle{Bold: true, Monospace: true}
	t.Alignment = fyne.TextAlignCenter
	return t
}

// showSeatCode shows a candidate's seat code large, with the ticket and the
// seat, for the candidate to type on a terminal.
func showSeatCode(title, ticket, seat, code, hint string, w fyne.Window) {
	body := container.NewVBox(
		widget.NewLabelWithStyle(tr("seatcode.ticket_seat", args{"Ticket": ticket, "Seat": seat}), fyne.TextAlignCenter, fyne.TextStyle{Bold: true}),
		bigText(spaced(code), 4),
		wrapped(hint))
	d := dialog.NewCustom(title, tr("dialog.ok"), body, w)
	d.Resize(fyne.NewSize(formWidth*1.2, 0))
	d.Show()
}

// spaced writes a seat code in groups of three, easier to read and type.
func spaced(code string) string {
	if len(code) == site.SeatCodeDigits {
		return code[:3] + " " + code[3:]
	}
	return code
}

// watchRoom refreshes the room page at each change the terminals hear of
// (site.Watch), besides the app's tick, while the app runs.
func (a *App) watchRoom() {
	if a.opt.Tick < 0 {
		return // tests drive the refreshes themselves
	}
	go func() {
		for {
			ch := a.site.Watch()
			select {
			case <-a.ctx.Done():
				return
			case <-ch:
			}
			fyne.Do(func() {
				if st := a.station; st != nil && !st.locked && st.tabs.SelectedIndex() == tabRoom {
					st.room.refresh()
				}
			})
		}
	}()
}

package ui

import (
	"bytes"
	"fmt"
	"image/color"
	"image/png"
	"io"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/driver/software"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"onex/client/site"
)

// A seat slip (issue 14) is what a candidate takes from check-in to the
// seat: the session, room, seat, ticket and the seat code, large. Fyne has
// no printing, so the slip is a PNG the staff save where they choose and
// print with the system's viewer; it is drawn with Fyne's software
// renderer in the app's fonts (Noto CJK), black on white, at slipSize. It
// names no candidate: the ticket and the code are what the terminal asks.
type slip struct {
	Session, Room, Seat, Ticket, Code string
}

// slipSize is a slip's size in pixels: about 10 × 6 cm at 200 dpi.
var slipSize = fyne.NewSize(800, 480)

// slipPNG draws a slip as a PNG.
func slipPNG(s slip) ([]byte, error) {
	black := color.Black
	text := func(str string, size float32, bold bool) *canvas.Text {
		t := canvas.NewText(str, black)
		t.TextSize = size
		t.TextStyle.Bold = bold
		t.Alignment = fyne.TextAlignCenter
		return t
	}
	code := text(spaced(s.Code), 96, true)
	code.TextStyle.Monospace = true
	rule := canvas.NewRectangle(black)
	rule.SetMinSize(fyne.NewSize(0, 2))
	body := container.NewVBox(
		text(tr("slip.title"), 28, true),
		text(s.Session, 22, false),
		rule,
		text(tr("slip.where", args{"Room": s.Room, "Seat": s.Seat}), 34, true),
		text(tr("slip.ticket", args{"Ticket": s.Ticket}), 30, false),
		layout.NewSpacer(),
		text(tr("slip.code"), 24, false),
		code,
		layout.NewSpacer(),
		text(tr("slip.hint"), 20, false),
	)
	paper := canvas.NewRectangle(color.White)
	paper.StrokeColor = black
	paper.StrokeWidth = 3
	c := software.NewCanvas()
	c.SetPadded(false)
	c.SetContent(container.NewStack(paper, container.New(layout.NewCustomPaddedLayout(24, 24, 24, 24), body)))
	c.Resize(slipSize)
	var b bytes.Buffer
	if err := png.Encode(&b, c.Capture()); err != nil {
		return nil, fmt.Errorf("seat slip: %w", err)
	}
	return b.Bytes(), nil
}

// slipOf is the slip of a checked-in candidate of the current session.
func (st *station) slipOf(k site.Candidate) slip {
	info, _ := st.info()
	return slip{Session: info.Title, Room: info.Room, Seat: k.Seat, Ticket: k.Ticket, Code: k.SeatCode}
}

// saveSlip asks where to save a candidate's slip and writes it there.
func (st *station) saveSlip(k site.Candidate) {
	a := st.a
	st.touch()
	b, err := slipPNG(st.slipOf(k))
	if err != nil {
		a.showError(err, a.win)
		return
	}
	d := dialog.NewFileSave(func(w fyne.URIWriteCloser, err error) {
		if err == nil && w != nil {
			err = writeClose(w, b)
		}
		if err != nil {
			a.showError(err, a.win)
		}
	}, a.win)
	d.SetFileName(tr("slip.file", args{"Ticket": k.Ticket}))
	d.Resize(fyne.NewSize(900, 600))
	d.Show()
}

func writeClose(w io.WriteCloser, b []byte) error {
	_, err := w.Write(b)
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("seat slip: %w", err)
	}
	return nil
}

// seatCodePanel is check-in's seat code of the candidate shown: the code
// large with the ticket and seat, the slip, and a new code for a lost one.
type seatCodePanel struct {
	obj          *fyne.Container
	where        *widget.Label
	code         *canvas.Text
	print, renew *widget.Button
}

func newSeatCodePanel(c *checkinScreen) *seatCodePanel {
	p := &seatCodePanel{}
	p.where = widget.NewLabelWithStyle("", fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	p.code = bigText("", 3)
	p.print = widget.NewButtonWithIcon(tr("checkin.slip"), theme.DocumentPrintIcon(), func() { c.st.saveSlip(c.candidate()) })
	p.renew = widget.NewButtonWithIcon(tr("checkin.new_code"), theme.ViewRefreshIcon(), c.newSeatCode)
	p.obj = container.NewVBox(widget.NewSeparator(), widget.NewLabel(tr("checkin.seat_code")), p.where, p.code,
		container.NewGridWithColumns(2, p.print, p.renew))
	p.obj.Hide()
	return p
}

// show shows a candidate's seat code once they are checked in.
func (p *seatCodePanel) show(k site.Candidate, ended bool) {
	if !k.Status.CheckedIn() || k.SeatCode == "" {
		p.obj.Hide()
		return
	}
	p.where.SetText(tr("seatcode.ticket_seat", args{"Ticket": k.Ticket, "Seat": k.Seat}))
	p.code.Text = spaced(k.SeatCode)
	p.code.TextSize = theme.Size(theme.SizeNameText) * 3
	p.code.Color = theme.Color(theme.ColorNameForeground)
	p.code.Refresh()
	setEnabled(!k.Submitted && !ended, p.renew)
	p.obj.Show()
}

// newSeatCode issues the candidate shown a new seat code (a lost slip),
// after asking: the old code then signs nobody in.
func (c *checkinScreen) newSeatCode() {
	a := c.st.a
	k := c.candidate()
	c.st.touch()
	ask(tr("checkin.new_code"), tr("checkin.new_code_question", args{"Name": k.Name, "Ticket": k.Ticket}), tr("checkin.new_code"), func() {
		code, err := a.site.NewSeatCode(a.ctx, c.st.current, k.Ticket, a.proctor)
		if err != nil {
			a.showError(err, a.win)
			return
		}
		c.refresh()
		showSeatCode(tr("checkin.new_code"), k.Ticket, k.Seat, code, tr("checkin.new_code_done"), a.win)
	}, a.win)
}

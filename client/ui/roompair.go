package ui

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"
	qrcode "github.com/skip2/go-qrcode"

	roomwire "onex/client/room"
	"onex/client/site"
	roomserver "onex/client/station"
)

// Pairing from the room page: the code's defaults.
const (
	pairingTerminals = 40                // a code serves this many when the session's roster is unknown
	pairingMinutes   = 30                // a code lives this long unless staff say otherwise
	qrPixels         = 320               // the QR code's PNG, square
	qrLevel          = qrcode.Medium     // its error correction: 15%, readable off a screen at an angle
	qrMinSize        = float32(qrPixels) // on screen, at least
)

// pairingDialog is the pairing code on screen: typed form large, full form
// as a QR code, the terminals paired with the room so far and the code's
// expiry.
type pairingDialog struct {
	code   roomwire.PairingCode
	room   string
	issued time.Time
	uses   int
	until  time.Time
	png    []byte // the QR code of code.String()
	paired *widget.Label
	d      dialog.Dialog
}

// showPairing asks for the room, how many terminals the code serves and
// how long it lives, then shows the code; without a room server it says why.
func (r *roomScreen) showPairing() {
	a := r.st.a
	r.st.touch()
	if a.room == nil {
		inform(tr("room.pair"), a.roomProblem(), a.win)
		return
	}
	info, _ := r.st.info()
	room := widget.NewEntry()
	room.SetText(info.Room)
	room.Validator = func(s string) error {
		if n := len(strings.TrimSpace(s)); n == 0 || n > 64 {
			return errors.New(tr("room.pair_room_bad"))
		}
		return nil
	}
	n := pairingTerminals
	if info.Candidates > 0 {
		n = info.Candidates
	}
	count := widget.NewEntry()
	count.SetText(strconv.Itoa(n))
	count.Validator = intRange(1, roomserver.MaxPairingUses, func(a args) string { return tr("room.pair_count_bad", a) })
	mins := widget.NewEntry()
	mins.SetText(strconv.Itoa(pairingMinutes))
	mins.Validator = intRange(1, int(roomserver.MaxPairingTTL/time.Minute), func(a args) string { return tr("room.pair_minutes_bad", a) })
	showForm(tr("room.pair"), tr("room.pair_make"), []*widget.FormItem{
		widget.NewFormItem(tr("room.pair_room"), room),
		widget.NewFormItem(tr("room.pair_count"), count),
		widget.NewFormItem(tr("room.pair_minutes"), mins),
	}, func() {
		uses, _ := strconv.Atoi(strings.TrimSpace(count.Text))
		m, _ := strconv.Atoi(strings.TrimSpace(mins.Text))
		r.makePairing(strings.TrimSpace(room.Text), uses, time.Duration(m)*time.Minute)
	}, a.win)
	a.win.Canvas().Focus(count)
}

// intRange validates a whole number from lo to hi, saying what say says.
func intRange(lo, hi int, say func(args) string) fyne.StringValidator {
	return func(s string) error {
		if n, err := strconv.Atoi(strings.TrimSpace(s)); err != nil || n < lo || n > hi {
			return errors.New(say(args{"Min": lo, "Max": hi}))
		}
		return nil
	}
}

// makePairing asks the room server for a code and shows it.
func (r *roomScreen) makePairing(room string, uses int, ttl time.Duration) {
	a := r.st.a
	now := a.now()
	code, err := a.room.PairingCode(room, uses, ttl)
	if err != nil {
		a.showError(err, a.win)
		return
	}
	png, err := qrPNG(code.String())
	if err != nil {
		a.showError(err, a.win)
		return
	}
	p := &pairingDialog{code: code, room: room, issued: now, uses: uses, until: now.Add(ttl), png: png}
	p.paired = widget.NewLabelWithStyle("", fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	qr := canvas.NewImageFromResource(fyne.NewStaticResource("pairing-qr.png", png))
	qr.FillMode = canvas.ImageFillContain
	qr.ScaleMode = canvas.ImageScalePixels // sharp modules
	qr.SetMinSize(fyne.NewSize(qrMinSize, qrMinSize))
	typed := container.NewVBox(
		widget.NewLabelWithStyle(tr("room.pair_typed", args{"Room": room}), fyne.TextAlignCenter, fyne.TextStyle{}),
		bigText(code.Station.String(), 2.5),
		bigText(code.Secret.String(), 2.5),
		p.paired,
		widget.NewLabelWithStyle(tr("room.pair_until", args{"Until": clock(p.until), "N": uses}), fyne.TextAlignCenter, fyne.TextStyle{}),
	)
	body := container.NewBorder(nil, nil, nil, qr, container.NewCenter(typed))
	p.d = dialog.NewCustom(tr("room.pair_title"), tr("dialog.close"), body, a.win)
	p.d.SetOnClosed(func() {
		if r.pairing == p {
			r.pairing = nil
		}
	})
	r.pairing = p
	r.refresh() // the count
	p.d.Show()
	a.log.Info("pairing code shown", "room", room, "terminals", uses, "ttl", ttl.String())
}

// count shows how many terminals are paired with the code's room, and how
// many of them since the code was made.
func (p *pairingDialog) count(terms []site.TerminalStatus) {
	all, since := 0, 0
	for _, t := range terms {
		if t.Revoked.IsZero() && (t.Room == p.room || t.Room == "") {
			all++
			if !t.Paired.Before(p.issued.Add(-time.Second)) {
				since++
			}
		}
	}
	p.paired.SetText(tr("room.pair_paired", args{"All": all, "Since": since}))
}

// qrPNG is a QR code of text, as a PNG.
func qrPNG(text string) ([]byte, error) {
	png, err := qrcode.Encode(text, qrLevel, qrPixels)
	if err != nil {
		return nil, fmt.Errorf("QR code of the pairing code: %w", err)
	}
	return png, nil
}

package ui

import (
	"fmt"
	"time"
	"unicode"
	"unicode/utf8"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"onex/client/site"
)

// Every time the station and the candidate's window show is Beijing time
// (site.Beijing), as the office shows it, whatever the machine's zone: a
// machine set to UTC showed 06:47 for the office's 14:47. Dates say so.

// clock is a time of day as people read it on a clock, Beijing time.
func clock(t time.Time) string { return t.In(site.Beijing).Format("15:04:05") }

// stamp is a date and time to the second, Beijing time.
func stamp(t time.Time) string { return t.In(site.Beijing).Format("2006-01-02 15:04:05") }

// dateTime is a date and time, short, saying it is Beijing time.
func dateTime(t time.Time) string {
	return tr("time.beijing", args{"At": t.In(site.Beijing).Format("2006-01-02 15:04")})
}

// countdown is a duration as a countdown: 1:02:03 or 02:03.
func countdown(d time.Duration) string {
	s := int(max(d, 0).Round(time.Second) / time.Second)
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%02d:%02d", s/60, s%60)
}

// minutes is a duration in whole minutes, rounded up.
func minutes(d time.Duration) int { return int((d + time.Minute - time.Second) / time.Minute) }

// span is a duration in hours and minutes as people say it, rounded up to
// the minute: "2 小时 5 分钟", "12 分钟".
func span(d time.Duration) string {
	m := minutes(d)
	if m >= 60 {
		return tr("time.hours_minutes", args{"H": m / 60, "M": m % 60})
	}
	return tr("time.minutes", args{"M": m})
}

// Passphrase strengths, as the hint under a new passphrase says.
const (
	tooShort = iota
	weak
	fair
	strong
)

// strength rates a new passphrase by its length and the kinds of character
// it mixes (lower case, upper case, digits, symbols, other scripts such as
// Chinese). It is a hint for people, not a rule: the rule is the length.
func strength(p string, least int) int {
	n := utf8.RuneCountInString(p)
	if n < least {
		return tooShort
	}
	kinds := map[string]bool{}
	for _, r := range p {
		switch {
		case r > unicode.MaxASCII:
			kinds["other"] = true
		case unicode.IsLower(r):
			kinds["lower"] = true
		case unicode.IsUpper(r):
			kinds["upper"] = true
		case unicode.IsDigit(r):
			kinds["digit"] = true
		default:
			kinds["symbol"] = true
		}
	}
	switch {
	case n >= 16 || n >= 12 && len(kinds) >= 3:
		return strong
	case n >= 12 || len(kinds) >= 3:
		return fair
	}
	return weak
}

// widthLayout gives its only object at least a width, at Fyne's text size
// and wider as the text is larger, and the rest of the room it has.
type widthLayout struct{ width float32 }

func (l widthLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	m := objs[0].MinSize()
	scale := theme.Size(theme.SizeNameText) / theme.DefaultTheme().Size(theme.SizeNameText)
	return fyne.NewSize(max(m.Width, l.width*scale), m.Height)
}

func (l widthLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	objs[0].Resize(size)
	objs[0].Move(fyne.NewPos(0, 0))
}

// centred puts obj in the middle of the screen, width wide at least.
func centred(width float32, obj fyne.CanvasObject) fyne.CanvasObject {
	return container.NewCenter(container.New(widthLayout{width}, obj))
}

// columns is a row of labels of the given widths, for lists that read as
// tables; the last column takes what room is left. The widths grow with the
// text size; where the row has less room than they ask, the last column
// gives up room first, then every column the same share, and texts are cut
// with an ellipsis, so that a list never widens its window past the screen.
func columns(widths []float32, bold bool, texts ...string) *fyne.Container {
	row := container.New(columnsLayout{widths})
	for i := range widths {
		l := widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: bold})
		l.Truncation = fyne.TextTruncateEllipsis
		if i < len(texts) {
			l.Text = texts[i]
		}
		row.Add(l)
	}
	return row
}

// setColumns sets the texts of a row made by columns.
func setColumns(row fyne.CanvasObject, texts ...string) {
	for i, cell := range row.(*fyne.Container).Objects {
		cell.(*widget.Label).SetText(texts[i])
	}
}

// columnsLayout lays a row of columns out: at their widths (scaled with
// the text) when there is room, else narrower. Its least width is three
// quarters of what the widths ask.
type columnsLayout struct{ widths []float32 }

// columnsLeast is the share of its widths a row of columns can shrink to.
const columnsLeast = 0.75

func (l columnsLayout) wanted() (ws []float32, sum float32) {
	scale := theme.Size(theme.SizeNameText) / theme.DefaultTheme().Size(theme.SizeNameText)
	for _, w := range l.widths {
		ws = append(ws, w*scale)
		sum += w * scale
	}
	return ws, sum + theme.Padding()*float32(len(l.widths)-1)
}

func (l columnsLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var h float32
	for _, o := range objs {
		h = max(h, o.MinSize().Height)
	}
	_, sum := l.wanted()
	return fyne.NewSize(sum*columnsLeast, h)
}

func (l columnsLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	ws, sum := l.wanted()
	pad := theme.Padding()
	gaps := pad * float32(len(ws)-1)
	// Short of room, the last column (the one that reads least as an
	// identifier: a state, a time) gives up to half of its width first,
	// then every column the same share.
	if short := sum - size.Width; short > 0 && len(ws) > 0 {
		last := len(ws) - 1
		give := min(short, ws[last]/2)
		ws[last] -= give
		if short -= give; short > 0 {
			share := max(0, (sum-gaps-give-short)/(sum-gaps-give))
			for i := range ws {
				ws[i] *= share
			}
		}
	}
	x := float32(0)
	for i, o := range objs {
		w := ws[min(i, len(ws)-1)]
		if i == len(objs)-1 {
			w = max(size.Width-x, 0)
		}
		o.Move(fyne.NewPos(x, 0))
		o.Resize(fyne.NewSize(w, size.Height))
		x += w + pad
	}
}

// setEnabled enables or disables widgets.
func setEnabled(on bool, ws ...fyne.Disableable) {
	for _, w := range ws {
		if on {
			w.Enable()
		} else {
			w.Disable()
		}
	}
}

// heading is a large bold label.
func heading(text string) *widget.Label {
	l := widget.NewLabelWithStyle(text, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	l.SizeName = theme.SizeNameHeadingText
	return l
}

// scrolled puts obj in a vertical scroll. Text that wraps belongs in one
// (or in something of a set width): asked for its least size, the window
// lays content out at its least width, where wrapped text grows tall, and
// the window would grow as tall with it.
func scrolled(obj fyne.CanvasObject) fyne.CanvasObject { return container.NewVScroll(obj) }

// wrapped is a label that wraps its text: English between words, Chinese
// between any two characters, as Chinese is set (Fyne's word wrapping
// would move a whole run of Chinese after a space to the next line).
func wrapped(text string) *widget.Label {
	l := widget.NewLabel(text)
	l.Wrapping = fyne.TextWrapWord
	if current == Chinese {
		l.Wrapping = fyne.TextWrapBreak
	}
	return l
}

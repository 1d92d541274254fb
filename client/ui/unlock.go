package ui

import (
	"context"
	"errors"
	"strings"
	"time"
	"unicode"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"onex/client/site"
)

// codeGroups and groupLen are the shape of an unlock code as the office
// reads it out: four groups of five characters.
const (
	codeGroups = 4
	groupLen   = 5
)

// unlockScreen opens the paper: online from central at the release time
// (with a countdown while it is too early), or with the code the office
// reads out on the phone, typed in groups; a mistyped group is pointed at.
type unlockScreen struct {
	st  *station
	obj fyne.CanvasObject

	state, wait, problem *widget.Label
	online, byCode       *widget.Button
	groups               [codeGroups]*widget.Entry
	releaseAt            time.Time // when central releases, by this machine's clock
	asked                bool      // the release was asked for at releaseAt
	busy                 bool
}

func newUnlock(st *station) *unlockScreen {
	u := &unlockScreen{st: st}
	if _, ok := st.info(); !ok {
		u.obj = scrolled(wrapped(tr("station.no_session_hint")))
		return u
	}
	u.state = heading("")
	u.wait = wrapped("")
	u.problem = wrapped("")
	u.problem.Importance = widget.DangerImportance
	u.online = widget.NewButtonWithIcon(tr("unlock.online"), theme.DownloadIcon(), u.release)
	u.online.Importance = widget.HighImportance
	row := container.NewHBox()
	for g := range u.groups {
		e := widget.NewEntry()
		e.SetPlaceHolder(tr("unlock.group", args{"N": g + 1}))
		e.AlwaysShowValidationError = true
		e.OnChanged = func(s string) { u.typed(g, s) }
		e.OnSubmitted = func(string) { u.unlock() }
		u.groups[g] = e
		row.Add(container.New(widthLayout{110}, e))
		if g < codeGroups-1 {
			row.Add(widget.NewLabel("-"))
		}
	}
	u.byCode = widget.NewButtonWithIcon(tr("unlock.with_code"), theme.LoginIcon(), u.unlock)
	u.obj = container.NewVScroll(container.NewVBox(
		u.state,
		widget.NewCard(tr("unlock.online_title"), tr("unlock.online_hint"), container.NewVBox(u.online, u.wait)),
		widget.NewCard(tr("unlock.code_title"), tr("unlock.code_hint"), container.NewVBox(row, u.byCode)),
		u.problem,
	))
	return u
}

// refresh shows whether the paper is open and enables what can be done.
func (u *unlockScreen) refresh() {
	if u.state == nil {
		return
	}
	info, _ := u.st.info()
	switch {
	case info.Released:
		u.state.SetText(tr("unlock.released"))
		u.wait.SetText("")
		u.releaseAt = time.Time{}
	case !info.Locked.IsZero():
		u.state.SetText(tr("state.locked", args{"Until": clock(info.Locked)}))
	default:
		u.state.SetText(tr("unlock.sealed", args{"At": dateTime(info.ReleaseAt)}))
	}
	setEnabled(!info.Released && !u.busy, u.online, u.byCode, u.groups[0], u.groups[1], u.groups[2], u.groups[3])
}

// tick counts down to the release time and asks central once it is there.
func (u *unlockScreen) tick() {
	if u.releaseAt.IsZero() {
		return
	}
	left := time.Until(u.releaseAt)
	if left > 0 {
		u.wait.SetText(tr("unlock.countdown", args{"At": clock(u.releaseAt), "In": countdown(left)}))
		return
	}
	if !u.asked {
		u.asked = true
		u.release()
	}
}

func (u *unlockScreen) setBusy(on bool) {
	u.busy = on
	u.refresh()
}

// release asks central for the release key.
func (u *unlockScreen) release() {
	a := u.st.a
	u.setBusy(true)
	u.problem.SetText("")
	u.wait.SetText(tr("unlock.asking"))
	id := u.st.current
	a.run(func(ctx context.Context) error { return a.site.Release(ctx, id) }, func(err error) {
		u.setBusy(false)
		var early *site.TooEarlyError
		switch {
		case errors.As(err, &early):
			u.releaseAt, u.asked = time.Now().Add(early.Remaining), false
			u.tick()
		case err != nil:
			u.wait.SetText("")
			u.problem.SetText(message(err) + "\n" + tr("unlock.try_code"))
		default:
			u.done()
		}
	})
}

// typed handles a group typed or pasted: a whole code pasted in one group
// is spread over the groups, and a full group moves on to the next.
func (u *unlockScreen) typed(g int, s string) {
	u.groups[g].SetValidationError(nil)
	chars := strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || r == '-' || r == '－' {
			return -1
		}
		return r
	}, s)
	if n := len([]rune(chars)); n > groupLen && g < codeGroups-1 {
		rs := []rune(chars)
		for i := g; i < codeGroups && len(rs) > 0; i++ {
			k := min(groupLen, len(rs))
			if i == codeGroups-1 {
				k = len(rs)
			}
			u.groups[i].SetText(string(rs[:k]))
			rs = rs[k:]
		}
		return
	}
	if len([]rune(s)) == groupLen && g < codeGroups-1 {
		u.st.a.win.Canvas().Focus(u.groups[g+1])
	}
}

// unlock opens the paper with the code typed.
func (u *unlockScreen) unlock() {
	a := u.st.a
	parts := make([]string, codeGroups)
	for g, e := range u.groups {
		parts[g] = strings.TrimSpace(e.Text)
	}
	code := strings.Join(parts, "-")
	u.setBusy(true)
	u.problem.SetText(tr("unlock.checking"))
	id := u.st.current
	a.run(func(ctx context.Context) error { return a.site.UnlockWithCode(ctx, id, code) }, func(err error) {
		u.setBusy(false)
		if err == nil {
			u.done()
			return
		}
		g, mistyped := site.MistypedGroup(err)
		switch {
		case mistyped && g > 0:
			msg := tr("unlock.mistyped", args{"N": g})
			u.groups[g-1].SetValidationError(errors.New(msg))
			u.problem.SetText(msg)
			a.win.Canvas().Focus(u.groups[g-1])
			u.groups[g-1].TypedShortcut(&fyne.ShortcutSelectAll{})
		case mistyped:
			u.problem.SetText(tr("unlock.wrong_length", args{"Groups": codeGroups, "Len": groupLen}))
		default:
			u.problem.SetText(message(err))
			u.st.sessionsChanged() // the count of attempts or the lock shows
		}
	})
}

// done shows the paper open and moves on to the proctor console.
func (u *unlockScreen) done() {
	u.problem.SetText("")
	for _, e := range u.groups {
		e.SetText("")
	}
	u.st.sessionsChanged()
	u.st.tabs.SelectIndex(tabProctor)
}

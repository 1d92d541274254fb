package ui

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"onex/client/site"
	"onex/exam"
)

// Warnings of the time left, in minutes, latest last.
var warnings = []int{15, 5}

// examSource is the candidate's exam as the screens drive it: the
// station's own (*site.Exam, through siteExam) or a terminal's
// (*terminal.Terminal, through terminalExam). **[added: issue 14]**
type examSource interface {
	View(ctx context.Context) (*exam.View, error)
	// Save and Flag return errOnlyHere when the change is kept on this
	// computer but has not reached the station yet.
	Save(ctx context.Context, itemID string, ans exam.Answer) error
	Flag(ctx context.Context, itemID string, flagged bool) error
	// Submit submits; the receipt code is "" while the station has not
	// acknowledged the submission.
	Submit(ctx context.Context) (forced bool, receipt string, err error)
}

// errOnlyHere: the change is saved on this computer, not yet at the
// station (a terminal's journal keeps it until the station answers).
var errOnlyHere = errors.New("saved on this computer, not yet at the station")

// siteExam is the station's own exam as an examSource.
type siteExam struct{ *site.Exam }

func (e siteExam) Submit(ctx context.Context) (bool, string, error) {
	if err := e.handInAll(ctx); err != nil {
		return false, "", err
	}
	sub, err := e.Exam.Submit(ctx)
	return sub.Forced, sub.ReceiptCode, err
}

// candidateWin is a candidate's window: the seat screen until the proctor
// starts the room, then the exam (covered while paused), then the receipt.
// Only the staff PIN lets it close. Its language, text size and contrast are
// the candidate's, apart from the station's.
type candidateWin struct {
	a           *App
	w           fyne.Window
	sid, ticket string
	screen      string // "seat", "exam", "paused" or "receipt"

	lang     Language
	tr       func(key string, data ...any) string // in lang
	scale    int                                  // index in TextScales
	contrast bool
	themed   *container.ThemeOverride // the window's content in its theme
	submitQ  dialog.Dialog            // the submission's confirmation while it is up

	ex     examSource
	term   *terminalMode // the terminal this window is the screens of; nil on the station
	view   *exam.View
	items  []*exam.ViewItem // in the candidate's order
	cur    int
	saver  *saver
	warned int // the last warning given, in minutes; 0 none

	countdown, saved *widget.Label
	nav              []*widget.Button
	body             *fyne.Container
	prev, next, flag *widget.Button
	status           *widget.Label // the seat screen's
}

// openCandidate opens the exam window of a checked-in candidate, after the
// proctor has set the PIN that closes it; the station locks itself while
// the window is open.
func (a *App) openCandidate(sessionID, ticket string) {
	for c := range a.cands {
		if c.sid == sessionID && c.ticket == ticket {
			c.w.RequestFocus()
			a.lockStation()
			return
		}
	}
	if !a.staff.HasPIN() {
		a.setPIN(func() { a.openCandidate(sessionID, ticket) })
		return
	}
	c := &candidateWin{a: a, sid: sessionID, ticket: ticket, lang: Chinese, tr: translator(Chinese)}
	c.w = a.fa.NewWindow(c.tr("exam.window_title"))
	a.sized(c.w, fyne.NewSize(1100, 700)) // within 1366×768 with the title bar; remembered, to shrink back to after larger text
	c.w.SetCloseIntercept(c.askPIN)
	c.saver = newSaver(c.showSaved)
	for _, s := range examShortcuts {
		c.w.Canvas().AddShortcut(s, func(s fyne.Shortcut) { c.shortcut(s) })
	}
	a.cands[c] = true
	c.rebuild()
	c.w.Show()
	a.lockStation()
}

// setPIN asks the proctor for the PIN that candidate windows need to close.
func (a *App) setPIN(then func()) {
	pin, again := widget.NewPasswordEntry(), widget.NewPasswordEntry()
	pin.Validator = func(s string) error {
		if site.CheckPIN(s) != nil {
			return errors.New(tr("pin.short", args{"N": site.MinPIN}))
		}
		return nil
	}
	again.Validator = func(s string) error {
		if s != pin.Text {
			return errors.New(tr("pin.mismatch"))
		}
		return nil
	}
	d := showForm(tr("pin.set_title"), tr("dialog.ok"), []*widget.FormItem{
		widget.NewFormItem("", wrapped(tr("pin.set_hint"))),
		widget.NewFormItem(tr("pin.pin"), pin),
		widget.NewFormItem(tr("pin.again"), again),
	}, func() {
		if err := a.staff.SetPIN(pin.Text); err != nil {
			a.showError(err, a.win)
			return
		}
		then()
	}, a.win)
	d.Resize(fyne.NewSize(460, 300))
	a.win.Canvas().Focus(pin)
}

// askPIN lets the window close when the proctor types the staff PIN (or
// the site passphrase); wrong tries count towards the staff lock's waits.
func (c *candidateWin) askPIN() {
	tr := c.tr
	pin := widget.NewPasswordEntry()
	d := dialog.NewForm(tr("pin.leave_title"), tr("pin.leave"), tr("dialog.cancel"), []*widget.FormItem{
		widget.NewFormItem("", wrapped(tr("pin.leave_hint"))),
		widget.NewFormItem(tr("pin.pin"), pin),
	}, func(ok bool) {
		if !ok {
			return
		}
		if err := c.a.leaveLock().Check(c.a.ctx, pin.Text); err != nil {
			c.inform(tr("pin.leave_title"), pinMessage(tr, err)+" "+tr("pin.not_closed"))
			return
		}
		c.close()
	}, c.w)
	pin.OnSubmitted = func(string) { d.Submit() }
	d.Resize(fyne.NewSize(420, 240))
	d.Show()
	c.w.Canvas().Focus(pin)
}

// inform shows a message in the candidate's language.
func (c *candidateWin) inform(title, msg string) {
	d := dialog.NewCustom(title, c.tr("dialog.ok"), wrapped(msg), c.w)
	d.Resize(fyne.NewSize(420, 0))
	d.Show()
}

// message says what went wrong with the candidate's exam, in the
// candidate's language.
func (c *candidateWin) message(err error) string {
	if c.term != nil {
		if text, ok := terminalMessage(c.tr, err); ok {
			return text
		}
	}
	for _, known := range []struct {
		err  error
		text string
	}{
		{site.ErrPaused, c.tr("error.paused")},
		{site.ErrTimeUp, c.tr("error.time_up")},
		{site.ErrSubmitted, c.tr("error.submitted")},
		{site.ErrEnded, c.tr("error.ended")},
		{site.ErrNotStarted, c.tr("error.not_started")},
		{site.ErrNotCheckedIn, c.tr("error.not_checked_in")},
	} {
		if errors.Is(err, known.err) {
			return known.text
		}
	}
	return otherMessage(c.tr, err)
}

// close closes the window once its saves are done; the station, locked
// for it, comes back when it was the last (the PIN was just given).
func (c *candidateWin) close() {
	c.saver.wait()
	if c.term != nil {
		c.term.left(c)
		return
	}
	delete(c.a.cands, c)
	c.w.Close()
	if len(c.a.cands) == 0 {
		c.a.unlockStation()
	}
}

// rebuild shows the screen the candidate is on, afresh (after a language,
// text size or state change).
func (c *candidateWin) rebuild() {
	c.w.SetTitle(c.tr("exam.window_title"))
	switch {
	case c.view != nil && c.view.Submitted:
		c.showReceipt()
	case c.ex != nil && c.view.Paused:
		c.showPaused()
	case c.ex != nil:
		c.showExam()
	default:
		c.showSeat()
	}
}

// setContent shows obj in the window with the candidate's own text size and
// contrast.
func (c *candidateWin) setContent(obj fyne.CanvasObject) {
	c.themed = container.NewThemeOverride(obj, appTheme{scale: TextScales[c.scale], contrast: c.contrast})
	c.w.SetContent(c.themed)
}

// top is the bar of every candidate screen: who, the settings, and the
// proctor's way out.
func (c *candidateWin) top(k site.Candidate, extra ...fyne.CanvasObject) fyne.CanvasObject {

	who := widget.NewLabelWithStyle(c.tr("exam.who", args{"Name": k.Name, "Ticket": k.Ticket, "Seat": k.Seat}), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	who.Truncation = fyne.TextTruncateEllipsis // the bar fits the screen at every text size: who takes the room left
	leave := widget.NewButtonWithIcon(c.tr("exam.proctor"), theme.LogoutIcon(), c.askPIN)
	right := container.NewHBox(append(extra, c.settingsBar(), leave)...)
	if c.term != nil { // a terminal's connection state, always in sight, on a row of its own
		return container.NewVBox(container.NewBorder(nil, nil, nil, right, who), c.term.stateLabel(c.tr), widget.NewSeparator())
	}
	return container.NewVBox(container.NewBorder(nil, nil, nil, right, who), widget.NewSeparator())
}

// settingsBar is the candidate's language, text size and contrast: this
// window's alone.
func (c *candidateWin) settingsBar() fyne.CanvasObject {
	language := widget.NewSelect(nil, nil)
	for _, l := range Languages {
		language.Options = append(language.Options, l.Name()) // each in itself, the same in every language
	}
	language.SetSelectedIndex(slices.Index(Languages, c.lang))
	language.OnChanged = func(string) { c.setLanguage(Languages[language.SelectedIndex()]) }
	smaller := widget.NewButton(c.tr("settings.smaller"), func() { c.textSize(-1) })
	larger := widget.NewButton(c.tr("settings.larger"), func() { c.textSize(+1) })
	contrast := widget.NewCheck(c.tr("settings.contrast"), nil)
	contrast.Checked = c.contrast
	contrast.OnChanged = func(on bool) {
		c.contrast = on
		c.rebuild()
	}
	return container.NewHBox(language, widget.NewLabel(c.tr("settings.text_size")), smaller, larger, contrast)
}

// setLanguage switches this window's language.
func (c *candidateWin) setLanguage(l Language) {
	if l != c.lang {
		c.lang, c.tr = l, translator(l)
		c.rebuild()
	}
}

// textSize moves this window's text size one step up (+1) or down (-1) and
// tells whether it moved.
func (c *candidateWin) textSize(step int) bool {
	i := c.scale + step
	if i < 0 || i >= len(TextScales) {
		return false
	}
	before, least := c.w.Canvas().Size(), leastSize(c.w)
	c.scale = i
	c.rebuild()
	c.a.fitWindow(c.w, before, least)
	return true
}

// candidate is the candidate's roster entry and check-in.
func (c *candidateWin) candidate() site.Candidate {
	if c.term != nil {
		return c.term.candidate()
	}
	all, err := c.a.site.Candidates(c.a.ctx, c.sid)
	if err == nil {
		for _, k := range all {
			if k.Ticket == c.ticket {
				return k
			}
		}
	}
	return site.Candidate{}
}

// showSeat shows the candidate's name, photo and the instructions, and
// waits for the room to start.
func (c *candidateWin) showSeat() {
	c.screen = "seat"
	k := c.candidate()
	var photo fyne.CanvasObject
	rules := wrapped(c.tr("seat.rules"))
	if c.term != nil { // a terminal holds no photo and no instructions: a placeholder
		photo = photoImage(theme.AccountIcon(), fyne.NewSize(160, 200))
	} else {
		photo = photoImage(c.a.photo(c.sid, c.ticket), fyne.NewSize(160, 200))
		if text, err := c.a.site.Instructions(c.a.ctx, c.sid); err == nil {
			rules.SetText(text + "\n\n" + c.tr("seat.rules"))
		}
	}
	c.status = heading("")
	name := heading(k.Name)
	body := container.NewVBox(
		container.NewHBox(photo, container.NewVBox(name,
			widget.NewLabel(c.tr("seat.details", args{"Ticket": k.Ticket, "Seat": k.Seat, "IDType": c.idTypeName(k.IDType), "ID": maskID(k.IDNumber)})))),
		widget.NewSeparator(),
		widget.NewLabelWithStyle(c.tr("seat.instructions"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		rules,
		widget.NewSeparator(),
		c.status,
	)
	c.setContent(container.NewBorder(c.top(k), nil, nil, nil, container.NewVScroll(container.NewPadded(body))))
	c.tick()
	c.a.shown("seat")
}

// idTypeName is an ID type in the candidate's language (see idTypeName).
func (c *candidateWin) idTypeName(t string) string {
	if t == exam.ResidentID {
		return c.tr("roster.resident_id")
	}
	return t
}

// maskID shows the start and the end of an ID number only, as on a screen
// others may see.
func maskID(id string) string {
	rs := []rune(id)
	if len(rs) <= 8 {
		return id
	}
	return string(rs[:4]) + strings.Repeat("*", len(rs)-8) + string(rs[len(rs)-4:])
}

// tick follows the room: it begins the exam once the room has started, and
// keeps the countdown, the pause and the submission up to date.
func (c *candidateWin) tick() {
	switch c.screen {
	case "seat":
		c.waitForStart()
	case "exam", "paused":
		c.follow()
	}
}

func (c *candidateWin) waitForStart() {
	if c.term != nil {
		c.term.waitForStart(c)
		return
	}
	info, err := c.a.sessionInfo(c.a.ctx, c.sid)
	k := c.candidate()
	switch {
	case err != nil:
		c.status.SetText(c.message(err))
	case !info.Ended.IsZero():
		c.status.SetText(c.tr("seat.ended"))
	case !k.Status.CheckedIn():
		c.status.SetText(c.tr("seat.check_in_first"))
	case info.Started.IsZero() || info.Paused && !k.Begun:
		c.status.SetText(c.tr("seat.wait"))
	default:
		ex, err := c.a.site.Begin(c.a.ctx, c.sid, c.ticket)
		if err != nil {
			c.status.SetText(c.message(err))
			return
		}
		c.ex = siteExam{ex}
		if c.load() {
			c.rebuild()
		}
	}
}

// load reads the candidate's paper and answers; it tells whether it could.
func (c *candidateWin) load() bool {
	v, err := c.ex.View(c.a.ctx)
	if err != nil {
		c.inform(c.tr("error.title"), c.message(err))
		return false
	}
	c.view, c.items = v, v.Items()
	c.cur = min(c.cur, max(len(c.items)-1, 0))
	return true
}

// follow reads the exam's state: time left (with the warnings), a pause, a
// submission by time-out or by the proctor.
func (c *candidateWin) follow() {
	v, err := c.ex.View(c.a.ctx)
	if err != nil {
		c.saved.SetText(c.message(err))
		return
	}
	if v.Submitted {
		c.view.Submitted, c.view.Forced, c.view.ReceiptCode = true, v.Forced, v.ReceiptCode
		c.rebuild()
		return
	}
	c.view.Remaining = v.Remaining
	if v.Paused != c.view.Paused {
		c.view.Paused = v.Paused
		c.rebuild() // the cover, or the paper again
		return
	}
	c.showTime()
}

// showTime shows the time left and gives the warnings once each.
func (c *candidateWin) showTime() {
	left := c.view.Remaining
	c.countdown.SetText(c.tr("exam.left", args{"Time": countdown(left)}))
	for _, m := range warnings {
		if left > time.Duration(m)*time.Minute || c.warned == m || c.warned != 0 && c.warned < m {
			continue
		}
		c.warned = m
		c.inform(c.tr("exam.warn_title"), c.tr("exam.warn", args{"N": m}))
	}
	switch {
	case c.warned == warnings[len(warnings)-1]:
		c.countdown.Importance = widget.DangerImportance
	case c.warned != 0:
		c.countdown.Importance = widget.WarningImportance
	}
	c.countdown.Refresh()
}

// newStatus makes the countdown and the saved state of the exam's screens.
func (c *candidateWin) newStatus() {
	c.countdown = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true, Monospace: true})
	c.countdown.SizeName = theme.SizeNameSubHeadingText
	c.saved = widget.NewLabel(c.tr("exam.saved_none"))
}

// showPaused covers the paper while the proctor has paused the candidate or
// the room: no item, no navigator and no submission can be reached (the
// submission's confirmation, if up, goes), only the bar with the time left,
// the settings and the proctor's way out.
func (c *candidateWin) showPaused() {
	c.screen = "paused"
	if c.submitQ != nil {
		c.submitQ.Hide()
		c.submitQ = nil
	}
	c.w.Canvas().Unfocus()
	c.nav, c.body = nil, nil
	k := c.candidate()
	c.newStatus()
	title := heading(c.tr("exam.paused_title"))
	title.Alignment = fyne.TextAlignCenter
	note := wrapped(c.tr("exam.paused"))
	note.Alignment = fyne.TextAlignCenter
	c.saved.Alignment = fyne.TextAlignCenter
	c.showTime() // before the layout, which sizes the bar to the time's text
	cover := centred(560, container.NewVBox(widget.NewIcon(theme.MediaPauseIcon()), title, note, c.saved))
	c.setContent(container.NewBorder(c.top(k, c.countdown), nil, nil, nil, cover))
	c.a.shown("paused")
}

// showExam shows the exam: the navigator, one item, and the buttons.
func (c *candidateWin) showExam() {
	c.screen = "exam"
	k := c.candidate()
	c.newStatus()
	c.prev = widget.NewButtonWithIcon(c.tr("exam.prev"), theme.NavigateBackIcon(), func() { c.move(-1) })
	c.next = widget.NewButtonWithIcon(c.tr("exam.next"), theme.NavigateNextIcon(), func() { c.move(+1) })
	c.next.IconPlacement = widget.ButtonIconTrailingText
	c.flag = widget.NewButtonWithIcon("", theme.WarningIcon(), c.toggleFlag)
	submit := widget.NewButtonWithIcon(c.tr("exam.submit"), theme.MailSendIcon(), c.confirmSubmit)
	submit.Importance = widget.HighImportance

	// The navigator: one button per item, by section.
	c.nav = make([]*widget.Button, len(c.items))
	navBox := container.NewVBox()
	n := 0
	for _, sec := range c.view.Sections {
		navBox.Add(widget.NewLabelWithStyle(sec.Title, fyne.TextAlignLeading, fyne.TextStyle{Bold: true}))
		grid := container.NewGridWrap(fyne.NewSize(64, 40))
		for range sec.Items {
			i := n
			c.nav[i] = widget.NewButton("", func() { c.goTo(i) })
			grid.Add(c.nav[i])
			n++
		}
		navBox.Add(grid)
	}
	// The legend on one row, so that the navigator shows every item of the
	// sample paper at the default size (item 11 was cut).
	legend := container.NewHBox(
		container.NewHBox(widget.NewIcon(theme.ConfirmIcon()), widget.NewLabel(c.tr("exam.legend_answered"))),
		container.NewHBox(widget.NewIcon(theme.WarningIcon()), widget.NewLabel(c.tr("exam.legend_flagged"))),
		container.NewHBox(widget.NewIcon(theme.RadioButtonIcon()), widget.NewLabel(c.tr("exam.legend_unanswered"))),
	)
	navigator := container.NewBorder(widget.NewLabelWithStyle(c.tr("exam.navigator"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		legend, nil, nil, container.NewVScroll(container.New(widthLayout{300}, navBox)))

	c.body = container.NewVBox()
	bottom := container.NewVBox(widget.NewSeparator(), container.NewBorder(nil, nil,
		container.NewHBox(c.prev, c.flag, c.next), submit, container.NewCenter(c.saved)))
	top := c.top(k, c.countdown)
	// Tab order follows the objects: the item first, then the buttons,
	// then the bar, then the navigator.
	content := container.NewBorder(top, bottom, navigator, nil, container.NewVScroll(container.NewPadded(c.body)))
	content.Objects = []fyne.CanvasObject{content.Objects[0], bottom, top, navigator}
	c.showTime() // before the layout, which sizes the bar to the time's text
	c.setContent(content)
	c.showItem()
	c.a.shown("exam")
}

// The exam's shortcuts: Alt+N next, Alt+P previous, Alt+F flag, Ctrl+= and
// Ctrl+- the text size.
var (
	keyNext     = &desktop.CustomShortcut{KeyName: fyne.KeyN, Modifier: fyne.KeyModifierAlt}
	keyPrevious = &desktop.CustomShortcut{KeyName: fyne.KeyP, Modifier: fyne.KeyModifierAlt}
	keyFlag     = &desktop.CustomShortcut{KeyName: fyne.KeyF, Modifier: fyne.KeyModifierAlt}
	keyLarger   = &desktop.CustomShortcut{KeyName: fyne.KeyEqual, Modifier: fyne.KeyModifierControl}
	keySmaller  = &desktop.CustomShortcut{KeyName: fyne.KeyMinus, Modifier: fyne.KeyModifierControl}

	examShortcuts = []*desktop.CustomShortcut{keyNext, keyPrevious, keyFlag, keyLarger, keySmaller}
)

// shortcut runs an exam shortcut and tells whether s was one.
func (c *candidateWin) shortcut(s fyne.Shortcut) bool {
	switch s.ShortcutName() {
	case keyNext.ShortcutName():
		c.move(+1)
	case keyPrevious.ShortcutName():
		c.move(-1)
	case keyFlag.ShortcutName():
		c.toggleFlag()
	case keyLarger.ShortcutName():
		c.textSize(+1)
	case keySmaller.ShortcutName():
		c.textSize(-1)
	default:
		return false
	}
	return true
}

// showItem shows the current item with the control its type needs.
func (c *candidateWin) showItem() {
	if len(c.items) == 0 {
		return
	}
	it := c.items[c.cur]
	c.body.RemoveAll()
	c.body.Add(widget.NewLabelWithStyle(c.sectionOf(c.cur), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}))
	c.body.Add(widget.NewLabel(c.tr("exam.item_of", args{"N": it.Number, "Total": len(c.items), "Points": it.Points})))
	stem := wrapped(it.Stem)
	stem.SizeName = theme.SizeNameSubHeadingText
	c.body.Add(stem)
	// The focus goes with the item: an entry of the item before must not
	// keep taking what is typed.
	c.w.Canvas().Unfocus()
	ctl := c.control(it)
	c.body.Add(ctl)
	if f, ok := focusable(ctl); ok {
		defer c.w.Canvas().Focus(f)
	}
	setEnabled(c.cur > 0, c.prev)
	setEnabled(c.cur < len(c.items)-1, c.next)
	c.showFlag()
	c.showNav()
	c.themed.Refresh() // the new item's widgets take the window's theme
}

func (c *candidateWin) sectionOf(i int) string {
	for _, sec := range c.view.Sections {
		if i < len(sec.Items) {
			return sec.Title
		}
		i -= len(sec.Items)
	}
	return ""
}

// showFlag labels the flag button for the current item.
func (c *candidateWin) showFlag() {
	if c.items[c.cur].Flagged {
		c.flag.SetText(c.tr("exam.unflag"))
		c.flag.Importance = widget.WarningImportance
	} else {
		c.flag.SetText(c.tr("exam.flag"))
		c.flag.Importance = widget.MediumImportance
	}
	setEnabled(!c.view.Paused && !c.items[c.cur].Examiner, c.flag)
	c.flag.Refresh()
}

// showNav marks each item in the navigator: answered, flagged, or neither;
// the current one is the primary colour's.
func (c *candidateWin) showNav() {
	for i, it := range c.items {
		b := c.nav[i]
		b.SetText(strconv.Itoa(it.Number))
		switch {
		case it.Flagged:
			b.SetIcon(theme.WarningIcon())
			b.Importance = widget.WarningImportance
		case it.Answered:
			b.SetIcon(theme.ConfirmIcon())
			b.Importance = widget.SuccessImportance
		default:
			b.SetIcon(nil)
			b.Importance = widget.MediumImportance
		}
		if i == c.cur {
			b.Importance = widget.HighImportance
		}
		b.Refresh()
	}
}

func (c *candidateWin) goTo(i int) {
	if c.screen == "exam" && i >= 0 && i < len(c.items) && i != c.cur {
		c.cur = i
		c.showItem()
	}
}

func (c *candidateWin) move(step int) {
	if c.screen == "exam" {
		c.goTo(c.cur + step)
	}
}

func (c *candidateWin) toggleFlag() {
	if c.screen != "exam" {
		return
	}
	it := c.items[c.cur]
	if c.view.Paused || it.Examiner {
		return
	}
	it.Flagged = !it.Flagged
	flagged, id := it.Flagged, it.ID
	c.saver.add("flag "+id, func(ctx context.Context) error { return c.ex.Flag(ctx, id, flagged) })
	c.showFlag()
	c.showNav()
}

// answer keeps an item's new answer and saves it at once.
func (c *candidateWin) answer(it *exam.ViewItem, ans exam.Answer) {
	it.Answer = ans
	it.Answered = ans.Answered()
	id := it.ID
	c.saver.add("save "+id, func(ctx context.Context) error { return c.ex.Save(ctx, id, ans) })
	c.showNav()
}

// showSaved shows the outcome of the last save: saving, saved at, or why not.
func (c *candidateWin) showSaved(err error, pending int) {
	if c.saved == nil {
		return
	}
	switch {
	case errors.Is(err, errOnlyHere):
		c.saved.Importance = widget.WarningImportance
		c.saved.SetText(c.tr("terminal.saved_here", args{"N": c.term.pending()}))
	case err != nil:
		c.saved.Importance = widget.DangerImportance
		c.saved.SetText(c.tr("exam.not_saved", args{"Why": c.message(err)}))
		if errors.Is(err, site.ErrTimeUp) || errors.Is(err, site.ErrSubmitted) || errors.Is(err, site.ErrPaused) || errors.Is(err, site.ErrEnded) {
			c.follow()
		}
		return
	case pending > 0:
		c.saved.Importance = widget.MediumImportance
		c.saved.SetText(c.tr("exam.saving"))
	default:
		c.saved.Importance = widget.SuccessImportance
		c.saved.SetText(c.tr("exam.saved_at", args{"At": clock(time.Now())}))
	}
	c.saved.Refresh()
}

// confirmSubmit lists the unanswered and flagged items and submits when the
// candidate confirms.
func (c *candidateWin) confirmSubmit() {
	if c.screen != "exam" {
		return
	}
	var unanswered, flagged []string
	for _, it := range c.items {
		if !it.Answered && !it.Examiner {
			unanswered = append(unanswered, strconv.Itoa(it.Number))
		}
		if it.Flagged {
			flagged = append(flagged, strconv.Itoa(it.Number))
		}
	}
	sep := c.tr("exam.list_sep")
	msg := c.tr("exam.all_answered")
	if len(unanswered) > 0 {
		msg = c.tr("exam.unanswered", args{"N": len(unanswered), "Items": strings.Join(unanswered, sep)})
	}
	if len(flagged) > 0 {
		msg += "\n" + c.tr("exam.flagged", args{"N": len(flagged), "Items": strings.Join(flagged, sep)})
	}
	msg += "\n\n" + c.tr("exam.submit_final")
	d := dialog.NewCustomConfirm(c.tr("exam.submit_title"), c.tr("exam.submit"), c.tr("exam.back"), wrapped(msg), func(ok bool) {
		c.submitQ = nil
		if ok && c.screen == "exam" {
			c.submit()
		}
	}, c.w)
	d.Resize(fyne.NewSize(520, 0))
	c.submitQ = d
	d.Show()
}

func (c *candidateWin) submit() {
	c.saver.wait()
	forced, receipt, err := c.ex.Submit(c.a.ctx)
	if err != nil {
		c.inform(c.tr("error.title"), c.handInMessage(err))
		return
	}
	c.view.Submitted, c.view.Forced, c.view.ReceiptCode = true, forced, receipt
	c.rebuild()
}

// showReceipt shows the receipt code the candidate writes down.
func (c *candidateWin) showReceipt() {
	c.screen = "receipt"
	k := c.candidate()
	receipt := c.view.ReceiptCode
	if receipt == "" { // a terminal's submission not yet at the station
		receipt = c.tr("terminal.receipt_pending")
	}
	code := widget.NewLabelWithStyle(receipt, fyne.TextAlignCenter, fyne.TextStyle{Bold: true, Monospace: true})
	code.SizeName = theme.SizeNameHeadingText
	code.Selectable = true
	title := heading(c.tr("receipt.title"))
	if c.view.Forced {
		title.SetText(c.tr("receipt.forced"))
	}
	title.Alignment = fyne.TextAlignCenter
	body := container.NewVBox(
		widget.NewIcon(theme.ConfirmIcon()),
		title,
		widget.NewLabelWithStyle(c.tr("receipt.code"), fyne.TextAlignCenter, fyne.TextStyle{}),
		code,
		wrapped(c.tr("receipt.hint")),
	)
	c.setContent(container.NewBorder(c.top(k), nil, nil, nil, centred(560, body)))
	c.a.shown("receipt")
}

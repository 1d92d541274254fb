package ui

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"onex/client/site"
	roomserver "onex/client/station"
	wire "onex/sync"
)

// station is the staff's window once the store is open: a bar with the site,
// the session chosen and the settings, and a tab per task.
type station struct {
	a        *App
	identity *site.Identity
	sessions []site.SessionInfo
	current  string   // the session the tabs work on
	names    []string // of the tabs
	problem  error    // why the sessions could not be read

	tabs    *container.AppTabs
	picker  *widget.Select
	today   *todayScreen
	checkin *checkinScreen
	unlock  *unlockScreen
	console *consoleScreen
	room    *roomScreen
	verify  *verifyScreen // 证书核验 **[added: issue 16]**
	ticks   int

	// While a candidate window is open on this machine the station is
	// locked: only the staff PIN or the site passphrase brings it back, and
	// then for as long as staff keep using it (relockAfter).
	locked     bool
	lastActive time.Time // of staff at the unlocked station
}

// relockAfter is how long the station stays unlocked without a staff action
// while candidate windows are open.
const relockAfter = 2 * time.Minute

// The station's tabs, in order.
const (
	tabToday = iota
	tabCheckIn
	tabUnlock
	tabProctor
	tabRoom   // the seat map **[added: issue 14]**
	tabVerify // the certificate check **[added: issue 16]**
)

var tabScreens = []string{"today", "checkin", "unlock", "proctor", "room", "verify"}

func (a *App) showStation() {
	a.first = nil
	st := &station{a: a}
	a.station = st
	var err error
	if st.identity, err = a.site.Identity(a.ctx); err != nil {
		a.showError(err, a.win)
	}
	st.loadSessions()
	st.build(st.landing())
	// Deriving the store key took 128 MiB, and loading the sessions made
	// garbage: give the memory back before the day's work.
	debug.FreeOSMemory()
	a.watchRoom()
	st.today.download()
	if a.proctor == "" {
		st.changeDuty()
	}
}

// landing is the tab the station opens on: check-in on the day of a
// session not ended, else today.
func (st *station) landing() int {
	if info, ok := st.info(); ok && info.Ended.IsZero() && absDuration(time.Until(info.Start)) < 12*time.Hour {
		return tabCheckIn
	}
	return tabToday
}

func absDuration(d time.Duration) time.Duration { return max(d, -d) }

// loadSessions reads the sessions and keeps the current one, or picks the
// next not ended.
func (st *station) loadSessions() {
	st.sessions, st.problem = st.a.site.Sessions(st.a.ctx)
	if _, ok := st.info(); ok {
		return
	}
	st.current = ""
	var best time.Duration
	for _, s := range st.sessions {
		if d := absDuration(time.Until(s.Start)); s.Ended.IsZero() && s.Error == "" && (st.current == "" || d < best) {
			st.current, best = s.ID, d
		}
	}
	if st.current == "" && len(st.sessions) > 0 {
		st.current = st.sessions[len(st.sessions)-1].ID
	}
}

// info is the current session.
func (st *station) info() (site.SessionInfo, bool) {
	for _, s := range st.sessions {
		if s.ID == st.current {
			return s, true
		}
	}
	return site.SessionInfo{}, false
}

// build makes the window's content afresh, showing tab.
func (st *station) build(tab int) {
	a := st.a
	st.today = newToday(st)
	st.checkin = newCheckIn(st)
	st.unlock = newUnlock(st)
	st.console = newConsole(st)
	st.room = newRoom(st)
	st.verify = newVerify(a, nil)
	names := []string{tr("tab.today"), tr("tab.checkin"), tr("tab.unlock"), tr("tab.proctor"), tr("tab.room"), tr("tab.verify")}
	st.tabs = container.NewAppTabs(
		container.NewTabItemWithIcon(names[tabToday], theme.HomeIcon(), st.today.obj),
		container.NewTabItemWithIcon(names[tabCheckIn], theme.AccountIcon(), st.checkin.obj),
		container.NewTabItemWithIcon(names[tabUnlock], theme.VisibilityIcon(), st.unlock.obj),
		container.NewTabItemWithIcon(names[tabProctor], theme.ComputerIcon(), st.console.obj),
		container.NewTabItemWithIcon(names[tabRoom], theme.GridIcon(), st.room.obj),
		container.NewTabItemWithIcon(names[tabVerify], theme.ConfirmIcon(), st.verify.obj),
	)
	st.tabs.OnSelected = func(*container.TabItem) {
		if st.tabs.SelectedIndex() != tabVerify {
			st.verify.leave() // the ID number and the holder's name go with the screen
		}
		st.touch()
		st.refresh()
		st.focus()
		a.shown(tabScreens[st.tabs.SelectedIndex()])
	}
	st.picker = widget.NewSelect(nil, nil)
	st.picker.PlaceHolder = tr("station.no_session")
	st.fillPicker()
	st.picker.OnChanged = func(string) {
		if i := st.picker.SelectedIndex(); i >= 0 && st.sessions[i].ID != st.current {
			st.current = st.sessions[i].ID
			st.rebuild()
		}
	}
	siteName := ""
	if st.identity != nil {
		siteName = tr("station.site", args{"Code": st.identity.SiteCode, "Name": st.identity.SiteName})
	}
	// The name alone on the button: Fyne 2.7 cuts the descenders of Latin
	// text set after Chinese in one bold string ("值班：Wang Jing").
	duty := widget.NewButtonWithIcon(a.proctor, theme.AccountIcon(), st.changeDuty)
	right := container.NewHBox(widget.NewLabel(tr("station.on_duty")), duty)
	if len(a.cands) > 0 {
		right.Objects = append([]fyne.CanvasObject{widget.NewButtonWithIcon(tr("lock.now"), theme.VisibilityOffIcon(), st.lock)}, right.Objects...)
	}
	// The site's name and the session picker share the room left, the name
	// cut with an ellipsis when the text is large, so the bar fits 1366 wide
	// at every text size.
	site := widget.NewLabelWithStyle(siteName, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	site.Truncation = fyne.TextTruncateEllipsis
	bar := container.NewBorder(nil, nil, nil, right,
		container.NewGridWithColumns(2, site, container.NewBorder(nil, nil, widget.NewLabel(tr("station.session")), nil, st.picker)))
	a.win.SetContent(container.NewBorder(container.NewVBox(bar, widget.NewSeparator()), nil, nil, nil, st.tabs))
	st.names = names
	a.win.SetMainMenu(st.menu())
	st.tabs.SelectIndex(tab)
	if st.locked {
		st.showLock()
		return
	}
	st.refresh()
	st.focus()
	a.shown(tabScreens[tab])
}

// menu is the station's menu: the tabs, the text size, the contrast and
// the language. Its items carry the keyboard shortcuts, which work wherever
// the focus is (Ctrl+1 to Ctrl+6 for the tabs, Ctrl+= and Ctrl+- for the
// text size).
func (st *station) menu() *fyne.MainMenu {
	a := st.a
	var items []*fyne.MenuItem
	for i, name := range st.names {
		items = append(items, keyedItem(name, &desktop.CustomShortcut{KeyName: fyne.KeyName(rune('1' + i)), Modifier: fyne.KeyModifierControl}, func() { st.tabs.SelectIndex(i) }))
	}
	quit := fyne.NewMenuItem(tr("menu.quit"), a.confirmQuit)
	quit.IsQuit = true
	larger := keyedItem(tr("menu.larger"), &desktop.CustomShortcut{KeyName: fyne.KeyEqual, Modifier: fyne.KeyModifierControl}, func() { a.textSize(+1) })
	smaller := keyedItem(tr("menu.smaller"), &desktop.CustomShortcut{KeyName: fyne.KeyMinus, Modifier: fyne.KeyModifierControl}, func() { a.textSize(-1) })
	contrast := fyne.NewMenuItem(tr("settings.contrast"), func() {
		a.setContrast(!a.fa.Preferences().Bool(prefContrast))
		a.win.SetMainMenu(st.menu())
	})
	contrast.Checked = a.fa.Preferences().Bool(prefContrast)
	view := []*fyne.MenuItem{larger, smaller, fyne.NewMenuItemSeparator(), contrast, fyne.NewMenuItemSeparator()}
	for _, l := range Languages {
		it := fyne.NewMenuItem(l.Name(), func() { a.setLanguage(l) })
		it.Checked = l == a.language()
		view = append(view, it)
	}
	return fyne.NewMainMenu(
		fyne.NewMenu(tr("menu.site"), append(items, fyne.NewMenuItemSeparator(), quit)...),
		fyne.NewMenu(tr("menu.view"), view...),
	)
}

// focus puts the keyboard where the tab on screen is typed into, unless a
// dialog is up.
func (st *station) focus() {
	c := st.a.win.Canvas()
	if c.Overlays().Top() != nil {
		return
	}
	switch st.tabs.SelectedIndex() {
	case tabCheckIn:
		if st.checkin.search != nil {
			c.Focus(st.checkin.search)
		}
	case tabUnlock:
		if st.unlock.groups[0] != nil && !st.unlock.groups[0].Disabled() {
			c.Focus(st.unlock.groups[0])
		}
	case tabVerify:
		c.Focus(st.verify.text)
	default:
		c.Unfocus()
	}
}

// changeDuty names the staff member on duty, whom proctors' records name:
// at a change of shift, or when the store was opened unattended.
func (st *station) changeDuty() {
	a := st.a
	name := widget.NewEntry()
	name.SetText(a.proctor)
	name.Validator = func(s string) error {
		if strings.TrimSpace(s) == "" {
			return errors.New(tr("first.no_proctor"))
		}
		return nil
	}
	showForm(tr("station.duty_title"), tr("dialog.ok"), []*widget.FormItem{widget.NewFormItem(tr("first.proctor"), name)}, func() {
		a.proctor = strings.TrimSpace(name.Text)
		a.fa.Preferences().SetString(prefProctor, a.proctor)
		st.rebuild()
	}, a.win)
	a.win.Canvas().Focus(name)
}

// fillPicker lists the sessions in the picker.
func (st *station) fillPicker() {
	st.picker.Options = st.picker.Options[:0]
	for _, s := range st.sessions {
		st.picker.Options = append(st.picker.Options, sessionLabel(s))
	}
	st.picker.Selected = ""
	if info, ok := st.info(); ok {
		st.picker.Selected = sessionLabel(info)
	}
	st.picker.Refresh()
}

func sessionLabel(s site.SessionInfo) string {
	if s.Error != "" && s.Title == "" {
		return s.ID
	}
	return tr("station.session_label", args{"Room": s.Room, "Title": s.Title, "Start": dateTime(s.Start)})
}

// rebuild builds the window again on the same tab (after a language or
// session change).
func (st *station) rebuild() {
	st.build(st.tabs.SelectedIndex())
}

// sessionsChanged reads the sessions again after a change of them
// (download, unlock, start, end) and refreshes what shows them.
func (st *station) sessionsChanged() {
	before := st.current
	st.loadSessions()
	switch {
	case before == "" && st.current != "":
		st.build(st.landing()) // the first sessions downloaded
		return
	case st.current != before:
		st.rebuild()
		return
	}
	st.fillPicker()
	st.refresh()
}

// refresh refreshes the tab on screen.
func (st *station) refresh() {
	switch st.tabs.SelectedIndex() {
	case tabToday:
		st.today.refresh()
	case tabCheckIn:
		st.checkin.refresh()
	case tabUnlock:
		st.unlock.refresh()
	case tabProctor:
		st.console.refresh()
	case tabRoom:
		st.room.refresh()
	case tabVerify:
		st.verify.refresh()
	}
}

// tick runs every Options.Tick: the unlock countdown each time, the console
// every other, the rest every fifth, and central's status every tenth.
func (st *station) tick() {
	if st.locked {
		return
	}
	if len(st.a.cands) > 0 && st.a.now().Sub(st.lastActive) >= relockAfter {
		st.lock()
		return
	}
	st.ticks++
	switch st.tabs.SelectedIndex() {
	case tabUnlock:
		st.unlock.tick()
	case tabProctor:
		if st.ticks%2 == 0 {
			st.console.refresh()
		}
	case tabRoom:
		st.room.refresh() // every tick: a terminal silent for roomwire.Silent (5 s) is flagged within a second
	case tabCheckIn:
		if st.ticks%5 == 0 {
			st.checkin.refresh()
		}
	}
	if st.ticks%10 == 0 {
		st.today.probe()
	}
}

// verifyPassphrase checks the site passphrase of the open store.
func (a *App) verifyPassphrase(ctx context.Context, passphrase string) error {
	if a.site == nil {
		return site.ErrWrongPassphrase
	}
	return a.site.VerifyPassphrase(ctx, passphrase)
}

// lockStation locks the station (a candidate window is open).
func (a *App) lockStation() {
	if a.station != nil {
		a.station.lock()
	}
}

// unlockStation unlocks the station without asking (the last candidate
// window closed with the PIN).
func (a *App) unlockStation() {
	if a.station != nil && a.station.locked {
		a.station.unlocked()
	}
}

// touch notes a staff action at the unlocked station.
func (st *station) touch() { st.lastActive = st.a.now() }

// lock covers the station while candidate windows are open on this
// machine: no tab, no console, no dialog stays reachable, and the menu
// keeps only the quit, which asks for the PIN.
func (st *station) lock() {
	a := st.a
	if len(a.cands) == 0 {
		return
	}
	st.locked = true
	st.verify.leave()
	ov := a.win.Canvas().Overlays()
	for _, o := range ov.List() {
		ov.Remove(o)
	}
	st.showLock()
}

// showLock shows the lock's cover: the PIN or the passphrase to come back.
func (st *station) showLock() {
	a := st.a
	secret := widget.NewPasswordEntry()
	secret.SetPlaceHolder(tr("lock.placeholder"))
	problem := widget.NewLabel("")
	problem.Importance = widget.DangerImportance
	problem.Wrapping = fyne.TextWrapWord
	try := func() {
		if err := a.staff.Check(a.ctx, secret.Text); err != nil {
			secret.SetText("")
			problem.SetText(pinMessage(tr, err))
			a.win.Canvas().Focus(secret)
			return
		}
		st.unlocked()
	}
	secret.OnSubmitted = func(string) { try() }
	unlock := widget.NewButtonWithIcon(tr("lock.unlock"), theme.LoginIcon(), try)
	unlock.Importance = widget.HighImportance
	hint := widget.NewLabel(tr("lock.hint", args{"N": len(a.cands)})) // its own lines: a wrapped label in a box is one line high
	hint.Alignment = fyne.TextAlignCenter
	title := heading(tr("lock.title"))
	title.Alignment = fyne.TextAlignCenter
	body := container.NewVBox(widget.NewIcon(theme.VisibilityOffIcon()), title,
		hint, secret, unlock, problem)
	a.win.SetContent(centred(480, body))
	quit := fyne.NewMenuItem(tr("menu.quit"), a.confirmQuit)
	quit.IsQuit = true
	a.win.SetMainMenu(fyne.NewMainMenu(fyne.NewMenu(tr("menu.site"), quit)))
	a.win.Canvas().Focus(secret)
	a.shown("locked")
}

// unlocked brings the station back.
func (st *station) unlocked() {
	st.locked = false
	st.touch()
	st.rebuild()
}

// quitApp quits the app; tests replace it.
var quitApp = func(fa fyne.App) { fa.Quit() }

// quitWithPIN quits, with candidates at work, only on the staff PIN or the
// site passphrase.
func (a *App) quitWithPIN() {
	secret := widget.NewPasswordEntry()
	d := dialog.NewForm(tr("quit.title"), tr("quit.ok"), tr("dialog.cancel"), []*widget.FormItem{
		widget.NewFormItem("", wrapped(tr("quit.candidates", args{"N": len(a.cands)}))),
		widget.NewFormItem(tr("lock.secret"), secret),
	}, func(ok bool) {
		if !ok {
			return
		}
		if err := a.staff.Check(a.ctx, secret.Text); err != nil {
			inform(tr("quit.title"), pinMessage(tr, err), a.win)
			return
		}
		quitApp(a.fa)
	}, a.win)
	secret.OnSubmitted = func(string) { d.Submit() }
	d.Resize(fyne.NewSize(480, 280))
	d.Show()
	a.win.Canvas().Focus(secret)
}

// pinMessage says why the staff PIN was refused, in tr's language: how many
// tries are left, or until when no try is taken.
func pinMessage(tr func(key string, data ...any) string, err error) string {
	var pe *site.PINError
	switch {
	case errors.As(err, &pe) && !pe.Until.IsZero():
		return tr("pin.wait", args{"N": pe.Failures, "Until": clock(pe.Until)})
	case errors.As(err, &pe):
		return tr("pin.wrong_left", args{"N": pe.TriesLeft()})
	}
	return otherMessage(tr, err)
}

// settingsBar is the language, text size and contrast controls of a window.
func (a *App) settingsBar() fyne.CanvasObject {
	language := widget.NewSelect(nil, nil)
	for _, l := range Languages {
		language.Options = append(language.Options, l.Name())
	}
	language.Selected = a.language().Name()
	language.OnChanged = func(s string) { a.setLanguage(languageNamed(s)) }
	smaller := widget.NewButton(tr("settings.smaller"), func() { a.textSize(-1) })
	larger := widget.NewButton(tr("settings.larger"), func() { a.textSize(+1) })
	contrast := widget.NewCheck(tr("settings.contrast"), a.setContrast)
	contrast.Checked = a.fa.Preferences().Bool(prefContrast)
	return container.NewHBox(language, widget.NewLabel(tr("settings.text_size")), smaller, larger, contrast)
}

// serveRoom starts the station's room server (Options.Room) for the room's
// terminals; a station whose address is taken (another station on this
// machine) says so in its log and goes on without one.
func (a *App) serveRoom() {
	if a.opt.Room == "" {
		return
	}
	srv, err := roomserver.Listen(a.ctx, a.site, a.opt.Room, roomserver.Config{DataDir: a.opt.Site.Dir, Announce: true, Log: a.log, Now: a.opt.Site.Now})
	if err != nil {
		a.log.Warn("no room server", "err", err)
		roomProblems.Store(a, err) // for the room page
		return
	}
	a.room = srv
	a.log.Info("room server", "addr", srv.Addr().String(), "tls_key_sha256", fmt.Sprintf("%x", srv.SPKI()))
	a.served.Go(func() {
		if err := srv.Serve(a.ctx); err != nil {
			a.log.Error("room server", "err", err)
		}
	})
}

// startBackground starts the outbox pusher and the clock that forces
// submissions at time-out and refreshes the screens.
func (a *App) startBackground() {
	if a.opt.Tick < 0 {
		return
	}
	a.jobs.Add(2)
	go func() {
		defer a.jobs.Done()
		if err := a.site.RunPusher(a.ctx, wire.DefaultRun); err != nil {
			a.log.Error("outbox pusher", "err", err)
		}
	}()
	go func() {
		defer a.jobs.Done()
		t := time.NewTicker(a.opt.Tick)
		defer t.Stop()
		for {
			select {
			case <-a.ctx.Done():
				return
			case <-t.C:
			}
			subs, err := a.site.Tick(a.ctx)
			switch {
			case a.ctx.Err() != nil:
				return
			case err != nil:
				a.log.Error("site clock", "err", err)
			case len(subs) > 0:
				a.log.Info("time up: papers submitted", "count", len(subs))
			}
			fyne.Do(a.tick)
		}
	}()
}

// tick refreshes the station and the candidate windows.
func (a *App) tick() {
	if a.station != nil {
		a.station.tick()
	}
	for c := range a.cands {
		c.tick()
	}
}

// sessionInfo is one session as the site has it now.
func (a *App) sessionInfo(ctx context.Context, id string) (site.SessionInfo, error) {
	all, err := a.site.Sessions(ctx)
	if err != nil {
		return site.SessionInfo{}, err
	}
	for _, s := range all {
		if s.ID == id {
			return s, nil
		}
	}
	return site.SessionInfo{}, site.ErrNoSession
}

package ui

import (
	"context"
	"errors"
	"os"
	"strings"
	gosync "sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"onex/client/discover"
	"onex/client/room"
	"onex/client/site"
	"onex/client/terminal"
	"onex/exam"
)

// Terminal mode **[added: issue 14]**: this computer is an exam computer
// paired with the room's station (client/terminal). It waits at a seat
// screen for a candidate's sign-in (ticket number and seat code), shows
// the candidate's identity to confirm, then the candidate's screens of
// candidate.go fed by the terminal; the connection state is always on
// screen. A kiosk (Options.Kiosk) is full screen, and leaving needs the
// proctor PIN set at pairing.

// terminalMode is the app as a paired terminal.
type terminalMode struct {
	a    *App
	t    *terminal.Terminal
	lock *proctorLock
	cand *candidateWin // the candidate's screens, once confirmed

	confirming bool   // a sign-in or its confirmation is under way
	dismissed  string // the candidate whose screens the proctor closed: not opened again by itself
	loading    bool   // the paper is being fetched

	state   *widget.Label // the state on screen
	stateTr func(key string, data ...any) string
	problem *widget.Label // the seat screen's
	ticket  *widget.Entry

	stop context.CancelFunc
	wg   gosync.WaitGroup
}

// terminalExam is a terminal's candidate as the candidate's screens'
// examSource: a change kept on this computer only is errOnlyHere.
type terminalExam struct{ t *terminal.Terminal }

func onlyHere(w terminal.Where, err error) error {
	if err == nil && w == terminal.OnThisComputer {
		return errOnlyHere
	}
	return err
}

func (e terminalExam) View(ctx context.Context) (*exam.View, error) { return e.t.View(ctx) }

func (e terminalExam) Save(ctx context.Context, itemID string, ans exam.Answer) error {
	return onlyHere(e.t.Save(ctx, itemID, ans))
}

func (e terminalExam) Flag(ctx context.Context, itemID string, flagged bool) error {
	return onlyHere(e.t.Flag(ctx, itemID, flagged))
}

func (e terminalExam) Submit(ctx context.Context) (bool, string, error) {
	w, err := e.t.Submit(ctx)
	if err != nil || w != terminal.AtStation {
		return false, "", err
	}
	v, err := e.t.View(ctx)
	if err != nil {
		return false, "", nil // submitted; the receipt comes with the next state
	}
	return v.Forced, v.ReceiptCode, nil
}

// proctorLock checks the terminal's proctor PIN with site.StaffLock's
// rule: after site.PINFreeTries wrong tries each further one waits
// site.PINWait, growing; a try during a wait is refused unread.
type proctorLock struct {
	dir string
	now func() time.Time

	mu       gosync.Mutex
	failures int
	until    time.Time
}

func (l *proctorLock) Check(_ context.Context, pin string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if now.Before(l.until) {
		return &site.PINError{Failures: l.failures, Until: l.until}
	}
	err := terminal.CheckProctorPIN(l.dir, pin)
	switch {
	case err == nil, errors.Is(err, terminal.ErrNoPIN): // paired from the command line: no PIN to ask for
		l.failures, l.until = 0, time.Time{}
		return nil
	case !errors.Is(err, terminal.ErrWrongPIN):
		return err
	}
	l.failures++
	e := &site.PINError{Failures: l.failures}
	if w := site.PINWait(l.failures); w > 0 {
		l.until = now.Add(w)
		e.Until = l.until
	}
	return e
}

// startTerminal opens the paired terminal in the data directory and shows
// its seat screen.
func (a *App) startTerminal() fyne.Window {
	a.win = a.fa.NewWindow(tr("terminal.title"))
	a.win.SetMaster()
	a.sized(a.win, fyne.NewSize(1100, 720))
	a.kiosk()
	t, err := terminal.Open(terminal.Config{Dir: a.opt.Site.Dir, Log: a.log})
	if err != nil {
		a.win.SetContent(centred(560, container.NewVBox(heading(tr("error.title")), wrapped(terminalText(tr, err)))))
	} else {
		a.beginTerminal(t)
	}
	a.win.Show()
	close(a.ready)
	return a.win
}

// kiosk makes the window a kiosk's when Options.Kiosk says so: full
// screen; closing asks for the proctor PIN in terminal mode.
func (a *App) kiosk() {
	a.win.SetCloseIntercept(a.quitTerminal)
	if a.opt.Kiosk {
		a.win.SetFullScreen(true)
	}
}

// quitTerminal quits once the proctor PIN is given (when a PIN is set,
// in a kiosk or while a candidate's screens are up).
func (a *App) quitTerminal() {
	if a.term == nil || (!a.opt.Kiosk && a.term.cand == nil) || !terminal.HasProctorPIN(a.opt.Site.Dir) {
		if a.term == nil && a.opt.Kiosk {
			return // pairing in a kiosk: not closed by the window
		}
		a.fa.Quit()
		return
	}
	a.term.askPIN(tr("terminal.quit_title"), a.fa.Quit)
}

// beginTerminal runs the terminal: Run's long poll, and the screens
// following its changes.
func (a *App) beginTerminal(t *terminal.Terminal) {
	m := &terminalMode{a: a, t: t, lock: &proctorLock{dir: a.opt.Site.Dir, now: a.now}}
	a.term = m
	a.win.SetTitle(tr("terminal.title"))
	ctx, stop := context.WithCancel(a.ctx)
	m.stop = stop
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		if err := t.Run(ctx); err != nil {
			a.log.Warn("the terminal stopped", "err", err)
		}
	}()
	if a.opt.Tick < 0 {
		m.showSeat()
		return // tests call changed themselves, on their goroutine
	}
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		tk := time.NewTicker(a.opt.Tick)
		defer tk.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.Changed():
				fyne.Do(m.changed)
			case <-tk.C:
				fyne.Do(m.tick)
			}
		}
	}()
	m.showSeat()
}

// closeTerminal stops the terminal's work and closes its journal.
func (a *App) closeTerminal() {
	m := a.term
	if m == nil || m.stop == nil {
		return
	}
	m.stop()
	m.wg.Wait()
	if err := m.t.Close(); err != nil {
		a.log.Error("closing the terminal", "err", err)
	}
	m.stop = nil
}

// changed follows the terminal: the state, the candidate's screens.
func (m *terminalMode) changed() {
	if m.a.ctx.Err() != nil {
		return
	}
	m.showState()
	st := m.t.Status()
	k := st.Candidate
	switch {
	case m.cand == nil && !m.confirming && k != nil && candidateKey(*k) != m.dismissed:
		// A candidate already confirmed here (the app restarted).
		m.openCandidate()
	case m.cand != nil:
		m.cand.tick()
		if m.cand.screen == "receipt" && m.cand.view != nil && m.cand.view.ReceiptCode == "" && k != nil && k.ReceiptCode != "" {
			m.cand.view.ReceiptCode, m.cand.view.Forced = k.ReceiptCode, k.Forced
			m.cand.rebuild()
		}
	}
}

// tick refreshes the countdown and the state.
func (m *terminalMode) tick() {
	m.showState()
	if m.cand != nil {
		m.cand.tick()
	}
}

func candidateKey(k room.Candidate) string { return k.SessionID + "/" + k.Ticket }

// pending is how many changes wait on this computer for the station.
func (m *terminalMode) pending() int { return m.t.Status().Pending }

// stateLabel is a new label of the connection state, in tr's language,
// kept up to date while it is on screen.
func (m *terminalMode) stateLabel(tr func(key string, data ...any) string) *widget.Label {
	m.state, m.stateTr = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), tr
	m.state.Wrapping = fyne.TextWrapWord
	m.showState()
	return m.state
}

// showState shows the connection state: connected, changes saved here
// only (with their count), or reconnecting.
func (m *terminalMode) showState() {
	if m.state == nil {
		return
	}
	text, imp := stateText(m.stateTr, m.t.Status())
	if text != m.state.Text || imp != m.state.Importance {
		m.state.Importance = imp
		m.state.SetText(text)
	}
}

// stateText is a terminal's state in tr's language.
func stateText(tr func(key string, data ...any) string, st terminal.Status) (string, widget.Importance) {
	switch {
	case st.Revoked:
		return tr("terminal.revoked"), widget.DangerImportance
	case !st.Connected && st.Pending > 0:
		return tr("terminal.reconnecting_pending", args{"N": st.Pending}), widget.DangerImportance
	case !st.Connected:
		return tr("terminal.reconnecting"), widget.WarningImportance
	case st.Pending > 0:
		return tr("terminal.saved_here", args{"N": st.Pending}), widget.WarningImportance
	}
	return tr("terminal.connected"), widget.SuccessImportance
}

// rebuild shows the terminal's screen afresh (a language change).
func (m *terminalMode) rebuild() {
	if m.cand != nil {
		m.cand.rebuild()
	} else {
		m.showSeat()
	}
}

// showSeat is the seat screen: the room, the seat, the site, "waiting for
// the proctor", and the candidate's sign-in.
func (m *terminalMode) showSeat() {
	a, info := m.a, m.t.Info()
	m.ticket = widget.NewEntry()
	m.ticket.SetPlaceHolder(tr("terminal.ticket_hint"))
	code := widget.NewEntry()
	code.SetPlaceHolder(tr("terminal.seat_code_hint"))
	m.problem = wrapped("")
	m.problem.Importance = widget.DangerImportance
	var signIn *widget.Button
	submit := func() {
		ticket, seatCode := strings.TrimSpace(m.ticket.Text), strings.TrimSpace(code.Text)
		if ticket == "" || seatCode == "" {
			m.problem.SetText(tr("terminal.sign_in_empty"))
			return
		}
		signIn.Disable()
		m.confirming = true
		m.problem.SetText("")
		var k room.Candidate
		a.run(func(ctx context.Context) (err error) {
			k, err = m.t.SignIn(ctx, ticket, seatCode)
			return err
		}, func(err error) {
			signIn.Enable()
			if err != nil {
				m.confirming = false
				code.SetText("")
				m.problem.SetText(terminalText(tr, err))
				return
			}
			m.showConfirm(k)
		})
	}
	signIn = widget.NewButtonWithIcon(tr("terminal.sign_in"), theme.LoginIcon(), submit)
	signIn.Importance = widget.HighImportance
	m.ticket.OnSubmitted = func(string) { a.win.Canvas().Focus(code) }
	code.OnSubmitted = func(string) { submit() }
	form := widget.NewForm(
		widget.NewFormItem(tr("terminal.ticket"), m.ticket),
		widget.NewFormItem(tr("terminal.seat_code"), code),
	)
	where := widget.NewLabelWithStyle(tr("terminal.where", args{"Room": info.Room, "Seat": dash(info.Seat), "Site": dash(info.Site)}),
		fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	wait := heading(tr("terminal.waiting"))
	wait.Alignment = fyne.TextAlignCenter
	body := container.NewVBox(widget.NewIcon(theme.ComputerIcon()), wait, where,
		wrapped(tr("terminal.sign_in_intro")), form, m.problem, signIn)
	a.win.SetContent(container.NewBorder(m.bar(tr), nil, nil, nil, container.NewVScroll(centred(560, body))))
	a.win.Canvas().Focus(m.ticket)
	a.shown("terminal-seat")
}

// bar is the terminal's top bar: the state, the language, and the
// proctor's way out.
func (m *terminalMode) bar(tr func(key string, data ...any) string) fyne.CanvasObject {
	a := m.a
	language := widget.NewSelect(nil, func(s string) { a.setLanguage(languageNamed(s)) })
	for _, l := range Languages {
		language.Options = append(language.Options, l.Name())
	}
	language.Selected = a.language().Name()
	leave := widget.NewButtonWithIcon(tr("exam.proctor"), theme.LogoutIcon(), a.quitTerminal)
	return container.NewVBox(container.NewBorder(nil, nil, nil, container.NewHBox(language, leave), m.stateLabel(tr)), widget.NewSeparator())
}

// showConfirm shows who signed in, for the candidate to confirm.
func (m *terminalMode) showConfirm(k room.Candidate) {
	a := m.a
	name := heading(k.Name)
	details := widget.NewLabel(tr("terminal.identity", args{"Ticket": k.Ticket, "Seat": dash(k.Seat), "Session": k.SessionTitle}))
	yes := widget.NewButtonWithIcon(tr("terminal.its_me"), theme.ConfirmIcon(), func() {
		m.confirming = false
		m.dismissed = ""
		m.openCandidate()
	})
	yes.Importance = widget.HighImportance
	no := widget.NewButtonWithIcon(tr("terminal.not_me"), theme.CancelIcon(), func() {
		m.confirming = false
		m.dismissed = candidateKey(k)
		m.showSeat()
		m.problem.SetText(tr("terminal.not_me_hint"))
	})
	photo := photoImage(theme.AccountIcon(), fyne.NewSize(160, 200))
	body := container.NewVBox(heading(tr("terminal.confirm_title")),
		container.NewHBox(photo, container.NewVBox(name, details)),
		wrapped(tr("terminal.confirm_hint")), container.NewGridWithColumns(2, no, yes))
	a.win.SetContent(container.NewBorder(m.bar(tr), nil, nil, nil, container.NewVScroll(centred(640, body))))
	a.shown("confirm")
}

// openCandidate shows the candidate's screens of candidate.go in the
// terminal's window, fed by the terminal.
func (m *terminalMode) openCandidate() {
	k := m.t.Status().Candidate
	if k == nil {
		m.showSeat()
		return
	}
	a := m.a
	c := &candidateWin{a: a, w: a.win, sid: k.SessionID, ticket: k.Ticket, lang: a.language(), tr: translator(a.language()), term: m}
	c.saver = newSaver(c.showSaved)
	for _, s := range examShortcuts {
		a.win.Canvas().AddShortcut(s, func(s fyne.Shortcut) { c.shortcut(s) })
	}
	m.cand = c
	c.rebuild()
}

// left: the proctor closed the candidate's screens; back to the seat.
func (m *terminalMode) left(c *candidateWin) {
	for _, s := range examShortcuts {
		m.a.win.Canvas().RemoveShortcut(s)
	}
	if k := m.t.Status().Candidate; k != nil {
		m.dismissed = candidateKey(*k)
	}
	m.cand = nil
	m.a.win.SetTitle(tr("terminal.title"))
	m.showSeat()
}

// candidate is the signed-in candidate, as the screens show one.
func (m *terminalMode) candidate() site.Candidate {
	k := m.t.Status().Candidate
	if k == nil {
		return site.Candidate{}
	}
	return site.Candidate{Candidate: exam.Candidate{Ticket: k.Ticket, Name: k.Name}, Seat: k.Seat}
}

// waitForStart begins the exam once the station says the room started.
func (m *terminalMode) waitForStart(c *candidateWin) {
	k := m.t.Status().Candidate
	switch {
	case k == nil:
		c.status.SetText(c.tr("terminal.signed_out"))
	case k.Ended:
		c.status.SetText(c.tr("seat.ended"))
	case !k.Started:
		c.status.SetText(c.tr("seat.wait"))
	case !m.loading:
		m.loading = true
		var v *exam.View
		m.a.run(func(ctx context.Context) (err error) {
			v, err = m.t.View(ctx)
			return err
		}, func(err error) {
			m.loading = false
			if m.cand != c || c.screen != "seat" {
				return
			}
			if err != nil {
				c.status.SetText(c.message(err))
				return
			}
			c.ex = terminalExam{m.t}
			c.view, c.items = v, v.Items()
			c.rebuild()
		})
	}
}

// askPIN asks for the proctor PIN, then does then.
func (m *terminalMode) askPIN(title string, then func()) {
	pin := widget.NewPasswordEntry()
	d := dialog.NewForm(title, tr("pin.leave"), tr("dialog.cancel"), []*widget.FormItem{
		widget.NewFormItem("", wrapped(tr("terminal.pin_hint"))),
		widget.NewFormItem(tr("pin.pin"), pin),
	}, func(ok bool) {
		if !ok {
			return
		}
		if err := m.lock.Check(m.a.ctx, pin.Text); err != nil {
			inform(title, pinMessage(tr, err)+" "+tr("pin.not_closed"), m.a.win)
			return
		}
		then()
	}, m.a.win)
	pin.OnSubmitted = func(string) { d.Submit() }
	d.Resize(fyne.NewSize(420, 240))
	d.Show()
	m.a.win.Canvas().Focus(pin)
}

// dash is s, or a dash for nothing.
func dash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// terminalMessage says in tr's language what a terminal's error means,
// when it is one of the terminal's.
func terminalMessage(tr func(key string, data ...any) string, err error) (string, bool) {
	var pinErr *terminal.PinError
	switch {
	case errors.Is(err, terminal.ErrSeatCode):
		return tr("terminal.wrong_seat_code"), true
	case errors.Is(err, terminal.ErrElsewhere):
		return tr("terminal.elsewhere"), true
	case errors.Is(err, terminal.ErrNotFound):
		return tr("terminal.not_found"), true
	case errors.Is(err, terminal.ErrNotYours):
		return tr("terminal.not_yours"), true
	case errors.Is(err, terminal.ErrNotSignedIn):
		return tr("terminal.signed_out"), true
	case errors.Is(err, terminal.ErrRevoked):
		return tr("terminal.revoked"), true
	case errors.Is(err, terminal.ErrNotStarted):
		return tr("error.not_started"), true
	case errors.Is(err, terminal.ErrPaused):
		return tr("error.paused"), true
	case errors.Is(err, terminal.ErrSubmitted):
		return tr("error.submitted"), true
	case errors.Is(err, terminal.ErrTimeUp):
		return tr("error.time_up"), true
	case errors.Is(err, terminal.ErrEnded):
		return tr("error.ended"), true
	case errors.Is(err, terminal.ErrPairing):
		return tr("pair.refused"), true
	case errors.Is(err, terminal.ErrStationProof):
		return tr("pair.proof"), true
	case errors.Is(err, terminal.ErrAlreadyPaired):
		return tr("pair.already"), true
	case errors.Is(err, terminal.ErrUnreachable):
		return tr("terminal.unreachable"), true
	case errors.Is(err, terminal.ErrPINLength):
		return tr("pair.pin_length", args{"N": terminal.MinProctorPIN}), true
	case errors.As(err, &pinErr):
		return tr("pair.pin_mismatch"), true
	case errors.Is(err, room.ErrPairingCode):
		return pairingCodeText(tr, err), true
	}
	return "", false
}

// terminalText is what a terminal's error means in tr's language.
func terminalText(tr func(key string, data ...any) string, err error) string {
	if s, ok := terminalMessage(tr, err); ok {
		return s
	}
	return otherMessage(tr, err)
}

// pairingCodeText names the part of a pairing code at fault, from
// room.ParsePairingCode's error.
func pairingCodeText(tr func(key string, data ...any) string, err error) string {
	s := err.Error()
	switch {
	case strings.Contains(s, "separated by a space"):
		return tr("pair.bad_form")
	case strings.Contains(s, "the station's address"):
		return tr("pair.bad_address")
	case strings.Contains(s, "the secret"):
		return tr("pair.bad_secret")
	case strings.Contains(s, "the pin"):
		return tr("pair.bad_pin")
	}
	return tr("pair.bad_form")
}

// pairing is the pairing form of a first start as an exam computer.
type pairing struct {
	code, seat, name, pin, again *widget.Entry
	found                        *widget.Select
	stations                     []discover.Station
	problem                      *widget.Label
	pair                         *widget.Button
}

// showPairing shows the pairing form: the pairing code (typed, or a
// station picked from those announced and its secret), the seat, this
// machine's name, and the proctor PIN twice.
func (a *App) showPairing() {
	old := a.pair
	p := &pairing{code: widget.NewEntry(), seat: widget.NewEntry(), name: widget.NewEntry(),
		pin: widget.NewPasswordEntry(), again: widget.NewPasswordEntry()}
	a.pair = p
	p.code.SetPlaceHolder(tr("pair.code_hint"))
	p.seat.SetPlaceHolder(tr("pair.seat_hint"))
	if host, err := os.Hostname(); err == nil {
		p.name.SetText(host)
	}
	if old != nil {
		for _, e := range [][2]*widget.Entry{{p.code, old.code}, {p.seat, old.seat}, {p.name, old.name}, {p.pin, old.pin}, {p.again, old.again}} {
			e[0].SetText(e[1].Text)
		}
		p.stations = old.stations
	}
	p.problem = wrapped("")
	p.problem.Importance = widget.DangerImportance
	p.found = widget.NewSelect(nil, func(string) {
		if i := p.found.SelectedIndex(); i >= 0 && i < len(p.stations) {
			p.code.SetText(p.stations[i].Addr.String() + " ")
			a.win.Canvas().Focus(p.code)
		}
	})
	p.found.PlaceHolder = tr("pair.none_found")
	p.listStations()
	find := widget.NewButtonWithIcon(tr("pair.find"), theme.SearchIcon(), func() { a.findStations(p) })
	p.pair = widget.NewButtonWithIcon(tr("pair.pair"), theme.ConfirmIcon(), func() { a.submitPairing(p) })
	p.pair.Importance = widget.HighImportance
	p.again.OnSubmitted = func(string) { a.submitPairing(p) }
	back := widget.NewButtonWithIcon(tr("pair.back"), theme.NavigateBackIcon(), func() {
		a.pair = nil
		a.showFirstRun()
	})
	if a.opt.Kiosk {
		back.Hide()
	}
	form := widget.NewForm(
		widget.NewFormItem(tr("pair.station"), container.NewBorder(nil, nil, nil, find, p.found)),
		widget.NewFormItem(tr("pair.code"), p.code),
		widget.NewFormItem(tr("pair.seat"), p.seat),
		widget.NewFormItem(tr("pair.name"), p.name),
		widget.NewFormItem(tr("pair.pin"), p.pin),
		widget.NewFormItem(tr("pin.again"), p.again),
	)
	// The problem and the buttons stay in sight below the form, which
	// scrolls at large text sizes.
	box := container.NewVBox(heading(tr("pair.title")), wrapped(tr("pair.intro")), form)
	bottom := centred(620, container.NewVBox(p.problem, container.NewBorder(nil, nil, back, nil, p.pair)))
	a.win.SetContent(container.NewBorder(nil, container.NewPadded(bottom), nil, nil, container.NewVScroll(centred(620, box))))
	a.win.Canvas().Focus(p.code)
	a.shown("pair")
}

// listStations puts the stations found in the list.
func (p *pairing) listStations() {
	p.found.Options = nil
	for _, s := range p.stations {
		p.found.Options = append(p.found.Options, tr("pair.found", args{"Room": s.Room, "Site": dash(s.Site), "Addr": s.Addr.String()}))
	}
	p.found.Refresh()
}

// findStations browses the network for stations for a few seconds.
func (a *App) findStations(p *pairing) {
	browse := a.opt.Browse
	if browse == nil {
		browse = func(ctx context.Context) ([]discover.Station, error) { return discover.Browse(ctx, 3*time.Second) }
	}
	p.problem.Importance = widget.MediumImportance
	p.problem.SetText(tr("pair.finding"))
	var found []discover.Station
	a.run(func(ctx context.Context) (err error) {
		found, err = browse(ctx)
		return err
	}, func(err error) {
		p.problem.Importance = widget.DangerImportance
		switch {
		case err != nil:
			p.problem.SetText(terminalText(tr, err))
		case len(found) == 0:
			p.problem.SetText(tr("pair.none_found"))
		default:
			p.problem.SetText("")
		}
		p.stations = found
		p.listStations()
	})
}

// submitPairing pairs with the station of the code typed.
func (a *App) submitPairing(p *pairing) {
	p.problem.Importance = widget.DangerImportance
	code, err := room.ParsePairingCode(p.code.Text)
	switch {
	case err != nil:
		p.problem.SetText(pairingCodeText(tr, err))
		return
	case strings.TrimSpace(p.name.Text) == "":
		p.problem.SetText(tr("pair.no_name"))
		return
	case len([]rune(strings.TrimSpace(p.pin.Text))) < terminal.MinProctorPIN:
		p.problem.SetText(tr("pair.pin_length", args{"N": terminal.MinProctorPIN}))
		return
	case p.pin.Text != p.again.Text:
		p.problem.SetText(tr("pin.mismatch"))
		return
	}
	p.pair.Disable()
	p.problem.Importance = widget.MediumImportance
	p.problem.SetText(tr("pair.pairing"))
	dir, pin := a.opt.Site.Dir, p.pin.Text
	name, seat := strings.TrimSpace(p.name.Text), strings.TrimSpace(p.seat.Text)
	var t *terminal.Terminal
	a.run(func(ctx context.Context) (err error) {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return err
		}
		if t, err = terminal.Pair(ctx, terminal.Config{Dir: dir, Log: a.log}, code, name, seat); err != nil {
			return err
		}
		return terminal.SetProctorPIN(dir, pin)
	}, func(err error) {
		if err != nil && t == nil {
			p.pair.Enable()
			p.problem.Importance = widget.DangerImportance
			p.problem.SetText(terminalText(tr, err))
			return
		}
		if err != nil {
			a.showError(err, a.win)
		}
		a.pair = nil
		a.kiosk()
		a.beginTerminal(t)
	})
}

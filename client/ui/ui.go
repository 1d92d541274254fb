// Package ui is the OneX site's desktop app in Fyne: the station's screens
// for staff (first run and enrolment, the passphrase, today's sessions and
// sync, check-in, unlocking the paper, the proctor console) and the
// candidate's window (seat, exam, submission, receipt). It is a thin layer
// over package client/site: no SQL and no cryptography here, only site
// calls, and every string comes from the lang translations (zh-Hans, en).
//
// The package does not import fyne.io/fyne/v2/app: the caller makes the
// fyne.App (main.go with the GL driver, tests with fyne.io/fyne/v2/test), so
// the screens are tested without a display.
package ui

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/widget"

	"onex/client/discover"
	"onex/client/site"
	roomserver "onex/client/station"
	"onex/client/terminal"
	wire "onex/sync"
)

// Options configure the app.
type Options struct {
	// Site is the site's configuration: Dir is the store's directory; Log,
	// HTTP and Now as site.Config says. The passphrase is asked for.
	Site site.Config
	// Server prefills central's address on first run.
	Server string
	// Passphrase, when set, opens an enrolled store without asking (an
	// unattended terminal); the app still asks when it is wrong.
	Passphrase string
	// Tick is how often the clocks, countdowns and panels are refreshed;
	// 0 is one second. Negative stops the background loops (tests drive
	// the refreshes themselves).
	Tick time.Duration
	// Room is the address the station's room server listens on for the
	// room's terminals (client/station), announced by mDNS, once the store
	// is open; "" serves none. **[added: issue 13]**
	Room string
	// Kiosk runs a terminal as a kiosk: full screen, and leaving or
	// closing needs the proctor PIN. **[added: issue 14]**
	Kiosk bool
	// Browse finds the stations announced on the room's network for the
	// pairing screen; nil is client/discover's Browse. **[added: issue 14]**
	Browse func(ctx context.Context) ([]discover.Station, error)
	// Shown, if set, hears the name of each screen when it is shown
	// ("first-run", "login", "today", "checkin", "unlock", "proctor",
	// "seat", "exam", "paused", "receipt", "verify" **[added: issue 16]**,
	// and "locked" for the station's lock;
	// a terminal's "pair", "terminal-seat" and "confirm").
	Shown func(screen string)
}

// Preference keys.
const (
	prefLanguage = "language"
	prefScale    = "text_scale"
	prefContrast = "high_contrast"
	prefServer   = "server"
	prefProctor  = "proctor"
)

// App is the desktop app: one station window and any candidate windows.
type App struct {
	fa  fyne.App
	opt Options
	log *slog.Logger

	win     fyne.Window // the station
	site    *site.Site
	proctor string          // the staff member on duty, named in proctors' records
	staff   *site.StaffLock // the staff PIN (set once per run) or passphrase: closes candidate windows, unlocks the station
	first   *firstRun       // the first-run form while it is shown
	station *station
	cands   map[*candidateWin]bool
	sizes   map[fyne.Window]windowSize // see fitWindow

	ctx    context.Context
	cancel context.CancelFunc
	jobs   sync.WaitGroup
	ready  chan struct{}      // closed once Start has made the window
	room   *roomserver.Server // the room server, once serving
	term   *terminalMode      // this computer as a terminal, once paired **[added: issue 14]**
	pair   *pairing           // the pairing form while it is shown
	served sync.WaitGroup     // the room server's Serve
}

// New makes the app; Start shows it.
func New(fa fyne.App, opt Options) *App {
	if opt.Tick == 0 {
		opt.Tick = time.Second
	}
	a := &App{fa: fa, opt: opt, log: opt.Site.Log, cands: map[*candidateWin]bool{}, ready: make(chan struct{})}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	a.ctx, a.cancel = context.WithCancel(context.Background())
	a.staff = site.NewStaffLock(opt.Site.Now, a.verifyPassphrase)
	UseLanguage(a.language())
	a.applyTheme()
	return a
}

// Start opens the station window: first run when the data directory holds
// no store, else the passphrase (or, given Options.Passphrase, the station).
func (a *App) Start() fyne.Window {
	if terminal.Paired(a.opt.Site.Dir) {
		return a.startTerminal()
	}
	unattended := a.opt.Passphrase != "" && site.Exists(a.opt.Site.Dir)
	if unattended {
		// Deriving the store key takes a while, and so does making the
		// first window: the one goes on during the other.
		a.open(a.opt.Passphrase, a.fa.Preferences().String(prefProctor), nil)
	}
	a.win = a.fa.NewWindow(tr("app.title"))
	a.win.SetMaster()
	a.sized(a.win, fyne.NewSize(1100, 720))
	a.win.SetCloseIntercept(a.confirmQuit)
	if a.opt.Kiosk {
		a.win.SetFullScreen(true) // a kiosk's first start: pairing, full screen too
	}
	if unattended {
		a.showBusy(tr("login.opening"))
	} else {
		a.showEntry()
	}
	a.win.Show()
	close(a.ready)
	return a.win
}

// showEntry shows first run or the passphrase screen.
func (a *App) showEntry() {
	switch {
	case site.Exists(a.opt.Site.Dir):
		a.showLogin()
	case a.pair != nil:
		a.showPairing()
	default:
		a.showFirstRun()
	}
}

// Close finishes the candidates' saves, stops the background work and
// closes the site store.
func (a *App) Close() {
	for c := range a.cands {
		c.saver.wait()
	}
	if a.term != nil && a.term.cand != nil {
		a.term.cand.saver.wait()
	}
	a.cancel()
	a.jobs.Wait()
	a.served.Wait()
	a.closeTerminal()
	if a.site != nil {
		if err := a.site.Close(); err != nil {
			a.log.Error("closing the site store", "err", err)
		}
		a.site = nil
	}
}

func (a *App) confirmQuit() {
	if a.site == nil {
		a.fa.Quit()
		return
	}
	if len(a.cands) > 0 {
		a.quitWithPIN() // candidates at work: staff only
		return
	}
	ask(tr("quit.title"), tr("quit.message"), tr("quit.ok"), a.fa.Quit, a.win)
}

// pinChecker checks the PIN that lets a candidate's screens close:
// the station's staff lock, or a terminal's proctor PIN.
type pinChecker interface {
	Check(ctx context.Context, pin string) error
}

// leaveLock is what the candidate's screens ask to close.
func (a *App) leaveLock() pinChecker {
	if a.term != nil {
		return a.term.lock
	}
	return a.staff
}

// now is the time by the site's clock (Options.Site.Now, else the machine's).
func (a *App) now() time.Time {
	if a.opt.Site.Now != nil {
		return a.opt.Site.Now()
	}
	return time.Now()
}

// shown tells Options.Shown that a screen is up.
func (a *App) shown(screen string) {
	if a.opt.Shown != nil {
		a.opt.Shown(screen)
	}
}

// language is the chosen language, Chinese unless English was chosen.
func (a *App) language() Language {
	if Language(a.fa.Preferences().String(prefLanguage)) == English {
		return English
	}
	return Chinese
}

// setLanguage switches the language and rebuilds what is on screen.
func (a *App) setLanguage(l Language) {
	if l == a.language() {
		return
	}
	a.fa.Preferences().SetString(prefLanguage, string(l))
	UseLanguage(l)
	if a.win != nil {
		a.win.SetTitle(tr("app.title"))
		switch {
		case a.station != nil:
			a.station.rebuild()
		case a.term != nil:
			a.term.rebuild()
		default:
			a.showEntry()
		}
	}
}

// applyTheme sets the theme from the text size and contrast preferences.
func (a *App) applyTheme() {
	p := a.fa.Preferences()
	i := min(max(p.Int(prefScale), 0), len(TextScales)-1)
	a.fa.Settings().SetTheme(appTheme{scale: TextScales[i], contrast: p.Bool(prefContrast)})
}

// textSize moves the text size one step up (+1) or down (-1) and tells
// whether it moved.
func (a *App) textSize(step int) bool {
	p := a.fa.Preferences()
	i := p.Int(prefScale) + step
	if i < 0 || i >= len(TextScales) {
		return false
	}
	before, least := map[fyne.Window]fyne.Size{}, map[fyne.Window]fyne.Size{}
	for _, w := range a.windows() {
		before[w], least[w] = w.Canvas().Size(), leastSize(w)
	}
	p.SetInt(prefScale, i)
	a.applyTheme()
	if a.station != nil {
		// Fyne 2.7 keeps a menu's size from the text size it was made at
		// (its items check their label's size after refreshing it), so
		// larger text cut the shortcuts (Ctrl+=) at the menu's edge: a new
		// menu is measured afresh.
		a.win.SetMainMenu(a.station.menu())
	}
	for w, size := range before {
		a.fitWindow(w, size, least[w])
	}
	return true
}

// leastSize is the least size window w's content needs, with the menu bar
// on the GL driver.
func leastSize(w fyne.Window) fyne.Size {
	if c, ok := w.Canvas().(interface{ MinSize() fyne.Size }); ok {
		return c.MinSize()
	}
	return w.Content().MinSize()
}

// sized remembers the size a window is made with, as the size chosen for it.
func (a *App) sized(w fyne.Window, size fyne.Size) {
	w.Resize(size)
	if a.sizes == nil {
		a.sizes = map[fyne.Window]windowSize{}
	}
	a.sizes[w] = windowSize{chosen: size, set: size}
}

// windows are the app's windows: the station and the candidates'.
func (a *App) windows() []fyne.Window {
	var out []fyne.Window
	if a.win != nil {
		out = append(out, a.win)
	}
	for c := range a.cands {
		out = append(out, c.w)
	}
	return out
}

// fitWindow sizes window w after a change of text size (it was before, its
// content needing leastBefore): at least what its content needs now, and
// back to the size it had before larger text grew it once the text is small
// enough again. A window the user has resized since keeps the user's size;
// one the driver grew to fit its content (at the start, with a large text
// size remembered) is not the user's doing. Layouts fit 1366×768 at every
// text size, so a window grows past the screen only on a smaller screen.
func (a *App) fitWindow(w fyne.Window, before, leastBefore fyne.Size) {
	if a.sizes == nil {
		a.sizes = map[fyne.Window]windowSize{}
	}
	ws, ok := a.sizes[w]
	grown := fyne.NewSize(max(ws.chosen.Width, leastBefore.Width), max(ws.chosen.Height, leastBefore.Height))
	if !ok || before != ws.set && before != grown {
		ws = windowSize{chosen: before} // the user's size
	}
	least := leastSize(w)
	size := fyne.NewSize(max(ws.chosen.Width, least.Width), max(ws.chosen.Height, least.Height))
	if size != before {
		w.Resize(size)
	}
	ws.set = size
	a.sizes[w] = ws
}

// windowSize is what fitWindow knows of a window's size: the size the user
// chose, and the size fitWindow last gave it.
type windowSize struct{ chosen, set fyne.Size }

// setContrast turns the high-contrast theme on or off.
func (a *App) setContrast(on bool) {
	a.fa.Preferences().SetBool(prefContrast, on)
	a.applyTheme()
}

// run does work off the UI goroutine and then hands its error to done on
// it. Tests wait for every run with a.jobs.
func (a *App) run(work func(ctx context.Context) error, done func(error)) {
	a.jobs.Add(1)
	go func() {
		defer a.jobs.Done()
		err := work(a.ctx)
		if a.ctx.Err() != nil {
			return
		}
		fyne.Do(func() { done(err) })
	}()
}

// showError shows an error in the user's language in window w.
func (a *App) showError(err error, w fyne.Window) {
	a.log.Warn("action failed", "err", err)
	inform(tr("error.title"), message(err), w)
}

// inform shows a message with an OK button.
func inform(title, msg string, w fyne.Window) {
	d := dialog.NewCustom(title, tr("dialog.ok"), wrapped(msg), w)
	d.Resize(fyne.NewSize(420, 0))
	d.Show()
}

// ask asks a question; ok labels the button that says yes.
func ask(title, msg, ok string, then func(), w fyne.Window) {
	d := dialog.NewCustomConfirm(title, ok, tr("dialog.cancel"), wrapped(msg), func(yes bool) {
		if yes {
			then()
		}
	}, w)
	d.Resize(fyne.NewSize(480, 0))
	d.Show()
}

// showForm shows a form dialog; Enter in a one-line entry of it submits it.
func showForm(title, ok string, items []*widget.FormItem, then func(), w fyne.Window) *dialog.FormDialog {
	d := dialog.NewForm(title, ok, tr("dialog.cancel"), items, func(yes bool) {
		if yes {
			then()
		}
	}, w)
	for _, it := range items {
		if e, ok := it.Widget.(*widget.Entry); ok && !e.MultiLine {
			e.OnSubmitted = func(string) { d.Submit() }
		}
	}
	d.Show()
	// Fyne sizes a form to its entries' placeholders, which left a name
	// box two characters wide: a form is at least formWidth wide.
	d.Resize(fyne.NewSize(max(d.MinSize().Width, formWidth), d.MinSize().Height))
	return d
}

// formWidth is the least width of a form dialog, within 1366 at every text size.
const formWidth = 420

// trustMessage says why enrolment refused a central, naming both fingerprints.
func trustMessage(e *site.TrustError) string {
	a := args{"Given": e.Given, "Seen": e.Seen}
	switch e.Problem {
	case site.KeyMismatch:
		return tr("error.trust_key", a)
	case site.CertificateMismatch:
		return tr("error.trust_certificate", a)
	case site.Unvouched:
		if e.Given == "" {
			a["Given"] = "—"
		}
		return tr("error.trust_unvouched", a)
	}
	return tr("error.trust_untrusted", a)
}

// message says what went wrong in the user's language.
func message(err error) string {
	var (
		early   *site.TooEarlyError
		notLate *site.NotLateError
		locked  *site.LockedError
		late    *site.LateError
		status  *wire.StatusError
		trust   *site.TrustError
		pin     *wire.PinError
	)
	switch {
	case errors.As(err, &trust):
		return trustMessage(trust)
	case errors.As(err, &pin):
		return tr("error.pinned", args{"Pinned": pin.PinnedKeys(), "Seen": pin.SeenKey()})
	case errors.As(err, &early):
		return tr("error.too_early", args{"At": clock(early.ReleaseAt), "In": countdown(early.Remaining)})
	case errors.As(err, &locked):
		return tr("error.locked", args{"Until": clock(locked.Until)})
	case errors.As(err, &late):
		return tr("error.late", args{"Since": minutes(late.Since), "Limit": minutes(late.Limit)})
	case errors.As(err, &notLate):
		return tr("error.not_late", args{"Start": dateTime(notLate.Start)})
	case errors.Is(err, site.ErrWrongPassphrase):
		return tr("error.wrong_passphrase")
	case errors.Is(err, site.ErrStoreInUse):
		return tr("error.store_in_use")
	case errors.Is(err, site.ErrWrongCode):
		return tr("error.wrong_code")
	case errors.As(err, &status) && status.Code != "":
		return refusal(status) // busy and replayed too, which are also ErrUnreachable
	case errors.Is(err, wire.ErrUnreachable):
		return tr("error.unreachable")
	case errors.As(err, &status):
		return refusal(status)
	case errors.Is(err, site.ErrNotReleased):
		return tr("error.not_released")
	case errors.Is(err, site.ErrNotStarted):
		return tr("error.not_started")
	case errors.Is(err, site.ErrStarted):
		return tr("error.started")
	case errors.Is(err, site.ErrEnded):
		return tr("error.ended")
	case errors.Is(err, site.ErrNotCheckedIn):
		return tr("error.not_checked_in")
	case errors.Is(err, site.ErrSubmitted):
		return tr("error.submitted")
	case errors.Is(err, site.ErrPaused):
		return tr("error.paused")
	case errors.Is(err, site.ErrTimeUp):
		return tr("error.time_up")
	case errors.Is(err, site.ErrBadPackage):
		return tr("error.bad_package")
	}
	return otherMessage(tr, err)
}

// otherMessage says in tr's language what an error no screen knows better
// means: input the site refused, by its message key (translation
// "input.KEY", values V0, V1…), or the error's own words.
func otherMessage(tr func(key string, data ...any) string, err error) string {
	var in *site.InputError
	if errors.As(err, &in) {
		values := args{}
		for i, v := range in.Values {
			values[fmt.Sprintf("V%d", i)] = v
		}
		// A key built from the site's message key: TestEveryKeyInBothLanguages
		// reads those from client/site (siteInputKeys).
		return tr("input."+in.Key, values)
	}
	return tr("error.other", args{"Err": err.Error()})
}

// refusalCodes are central's refusal codes (sync/PROTOCOL.md, "Refusal
// codes") the site has words for: code C reads as the translation of key
// "refusal.C". This and refusal are the one place a code becomes words.
var refusalCodes = []string{wire.RefusedHeaders, wire.RefusedDevice, wire.RefusedTime, wire.RefusedSignature,
	wire.RefusedReplayed, wire.RefusedBody, wire.RefusedBusy, wire.RefusedEnrolCode, wire.RefusedThrottled,
	wire.RefusedTooLarge, wire.RefusedNotFound, wire.RefusedInput, wire.RefusedRevoked}

// refusal says why central refused a request, in the user's language; a
// code the site does not know is shown with central's own words, which are
// English, labelled as central's.
func refusal(e *wire.StatusError) string {
	if slices.Contains(refusalCodes, e.Code) {
		key := "refusal." + e.Code
		return lang.X(key, key)
	}
	detail := e.Problem
	if detail == "" {
		detail = "—"
	}
	return tr("error.refused", args{"Status": e.Status, "Problem": detail})
}

// keyedItem is a menu item with a keyboard shortcut that works wherever the
// focus is (the driver tries the main menu's shortcuts first) and that the
// label names ("放大字号 Ctrl+="). Fyne 2.7 draws a shortcut itself at the
// menu's right edge, and past it once the text is larger (Ctrl+= cut in
// half under Xvfb at the second text size); a shortcut that is not a
// fyne.KeyboardShortcut it matches by name and does not draw.
func keyedItem(label string, key *desktop.CustomShortcut, action func()) *fyne.MenuItem {
	it := fyne.NewMenuItem(tr("menu.keyed", args{"Label": label, "Key": keyName(key)}), action)
	it.Shortcut = namedShortcut(key.ShortcutName())
	return it
}

// namedShortcut is a shortcut known by its name only.
type namedShortcut string

func (s namedShortcut) ShortcutName() string { return string(s) }

// keyName is a shortcut as people write it: Ctrl+=.
func keyName(k *desktop.CustomShortcut) string {
	var b strings.Builder
	for _, m := range []struct {
		mod  fyne.KeyModifier
		name string
	}{{fyne.KeyModifierControl, "Ctrl+"}, {fyne.KeyModifierAlt, "Alt+"}, {fyne.KeyModifierShift, "Shift+"}} {
		if k.Modifier&m.mod != 0 {
			b.WriteString(m.name)
		}
	}
	names := map[fyne.KeyName]string{fyne.KeyEqual: "=", fyne.KeyMinus: "-"}
	if n, ok := names[k.KeyName]; ok {
		b.WriteString(n)
	} else {
		b.WriteString(string(k.KeyName))
	}
	return b.String()
}

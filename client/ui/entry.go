package ui

import (
	"context"
	"errors"
	"net/url"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"onex/client/site"
)

// firstRun is the first-run screen: language, central's address (with a
// warning when it is plain http://), the enrolment code, central's
// fingerprint, the site passphrase twice with a strength hint, and the name
// of the staff member on duty.
type firstRun struct {
	a                                       *App
	server, code, fingerprint, device, name *widget.Entry
	pass, again                             *widget.Entry
	hint, problem, plain                    *widget.Label
	enrol                                   *widget.Button
	language                                *widget.RadioGroup
}

func (a *App) showFirstRun() {
	f := &firstRun{a: a}
	f.language = widget.NewRadioGroup(nil, nil)
	for _, l := range Languages {
		f.language.Options = append(f.language.Options, l.Name())
	}
	f.language.Horizontal = true
	f.language.Required = true
	f.language.SetSelected(a.language().Name())
	f.language.OnChanged = func(s string) {
		if s != "" {
			a.setLanguage(languageNamed(s))
			// setLanguage built a new form; carry over what was typed.
			a.first.copyFrom(f)
		}
	}

	f.server = widget.NewEntry()
	f.server.SetPlaceHolder("https://onex.example.cn")
	f.server.SetText(a.fa.Preferences().StringWithFallback(prefServer, a.opt.Server))
	f.plain = wrapped(tr("first.not_encrypted"))
	f.plain.Importance = widget.WarningImportance
	f.server.OnChanged = func(string) { f.warnPlain() }
	f.warnPlain()
	f.code = widget.NewEntry()
	f.code.SetPlaceHolder(tr("first.code_hint"))
	f.fingerprint = widget.NewEntry()
	f.fingerprint.SetPlaceHolder(tr("first.fingerprint_hint"))
	f.device = widget.NewEntry()
	f.device.SetPlaceHolder(tr("first.device_hint"))
	f.name = widget.NewEntry()
	f.name.SetText(a.fa.Preferences().String(prefProctor))
	f.pass = widget.NewPasswordEntry()
	f.again = widget.NewPasswordEntry()
	f.hint = widget.NewLabel("")
	f.problem = wrapped("")
	f.problem.Importance = widget.DangerImportance
	f.pass.OnChanged = func(string) { f.check() }
	f.again.OnChanged = func(string) { f.check() }
	f.enrol = widget.NewButton(tr("first.enrol"), f.submit)
	f.enrol.Importance = widget.HighImportance
	f.again.OnSubmitted = func(string) { f.submit() }
	f.check()

	form := widget.NewForm(
		widget.NewFormItem(tr("first.language"), f.language),
		widget.NewFormItem(tr("first.server"), f.server),
		widget.NewFormItem("", f.plain),
		widget.NewFormItem(tr("first.code"), f.code),
		widget.NewFormItem(tr("first.fingerprint"), f.fingerprint),
		widget.NewFormItem(tr("first.device"), f.device),
		widget.NewFormItem(tr("first.proctor"), f.name),
		widget.NewFormItem(tr("first.passphrase"), f.pass),
		widget.NewFormItem(tr("first.again"), f.again),
		widget.NewFormItem("", f.hint),
	)
	// The other choice of a first start: this is an exam computer, paired
	// with the room's station. **[added: issue 14]**
	asTerminal := widget.NewButtonWithIcon(tr("pair.choose"), theme.ComputerIcon(), func() {
		a.first = nil
		a.showPairing()
	})
	asStation := widget.NewButtonWithIcon(tr("first.as_station"), theme.HomeIcon(), func() { a.win.Canvas().Focus(f.server) })
	asStation.Importance = widget.HighImportance
	choice := container.NewVBox(widget.NewLabelWithStyle(tr("first.which"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		container.NewGridWithColumns(2, asStation, asTerminal))
	box := container.NewVBox(heading(tr("first.title")), choice, widget.NewSeparator(), wrapped(tr("first.intro")), form, f.problem, f.enrol)
	a.first = f
	a.win.SetContent(container.NewVScroll(centred(560, box)))
	a.win.Canvas().Focus(f.server)
	a.shown("first-run")
}

func (f *firstRun) copyFrom(o *firstRun) {
	for _, p := range [][2]*widget.Entry{{f.server, o.server}, {f.code, o.code}, {f.fingerprint, o.fingerprint}, {f.device, o.device}, {f.name, o.name}, {f.pass, o.pass}, {f.again, o.again}} {
		p[0].SetText(p[1].Text)
	}
}

// warnPlain shows that the link is not encrypted while the address is http://.
func (f *firstRun) warnPlain() {
	if strings.HasPrefix(strings.ToLower(strings.TrimSpace(f.server.Text)), "http://") {
		f.plain.Show()
	} else {
		f.plain.Hide()
	}
}

// check rates the passphrase and compares the two; it returns the problem
// with the form, or "".
func (f *firstRun) check() string {
	switch strength(f.pass.Text, site.MinPassphrase) {
	case tooShort:
		f.hint.SetText(tr("first.strength_short", args{"N": site.MinPassphrase}))
		f.hint.Importance = widget.DangerImportance
		if f.pass.Text == "" {
			f.hint.Importance = widget.MediumImportance
		}
	case weak:
		f.hint.SetText(tr("first.strength_weak"))
		f.hint.Importance = widget.DangerImportance
	case fair:
		f.hint.SetText(tr("first.strength_fair"))
		f.hint.Importance = widget.WarningImportance
	default:
		f.hint.SetText(tr("first.strength_strong"))
		f.hint.Importance = widget.SuccessImportance
	}
	f.hint.Refresh()
	u, err := url.Parse(strings.TrimSpace(f.server.Text))
	switch {
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		return tr("first.bad_server")
	case strings.TrimSpace(f.code.Text) == "":
		return tr("first.no_code")
	case site.CheckFingerprint(f.fingerprint.Text) != nil:
		return tr("first.bad_fingerprint")
	case strings.TrimSpace(f.name.Text) == "":
		return tr("first.no_proctor")
	case site.CheckPassphrase(f.pass.Text) != nil:
		return tr("first.strength_short", args{"N": site.MinPassphrase})
	case f.pass.Text != f.again.Text:
		return tr("first.mismatch")
	}
	return ""
}

func (f *firstRun) submit() {
	if p := f.check(); p != "" {
		f.problem.SetText(p)
		return
	}
	a := f.a
	f.problem.SetText(tr("first.enrolling"))
	f.problem.Importance = widget.MediumImportance
	f.problem.Refresh()
	f.enrol.Disable()
	cfg := a.opt.Site
	cfg.Passphrase = f.pass.Text
	opt := site.EnrolOptions{ServerURL: strings.TrimSpace(f.server.Text), Code: strings.TrimSpace(f.code.Text),
		Fingerprint: f.fingerprint.Text, DeviceName: strings.TrimSpace(f.device.Text)}
	proctor := strings.TrimSpace(f.name.Text)
	var s *site.Site
	a.run(func(ctx context.Context) (err error) {
		s, err = site.Enrol(ctx, cfg, opt)
		return err
	}, func(err error) {
		if err != nil {
			f.enrol.Enable()
			f.problem.Importance = widget.DangerImportance
			f.problem.SetText(message(err))
			return
		}
		a.fa.Preferences().SetString(prefServer, opt.ServerURL)
		a.opened(s, proctor)
	})
}

// showLogin asks for the site passphrase and the name of the staff member
// on duty.
func (a *App) showLogin() {
	pass := widget.NewPasswordEntry()
	name := widget.NewEntry()
	name.SetText(a.fa.Preferences().String(prefProctor))
	problem := wrapped("")
	problem.Importance = widget.DangerImportance
	language := widget.NewSelect(nil, func(s string) { a.setLanguage(languageNamed(s)) })
	for _, l := range Languages {
		language.Options = append(language.Options, l.Name())
	}
	language.Selected = a.language().Name()
	var open *widget.Button
	submit := func() {
		switch {
		case pass.Text == "":
			problem.SetText(tr("login.no_passphrase"))
			return
		case strings.TrimSpace(name.Text) == "":
			problem.SetText(tr("first.no_proctor"))
			return
		}
		open.Disable()
		problem.SetText(tr("login.opening"))
		a.open(pass.Text, strings.TrimSpace(name.Text), func(err error) {
			open.Enable()
			pass.SetText("")
			problem.SetText(message(err))
			a.win.Canvas().Focus(pass)
		})
	}
	open = widget.NewButton(tr("login.open"), submit)
	open.Importance = widget.HighImportance
	pass.OnSubmitted = func(string) { submit() }
	name.OnSubmitted = func(string) { submit() }
	form := widget.NewForm(
		widget.NewFormItem(tr("login.passphrase"), pass),
		widget.NewFormItem(tr("first.proctor"), name),
		widget.NewFormItem(tr("first.language"), language),
	)
	verify := widget.NewButtonWithIcon(tr("login.verify"), theme.ConfirmIcon(), a.showVerifyAlone) // **[added: issue 16]**
	box := container.NewVBox(heading(tr("login.title")), wrapped(tr("login.intro")), form, problem, open, verify)
	a.win.SetContent(centred(480, box))
	a.win.Canvas().Focus(pass)
	a.shown("login")
}

// showBusy shows a message while the store opens.
func (a *App) showBusy(msg string) {
	a.win.SetContent(container.NewCenter(container.NewVBox(widget.NewLabel(msg), widget.NewProgressBarInfinite())))
}

// open opens the site store; fail hears why not (nil: show the passphrase
// screen with the reason).
func (a *App) open(passphrase, proctor string, fail func(error)) {
	cfg := a.opt.Site
	cfg.Passphrase = passphrase
	var s *site.Site
	a.run(func(ctx context.Context) (err error) {
		defer func() { <-a.ready }() // what comes next shows in the window
		s, err = site.Open(ctx, cfg)
		if err == nil {
			_, err = s.Identity(ctx)
			if err != nil {
				s.Close()
			}
		}
		return err
	}, func(err error) {
		switch {
		case errors.Is(err, site.ErrNotEnrolled):
			a.showFirstRun()
		case err != nil && fail == nil:
			a.showLogin()
			a.showError(err, a.win)
		case err != nil:
			fail(err)
		default:
			a.opened(s, proctor)
		}
	})
}

// opened starts the station with an open site.
func (a *App) opened(s *site.Site, proctor string) {
	a.site, a.proctor = s, proctor
	a.fa.Preferences().SetString(prefProctor, proctor)
	a.startBackground()
	a.serveRoom()
	a.showStation()
}

package ui

import (
	"errors"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"onex/client/site"
	"onex/exam"
)

// verifyScreen is 证书核验: a certificate's QR text pasted (as a scanner
// types it) is checked offline against the certificate trust lists the site
// downloaded with its packages, with the holder's ID number if typed. The
// result says the status in a big word with an icon of its own (colour is
// not the only sign), the certificate's fields only when a trusted key
// signed it, and the date the status is as of. The ID number and the result
// (the holder's name) are cleared when the screen is left. It needs no open
// store: the passphrase screen offers it to a verifier who is not staff.
type verifyScreen struct {
	a   *App
	obj fyne.CanvasObject

	text, id     *widget.Entry
	lists, note  *widget.Label
	word         *widget.Label
	icon         *widget.Icon
	fields       *fyne.Container
	result       *fyne.Container
	scroll       *container.Scroll
	checkBtn     *widget.Button
	shownOutcome site.CertificateOutcome // of the result on screen, "" for none
}

// newVerify makes the screen; back, unless nil, is a button's action to
// leave it (from the passphrase screen).
func newVerify(a *App, back func()) *verifyScreen {
	v := &verifyScreen{a: a}
	v.text = widget.NewMultiLineEntry()
	v.text.Wrapping = fyne.TextWrapBreak
	v.text.SetMinRowsVisible(4)
	v.text.SetPlaceHolder(tr("verify.text_hint"))
	v.id = widget.NewEntry()
	v.id.SetPlaceHolder(tr("verify.id_hint"))
	v.id.OnSubmitted = func(string) { v.check() }
	v.lists = wrapped("")
	v.word = heading("")
	v.icon = widget.NewIcon(nil)
	v.note = wrapped("")
	v.fields = container.New(layout.NewFormLayout())
	v.result = container.NewVBox(
		container.NewBorder(nil, nil, container.New(widthLayout{48}, v.icon), nil, v.word),
		v.note, v.fields)
	v.result.Hide()
	v.checkBtn = widget.NewButtonWithIcon(tr("verify.check"), theme.ConfirmIcon(), v.check)
	v.checkBtn.Importance = widget.HighImportance
	buttons := container.NewHBox(v.checkBtn, widget.NewButtonWithIcon(tr("verify.clear"), theme.ContentClearIcon(), v.clear))
	if back != nil {
		buttons.Add(widget.NewButtonWithIcon(tr("verify.back"), theme.NavigateBackIcon(), func() {
			v.leave()
			back()
		}))
	}
	form := widget.NewForm(
		widget.NewFormItem(tr("verify.text"), v.text),
		widget.NewFormItem(tr("verify.id"), v.id),
	)
	v.scroll = container.NewVScroll(container.NewVBox(
		heading(tr("verify.title")), wrapped(tr("verify.intro")), v.lists,
		form, buttons, widget.NewSeparator(), v.result,
	))
	v.obj = v.scroll
	v.refresh()
	return v
}

// refresh says which lists the site keeps.
func (v *verifyScreen) refresh() {
	asOf, taken, err := site.KeptCertificateLists(v.a.opt.Site.Dir)
	switch {
	case errors.Is(err, site.ErrNoCertificateLists):
		v.lists.SetText(tr("verify.no_lists"))
	case err != nil:
		v.lists.SetText(tr("verify.damaged_lists"))
	default:
		v.lists.SetText(tr("verify.lists", args{"AsOf": dateTime(asOf), "Taken": dateTime(taken)}))
	}
}

// check checks the text typed. It reads a file and checks two signatures:
// quick enough to do at once.
func (v *verifyScreen) check() {
	var chk site.CertificateCheck
	var err error
	if v.a.site != nil {
		chk, err = v.a.site.VerifyCertificate(v.a.ctx, v.text.Text, v.id.Text)
	} else {
		chk, err = site.VerifyCertificate(v.a.opt.Site.Dir, v.text.Text, v.id.Text)
	}
	v.show(chk, err)
	v.refresh()
}

// outcomeLook is how an outcome shows: its word, icon and importance.
func outcomeLook(o site.CertificateOutcome) (string, fyne.Resource, widget.Importance) {
	switch o {
	case site.CertificateValid:
		return tr("verify.valid"), theme.ConfirmIcon(), widget.SuccessImportance
	case site.CertificateRevoked:
		return tr("verify.revoked"), theme.CancelIcon(), widget.DangerImportance
	case site.CertificateSuspended:
		return tr("verify.suspended"), theme.WarningIcon(), widget.WarningImportance
	case site.CertificateUntrusted:
		return tr("verify.untrusted"), theme.ErrorIcon(), widget.DangerImportance
	case site.CertificateNotText:
		return tr("verify.not_text"), theme.QuestionIcon(), widget.WarningImportance
	}
	return tr("verify.cannot"), theme.InfoIcon(), widget.WarningImportance
}

// refusalText is why a text was refused.
func refusalText(refusal string) string {
	why := map[string]string{
		site.RefusedUnknownKey: tr("verify.why_unknown_key"), site.RefusedBadSignature: tr("verify.why_bad_signature"),
		site.RefusedKeyWindow: tr("verify.why_key_window"), site.RefusedPrefix: tr("verify.why_prefix"), site.RefusedBase45: tr("verify.why_base45"),
	}
	if s, ok := why[refusal]; ok {
		return s
	}
	return tr("verify.why_malformed")
}

// show puts a check's result on screen.
func (v *verifyScreen) show(chk site.CertificateCheck, err error) {
	word, icon, importance := outcomeLook(chk.Outcome)
	v.word.SetText(word)
	v.word.Importance = importance
	v.word.Refresh()
	v.icon.SetResource(icon)
	v.shownOutcome = chk.Outcome
	v.fields.Objects = nil
	switch {
	case errors.Is(err, site.ErrNoCertificateLists):
		v.note.SetText(tr("verify.no_lists"))
	case err != nil:
		v.note.SetText(tr("verify.damaged_lists"))
	case !chk.Verified():
		v.note.SetText(refusalText(chk.Refusal))
	default:
		note := tr("verify.as_of", args{"AsOf": dateTime(chk.StatusAsOf)})
		if chk.StatusBeforeIssue {
			note += "\n" + tr("verify.before_issue")
		}
		v.note.SetText(note)
		v.field(tr("verify.number"), chk.Number)
		v.field(tr("verify.holder"), chk.Holder)
		v.field(tr("verify.certificate"), tr("verify.cert_level", args{"Code": chk.Certificate, "Level": levelName(chk.Level)}))
		v.field(tr("verify.organisation"), chk.Organisation)
		v.field(tr("verify.site"), chk.Site)
		v.field(tr("verify.issued"), dateTime(chk.Issued))
		switch {
		case !chk.IDChecked:
			v.field(tr("verify.id_check"), tr("verify.id_none"))
		case chk.IDMatches:
			v.field(tr("verify.id_check"), tr("verify.id_match"))
		default:
			v.field(tr("verify.id_check"), tr("verify.id_mismatch"))
		}
		v.field(tr("verify.central_key"), chk.CentralKey)
	}
	v.result.Show()
	v.scroll.Content.Refresh() // lay the result out anew
	v.scroll.Refresh()
}

// field adds a line of the certificate's fields.
func (v *verifyScreen) field(name, value string) {
	val := widget.NewLabel(value)
	val.Wrapping = fyne.TextWrapBreak
	v.fields.Add(widget.NewLabelWithStyle(name, fyne.TextAlignTrailing, fyne.TextStyle{Bold: true}))
	v.fields.Add(val)
}

// levelName is a level as the screens name it.
func levelName(l exam.Level) string {
	names := map[exam.Level]string{exam.Elementary: tr("level.elementary"), exam.Intermediate: tr("level.intermediate"), exam.Advanced: tr("level.advanced")}
	if n, ok := names[l]; ok {
		return n
	}
	return string(l)
}

// clear empties the entries and the result.
func (v *verifyScreen) clear() {
	v.text.SetText("")
	v.leave()
}

// leave forgets the ID number and the result (the holder's name) when the
// screen is left; the text stays for a second look.
func (v *verifyScreen) leave() {
	v.id.SetText("")
	v.fields.Objects = nil
	v.word.SetText("")
	v.note.SetText("")
	v.shownOutcome = ""
	v.result.Hide()
	v.scroll.Content.Refresh()
}

// showVerifyAlone shows the certificate check in the window without the
// store (from the passphrase screen): a verifier need not be staff.
func (a *App) showVerifyAlone() {
	v := newVerify(a, a.showEntry)
	a.win.SetContent(v.obj)
	a.win.Canvas().Focus(v.text)
	a.shown("verify")
}

package ui

import (
	"bytes"
	"errors"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"onex/client/site"
	"onex/exam"
)

// checkinScreen finds candidates as staff type a ticket number, ID number or
// name, shows one with the photo (a placeholder when none) and marks them
// present, late or absent, with the late-entry rule and a proctor's
// override, and the count checked in against the roster.
type checkinScreen struct {
	st  *station
	obj fyne.CanvasObject

	all, shown []site.Candidate
	ticket     string // the candidate shown
	keep       bool   // the search is being cleared after a check-in: keep showing the candidate

	search                         *widget.Entry
	list                           *widget.List
	count, rule, none              *widget.Label
	photo                          *canvas.Image
	name, details, status          *widget.Label
	seat                           *widget.Entry
	confirm                        *widget.Check
	present, late, absent, openWin *widget.Button
	detail                         *fyne.Container
	code                           *seatCodePanel // the seat code once checked in **[added: issue 14]**
}

// checkinColumns are the widths of the check-in list's columns: seat, name,
// ticket, check-in.
var checkinColumns = []float32{40, 110, 150, 130}

func newCheckIn(st *station) *checkinScreen {
	c := &checkinScreen{st: st}
	if _, ok := st.info(); !ok {
		c.obj = scrolled(wrapped(tr("station.no_session_hint")))
		return c
	}
	c.search = widget.NewEntry()
	c.search.SetPlaceHolder(tr("checkin.search"))
	c.search.OnChanged = func(string) { c.typed() }
	c.search.OnSubmitted = func(string) {
		if len(c.shown) == 1 {
			c.list.Select(0)
		}
	}
	c.list = widget.NewList(
		func() int { return len(c.shown) },
		func() fyne.CanvasObject { return columns(checkinColumns, false) },
		func(i widget.ListItemID, o fyne.CanvasObject) {
			k := c.shown[i]
			setColumns(o, k.Seat, k.Name, k.Ticket, checkState(k))
		})
	c.list.OnSelected = func(i widget.ListItemID) { c.show(c.shown[i].Ticket) }
	c.count = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	c.none = wrapped(tr("checkin.none"))
	c.none.Importance = widget.WarningImportance
	c.none.Hide()
	c.rule = wrapped("")

	c.photo = photoImage(theme.AccountIcon(), fyne.NewSize(120, 150))
	c.name = heading("")
	c.details = widget.NewLabel("")
	c.status = wrapped("")
	c.seat = widget.NewEntry()
	c.confirm = widget.NewCheck(tr("checkin.confirm"), func(bool) { c.enable() })
	c.present = widget.NewButtonWithIcon(tr("checkin.present"), theme.ConfirmIcon(), func() { c.mark(exam.Present, false) })
	c.present.Importance = widget.HighImportance
	c.late = widget.NewButtonWithIcon(tr("checkin.late"), theme.HistoryIcon(), func() { c.mark(exam.Late, false) })
	c.absent = widget.NewButtonWithIcon(tr("checkin.absent"), theme.CancelIcon(), func() { c.mark(exam.Absent, false) })
	c.openWin = widget.NewButtonWithIcon(tr("checkin.open_exam"), theme.ComputerIcon(), func() {
		st.a.openCandidate(st.current, c.ticket)
	})
	c.code = newSeatCodePanel(c)
	c.detail = container.NewVBox(
		container.NewHBox(c.photo, container.NewVBox(c.name, c.details)),
		widget.NewForm(widget.NewFormItem(tr("checkin.seat"), c.seat)),
		c.confirm,
		container.NewGridWithColumns(3, c.present, c.late, c.absent),
		c.status,
		c.code.obj,
		c.openWin,
	)
	c.detail.Hide()
	left := container.NewBorder(container.NewVBox(c.search, c.count, c.none), nil, nil, nil, c.list)
	right := scrolled(container.NewVBox(c.rule, widget.NewSeparator(), c.detail))
	split := container.NewHSplit(left, right)
	split.Offset = 0.5
	c.obj = split
	return c
}

// checkState is a candidate's check-in as a word.
func checkState(k site.Candidate) string {
	switch k.Status {
	case exam.Present:
		return tr("checkin.state_present")
	case exam.Late:
		return tr("checkin.state_late")
	case exam.Absent:
		return tr("checkin.state_absent")
	}
	return tr("checkin.state_none")
}

// photo is the photo taken of a candidate at check-in, or the placeholder.
func (a *App) photo(sessionID, ticket string) fyne.Resource {
	if b, err := a.site.Photo(a.ctx, sessionID, ticket); err == nil && len(b) > 0 {
		return fyne.NewStaticResource("photo-"+ticket, bytes.Clone(b))
	}
	return theme.AccountIcon()
}

// photoImage shows a photo at least size large, whole.
func photoImage(r fyne.Resource, size fyne.Size) *canvas.Image {
	img := canvas.NewImageFromResource(r)
	img.FillMode = canvas.ImageFillContain
	img.SetMinSize(size)
	return img
}

// genderName, categoryName and idTypeName put roster values in the
// user's language; ID types other than the resident ID card are shown as
// the roster names them.
func genderName(g exam.Gender) string {
	if g == exam.Female {
		return tr("roster.female")
	}
	return tr("roster.male")
}

func categoryName(c exam.Category) string {
	if c == exam.Public {
		return tr("roster.public")
	}
	return tr("roster.student")
}

func idTypeName(t string) string {
	if t == exam.ResidentID {
		return tr("roster.resident_id")
	}
	return t
}

// refresh reads the roster again and keeps the search and the candidate shown.
func (c *checkinScreen) refresh() {
	if c.search == nil {
		return
	}
	all, err := c.st.a.site.Candidates(c.st.a.ctx, c.st.current)
	if err != nil {
		c.count.SetText(message(err))
		return
	}
	c.all = all
	in, absent := 0, 0
	for _, k := range all {
		switch {
		case k.Status.CheckedIn():
			in++
		case k.Status == exam.Absent:
			absent++
		}
	}
	c.count.SetText(tr("checkin.count", args{"In": in, "Expected": len(all), "Absent": absent}))
	c.showRule()
	c.filter()
	if c.ticket != "" {
		c.show(c.ticket)
	}
}

// showRule states the late-entry rule for the session as it stands.
func (c *checkinScreen) showRule() {
	info, _ := c.st.info()
	switch {
	case !info.Ended.IsZero():
		c.rule.SetText(tr("checkin.rule_ended"))
	case info.Started.IsZero():
		c.rule.SetText(tr("checkin.rule_before", args{"Limit": info.LateLimit}))
	default:
		c.rule.SetText(tr("checkin.rule_running", args{"Since": minutes(time.Since(info.Started)), "Limit": info.LateLimit}))
	}
}

// typed follows the search as staff type it: the candidate shown goes, so
// that nobody marks the one found by an earlier search, and the list shows
// what the new one finds.
func (c *checkinScreen) typed() {
	if !c.keep {
		c.ticket = ""
		c.detail.Hide()
	}
	c.filter()
}

// filter lists the candidates the search finds as typed so far (the rule is
// site.Search), and says so when it finds nobody.
func (c *checkinScreen) filter() {
	c.shown = site.Search(c.all, c.search.Text)
	c.none.Hidden = len(c.shown) > 0 || strings.TrimSpace(c.search.Text) == ""
	c.none.Refresh()
	c.list.UnselectAll()
	c.list.Refresh()
}

// show shows a candidate's details and check-in.
func (c *checkinScreen) show(ticket string) {
	var k site.Candidate
	for _, x := range c.all {
		if x.Ticket == ticket {
			k = x
		}
	}
	if k.Ticket == "" {
		return
	}
	if c.ticket != ticket {
		c.confirm.SetChecked(false)
		c.seat.SetText(k.Seat)
	}
	c.ticket = ticket
	c.name.SetText(k.Name)
	fee := tr("checkin.fee_paid")
	if k.FeeExempt {
		fee = tr("checkin.fee_exempt")
	}
	c.details.SetText(tr("checkin.details", args{"Ticket": k.Ticket, "IDType": idTypeName(k.IDType), "ID": k.IDNumber,
		"Gender": genderName(k.Gender), "Category": categoryName(k.Category), "School": k.School, "Fee": fee}))
	status := checkState(k)
	if !k.CheckedIn.IsZero() {
		status = tr("checkin.marked", args{"State": status, "At": clock(k.CheckedIn)})
	}
	if k.Override {
		status += "\n" + tr("checkin.overridden")
	}
	c.status.SetText(status)
	c.photo.Resource = c.st.a.photo(c.st.current, ticket)
	c.photo.Refresh()
	info, _ := c.st.info()
	c.code.show(k, !info.Ended.IsZero())
	c.detail.Show()
	c.enable()
}

// enable allows present and late once the identity is confirmed, and the
// exam window once the candidate is in.
func (c *checkinScreen) enable() {
	info, _ := c.st.info()
	ended := !info.Ended.IsZero()
	setEnabled(c.confirm.Checked && !ended, c.present, c.late)
	setEnabled(!ended, c.absent)
	k := c.candidate()
	setEnabled(k.Status.CheckedIn() && !k.Submitted && !ended, c.openWin)
}

func (c *checkinScreen) candidate() site.Candidate {
	for _, k := range c.all {
		if k.Ticket == c.ticket {
			return k
		}
	}
	return site.Candidate{}
}

// mark checks the candidate in; a late entry past the limit asks whether
// the proctor on duty overrides it.
func (c *checkinScreen) mark(status exam.Attendance, override bool) {
	a := c.st.a
	req := site.CheckInRequest{Ticket: c.ticket, Status: status, Confirmed: c.confirm.Checked && status != exam.Absent,
		Seat: strings.TrimSpace(c.seat.Text), Override: override, Proctor: a.proctor}
	_, err := a.site.CheckIn(a.ctx, c.st.current, req)
	var late *site.LateError
	switch {
	case errors.As(err, &late) && !override:
		ask(tr("checkin.late_title"), message(err)+"\n\n"+tr("checkin.override_question", args{"Proctor": a.proctor}),
			tr("checkin.override"), func() { c.mark(status, true) }, a.win)
		return
	case err != nil:
		a.showError(err, a.win)
		return
	}
	c.st.sessionsChanged()
	c.keep = true
	c.search.SetText("")
	c.keep = false
	a.win.Canvas().Focus(c.search)
}

// startQuestion is the question before the room starts: the scheduled start
// (and how early it is, when it is early) and how many candidates are not
// checked in yet, who will be late once it starts.
func startQuestion(info site.SessionInfo, now time.Time, proctor string) string {
	var b strings.Builder
	if early := info.Start.Sub(now); early >= time.Minute {
		b.WriteString(tr("console.start_early", args{"Start": dateTime(info.Start), "Early": span(early)}))
	} else {
		b.WriteString(tr("console.start_scheduled", args{"Start": dateTime(info.Start)}))
	}
	b.WriteString("\n")
	if waiting := info.Candidates - info.Present - info.Late - info.Absent; waiting > 0 {
		b.WriteString(tr("console.start_waiting", args{"N": waiting, "Roster": info.Candidates}))
	} else {
		b.WriteString(tr("console.start_all_in"))
	}
	b.WriteString("\n\n" + tr("console.start_question", args{"Proctor": proctor}))
	return b.String()
}

package ui

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"onex/client/site"
	"onex/exam"
)

// consoleScreen is the proctor's view of the room: every candidate with
// seat, state, answers given and time left; starting the room, pausing and
// resuming one or all, extra time, incidents, forced submission, the end of
// the session, and examiners' scores of practical items.
type consoleScreen struct {
	st  *station
	obj fyne.CanvasObject

	seats  []site.SeatState
	ticket string // the candidate chosen

	list                                  *widget.List
	state, chosen                         *widget.Label
	start, pauseAll, resumeAll, extraAll  *widget.Button
	incidentAll, end                      *widget.Button
	collect                               *widget.Button // hand-in: ask terminals for work folders, a seat or the room (issue 15)
	pause, resume, extra, force, incident *widget.Button
	score, openWin                        *widget.Button
	roomActions, seatActions              []*widget.Button
}

// consoleColumns are the widths of the console's columns.
var consoleColumns = []float32{50, 130, 110, 120, 100, 100, 80} // with the extra-time column, within 1366 at the largest text

func newConsole(st *station) *consoleScreen {
	c := &consoleScreen{st: st}
	if _, ok := st.info(); !ok {
		c.obj = scrolled(wrapped(tr("station.no_session_hint")))
		return c
	}
	header := columns(consoleColumns, true, tr("console.seat"), tr("console.ticket"), tr("console.name"), tr("console.state"), tr("console.answered"), tr("console.remaining"), tr("console.extra_given"))
	c.list = widget.NewList(
		func() int { return len(c.seats) },
		func() fyne.CanvasObject { return columns(consoleColumns, false) },
		func(i widget.ListItemID, o fyne.CanvasObject) {
			s := c.seats[i]
			info, _ := st.info()
			answered, left, extra := "—", "—", "—"
			if s.Status.CheckedIn() {
				answered = fmt.Sprintf("%d/%d", s.Answered, s.Items)
				if !s.Submitted && info.Ended.IsZero() {
					left = countdown(s.Remaining)
				}
			}
			if s.Extra > 0 && s.Status.CheckedIn() {
				extra = tr("console.extra_minutes", args{"N": minutes(s.Extra)})
			}
			setColumns(o, s.Seat, s.Ticket, s.Name, seatState(s, !info.Ended.IsZero()), answered, left, extra)
		})
	c.list.OnSelected = func(i widget.ListItemID) {
		c.ticket = c.seats[i].Ticket
		c.enable()
	}
	c.state = heading("")
	c.chosen = widget.NewLabel("")
	a := st.a
	btn := widget.NewButtonWithIcon
	c.start = btn(tr("console.start"), theme.MediaPlayIcon(), c.startRoom)
	c.start.Importance = widget.HighImportance
	c.pauseAll = btn(tr("console.pause_all"), theme.MediaPauseIcon(), func() { c.pauseWithReason("") })
	c.resumeAll = btn(tr("console.resume_all"), theme.MediaPlayIcon(), func() {
		c.act(func(ctx context.Context, id string) error { return a.site.Resume(ctx, id, "", a.proctor) })
	})
	c.extraAll = btn(tr("console.extra_all"), theme.ContentAddIcon(), func() { c.extraTime("") })
	c.incidentAll = btn(tr("console.incident_all"), theme.DocumentCreateIcon(), func() { c.recordIncident("") })
	c.collect = btn(tr("console.collect"), theme.DownloadIcon(), c.collectChoice)
	c.end = btn(tr("console.end"), theme.MediaStopIcon(), c.endSession)
	c.end.Importance = widget.DangerImportance
	c.pause = btn(tr("console.pause"), theme.MediaPauseIcon(), func() { c.pauseWithReason(c.ticket) })
	c.resume = btn(tr("console.resume"), theme.MediaPlayIcon(), func() {
		c.act(func(ctx context.Context, id string) error { return a.site.Resume(ctx, id, c.ticket, a.proctor) })
	})
	c.extra = btn(tr("console.extra"), theme.ContentAddIcon(), func() { c.extraTime(c.ticket) })
	c.force = btn(tr("console.force"), theme.MailSendIcon(), c.forceSubmit)
	c.incident = btn(tr("console.incident"), theme.DocumentCreateIcon(), func() { c.recordIncident(c.ticket) })
	c.score = btn(tr("console.score"), theme.DocumentIcon(), c.scorePractical)
	c.openWin = btn(tr("console.open_exam"), theme.ComputerIcon(), func() { a.openCandidate(st.current, c.ticket) })
	c.roomActions = []*widget.Button{c.start, c.pauseAll, c.resumeAll, c.extraAll, c.incidentAll, c.end}
	c.seatActions = []*widget.Button{c.pause, c.resume, c.extra, c.force, c.incident, c.collect, c.score, c.openWin}

	room := container.New(layout.NewRowWrapLayout()) // wraps at large text (issue 12, point 6)
	for _, b := range c.roomActions {
		room.Add(b)
	}
	seat := container.NewGridWithColumns(1)
	for _, b := range c.seatActions {
		seat.Add(b)
	}
	c.chosen.Wrapping = fyne.TextWrapWord
	side := container.New(widthLayout{230}, container.NewVBox(widget.NewLabelWithStyle(tr("console.candidate"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), c.chosen, seat))
	c.obj = container.NewBorder(
		container.NewVBox(c.state, room, widget.NewSeparator()),
		nil, nil, container.NewVScroll(side),
		container.NewBorder(header, nil, nil, nil, c.list))
	return c
}

// seatState is a candidate's state in the room as a word (exam.StandingOf),
// the room ended or not.
func seatState(s site.SeatState, ended bool) string {
	switch exam.StandingOf(s.Status, s.Begun, s.Submitted, ended) {
	case exam.NotCheckedIn:
		if s.Status == exam.Absent {
			return tr("checkin.state_absent")
		}
		return tr("checkin.state_none")
	case exam.Submitted:
		return tr("console.submitted")
	case exam.Answering:
		if s.Paused {
			return tr("console.paused")
		}
		return tr("console.answering")
	case exam.EndedUnsubmitted:
		return tr("console.ended_unsubmitted")
	}
	return tr("console.not_started")
}

// refresh reads the room again.
func (c *consoleScreen) refresh() {
	if c.list == nil {
		return
	}
	seats, err := c.st.a.site.Seats(c.st.a.ctx, c.st.current)
	if err != nil {
		c.state.SetText(message(err))
		return
	}
	c.seats = seats
	info, _ := c.st.info()
	c.state.SetText(tr("console.room", args{"State": sessionState(info), "Room": info.Room}))
	c.list.Refresh()
	c.enable()
}

// enable allows what the room's and the chosen candidate's state allow.
func (c *consoleScreen) enable() {
	info, _ := c.st.info()
	started, ended := !info.Started.IsZero(), !info.Ended.IsZero()
	running := started && !ended
	setEnabled(info.Released && !started, c.start)
	setEnabled(running && !info.Paused, c.pauseAll)
	setEnabled(running && info.Paused, c.resumeAll)
	setEnabled(running, c.extraAll)
	setEnabled(running, c.end)
	s, ok := c.seat()
	c.chosen.SetText("")
	if ok {
		c.chosen.SetText(tr("console.chosen", args{"Seat": s.Seat, "Name": s.Name, "Ticket": s.Ticket}))
	}
	answering := ok && running && s.Begun && !s.Submitted
	setEnabled(answering && !s.Paused, c.pause)
	setEnabled(answering && s.Paused && !info.Paused, c.resume)
	setEnabled(answering, c.extra)
	setEnabled(answering, c.force)
	setEnabled(running, c.collect)
	setEnabled(ok, c.incident)
	setEnabled(ok && info.Released && s.Status.CheckedIn(), c.score)
	setEnabled(ok && running && s.Status.CheckedIn() && !s.Submitted, c.openWin)
}

func (c *consoleScreen) seat() (site.SeatState, bool) {
	for _, s := range c.seats {
		if s.Ticket == c.ticket {
			return s, true
		}
	}
	return site.SeatState{}, false
}

// act runs a proctor's action on the session and shows the room after.
func (c *consoleScreen) act(f func(ctx context.Context, sessionID string) error) {
	a := c.st.a
	c.st.touch()
	if err := f(a.ctx, c.st.current); err != nil {
		a.showError(err, a.win)
	}
	c.st.sessionsChanged()
}

func (c *consoleScreen) startRoom() {
	a := c.st.a
	info, _ := c.st.info()
	ask(tr("console.start"), startQuestion(info, a.now(), a.proctor), tr("console.start"), func() {
		c.act(func(ctx context.Context, id string) error { return a.site.StartRoom(ctx, id, a.proctor) })
	}, a.win)
}

// endSession ends the room after saying what that does: the time left, who
// is still answering (their papers are forced), who never began.
func (c *consoleScreen) endSession() {
	a := c.st.a
	c.st.touch()
	sum, err := a.site.BeforeEnd(a.ctx, c.st.current)
	if err != nil {
		a.showError(err, a.win)
		return
	}
	q := tr("console.end_question", args{"Left": countdown(sum.Left), "Answering": sum.Answering, "Waiting": sum.Waiting, "Submitted": sum.Submitted})
	ask(tr("console.end"), q, tr("console.end"), func() {
		c.act(func(ctx context.Context, id string) error {
			_, err := a.site.End(ctx, id, a.proctor)
			return err
		})
	}, a.win)
}

// forceSubmit submits the chosen candidate's paper, for a reason.
func (c *consoleScreen) forceSubmit() {
	a := c.st.a
	s, _ := c.seat()
	c.askReason(tr("console.force"), tr("console.force_question", args{"Name": s.Name, "Ticket": s.Ticket}), tr("console.force"), forceReasons(), nil,
		func(reason string) {
			c.act(func(ctx context.Context, id string) error {
				_, err := a.site.ForceSubmit(ctx, id, s.Ticket, a.proctor, reason)
				return err
			})
		})
}

// pauseWithReason pauses one candidate (ticket) or the room (""), for a reason.
func (c *consoleScreen) pauseWithReason(ticket string) {
	a := c.st.a
	title := tr("console.pause_all")
	if ticket != "" {
		title = tr("console.pause")
	}
	c.askReason(title, c.about(ticket), title, pauseReasons(), nil, func(reason string) {
		c.act(func(ctx context.Context, id string) error { return a.site.Pause(ctx, id, ticket, a.proctor, reason) })
	})
}

// about names whom an action is for: the chosen candidate, or the room.
func (c *consoleScreen) about(ticket string) string {
	if s, ok := c.seat(); ok && ticket != "" {
		return tr("console.chosen", args{"Seat": s.Seat, "Name": s.Name, "Ticket": s.Ticket})
	}
	return tr("console.whole_room")
}

// The reasons offered for each action; the last is "other", which needs
// the note.
func pauseReasons() []string {
	return []string{tr("reason.device"), tr("reason.unwell"), tr("reason.disturbance"), tr("reason.other")}
}

func extraReasons() []string {
	return []string{tr("reason.device"), tr("reason.make_up_pause"), tr("reason.approved_need"), tr("reason.other")}
}

func forceReasons() []string {
	return []string{tr("reason.misconduct"), tr("reason.asked_to_leave"), tr("reason.device"), tr("reason.other")}
}

// askReason asks for the proctor's reason, required: one of choices (the
// last is "other") with a note, which "other" needs; fields go before it.
func (c *consoleScreen) askReason(title, about, ok string, choices []string, fields []*widget.FormItem, then func(reason string)) {
	a := c.st.a
	c.st.touch()
	kind := widget.NewSelect(choices, nil)
	kind.PlaceHolder = tr("reason.choose")
	note := widget.NewEntry()
	note.SetPlaceHolder(tr("reason.note_hint"))
	other := func() bool { return kind.SelectedIndex() < 0 || kind.SelectedIndex() == len(choices)-1 }
	note.Validator = func(s string) error {
		switch n := utf8.RuneCountInString(strings.TrimSpace(s)); {
		case n == 0 && other():
			return errors.New(tr("reason.required"))
		case n > site.MaxReasonChars-20:
			return errors.New(tr("reason.too_long", args{"Max": site.MaxReasonChars - 20}))
		}
		return nil
	}
	kind.OnChanged = func(string) { note.Validate() }
	items := append([]*widget.FormItem{widget.NewFormItem(tr("console.about"), wrapped(about))}, fields...)
	items = append(items, widget.NewFormItem(tr("reason.reason"), kind), widget.NewFormItem(tr("reason.note"), note))
	d := showForm(title, ok, items, func() {
		if err := note.Validate(); err != nil {
			inform(title, err.Error(), a.win)
			return
		}
		text := strings.TrimSpace(note.Text)
		reason := kind.Selected
		switch {
		case other():
			reason = text
		case text != "":
			reason = tr("reason.with_note", args{"Reason": reason, "Note": text})
		}
		then(reason)
	}, a.win)
	d.Resize(fyne.NewSize(520, 0))
	// The note's error from the start: Fyne's form dialog otherwise enables
	// its button once another field validates.
	note.Validate()
	a.win.Canvas().Focus(note)
}

// extraTime grants minutes to one candidate (ticket) or the room (""), for
// a reason.
func (c *consoleScreen) extraTime(ticket string) {
	a := c.st.a
	mins := widget.NewEntry()
	mins.SetText("10")
	mins.Validator = func(s string) error {
		if n, err := strconv.Atoi(strings.TrimSpace(s)); err != nil || n < 1 || n > site.MaxExtraMinutes {
			return errors.New(tr("console.extra_range", args{"Max": site.MaxExtraMinutes}))
		}
		return nil
	}
	title := tr("console.extra_all")
	if ticket != "" {
		title = tr("console.extra")
	}
	c.askReason(title, c.about(ticket), tr("dialog.ok"), extraReasons(), []*widget.FormItem{widget.NewFormItem(tr("console.minutes"), mins)}, func(reason string) {
		n, _ := strconv.Atoi(strings.TrimSpace(mins.Text))
		c.act(func(ctx context.Context, id string) error {
			return a.site.ExtraTime(ctx, id, ticket, n, a.proctor, reason)
		})
	})
	a.win.Canvas().Focus(mins)
}

// Incident types offered, as the site records them.
var incidentTypes = []string{"identity", "misconduct", "device", "other"}

func incidentName(typ string) string {
	switch typ {
	case "identity":
		return tr("incident.identity")
	case "misconduct":
		return tr("incident.misconduct")
	case "device":
		return tr("incident.device")
	}
	return tr("incident.other")
}

// recordIncident notes an incident of one candidate (ticket) or the room ("").
func (c *consoleScreen) recordIncident(ticket string) {
	a := c.st.a
	kind := widget.NewSelect(nil, nil)
	for _, t := range incidentTypes {
		kind.Options = append(kind.Options, incidentName(t))
	}
	kind.SetSelectedIndex(0)
	note := widget.NewMultiLineEntry()
	note.SetMinRowsVisible(4)
	note.Wrapping = fyne.TextWrapWord
	note.Validator = func(s string) error {
		if strings.TrimSpace(s) == "" {
			return errors.New(tr("console.note_empty"))
		}
		return nil
	}
	d := showForm(tr("console.incident"), tr("dialog.ok"), []*widget.FormItem{
		widget.NewFormItem(tr("console.about"), widget.NewLabel(c.about(ticket))),
		widget.NewFormItem(tr("console.incident_type"), kind),
		widget.NewFormItem(tr("console.note"), note),
	}, func() {
		typ := incidentTypes[kind.SelectedIndex()]
		c.act(func(ctx context.Context, id string) error { return a.site.Incident(ctx, id, ticket, typ, note.Text) })
	}, a.win)
	d.Resize(fyne.NewSize(520, 360))
	a.win.Canvas().Focus(note)
}

// scorePractical takes an examiner's marks for the chosen candidate's
// practical items, one per rubric criterion.
func (c *consoleScreen) scorePractical() {
	a := c.st.a
	s, _ := c.seat()
	items, err := a.site.PracticalItems(a.ctx, c.st.current)
	if err == nil && len(items) == 0 {
		err = errors.New(tr("console.no_practical"))
	}
	var given map[string][]float64
	if err == nil {
		given, err = a.site.Marks(a.ctx, c.st.current, s.Ticket)
	}
	if err != nil {
		a.showError(err, a.win)
		return
	}
	var fields []*widget.FormItem
	if files := c.handedFiles(s.Ticket); files != nil {
		fields = append(fields, widget.NewFormItem(tr("console.handed_title"), files))
	}
	entries := map[string][]*widget.Entry{}
	for _, it := range items {
		fields = append(fields, widget.NewFormItem(tr("console.item", args{"N": it.Number}), wrapped(it.Stem)))
		for j, cr := range it.Rubric {
			e := widget.NewEntry()
			if g := given[it.ID]; j < len(g) {
				e.SetText(strconv.FormatFloat(g[j], 'f', -1, 64))
			}
			max := cr.Points
			e.Validator = func(v string) error {
				if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err != nil || f < 0 || f > max {
					return errors.New(tr("console.mark_range", args{"Max": max}))
				}
				return nil
			}
			entries[it.ID] = append(entries[it.ID], e)
			fields = append(fields, widget.NewFormItem(tr("console.criterion", args{"Criterion": cr.Criterion, "Max": max}), e))
		}
	}
	d := showForm(tr("console.score_title", args{"Name": s.Name, "Ticket": s.Ticket}), tr("dialog.ok"), fields, func() {
		c.act(func(ctx context.Context, id string) error {
			for _, it := range items {
				marks := make([]float64, len(entries[it.ID]))
				for j, e := range entries[it.ID] {
					marks[j], _ = strconv.ParseFloat(strings.TrimSpace(e.Text), 64)
				}
				if err := a.site.ScorePractical(ctx, id, s.Ticket, it.ID, marks, a.proctor); err != nil {
					return err
				}
			}
			return nil
		})
	}, a.win)
	d.Resize(fyne.NewSize(640, 480))
}

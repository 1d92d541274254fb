package ui

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"onex/client/site"
	wire "onex/sync"
)

// syncBound bounds a sync staff start with "sync now" (tests shorten it).
var syncBound = site.DefaultSyncBound

// todayScreen is the sessions of this site with their state and figures,
// and the sync panel: central online or not, records pending, the last
// receipt, progress, sync now and export to a file.
//
// Download, sync and export each disable only their own button while they
// work: export to a file stays at hand while a sync waits on central.
type todayScreen struct {
	st  *station
	obj fyne.CanvasObject

	list                            *widget.List
	online, pending, receipt, note  *widget.Label
	syncNote                        *widget.Label // the sync's progress, then its outcome
	bar, syncBar                    *widget.ProgressBar
	spinner                         *widget.ProgressBarInfinite
	downloadBtn, syncBtn, exportBtn *widget.Button
	probing, again                  bool // a status is being read; read it again after
	panel                           *fyne.Container
	side                            *container.Scroll
}

func newToday(st *station) *todayScreen {
	t := &todayScreen{st: st}
	t.list = widget.NewList(
		func() int { return len(st.sessions) },
		func() fyne.CanvasObject {
			return container.NewVBox(widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), widget.NewLabel(""), widget.NewLabel(""))
		},
		func(i widget.ListItemID, o fyne.CanvasObject) {
			s, rows := st.sessions[i], o.(*fyne.Container).Objects
			rows[0].(*widget.Label).SetText(sessionLabel(s))
			rows[1].(*widget.Label).SetText(tr("today.state", args{"State": sessionState(s), "Duration": s.Duration, "Late": s.LateLimit}))
			rows[2].(*widget.Label).SetText(tr("today.counts", args{"Roster": s.Candidates, "Present": s.Present, "Late": s.Late, "Absent": s.Absent, "Submitted": s.Submitted}))
		})
	t.list.OnSelected = func(i widget.ListItemID) {
		if id := st.sessions[i].ID; id != st.current {
			st.current = id
			st.rebuild()
		}
	}
	t.online, t.pending, t.receipt = wrapped(tr("today.checking")), widget.NewLabel(""), widget.NewLabel("")
	t.note, t.syncNote = wrapped(""), wrapped("")
	t.bar, t.syncBar = widget.NewProgressBar(), widget.NewProgressBar()
	t.bar.Hide()
	t.syncBar.Hide()
	t.spinner = widget.NewProgressBarInfinite()
	t.spinner.Stop()
	t.spinner.Hide()
	t.downloadBtn = widget.NewButtonWithIcon(tr("today.download"), theme.DownloadIcon(), t.download)
	t.syncBtn = widget.NewButtonWithIcon(tr("today.sync"), theme.ViewRefreshIcon(), t.sync)
	t.exportBtn = widget.NewButtonWithIcon(tr("today.export"), theme.DocumentSaveIcon(), t.exportFile)

	device := ""
	if id := st.identity; id != nil {
		device = tr("today.device", args{"Device": id.DeviceName, "Server": id.Server, "Key": id.CentralKey}) + "\n" + linkText(id.Link)
	}
	t.panel = container.NewVBox(
		heading(tr("today.sync_title")),
		t.online, t.pending, t.receipt,
		t.bar, t.syncBar, t.spinner,
		container.NewGridWithColumns(1, t.downloadBtn, t.syncBtn, t.exportBtn),
		t.syncNote, t.note,
		widget.NewSeparator(),
		wrapped(device),
	)
	sessions := container.NewBorder(heading(tr("today.sessions")), nil, nil, nil, t.list)
	if len(st.sessions) == 0 {
		sessions = container.NewBorder(heading(tr("today.sessions")), nil, nil, nil, scrolled(wrapped(tr("today.no_sessions"))))
	}
	t.side = container.NewVScroll(t.panel)
	split := container.NewHSplit(sessions, t.side)
	split.Offset = 0.6
	t.obj = split
	return t
}

// sessionState says where a session is: downloaded (sealed), unlocking
// locked, released, running, paused, ended, or unusable.
func sessionState(s site.SessionInfo) string {
	switch {
	case s.Error != "":
		return tr("state.problem", args{"Problem": s.Error})
	case !s.Ended.IsZero():
		return tr("state.ended")
	case s.Paused:
		return tr("state.paused")
	case !s.Started.IsZero():
		return tr("state.running")
	case s.Released:
		return tr("state.released")
	case !s.Locked.IsZero():
		return tr("state.locked", args{"Until": clock(s.Locked)})
	}
	return tr("state.downloaded")
}

// refresh shows the sessions again and the outbox as the store has it.
func (t *todayScreen) refresh() {
	for i, s := range t.st.sessions {
		if s.ID == t.st.current {
			t.list.Select(i)
		}
	}
	t.list.Refresh()
	t.probe()
}

// probe asks for the site's status, with central's answer, off the UI.
// Asked while a status is being read (the clock's, say, begun before a
// sync ended), it reads it again once that one is shown: the panel never
// ends on figures older than the last sync, export or download.
func (t *todayScreen) probe() {
	if t.probing {
		t.again = true
		return
	}
	t.probing = true
	var st *site.Status
	t.st.a.run(func(ctx context.Context) (err error) {
		st, err = t.st.a.site.Status(ctx, true)
		return err
	}, func(err error) {
		t.probing = false
		if err != nil {
			t.say(t.note, message(err))
		} else {
			t.show(st)
		}
		if t.again {
			t.again = false
			t.probe()
		}
	})
}

// show shows a status: central's link, the outbox, and the sessions'
// figures as the status read them.
func (t *todayScreen) show(st *site.Status) {
	t.showSessions(st.Sessions)
	if st.ServerReachable {
		t.say(t.online, tr("today.online"))
		t.online.Importance = widget.SuccessImportance
	} else {
		t.say(t.online, tr("today.offline"))
		t.online.Importance = widget.DangerImportance
	}
	t.online.Refresh()
	pending := tr("today.pending", args{"N": st.Outbox.Pending})
	if n := st.Outbox.Refused(); n > 0 {
		pending += "\n" + tr("today.refused", args{"N": n})
	}
	t.say(t.pending, pending)
	if st.LastReceipt != nil {
		t.say(t.receipt, tr("today.last_receipt", args{"At": stamp(st.LastReceipt.Acked)}))
	} else {
		t.say(t.receipt, tr("today.no_receipt"))
	}
}

// showSessions shows the sessions' figures as the site has them now. The
// card listed the figures the station read at the last download or change
// of room, so submissions made since (a candidate's, a time-up, the
// proctor's) did not show after a sync: issue 12. The same sessions take
// the new figures; others (a session added or gone) rebuild the station.
func (t *todayScreen) showSessions(ss []site.SessionInfo) {
	st := t.st
	if len(ss) != len(st.sessions) {
		st.sessionsChanged()
		return
	}
	for i := range ss {
		if ss[i].ID != st.sessions[i].ID {
			st.sessionsChanged()
			return
		}
	}
	st.sessions = ss
	t.list.Refresh()
}

// say shows text in l, a label of the sync panel.
func (t *todayScreen) say(l *widget.Label, text string) {
	l.SetText(text)
	t.relayout()
}

// relayout lays the sync panel out again after a label's text or a bar's
// visibility changed: its box keeps the heights it had otherwise, so a
// message that grew a line was cut and a bar shown stayed out of sight.
func (t *todayScreen) relayout() {
	if t.side == nil {
		return
	}
	t.side.Refresh()
	t.panel.Refresh()
}

// busy shows work whose progress is not known with the spinner, and
// disables b, the button that started it, meanwhile.
func (t *todayScreen) busy(b *widget.Button, on bool) {
	setEnabled(!on, b)
	t.spinner.Hidden = !on
	if on {
		t.spinner.Start()
	} else {
		t.spinner.Stop()
	}
	t.spinner.Refresh()
	t.relayout()
}

// download fetches the packages central has for the site.
func (t *todayScreen) download() {
	a := t.st.a
	t.downloadBtn.Disable()
	t.bar.SetValue(0)
	t.bar.Show()
	t.relayout()
	t.say(t.note, tr("today.downloading"))
	var res *site.DownloadResult
	a.run(func(ctx context.Context) (err error) {
		res, err = a.site.Download(ctx, func(p site.Progress) {
			fyne.Do(func() { t.bar.SetValue(float64(p.Done) / float64(max(p.Total, 1))) })
		})
		return err
	}, func(err error) {
		t.downloadBtn.Enable()
		t.bar.Hide()
		t.relayout()
		if err != nil {
			t.say(t.note, message(err))
			return
		}
		t.say(t.note, tr("today.downloaded", args{"N": len(res.Updated), "Kept": len(res.Kept)})+"\n"+certListsNote(res.Certificates))
		t.st.sessionsChanged()
	})
}

// sync pushes the outbox now, within syncBound, showing the records
// delivered of those pending; when it stops early it says why.
func (t *todayScreen) sync() {
	a := t.st.a
	t.syncBtn.Disable()
	t.syncBar.SetValue(0)
	t.syncBar.Show()
	t.relayout()
	t.say(t.syncNote, tr("today.syncing"))
	start := time.Now()
	var stats wire.PushStats
	a.run(func(ctx context.Context) (err error) {
		stats, err = a.site.SyncWithin(ctx, syncBound, func(p site.SyncProgress) {
			fyne.Do(func() { t.syncProgress(p) })
		})
		return err
	}, func(err error) {
		t.syncBtn.Enable()
		t.syncBar.Hide()
		t.relayout()
		if err != nil {
			t.say(t.syncNote, syncMessage(err))
		} else {
			t.say(t.syncNote, tr("today.synced", args{"N": stats.Delivered(), "Refused": stats.Conflict + stats.Rejected, "Seconds": time.Since(start).Round(100 * time.Millisecond).Seconds()}))
		}
		t.probe()
	})
}

// syncProgress shows how far a sync is.
func (t *todayScreen) syncProgress(p site.SyncProgress) {
	done := p.Delivered + p.Refused
	t.syncBar.SetValue(float64(done) / float64(max(p.Pending, 1)))
	text := tr("today.sync_progress", args{"Done": done, "Pending": p.Pending})
	if p.Sending > 0 {
		text += "\n" + tr("today.sync_sending", args{"N": p.Sending})
	}
	t.say(t.syncNote, text)
}

// syncMessage says why a sync stopped, and how far it got.
func syncMessage(err error) string {
	var why string
	switch {
	case errors.Is(err, wire.ErrTimeout):
		why = tr("today.sync_timeout", args{"Seconds": syncBound.Total.Seconds()})
	case errors.Is(err, wire.ErrConnRefused):
		why = tr("today.sync_refused")
	case errors.Is(err, wire.ErrNoNetwork):
		why = tr("today.sync_no_network")
	default:
		why = message(err)
	}
	var se *site.SyncError
	if errors.As(err, &se) && se.Progress.Delivered+se.Progress.Refused > 0 {
		why += "\n" + tr("today.sync_partial", args{"Done": se.Progress.Delivered + se.Progress.Refused, "Pending": se.Progress.Pending})
	}
	return why
}

// exportFile writes the pending records to a file the person chooses; with
// none pending it says so and asks for no file.
func (t *todayScreen) exportFile() {
	a := t.st.a
	t.busy(t.exportBtn, true)
	var n int
	a.run(func(ctx context.Context) (err error) {
		n, err = a.site.PendingRecords(ctx)
		return err
	}, func(err error) {
		t.busy(t.exportBtn, false)
		switch {
		case err != nil:
			a.showError(err, a.win)
		case n == 0:
			t.say(t.note, tr("today.nothing_to_export"))
		default:
			t.chooseFile()
		}
	})
}

// chooseFile asks where to write the export file: a USB stick found on
// the machine, the home folder, or a folder typed, and the file's name.
// (Fyne's file dialog names its places Home and Computer in English
// whatever the language.)
func (t *todayScreen) chooseFile() {
	a := t.st.a
	places := site.ExportPlaces()
	var labels []string
	for _, p := range places {
		if p.Removable {
			labels = append(labels, tr("export.drive", args{"Name": p.Name}))
		} else {
			labels = append(labels, tr("export.home"))
		}
	}
	folder := widget.NewEntry()
	folder.Validator = func(s string) error {
		if fi, err := os.Stat(s); err != nil || !fi.IsDir() {
			return errors.New(tr("export.no_folder"))
		}
		return nil
	}
	where := widget.NewSelect(labels, func(string) {})
	where.OnChanged = func(string) { folder.SetText(places[where.SelectedIndex()].Path) }
	if len(places) > 0 {
		where.SetSelectedIndex(0) // a USB stick first, when there is one
	}
	code := "site"
	if t.st.identity != nil {
		code = t.st.identity.SiteCode
	}
	name := widget.NewEntry()
	name.SetText(fmt.Sprintf("onex-export-%s-%s.json", code, a.now().In(site.Beijing).Format("20060102-1504")))
	showForm(tr("export.title"), tr("export.ok"), []*widget.FormItem{
		widget.NewFormItem(tr("export.where"), where),
		widget.NewFormItem(tr("export.folder"), folder),
		widget.NewFormItem(tr("export.name"), name),
	}, func() {
		w, err := storage.Writer(storage.NewFileURI(filepath.Join(folder.Text, filepath.Base(name.Text))))
		if err != nil {
			a.showError(err, a.win)
			return
		}
		t.exportTo(w)
	}, a.win)
}

// exportTo writes the pending records to the file chosen. Should none be
// pending any more (a sync delivered them meanwhile), the empty file the
// dialog made is removed.
func (t *todayScreen) exportTo(w fyne.URIWriteCloser) {
	a := t.st.a
	var n int
	t.busy(t.exportBtn, true)
	a.run(func(ctx context.Context) error {
		var err error
		n, err = a.site.Export(ctx, w)
		if cerr := w.Close(); err == nil {
			err = cerr
		}
		if errors.Is(err, site.ErrNothingPending) {
			if derr := storage.Delete(w.URI()); derr != nil {
				return errors.Join(err, derr)
			}
		}
		return err
	}, func(err error) {
		t.busy(t.exportBtn, false)
		switch {
		case errors.Is(err, site.ErrNothingPending):
			t.say(t.note, tr("today.nothing_to_export"))
		case err != nil:
			a.showError(err, a.win)
		default:
			t.say(t.note, tr("today.exported", args{"N": n, "File": w.URI().Path()}))
		}
		t.probe()
	})
}

// linkText says how this machine reaches central: pinned, by the roots, or
// not encrypted.
func linkText(l site.Link) string {
	switch {
	case !l.Encrypted:
		return tr("today.link_plain")
	case len(l.Pinned) > 0:
		return tr("today.link_pinned", args{"Pin": strings.Join(l.Pinned, " / ")})
	}
	return tr("today.link_roots")
}

// certListsNote says what a download did with the certificate status list
// **[added: issue 16]**.
func certListsNote(r *site.CertificateTrustResult) string {
	switch {
	case r == nil || r.StatusAsOf.IsZero():
		return tr("today.cert_lists_none")
	case r.Problem != "":
		return tr("today.cert_lists_old", args{"AsOf": dateTime(r.StatusAsOf)})
	}
	return tr("today.cert_lists", args{"AsOf": dateTime(r.StatusAsOf)})
}

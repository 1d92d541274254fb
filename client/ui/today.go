package ui

import (
	"context"
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"onex/client/site"
)

// todayScreen is the sessions of this site with their state and figures,
// and the sync panel: central online or not, records pending, the last
// receipt, progress, sync now and export to a file.
type todayScreen struct {
	st  *station
	obj fyne.CanvasObject

	list                            *widget.List
	online, pending, receipt, note  *widget.Label
	bar                             *widget.ProgressBar
	spinner                         *widget.ProgressBarInfinite
	downloadBtn, syncBtn, exportBtn *widget.Button
	probing                         bool
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
	t.online, t.pending, t.receipt = widget.NewLabel(tr("today.checking")), widget.NewLabel(""), widget.NewLabel("")
	t.note = wrapped("")
	t.bar = widget.NewProgressBar()
	t.bar.Hide()
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
	panel := container.NewVBox(
		heading(tr("today.sync_title")),
		t.online, t.pending, t.receipt,
		t.bar, t.spinner,
		container.NewGridWithColumns(1, t.downloadBtn, t.syncBtn, t.exportBtn),
		t.note,
		widget.NewSeparator(),
		wrapped(device),
	)
	sessions := container.NewBorder(heading(tr("today.sessions")), nil, nil, nil, t.list)
	if len(st.sessions) == 0 {
		sessions = container.NewBorder(heading(tr("today.sessions")), nil, nil, nil, scrolled(wrapped(tr("today.no_sessions"))))
	}
	split := container.NewHSplit(sessions, container.NewVScroll(panel))
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
func (t *todayScreen) probe() {
	if t.probing {
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
			t.note.SetText(message(err))
			return
		}
		t.show(st)
	})
}

func (t *todayScreen) show(st *site.Status) {
	if st.ServerReachable {
		t.online.SetText(tr("today.online"))
		t.online.Importance = widget.SuccessImportance
	} else {
		t.online.SetText(tr("today.offline"))
		t.online.Importance = widget.DangerImportance
	}
	t.online.Refresh()
	pending := tr("today.pending", args{"N": st.Outbox.Pending})
	if n := st.Outbox.Refused(); n > 0 {
		pending += "\n" + tr("today.refused", args{"N": n})
	}
	t.pending.SetText(pending)
	if st.LastReceipt != nil {
		t.receipt.SetText(tr("today.last_receipt", args{"At": stamp(st.LastReceipt.Acked)}))
	} else {
		t.receipt.SetText(tr("today.no_receipt"))
	}
}

// busy shows work in progress: the bar when its progress is known, else
// the spinner; and disables the buttons meanwhile.
func (t *todayScreen) busy(on, known bool) {
	setEnabled(!on, t.downloadBtn, t.syncBtn, t.exportBtn)
	t.bar.Hidden, t.spinner.Hidden = !on || !known, !on || known
	if on && !known {
		t.spinner.Start()
	} else {
		t.spinner.Stop()
	}
	t.bar.SetValue(0)
	t.spinner.Refresh()
}

// download fetches the packages central has for the site.
func (t *todayScreen) download() {
	a := t.st.a
	t.busy(true, true)
	t.note.SetText(tr("today.downloading"))
	var res *site.DownloadResult
	a.run(func(ctx context.Context) (err error) {
		res, err = a.site.Download(ctx, func(p site.Progress) {
			fyne.Do(func() { t.bar.SetValue(float64(p.Done) / float64(max(p.Total, 1))) })
		})
		return err
	}, func(err error) {
		t.busy(false, true)
		if err != nil {
			t.note.SetText(message(err))
			return
		}
		t.note.SetText(tr("today.downloaded", args{"N": len(res.Updated), "Kept": len(res.Kept)}))
		t.st.sessionsChanged()
	})
}

// sync pushes the outbox now.
func (t *todayScreen) sync() {
	a := t.st.a
	t.busy(true, false)
	t.note.SetText(tr("today.syncing"))
	start := time.Now()
	a.run(func(ctx context.Context) error {
		stats, err := a.site.Sync(ctx)
		if err == nil {
			fyne.Do(func() {
				t.note.SetText(tr("today.synced", args{"N": stats.Delivered(), "Refused": stats.Conflict + stats.Rejected, "Seconds": time.Since(start).Round(100 * time.Millisecond).Seconds()}))
			})
		}
		return err
	}, func(err error) {
		t.busy(false, false)
		if err != nil {
			t.note.SetText(message(err))
		}
		t.probe()
	})
}

// exportFile writes the pending records to a file the person chooses.
func (t *todayScreen) exportFile() {
	a := t.st.a
	save := dialog.NewFileSave(func(w fyne.URIWriteCloser, err error) {
		switch {
		case err != nil:
			a.showError(err, a.win)
		case w != nil: // nil: cancelled
			t.exportTo(w)
		}
	}, a.win)
	code := "site"
	if t.st.identity != nil {
		code = t.st.identity.SiteCode
	}
	save.SetFileName(fmt.Sprintf("onex-export-%s-%s.json", code, time.Now().Format("20060102-1504")))
	save.Show()
}

// exportTo writes the pending records to the file chosen.
func (t *todayScreen) exportTo(w fyne.URIWriteCloser) {
	a := t.st.a
	var n int
	t.busy(true, false)
	a.run(func(ctx context.Context) error {
		var err error
		n, err = a.site.Export(ctx, w)
		if cerr := w.Close(); err == nil {
			err = cerr
		}
		return err
	}, func(err error) {
		t.busy(false, false)
		if err != nil {
			a.showError(err, a.win)
			return
		}
		t.note.SetText(tr("today.exported", args{"N": n, "File": w.URI().Path()}))
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

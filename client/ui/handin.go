package ui

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"path"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"onex/client/handin"
	"onex/exam"
)

// The practical hand-in on the candidate's screens (issue 15): the item
// shows its stem's task, the work folder's path with a button that opens
// it, "hand in now", and what was handed in last. The exam source
// collects the folder (client/handin) and sends it: a terminal to its
// station, the station into its own store.

// handInSource is what an examSource does for hand-in items.
type handInSource interface {
	// WorkFolder is the candidate's work folder on this computer, made if
	// it is not there.
	WorkFolder() (string, error)
	// HandIn collects the work folder for an item and hands it in; it
	// returns errOnlyHere when the files are on this computer only.
	HandIn(ctx context.Context, itemID string) ([]exam.HandedFile, error)
}

func (e terminalExam) WorkFolder() (string, error) { return e.t.WorkFolder() }

func (e terminalExam) HandIn(ctx context.Context, itemID string) ([]exam.HandedFile, error) {
	h, err := e.t.HandIn(ctx, itemID)
	return h.Files, onlyHere(h.Where, err)
}

func (e siteExam) WorkFolder() (string, error) { return e.folderOf(e.SessionID(), e.Ticket()) }

// folderOf is the work folder of a candidate who sits at the station.
func (siteExam) folderOf(sessionID, ticket string) (string, error) {
	base, err := handin.DefaultBase()
	if err != nil {
		return "", err
	}
	return handin.Make(base, sessionID, ticket)
}

func (e siteExam) HandIn(ctx context.Context, itemID string) ([]exam.HandedFile, error) {
	var limits exam.HandInLimits
	v, err := e.Exam.View(ctx)
	if err == nil {
		for _, it := range v.Items() {
			if it.ID == itemID {
				limits = it.HandInLimits()
			}
		}
	}
	var files []handin.File
	dir, werr := e.WorkFolder()
	if err = errors.Join(err, werr); err == nil {
		files, err = handin.Collect(dir, limits)
	}
	if err == nil && len(files) == 0 {
		err = handin.ErrEmpty
	}
	if err != nil {
		return nil, err
	}
	return handin.Files(files), e.Exam.HandIn(ctx, itemID, files)
}

// handInAll hands in the work folder for every hand-in item of the
// paper, before the station's candidate submits.
func (e siteExam) handInAll(ctx context.Context) error {
	v, err := e.Exam.View(ctx)
	if err != nil {
		return err
	}
	for _, it := range v.Items() {
		if it.Type == exam.HandIn {
			if _, err := e.HandIn(ctx, it.ID); err != nil && !errors.Is(err, handin.ErrEmpty) {
				return err
			}
		}
	}
	return nil
}

// handInItem is a hand-in item's control.
func (c *candidateWin) handInItem(it *exam.ViewItem) fyne.CanvasObject {
	src, ok := c.ex.(handInSource)
	if !ok {
		return widget.NewLabel(c.tr("handin.unavailable"))
	}
	limits := it.HandInLimits()
	rules := c.tr("handin.limits", args{"Files": limits.Files, "Size": handin.Size(limits.Bytes)})
	if len(limits.Extensions) > 0 {
		rules += " " + c.tr("handin.types", args{"Types": strings.Join(limits.Extensions, " ")})
	}
	dir, err := src.WorkFolder()
	folder := widget.NewLabel(dir)
	folder.Wrapping = fyne.TextWrapBreak
	folder.TextStyle.Monospace = true
	if err != nil {
		folder.SetText(c.message(err))
	}
	open := widget.NewButton(c.tr("handin.open"), func() {
		if u, err := url.Parse("file://" + filepath.ToSlash(dir)); err == nil {
			fyne.CurrentApp().OpenURL(u)
		}
	})
	open.Disable()
	if err == nil {
		open.Enable()
	}
	status := widget.NewLabel("")
	status.Wrapping = fyne.TextWrapWord
	list := widget.NewLabel(c.handedList(it.Answer.Files))
	list.Wrapping = fyne.TextWrapWord
	var now *widget.Button
	now = widget.NewButton(c.tr("handin.now"), func() {
		now.Disable()
		status.Importance = widget.MediumImportance
		status.SetText(c.tr("handin.collecting"))
		go func() {
			files, err := src.HandIn(c.a.ctx, it.ID)
			fyne.Do(func() {
				now.Enable()
				switch {
				case err == nil || errors.Is(err, errOnlyHere):
					it.Answer, it.Answered = exam.Answer{Files: files}, len(files) > 0
					list.SetText(c.handedList(files))
					status.Importance = widget.SuccessImportance
					status.SetText(c.tr("handin.done", args{"N": len(files)}))
					if err != nil {
						status.Importance = widget.WarningImportance
						status.SetText(c.tr("handin.only_here", args{"N": len(files)}))
					}
					c.showNav()
				default:
					status.Importance = widget.DangerImportance
					if msg := c.handInMessage(err); errors.As(err, new(*handin.FileError)) || errors.Is(err, handin.ErrEmpty) {
						status.SetText(msg)
					} else {
						status.SetText(c.tr("handin.failed", args{"Why": msg}))
					}
				}
			})
		}()
	})
	now.Importance = widget.HighImportance
	return container.NewVBox(
		wrapped(c.tr("handin.intro")+" "+rules),
		widget.NewLabel(c.tr("handin.folder")), folder,
		container.NewHBox(open, now),
		status, list,
	)
}

// handedList shows the files an answer lists.
func (c *candidateWin) handedList(files []exam.HandedFile) string {
	if len(files) == 0 {
		return c.tr("handin.nothing")
	}
	lines := []string{c.tr("handin.handed")}
	for _, f := range files {
		lines = append(lines, fmt.Sprintf("· %s (%s)", f.Name, handin.Size(f.Size)))
	}
	return strings.Join(lines, "\n")
}

// handInMessage says in the candidate's language why the folder was not
// handed in, naming the file; any other error as message says it.
func (c *candidateWin) handInMessage(err error) string {
	var fe *handin.FileError
	if errors.Is(err, handin.ErrEmpty) {
		return c.tr("handin.empty")
	}
	if !errors.As(err, &fe) {
		return c.message(err)
	}
	var why string
	switch fe.Kind {
	case handin.RefusedCount:
		why = c.tr("handin.refused_count", args{"N": fe.Limit})
	case handin.RefusedSize:
		why = c.tr("handin.refused_size", args{"Size": handin.Size(fe.Limit)})
	case handin.RefusedType:
		why = c.tr("handin.refused_type")
	case handin.RefusedLink:
		why = c.tr("handin.refused_link")
	case handin.RefusedSpecial:
		why = c.tr("handin.refused_special")
	default:
		why = c.tr("handin.refused_name")
	}
	return c.tr("handin.refused", args{"File": fe.Name, "Why": why})
}

// collectChoice asks the proctor whose work folders to collect: the
// chosen candidate's, while they answer, or the whole room's (one button
// in the seat column: another in the room's row would wrap it at large
// text, past 1366×768).
func (c *consoleScreen) collectChoice() {
	a := c.st.a
	s, ok := c.seat()
	if !ok || !s.Begun || s.Submitted {
		c.collectFiles("")
		return
	}
	var d dialog.Dialog
	one := widget.NewButton(s.Name, func() { d.Hide(); c.collectFiles(s.Ticket) })
	all := widget.NewButton(tr("console.collect_room"), func() { d.Hide(); c.collectFiles("") })
	d = dialog.NewCustom(tr("console.collect"), tr("dialog.cancel"), container.NewVBox(one, all), a.win)
	d.Show()
}

// collectFiles asks the terminals of one candidate (ticket) or of the whole
// room ("") to hand in their work folders now.
func (c *consoleScreen) collectFiles(ticket string) {
	a := c.st.a
	who := tr("console.collect_room")
	if s, ok := c.seat(); ok && ticket != "" {
		who = s.Name
	}
	c.act(func(ctx context.Context, id string) error { return a.site.CollectNow(ctx, id, ticket) })
	inform(tr("console.collect"), tr("console.collect_done", args{"Who": who}), a.win)
}

// handedFiles lists what a candidate handed in, for the examiner who
// scores their practical items: text shown, any file saved out; nil when
// the paper has no hand-in item.
func (c *consoleScreen) handedFiles(ticket string) fyne.CanvasObject {
	a := c.st.a
	items, err := a.site.HandedIn(a.ctx, c.st.current, ticket)
	if err != nil || len(items) == 0 {
		return nil
	}
	box := container.NewVBox()
	for _, it := range items {
		if len(it.Files) == 0 {
			box.Add(widget.NewLabel(it.Item.ID + ": " + tr("console.handed_none")))
			continue
		}
		for _, f := range it.Files {
			row := container.NewHBox(widget.NewLabel(fmt.Sprintf("%s · %s (%s)", it.Item.ID, f.Name, handin.Size(f.Size))))
			switch {
			case f.Content == nil:
				row.Add(widget.NewLabel(tr("console.handed_incomplete")))
			default:
				content, name := f.Content, f.Name
				if handedText(content) {
					row.Add(widget.NewButton(tr("console.handed_view"), func() { c.showText(name, content) }))
				}
				row.Add(widget.NewButton(tr("console.handed_save"), func() { c.saveOut(name, content) }))
			}
			box.Add(row)
		}
	}
	return box
}

// handedText reports whether a handed-in file is shown as text: UTF-8
// without NUL, at most 256 KiB.
func handedText(b []byte) bool {
	return len(b) <= 256<<10 && utf8.Valid(b) && !bytes.ContainsRune(b, 0)
}

// showText shows a handed-in text file, read-only.
func (c *consoleScreen) showText(name string, content []byte) {
	a := c.st.a
	e := widget.NewMultiLineEntry()
	e.SetText(string(content))
	e.TextStyle.Monospace = true
	e.Wrapping = fyne.TextWrapOff
	e.Disable() // read-only: nothing an examiner types changes a candidate's file
	d := dialog.NewCustom(name, tr("dialog.ok"), container.NewScroll(e), a.win)
	d.Resize(fyne.NewSize(800, 560))
	d.Show()
}

// saveOut asks where to save a handed-in file and writes it there.
func (c *consoleScreen) saveOut(name string, content []byte) {
	a := c.st.a
	d := dialog.NewFileSave(func(w fyne.URIWriteCloser, err error) {
		if err == nil && w != nil {
			_, err = w.Write(content)
			if cerr := w.Close(); err == nil {
				err = cerr
			}
		}
		if err != nil {
			a.showError(err, a.win)
		}
	}, a.win)
	d.SetFileName(path.Base(name))
	d.Resize(fyne.NewSize(900, 600))
	d.Show()
}

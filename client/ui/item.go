package ui

import (
	"context"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"onex/exam"
)

// control is the answer control of an item's type: radio buttons for a
// single choice and true/false, check boxes for multiple choice, an entry
// for a fill-in, a multi-line entry with a character count for an essay,
// and the rubric of a practical task (the examiner scores it).
func (c *candidateWin) control(it *exam.ViewItem) fyne.CanvasObject {
	switch it.Type {
	case exam.Single, exam.TrueFalse:
		labels, ids := c.optionLabels(it)
		r := widget.NewRadioGroup(labels, nil)
		if len(it.Answer.Choices) == 1 {
			r.SetSelected(labels[slices.Index(ids, it.Answer.Choices[0])])
		}
		r.OnChanged = func(s string) {
			var ans exam.Answer
			if i := slices.Index(labels, s); i >= 0 {
				ans.Choices = []string{ids[i]}
			}
			c.answer(it, ans)
		}
		return r
	case exam.Multiple:
		labels, ids := c.optionLabels(it)
		g := widget.NewCheckGroup(labels, nil)
		for _, id := range it.Answer.Choices {
			if i := slices.Index(ids, id); i >= 0 {
				g.Selected = append(g.Selected, labels[i])
			}
		}
		g.OnChanged = func(sel []string) {
			var ans exam.Answer
			for i, l := range labels { // in the order shown
				if slices.Contains(sel, l) {
					ans.Choices = append(ans.Choices, ids[i])
				}
			}
			c.answer(it, ans)
		}
		return g
	case exam.Fill:
		e := newExamEntry(c, false)
		e.SetPlaceHolder(c.tr("exam.fill_hint"))
		e.setText(it.Answer.Text)
		e.OnChanged = func(s string) { c.answer(it, exam.Answer{Text: s}) }
		return e
	case exam.Essay:
		return c.essay(it)
	case exam.HandIn:
		return c.handInItem(it)
	}
	rubric := []string{c.tr("exam.practical")}
	for _, cr := range it.Rubric {
		rubric = append(rubric, c.tr("exam.criterion", args{"Criterion": cr.Criterion, "Points": cr.Points}))
	}
	return wrapped(strings.Join(rubric, "\n"))
}

// optionLabels are an item's options as shown (A. …, B. …, or true and
// false) and the ids they stand for.
func (c *candidateWin) optionLabels(it *exam.ViewItem) (labels, ids []string) {
	if it.Type == exam.TrueFalse {
		return []string{c.tr("exam.true"), c.tr("exam.false")}, []string{"true", "false"}
	}
	for i, o := range it.Options {
		labels = append(labels, c.tr("exam.option", args{"Letter": string(rune('A' + i)), "Text": o.Text}))
		ids = append(ids, o.ID)
	}
	return labels, ids
}

// essay is a multi-line entry counting characters against the item's
// limit; text past the limit is cut off, and the candidate told.
func (c *candidateWin) essay(it *exam.ViewItem) fyne.CanvasObject {
	e := newExamEntry(c, true)
	e.SetMinRowsVisible(12)
	e.setText(it.Answer.Text)
	count := widget.NewLabel("")
	show := func(n int) {
		switch {
		case it.MaxChars == 0:
			count.SetText(c.tr("exam.chars", args{"N": n}))
		case n >= it.MaxChars:
			count.Importance = widget.WarningImportance
			count.SetText(c.tr("exam.chars_full", args{"N": n, "Max": it.MaxChars}))
		default:
			count.Importance = widget.MediumImportance
			count.SetText(c.tr("exam.chars_of", args{"N": n, "Max": it.MaxChars}))
		}
	}
	show(utf8.RuneCountInString(it.Answer.Text))
	e.OnChanged = func(s string) {
		if rs := []rune(s); it.MaxChars > 0 && len(rs) > it.MaxChars {
			s = string(rs[:it.MaxChars])
			e.SetText(s)
		}
		show(utf8.RuneCountInString(s))
		c.answer(it, exam.Answer{Text: s})
	}
	return container.NewBorder(nil, count, nil, nil, e)
}

// examEntry is an entry that lets the exam's shortcuts through: an entry
// with the focus takes every shortcut, and would swallow Alt+N, Alt+P and
// Alt+F.
type examEntry struct {
	widget.Entry
	c *candidateWin
}

func newExamEntry(c *candidateWin, multiLine bool) *examEntry {
	e := &examEntry{c: c}
	e.MultiLine = multiLine
	if multiLine {
		e.Wrapping = fyne.TextWrapWord
	}
	e.ExtendBaseWidget(e)
	return e
}

// setText sets the answer saved so far with the cursor after it, where the
// candidate goes on typing.
func (e *examEntry) setText(s string) {
	e.SetText(s)
	lines := strings.Split(s, "\n")
	e.CursorRow, e.CursorColumn = len(lines)-1, utf8.RuneCountInString(lines[len(lines)-1])
	e.Refresh()
}

func (e *examEntry) TypedShortcut(s fyne.Shortcut) {
	if !e.c.shortcut(s) {
		e.Entry.TypedShortcut(s)
	}
}

// saver saves a candidate's changes one after another, in the order made,
// off the UI goroutine, and reports each outcome on it. A change waiting
// behind another replaces the one before it of the same item and kind, so a
// burst of typing makes few commits.
type saver struct {
	report  func(err error, pending int)
	pending sync.WaitGroup

	mu      sync.Mutex
	queue   []saveJob
	running bool
}

type saveJob struct {
	key string
	do  func(context.Context) error
}

func newSaver(report func(err error, pending int)) *saver { return &saver{report: report} }

// add queues a change; key names its item and kind. Called on the UI goroutine.
func (s *saver) add(key string, do func(context.Context) error) {
	s.mu.Lock()
	if n := len(s.queue); n > 0 && s.queue[n-1].key == key {
		s.queue[n-1].do = do
		s.mu.Unlock()
		return
	}
	s.queue = append(s.queue, saveJob{key, do})
	s.pending.Add(1)
	start := !s.running
	s.running = true
	s.mu.Unlock()
	s.report(nil, 1)
	if start {
		go s.drain()
	}
}

func (s *saver) drain() {
	for {
		s.mu.Lock()
		if len(s.queue) == 0 {
			s.running = false
			s.mu.Unlock()
			return
		}
		j := s.queue[0]
		s.queue = s.queue[1:]
		s.mu.Unlock()
		// An acknowledged change must reach the store even as the app closes.
		err := j.do(context.Background())
		s.mu.Lock()
		left := len(s.queue)
		s.mu.Unlock()
		fyne.Do(func() { s.report(err, left) })
		s.pending.Done()
	}
}

// wait returns when every change queued so far is saved (or failed).
func (s *saver) wait() { s.pending.Wait() }

// focusable is the entry of an answer control, which takes the focus when
// its item is shown.
func focusable(ctl fyne.CanvasObject) (fyne.Focusable, bool) {
	switch x := ctl.(type) {
	case *examEntry:
		return x, true
	case *fyne.Container: // the essay: the entry and its count
		for _, o := range x.Objects {
			if e, ok := o.(*examEntry); ok {
				return e, true
			}
		}
	}
	return nil, false
}

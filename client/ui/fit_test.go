package ui

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
)

// The smallest screen a site's machines have, and what is left of its
// height for a window's content once the desktop's panel, the window's
// title bar and the station's menu have theirs.
var (
	screen    = fyne.NewSize(1366, 768)
	contentAt = fyne.NewSize(1366, 640)
)

// TestLayoutsFit1366x768 builds every screen of the station and of the
// candidate's window, in both languages and at every text size, and checks
// that each asks no more than a 1366×768 screen has and that, in a window
// of that size, the buttons that matter are wholly inside the window: the
// station's on-duty button, the console's start and end, the candidate's
// submit and proctor buttons. Larger text used to grow the windows past the
// screen (the console 1529 wide at the largest text, the candidate's bar
// 1418), taking 交卷 and 监考员 off it.
func TestLayoutsFit1366x768(t *testing.T) {
	r, cw := examRig(t)
	a := r.a
	r.startRoom()
	a.tick()
	if cw.screen != "exam" {
		t.Fatalf("the candidate is on %s, not the exam", cw.screen)
	}
	unlockStation(t, a, "2468") // the station locks while a candidate window is open
	a.win.Resize(contentAt)
	cw.w.Resize(contentAt)
	for _, l := range Languages {
		a.setLanguage(l)
		cw.setLanguage(l) // the candidate's window has a language of its own
		for i, scale := range TextScales {
			a.fa.Preferences().SetInt(prefScale, i)
			a.applyTheme()
			cw.scale = i // and a text size of its own
			cw.rebuild()
			st := a.station
			for tab, name := range tabScreens {
				st.tabs.SelectIndex(tab)
				fits(t, a.win, l, scale, name)
			}
			st.tabs.SelectIndex(tabProctor)
			within(t, a.win, l, scale, a.proctor, tr("console.start"), tr("console.end"))
			fits(t, cw.w, l, scale, "exam")
			within(t, cw.w, l, scale, cw.tr("exam.submit"), cw.tr("exam.proctor"), cw.tr("settings.larger"))
		}
	}
}

// fits checks that a window's content asks for no more than the screen.
func fits(t *testing.T, w fyne.Window, l Language, scale float32, screenName string) {
	t.Helper()
	if m := w.Content().MinSize(); m.Width > contentAt.Width || m.Height > contentAt.Height {
		t.Errorf("%s at text ×%.2f: %s asks for %.0f×%.0f, more than %.0f×%.0f", l, scale, screenName, m.Width, m.Height, contentAt.Width, contentAt.Height)
	}
}

// within checks that the buttons labelled texts are wholly inside the
// window, which is of the screen's size.
func within(t *testing.T, w fyne.Window, l Language, scale float32, texts ...string) {
	t.Helper()
	c := w.Canvas()
	size := c.Size()
	if size.Width > screen.Width || size.Height > screen.Height {
		t.Errorf("%s at text ×%.2f: the window grew to %.0f×%.0f", l, scale, size.Width, size.Height)
	}
	for _, text := range texts {
		var b *widget.Button
		for _, o := range objects(c) {
			if x, ok := o.(*widget.Button); ok && x.Text == text {
				b = x
			}
		}
		if b == nil {
			t.Errorf("%s at text ×%.2f: no button %q", l, scale, text)
			continue
		}
		p, ok := positionIn(c.Content(), b, c.Content().Position())
		end := p.Add(b.Size())
		if !ok || p.X < 0 || p.Y < 0 || end.X > size.Width+0.5 || end.Y > size.Height+0.5 {
			t.Errorf("%s at text ×%.2f: button %q at %v–%v, outside the window's %v", l, scale, text, p, end, size)
		}
	}
}

// positionIn is where target is in the window, looking under o, which is
// at p; ok is false when target is not under o.
func positionIn(o, target fyne.CanvasObject, p fyne.Position) (fyne.Position, bool) {
	if o == nil || !o.Visible() {
		return p, false
	}
	if o == target {
		return p, true
	}
	var kids []fyne.CanvasObject
	switch x := o.(type) {
	case *fyne.Container:
		kids = x.Objects
	case fyne.Widget:
		kids = test.WidgetRenderer(x).Objects()
	}
	for _, k := range kids {
		if q, ok := positionIn(k, target, p.Add(k.Position())); ok {
			return q, true
		}
	}
	return p, false
}

// TestWindowsShrinkBackWithTheText makes the text larger three times, which
// grows windows smaller than what the larger text needs, then smaller three
// times: each window is back at the size it had. They used to stay grown.
func TestWindowsShrinkBackWithTheText(t *testing.T) {
	r, cw := examRig(t)
	a := r.a
	r.startRoom()
	a.tick()
	a.station.tabs.SelectIndex(tabProctor)
	chosen := map[fyne.Window]fyne.Size{a.win: fyne.NewSize(800, 500), cw.w: fyne.NewSize(800, 420)}
	for w, size := range chosen {
		w.Resize(size)
	}
	for range 3 { // the station's text, and the candidate's, which is the candidate's own
		if !a.textSize(+1) || !cw.textSize(+1) {
			t.Fatal("the text did not grow")
		}
	}
	for w, size := range chosen {
		if got := w.Canvas().Size(); got.Width <= size.Width {
			t.Fatalf("the larger text (min %v) did not widen window %q of %v: %v", w.Content().MinSize(), w.Title(), size, got)
		}
		fits(t, w, a.language(), TextScales[len(TextScales)-1], w.Title())
	}
	for range 3 {
		a.textSize(-1)
		cw.textSize(-1)
	}
	for w, size := range chosen {
		if got := w.Canvas().Size(); got != size {
			t.Errorf("window %q is %v after the text went back, not %v", w.Title(), got, size)
		}
	}

	// The app starts with the largest text remembered: the driver grows the
	// windows it made at their sizes to fit; smaller text takes them back.
	a.fa.Preferences().SetInt(prefScale, len(TextScales)-1)
	a.applyTheme()
	for w, size := range chosen {
		a.sized(w, size)
		least := leastSize(w) // the GL driver grows what is short of it
		w.Resize(fyne.NewSize(max(size.Width, least.Width), max(size.Height, least.Height)))
	}
	for range 3 {
		a.textSize(-1)
	}
	for w, size := range chosen {
		if got := w.Canvas().Size(); got != size {
			t.Errorf("window %q started with large text is %v after the text went back, not %v", w.Title(), got, size)
		}
	}
	// A size the user chose is kept.
	a.win.Resize(fyne.NewSize(1000, 600))
	a.textSize(+1)
	a.textSize(-1)
	if got := a.win.Canvas().Size(); got != fyne.NewSize(1000, 600) {
		t.Errorf("the user's 1000×600 became %v", got)
	}
}

// TestMenuMadeAfreshAtEachTextSize: after Ctrl+= the menu cut "Ctrl+=" at
// its edge (seen under Xvfb): the labels name the keys, Fyne draws none, and
// the station makes its menu anew at each step (Fyne keeps a menu item's
// size from the text size it was made at).
func TestMenuMadeAfreshAtEachTextSize(t *testing.T) {
	r := newRig(t)
	a := r.enrolled()
	before := a.win.MainMenu()
	a.textSize(+1)
	after := a.win.MainMenu()
	if after == before {
		t.Fatal("the menu made at the old text size is kept")
	}
	larger := after.Items[1].Items[0]
	if larger.Label != "放大字号　Ctrl+=" || larger.Shortcut == nil || larger.Shortcut.ShortcutName() != keyLarger.ShortcutName() {
		t.Fatalf("the new menu's first view item is %q with shortcut %v", larger.Label, larger.Shortcut)
	}
	// Fyne draws a fyne.KeyboardShortcut at the menu's edge and past it:
	// the label says the key instead.
	for _, m := range after.Items {
		for _, it := range m.Items {
			if _, drawn := it.Shortcut.(fyne.KeyboardShortcut); drawn {
				t.Errorf("menu item %q has a shortcut Fyne draws", it.Label)
			}
		}
	}
	if after.Items[0].Items[1].Label != "签到　Ctrl+2" {
		t.Errorf("the check-in tab's item reads %q", after.Items[0].Items[1].Label)
	}
}

// TestNavigatorShowsEveryItemAtTheDefaultSize: in the candidate's window at
// its default size and text (1100×700: it opened 760 tall, more than a
// 1366×768 screen leaves below a title bar), every item of the sample
// paper's navigator is wholly inside the navigator's scroll without
// scrolling (item 11 was cut at the bottom: the legend took three rows).
func TestNavigatorShowsEveryItemAtTheDefaultSize(t *testing.T) {
	r, cw := examRig(t)
	r.startRoom()
	r.a.tick()
	if size := cw.w.Canvas().Size(); size.Height > 700 {
		t.Fatalf("the candidate's window opens %v, taller than a 768 screen leaves", size)
	}
	cw.w.Resize(fyne.NewSize(1100, 700)) // what a 1366×768 screen leaves below a title bar
	var scroll *container.Scroll
	for _, o := range objects(cw.w.Canvas()) {
		if s, ok := o.(*container.Scroll); ok {
			if _, in := positionIn(s, cw.nav[0], fyne.Position{}); in {
				scroll = s
			}
		}
	}
	if scroll == nil {
		t.Fatal("no scroll holds the navigator")
	}
	top, _ := positionIn(cw.w.Content(), scroll, fyne.Position{})
	bottom := top.Y + scroll.Size().Height
	for i, b := range cw.nav {
		p, _ := positionIn(cw.w.Content(), b, fyne.Position{})
		if p.Y < top.Y || p.Y+b.Size().Height > bottom {
			t.Errorf("item %d at %.0f–%.0f, the navigator shows %.0f–%.0f", i+1, p.Y, p.Y+b.Size().Height, top.Y, bottom)
		}
	}
}

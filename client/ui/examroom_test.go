package ui

import (
	"context"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// texts are every text the canvas renders, dialogs included.
func texts(c fyne.Canvas) []string {
	var out []string
	for _, o := range objects(c) {
		switch x := o.(type) {
		case *canvas.Text:
			out = append(out, x.Text)
		case *widget.Label:
			out = append(out, x.Text)
		case *widget.RichText:
			out = append(out, x.String())
		case *widget.Button:
			out = append(out, x.Text)
		case *widget.Entry:
			out = append(out, x.Text)
		case *examEntry:
			out = append(out, x.Text)
		}
	}
	return out
}

// TestPauseCoversThePaper: while the candidate or the room is paused, the
// window shows a cover and nothing of the paper: no item, no navigator, no
// submission (its confirmation, if up, goes); the resume brings them back.
func TestPauseCoversThePaper(t *testing.T) {
	r, cw := examRig(t)
	a := r.a
	c := cw.w.Canvas()
	ctx := context.Background()
	r.startRoom()
	a.tick()
	if cw.screen != "exam" {
		t.Fatalf("screen %s", cw.screen)
	}
	var paper []string // what of the paper must not show
	for _, it := range cw.items {
		paper = append(paper, it.Stem)
		for _, o := range it.Options {
			paper = append(paper, o.Text)
		}
	}
	cw.goTo(3)
	for _, who := range []string{ticket, ""} { // the candidate, then the room
		tap(t, button(t, c, "交卷"))
		if c.Overlays().Top() == nil {
			t.Fatal("no submission dialog")
		}
		if err := a.site.Pause(ctx, r.central.Session.ID, who, proctor, "设备故障"); err != nil {
			t.Fatal(err)
		}
		a.tick()
		if !shows(c, "考试已暂停") || cw.screen != "paused" {
			t.Fatalf("pause of %q: no cover (screen %s)", who, cw.screen)
		}
		if c.Overlays().Top() != nil {
			t.Fatalf("pause of %q: the submission dialog stays up", who)
		}
		for _, s := range texts(c) {
			for _, p := range paper {
				if strings.Contains(s, p) {
					t.Fatalf("pause of %q: the window shows %q of the paper", who, p)
				}
			}
			if s == "交卷" || s == "4" || strings.HasPrefix(s, "下一题") || strings.HasPrefix(s, "第 ") {
				t.Fatalf("pause of %q: %q is reachable", who, s)
			}
		}
		// Neither the keys nor the submission get round the cover.
		press(c, keyNext)
		press(c, keyFlag)
		cw.confirmSubmit()
		if cw.cur != 3 || cw.items[3].Flagged || c.Overlays().Top() != nil || !strings.HasPrefix(cw.countdown.Text, "剩余 ") {
			t.Fatalf("pause of %q: at item %d, flagged %v, dialog %v", who, cw.cur+1, cw.items[3].Flagged, c.Overlays().Top() != nil)
		}
		if err := a.site.Resume(ctx, r.central.Session.ID, who, proctor); err != nil {
			t.Fatal(err)
		}
		a.tick()
		if cw.screen != "exam" || !shows(c, cw.items[3].Stem) || button(t, c, "交卷").Disabled() {
			t.Fatalf("resume of %q: the paper is not back", who)
		}
	}
	// A window opened while the room is paused opens on the cover.
	if err := a.site.Pause(ctx, r.central.Session.ID, "", proctor, "停电"); err != nil {
		t.Fatal(err)
	}
	cw.view, cw.ex = nil, nil
	cw.screen = "seat"
	cw.rebuild()
	a.tick()
	if cw.screen != "paused" || !shows(c, "考试已暂停") {
		t.Fatalf("reopened while paused: screen %s", cw.screen)
	}
}

// TestCandidateLanguageAndTextSizeAreTheirs: the candidate's window in
// English, and larger, leaves the station Chinese and its size alone; the
// station's size leaves the candidate's alone.
func TestCandidateLanguageAndTextSizeAreTheirs(t *testing.T) {
	r, cw := examRig(t)
	a := r.a
	c, sc := cw.w.Canvas(), a.win.Canvas()
	var lang *widget.Select
	for _, o := range objects(c) {
		if s, ok := o.(*widget.Select); ok {
			lang = s
		}
	}
	lang.SetSelected("English")
	if !shows(c, "Instructions") || !shows(c, "Proctor") || cw.w.Title() != "OneX exam" {
		t.Fatal("the candidate's window is not in English")
	}
	if !shows(sc, "考点程序已锁定") || tr("tab.checkin") != "签到" || a.fa.Preferences().String(prefLanguage) == string(English) {
		t.Fatal("the candidate's language reached the station")
	}
	unlockStation(t, a, "2468")
	if a.station.tabs.Items[tabCheckIn].Text != "签到" || a.win.MainMenu().Items[1].Label != "显示" || a.win.Title() != "OneX 考点" {
		t.Fatal("the station is not in Chinese")
	}
	r.startRoom()
	a.tick()
	if !shows(c, "Submit") || !shows(c, "Time left") {
		t.Fatal("the exam is not in English")
	}

	base := theme.DefaultTheme().Size(theme.SizeNameText)
	tap(t, button(t, c, "A+"))
	tap(t, button(t, c, "A+"))
	if got := cw.themed.Theme.Size(theme.SizeNameText); got != base*TextScales[2] {
		t.Fatalf("the candidate's text is %v, want %v", got, base*TextScales[2])
	}
	if a.fa.Settings().Theme().Size(theme.SizeNameText) != base || a.fa.Preferences().Int(prefScale) != 0 {
		t.Fatal("the candidate's text size reached the station")
	}
	a.textSize(+1)
	if got := cw.themed.Theme.Size(theme.SizeNameText); got != base*TextScales[2] {
		t.Fatalf("the station's text size reached the candidate: %v", got)
	}
	// The size holds over a rebuild (a pause, a resume).
	cw.rebuild()
	if got := cw.themed.Theme.Size(theme.SizeNameText); got != base*TextScales[2] || !shows(c, "Submit") {
		t.Fatal("the candidate's settings did not hold over a rebuild")
	}
}

// TestStationLocksWhileCandidatesWork: with a candidate window open on the
// machine the station is covered (no console, no forced submission, no
// dialog left up); the staff PIN or the passphrase brings it back, wrong
// tries wait longer and longer, it locks again when left alone, and
// quitting needs the PIN.
func TestStationLocksWhileCandidatesWork(t *testing.T) {
	quits := 0
	quitApp = func(fyne.App) { quits++ }
	t.Cleanup(func() { quitApp = func(fa fyne.App) { fa.Quit() } })
	r := newRig(t)
	a := r.enrolled()
	r.checkIn(ticket)
	r.startRoom()
	sc := a.win.Canvas()
	st := a.station
	st.tabs.SelectIndex(tabProctor)
	st.console.list.Select(0)
	tap(t, st.console.openWin)
	pins := dialogEntries(t, sc)
	test.Type(pins[0], "2468")
	test.Type(pins[1], "2468")
	pins[1].OnSubmitted(pins[1].Text)
	if len(a.cands) != 1 || !st.locked {
		t.Fatalf("%d candidate windows, station locked %v", len(a.cands), st.locked)
	}
	reachable := func() []string {
		var out []string
		for _, s := range texts(sc) {
			if s != "" && strings.Contains(tr("lock.hint", args{"N": 1}), s) {
				continue // the lock's own words
			}
			for _, w := range []string{"强制交卷", "结束考试", "全场暂停", "加时", "签到", "开卷", "打开考生答题窗口"} {
				if strings.Contains(s, w) {
					out = append(out, s)
				}
			}
		}
		return out
	}
	if !shows(sc, "考点程序已锁定") || len(reachable()) > 0 || sc.Overlays().Top() != nil {
		t.Fatalf("the locked station shows %v", reachable())
	}
	if m := a.win.MainMenu(); len(m.Items) != 1 || len(m.Items[0].Items) != 1 || !m.Items[0].Items[0].IsQuit {
		t.Fatal("the locked station's menu offers more than quitting")
	}

	// Three free wrong tries, then waits that grow.
	secret := entries(sc)[0]
	try := func(s string) {
		t.Helper()
		secret.SetText("")
		test.Type(secret, s)
		secret.OnSubmitted(secret.Text)
	}
	for left := 2; left >= 0; left-- {
		try("1111")
		if !st.locked || !shows(sc, "还可再试 "+string(rune('0'+left))+" 次") {
			t.Fatalf("wrong try with %d left: locked %v", left, st.locked)
		}
	}
	try("1111")
	if !shows(sc, "已连续输错 4 次，请在 ") {
		t.Fatal("the fourth wrong try does not wait")
	}
	try("2468")
	if !st.locked {
		t.Fatal("the PIN was taken during the wait")
	}
	r.clock.Add(31 * time.Second)
	try("2468")
	if st.locked || shows(sc, "考点程序已锁定") || !shows(sc, "锁定") {
		t.Fatal("the right PIN after the wait did not unlock the station")
	}

	// Left alone, it locks again; the passphrase unlocks it too.
	r.clock.Add(relockAfter + time.Second)
	a.tick()
	if !st.locked || !shows(sc, "考点程序已锁定") {
		t.Fatal("the station did not lock again when left alone")
	}
	unlockStation(t, a, pass)
	if st.locked {
		t.Fatal("the passphrase did not unlock the station")
	}
	tap(t, button(t, sc, "锁定"))
	if !st.locked {
		t.Fatal("the lock button did not lock")
	}

	// Quitting with a candidate at work needs the PIN.
	a.confirmQuit()
	if !shows(sc, "需要监考 PIN 或考点口令") {
		t.Fatal("quitting does not ask for the PIN")
	}
	e := dialogEntries(t, sc)
	test.Type(e[0], "9999")
	tap(t, dialogButton(t, sc, "关闭"))
	if quits != 0 {
		t.Fatal("a wrong PIN quit the app")
	}
	sc.Overlays().Remove(sc.Overlays().Top())
	a.confirmQuit()
	e = dialogEntries(t, sc)
	test.Type(e[0], "2468")
	tap(t, dialogButton(t, sc, "关闭"))
	if quits != 1 {
		t.Fatal("the PIN did not quit the app")
	}
}

package ui

import (
	"context"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"onex/exam"
)

const ticket = "2026WEB010001"

// press delivers a keyboard shortcut as the driver does: to the widget with
// the focus if it takes shortcuts, else to the window.
func press(c fyne.Canvas, s fyne.Shortcut) {
	if f, ok := c.Focused().(fyne.Shortcutable); ok {
		f.TypedShortcut(s)
		return
	}
	c.(fyne.Shortcutable).TypedShortcut(s)
}

// dialogEntries are the entries of the dialog on top of a canvas.
func dialogEntries(t *testing.T, c fyne.Canvas) []*widget.Entry {
	t.Helper()
	var out []*widget.Entry
	for _, o := range objectsIn(c.Overlays().Top()) {
		if e, ok := o.(*widget.Entry); ok {
			out = append(out, e)
		}
	}
	if len(out) == 0 {
		t.Fatal("no dialog with entries")
	}
	return out
}

// dialogButton is the button of the dialog on top labelled text.
func dialogButton(t *testing.T, c fyne.Canvas, text string) *widget.Button {
	t.Helper()
	for _, o := range objectsIn(c.Overlays().Top()) {
		if b, ok := o.(*widget.Button); ok && b.Text == text {
			return b
		}
	}
	t.Fatalf("no button %q in the dialog", text)
	return nil
}

// examRig is a station with one candidate checked in and the candidate's
// window open on the seat screen.
func examRig(t *testing.T) (*rig, *candidateWin) {
	t.Helper()
	r := newRig(t)
	a := r.enrolled()
	r.checkIn(ticket)
	a.openCandidate(r.central.Session.ID, ticket)
	// The proctor sets the PIN first.
	pins := dialogEntries(t, a.win.Canvas())
	if len(pins) != 2 || len(a.cands) != 0 {
		t.Fatalf("no PIN asked before the candidate window: %d entries", len(pins))
	}
	test.Type(pins[0], "2468")
	test.Type(pins[1], "2469")
	if !dialogButton(t, a.win.Canvas(), "确定").Disabled() {
		t.Fatal("two different PINs accepted")
	}
	pins[1].SetText("")
	test.Type(pins[1], "2468")
	pins[1].OnSubmitted(pins[1].Text)
	if !a.staff.HasPIN() || len(a.cands) != 1 {
		t.Fatalf("PIN set %v, %d candidate windows", a.staff.HasPIN(), len(a.cands))
	}
	for c := range a.cands {
		return r, c
	}
	return nil, nil
}

// unlockStation types secret (the staff PIN or the passphrase) into the
// locked station's cover.
func unlockStation(t *testing.T, a *App, secret string) {
	t.Helper()
	if !a.station.locked {
		t.Fatal("the station is not locked")
	}
	e := entries(a.win.Canvas())
	if len(e) != 1 || !e[0].Password {
		t.Fatalf("the lock shows %d entries", len(e))
	}
	test.Type(e[0], secret)
	e[0].OnSubmitted(e[0].Text)
}

// chooseReason picks the i-th reason of the reason dialog on top of c and
// types note.
func chooseReason(t *testing.T, c fyne.Canvas, i int, note string) {
	t.Helper()
	for _, o := range objectsIn(c.Overlays().Top()) {
		if s, ok := o.(*widget.Select); ok {
			s.SetSelectedIndex(i)
			e := dialogEntries(t, c)
			test.Type(e[len(e)-1], note)
			return
		}
	}
	t.Fatal("no reason to choose in the dialog")
}

func TestCandidateAnswersEveryItemType(t *testing.T) {
	r, cw := examRig(t)
	a := r.a
	c := cw.w.Canvas()
	if cw.screen != "seat" || !shows(c, "毛娜") || !shows(c, "请等待监考员宣布开始考试") || !shows(c, "考试须知") {
		t.Fatal("the seat screen does not show the candidate waiting")
	}
	if !shows(c, "3101**********9779") {
		t.Fatal("the seat screen does not mask the ID number")
	}
	a.tick()
	if cw.screen != "seat" {
		t.Fatal("the exam began before the room started")
	}
	r.startRoom()
	a.tick()
	if cw.screen != "exam" || len(cw.items) != 11 {
		t.Fatalf("after the start: screen %s, %d items", cw.screen, len(cw.items))
	}
	if !strings.HasPrefix(cw.countdown.Text, "剩余 1:29:") && cw.countdown.Text != "剩余 1:30:00" {
		t.Fatalf("countdown %q", cw.countdown.Text)
	}

	want := map[string]exam.Answer{}
	for i, it := range cw.items {
		cw.goTo(i)
		if cw.cur != i || !shows(c, it.Stem) {
			t.Fatalf("item %d not shown", i+1)
		}
		ctl := cw.body.Objects[len(cw.body.Objects)-1]
		switch it.Type {
		case exam.Single:
			r := ctl.(*widget.RadioGroup)
			r.SetSelected(r.Options[2])
			want[it.ID] = exam.Answer{Choices: []string{it.Options[2].ID}}
		case exam.TrueFalse:
			r := ctl.(*widget.RadioGroup)
			if !reflect.DeepEqual(r.Options, []string{"正确", "错误"}) {
				t.Fatalf("true/false options %v", r.Options)
			}
			r.SetSelected("错误")
			want[it.ID] = exam.Answer{Choices: []string{"false"}}
		case exam.Multiple:
			g := ctl.(*widget.CheckGroup)
			g.SetSelected([]string{g.Options[3], g.Options[0]})
			want[it.ID] = exam.Answer{Choices: []string{it.Options[0].ID, it.Options[3].ID}}
		case exam.Fill:
			// The entry has the focus: the candidate just types.
			typeFocused(t, c, "auto")
			want[it.ID] = exam.Answer{Text: "auto"}
		case exam.Essay:
			typeFocused(t, c, "媒体查询与弹性布局")
			if !shows(c, "9 / 800 字") {
				t.Fatal("the essay does not count its characters")
			}
			want[it.ID] = exam.Answer{Text: "媒体查询与弹性布局"}
		case exam.Practical:
			if !shows(c, "由考评员按以下评分标准现场评分") {
				t.Fatal("the practical task does not say the examiner scores it")
			}
		}
		if it.Type != exam.Practical && !strings.HasPrefix(cw.saved.Text, "正在保存") && !strings.HasPrefix(cw.saved.Text, "✓ 已保存") {
			t.Fatalf("item %d: saved state %q", i+1, cw.saved.Text)
		}
	}
	r.wait()
	if !strings.HasPrefix(cw.saved.Text, "✓ 已保存 ") || cw.saved.Importance != widget.SuccessImportance {
		t.Fatalf("after the saves: %q", cw.saved.Text)
	}
	got, err := a.site.Answers(context.Background(), r.central.Session.ID, ticket)
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("the site has %v, want %v (%v)", got, want, err)
	}

	// The navigator: answered items ticked, the practical one not.
	for i, it := range cw.items {
		b := cw.nav[i]
		if it.Examiner == (b.Icon == theme.ConfirmIcon()) {
			t.Fatalf("navigator %d: icon %v", i+1, b.Icon)
		}
	}
	// Shortcuts, with the focus in the essay: back, flag, on.
	cw.goTo(9)
	if _, ok := c.Focused().(*examEntry); !ok {
		t.Fatal("the essay does not have the focus")
	}
	press(c, keyPrevious)
	if cw.cur != 8 || c.Focused() == nil {
		t.Fatalf("Alt+P went to %d", cw.cur+1)
	}
	typeFocused(t, c, "x") // into item 9's entry, not the essay
	press(c, keyFlag)
	press(c, keyNext)
	r.wait()
	if cw.cur != 9 || !cw.items[8].Flagged || cw.nav[8].Importance != widget.WarningImportance || cw.nav[8].Icon != theme.WarningIcon() {
		t.Fatalf("after Alt+F and Alt+N: at %d, item 9 flagged %v", cw.cur+1, cw.items[8].Flagged)
	}
	got, _ = a.site.Answers(context.Background(), r.central.Session.ID, ticket)
	if got[cw.items[8].ID].Text != "autox" || got[cw.items[9].ID].Text != "媒体查询与弹性布局" {
		t.Fatalf("typing after Alt+P went astray: %v", got)
	}
	v, _ := cw.ex.View(context.Background())
	for _, sec := range v.Sections {
		for _, it := range sec.Items {
			if it.Flagged != (it.ID == cw.items[8].ID) {
				t.Fatalf("item %s flagged %v in the store", it.ID, it.Flagged)
			}
		}
	}
	// A cleared answer is unanswered again.
	cw.goTo(0)
	cw.body.Objects[len(cw.body.Objects)-1].(*widget.RadioGroup).SetSelected("")
	r.wait()
	if cw.items[0].Answered || cw.nav[0].Icon != nil {
		t.Fatal("a cleared answer still counts")
	}
}

func TestSubmitListsUnansweredAndFlaggedThenShowsTheReceipt(t *testing.T) {
	r, cw := examRig(t)
	a := r.a
	c := cw.w.Canvas()
	r.startRoom()
	a.tick()
	cw.goTo(0)
	radio := cw.body.Objects[len(cw.body.Objects)-1].(*widget.RadioGroup)
	radio.SetSelected(radio.Options[0])
	cw.goTo(7)
	typeFocused(t, c, "auto")
	press(c, keyFlag)
	r.wait()
	tap(t, button(t, c, "交卷"))
	// Items 2 to 7, 9 and 10 are unanswered (11 is the examiner's); 8 is flagged.
	if !shows(c, "还有 8 道题未作答：第 2、3、4、5、6、7、9、10 题。") || !shows(c, "1 道题标记待查：第 8 题。") {
		t.Fatal("the confirmation does not list the unanswered and flagged items")
	}
	tap(t, button(t, c, "返回作答"))
	if cw.screen != "exam" || cw.view.Submitted {
		t.Fatal("going back submitted the paper")
	}
	tap(t, button(t, c, "交卷"))
	tap(t, dialogButton(t, c, "交卷"))
	if cw.screen != "receipt" {
		t.Fatal("no receipt after submission")
	}
	code := cw.view.ReceiptCode
	if !regexp.MustCompile(`^[0-9A-Z]{4}(-[0-9A-Z]{4}){3}$`).MatchString(code) || !shows(c, code) || !shows(c, "请抄下这个回执码") {
		t.Fatalf("receipt %q not shown", code)
	}
	all, _ := a.site.Candidates(context.Background(), r.central.Session.ID)
	if !all[0].Submitted || all[0].ReceiptCode != code {
		t.Fatalf("the site has %+v", all[0])
	}
}

func TestCandidateWindowClosesOnlyWithThePIN(t *testing.T) {
	r, cw := examRig(t)
	a := r.a
	c := cw.w.Canvas()
	windows := len(a.fa.Driver().AllWindows())
	cw.askPIN() // what closing the window does
	pin := dialogEntries(t, c)
	test.Type(pin[0], "1357")
	pin[0].OnSubmitted(pin[0].Text)
	if !shows(c, "PIN 或口令不正确（还可再试 2 次") || !shows(c, "窗口未关闭。") || len(a.cands) != 1 || len(a.fa.Driver().AllWindows()) != windows {
		t.Fatal("a wrong PIN closed the window")
	}
	tap(t, dialogButton(t, c, "确定"))
	tap(t, button(t, c, "监考员"))
	pin = dialogEntries(t, c)
	test.Type(pin[0], "2468")
	tap(t, dialogButton(t, c, "关闭窗口"))
	if len(a.cands) != 0 || len(a.fa.Driver().AllWindows()) != windows-1 {
		t.Fatal("the right PIN did not close the window")
	}
	if a.station.locked || shows(a.win.Canvas(), "考点程序已锁定") || a.station.tabs == nil {
		t.Fatal("the station stays locked after the last candidate window closed")
	}
}

func TestProctorPausesAndGrantsExtraTime(t *testing.T) {
	r, cw := examRig(t)
	a := r.a
	st := a.station
	sc := a.win.Canvas()
	r.central.Release()
	if err := a.site.Release(context.Background(), r.central.Session.ID); err != nil {
		t.Fatal(err)
	}
	st.sessionsChanged()
	unlockStation(t, a, "2468")
	st.tabs.SelectIndex(tabProctor)
	con := st.console
	tap(t, con.start)
	tap(t, dialogButton(t, sc, "开始考试"))
	a.tick()
	if cw.screen != "exam" {
		t.Fatal("the candidate's exam did not begin at the start")
	}
	con.refresh()
	con.list.Select(0)
	if !strings.Contains(con.chosen.Text, "毛娜") || seatState(con.seats[0], false) != "作答中" {
		t.Fatalf("chosen %q, state %q", con.chosen.Text, seatState(con.seats[0], false))
	}

	tap(t, con.pause)
	chooseReason(t, sc, 1, "")
	tap(t, dialogButton(t, sc, "暂停"))
	a.tick()
	if seatState(con.seats[0], false) != "已暂停" || !cw.view.Paused || !shows(cw.w.Canvas(), "考试已暂停") || cw.screen != "paused" {
		t.Fatal("the pause does not reach the candidate")
	}
	tap(t, con.resume)
	a.tick()
	if cw.view.Paused || seatState(con.seats[0], false) != "作答中" {
		t.Fatal("the resume does not reach the candidate")
	}

	before := con.seats[0].Remaining
	tap(t, con.extra)
	mins := dialogEntries(t, sc)[0]
	mins.SetText("")
	test.Type(mins, "200")
	if !dialogButton(t, sc, "确定").Disabled() {
		t.Fatal("200 minutes of extra time accepted")
	}
	mins.SetText("")
	test.Type(mins, "10")
	if !dialogButton(t, sc, "确定").Disabled() {
		t.Fatal("extra time without a reason accepted")
	}
	chooseReason(t, sc, 0, "")
	tap(t, dialogButton(t, sc, "确定"))
	if d := con.seats[0].Remaining - before; d < 9*time.Minute || d > 10*time.Minute {
		t.Fatalf("extra time added %v", d)
	}
	if !shows(sc, "+10 分钟") {
		t.Fatal("the console does not show the extra time given")
	}
	a.tick()
	if !strings.HasPrefix(cw.countdown.Text, "剩余 1:39:") && cw.countdown.Text != "剩余 1:40:00" {
		t.Fatalf("the candidate's countdown %q", cw.countdown.Text)
	}

	// The warnings come at 15 and at 5 minutes left, once each.
	r.clock.Add(90 * time.Minute)
	a.tick()
	if cw.warned != 15 || !shows(cw.w.Canvas(), "距考试结束还有 15 分钟") || cw.countdown.Importance != widget.WarningImportance {
		t.Fatalf("15-minute warning: warned %d, countdown %q", cw.warned, cw.countdown.Text)
	}
	r.clock.Add(6 * time.Minute)
	a.tick()
	if cw.warned != 5 || cw.countdown.Importance != widget.DangerImportance {
		t.Fatalf("5-minute warning: warned %d", cw.warned)
	}
	// Time up: the site submits the paper; the window shows the receipt.
	r.clock.Add(5 * time.Minute)
	if _, err := a.site.Tick(context.Background()); err != nil {
		t.Fatal(err)
	}
	a.tick()
	if cw.screen != "receipt" || !shows(cw.w.Canvas(), "时间到或监考员操作，试卷已交") {
		t.Fatalf("at time-out: screen %s", cw.screen)
	}
}

package ui

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
)

func TestConsoleScoresIncidentsForcesAndEnds(t *testing.T) {
	r := newRig(t)
	a := r.enrolled()
	c := a.win.Canvas()
	r.checkIn(ticket)
	r.checkIn("2026WEB010002")
	r.startRoom()
	for _, k := range []string{ticket, "2026WEB010002"} {
		if _, err := a.site.Begin(context.Background(), r.central.Session.ID, k); err != nil {
			t.Fatal(err)
		}
	}
	st := a.station
	st.tabs.SelectIndex(tabProctor)
	con := st.console
	if !shows(c, "A101 考场：考试中") || seatState(con.seats[0], false) != "作答中" || seatState(con.seats[2], false) != "未签到" {
		t.Fatalf("console: %q, %q", seatState(con.seats[0], false), seatState(con.seats[2], false))
	}
	con.list.Select(0)

	// The examiner's scores, one per rubric criterion, each within its points.
	tap(t, con.score)
	marks := dialogEntries(t, c)
	if len(marks) < 2 || !shows(c, "实操评分：毛娜（"+ticket+"）") {
		t.Fatalf("scoring dialog with %d entries", len(marks))
	}
	test.Type(marks[0], "99")
	if !dialogButton(t, c, "确定").Disabled() {
		t.Fatal("a mark above the criterion's points accepted")
	}
	var want []float64
	for _, e := range marks {
		e.SetText("")
		test.Type(e, "1")
		want = append(want, 1)
	}
	tap(t, dialogButton(t, c, "确定"))
	got, err := a.site.Marks(context.Background(), r.central.Session.ID, ticket)
	if err != nil || len(got) != 1 {
		t.Fatalf("marks %v, %v", got, err)
	}
	for _, m := range got {
		if !reflect.DeepEqual(m, want) {
			t.Fatalf("marks %v, want %v", m, want)
		}
	}

	// An incident of the candidate, typed and noted.
	tap(t, con.incident)
	note := dialogEntries(t, c)[0]
	if !dialogButton(t, c, "确定").Disabled() {
		t.Fatal("an incident without a note accepted")
	}
	test.Type(note, "举手示意电脑死机，已更换座位")
	tap(t, dialogButton(t, c, "确定"))
	in, _ := a.site.Incidents(context.Background(), r.central.Session.ID)
	last := in[len(in)-1]
	if last.Ticket != ticket || last.Type != "identity" || last.Note != "举手示意电脑死机，已更换座位" {
		t.Fatalf("incident %+v", last)
	}

	// Forced submission, after a confirmation with the reason.
	tap(t, con.force)
	if !shows(c, "为 毛娜（"+ticket+"）强制交卷吗？") {
		t.Fatal("no confirmation of the forced submission")
	}
	if !dialogButton(t, c, "强制交卷").Disabled() {
		t.Fatal("a forced submission without a reason accepted")
	}
	chooseReason(t, c, 3, "考生离开座位超过十分钟") // other, with the note
	tap(t, dialogButton(t, c, "强制交卷"))
	if seatState(con.seats[0], false) != "已交卷" || !con.force.Disabled() {
		t.Fatalf("after forcing: %q", seatState(con.seats[0], false))
	}

	// The end says what it does, then submits the rest; the candidate
	// checked in who never began ends without submission.
	r.checkIn("2026WEB010003")
	con.refresh()
	tap(t, con.end)
	if !shows(c, "距考试结束还有 1:29:") && !shows(c, "距考试结束还有 1:30:00") {
		t.Fatal("the end does not say the time left")
	}
	if !shows(c, "仍有 1 名考生在作答") || !shows(c, "1 名已签到的考生尚未开始") {
		t.Fatal("the end does not say who is still working")
	}
	tap(t, dialogButton(t, c, "结束考试"))
	if seatState(con.seats[1], true) != "已交卷" || !shows(c, "A101 考场：已结束") || !con.end.Disabled() || !con.start.Disabled() {
		t.Fatalf("after the end: %q", seatState(con.seats[1], true))
	}
	if seatState(con.seats[2], true) != "结束，未交卷" || !shows(c, "结束，未交卷") {
		t.Fatalf("the candidate who never began: %q", seatState(con.seats[2], true))
	}
	for _, o := range objects(c) {
		if l, ok := o.(*widget.Label); ok && strings.Contains(l.Text, ":") && strings.HasPrefix(l.Text, "1:") {
			t.Fatalf("a time left %q shows after the end", l.Text)
		}
	}
	all, _ := a.site.Candidates(context.Background(), r.central.Session.ID)
	if !all[0].Submitted || !all[1].Submitted {
		t.Fatal("the site does not have both papers submitted")
	}
	// Check-in is over too.
	st.tabs.SelectIndex(tabCheckIn)
	if !strings.HasPrefix(st.checkin.rule.Text, "本场考试已结束") {
		t.Fatalf("check-in after the end: %q", st.checkin.rule.Text)
	}
}

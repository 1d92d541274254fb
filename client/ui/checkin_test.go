package ui

import (
	"context"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"onex/client/site"
	"onex/exam"
	"onex/server/servertest"
)

func TestCheckInSearchAndMarking(t *testing.T) {
	r := newRig(t)
	a := r.enrolled()
	c := a.win.Canvas()
	st := a.station
	st.tabs.SelectIndex(tabCheckIn)
	ci := st.checkin
	if c.Focused() != ci.search {
		t.Fatal("the search does not have the focus on the check-in tab")
	}
	if len(ci.shown) != 40 || ci.count.Text != "已签到 0 / 应到 40 人（缺考 0）" {
		t.Fatalf("before any search: %d shown, count %q", len(ci.shown), ci.count.Text)
	}
	if !strings.HasPrefix(ci.rule.Text, "迟到规则：开考后 15 分钟内可以入场") {
		t.Fatalf("late rule %q", ci.rule.Text)
	}

	// As staff type: a ticket by its start, a name by any part, an ID number whole or in part.
	for _, q := range []struct {
		typed string
		want  []string
	}{
		{"2026WEB01000", []string{"2026WEB010001", "2026WEB010002", "2026WEB010003", "2026WEB010004", "2026WEB010005", "2026WEB010006", "2026WEB010007", "2026WEB010008", "2026WEB010009"}},
		{"钟", []string{"2026WEB010002", "2026WEB010026"}},
		{"钟静", []string{"2026WEB010002"}},
		{"31010420031018810x", []string{"2026WEB010002"}},
		{"没有这个人", nil},
	} {
		ci.search.SetText("")
		test.Type(ci.search, q.typed)
		var got []string
		for _, k := range ci.shown {
			got = append(got, k.Ticket)
		}
		if strings.Join(got, " ") != strings.Join(q.want, " ") || ci.list.Length() != len(q.want) {
			t.Fatalf("search %q found %v, want %v", q.typed, got, q.want)
		}
	}

	// Enter with one match shows it, with the placeholder photo.
	ci.search.SetText("")
	test.Type(ci.search, "钟静")
	ci.search.OnSubmitted(ci.search.Text)
	if ci.ticket != "2026WEB010002" || ci.name.Text != "钟静" || !strings.Contains(ci.details.Text, "性别：女　类别：在校学生") {
		t.Fatalf("shown %s: %q %q", ci.ticket, ci.name.Text, ci.details.Text)
	}
	if ci.status.Text != "未签到" || ci.photo.Resource == nil || !ci.openWin.Disabled() {
		t.Fatalf("status %q, photo %v", ci.status.Text, ci.photo.Resource)
	}
	// Present waits for the identity check.
	if !ci.present.Disabled() || !ci.late.Disabled() || ci.absent.Disabled() {
		t.Fatal("present or late allowed before the identity is confirmed")
	}
	test.Tap(ci.confirm)
	tap(t, ci.present)
	if ci.count.Text != "已签到 1 / 应到 40 人（缺考 0）" || !strings.HasPrefix(ci.status.Text, "到场（") || ci.openWin.Disabled() {
		t.Fatalf("after present: count %q, status %q", ci.count.Text, ci.status.Text)
	}
	if ci.search.Text != "" || c.Focused() != ci.search {
		t.Fatal("the search is not cleared and focused for the next candidate")
	}
	all, err := a.site.Candidates(context.Background(), r.central.Session.ID)
	if err != nil || all[1].Status != exam.Present || all[1].Seat != "02" {
		t.Fatalf("the site has %+v, %v", all[1], err)
	}

	// Absent needs no identity check.
	test.Type(ci.search, "2026WEB010003")
	ci.search.OnSubmitted(ci.search.Text)
	tap(t, ci.absent)
	if ci.count.Text != "已签到 1 / 应到 40 人（缺考 1）" || !strings.HasPrefix(ci.status.Text, "缺考") {
		t.Fatalf("after absent: count %q, status %q", ci.count.Text, ci.status.Text)
	}
	if !shows(c, "缺考") {
		t.Fatal("the list does not show the absence")
	}
}

func TestLateEntryNeedsTheProctorsOverride(t *testing.T) {
	r := newRig(t)
	a := r.enrolled()
	c := a.win.Canvas()
	r.startRoom()
	r.clock.Add(20 * time.Minute) // past the 15-minute late limit
	st := a.station
	st.tabs.SelectIndex(tabCheckIn)
	ci := st.checkin
	if !strings.Contains(ci.rule.Text, "迟到时限 15 分钟") {
		t.Fatalf("late rule once started: %q", ci.rule.Text)
	}
	test.Type(ci.search, "2026WEB010004")
	ci.search.OnSubmitted(ci.search.Text)
	test.Tap(ci.confirm)
	tap(t, ci.late)
	if !shows(c, "超过迟到时限 15 分钟") || !shows(c, "由值班监考员 "+proctor+" 特批入场吗") {
		t.Fatal("the late-entry refusal does not offer the override")
	}
	all, _ := a.site.Candidates(context.Background(), r.central.Session.ID)
	if all[3].Status != "" {
		t.Fatalf("checked in before the override: %+v", all[3])
	}
	tap(t, button(t, c, "特批入场"))
	all, _ = a.site.Candidates(context.Background(), r.central.Session.ID)
	if all[3].Status != exam.Late || !all[3].Override {
		t.Fatalf("after the override: %+v", all[3])
	}
	if !strings.Contains(ci.status.Text, "经监考员特批入场") || ci.count.Text != "已签到 1 / 应到 40 人（缺考 0）" {
		t.Fatalf("status %q, count %q", ci.status.Text, ci.count.Text)
	}
}

// TestCheckInSearchSaysWhatItFinds: the last digits of a ticket find it
// ("010005" found nobody), a seat finds its candidate, a search that finds
// nobody says so (it was silent), typing a new search takes the candidate
// shown away (they stayed, to be marked by mistake), and late is refused
// before the scheduled start.
func TestCheckInSearchSaysWhatItFinds(t *testing.T) {
	r, ci := checkInTab(t)
	a := r.a
	c := a.win.Canvas()
	found := func(typed string) []string {
		t.Helper()
		ci.search.SetText("")
		test.Type(ci.search, typed)
		var got []string
		for _, k := range ci.shown {
			got = append(got, k.Ticket)
		}
		return got
	}
	if got := found("010005"); strings.Join(got, " ") != "2026WEB010005" || !ci.none.Hidden {
		t.Fatalf("010005 found %v", got)
	}
	if got := found("07"); len(got) == 0 || got[0] != "2026WEB010007" {
		t.Fatalf("seat 07 found %v", got)
	}
	if got := found("没有这个人"); len(got) != 0 || ci.none.Hidden || !shows(c, "没有符合的考生") {
		t.Fatalf("a search for nobody: %v, the notice hidden %v", got, ci.none.Hidden)
	}

	// One candidate shown; the next search takes them away at its first key.
	found("010005")
	ci.search.OnSubmitted(ci.search.Text)
	if ci.ticket != "2026WEB010005" || !ci.detail.Visible() {
		t.Fatal("Enter on one match does not show it")
	}
	test.Type(ci.search, "1")
	if ci.ticket != "" || ci.detail.Visible() {
		t.Fatalf("typing a new search leaves %s shown", ci.ticket)
	}

	// Late before the scheduled start: refused, nothing recorded.
	found("010005")
	ci.search.OnSubmitted(ci.search.Text)
	test.Tap(ci.confirm)
	tap(t, ci.late)
	if !shows(c, "开考前不能登记迟到") || !shows(c, "北京时间") {
		t.Fatal("late before the start is not refused with the start time")
	}
	all, _ := a.site.Candidates(context.Background(), r.central.Session.ID)
	if all[4].Status != "" {
		t.Fatalf("late recorded before the start: %+v", all[4])
	}
}

// TestStartingEarlySaysTheTimeAndWhoIsMissing: the question before the
// room starts gives the scheduled start, how early it is, and how many
// candidates are not checked in yet. It was one line: start now?
func TestStartingEarlySaysTheTimeAndWhoIsMissing(t *testing.T) {
	r, _ := checkInTab(t)
	a := r.a
	for _, k := range []site.CheckInRequest{
		{Ticket: ticket, Status: exam.Present, Confirmed: true},
		{Ticket: "2026WEB010002", Status: exam.Present, Confirmed: true},
		{Ticket: "2026WEB010003", Status: exam.Absent},
	} {
		if _, err := a.site.CheckIn(context.Background(), r.central.Session.ID, k); err != nil {
			t.Fatal(err)
		}
	}
	c := a.win.Canvas()
	r.central.Release()
	if err := a.site.Release(context.Background(), r.central.Session.ID); err != nil {
		t.Fatal(err)
	}
	r.clock.Add(time.Until(servertest.Start) - 75*time.Minute - 30*time.Second) // 1 h 15 min early, and a bit
	a.station.sessionsChanged()
	a.station.tabs.SelectIndex(tabProctor)
	tap(t, a.station.console.start)
	for _, want := range []string{
		"预定开考时间为 2026-12-01 09:00（北京时间），现在开始将提前 1 小时 16 分钟。",
		"应到 40 人中还有 37 人未签到，开考后到场的按迟到处理。",
		"由 " + proctor + " 宣布开始考试吗？",
	} {
		if !shows(c, want) {
			t.Errorf("the question does not say %q", want)
		}
	}
	if info, _ := a.station.info(); !info.Started.IsZero() {
		t.Fatal("the room started before the proctor confirmed")
	}
}

func TestStartQuestion(t *testing.T) {
	UseLanguage(Chinese)
	start := servertest.Start
	info := site.SessionInfo{Start: start}
	info.Candidates, info.Present, info.Late, info.Absent = 40, 38, 0, 2
	for _, tc := range []struct {
		now  time.Time
		want string
	}{
		{start.Add(-12 * time.Minute), "预定开考时间为 2026-12-01 09:00（北京时间），现在开始将提前 12 分钟。\n应到考生都已签到或登记缺考。"},
		{start.Add(-30 * time.Second), "预定开考时间为 2026-12-01 09:00（北京时间）。\n应到考生都已签到或登记缺考。"},
		{start.Add(5 * time.Minute), "预定开考时间为 2026-12-01 09:00（北京时间）。\n应到考生都已签到或登记缺考。"},
	} {
		if got := startQuestion(info, tc.now, "王"); !strings.HasPrefix(got, tc.want+"\n\n由 王 宣布开始考试吗") {
			t.Errorf("at %v: %q", tc.now, got)
		}
	}
}

// checkInTab is the station enrolled, on the check-in tab.
func checkInTab(t *testing.T) (*rig, *checkinScreen) {
	t.Helper()
	r := newRig(t)
	r.enrolled().station.tabs.SelectIndex(tabCheckIn)
	return r, r.a.station.checkin
}

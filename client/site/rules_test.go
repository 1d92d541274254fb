package site_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"onex/client/site"
	"onex/client/store"
	"onex/exam"
	"onex/exam/seal"
	"onex/server"
	"onex/server/servertest"
	wire "onex/sync"
)

func TestFindCandidates(t *testing.T) {
	ctx := context.Background()
	r := newRig(t)
	all, err := r.s.Candidates(ctx, r.session)
	if err != nil || len(all) != 40 {
		t.Fatalf("%d candidates, %v", len(all), err)
	}
	first := all[0]
	for _, tc := range []struct {
		name, query string
		want        []string
	}{
		{"ticket", first.Ticket, []string{first.Ticket}},
		{"ID number", first.IDNumber, []string{first.Ticket}},
		{"ID number lower case", strings.ToLower(first.IDNumber), []string{first.Ticket}},
		{"name", first.Name, []string{first.Ticket}},
		{"space around", "  " + first.Ticket + " ", []string{first.Ticket}},
		{"nobody", "不存在的人", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := r.s.Find(ctx, r.session, tc.query)
			if err != nil {
				t.Fatal(err)
			}
			var tickets []string
			for _, c := range got {
				tickets = append(tickets, c.Ticket)
			}
			if strings.Join(tickets, ",") != strings.Join(tc.want, ",") {
				t.Fatalf("Find(%q) = %v, want %v", tc.query, tickets, tc.want)
			}
		})
	}
	// A family name finds everyone who has it.
	family := string([]rune(first.Name)[:1])
	got, _ := r.s.Find(ctx, r.session, family)
	for _, c := range got {
		if !strings.Contains(c.Name, family) {
			t.Fatalf("%s does not contain %s", c.Name, family)
		}
	}
	if len(got) == 0 {
		t.Fatal("a family name found nobody")
	}
	if _, err := r.s.Find(ctx, r.session, " "); !errors.Is(err, site.ErrInput) {
		t.Fatalf("empty search: %v", err)
	}
	if _, err := r.s.Find(ctx, "no-such-session", "x"); !errors.Is(err, site.ErrNoSession) {
		t.Fatalf("unknown session: %v", err)
	}
}

func TestCheckInRules(t *testing.T) {
	ctx := context.Background()
	r := newRig(t)
	ci := func(req site.CheckInRequest) (site.Candidate, error) { return r.s.CheckIn(ctx, r.session, req) }
	for _, tc := range []struct {
		name string
		req  site.CheckInRequest
		want string
	}{
		{"not on the roster", site.CheckInRequest{Ticket: "2026WEB019999", Status: exam.Present, Confirmed: true}, "not on the roster"},
		{"identity not confirmed", site.CheckInRequest{Ticket: "2026WEB010001", Status: exam.Present}, "confirm the candidate's identity"},
		{"unknown status", site.CheckInRequest{Ticket: "2026WEB010001", Status: "here", Confirmed: true}, `status "here"`},
		{"override of an absence", site.CheckInRequest{Ticket: "2026WEB010001", Status: exam.Absent, Override: true, Proctor: "王"}, "override applies to late entry"},
		{"override without proctor", site.CheckInRequest{Ticket: "2026WEB010001", Status: exam.Late, Confirmed: true, Override: true}, "needs the proctor's name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := ci(tc.req); !errors.Is(err, site.ErrInput) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
	c, err := ci(site.CheckInRequest{Ticket: "2026WEB010001", Status: exam.Present, Confirmed: true, Photo: []byte("jpeg bytes")})
	if err != nil || c.Status != exam.Present || c.Seat != "01" {
		t.Fatalf("check-in: %+v, %v", c, err)
	}
	if photo, _ := r.s.Photo(ctx, r.session, "2026WEB010001"); string(photo) != "jpeg bytes" {
		t.Fatalf("photo %q", photo)
	}
	if _, err := ci(site.CheckInRequest{Ticket: "2026WEB010002", Status: exam.Present, Confirmed: true, Seat: "01"}); !errors.Is(err, site.ErrInput) || !strings.Contains(err.Error(), "seat 01 is taken by ticket 2026WEB010001") {
		t.Fatalf("seat taken: %v", err)
	}
	if c, err := ci(site.CheckInRequest{Ticket: "2026WEB010003", Status: exam.Absent}); err != nil || c.Status != exam.Absent {
		t.Fatalf("absent: %+v %v", c, err)
	}
	r.started()
	// After the start a present candidate is late; within the limit they enter.
	r.clock.Add(10 * time.Minute)
	if c, err := ci(site.CheckInRequest{Ticket: "2026WEB010003", Status: exam.Present, Confirmed: true}); err != nil || c.Status != exam.Late {
		t.Fatalf("late within the limit: %+v %v", c, err)
	}
	r.clock.Add(6 * time.Minute)
	var late *site.LateError
	if _, err := ci(site.CheckInRequest{Ticket: "2026WEB010004", Status: exam.Late, Confirmed: true}); !errors.As(err, &late) || late.Limit != 15*time.Minute || late.Since < 16*time.Minute {
		t.Fatalf("past the limit: %v", err)
	}
	c, err = ci(site.CheckInRequest{Ticket: "2026WEB010004", Status: exam.Late, Confirmed: true, Override: true, Proctor: "王监考"})
	if err != nil || !c.Override {
		t.Fatalf("override: %+v %v", c, err)
	}
	// A candidate who began cannot be marked absent.
	if _, err := r.s.Begin(ctx, r.session, "2026WEB010001"); err != nil {
		t.Fatal(err)
	}
	if _, err := ci(site.CheckInRequest{Ticket: "2026WEB010001", Status: exam.Absent}); !errors.Is(err, site.ErrInput) {
		t.Fatalf("absent after beginning: %v", err)
	}
	if _, err := r.s.Begin(ctx, r.session, "2026WEB010005"); !errors.Is(err, site.ErrNotCheckedIn) {
		t.Fatalf("begin without check-in: %v", err)
	}
	// The override and the late check-ins reached central as records.
	r.central.Clock.Set(r.central.Clock.Now().Add(16 * time.Minute))
	if _, err := r.s.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	att := map[string]exam.Attendance{}
	for _, res := range r.central.Results(t) {
		att[res.Ticket] = exam.Attendance(res.Attendance)
	}
	if att["2026WEB010001"] != exam.Present || att["2026WEB010003"] != exam.Late || att["2026WEB010004"] != exam.Late {
		t.Fatalf("attendance at central: %v", att)
	}
	if strings.Contains(string(r.logs.Bytes()), "jpeg") {
		t.Fatal("the photo reached the log")
	}
}

func TestTimer(t *testing.T) {
	ctx := context.Background()
	r := newRig(t)
	for _, tk := range []string{"2026WEB010001", "2026WEB010002"} {
		r.checkIn(tk)
	}
	r.started()
	e1, err := r.s.Begin(ctx, r.session, "2026WEB010001")
	if err != nil {
		t.Fatal(err)
	}
	left := func(e *site.Exam) time.Duration {
		t.Helper()
		d, err := e.Remaining(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return d.Round(time.Minute)
	}
	r.clock.Add(10 * time.Minute)
	// The second candidate begins 10 minutes late and has lost them.
	e2, err := r.s.Begin(ctx, r.session, "2026WEB010002")
	if err != nil {
		t.Fatal(err)
	}
	if l1, l2 := left(e1), left(e2); l1 != 80*time.Minute || l2 != 80*time.Minute {
		t.Fatalf("remaining %v and %v, want 80m each", l1, l2)
	}
	// A candidate's pause stops only their clock; a room pause stops all.
	if err := r.s.Pause(ctx, r.session, "2026WEB010001", "张监考", "考生身体不适"); err != nil {
		t.Fatal(err)
	}
	if err := e1.Save(ctx, "q1", exam.Answer{Choices: []string{"b"}}); !errors.Is(err, site.ErrPaused) {
		t.Fatalf("save while paused: %v", err)
	}
	r.clock.Add(5 * time.Minute)
	if l1, l2 := left(e1), left(e2); l1 != 80*time.Minute || l2 != 75*time.Minute {
		t.Fatalf("after a 5-minute pause of one: %v and %v", l1, l2)
	}
	if err := r.s.Resume(ctx, r.session, "2026WEB010001", "张监考"); err != nil {
		t.Fatal(err)
	}
	if err := r.s.Pause(ctx, r.session, "", "张监考", "停电"); err != nil {
		t.Fatal(err)
	}
	r.clock.Add(7 * time.Minute)
	if l1, l2 := left(e1), left(e2); l1 != 80*time.Minute || l2 != 75*time.Minute {
		t.Fatalf("after a room pause: %v and %v", l1, l2)
	}
	if err := r.s.Pause(ctx, r.session, "", "张监考", "停电"); !errors.Is(err, site.ErrInput) {
		t.Fatalf("pausing a paused room: %v", err)
	}
	if err := r.s.Resume(ctx, r.session, "", "张监考"); err != nil {
		t.Fatal(err)
	}
	// Extra time for one candidate and for the room.
	if err := r.s.ExtraTime(ctx, r.session, "2026WEB010002", 5, "张监考", "补足暂停时间"); err != nil {
		t.Fatal(err)
	}
	if err := r.s.ExtraTime(ctx, r.session, "", 3, "张监考", "补足暂停时间"); err != nil {
		t.Fatal(err)
	}
	if err := r.s.ExtraTime(ctx, r.session, "", 0, "张监考", "补足暂停时间"); !errors.Is(err, site.ErrInput) {
		t.Fatalf("zero extra time: %v", err)
	}
	if l1, l2 := left(e1), left(e2); l1 != 83*time.Minute || l2 != 83*time.Minute {
		t.Fatalf("after extra time: %v and %v", l1, l2)
	}
	if err := e1.Save(ctx, "q8", exam.Answer{Text: "auto"}); err != nil {
		t.Fatal(err)
	}
	// A restart resumes with the right time; the time the machine was off
	// counts as used and is reported as an incident.
	r.s.Close()
	r.clock.Add(3 * time.Minute)
	s, err := site.Open(ctx, r.cfg)
	if err != nil {
		t.Fatal(err)
	}
	r.s = s
	e1, _ = r.s.Begin(ctx, r.session, "2026WEB010001")
	e2, _ = r.s.Begin(ctx, r.session, "2026WEB010002")
	if l1, l2 := left(e1), left(e2); l1 != 80*time.Minute || l2 != 80*time.Minute {
		t.Fatalf("after 3 minutes off: %v and %v", l1, l2)
	}
	incidents, err := r.s.Incidents(ctx, r.session)
	if err != nil {
		t.Fatal(err)
	}
	downtimes := 0
	for _, in := range incidents {
		// Real time may add a second under load.
		if in.Type == site.IncidentDowntime && strings.Contains(in.Note, "off for 3m") && strings.Contains(in.Note, "while 2 candidates") {
			downtimes++
		}
	}
	if downtimes != 1 {
		t.Fatalf("%d downtime incidents: %+v", downtimes, incidents)
	}
	if a, _ := r.s.Answers(ctx, r.session, "2026WEB010001"); a["q8"].Text != "auto" {
		t.Fatalf("answer lost over the restart: %v", a)
	}
	// Time-out: a save after the end submits the paper; Tick submits the others.
	r.clock.Add(81 * time.Minute)
	if err := e1.Save(ctx, "q1", exam.Answer{Choices: []string{"b"}}); !errors.Is(err, site.ErrTimeUp) {
		t.Fatalf("save after time-out: %v", err)
	}
	subs, err := r.s.Tick(ctx)
	if err != nil || len(subs) != 1 || subs[0].Ticket != "2026WEB010002" || !subs[0].Forced {
		t.Fatalf("Tick: %+v %v", subs, err)
	}
	v, _ := e1.View(ctx)
	if !v.Submitted || !v.Forced || v.ReceiptCode == "" || v.Remaining != 0 {
		t.Fatalf("view after time-out: submitted %v forced %v code %q left %v", v.Submitted, v.Forced, v.ReceiptCode, v.Remaining)
	}
	if err := r.s.ExtraTime(ctx, r.session, "2026WEB010001", 5, "张监考", "补足暂停时间"); !errors.Is(err, site.ErrSubmitted) {
		t.Fatalf("extra time after submission: %v", err)
	}
	if _, err := r.s.End(ctx, r.session, "张监考"); err != nil {
		t.Fatal(err)
	}
	if _, err := r.s.Begin(ctx, r.session, "2026WEB010003"); !errors.Is(err, site.ErrEnded) && !errors.Is(err, site.ErrNotCheckedIn) {
		t.Fatalf("begin after the end: %v", err)
	}
}

func TestForceSubmitAndEnd(t *testing.T) {
	ctx := context.Background()
	r := newRig(t)
	for _, tk := range []string{"2026WEB010001", "2026WEB010002", "2026WEB010003"} {
		r.checkIn(tk)
	}
	r.started()
	for _, tk := range []string{"2026WEB010001", "2026WEB010002"} {
		e, err := r.s.Begin(ctx, r.session, tk)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.Save(ctx, "q6", exam.Answer{Choices: []string{"true"}}); err != nil {
			t.Fatal(err)
		}
	}
	sub, err := r.s.ForceSubmit(ctx, r.session, "2026WEB010001", "张监考", "违纪")
	if err != nil || !sub.Forced {
		t.Fatalf("force submit: %+v %v", sub, err)
	}
	if _, err := r.s.ForceSubmit(ctx, r.session, "2026WEB010001", "张监考", "违纪"); !errors.Is(err, site.ErrSubmitted) {
		t.Fatalf("second force submit: %v", err)
	}
	if _, err := r.s.ForceSubmit(ctx, r.session, "2026WEB010002", "", "违纪"); !errors.Is(err, site.ErrInput) {
		t.Fatalf("force submit without a proctor: %v", err)
	}
	if err := r.s.Incident(ctx, r.session, "2026WEB010002", "misconduct", "看手机，已警告"); err != nil {
		t.Fatal(err)
	}
	if err := r.s.Incident(ctx, r.session, "", "", "no type"); !errors.Is(err, site.ErrInput) {
		t.Fatalf("incident without a type: %v", err)
	}
	subs, err := r.s.End(ctx, r.session, "张监考")
	if err != nil || len(subs) != 1 || subs[0].Ticket != "2026WEB010002" {
		t.Fatalf("end: %+v %v", subs, err)
	}
	if err := r.s.ScorePractical(ctx, r.session, "2026WEB010002", "q11", []float64{15, 20, 10, 10}, "李考评"); err != nil {
		t.Fatal(err)
	}
	if m, err := r.s.Marks(ctx, r.session, "2026WEB010002"); err != nil || len(m["q11"]) != 4 || m["q11"][0] != 15 {
		t.Fatalf("marks: %v %v", m, err)
	}
	if err := r.s.ScorePractical(ctx, r.session, "2026WEB010002", "q11", []float64{99, 5, 5, 5}, "李考评"); !errors.Is(err, site.ErrInput) {
		t.Fatalf("marks out of range: %v", err)
	}
	if err := r.s.ScorePractical(ctx, r.session, "2026WEB010002", "q1", []float64{1}, "李考评"); !errors.Is(err, site.ErrInput) {
		t.Fatalf("marks for a choice item: %v", err)
	}
	if err := r.s.ScorePractical(ctx, r.session, "2026WEB010004", "q11", []float64{1, 1, 1, 1}, "李考评"); !errors.Is(err, site.ErrNotCheckedIn) {
		t.Fatalf("marks for a candidate not checked in: %v", err)
	}
	if _, err := r.s.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	for _, res := range r.central.Results(t) {
		switch res.Ticket {
		case "2026WEB010001":
			if !res.Submitted || !res.Forced || len(res.Awaiting) != 2 {
				t.Fatalf("%+v", res)
			}
		case "2026WEB010002":
			if !res.Submitted || !res.Forced || len(res.Awaiting) != 1 {
				t.Fatalf("%+v", res)
			}
		}
	}
}

func TestUnlockByCode(t *testing.T) {
	ctx := context.Background()
	r := newRig(t)
	code := r.central.UnlockCode(t)
	// Another session's code: a wrong code here.
	other, err := r.central.CreateSession(ctx, server.SessionSpec{Site: "SITE-001", Room: "A102", PaperID: "WEB-E-2026-A", Start: r.central.Session.Start}, "test")
	if err != nil {
		t.Fatal(err)
	}
	otherCode, err := r.central.Central.UnlockCode(ctx, other.ID, "test")
	if err != nil {
		t.Fatal(err)
	}
	var ce *seal.CodeError
	typo := []rune(code)
	typo[1] = map[bool]rune{true: '2', false: '3'}[typo[1] != '2']
	if err := r.s.UnlockWithCode(ctx, r.session, string(typo)); !errors.As(err, &ce) || ce.Group != 1 || !errors.Is(err, site.ErrInput) {
		t.Fatalf("mistyped code: %v", err)
	}
	random, _ := seal.NewUnlockCode()
	for i, c := range []string{otherCode, random.String(), random.String(), random.String()} {
		if err := r.s.UnlockWithCode(ctx, r.session, c); !errors.Is(err, site.ErrWrongCode) || errors.Is(err, site.ErrLocked) {
			t.Fatalf("wrong code %d: %v", i+1, err)
		}
	}
	var locked *site.LockedError
	if err := r.s.UnlockWithCode(ctx, r.session, random.String()); !errors.As(err, &locked) || locked.Failures != 5 {
		t.Fatalf("fifth wrong code: %v", err)
	}
	if d := locked.Until.Sub(r.clock.Now()); d < 55*time.Second || d > time.Minute {
		t.Fatalf("locked for %v", d)
	}
	// Locked: even the right code waits, and the lock survives a restart.
	r.reopen()
	if err := r.s.UnlockWithCode(ctx, r.session, code); !errors.Is(err, site.ErrLocked) {
		t.Fatalf("right code while locked: %v", err)
	}
	r.clock.Add(time.Minute)
	if err := r.s.UnlockWithCode(ctx, r.session, random.String()); !errors.As(err, &locked) || locked.Failures != 6 {
		t.Fatalf("sixth wrong code: %v", err)
	}
	if d := locked.Until.Sub(r.clock.Now()); d < 115*time.Second || d > 2*time.Minute {
		t.Fatalf("the second lock is %v, want twice the first", d)
	}
	r.clock.Add(2 * time.Minute)
	// Typed the way a proctor might: lower case, spaces, full-width dashes.
	typed := strings.ReplaceAll(strings.ToLower(code), "-", " － ")
	if err := r.s.UnlockWithCode(ctx, r.session, typed); err != nil {
		t.Fatalf("right code: %v", err)
	}
	sessions, _ := r.s.Sessions(ctx)
	if !sessions[0].Released {
		t.Fatal("not released after the right code")
	}
	incidents, _ := r.s.Incidents(ctx, r.session)
	attempts := 0
	for _, in := range incidents {
		if in.Type == site.IncidentUnlock {
			attempts++
		}
	}
	if attempts != 9 { // 1 mistyped, 6 wrong, 1 while locked, 1 right
		t.Fatalf("%d unlock attempts recorded, want 9", attempts)
	}
	if strings.Contains(string(r.logs.Bytes()), code) {
		t.Fatal("the unlock code reached the log")
	}
	var st *site.Status
	if st, err = r.s.Status(ctx, false); err != nil || st.PendingByKind[wire.KindIncident] != 9 {
		t.Fatalf("incident records pending: %v %v", st.PendingByKind, err)
	}
}

func TestWrongPassphraseChangesNothing(t *testing.T) {
	ctx := context.Background()
	r := newRig(t)
	r.s.Close()
	cfg := r.cfg
	cfg.Passphrase = "not the passphrase"
	if _, err := site.Open(ctx, cfg); !errors.Is(err, store.ErrWrongPassphrase) {
		t.Fatalf("wrong passphrase: %v", err)
	}
	s, err := site.Open(ctx, r.cfg)
	if err != nil {
		t.Fatal(err)
	}
	r.s = s
	if got, err := r.s.Sessions(ctx); err != nil || len(got) != 1 {
		t.Fatalf("sessions after a wrong passphrase: %v %v", got, err)
	}
	if _, err := site.Enrol(ctx, r.cfg, site.EnrolOptions{ServerURL: r.central.URL, Code: "X"}); !errors.Is(err, store.ErrLocked) {
		t.Fatalf("enrol while open: %v", err)
	}
}

func TestDeviceClockCorrectedFromCentral(t *testing.T) {
	ctx := context.Background()
	r := enrolRig(t, nil)
	// Central runs on real time here, as it does in production, so that its
	// Date header and its clock agree; then the device's clock jumps an hour.
	r.central.Clock.Set(time.Now())
	r.clock.Add(time.Hour)
	if _, err := r.s.Download(ctx, nil); err != nil {
		t.Fatalf("download with the device clock an hour off: %v", err)
	}
	if off := r.s.ServerOffset(); off > -59*time.Minute || off < -61*time.Minute {
		t.Fatalf("offset to central %v, want about -1h", off)
	}
	if !strings.Contains(string(r.logs.Bytes()), "device clock is off") {
		t.Fatal("the clock correction was not logged")
	}
}

// TestSearchAsStaffType: tickets by any part (so by their last digits), ID
// numbers by their beginning or their end, seats whole with or without
// leading zeros, names in part; exact matches first. "010005" found nobody: tickets matched by their
// beginning only, and seats not at all.
func TestSearchAsStaffType(t *testing.T) {
	k := func(ticket, id, seat, name string) site.Candidate {
		var c site.Candidate
		c.Ticket, c.IDNumber, c.Seat, c.Name = ticket, id, seat, name
		return c
	}
	all := []site.Candidate{
		k("2026WEB010001", "110101200001011234", "01", "毛娜"),
		k("2026WEB010005", "31010420031018810X", "05", "董豪梓"),
		k("2026WEB010015", "440301199912120015", "15", "钟静"),
		k("2026WEB010050", "510104200205050021", "50", "毛毛"),
	}
	for _, tc := range []struct {
		query string
		want  []string // tickets, in order
	}{
		{"010005", []string{"2026WEB010005"}},
		{"0005", []string{"2026WEB010005"}},
		{"2026WEB0100", []string{"2026WEB010001", "2026WEB010005", "2026WEB010015", "2026WEB010050"}},
		{"15", []string{"2026WEB010015"}},                                                      // seat 15 (also the ticket's and ID's end)
		{"5", []string{"2026WEB010005", "2026WEB010015", "2026WEB010050"}},                     // seat 05 first, then the ticket ending 5, the ID starting 5
		{"05", []string{"2026WEB010005", "2026WEB010050"}},                                     // seat 05, then a ticket with 05 in it
		{"0100", []string{"2026WEB010001", "2026WEB010005", "2026WEB010015", "2026WEB010050"}}, // on the way to 010005
		{"20050", nil},                                    // the middle of an ID number finds nobody
		{"810x", []string{"2026WEB010005"}},               // the ID number's end, any case
		{"3101", []string{"2026WEB010005"}},               // the ID number's start
		{"毛", []string{"2026WEB010001", "2026WEB010050"}}, // a family name
		{"毛毛", []string{"2026WEB010050"}},                 // a whole name
		{"  2026WEB010001 ", []string{"2026WEB010001"}},   // spaces around
		{"", []string{"2026WEB010001", "2026WEB010005", "2026WEB010015", "2026WEB010050"}},
		{"999999", nil},
		{"0", []string{"2026WEB010001", "2026WEB010005", "2026WEB010015", "2026WEB010050"}}, // no seat 0
	} {
		t.Run(tc.query, func(t *testing.T) {
			var got []string
			for _, c := range site.Search(all, tc.query) {
				got = append(got, c.Ticket)
			}
			if strings.Join(got, " ") != strings.Join(tc.want, " ") {
				t.Fatalf("Search(%q) = %v, want %v", tc.query, got, tc.want)
			}
		})
	}
}

// TestLateRefusedBeforeTheScheduledStart: before the scheduled start, with
// the room not started, nobody is late; after it (the room still not
// started) late is taken as asked, and present still is.
func TestLateRefusedBeforeTheScheduledStart(t *testing.T) {
	ctx := context.Background()
	r := newRig(t)
	ci := func(ticket string, st exam.Attendance) (site.Candidate, error) {
		return r.s.CheckIn(ctx, r.session, site.CheckInRequest{Ticket: ticket, Status: st, Confirmed: true})
	}
	var early *site.NotLateError
	if _, err := ci("2026WEB010001", exam.Late); !errors.As(err, &early) || !errors.Is(err, site.ErrNotLate) || !early.Start.Equal(servertest.Start) {
		t.Fatalf("late before the start: %v", err)
	}
	all, _ := r.s.Candidates(ctx, r.session)
	if all[0].Status != "" {
		t.Fatalf("the refused late check-in changed the candidate: %+v", all[0])
	}
	if c, err := ci("2026WEB010001", exam.Present); err != nil || c.Status != exam.Present {
		t.Fatalf("present before the start: %+v %v", c, err)
	}
	r.clock.Add(time.Until(servertest.Start) + time.Minute)
	if c, err := ci("2026WEB010002", exam.Late); err != nil || c.Status != exam.Late {
		t.Fatalf("late after the scheduled start: %+v %v", c, err)
	}
}

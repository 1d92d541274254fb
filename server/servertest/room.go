package servertest

import (
	"testing"
	"time"

	"onex/exam"
	osync "onex/sync"
)

// What RoomBeforeEnd and RoomEnd do with the sample session's candidates.
const (
	RoomProctor     = "王老师"
	RoomPauseWhy    = "全场停电"
	RoomExtraWhy    = "电脑故障，换机耽误十分钟"
	RoomForceWhy    = "考试中使用手机，经两名监考员确认"
	RoomIncidentWhy = "考生使用手机查阅资料"
)

// RoomBeforeEnd has device d send what a proctored room of the sample
// session sends until shortly before its end, each record at central's
// clock, which it moves on: at the start, candidates 1 to 6 and 8 checked
// in (3 late, let in past the limit by the proctor), 7 absent, the room
// started; a pause of the room and its resume, with a reason; 10 minutes
// extra time for 8; an incident and a forced submission, with its reason,
// for 2; submissions of 1, 3 at time-out and 5 forced by a site that does
// not say why. Candidates 4, 6 and 8 are still working. It leaves central's
// clock at the start plus 80 minutes.
func (c *Central) RoomBeforeEnd(t testing.TB, d *Device) {
	t.Helper()
	s := c.Session
	tk := func(n int) string { return "2026WEB0100" + string(rune('0'+n/10)) + string(rune('0'+n%10)) }
	var envs [][]byte
	add := func(kind string, p any) { envs = append(envs, d.Seal(kind, p).Bytes) }
	clock := func(m int) { c.Clock.Set(s.Start.Add(time.Duration(m) * time.Minute)) }
	answers := map[string]exam.Answer{"q9": {Text: "404"}}
	clock(-5)
	for _, n := range []int{1, 2, 4, 5, 6, 8} {
		add(osync.KindCheckIn, osync.CheckIn{SessionID: s.ID, Ticket: tk(n), Status: exam.Present, Proctor: RoomProctor})
	}
	add(osync.KindCheckIn, osync.CheckIn{SessionID: s.ID, Ticket: tk(7), Status: exam.Absent, Proctor: RoomProctor})
	clock(0)
	add(osync.KindStart, osync.Start{SessionID: s.ID})
	clock(20)
	add(osync.KindCheckIn, osync.CheckIn{SessionID: s.ID, Ticket: tk(3), Status: exam.Late, Override: true, Proctor: RoomProctor})
	clock(30)
	add(osync.KindEvent, osync.Event{SessionID: s.ID, Event: osync.EventPause, Proctor: RoomProctor, Reason: RoomPauseWhy})
	clock(35)
	add(osync.KindEvent, osync.Event{SessionID: s.ID, Event: osync.EventResume, Proctor: RoomProctor})
	clock(40)
	add(osync.KindEvent, osync.Event{SessionID: s.ID, Ticket: tk(8), Event: osync.EventExtraTime, ExtraMinutes: 10, Proctor: RoomProctor, Reason: RoomExtraWhy})
	clock(50)
	add(osync.KindIncident, osync.Incident{SessionID: s.ID, Ticket: tk(2), Type: "misconduct", Note: RoomIncidentWhy})
	add(osync.KindEvent, osync.Event{SessionID: s.ID, Ticket: tk(2), Event: osync.EventForceSubmit, Proctor: RoomProctor, Reason: RoomForceWhy})
	forced := Submission(s, tk(2), answers)
	forced.Forced, forced.ForcedBy, forced.Reason = true, osync.ForcedByProctor, RoomForceWhy
	add(osync.KindSubmission, forced)
	clock(60)
	add(osync.KindSubmission, Submission(s, tk(1), answers))
	clock(75)
	timeOut := Submission(s, tk(3), answers)
	timeOut.Forced, timeOut.ForcedBy = true, osync.ForcedTimeOut
	add(osync.KindSubmission, timeOut)
	old := Submission(s, tk(5), answers) // a site of release 1 or 2: forced, and no word why
	old.Forced = true
	add(osync.KindSubmission, old)
	clock(80)
	if code, resp := d.Push(envs...); code != 200 {
		t.Fatalf("push the room's records: %d", code)
	} else {
		for i, r := range resp.Results {
			if r.Outcome != osync.Accepted {
				t.Fatalf("record %d of the room: %s %s", i+1, r.Outcome, r.Reason)
			}
		}
	}
}

// RoomEnd has device d send the end of the room RoomBeforeEnd began: the
// room ended by the proctor, and 4's submission forced by it. Candidates 6
// and 8 have no submission. Central's clock is then the start plus 90
// minutes.
func (c *Central) RoomEnd(t testing.TB, d *Device) {
	t.Helper()
	s := c.Session
	c.Clock.Set(s.Start.Add(90 * time.Minute))
	ended := Submission(s, "2026WEB010004", map[string]exam.Answer{"q1": {Choices: []string{"b"}}})
	ended.Forced, ended.ForcedBy = true, osync.ForcedRoomEnded
	if code, resp := d.Push(d.Seal(osync.KindEvent, osync.Event{SessionID: s.ID, Event: osync.EventEnd, Proctor: RoomProctor}).Bytes,
		d.Seal(osync.KindSubmission, ended).Bytes); code != 200 || resp.Results[0].Outcome != osync.Accepted || resp.Results[1].Outcome != osync.Accepted {
		t.Fatalf("push the room's end: %d %+v", code, resp)
	}
}

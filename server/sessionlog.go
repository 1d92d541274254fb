package server

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"onex/exam"
	"onex/server/store"
	osync "onex/sync"
)

// What a session log entry says happened (LogEntry.What).
const (
	LogStart     = "start"        // the room started
	LogOverride  = "override"     // a proctor let a candidate in past the late limit
	LogIncident  = "incident"     // a proctor or the site noted an incident
	LogPause     = "pause"        // a proctor paused the room or a candidate
	LogResume    = "resume"       // and resumed it
	LogExtraTime = "extra-time"   // a proctor gave extra time
	LogForce     = "force-submit" // a proctor forced a candidate's submission (the event)
	LogEnd       = "end"          // a proctor ended the room
	LogForced    = "forced"       // a forced submission reached central (ForcedBy says why)
)

// Why a submission was forced (Result.ForcedBy, LogEntry.ForcedBy), as the
// site says; "" from sites that did not say.
const (
	ForcedTimeOut   = osync.ForcedTimeOut
	ForcedByProctor = osync.ForcedByProctor
	ForcedRoomEnded = osync.ForcedRoomEnded
)

// LogEntry is one thing that happened in a session's room, as a record
// central received says it: the start, a late entry a proctor allowed past
// the limit, an incident, a pause or resume, extra time, a forced
// submission, the end. Device times are shown as results show them
// (RecordTime): a time implausible for the session is not trusted.
type LogEntry struct {
	What         string     `json:"what"`
	Ticket       string     `json:"ticket,omitempty"` // "": the whole room
	Proctor      string     `json:"proctor,omitempty"`
	Reason       string     `json:"reason,omitempty"` // the proctor's reason, or an incident's note
	Type         string     `json:"type,omitempty"`   // an incident's type (unlock, downtime, identity, misconduct, ...)
	ExtraMinutes int        `json:"extra_minutes,omitempty"`
	ForcedBy     string     `json:"forced_by,omitempty"` // LogForced: osync.ForcedTimeOut, ForcedByProctor, ForcedRoomEnded, or "" when the site did not say
	Status       string     `json:"status,omitempty"`    // LogOverride: the attendance given
	RecordID     string     `json:"record_id"`
	DeviceID     string     `json:"device_id"`
	Time         RecordTime `json:"time"`
}

// logKinds are the kinds of records a session log is read from.
var logKinds = []string{osync.KindStart, osync.KindCheckIn, osync.KindIncident, osync.KindEvent, osync.KindSubmission}

// SessionLog is what happened in a session's room, in time order (the time
// central trusts, then the order central received the records in).
func (c *Central) SessionLog(ctx context.Context, sessionID string) ([]LogEntry, error) {
	s, paper, err := c.sessionPaper(ctx, sessionID)
	if err != nil {
		return nil, err
	}
	return c.sessionLog(ctx, s, paper)
}

func (c *Central) sessionPaper(ctx context.Context, sessionID string) (store.Session, *exam.Paper, error) {
	s, err := c.db.Session(ctx, sessionID)
	if err != nil {
		return s, nil, err // ErrNotFound names the session
	}
	paper, err := c.paper(ctx, s.PaperID, s.PaperVersion)
	return s, paper, err
}

func (c *Central) sessionLog(ctx context.Context, s store.Session, paper *exam.Paper) ([]LogEntry, error) {
	recs, err := c.db.SessionLog(ctx, s.ID, logKinds...)
	if err != nil {
		return nil, err
	}
	sched := schedule(s, paper)
	var out []LogEntry
	for _, r := range recs {
		e, ok, err := logEntry(r)
		if err != nil {
			return nil, fmt.Errorf("session %s record %s: %w", s.ID, r.RecordID, err)
		}
		if ok {
			e.RecordID, e.DeviceID, e.Time = r.RecordID, r.DeviceID, recordTime(r.RecordInfo, r.Kind, sched)
			out = append(out, e)
		}
	}
	slices.SortStableFunc(out, func(a, b LogEntry) int { return a.Time.Shown.Compare(b.Time.Shown) })
	return out, nil
}

// logEntry makes a log entry of a stored record, or reports that the record
// is not one for the log (an ordinary check-in, a submission not forced).
func logEntry(r store.Logged) (LogEntry, bool, error) {
	p, err := osync.DecodePayload(r.Kind, r.Payload)
	if err != nil {
		return LogEntry{}, false, err
	}
	switch v := p.(type) {
	case *osync.Start:
		return LogEntry{What: LogStart}, true, nil
	case *osync.CheckIn:
		return LogEntry{What: LogOverride, Ticket: v.Ticket, Proctor: v.Proctor, Status: string(v.Status)}, v.Override, nil
	case *osync.Incident:
		return LogEntry{What: LogIncident, Ticket: v.Ticket, Type: v.Type, Reason: v.Note}, true, nil
	case *osync.Event:
		return LogEntry{What: v.Event, Ticket: v.Ticket, Proctor: v.Proctor, Reason: v.Reason, ExtraMinutes: v.ExtraMinutes}, true, nil
	case *osync.Submission:
		return LogEntry{What: LogForced, Ticket: v.Ticket, ForcedBy: v.ForcedBy, Reason: v.Reason}, v.Forced, nil
	}
	return LogEntry{}, false, nil
}

// Progress is how far a session has got, from the records central has
// received: the office watches it during the exam.
type Progress struct {
	Roster       int
	CheckedIn    int       // present or late
	Absent       int       // marked absent
	NotYet       int       // no check-in received
	Working      int       // checked in, the room started, no submission received, the room not ended
	Submitted    int       // a submission received
	Started      bool      // the room's start record arrived
	Ended        bool      // the room's end arrived
	Live         bool      // the exam may be under way: from the release to the latest plausible end, and not ended
	LastReceived time.Time // the newest record of the session central received; zero: none
}

// Summary sums a session's results up for the office.
type Summary struct {
	Roster, Absent, NotSubmitted, Submitted int
	Scored, Passed, Failed, Awaiting        int // Scored: every item scored (Passed + Failed)
	Review                                  int // results to look at before trusting them (open conflicts, doubtful times)
}

// PassRate is the share of scored candidates who passed, in percent; 0 when none is scored.
func (s Summary) PassRate() float64 {
	if s.Scored == 0 {
		return 0
	}
	return float64(s.Passed) * 100 / float64(s.Scored)
}

// Summarize sums results up.
func Summarize(results []Result) Summary {
	s := Summary{Roster: len(results)}
	for _, r := range results {
		switch {
		case r.Attendance == string(exam.Absent):
			s.Absent++
		case !r.Submitted:
			s.NotSubmitted++
		}
		if r.Submitted {
			s.Submitted++
			switch {
			case !r.Complete:
				s.Awaiting++
			case r.Passed:
				s.Scored++
				s.Passed++
			default:
				s.Scored++
				s.Failed++
			}
		}
		if r.Review() {
			s.Review++
		}
	}
	return s
}

// Overview is a session as the office watches it: every candidate's result
// with their part of the log, the room's log, and the counts.
type Overview struct {
	Session  Session
	Results  []Result
	Log      []LogEntry
	Progress Progress
	Summary  Summary
}

// SessionOverview scores a session and reads its log and progress.
func (c *Central) SessionOverview(ctx context.Context, sessionID string) (Overview, error) {
	s, paper, err := c.sessionPaper(ctx, sessionID)
	if err != nil {
		return Overview{}, err
	}
	results, err := c.SessionResults(ctx, sessionID)
	if err != nil {
		return Overview{}, err
	}
	log, err := c.sessionLog(ctx, s, paper)
	if err != nil {
		return Overview{}, err
	}
	byTicket := map[string][]LogEntry{}
	p := Progress{Roster: len(results)}
	for _, e := range log {
		if e.Ticket != "" {
			byTicket[e.Ticket] = append(byTicket[e.Ticket], e)
		}
		switch {
		case e.What == LogStart:
			p.Started = true
		case e.What == LogEnd && e.Ticket == "":
			p.Ended = true
		}
		if e.Time.Received.After(p.LastReceived) {
			p.LastReceived = e.Time.Received
		}
	}
	if last, err := c.db.LastReceived(ctx, s.ID); err != nil {
		return Overview{}, err
	} else if last.After(p.LastReceived) {
		p.LastReceived = last
	}
	for i := range results {
		r := &results[i]
		r.Log = byTicket[r.Ticket]
		switch {
		case r.Submitted:
			p.Submitted++
		case r.Attendance == string(exam.Absent):
			p.Absent++
		case r.Attendance == "":
			p.NotYet++
		default:
			if p.Started && !p.Ended {
				p.Working++
			}
		}
		if r.Attendance == string(exam.Present) || r.Attendance == string(exam.Late) {
			p.CheckedIn++
		}
	}
	sched := schedule(s, paper)
	now := c.now()
	p.Live = !p.Ended && !now.Before(s.ReleaseAt) && now.Before(sched.Start.Add(sched.Duration+exam.MaxExtraTime+exam.EndMargin))
	return Overview{Session: s, Results: results, Log: log, Progress: p, Summary: Summarize(results)}, nil
}

// Result filters (ResultFilter.Status).
const (
	FilterAll          = ""
	FilterNotCheckedIn = "not-checked-in"
	FilterAbsent       = "absent"
	FilterNotSubmitted = "not-submitted" // checked in (or not absent), no submission
	FilterSubmitted    = "submitted"
	FilterAwaiting     = "awaiting" // submitted, some item not scored yet
	FilterPass         = "pass"
	FilterFail         = "fail"
)

// ResultFilters lists the filters of results by status.
var ResultFilters = []string{FilterAll, FilterNotCheckedIn, FilterAbsent, FilterNotSubmitted, FilterSubmitted, FilterAwaiting, FilterPass, FilterFail}

// ResultFilter picks results: by status, and to review only (an open
// conflict, a doubtful time) or forced submissions only.
type ResultFilter struct {
	Status string
	Review bool
	Forced bool
}

// NewResultFilter checks a filter as the office asks for it.
func NewResultFilter(status string, review, forced bool) (ResultFilter, error) {
	if !slices.Contains(ResultFilters, status) {
		return ResultFilter{}, inputf("status filter %q is not one of %s", status, strings.Join(ResultFilters[1:], ", "))
	}
	return ResultFilter{Status: status, Review: review, Forced: forced}, nil
}

// Keep reports whether a result passes the filter.
func (f ResultFilter) Keep(r Result) bool {
	if f.Review && !r.Review() || f.Forced && !r.Forced {
		return false
	}
	switch f.Status {
	case FilterNotCheckedIn:
		return r.Attendance == ""
	case FilterAbsent:
		return r.Attendance == string(exam.Absent)
	case FilterNotSubmitted:
		return !r.Submitted && r.Attendance != string(exam.Absent)
	case FilterSubmitted:
		return r.Submitted
	case FilterAwaiting:
		return r.Submitted && !r.Complete
	case FilterPass:
		return r.Submitted && r.Complete && r.Passed
	case FilterFail:
		return r.Submitted && r.Complete && !r.Passed
	}
	return true
}

// Filter returns the results the filter keeps.
func (f ResultFilter) Filter(results []Result) []Result {
	out := []Result{}
	for _, r := range results {
		if f.Keep(r) {
			out = append(out, r)
		}
	}
	return out
}

// forcedBy reads why a held submission was forced, from its record.
func forcedBy(payload []byte) (by, reason string, err error) {
	var s osync.Submission
	if err := json.Unmarshal(payload, &s); err != nil {
		return "", "", err
	}
	return s.ForcedBy, s.Reason, nil
}

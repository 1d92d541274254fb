package server

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"onex/exam"
	"onex/exam/seal"
	"onex/server/store"
	osync "onex/sync"
)

// Result is one candidate's outcome in a session.
type Result struct {
	Ticket     string           `json:"ticket"`
	Name       string           `json:"name"`
	Attendance string           `json:"attendance"` // present, absent, late, or "" when no check-in arrived
	Submitted  bool             `json:"submitted"`
	Forced     bool             `json:"forced,omitempty"`
	ForcedBy   string           `json:"forced_by,omitempty"`     // why forced: sync.ForcedTimeOut, ForcedByProctor, ForcedRoomEnded; "" when the site did not say
	ForcedWhy  string           `json:"forced_reason,omitempty"` // the proctor's reason for a forced submission
	Total      float64          `json:"total"`
	Max        float64          `json:"max"`
	Complete   bool             `json:"complete"` // every item scored
	Passed     bool             `json:"passed"`   // meaningful when Complete
	Awaiting   []string         `json:"awaiting,omitempty"`
	Items      []exam.ItemScore `json:"items,omitempty"`
	Open       []OpenConflict   `json:"open_conflicts,omitempty"` // undecided: the result follows the records held until the office decides
	Flags      []FlaggedRecord  `json:"time_flags,omitempty"`     // records the result follows whose device time is implausible
	Log        []LogEntry       `json:"log,omitempty"`            // the candidate's part of the session log (SessionOverview only)
}

// OpenConflict is a conflict about a candidate's record that the office has
// yet to decide.
type OpenConflict struct {
	ID     int64  `json:"id"`
	Kind   string `json:"kind"`
	ItemID string `json:"item,omitempty"`
}

// FlaggedRecord is a record a result follows whose device time is
// implausible for the session: kept and scored, its time not trusted.
type FlaggedRecord struct {
	Kind     string     `json:"kind"`
	ItemID   string     `json:"item,omitempty"`
	RecordID string     `json:"record_id"`
	Time     RecordTime `json:"time"`
}

// Review reports whether the office should look at the result before
// trusting it: an open conflict, or a record with an implausible time.
func (r Result) Review() bool { return len(r.Open) > 0 || len(r.Flags) > 0 }

// Status is the result in a word for the office: 合格, 不合格, 待评分, 缺考 or 未交卷.
func (r Result) Status() string {
	switch {
	case r.Attendance == string(exam.Absent):
		return "缺考"
	case !r.Submitted:
		return "未交卷"
	case !r.Complete:
		return "待评分"
	case r.Passed:
		return "合格"
	}
	return "不合格"
}

// SessionResults scores every candidate of a session's roster from the
// submissions and marks received so far.
func (c *Central) SessionResults(ctx context.Context, sessionID string) ([]Result, error) {
	s, err := c.db.Session(ctx, sessionID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, inputf("session %s does not exist", sessionID)
	}
	if err != nil {
		return nil, err
	}
	paper, err := c.paper(ctx, s.PaperID, s.PaperVersion)
	if err != nil {
		return nil, err
	}
	cat, err := c.db.Catalogue(ctx)
	if err != nil {
		return nil, err
	}
	rule, err := cat.Rule(paper.Certificate, paper.Level)
	if err != nil {
		return nil, err
	}
	roster, err := c.db.Roster(ctx, s.ID)
	if err != nil {
		return nil, err
	}
	recs, err := c.db.SessionRecords(ctx, s.ID)
	if err != nil {
		return nil, err
	}
	if err := c.mergeFinalMarks(ctx, s.ID, recs.Marks); err != nil {
		return nil, err
	}
	disputes, err := c.disputes(ctx, s.ID)
	if err != nil {
		return nil, err
	}
	open := map[string][]OpenConflict{}
	for _, d := range disputes {
		if d.Open() {
			open[d.Ticket] = append(open[d.Ticket], OpenConflict{ID: d.ID, Kind: d.Kind, ItemID: d.ItemID})
		}
	}
	flags := map[string][]FlaggedRecord{}
	for _, h := range recs.Flagged {
		flags[h.Ticket] = append(flags[h.Ticket], FlaggedRecord{Kind: h.Kind, ItemID: h.ItemID, RecordID: h.RecordID, Time: recordTime(h.RecordInfo, h.Kind, schedule(s, paper))})
	}
	forced := map[string][]byte{} // record id -> payload of forced submissions
	for _, sub := range recs.Submissions {
		if sub.Forced {
			forced[sub.RecordID] = nil
		}
	}
	if len(forced) > 0 {
		subs, err := c.db.SessionLog(ctx, s.ID, osync.KindSubmission)
		if err != nil {
			return nil, err
		}
		for _, l := range subs {
			if _, ok := forced[l.RecordID]; ok {
				forced[l.RecordID] = l.Payload
			}
		}
	}
	out := make([]Result, 0, len(roster))
	for _, cand := range roster {
		r := Result{Ticket: cand.Ticket, Name: cand.Name, Attendance: recs.Attendance[cand.Ticket], Max: paper.TotalPoints(),
			Open: open[cand.Ticket], Flags: flags[cand.Ticket]}
		if sub, ok := recs.Submissions[cand.Ticket]; ok {
			score, err := paper.Score(sub.Answers, recs.Marks[cand.Ticket], rule.PassMark)
			if err != nil {
				return nil, fmt.Errorf("score %s: %w", cand.Ticket, err)
			}
			r.Submitted, r.Forced = true, sub.Forced
			if sub.Forced {
				if r.ForcedBy, r.ForcedWhy, err = forcedBy(forced[sub.RecordID]); err != nil {
					return nil, fmt.Errorf("forced submission of %s: %w", cand.Ticket, err)
				}
			}
			r.Total, r.Complete, r.Passed, r.Awaiting, r.Items = score.Total, score.Complete, score.Passed, score.Awaiting, score.Items
		}
		out = append(out, r)
	}
	return out, nil
}

// WriteResultsCSV writes results as CSV in UTF-8 with a byte-order mark, so
// that Excel opens the Chinese headers and names correctly. No text cell
// begins with a character that makes it a formula to a spreadsheet (see
// textCell); the scores are written as numbers.
func WriteResultsCSV(w io.Writer, results []Result) error {
	if _, err := w.Write([]byte("\ufeff")); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	cw.Write([]string{"准考证号", "姓名", "出勤", "已交卷", "得分", "满分", "结果", "待评分题目", "待核查"})
	attendance := map[string]string{string(exam.Present): "出席", string(exam.Late): "迟到", string(exam.Absent): "缺考", "": "未签到"}
	for _, r := range results {
		submitted := "否"
		if r.Submitted {
			submitted = "是"
		}
		cw.Write([]string{textCell(r.Ticket), textCell(r.Name), attendance[r.Attendance], submitted,
			strconv.FormatFloat(r.Total, 'f', -1, 64), strconv.FormatFloat(r.Max, 'f', -1, 64), r.Status(),
			textCell(strings.Join(r.Awaiting, " ")), textCell(reviewCell(r))})
	}
	cw.Flush()
	return cw.Error()
}

// textCell makes a text cell of a spreadsheet stay text: a cell beginning
// with =, +, -, @, a tab or a carriage return is a formula to Excel and its
// kin (OWASP, CSV injection), so such a cell gets a leading apostrophe,
// which Excel shows as text and does not display.
func textCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// recordKinds names the kinds of records a result follows, in Chinese.
var recordKinds = map[string]string{osync.KindSubmission: "交卷", osync.KindCheckIn: "签到", osync.KindPractical: "实操评分"}

// reviewCell says in Chinese what the office should look at in a result.
func reviewCell(r Result) string {
	var out []string
	for _, o := range r.Open {
		out = append(out, recordKinds[o.Kind]+inParens(o.ItemID)+"冲突待裁决")
	}
	for _, f := range r.Flags {
		out = append(out, recordKinds[f.Kind]+inParens(f.ItemID)+"时间存疑")
	}
	return strings.Join(out, "；")
}

// WarnResults writes what the office should know before trusting results:
// every open conflict, and every record with an implausible time.
func WarnResults(w io.Writer, results []Result) {
	for _, r := range results {
		for _, o := range r.Open {
			fmt.Fprintf(w, "warning: ticket %s: conflict %d about its %s%s is open: the result follows the record central held until the office decides\n",
				r.Ticket, o.ID, o.Kind, itemSuffix(o.ItemID))
		}
		for _, f := range r.Flags {
			side := "before the paper's release"
			if f.Time.Flag == store.TimeLate {
				side = "after the session could have ended"
			}
			skew := "not measured"
			if f.Time.SkewMS != nil {
				skew = f.Time.Skew().String()
			}
			fmt.Fprintf(w, "warning: ticket %s: %s%s record %s: its device time %s is %s, not trusted; shown as %s (received %s, device clock skew %s)\n",
				r.Ticket, f.Kind, itemSuffix(f.ItemID), f.RecordID, f.Time.Device.Format(time.RFC3339), side,
				f.Time.Shown.In(CST).Format(time.RFC3339), f.Time.Received.In(CST).Format(time.RFC3339), skew)
		}
	}
}

func inParens(item string) string {
	if item == "" {
		return ""
	}
	return "（" + item + "）"
}

func itemSuffix(item string) string {
	if item == "" {
		return ""
	}
	return " of item " + item
}

// WriteResultsJSON writes results as a JSON array, one object per candidate.
func WriteResultsJSON(w io.Writer, results []Result) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(results)
}

// ChainReport is what central can tell of a device's record chain: missing
// sequence numbers and records whose previous-hash does not match.
type ChainReport struct {
	DeviceID string
	Records  int
	Gaps     []string // e.g. "epoch 42: seq 7–9 missing"
	Breaks   []string // e.g. "epoch 42: seq 10 does not follow seq 9"
}

// Chain checks a device's chain of records.
func (c *Central) Chain(ctx context.Context, deviceID string) (ChainReport, error) {
	links, err := c.db.Chain(ctx, deviceID)
	if err != nil {
		return ChainReport{}, err
	}
	rep := ChainReport{DeviceID: deviceID, Records: len(links)}
	for i, l := range links {
		first := i == 0 || links[i-1].Epoch != l.Epoch
		var want uint64 = 1
		if !first {
			want = links[i-1].Seq + 1
		}
		switch {
		case l.Seq > want && want == l.Seq-1:
			rep.Gaps = append(rep.Gaps, fmt.Sprintf("epoch %d: seq %d missing", l.Epoch, want))
		case l.Seq > want:
			rep.Gaps = append(rep.Gaps, fmt.Sprintf("epoch %d: seq %d–%d missing", l.Epoch, want, l.Seq-1))
		case !first && !bytes.Equal(l.Prev, links[i-1].Hash):
			rep.Breaks = append(rep.Breaks, fmt.Sprintf("epoch %d: seq %d does not follow seq %d", l.Epoch, l.Seq, links[i-1].Seq))
		case first && l.Seq == 1 && !slices.Equal(l.Prev, make([]byte, len(l.Prev))):
			rep.Breaks = append(rep.Breaks, fmt.Sprintf("epoch %d: seq 1 names a previous record", l.Epoch))
		}
	}
	return rep, nil
}

// WarnChains writes the chain problems of every device that sent records for
// a session: results from a device with gaps may lack records.
func (c *Central) WarnChains(ctx context.Context, sessionID string, w io.Writer) error {
	recs, err := c.db.SessionRecords(ctx, sessionID)
	if err != nil {
		return err
	}
	for _, id := range slices.Sorted(maps.Keys(recs.Devices)) {
		rep, err := c.Chain(ctx, id)
		if err != nil {
			return err
		}
		for _, p := range append(rep.Gaps, rep.Breaks...) {
			fmt.Fprintf(w, "warning: device %s: %s\n", id, p)
		}
	}
	return nil
}

// ReceivedSubmission is what central tells anyone holding a receipt code:
// the submission it stands for arrived, unaltered, for that session, and
// whether results follow it (Standing).
type ReceivedSubmission struct {
	SessionID  string
	ReceivedAt time.Time
	Standing   string // StandingCounted, StandingReview or StandingSetAside
}

// Standings of a received submission.
const (
	StandingCounted  = store.StandingCounted  // results follow it
	StandingReview   = store.StandingReview   // it, or another submission for the candidate, waits for the office's decision
	StandingSetAside = store.StandingSetAside // the office decided for another submission for the candidate
)

// ErrReceiptTicket is a receipt check without the candidate's ticket number.
var ErrReceiptTicket = errors.New("the ticket number is missing")

// CheckReceipt finds the submission a candidate's receipt code stands for,
// given with the candidate's ticket number, checked from an address:
// ErrInput when the text is not a receipt code or the ticket is missing,
// ErrNotFound when central has not received that submission for that
// ticket (not yet, altered on the way, or another candidate's). Lookups
// that find nothing slow the address's next ones (receiptThrottle); while
// it must wait, the check is a *ThrottledError, unchecked.
func (c *Central) CheckReceipt(ctx context.Context, ticket, code, from string) (ReceivedSubmission, error) {
	ticket = strings.TrimSpace(ticket)
	if ticket == "" {
		return ReceivedSubmission{}, AsInput(ErrReceiptTicket)
	}
	prefix, err := seal.ParseReceiptCode(code)
	if err != nil {
		return ReceivedSubmission{}, AsInput(err)
	}
	addr := throttled{what: "receipt checks from address " + from, key: "receipt-addr\n" + from, policy: receiptThrottle}
	if err := c.checkThrottles(ctx, addr); err != nil {
		return ReceivedSubmission{}, err
	}
	r, err := c.db.ReceivedByHash(ctx, osync.KindSubmission, prefix[:])
	if err == nil {
		var sub osync.Submission
		if err = json.Unmarshal(r.Payload, &sub); err != nil {
			return ReceivedSubmission{}, fmt.Errorf("submission %s: %w", r.RecordID, err)
		}
		if !strings.EqualFold(sub.Ticket, ticket) {
			err = fmt.Errorf("receipt code of another ticket: %w", store.ErrNotFound)
		}
	}
	if errors.Is(err, store.ErrNotFound) {
		if serr := c.strike(ctx, addr); serr != nil {
			return ReceivedSubmission{}, serr
		}
	}
	if err != nil {
		return ReceivedSubmission{}, err
	}
	standing, err := c.db.SubmissionStanding(ctx, r.SessionID, r.RecordID)
	if err != nil {
		return ReceivedSubmission{}, err
	}
	return ReceivedSubmission{SessionID: r.SessionID, ReceivedAt: r.ReceivedAt, Standing: standing}, nil
}

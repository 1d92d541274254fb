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
	Total      float64          `json:"total"`
	Max        float64          `json:"max"`
	Complete   bool             `json:"complete"` // every item scored
	Passed     bool             `json:"passed"`   // meaningful when Complete
	Awaiting   []string         `json:"awaiting,omitempty"`
	Items      []exam.ItemScore `json:"items,omitempty"`
}

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
	raw, err := c.db.Paper(ctx, s.PaperID, s.PaperVersion)
	if err != nil {
		return nil, err
	}
	paper, err := exam.ReadPaper(bytes.NewReader(raw))
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
	out := make([]Result, 0, len(roster))
	for _, cand := range roster {
		r := Result{Ticket: cand.Ticket, Name: cand.Name, Attendance: recs.Attendance[cand.Ticket], Max: paper.TotalPoints()}
		if sub, ok := recs.Submissions[cand.Ticket]; ok {
			score, err := paper.Score(sub.Answers, recs.Marks[cand.Ticket], rule.PassMark)
			if err != nil {
				return nil, fmt.Errorf("score %s: %w", cand.Ticket, err)
			}
			r.Submitted, r.Forced = true, sub.Forced
			r.Total, r.Complete, r.Passed, r.Awaiting, r.Items = score.Total, score.Complete, score.Passed, score.Awaiting, score.Items
		}
		out = append(out, r)
	}
	return out, nil
}

// WriteResultsCSV writes results as CSV in UTF-8 with a byte-order mark, so
// that Excel opens the Chinese headers and names correctly.
func WriteResultsCSV(w io.Writer, results []Result) error {
	if _, err := w.Write([]byte("\ufeff")); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	cw.Write([]string{"准考证号", "姓名", "出勤", "已交卷", "得分", "满分", "结果", "待评分题目"})
	attendance := map[string]string{string(exam.Present): "出席", string(exam.Late): "迟到", string(exam.Absent): "缺考", "": "未签到"}
	for _, r := range results {
		submitted := "否"
		if r.Submitted {
			submitted = "是"
		}
		cw.Write([]string{r.Ticket, r.Name, attendance[r.Attendance], submitted,
			strconv.FormatFloat(r.Total, 'f', -1, 64), strconv.FormatFloat(r.Max, 'f', -1, 64), r.Status(), strings.Join(r.Awaiting, " ")})
	}
	cw.Flush()
	return cw.Error()
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
// the submission it stands for arrived, unaltered, for that session.
type ReceivedSubmission struct {
	SessionID  string
	ReceivedAt time.Time
}

// CheckReceipt finds the submission a candidate's receipt code stands for:
// ErrInput when the text is not a receipt code, ErrNotFound when central has
// not received that submission (not yet, or altered on the way).
func (c *Central) CheckReceipt(ctx context.Context, code string) (ReceivedSubmission, error) {
	prefix, err := seal.ParseReceiptCode(code)
	if err != nil {
		return ReceivedSubmission{}, AsInput(err)
	}
	r, err := c.db.ReceivedByHash(ctx, osync.KindSubmission, prefix[:])
	if err != nil {
		return ReceivedSubmission{}, err
	}
	return ReceivedSubmission{SessionID: r.SessionID, ReceivedAt: r.ReceivedAt}, nil
}

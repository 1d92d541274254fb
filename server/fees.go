package server

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode"

	"onex/exam"
	"onex/server/store"
)

// Fee exemption (issue 17): the kind of a candidate's exemption comes with
// the roster (免考试费, 免费类别), central keeps it, the office changes it with
// a reason (audited), and a fee statement counts candidates, the exempt by
// kind and the payable per session, organisation and site. The site's
// package never carries the kind: the fee is central's business.

// FeeFilter chooses the sessions of a fee statement (see store.FeeFilter).
type FeeFilter = store.FeeFilter

// FeeRow is one session of a fee statement, or a subtotal or the total.
type FeeRow struct {
	SessionID   string // "" in a subtotal or the total
	Start       time.Time
	Org         string
	OrgName     string
	Site        string
	SiteName    string
	Certificate string
	Level       exam.Level
	exam.FeeTally
	Fee    *exam.Fen // per candidate, from the catalogue's level; nil when it has none
	Amount *exam.Fen // Payable × Fee; in a subtotal or the total, nil unless every session has a fee
}

// FeeStatement is the fee statement of the sessions a filter chose: a row
// per session in order of start, a subtotal per organisation and site (in
// order of codes), and the total.
type FeeStatement struct {
	Filter    FeeFilter
	Sessions  []FeeRow
	Subtotals []FeeRow
	Total     FeeRow
	Kinds     []exam.FeeKind // the kinds of exemption the statement shows: FeeKinds, and FeeUnspecified when any candidate has it
}

// FeeCandidate is a candidate of a statement's per-candidate list, for a
// role that reads rosters.
type FeeCandidate struct {
	SessionID   string
	Site        string
	Org         string
	Certificate string
	Level       exam.Level
	Ticket      string
	Name        string
	Exemption   exam.FeeKind // "" when the candidate pays
	Fee         *exam.Fen    // what the candidate pays: the level's fee, 0 when exempt; nil when the catalogue has no fee
}

// checkFeeFilter refuses a filter that chooses nothing sensible.
func checkFeeFilter(f FeeFilter) error {
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		return inputf("the period's start %s is not before its end %s", f.From.In(CST).Format(time.DateOnly), f.To.In(CST).Format(time.DateOnly))
	}
	return nil
}

// FeeStatement counts the candidates of the sessions f chooses. Fees are
// the catalogue's as it is now.
func (c *Central) FeeStatement(ctx context.Context, f FeeFilter) (FeeStatement, error) {
	if err := checkFeeFilter(f); err != nil {
		return FeeStatement{}, err
	}
	counts, err := c.db.FeeCounts(ctx, f)
	if err != nil {
		return FeeStatement{}, err
	}
	cat, err := c.db.Catalogue(ctx)
	if err != nil {
		return FeeStatement{}, err
	}
	st := FeeStatement{Filter: f, Kinds: exam.FeeKinds}
	byID := map[string]int{}
	for _, fc := range counts {
		i, ok := byID[fc.SessionID]
		if !ok {
			i = len(st.Sessions)
			byID[fc.SessionID] = i
			row := FeeRow{SessionID: fc.SessionID, Start: fc.Start, Org: fc.Org, Site: fc.Site, Certificate: fc.Certificate, Level: fc.Level}
			named(cat, &row)
			if rule, err := cat.Rule(fc.Certificate, fc.Level); err == nil && rule.Fee != nil {
				row.Fee = rule.Fee
			}
			st.Sessions = append(st.Sessions, row)
		}
		st.Sessions[i].AddN(exam.Candidate{FeeExempt: fc.Exempt, FeeKind: fc.Kind}.Exemption(), fc.N)
	}
	sub := map[[2]string]int{}
	st.Total = FeeRow{Amount: new(exam.Fen)}
	for i := range st.Sessions {
		r := &st.Sessions[i]
		if r.Fee != nil {
			a := exam.Fen(r.Payable) * *r.Fee
			r.Amount = &a
		}
		if r.Exempt[exam.FeeUnspecified] > 0 && len(st.Kinds) == len(exam.FeeKinds) {
			st.Kinds = append(append([]exam.FeeKind(nil), exam.FeeKinds...), exam.FeeUnspecified)
		}
		key := [2]string{r.Org, r.Site}
		j, ok := sub[key]
		if !ok {
			j = len(st.Subtotals)
			sub[key] = j
			s := FeeRow{Org: r.Org, Site: r.Site, Amount: new(exam.Fen)}
			named(cat, &s)
			st.Subtotals = append(st.Subtotals, s)
		}
		addRow(&st.Subtotals[j], *r)
		addRow(&st.Total, *r)
	}
	sortRows(st.Subtotals)
	if len(st.Sessions) == 0 {
		st.Total.Amount = nil
	}
	return st, nil
}

// named fills a row's organisation and site names from the catalogue.
func named(cat *exam.Catalogue, r *FeeRow) {
	for _, o := range cat.Organisations {
		if o.Code == r.Org {
			r.OrgName = o.Name
		}
	}
	if s, ok := cat.Site(r.Site); ok {
		r.SiteName = s.Name
	}
}

// addRow adds a session's row to a subtotal or the total: the amount stays
// known only while every session's is.
func addRow(to *FeeRow, r FeeRow) {
	to.Merge(r.FeeTally)
	if to.Amount == nil || r.Amount == nil {
		to.Amount = nil
		return
	}
	a := *to.Amount + *r.Amount
	to.Amount = &a
}

func sortRows(rows []FeeRow) {
	for i := 1; i < len(rows); i++ {
		for j := i; j > 0 && rows[j].Org+"\x00"+rows[j].Site < rows[j-1].Org+"\x00"+rows[j-1].Site; j-- {
			rows[j], rows[j-1] = rows[j-1], rows[j]
		}
	}
}

// FeeCandidates lists the candidates of the sessions f chooses with their
// exemptions, for a role that reads rosters.
func (c *Central) FeeCandidates(ctx context.Context, f FeeFilter) ([]FeeCandidate, error) {
	if err := checkFeeFilter(f); err != nil {
		return nil, err
	}
	list, err := c.db.FeeCandidates(ctx, f)
	if err != nil {
		return nil, err
	}
	cat, err := c.db.Catalogue(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]FeeCandidate, 0, len(list))
	for _, fc := range list {
		k := exam.Candidate{FeeExempt: fc.Exempt, FeeKind: fc.Kind}.Exemption()
		cand := FeeCandidate{SessionID: fc.SessionID, Site: fc.Site, Org: fc.Org, Certificate: fc.Certificate, Level: fc.Level,
			Ticket: fc.Ticket, Name: fc.Name, Exemption: k}
		if rule, err := cat.Rule(fc.Certificate, fc.Level); err == nil && rule.Fee != nil {
			fee := *rule.Fee
			if k != "" {
				fee = 0
			}
			cand.Fee = &fee
		}
		out = append(out, cand)
	}
	return out, nil
}

// MaxExemptionReason is the longest reason of an exemption change, in characters.
const MaxExemptionReason = 2000

// NoExemption is the kind SetFeeExemption takes for "no exemption": the candidate pays.
const NoExemption = "none"

// SetFeeExemption changes a candidate's fee exemption at central: kind is
// one of exam.FeeKinds by its code or Chinese name, or NoExemption (the
// candidate pays); it returns the kind set ("" for none). The reason is
// required, and the change is audited with it. The session's package is not
// rebuilt: sites never carry the kind, and the fee is central's business (a
// roster imported again before the release replaces the change).
func (c *Central) SetFeeExemption(ctx context.Context, sessionID, ticket, to, reason, actor string) (exam.FeeKind, error) {
	reason = strings.TrimSpace(reason)
	switch {
	case reason == "":
		return "", fmt.Errorf("session %s ticket %s: %w", sessionID, ticket, AsInput(ErrReasonRequired))
	case len([]rune(reason)) > MaxExemptionReason:
		return "", inputf("the reason is longer than %d characters", MaxExemptionReason)
	case strings.ContainsFunc(reason, func(r rune) bool { return unicode.IsControl(r) && r != '\n' }):
		return "", inputf("the reason has control characters")
	}
	var kind exam.FeeKind
	if to != NoExemption {
		k, ok := exam.ParseFeeKind(to)
		if !ok {
			return "", inputf("%q is not a kind of exemption (%s) or %s", to, feeKindList(), NoExemption)
		}
		kind = k
	}
	name := func(exempt bool, k exam.FeeKind) string {
		if !exempt {
			return "none"
		}
		return string(exam.Candidate{FeeExempt: true, FeeKind: k}.Exemption())
	}
	err := c.db.SetFeeExemption(ctx, store.ExemptionChange{
		SessionID: sessionID, Ticket: ticket, Exempt: kind != "", Kind: kind,
		Actor: actor, Action: "change fee exemption",
		Detail: func(was bool, wasKind exam.FeeKind) string {
			return fmt.Sprintf("session %s ticket %s: %s -> %s: %s", sessionID, ticket, name(was, wasKind), name(kind != "", kind), reason)
		},
	})
	switch {
	case errors.Is(err, store.ErrNotFound):
		return "", inputf("session %s has no candidate with ticket %s", sessionID, ticket)
	case errors.Is(err, store.ErrConflict):
		return "", inputf("session %s ticket %s has this exemption already", sessionID, ticket)
	case err != nil:
		return "", err
	}
	c.log.Info("fee exemption changed", "session", sessionID)
	return kind, nil
}

func feeKindList() string {
	var out []string
	for _, k := range exam.FeeKinds {
		out = append(out, string(k)+" "+k.Chinese())
	}
	return strings.Join(out, ", ")
}

// WriteFeeStatementCSV writes a fee statement as CSV in UTF-8 with a
// byte-order mark (for Excel): a row per session, a subtotal (小计) per
// organisation and site, the total (合计). Counts and amounts are numbers
// (amounts in yuan with two decimals, empty when the catalogue has no
// fee); codes are text cells. It holds no name of a candidate.
func WriteFeeStatementCSV(w io.Writer, st FeeStatement) error {
	cw, err := excelCSV(w)
	if err != nil {
		return err
	}
	head := []string{"考核批次", "考核时间", "培训评价组织代码", "培训评价组织", "考核站点代码", "考核站点", "证书代码", "等级", "考生人数", "免考人数"}
	for _, k := range st.Kinds {
		head = append(head, "免考:"+k.Chinese())
	}
	cw.Write(append(head, "应缴人数", "收费标准(元)", "应缴金额(元)"))
	write := func(first string, r FeeRow) {
		start, level := "", ""
		if !r.Start.IsZero() {
			start = r.Start.In(CST).Format("2006-01-02 15:04")
		}
		if r.Level != "" {
			level = r.Level.Chinese()
		}
		rec := []string{textCell(first), start, textCell(r.Org), textCell(r.OrgName), textCell(r.Site), textCell(r.SiteName), textCell(r.Certificate), level,
			strconv.Itoa(r.Candidates), strconv.Itoa(r.ExemptTotal())}
		for _, k := range st.Kinds {
			rec = append(rec, strconv.Itoa(r.Exempt[k]))
		}
		cw.Write(append(rec, strconv.Itoa(r.Payable), yuan(r.Fee), yuan(r.Amount)))
	}
	for _, r := range st.Sessions {
		write(r.SessionID, r)
	}
	for _, r := range st.Subtotals {
		write("小计", r)
	}
	write("合计", st.Total)
	cw.Flush()
	return cw.Error()
}

// WriteFeeCandidatesCSV writes a per-candidate list as CSV in UTF-8 with a
// byte-order mark; tickets stay text (ticketCell).
func WriteFeeCandidatesCSV(w io.Writer, list []FeeCandidate) error {
	cw, err := excelCSV(w)
	if err != nil {
		return err
	}
	cw.Write([]string{"考核批次", "培训评价组织代码", "考核站点代码", "证书代码", "等级", "准考证号", "姓名", "免考试费", "免费类别", "应缴金额(元)"})
	for _, c := range list {
		exempt, kind := "否", ""
		if c.Exemption != "" {
			exempt, kind = "是", c.Exemption.Chinese()
		}
		cw.Write([]string{textCell(c.SessionID), textCell(c.Org), textCell(c.Site), textCell(c.Certificate), c.Level.Chinese(),
			ticketCell(c.Ticket), textCell(c.Name), exempt, kind, yuan(c.Fee)})
	}
	cw.Flush()
	return cw.Error()
}

// excelCSV writes the byte-order mark that makes Excel read UTF-8 and
// returns a CSV writer with CRLF line ends.
func excelCSV(w io.Writer) (*csv.Writer, error) {
	if _, err := w.Write([]byte("\ufeff")); err != nil {
		return nil, err
	}
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	return cw, nil
}

func yuan(f *exam.Fen) string {
	if f == nil {
		return ""
	}
	return f.String()
}

// ticketCell keeps a ticket number text in Excel: a ticket of digits only
// would become a number (leading zeros lost, and beyond 15 digits rounded),
// so it is written as the formula ="<digits>", which Excel shows as the
// text; it holds digits only, so it can do nothing else. Other tickets are
// text cells (textCell).
func ticketCell(t string) string {
	if t != "" && strings.Trim(t, "0123456789") == "" {
		return `="` + t + `"`
	}
	return textCell(t)
}

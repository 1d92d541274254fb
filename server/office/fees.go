package office

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"onex/exam"
	"onex/server"
)

// The office pages of fee exemption (issue 17): the fee statement by
// organisation, site and days, and per session; its CSV for Excel; the
// per-candidate list; changing a candidate's exemption with a reason.
//
// Who sees what, by server.Allows: the statement (counts, no names) and
// its CSV are Oversee (admin, staff, inspector); the per-candidate list
// with tickets and names, on the page and as CSV, needs Rosters (admin,
// staff); changing an exemption needs Write. Markers see nothing of fees.
var (
	feesPage        = page{"fees.html", "title.fees", server.Oversee, (*office).loadFees}
	sessionFeesPage = page{"fees.html", "title.session_fees", server.Oversee, (*office).loadSessionFees}
)

// routesFees adds the fee pages (Routes calls it).
func routesFees(mux *http.ServeMux, o *office) {
	mux.Handle("GET /office/fees", o.show(feesPage))
	mux.Handle("GET /office/fees/statement.csv", o.signedIn(server.Oversee, o.feeStatementCSV))
	mux.Handle("GET /office/fees/candidates.csv", o.signedIn(server.Rosters, o.feeCandidatesCSV))
	mux.Handle("GET /office/sessions/{id}/fees", o.show(sessionFeesPage))
	mux.Handle("POST /office/sessions/{id}/fees", o.post(server.Write, sessionFeesPage, o.changeExemption))
}

// FeeKindText is a kind of exemption in the view's language.
func (v *view) FeeKindText(k exam.FeeKind) string { return v.T("feekind." + string(k)) }

// feesData is the fee statement page, of the filter's sessions or of one session.
type feesData struct {
	Session    *sessionInfo // the session's page; nil on the statement page
	Form       url.Values   // the filter as asked (org, site, from, to)
	Query      string       // the filter as the CSV links' query
	Orgs       []exam.Organisation
	Sites      []exam.Site
	Statement  server.FeeStatement
	Candidates []server.FeeCandidate // the exempt candidates, for a role that reads rosters
	Kinds      []exam.FeeKind        // what the change form offers
}

// feeFilter reads the filter of the statement page's query: org, site,
// from and to (days, Beijing time, both inclusive), or a session.
func feeFilter(r *http.Request, v *view) (server.FeeFilter, error) {
	q := r.URL.Query()
	f := server.FeeFilter{SessionID: q.Get("session"), Org: q.Get("org"), Site: q.Get("site")}
	for _, d := range []struct {
		name string
		to   *time.Time
		plus int
	}{{"from", &f.From, 0}, {"to", &f.To, 1}} {
		if s := strings.TrimSpace(q.Get(d.name)); s != "" {
			t, err := time.ParseInLocation(time.DateOnly, s, server.CST)
			if err != nil {
				return f, server.AsInput(fmt.Errorf(v.T("err.fee_day"), s))
			}
			*d.to = t.AddDate(0, 0, d.plus)
		}
	}
	return f, nil
}

func (o *office) loadFees(r *http.Request, v *view) (any, error) {
	d := &feesData{Form: r.URL.Query()}
	cat, err := o.central.Catalogue(r.Context())
	if err != nil {
		return nil, err
	}
	d.Orgs, d.Sites = cat.Organisations, cat.Sites
	f, err := feeFilter(r, v)
	if err != nil {
		return nil, err
	}
	q := url.Values{}
	for _, k := range []string{"session", "org", "site", "from", "to"} {
		if s := d.Form.Get(k); s != "" {
			q.Set(k, s)
		}
	}
	d.Query = q.Encode()
	return d, o.fill(r, v, d, f)
}

func (o *office) loadSessionFees(r *http.Request, v *view) (any, error) {
	s, err := o.session(r)
	if err != nil {
		return nil, err
	}
	info := infoOf(s)
	d := &feesData{Session: &info, Query: url.Values{"session": {s.ID}}.Encode(), Kinds: exam.FeeKinds}
	return d, o.fill(r, v, d, server.FeeFilter{SessionID: s.ID})
}

// fill puts the statement of f into d and, for a role that reads rosters,
// the exempt candidates.
func (o *office) fill(r *http.Request, v *view, d *feesData, f server.FeeFilter) error {
	var err error
	if d.Statement, err = o.central.FeeStatement(r.Context(), f); err != nil {
		return err
	}
	if !v.CanSeeRosters() {
		return nil
	}
	list, err := o.central.FeeCandidates(r.Context(), f)
	if err != nil {
		return err
	}
	for _, c := range list {
		if c.Exemption != "" {
			d.Candidates = append(d.Candidates, c)
		}
	}
	return nil
}

// changeExemption changes a candidate's exemption with the reason the form must give.
func (o *office) changeExemption(w http.ResponseWriter, r *http.Request, v *view) error {
	id := r.PathValue("id")
	ticket := strings.TrimSpace(r.PostFormValue("ticket"))
	reason := strings.TrimSpace(r.PostFormValue("reason"))
	kind := r.PostFormValue("kind")
	if _, ok := exam.ParseFeeKind(kind); !ok && kind != server.NoExemption {
		return server.AsInput(errors.New(v.T("err.fee_kind")))
	}
	switch {
	case ticket == "":
		return server.AsInput(errors.New(v.T("err.fee_ticket")))
	case reason == "":
		return server.AsInput(errors.New(v.T("err.fee_reason")))
	case len([]rune(reason)) > server.MaxExemptionReason:
		return server.AsInput(fmt.Errorf(v.T("err.fee_reason_long"), server.MaxExemptionReason))
	}
	if _, err := o.central.SetFeeExemption(r.Context(), id, ticket, kind, reason, v.actor()); err != nil {
		return err
	}
	o.log.Info("office fee exemption changed", "session", id)
	seeOther(w, r, "/office/sessions/"+url.PathEscape(id)+"/fees", "done.exemption_changed")
	return nil
}

// feeStatementCSV downloads the statement of the query's filter as CSV for Excel: counts, no names.
func (o *office) feeStatementCSV(w http.ResponseWriter, r *http.Request, v *view) {
	o.feeCSV(w, r, v, "fees.csv", func(f server.FeeFilter, buf *bytes.Buffer) error {
		st, err := o.central.FeeStatement(r.Context(), f)
		if err != nil {
			return err
		}
		return server.WriteFeeStatementCSV(buf, st)
	})
}

// feeCandidatesCSV downloads the per-candidate list of the query's filter as CSV for Excel.
func (o *office) feeCandidatesCSV(w http.ResponseWriter, r *http.Request, v *view) {
	o.feeCSV(w, r, v, "fee-candidates.csv", func(f server.FeeFilter, buf *bytes.Buffer) error {
		list, err := o.central.FeeCandidates(r.Context(), f)
		if err != nil {
			return err
		}
		return server.WriteFeeCandidatesCSV(buf, list)
	})
}

// feeCSV sends what write makes of the query's filter as a CSV attachment named name.
func (o *office) feeCSV(w http.ResponseWriter, r *http.Request, v *view, name string, write func(server.FeeFilter, *bytes.Buffer) error) {
	f, err := feeFilter(r, v)
	var buf bytes.Buffer
	if err == nil {
		err = write(f, &buf)
	}
	if err != nil {
		o.errorPage(w, r, v, err)
		return
	}
	attachment(w, "text/csv; charset=utf-8", name)
	w.Write(buf.Bytes())
}

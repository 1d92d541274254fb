package office

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"onex/exam"
	"onex/exam/credit"
	"onex/server"
)

// The office pages of the credit bank (学分银行, issue 17): the conversion
// rule sets (versions, uploading a rule file, a version's rules), a
// learner's account found by ID number (outcomes, conversions, credits,
// applications; applying for an offered conversion), the applications with
// their decisions, and a school's "what would convert".
//
// Who sees what, by server.Allows: the pages are Oversee (admin, staff,
// inspector); an account, which names its learner, and learners' names on
// the applications need Rosters (admin, staff); every change (a rule file,
// an application, a decision) needs Write and is audited by the service.
// Markers and lead markers see nothing of the credit bank.
var (
	creditIndexPage   = page{"credit.html", "title.credit", server.Oversee, (*office).loadCreditIndex}
	creditRulesPage   = page{"credit_rules.html", "title.credit_rules", server.Oversee, (*office).loadCreditRules}
	creditAccountPage = page{"credit_account.html", "title.credit_account", server.Rosters, (*office).loadCreditAccount}
	creditAppsPage    = page{"credit_applications.html", "title.credit_applications", server.Oversee, (*office).loadCreditApps}
	creditSchoolPage  = page{"credit_school.html", "title.credit_school", server.Oversee, (*office).loadCreditSchool}
)

// routesCredit adds the credit bank's pages (Routes calls it).
func routesCredit(mux *http.ServeMux, o *office) {
	mux.Handle("GET /office/credit", o.show(creditIndexPage))
	mux.Handle("POST /office/credit/rules", o.post(server.Write, creditIndexPage, o.importCreditRules))
	mux.Handle("GET /office/credit/rules/{version}", o.show(creditRulesPage))
	mux.Handle("POST /office/credit/account", o.post(server.Rosters, creditIndexPage, o.findAccount))
	mux.Handle("GET /office/credit/accounts/{id}", o.show(creditAccountPage))
	mux.Handle("POST /office/credit/accounts/{id}", o.post(server.Write, creditAccountPage, o.applyCredit))
	mux.Handle("GET /office/credit/applications", o.show(creditAppsPage))
	mux.Handle("POST /office/credit/applications/{id}", o.post(server.Write, creditAppsPage, o.decideCredit))
	mux.Handle("GET /office/credit/school", o.show(creditSchoolPage))
}

// accountURL is the path of a learner account's page (by the account id,
// never the ID number).
func accountURL(id string) string { return "/office/credit/accounts/" + url.PathEscape(id) }

// creditIndexData is the credit bank's start page: the rule set versions.
type creditIndexData struct {
	RuleSets []server.CreditRuleSet
}

func (o *office) loadCreditIndex(r *http.Request, _ *view) (any, error) {
	sets, err := o.central.CreditRules(r.Context())
	return creditIndexData{RuleSets: sets}, err
}

// importCreditRules keeps an uploaded rule file as a new version; a file
// with problems is refused whole, each problem (line, rule, field) listed.
func (o *office) importCreditRules(w http.ResponseWriter, r *http.Request, v *view) error {
	f, err := formFile(r, v)
	if err != nil {
		return err
	}
	name := "rules.json"
	if _, h, err := r.FormFile("file"); err == nil && h.Filename != "" {
		name = h.Filename
	}
	rs, err := o.central.ImportCreditRules(r.Context(), name, f, v.actor())
	var fe *credit.FileError
	if errors.As(err, &fe) {
		p := make([]string, len(fe.Problems))
		for i, pr := range fe.Problems {
			p[i] = pr.String()
		}
		return server.AsInput(&exam.InvalidError{Problems: p})
	}
	if err != nil {
		return err
	}
	seeOther(w, r, "/office/credit/rules/"+strconv.Itoa(rs.Rules.Version), "done.credit_rules")
	return nil
}

// creditRulesData is one rule set version.
type creditRulesData struct {
	Set server.CreditRuleSet
}

func (o *office) loadCreditRules(r *http.Request, _ *view) (any, error) {
	n, err := strconv.Atoi(r.PathValue("version"))
	if err != nil {
		return nil, server.AsInput(errors.New("rule set version: not a number"))
	}
	sets, err := o.central.CreditRules(r.Context())
	if err != nil {
		return nil, err
	}
	for _, s := range sets {
		if s.Rules.Version == n {
			return creditRulesData{Set: s}, nil
		}
	}
	return nil, fmt.Errorf("rule set version %d: %w", n, server.ErrNotFound)
}

// findAccount sends the account of the ID number posted to its page (by
// the account id: the ID number goes into no URL).
func (o *office) findAccount(w http.ResponseWriter, r *http.Request, v *view) error {
	acc, err := o.central.LearnerAccount(r.Context(), r.PostFormValue("id_number"))
	if errors.Is(err, server.ErrNotFound) {
		return server.AsInput(errors.New(v.T("err.credit_no_account")))
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, accountURL(acc.ID), http.StatusSeeOther)
	return nil
}

func (o *office) loadCreditAccount(r *http.Request, _ *view) (any, error) {
	acc, err := o.central.LearnerAccountByID(r.Context(), r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	return &acc, nil
}

// applyCredit applies for a conversion the account offers now, named by
// its outcome, school and course.
func (o *office) applyCredit(w http.ResponseWriter, r *http.Request, v *view) error {
	id := r.PathValue("id")
	acc, err := o.central.LearnerAccountByID(r.Context(), id)
	if err != nil {
		return err
	}
	out, school, course := r.PostFormValue("outcome"), r.PostFormValue("school"), r.PostFormValue("course")
	for _, cv := range acc.Preview.Conversions {
		if !cv.Granted && cv.Outcome == out && cv.School == school && cv.Course == course {
			a, err := o.central.ApplyCredit(r.Context(), id, cv, v.actor())
			if err != nil {
				return err
			}
			o.log.Info("office credit application", "id", a.ID)
			seeOther(w, r, accountURL(id), "done.credit_applied")
			return nil
		}
	}
	return server.AsInput(errors.New(v.T("err.credit_not_offered")))
}

// creditAppsData is the applications page: the filter and what it chose.
type creditAppsData struct {
	State, School string
	States        []credit.State
	Applications  []server.CreditApplication
}

func (o *office) loadCreditApps(r *http.Request, v *view) (any, error) {
	q := r.URL.Query()
	d := creditAppsData{State: q.Get("state"), School: strings.TrimSpace(q.Get("school")),
		States: []credit.State{credit.Applied, credit.Approved, credit.Refused, credit.Withdrawn, credit.Revoked}}
	if d.State == "" && !q.Has("state") {
		d.State = string(credit.Applied)
	}
	apps, err := o.central.CreditApplications(r.Context(), server.ApplicationFilter{School: d.School, State: credit.State(d.State)})
	if err != nil {
		return nil, err
	}
	if !v.CanSeeRosters() {
		for i := range apps {
			apps[i].Name = ""
		}
	}
	d.Applications = apps
	return d, nil
}

// decideCredit approves or refuses an application, with the reason the
// form requires for either.
func (o *office) decideCredit(w http.ResponseWriter, r *http.Request, v *view) error {
	reason := strings.TrimSpace(r.PostFormValue("reason"))
	if reason == "" {
		return server.AsInput(errors.New(v.T("err.credit_reason")))
	}
	var approve bool
	switch r.PostFormValue("decision") {
	case "approve":
		approve = true
	case "refuse":
	default:
		return server.AsInput(errors.New(v.T("err.credit_decision")))
	}
	a, err := o.central.DecideCredit(r.Context(), r.PathValue("id"), approve, reason, v.actor())
	if errors.Is(err, credit.ErrStale) {
		return server.AsInput(errors.New(v.T("err.credit_stale")))
	}
	if err != nil {
		return err
	}
	o.log.Info("office credit decision", "id", a.ID, "state", string(a.State))
	notice := "done.credit_refused"
	if approve {
		notice = "done.credit_approved"
	}
	seeOther(w, r, "/office/credit/applications", notice)
	return nil
}

// creditSchoolData is a school's "what would convert".
type creditSchoolData struct {
	School  string
	Preview *credit.SchoolPreview
}

func (o *office) loadCreditSchool(r *http.Request, _ *view) (any, error) {
	d := creditSchoolData{School: strings.TrimSpace(r.URL.Query().Get("school"))}
	if d.School == "" {
		return d, nil
	}
	p, err := o.central.PreviewSchool(r.Context(), d.School)
	if err != nil {
		return nil, err
	}
	d.Preview = &p
	return d, nil
}

// AppState names an application's state (or an event's action, which
// has the state's word) in the view's language.
func (v *view) AppState(s any) string { return v.T("astate." + fmt.Sprint(s)) }

// Applied reports whether an application waits for its decision.
func (v *view) Applied(s credit.State) bool { return s == credit.Applied }

// ShortID is the first twelve characters of an account id, as the audit log names accounts.
func (v *view) ShortID(id string) string { return id[:min(len(id), 12)] }

// NoteText says which certificate converts to nothing, and why.
func (v *view) NoteText(n credit.Note) string {
	return strings.TrimPrefix(n.Outcome, "certificate:") + ": " + v.T("cwhy."+string(n.Reason))
}

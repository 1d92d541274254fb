package office

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"onex/exam"
	"onex/server"
)

// The pages of results' approval and appeals (issue 15).
var (
	appealsPage       = page{"appeals.html", "title.appeals", server.Write, (*office).loadAppeals}
	appealRescorePage = page{"appeal_rescore.html", "title.appeal_rescore", server.Mark, (*office).loadAppealRescore}
)

// routesResults adds approval, publication and appeals: approving and
// publishing a session's results and the appeals page are staff's
// (Write); the re-score of a practical item's appeal is a moderator's
// (Mark: marker, lead), blind.
func routesResults(mux *http.ServeMux, o *office) {
	mux.Handle("POST /office/sessions/{id}/approve", o.post(server.Write, sessionPage, o.approveResults))
	mux.Handle("POST /office/sessions/{id}/publish", o.post(server.Write, sessionPage, o.publishResults))
	mux.Handle("GET /office/appeals", o.show(appealsPage))
	mux.Handle("POST /office/appeals", o.post(server.Write, appealsPage, o.recordAppeal))
	mux.Handle("POST /office/appeals/{id}/close", o.post(server.Write, appealsPage, o.closeAppeal))
	mux.Handle("GET /office/appeals/rescore", o.show(appealRescorePage))
	mux.Handle("POST /office/appeals/rescore", o.post(server.Mark, appealRescorePage, o.rescoreAppeal))
}

// StateText is a result's state in the view's language.
func (v *view) StateText(s exam.ResultState) string { return v.T("state." + string(s)) }

// NotReadyText says in the view's language why a result cannot be approved yet.
func (v *view) NotReadyText(reasons []exam.NotReady) string {
	out := make([]string, len(reasons))
	for i, r := range reasons {
		out[i] = v.T("notready." + string(r))
	}
	return strings.Join(out, v.T("list.sep"))
}

// approveResults approves every result of the session that is ready, then
// shows the results page, where each result not approved says why.
func (o *office) approveResults(w http.ResponseWriter, r *http.Request, v *view) error {
	return o.step(w, r, v, o.central.Approve, "done.approved")
}

// publishResults publishes every approved result of the session.
func (o *office) publishResults(w http.ResponseWriter, r *http.Request, v *view) error {
	return o.step(w, r, v, o.central.Publish, "done.published")
}

func (o *office) step(w http.ResponseWriter, r *http.Request, v *view, step func(ctx context.Context, sessionID, actor string) (server.StepReport, error), notice string) error {
	id := r.PathValue("id")
	rep, err := step(r.Context(), id, v.actor())
	if err != nil {
		return err
	}
	o.log.Info("office results step", "session", id, "done", len(rep.Done), "already", len(rep.Already), "not_ready", len(rep.Refused))
	seeOther(w, r, "/office/sessions/"+url.PathEscape(id)+"/results", notice)
	return nil
}

// appealsData is the appeals page: every appeal, open first.
type appealsData struct {
	Appeals []server.Appeal
	Today   string // the received field's default, in China Standard Time
}

func (o *office) loadAppeals(r *http.Request, v *view) (any, error) {
	as, err := o.central.Appeals(r.Context(), r.URL.Query().Get("session"))
	return appealsData{Appeals: as, Today: o.central.Now().In(server.CST).Format(time.DateOnly)}, err
}

// Sum is the total of marks per criterion.
func (v *view) Sum(marks []float64) float64 {
	var t float64
	for _, m := range marks {
		t += m
	}
	return t
}

// recordAppeal records a candidate's appeal, naming every field at fault.
func (o *office) recordAppeal(w http.ResponseWriter, r *http.Request, v *view) error {
	var problems []string
	req := server.AppealRequest{SessionID: strings.TrimSpace(r.PostFormValue("session")), Ticket: strings.TrimSpace(r.PostFormValue("ticket")),
		Items:  strings.FieldsFunc(r.PostFormValue("items"), func(c rune) bool { return c == ',' || c == '，' || c == ' ' || c == '、' }),
		Reason: strings.TrimSpace(r.PostFormValue("reason"))}
	for _, f := range []struct{ value, key string }{{req.SessionID, "err.session_missing"}, {req.Ticket, "err.ticket_missing"}, {req.Reason, "err.appeal_reason"}} {
		if f.value == "" {
			problems = append(problems, v.T(f.key))
		}
	}
	if len(req.Items) == 0 {
		problems = append(problems, v.T("err.appeal_items"))
	}
	received := strings.TrimSpace(r.PostFormValue("received"))
	t, err := time.ParseInLocation(time.DateOnly, received, server.CST)
	if err != nil {
		problems = append(problems, fmt.Sprintf(v.T("err.received_date"), received))
	}
	req.Received = t
	if len(problems) > 0 {
		return server.AsInput(&exam.InvalidError{Problems: problems})
	}
	if _, err := o.central.RecordAppeal(r.Context(), req, v.actor()); err != nil {
		if errors.Is(err, server.ErrAppealOpen) {
			return server.AsInput(errors.New(v.T("err.appeal_open")))
		}
		return err
	}
	seeOther(w, r, "/office/appeals", "done.appeal_recorded")
	return nil
}

// closeAppeal records an appeal's outcome: confirm the re-mark, or not
// (with a note).
func (o *office) closeAppeal(w http.ResponseWriter, r *http.Request, v *view) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id < 1 {
		return server.AsInput(errors.New(v.T("err.appeal_id")))
	}
	_, err = o.central.CloseAppeal(r.Context(), id, r.PostFormValue("confirm") == "1", r.PostFormValue("note"), v.actor())
	switch {
	case errors.Is(err, server.ErrNoRemark):
		return server.AsInput(errors.New(v.T("err.appeal_no_remark")))
	case errors.Is(err, server.ErrAppealClosed):
		return server.AsInput(errors.New(v.T("err.appeal_closed")))
	case err != nil:
		return err
	}
	seeOther(w, r, "/office/appeals", "done.appeal_closed")
	return nil
}

// appealRescoreData is the moderator's page: the next practical item's
// appeal to re-score, blind; nil when there is none.
type appealRescoreData struct {
	Next *server.AppealRescore
}

func (o *office) loadAppealRescore(r *http.Request, v *view) (any, error) {
	next, err := orNone(o.central.NextAppealRescore(r.Context(), v.UserName))
	return appealRescoreData{Next: next}, err
}

// orNone is what a page hands out next, nil when there is none (ErrNotFound).
func orNone[T any](next T, err error) (*T, error) {
	switch {
	case errors.Is(err, server.ErrNotFound):
		return nil, nil
	case err != nil:
		return nil, err
	}
	return &next, nil
}

// rescoreAppeal records a moderator's re-score of a practical item's appeal.
func (o *office) rescoreAppeal(w http.ResponseWriter, r *http.Request, v *view) error {
	id, err := strconv.ParseInt(r.PostFormValue("appeal"), 10, 64)
	if err != nil || id < 1 {
		return server.AsInput(errors.New(v.T("err.appeal_id")))
	}
	var marks []float64
	for i, s := range r.PostForm["mark"] {
		m, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil {
			return server.AsInput(fmt.Errorf(v.T("err.mark"), i+1, s))
		}
		marks = append(marks, m)
	}
	err = o.central.RemarkAppeal(r.Context(), id, marks, v.UserName)
	switch {
	case errors.Is(err, server.ErrRemarked) || errors.Is(err, server.ErrAppealClosed):
		return server.AsInput(errors.New(v.T("err.appeal_rescored")))
	case err != nil:
		return err
	}
	seeOther(w, r, "/office/appeals/rescore", "done.appeal_rescored")
	return nil
}

// CanRescoreAppeals reports whether the user re-scores practical items'
// appeals (a moderator: marker or lead) without managing appeals.
func (v *view) CanRescoreAppeals() bool {
	return server.Allows(v.Role, server.Mark) && !server.Allows(v.Role, server.Write)
}

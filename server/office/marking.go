package office

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"onex/exam"
	"onex/server"
)

// The marking pages (issue 15, docs/marking.md): a marker's page hands out
// one task at a time, blind — the script's pseudonymous id, the item, its
// rubric and reference answer, and the response, never anything of the
// candidate — and is marked with the keyboard alone, without script (the
// office's Content-Security-Policy allows none): focus starts in the first
// criterion (autofocus), digits type the mark, Tab goes to the next
// criterion, and Enter sends the form: while a criterion is still empty the
// page comes back with the marks typed so far and the focus in the first
// empty one, so that Enter also moves on; once every criterion has its mark
// Enter gives it and the next task loads. The lead's pages list the problem
// scripts and arbitrations and hand them out the same way, with the marks
// given so far and by whom.
var (
	markTaskPage = page{"mark.html", "title.mark", server.Mark, (*office).loadMarkTask}
	leadPage     = page{"lead.html", "title.lead", server.Lead, (*office).loadLead}
	leadTaskPage = page{"mark.html", "title.lead_task", server.Lead, (*office).loadMarkTask}
)

// routesMarking adds the marking pages.
func routesMarking(mux *http.ServeMux, o *office) {
	mux.Handle("GET /office/mark", o.signedIn(server.Mark, o.markNext(false)))
	mux.Handle("POST /office/mark/{task}", o.post(server.Mark, markTaskPage, o.mark))
	mux.Handle("POST /office/mark/{task}/flag", o.post(server.Mark, markTaskPage, o.flag))
	mux.Handle("GET /office/mark/{task}/files/{n}", o.signedIn(server.Mark, o.attachment(o.scriptFile)))
	mux.Handle("GET /office/lead", o.show(leadPage))
	mux.Handle("GET /office/lead/next", o.signedIn(server.Lead, o.markNext(true)))
	mux.Handle("POST /office/lead/{task}", o.post(server.Lead, leadTaskPage, o.mark))
}

// CanMark reports whether the user marks (the marker's page).
func (v *view) CanMark() bool { return server.Allows(v.Role, server.Mark) }

// CanLead reports whether the user takes the lead's tasks (the lead's pages).
func (v *view) CanLead() bool { return server.Allows(v.Role, server.Lead) }

// markData is a task as the marking pages show it: nothing of the candidate.
type markData struct {
	Script     string // the pseudonymous script id
	Purpose    string
	Stem       string
	Reference  string
	Response   string
	Files      []markFile // a hand-in item's files
	Points     float64
	Criteria   []criterionField
	Action     string // where the marks go
	Lead       bool   // a lead-only task: the lead's page, with the marks so far and a note
	FlagAction string // where a flag goes ("" on the lead's page)
	// ProblemKinds are the problems a marker may flag.
	ProblemKinds []string
	progressView

	// The lead's page: the marks and flags given so far, by whom.
	Given []server.GivenMark
	Flags []server.GivenMark
	Note  string
	Cols  int
}

// criterionField is one rubric criterion's input.
type criterionField struct {
	N     int // 1-based
	Label string
	Max   float64
	Value string
	Focus bool
}

// markFile is a handed-in file as the marking pages show it: by its index,
// never its name (a file name may carry the candidate's); text inline,
// anything else a download named by the script id and the index.
type markFile struct {
	N       int // 1-based
	Size    int64
	Text    string
	Inline  bool
	Link    string
	Problem string // the file is not complete at central yet
}

// idleData is the page of a marker with nothing to mark, or paused.
type idleData struct {
	Paused bool
	Lead   bool
	progressView
}

// progressView is the user's counts on a marking page.
type progressView struct{ Progress server.MarkerProgress }

// Waiting is how many scripts wait for the user, "1000+" beyond the count.
func (p progressView) Waiting() string {
	if p.Progress.More {
		return strconv.Itoa(p.Progress.Waiting) + "+"
	}
	return strconv.Itoa(p.Progress.Waiting)
}

// markNext hands the user the next task of a queue (lead: the lead's) and
// shows it; with none, or while the user is paused, a page that says so.
func (o *office) markNext(lead bool) func(http.ResponseWriter, *http.Request, *view) {
	return func(w http.ResponseWriter, r *http.Request, v *view) {
		if key := r.URL.Query().Get("msg"); strings.HasPrefix(key, "done.") && v.Lang.has(key) {
			v.Notice = key
		}
		next := o.central.Next
		p := markTaskPage
		if lead {
			next, p = o.central.NextLead, leadTaskPage
		}
		sv, err := next(r.Context(), v.UserName)
		if errors.Is(err, server.ErrNoTask) || errors.Is(err, server.ErrPaused) {
			prog, perr := o.central.MarkerProgress(r.Context(), v.UserName, lead)
			if perr != nil {
				o.errorPage(w, r, v, perr)
				return
			}
			v.Title = "title.mark_nothing"
			if errors.Is(err, server.ErrPaused) {
				v.Title = "title.mark_paused"
			}
			v.Data = idleData{Paused: errors.Is(err, server.ErrPaused), Lead: lead, progressView: progressView{prog}}
			o.write(w, http.StatusOK, "markidle.html", v)
			return
		}
		if err != nil {
			o.errorPage(w, r, v, markingError(v, err))
			return
		}
		d, err := o.markView(r, v, sv)
		if err != nil {
			o.errorPage(w, r, v, err)
			return
		}
		v.Title, v.Data = p.title, d
		o.write(w, http.StatusOK, p.tmpl, v)
	}
}

// loadMarkTask loads the task of the path for the user who holds it, with
// the marks of a form sent back filled in again.
func (o *office) loadMarkTask(r *http.Request, v *view) (any, error) {
	id, err := taskID(r, v)
	if err != nil {
		return nil, err
	}
	sv, err := o.central.ScriptView(r.Context(), v.UserName, id)
	if err != nil {
		return nil, markingError(v, err)
	}
	return o.markView(r, v, sv)
}

// markView makes the page of a task: the item, the response, one field per
// criterion (with the values of a form sent back, the focus in the first
// that is empty or refused), and the user's progress.
func (o *office) markView(r *http.Request, v *view, sv server.ScriptView) (markData, error) {
	d := markData{Script: sv.ScriptID, Purpose: sv.Purpose, Stem: sv.Item.Stem, Reference: sv.Item.Reference,
		Response: sv.Response.Text, Points: sv.Item.Points, Note: v.Form.Get("note")}
	id := strconv.FormatInt(sv.TaskID, 10)
	if sv.LeadOnly {
		d.Lead, d.Action = true, "/office/lead/"+id
		for _, g := range sv.Earlier {
			if g.Flag != "" {
				d.Flags = append(d.Flags, g)
			} else {
				d.Given = append(d.Given, g)
			}
		}
		d.Cols = len(sv.Item.Rubric) + 5
	} else {
		d.Action, d.FlagAction, d.ProblemKinds = "/office/mark/"+id, "/office/mark/"+id+"/flag", server.Problems
	}
	files, err := o.central.ScriptFiles(r.Context(), v.UserName, sv.TaskID)
	if err != nil {
		return d, markingError(v, err)
	}
	d.Files = fileViews(files, 0, "/office/mark/"+id+"/files/")
	sent := v.Form["m"]
	focus := -1
	for i, c := range sv.Item.Rubric {
		f := criterionField{N: i + 1, Label: c.Criterion, Max: c.Points}
		if i < len(sent) {
			f.Value = strings.TrimSpace(sent[i])
		}
		if focus < 0 && (f.Value == "" || len(v.Problems) > 0 && checkMark(f.Value, c.Points, sv.Item.Rule.Step) != nil) {
			focus = i
		}
		d.Criteria = append(d.Criteria, f)
	}
	if focus < 0 {
		focus = 0
	}
	if len(d.Criteria) > 0 {
		d.Criteria[focus].Focus = true
	}
	prog, err := o.central.MarkerProgress(r.Context(), v.UserName, sv.LeadOnly)
	if err != nil {
		return d, err
	}
	d.Progress = prog
	return d, nil
}

// checkMark checks one criterion's mark as typed: a decimal number (digits
// and a point: no sign, exponent, hexadecimal, NaN or infinity) in 0..max,
// a multiple of the step (what the service checks again, with the item's
// rule).
func checkMark(s string, max, step float64) error {
	if !decimal.MatchString(s) {
		return errNotANumber
	}
	f, err := strconv.ParseFloat(s, 64)
	switch {
	case err != nil:
		return errNotANumber
	case f < 0 || f > max:
		return errOutOfRange
	case step > 0 && math.Abs(f/step-math.Round(f/step)) > 1e-9:
		return errOffStep
	}
	return nil
}

// decimal is a mark as a number input sends it.
var decimal = regexp.MustCompile(`^(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)$`)

var (
	errNotANumber = errors.New("not a number")
	errOutOfRange = errors.New("out of range")
	errOffStep    = errors.New("not a multiple of the step")
)

// taskID reads the task of the path.
func taskID(r *http.Request, v *view) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("task"), 10, 64)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("%s: %w", v.T("err.no_task"), server.ErrNotFound)
	}
	return id, nil
}

// markingError says in the user's language why a marking call was refused:
// another marker's task is a 403 that says why, a task done or gone a 404.
func markingError(v *view, err error) error {
	switch {
	case errors.Is(err, server.ErrNotYours):
		return forbidden(v.T("err.not_yours"))
	case errors.Is(err, server.ErrForbidden):
		return forbidden(v.T("err.role"))
	case errors.Is(err, server.ErrTaskDone):
		return fmt.Errorf("%s: %w", v.T("err.task_done"), server.ErrNotFound)
	case errors.Is(err, server.ErrNotFound):
		return fmt.Errorf("%s: %w", v.T("err.no_task"), server.ErrNotFound)
	}
	return err
}

// mark gives the marks of the form on a task the user holds (on the lead's
// page, with the lead's note, final). While a criterion is empty the page
// comes back with the focus in it; marks that are not numbers in range are
// refused, naming the criterion. Once given, the next task loads.
func (o *office) mark(w http.ResponseWriter, r *http.Request, v *view) error {
	id, err := taskID(r, v)
	if err != nil {
		return err
	}
	lead := strings.HasPrefix(r.URL.Path, "/office/lead/")
	sv, err := o.central.ScriptView(r.Context(), v.UserName, id)
	if err != nil {
		return o.gone(w, r, v, lead, err)
	}
	sent := r.PostForm["m"]
	marks := make([]float64, len(sv.Item.Rubric))
	var problems []string
	for i, c := range sv.Item.Rubric {
		s := ""
		if i < len(sent) {
			s = strings.TrimSpace(sent[i])
		}
		if s == "" { // Enter before the last criterion: on to the first empty one
			v.Form = r.PostForm
			p := markTaskPage
			if sv.LeadOnly {
				p = leadTaskPage
			}
			o.render(w, r, v, http.StatusOK, p, nil)
			return nil
		}
		switch err := checkMark(s, c.Points, sv.Item.Rule.Step); err {
		case errNotANumber:
			problems = append(problems, fmt.Sprintf(v.T("err.mark_number"), i+1, s))
		case errOutOfRange:
			problems = append(problems, fmt.Sprintf(v.T("err.mark_range"), i+1, s, c.Points))
		case errOffStep:
			problems = append(problems, fmt.Sprintf(v.T("err.mark_step"), i+1, s, sv.Item.Rule.Step))
		}
		marks[i], _ = strconv.ParseFloat(s, 64)
	}
	if len(problems) > 0 {
		return server.AsInput(&exam.InvalidError{Problems: problems})
	}
	if sv.LeadOnly {
		note := strings.TrimSpace(r.PostFormValue("note"))
		if note == "" {
			return server.AsInput(&exam.InvalidError{Problems: []string{v.T("err.lead_note")}})
		}
		_, err = o.central.LeadMark(r.Context(), v.UserName, id, marks, 0, note)
	} else {
		_, err = o.central.Mark(r.Context(), v.UserName, id, marks, 0)
	}
	if err != nil {
		return o.gone(w, r, v, lead, err)
	}
	to := "/office/mark"
	if lead {
		to = "/office/lead/next"
	}
	seeOther(w, r, to, "done.marked")
	return nil
}

// flag sends the script of a task the marker holds to the lead, with the
// problem and a note; the next task loads.
func (o *office) flag(w http.ResponseWriter, r *http.Request, v *view) error {
	id, err := taskID(r, v)
	if err != nil {
		return err
	}
	problem := r.PostFormValue("problem")
	if !slices.Contains(server.Problems, problem) {
		return server.AsInput(&exam.InvalidError{Problems: []string{v.T("err.problem")}})
	}
	note := strings.TrimSpace(r.PostFormValue("note"))
	if problem == server.ProblemMisconduct && note == "" {
		return server.AsInput(&exam.InvalidError{Problems: []string{v.T("err.flag_note")}})
	}
	if err := o.central.Flag(r.Context(), v.UserName, id, problem, note); err != nil {
		return o.gone(w, r, v, false, err)
	}
	seeOther(w, r, "/office/mark", "done.flagged")
	return nil
}

// gone answers a mark on a task that is no longer the user's to give: done
// already (a form sent twice), or the marker marked the script already
// (the task went back to the queue): on to the next task, saying so.
// Anything else is refused as markingError says.
func (o *office) gone(w http.ResponseWriter, r *http.Request, v *view, lead bool, err error) error {
	if errors.Is(err, server.ErrTaskDone) || errors.Is(err, server.ErrMarkedOnce) {
		to := "/office/mark"
		if lead {
			to = "/office/lead/next"
		}
		seeOther(w, r, to, "done.task_gone")
		return nil
	}
	return markingError(v, err)
}

// leadData is the lead's list: the open problem scripts and arbitrations.
type leadData struct {
	Tasks []leadRow
}

// leadRow is a lead's task on the list: by script id, never the candidate.
type leadRow struct {
	Script, Purpose, Problem string
	Since                    time.Time
	Held                     string // the lead holding it, "" when free
}

func (o *office) loadLead(r *http.Request, _ *view) (any, error) {
	tasks, err := o.central.LeadTasks(r.Context())
	if err != nil {
		return nil, err
	}
	now := o.central.Now()
	var d leadData
	for _, t := range tasks {
		row := leadRow{Script: t.ScriptID, Purpose: t.Purpose, Problem: t.Problem, Since: t.CreatedAt}
		if t.ClaimUntil.After(now) {
			row.Held = t.ClaimedBy
		}
		d.Tasks = append(d.Tasks, row)
	}
	return d, nil
}

// fileViews are handed-in files as a page shows them, numbered from
// first+1, each linked to link and its number: text inline, never a name.
func fileViews(files []server.HandedFile, first int, link string) []markFile {
	var out []markFile
	for i, f := range files {
		n := first + i + 1
		mf := markFile{N: n, Size: f.Size, Problem: f.Problem, Link: link + strconv.Itoa(n)}
		if f.Complete() && isText(f.Content) {
			mf.Text, mf.Inline = string(f.Content), true
		}
		out = append(out, mf)
	}
	return out
}

// attachment sends the handed-in file that file finds for the request as an
// attachment under the name it gives (a pseudonymous id, the file's index
// and its extension, letters and digits only): never the name the
// candidate gave.
func (o *office) attachment(file func(*http.Request, *view) (string, []byte, error)) func(http.ResponseWriter, *http.Request, *view) {
	return func(w http.ResponseWriter, r *http.Request, v *view) {
		name, content, err := file(r, v)
		if err != nil {
			o.errorPage(w, r, v, err)
			return
		}
		sendAttachment(w, name, content)
	}
}

// pickFile is the file of the path's number {n} (1-based) among files, if
// complete: its download name (id, the number and the extension) and
// content.
func pickFile(r *http.Request, v *view, files []server.HandedFile, id string) (string, []byte, error) {
	n, err := strconv.Atoi(r.PathValue("n"))
	if err != nil || n < 1 || n > len(files) || !files[n-1].Complete() {
		return "", nil, fmt.Errorf("%s: %w", v.T("err.no_file_here"), server.ErrNotFound)
	}
	return fmt.Sprintf("%s-%d%s", id, n, extension(files[n-1].Name)), files[n-1].Content, nil
}

// scriptFile is the file of the path, of the script of a task the user
// holds: its download name and content.
func (o *office) scriptFile(r *http.Request, v *view) (string, []byte, error) {
	id, err := taskID(r, v)
	if err != nil {
		return "", nil, err
	}
	sv, err := o.central.ScriptView(r.Context(), v.UserName, id)
	if err != nil {
		return "", nil, markingError(v, err)
	}
	files, err := o.central.ScriptFiles(r.Context(), v.UserName, id)
	if err != nil {
		return "", nil, markingError(v, err)
	}
	return pickFile(r, v, files, sv.ScriptID)
}

// extension is a file name's extension as a download keeps it: a dot and
// up to 10 ASCII letters or digits, lower case; "" for any other.
func extension(name string) string {
	ext := strings.ToLower(path.Ext(name))
	if len(ext) < 2 || len(ext) > 11 || !asciiAlnum.MatchString(ext[1:]) {
		return ""
	}
	return ext
}

var asciiAlnum = regexp.MustCompile(`^[a-z0-9]+$`)

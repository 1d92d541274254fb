// Package office is the office pages of central: server-rendered HTML that
// works without JavaScript, in Chinese first and English on request, for
// signed-in users by role. Each page is a template of its own in web/, drawn
// inside web/layout.html; every string goes through the translation table of
// i18n.go. Handlers only read the form, call the service (package server)
// and render.
package office

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"onex/exam"
	"onex/exam/seal"
	"onex/server"
	"onex/server/web/conn"
)

//go:embed web/*.html web/static
var web embed.FS

// officePages holds one template set per page: the layout and the page's "content".
var officePages = func() map[string]*template.Template {
	funcs := template.FuncMap{"when": when, "masked": maskedID, "skew": skew}
	names, err := fs.Glob(web, "web/*.html")
	if err != nil {
		panic(err)
	}
	out := map[string]*template.Template{}
	for _, n := range names {
		if base := path.Base(n); base != "layout.html" {
			out[base] = template.Must(template.New(base).Funcs(funcs).ParseFS(web, "web/layout.html", n))
		}
	}
	return out
}()

// Office limits.
const (
	maxFormBytes   = 64 << 10
	maxUploadBytes = server.MaxImport + 1<<20
	auditShown     = 500 // newest audit entries on the audit page
)

// office serves the office pages of a central.
type office struct {
	central *server.Central
	log     *slog.Logger
}

// view is what every office template is given.
type view struct {
	Lang     lang
	Path     string // the page's path, for the language links
	UserName string // empty when signed out
	Role     string
	CSRF     string
	Title    string     // translation key
	Notice   string     // translation key of what just succeeded
	Problems []string   // why the input was refused
	Secret   *secret    // a code shown once, on request
	Form     url.Values // the refused form's values, to fill it again
	Refresh  int        // seconds after which the page reloads itself (live counts); 0: never
	Data     any
}

// secret is a one-time code the office reads out or hands over.
type secret struct {
	Label string
	Code  string
	Until time.Time
}

// T translates a key into the view's language.
func (v *view) T(key string) string { return v.Lang.T(key) }

// FlagText says in the view's language why a record's time is not trusted,
// and what central shows instead; "" for a record whose time is plausible.
func (v *view) FlagText(t server.RecordTime) string {
	if t.Flag == "" {
		return ""
	}
	side := v.T("flag.late")
	if t.Flag == "early" {
		side = v.T("flag.early")
	}
	var shown string
	switch {
	case t.Estimated():
		shown = fmt.Sprintf(v.T("flag.estimate"), t.Skew().Round(time.Second), when(t.Shown), when(t.Received))
	case t.SkewMS != nil:
		shown = fmt.Sprintf(v.T("flag.received"), when(t.Received), t.Skew().Round(time.Second))
	default:
		shown = fmt.Sprintf(v.T("flag.no_skew"), when(t.Received))
	}
	return fmt.Sprintf(v.T("flag.text"), when(t.Device), side, shown)
}

// CanWrite reports whether the user may change things.
func (v *view) CanWrite() bool { return server.Allows(v.Role, server.Write) }

// CanOversee reports whether the user may see sessions, sites, results, conflicts and the audit log.
func (v *view) CanOversee() bool { return server.Allows(v.Role, server.Oversee) }

// CanAdmin reports whether the user may do what only an administrator does (revoke a device).
func (v *view) CanAdmin() bool { return server.Allows(v.Role, server.Admin) }

// CanSeeRosters reports whether the user may see candidates on rosters.
func (v *view) CanSeeRosters() bool { return server.Allows(v.Role, server.Rosters) }

// actor names the signed-in user in the audit log.
func (v *view) actor() string { return "office " + v.UserName }

// page is an office page: its template, its title, what it needs of the
// user's role and how to load its data for the user.
type page struct {
	tmpl  string
	title string
	need  server.Access
	load  func(o *office, r *http.Request, v *view) (any, error)
}

// action is what a POST form does once the role and the CSRF token are
// checked: it answers on success, or returns an error that is shown on
// its page.
type action func(w http.ResponseWriter, r *http.Request, v *view) error

// forbidden is the error of a request the user's role or form does not allow; its text is shown.
type forbidden string

func (e forbidden) Error() string { return string(e) }

var errSignedOut = errors.New("signed out")

// Routes adds the office pages to mux, under /office/.
func Routes(mux *http.ServeMux, c *server.Central, log *slog.Logger) {
	o := &office{central: c, log: log}
	static, err := fs.Sub(web, "web/static")
	if err != nil {
		panic(err)
	}
	mux.Handle("GET /office/static/", http.StripPrefix("/office/static/", filesOnly(http.FileServerFS(static))))
	mux.HandleFunc("GET /office/signin", o.signInPage)
	mux.HandleFunc("POST /office/signin", o.signIn)

	for pattern, p := range map[string]page{
		"/office/{$}": cataloguePage, "/office/papers": papersPage, "/office/sites": sitesPage,
		"/office/sessions": sessionsPage, "/office/sessions/{id}": sessionPage, "/office/sessions/{id}/results": resultsPage,
		"/office/audit": auditPage, "/office/conflicts": conflictsPage, "/office/records": recordsPage,
	} {
		mux.Handle("GET "+pattern, o.show(p))
	}
	mux.Handle("GET /office/sessions/{id}/results.csv", o.signedIn(server.Oversee, o.resultsCSV))
	mux.Handle("POST /office/signout", o.post(server.Read, cataloguePage, o.signOut))
	mux.Handle("POST /office/{$}", o.post(server.Write, cataloguePage, importFile(c.ImportCatalogue, "/office/", "done.catalogue_imported")))
	mux.Handle("POST /office/papers", o.post(server.Write, papersPage, importFile(c.ImportPaper, "/office/papers", "done.paper_imported")))
	mux.Handle("POST /office/sites", o.post(server.Write, sitesPage, o.enrolCode))
	mux.Handle("POST /office/sessions", o.post(server.Write, sessionsPage, o.scheduleSession))
	mux.Handle("POST /office/sessions/{id}", o.post(server.Write, sessionPage, o.sessionAction))
	mux.Handle("POST /office/conflicts", o.post(server.Write, conflictsPage, o.decide))
	mux.Handle("POST /office/records", o.post(server.Write, recordsPage, o.importRecords))
	mux.Handle("POST /office/devices/{id}/revoke", o.post(server.Admin, sitesPage, o.revokeDevice))
	routesMarking(mux, o)
	routesQuality(mux, o)
	routesResults(mux, o)
	routesHandIn(mux, o)
	routesCertificates(mux, o)
	routesInspections(mux, o)
	routesCredit(mux, o)
	routesFees(mux, o)
	mux.Handle("GET /{$}", http.RedirectHandler("/office/", http.StatusSeeOther))
}

// filesOnly serves files and no directory listing.
func filesOnly(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "" || strings.HasSuffix(r.URL.Path, "/") {
			http.NotFound(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// newView starts a view in the request's language: ?lang= (remembered in a
// cookie), else the cookie, else Chinese.
func newView(w http.ResponseWriter, r *http.Request) *view {
	v := &view{Lang: zh, Path: r.URL.Path}
	if q, ok := parseLang(r.URL.Query().Get("lang")); ok {
		v.Lang = q
		setCookie(w, r, langCookie, q.String(), 365*24*3600)
	} else if ck, err := r.Cookie(langCookie); err == nil {
		if l, ok := parseLang(ck.Value); ok {
			v.Lang = l
		}
	}
	return v
}

// setCookie sets an office cookie: HttpOnly, SameSite=Strict, and Secure
// when the request came over HTTPS (as package web decided, behind a proxy
// too). A negative maxAge deletes it.
func setCookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: "/office/", MaxAge: maxAge,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: conn.Secure(r)})
}

// show serves a page to any signed-in user.
func (o *office) show(p page) http.Handler {
	return o.signedIn(p.need, func(w http.ResponseWriter, r *http.Request, v *view) {
		if key := r.URL.Query().Get("msg"); strings.HasPrefix(key, "done.") && v.Lang.has(key) {
			v.Notice = key
		}
		o.render(w, r, v, http.StatusOK, p, nil)
	})
}

// post serves a form: it checks the role, reads the form within its limits,
// checks the CSRF token, then runs the action; what the action refuses is
// shown on the page with a 4xx status and the form filled in again.
func (o *office) post(need server.Access, p page, act action) http.Handler {
	return o.signedIn(need, func(w http.ResponseWriter, r *http.Request, v *view) {
		if err := parseForm(w, r); err != nil {
			o.refused(w, r, v, p, err)
			return
		}
		if r.MultipartForm != nil {
			defer r.MultipartForm.RemoveAll()
		}
		if !seal.TokensEqual(r.PostFormValue("csrf"), v.CSRF) {
			o.errorPage(w, r, v, forbidden(v.T("err.csrf")))
			return
		}
		if err := act(w, r, v); err != nil {
			v.Form = r.PostForm
			o.refused(w, r, v, p, err)
		}
	})
}

// parseForm reads a form body: an upload up to maxUploadBytes, any other form up to maxFormBytes.
func parseForm(w http.ResponseWriter, r *http.Request) error {
	var err error
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "multipart/form-data" {
		r.Body = http.MaxBytesReader(w, r.Body, maxUploadBytes)
		err = r.ParseMultipartForm(maxUploadBytes) // all in memory: an upload (a roster) never touches the disk in the clear
	} else {
		r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
		err = r.ParseForm()
	}
	var tooBig *http.MaxBytesError
	if err != nil && !errors.As(err, &tooBig) {
		return server.AsInput(fmt.Errorf("form: %v", err))
	}
	return err
}

// formFile returns the content of the form's uploaded file.
func formFile(r *http.Request, v *view) (io.Reader, error) {
	f, _, err := r.FormFile("file")
	if err != nil {
		return nil, server.AsInput(errors.New(v.T("err.no_file")))
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		return nil, fmt.Errorf("read upload: %w", err)
	}
	return bytes.NewReader(b), nil
}

// seeOther answers a successful form: to the page at to, with a notice.
func seeOther(w http.ResponseWriter, r *http.Request, to, notice string) {
	http.Redirect(w, r, to+"?msg="+url.QueryEscape(notice), http.StatusSeeOther)
}

// render loads a page's data and writes the page.
func (o *office) render(w http.ResponseWriter, r *http.Request, v *view, status int, p page, problems []string) {
	data, err := p.load(o, r, v)
	if err != nil {
		o.errorPage(w, r, v, err)
		return
	}
	v.Title, v.Data, v.Problems = p.title, data, problems
	o.write(w, status, p.tmpl, v)
}

func (o *office) write(w http.ResponseWriter, status int, tmpl string, v *view) {
	var buf bytes.Buffer
	if err := officePages[tmpl].ExecuteTemplate(&buf, "layout.html", v); err != nil {
		o.log.Error("render office page", "page", tmpl, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// status maps an error to its HTTP status and what the user is told:
// the reasons of a refusal, or nothing of what central did wrong.
func (o *office) status(r *http.Request, v *view, err error) (int, []string) {
	var tooBig *http.MaxBytesError
	var invalid *exam.InvalidError
	var denied forbidden
	switch {
	case errors.As(err, &tooBig):
		return http.StatusRequestEntityTooLarge, []string{fmt.Sprintf(v.T("err.too_big"), tooBig.Limit>>20)}
	case errors.Is(err, errSignedOut):
		return http.StatusUnauthorized, []string{v.T("err.signed_out")}
	case errors.As(err, &denied):
		return http.StatusForbidden, []string{string(denied)}
	case errors.Is(err, server.ErrInput) && errors.As(err, &invalid):
		return http.StatusBadRequest, invalid.Problems
	case errors.Is(err, server.ErrInput):
		return http.StatusBadRequest, []string{err.Error()}
	case errors.Is(err, server.ErrNotFound):
		return http.StatusNotFound, []string{err.Error()}
	}
	o.log.Error("office request failed", "route", r.Pattern, "err", err)
	return http.StatusInternalServerError, []string{v.T("err.internal")}
}

// refused shows why a form was refused: on the form's page when the input
// was at fault, else on the error page.
func (o *office) refused(w http.ResponseWriter, r *http.Request, v *view, p page, err error) {
	status, problems := o.status(r, v, err)
	if status == http.StatusBadRequest || status == http.StatusRequestEntityTooLarge {
		o.render(w, r, v, status, p, problems)
		return
	}
	o.errorPage(w, r, v, err)
}

func (o *office) errorPage(w http.ResponseWriter, r *http.Request, v *view, err error) {
	status, problems := o.status(r, v, err)
	v.Title, v.Problems, v.Data = "title.error", problems, nil
	o.write(w, status, "error.html", v)
}

// when formats a time as sites read it, in China Standard Time.
func when(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.In(server.CST).Format("2006-01-02 15:04")
}

// maskedID shows the first and last four characters of an ID number.
func maskedID(id string) string {
	r := []rune(id)
	if len(r) <= 8 {
		return strings.Repeat("*", len(r))
	}
	return string(r[:4]) + strings.Repeat("*", len(r)-8) + string(r[len(r)-4:])
}

// skew formats a device's clock skew in milliseconds.
func skew(ms int64) string {
	return (time.Duration(ms) * time.Millisecond).Round(time.Second).String()
}

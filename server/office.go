package server

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"onex/exam"
	"onex/exam/seal"
	"onex/server/store"
)

// The office pages: server-rendered HTML that works without JavaScript, in
// Chinese first and English on request. Each page is a template of its own
// in web/, drawn inside web/layout.html; every string goes through the
// translation table of office_i18n.go.

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
	webSessionLifetime = 12 * time.Hour
	maxFormBytes       = 64 << 10
	maxUploadBytes     = maxImport + 1<<20
	skewLimit          = 5 * time.Minute
	auditShown         = 500 // newest audit entries on the audit page
)

// access is what a page needs of the signed-in user's role.
type access int

const (
	canRead  access = iota // any office role
	canWrite               // admin and organisation staff
)

func allowed(role string, need access) bool {
	switch role {
	case RoleAdmin, RoleStaff:
		return true
	case RoleMarker, RoleInspector:
		return need == canRead
	}
	return false
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

// CanWrite reports whether the user may change things.
func (v *view) CanWrite() bool { return allowed(v.Role, canWrite) }

// actor names the signed-in user in the audit log.
func (v *view) actor() string { return "office " + v.UserName }

// page is an office page: its template, its title and how to load its data.
type page struct {
	tmpl  string
	title string
	load  func(c *Central, r *http.Request) (any, error)
}

// action is what a POST form does once the role and the CSRF token are
// checked: it answers on success, or returns an error that is shown on
// its page.
type action func(w http.ResponseWriter, r *http.Request, v *view) error

// forbidden is the error of a request the user's role or form does not allow; its text is shown.
type forbidden string

func (e forbidden) Error() string { return string(e) }

var errSignedOut = errors.New("signed out")

func (c *Central) officeRoutes(mux *http.ServeMux) {
	static, err := fs.Sub(web, "web/static")
	if err != nil {
		panic(err)
	}
	handle := func(pattern string, h http.Handler) { mux.Handle(pattern, officeHeaders(h)) }
	handle("GET /office/static/", http.StripPrefix("/office/static/", http.FileServerFS(static)))
	handle("GET /office/signin", http.HandlerFunc(c.signInPage))
	handle("POST /office/signin", http.HandlerFunc(c.signIn))

	for pattern, p := range map[string]page{
		"/office/{$}": cataloguePage, "/office/papers": papersPage, "/office/sites": sitesPage,
		"/office/sessions": sessionsPage, "/office/sessions/{id}": sessionPage, "/office/sessions/{id}/results": resultsPage,
		"/office/audit": auditPage, "/office/conflicts": conflictsPage,
	} {
		handle("GET "+pattern, c.show(p))
	}
	handle("GET /office/sessions/{id}/results.csv", c.signedIn(canRead, c.resultsCSV))
	handle("POST /office/signout", c.post(canRead, cataloguePage, c.signOut))
	handle("POST /office/{$}", c.post(canWrite, cataloguePage, importFile(c.ImportCatalogue, "/office/", "done.catalogue_imported")))
	handle("POST /office/papers", c.post(canWrite, papersPage, importFile(c.ImportPaper, "/office/papers", "done.paper_imported")))
	handle("POST /office/sites", c.post(canWrite, sitesPage, c.enrolCode))
	handle("POST /office/sessions", c.post(canWrite, sessionsPage, c.scheduleSession))
	handle("POST /office/sessions/{id}", c.post(canWrite, sessionPage, c.sessionAction))
	mux.Handle("GET /{$}", http.RedirectHandler("/office/", http.StatusSeeOther))
}

// officeHeaders keeps office pages out of caches and frames, and allows them
// no script and no resource from elsewhere.
func officeHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}

// newView starts a view in the request's language: ?lang= (remembered in a
// cookie), else the cookie, else Chinese.
func (c *Central) newView(w http.ResponseWriter, r *http.Request) *view {
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

// setCookie sets an office cookie: HttpOnly, SameSite=Strict, Secure over TLS.
// A negative maxAge deletes it.
func setCookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: "/office/", MaxAge: maxAge,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
}

// show serves a page to any signed-in user.
func (c *Central) show(p page) http.Handler {
	return c.signedIn(canRead, func(w http.ResponseWriter, r *http.Request, v *view) {
		if key := r.URL.Query().Get("msg"); strings.HasPrefix(key, "done.") && v.Lang.has(key) {
			v.Notice = key
		}
		c.render(w, r, v, http.StatusOK, p, nil)
	})
}

// post serves a form: it checks the role, reads the form within its limits,
// checks the CSRF token, then runs the action; what the action refuses is
// shown on the page with a 4xx status and the form filled in again.
func (c *Central) post(need access, p page, act action) http.Handler {
	return c.signedIn(need, func(w http.ResponseWriter, r *http.Request, v *view) {
		if err := parseForm(w, r); err != nil {
			c.refused(w, r, v, p, err)
			return
		}
		if r.MultipartForm != nil {
			defer r.MultipartForm.RemoveAll()
		}
		if !seal.TokensEqual(r.PostFormValue("csrf"), v.CSRF) {
			c.errorPage(w, r, v, forbidden(v.T("err.csrf")))
			return
		}
		if err := act(w, r, v); err != nil {
			v.Form = r.PostForm
			c.refused(w, r, v, p, err)
		}
	})
}

// parseForm reads a form body: an upload up to maxUploadBytes, any other form up to maxFormBytes.
func parseForm(w http.ResponseWriter, r *http.Request) error {
	var err error
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "multipart/form-data" {
		r.Body = http.MaxBytesReader(w, r.Body, maxUploadBytes)
		err = r.ParseMultipartForm(1 << 20)
	} else {
		r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
		err = r.ParseForm()
	}
	var tooBig *http.MaxBytesError
	if err != nil && !errors.As(err, &tooBig) {
		return inputf("form: %v", err)
	}
	return err
}

// formFile returns the content of the form's uploaded file.
func formFile(r *http.Request, v *view) (io.Reader, error) {
	f, _, err := r.FormFile("file")
	if err != nil {
		return nil, inputf("%s", v.T("err.no_file"))
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
func (c *Central) render(w http.ResponseWriter, r *http.Request, v *view, status int, p page, problems []string) {
	data, err := p.load(c, r)
	if err != nil {
		c.errorPage(w, r, v, err)
		return
	}
	v.Title, v.Data, v.Problems = p.title, data, problems
	c.write(w, status, p.tmpl, v)
}

func (c *Central) write(w http.ResponseWriter, status int, tmpl string, v *view) {
	var buf bytes.Buffer
	if err := officePages[tmpl].ExecuteTemplate(&buf, "layout.html", v); err != nil {
		c.Log.Error("render office page", "page", tmpl, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// status maps an error to its HTTP status and what the user is told:
// the reasons of a refusal, or nothing of what central did wrong.
func (c *Central) status(r *http.Request, v *view, err error) (int, []string) {
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
	case errors.Is(err, ErrInput) && errors.As(err, &invalid):
		return http.StatusBadRequest, invalid.Problems
	case errors.Is(err, ErrInput):
		return http.StatusBadRequest, []string{err.Error()}
	case errors.Is(err, store.ErrNotFound):
		return http.StatusNotFound, []string{err.Error()}
	}
	c.Log.Error("office request failed", "route", r.Pattern, "err", err)
	return http.StatusInternalServerError, []string{v.T("err.internal")}
}

// refused shows why a form was refused: on the form's page when the input
// was at fault, else on the error page.
func (c *Central) refused(w http.ResponseWriter, r *http.Request, v *view, p page, err error) {
	status, problems := c.status(r, v, err)
	if status == http.StatusBadRequest || status == http.StatusRequestEntityTooLarge {
		c.render(w, r, v, status, p, problems)
		return
	}
	c.errorPage(w, r, v, err)
}

func (c *Central) errorPage(w http.ResponseWriter, r *http.Request, v *view, err error) {
	status, problems := c.status(r, v, err)
	v.Title, v.Problems, v.Data = "title.error", problems, nil
	c.write(w, status, "error.html", v)
}

// when formats a time as sites read it, in China Standard Time.
func when(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.In(cst).Format("2006-01-02 15:04")
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

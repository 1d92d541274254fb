package office

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"onex/exam"
	"onex/exam/seal"
	"onex/server"
)

// The office pages and what their forms do.
var (
	cataloguePage = page{"catalogue.html", "title.catalogue", server.Read, (*office).loadCatalogue}
	papersPage    = page{"papers.html", "title.papers", server.Read, (*office).loadPapers}
	sitesPage     = page{"sites.html", "title.sites", server.Oversee, (*office).loadSites}
	sessionsPage  = page{"sessions.html", "title.sessions", server.Oversee, (*office).loadSessions}
	sessionPage   = page{"session.html", "title.session", server.Oversee, (*office).loadSession}
	resultsPage   = page{"results.html", "title.results", server.Oversee, (*office).loadResults}
	auditPage     = page{"audit.html", "title.audit", server.Oversee, (*office).loadAudit}
	conflictsPage = page{"conflicts.html", "title.conflicts", server.Oversee, (*office).loadConflicts}
	recordsPage   = page{"records.html", "title.records", server.Write, (*office).loadRecords}
)

func (o *office) loadCatalogue(r *http.Request, _ *view) (any, error) {
	return o.central.Catalogue(r.Context())
}

// loadPapers lists the papers: their ids and titles, never their questions.
func (o *office) loadPapers(r *http.Request, _ *view) (any, error) {
	return o.central.Papers(r.Context())
}

// importFile is the action of an upload form: import the file, then go to
// the page at to with a notice.
func importFile[T any](imp func(context.Context, io.Reader, string) (T, error), to, notice string) action {
	return func(w http.ResponseWriter, r *http.Request, v *view) error {
		f, err := formFile(r, v)
		if err != nil {
			return err
		}
		if _, err := imp(r.Context(), f, v.actor()); err != nil {
			return err
		}
		seeOther(w, r, to, notice)
		return nil
	}
}

// sitesData is the sites page: central's identity, which staff give a site
// with its enrolment code, and the sites with their devices.
type sitesData struct {
	CentralKey string // central's key fingerprint
	TLSCert    string // SHA-256 of the certificate central serves itself; "" when it serves none
	TLSKey     string // SHA-256 of that certificate's public key, what sites pin
	Sites      []server.SiteDevices
}

func (o *office) loadSites(r *http.Request, _ *view) (any, error) {
	sites, err := o.central.Sites(r.Context())
	if err != nil {
		return nil, err
	}
	d := sitesData{CentralKey: o.central.PublicKey().Fingerprint(), Sites: sites}
	if cert := o.central.TLSCertificate(); cert != nil {
		d.TLSCert, d.TLSKey = seal.TLSFingerprint(seal.CertificateHash(cert)), seal.TLSFingerprint(seal.SPKIHash(cert))
	}
	return d, nil
}

// enrolCode makes a one-time enrolment code for a site and shows it once.
func (o *office) enrolCode(w http.ResponseWriter, r *http.Request, v *view) error {
	site := strings.TrimSpace(r.PostFormValue("site"))
	if site == "" {
		return server.AsInput(errors.New(v.T("err.site_missing")))
	}
	code, err := o.central.NewEnrolCode(r.Context(), site, v.actor())
	if err != nil {
		return err
	}
	v.Secret = &secret{Label: fmt.Sprintf(v.T("secret.enrol"), site), Code: code, Until: o.central.Now().Add(server.EnrolCodeLifetime)}
	o.render(w, r, v, http.StatusOK, sitesPage, nil)
	return nil
}

// sessionInfo is a session as the office pages show it: without its unlock
// code, which is shown only on request.
type sessionInfo struct {
	ID, Site, Room, PaperID string
	PaperVersion            int
	Start, ReleaseAt        time.Time
	LateLimitMinutes        int
}

func infoOf(s server.Session) sessionInfo {
	return sessionInfo{ID: s.ID, Site: s.Site, Room: s.Room, PaperID: s.PaperID, PaperVersion: s.PaperVersion,
		Start: s.Start, ReleaseAt: s.ReleaseAt, LateLimitMinutes: s.LateLimitMinutes}
}

// URL is the path of the session's page.
func (s sessionInfo) URL() string { return "/office/sessions/" + url.PathEscape(s.ID) }

type sessionsData struct {
	Sessions []sessionInfo
	Sites    []exam.Site
	Papers   []server.PaperInfo
}

func (o *office) loadSessions(r *http.Request, _ *view) (any, error) {
	sessions, err := o.central.Sessions(r.Context())
	if err != nil {
		return nil, err
	}
	cat, err := o.central.Catalogue(r.Context())
	if err != nil {
		return nil, err
	}
	papers, err := o.central.Papers(r.Context())
	if err != nil {
		return nil, err
	}
	d := sessionsData{Sites: cat.Sites, Papers: papers}
	for _, s := range sessions {
		d.Sessions = append(d.Sessions, infoOf(s))
	}
	return d, nil
}

// scheduleSession checks the schedule form, naming every field at fault, and schedules the session.
func (o *office) scheduleSession(w http.ResponseWriter, r *http.Request, v *view) error {
	var problems []string
	field := func(name, missing string) string {
		s := strings.TrimSpace(r.PostFormValue(name))
		if s == "" && missing != "" {
			problems = append(problems, v.T(missing))
		}
		return s
	}
	bad := func(key string, args ...any) { problems = append(problems, fmt.Sprintf(v.T(key), args...)) }
	spec := server.SessionSpec{Site: field("site", "err.site_missing"), Room: field("room", "err.room_missing")}
	if ref := field("paper", "err.paper_missing"); ref != "" {
		id, version, ok := strings.Cut(ref, "@")
		n, err := strconv.Atoi(version)
		if !ok || id == "" || err != nil || n < 1 {
			bad("err.paper_ref", ref)
		}
		spec.PaperID, spec.PaperVersion = id, n
	}
	if s := field("start", "err.start_missing"); s != "" {
		t, err := parseLocalTime(s)
		switch {
		case err != nil:
			bad("err.time", v.T("field.start"), s)
		case !t.After(o.central.Now()):
			bad("err.start_past", s)
		}
		spec.Start = t
	}
	if s := field("release", ""); s != "" {
		t, err := parseLocalTime(s)
		if err != nil {
			bad("err.time", v.T("field.release"), s)
		}
		spec.ReleaseAt = t
	}
	if s := field("late", ""); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 240 {
			bad("err.late", s)
		}
		spec.LateLimitMinutes = n
	}
	if len(problems) > 0 {
		return server.AsInput(&exam.InvalidError{Problems: problems})
	}
	s, err := o.central.CreateSession(r.Context(), spec, v.actor())
	var release *server.PaperReleaseError
	var passed *server.ReleasePassedError
	if errors.As(err, &passed) {
		key := "err.release_passed"
		if passed.Default {
			key = "err.release_default_passed"
		}
		return server.AsInput(&exam.InvalidError{Problems: []string{fmt.Sprintf(v.T(key), when(passed.ReleaseAt), when(passed.Now), when(passed.Start))}})
	}
	if errors.As(err, &release) {
		key := "err.paper_release"
		if release.Released {
			key = "err.paper_released"
		}
		at := when(release.ReleaseAt)
		return server.AsInput(&exam.InvalidError{Problems: []string{fmt.Sprintf(v.T(key), release.PaperID, release.Version, at, release.SessionID)}})
	}
	if err != nil {
		return err
	}
	seeOther(w, r, infoOf(s).URL(), "done.session_created")
	return nil
}

// parseLocalTime reads a time as a datetime-local field sends it, in China Standard Time.
func parseLocalTime(s string) (time.Time, error) {
	var err error
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02T15:04:05", "2006-01-02 15:04"} {
		var t time.Time
		if t, err = time.ParseInLocation(layout, s, server.CST); err == nil {
			return t, nil
		}
	}
	return time.Time{}, err
}

type sessionData struct {
	Session sessionInfo
	Roster  []exam.Candidate
	Log     []server.LogEntry // what happened in the room, in time order
}

// session returns the session named by the request's path.
func (o *office) session(r *http.Request) (server.Session, error) {
	return o.central.Session(r.Context(), r.PathValue("id"))
}

// loadSession loads a session, and its roster for a user who may see it.
func (o *office) loadSession(r *http.Request, v *view) (any, error) {
	s, err := o.session(r)
	if err != nil {
		return nil, err
	}
	d := sessionData{Session: infoOf(s)}
	if d.Log, err = o.central.SessionLog(r.Context(), s.ID); err != nil {
		return nil, err
	}
	if v.CanSeeRosters() {
		if d.Roster, err = o.central.Roster(r.Context(), s.ID); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// sessionAction runs one of the session page's forms, named by its "do" field.
func (o *office) sessionAction(w http.ResponseWriter, r *http.Request, v *view) error {
	switch r.PostFormValue("do") {
	case "roster":
		return o.importRoster(w, r, v)
	case "unlock":
		return o.revealUnlockCode(w, r, v)
	}
	return server.AsInput(errors.New(v.T("err.unknown_action")))
}

func (o *office) importRoster(w http.ResponseWriter, r *http.Request, v *view) error {
	f, err := formFile(r, v)
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	_, err = o.central.ImportRoster(r.Context(), id, f, r.PostFormValue("encoding"), v.actor())
	var closed *server.RosterClosedError
	if errors.As(err, &closed) {
		return server.AsInput(&exam.InvalidError{Problems: []string{fmt.Sprintf(v.T("err.roster_closed"), closed.SessionID, when(closed.ReleaseAt))}})
	}
	if err != nil {
		return err
	}
	seeOther(w, r, "/office/sessions/"+url.PathEscape(id), "done.roster_imported")
	return nil
}

// revealUnlockCode shows a session's unlock code once; UnlockCode audits it.
func (o *office) revealUnlockCode(w http.ResponseWriter, r *http.Request, v *view) error {
	id := r.PathValue("id")
	code, err := o.central.UnlockCode(r.Context(), id, v.actor())
	if err != nil {
		return err
	}
	v.Secret = &secret{Label: fmt.Sprintf(v.T("secret.unlock"), id), Code: code}
	o.render(w, r, v, http.StatusOK, sessionPage, nil)
	return nil
}

type resultsData struct {
	Session  sessionInfo
	Results  []server.Result // those the filter keeps
	All      int             // candidates on the roster
	Filter   server.ResultFilter
	Filters  []string // the status filters, for the form
	Progress server.Progress
	Summary  server.Summary
	Warnings []string // chain problems of the devices that sent the session's records
	Open     int      // conflicts of the session the office has yet to decide
}

// results scores the session named by the request's path.
func (o *office) results(r *http.Request) (server.Session, []server.Result, error) {
	s, err := o.session(r)
	if err != nil {
		return s, nil, err
	}
	res, err := o.central.SessionResults(r.Context(), s.ID)
	return s, res, err
}

// liveRefresh is how often a results page reloads itself while the exam may be under way.
const liveRefresh = 30

// loadResults shows a session's results as the query filters them
// (?status=, review=1, forced=1), with the live counts and the summary.
func (o *office) loadResults(r *http.Request, v *view) (any, error) {
	q := r.URL.Query()
	filter, err := server.NewResultFilter(q.Get("status"), q.Get("review") == "1", q.Get("forced") == "1")
	if err != nil {
		return nil, err
	}
	ov, err := o.central.SessionOverview(r.Context(), r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	var warn strings.Builder
	if err := o.central.WarnChains(r.Context(), ov.Session.ID, &warn); err != nil {
		return nil, err
	}
	d := resultsData{Session: infoOf(ov.Session), Results: filter.Filter(ov.Results), All: len(ov.Results), Filter: filter, Filters: server.ResultFilters,
		Progress: ov.Progress, Summary: ov.Summary, Warnings: strings.FieldsFunc(warn.String(), func(r rune) bool { return r == '\n' })}
	for _, r := range ov.Results {
		d.Open += len(r.Open)
	}
	if ov.Progress.Live {
		v.Refresh = liveRefresh
	}
	return d, nil
}

// resultsCSV downloads a session's results as CSV in UTF-8 with a byte-order mark.
func (o *office) resultsCSV(w http.ResponseWriter, r *http.Request, v *view) {
	s, res, err := o.results(r)
	if err != nil {
		o.errorPage(w, r, v, err)
		return
	}
	var buf bytes.Buffer
	if err := server.WriteResultsCSV(&buf, res); err != nil {
		o.errorPage(w, r, v, err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": "results-" + s.ID + ".csv"}))
	w.Write(buf.Bytes())
}

type auditData struct {
	Entries  []server.AuditEntry // the newest auditShown, newest first
	Total    int
	Verified bool   // the whole hash chain verifies
	Broken   string // where it breaks, when it does not
}

func (o *office) loadAudit(r *http.Request, _ *view) (any, error) {
	log, err := o.central.AuditLog(r.Context())
	if err != nil {
		return nil, err
	}
	d := auditData{Total: len(log.Entries), Verified: log.Broken == "", Broken: log.Broken}
	d.Entries = slices.Clone(log.Entries[max(0, len(log.Entries)-auditShown):])
	slices.Reverse(d.Entries)
	return d, nil
}

type conflictsData struct {
	Disputes []server.Dispute  // conflicts about what results follow, open ones first
	Records  []server.Conflict // records whose id or chain position held other content
}

func (o *office) loadConflicts(r *http.Request, _ *view) (any, error) {
	ds, err := o.central.Disputes(r.Context())
	if err != nil {
		return nil, err
	}
	cs, err := o.central.Conflicts(r.Context())
	return conflictsData{Disputes: ds, Records: cs}, err
}

// decide records the office's decision on a conflict: keep the record held
// or take the other, with the reason; every field at fault is named.
func (o *office) decide(w http.ResponseWriter, r *http.Request, v *view) error {
	var problems []string
	ref := strings.TrimSpace(r.PostFormValue("dispute"))
	id, err := strconv.ParseInt(ref, 10, 64)
	if err != nil || id < 1 {
		problems = append(problems, fmt.Sprintf(v.T("err.dispute"), ref))
	}
	keep := r.PostFormValue("keep")
	if keep != server.KeepHeld && keep != server.TakeOther {
		problems = append(problems, v.T("err.keep"))
	}
	why := strings.TrimSpace(r.PostFormValue("why"))
	switch {
	case why == "":
		problems = append(problems, v.T("err.why_missing"))
	case len([]rune(why)) > 2000:
		problems = append(problems, v.T("err.why_long"))
	}
	if len(problems) > 0 {
		return server.AsInput(&exam.InvalidError{Problems: problems})
	}
	err = o.central.Decide(r.Context(), id, keep == server.TakeOther, why, v.actor())
	var decided *server.DecidedError
	switch {
	case errors.As(err, &decided):
		return server.AsInput(&exam.InvalidError{Problems: []string{fmt.Sprintf(v.T("err.decided"), decided.ID, decided.By, when(decided.At))}})
	case errors.Is(err, server.ErrChanged):
		return server.AsInput(&exam.InvalidError{Problems: []string{fmt.Sprintf(v.T("err.changed"), id)}})
	}
	if err != nil {
		return err
	}
	seeOther(w, r, "/office/conflicts", "done.decided")
	return nil
}

// recordsData is the records page: what became of each file uploaded.
type recordsData struct {
	Files []fileImport
}

// fileImport is what became of one uploaded export file.
type fileImport struct {
	Name    string
	Report  server.RecordsImport
	Refused string // why the file was refused whole; "" when it was read
}

func (o *office) loadRecords(*http.Request, *view) (any, error) { return recordsData{}, nil }

// importRecords imports every export file uploaded, each on its own, as
// onex-central import records does, and shows what became of each.
func (o *office) importRecords(w http.ResponseWriter, r *http.Request, v *view) error {
	var files []*multipart.FileHeader
	if r.MultipartForm != nil {
		files = r.MultipartForm.File["file"]
	}
	if len(files) == 0 {
		return server.AsInput(errors.New(v.T("err.no_file")))
	}
	var d recordsData
	for _, fh := range files {
		fi := fileImport{Name: fh.Filename}
		f, err := fh.Open()
		if err != nil {
			return fmt.Errorf("read upload %q: %w", fh.Filename, err)
		}
		fi.Report, err = o.central.ImportRecords(r.Context(), f, v.actor())
		f.Close()
		switch {
		case errors.Is(err, server.ErrInput):
			fi.Refused = err.Error()
		case err != nil:
			return err
		}
		d.Files = append(d.Files, fi)
	}
	v.Title, v.Data = recordsPage.title, d
	o.write(w, http.StatusOK, recordsPage.tmpl, v)
	return nil
}

// revokeDevice revokes the device named by the path, for the reason given.
func (o *office) revokeDevice(w http.ResponseWriter, r *http.Request, v *view) error {
	reason := strings.TrimSpace(r.PostFormValue("reason"))
	if reason == "" {
		return server.AsInput(&exam.InvalidError{Problems: []string{v.T("err.revoke_reason")}})
	}
	if err := o.central.RevokeDevice(r.Context(), r.PathValue("id"), reason, v.actor()); err != nil {
		return err
	}
	seeOther(w, r, "/office/sites", "done.device_revoked")
	return nil
}

package server

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"onex/exam"
	"onex/server/store"
)

// The office pages and what their forms do.
var (
	cataloguePage = page{"catalogue.html", "title.catalogue", (*Central).loadCatalogue}
	papersPage    = page{"papers.html", "title.papers", (*Central).loadPapers}
	sitesPage     = page{"sites.html", "title.sites", (*Central).loadSites}
	sessionsPage  = page{"sessions.html", "title.sessions", (*Central).loadSessions}
	sessionPage   = page{"session.html", "title.session", (*Central).loadSession}
	resultsPage   = page{"results.html", "title.results", (*Central).loadResults}
	auditPage     = page{"audit.html", "title.audit", (*Central).loadAudit}
	conflictsPage = page{"conflicts.html", "title.conflicts", (*Central).loadConflicts}
)

func (c *Central) loadCatalogue(r *http.Request) (any, error) { return c.DB.Catalogue(r.Context()) }

// loadPapers lists the papers: their ids and titles, never their questions.
func (c *Central) loadPapers(r *http.Request) (any, error) { return c.DB.Papers(r.Context()) }

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

// siteDevices is a site of the catalogue with its enrolled devices.
type siteDevices struct {
	Site    exam.Site
	Devices []deviceStatus
}

// deviceStatus is a device as the office watches it.
type deviceStatus struct {
	store.Device
	Gaps, Breaks []string
	SkewFlagged  bool // the device clock is more than skewLimit off central's
}

func (c *Central) loadSites(r *http.Request) (any, error) {
	cat, err := c.DB.Catalogue(r.Context())
	if err != nil {
		return nil, err
	}
	devices, err := c.DB.Devices(r.Context())
	if err != nil {
		return nil, err
	}
	bySite := map[string][]deviceStatus{}
	for _, d := range devices {
		rep, err := c.Chain(r.Context(), d.ID)
		if err != nil {
			return nil, err
		}
		off := time.Duration(d.ClockSkewMS) * time.Millisecond
		bySite[d.Site] = append(bySite[d.Site], deviceStatus{Device: d, Gaps: rep.Gaps, Breaks: rep.Breaks, SkewFlagged: off > skewLimit || off < -skewLimit})
	}
	out := make([]siteDevices, 0, len(cat.Sites))
	for _, s := range cat.Sites {
		out = append(out, siteDevices{Site: s, Devices: bySite[s.Code]})
	}
	return out, nil
}

// enrolCode makes a one-time enrolment code for a site and shows it once.
func (c *Central) enrolCode(w http.ResponseWriter, r *http.Request, v *view) error {
	site := strings.TrimSpace(r.PostFormValue("site"))
	if site == "" {
		return inputf("%s", v.T("err.site_missing"))
	}
	code, err := c.NewEnrolCode(r.Context(), site, v.actor())
	if err != nil {
		return err
	}
	v.Secret = &secret{Label: fmt.Sprintf(v.T("secret.enrol"), site), Code: code, Until: c.Now().Add(EnrolCodeLifetime)}
	c.render(w, r, v, http.StatusOK, sitesPage, nil)
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

func infoOf(s store.Session) sessionInfo {
	return sessionInfo{ID: s.ID, Site: s.Site, Room: s.Room, PaperID: s.PaperID, PaperVersion: s.PaperVersion,
		Start: s.Start, ReleaseAt: s.ReleaseAt, LateLimitMinutes: s.LateLimitMinutes}
}

// URL is the path of the session's page.
func (s sessionInfo) URL() string { return "/office/sessions/" + url.PathEscape(s.ID) }

type sessionsData struct {
	Sessions []sessionInfo
	Sites    []exam.Site
	Papers   []store.PaperInfo
}

func (c *Central) loadSessions(r *http.Request) (any, error) {
	sessions, err := c.DB.Sessions(r.Context(), "")
	if err != nil {
		return nil, err
	}
	cat, err := c.DB.Catalogue(r.Context())
	if err != nil {
		return nil, err
	}
	papers, err := c.DB.Papers(r.Context())
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
func (c *Central) scheduleSession(w http.ResponseWriter, r *http.Request, v *view) error {
	var problems []string
	field := func(name, missing string) string {
		s := strings.TrimSpace(r.PostFormValue(name))
		if s == "" && missing != "" {
			problems = append(problems, v.T(missing))
		}
		return s
	}
	bad := func(key string, args ...any) { problems = append(problems, fmt.Sprintf(v.T(key), args...)) }
	spec := SessionSpec{Site: field("site", "err.site_missing"), Room: field("room", "err.room_missing")}
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
		case !t.After(c.Now()):
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
		return asInput(&exam.InvalidError{Problems: problems})
	}
	s, err := c.CreateSession(r.Context(), spec, v.actor())
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
		if t, err = time.ParseInLocation(layout, s, cst); err == nil {
			return t, nil
		}
	}
	return time.Time{}, err
}

type sessionData struct {
	Session sessionInfo
	Roster  []exam.Candidate
}

// session returns the session named by the request's path.
func (c *Central) session(r *http.Request) (store.Session, error) {
	return c.DB.Session(r.Context(), r.PathValue("id"))
}

func (c *Central) loadSession(r *http.Request) (any, error) {
	s, err := c.session(r)
	if err != nil {
		return nil, err
	}
	roster, err := c.DB.Roster(r.Context(), s.ID)
	if err != nil {
		return nil, err
	}
	return sessionData{Session: infoOf(s), Roster: roster}, nil
}

// sessionAction runs one of the session page's forms, named by its "do" field.
func (c *Central) sessionAction(w http.ResponseWriter, r *http.Request, v *view) error {
	switch r.PostFormValue("do") {
	case "roster":
		return c.importRoster(w, r, v)
	case "unlock":
		return c.revealUnlockCode(w, r, v)
	}
	return inputf("%s", v.T("err.unknown_action"))
}

func (c *Central) importRoster(w http.ResponseWriter, r *http.Request, v *view) error {
	f, err := formFile(r, v)
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	if _, err := c.ImportRoster(r.Context(), id, f, r.PostFormValue("encoding"), v.actor()); err != nil {
		return err
	}
	seeOther(w, r, "/office/sessions/"+url.PathEscape(id), "done.roster_imported")
	return nil
}

// revealUnlockCode shows a session's unlock code once; UnlockCode audits it.
func (c *Central) revealUnlockCode(w http.ResponseWriter, r *http.Request, v *view) error {
	id := r.PathValue("id")
	code, err := c.UnlockCode(r.Context(), id, v.actor())
	if err != nil {
		return err
	}
	v.Secret = &secret{Label: fmt.Sprintf(v.T("secret.unlock"), id), Code: code}
	c.render(w, r, v, http.StatusOK, sessionPage, nil)
	return nil
}

type resultsData struct {
	Session  sessionInfo
	Results  []Result
	Warnings []string // chain problems of the devices that sent the session's records
}

// results scores the session named by the request's path.
func (c *Central) results(r *http.Request) (store.Session, []Result, error) {
	s, err := c.session(r)
	if err != nil {
		return s, nil, err
	}
	res, err := c.SessionResults(r.Context(), s.ID)
	return s, res, err
}

func (c *Central) loadResults(r *http.Request) (any, error) {
	s, res, err := c.results(r)
	if err != nil {
		return nil, err
	}
	var warn strings.Builder
	if err := c.WarnChains(r.Context(), s.ID, &warn); err != nil {
		return nil, err
	}
	return resultsData{Session: infoOf(s), Results: res, Warnings: strings.FieldsFunc(warn.String(), func(r rune) bool { return r == '\n' })}, nil
}

// resultsCSV downloads a session's results as CSV in UTF-8 with a byte-order mark.
func (c *Central) resultsCSV(w http.ResponseWriter, r *http.Request, v *view) {
	s, res, err := c.results(r)
	if err != nil {
		c.errorPage(w, r, v, err)
		return
	}
	var buf bytes.Buffer
	if err := WriteResultsCSV(&buf, res); err != nil {
		c.errorPage(w, r, v, err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": "results-" + s.ID + ".csv"}))
	w.Write(buf.Bytes())
}

type auditData struct {
	Entries  []store.AuditEntry // the newest auditShown, newest first
	Total    int
	Verified bool   // the whole hash chain verifies
	Broken   string // where it breaks, when it does not
}

func (c *Central) loadAudit(r *http.Request) (any, error) {
	entries, err := c.DB.AuditLog(r.Context())
	d := auditData{Total: len(entries), Verified: err == nil}
	switch {
	case errors.Is(err, store.ErrConflict):
		d.Broken = err.Error()
	case err != nil:
		return nil, err
	}
	d.Entries = slices.Clone(entries[max(0, len(entries)-auditShown):])
	slices.Reverse(d.Entries)
	return d, nil
}

func (c *Central) loadConflicts(r *http.Request) (any, error) { return c.DB.Conflicts(r.Context()) }

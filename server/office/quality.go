package office

import (
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

// The quality pages (issue 15): moderation of site practical scores (the
// lead draws and decides; moderators re-score blind), near-identical essay
// answers, and the markers' quality-control figures.

// Who reaches the quality pages: the lead's pages (server.Lead), and the
// moderator's page (server.Mark: markers and leads).
const (
	leadAccess = server.Lead
	markAccess = server.Mark
)

var (
	moderationsPage = page{"quality_moderations.html", "title.moderations", leadAccess, (*office).loadModerations}
	moderationPage  = page{"quality_moderation.html", "title.moderation", leadAccess, (*office).loadModeration}
	moderatePage    = page{"quality_moderate.html", "title.moderate", markAccess, (*office).loadModerate}
	qualityPage     = page{"quality.html", "title.quality", leadAccess, (*office).loadQuality}
	similarPage     = page{"quality_similar.html", "title.similar", leadAccess, (*office).loadSimilar}
)

// routesQuality adds the quality pages to mux.
func routesQuality(mux *http.ServeMux, o *office) {
	mux.Handle("GET /office/quality/moderation", o.show(moderationsPage))
	mux.Handle("POST /office/quality/moderation", o.post(leadAccess, moderationsPage, o.drawModeration))
	mux.Handle("GET /office/quality/moderation/{id}", o.show(moderationPage))
	mux.Handle("POST /office/quality/moderation/{id}", o.post(leadAccess, moderationPage, o.decideModeration))
	mux.Handle("GET /office/quality/moderate", o.show(moderatePage))
	mux.Handle("POST /office/quality/moderate", o.post(markAccess, moderatePage, o.rescore))
	mux.Handle("GET /office/quality/moderate/{rescore}/files/{n}", o.signedIn(markAccess, o.attachment(o.rescoreFile)))
	mux.Handle("GET /office/quality", o.show(qualityPage))
	mux.Handle("POST /office/quality", o.post(leadAccess, qualityPage, o.qualityAction))
	mux.Handle("GET /office/quality/similar", o.show(similarPage))
	mux.Handle("POST /office/quality/similar", o.post(leadAccess, similarPage, o.flagSimilar))
}

// moderationRow is a session on the lead's moderation list.
type moderationRow struct {
	Session sessionInfo
	State   string
}

// URL is the path of the session's moderation page.
func (m moderationRow) URL() string {
	return "/office/quality/moderation/" + url.PathEscape(m.Session.ID)
}

type moderationsData struct {
	Rows   []moderationRow
	Policy server.ModerationPolicy
}

// SharePercent is the default share drawn at random, in percent.
func (d moderationsData) SharePercent() string {
	return strconv.FormatFloat(d.Policy.Share*100, 'f', -1, 64)
}

// FlagPercent is the default flag share, in percent.
func (d moderationsData) FlagPercent() string {
	return strconv.FormatFloat(d.Policy.FlagShare*100, 'f', -1, 64)
}

func (o *office) loadModerations(r *http.Request, _ *view) (any, error) {
	sessions, err := o.central.Sessions(r.Context())
	if err != nil {
		return nil, err
	}
	d := moderationsData{Policy: server.DefaultModerationPolicy}
	for _, s := range sessions {
		m, err := o.central.Moderated(r.Context(), s.ID)
		if err != nil {
			return nil, err
		}
		d.Rows = append(d.Rows, moderationRow{Session: infoOf(s), State: m.State})
	}
	return d, nil
}

// percent reads a form field in percent (0..100) as a share.
func percent(r *http.Request, field string, def float64, bad func()) float64 {
	s := strings.TrimSpace(r.PostFormValue(field))
	if s == "" {
		return def
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v < 0 || v > 100 {
		bad()
		return def
	}
	return v / 100
}

// drawModeration draws a session's moderation sample with the form's policy.
func (o *office) drawModeration(w http.ResponseWriter, r *http.Request, v *view) error {
	var problems []string
	p := server.DefaultModerationPolicy
	id := strings.TrimSpace(r.PostFormValue("session"))
	p.Share = percent(r, "share", p.Share, func() { problems = append(problems, v.T("err.share")) })
	p.FlagShare = percent(r, "flag", p.FlagShare, func() { problems = append(problems, v.T("err.share")) })
	if s := strings.TrimSpace(r.PostFormValue("min")); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 || n > 10000 {
			problems = append(problems, v.T("err.sample_min"))
		}
		p.Min = n
	}
	p.AllFails, p.AllTops = r.PostFormValue("fails") != "", r.PostFormValue("tops") != ""
	if len(problems) > 0 {
		return server.AsInput(&exam.InvalidError{Problems: problems})
	}
	if _, err := o.central.DrawModeration(r.Context(), id, p, v.actor()); err != nil {
		return err
	}
	seeOther(w, r, "/office/quality/moderation/"+url.PathEscape(id), "done.sample_drawn")
	return nil
}

func (o *office) loadModeration(r *http.Request, _ *view) (any, error) {
	return o.central.Moderation(r.Context(), r.PathValue("id"))
}

// decideModeration records the lead's decision.
func (o *office) decideModeration(w http.ResponseWriter, r *http.Request, v *view) error {
	id := r.PathValue("id")
	var problems []string
	decision := r.PostFormValue("decision")
	if !exam.ValidDecision(decision) {
		problems = append(problems, v.T("err.decision"))
	}
	note := strings.TrimSpace(r.PostFormValue("note"))
	switch {
	case note == "":
		problems = append(problems, v.T("err.why_missing"))
	case len([]rune(note)) > 2000:
		problems = append(problems, v.T("err.why_long"))
	}
	if len(problems) > 0 {
		return server.AsInput(&exam.InvalidError{Problems: problems})
	}
	if err := o.central.DecideModeration(r.Context(), id, decision, note, v.actor()); err != nil {
		return err
	}
	seeOther(w, r, "/office/quality/moderation/"+url.PathEscape(id), "done.moderation_decided")
	return nil
}

// moderateData is what a moderator sees: nothing of the candidate, the
// session, the site or the site's marks.
type moderateData struct {
	Rescore *server.RescoreView // nil: nothing to re-score
	Handed  []handedView        // the candidate's handed-in files, by handin item
}

// handedView is a handin item on the moderator's page: its id and stem, and
// the files by number (across the paper's handin items) and size, never by
// name, as the marking pages show them.
type handedView struct {
	ID, Stem string
	Files    []markFile
}

func (o *office) loadModerate(r *http.Request, v *view) (any, error) {
	rv, err := o.central.NextRescore(r.Context(), v.UserName)
	if errors.Is(err, server.ErrNotFound) {
		return moderateData{}, nil
	}
	if err != nil {
		return nil, err
	}
	items, err := o.central.RescoreFiles(r.Context(), v.UserName, rv.ID)
	if err != nil {
		return nil, rescoreError(v, err)
	}
	d := moderateData{Rescore: &rv}
	link, n := "/office/quality/moderate/"+url.PathEscape(rv.ID)+"/files/", 0
	for _, it := range items {
		d.Handed = append(d.Handed, handedView{ID: it.Item.ID, Stem: it.Item.Stem, Files: fileViews(it.Files, n, link)})
		n += len(it.Files)
	}
	return d, nil
}

// rescoreFile is the file of the path, numbered across the handin items,
// handed in by the candidate of a rescore the user holds: its download name
// (the rescore's id, the number, the extension) and content.
func (o *office) rescoreFile(r *http.Request, v *view) (string, []byte, error) {
	id := r.PathValue("rescore")
	items, err := o.central.RescoreFiles(r.Context(), v.UserName, id)
	if err != nil {
		return "", nil, rescoreError(v, err)
	}
	var files []server.HandedFile
	for _, it := range items {
		files = append(files, it.Files...)
	}
	return pickFile(r, v, files, id)
}

// rescoreError says why a moderator's call on a rescore was refused: another
// moderator's rescore is a 403 that says so.
func rescoreError(v *view, err error) error {
	if errors.Is(err, server.ErrNotHolder) {
		return forbidden(v.T("err.not_holder"))
	}
	return err
}

// rescore stores the moderator's marks, one field per criterion (c0, c1, …).
func (o *office) rescore(w http.ResponseWriter, r *http.Request, v *view) error {
	id := r.PostFormValue("rescore")
	var marks []float64
	for i := 0; ; i++ {
		s, ok := r.PostForm[fmt.Sprintf("c%d", i)]
		if !ok {
			break
		}
		f, err := strconv.ParseFloat(strings.TrimSpace(strings.Join(s, "")), 64)
		if err != nil {
			return server.AsInput(&exam.InvalidError{Problems: []string{fmt.Sprintf(v.T("err.mark"), i+1)}})
		}
		marks = append(marks, f)
		if i > 100 {
			break
		}
	}
	if err := o.central.Rescore(r.Context(), id, v.UserName, marks); err != nil {
		return rescoreError(v, err)
	}
	seeOther(w, r, "/office/quality/moderate", "done.rescored")
	return nil
}

// qualityData is the lead's quality page: the markers' figures, the
// settings, and the sessions to set them for.
type qualityData struct {
	Markers  []server.MarkerRow
	Settings []server.QualitySettings
	Sessions []sessionInfo
}

func (o *office) loadQuality(r *http.Request, _ *view) (any, error) {
	var d qualityData
	var err error
	if d.Markers, err = o.central.MarkerFigures(r.Context()); err != nil {
		return nil, err
	}
	if d.Settings, err = o.central.QualitySettingsList(r.Context()); err != nil {
		return nil, err
	}
	sessions, err := o.central.Sessions(r.Context())
	if err != nil {
		return nil, err
	}
	for _, s := range sessions {
		d.Sessions = append(d.Sessions, infoOf(s))
	}
	return d, nil
}

// Pct formats a share as a percentage.
func (qualityData) Pct(share float64) string { return strconv.FormatFloat(share*100, 'f', 0, 64) + "%" }

// Num formats a figure with up to two decimals.
func (qualityData) Num(v float64) string { return fmt.Sprintf("%.2f", v) }

// qualityAction is one of the quality page's forms, by its "do" field:
// pause, resume, send back, settings, controls.
func (o *office) qualityAction(w http.ResponseWriter, r *http.Request, v *view) error {
	ctx := r.Context()
	marker := strings.TrimSpace(r.PostFormValue("marker"))
	reason := strings.TrimSpace(r.PostFormValue("reason"))
	switch r.PostFormValue("do") {
	case "pause", "resume":
		if err := o.central.PauseMarker(ctx, v.actor(), marker, r.PostFormValue("do") == "pause", reason); err != nil {
			return err
		}
		seeOther(w, r, "/office/quality", "done.marker_paused")
	case "sendback":
		var since time.Time
		if s := strings.TrimSpace(r.PostFormValue("since")); s != "" {
			t, err := parseLocalTime(s)
			if err != nil {
				return server.AsInput(&exam.InvalidError{Problems: []string{v.T("err.since")}})
			}
			since = t
		}
		if _, err := o.central.SendBack(ctx, v.actor(), marker, since, reason); err != nil {
			return err
		}
		seeOther(w, r, "/office/quality", "done.sent_back")
	case "settings":
		every, err := strconv.Atoi(strings.TrimSpace(r.PostFormValue("every")))
		if err != nil {
			return server.AsInput(&exam.InvalidError{Problems: []string{v.T("err.every")}})
		}
		share := percent(r, "remark", -1, func() {})
		if share < 0 {
			return server.AsInput(&exam.InvalidError{Problems: []string{v.T("err.share")}})
		}
		if err := o.central.SetQuality(ctx, r.PostFormValue("session"), strings.TrimSpace(r.PostFormValue("item")), every, share, v.actor()); err != nil {
			return err
		}
		seeOther(w, r, "/office/quality", "done.quality_set")
	case "controls":
		f, err := formFile(r, v)
		if err != nil {
			return err
		}
		if _, err := o.central.ImportControls(ctx, r.PostFormValue("session"), strings.TrimSpace(r.PostFormValue("item")), f, r.PostFormValue("encoding"), v.actor()); err != nil {
			return err
		}
		seeOther(w, r, "/office/quality", "done.controls_imported")
	default:
		return server.AsInput(errors.New(v.T("err.action")))
	}
	return nil
}

// similarData is the near-identical answers of a session, by script ids.
type similarData struct {
	Sessions  []sessionInfo
	Session   string
	Threshold string
	Pairs     []server.SimilarPair
}

// Pct formats a similarity as a percentage.
func (similarData) Pct(s float64) string { return strconv.FormatFloat(s*100, 'f', 0, 64) + "%" }

func (o *office) loadSimilar(r *http.Request, v *view) (any, error) {
	d := similarData{Session: r.URL.Query().Get("session"), Threshold: r.URL.Query().Get("threshold")}
	if d.Session == "" {
		d.Session = v.Form.Get("session")
	}
	sessions, err := o.central.Sessions(r.Context())
	if err != nil {
		return nil, err
	}
	for _, s := range sessions {
		d.Sessions = append(d.Sessions, infoOf(s))
	}
	if d.Session == "" {
		return d, nil
	}
	th := 0.0
	if d.Threshold != "" {
		f, err := strconv.ParseFloat(d.Threshold, 64)
		if err != nil || f <= 0 || f > 100 {
			return nil, server.AsInput(errors.New(v.T("err.share")))
		}
		th = f / 100
	}
	d.Pairs, err = o.central.SimilarPairs(r.Context(), d.Session, th)
	return d, err
}

// flagSimilar flags a pair as suspected misconduct.
func (o *office) flagSimilar(w http.ResponseWriter, r *http.Request, v *view) error {
	session := r.PostFormValue("session")
	if err := o.central.FlagSimilar(r.Context(), session, r.PostFormValue("a"), r.PostFormValue("b"), r.PostFormValue("note"), v.actor()); err != nil {
		return err
	}
	http.Redirect(w, r, "/office/quality/similar?session="+url.QueryEscape(session)+"&msg=done.pair_flagged", http.StatusSeeOther)
	return nil
}

package public

import (
	"fmt"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"time"

	"onex/exam/inspect"
	"onex/server"
)

// routesInspections adds the public page of random inspections (issue 17,
// 一公开): every commitment as soon as it is published, each draw's
// transcript with the registers it was drawn on (the files as imported, so
// that anyone re-runs it with onex-central inspection verify), and each
// inspected site's outcome. It looks up no one, so it is not throttled.
func routesInspections(mux *http.ServeMux, p *public) {
	mux.HandleFunc("GET /inspections", p.inspections)
	mux.HandleFunc("GET /inspections/{id}/{file}", p.inspectionFile)
}

// inspectionsView is what the public inspections page shows.
type inspectionsView struct {
	Lang  lang
	Draws []publicDraw
}

// publicDraw is one commitment on the page, with its draw once drawn.
type publicDraw struct {
	ID                    int64
	Base                  string // the path its files are under
	File                  string // the start of the files' names, as the verify command names them
	Hash, RegistersHash   string
	CommittedAt           time.Time
	Plan                  inspect.Plan
	Sources               []inspect.Source
	SiteCount, Inspectors int
	Drawn                 bool
	DrawnAt               time.Time
	Values                []string
	Key, Seed             string
	Sites                 []publicSite
}

// publicSite is a drawn site's outcome as published: no note, and of the
// inspectors only their ids, as the transcript has them.
type publicSite struct {
	server.PublicOutcome
	FindingsAt time.Time // zero: not inspected yet
	Issues     []inspect.ChecklistItem
}

func (v *inspectionsView) T(key string) string { return v.Lang.T(key) }

// When is a time to the minute, in China Standard Time.
func (v *inspectionsView) When(t time.Time) string { return when(t) }

// Day is a date in China Standard Time.
func (v *inspectionsView) Day(t time.Time) string { return t.In(server.CST).Format("2006-01-02") }

// Inc is i+1, to number rows from 1.
func (v *inspectionsView) Inc(i int) int { return i + 1 }

// ItemName is a checklist item's name in the page's language.
func (v *inspectionsView) ItemName(it inspect.ChecklistItem) string {
	if v.Lang == en {
		return it.En
	}
	return it.Zh
}

// fileName is the start of the names of an inspection's files.
func fileName(id int64) string { return "inspection-" + strconv.FormatInt(id, 10) }

// publicDrawOf is what the page shows of an inspection; findings are the
// dates its sites' findings were recorded on.
func publicDrawOf(in server.PublicInspection, findings map[string]time.Time) (publicDraw, error) {
	d := publicDraw{ID: in.ID, Base: "/inspections/" + strconv.FormatInt(in.ID, 10), File: fileName(in.ID), Hash: in.CommitmentSHA256,
		RegistersHash: in.RegistersSHA256, CommittedAt: in.PublishedAt, Plan: in.Commitment.Plan, Sources: in.Commitment.Sources,
		Drawn: in.Drawn, DrawnAt: in.DrawnAt}
	reg, err := inspect.ParseRegistersJSON(in.RegistersJSON)
	if err != nil {
		return d, fmt.Errorf("inspection %d: registers: %w", in.ID, err)
	}
	d.SiteCount, d.Inspectors = len(reg.Sites), len(reg.Inspectors)
	if !in.Drawn {
		return d, nil
	}
	t, err := inspect.ParseTranscript(in.TranscriptJSON)
	if err != nil {
		return d, fmt.Errorf("inspection %d: transcript: %w", in.ID, err)
	}
	d.Values, d.Key, d.Seed = t.Values, t.Key, t.Seed
	for _, o := range in.Outcomes {
		s := publicSite{PublicOutcome: o, FindingsAt: findings[o.Site]}
		for _, it := range o.Items {
			if it.Issue {
				s.Issues = append(s.Issues, it.Item)
			}
		}
		d.Sites = append(d.Sites, s)
	}
	return d, nil
}

// findingDates are the days each drawn site of an inspection was found as
// it is (the public outcome carries no date).
func (p *public) findingDates(r *http.Request, id int64) (map[string]time.Time, error) {
	in, err := p.central.Inspection(r.Context(), id)
	if err != nil {
		return nil, err
	}
	out := map[string]time.Time{}
	for _, s := range in.Sites {
		out[s.SiteCode] = s.FindingsAt
	}
	return out, nil
}

func (p *public) inspections(w http.ResponseWriter, r *http.Request) {
	v := &inspectionsView{Lang: parseLang(r.URL.Query().Get("lang"))}
	err := func() error {
		list, err := p.central.PublicInspections(r.Context())
		if err != nil {
			return err
		}
		for _, in := range list {
			var dates map[string]time.Time
			if in.Drawn {
				if dates, err = p.findingDates(r, in.ID); err != nil {
					return err
				}
			}
			d, err := publicDrawOf(in, dates)
			if err != nil {
				return err
			}
			v.Draws = append(v.Draws, d)
		}
		return nil
	}()
	if err != nil {
		p.log.Error("public inspections", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	p.render(w, "inspections.html", http.StatusOK, v)
}

// inspectionFiles are an inspection's files: the commitment (published
// first), the registers it commits to (the two files as imported, and
// their canonical JSON), the transcript once drawn.
var inspectionFiles = map[string]struct {
	contentType string
	bytes       func(server.PublicInspection) []byte
}{
	"commitment.json": {"application/json", func(d server.PublicInspection) []byte { return d.CommitmentJSON }},
	"registers.json":  {"application/json", func(d server.PublicInspection) []byte { return d.RegistersJSON }},
	"sites.csv":       {"text/csv; charset=utf-8", func(d server.PublicInspection) []byte { return d.SitesCSV }},
	"inspectors.csv":  {"text/csv; charset=utf-8", func(d server.PublicInspection) []byte { return d.InspectorsCSV }},
	"transcript.json": {"application/json", func(d server.PublicInspection) []byte { return d.TranscriptJSON }},
}

// inspectionFile sends one of an inspection's files, byte for byte as
// kept, as an attachment named as the verify command on the page names it.
func (p *public) inspectionFile(w http.ResponseWriter, r *http.Request) {
	f, ok := inspectionFiles[r.PathValue("file")]
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if !ok || err != nil {
		http.NotFound(w, r)
		return
	}
	list, err := p.central.PublicInspections(r.Context())
	if err != nil {
		p.log.Error("public inspection file", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	i := slices.IndexFunc(list, func(in server.PublicInspection) bool { return in.ID == id })
	if i < 0 || f.bytes(list[i]) == nil { // no such inspection, or the transcript of one not drawn yet
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", f.contentType)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": fileName(id) + "-" + r.PathValue("file")}))
	w.Write(f.bytes(list[i]))
}

package office

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"onex/exam/inspect"
	"onex/server"
)

// The office pages of random inspections (issue 17, 双随机一公开): the
// registers (two CSV files, refused whole with the row and field of the
// first error), the plan and its commitment (published at once on the
// public page /inspections), the public values typed in once they are
// published and the draw they seed, the result, and the findings per
// inspected site with the rectification deadline and its closing.
//
// Who sees what, by server.Allows: the pages are Oversee (admin, staff,
// inspector: an inspector reads the draws and the findings); everything
// that changes something is Write (admin, staff), behind the form's CSRF
// token, and the service audits it. Markers and lead markers see nothing.
var (
	inspIndexPage = page{"inspections.html", "title.inspections", server.Oversee, (*office).loadInspIndex}
	inspDrawPage  = page{"inspection.html", "title.inspection", server.Oversee, (*office).loadInspDraw}
	inspSitePage  = page{"inspection_site.html", "title.inspection_site", server.Oversee, (*office).loadInspSite}
)

// routesInspections adds the inspection pages (Routes calls it).
func routesInspections(mux *http.ServeMux, o *office) {
	mux.Handle("GET /office/inspections", o.show(inspIndexPage))
	mux.Handle("POST /office/inspections/registers", o.post(server.Write, inspIndexPage, o.importInspRegisters))
	mux.Handle("POST /office/inspections", o.post(server.Write, inspIndexPage, o.commitInspection))
	mux.Handle("GET /office/inspections/{id}", o.show(inspDrawPage))
	mux.Handle("POST /office/inspections/{id}", o.post(server.Write, inspDrawPage, o.drawInspection))
	mux.Handle("GET /office/inspections/{id}/transcript.json", o.signedIn(server.Oversee, o.inspTranscript))
	mux.Handle("GET /office/inspections/{id}/sites/{site}", o.show(inspSitePage))
	mux.Handle("POST /office/inspections/{id}/sites/{site}", o.post(server.Write, inspSitePage, o.inspSiteAction))
}

// sourceRows is how many public values the commitment form offers; an
// empty row is left out (a 双色球 draw is two: red balls and blue ball).
const sourceRows = 3

// inspURL is the path of a draw's page; inspSiteURL of a drawn site's.
func inspURL(id int64) string { return "/office/inspections/" + strconv.FormatInt(id, 10) }

func inspSiteURL(id int64, site string) string { return inspURL(id) + "/sites/" + url.PathEscape(site) }

// PlanText says a plan in the view's language.
func (v *view) PlanText(p inspect.Plan) string {
	return fmt.Sprintf(v.T("insp.plan_text"), p.SharePercent, p.MinSites, p.InspectorsPerSite)
}

// SourceText says which public value a source announces.
func (v *view) SourceText(s inspect.Source) string {
	if s.Kind == inspect.KindNumbers {
		return fmt.Sprintf(v.T("insp.source_numbers"), s.Name, s.Count)
	}
	return fmt.Sprintf(v.T("insp.source_text"), s.Name)
}

// FormAt is the i-th value of a refused form's repeated field.
func (v *view) FormAt(field string, i int) string {
	if l := v.Form[field]; i < len(l) {
		return l[i]
	}
	return ""
}

// Join lists codes as the register files do.
func (v *view) Join(l []string) string { return strings.Join(l, "；") }

// Short is a hash's first 16 hex digits, for a list.
func (v *view) Short(h string) string { return h[:min(16, len(h))] + "…" }

// Inc is i+1, to number rows from 1.
func (v *view) Inc(i int) int { return i + 1 }

// Day is a date in China Standard Time.
func (v *view) Day(t time.Time) string { return t.In(server.CST).Format("2006-01-02") }

// ItemName is a checklist item's name in the view's language.
func (v *view) ItemName(code string) string {
	it, ok := inspect.ChecklistItemOf(code)
	switch {
	case !ok:
		return code
	case v.Lang == en:
		return it.En
	}
	return it.Zh
}

// inspIndexData is the inspections' start page.
type inspIndexData struct {
	Registers  *server.RegistersSnapshot // the current snapshot; nil before the first
	Draws      []inspDrawData            // newest first, without their sites
	SourceRows []struct{}
}

// inspDrawData is a draw: its commitment, and once drawn its transcript
// and each drawn site with its inspectors and outcome.
type inspDrawData struct {
	ID                             int64
	URL                            string
	Hash, RegistersHash, Canonical string
	CommittedAt                    time.Time
	CommittedBy                    string
	Plan                           inspect.Plan
	Sources                        []inspect.Source
	Drawn                          bool
	DrawnAt                        time.Time
	DrawnBy                        string
	Values                         []string // normal forms, as the transcript has them
	Key, Seed                      string
	Sites                          []inspSiteData
}

// inspSiteData is a drawn site: its inspectors with their register
// entries, its findings and rectification.
type inspSiteData struct {
	server.InspectedSite
	Inspectors []inspect.Inspector
	URL        string
	DrawURL    string
	Checklist  []inspect.ChecklistItem
}

// drawData is what the pages show of an inspection; reg, when given, names
// the drawn sites' inspectors.
func drawData(in server.Inspection, reg *inspect.Registers) inspDrawData {
	d := inspDrawData{ID: in.ID, URL: inspURL(in.ID), Hash: in.CommitmentSHA256, RegistersHash: in.Commitment.RegistersSHA256,
		Canonical: string(in.CommitmentJSON), CommittedAt: in.PublishedAt, CommittedBy: in.CommittedBy, Plan: in.Commitment.Plan,
		Sources: in.Commitment.Sources, Drawn: in.Drawn, DrawnAt: in.TypedAt, DrawnBy: in.TypedBy}
	if t := in.Transcript; t != nil {
		d.Values, d.Key, d.Seed = t.Values, t.Key, t.Seed
	}
	for _, s := range in.Sites {
		sd := inspSiteData{InspectedSite: s, URL: inspSiteURL(in.ID, s.SiteCode), DrawURL: d.URL, Checklist: inspect.Checklist}
		for _, id := range s.Inspectors {
			entry := inspect.Inspector{ID: id}
			if reg != nil {
				if i := slices.IndexFunc(reg.Inspectors, func(x inspect.Inspector) bool { return x.ID == id }); i >= 0 {
					entry = reg.Inspectors[i]
				}
			}
			sd.Inspectors = append(sd.Inspectors, entry)
		}
		d.Sites = append(d.Sites, sd)
	}
	return d
}

func (o *office) loadInspIndex(r *http.Request, _ *view) (any, error) {
	d := inspIndexData{SourceRows: make([]struct{}, sourceRows)}
	reg, err := o.central.InspectionRegisters(r.Context())
	switch {
	case err == nil:
		d.Registers = &reg
	case !errors.Is(err, server.ErrNotFound):
		return nil, err
	}
	list, err := o.central.Inspections(r.Context())
	if err != nil {
		return nil, err
	}
	for _, in := range list {
		d.Draws = append(d.Draws, drawData(in, nil))
	}
	return d, nil
}

// importInspRegisters takes the two register files; the service refuses
// them whole, naming the file, row and field of the first error.
func (o *office) importInspRegisters(w http.ResponseWriter, r *http.Request, v *view) error {
	sites, err := uploaded(r, v, "sites")
	if err != nil {
		return err
	}
	inspectors, err := uploaded(r, v, "inspectors")
	if err != nil {
		return err
	}
	reg, err := o.central.ImportRegisters(r.Context(), sites, inspectors, v.actor())
	if err != nil {
		return err
	}
	o.log.Info("office inspection registers", "sites", reg.Sites, "inspectors", reg.Inspectors)
	seeOther(w, r, "/office/inspections", "done.insp_registers")
	return nil
}

// uploaded is the form's file field, named as the user's file is.
func uploaded(r *http.Request, v *view, field string) (server.RegisterFile, error) {
	f, h, err := r.FormFile(field)
	if err != nil {
		return server.RegisterFile{}, server.AsInput(fmt.Errorf(v.T("err.insp_file"), v.T("insp."+field+"_file")))
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		return server.RegisterFile{}, fmt.Errorf("read upload: %w", err)
	}
	return server.RegisterFile{Name: path.Base(h.Filename), Data: b}, nil
}

// formInt reads a whole number of the form, or says which field is not one.
func formInt(r *http.Request, v *view, field, label string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(r.PostFormValue(field)))
	if err != nil {
		return 0, server.AsInput(fmt.Errorf(v.T("err.insp_number"), v.T(label)))
	}
	return n, nil
}

// commitInspection publishes a commitment of the current registers, the
// plan and the sources of the public values (CommitInspection checks them
// and audits it).
func (o *office) commitInspection(w http.ResponseWriter, r *http.Request, v *view) error {
	var p inspect.Plan
	var err error
	if p.SharePercent, err = formInt(r, v, "share", "insp.share"); err != nil {
		return err
	}
	if p.MinSites, err = formInt(r, v, "min_sites", "insp.min_sites"); err != nil {
		return err
	}
	if p.InspectorsPerSite, err = formInt(r, v, "per_site", "insp.per_site"); err != nil {
		return err
	}
	sources, err := formSources(r, v)
	if err != nil {
		return err
	}
	in, err := o.central.CommitInspection(r.Context(), p, inspect.DescribeSources(sources), v.actor())
	if err != nil {
		return err
	}
	o.log.Info("office inspection committed", "inspection", in.ID)
	seeOther(w, r, inspURL(in.ID), "done.insp_committed")
	return nil
}

// formSources reads the rows of public values (kind, count, name); a row
// without a name is left out.
func formSources(r *http.Request, v *view) ([]inspect.Source, error) {
	at := func(field string, i int) string {
		if l := r.PostForm[field]; i < len(l) {
			return strings.TrimSpace(l[i])
		}
		return ""
	}
	var sources []inspect.Source
	for i := range r.PostForm["name"] {
		s := inspect.Source{Kind: inspect.KindNumbers, Name: at("name", i)}
		switch {
		case s.Name == "":
			continue
		case strings.ContainsAny(s.Name, ";；\r\n"):
			return nil, server.AsInput(fmt.Errorf(v.T("err.insp_source_name"), i+1))
		case at("kind", i) == string(inspect.KindText):
			s.Kind = inspect.KindText
		default:
			n, err := strconv.Atoi(at("count", i))
			if err != nil {
				return nil, server.AsInput(fmt.Errorf(v.T("err.insp_count"), i+1))
			}
			s.Count = n
		}
		sources = append(sources, s)
	}
	if len(sources) == 0 {
		return nil, server.AsInput(errors.New(v.T("err.insp_sources")))
	}
	return sources, nil
}

func inspID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("%w: no inspection %q", server.ErrNotFound, r.PathValue("id"))
	}
	return id, nil
}

// inspection is the inspection of the request's path, with its drawn sites'
// inspectors named from the registers it commits to.
func (o *office) inspection(r *http.Request) (inspDrawData, error) {
	id, err := inspID(r)
	if err != nil {
		return inspDrawData{}, err
	}
	in, err := o.central.Inspection(r.Context(), id)
	if err != nil {
		return inspDrawData{}, err
	}
	reg, err := o.central.InspectionRegistersOf(r.Context(), id)
	if err != nil {
		return inspDrawData{}, err
	}
	return drawData(in, &reg.Registers), nil
}

func (o *office) loadInspDraw(r *http.Request, _ *view) (any, error) { return o.inspection(r) }

// drawInspection types in the public values and draws (once; the service
// audits it).
func (o *office) drawInspection(w http.ResponseWriter, r *http.Request, v *view) error {
	id, err := inspID(r)
	if err != nil {
		return err
	}
	in, err := o.central.DrawInspection(r.Context(), id, r.PostForm["value"], v.actor())
	if err != nil {
		return err
	}
	o.log.Info("office inspection drawn", "inspection", id, "sites", len(in.Sites))
	seeOther(w, r, inspURL(id), "done.insp_drawn")
	return nil
}

// inspTranscript sends a draw's transcript, the canonical bytes as kept.
func (o *office) inspTranscript(w http.ResponseWriter, r *http.Request, v *view) {
	id, err := inspID(r)
	var in server.Inspection
	if err == nil {
		in, err = o.central.Inspection(r.Context(), id)
	}
	if err == nil && !in.Drawn {
		err = fmt.Errorf("%w: inspection %d is not drawn yet", server.ErrNotFound, id)
	}
	if err != nil {
		o.errorPage(w, r, v, err)
		return
	}
	attachment(w, "application/json", fmt.Sprintf("inspection-%d-transcript.json", id))
	w.Write(in.TranscriptJSON)
}

func (o *office) loadInspSite(r *http.Request, _ *view) (any, error) {
	d, err := o.inspection(r)
	if err != nil {
		return nil, err
	}
	code := r.PathValue("site")
	for _, s := range d.Sites {
		if s.SiteCode == code {
			return s, nil
		}
	}
	return nil, fmt.Errorf("%w: site %q was not drawn in inspection %d", server.ErrNotFound, code, d.ID)
}

// inspSiteAction records a site's findings (op=findings) or closes its
// rectification (op=close); the service checks and audits both.
func (o *office) inspSiteAction(w http.ResponseWriter, r *http.Request, v *view) error {
	id, err := inspID(r)
	if err != nil {
		return err
	}
	code := r.PathValue("site")
	switch r.PostFormValue("op") {
	case "findings":
		var fs []server.Finding
		for _, it := range inspect.Checklist {
			f := server.Finding{Item: it.Code, Note: r.PostFormValue("note-" + it.Code)}
			switch r.PostFormValue("verdict-" + it.Code) {
			case "pass":
			case "issue":
				f.Issue = true
			default:
				return server.AsInput(fmt.Errorf(v.T("err.insp_verdict"), v.ItemName(it.Code)))
			}
			fs = append(fs, f)
		}
		var deadline time.Time
		if s := strings.TrimSpace(r.PostFormValue("deadline")); s != "" {
			day, err := time.ParseInLocation("2006-01-02", s, server.CST)
			if err != nil {
				return server.AsInput(errors.New(v.T("err.insp_deadline")))
			}
			deadline = day.AddDate(0, 0, 1).Add(-time.Second) // the end of the day, Beijing time
		}
		if _, err := o.central.RecordFindings(r.Context(), id, code, fs, deadline, v.actor()); err != nil {
			return err
		}
		o.log.Info("office inspection findings", "inspection", id)
		seeOther(w, r, inspSiteURL(id, code), "done.insp_findings")
	case "close":
		if _, err := o.central.CloseRectification(r.Context(), id, code, r.PostFormValue("note"), v.actor()); err != nil {
			return err
		}
		o.log.Info("office inspection rectification closed", "inspection", id)
		seeOther(w, r, inspSiteURL(id, code), "done.insp_closed")
	default:
		return server.AsInput(errors.New(v.T("err.insp_op")))
	}
	return nil
}

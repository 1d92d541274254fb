package public

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"onex/exam/credential"
	"onex/exam/credit"
	"onex/server"
	"onex/server/web/conn"
)

// The learner's page (issue 17, credit bank): a learner types a
// certificate's number, the holder's name and the holder's ID number and
// sees their account — outcomes, conversions, credits — and nothing else;
// the same three fields, posted again, download the transcript as a PDF or
// as a signed credential. Every request is a POST (the ID number never goes
// into a URL, a log or a browser's history), answered no-store; the page
// never shows the ID number but masked, and never in a form field. The
// service throttles lookups that find nothing per address.

// maxLearnerForm bounds the form's body.
const maxLearnerForm = 4 << 10

// routesLearner adds the learner's page (public.Routes calls it).
func routesLearner(mux *http.ServeMux, p *public) {
	mux.HandleFunc("GET /learner", p.learnerForm)
	mux.HandleFunc("POST /learner", p.learner)
	mux.HandleFunc("POST /learner/transcript.pdf", p.learnerPDF)
	mux.HandleFunc("POST /learner/transcript.jwt", p.learnerVC)
}

// learnerView is what the learner page shows.
type learnerView struct {
	Lang         lang
	Number, Name string                 // as typed, to fill the form again (the ID number never is)
	Account      *server.LearnerAccount // the account found
	IDMasked     string                 // the ID number typed, masked
	NotFound     bool                   // no account of that certificate, name and ID number
	Input        bool                   // a field missing
	Wait         *server.ThrottledError // too many lookups found nothing of late
}

// T translates a key of the learner page (its own table, then the
// verification page's).
func (v *learnerView) T(key string) string {
	if m, ok := learnerMessages[key]; ok {
		return m[v.Lang]
	}
	return v.Lang.T(key)
}

// Day is a time's day in China Standard Time.
func (v *learnerView) Day(t time.Time) string { return t.In(server.CST).Format("2006-01-02") }

// Status names a certificate's status.
func (v *learnerView) Status(s credential.Status) string { return v.T("status." + s.String()) }

// Valid reports whether a certificate is valid (only a valid one converts).
func (v *learnerView) Valid(s credential.Status) bool { return s == credential.Valid }

// From says in the page's language which outcome a conversion converts.
func (v *learnerView) From(cv credit.Conversion) string {
	if n, ok := strings.CutPrefix(cv.Outcome, "certificate:"); ok {
		return fmt.Sprintf(v.T("learner.from_cert"), n, cv.Rule)
	}
	return fmt.Sprintf(v.T("learner.from_course"), strings.TrimPrefix(cv.Outcome, "course:"), cv.Rule)
}

// Note says which certificate converts to nothing, and why.
func (v *learnerView) Note(n credit.Note) string {
	return strings.TrimPrefix(n.Outcome, "certificate:") + ": " + v.T("learner.why."+string(n.Reason))
}

// Credits is the account's credits: courses passed and conversions granted.
func (v *learnerView) Credits() string { return v.Account.Credits().String() }

// WaitFor says how long the address must wait.
func (v *learnerView) WaitFor() string {
	return fmt.Sprintf(v.T("says.seconds"), int64(v.Wait.Left/time.Second))
}

// noStore marks a response that holds a learner's account: kept by no
// cache, and no referrer sent from it.
func noStore(w http.ResponseWriter) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
}

// learnerForm shows the empty form.
func (p *public) learnerForm(w http.ResponseWriter, r *http.Request) {
	p.render(w, "learner.html", http.StatusOK, &learnerView{Lang: parseLang(r.URL.Query().Get("lang"))})
}

// learnerFields reads the posted form: lang, number, name, id.
func learnerFields(w http.ResponseWriter, r *http.Request) (*learnerView, string, bool) {
	r.Body = http.MaxBytesReader(w, r.Body, maxLearnerForm)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return nil, "", false
	}
	v := &learnerView{Lang: parseLang(r.PostFormValue("lang")), Number: r.PostFormValue("number"), Name: r.PostFormValue("name")}
	return v, r.PostFormValue("id"), true
}

// lookupFailed shows the page for a lookup that found no account: not
// found, throttled or a field missing; false when err is none of these.
func (p *public) lookupFailed(w http.ResponseWriter, v *learnerView, err error) bool {
	status := http.StatusOK
	switch wait := retryAfter(w, err); {
	case wait != nil:
		v.Wait, status = wait, http.StatusTooManyRequests
	case errors.Is(err, server.ErrCreditLookup):
		v.Input, status = true, http.StatusBadRequest
	case errors.Is(err, server.ErrNotFound):
		v.NotFound, status = true, http.StatusNotFound
	default:
		return false
	}
	p.render(w, "learner.html", status, v)
	return true
}

// learner shows the account of the certificate, name and ID number posted.
func (p *public) learner(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	v, id, ok := learnerFields(w, r)
	if !ok {
		return
	}
	acc, err := p.central.LearnerAccountByCertificate(r.Context(), v.Number, v.Name, id, conn.ClientAddr(r))
	if err == nil {
		v.Account, v.IDMasked = &acc, server.MaskID(id)
		p.render(w, "learner.html", http.StatusOK, v)
		return
	}
	if !p.lookupFailed(w, v, err) {
		p.log.Error("learner account", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
	}
}

// learnerPDF sends the transcript PDF of the three fields posted.
func (p *public) learnerPDF(w http.ResponseWriter, r *http.Request) {
	p.download(w, r, "application/pdf", "onex-transcript.pdf", func(v *learnerView, id string) ([]byte, error) {
		var buf bytes.Buffer
		err := p.central.LearnerTranscriptPDF(r.Context(), &buf, v.Number, v.Name, id, conn.ClientAddr(r))
		return buf.Bytes(), err
	})
}

// learnerVC sends the signed transcript (VC-JOSE) of the three fields posted.
func (p *public) learnerVC(w http.ResponseWriter, r *http.Request) {
	p.download(w, r, "application/vc+jwt", "onex-transcript.jwt", func(v *learnerView, id string) ([]byte, error) {
		tok, err := p.central.LearnerTranscriptVC(r.Context(), v.Number, v.Name, id, conn.ClientAddr(r))
		return []byte(tok), err
	})
}

// download sends what build makes of the three fields posted as an
// attachment, or the page saying why there is none.
func (p *public) download(w http.ResponseWriter, r *http.Request, contentType, file string, build func(v *learnerView, id string) ([]byte, error)) {
	noStore(w)
	v, id, ok := learnerFields(w, r)
	if !ok {
		return
	}
	b, err := build(v, id)
	if err == nil {
		w.Header().Set("Content-Type", contentType)
		w.Header().Set("Content-Disposition", `attachment; filename="`+file+`"`)
		w.Write(b)
		return
	}
	if !p.lookupFailed(w, v, err) {
		p.log.Error("learner transcript", "file", file, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
	}
}

package public

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"onex/server"
	"onex/server/web/conn"
)

// routesVerify adds certificate verification (issue 16): the page anyone
// checks a certificate on, and the signed documents offline verifiers and
// wallets fetch.
func routesVerify(mux *http.ServeMux, p *public) {
	mux.HandleFunc("GET /verify", p.verify)
	mux.HandleFunc("GET /verify/trust", p.verifyTrust)
	mux.HandleFunc("GET "+server.StatusListPath, p.statusList)
}

// verifyView is what the verification page shows: what was typed, and the
// outcome.
type verifyView struct {
	Lang               lang
	Number, Name, Text string                    // as typed, to fill the forms again
	Found              *server.PublicCertificate // a certificate central issued, with its status now
	Unknown            *server.PublicCertificate // a text signed by central of a number it has no record of
	NotFound           bool                      // no certificate of that number and name
	Bad                string                    // why the text is no certificate text (a why.* key's suffix)
	Input              bool                      // nothing to verify
	Wait               *server.ThrottledError    // too many verifications found nothing of late
}

func (v *verifyView) T(key string) string { return v.Lang.T(key) }

// Day is a date as printed on a certificate, in China Standard Time.
func (v *verifyView) Day(t time.Time) string { return t.In(server.CST).Format("2006-01-02") }

// When is a time to the minute, in China Standard Time.
func (v *verifyView) When(t time.Time) string { return when(t) }

// certOf is one certificate shown on the page (the template
// "verify-cert").
type certOf struct {
	V *verifyView
	C *server.PublicCertificate
}

func (c certOf) T(key string) string { return c.V.T(key) }

// With pairs the page with a certificate for "verify-cert".
func (v *verifyView) With(c *server.PublicCertificate) certOf { return certOf{v, c} }

// WaitFor says how long the address must wait.
func (v *verifyView) WaitFor() string {
	return fmt.Sprintf(v.T("says.seconds"), int64(v.Wait.Left/time.Second))
}

// verify checks a certificate by ?number= and ?name=, or by ?text= (the QR
// code's text), or shows the empty forms.
func (p *public) verify(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	v := &verifyView{Lang: parseLang(q.Get("lang")), Number: q.Get("number"), Name: q.Get("name"), Text: q.Get("text")}
	status := http.StatusOK
	var (
		got server.PublicCertificate
		err error
	)
	switch {
	case strings.TrimSpace(v.Text) != "":
		got, err = p.central.VerifyCertificateText(r.Context(), v.Text, conn.ClientAddr(r))
	case q.Has("number") || q.Has("name"):
		got, err = p.central.LookupCertificate(r.Context(), v.Number, v.Name, conn.ClientAddr(r))
	case q.Has("text"):
		err = server.ErrVerifyInput
	default:
		p.render(w, "verify.html", status, v)
		return
	}
	switch wait := retryAfter(w, err); {
	case wait != nil:
		v.Wait, status = wait, http.StatusTooManyRequests
	case err == nil:
		v.Found = &got
	case errors.Is(err, server.ErrCertificateUnknown):
		v.Unknown, status = &got, http.StatusNotFound
	case errors.Is(err, server.ErrCertificateText):
		v.Bad, status = server.CertificateTextWhy(err), http.StatusBadRequest
	case errors.Is(err, server.ErrNotFound):
		v.NotFound, status = true, http.StatusNotFound
	case errors.Is(err, server.ErrVerifyInput):
		v.Input, status = true, http.StatusBadRequest
	default:
		p.log.Error("certificate verification", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	p.render(w, "verify.html", status, v)
}

// retryAfter is err's *ThrottledError, nil when it is none; it tells the
// client when to come back (Retry-After, whole seconds).
func retryAfter(w http.ResponseWriter, err error) *server.ThrottledError {
	var wait *server.ThrottledError
	if !errors.As(err, &wait) {
		return nil
	}
	w.Header().Set("Retry-After", strconv.FormatInt(int64(wait.Left/time.Second), 10))
	return wait
}

// render writes a page of the set, or a bare 500 when it cannot.
func (p *public) render(w http.ResponseWriter, page string, status int, v any) {
	var buf bytes.Buffer
	err := pages.ExecuteTemplate(&buf, page, v)
	if err == nil {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(status)
		buf.WriteTo(w) // a client gone mid-page is no error of central's
		return
	}
	p.log.Error("render public page", "page", page, "err", err)
	http.Error(w, "internal error", http.StatusInternalServerError)
}

// signedForAnyone sets the headers of a signed document central serves to
// anyone: any site's script may read it (it is signed and public), and
// caches may keep it until central signs it again.
func signedForAnyone(w http.ResponseWriter, contentType string, made, now time.Time) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Access-Control-Allow-Origin", "*")
	left := max(server.CertificateCacheFor-now.Sub(made), 0)
	h.Set("Cache-Control", "public, max-age="+strconv.FormatInt(int64(left/time.Second), 10))
	h.Set("Last-Modified", made.UTC().Format(http.TimeFormat))
}

// verifyTrust serves the signed trust documents (sync.CertificateTrust) for
// anyone's offline verifier, as a site downloads them.
func (p *public) verifyTrust(w http.ResponseWriter, r *http.Request) {
	docs, made, err := p.central.PublicCertificateTrust(r.Context())
	if err != nil {
		p.log.Error("certificate trust", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	body, err := json.Marshal(docs)
	if err != nil {
		p.log.Error("certificate trust", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	signedForAnyone(w, "application/json", made, p.central.Now())
	w.Write(body)
}

// statusList serves the W3C BitstringStatusListCredential of ?purpose=
// (revocation when not given; suspension) as a VC-JOSE token.
func (p *public) statusList(w http.ResponseWriter, r *http.Request) {
	purpose := r.URL.Query().Get("purpose")
	if purpose == "" {
		purpose = "revocation"
	}
	tok, made, err := p.central.StatusListCredential(r.Context(), purpose)
	switch {
	case errors.Is(err, server.ErrInput):
		http.Error(w, err.Error(), http.StatusNotFound)
		return
	case err != nil:
		p.log.Error("status list credential", "purpose", purpose, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	signedForAnyone(w, "application/vc+jwt", made, p.central.Now())
	w.Write([]byte(tok))
}

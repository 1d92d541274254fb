package office

import (
	"bytes"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode"

	qrcode "github.com/skip2/go-qrcode"

	"onex/exam/credential"
	"onex/server"
)

// The office pages of certificates (issue 16): per session, issuing them
// from the approved results that pass and listing them; per certificate,
// its fields, its QR, its PDF and its VC token, and revoking, suspending or
// reinstating it with a reason.
//
// Who sees what, by server.Allows: the pages are Oversee (admin, staff,
// inspector); the holder's name, the QR, the PDF and the VC token, which
// all carry the name, need Rosters (admin, staff), as the roster's names
// do; acting (issue, revoke, suspend, reinstate) needs Write. Markers and
// lead markers see nothing of certificates.
var (
	certIndexPage    = page{"cert_index.html", "title.certificates", server.Oversee, (*office).loadCertIndex}
	sessionCertsPage = page{"certificates.html", "title.session_certificates", server.Oversee, (*office).loadSessionCerts}
	certificatePage  = page{"certificate.html", "title.certificate", server.Oversee, (*office).loadCertificate}
)

// routesCertificates adds the certificate pages (Routes calls it).
func routesCertificates(mux *http.ServeMux, o *office) {
	mux.Handle("GET /office/certificates", findCertificate(o.show(certIndexPage)))
	mux.Handle("POST /office/certificates/rotate", o.post(server.Write, certIndexPage, o.rotateIssuer))
	mux.Handle("GET /office/sessions/{id}/certificates", o.show(sessionCertsPage))
	mux.Handle("POST /office/sessions/{id}/certificates", o.post(server.Write, sessionCertsPage, o.certify))
	mux.Handle("GET /office/certificates/{number}", o.show(certificatePage))
	mux.Handle("POST /office/certificates/{number}", o.post(server.Write, certificatePage, o.setCertStatus))
	mux.Handle("GET /office/certificates/{number}/qr.png", o.signedIn(server.Rosters, o.certQR))
	mux.Handle("GET /office/certificates/{number}/pdf", o.signedIn(server.Rosters, o.certPDF))
	mux.Handle("GET /office/certificates/{number}/vc", o.signedIn(server.Rosters, o.certVC))
}

// certURL is the path of a certificate's page.
func certURL(number string) string { return "/office/certificates/" + url.PathEscape(number) }

// CertStatusText is a certificate's status in the view's language.
func (v *view) CertStatusText(s credential.Status) string { return v.T("cstatus." + s.String()) }

// findCertificate sends a certificate looked up by its number (?number=)
// to its page, which asks for the sign-in; anything else to the
// certificates' start page.
func findCertificate(start http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n := strings.TrimSpace(r.URL.Query().Get("number")); n != "" {
			http.Redirect(w, r, certURL(n), http.StatusSeeOther)
			return
		}
		start.ServeHTTP(w, r)
	})
}

// certIndexData is the certificates' start page: the sessions, and the
// issuer keys of the trust list with their windows.
type certIndexData struct {
	Sessions []sessionInfo
	Keys     []credential.TrustedKey
	Now      time.Time
}

func (o *office) loadCertIndex(r *http.Request, _ *view) (any, error) {
	sessions, err := o.central.Sessions(r.Context())
	if err != nil {
		return nil, err
	}
	tl, err := o.central.TrustList(r.Context())
	if err != nil {
		return nil, err
	}
	d := certIndexData{Keys: tl.Keys, Now: o.central.Now()}
	for _, s := range sessions {
		d.Sessions = append(d.Sessions, infoOf(s))
	}
	return d, nil
}

// rotateIssuer makes a new issuer key sign from now; the one before stops
// signing now (RotateIssuerKey audits it).
func (o *office) rotateIssuer(w http.ResponseWriter, r *http.Request, v *view) error {
	kid, err := o.central.RotateIssuerKey(r.Context(), v.actor())
	if err != nil {
		return err
	}
	o.log.Info("office issuer key rotated", "kid", fmt.Sprintf("%x", kid))
	seeOther(w, r, "/office/certificates", "done.issuer_rotated")
	return nil
}

// sessionCertsData is a session's certificates page.
type sessionCertsData struct {
	Session      sessionInfo
	Certificates []server.Certificate
	Report       *server.CertifyReport // what issuing just did; nil otherwise
}

func (o *office) loadSessionCerts(r *http.Request, v *view) (any, error) {
	s, err := o.session(r)
	if err != nil {
		return nil, err
	}
	certs, err := o.central.Certificates(r.Context(), s.ID)
	if err != nil {
		return nil, err
	}
	d := &sessionCertsData{Session: infoOf(s), Certificates: certs}
	if !v.CanSeeRosters() {
		for i := range d.Certificates {
			d.Certificates[i] = withoutHolder(d.Certificates[i])
		}
	}
	return d, nil
}

// withoutHolder is a certificate without what names its holder or carries
// the name, for a user who reads no roster.
func withoutHolder(c server.Certificate) server.Certificate {
	c.HolderName, c.QR, c.VC, c.IDSalt, c.IDHash = "", "", "", nil, nil
	return c
}

// certify issues the certificates of the session's approved results that
// pass, and shows the report: how many were issued, and each result left
// out with why.
func (o *office) certify(w http.ResponseWriter, r *http.Request, v *view) error {
	id := r.PathValue("id")
	rep, err := o.central.Certify(r.Context(), id, v.actor())
	if err != nil {
		return err
	}
	o.log.Info("office certify", "session", id, "issued", len(rep.Issued), "skipped", len(rep.Skipped))
	data, err := o.loadSessionCerts(r, v)
	if err != nil {
		return err
	}
	data.(*sessionCertsData).Report = &rep
	v.Title, v.Data, v.Notice = sessionCertsPage.title, data, "done.certified"
	o.write(w, http.StatusOK, sessionCertsPage.tmpl, v)
	return nil
}

// certificateData is a certificate's page.
type certificateData struct {
	server.Certificate
	URL     string
	History []server.AuditEntry // the audit log's entries about it, oldest first
}

func (o *office) loadCertificate(r *http.Request, v *view) (any, error) {
	c, err := o.central.Certificate(r.Context(), r.PathValue("number"))
	if err != nil {
		return nil, err
	}
	if !v.CanSeeRosters() {
		c = withoutHolder(c)
	}
	log, err := o.central.AuditLog(r.Context())
	if err != nil {
		return nil, err
	}
	d := certificateData{Certificate: c, URL: certURL(c.Number)}
	for _, e := range log.Entries {
		if slices.Contains(strings.FieldsFunc(e.Detail, notInNumber), c.Number) {
			d.History = append(d.History, e)
		}
	}
	return d, nil
}

// notInNumber reports whether r cannot be part of a certificate number
// (ASCII letters, digits and "-"), so that the audit entries naming one are found
// whatever stands around it.
func notInNumber(r rune) bool {
	return r > unicode.MaxASCII || !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '-'
}

// certStatuses are the status changes the certificate page's form offers,
// by its "to" field, each with the notice of its success.
var certStatuses = map[string]struct {
	to     credential.Status
	notice string
}{
	"revoke":    {credential.Revoked, "done.cert_revoked"},
	"suspend":   {credential.Suspended, "done.cert_suspended"},
	"reinstate": {credential.Valid, "done.cert_reinstated"},
}

// maxReason is the longest reason of a status change, in characters.
const maxReason = 2000

// setCertStatus revokes, suspends or reinstates a certificate, with the
// reason the form must give.
func (o *office) setCertStatus(w http.ResponseWriter, r *http.Request, v *view) error {
	change, ok := certStatuses[r.PostFormValue("to")]
	if !ok {
		return server.AsInput(errors.New(v.T("err.cert_status")))
	}
	reason := strings.TrimSpace(r.PostFormValue("reason"))
	switch {
	case reason == "":
		return server.AsInput(errors.New(v.T("err.cert_reason")))
	case len([]rune(reason)) > maxReason:
		return server.AsInput(fmt.Errorf(v.T("err.cert_reason_long"), maxReason))
	}
	number := r.PathValue("number")
	c, err := o.central.SetCertificateStatus(r.Context(), number, change.to, reason, v.actor())
	var refused *server.StatusChangeError
	switch {
	case errors.As(err, &refused):
		return server.AsInput(fmt.Errorf(v.T("err.cert_change"), v.CertStatusText(refused.From)))
	case err != nil:
		return err
	}
	o.log.Info("office certificate status", "number", c.Number, "status", c.Status.String())
	seeOther(w, r, certURL(c.Number), change.notice)
	return nil
}

// certQR sends the certificate's QR code as a PNG: level Q (go-qrcode's
// High), as on the PDF.
func (o *office) certQR(w http.ResponseWriter, r *http.Request, v *view) {
	c, err := o.central.Certificate(r.Context(), r.PathValue("number"))
	if err != nil {
		o.errorPage(w, r, v, err)
		return
	}
	png, err := qrcode.Encode(c.QR, qrcode.High, -6)
	if err != nil {
		o.errorPage(w, r, v, fmt.Errorf("QR of certificate %s: %w", c.Number, err))
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", "private, no-store")
	w.Write(png)
}

// certPDF sends the printed certificate as an attachment named by its number.
func (o *office) certPDF(w http.ResponseWriter, r *http.Request, v *view) {
	number := r.PathValue("number")
	var buf bytes.Buffer
	if err := o.central.CertificatePDF(r.Context(), number, &buf); err != nil {
		o.errorPage(w, r, v, err)
		return
	}
	attachment(w, "application/pdf", number+".pdf")
	w.Write(buf.Bytes())
}

// certVC sends the certificate's W3C VC (VC-JOSE) token as an attachment.
func (o *office) certVC(w http.ResponseWriter, r *http.Request, v *view) {
	c, err := o.central.Certificate(r.Context(), r.PathValue("number"))
	if err != nil {
		o.errorPage(w, r, v, err)
		return
	}
	attachment(w, "application/vc+jwt", c.Number+".jwt")
	w.Write([]byte(c.VC))
}

// attachment sets the headers of a download: its type, never sniffed, not
// kept by caches, saved under name.
func attachment(w http.ResponseWriter, contentType, name string) {
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "private, no-store")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
}

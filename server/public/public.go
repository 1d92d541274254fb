// Package public is central's pages for anyone, with no sign-in: what a
// candidate, an employer or the public may look up, and no more. Today the
// receipt check: a candidate types their ticket number and the receipt code
// shown at submission and learns whether that very paper reached central,
// and when (its code is the start of the submission envelope's hash, so an
// altered paper is not found, nor another candidate's), and whether it
// counts: received and scored, under review while another
// submission for the candidate is in dispute, or set aside by the office.
// Certificate verification (verify.go, issue 16) is here too; inspection
// results will be. The receipt page is in Chinese and English side by side,
// the verification page in Chinese or, with ?lang=en, English; all work
// without JavaScript.
package public

import (
	"embed"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"onex/exam/seal"
	"onex/server"
	"onex/server/web/conn"
)

//go:embed web/*.html
var files embed.FS

var pages = template.Must(template.New("").Funcs(template.FuncMap{"when": when}).ParseFS(files, "web/*.html"))

// public serves the public pages of a central.
type public struct {
	central *server.Central
	log     *slog.Logger
}

// Routes adds the public pages to mux.
func Routes(mux *http.ServeMux, c *server.Central, log *slog.Logger) {
	p := &public{central: c, log: log}
	mux.HandleFunc("GET /receipt", p.receipt)
	routesVerify(mux, p)
	routesInspections(mux, p)
	routesLearner(mux, p)
}

// receiptView is what the receipt page shows.
type receiptView struct {
	Ticket   string                     // as typed, to fill the form again
	Code     string                     // as typed, to fill the form again
	NoTicket bool                       // a code without the ticket number
	Wait     *server.ThrottledError     // too many lookups found nothing from this address of late
	Found    *server.ReceivedSubmission // the submission, when central has it, with its standing
	NotFound bool                       // a code, but no submission of it at central
	Problem  string                     // why the text is not a receipt code
}

// receipt checks a receipt code given as ?code=, or shows the empty form.
func (p *public) receipt(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	v := receiptView{Ticket: q.Get("ticket"), Code: q.Get("code")}
	status := http.StatusOK
	if strings.TrimSpace(v.Code) != "" {
		got, err := p.central.CheckReceipt(r.Context(), v.Ticket, v.Code, conn.ClientAddr(r))
		wait := retryAfter(w, err)
		switch {
		case err == nil:
			v.Found = &got
		case wait != nil:
			v.Wait, status = wait, http.StatusTooManyRequests
		case errors.Is(err, server.ErrReceiptTicket):
			v.NoTicket, status = true, http.StatusBadRequest
		case errors.Is(err, server.ErrNotFound):
			v.NotFound, status = true, http.StatusNotFound
		case errors.Is(err, seal.ErrReceiptCode):
			v.Problem, status = strings.TrimPrefix(err.Error(), seal.ErrReceiptCode.Error()+": "), http.StatusBadRequest
		default:
			p.log.Error("receipt check", "err", err)
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
	}
	p.render(w, "receipt.html", status, v)
}

// when formats a time as candidates read it, in China Standard Time.
func when(t time.Time) string { return t.In(server.CST).Format("2006-01-02 15:04") }

// Package server is central, the central office's server: its HTTP API and
// office pages over the exam domain. It starts here with the catalogue and
// papers of the demo; storage, enrolment, packages, release and record ingest
// come with their own issues.
package server

import (
	"embed"
	"html/template"
	"log/slog"
	"net/http"
	"time"

	"onex/exam"
)

//go:embed web/*.html
var pages embed.FS

var tmpl = template.Must(template.New("").Funcs(template.FuncMap{
	"levelName": func(l exam.Level) string { return l.Chinese() },
}).ParseFS(pages, "web/*.html"))

// Server serves central's pages and API.
type Server struct {
	Catalogue *exam.Catalogue
	Papers    []*exam.Paper
	Log       *slog.Logger
}

// Handler returns the routes of central.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /office/{$}", s.catalogue)
	mux.Handle("GET /{$}", http.RedirectHandler("/office/", http.StatusSeeOther))
	return s.logged(mux)
}

func (s *Server) catalogue(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := tmpl.ExecuteTemplate(w, "catalogue.html", s); err != nil {
		s.Log.Error("render catalogue", "err", err)
	}
}

// logged logs each request's method, path, status and duration; never a body.
func (s *Server) logged(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		s.Log.Info("http", "method", r.Method, "path", r.URL.Path, "status", rec.status, "dur", time.Since(start))
	})
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

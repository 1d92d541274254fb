package server

import (
	"embed"
	"html/template"
	"net/http"

	"onex/exam"
	"onex/server/store"
)

//go:embed web/*.html
var pages embed.FS

var tmpl = template.Must(template.New("").Funcs(template.FuncMap{
	"levelName": func(l exam.Level) string { return l.Chinese() },
}).ParseFS(pages, "web/*.html"))

func (c *Central) officeRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /office/{$}", c.officeCatalogue)
	mux.Handle("GET /{$}", http.RedirectHandler("/office/", http.StatusSeeOther))
}

func (c *Central) officeCatalogue(w http.ResponseWriter, r *http.Request) {
	cat, err := c.DB.Catalogue(r.Context())
	if err != nil {
		c.fail(w, r, err)
		return
	}
	papers, err := c.DB.Papers(r.Context())
	if err != nil {
		c.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	err = tmpl.ExecuteTemplate(w, "catalogue.html", struct {
		Catalogue *exam.Catalogue
		Papers    []store.PaperInfo
	}{cat, papers})
	if err != nil {
		c.Log.Error("render catalogue", "err", err)
	}
}

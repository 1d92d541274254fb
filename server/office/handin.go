package office

import (
	"mime"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"onex/server"
)

// A candidate's handed-in files for staff (issue 15): a page listing what
// they handed in for each handin item, text shown escaped in a <pre>,
// every file downloadable as an attachment. Never rendered as HTML.

var handInPage = page{"handin.html", "title.handin", server.Oversee, (*office).loadHandIn}

// routesHandIn adds the hand-in pages (Routes calls it).
func routesHandIn(mux *http.ServeMux, o *office) {
	mux.Handle("GET /office/sessions/{id}/handin/{ticket}", o.show(handInPage))
	mux.Handle("GET /office/sessions/{id}/handin/{ticket}/{item}/{n}", o.signedIn(server.Oversee, o.handInFile))
}

// maxShown is the largest text file the page shows; larger ones are downloaded.
const maxShown = 256 << 10

type handInData struct {
	SessionID, Ticket string
	Items             []handInItem
}

type handInItem struct {
	ID    string
	Stem  string
	Files []handInFile
}

type handInFile struct {
	server.HandedFile
	URL  string
	Text string // the content when it is text to show; "" otherwise
	Show bool
}

func (o *office) loadHandIn(r *http.Request, _ *view) (any, error) {
	id, ticket := r.PathValue("id"), r.PathValue("ticket")
	items, err := o.central.HandedInAll(r.Context(), id, ticket)
	if err != nil {
		return nil, err
	}
	d := handInData{SessionID: id, Ticket: ticket}
	for _, it := range items {
		hi := handInItem{ID: it.Item.ID, Stem: it.Item.Stem}
		for n, f := range it.Files {
			hf := handInFile{HandedFile: f, URL: "/office/sessions/" + url.PathEscape(id) + "/handin/" + url.PathEscape(ticket) + "/" + url.PathEscape(it.Item.ID) + "/" + strconv.Itoa(n)}
			if f.Complete() && isText(f.Content) {
				hf.Text, hf.Show = string(f.Content), true
			}
			f.Content = nil
			hi.Files = append(hi.Files, hf)
		}
		d.Items = append(d.Items, hi)
	}
	return d, nil
}

// isText reports whether content is shown in the page: UTF-8 text without
// NUL, of at most maxShown bytes.
func isText(b []byte) bool {
	return len(b) <= maxShown && utf8.Valid(b) && !strings.ContainsRune(string(b), 0)
}

// handInFile sends one handed-in file as an attachment: application/octet-stream,
// nosniff, its name made safe, never to be rendered by the browser.
func (o *office) handInFile(w http.ResponseWriter, r *http.Request, v *view) {
	id, ticket, item := r.PathValue("id"), r.PathValue("ticket"), r.PathValue("item")
	n, err := strconv.Atoi(r.PathValue("n"))
	if err != nil || n < 0 {
		o.errorPage(w, r, v, server.ErrNotFound)
		return
	}
	files, err := o.central.HandedIn(r.Context(), id, ticket, item)
	if err != nil {
		o.errorPage(w, r, v, err)
		return
	}
	if n >= len(files) || !files[n].Complete() {
		o.errorPage(w, r, v, server.ErrNotFound)
		return
	}
	sendAttachment(w, safeName(files[n].Name), files[n].Content)
}

// sendAttachment sends a handed-in file as an attachment named name:
// application/octet-stream, nosniff, sandboxed, never rendered by the
// browser (the staff's page and the marker's).
func sendAttachment(w http.ResponseWriter, name string, content []byte) {
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Security-Policy", "sandbox; default-src 'none'")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	w.Header().Set("Content-Length", strconv.Itoa(len(content)))
	w.Write(content)
}

// safeName is a download's file name: the last part of the handed-in name,
// only letters and digits (of any script), "-", "_" and ".", not starting with
// a dot, at most 100 characters.
func safeName(name string) string {
	var b strings.Builder
	n := 0
	for _, r := range path.Base(name) {
		if n == 100 {
			break
		}
		if r == '-' || r == '_' || r == '.' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r > 0x7f && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
			b.WriteRune(r)
		} else {
			b.WriteRune('_')
		}
		n++
	}
	s := strings.TrimLeft(b.String(), ".")
	if s == "" {
		return "file"
	}
	return s
}

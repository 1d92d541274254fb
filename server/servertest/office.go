package servertest

import (
	"bytes"
	"html"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// Office is a browser without JavaScript on central's office pages: it
// keeps cookies, does not follow redirects, and remembers the last CSRF
// token a page carried.
type Office struct {
	HTTP *http.Client
	CSRF string // the last CSRF token a page carried
	Raw  string // the last page as it came, HTML entities and all

	t    testing.TB
	base string
}

// Office is a new browser, signed out.
func (c *Central) Office(t testing.TB) *Office {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &Office{t: t, base: c.URL, HTTP: &http.Client{Jar: jar, Transport: c.HTTP.Transport,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// SignedIn is a browser signed in as a new office user with the role.
func (c *Central) SignedIn(t testing.TB, role string) *Office {
	t.Helper()
	password := "pw of " + role
	if err := c.PutUser(t.Context(), role, password, role, "test"); err != nil {
		t.Fatal(err)
	}
	o := c.Office(t)
	if code := o.SignIn(role, password); code != http.StatusSeeOther {
		t.Fatalf("sign in as %s: %d", role, code)
	}
	return o
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// Do sends a request and returns the status, the page's text (HTML
// entities decoded) and the response headers.
func (o *Office) Do(req *http.Request) (int, string, http.Header) {
	o.t.Helper()
	resp, err := o.HTTP.Do(req)
	if err != nil {
		o.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		o.t.Fatal(err)
	}
	o.Raw = string(b)
	if m := csrfField.FindSubmatch(b); m != nil {
		o.CSRF = string(m[1])
	}
	return resp.StatusCode, html.UnescapeString(string(b)), resp.Header
}

// Get fetches a page: its status and text.
func (o *Office) Get(path string) (int, string) {
	o.t.Helper()
	req, err := http.NewRequest("GET", o.base+path, nil)
	if err != nil {
		o.t.Fatal(err)
	}
	code, body, _ := o.Do(req)
	return code, body
}

// Page fetches a page that must answer 200 and returns its text.
func (o *Office) Page(path string) string {
	o.t.Helper()
	code, body := o.Get(path)
	if code != http.StatusOK {
		o.t.Fatalf("GET %s: %d", path, code)
	}
	return body
}

// Post sends a form with the last CSRF token seen, unless the form has its own.
func (o *Office) Post(path string, form url.Values) (int, string, http.Header) {
	o.t.Helper()
	if !form.Has("csrf") {
		form.Set("csrf", o.CSRF)
	}
	req, err := http.NewRequest("POST", o.base+path, strings.NewReader(form.Encode()))
	if err != nil {
		o.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return o.Do(req)
}

// UploadRequest is a multipart form with the fields and, unless file is nil, a file.
func UploadRequest(url string, fields map[string]string, file []byte) *http.Request {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	if file != nil {
		fw, _ := mw.CreateFormFile("file", "upload")
		fw.Write(file)
	}
	mw.Close()
	req, _ := http.NewRequest("POST", url, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return req
}

// Upload sends a multipart form with the last CSRF token seen, unless the fields have their own.
func (o *Office) Upload(path string, fields map[string]string, file []byte) (int, string) {
	o.t.Helper()
	if _, ok := fields["csrf"]; !ok {
		fields["csrf"] = o.CSRF
	}
	code, body, _ := o.Do(UploadRequest(o.base+path, fields, file))
	return code, body
}

// SignIn signs in through the sign-in form and returns the form's status.
func (o *Office) SignIn(user, password string) int {
	o.t.Helper()
	o.Get("/office/signin")
	code, _, _ := o.Post("/office/signin", url.Values{"user": {user}, "password": {password}})
	if code == http.StatusSeeOther {
		o.Get("/office/") // picks up the session's CSRF token
	}
	return code
}

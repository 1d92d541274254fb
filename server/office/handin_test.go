package office_test

import (
	"bytes"
	"crypto/rand"
	"net/http"
	"strings"
	"testing"

	"onex/exam"
	"onex/server"
	"onex/server/servertest"
	osync "onex/sync"
)

// TestHandInPageAndDownload: staff follow the results page's link to a
// candidate's handed-in files; text is shown escaped in a <pre>, never as
// HTML; a download is an attachment of type application/octet-stream with
// nosniff and a safe name, the bytes handed in; a marker's role does not
// reach the page.
func TestHandInPageAndDownload(t *testing.T) {
	c := servertest.New(t, servertest.WithHandIn())
	d := c.Enrol(t, "SITE-001")
	const ticket = "2026WEB010001"
	page := []byte("<script>alert('handed-in')</script>\n<p>我的网页</p>")
	bin := make([]byte, exam.HandInChunk+10)
	rand.Read(bin)
	bin[0] = 0
	files := map[string][]byte{"index.html": page, "img/photo.bin": bin}
	answer, envs := d.HandIn(c.Session, ticket, servertest.HandInItem, []string{"index.html", "img/photo.bin"}, files)
	envs = append(envs, d.Seal(osync.KindSubmission, servertest.Submission(c.Session, ticket, map[string]exam.Answer{servertest.HandInItem: answer})).Bytes)
	if code, resp := d.Push(envs...); code != 200 || resp.Results[len(resp.Results)-1].Outcome != osync.Accepted {
		t.Fatalf("push: %d %+v", code, resp.Results)
	}

	staff := c.SignedIn(t, server.RoleStaff)
	results := staff.Page("/office/sessions/" + c.Session.ID + "/results")
	link := "/office/sessions/" + c.Session.ID + "/handin/" + ticket
	if !strings.Contains(results, `href="`+link+`"`) {
		t.Fatalf("the results page has no link to the candidate's files")
	}
	text := staff.Page(link)
	html := staff.Raw
	if strings.Contains(html, "<script>alert") || !strings.Contains(html, "&lt;script&gt;alert(&#39;handed-in&#39;)&lt;/script&gt;") || !strings.Contains(text, "我的网页") {
		t.Errorf("the text is not shown escaped:\n%s", html)
	}
	if !strings.Contains(html, exam.FileHash(bin)) || strings.Count(html, "<pre") != 1 {
		t.Errorf("the binary file is not listed, or is shown")
	}
	for n, want := range [][]byte{page, bin} {
		req, _ := http.NewRequest("GET", c.URL+link+"/"+servertest.HandInItem+"/"+string(rune('0'+n)), nil)
		code, _, h := staff.Do(req)
		if body := staff.Raw; code != 200 || !bytes.Equal([]byte(body), want) || h.Get("Content-Type") != "application/octet-stream" || h.Get("X-Content-Type-Options") != "nosniff" ||
			!strings.HasPrefix(h.Get("Content-Disposition"), "attachment;") {
			t.Errorf("download %d: %d, %d bytes, %v", n, code, len(staff.Raw), h)
		}
	}
	req, _ := http.NewRequest("GET", c.URL+link+"/"+servertest.HandInItem+"/1", nil)
	if _, _, h := staff.Do(req); h.Get("Content-Disposition") != `attachment; filename=photo.bin` {
		t.Errorf("the download's name: %q", h.Get("Content-Disposition"))
	}
	req, _ = http.NewRequest("GET", c.URL+link+"/"+servertest.HandInItem+"/2", nil)
	if code, _, _ := staff.Do(req); code != http.StatusNotFound {
		t.Errorf("a file that is not there: %d", code)
	}
	marker := c.SignedIn(t, server.RoleMarker)
	if code, body := marker.Get(link); code != http.StatusForbidden || strings.Contains(body, "handed-in") || strings.Contains(body, "photo.bin") {
		t.Errorf("a marker reaches the staff page: %d", code)
	}
}

package office_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"onex/assets"
	"onex/exam/seal"
	"onex/server"
	"onex/server/servertest"
	"onex/server/store"
	osync "onex/sync"
)

// officeClient is a browser without JavaScript: it keeps cookies, does not
// follow redirects, and remembers the last CSRF token a page carried.
func sample(t testing.TB, name string) []byte {
	b, err := fs.ReadFile(assets.Samples, "samples/"+name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func auditText(t *testing.T, c *servertest.Central) string {
	t.Helper()
	log, err := c.AuditLog(context.Background())
	if err != nil || log.Broken != "" {
		t.Fatal(err, log.Broken)
	}
	var b strings.Builder
	for _, a := range log.Entries {
		b.WriteString(a.Actor + "|" + a.Action + "|" + a.Detail + "\n")
	}
	return b.String()
}

func TestOfficeSignIn(t *testing.T) {
	var logs bytes.Buffer
	c := servertest.New(t, servertest.WithLog(slog.New(slog.NewTextHandler(&logs, nil))))
	o := c.Office(t)

	req, _ := http.NewRequest("GET", c.URL+"/office/sessions", nil)
	if code, _, h := o.Do(req); code != http.StatusSeeOther || h.Get("Location") != "/office/signin?next=%2Foffice%2Fsessions" {
		t.Errorf("signed-out GET: %d to %q", code, h.Get("Location"))
	}
	if code, _, _ := o.Post("/office/sessions", url.Values{"site": {"SITE-001"}}); code != http.StatusUnauthorized {
		t.Errorf("signed-out POST: %d", code)
	}
	// The sign-in form has its own CSRF token.
	if code, _, _ := o.Post("/office/signin", url.Values{"user": {"admin"}, "password": {servertest.AdminPassword}}); code != http.StatusForbidden {
		t.Errorf("sign-in without the form's token: %d", code)
	}
	o.Get("/office/signin?next=/office/sessions")
	wrong := "wrong horse battery"
	code, body, _ := o.Post("/office/signin", url.Values{"user": {"admin"}, "password": {wrong}, "next": {"/office/sessions"}})
	if code != http.StatusUnauthorized || !strings.Contains(body, "用户名或密码错误") {
		t.Errorf("wrong password: %d", code)
	}
	sqlName := "' OR '1'='1' --"
	if code, _, _ := o.Post("/office/signin", url.Values{"user": {sqlName}, "password": {"x"}}); code != http.StatusUnauthorized {
		t.Errorf("SQL-looking user name: %d", code)
	}
	if code, _, _ := o.Post("/office/signin", url.Values{"user": {"admin"}, "password": {""}}); code != http.StatusBadRequest {
		t.Errorf("empty password: %d", code)
	}
	if l := logs.String(); strings.Count(l, "sign-in refused") != 2 || strings.Contains(l, wrong) || strings.Contains(l, sqlName) || strings.Contains(l, "admin") {
		t.Errorf("failed sign-ins are not logged as they should be:\n%s", l)
	}

	code, _, h := o.Post("/office/signin", url.Values{"user": {"admin"}, "password": {servertest.AdminPassword}, "next": {"/office/sessions"}})
	if code != http.StatusSeeOther || h.Get("Location") != "/office/sessions" {
		t.Fatalf("sign in: %d to %q", code, h.Get("Location"))
	}
	var token string
	for _, ck := range (&http.Response{Header: h}).Cookies() {
		if ck.Name == "onex_session" {
			token = ck.Value
			if !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode || ck.Secure {
				t.Errorf("session cookie %+v: want HttpOnly, SameSite=Strict, not Secure over plain HTTP", ck)
			}
		}
	}
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(c.Dir, "central.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.WebSession(ctx, token, c.Now()); !errors.Is(err, store.ErrNotFound) {
		t.Error("the session token is stored in the clear")
	}
	if ws, err := db.WebSession(ctx, seal.HashToken(token), c.Now()); err != nil || ws.User.Name != "admin" {
		t.Errorf("session stored under the token's hash: %v", err)
	}
	if code, body := o.Get("/office/sessions"); code != 200 || !strings.Contains(body, "admin · 管理员") {
		t.Errorf("signed-in page: %d", code)
	}
	// The forms' CSRF token is derived from the cookie's token, and stored nowhere.
	if o.CSRF != seal.CSRFToken(token) {
		t.Errorf("the page's CSRF token %q is not the one derived from the session", o.CSRF)
	}
	raw, err := sql.Open("sqlite", "file:"+filepath.Join(c.Dir, "central.db")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var stored string
	if err := raw.QueryRow("SELECT group_concat(token_hash || user_name || expires_at) FROM web_sessions").Scan(&stored); err != nil || strings.Contains(stored, o.CSRF) || !strings.Contains(stored, seal.HashToken(token)) {
		t.Errorf("web sessions as stored: %q, %v", stored, err)
	}

	// Sign out: the cookie is gone and the old token no longer works.
	if code, _, h := o.Post("/office/signout", url.Values{}); code != http.StatusSeeOther || h.Get("Location") != "/office/signin" {
		t.Errorf("sign out: %d %q", code, h.Get("Location"))
	}
	replay, _ := http.NewRequest("GET", c.URL+"/office/", nil)
	replay.AddCookie(&http.Cookie{Name: "onex_session", Value: token})
	if code, _, _ := o.Do(replay); code != http.StatusSeeOther {
		t.Errorf("old session after sign-out: %d", code)
	}

	// Return addresses stay inside the office pages.
	for _, next := range []string{"//evil.example/office/", "https://evil.example/office/", `/\evil.example`, "/api/v1/package"} {
		o := c.Office(t)
		o.Get("/office/signin")
		if _, _, h := o.Post("/office/signin", url.Values{"user": {"admin"}, "password": {servertest.AdminPassword}, "next": {next}}); h.Get("Location") != "/office/" {
			t.Errorf("next=%q: redirected to %q", next, h.Get("Location"))
		}
	}

	// Over TLS the cookies are Secure.
	rec := httptest.NewRecorder()
	tlsReq := httptest.NewRequest("GET", "https://central.example/office/signin", nil)
	tlsReq.TLS = &tls.ConnectionState{}
	c.Handler.ServeHTTP(rec, tlsReq)
	if cks := rec.Result().Cookies(); len(cks) != 1 || !cks[0].Secure || !cks[0].HttpOnly {
		t.Errorf("cookies over TLS: %+v", cks)
	}
}

// TestSignInThrottled: wrong passwords slow a user's next sign-ins, then lock
// the user, the right password included, with the time left; the lock is
// audited. Many names from one address lock the address.
func TestSignInThrottled(t *testing.T) {
	c := servertest.New(t)
	o := c.Office(t)
	for i := range 10 {
		if code := o.SignIn("admin", "wrong password"); code != http.StatusUnauthorized {
			t.Fatalf("wrong password %d: %d", i+1, code)
		}
		c.Clock.Add(time.Minute) // past every wait but the lock
	}
	o.Get("/office/signin")
	code, body, h := o.Post("/office/signin", url.Values{"user": {"admin"}, "password": {servertest.AdminPassword}})
	if code != http.StatusTooManyRequests || !strings.Contains(body, "失败次数过多") || h.Get("Retry-After") == "" {
		t.Fatalf("the right password during the lock: %d, Retry-After %q", code, h.Get("Retry-After"))
	}
	if !strings.Contains(auditText(t, c), "central|lock|office user admin locked for 15m0s after 10 failed attempts") {
		t.Error("the lock is not in the audit log")
	}
	c.Clock.Add(15 * time.Minute)
	if code := o.SignIn("admin", servertest.AdminPassword); code != http.StatusSeeOther {
		t.Fatalf("the right password after the lock: %d", code)
	}

	// Guessing names: the address locks after 30, whoever signs in from it.
	staff := c.SignedIn(t, server.RoleStaff)
	staff.Post("/office/signout", url.Values{})
	for i := range 30 {
		o.SignIn(fmt.Sprintf("guess%d", i), "x")
		c.Clock.Add(time.Minute)
	}
	if code := o.SignIn(server.RoleStaff, "pw of "+server.RoleStaff); code != http.StatusTooManyRequests {
		t.Errorf("a real user from a locked address: %d", code)
	}
}

// TestStaticFilesOnly: the stylesheet is served, the folder is not listed.
func TestStaticFilesOnly(t *testing.T) {
	c := servertest.New(t)
	for path, want := range map[string]int{"/office/static/office.css": 200, "/office/static/": 404, "/office/static": 404} {
		resp, err := http.Get(c.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want || strings.Contains(string(b), "office.css\"") {
			t.Errorf("GET %s: %d, want %d", path, resp.StatusCode, want)
		}
	}
}

func TestOfficeCSRF(t *testing.T) {
	c := servertest.New(t)
	o := c.Office(t)
	if code := o.SignIn("admin", servertest.AdminPassword); code != http.StatusSeeOther {
		t.Fatalf("sign in: %d", code)
	}
	schedule := url.Values{"site": {"SITE-001"}, "room": {"A102"}, "paper": {"WEB-E-2026-A@1"}, "start": {"2026-12-01T09:00"}}
	for name, token := range map[string]string{"missing": "", "wrong": seal.NewToken(), "other session's": c.SignedIn(t, server.RoleStaff).CSRF} {
		form := url.Values{"csrf": {token}}
		for k, v := range schedule {
			form[k] = v
		}
		if code, body, _ := o.Post("/office/sessions", form); code != http.StatusForbidden || !strings.Contains(body, "表单已过期") {
			t.Errorf("%s CSRF token: %d", name, code)
		}
		if code, _ := o.Upload("/office/", map[string]string{"csrf": token}, sample(t, "catalogue.json")); code != http.StatusForbidden {
			t.Errorf("%s CSRF token on an upload: %d", name, code)
		}
	}
	if sessions, _ := c.Sessions(context.Background()); len(sessions) != 1 {
		t.Errorf("a refused form changed something: %d sessions", len(sessions))
	}
	if code, _, _ := o.Post("/office/sessions", schedule); code != http.StatusSeeOther {
		t.Errorf("with the right token: %d", code)
	}
}

func TestOfficeRoles(t *testing.T) {
	c := servertest.New(t)
	id := c.Session.ID
	inspector := c.SignedIn(t, server.RoleInspector)
	pages := []string{"/office/", "/office/papers", "/office/sites", "/office/sessions", "/office/sessions/" + id,
		"/office/sessions/" + id + "/results", "/office/audit", "/office/conflicts"}
	for _, p := range pages {
		code, body := inspector.Get(p)
		if code != 200 || strings.Contains(body, `type="file"`) || strings.Contains(body, `value="unlock"`) || strings.Contains(body, `name="site" value=`) {
			t.Errorf("inspector GET %s: %d, or a form that changes things is shown", p, code)
		}
	}
	if code, body := inspector.Get("/office/sessions/" + id + "/results.csv"); code != 200 || !strings.HasPrefix(body, "\ufeff准考证号") {
		t.Errorf("inspector's CSV: %d", code)
	}
	// An inspector oversees sessions but reads no roster: no name, no ID number.
	if code, body := inspector.Get("/office/sessions/" + id); code != 200 || strings.Contains(body, "欧阳子轩") || strings.Contains(body, `id="roster"`) {
		t.Errorf("inspector's session page: %d, or it shows the roster", code)
	}
	// A marker reads the catalogue and the papers' titles, and nothing else yet.
	marker := c.SignedIn(t, server.RoleMarker)
	for _, p := range []string{"/office/", "/office/papers"} {
		if code, body := marker.Get(p); code != 200 || strings.Contains(body, `href="/office/sessions"`) {
			t.Errorf("marker GET %s: %d, or the menu offers what the marker may not see", p, code)
		}
	}
	for _, p := range append(pages[2:], "/office/sessions/"+id+"/results.csv") {
		if code, body := marker.Get(p); code != http.StatusForbidden || strings.Contains(body, "2026WEB010001") {
			t.Errorf("marker GET %s: %d, want 403", p, code)
		}
	}
	unlockCode := c.UnlockCode(t)
	before := auditText(t, c)
	for path, form := range map[string]url.Values{
		"/office/sites":             {"site": {"SITE-001"}},
		"/office/sessions/" + id:    {"do": {"unlock"}},
		"/office/sessions":          {"site": {"SITE-001"}, "room": {"A102"}, "paper": {"WEB-E-2026-A@1"}, "start": {"2026-12-03T09:00"}},
		"/office/papers":            {},
		"/office/sessions/x/result": {},
		"/office/conflicts":         {"dispute": {"1"}, "keep": {"other"}, "why": {"x"}},
	} {
		code, body, _ := inspector.Post(path, form)
		if code != http.StatusForbidden && code != http.StatusMethodNotAllowed && code != http.StatusNotFound {
			t.Errorf("inspector POST %s: %d", path, code)
		}
		if strings.Contains(body, unlockCode) {
			t.Fatal("an inspector was shown the unlock code")
		}
	}
	if code, _ := inspector.Upload("/office/sessions/"+id, map[string]string{"do": "roster"}, sample(t, "roster-web-elementary.csv")); code != http.StatusForbidden {
		t.Errorf("inspector roster upload: %d", code)
	}
	if after := auditText(t, c); after != before {
		t.Errorf("an inspector changed the audit log:\n%s", strings.TrimPrefix(after, before))
	}
	// The inspector can still sign out.
	if code, _, _ := inspector.Post("/office/signout", url.Values{}); code != http.StatusSeeOther {
		t.Errorf("inspector sign out: %d", code)
	}

	staff := c.SignedIn(t, server.RoleStaff)
	code, body, _ := staff.Post("/office/sites", url.Values{"site": {"SITE-002"}})
	enrol := regexp.MustCompile(`id="secret-code">([A-Z0-9-]+)<`).FindStringSubmatch(body)
	if code != 200 || enrol == nil || !strings.Contains(body, "SITE-002") {
		t.Fatalf("staff enrolment code: %d", code)
	}
	if !strings.Contains(auditText(t, c), "office staff|enrolment code|site SITE-002") {
		t.Error("enrolment code not audited with its user")
	}
	dk, _ := seal.GenerateDeviceKey()
	if got := c.PostJSON(t, osync.PathEnrol, osync.EnrolRequest{Code: enrol[1], DeviceName: "B201 主机", PublicKey: dk.Public().Marshal()}, nil); got != 200 {
		t.Errorf("the code shown does not enrol a device: %d", got)
	}
	if code, _, _ := staff.Post("/office/sites", url.Values{"site": {"NO-SUCH-SITE"}}); code != http.StatusBadRequest {
		t.Errorf("enrolment code for an unknown site: %d", code)
	}
}

// TestUploadsStayInMemory: a large roster upload (names and ID numbers) is
// never written to a temporary file: with no temporary directory to write
// to, it is still read whole (and refused for its repeated tickets).
func TestUploadsStayInMemory(t *testing.T) {
	t.Setenv("TMPDIR", filepath.Join(t.TempDir(), "missing"))
	c := servertest.New(t)
	o := c.Office(t)
	o.SignIn("admin", servertest.AdminPassword)
	roster := bytes.Repeat(sample(t, "roster-web-elementary.csv"), 800) // about 3 MiB
	if code, body := o.Upload("/office/sessions/"+c.Session.ID, map[string]string{"do": "roster"}, roster); code != http.StatusBadRequest || !strings.Contains(body, "repeats line") {
		t.Fatalf("upload: %d\n%s", code, body)
	}
}

func TestOfficeUploads(t *testing.T) {
	c := servertest.New(t)
	o := c.Office(t)
	o.SignIn("admin", servertest.AdminPassword)
	ctx := context.Background()

	for name, tc := range map[string]struct {
		file []byte
		want string
	}{
		"no file":        {nil, "请选择要上传的文件"},
		"broken JSON":    {[]byte(`{"format": "onex-catalogue/1",`), "JSON truncated"},
		"SQL in a field": {[]byte(`{"format": "onex-catalogue/1", "organisations": [{"code": "'; DROP TABLE sites; --"}]}`), "organisation"},
	} {
		code, body := o.Upload("/office/", map[string]string{}, tc.file)
		if code != http.StatusBadRequest || !strings.Contains(body, tc.want) || !strings.Contains(body, `id="problems"`) {
			t.Errorf("catalogue %s: %d, want 400 naming %q", name, code, tc.want)
		}
	}
	if cat, _ := c.Catalogue(ctx); len(cat.Sites) != 2 {
		t.Error("a refused catalogue changed the catalogue")
	}
	if code, _ := o.Upload("/office/", map[string]string{}, sample(t, "catalogue.json")); code != http.StatusSeeOther {
		t.Errorf("good catalogue: %d", code)
	}
	if _, body := o.Get("/office/?msg=done.catalogue_imported"); !strings.Contains(body, "目录已导入") {
		t.Error("no notice after importing the catalogue")
	}
	if _, body := o.Get("/office/?msg=Call+555-0100+now"); strings.Contains(body, "555-0100") {
		t.Error("a notice is taken from the URL")
	}

	paper := sample(t, "paper-web-elementary.json")
	bad := bytes.Replace(paper, []byte(`"answer": ["b"]`), []byte(`"answer": ["z"]`), 1)
	bad = bytes.Replace(bad, []byte(`"WEB-E-2026-A"`), []byte(`"WEB-E-2026-B"`), 1)
	if code, body := o.Upload("/office/papers", map[string]string{}, bad); code != http.StatusBadRequest || !strings.Contains(body, `item q1: answer "z" is not an option`) {
		t.Errorf("bad paper: %d", code)
	}
	changed := bytes.Replace(paper, []byte(`"answer": ["b"]`), []byte(`"answer": ["c"]`), 1)
	if code, body := o.Upload("/office/papers", map[string]string{}, changed); code != http.StatusBadRequest || !strings.Contains(body, "new version") {
		t.Errorf("same paper version, other content: %d", code)
	}
	if code, body := o.Get("/office/papers"); code != 200 || !strings.Contains(body, "WEB-E-2026-A") || strings.Contains(body, "typeof null") {
		t.Errorf("papers list: %d, or it shows a question", code)
	}

	id := c.Session.ID
	roster := "准考证号,姓名,证件类型,证件号码,性别,考生类别\nT1,,居民身份证,310104200410159779,男,在校学生\nT2,王五,居民身份证,310104200410159778,男,在校学生\nT2,赵六,居民身份证,11010119900307,女,路人\n"
	code, body := o.Upload("/office/sessions/"+id, map[string]string{"do": "roster"}, []byte(roster))
	for _, want := range []string{"line 2: 姓名: is empty", "line 3: 证件号码", "line 4: 准考证号: T2 repeats line 3", "line 4: 考生类别"} {
		if code != http.StatusBadRequest || !strings.Contains(body, want) {
			t.Errorf("bad roster: %d, want %q in the page", code, want)
		}
	}
	if code, body := o.Upload("/office/sessions/"+id, map[string]string{"do": "roster", "encoding": "ebcdic"}, []byte(roster)); code != http.StatusBadRequest || !strings.Contains(body, "ebcdic") {
		t.Errorf("unknown encoding: %d", code)
	}
	gb, err := os.ReadFile(filepath.Join("..", "testdata", "roster-gb18030.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if code, _ := o.Upload("/office/sessions/"+id, map[string]string{"do": "roster"}, gb); code != http.StatusSeeOther {
		t.Errorf("GB18030 roster: %d", code)
	}
	code, body = o.Get("/office/sessions/" + id)
	if code != 200 || !strings.Contains(body, "欧阳子轩") || !strings.Contains(body, `id="roster-count">40<`) || strings.Contains(body, "310104200410159779") {
		t.Errorf("session page: %d, or the roster is missing, or an ID number is shown whole", code)
	}
	if strings.Contains(body, c.UnlockCode(t)) {
		t.Error("the session page shows the unlock code unasked")
	}

	// An upload larger than the limit: 413, before it is read whole.
	req := servertest.UploadRequest("http://central.example/office/papers", map[string]string{"csrf": o.CSRF}, make([]byte, 34<<20))
	for _, ck := range o.HTTP.Jar.Cookies(mustURL(t, c.URL+"/office/")) {
		req.AddCookie(ck)
	}
	rec := httptest.NewRecorder()
	c.Handler.ServeHTTP(rec, req)
	if rec.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("34 MiB upload: %d", rec.Code)
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestOfficeSessions(t *testing.T) {
	c := servertest.New(t)
	o := c.Office(t)
	o.SignIn("admin", servertest.AdminPassword)
	ctx := context.Background()

	code, body, _ := o.Post("/office/sessions", url.Values{"late": {"9999"}, "release": {"soon"}})
	for _, want := range []string{"站点：未填写", "考场：未填写", "试卷：未选择", "开考时间：未填写", `"soon" 不是日期时间`, `"9999" 不是 1 到 240`} {
		if code != http.StatusBadRequest || !strings.Contains(body, want) {
			t.Errorf("empty schedule form: %d, want %q", code, want)
		}
	}
	sqlRoom := "A101'; DROP TABLE sessions; --"
	for name, tc := range map[string]struct {
		form url.Values
		want string
	}{
		"SQL room":       {url.Values{"site": {"SITE-001"}, "room": {sqlRoom}, "paper": {"WEB-E-2026-A@1"}, "start": {"2026-12-03T09:00"}}, `has no room "` + sqlRoom + `"`},
		"past start":     {url.Values{"site": {"SITE-001"}, "room": {"A102"}, "paper": {"WEB-E-2026-A@1"}, "start": {"2020-01-01T09:00"}}, "已经过去"},
		"no such paper":  {url.Values{"site": {"SITE-001"}, "room": {"A102"}, "paper": {"NOPE@1"}, "start": {"2026-12-03T09:00"}}, "NOPE"},
		"bad paper ref":  {url.Values{"site": {"SITE-001"}, "room": {"A102"}, "paper": {"WEB-E-2026-A"}, "start": {"2026-12-03T09:00"}}, "编号@版本"},
		"release late":   {url.Values{"site": {"SITE-001"}, "room": {"A102"}, "paper": {"WEB-E-2026-A@1"}, "start": {"2026-12-03T09:00"}, "release": {"2026-12-03T10:00"}}, "after the start"},
		"same as before": {url.Values{"site": {"SITE-001"}, "room": {"A101"}, "paper": {"WEB-E-2026-A@1"}, "start": {"2026-12-01T09:00"}}, "exists already"},
		"another release": {url.Values{"site": {"SITE-001"}, "room": {"A102"}, "paper": {"WEB-E-2026-A@1"}, "start": {"2026-12-03T09:00"}},
			"发卷时间：试卷 WEB-E-2026-A 第 1 版的发卷时间已定为 2026-12-01 08:50（考核 SITE-001-A101-202612010900）"},
	} {
		code, body, _ := o.Post("/office/sessions", tc.form)
		if code != http.StatusBadRequest || !strings.Contains(body, tc.want) {
			t.Errorf("%s: %d, want %q", name, code, tc.want)
		}
		if name == "SQL room" && !strings.Contains(body, `value="`+sqlRoom+`"`) {
			t.Error("the refused form is not filled in again")
		}
	}
	if sessions, _ := c.Sessions(ctx); len(sessions) != 1 {
		t.Fatalf("refused forms scheduled sessions: %d", len(sessions))
	}
	// Another room at the same time: the same release time, 10 minutes before the start.
	code, _, h := o.Post("/office/sessions", url.Values{"site": {"SITE-001"}, "room": {"A102"}, "paper": {"WEB-E-2026-A@1"}, "start": {"2026-12-01T09:00"}})
	if code != http.StatusSeeOther || h.Get("Location") != "/office/sessions/SITE-001-A102-202612010900?msg=done.session_created" {
		t.Fatalf("schedule: %d to %q", code, h.Get("Location"))
	}
	if code, body := o.Get(h.Get("Location")); code != 200 || !strings.Contains(body, "考核已安排") || !strings.Contains(body, "2026-12-01 08:50") {
		t.Errorf("new session's page: %d (release 10 minutes before the start)", code)
	}
	// In English, once the paper is released: another version is needed.
	c.Release()
	code, body, _ = o.Post("/office/sessions?lang=en", url.Values{"site": {"SITE-002"}, "room": {"B201"}, "paper": {"WEB-E-2026-A@1"}, "start": {"2026-12-01T09:00"}})
	if code != http.StatusBadRequest || !strings.Contains(body, "was released at 2026-12-01 08:50") || !strings.Contains(body, "schedule another version of the paper") {
		t.Errorf("a session of a released paper: %d", code)
	}
	c.Clock.Set(servertest.Start.Add(-15 * time.Minute))
	o.Get("/office/sessions?lang=zh")

	// The unlock code: only on request, each showing audited.
	id := c.Session.ID
	unlockCode := c.UnlockCode(t)
	for i := 0; i < 2; i++ {
		code, body, _ := o.Post("/office/sessions/"+id, url.Values{"do": {"unlock"}})
		if code != 200 || !strings.Contains(body, unlockCode) {
			t.Errorf("unlock code: %d", code)
		}
	}
	if n := strings.Count(auditText(t, c), "office admin|show unlock code|session "+id); n != 2 {
		t.Errorf("%d showings of the unlock code audited, want 2", n)
	}
	if code, _, _ := o.Post("/office/sessions/"+id, url.Values{"do": {"drop"}}); code != http.StatusBadRequest {
		t.Errorf("unknown action: %d", code)
	}
	for _, p := range []string{"/office/sessions/NOPE", "/office/sessions/NOPE/results", "/office/sessions/NOPE/results.csv"} {
		if code, _ := o.Get(p); code != http.StatusNotFound {
			t.Errorf("GET %s: %d", p, code)
		}
	}
	if code, _, _ := o.Post("/office/sessions/NOPE", url.Values{"do": {"unlock"}}); code != http.StatusNotFound && code != http.StatusBadRequest {
		t.Errorf("unlock code of no session: %d", code)
	}

	// Results of a candidate whose submission arrived.
	d := c.Enrol(t, "SITE-001")
	sub := d.Seal(osync.KindSubmission, servertest.Submission(c.Session, "2026WEB010001", nil))
	if code, _ := d.Push(sub.Bytes); code != 200 {
		t.Fatalf("push: %d", code)
	}
	code, body = o.Get("/office/sessions/" + id + "/results")
	if code != 200 || !strings.Contains(body, "2026WEB010001") || !strings.Contains(body, "0 / 96") || !strings.Contains(body, "未交卷") {
		t.Errorf("results page: %d", code)
	}
	req, _ := http.NewRequest("GET", c.URL+"/office/sessions/"+id+"/results.csv", nil)
	code, csv, hdr := o.Do(req)
	if code != 200 || !strings.HasPrefix(csv, "\ufeff准考证号,姓名") || !strings.HasPrefix(hdr.Get("Content-Type"), "text/csv") ||
		!strings.Contains(hdr.Get("Content-Disposition"), "results-"+id+".csv") || strings.Count(csv, "\r\n") != 41 {
		t.Errorf("CSV: %d %q %q", code, hdr.Get("Content-Type"), hdr.Get("Content-Disposition"))
	}
}

func TestOfficeSitesAuditAndLanguage(t *testing.T) {
	c := servertest.New(t)
	o := c.Office(t)
	o.SignIn("admin", servertest.AdminPassword)

	d := c.Enrol(t, "SITE-001")
	var envs [][]byte
	for i := 0; i < 3; i++ {
		envs = append(envs, d.Seal(osync.KindStart, osync.Start{SessionID: c.Session.ID}).Bytes)
	}
	d.Skew = 6 * time.Minute
	d.Push(envs[0], envs[2]) // record 2 is lost on the way
	code, body := o.Get("/office/sites")
	for _, want := range []string{"考场 A101 主机", d.ID, "<td>2</td>", "缺失: epoch 42: seq 2 missing", "6m0s · 时钟偏差超过 5 分钟", "SITE-002", "尚无注册设备"} {
		if code != 200 || !strings.Contains(body, want) {
			t.Errorf("sites page: %d, want %q", code, want)
		}
	}

	code, body = o.Get("/office/audit")
	if code != 200 || !strings.Contains(body, "哈希链校验通过") || !strings.Contains(body, "create session") {
		t.Errorf("audit page: %d", code)
	}
	if code, body := o.Get("/office/conflicts"); code != 200 || !strings.Contains(body, "（无）") {
		t.Errorf("conflicts page: %d", code)
	}

	// English on request, remembered in a cookie.
	if _, body := o.Get("/office/audit?lang=en"); !strings.Contains(body, "The hash chain verifies") || !strings.Contains(body, `lang="en"`) {
		t.Error("?lang=en is not English")
	}
	if _, body := o.Get("/office/sessions"); !strings.Contains(body, "Schedule a session") {
		t.Error("the language is not remembered")
	}
	if _, body := o.Get("/office/sessions?lang=zh"); !strings.Contains(body, "安排考核") {
		t.Error("?lang=zh is not Chinese")
	}
}

// TestOfficeNeverFails sends odd input everywhere: the answer is a page or a
// 4xx, never a 500.
func TestOfficeNeverFails(t *testing.T) {
	c := servertest.New(t)
	o := c.Office(t)
	o.SignIn("admin", servertest.AdminPassword)
	odd := []string{"", "'; DROP TABLE users; --", "<script>alert(1)</script>", "\x00\xff", strings.Repeat("長", 5000), "%2e%2e/", "@", "@-1"}
	// Sign-out comes last: it ends the session.
	paths := []string{"/office/signin", "/office/", "/office/papers", "/office/sites", "/office/sessions", "/office/sessions/" + url.PathEscape(c.Session.ID), "/office/conflicts", "/office/signout"}
	for _, p := range paths {
		for _, s := range odd {
			form := url.Values{"site": {s}, "room": {s}, "paper": {s}, "start": {s}, "release": {s}, "late": {s}, "do": {s}, "user": {s}, "password": {s}, "next": {s},
				"dispute": {s}, "keep": {s}, "why": {s}}
			if code, _, _ := o.Post(p, form); code >= 500 || strings.Contains(o.Raw, "<script>") {
				t.Errorf("POST %s with %.20q: %d", p, s, code)
			}
			if code, _ := o.Upload(p, map[string]string{"do": s, "encoding": s}, []byte(s)); code >= 500 {
				t.Errorf("upload to %s with %.20q: %d", p, s, code)
			}
			if code, _ := o.Get(p + "?lang=" + url.QueryEscape(s) + "&msg=" + url.QueryEscape(s)); code >= 500 {
				t.Errorf("GET %s with %.20q: %d", p, s, code)
			}
		}
	}
	for _, p := range []string{"/office/sessions/%27%3B%20DROP", "/office/sessions/" + strings.Repeat("x", 3000) + "/results.csv", "/office/nope"} {
		if code, _ := o.Get(p); code >= 500 {
			t.Errorf("GET %s: %d", p, code)
		}
	}
}

// TestOfficeShowsCentralsIdentity: the sites page, where enrolment codes
// are made, shows central's key fingerprint, and the SHA-256 of the
// certificate central serves (and of its key) when it serves TLS itself:
// what staff give a site to type at its first run.
func TestOfficeShowsCentralsIdentity(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts []servertest.Option
	}{{"plain HTTP", nil}, {"TLS", []servertest.Option{servertest.WithTLS()}}} {
		t.Run(tc.name, func(t *testing.T) {
			c := servertest.New(t, tc.opts...)
			o := c.Office(t)
			if code := o.SignIn("admin", servertest.AdminPassword); code != http.StatusSeeOther {
				t.Fatalf("sign in: %d", code)
			}
			code, body := o.Get("/office/sites?lang=en")
			want := []string{"Central's key fingerprint", c.PublicKey().Fingerprint()}
			if c.TLS != nil {
				want = append(want, seal.TLSFingerprint(seal.CertificateHash(c.TLS)), seal.TLSFingerprint(seal.SPKIHash(c.TLS)))
			} else {
				want = append(want, "central serves no TLS itself")
			}
			for _, w := range want {
				if code != 200 || !strings.Contains(body, w) {
					t.Errorf("sites page: %d, want %q", code, w)
				}
			}
		})
	}
}

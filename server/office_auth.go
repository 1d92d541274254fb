package server

import (
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"onex/exam/seal"
	"onex/server/store"
)

// Cookies of the office pages. The session cookie holds a random token;
// central stores only its hash. The sign-in cookie holds the CSRF token of
// the sign-in form, which comes before any session.
const (
	sessionCookie = "onex_session"
	signInCookie  = "onex_signin"
	langCookie    = "onex_lang"
)

// passwordChecks bounds concurrent argon2id checks (64 MiB each), so a
// flood of sign-ins cannot exhaust the machine's memory.
var passwordChecks = make(chan struct{}, 2)

// decoyHash is checked for unknown user names, so that a refusal takes as
// long whether or not the name exists.
var decoyHash = sync.OnceValue(func() string { return seal.HashPassword(seal.NewToken()) })

// signedIn serves a handler to a signed-in user whose role allows need. A
// signed-out GET goes to the sign-in page and comes back after it.
func (c *Central) signedIn(need access, next func(http.ResponseWriter, *http.Request, *view)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v := c.newView(w, r)
		ws, err := c.webSession(r)
		switch {
		case errors.Is(err, errSignedOut) && r.Method == http.MethodGet:
			http.Redirect(w, r, "/office/signin?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		case err != nil:
			c.errorPage(w, r, v, err)
			return
		}
		v.UserName, v.Role, v.CSRF = ws.User.Name, ws.User.Role, ws.CSRF
		if !allowed(v.Role, need) {
			c.errorPage(w, r, v, forbidden(v.T("err.role")))
			return
		}
		next(w, r, v)
	})
}

// webSession returns the browser's session, or errSignedOut.
func (c *Central) webSession(r *http.Request) (store.WebSession, error) {
	ck, err := r.Cookie(sessionCookie)
	if err != nil || ck.Value == "" {
		return store.WebSession{}, errSignedOut
	}
	ws, err := c.DB.WebSession(r.Context(), seal.HashToken(ck.Value), c.Now())
	if errors.Is(err, store.ErrNotFound) {
		return store.WebSession{}, errSignedOut
	}
	return ws, err
}

// signInData is what the sign-in page shows besides the layout.
type signInData struct{ Next string }

// signInPage shows the sign-in form with a fresh CSRF token in its cookie.
func (c *Central) signInPage(w http.ResponseWriter, r *http.Request) {
	v := c.newView(w, r)
	v.CSRF = seal.NewToken()
	setCookie(w, r, signInCookie, v.CSRF, 3600)
	c.showSignIn(w, v, http.StatusOK, r.URL.Query().Get("next"))
}

func (c *Central) showSignIn(w http.ResponseWriter, v *view, status int, next string) {
	v.Title, v.Data = "title.signin", signInData{Next: safeNext(next)}
	c.write(w, status, "signin.html", v)
}

// safeNext keeps a return address inside the office pages.
func safeNext(next string) string {
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || !strings.HasPrefix(u.Path, "/office/") ||
		strings.HasPrefix(next, "//") || strings.Contains(next, `\`) || u.Path == "/office/signin" {
		return "/office/"
	}
	return next
}

// signIn checks a user's name and password and starts a browser session.
// A refusal is logged without the password and without the name typed (it
// may be a person's name, or a password typed in the wrong box).
func (c *Central) signIn(w http.ResponseWriter, r *http.Request) {
	v := c.newView(w, r)
	v.Path = "/office/signin"
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		c.errorPage(w, r, v, inputf("form: %v", err))
		return
	}
	ck, err := r.Cookie(signInCookie)
	if err != nil || !seal.TokensEqual(ck.Value, r.PostFormValue("csrf")) {
		c.errorPage(w, r, v, forbidden(v.T("err.csrf")))
		return
	}
	v.CSRF = ck.Value
	name, password, next := strings.TrimSpace(r.PostFormValue("user")), r.PostFormValue("password"), r.PostFormValue("next")
	if name == "" || password == "" || len(name) > 64 || len(password) > 1024 {
		v.Problems = []string{v.T("err.credentials_missing")}
		c.showSignIn(w, v, http.StatusBadRequest, next)
		return
	}
	user, known, err := c.checkPassword(r, name, password)
	if err != nil {
		c.errorPage(w, r, v, err)
		return
	}
	if user == nil {
		c.Log.Warn("office sign-in refused", "known_user", known, "remote", remoteHost(r))
		v.Problems = []string{v.T("err.credentials_wrong")}
		c.showSignIn(w, v, http.StatusUnauthorized, next)
		return
	}
	token, csrf := seal.NewToken(), seal.NewToken()
	if err := c.DB.DeleteExpiredWebSessions(r.Context(), c.Now()); err != nil {
		c.errorPage(w, r, v, err)
		return
	}
	if err := c.DB.PutWebSession(r.Context(), seal.HashToken(token), user.Name, csrf, c.Now().Add(webSessionLifetime)); err != nil {
		c.errorPage(w, r, v, err)
		return
	}
	c.Log.Info("office sign-in", "role", user.Role)
	setCookie(w, r, sessionCookie, token, int(webSessionLifetime.Seconds()))
	setCookie(w, r, signInCookie, "", -1)
	http.Redirect(w, r, safeNext(next), http.StatusSeeOther)
}

// checkPassword returns the user when the password is theirs, and whether the name exists.
func (c *Central) checkPassword(r *http.Request, name, password string) (*store.User, bool, error) {
	u, err := c.DB.User(r.Context(), name)
	known := err == nil && allowed(u.Role, canRead)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, false, err
	}
	hash := u.PasswordHash
	if !known {
		hash = decoyHash()
	}
	select {
	case passwordChecks <- struct{}{}:
	case <-r.Context().Done():
		return nil, known, r.Context().Err()
	}
	ok := seal.CheckPassword(hash, password)
	<-passwordChecks
	if !ok || !known {
		return nil, known, nil
	}
	return &u, true, nil
}

func remoteHost(r *http.Request) string {
	if h, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return h
	}
	return r.RemoteAddr
}

// signOut ends the browser's session.
func (c *Central) signOut(w http.ResponseWriter, r *http.Request, v *view) error {
	ck, err := r.Cookie(sessionCookie)
	if err != nil {
		return errSignedOut
	}
	if err := c.DB.DeleteWebSession(r.Context(), seal.HashToken(ck.Value)); err != nil {
		return err
	}
	setCookie(w, r, sessionCookie, "", -1)
	http.Redirect(w, r, "/office/signin", http.StatusSeeOther)
	return nil
}

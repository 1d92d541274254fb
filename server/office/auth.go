package office

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"onex/exam/seal"
	"onex/server"
	"onex/server/web/conn"
)

// Cookies of the office pages. The session cookie holds a random token;
// central stores only its hash. The sign-in cookie holds the CSRF token of
// the sign-in form, which comes before any session.
const (
	sessionCookie = "onex_session"
	signInCookie  = "onex_signin"
	langCookie    = "onex_lang"
)

// signedIn serves a handler to a signed-in user whose role allows need. A
// signed-out GET goes to the sign-in page and comes back after it.
func (o *office) signedIn(need server.Access, next func(http.ResponseWriter, *http.Request, *view)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v := newView(w, r)
		ws, err := o.webSession(r)
		switch {
		case errors.Is(err, errSignedOut) && r.Method == http.MethodGet:
			http.Redirect(w, r, "/office/signin?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		case err != nil:
			o.errorPage(w, r, v, err)
			return
		}
		v.UserName, v.Role, v.CSRF = ws.User, ws.Role, ws.CSRF
		if !server.Allows(v.Role, need) {
			o.errorPage(w, r, v, forbidden(v.T("err.role")))
			return
		}
		next(w, r, v)
	})
}

// webSession returns the browser's session, or errSignedOut.
func (o *office) webSession(r *http.Request) (server.WebSession, error) {
	ck, err := r.Cookie(sessionCookie)
	if err != nil || ck.Value == "" {
		return server.WebSession{}, errSignedOut
	}
	ws, err := o.central.WebSession(r.Context(), ck.Value)
	if errors.Is(err, server.ErrNotFound) {
		return server.WebSession{}, errSignedOut
	}
	return ws, err
}

// signInData is what the sign-in page shows besides the layout.
type signInData struct{ Next string }

// signInPage shows the sign-in form with a fresh CSRF token in its cookie.
func (o *office) signInPage(w http.ResponseWriter, r *http.Request) {
	v := newView(w, r)
	v.CSRF = seal.NewToken()
	setCookie(w, r, signInCookie, v.CSRF, 3600)
	o.showSignIn(w, v, http.StatusOK, r.URL.Query().Get("next"))
}

func (o *office) showSignIn(w http.ResponseWriter, v *view, status int, next string) {
	v.Title, v.Data = "title.signin", signInData{Next: safeNext(next)}
	o.write(w, status, "signin.html", v)
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
func (o *office) signIn(w http.ResponseWriter, r *http.Request) {
	v := newView(w, r)
	v.Path = "/office/signin"
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		o.errorPage(w, r, v, server.AsInput(errors.New("form: "+err.Error())))
		return
	}
	ck, err := r.Cookie(signInCookie)
	if err != nil || !seal.TokensEqual(ck.Value, r.PostFormValue("csrf")) {
		o.errorPage(w, r, v, forbidden(v.T("err.csrf")))
		return
	}
	v.CSRF = ck.Value
	name, password, next := strings.TrimSpace(r.PostFormValue("user")), r.PostFormValue("password"), r.PostFormValue("next")
	if name == "" || password == "" || len(name) > 64 || len(password) > 1024 {
		v.Problems = []string{v.T("err.credentials_missing")}
		o.showSignIn(w, v, http.StatusBadRequest, next)
		return
	}
	s, err := o.central.SignIn(r.Context(), name, password, conn.ClientAddr(r))
	var refused *server.RefusedError
	var throttled *server.ThrottledError
	switch {
	case errors.As(err, &throttled):
		o.log.Warn("office sign-in throttled", "remote", conn.ClientAddr(r), "until", throttled.Until)
		w.Header().Set("Retry-After", strconv.FormatInt(int64(throttled.Left/time.Second), 10))
		v.Problems = []string{fmt.Sprintf(v.T("err.throttled"), when(throttled.Until), int64(throttled.Left/time.Second))}
		o.showSignIn(w, v, http.StatusTooManyRequests, next)
		return
	case errors.As(err, &refused):
		o.log.Warn("office sign-in refused", "known_user", refused.KnownUser, "remote", conn.ClientAddr(r))
		v.Problems = []string{v.T("err.credentials_wrong")}
		o.showSignIn(w, v, http.StatusUnauthorized, next)
		return
	case err != nil:
		o.errorPage(w, r, v, err)
		return
	}
	setCookie(w, r, sessionCookie, s.Token, int(server.WebSessionLifetime.Seconds()))
	setCookie(w, r, signInCookie, "", -1)
	http.Redirect(w, r, safeNext(next), http.StatusSeeOther)
}

// signOut ends the browser's session.
func (o *office) signOut(w http.ResponseWriter, r *http.Request, v *view) error {
	ck, err := r.Cookie(sessionCookie)
	if err != nil {
		return errSignedOut
	}
	if err := o.central.SignOut(r.Context(), ck.Value); err != nil {
		return err
	}
	setCookie(w, r, sessionCookie, "", -1)
	http.Redirect(w, r, "/office/signin", http.StatusSeeOther)
	return nil
}

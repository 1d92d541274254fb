package server

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"onex/exam/seal"
	"onex/server/store"
)

// Roles of office users.
const (
	RoleAdmin     = "admin"     // everything, including users
	RoleStaff     = "staff"     // organisation staff: catalogue, papers, sessions, rosters, results
	RoleMarker    = "marker"    // marks essays at central, blind
	RoleLead      = "lead"      // lead marker (题组长): marks, arbitrates, decides problem scripts
	RoleInspector = "inspector" // reads results and the audit log
)

// Roles lists every role.
var Roles = []string{RoleAdmin, RoleStaff, RoleMarker, RoleLead, RoleInspector}

// Access is what an office operation needs of the user's role.
type Access int

// Accesses, each role given only what it needs: a marker reads the
// catalogue and the papers' titles and marks, blind, on the marking pages;
// a lead marker also takes the lead's tasks (problem scripts, arbitration)
// and the lead's pages; an inspector oversees sessions, sites, results,
// conflicts and the audit log, but reads no roster and marks nothing; admin
// and staff read rosters and change things, staff marking nothing; only an
// administrator revokes a device.
const (
	Read    Access = iota // the catalogue and the papers' titles: every office role
	Oversee               // sessions, sites, results, conflicts, the audit log: admin, staff, inspector
	Rosters               // rosters, with candidates' names and ID numbers: admin, staff
	Write                 // every change: admin, staff
	Admin                 // what only an administrator does (revoking a device): admin
	Mark                  // the marking pages, blind: admin, marker, lead
	Lead                  // the lead's pages: problem scripts, arbitration, markers' work: admin, lead
)

// Allows reports whether a role has an access.
func Allows(role string, need Access) bool {
	switch role {
	case RoleAdmin:
		return true
	case RoleStaff:
		return need <= Write
	case RoleInspector:
		return need <= Oversee
	case RoleMarker:
		return need == Read || need == Mark
	case RoleLead:
		return need == Read || need == Mark || need == Lead
	}
	return false
}

// WebSessionLifetime is how long an office sign-in lasts.
const WebSessionLifetime = 12 * time.Hour

// WebSession is a signed-in browser: who, in what role, and the CSRF token
// its forms carry.
type WebSession struct {
	User    string
	Role    string
	CSRF    string
	Expires time.Time
}

// SignedIn is a new sign-in: its session and the token the browser keeps
// (central stores only the token's hash).
type SignedIn struct {
	WebSession
	Token string
}

// RefusedError is a sign-in refused for its name or password. KnownUser says
// whether the name exists, for the log; the person is told neither.
type RefusedError struct{ KnownUser bool }

func (e *RefusedError) Error() string { return "user name or password is wrong" }

// passwordChecks bounds concurrent argon2id checks (64 MiB each), so a
// flood of sign-ins cannot exhaust the machine's memory.
var passwordChecks = make(chan struct{}, 2)

// decoyHash is checked for unknown user names, so that a refusal takes as
// long whether or not the name exists.
var decoyHash = sync.OnceValue(func() string { return seal.HashPassword(seal.NewToken()) })

// SignIn checks a user's name and password, typed at an address, and starts
// a browser session. A refusal is a *RefusedError; failures slow the next
// attempts of that name and that address (see throttle), and while either
// must wait the attempt is a *ThrottledError, its password unchecked.
func (c *Central) SignIn(ctx context.Context, name, password, from string) (SignedIn, error) {
	u, err := c.db.User(ctx, name)
	known := err == nil && Allows(u.Role, Read)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return SignedIn{}, err
	}
	who := throttled{key: "signin-user\n" + name, policy: userThrottle}
	if known {
		who.what = "office user " + name
	}
	keys := []throttled{who, {what: "sign-ins from address " + from, key: "signin-addr\n" + from, policy: addrThrottle}}
	if err := c.checkThrottles(ctx, keys...); err != nil {
		return SignedIn{}, err
	}
	hash := u.PasswordHash
	if !known {
		hash = decoyHash()
	}
	select {
	case passwordChecks <- struct{}{}:
	case <-ctx.Done():
		return SignedIn{}, ctx.Err()
	}
	ok := seal.CheckPassword(hash, password)
	<-passwordChecks
	if !ok || !known {
		if err := c.strike(ctx, keys...); err != nil {
			return SignedIn{}, err
		}
		return SignedIn{}, &RefusedError{KnownUser: known}
	}
	if err := c.db.ClearStrikes(ctx, seal.HashToken(who.key)); err != nil {
		return SignedIn{}, err
	}
	token := seal.NewToken()
	s := SignedIn{Token: token, WebSession: WebSession{User: u.Name, Role: u.Role, CSRF: seal.CSRFToken(token), Expires: c.now().Add(WebSessionLifetime)}}
	if err := c.db.DeleteExpiredWebSessions(ctx, c.now()); err != nil {
		return SignedIn{}, err
	}
	if err := c.db.PutWebSession(ctx, seal.HashToken(s.Token), s.User, s.Expires); err != nil {
		return SignedIn{}, err
	}
	c.log.Info("office sign-in", "role", s.Role)
	return s, nil
}

// WebSession returns the unexpired browser session of a token, or ErrNotFound.
func (c *Central) WebSession(ctx context.Context, token string) (WebSession, error) {
	ws, err := c.db.WebSession(ctx, seal.HashToken(token), c.now())
	if err != nil {
		return WebSession{}, err
	}
	return WebSession{User: ws.User.Name, Role: ws.User.Role, CSRF: seal.CSRFToken(token), Expires: ws.Expires}, nil
}

// SignOut ends the browser session of a token.
func (c *Central) SignOut(ctx context.Context, token string) error {
	return c.db.DeleteWebSession(ctx, seal.HashToken(token))
}

// PutUser adds an office user, or sets an existing user's password and role, and audits it.
func (c *Central) PutUser(ctx context.Context, name, password, role, actor string) error {
	switch {
	case !slices.Contains(Roles, role):
		return inputf("role %q is not one of %v", role, Roles)
	case name == "" || len(name) > 64:
		return inputf("a user name has 1 to 64 bytes")
	case len([]rune(password)) < 10:
		return inputf("a password needs at least 10 characters")
	}
	if err := c.db.PutUser(ctx, store.User{Name: name, PasswordHash: seal.HashPassword(password), Role: role}); err != nil {
		return err
	}
	return c.db.Audit(ctx, actor, "put user", fmt.Sprintf("%s, role %s", name, role))
}

// AuditLog is the audit log, oldest first, and whether its hash chain
// verifies: Broken says where it breaks when it does not.
type AuditLog struct {
	Entries []AuditEntry
	Broken  string
}

// AuditLog reads the whole audit log and checks its chain.
func (c *Central) AuditLog(ctx context.Context) (AuditLog, error) {
	entries, err := c.db.AuditLog(ctx)
	switch {
	case errors.Is(err, store.ErrConflict):
		return AuditLog{Entries: entries, Broken: err.Error()}, nil
	case err != nil:
		return AuditLog{}, err
	}
	return AuditLog{Entries: entries}, nil
}

// Conflicts lists the records kept for review, newest first.
func (c *Central) Conflicts(ctx context.Context) ([]Conflict, error) { return c.db.Conflicts(ctx) }

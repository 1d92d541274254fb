package credit

import (
	"strings"
	"time"
)

// State is where an application for a conversion stands.
type State string

// States of an application (FORMAT.md, "Applications").
const (
	Applied   State = "applied"   // waiting for the school's (or the office's) decision
	Approved  State = "approved"  // the credits are granted
	Refused   State = "refused"   // final; the learner may apply again
	Withdrawn State = "withdrawn" // by the learner before a decision; final
	Revoked   State = "revoked"   // an approval taken back (the certificate was revoked); final
)

// Action is what moves an application from one state to another.
type Action string

// Actions on an application.
const (
	Apply    Action = "applied"
	Approve  Action = "approved"
	Refuse   Action = "refused"
	Withdraw Action = "withdrawn"
	Revoke   Action = "revoked"
)

// Event is one step of an application's history, for the audit log and the
// learner's page.
type Event struct {
	Action Action    `json:"action"`
	By     string    `json:"by"`            // who: a user of the office, or the learner
	At     time.Time `json:"at"`            // when
	Why    string    `json:"why,omitempty"` // required to refuse or revoke
}

// Application is a learner's application for one conversion and its
// decision. Its methods are pure: each returns the application moved on,
// or an error and the application unchanged.
type Application struct {
	ID         string     `json:"id"`
	Conversion Conversion `json:"conversion"`
	State      State      `json:"state"`
	Events     []Event    `json:"events"`
}

// transitions: from a state, the actions allowed and the state they lead to.
var transitions = map[State]map[Action]State{
	Applied:  {Approve: Approved, Refuse: Refused, Withdraw: Withdrawn},
	Approved: {Revoke: Revoked},
}

// Offered reports whether res offers c as a new conversion: the same
// learner, outcome, school, course and credits (the rule set's version and
// the rule's id may differ: a new version giving the same is the same offer).
func Offered(res Result, c Conversion) bool {
	for _, x := range res.Conversions {
		if !x.Granted && x.Learner == c.Learner && x.Outcome == c.Outcome && x.School == c.School &&
			x.Course == c.Course && x.Credits == c.Credits {
			return true
		}
	}
	return false
}

// NewApplication applies for conversion c, which offered (a conversion of
// the learner's account as it stands, with the approved applications as
// Input.Granted) must offer, else ErrStale.
func NewApplication(id string, c Conversion, offered Result, by string, at time.Time) (Application, error) {
	if strings.TrimSpace(by) == "" || strings.TrimSpace(id) == "" {
		return Application{}, ErrReason
	}
	if c.Granted || !Offered(offered, c) {
		return Application{}, ErrStale
	}
	return Application{ID: id, Conversion: c, State: Applied, Events: []Event{{Action: Apply, By: by, At: at}}}, nil
}

// Approve grants the credits. now is the conversion of the learner's
// account as it stands at the decision, with every other approved
// application as Input.Granted: it must still offer the conversion (the
// rules, the outcomes or another approval may have changed since the
// application), else ErrStale and the application stays applied.
func (a Application) Approve(by string, at time.Time, why string, now Result) (Application, error) {
	if _, err := a.check(Approve, by, "approve"); err != nil {
		return a, err
	}
	if !Offered(now, a.Conversion) {
		return a, ErrStale
	}
	return a.move(Approve, by, at, why), nil
}

// Refuse refuses the application; why is required.
func (a Application) Refuse(by string, at time.Time, why string) (Application, error) {
	if _, err := a.check(Refuse, by, why); err != nil {
		return a, err
	}
	return a.move(Refuse, by, at, why), nil
}

// Withdraw withdraws the application before its decision.
func (a Application) Withdraw(by string, at time.Time, why string) (Application, error) {
	if _, err := a.check(Withdraw, by, "withdraw"); err != nil {
		return a, err
	}
	return a.move(Withdraw, by, at, why), nil
}

// Revoke takes an approval back; why is required.
func (a Application) Revoke(by string, at time.Time, why string) (Application, error) {
	if _, err := a.check(Revoke, by, why); err != nil {
		return a, err
	}
	return a.move(Revoke, by, at, why), nil
}

func (a Application) check(act Action, by, why string) (State, error) {
	to, ok := transitions[a.State][act]
	if !ok {
		return "", &TransitionError{From: a.State, Action: act}
	}
	if strings.TrimSpace(by) == "" || strings.TrimSpace(why) == "" {
		return "", ErrReason
	}
	return to, nil
}

func (a Application) move(act Action, by string, at time.Time, why string) Application {
	a.State = transitions[a.State][act]
	a.Events = append(a.Events[:len(a.Events):len(a.Events)], Event{Action: act, By: by, At: at, Why: why})
	return a
}

// Granted lists the conversions of the approved applications, for
// Input.Granted.
func Granted(apps []Application) []Conversion {
	var out []Conversion
	for _, a := range apps {
		if a.State == Approved {
			c := a.Conversion
			c.Granted = true
			out = append(out, c)
		}
	}
	return out
}

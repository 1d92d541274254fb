package server

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"onex/exam"
	"onex/server/store"
)

// Marking at central (docs/marking.md): scripts of the items marked at
// central, handed out blind, one task at a time, to markers and the lead,
// resolved by the item's marking rule (exam.Item.Resolve).

// DefaultClaimTimeout is how long a marker holds a task handed out before
// it returns to the queue (Config.ClaimTimeout).
const DefaultClaimTimeout = 20 * time.Minute

// Purposes of a task. Central's marking: first, second, third, arbitrate,
// problem; added by others through AddTask: control, remark, moderate
// (quality), appeal (results).
const (
	PurposeFirst     = "first"     // the first (single marking: only) mark
	PurposeSecond    = "second"    // double marking's second independent mark
	PurposeThird     = "third"     // the first two differ beyond tolerance
	PurposeArbitrate = "arbitrate" // lead-only: the third is beyond tolerance of both; the lead's mark is final
	PurposeProblem   = "problem"   // lead-only: a marker flagged the script; the lead's mark is final
	PurposeControl   = "control"   // quality: a control script with known marks
	PurposeRemark    = "remark"    // quality: a marker re-marks own work (回评)
	PurposeModerate  = "moderate"  // quality: moderation
	PurposeAppeal    = "appeal"    // results: 复核, by a marker who did not mark the script
)

// resolving are the purposes whose marks Resolve weighs.
var resolving = []string{PurposeFirst, PurposeSecond, PurposeThird, PurposeArbitrate, PurposeProblem}

// Problems a marker flags (Flag).
const (
	ProblemBlank      = "blank"      // nothing answered
	ProblemIllegible  = "illegible"  // illegible or garbled
	ProblemOffTopic   = "off-topic"  // answers another question
	ProblemMisconduct = "misconduct" // suspected misconduct, e.g. identical to another candidate's
)

// Problems lists every problem a marker may flag.
var Problems = []string{ProblemBlank, ProblemIllegible, ProblemOffTopic, ProblemMisconduct}

// Errors of marking callers decide on (the office answers ErrNotYours and
// ErrForbidden with 403, ErrNoTask with an empty queue page).
var (
	ErrNoTask     = store.ErrNoTask     // nothing to hand out now
	ErrPaused     = store.ErrPaused     // the marker is paused (quality)
	ErrNotYours   = store.ErrNotYours   // the task is not the marker's: another's, never claimed, or the claim ran out and went to another
	ErrTaskDone   = store.ErrTaskDone   // the task was marked, flagged or cancelled already
	ErrMarkedOnce = store.ErrMarkedOnce // the marker gave the script a mark already; the task went back to the queue
	ErrForbidden  = errors.New("the role may not do this")
)

// What marking keeps, as callers see it.
type (
	Task          = store.Task          // one mark to give on a script
	NewTask       = store.NewTask       // a task to add (AddTask)
	GivenMark     = store.Given         // a mark or flag given, with who, when, time spent, purpose
	Script        = store.Script        // a script, with the candidate's session and ticket: never for a marker's page
	ControlScript = store.ControlScript // a response with known marks (quality)
	MarkingCounts = store.MarkingCounts // a session's scripts by state, open tasks by purpose
)

// ScriptView is what a marker's page shows of a task: blind. It names the
// script by its pseudonymous id and holds nothing of the candidate (no
// name, ticket, ID number, site, room or session).
type ScriptView struct {
	TaskID     int64
	ScriptID   string
	Purpose    string // as shown: a control task shows as PurposeFirst
	LeadOnly   bool
	ClaimUntil time.Time
	Item       MarkingItem
	Response   exam.Answer
	// For lead-only tasks: the marks and flags given so far, with the
	// markers' names, and the problem flagged.
	Earlier []GivenMark
	Problem string
	Note    string
}

// MarkingItem is the item a script answers, as the marker needs it.
type MarkingItem struct {
	ID        string
	Type      exam.ItemType
	Points    float64
	Stem      string
	Rubric    []exam.Criterion
	Reference string
	Rule      exam.MarkingRule // with its defaults: Step is the step marks are given in
}

// Marked is what a mark led to.
type Marked struct {
	ScriptID string
	Final    bool      // the script's final mark is set
	How      string    // exam.Final* when Final
	Marks    []float64 // the final mark when Final
	Next     string    // the purpose of the task it added ("" none)
}

// markingState is the marking service's cache of papers (immutable by id
// and version), so that marking reads and unseals each once.
type markingState struct {
	mu     sync.Mutex
	papers map[string]*exam.Paper
}

func (c *Central) markingPaper(ctx context.Context, id string, version int) (*exam.Paper, error) {
	key := fmt.Sprintf("%s\x00%d", id, version)
	c.marking.mu.Lock()
	p, ok := c.marking.papers[key]
	c.marking.mu.Unlock()
	if ok {
		return p, nil
	}
	p, err := c.paper(ctx, id, version)
	if err != nil {
		return nil, err
	}
	c.marking.mu.Lock()
	if c.marking.papers == nil {
		c.marking.papers = map[string]*exam.Paper{}
	}
	c.marking.papers[key] = p
	c.marking.mu.Unlock()
	return p, nil
}

// scriptItem returns a script and the item it answers.
func (c *Central) scriptItem(ctx context.Context, scriptID string) (Script, exam.Item, error) {
	s, err := c.db.Script(ctx, scriptID)
	if err != nil {
		return s, exam.Item{}, err
	}
	p, err := c.markingPaper(ctx, s.PaperID, s.PaperVersion)
	if err != nil {
		return s, exam.Item{}, err
	}
	it, ok := p.Item(s.ItemID)
	if !ok {
		return s, it, fmt.Errorf("script %s: paper %s has no item %s", s.ID, p.ID, s.ItemID)
	}
	return s, it, nil
}

// centralItems lists a paper's items marked at central, for the scripts of
// its submissions.
func centralItems(p *exam.Paper) []store.CentralItem {
	var out []store.CentralItem
	for _, it := range p.Items() {
		if it.Type.MarkedCentrally() {
			out = append(out, store.CentralItem{ItemID: it.ID, Double: it.Rule().Double})
		}
	}
	return out
}

// scriptOldSubmissions makes the scripts of submissions stored before
// marking existed (migration 008), once, when central opens.
func (c *Central) scriptOldSubmissions(ctx context.Context) error {
	subs, err := c.db.UnscriptedSubmissions(ctx)
	if err != nil {
		return err
	}
	for _, u := range subs {
		s, err := c.db.Session(ctx, u.SessionID)
		if err != nil {
			return fmt.Errorf("scripts of session %s: %w", u.SessionID, err)
		}
		p, err := c.markingPaper(ctx, s.PaperID, s.PaperVersion)
		if err != nil {
			return err
		}
		if err := c.db.ScriptSubmission(ctx, u.SessionID, u.Ticket, p.ID, p.Version, centralItems(p), c.now()); err != nil {
			return fmt.Errorf("scripts of session %s: %w", u.SessionID, err)
		}
	}
	return nil
}

// role returns a user's role.
func (c *Central) role(ctx context.Context, user string) (string, error) {
	u, err := c.db.User(ctx, user)
	if errors.Is(err, store.ErrNotFound) {
		return "", fmt.Errorf("user %s: %w", user, ErrForbidden)
	}
	return u.Role, err
}

func (c *Central) need(ctx context.Context, user string, a Access) error {
	role, err := c.role(ctx, user)
	if err != nil {
		return err
	}
	if !Allows(role, a) {
		return fmt.Errorf("%s (%s): %w", user, role, ErrForbidden)
	}
	return nil
}

// Next hands a marker one task of the markers' queue, blind: the marker's
// own live claim first (a reloaded page shows the same script), else the
// first free task the marker may take, claimed for Config.ClaimTimeout.
// Never a script the marker marked or flagged already (first, second,
// third, appeal), never a task another marker holds. ErrNoTask when there
// is none, ErrPaused for a paused marker, ErrForbidden for a role that
// does not mark.
func (c *Central) Next(ctx context.Context, marker string) (ScriptView, error) {
	return c.next(ctx, marker, false)
}

// NextLead hands a lead one task of the lead's queue (problem scripts,
// arbitration), as Next does.
func (c *Central) NextLead(ctx context.Context, lead string) (ScriptView, error) {
	return c.next(ctx, lead, true)
}

func (c *Central) next(ctx context.Context, user string, lead bool) (ScriptView, error) {
	access := Mark
	if lead {
		access = Lead
	}
	if err := c.need(ctx, user, access); err != nil {
		return ScriptView{}, err
	}
	now := c.now()
	t, err := c.db.Claim(ctx, store.Claim{Marker: user, LeadOnly: lead, Now: now, Until: now.Add(c.claimTimeout)})
	if err != nil {
		return ScriptView{}, err
	}
	return c.view(ctx, t)
}

// ScriptView is a task's page for the user holding it: ErrNotYours for a
// task the user does not hold (another marker's, or none's), ErrTaskDone
// for one done.
func (c *Central) ScriptView(ctx context.Context, user string, taskID int64) (ScriptView, error) {
	if err := c.need(ctx, user, Mark); err != nil {
		return ScriptView{}, err
	}
	t, err := c.db.Task(ctx, taskID)
	if err != nil {
		return ScriptView{}, err
	}
	switch {
	case !t.DoneAt.IsZero():
		return ScriptView{}, fmt.Errorf("task %d: %w", taskID, ErrTaskDone)
	case t.ClaimedBy != user:
		return ScriptView{}, fmt.Errorf("task %d: %w", taskID, ErrNotYours)
	}
	return c.view(ctx, t)
}

func (c *Central) view(ctx context.Context, t Task) (ScriptView, error) {
	s, it, err := c.scriptItem(ctx, t.ScriptID)
	if err != nil {
		return ScriptView{}, err
	}
	v := ScriptView{TaskID: t.ID, ScriptID: s.ID, Purpose: t.Purpose, LeadOnly: t.LeadOnly, ClaimUntil: t.ClaimUntil, Response: s.Response,
		Item: MarkingItem{ID: it.ID, Type: it.Type, Points: it.Points, Stem: it.Stem, Rubric: it.Rubric, Reference: it.Reference, Rule: it.Rule()}}
	if v.Purpose == PurposeControl {
		v.Purpose = PurposeFirst
	}
	if t.LeadOnly {
		v.Problem, v.Note = t.Problem, t.Note
		if v.Earlier, err = c.db.ScriptMarks(ctx, s.ID); err != nil {
			return ScriptView{}, err
		}
	}
	return v, nil
}

// Mark stores a marker's marks (one per rubric criterion, each a multiple
// of the item's step) for a task the marker holds, and in the same
// transaction what they lead to under the item's rule: the script's final
// mark, or the next task (third, arbitrate). seconds is the time spent (0:
// since the claim). Every mark is kept and audited (actor the marker,
// detail the script id and purpose). Errors: ErrNotYours, ErrTaskDone,
// ErrMarkedOnce, ErrInput (marks refused by the rule). A problem task needs
// LeadMark's note.
func (c *Central) Mark(ctx context.Context, marker string, taskID int64, marks []float64, seconds int) (Marked, error) {
	return c.give(ctx, marker, taskID, marks, seconds, "", "")
}

// LeadMark is the lead's mark on a lead-only task, final, with a note: on
// a problem script the note is required (why the mark, or why 0 stands).
func (c *Central) LeadMark(ctx context.Context, lead string, taskID int64, marks []float64, seconds int, note string) (Marked, error) {
	if err := c.need(ctx, lead, Lead); err != nil {
		return Marked{}, err
	}
	return c.give(ctx, lead, taskID, marks, seconds, "", strings.TrimSpace(note))
}

// Flag sends the script of a task the marker holds to the lead instead of
// marking it: problem is one of Problems, note says what is wrong. The
// task is done (the flag kept as the marker's entry) and a lead-only
// problem task added; the lead's mark on it is final.
func (c *Central) Flag(ctx context.Context, marker string, taskID int64, problem, note string) error {
	if !slices.Contains(Problems, problem) {
		return inputf("problem %q is not one of %v", problem, Problems)
	}
	_, err := c.give(ctx, marker, taskID, nil, 0, problem, strings.TrimSpace(note))
	return err
}

func (c *Central) give(ctx context.Context, marker string, taskID int64, marks []float64, seconds int, flag, note string) (Marked, error) {
	if err := c.need(ctx, marker, Mark); err != nil {
		return Marked{}, err
	}
	t, err := c.db.Task(ctx, taskID)
	if err != nil {
		return Marked{}, err
	}
	if t.LeadOnly {
		if err := c.need(ctx, marker, Lead); err != nil {
			return Marked{}, err
		}
		if flag != "" {
			return Marked{}, inputf("task %d is the lead's: the lead marks it", taskID)
		}
		if t.Purpose == PurposeProblem && note == "" {
			return Marked{}, inputf("task %d: the lead's mark on a problem script needs a note", taskID)
		}
	}
	s, it, err := c.scriptItem(ctx, t.ScriptID)
	if err != nil {
		return Marked{}, err
	}
	if flag == "" {
		if err := it.CheckCentralMarks(marks); err != nil {
			return Marked{}, AsInput(err)
		}
	}
	var m Marked
	_, out, err := c.db.GiveMark(ctx, store.Give{TaskID: taskID, Marker: marker, Marks: marks, Flag: flag, Note: note, Seconds: seconds, Now: c.now(),
		Resolve: func(s store.Script, t store.Task, given []store.Given) (store.Outcome, error) {
			return resolveScript(it, s, t, given)
		},
		Audit: func(s store.Script, t store.Task) store.AuditLine {
			if flag != "" {
				return store.AuditLine{Actor: marker, Action: "flag script", Detail: fmt.Sprintf("script %s, %s task %d: %s", s.ID, t.Purpose, t.ID, flag)}
			}
			return store.AuditLine{Actor: marker, Action: "mark script", Detail: fmt.Sprintf("script %s, %s task %d: %v", s.ID, t.Purpose, t.ID, exam.Total(marks))}
		}})
	if err != nil {
		if errors.Is(err, exam.ErrInvalid) {
			return Marked{}, AsInput(err)
		}
		return Marked{}, err
	}
	m = Marked{ScriptID: s.ID, Final: out.Final != nil, How: out.How, Marks: out.Final}
	if len(out.Add) > 0 {
		m.Next = out.Add[0].Purpose
	}
	return m, nil
}

// resolveScript is what the marks given on a candidate's script lead to:
// Resolve over the first, second and third marks and the lead's
// arbitration; a flag sends it to the lead; the lead's mark on a problem
// task is final. Marks of other purposes (control, remark, moderate,
// appeal) are kept and lead nowhere here.
func resolveScript(it exam.Item, s store.Script, t store.Task, given []store.Given) (store.Outcome, error) {
	if s.State != store.ScriptMarking || !slices.Contains(resolving, t.Purpose) {
		return store.Outcome{}, nil
	}
	last := given[len(given)-1]
	switch {
	case last.Flag != "":
		return store.Outcome{Add: []NewTask{{Purpose: PurposeProblem, LeadOnly: true, Problem: last.Flag, Note: last.Note, Priority: store.PriorityArbitrate}}}, nil
	case t.Purpose == PurposeProblem:
		return store.Outcome{Final: last.Marks, How: exam.FinalLead}, nil
	}
	var m exam.Marking
	var firsts, thirds [][]float64
	for _, g := range given {
		switch {
		case g.Marks == nil:
		case g.Purpose == PurposeFirst || g.Purpose == PurposeSecond:
			firsts = append(firsts, g.Marks)
		case g.Purpose == PurposeThird:
			thirds = append(thirds, g.Marks)
		case g.Purpose == PurposeArbitrate:
			m.Lead = g.Marks
		}
	}
	m.Marks = append(firsts, thirds...)
	if len(thirds) > 0 && len(firsts) < 2 {
		return store.Outcome{}, fmt.Errorf("script %s: a third mark before the first two", s.ID)
	}
	r, err := it.Resolve(m)
	if err != nil {
		return store.Outcome{}, fmt.Errorf("script %s: %w", s.ID, err)
	}
	switch {
	case r.Done():
		return store.Outcome{Final: r.Final, How: r.How}, nil
	case r.Need == exam.NeedThird:
		return store.Outcome{Add: []NewTask{{Purpose: PurposeThird, Fresh: true, Priority: store.PriorityThird}}}, nil
	case r.Need == exam.NeedArbitrate:
		return store.Outcome{Add: []NewTask{{Purpose: PurposeArbitrate, LeadOnly: true, Priority: store.PriorityArbitrate}}}, nil
	}
	// first or second: its task is queued already.
	return store.Outcome{}, nil
}

// AddTask adds a task to a script (quality: control, remark, moderate;
// results: appeal), audited with actor as who added it. The purpose is
// free text the adder owns; OnlyMarker, Exclude and Fresh say who may take
// it, LeadOnly puts it in the lead's queue.
func (c *Central) AddTask(ctx context.Context, actor string, t NewTask) (int64, error) {
	if t.Purpose == "" || t.ScriptID == "" {
		return 0, inputf("a task needs its script and purpose")
	}
	return c.db.AddTask(ctx, t, store.AuditLine{Actor: actor, Action: "add marking task", Detail: fmt.Sprintf("script %s, %s", t.ScriptID, t.Purpose)}, c.now())
}

// AddControlScript stores a control script (quality): a response with
// known marks for an item of a stored paper, audited.
func (c *Central) AddControlScript(ctx context.Context, actor string, cs ControlScript) (string, error) {
	p, err := c.markingPaper(ctx, cs.PaperID, cs.PaperVersion)
	if err != nil {
		return "", err
	}
	it, ok := p.Item(cs.ItemID)
	if !ok {
		return "", inputf("paper %s has no item %s", cs.PaperID, cs.ItemID)
	}
	if err := it.CheckCentralMarks(cs.Known); err != nil {
		return "", AsInput(err)
	}
	return c.db.AddControlScript(ctx, cs, store.AuditLine{Actor: actor, Action: "add control script", Detail: fmt.Sprintf("paper %s v%d item %s", cs.PaperID, cs.PaperVersion, cs.ItemID)}, c.now())
}

// SetPaused pauses a marker (Next then answers ErrPaused, and the tasks
// the marker holds return to the queue) or resumes one, audited.
func (c *Central) SetPaused(ctx context.Context, actor, marker string, paused bool, reason string) error {
	action := "resume marker"
	if paused {
		action = "pause marker"
	}
	return c.db.SetPaused(ctx, marker, paused, reason, store.AuditLine{Actor: actor, Action: action, Detail: fmt.Sprintf("%s: %s", marker, reason)}, c.now())
}

// LeadTasks lists the open lead-only tasks (problem scripts, arbitration),
// in hand-out order: for the lead's pages, by script id only.
func (c *Central) LeadTasks(ctx context.Context) ([]Task, error) {
	return c.db.OpenTasks(ctx, true, 1000)
}

// ScriptMarks lists every mark and flag given on a script, with the
// markers' names (the lead's and quality's pages; never a marker's).
func (c *Central) ScriptMarks(ctx context.Context, scriptID string) ([]GivenMark, error) {
	return c.db.ScriptMarks(ctx, scriptID)
}

// FinalMarks returns a session's final marks from central's marking:
// ticket -> item -> marks per rubric criterion.
func (c *Central) FinalMarks(ctx context.Context, sessionID string) (map[string]exam.Marks, error) {
	return c.db.FinalMarks(ctx, sessionID)
}

// MarkingCounts counts a session's scripts by state and open tasks by purpose.
func (c *Central) MarkingCounts(ctx context.Context, sessionID string) (MarkingCounts, error) {
	return c.db.MarkingCounts(ctx, sessionID)
}

// mergeFinalMarks adds central's final marks of a session to the marks
// results are scored from (ticket -> item -> marks).
func (c *Central) mergeFinalMarks(ctx context.Context, sessionID string, marks map[string]exam.Marks) error {
	finals, err := c.db.FinalMarks(ctx, sessionID)
	if err != nil {
		return err
	}
	for ticket, items := range finals {
		if marks[ticket] == nil {
			marks[ticket] = exam.Marks{}
		}
		for item, m := range items {
			marks[ticket][item] = m
		}
	}
	return nil
}

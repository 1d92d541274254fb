package site

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"slices"
	"strings"
	gosync "sync"
	"time"

	"onex/exam"
)

// DrillOptions configure a rehearsal (模拟考) run by Drill.
type DrillOptions struct {
	SessionID  string
	Candidates int    // how many of the roster, in ticket order; 0 is all
	Seed       uint64 // the random answers follow from it
	Proctor    string // default "drill"
	Examiner   string // default "drill"
	// Progress, if set, hears after each candidate submits.
	Progress func(done, total int)
	// Sitter, when set, sits every candidate's exam elsewhere, all at once
	// (client/drill: each on a terminal over the room's network), making
	// the changes steps lists in order; nil sits them one after another on
	// this station.
	Sitter func(ctx context.Context, c Candidate, steps []DrillStep) (Submission, error)
}

// DrillStep is one change a drilled candidate makes: an answer saved, or
// a review flag set when Flag.
type DrillStep struct {
	ItemID string
	Answer exam.Answer
	Flag   bool
}

// DrillReport is what a drill did.
type DrillReport struct {
	SessionID       string        `json:"session_id"`
	Seed            uint64        `json:"seed"`
	Candidates      int           `json:"candidates"`
	Saves           int           `json:"saves"`
	Flags           int           `json:"flags"`
	PracticalScores int           `json:"practical_scores"`
	Submissions     []Submission  `json:"submissions"`
	Ended           bool          `json:"ended"` // the drill ended the session
	Elapsed         time.Duration `json:"elapsed_ns"`
	SavesPerSecond  float64       `json:"saves_per_second"`
}

// Drill runs simulated candidates through the real flow: check-in (present,
// identity confirmed), the room's start if it has not started, every item
// answered with a random but valid answer and some answers changed (each a
// durable save), some items flagged, submission, and the examiner's scores
// for practical items; then, when everyone checked in has submitted, the
// session's end. The paper must be released. Candidates who submitted
// already are left as they are.
func (s *Site) Drill(ctx context.Context, opt DrillOptions) (*DrillReport, error) {
	if opt.Proctor == "" {
		opt.Proctor = "drill"
	}
	if opt.Examiner == "" {
		opt.Examiner = "drill"
	}
	if opt.Candidates < 0 {
		return nil, inputf("drill_candidates", "candidates %d is negative", opt.Candidates)
	}
	paper, err := s.releasedPaper(ctx, opt.SessionID)
	if err != nil {
		return nil, err
	}
	cands, err := s.Candidates(ctx, opt.SessionID)
	if err != nil {
		return nil, err
	}
	n := opt.Candidates
	if n == 0 {
		n = len(cands)
	}
	if n > len(cands) {
		return nil, inputf("drill_roster", "the roster of session %s has %d candidates, not %d", opt.SessionID, len(cands), n)
	}
	cands = cands[:n]
	rng := rand.New(rand.NewPCG(opt.Seed, opt.Seed^0x9e3779b97f4a7c15))
	rep := &DrillReport{SessionID: opt.SessionID, Seed: opt.Seed, Candidates: n}
	start := time.Now()

	if err := s.drillCheckIn(ctx, opt, cands); err != nil {
		return rep, err
	}
	if err := s.StartRoom(ctx, opt.SessionID, opt.Proctor); err != nil && !errors.Is(err, ErrStarted) {
		return rep, fmt.Errorf("drill: %w", err)
	}
	// Check-in issued seat codes: read the candidates again.
	if cands, err = s.Candidates(ctx, opt.SessionID); err != nil {
		return rep, err
	}
	cands = cands[:n]
	var due []Candidate
	for _, c := range cands {
		if !c.Submitted && c.Status != exam.Absent {
			due = append(due, c)
		}
	}
	subs, err := s.drillSit(ctx, paper, opt, due, rep)
	if err != nil {
		return rep, err
	}
	for i, sub := range subs {
		rep.Submissions = append(rep.Submissions, sub)
		if err := s.drillPractical(ctx, rng, paper, opt, sub.Ticket, rep); err != nil {
			return rep, err
		}
		if opt.Progress != nil {
			opt.Progress(i+1, len(subs))
		}
	}
	if err := s.drillEnd(ctx, opt, rep); err != nil {
		return rep, err
	}
	rep.Elapsed = time.Since(start)
	if secs := rep.Elapsed.Seconds(); secs > 0 {
		rep.SavesPerSecond = float64(rep.Saves) / secs
	}
	return rep, nil
}

// releasedPaper returns the session's paper, or why it is not open.
func (s *Site) releasedPaper(ctx context.Context, sessionID string) (*exam.Paper, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := s.room(ctx, sessionID)
	switch {
	case err != nil:
		return nil, err
	case r.paper != nil:
		return r.paper, nil
	case r.paperErr != nil:
		return nil, r.paperErr
	}
	return nil, fmt.Errorf("session %s: %w (unlock it first)", sessionID, ErrNotReleased)
}

// drillCheckIn checks in, present with the identity confirmed, every
// candidate not checked in yet; past the late limit the drill's proctor
// overrides it.
func (s *Site) drillCheckIn(ctx context.Context, opt DrillOptions, cands []Candidate) error {
	for _, c := range cands {
		if c.Status != "" {
			continue
		}
		req := CheckInRequest{Ticket: c.Ticket, Status: exam.Present, Confirmed: true}
		_, err := s.CheckIn(ctx, opt.SessionID, req)
		if errors.Is(err, ErrLateLimit) {
			req.Override, req.Proctor = true, opt.Proctor
			_, err = s.CheckIn(ctx, opt.SessionID, req)
		}
		if err != nil {
			return fmt.Errorf("drill: check-in of %s: %w", c.Ticket, err)
		}
	}
	return nil
}

// drillPractical scores a candidate's practical items with random marks
// within each criterion, in half points.
func (s *Site) drillPractical(ctx context.Context, rng *rand.Rand, paper *exam.Paper, opt DrillOptions, ticket string, rep *DrillReport) error {
	for _, it := range paper.Items() {
		if it.Type != exam.Practical {
			continue
		}
		marks := make([]float64, len(it.Rubric))
		for k, cr := range it.Rubric {
			marks[k] = float64(rng.IntN(int(cr.Points*2)+1)) / 2
		}
		if err := s.ScorePractical(ctx, opt.SessionID, ticket, it.ID, marks, opt.Examiner); err != nil {
			return fmt.Errorf("drill: practical score of %s: %w", ticket, err)
		}
		rep.PracticalScores++
	}
	return nil
}

// drillEnd ends the session once everyone checked in has submitted: the
// rehearsal is over.
func (s *Site) drillEnd(ctx context.Context, opt DrillOptions, rep *DrillReport) error {
	all, err := s.Candidates(ctx, opt.SessionID)
	if err != nil {
		return err
	}
	if slices.ContainsFunc(all, func(c Candidate) bool { return c.Begun && !c.Submitted }) {
		return nil
	}
	if _, err := s.End(ctx, opt.SessionID, opt.Proctor); err != nil {
		return fmt.Errorf("drill: %w", err)
	}
	rep.Ended = true
	return nil
}

// drillSit sits the candidates' exams, on this station one after another
// or through opt.Sitter all at once, and returns their submissions in the
// candidates' order.
func (s *Site) drillSit(ctx context.Context, paper *exam.Paper, opt DrillOptions, cands []Candidate, rep *DrillReport) ([]Submission, error) {
	subs := make([]Submission, len(cands))
	errs := make([]error, len(cands))
	plans := make([][]DrillStep, len(cands))
	for i, c := range cands {
		plans[i] = drillPlan(paper, opt.SessionID, opt.Seed, c.Ticket)
		for _, st := range plans[i] {
			if st.Flag {
				rep.Flags++
			} else {
				rep.Saves++
			}
		}
	}
	if opt.Sitter == nil {
		for i, c := range cands {
			if subs[i], errs[i] = s.drillCandidate(ctx, opt.SessionID, c.Ticket, plans[i]); errs[i] != nil {
				break
			}
		}
	} else {
		var wg gosync.WaitGroup
		for i, c := range cands {
			wg.Go(func() { subs[i], errs[i] = opt.Sitter(ctx, c, plans[i]) })
		}
		wg.Wait()
	}
	for i, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("drill: ticket %s: %w", cands[i].Ticket, err)
		}
	}
	return subs, nil
}

// drillCandidate makes a candidate's changes on this station and submits.
func (s *Site) drillCandidate(ctx context.Context, sessionID, ticket string, steps []DrillStep) (Submission, error) {
	e, err := s.Begin(ctx, sessionID, ticket)
	if err != nil {
		return Submission{}, err
	}
	for _, st := range steps {
		if st.Flag {
			err = e.Flag(ctx, st.ItemID, true)
		} else {
			err = e.Save(ctx, st.ItemID, st.Answer)
		}
		if err != nil {
			return Submission{}, err
		}
	}
	return e.Submit(ctx)
}

// drillPlan is what a drilled candidate does, item by item in their order:
// an answer to each item they answer, a changed mind on some, a review
// flag on a few. It follows from the seed and the ticket alone, so that
// candidates sat at once do what they would one by one.
func drillPlan(paper *exam.Paper, sessionID string, seed uint64, ticket string) []DrillStep {
	h := fnv.New64a()
	h.Write([]byte(ticket))
	rng := rand.New(rand.NewPCG(seed, h.Sum64()))
	var steps []DrillStep
	for _, sec := range paper.Present(sessionID, ticket).Sections {
		for _, pi := range sec.Items {
			it, _ := paper.Item(pi.ItemID)
			if it.Type == exam.Practical {
				continue
			}
			changes := 1
			if rng.IntN(10) < 3 {
				changes = 2 // the candidate changes their mind
			}
			for range changes {
				steps = append(steps, DrillStep{ItemID: it.ID, Answer: drillAnswer(rng, seed, ticket, it)})
			}
			if rng.IntN(10) == 0 {
				steps = append(steps, DrillStep{ItemID: it.ID, Flag: true})
			}
		}
	}
	return steps
}

// drillAnswer is a random valid answer to an item: right about half the
// time for choice and fill items, and a marked text for essays, so a test
// can look for it in the raw database bytes.
func drillAnswer(rng *rand.Rand, seed uint64, ticket string, it exam.Item) exam.Answer {
	switch it.Type {
	case exam.Single:
		if rng.IntN(2) == 0 {
			return exam.Answer{Choices: []string{it.Answer[0]}}
		}
		return exam.Answer{Choices: []string{it.Options[rng.IntN(len(it.Options))].ID}}
	case exam.Multiple:
		if rng.IntN(2) == 0 {
			return exam.Answer{Choices: append([]string(nil), it.Answer...)}
		}
		var ch []string
		for _, o := range it.Options {
			if rng.IntN(2) == 0 {
				ch = append(ch, o.ID)
			}
		}
		if len(ch) == 0 {
			ch = []string{it.Options[rng.IntN(len(it.Options))].ID}
		}
		return exam.Answer{Choices: ch}
	case exam.TrueFalse:
		return exam.Answer{Choices: []string{[]string{"true", "false"}[rng.IntN(2)]}}
	case exam.Fill:
		if rng.IntN(2) == 0 {
			return exam.Answer{Text: it.Accept[rng.IntN(len(it.Accept))]}
		}
		return exam.Answer{Text: fmt.Sprintf("drill-%d", rng.IntN(1000))}
	case exam.Essay:
		text := DrillEssay(seed, ticket, it.ID) + strings.Repeat(" 示例作答", 1+rng.IntN(20))
		if it.MaxChars > 0 {
			text = string([]rune(text)[:min(len([]rune(text)), it.MaxChars)])
		}
		return exam.Answer{Text: text}
	}
	return exam.Answer{}
}

// DrillEssay is the marker a drill's essay answers start with.
func DrillEssay(seed uint64, ticket, itemID string) string {
	return fmt.Sprintf("drill essay %d/%s/%s:", seed, ticket, itemID)
}

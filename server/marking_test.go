package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"onex/exam"
	"onex/server"
	"onex/server/servertest"
	"onex/server/store"
	"onex/server/store/pgtest"
	osync "onex/sync"
)

// doubleEssay makes the sample paper's essay q10 (rubric 4, 3, 3) double
// marked with a tolerance of 2 in steps of 0.5, with a reference answer.
func doubleEssay(b []byte) []byte {
	return bytes.Replace(b, []byte(`{"id": "q10", "type": "essay", "points": 10,`),
		[]byte(`{"id": "q10", "type": "essay", "points": 10, "marking": {"double": true, "tolerance": 2, "step": 0.5}, "reference": "参考：媒体查询、弹性布局",`), 1)
}

// markingCentral is a central whose session of n made-up candidates (on
// engine) has a double-marked essay, every candidate submitted.
func markingCentral(t testing.TB, engine string, n int, opts ...servertest.Option) *servertest.Central {
	t.Helper()
	c := servertest.New(t, append([]servertest.Option{servertest.WithDB(pgtest.DSN(t, engine)), servertest.WithRoster(n), servertest.WithPaper(doubleEssay)}, opts...)...)
	c.Release()
	c.Clock.Add(40 * time.Minute)
	d := c.Enrol(t, "SITE-001")
	var envs [][]byte
	push := func() {
		if len(envs) == 0 {
			return
		}
		_, resp := d.Push(envs...)
		for _, r := range resp.Results {
			if r.Outcome != osync.Accepted {
				t.Fatalf("submission: %s %s", r.Outcome, r.Reason)
			}
		}
		envs = envs[:0]
	}
	for i := range n {
		ticket := fmt.Sprintf("2026BENCH%05d", i+1)
		sub := servertest.Submission(c.Session, ticket, map[string]exam.Answer{"q1": {Choices: []string{"b"}}, "q10": {Text: fmt.Sprintf("响应式设计答案 %d", i)}})
		envs = append(envs, d.Seal(osync.KindSubmission, sub).Bytes)
		if len(envs) == 200 {
			push()
		}
	}
	push()
	return c
}

// markers adds office users of a role straight to the database (no
// password hashing: they never sign in here).
func markers(t testing.TB, c *servertest.Central, role string, n int) []string {
	t.Helper()
	var names []string
	for i := range n {
		name := fmt.Sprintf("%s%02d", role, i+1)
		if err := c.DB(t).PutUser(context.Background(), store.User{Name: name, PasswordHash: "-", Role: role}); err != nil {
			t.Fatal(err)
		}
		names = append(names, name)
	}
	return names
}

// plan is how the concurrent test's markers mark: by a script's category
// and the task's purpose. Category 0: the first two agree; 1: they differ,
// the third agrees with the second; 2: the third agrees with neither, the
// lead arbitrates; 3: the first marker flags it, the lead decides.
var plan = map[int]map[string][]float64{
	0: {server.PurposeFirst: {3, 2, 2}, server.PurposeSecond: {3, 2, 1}},
	1: {server.PurposeFirst: {1, 1, 1}, server.PurposeSecond: {4, 3, 3}, server.PurposeThird: {4, 3, 2}},
	2: {server.PurposeFirst: {0, 0, 0}, server.PurposeSecond: {4, 3, 3}, server.PurposeThird: {2, 1, 2}, server.PurposeArbitrate: {2, 2, 2}},
	3: {server.PurposeSecond: {2, 2, 2}, server.PurposeProblem: {0, 0, 0}},
}

// wantFinal is each category's final mark and how it was reached.
var wantFinal = map[int]struct {
	marks []float64
	how   string
}{
	0: {[]float64{3, 2, 1.5}, exam.FinalAgreed}, // totals 7 and 6: mean 6.5; the third criterion 1.5
	1: {[]float64{4, 3, 2.5}, exam.FinalThird},  // totals 10 and 9: 9.5
	2: {[]float64{2, 2, 2}, exam.FinalArbitrated},
	3: {[]float64{0, 0, 0}, exam.FinalLead},
}

// TestFiftyConcurrentMarkers: 50 markers and 2 leads mark a session of
// double-marked essays at once, through the service, on SQLite and on
// PostgreSQL. Afterwards every script is final as its rule and its marks
// say, marked exactly as often as the rule asks, by distinct markers, none
// lost, no task held by two.
func TestFiftyConcurrentMarkers(t *testing.T) {
	for _, engine := range pgtest.Engines {
		t.Run(engine, func(t *testing.T) {
			n := 120
			if testing.Short() {
				n = 40
			}
			c := markingCentral(t, engine, n)
			ctx := context.Background()
			db := c.DB(t)
			scripts, err := db.Scripts(ctx, c.Session.ID)
			if err != nil {
				t.Fatal(err)
			}
			if len(scripts) != n {
				t.Fatalf("%d scripts for %d submissions with an essay", len(scripts), n)
			}
			category := map[string]int{}
			for i, s := range scripts {
				category[s.ID] = i % 4
			}
			ms := markers(t, c, server.RoleMarker, 50)
			leads := markers(t, c, server.RoleLead, 2)

			if err := markConcurrently(c, category, ms, leads, 3*time.Minute); err != nil {
				t.Fatal(err)
			}
			checkMarkedAsRuled(t, c, category)
		})
	}
}

// markConcurrently has markers and leads mark the session's scripts at
// once, each in a goroutine, by plan, until every script is final.
func markConcurrently(c *servertest.Central, category map[string]int, ms, leads []string, limit time.Duration) error {
	ctx := context.Background()
	var done atomic.Bool
	var wg sync.WaitGroup
	errs := make(chan error, len(ms)+len(leads))
	work := func(name string, lead bool) {
		defer wg.Done()
		for !done.Load() {
			next := c.Next
			if lead {
				next = c.NextLead
			}
			v, err := next(ctx, name)
			if errors.Is(err, server.ErrNoTask) {
				time.Sleep(20 * time.Millisecond) // as a page polling its queue would, if much faster
				continue
			}
			if err != nil {
				errs <- fmt.Errorf("%s: next: %w", name, err)
				return
			}
			cat := category[v.ScriptID]
			switch {
			case cat == 3 && v.Purpose == server.PurposeFirst:
				err = c.Flag(ctx, name, v.TaskID, server.ProblemIllegible, "字迹无法辨认")
			case lead:
				_, err = c.LeadMark(ctx, name, v.TaskID, plan[cat][v.Purpose], 40, "题组长裁定")
			default:
				_, err = c.Mark(ctx, name, v.TaskID, plan[cat][v.Purpose], 30)
			}
			if errors.Is(err, server.ErrTaskDone) {
				continue // the lead's decision made it moot
			}
			if err != nil {
				errs <- fmt.Errorf("%s: %s task %d of script %s (category %d): %w", name, v.Purpose, v.TaskID, v.ScriptID, cat, err)
				return
			}
		}
	}
	for _, m := range ms {
		wg.Add(1)
		go work(m, false)
	}
	for _, l := range leads {
		wg.Add(1)
		go work(l, true)
	}
	deadline := time.Now().Add(limit)
	var err error
	for {
		var mc server.MarkingCounts
		if mc, err = c.MarkingCounts(ctx, c.Session.ID); err != nil || mc.Scripts[store.ScriptMarking] == 0 || len(errs) > 0 {
			break
		}
		if time.Now().After(deadline) {
			err = fmt.Errorf("marking not done after %v: %+v", limit, mc)
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	done.Store(true)
	wg.Wait()
	close(errs)
	var all []error
	for e := range errs {
		all = append(all, e)
	}
	return errors.Join(append(all, err)...)
}

// BenchmarkSessionMarking is a whole session's resolution on PostgreSQL:
// 200 candidates' double-marked essays (a quarter each agreed, resolved by
// a third marker, arbitrated, flagged to the lead) marked by 50 markers and
// 2 leads at once through the service, from the first hand-out to the
// last final mark. Reported: the session's time and the time per script.
func BenchmarkSessionMarking(b *testing.B) {
	const n = 200
	for range b.N {
		b.StopTimer()
		c := markingCentral(b, "postgres", n)
		scripts, err := c.DB(b).Scripts(context.Background(), c.Session.ID)
		if err != nil {
			b.Fatal(err)
		}
		category := map[string]int{}
		for i, s := range scripts {
			category[s.ID] = i % 4
		}
		ms, leads := markers(b, c, server.RoleMarker, 50), markers(b, c, server.RoleLead, 2)
		b.StartTimer()
		start := time.Now()
		if err := markConcurrently(c, category, ms, leads, 5*time.Minute); err != nil {
			b.Fatal(err)
		}
		took := time.Since(start)
		b.ReportMetric(took.Seconds(), "s/session")
		b.ReportMetric(float64(took.Milliseconds())/n, "ms/script")
	}
}

// checkMarkedAsRuled checks every script of the session after marking.
func checkMarkedAsRuled(t *testing.T, c *servertest.Central, category map[string]int) {
	ctx := context.Background()
	db := c.DB(t)
	scripts, err := db.Scripts(ctx, c.Session.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(scripts) != len(category) {
		t.Fatalf("%d scripts after marking, %d before", len(scripts), len(category))
	}
	finals, err := c.FinalMarks(ctx, c.Session.ID)
	if err != nil {
		t.Fatal(err)
	}
	wantPurposes := map[int][]string{
		0: {"first", "second"},
		1: {"first", "second", "third"},
		2: {"first", "second", "third", "arbitrate"},
	}
	for _, s := range scripts {
		cat := category[s.ID]
		want := wantFinal[cat]
		if s.State != store.ScriptFinal || s.How != want.how || !slices.Equal(s.Final, want.marks) {
			t.Errorf("script %s (category %d): %s %s %v, want final %s %v", s.ID, cat, s.State, s.How, s.Final, want.how, want.marks)
		}
		if !slices.Equal(finals[s.Ticket]["q10"], want.marks) {
			t.Errorf("FinalMarks of %s: %v", s.Ticket, finals[s.Ticket]["q10"])
		}
		given, err := db.ScriptMarks(ctx, s.ID)
		if err != nil {
			t.Fatal(err)
		}
		tasks, err := db.Tasks(ctx, s.ID)
		if err != nil {
			t.Fatal(err)
		}
		var purposes []string
		byMarker := map[string]bool{}
		byTask := map[int64]store.Given{}
		for _, g := range given {
			purposes = append(purposes, g.Purpose)
			if g.Purpose != server.PurposeArbitrate && g.Purpose != server.PurposeProblem {
				if byMarker[g.Marker] {
					t.Errorf("script %s: %s marked it twice", s.ID, g.Marker)
				}
				byMarker[g.Marker] = true
			}
			if _, ok := byTask[g.TaskID]; ok {
				t.Errorf("script %s: task %d marked twice", s.ID, g.TaskID)
			}
			byTask[g.TaskID] = g
		}
		for _, tk := range tasks {
			g, marked := byTask[tk.ID]
			switch {
			case tk.DoneAt.IsZero():
				t.Errorf("script %s: %s task %d still open", s.ID, tk.Purpose, tk.ID)
			case tk.Outcome == store.TaskCancelled && marked:
				t.Errorf("script %s: task %d cancelled and marked", s.ID, tk.ID)
			case tk.Outcome != store.TaskCancelled && (!marked || g.Marker != tk.ClaimedBy):
				t.Errorf("script %s: task %d %s, its mark %+v, claimed by %s", s.ID, tk.ID, tk.Outcome, g, tk.ClaimedBy)
			}
		}
		slices.Sort(purposes)
		if cat == 3 {
			if !slices.Contains(purposes, "problem") || given[0].Flag != server.ProblemIllegible && given[1].Flag != server.ProblemIllegible {
				t.Errorf("script %s (flagged): %v", s.ID, purposes)
			}
			continue
		}
		w := slices.Clone(wantPurposes[cat])
		slices.Sort(w)
		if !slices.Equal(purposes, w) {
			t.Errorf("script %s (category %d): marks %v, want %v", s.ID, cat, purposes, w)
		}
	}
	// The results score the essay from the final marks.
	for _, r := range c.Results(t) {
		for _, it := range r.Items {
			if it.ItemID == "q10" && (it.Awaiting || it.Points != exam.Total(finals[r.Ticket]["q10"])) {
				t.Errorf("result of %s: q10 %+v, final %v", r.Ticket, it, finals[r.Ticket]["q10"])
			}
		}
		if slices.Contains(r.Awaiting, "q10") {
			t.Errorf("result of %s still awaits q10", r.Ticket)
		}
	}
}

// TestMarkingBlindAndClaims: a marker's page names no candidate; another
// marker cannot reach it; a reload gives the same script; staff and
// inspectors do not mark; a paused marker gets nothing; a claim not marked
// within the timeout goes to another marker, and the first then cannot
// mark it; a marker never gets a script they marked.
func TestMarkingBlindAndClaims(t *testing.T) {
	c := markingCentral(t, "sqlite", 2, servertest.WithClaimTimeout(10*time.Minute))
	ctx := context.Background()
	ms := markers(t, c, server.RoleMarker, 3)
	a, b, x := ms[0], ms[1], ms[2]

	v, err := c.Next(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	if v.Purpose != server.PurposeFirst || v.Item.ID != "q10" || v.Item.Reference == "" || !v.Item.Rule.Double || len(v.Item.Rubric) != 3 || !strings.HasPrefix(v.Response.Text, "响应式设计答案") {
		t.Errorf("view: %+v", v)
	}
	page, _ := json.Marshal(v)
	roster, err := c.Roster(ctx, c.Session.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, cand := range roster {
		for _, secret := range []string{cand.Ticket, cand.Name, cand.IDNumber} {
			if bytes.Contains(page, []byte(secret)) {
				t.Errorf("a marker's view holds %q", secret)
			}
		}
	}
	for _, secret := range []string{c.Session.ID, "SITE-001", "A101"} {
		if bytes.Contains(page, []byte(secret)) {
			t.Errorf("a marker's view holds %q", secret)
		}
	}
	again, err := c.Next(ctx, a)
	if err != nil || again.TaskID != v.TaskID {
		t.Errorf("reload: task %d (%v), want %d", again.TaskID, err, v.TaskID)
	}
	if _, err := c.ScriptView(ctx, b, v.TaskID); !errors.Is(err, server.ErrNotYours) {
		t.Errorf("another marker's view of the task: %v", err)
	}
	if _, err := c.Mark(ctx, b, v.TaskID, []float64{1, 1, 1}, 10); !errors.Is(err, server.ErrNotYours) {
		t.Errorf("another marker's mark on the task: %v", err)
	}
	if err := c.PutUser(ctx, "clerk", "clerk password 1", server.RoleStaff, "test"); err != nil {
		t.Fatal(err)
	}
	for _, who := range []string{"clerk", "nobody"} {
		if _, err := c.Next(ctx, who); !errors.Is(err, server.ErrForbidden) {
			t.Errorf("Next of %s: %v", who, err)
		}
	}
	if _, err := c.NextLead(ctx, b); !errors.Is(err, server.ErrForbidden) {
		t.Errorf("NextLead of a marker: %v", err)
	}
	// Marks the rule refuses.
	if _, err := c.Mark(ctx, a, v.TaskID, []float64{1.25, 1, 1}, 10); !errors.Is(err, server.ErrInput) {
		t.Errorf("a mark off the step: %v", err)
	}

	// The claim runs out: b gets the same task; a cannot mark it.
	c.Clock.Add(11 * time.Minute)
	w, err := c.Next(ctx, b)
	if err != nil || w.TaskID != v.TaskID {
		t.Fatalf("after the timeout, b got task %d (%v), want %d", w.TaskID, err, v.TaskID)
	}
	if _, err := c.Mark(ctx, a, v.TaskID, []float64{1, 1, 1}, 10); !errors.Is(err, server.ErrNotYours) {
		t.Errorf("a's mark after the claim went to b: %v", err)
	}
	if _, err := c.Mark(ctx, b, v.TaskID, []float64{2, 2, 2}, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Mark(ctx, b, v.TaskID, []float64{2, 2, 2}, 0); !errors.Is(err, server.ErrTaskDone) {
		t.Errorf("marking a task twice: %v", err)
	}
	// b never gets that script again: its second task goes to another.
	for {
		v2, err := c.Next(ctx, b)
		if errors.Is(err, server.ErrNoTask) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if v2.ScriptID == w.ScriptID {
			t.Fatalf("b was handed script %s again (%s)", v2.ScriptID, v2.Purpose)
		}
		if _, err := c.Mark(ctx, b, v2.TaskID, []float64{2, 2, 2}, 0); err != nil {
			t.Fatal(err)
		}
	}
	// A paused marker gets nothing; resumed, the next task.
	if err := c.SetPaused(ctx, "admin", x, true, "质检未达标"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Next(ctx, x); !errors.Is(err, server.ErrPaused) {
		t.Errorf("Next of a paused marker: %v", err)
	}
	if err := c.SetPaused(ctx, "admin", x, false, "复训完成"); err != nil {
		t.Fatal(err)
	}
	if v3, err := c.Next(ctx, x); err != nil || v3.ScriptID != w.ScriptID || v3.Purpose != server.PurposeSecond {
		t.Errorf("x after resuming: %+v, %v", v3, err)
	}
	// Every change is audited with the marker as actor and no candidate.
	log, err := c.AuditLog(ctx)
	if err != nil || log.Broken != "" {
		t.Fatal(err, log.Broken)
	}
	var marked int
	for _, e := range log.Entries {
		if e.Action == "mark script" {
			marked++
			if e.Actor != b || !strings.Contains(e.Detail, "script S") {
				t.Errorf("audit: %+v", e)
			}
		}
		for _, cand := range roster {
			if strings.Contains(e.Detail, cand.Ticket) && strings.Contains(e.Action, "script") {
				t.Errorf("audit entry names a candidate: %+v", e)
			}
		}
	}
	if marked != 2 {
		t.Errorf("%d mark entries in the audit log, want 2", marked)
	}
}

// TestProblemScriptGoesToTheLead: a flagged script waits for the lead,
// whose mark, with its note, is final; the lead's view shows the flag
// and the marks so far.
func TestProblemScriptGoesToTheLead(t *testing.T) {
	c := markingCentral(t, "sqlite", 1)
	ctx := context.Background()
	m := markers(t, c, server.RoleMarker, 1)[0]
	lead := markers(t, c, server.RoleLead, 1)[0]
	if _, err := c.NextLead(ctx, lead); !errors.Is(err, server.ErrNoTask) {
		t.Fatalf("the lead's queue before a flag: %v", err)
	}
	v, err := c.Next(ctx, m)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Flag(ctx, m, v.TaskID, "rude", ""); !errors.Is(err, server.ErrInput) {
		t.Errorf("an unknown problem: %v", err)
	}
	if err := c.Flag(ctx, m, v.TaskID, server.ProblemMisconduct, "与另一份答卷雷同"); err != nil {
		t.Fatal(err)
	}
	tasks, err := c.LeadTasks(ctx)
	if err != nil || len(tasks) != 1 || tasks[0].Purpose != server.PurposeProblem || tasks[0].Problem != server.ProblemMisconduct {
		t.Fatalf("lead tasks: %+v, %v", tasks, err)
	}
	lv, err := c.NextLead(ctx, lead)
	if err != nil {
		t.Fatal(err)
	}
	if lv.Problem != server.ProblemMisconduct || lv.Note != "与另一份答卷雷同" || len(lv.Earlier) != 1 || lv.Earlier[0].Flag != server.ProblemMisconduct {
		t.Errorf("lead's view: %+v", lv)
	}
	if _, err := c.LeadMark(ctx, lead, lv.TaskID, []float64{0, 0, 0}, 0, " "); !errors.Is(err, server.ErrInput) {
		t.Errorf("a lead's mark without a note: %v", err)
	}
	if _, err := c.LeadMark(ctx, m, lv.TaskID, []float64{0, 0, 0}, 0, "x"); !errors.Is(err, server.ErrForbidden) {
		t.Errorf("a marker's lead mark: %v", err)
	}
	got, err := c.LeadMark(ctx, lead, lv.TaskID, []float64{0, 0, 0}, 0, "确认雷同，0 分")
	if err != nil || !got.Final || got.How != exam.FinalLead {
		t.Fatalf("lead's mark: %+v, %v", got, err)
	}
	// The second task, moot now, was cancelled.
	if _, err := c.Next(ctx, m); !errors.Is(err, server.ErrNoTask) {
		t.Errorf("after the lead's decision: %v", err)
	}
	finals, err := c.FinalMarks(ctx, c.Session.ID)
	if err != nil || !slices.Equal(finals["2026BENCH00001"]["q10"], []float64{0, 0, 0}) {
		t.Errorf("final marks: %v, %v", finals, err)
	}
}

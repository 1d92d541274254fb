package exam_test

import (
	"errors"
	"slices"
	"testing"

	"pgregory.net/rapid"

	"onex/exam"
)

func TestResultState(t *testing.T) {
	ready := exam.ResultFacts{Submitted: true, Practical: true, Moderated: true}
	with := func(f func(*exam.ResultFacts)) exam.ResultFacts { r := ready; f(&r); return r }
	for _, tc := range []struct {
		name    string
		facts   exam.ResultFacts
		want    exam.ResultState
		blocked []exam.NotReady
	}{
		{"no submission yet", exam.ResultFacts{}, exam.StateProvisional, []exam.NotReady{exam.NoSubmission}},
		{"no submission, practical paper", exam.ResultFacts{Practical: true}, exam.StateProvisional, []exam.NotReady{exam.NoSubmission, exam.NotModerated}},
		{"essay awaiting", with(func(f *exam.ResultFacts) { f.Awaiting = 1 }), exam.StateProvisional, []exam.NotReady{exam.AwaitingMarks}},
		{"marked, not moderated", with(func(f *exam.ResultFacts) { f.Moderated = false }), exam.StateMarked, []exam.NotReady{exam.NotModerated}},
		{"no practical item skips moderation", exam.ResultFacts{Submitted: true}, exam.StateModerated, nil},
		{"moderated", ready, exam.StateModerated, nil},
		{"absent: nothing to mark", exam.ResultFacts{Absent: true, Practical: true}, exam.StateModerated, nil},
		{"open conflict blocks approval", with(func(f *exam.ResultFacts) { f.OpenConflicts = 1 }), exam.StateModerated, []exam.NotReady{exam.OpenConflict}},
		{"open conflict makes an approval not count", with(func(f *exam.ResultFacts) { f.OpenConflicts, f.Approved = 2, true }), exam.StateModerated, []exam.NotReady{exam.OpenConflict}},
		{"open appeal holds at marked", with(func(f *exam.ResultFacts) { f.OpenAppeals = 1 }), exam.StateMarked, []exam.NotReady{exam.OpenAppeal}},
		{"approved", with(func(f *exam.ResultFacts) { f.Approved = true }), exam.StateApproved, nil},
		{"published", with(func(f *exam.ResultFacts) { f.Approved, f.Published = true, true }), exam.StatePublished, nil},
		{"published but appealed", with(func(f *exam.ResultFacts) { f.Approved, f.Published, f.OpenAppeals = true, true, 1 }), exam.StateMarked, []exam.NotReady{exam.OpenAppeal}},
		{"approval of a result not moderated does not count", with(func(f *exam.ResultFacts) { f.Approved, f.Moderated = true, false }), exam.StateMarked, []exam.NotReady{exam.NotModerated}},
		{"absent and approved", exam.ResultFacts{Absent: true, Approved: true}, exam.StateApproved, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.facts.State(); got != tc.want {
				t.Errorf("State() = %s, want %s", got, tc.want)
			}
			if got := tc.facts.Blockers(); !slices.Equal(got, tc.blocked) {
				t.Errorf("Blockers() = %v, want %v", got, tc.blocked)
			}
			err := tc.facts.CanApprove()
			var nr *exam.NotReadyError
			switch {
			case len(tc.blocked) == 0 && !tc.facts.Approved && err != nil:
				t.Errorf("CanApprove() = %v, want nil", err)
			case len(tc.blocked) > 0 && (!errors.As(err, &nr) || !slices.Equal(nr.Reasons, tc.blocked)):
				t.Errorf("CanApprove() = %v, want reasons %v", err, tc.blocked)
			}
		})
	}
}

func TestCanPublish(t *testing.T) {
	for _, tc := range []struct {
		facts exam.ResultFacts
		want  exam.NotReady // "" for nil
	}{
		{exam.ResultFacts{Submitted: true}, exam.NotApproved},
		{exam.ResultFacts{Submitted: true, Approved: true}, ""},
		{exam.ResultFacts{Submitted: true, Approved: true, Published: true}, exam.AlreadyPublished},
		{exam.ResultFacts{Submitted: true, Approved: true, OpenAppeals: 1}, exam.OpenAppeal},
		{exam.ResultFacts{Submitted: true, Approved: true, Practical: true}, exam.NotModerated},
	} {
		err := tc.facts.CanPublish()
		var nr *exam.NotReadyError
		if tc.want == "" && err != nil || tc.want != "" && (!errors.As(err, &nr) || !nr.Has(tc.want)) {
			t.Errorf("%+v: CanPublish() = %v, want %q", tc.facts, err, tc.want)
		}
	}
	if err := (exam.ResultFacts{Submitted: true, Approved: true}).CanApprove(); err == nil || !err.(*exam.NotReadyError).Has(exam.AlreadyApproved) {
		t.Errorf("approving an approved result: %v", err)
	}
}

var genFacts = rapid.Custom(func(t *rapid.T) exam.ResultFacts {
	return exam.ResultFacts{
		Absent: rapid.Bool().Draw(t, "absent"), Submitted: rapid.Bool().Draw(t, "submitted"),
		Awaiting: rapid.IntRange(0, 3).Draw(t, "awaiting"), Practical: rapid.Bool().Draw(t, "practical"),
		Moderated: rapid.Bool().Draw(t, "moderated"), OpenConflicts: rapid.IntRange(0, 2).Draw(t, "conflicts"),
		OpenAppeals: rapid.IntRange(0, 2).Draw(t, "appeals"), Approved: rapid.Bool().Draw(t, "approved"),
		Published: rapid.Bool().Draw(t, "published"),
	}
})

// TestResultStateProperties: progress never moves a result back; approved
// and published need nothing blocking; an appeal or a lapsed approval
// (send-back, changed marks) brings it back to at most moderated, and the
// approval must be given again; CanApprove and CanPublish agree with State.
func TestResultStateProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		f := genFacts.Draw(t, "facts")
		s := f.State()
		if s.Rank() < 0 {
			t.Fatalf("unknown state %q", s)
		}
		if s.Rank() >= exam.StateApproved.Rank() && (len(f.Blockers()) > 0 || !f.Approved) {
			t.Fatalf("%+v: %s with blockers %v", f, s, f.Blockers())
		}
		if s == exam.StatePublished && !f.Published {
			t.Fatalf("%+v: published without a publication", f)
		}
		if (f.CanApprove() == nil) != (len(f.Blockers()) == 0 && !f.Approved) {
			t.Fatalf("%+v: CanApprove %v", f, f.CanApprove())
		}
		if f.CanApprove() == nil && s != exam.StateModerated {
			t.Fatalf("%+v: approvable in state %s", f, s)
		}
		if f.CanPublish() == nil && s != exam.StateApproved {
			t.Fatalf("%+v: publishable in state %s", f, s)
		}
		// Each step forward never lowers the state.
		steps := []func(*exam.ResultFacts){
			func(g *exam.ResultFacts) { g.Submitted = true },
			func(g *exam.ResultFacts) { g.Awaiting = 0 },
			func(g *exam.ResultFacts) { g.Moderated = true },
			func(g *exam.ResultFacts) { g.OpenConflicts = 0 },
			func(g *exam.ResultFacts) { g.OpenAppeals = 0 },
			func(g *exam.ResultFacts) { g.Approved = true },
			func(g *exam.ResultFacts) { g.Published = true },
		}
		for i, step := range steps {
			g := f
			step(&g)
			if g.State().Rank() < s.Rank() {
				t.Fatalf("%+v: step %d moved %s back to %s", f, i, s, g.State())
			}
		}
		// Reopening: an appeal holds it at marked at most; a lapsed approval at moderated.
		g := f
		g.OpenAppeals++
		if g.State().Rank() > exam.StateMarked.Rank() || g.CanApprove() == nil {
			t.Fatalf("%+v: appealed, state %s", g, g.State())
		}
		g = f
		g.Approved = false
		if g.State().Rank() > exam.StateModerated.Rank() || g.CanPublish() == nil {
			t.Fatalf("%+v: approval lapsed, state %s", g, g.State())
		}
	})
}

func TestResultDigest(t *testing.T) {
	items := []exam.ItemScore{{ItemID: "q1", Points: 2, Max: 2}, {ItemID: "q10", Points: 7.5, Max: 10}}
	d := exam.ResultDigest(false, items)
	changed := slices.Clone(items)
	changed[1].Points = 8
	awaiting := slices.Clone(items)
	awaiting[1].Points, awaiting[1].Awaiting = 0, true
	zero := slices.Clone(items)
	zero[1].Points = 0
	for name, other := range map[string]string{
		"a mark changed": exam.ResultDigest(false, changed), "absent": exam.ResultDigest(true, items),
		"awaiting": exam.ResultDigest(false, awaiting), "zero": exam.ResultDigest(false, zero), "no items": exam.ResultDigest(false, nil),
	} {
		if other == d {
			t.Errorf("%s: same digest", name)
		}
	}
	if exam.ResultDigest(false, slices.Clone(items)) != d {
		t.Error("the digest of the same scores differs")
	}
}

func TestAppealChanges(t *testing.T) {
	it := exam.Item{ID: "q10", Type: exam.Essay, Points: 10, Rubric: []exam.Criterion{{Criterion: "a", Points: 4}, {Criterion: "b", Points: 6}}}
	for _, tc := range []struct {
		final, remark []float64
		tol           float64
		want          bool
		err           bool
	}{
		{[]float64{2, 3}, []float64{2, 3}, 0, false, false},
		{[]float64{2, 3}, []float64{3, 4}, 2, false, false}, // total 5 vs 7: within 2
		{[]float64{2, 3}, []float64{4, 4}, 2, true, false},  // 5 vs 8
		{[]float64{4, 6}, []float64{0, 0}, 2, true, false},
		{[]float64{2, 3}, []float64{3, 2}, 0, false, false}, // the same total by other criteria
		{[]float64{2, 3}, []float64{5, 0}, 2, false, true},  // 5 > 4
		{[]float64{2}, []float64{2, 3}, 2, false, true},
		{[]float64{2, 3}, []float64{2, 3}, -1, false, true},
	} {
		got, err := it.AppealChanges(tc.final, tc.remark, tc.tol)
		if got != tc.want || (err != nil) != tc.err {
			t.Errorf("AppealChanges(%v, %v, %v) = %v, %v", tc.final, tc.remark, tc.tol, got, err)
		}
		if err != nil && !errors.Is(err, exam.ErrInvalid) {
			t.Errorf("error %v is not ErrInvalid", err)
		}
	}
}

// TestAppealChangesProperties: the rule is symmetric, never changes a mark
// for a re-mark within tolerance, and always for one beyond it.
func TestAppealChangesProperties(t *testing.T) {
	it := exam.Item{ID: "e", Type: exam.Essay, Points: 20, Rubric: []exam.Criterion{{Criterion: "a", Points: 10}, {Criterion: "b", Points: 10}}}
	half := rapid.Custom(func(t *rapid.T) float64 { return float64(rapid.IntRange(0, 20).Draw(t, "halves")) / 2 })
	rapid.Check(t, func(t *rapid.T) {
		a := []float64{half.Draw(t, "a1"), half.Draw(t, "a2")}
		b := []float64{half.Draw(t, "b1"), half.Draw(t, "b2")}
		tol := half.Draw(t, "tol")
		ab, err1 := it.AppealChanges(a, b, tol)
		ba, err2 := it.AppealChanges(b, a, tol)
		if err1 != nil || err2 != nil || ab != ba {
			t.Fatalf("not symmetric: %v %v %v %v", ab, ba, err1, err2)
		}
		diff := a[0] + a[1] - b[0] - b[1]
		if ab != (diff > tol || -diff > tol) {
			t.Fatalf("%v vs %v tol %v: changes %v", a, b, tol, ab)
		}
	})
}

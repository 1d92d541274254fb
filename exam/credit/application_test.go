package credit_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"pgregory.net/rapid"

	"onex/exam"
	"onex/exam/credit"
)

var day = time.Date(2026, 3, 31, 9, 0, 0, 0, time.UTC)

// twoRivals: one learner, two certificates, one course each could take.
func twoRivals(t testing.TB) credit.Input {
	return credit.Input{
		Rules: ruleSet(t, "R1 WEB intermediate 60 S1 C1 3 2025-01-01..", "R2 BIG elementary 60 S1 C1 3 2025-01-01..",
			"R3 BIG elementary 60 S1 C2 2 2025-01-01.."),
		Outcomes: []credit.Outcome{cert("L1 N1 WEB intermediate 70 2025-06-01"), cert("L1 N2 BIG elementary 70 2025-06-01")},
	}
}

func find(t testing.TB, res credit.Result, outcome, course string) credit.Conversion {
	t.Helper()
	i := slices.IndexFunc(res.Conversions, func(c credit.Conversion) bool {
		return c.Outcome == "certificate:"+outcome && c.Course == course
	})
	if i < 0 {
		t.Fatalf("no conversion %s→%s in %v", outcome, course, short(res))
	}
	return res.Conversions[i]
}

func TestApplication(t *testing.T) {
	in := twoRivals(t)
	res := credit.Convert(in)
	c := find(t, res, "N1", "C1")
	a, err := credit.NewApplication("A1", c, res, "L1", day)
	if err != nil || a.State != credit.Applied || len(a.Events) != 1 {
		t.Fatalf("apply: %+v %v", a, err)
	}
	for _, tc := range []struct {
		name  string
		do    func(credit.Application) (credit.Application, error)
		state credit.State
		err   error
	}{
		{"approve", func(a credit.Application) (credit.Application, error) {
			return a.Approve("教务处 王老师", day, "", res)
		}, credit.Approved, nil},
		{"approve with nobody", func(a credit.Application) (credit.Application, error) { return a.Approve(" ", day, "", res) }, credit.Applied, credit.ErrReason},
		{"refuse with a reason", func(a credit.Application) (credit.Application, error) {
			return a.Refuse("王老师", day, "课程已修")
		}, credit.Refused, nil},
		{"refuse without a reason", func(a credit.Application) (credit.Application, error) { return a.Refuse("王老师", day, "") }, credit.Applied, credit.ErrReason},
		{"withdraw", func(a credit.Application) (credit.Application, error) { return a.Withdraw("L1", day, "") }, credit.Withdrawn, nil},
		{"revoke before approval", func(a credit.Application) (credit.Application, error) {
			return a.Revoke("王老师", day, "证书撤销")
		}, credit.Applied, &credit.TransitionError{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.do(a)
			var te *credit.TransitionError
			switch {
			case tc.err == nil && err != nil, tc.err != nil && err == nil:
				t.Fatalf("err = %v, want %v", err, tc.err)
			case errors.As(tc.err, &te) && !errors.As(err, &te):
				t.Fatalf("err = %v, want a TransitionError", err)
			case tc.err != nil && !errors.As(tc.err, &te) && !errors.Is(err, tc.err):
				t.Fatalf("err = %v, want %v", err, tc.err)
			}
			if got.State != tc.state {
				t.Errorf("state %s, want %s", got.State, tc.state)
			}
			if err == nil && (len(got.Events) != 2 || got.Events[1].At != day) {
				t.Errorf("events %+v", got.Events)
			}
			if len(a.Events) != 1 || a.State != credit.Applied {
				t.Errorf("the original moved: %+v", a)
			}
		})
	}
	if errors.Is(credit.ErrReason, exam.ErrInvalid) != true {
		t.Error("ErrReason does not wrap exam.ErrInvalid")
	}
}

// TestApplicationRivals: approving one of two rival applications (one
// course, two outcomes) makes the other stale; revoking it frees the course.
func TestApplicationRivals(t *testing.T) {
	in := twoRivals(t)
	res := credit.Convert(in)
	// N1→C1 and N2→C2 (5 credits) are offered; N2→C1 is not.
	c1, c2 := find(t, res, "N1", "C1"), find(t, res, "N2", "C2")
	rival := c1
	rival.Outcome, rival.Certificate, rival.Level, rival.Rule = "certificate:N2", "BIG", exam.Elementary, "R2"
	if _, err := credit.NewApplication("A0", rival, res, "L1", day); !errors.Is(err, credit.ErrStale) {
		t.Fatalf("applied for a conversion not offered: %v", err)
	}
	a1, _ := credit.NewApplication("A1", c1, res, "L1", day)
	a2, _ := credit.NewApplication("A2", c2, res, "L1", day)
	a1, err := a1.Approve("王老师", day, "", res)
	if err != nil {
		t.Fatal(err)
	}
	// the learner applies again for N2→C1 as if N1 were not approved: stale once N1→C1 is granted
	in.Granted = credit.Granted([]credit.Application{a1, a2})
	now := credit.Convert(in)
	if !credit.Offered(now, c2) {
		t.Fatalf("N2→C2 no longer offered after N1→C1: %v", short(now))
	}
	if _, err := a2.Approve("王老师", day, "", now); err != nil {
		t.Fatal(err)
	}
	// a rule set without R3: N2→C2 is stale
	in2 := in
	in2.Rules = ruleSet(t, "R1 WEB intermediate 60 S1 C1 3 2025-01-01..", "R2 BIG elementary 60 S1 C1 3 2025-01-01..")
	if _, err := a2.Approve("王老师", day, "", credit.Convert(in2)); !errors.Is(err, credit.ErrStale) {
		t.Fatalf("approved a conversion no longer offered: %v", err)
	}
	a1, err = a1.Revoke("王老师", day, "证书已撤销")
	if err != nil || a1.State != credit.Revoked || len(credit.Granted([]credit.Application{a1})) != 0 {
		t.Fatalf("revoke: %+v %v", a1, err)
	}
}

// TestPropertyApplication: any sequence of actions keeps the application
// in a state the table allows, one event per move, nothing after a final
// state, and an error leaves it as it was.
func TestPropertyApplication(t *testing.T) {
	in := twoRivals(t)
	res := credit.Convert(in)
	allowed := map[credit.State][]credit.State{
		credit.Applied:  {credit.Approved, credit.Refused, credit.Withdrawn},
		credit.Approved: {credit.Revoked},
	}
	rapid.Check(t, func(t *rapid.T) {
		a, err := credit.NewApplication("A1", res.Conversions[0], res, "L1", day)
		if err != nil {
			t.Fatal(err)
		}
		for range rapid.IntRange(0, 8).Draw(t, "steps") {
			by := rapid.SampledFrom([]string{"", "王老师"}).Draw(t, "by")
			why := rapid.SampledFrom([]string{"", "理由"}).Draw(t, "why")
			before := a
			var next credit.Application
			switch rapid.IntRange(0, 3).Draw(t, "action") {
			case 0:
				next, err = a.Approve(by, day, why, res)
			case 1:
				next, err = a.Refuse(by, day, why)
			case 2:
				next, err = a.Withdraw(by, day, why)
			case 3:
				next, err = a.Revoke(by, day, why)
			}
			if err != nil {
				if next.State != before.State || len(next.Events) != len(before.Events) {
					t.Fatalf("a refused action moved the application: %+v", next)
				}
				continue
			}
			if !slices.Contains(allowed[before.State], next.State) || len(next.Events) != len(before.Events)+1 || next.Events[len(next.Events)-1].By != by {
				t.Fatalf("%s → %s with events %+v", before.State, next.State, next.Events)
			}
			a = next
		}
	})
}

package servertest

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"onex/exam"
	osync "onex/sync"
)

// ObjectivePaper takes the sample paper without its essay and practical
// sections (q1 to q9 only), so that a submission is scored complete at once:
// what certificate tests need of a passing result. [added: issue 16]
func ObjectivePaper() Option {
	return WithPaper(func(b []byte) []byte {
		var p map[string]any
		if err := json.Unmarshal(b, &p); err != nil {
			panic(err)
		}
		p["sections"] = p["sections"].([]any)[:4]
		out, err := json.Marshal(p)
		if err != nil {
			panic(err)
		}
		return out
	})
}

// RightAnswers answer every item of ObjectivePaper rightly (full marks),
// WrongAnswers one item wrongly and the rest not at all (a fail).
var (
	RightAnswers = map[string]exam.Answer{"q1": {Choices: []string{"b"}}, "q2": {Choices: []string{"c"}}, "q3": {Choices: []string{"c"}},
		"q4": {Choices: []string{"a", "b", "d"}}, "q5": {Choices: []string{"a", "b", "d"}}, "q6": {Choices: []string{"true"}},
		"q7": {Choices: []string{"false"}}, "q8": {Text: "auto"}, "q9": {Text: "404"}}
	WrongAnswers = map[string]exam.Answer{"q1": {Choices: []string{"a"}}}
)

// AllPassed is a central whose session, on ObjectivePaper with a made-up
// roster of n (WithRoster), has every candidate's submission with
// RightAnswers, and their results approved: n certificates to issue.
func AllPassed(t testing.TB, n int, opts ...Option) *Central {
	t.Helper()
	c := New(t, append([]Option{ObjectivePaper(), WithRoster(n)}, opts...)...)
	d := c.Enrol(t, "SITE-001")
	c.Release()
	for lo := 0; lo < n; lo += 500 {
		var envs [][]byte
		for i := lo; i < min(n, lo+500); i++ {
			envs = append(envs, d.Seal(osync.KindSubmission, Submission(c.Session, fmt.Sprintf("2026BENCH%05d", i+1), RightAnswers)).Bytes)
		}
		push(t, d, envs)
	}
	if rep, err := c.Approve(context.Background(), c.Session.ID, "office ann"); err != nil || len(rep.Done) != n {
		t.Fatalf("approve: %d of %d, %v", len(rep.Done), n, err)
	}
	return c
}

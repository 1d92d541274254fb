package credit_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"onex/exam"
	"onex/exam/credit"
)

// rule is a rule in short: "id cert level min school course credits from..to".
func rule(s string) credit.Rule {
	f := strings.Fields(s)
	if len(f) != 8 {
		panic("rule: " + s)
	}
	var r credit.Rule
	r.ID, r.Certificate, r.Level, r.School, r.Course = f[0], f[1], exam.Level(f[2]), f[4], f[5]
	r.CourseName = "课程" + f[5]
	r.MinScore = hundredths(f[3])
	r.Credits = hundredths(f[6])
	from, to, _ := strings.Cut(f[7], "..")
	r.ValidFrom = date(from)
	if to != "" {
		r.ValidTo = date(to)
	}
	return r
}

func hundredths(s string) credit.Hundredths {
	h, err := credit.ParseHundredths(s)
	if err != nil {
		panic(err)
	}
	return h
}

func date(s string) credit.Date {
	d, err := credit.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

func ruleSet(t testing.TB, rules ...string) *credit.RuleSet {
	rs := &credit.RuleSet{Format: credit.RulesFormat, Version: 1}
	for _, s := range rules {
		rs.Rules = append(rs.Rules, rule(s))
	}
	if err := rs.Check(); err != nil {
		t.Fatalf("rule set: %v", err)
	}
	return rs
}

// cert is a certificate outcome in short: "learner number cert level score date".
func cert(s string) credit.Outcome {
	f := strings.Fields(s)
	return credit.Outcome{Learner: f[0], Kind: credit.KindCertificate, Number: f[1], Certificate: f[2],
		Level: exam.Level(f[3]), Score: hundredths(f[4]), Date: date(f[5])}
}

// course is a course outcome in short: "learner school course date".
func course(s string) credit.Outcome {
	f := strings.Fields(s)
	return credit.Outcome{Learner: f[0], Kind: credit.KindCourse, School: f[1], Course: f[2], CourseName: "课程" + f[2],
		Credits: 200, Score: 8000, Date: date(f[3])}
}

// short writes conversions as "learner outcome→school/course credits rule" lines.
func short(res credit.Result) []string {
	var out []string
	for _, c := range res.Conversions {
		g := ""
		if c.Granted {
			g = " granted"
		}
		out = append(out, fmt.Sprintf("%s %s→%s/%s %v %s%s", c.Learner, strings.TrimPrefix(c.Outcome, "certificate:"), c.School, c.Course, c.Credits, c.Rule, g))
	}
	for _, n := range res.Unconverted {
		out = append(out, fmt.Sprintf("%s %s: %s", n.Learner, strings.TrimPrefix(n.Outcome, "certificate:"), n.Reason))
	}
	return out
}

func TestConvert(t *testing.T) {
	for _, tc := range []struct {
		name     string
		rules    []string
		outcomes []credit.Outcome
		granted  []credit.Conversion
		asOf     string
		want     []string
	}{
		{
			name:     "one rule, one certificate",
			rules:    []string{"R1 WEB intermediate 60 S1 C1 3 2025-01-01..2026-12-31"},
			outcomes: []credit.Outcome{cert("L1 N1 WEB intermediate 75 2025-06-01")},
			want:     []string{"L1 N1→S1/C1 3 R1"},
		},
		{
			name:     "score below the minimum",
			rules:    []string{"R1 WEB intermediate 60 S1 C1 3 2025-01-01..2026-12-31"},
			outcomes: []credit.Outcome{cert("L1 N1 WEB intermediate 59.99 2025-06-01")},
			want:     []string{"L1 N1: score"},
		},
		{
			name:     "the minimum itself is enough",
			rules:    []string{"R1 WEB intermediate 60 S1 C1 3 2025-01-01..2026-12-31"},
			outcomes: []credit.Outcome{cert("L1 N1 WEB intermediate 60 2025-06-01")},
			want:     []string{"L1 N1→S1/C1 3 R1"},
		},
		{
			name:     "another level has no rule",
			rules:    []string{"R1 WEB intermediate 60 S1 C1 3 2025-01-01..2026-12-31"},
			outcomes: []credit.Outcome{cert("L1 N1 WEB advanced 90 2025-06-01")},
			want:     []string{"L1 N1: no-rule"},
		},
		{
			name:  "the outcome's date counts, both ends of the window included",
			rules: []string{"R1 WEB intermediate 60 S1 C1 3 2025-01-01..2025-12-31"},
			outcomes: []credit.Outcome{
				cert("L1 N1 WEB intermediate 70 2025-01-01"), cert("L2 N2 WEB intermediate 70 2025-12-31"),
				cert("L3 N3 WEB intermediate 70 2024-12-31"), cert("L4 N4 WEB intermediate 70 2026-01-01"),
			},
			asOf: "2030-01-01",
			want: []string{"L1 N1→S1/C1 3 R1", "L2 N2→S1/C1 3 R1", "L3 N3: window", "L4 N4: window"},
		},
		{
			name:     "an outcome after the day of the conversion is left out",
			rules:    []string{"R1 WEB intermediate 60 S1 C1 3 2025-01-01.."},
			outcomes: []credit.Outcome{cert("L1 N1 WEB intermediate 70 2026-03-02")},
			asOf:     "2026-03-01",
			want:     []string{"L1 N1: later"},
		},
		{
			name: "one outcome credited once at one school: the course with more credits",
			rules: []string{
				"R1 WEB intermediate 60 S1 C1 3 2025-01-01..",
				"R2 WEB intermediate 60 S1 C2 4 2025-01-01..",
				"R3 WEB intermediate 60 S2 C1 2 2025-01-01..",
			},
			outcomes: []credit.Outcome{cert("L1 N1 WEB intermediate 70 2025-06-01")},
			want:     []string{"L1 N1→S1/C2 4 R2", "L1 N1→S2/C1 2 R3"},
		},
		{
			name: "one course once per learner: two certificates, the most credits over both",
			rules: []string{
				"R1 WEB intermediate 60 S1 C1 4 2025-01-01..",
				"R2 WEB intermediate 60 S1 C2 3 2025-01-01..",
				"R3 BIG elementary 60 S1 C1 3 2025-01-01..",
			},
			// greedy would give N1→C1 (4) and leave N2 without; the best is N1→C2, N2→C1 (6)
			outcomes: []credit.Outcome{cert("L1 N1 WEB intermediate 70 2025-06-01"), cert("L1 N2 BIG elementary 70 2025-06-01")},
			want:     []string{"L1 N2→S1/C1 3 R3", "L1 N1→S1/C2 3 R2"},
		},
		{
			name: "equal totals: the outcome first in key order takes the course first in code order",
			rules: []string{
				"R1 WEB intermediate 60 S1 C1 3 2025-01-01..",
				"R2 WEB intermediate 60 S1 C2 3 2025-01-01..",
			},
			outcomes: []credit.Outcome{cert("L1 N2 WEB intermediate 70 2025-06-01"), cert("L1 N1 WEB intermediate 90 2025-07-01")},
			want:     []string{"L1 N1→S1/C1 3 R1", "L1 N2→S1/C2 3 R2"},
		},
		{
			name: "two certificates, one course: one is credited, the other is taken",
			rules: []string{
				"R1 WEB intermediate 60 S1 C1 3 2025-01-01..",
				"R2 WEB advanced 60 S1 C1 3 2025-01-01..",
			},
			outcomes: []credit.Outcome{cert("L1 N1 WEB intermediate 70 2025-06-01"), cert("L1 N2 WEB advanced 70 2026-06-01")},
			want:     []string{"L1 N1→S1/C1 3 R1", "L1 N2: taken"},
		},
		{
			name: "tiers of one source and target: the rule giving the most credits",
			rules: []string{
				"R1 WEB intermediate 60 S1 C1 2 2025-01-01..",
				"R2 WEB intermediate 85 S1 C1 3 2025-01-01..",
			},
			outcomes: []credit.Outcome{cert("L1 N1 WEB intermediate 90 2025-06-01"), cert("L2 N2 WEB intermediate 80 2025-06-01")},
			want:     []string{"L1 N1→S1/C1 3 R2", "L2 N2→S1/C1 2 R1"},
		},
		{
			name:     "a course the learner passed at the school is not credited again",
			rules:    []string{"R1 WEB intermediate 60 S1 C1 3 2025-01-01..", "R2 WEB intermediate 60 S2 C1 3 2025-01-01.."},
			outcomes: []credit.Outcome{cert("L1 N1 WEB intermediate 70 2025-06-01"), course("L1 S1 C1 2024-07-01")},
			want:     []string{"L1 N1→S2/C1 3 R2"},
		},
		{
			name:     "the only course passed already: taken",
			rules:    []string{"R1 WEB intermediate 60 S1 C1 3 2025-01-01.."},
			outcomes: []credit.Outcome{cert("L1 N1 WEB intermediate 70 2025-06-01"), course("L1 S1 C1 2024-07-01")},
			want:     []string{"L1 N1: taken"},
		},
		{
			name:     "a granted conversion stands and blocks its outcome at its school and its course",
			rules:    []string{"R1 WEB intermediate 60 S1 C1 5 2025-01-01..", "R2 WEB intermediate 60 S1 C2 3 2025-01-01..", "R3 BIG elementary 60 S1 C2 3 2025-01-01.."},
			outcomes: []credit.Outcome{cert("L1 N1 WEB intermediate 70 2025-06-01"), cert("L1 N2 BIG elementary 70 2025-06-01")},
			granted: []credit.Conversion{{Learner: "L1", Outcome: "certificate:N1", Certificate: "WEB", Level: exam.Intermediate,
				School: "S1", Course: "C2", CourseName: "课程C2", Credits: 300, RuleSet: 1, Rule: "R2"}},
			want: []string{"L1 N1→S1/C2 3 R2 granted", "L1 N2: taken"},
		},
		{
			name:     "learners apart",
			rules:    []string{"R1 WEB intermediate 60 S1 C1 3 2025-01-01.."},
			outcomes: []credit.Outcome{cert("L2 N2 WEB intermediate 70 2025-06-01"), cert("L1 N1 WEB intermediate 70 2025-06-01")},
			want:     []string{"L1 N1→S1/C1 3 R1", "L2 N2→S1/C1 3 R1"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := credit.Input{Rules: ruleSet(t, tc.rules...), Outcomes: tc.outcomes, Granted: tc.granted}
			if tc.asOf != "" {
				in.AsOf = date(tc.asOf)
			}
			got := short(credit.Convert(in))
			if !slices.Equal(got, tc.want) {
				t.Errorf("got\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(tc.want, "\n  "))
			}
		})
	}
}

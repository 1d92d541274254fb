package credit_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"onex/exam"
	"onex/exam/credit"
)

// benchInput is 500 rules (50 certificates × 2 levels, 5 rules each over 20
// schools of 10 courses, some tiers) and 100,000 learners with 3
// certificates each, drawn from a fixed seed.
func benchInput(b *testing.B) credit.Input {
	rnd := rand.New(rand.NewPCG(1, 17))
	rs := &credit.RuleSet{Format: credit.RulesFormat, Version: 1}
	levels := []exam.Level{exam.Elementary, exam.Intermediate}
	for i := range 500 {
		c, l := i/10, levels[i/5%2]
		school := fmt.Sprintf("S%02d", rnd.IntN(20))
		course := fmt.Sprintf("C%02d", rnd.IntN(10))
		rs.Rules = append(rs.Rules, credit.Rule{
			ID: fmt.Sprintf("R%03d", i), Certificate: fmt.Sprintf("CERT%02d", c), Level: l,
			MinScore: credit.Score(6000 + 1000*rnd.IntN(3)), School: school, Course: course, CourseName: "课程" + school + course,
			Credits: credit.Credits(100 * (1 + rnd.IntN(5))), ValidFrom: 20240901, ValidTo: 20270831,
		})
	}
	// one name per course, and no overlapping same source and target: drop what Check refuses
	keep := rs.Rules[:0]
	names := map[string]bool{}
	for _, r := range rs.Rules {
		k := fmt.Sprint(r.Certificate, r.Level, r.MinScore, r.School, r.Course)
		if !names[k] {
			names[k] = true
			keep = append(keep, r)
		}
	}
	rs.Rules = keep
	if err := rs.Check(); err != nil {
		b.Fatal(err)
	}
	in := credit.Input{Rules: rs, AsOf: 20260331}
	for l := range 100_000 {
		for k := range 3 {
			in.Outcomes = append(in.Outcomes, credit.Outcome{
				Learner: fmt.Sprintf("L%06d", l), Kind: credit.KindCertificate, Number: fmt.Sprintf("N%06d-%d", l, k),
				Certificate: fmt.Sprintf("CERT%02d", rnd.IntN(50)), Level: levels[rnd.IntN(2)],
				Score: credit.Score(5000 + rnd.IntN(5001)), Date: credit.Date(20250101 + 100*rnd.IntN(12)),
			})
		}
	}
	return in
}

// BenchmarkConvert converts 100,000 learners × 3 certificates against
// 500 rules (FORMAT.md, figures in the report).
func BenchmarkConvert(b *testing.B) {
	in := benchInput(b)
	b.ReportAllocs()
	b.ResetTimer()
	var res credit.Result
	for b.Loop() {
		res = credit.Convert(in)
	}
	b.ReportMetric(float64(len(res.Conversions)), "conversions")
	b.ReportMetric(float64(len(in.Rules.Rules)), "rules")
}

// BenchmarkPreviewSchool is one school's preview over the same learners.
func BenchmarkPreviewSchool(b *testing.B) {
	in := benchInput(b)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		credit.PreviewSchool(in, "S07")
	}
}

// BenchmarkMatchDense is one learner with 30 certificates, each offered
// the same 30 courses of one school with varied credits: the matching's
// worst case in practice.
func BenchmarkMatchDense(b *testing.B) {
	rs := &credit.RuleSet{Format: credit.RulesFormat, Version: 1}
	in := credit.Input{Rules: rs}
	for c := range 30 {
		cert := fmt.Sprintf("CERT%02d", c)
		for k := range 30 {
			rs.Rules = append(rs.Rules, credit.Rule{ID: fmt.Sprintf("R%02d-%02d", c, k), Certificate: cert, Level: exam.Intermediate,
				School: "S1", Course: fmt.Sprintf("C%02d", k), CourseName: fmt.Sprintf("课程%02d", k),
				Credits: credit.Credits(100 + 50*((c*7+k*3)%5)), ValidFrom: 20240101})
		}
		in.Outcomes = append(in.Outcomes, credit.Outcome{Learner: "L1", Kind: credit.KindCertificate, Number: fmt.Sprintf("N%02d", c),
			Certificate: cert, Level: exam.Intermediate, Score: 9000, Date: 20250101})
	}
	if err := rs.Check(); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if res := credit.Convert(in); len(res.Conversions) != 30 {
			b.Fatalf("%d conversions", len(res.Conversions))
		}
	}
}

// BenchmarkPreviewLearner is one learner's preview as the learner's page
// asks it: the account's 3 certificates against the 500 rules.
func BenchmarkPreviewLearner(b *testing.B) {
	in := benchInput(b)
	in.Outcomes = in.Outcomes[:3]
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		credit.PreviewLearner(in, "L000000")
	}
}

package exam_test

import (
	"fmt"
	"math"
	"slices"
	"testing"

	"pgregory.net/rapid"

	"onex/exam"
)

func siteScores(points ...float64) []exam.SiteScore {
	var out []exam.SiteScore
	for i, p := range points {
		out = append(out, exam.SiteScore{Ticket: fmt.Sprintf("T%03d", i), Points: p, Max: 60})
	}
	return out
}

func reasons(s []exam.Sampled) map[string]int {
	n := map[string]int{}
	for _, x := range s {
		n[x.Reason]++
	}
	return n
}

// TestDrawSample: the sizes and reasons of a moderation sample by group size.
func TestDrawSample(t *testing.T) {
	seed := []byte("seed-1")
	many := make([]float64, 250)
	for i := range many {
		many[i] = 40 + float64(i%15) // 40..54: no fail (36 is 60%), top 54
	}
	for name, tc := range map[string]struct {
		scores []exam.SiteScore
		policy exam.SamplePolicy
		want   map[string]int
	}{
		"5 candidates: all of them":            {siteScores(40, 41, 42, 43, 44), exam.DefaultSamplePolicy, map[string]int{"top": 1, "random": 4}},
		"250 candidates: 10% is 25, plus tops": {siteScores(many...), exam.DefaultSamplePolicy, map[string]int{"top": 16, "random": 25}},
		"fails and ties at the top":            {siteScores(10, 35.5, 60, 60, 50, 50, 50, 50, 50, 50, 50, 50, 50, 50, 50, 50), exam.DefaultSamplePolicy, map[string]int{"fail": 2, "top": 2, "random": 10}},
		"fails and tops not asked for":         {siteScores(10, 35.5, 60, 60, 50, 50, 50, 50, 50, 50, 50, 50, 50, 50, 50, 50), exam.SamplePolicy{Share: 0.1, Min: 10, PassMark: 60}, map[string]int{"random": 10}},
		"empty group":                          {nil, exam.DefaultSamplePolicy, map[string]int{}},
		"a top that fails is a fail":           {siteScores(30, 30, 20), exam.SamplePolicy{Share: 0, Min: 0, PassMark: 60, AllFails: true, AllTops: true}, map[string]int{"fail": 3}},
	} {
		got := reasons(exam.DrawSample(tc.scores, tc.policy, seed))
		if fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("%s: %v, want %v", name, got, tc.want)
		}
	}
	if err := (exam.SamplePolicy{Share: 1.5, Min: -1, PassMark: 101}).Validate(); err == nil {
		t.Error("a policy with share 1.5 was valid")
	}
}

var genScores = rapid.Custom(func(t *rapid.T) []exam.SiteScore {
	ts := rapid.SliceOfDistinct(rapid.StringMatching(`T[0-9]{4}`), rapid.ID[string]).Draw(t, "tickets")
	var out []exam.SiteScore
	for _, tk := range ts {
		out = append(out, exam.SiteScore{Ticket: tk, Points: float64(rapid.IntRange(0, 120).Draw(t, "halves")) / 2, Max: 60})
	}
	return out
})

// TestDrawSampleProperties: the sample is the forced fails and tops plus
// SampleSize more (as many as there are), has no ticket twice, does not
// depend on the order of the scores, is the same for the same seed, and
// every candidate can be drawn.
func TestDrawSampleProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		scores := genScores.Draw(t, "scores")
		p := exam.SamplePolicy{Share: rapid.Float64Range(0, 1).Draw(t, "share"), Min: rapid.IntRange(0, 15).Draw(t, "min"), PassMark: 60, AllFails: rapid.Bool().Draw(t, "fails"), AllTops: rapid.Bool().Draw(t, "tops")}
		seed := rapid.SliceOfN(rapid.Byte(), 1, 16).Draw(t, "seed")
		s := exam.DrawSample(scores, p, seed)
		n := reasons(s)
		forced := n["fail"] + n["top"]
		if want := forced + min(p.SampleSize(len(scores)), len(scores)-forced); len(s) != want {
			t.Fatalf("sample of %d, want %d (forced %d, size %d of %d)", len(s), want, forced, p.SampleSize(len(scores)), len(scores))
		}
		seen := map[string]bool{}
		for _, x := range s {
			if seen[x.Ticket] {
				t.Fatalf("%s twice", x.Ticket)
			}
			seen[x.Ticket] = true
		}
		shuffled := slices.Clone(scores)
		slices.Reverse(shuffled)
		if again := exam.DrawSample(shuffled, p, slices.Clone(seed)); !slices.Equal(again, s) {
			t.Fatalf("the draw depends on order: %v then %v", s, again)
		}
		if k := p.SampleSize(len(scores)); k < min(p.Min, len(scores)) || float64(k) < math.Min(p.Share*float64(len(scores)), float64(len(scores)))-1e-6 {
			t.Fatalf("size %d for %d with %+v", k, len(scores), p)
		}
	})
	// Over many seeds every candidate of a group of 30 is drawn now and then.
	scores := siteScores(slices.Repeat([]float64{50}, 30)...)
	scores[0].Points = 51 // one top, drawn always
	drawn := map[string]int{}
	for i := range 300 {
		for _, x := range exam.DrawSample(scores, exam.DefaultSamplePolicy, []byte(fmt.Sprint(i))) {
			drawn[x.Ticket]++
		}
	}
	for _, s := range scores[1:] {
		if c := drawn[s.Ticket]; c < 50 || c > 150 { // 10 of 29 drawn: about 103 of 300
			t.Errorf("%s drawn %d times in 300", s.Ticket, c)
		}
	}
}

// TestJudgeAndAdjust: a site within tolerance is not flagged; one that
// scores 4 points high is, and each decision gives the marks it says.
func TestJudgeAndAdjust(t *testing.T) {
	it := exam.Item{ID: "p1", Type: exam.Practical, Points: 20, Rubric: []exam.Criterion{{Criterion: "a", Points: 10}, {Criterion: "b", Points: 10}}}
	items := map[string]exam.Item{"p1": it}
	fair := []exam.Rescore{
		{Ticket: "T1", Item: "p1", Site: []float64{8, 7}, Moderated: []float64{7, 7}, Tolerance: 2},
		{Ticket: "T2", Item: "p1", Site: []float64{5, 5}, Moderated: []float64{6, 5}, Tolerance: 2},
		{Ticket: "T3", Item: "p1", Site: []float64{9, 9}, Moderated: []float64{9, 9}, Tolerance: 2},
	}
	if v := exam.Judge(fair, exam.DefaultFlagShare); v.Flagged || v.Beyond != 0 || v.MeanDifference["p1"] != 0 {
		t.Errorf("fair site: %+v", v)
	}
	lenient := []exam.Rescore{
		{Ticket: "T1", Item: "p1", Site: []float64{10, 9}, Moderated: []float64{8, 7}, Tolerance: 2},
		{Ticket: "T2", Item: "p1", Site: []float64{8, 8}, Moderated: []float64{6, 6}, Tolerance: 2},
		{Ticket: "T3", Item: "p1", Site: []float64{6, 5}, Moderated: []float64{5, 5}, Tolerance: 2},
	}
	v := exam.Judge(lenient, exam.DefaultFlagShare)
	if !v.Flagged || v.Beyond != 2 || math.Abs(v.MeanDifference["p1"]-(-3)) > 1e-9 {
		t.Errorf("lenient site: %+v", v)
	}
	site := map[string]exam.Marks{"T1": {"p1": {10, 9}}, "T2": {"p1": {8, 8}}, "T3": {"p1": {6, 5}}, "T4": {"p1": {1, 10}}, "T5": {"p1": {7, 7}}}
	for name, tc := range map[string]struct {
		decision string
		want     map[string]exam.Marks
	}{
		"keep":   {exam.KeepSiteScores, map[string]exam.Marks{}},
		"sample": {exam.AdoptSample, map[string]exam.Marks{"T1": {"p1": {8, 7}}, "T2": {"p1": {6, 6}}, "T3": {"p1": {5, 5}}}},
		// criterion a moves by mean(-2,-2,-1) = -1.67 → -1.5; b by mean(-2,-2,0) = -1.33 → -1.5
		"all": {exam.AdjustAll, map[string]exam.Marks{"T1": {"p1": {8, 7}}, "T2": {"p1": {6, 6}}, "T3": {"p1": {5, 5}}, "T4": {"p1": {0, 8.5}}, "T5": {"p1": {5.5, 5.5}}}},
	} {
		if got := exam.Adjust(tc.decision, items, site, lenient, 0.5); fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("%s: %v, want %v", name, got, tc.want)
		}
	}
}

// TestAdjustProperties: every adjusted mark passes CheckMarks, the sample's
// candidates get exactly the moderated marks, and keeping changes nothing.
func TestAdjustProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		nc := rapid.IntRange(1, 4).Draw(t, "criteria")
		it := exam.Item{ID: "p", Type: exam.Practical}
		for i := range nc {
			pts := float64(rapid.IntRange(1, 20).Draw(t, "points"))
			it.Rubric = append(it.Rubric, exam.Criterion{Criterion: fmt.Sprint(i), Points: pts})
			it.Points += pts
		}
		marks := func(label string) []float64 {
			m := make([]float64, nc)
			for i := range m {
				m[i] = float64(rapid.IntRange(0, int(it.Rubric[i].Points)*2).Draw(t, label)) / 2
			}
			return m
		}
		site := map[string]exam.Marks{}
		var rs []exam.Rescore
		for i := range rapid.IntRange(1, 12).Draw(t, "n") {
			tk := fmt.Sprintf("T%d", i)
			site[tk] = exam.Marks{"p": marks("site")}
			if rapid.Bool().Draw(t, "sampled") {
				rs = append(rs, exam.Rescore{Ticket: tk, Item: "p", Site: site[tk]["p"], Moderated: marks("moderated"), Tolerance: 2})
			}
		}
		decision := rapid.SampledFrom([]string{exam.KeepSiteScores, exam.AdoptSample, exam.AdjustAll}).Draw(t, "decision")
		step := rapid.SampledFrom([]float64{0.5, 1, 0.25}).Draw(t, "step")
		got := exam.Adjust(decision, map[string]exam.Item{"p": it}, site, rs, step)
		if decision == exam.KeepSiteScores && len(got) != 0 {
			t.Fatalf("keep changed %v", got)
		}
		for tk, ms := range got {
			if err := it.CheckMarks(ms["p"]); err != nil {
				t.Fatalf("%s: %v", tk, err)
			}
		}
		if decision != exam.KeepSiteScores {
			for _, r := range rs {
				if !slices.Equal(got[r.Ticket]["p"], r.Moderated) {
					t.Fatalf("%s: %v, moderated %v", r.Ticket, got[r.Ticket]["p"], r.Moderated)
				}
			}
		}
	})
}

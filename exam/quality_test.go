package exam_test

import (
	"fmt"
	"math"
	"testing"

	"pgregory.net/rapid"

	"onex/exam"
)

// TestFigures: a lenient marker, a consistent one and one with controls and
// re-marks, worked by hand.
func TestFigures(t *testing.T) {
	g := func(m, s, kind string, total, known, secs float64) exam.Given {
		return exam.Given{Marker: m, Script: s, Kind: kind, Total: total, Max: 20, Tolerance: 2, Seconds: secs, Known: known}
	}
	given := []exam.Given{
		g("ann", "s1", exam.GivenLive, 10, 0, 30),
		g("bob", "s1", exam.GivenLive, 16, 0, 60),
		g("ann", "s2", exam.GivenLive, 12, 0, 40),
		g("bob", "s2", exam.GivenLive, 13, 0, 50),
		g("cat", "s1", exam.GivenLive, 11, 0, 20), // third marker on s1
		g("ann", "c1", exam.GivenControl, 14, 12, 35),
		g("ann", "c2", exam.GivenControl, 9, 12, 45),
		g("ann", "s2", exam.GivenRemark, 12.5, 0, 25),
		g("bob", "s2", exam.GivenRemark, 18, 0, 70),
	}
	fs := exam.Figures(given)
	if len(fs) != 3 || fs[0].Marker != "ann" || fs[1].Marker != "bob" || fs[2].Marker != "cat" {
		t.Fatalf("figures %+v", fs)
	}
	near := func(name string, got, want float64) {
		if math.Abs(got-want) > 1e-9 {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	ann, bob, cat := fs[0], fs[1], fs[2]
	if ann.Count != 2 || ann.Paired != 3 || ann.Controls != 2 || ann.Remarks != 1 {
		t.Errorf("ann counts %+v", ann)
	}
	near("ann mean", ann.Mean, 11.0/20)
	near("ann spread", ann.Spread, 1.0/20)
	near("ann agreement", ann.Agreement, 2.0/3) // |10-16| no, |10-11| yes, |12-13| yes
	near("ann mean abs diff", ann.MeanAbsDiff, (6+1+1)/3.0)
	near("ann control bias", ann.ControlBias, (2-3)/2.0)
	near("ann control abs", ann.ControlAbsDiff, 2.5)
	near("ann control within", ann.ControlWithin, 0.5)
	near("ann remark abs", ann.RemarkAbsDiff, 0.5)
	near("ann remark consistency", ann.RemarkConsists, 1)
	near("ann median seconds", ann.MedianSeconds, 35)
	near("bob remark consistency", bob.RemarkConsists, 0)
	near("bob agreement", bob.Agreement, 1.0/3) // |16-10| |16-11| no, |13-12| yes
	near("cat agreement", cat.Agreement, 0.5)
	near("cat median", cat.MedianSeconds, 20)
}

// TestFiguresProperties: shares lie in 0..1, counts add up to the marks
// given, and a marker who always gives the same as the other has agreement 1.
func TestFiguresProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		markers := []string{"a", "b", "c"}
		var given []exam.Given
		for i := range rapid.IntRange(0, 30).Draw(t, "n") {
			given = append(given, exam.Given{
				Marker: rapid.SampledFrom(markers).Draw(t, "marker"), Script: fmt.Sprintf("s%d", rapid.IntRange(0, 5).Draw(t, "script")),
				Kind:  rapid.SampledFrom([]string{exam.GivenLive, exam.GivenControl, exam.GivenRemark}).Draw(t, "kind"),
				Total: float64(rapid.IntRange(0, 20).Draw(t, "total")), Max: 20, Tolerance: 2, Known: 10, Seconds: float64(i),
			})
		}
		count := 0
		for _, f := range exam.Figures(given) {
			count += f.Count + f.Controls
			for _, x := range []float64{f.Mean, f.Agreement, f.ControlWithin, f.RemarkConsists} {
				if x < 0 || x > 1 || math.IsNaN(x) {
					t.Fatalf("figure out of range: %+v", f)
				}
			}
			if f.Spread < 0 || f.Spread > 0.5 || f.MedianSeconds < 0 {
				t.Fatalf("spread or median: %+v", f)
			}
		}
		want := 0
		for _, g := range given {
			if g.Kind != exam.GivenRemark {
				want++
			}
		}
		if count != want {
			t.Fatalf("counted %d live and control marks, gave %d", count, want)
		}
	})
}

// TestControlDue: exactly one control in every block of n hand-outs, at
// places that differ between markers and blocks.
func TestControlDue(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(1, 40).Draw(t, "n")
		seed := rapid.SliceOfN(rapid.Byte(), 1, 8).Draw(t, "seed")
		marker := rapid.StringMatching(`[a-z]{1,8}`).Draw(t, "marker")
		blocks := rapid.IntRange(1, 10).Draw(t, "blocks")
		for b := range blocks {
			c := 0
			for k := b * n; k < (b+1)*n; k++ {
				if exam.ControlDue(seed, marker, k, n) {
					c++
				}
			}
			if c != 1 {
				t.Fatalf("block %d of %d: %d controls", b, n, c)
			}
		}
	})
	places := map[int]bool{}
	for b := range 50 {
		for k := b * 20; k < (b+1)*20; k++ {
			if exam.ControlDue([]byte("s"), "ann", k, 20) {
				places[k%20] = true
			}
		}
	}
	if len(places) < 10 {
		t.Errorf("controls fell at only %d places of 20 in 50 blocks", len(places))
	}
	if exam.ControlDue([]byte("s"), "ann", 5, 0) {
		t.Error("a rate of 0 gave a control")
	}
}

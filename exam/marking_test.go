package exam_test

import (
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"onex/exam"
)

func TestMarkingRuleValidation(t *testing.T) {
	tests := []struct {
		name string
		edit func(p map[string]any)
		want string // "" for a valid paper
	}{
		{"double with tolerance", func(p map[string]any) {
			item(p, 9)["marking"] = map[string]any{"double": true, "tolerance": 2, "step": 0.5}
		}, ""},
		{"step 1", func(p map[string]any) { item(p, 9)["marking"] = map[string]any{"step": 1} }, ""},
		{"reference", func(p map[string]any) { item(p, 9)["reference"] = "媒体查询、弹性布局" }, ""},
		{"marking on a fill item", func(p map[string]any) { item(p, 7)["marking"] = map[string]any{"double": true} }, "item q8: marking is given, but a fill item is not marked at central"},
		{"marking on a practical item", func(p map[string]any) { item(p, 10)["marking"] = map[string]any{"double": true} }, "item q11: marking is given, but a practical item"},
		{"reference on a practical item", func(p map[string]any) { item(p, 10)["reference"] = "x" }, "item q11: reference is given, but a practical item"},
		{"tolerance on single marking", func(p map[string]any) { item(p, 9)["marking"] = map[string]any{"tolerance": 2} }, "item q10: marking tolerance 2 is given, but the item is marked once"},
		{"negative tolerance", func(p map[string]any) {
			item(p, 9)["marking"] = map[string]any{"double": true, "tolerance": -1}
		}, "item q10: marking tolerance -1 is negative"},
		{"tolerance beyond points", func(p map[string]any) {
			item(p, 9)["marking"] = map[string]any{"double": true, "tolerance": 11}
		}, "item q10: marking tolerance 11 is more than the item's points 10"},
		{"tolerance a third", func(p map[string]any) {
			item(p, 9)["marking"] = map[string]any{"double": true, "tolerance": 1.3}
		}, "item q10: marking tolerance 1.3 is not in whole or half points"},
		{"step a third", func(p map[string]any) { item(p, 9)["marking"] = map[string]any{"step": 0.3} }, "item q10: marking step 0.3 is not positive"},
		{"negative step", func(p map[string]any) { item(p, 9)["marking"] = map[string]any{"step": -1} }, "item q10: marking step -1 is not positive"},
		{"step beyond points", func(p map[string]any) { item(p, 9)["marking"] = map[string]any{"step": 20} }, "item q10: marking step 20 is more than the item's points 10"},
		{"criteria off the step", func(p map[string]any) { item(p, 9)["marking"] = map[string]any{"step": 2} }, "item q10: rubric 2 points 3 is not a multiple of the marking step 2"},
		{"unknown marking field", func(p map[string]any) { item(p, 9)["marking"] = map[string]any{"triple": true} }, `unknown field "triple"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := editPaper(t, tc.edit)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("valid paper refused: %v", err)
				}
				return
			}
			if !errors.Is(err, exam.ErrInvalid) {
				t.Fatalf("err = %v, want ErrInvalid", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %q\nwant it to contain %q", err, tc.want)
			}
		})
	}
}

func TestItemRuleDefaults(t *testing.T) {
	it := samplePaper(t).Items()[9]
	if got := it.Rule(); got != (exam.MarkingRule{Step: exam.DefaultStep}) {
		t.Errorf("rule of an essay without marking = %+v, want single marking in steps of 0.5", got)
	}
	if !exam.Essay.MarkedCentrally() || !exam.HandIn.MarkedCentrally() || exam.Practical.MarkedCentrally() || exam.Fill.MarkedCentrally() {
		t.Error("only essays and hand-in items are marked at central")
	}
}

// essay is a test item: rubric points, marking rule.
func essay(rule *exam.MarkingRule, rubric ...float64) exam.Item {
	it := exam.Item{ID: "e1", Type: exam.Essay, Stem: "?", Marking: rule}
	for _, p := range rubric {
		it.Rubric = append(it.Rubric, exam.Criterion{Criterion: "c", Points: p})
		it.Points += p
	}
	return it
}

func TestResolve(t *testing.T) {
	double := &exam.MarkingRule{Double: true, Tolerance: 2, Step: 0.5}
	m := func(v ...float64) []float64 { return v }
	tests := []struct {
		name  string
		item  exam.Item
		given exam.Marking
		want  exam.Resolution
		err   string
	}{
		{"single, nothing yet", essay(nil, 4, 6), exam.Marking{}, exam.Resolution{Need: exam.NeedFirst}, ""},
		{"single, one mark", essay(nil, 4, 6), exam.Marking{Marks: [][]float64{m(3, 4.5)}}, exam.Resolution{Final: m(3, 4.5), How: exam.FinalSingle}, ""},
		{"single, two marks", essay(nil, 4, 6), exam.Marking{Marks: [][]float64{m(3, 4), m(3, 4)}}, exam.Resolution{}, "a second mark on a single-marked item"},
		{"double, one mark", essay(double, 4, 6), exam.Marking{Marks: [][]float64{m(3, 4)}}, exam.Resolution{Need: exam.NeedSecond}, ""},
		{"double, agreed exactly", essay(double, 4, 6), exam.Marking{Marks: [][]float64{m(3, 4), m(3, 4)}}, exam.Resolution{Final: m(3, 4), How: exam.FinalAgreed, Pair: []int{0, 1}}, ""},
		// totals 7 and 9: mean 8, at the tolerance.
		{"double, agreed at the tolerance", essay(double, 4, 6), exam.Marking{Marks: [][]float64{m(3, 4), m(3, 6)}}, exam.Resolution{Final: m(3, 5), How: exam.FinalAgreed, Pair: []int{0, 1}}, ""},
		// totals 7 and 7.5: mean 7.25 rounds half up to 7.5; criteria means 2.75 (up) and 4.5.
		{"double, mean rounded half up", essay(double, 4, 6), exam.Marking{Marks: [][]float64{m(3, 4), m(2.5, 5)}}, exam.Resolution{Final: m(3, 4.5), How: exam.FinalAgreed, Pair: []int{0, 1}}, ""},
		// step 1: (1,0) and (0,1): both criteria half off the grid, total 1: the first up, the second down.
		{"double, criteria spread in rubric order", essay(&exam.MarkingRule{Double: true, Tolerance: 0, Step: 1}, 2, 2), exam.Marking{Marks: [][]float64{m(1, 0), m(0, 1)}}, exam.Resolution{Final: m(1, 0), How: exam.FinalAgreed, Pair: []int{0, 1}}, ""},
		{"double, beyond tolerance", essay(double, 4, 6), exam.Marking{Marks: [][]float64{m(1, 1), m(4, 6)}}, exam.Resolution{Need: exam.NeedThird}, ""},
		{"third near the first", essay(double, 4, 6), exam.Marking{Marks: [][]float64{m(1, 1), m(4, 6), m(1, 2)}}, exam.Resolution{Final: m(1, 1.5), How: exam.FinalThird, Pair: []int{0, 2}}, ""},
		{"third near the second", essay(double, 4, 6), exam.Marking{Marks: [][]float64{m(1, 1), m(4, 6), m(4, 5)}}, exam.Resolution{Final: m(4, 5.5), How: exam.FinalThird, Pair: []int{1, 2}}, ""},
		// totals 2 and 6, third 4: within 2 of both; a tie: the higher pair (second, third).
		{"third exactly between", essay(double, 4, 6), exam.Marking{Marks: [][]float64{m(1, 1), m(3, 3), m(2, 2)}}, exam.Resolution{Final: m(2.5, 2.5), How: exam.FinalThird, Pair: []int{1, 2}}, ""},
		{"third beyond both", essay(double, 4, 6), exam.Marking{Marks: [][]float64{m(0, 0), m(4, 6), m(2, 3)}}, exam.Resolution{Need: exam.NeedArbitrate}, ""},
		{"arbitrated", essay(double, 4, 6), exam.Marking{Marks: [][]float64{m(0, 0), m(4, 6), m(2, 3)}, Lead: m(3, 3)}, exam.Resolution{Final: m(3, 3), How: exam.FinalArbitrated}, ""},
		{"third when the first two agree", essay(double, 4, 6), exam.Marking{Marks: [][]float64{m(3, 4), m(3, 4), m(3, 4)}}, exam.Resolution{}, "a third mark when the first two agree"},
		{"lead's mark too early", essay(double, 4, 6), exam.Marking{Marks: [][]float64{m(1, 1), m(4, 6)}, Lead: m(2, 2)}, exam.Resolution{}, "a lead's mark"},
		{"lead's mark when the third agrees", essay(double, 4, 6), exam.Marking{Marks: [][]float64{m(1, 1), m(4, 6), m(4, 6)}, Lead: m(2, 2)}, exam.Resolution{}, "a lead's mark when the third marker agrees"},
		{"a fourth mark", essay(double, 4, 6), exam.Marking{Marks: [][]float64{m(0, 0), m(4, 6), m(2, 3), m(2, 3)}}, exam.Resolution{}, "a fourth mark"},
		{"mark off the step", essay(double, 4, 6), exam.Marking{Marks: [][]float64{m(1.25, 1)}}, exam.Resolution{}, "not a multiple of the marking step 0.5"},
		{"mark beyond the criterion", essay(double, 4, 6), exam.Marking{Marks: [][]float64{m(5, 1)}}, exam.Resolution{}, "rubric 1 mark 5 is outside 0..4"},
		{"too few criteria", essay(double, 4, 6), exam.Marking{Marks: [][]float64{m(1)}}, exam.Resolution{}, "1 marks for 2 rubric criteria"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.item.Resolve(tc.given)
			if tc.err != "" {
				if !errors.Is(err, exam.ErrInvalid) || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want ErrInvalid containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got.Final, tc.want.Final) || got.How != tc.want.How || got.Need != tc.want.Need || !slices.Equal(got.Pair, tc.want.Pair) {
				t.Errorf("Resolve = %+v, want %+v", got, tc.want)
			}
		})
	}
}

// genMarkedItem draws an essay with a rubric and a marking rule whose
// points are on its step grid.
var genMarkedItem = rapid.Custom(func(t *rapid.T) exam.Item {
	step := rapid.SampledFrom([]float64{0.5, 1, 2}).Draw(t, "step")
	n := rapid.IntRange(1, 4).Draw(t, "criteria")
	var rubric []float64
	for i := range n {
		rubric = append(rubric, float64(rapid.IntRange(1, 10).Draw(t, "steps"+string(rune('a'+i))))*step)
	}
	rule := &exam.MarkingRule{Double: rapid.Bool().Draw(t, "double"), Step: step}
	it := essay(rule, rubric...)
	if rule.Double {
		rule.Tolerance = float64(rapid.IntRange(0, int(it.Points*2)).Draw(t, "tolerance2")) / 2
	}
	if err := (&exam.Paper{Format: exam.PaperFormat, ID: "p", Version: 1, Certificate: "C", Level: exam.Elementary, Title: "t", DurationMinutes: 1,
		Sections: []exam.Section{{Title: "s", Items: []exam.Item{it}}}}).Validate(); err != nil {
		t.Fatalf("drawn item is invalid: %v", err)
	}
	return it
})

// genMark draws a mark for an item: each criterion a multiple of the step.
func genMark(it exam.Item, label string) *rapid.Generator[[]float64] {
	return rapid.Custom(func(t *rapid.T) []float64 {
		step := it.Rule().Step
		out := make([]float64, len(it.Rubric))
		for i, c := range it.Rubric {
			out[i] = float64(rapid.IntRange(0, int(c.Points/step)).Draw(t, label)) * step
		}
		return out
	})
}

// TestResolveProperties marks drawn items as central does, one mark at a
// time as the resolution asks, and checks every resolution on the way.
func TestResolveProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		it := genMarkedItem.Draw(t, "item")
		rule := it.Rule()
		var m exam.Marking
		var res exam.Resolution
		for step := 0; ; step++ {
			var err error
			res, err = it.Resolve(m)
			if err != nil {
				t.Fatalf("Resolve(%v): %v", m, err)
			}
			if res.Done() {
				break
			}
			if step > 3 {
				t.Fatalf("no final after %d marks: %+v", step, m)
			}
			// The mark asked for is the one the marks so far lack.
			wantNeed := map[int]string{0: exam.NeedFirst, 1: exam.NeedSecond, 2: exam.NeedThird, 3: exam.NeedArbitrate}[len(m.Marks)]
			if res.Need != wantNeed || res.Final != nil {
				t.Fatalf("after %d marks: %+v, want Need %s and no final", len(m.Marks), res, wantNeed)
			}
			if res.Need == exam.NeedArbitrate {
				// Arbitration only when the third is beyond tolerance of both.
				x := exam.Total(m.Marks[2])
				for _, a := range m.Marks[:2] {
					if math.Abs(exam.Total(a)-x) <= rule.Tolerance {
						t.Fatalf("arbitration asked with the third (%v) within tolerance %v of %v", x, rule.Tolerance, exam.Total(a))
					}
				}
				m.Lead = genMark(it, "lead").Draw(t, "lead")
			} else {
				m.Marks = append(m.Marks, genMark(it, "mark").Draw(t, "mark"))
			}
		}
		// The final: on the grid, within 0..max, adding up.
		if err := it.CheckCentralMarks(res.Final); err != nil {
			t.Fatalf("final %v: %v", res.Final, err)
		}
		if tot := exam.Total(res.Final); tot < 0 || tot > it.Points {
			t.Fatalf("final total %v outside 0..%v", tot, it.Points)
		}
		// How matches the marks that made it.
		switch {
		case !rule.Double:
			if res.How != exam.FinalSingle || len(m.Marks) != 1 || !slices.Equal(res.Final, m.Marks[0]) {
				t.Fatalf("single: %+v from %+v", res, m)
			}
		case len(m.Marks) == 2:
			a, b := m.Marks[0], m.Marks[1]
			if res.How != exam.FinalAgreed || math.Abs(exam.Total(a)-exam.Total(b)) > rule.Tolerance {
				t.Fatalf("two marks: %+v from %+v (tolerance %v)", res, m, rule.Tolerance)
			}
			between(t, res.Final, a, b, rule.Step)
		case m.Lead == nil:
			if res.How != exam.FinalThird || len(res.Pair) != 2 || res.Pair[1] != 2 {
				t.Fatalf("three marks: %+v from %+v", res, m)
			}
			p, x := m.Marks[res.Pair[0]], m.Marks[2]
			if math.Abs(exam.Total(p)-exam.Total(x)) > rule.Tolerance {
				t.Fatalf("third's pair %v, %v beyond tolerance %v", p, x, rule.Tolerance)
			}
			other := m.Marks[1-res.Pair[0]]
			if math.Abs(exam.Total(other)-exam.Total(x)) < math.Abs(exam.Total(p)-exam.Total(x)) {
				t.Fatalf("pair %v is not the closest: %v is closer to %v", res.Pair, other, x)
			}
			between(t, res.Final, p, x, rule.Step)
		default:
			if res.How != exam.FinalArbitrated || !slices.Equal(res.Final, m.Lead) {
				t.Fatalf("arbitrated: %+v from %+v", res, m)
			}
		}
		// The order of the first two is irrelevant.
		if len(m.Marks) >= 2 {
			sw := exam.Marking{Marks: slices.Clone(m.Marks), Lead: m.Lead}
			sw.Marks[0], sw.Marks[1] = sw.Marks[1], sw.Marks[0]
			r2, err := it.Resolve(sw)
			if err != nil || !slices.Equal(r2.Final, res.Final) || r2.How != res.How {
				t.Fatalf("swapping the first two: %+v, %v; before %+v", r2, err, res)
			}
		}
		// A final needs every mark it has: without the last, it is not final.
		short := exam.Marking{Marks: m.Marks, Lead: nil}
		if m.Lead == nil {
			short.Marks = m.Marks[:len(m.Marks)-1]
		}
		if r, err := it.Resolve(short); err != nil || r.Done() {
			t.Fatalf("without its last mark: %+v, %v", r, err)
		}
		// A mark more than the rule asked for is refused.
		more := exam.Marking{Marks: append(slices.Clone(m.Marks), m.Marks[0]), Lead: m.Lead}
		if _, err := it.Resolve(more); !errors.Is(err, exam.ErrInvalid) {
			t.Fatalf("a mark beyond the rule's: err = %v", err)
		}
	})
}

// between checks that each criterion of final, and its total, lies between
// those of a and b, and that the total is their mean rounded half up.
func between(t *rapid.T, final, a, b []float64, step float64) {
	for i := range final {
		if final[i] < min(a[i], b[i]) || final[i] > max(a[i], b[i]) {
			t.Fatalf("criterion %d: %v is not between %v and %v", i+1, final[i], a[i], b[i])
		}
	}
	ft, at, bt := exam.Total(final), exam.Total(a), exam.Total(b)
	if ft < min(at, bt) || ft > max(at, bt) {
		t.Fatalf("total %v is not between %v and %v", ft, at, bt)
	}
	// The total is the mean rounded to the step, a half step up.
	if want := math.Ceil((at+bt)/2/step) * step; ft != want {
		t.Fatalf("total %v of the mean of %v and %v is not %v", ft, at, bt, want)
	}
}

// TestReferenceNeverPresented: the reference answer and the marking rule
// are for markers; the candidate's view of an item (what the terminal
// shows, built field by field) has no field that could carry them.
func TestReferenceNeverPresented(t *testing.T) {
	vt := reflect.TypeOf(exam.ViewItem{})
	for _, name := range []string{"Reference", "Marking", "Answer"} {
		f, ok := vt.FieldByName(name)
		if ok && (name != "Answer" || f.Type != reflect.TypeOf(exam.Answer{})) {
			t.Errorf("exam.ViewItem has a field %s (%v)", name, f.Type)
		}
	}
	b, err := json.Marshal(exam.ViewItem{ID: "q10", Type: exam.Essay})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "reference") || strings.Contains(string(b), "marking") {
		t.Errorf("a view item's JSON: %s", b)
	}
}

package exam

import (
	"math"
)

// MarkedCentrally reports whether responses to items of this type are
// marked by people at central (essays and hand-in items), rather than
// scored by the machine or by examiners at the site.
func (t ItemType) MarkedCentrally() bool {
	return t == Essay || t == HandIn
}

// DefaultStep is the rounding step of an item marked at central whose
// paper sets none.
const DefaultStep = 0.5

// MarkingRule is how an item marked at central is marked (docs/paper-format.md,
// "marking"): by one marker or by two independently, how far apart two
// markers' totals may be and still agree, and the step marks are given in.
type MarkingRule struct {
	Double    bool    `json:"double,omitempty"`    // two independent blind marks; else one
	Tolerance float64 `json:"tolerance,omitempty"` // double only: the most two totals may differ and agree, in points
	Step      float64 `json:"step,omitempty"`      // marks and finals are multiples of it; 0 in a paper means DefaultStep
}

// Rule returns the item's marking rule with its defaults filled in: single
// marking in steps of DefaultStep unless the paper says otherwise.
func (it Item) Rule() MarkingRule {
	r := MarkingRule{}
	if it.Marking != nil {
		r = *it.Marking
	}
	if r.Step == 0 {
		r.Step = DefaultStep
	}
	return r
}

// validateMarking checks an item's marking rule and reference answer.
func validateMarking(at func(string, ...any), it Item) {
	if it.Reference != "" && !it.Type.MarkedCentrally() {
		at("reference is given, but a %s item is not marked at central", it.Type)
	}
	if it.Marking == nil {
		return
	}
	if !it.Type.MarkedCentrally() {
		at("marking is given, but a %s item is not marked at central", it.Type)
		return
	}
	m := *it.Marking
	step := it.Rule().Step
	switch {
	case m.Step < 0 || math.IsNaN(m.Step) || m.Step > 0 && !validPoints(m.Step):
		at("marking step %v is not positive (whole or half points)", m.Step)
		return
	case step > it.Points:
		at("marking step %v is more than the item's points %v", step, it.Points)
		return
	}
	if !onGrid(it.Points, step) {
		at("points %v is not a multiple of the marking step %v", it.Points, step)
	}
	for i, c := range it.Rubric {
		if !onGrid(c.Points, step) {
			at("rubric %d points %v is not a multiple of the marking step %v", i+1, c.Points, step)
		}
	}
	switch {
	case !m.Double && m.Tolerance != 0:
		at("marking tolerance %v is given, but the item is marked once (double is false)", m.Tolerance)
	case m.Tolerance < 0 || math.IsNaN(m.Tolerance) || math.IsInf(m.Tolerance, 0):
		at("marking tolerance %v is negative", m.Tolerance)
	case m.Tolerance > it.Points:
		at("marking tolerance %v is more than the item's points %v", m.Tolerance, it.Points)
	case math.Mod(m.Tolerance*2, 1) != 0:
		at("marking tolerance %v is not in whole or half points", m.Tolerance)
	}
}

// onGrid reports whether v is a whole multiple of step. Both are multiples
// of one half, so the test is exact in float64.
func onGrid(v, step float64) bool {
	return math.Mod(v*2, step*2) == 0
}

// CheckCentralMarks checks marks given at central for an item: CheckMarks,
// and every figure a multiple of the item's marking step.
func (it Item) CheckCentralMarks(m []float64) error {
	if !it.Type.MarkedCentrally() {
		return invalidf("item %s: a %s item is not marked at central", it.ID, it.Type)
	}
	if err := it.CheckMarks(m); err != nil {
		return err
	}
	step := it.Rule().Step
	for i, v := range m {
		if !onGrid(v, step) {
			return invalidf("item %s: rubric %d mark %v is not a multiple of the marking step %v", it.ID, i+1, v, step)
		}
	}
	return nil
}

// Ways a final mark is reached (Resolution.How).
const (
	FinalSingle     = "single"     // single marking: the one mark
	FinalAgreed     = "agreed"     // double: the mean of the first two, within tolerance
	FinalThird      = "third"      // double: the mean of the closest pair once a third marker marked
	FinalArbitrated = "arbitrated" // double: the third was outside tolerance of both; the lead's mark
	FinalLead       = "lead"       // a flagged problem script: the lead's mark (set by central, not by Resolve)
)

// Marks needed next (Resolution.Need).
const (
	NeedFirst     = "first"
	NeedSecond    = "second"
	NeedThird     = "third"
	NeedArbitrate = "arbitrate"
)

// Marking is what markers gave one response so far, for Resolve.
type Marking struct {
	Marks [][]float64 // the markers' marks in the order given (first, second, third), each per rubric criterion
	Lead  []float64   // the lead's arbitration, nil until given
}

// Resolution is the outcome of the marks given so far: either the final
// mark and how it was reached, or the mark needed next.
type Resolution struct {
	Final []float64 `json:"final,omitempty"` // per rubric criterion; nil until final
	How   string    `json:"how,omitempty"`   // a Final* constant when final
	Need  string    `json:"need,omitempty"`  // a Need* constant when not final
	Pair  []int     `json:"pair,omitempty"`  // agreed or third: the indexes in Marks of the pair averaged
}

// Done reports whether the resolution is final.
func (r Resolution) Done() bool { return r.How != "" }

// Total is the sum of marks.
func Total(m []float64) float64 {
	var t float64
	for _, v := range m {
		t += v
	}
	return t
}

// Resolve applies the item's marking rule to the marks given so far
// (docs/marking.md, "The rules"). Every mark must pass CheckCentralMarks; a
// mark the rule did not ask for (a second on a single-marked item, a third
// when the first two agree, a lead's mark before one is needed) is refused:
// the error wraps ErrInvalid.
//
//   - Single: the one mark is final.
//   - Double: the first two totals within Tolerance of each other: final is
//     their mean. Otherwise a third marker; if the third total is within
//     Tolerance of one or both of the first two, final is the mean of the
//     closest pair (on a tie, the pair with the higher mean). Otherwise the
//     lead arbitrates and the lead's mark is final.
//
// A mean is rounded on totals: the total is rounded to the step, halves up,
// and spread over the criteria so that each criterion lies between the two
// marks it averages (see meanOf).
func (it Item) Resolve(m Marking) (Resolution, error) {
	for i, mk := range m.Marks {
		if err := it.CheckCentralMarks(mk); err != nil {
			return Resolution{}, invalidf("mark %d: %v", i+1, err)
		}
	}
	if m.Lead != nil {
		if err := it.CheckCentralMarks(m.Lead); err != nil {
			return Resolution{}, invalidf("lead's mark: %v", err)
		}
	}
	r := it.Rule()
	excess := func(what string) (Resolution, error) {
		return Resolution{}, invalidf("item %s: %s, which the marking rule did not ask for", it.ID, what)
	}
	n := len(m.Marks)
	if !r.Double {
		switch {
		case n == 0 && m.Lead == nil:
			return Resolution{Need: NeedFirst}, nil
		case n > 1:
			return excess("a second mark on a single-marked item")
		case m.Lead != nil:
			return excess("a lead's mark")
		}
		return Resolution{Final: clone(m.Marks[0]), How: FinalSingle}, nil
	}
	switch n {
	case 0, 1:
		if m.Lead != nil {
			return excess("a lead's mark")
		}
		return Resolution{Need: []string{NeedFirst, NeedSecond}[n]}, nil
	}
	a, b := m.Marks[0], m.Marks[1]
	if within(a, b, r.Tolerance) {
		if n > 2 {
			return excess("a third mark when the first two agree")
		}
		if m.Lead != nil {
			return excess("a lead's mark")
		}
		return Resolution{Final: it.meanOf(a, b), How: FinalAgreed, Pair: []int{0, 1}}, nil
	}
	if n == 2 {
		if m.Lead != nil {
			return excess("a lead's mark")
		}
		return Resolution{Need: NeedThird}, nil
	}
	if n > 3 {
		return excess("a fourth mark")
	}
	x := m.Marks[2]
	ax, bx := within(a, x, r.Tolerance), within(b, x, r.Tolerance)
	if ax || bx {
		if m.Lead != nil {
			return excess("a lead's mark when the third marker agrees with one of the first two")
		}
		da, db := math.Abs(Total(a)-Total(x)), math.Abs(Total(b)-Total(x))
		fa, fb := it.meanOf(a, x), it.meanOf(b, x)
		switch {
		case da < db, da == db && Total(fa) >= Total(fb):
			return Resolution{Final: fa, How: FinalThird, Pair: []int{0, 2}}, nil
		}
		return Resolution{Final: fb, How: FinalThird, Pair: []int{1, 2}}, nil
	}
	if m.Lead == nil {
		return Resolution{Need: NeedArbitrate}, nil
	}
	return Resolution{Final: clone(m.Lead), How: FinalArbitrated}, nil
}

// within reports whether two marks' totals differ by at most tol.
func within(a, b []float64, tol float64) bool {
	return math.Abs(Total(a)-Total(b)) <= tol
}

// meanOf is the mean of two marks on the item's step grid, both marks on
// the grid. The total is the mean of the two totals rounded to the step, a
// half step up. Each criterion's mean is on the grid or half a step off it;
// of those off it, the first ones in rubric order are rounded up, as many as
// make the criteria add up to the total, and the rest down. So every
// criterion lies between the two marks it averages, and the total between
// theirs.
func (it Item) meanOf(a, b []float64) []float64 {
	step := it.Rule().Step
	steps := func(v float64) int64 { return int64(math.Round(v / step)) }
	sums := make([]int64, len(a)) // a[i]+b[i] in steps: the mean in half steps
	odd := 0
	for i := range a {
		sums[i] = steps(a[i]) + steps(b[i])
		odd += int(sums[i] % 2)
	}
	up := (odd + 1) / 2
	out := make([]float64, len(a))
	for i, s := range sums {
		v := s / 2
		if s%2 == 1 && up > 0 {
			v++
			up--
		}
		out[i] = float64(v) * step
	}
	return out
}

func clone(m []float64) []float64 { return append([]float64(nil), m...) }

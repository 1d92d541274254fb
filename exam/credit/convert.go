package credit

import (
	"cmp"
	"slices"

	"onex/exam"
)

// Conversion is one outcome of a learner converted into one course's
// credits at one school, by one rule of one rule set.
type Conversion struct {
	Learner     string     `json:"learner"`
	Outcome     string     `json:"outcome"` // the outcome's Key
	Certificate string     `json:"certificate"`
	Level       exam.Level `json:"level"`
	Score       Score      `json:"score"`
	Earned      Date       `json:"earned"` // the outcome's date
	School      string     `json:"school"`
	Course      string     `json:"course"`
	CourseName  string     `json:"course_name"`
	Credits     Credits    `json:"credits"`
	RuleSet     int        `json:"rule_set"`
	Rule        string     `json:"rule"`
	Granted     bool       `json:"granted,omitempty"` // approved before: given in Input.Granted, kept whatever the rules say now
}

// Reason says why a certificate converts to nothing.
type Reason string

// Reasons a certificate converts to nothing (FORMAT.md, "Conversion").
const (
	ReasonNoRule Reason = "no-rule" // no rule names its certificate and level
	ReasonScore  Reason = "score"   // its score is below every such rule's minimum
	ReasonWindow Reason = "window"  // its date is outside the window of every such rule its score meets
	ReasonLater  Reason = "later"   // it is dated after the day of the conversion
	ReasonTaken  Reason = "taken"   // each course it could convert to is passed, credited, or went to another outcome of the learner; or it was used at that school already
)

// Note is a certificate outcome that converts to nothing, and why.
type Note struct {
	Learner string `json:"learner"`
	Outcome string `json:"outcome"`
	Reason  Reason `json:"reason"`
}

// Input is what a conversion is computed from.
type Input struct {
	Rules    *RuleSet
	Outcomes []Outcome
	// Granted are the conversions approved before (applications
	// approved and not revoked). They stand: their outcome is used at
	// their school and their course is credited to the learner, whatever
	// the rules say now.
	Granted []Conversion
	// AsOf is the day of the conversion (an application's or a preview's
	// day): outcomes dated after it are left out. NoDate: none is.
	AsOf Date
}

// Result is a conversion: every conversion in force (the granted ones,
// then the new ones the rules give), sorted by learner, school, course and
// outcome, and the certificate outcomes that convert to nothing.
type Result struct {
	Conversions []Conversion `json:"conversions"`
	Unconverted []Note       `json:"unconverted"`
}

// Convert computes which outcomes convert to which courses (FORMAT.md,
// "Conversion"). It is pure and deterministic: the order of the outcomes,
// of the rules and of the granted conversions does not change the result.
// Within one learner and one school it gives the most credits that never
// credit one outcome twice at the school nor one course twice to the
// learner, nor a course the learner passed there; among equal totals, the
// preference order of FORMAT.md decides. The rule set must have passed
// ReadRules or Check.
func Convert(in Input) Result {
	idx := indexRules(in.Rules)
	outs := make([]keyed, len(in.Outcomes))
	for i := range in.Outcomes {
		outs[i] = keyed{&in.Outcomes[i], in.Outcomes[i].Key()}
	}
	slices.SortFunc(outs, compareOutcomes)
	outs = slices.CompactFunc(outs, func(a, b keyed) bool { return a.Learner == b.Learner && a.key == b.key })
	granted := slices.Clone(in.Granted)
	slices.SortFunc(granted, compareConversions)
	res := Result{Conversions: make([]Conversion, 0, len(outs)+len(granted))}
	sc := newScratch()
	g := 0
	for i := 0; i < len(outs); {
		j := i
		for j < len(outs) && outs[j].Learner == outs[i].Learner {
			j++
		}
		learner := outs[i].Learner
		// granted conversions of learners with no outcome given, before this one
		for g < len(granted) && granted[g].Learner < learner {
			res.Conversions = append(res.Conversions, markGranted(granted[g]))
			g++
		}
		h := g
		for h < len(granted) && granted[h].Learner == learner {
			h++
		}
		from := len(res.Conversions)
		convertLearner(&res, sc, idx, in.Rules.Version, in.AsOf, outs[i:j], granted[g:h])
		slices.SortFunc(res.Conversions[from:], compareConversions)
		g, i = h, j
	}
	for ; g < len(granted); g++ {
		res.Conversions = append(res.Conversions, markGranted(granted[g]))
	}
	return res
}

// keyed is an outcome with its key, worked out once.
type keyed struct {
	*Outcome
	key string
}

func markGranted(c Conversion) Conversion {
	c.Granted = true
	return c
}

// compareOutcomes orders outcomes by learner, key, then every other field,
// so that sorting makes any order of the same outcomes one order.
func compareOutcomes(a, b keyed) int {
	return cmp.Or(cmp.Compare(a.Learner, b.Learner), cmp.Compare(a.key, b.key),
		cmp.Compare(b.Score, a.Score), cmp.Compare(a.Date, b.Date), cmp.Compare(a.Kind, b.Kind),
		cmp.Compare(a.Certificate, b.Certificate), cmp.Compare(a.Level, b.Level),
		cmp.Compare(a.CourseName, b.CourseName), cmp.Compare(a.Credits, b.Credits),
		cmp.Compare(a.Name, b.Name), cmp.Compare(a.IDType, b.IDType))
}

func compareConversions(a, b Conversion) int {
	return cmp.Or(cmp.Compare(a.Learner, b.Learner), cmp.Compare(a.School, b.School),
		cmp.Compare(a.Course, b.Course), cmp.Compare(a.Outcome, b.Outcome), cmp.Compare(a.Rule, b.Rule),
		cmp.Compare(a.RuleSet, b.RuleSet), cmp.Compare(a.Credits, b.Credits))
}

// edge is a conversion one rule offers: outcome o to course c at a school.
type edge struct {
	o    int // index into the learner's outcomes
	rule *Rule
}

// pair is two strings: (outcome key, school) or (school, course).
type pair struct{ a, b string }

// scratch is what convertLearner reuses from one learner to the next.
type scratch struct {
	usedAt   map[pair]bool   // (outcome key, school) used by a granted conversion
	credited map[pair]bool   // (school, course) passed or credited
	hasGrant map[string]bool // outcome keys with a granted conversion
	edges    []edge
	offered  []bool
	got      []bool
}

func newScratch() *scratch {
	return &scratch{usedAt: map[pair]bool{}, credited: map[pair]bool{}, hasGrant: map[string]bool{}}
}

// convertLearner adds one learner's conversions and notes to res.
// outs are the learner's outcomes (sorted, one per key), granted the
// learner's granted conversions (sorted).
func convertLearner(res *Result, sc *scratch, idx ruleIndex, version int, asOf Date, outs []keyed, granted []Conversion) {
	clear(sc.usedAt)
	clear(sc.credited)
	clear(sc.hasGrant)
	for _, c := range granted {
		sc.usedAt[pair{c.Outcome, c.School}] = true
		sc.credited[pair{c.School, c.Course}] = true
		sc.hasGrant[c.Outcome] = true
		res.Conversions = append(res.Conversions, markGranted(c))
	}
	for _, o := range outs {
		if o.Kind == KindCourse {
			sc.credited[pair{o.School, o.Course}] = true
		}
	}
	sc.edges = sc.edges[:0]
	sc.offered = append(sc.offered[:0], make([]bool, len(outs))...)
	sc.got = append(sc.got[:0], make([]bool, len(outs))...)
	offered, got := sc.offered, sc.got
	for i, o := range outs {
		if o.Kind != KindCertificate {
			continue
		}
		note := func(r Reason) {
			if !sc.hasGrant[o.key] {
				res.Unconverted = append(res.Unconverted, Note{Learner: o.Learner, Outcome: o.key, Reason: r})
			}
		}
		if asOf != NoDate && o.Date > asOf {
			note(ReasonLater)
			continue
		}
		rules := idx[[2]string{o.Certificate, string(o.Level)}]
		reason := ReasonNoRule
		if len(rules) > 0 {
			reason = ReasonScore
		}
		admitted := false
		for _, r := range rules {
			if o.Score < r.MinScore {
				continue
			}
			if !r.In(o.Date) {
				reason = ReasonWindow
				continue
			}
			admitted = true
			if sc.usedAt[pair{o.key, r.School}] || sc.credited[pair{r.School, r.Course}] {
				continue
			}
			sc.edges = append(sc.edges, edge{i, r})
			offered[i] = true
		}
		switch {
		case !admitted:
			note(reason)
		case !offered[i]:
			note(ReasonTaken)
		}
	}
	edges := sc.edges
	slices.SortFunc(edges, func(a, b edge) int { return cmp.Compare(a.rule.School, b.rule.School) })
	for i := 0; i < len(edges); {
		j := i + 1
		for j < len(edges) && edges[j].rule.School == edges[i].rule.School {
			j++
		}
		for _, e := range match(outs, edges[i:j]) {
			o := outs[e.o]
			got[e.o] = true
			res.Conversions = append(res.Conversions, Conversion{
				Learner: o.Learner, Outcome: o.key, Certificate: o.Certificate, Level: o.Level, Score: o.Score, Earned: o.Date,
				School: e.rule.School, Course: e.rule.Course, CourseName: e.rule.CourseName, Credits: e.rule.Credits,
				RuleSet: version, Rule: e.rule.ID,
			})
		}
		i = j
	}
	for i, o := range outs {
		if offered[i] && !got[i] && !sc.hasGrant[o.key] {
			res.Unconverted = append(res.Unconverted, Note{Learner: o.Learner, Outcome: o.key, Reason: ReasonTaken})
		}
	}
}

// better is the preference order of edges: more credits, then the outcome
// first in key order, then the course first in code order, then (for two
// rules of one outcome and course) the rule first in id order.
func better(outs []keyed, a, b edge) int {
	return cmp.Or(cmp.Compare(b.rule.Credits, a.rule.Credits), cmp.Compare(outs[a.o].key, outs[b.o].key),
		cmp.Compare(a.rule.Course, b.rule.Course), cmp.Compare(a.rule.ID, b.rule.ID))
}

// match chooses the conversions of one learner at one school: the edges,
// at most one per outcome and one per course, with the most credits, and
// among those the first in preference order (FORMAT.md).
func match(outs []keyed, edges []edge) []edge {
	slices.SortFunc(edges, func(a, b edge) int { return better(outs, a, b) })
	// one edge per (outcome, course): the first in preference order; in
	// place (edges is the caller's scratch)
	keep := edges[:0]
	clash := false
	for _, e := range edges {
		dup := false
		for _, k := range keep {
			if k.o == e.o && k.rule.Course == e.rule.Course {
				dup = true
				break
			}
			if k.o == e.o || k.rule.Course == e.rule.Course {
				clash = true
			}
		}
		if !dup {
			keep = append(keep, e)
		}
	}
	edges = keep
	if !clash {
		return edges
	}
	rows, cols := map[int]int{}, map[string]int{}
	for _, e := range edges {
		if _, ok := rows[e.o]; !ok {
			rows[e.o] = len(rows)
		}
		if _, ok := cols[e.rule.Course]; !ok {
			cols[e.rule.Course] = len(cols)
		}
	}
	n := max(len(rows), len(cols))
	w := make([][]int64, n)
	for i := range w {
		w[i] = make([]int64, n)
	}
	for _, e := range edges {
		w[rows[e.o]][cols[e.rule.Course]] = int64(e.rule.Credits)
	}
	rowFixed, colFixed := make([]bool, n), make([]bool, n)
	best := maxWeight(w, rowFixed, colFixed)
	var fixed int64
	var out []edge
	for _, e := range edges {
		r, c := rows[e.o], cols[e.rule.Course]
		if rowFixed[r] || colFixed[c] {
			continue
		}
		rowFixed[r], colFixed[c] = true, true
		if wt := int64(e.rule.Credits); fixed+wt+maxWeight(w, rowFixed, colFixed) == best {
			fixed += wt
			out = append(out, e)
			continue
		}
		rowFixed[r], colFixed[c] = false, false
	}
	return out
}

// maxWeight is the largest total weight of an assignment of the rows to
// the columns not fixed (weights ≥ 0; a weight of 0 is no edge), by the
// Hungarian method in O(n³).
func maxWeight(w [][]int64, rowFixed, colFixed []bool) int64 {
	var rs, cs []int
	for i, f := range rowFixed {
		if !f {
			rs = append(rs, i)
		}
	}
	for j, f := range colFixed {
		if !f {
			cs = append(cs, j)
		}
	}
	n := max(len(rs), len(cs))
	if len(rs) == 0 || len(cs) == 0 {
		return 0
	}
	cost := func(i, j int) int64 { // 1-based, padded with zeros
		if i > len(rs) || j > len(cs) {
			return 0
		}
		return -w[rs[i-1]][cs[j-1]]
	}
	const inf = int64(1) << 62
	u, v := make([]int64, n+1), make([]int64, n+1)
	p, way := make([]int, n+1), make([]int, n+1)
	minv, used := make([]int64, n+1), make([]bool, n+1)
	for i := 1; i <= n; i++ {
		p[0] = i
		j0 := 0
		for j := range minv {
			minv[j], used[j] = inf, false
		}
		for {
			used[j0] = true
			i0, delta, j1 := p[j0], inf, 0
			for j := 1; j <= n; j++ {
				if used[j] {
					continue
				}
				if cur := cost(i0, j) - u[i0] - v[j]; cur < minv[j] {
					minv[j], way[j] = cur, j0
				}
				if minv[j] < delta {
					delta, j1 = minv[j], j
				}
			}
			for j := 0; j <= n; j++ {
				if used[j] {
					u[p[j]] += delta
					v[j] -= delta
				} else {
					minv[j] -= delta
				}
			}
			j0 = j1
			if p[j0] == 0 {
				break
			}
		}
		for j0 != 0 {
			j1 := way[j0]
			p[j0] = p[j1]
			j0 = j1
		}
	}
	return v[0]
}

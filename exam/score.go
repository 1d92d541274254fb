package exam

import (
	"slices"
	"strings"
	"unicode"
)

// Answer is a candidate's response to one item.
type Answer struct {
	Choices []string `json:"choices,omitempty"` // option ids; "true" or "false" for truefalse items
	Text    string   `json:"text,omitempty"`    // fill and essay items
	// Files are a handin item's files, their content apart (HandedFile).
	Files []HandedFile `json:"files,omitempty"`
}

// Marks are the points people awarded essay and practical items: by item id,
// one figure per rubric criterion in rubric order.
type Marks map[string][]float64

// ItemScore is one item's outcome.
type ItemScore struct {
	ItemID   string  `json:"item"`
	Points   float64 `json:"points"`
	Max      float64 `json:"max"`
	Awaiting bool    `json:"awaiting,omitempty"` // essay or practical item not marked yet
}

// Result is a paper's outcome for one candidate.
type Result struct {
	Items    []ItemScore `json:"items"`
	Total    float64     `json:"total"`
	Max      float64     `json:"max"`
	Awaiting []string    `json:"awaiting,omitempty"` // ids of items still to be marked
	Complete bool        `json:"complete"`           // every item has its score
	Passed   bool        `json:"passed"`             // meaningful only when Complete
}

// Normalize folds a fill answer for MatchNormalized: full-width ASCII and the
// ideographic space become their half-width forms, letters are lower-cased and
// surrounding space is trimmed, so "４０４" equals "404" and " Auto " equals "auto".
func Normalize(s string) string {
	return strings.TrimSpace(strings.Map(func(r rune) rune {
		switch {
		case r >= 0xFF01 && r <= 0xFF5E:
			r -= 0xFEE0
		case r == 0x3000:
			r = ' '
		}
		return unicode.ToLower(r)
	}, s))
}

// Score returns the points an objective item earns for an answer; it is 0 for
// essay and practical items, which people mark. It never exceeds it.Points.
func (it Item) Score(a Answer) float64 {
	switch it.Type {
	case Single, TrueFalse:
		if len(a.Choices) == 1 && len(it.Answer) == 1 && a.Choices[0] == it.Answer[0] {
			return it.Points
		}
	case Multiple:
		chosen := dedupe(a.Choices)
		right := 0
		for _, c := range chosen {
			if !slices.Contains(it.Answer, c) {
				return 0
			}
			right++
		}
		switch {
		case right == len(it.Answer):
			return it.Points
		case right > 0 && it.Partial == PartialHalfIfNoWrong:
			return it.Points / 2
		}
	case Fill:
		for _, acc := range it.Accept {
			if it.Match == MatchExact && a.Text == acc || it.Match != MatchExact && Normalize(a.Text) == Normalize(acc) {
				return it.Points
			}
		}
	}
	return 0
}

func dedupe(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return slices.Compact(out)
}

// Score scores a candidate's answers and the marks people gave. passMark is
// the level's pass mark, a percentage of the paper's total points. Answers or
// marks for items the paper lacks, and marks outside a criterion's range, are
// refused with an error wrapping ErrInvalid.
func (p *Paper) Score(answers map[string]Answer, marks Marks, passMark float64) (Result, error) {
	var pr problems
	for id := range answers {
		if _, ok := p.Item(id); !ok {
			pr.addf("answer for item %s: the paper has no such item", id)
		}
	}
	for id, m := range marks {
		it, ok := p.Item(id)
		if !ok {
			pr.addf("marks for item %s: the paper has no such item", id)
			continue
		}
		if err := it.CheckMarks(m); err != nil {
			pr.addf("%v", err)
		}
	}
	if err := pr.err(); err != nil {
		return Result{}, err
	}
	var r Result
	for _, it := range p.Items() {
		s := ItemScore{ItemID: it.ID, Max: it.Points}
		if it.Type.Objective() {
			s.Points = it.Score(answers[it.ID])
		} else if m, ok := marks[it.ID]; ok {
			for _, v := range m {
				s.Points += v
			}
		} else {
			s.Awaiting = true
			r.Awaiting = append(r.Awaiting, it.ID)
		}
		r.Items = append(r.Items, s)
		r.Total += s.Points
		r.Max += s.Max
	}
	r.Complete = len(r.Awaiting) == 0
	r.Passed = r.Complete && r.Total*100 >= passMark*r.Max
	return r, nil
}

// CheckMarks checks marks for an essay or practical item: one figure per
// rubric criterion, each between 0 and the criterion's points.
func (it Item) CheckMarks(m []float64) error {
	if it.Type.Objective() {
		return invalidf("item %s: marks given for a %s item, which is scored by its answer", it.ID, it.Type)
	}
	if len(m) != len(it.Rubric) {
		return invalidf("item %s: %d marks for %d rubric criteria", it.ID, len(m), len(it.Rubric))
	}
	for i, v := range m {
		if !(v >= 0 && v <= it.Rubric[i].Points) { // also refuses NaN
			return invalidf("item %s: rubric %d mark %v is outside 0..%v", it.ID, i+1, v, it.Rubric[i].Points)
		}
	}
	return nil
}

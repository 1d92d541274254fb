package exam_test

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	"onex/exam"
)

func choices(c ...string) exam.Answer { return exam.Answer{Choices: c} }
func text(s string) exam.Answer       { return exam.Answer{Text: s} }

func TestItemScore(t *testing.T) {
	p := samplePaper(t)
	tests := []struct {
		item string
		a    exam.Answer
		want float64
	}{
		{"q1", choices("b"), 2},
		{"q1", choices("a"), 0},
		{"q1", choices("b", "a"), 0},
		{"q1", choices(), 0},
		{"q1", choices("zz"), 0},
		// multiple, half-if-no-wrong: answer a b d
		{"q4", choices("a", "b", "d"), 4},
		{"q4", choices("d", "b", "a"), 4},
		{"q4", choices("a", "b", "d", "d"), 4},
		{"q4", choices("a", "b"), 2},
		{"q4", choices("d"), 2},
		{"q4", choices("a", "c"), 0},
		{"q4", choices("a", "b", "c", "d"), 0},
		{"q4", choices(), 0},
		// multiple, none: answer a b d
		{"q5", choices("a", "b", "d"), 4},
		{"q5", choices("a", "b"), 0},
		{"q5", choices("a", "b", "c", "d"), 0},
		// truefalse
		{"q6", choices("true"), 2},
		{"q6", choices("false"), 0},
		{"q7", choices("false"), 2},
		{"q7", choices("true", "false"), 0},
		// fill, normalized
		{"q8", text("auto"), 4},
		{"q8", text("  AUTO "), 4},
		{"q8", text("ａｕｔｏ"), 4},
		{"q8", text("au to"), 0},
		{"q9", text("404"), 4},
		{"q9", text("４０４"), 4},
		{"q9", text("\u3000404"), 4},
		{"q9", text("403"), 0},
		{"q9", text(""), 0},
		// people mark these
		{"q10", text("响应式设计"), 0},
		{"q11", exam.Answer{}, 0},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%s %v %q", tc.item, tc.a.Choices, tc.a.Text), func(t *testing.T) {
			it, _ := p.Item(tc.item)
			if got := it.Score(tc.a); got != tc.want {
				t.Errorf("score = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestFillExactMatch(t *testing.T) {
	it := exam.Item{ID: "f", Type: exam.Fill, Points: 3, Accept: []string{"GET"}, Match: exam.MatchExact}
	for a, want := range map[string]float64{"GET": 3, "get": 0, " GET": 0, "ＧＥＴ": 0} {
		if got := it.Score(text(a)); got != want {
			t.Errorf("exact %q = %v, want %v", a, got, want)
		}
	}
}

func TestNormalize(t *testing.T) {
	for in, want := range map[string]string{
		"４０４": "404", " Auto\t": "auto", "ＡＢＣ": "abc", "\u3000中文\u3000": "中文", "a b": "a b",
	} {
		if got := exam.Normalize(in); got != want {
			t.Errorf("Normalize(%q) = %q, want %q", in, got, want)
		}
	}
}

// allCorrect answers every objective item correctly.
func allCorrect(p *exam.Paper) map[string]exam.Answer {
	ans := map[string]exam.Answer{}
	for _, it := range p.Items() {
		switch {
		case it.Type == exam.Fill:
			ans[it.ID] = text(it.Accept[0])
		case it.Type.Objective():
			ans[it.ID] = choices(it.Answer...)
		}
	}
	return ans
}

func fullMarks(p *exam.Paper) exam.Marks {
	m := exam.Marks{}
	for _, it := range p.Items() {
		for _, c := range it.Rubric {
			m[it.ID] = append(m[it.ID], c.Points)
		}
	}
	return m
}

func TestPaperScore(t *testing.T) {
	p := samplePaper(t)

	r, err := p.Score(allCorrect(p), nil, 60)
	if err != nil {
		t.Fatal(err)
	}
	if r.Total != 26 || r.Max != 96 || r.Complete || r.Passed || !slices.Equal(r.Awaiting, []string{"q10", "q11"}) {
		t.Errorf("objective only: %+v", r)
	}

	r, err = p.Score(allCorrect(p), fullMarks(p), 60)
	if err != nil {
		t.Fatal(err)
	}
	if r.Total != 96 || !r.Complete || !r.Passed {
		t.Errorf("all correct: %+v", r)
	}

	// 57.5 of 96 is 59.9%: below a pass mark of 60%; 58 of 96 is 60.4%.
	marks := exam.Marks{"q10": {0, 0, 0}, "q11": {15, 16.5, 0, 0}}
	r, _ = p.Score(allCorrect(p), marks, 60)
	if r.Total != 57.5 || !r.Complete || r.Passed {
		t.Errorf("57.5 points: %+v", r)
	}
	marks["q11"][1] = 17
	r, _ = p.Score(allCorrect(p), marks, 60)
	if r.Total != 58 || !r.Passed {
		t.Errorf("58 points: %+v", r)
	}

	r, _ = p.Score(nil, nil, 60)
	if r.Total != 0 || r.Passed {
		t.Errorf("no answers: %+v", r)
	}
}

func TestScoreRefusesBadInput(t *testing.T) {
	p := samplePaper(t)
	tests := []struct {
		name    string
		answers map[string]exam.Answer
		marks   exam.Marks
		want    string
	}{
		{"unknown answer item", map[string]exam.Answer{"q99": choices("a")}, nil, "answer for item q99"},
		{"unknown marks item", nil, exam.Marks{"q98": {1}}, "marks for item q98"},
		{"marks over the criterion", nil, exam.Marks{"q11": {16, 0, 0, 0}}, "item q11: rubric 1 mark 16 is outside 0..15"},
		{"negative mark", nil, exam.Marks{"q10": {-1, 0, 0}}, "item q10: rubric 1 mark -1"},
		{"too few marks", nil, exam.Marks{"q10": {1}}, "item q10: 1 marks for 3 rubric criteria"},
		{"marks for objective", nil, exam.Marks{"q1": {2}}, "item q1: marks given for a single item"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := p.Score(tc.answers, tc.marks, 60)
			if !errors.Is(err, exam.ErrInvalid) || !contains(err, tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

// TestScoreProperties: over many random answers, a score never exceeds the
// item's points and is one of 0, half or full.
func TestScoreProperties(t *testing.T) {
	p := samplePaper(t)
	opts := []string{"a", "b", "c", "d", "true", "false", "x"}
	for n := 0; n < 2000; n++ {
		for _, it := range p.Items() {
			var a exam.Answer
			for i, o := range opts {
				if (n>>i)&1 == 1 && (n+i)%3 != 0 {
					a.Choices = append(a.Choices, o)
				}
			}
			got := it.Score(a)
			if got < 0 || got > it.Points || (got != 0 && got != it.Points && got != it.Points/2) {
				t.Fatalf("item %s answer %v scored %v of %v", it.ID, a.Choices, got, it.Points)
			}
		}
	}
}

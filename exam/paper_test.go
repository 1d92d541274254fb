package exam_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io/fs"
	"strings"
	"testing"

	"onex/assets"
	"onex/exam"
)

func sample(t testing.TB, name string) []byte {
	t.Helper()
	b, err := fs.ReadFile(assets.Samples, "samples/"+name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func samplePaper(t testing.TB) *exam.Paper {
	t.Helper()
	p, err := exam.ReadPaper(bytes.NewReader(sample(t, "paper-web-elementary.json")))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestSamplePaperLoads(t *testing.T) {
	p := samplePaper(t)
	if p.ID != "WEB-E-2026-A" || p.Version != 1 || p.Level != exam.Elementary || p.DurationMinutes != 90 {
		t.Errorf("paper header = %q v%d %s %d min", p.ID, p.Version, p.Level, p.DurationMinutes)
	}
	if n := len(p.Items()); n != 11 {
		t.Errorf("items = %d, want 11", n)
	}
	if got := p.TotalPoints(); got != 96 {
		t.Errorf("total points = %v, want 96", got)
	}
	it, ok := p.Item("q9")
	if !ok || it.Type != exam.Fill || it.Match != exam.MatchNormalized {
		t.Errorf("q9 = %+v", it)
	}
}

func TestSampleCatalogueLoads(t *testing.T) {
	c, err := exam.ReadCatalogue(bytes.NewReader(sample(t, "catalogue.json")))
	if err != nil {
		t.Fatal(err)
	}
	rule, err := c.Rule("WEB", exam.Advanced)
	if err != nil || rule.PassMark != 70 || rule.Credits != 8 {
		t.Errorf("WEB advanced = %+v, %v", rule, err)
	}
	if _, err := c.Rule("WEB", "expert"); !errors.Is(err, exam.ErrInvalid) {
		t.Errorf("unknown level: err = %v", err)
	}
	s, ok := c.Site("SITE-001")
	if !ok || !s.HasRoom("A101") || s.HasRoom("Z9") {
		t.Errorf("site = %+v", s)
	}
	if exam.Intermediate.Chinese() != "中级" {
		t.Error("intermediate is not 中级")
	}
}

// editPaper decodes the sample paper into generic JSON, lets edit change it,
// and reads it back.
func editPaper(t *testing.T, edit func(p map[string]any)) error {
	t.Helper()
	var p map[string]any
	if err := json.Unmarshal(sample(t, "paper-web-elementary.json"), &p); err != nil {
		t.Fatal(err)
	}
	edit(p)
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	_, err = exam.ReadPaper(bytes.NewReader(b))
	return err
}

// item returns item i (0-based, in paper order) of a generic paper.
func item(p map[string]any, i int) map[string]any {
	for _, s := range p["sections"].([]any) {
		items := s.(map[string]any)["items"].([]any)
		if i < len(items) {
			return items[i].(map[string]any)
		}
		i -= len(items)
	}
	panic("no such item")
}

func TestPaperValidation(t *testing.T) {
	tests := []struct {
		name string
		edit func(p map[string]any)
		want string
	}{
		{"answer not an option", func(p map[string]any) { item(p, 0)["answer"] = []any{"z"} }, `item q1: answer "z" is not an option`},
		{"single with two answers", func(p map[string]any) { item(p, 0)["answer"] = []any{"a", "b"} }, "item q1: answer has 2 options"},
		{"missing answer", func(p map[string]any) { delete(item(p, 1), "answer") }, "item q2: answer is missing"},
		{"duplicate id", func(p map[string]any) { item(p, 2)["id"] = "q1" }, "item q1: duplicate id"},
		{"zero points", func(p map[string]any) { item(p, 0)["points"] = 0 }, "item q1: points 0 is not positive"},
		{"negative points", func(p map[string]any) { item(p, 5)["points"] = -2 }, "item q6: points -2 is not positive"},
		{"third of a point", func(p map[string]any) { item(p, 5)["points"] = 0.3 }, "item q6: points 0.3"},
		{"rubric does not add up", func(p map[string]any) { item(p, 10)["points"] = 50 }, "item q11: rubric points add up to 60, not the item's points 50"},
		{"unknown type", func(p map[string]any) { item(p, 3)["type"] = "matching" }, `item q4: type "matching" is unknown`},
		{"bad partial policy", func(p map[string]any) { item(p, 3)["partial"] = "some" }, `item q4: partial "some"`},
		{"truefalse answer", func(p map[string]any) { item(p, 5)["answer"] = []any{"yes"} }, `item q6: answer "yes" is not "true" or "false"`},
		{"fill without accept", func(p map[string]any) { delete(item(p, 7), "accept") }, "item q8: accept is missing"},
		{"fill bad match", func(p map[string]any) { item(p, 7)["match"] = "fuzzy" }, `item q8: match "fuzzy"`},
		{"essay without rubric", func(p map[string]any) { delete(item(p, 9), "rubric") }, "item q10: rubric is missing"},
		{"empty stem", func(p map[string]any) { item(p, 4)["stem"] = "" }, "item q5: stem is empty"},
		{"repeated option", func(p map[string]any) {
			item(p, 0)["options"].([]any)[1].(map[string]any)["id"] = "a"
		}, `item q1: option 2 id "a" is empty or repeated`},
		{"bad level", func(p map[string]any) { p["level"] = "expert" }, `level "expert"`},
		{"wrong format", func(p map[string]any) { p["format"] = "onex-paper/9" }, `format "onex-paper/9"`},
		{"no duration", func(p map[string]any) { p["duration_minutes"] = 0 }, "duration_minutes 0"},
		{"unknown field", func(p map[string]any) { item(p, 0)["answers"] = []any{"b"} }, `unknown field "answers"`},
		{"wrong JSON type", func(p map[string]any) { item(p, 0)["points"] = "two" }, `field "sections.items.points"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := editPaper(t, tc.edit)
			if !errors.Is(err, exam.ErrInvalid) {
				t.Fatalf("err = %v, want ErrInvalid", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %q\nwant it to contain %q", err, tc.want)
			}
		})
	}
}

func TestPaperListsEveryProblem(t *testing.T) {
	err := editPaper(t, func(p map[string]any) {
		item(p, 0)["answer"] = []any{"z"}
		item(p, 10)["points"] = 50
	})
	var inv *exam.InvalidError
	if !errors.As(err, &inv) || len(inv.Problems) != 2 {
		t.Fatalf("err = %v, want two problems", err)
	}
}

func TestTruncatedPaperNamesTheOffset(t *testing.T) {
	full := sample(t, "paper-web-elementary.json")
	for _, n := range []int{0, 1, 100, len(full) / 2, len(full) - 3} {
		_, err := exam.ReadPaper(bytes.NewReader(full[:n]))
		if !errors.Is(err, exam.ErrInvalid) {
			t.Fatalf("truncated at %d: err = %v", n, err)
		}
		if n > 0 && !strings.Contains(err.Error(), "byte") {
			t.Errorf("truncated at %d: %q names no byte offset", n, err)
		}
	}
	_, err := exam.ReadPaper(strings.NewReader(`{"format": "onex-paper/1",, }`))
	if err == nil || !strings.Contains(err.Error(), "at byte 27") {
		t.Errorf("syntax error: %v", err)
	}
}

func FuzzReadPaper(f *testing.F) {
	f.Add(sample(f, "paper-web-elementary.json"))
	f.Add([]byte(`{"format":"onex-paper/1"}`))
	f.Add([]byte(`{"sections":[{"items":[{"id":"x","type":"fill","points":1,"stem":"s","accept":["\uff21"]}]}]}`))
	f.Add([]byte(`{"format":"onex-paper/1","id":"p","certificate":"C","level":"elementary","title":"t","duration_minutes":1,"sections":[{"title":"s","items":[` +
		`{"id":"e","type":"essay","points":4,"stem":"s","rubric":[{"criterion":"c","points":3},{"criterion":"d","points":1}],"marking":{"double":true,"tolerance":1,"step":0.5},"reference":"r"}]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := exam.ReadPaper(bytes.NewReader(data))
		if err != nil {
			if !errors.Is(err, exam.ErrInvalid) {
				t.Fatalf("error does not wrap ErrInvalid: %v", err)
			}
			return
		}
		// A valid paper scores, presents and never overpays.
		all := map[string]exam.Answer{}
		for _, it := range p.Items() {
			all[it.ID] = exam.Answer{Choices: it.Answer}
			if len(it.Accept) > 0 {
				all[it.ID] = exam.Answer{Text: it.Accept[0]}
			}
		}
		r, err := p.Score(all, nil, 60)
		if err != nil {
			t.Fatal(err)
		}
		if r.Total > r.Max || r.Max != p.TotalPoints() {
			t.Fatalf("total %v max %v paper %v", r.Total, r.Max, p.TotalPoints())
		}
		// Its marking rules take a first mark of zeros: final when single, a second asked for when double.
		for _, it := range p.Items() {
			if !it.Type.MarkedCentrally() {
				continue
			}
			r, err := it.Resolve(exam.Marking{Marks: [][]float64{make([]float64, len(it.Rubric))}})
			if err != nil || r.Done() == it.Rule().Double {
				t.Fatalf("item %s (%+v): a first mark of zeros: %+v, %v", it.ID, it.Rule(), r, err)
			}
		}
		if got := len(p.Present("s", "c").ItemIDs()); got != len(p.Items()) {
			t.Fatalf("presented %d of %d items", got, len(p.Items()))
		}
	})
}

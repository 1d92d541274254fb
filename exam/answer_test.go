package exam_test

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"pgregory.net/rapid"

	"onex/exam"
)

func TestCheckAnswer(t *testing.T) {
	p := samplePaper(t)
	item := func(id string) exam.Item { it, _ := p.Item(id); return it }
	long := strings.Repeat("字", 501)
	for _, tc := range []struct {
		item string
		ans  exam.Answer
		want string // "" accepts
	}{
		{"q1", exam.Answer{Choices: []string{"b"}}, ""},
		{"q1", exam.Answer{}, ""},
		{"q1", exam.Answer{Choices: []string{"z"}}, `"z" is not a choice`},
		{"q1", exam.Answer{Choices: []string{"a", "b"}}, "takes one"},
		{"q1", exam.Answer{Text: "b"}, "takes choices, not text"},
		{"q4", exam.Answer{Choices: []string{"a", "b", "d"}}, ""},
		{"q4", exam.Answer{Choices: []string{"a", "a"}}, "repeated"},
		{"q6", exam.Answer{Choices: []string{"true"}}, ""},
		{"q6", exam.Answer{Choices: []string{"yes"}}, `"yes" is not a choice`},
		{"q8", exam.Answer{Text: "ａｕｔｏ"}, ""},
		{"q8", exam.Answer{Text: long}, "at most 500"},
		{"q8", exam.Answer{Text: "a\x00b"}, "control character"},
		{"q8", exam.Answer{Text: "\xff"}, "not valid UTF-8"},
		{"q8", exam.Answer{Choices: []string{"a"}}, "takes text"},
		{"q10", exam.Answer{Text: "第一段\n第二段\t缩进"}, ""},
		{"q11", exam.Answer{Text: "done"}, "scored by the examiner"},
	} {
		_, err := item(tc.item).CheckAnswer(tc.ans)
		if tc.want == "" && err != nil || tc.want != "" && (!errors.Is(err, exam.ErrInvalid) || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%s %+v: err = %v, want %q", tc.item, tc.ans, err, tc.want)
		}
		if err != nil && !strings.HasPrefix(err.Error(), "item "+tc.item+": ") {
			t.Errorf("%s %+v: err = %v does not name the item", tc.item, tc.ans, err)
		}
	}
}

func TestCheckAnswers(t *testing.T) {
	p := samplePaper(t)
	for _, tc := range []struct {
		name    string
		answers map[string]exam.Answer
		want    []string // nil accepts
	}{
		{"none", nil, nil},
		{"good ones", map[string]exam.Answer{"q1": {Choices: []string{"b"}}, "q9": {Text: "４０４"}, "q10": {}}, nil},
		{"an item the paper lacks", map[string]exam.Answer{"q1": {Choices: []string{"b"}}, "q99": {Text: "x"}}, []string{"answer for item q99: the paper has no such item"}},
		{"every item at fault, in order", map[string]exam.Answer{"q8": {Text: "a\x00"}, "q1": {Choices: []string{"z"}}, "q11": {Text: "done"}}, []string{
			`item q1: "z" is not a choice of this item`,
			"item q11: a practical task is scored by the examiner; it takes no answer",
			"item q8: the text has a control character",
		}},
	} {
		err := p.CheckAnswers(tc.answers)
		if tc.want == nil {
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
			}
			continue
		}
		var ie *exam.InvalidError
		if !errors.Is(err, exam.ErrInvalid) || !errors.As(err, &ie) || !reflect.DeepEqual(ie.Problems, tc.want) {
			t.Errorf("%s: err = %v, want %q", tc.name, err, tc.want)
		}
	}
}

// FuzzCheckAnswer: a candidate's answer is outside input; what CheckAnswer
// accepts, exam scores without error.
func FuzzCheckAnswer(f *testing.F) {
	p := samplePaper(f)
	items := p.Items()
	f.Add(0, "b", "", "")
	f.Add(3, "a", "d", "")
	f.Add(7, "", "", "ＡＵＴＯ")
	f.Fuzz(func(t *testing.T, i int, c1, c2, text string) {
		it := items[(i%len(items)+len(items))%len(items)]
		var choices []string
		for _, c := range []string{c1, c2} {
			if c != "" {
				choices = append(choices, c)
			}
		}
		a, err := it.CheckAnswer(exam.Answer{Choices: choices, Text: text})
		if err != nil {
			return
		}
		if _, err := p.Score(map[string]exam.Answer{it.ID: a}, nil, 60); err != nil {
			t.Fatalf("accepted %+v for %s, which exam refuses: %v", a, it.ID, err)
		}
		if s := it.Score(a); s < 0 || s > it.Points {
			t.Fatalf("score %v outside 0..%v", s, it.Points)
		}
	})
}

// genItem draws an item of any type, with a few options for choice items
// and sometimes a max_chars for essays.
var genItem = rapid.Custom(func(t *rapid.T) exam.Item {
	it := exam.Item{ID: "q", Points: 2,
		Type: rapid.SampledFrom([]exam.ItemType{exam.Single, exam.Multiple, exam.TrueFalse, exam.Fill, exam.Essay, exam.Practical, "unknown"}).Draw(t, "type")}
	if it.Type == exam.Single || it.Type == exam.Multiple {
		for _, id := range rapid.SliceOfNDistinct(rapid.StringMatching(`[a-f]`), 2, 5, rapid.ID[string]).Draw(t, "options") {
			it.Options = append(it.Options, exam.Option{ID: id, Text: "option " + id})
		}
	}
	if it.Type == exam.Essay {
		it.MaxChars = rapid.IntRange(0, 5).Draw(t, "max_chars")
	}
	return it
})

// textLimit is the documented length limit of a text item's answer.
func textLimit(it exam.Item) int {
	switch {
	case it.Type == exam.Fill:
		return 500
	case it.MaxChars > 0:
		return it.MaxChars
	}
	return 20000
}

// genAnswer draws an answer to it that CheckAnswer may or may not accept:
// choices mostly among the item's options, some of them repeated or none of
// the item's; text that is empty, plain, any Unicode, about as long as the
// item's limit, or not UTF-8.
func genAnswer(it exam.Item) *rapid.Generator[exam.Answer] {
	words := []string{"true", "false", "true", "false", "z", ""}
	for _, o := range it.Options {
		words = append(words, o.ID, o.ID)
	}
	limit := textLimit(it)
	nearLimit := rapid.Custom(func(t *rapid.T) string {
		n := rapid.IntRange(max(0, limit-1), limit+1).Draw(t, "length")
		return strings.Repeat("字", n)
	})
	text := rapid.OneOf(
		nearLimit,
		nearLimit,
		rapid.StringMatching(`[a-z \n\t\x00\x1f\x7f字]{1,5}`),
		rapid.String(),
		rapid.Map(rapid.SliceOfN(rapid.Byte(), 1, 8), func(b []byte) string { return string(b) }),
	)
	return rapid.Custom(func(t *rapid.T) exam.Answer {
		var a exam.Answer
		// Mostly what the item takes, sometimes what it does not.
		kinds := []string{"text", "text", "text", "text", "text", "choices", "both", "empty"}
		if it.Type == exam.Single || it.Type == exam.Multiple || it.Type == exam.TrueFalse {
			kinds = []string{"choices", "choices", "choices", "choices", "choices", "text", "both", "empty"}
		}
		switch rapid.SampledFrom(kinds).Draw(t, "kind") {
		case "choices":
			a.Choices = rapid.SliceOfN(rapid.SampledFrom(words), 1, 4).Draw(t, "choices")
		case "text":
			a.Text = text.Draw(t, "text")
		case "both":
			a.Choices = rapid.SliceOfN(rapid.SampledFrom(words), 1, 4).Draw(t, "choices")
			a.Text = text.Draw(t, "text")
		}
		return a
	})
}

// TestCheckAnswerProperties: an answer CheckAnswer accepts is returned as it
// was given, and unchanged by a second CheckAnswer; every accepted choice is
// an option of the item (true or false for truefalse items), none twice, at
// most one for single and truefalse items; accepted text is only for text
// items, valid UTF-8 with no control character but newline and tab, within
// the limit; and what is accepted scores within the item's points.
func TestCheckAnswerProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		it := genItem.Draw(t, "item")
		given := genAnswer(it).Draw(t, "answer")
		got, err := it.CheckAnswer(given)
		if err != nil {
			if !errors.Is(err, exam.ErrInvalid) || !strings.HasPrefix(err.Error(), "item q: ") {
				t.Fatalf("refusal %v does not wrap ErrInvalid and name the item", err)
			}
			return
		}
		if !reflect.DeepEqual(got, given) {
			t.Fatalf("accepted %+v as %+v", given, got)
		}
		again, err := it.CheckAnswer(got)
		if err != nil || !reflect.DeepEqual(again, got) {
			t.Fatalf("accepted %+v, then CheckAnswer gives %+v, %v", got, again, err)
		}
		seen := map[string]bool{}
		for _, c := range got.Choices {
			isOption := slices.ContainsFunc(it.Options, func(o exam.Option) bool { return o.ID == c })
			if it.Type == exam.TrueFalse {
				isOption = c == "true" || c == "false"
			}
			if !isOption || seen[c] {
				t.Fatalf("accepted choice %q of %s item with options %+v (twice: %v)", c, it.Type, it.Options, seen[c])
			}
			seen[c] = true
		}
		switch it.Type {
		case exam.Single, exam.TrueFalse:
			if len(got.Choices) > 1 || got.Text != "" {
				t.Fatalf("accepted %+v for a %s item", got, it.Type)
			}
		case exam.Multiple:
			if got.Text != "" {
				t.Fatalf("accepted text for a multiple item")
			}
		case exam.Fill, exam.Essay:
			if len(got.Choices) > 0 || !utf8.ValidString(got.Text) {
				t.Fatalf("accepted %+v for a %s item", got, it.Type)
			}
			if strings.ContainsFunc(got.Text, func(r rune) bool { return r < 0x20 && r != '\n' && r != '\t' || r == 0x7f }) {
				t.Fatalf("accepted text %q with a control character", got.Text)
			}
			if n := utf8.RuneCountInString(got.Text); n > textLimit(it) {
				t.Fatalf("accepted %d characters for a %s item, limit %d", n, it.Type, textLimit(it))
			}
		default:
			t.Fatalf("accepted %+v for a %s item", got, it.Type)
		}
		if s := it.Score(got); s < 0 || s > it.Points {
			t.Fatalf("score %v outside 0..%v", s, it.Points)
		}
	})
}

func TestAnswered(t *testing.T) {
	for _, tc := range []struct {
		a    exam.Answer
		want bool
	}{
		{exam.Answer{}, false},
		{exam.Answer{Choices: []string{}}, false},
		{exam.Answer{Choices: []string{"a"}}, true},
		{exam.Answer{Text: "x"}, true},
		{exam.Answer{Text: " "}, true},
	} {
		if got := tc.a.Answered(); got != tc.want {
			t.Errorf("%+v.Answered() = %v, want %v", tc.a, got, tc.want)
		}
	}
}

package exam

import (
	"fmt"
	"maps"
	"slices"
	"unicode/utf8"
)

// Limits of candidates' text answers, in characters, where the paper sets none.
const (
	maxFillChars  = 500
	maxEssayChars = 20000
)

// Answered reports whether the answer says anything: a choice or some text.
// An empty answer is the same as no answer.
func (a Answer) Answered() bool { return len(a.Choices) > 0 || a.Text != "" || len(a.Files) > 0 }

// CheckAnswer checks a candidate's answer against the item and returns it in
// the form stored: choices must be options of the item (true or false for
// truefalse items), at most one for single and truefalse items, none
// repeated; text only for fill and essay items, valid UTF-8 without control
// characters but newline and tab, within its length (500 characters for a
// fill item, an essay's max_chars or else 20,000); files only for handin
// items, within the item's HandInLimits. Practical items take no
// answer. The empty answer is accepted for every other type. Errors wrap
// ErrInvalid and name the item.
func (it Item) CheckAnswer(a Answer) (Answer, error) {
	bad := func(format string, args ...any) (Answer, error) {
		return Answer{}, invalidf("item %s: %s", it.ID, fmt.Sprintf(format, args...))
	}
	if len(a.Files) > 0 && it.Type != HandIn {
		return bad("a %s item takes no files", it.Type)
	}
	switch it.Type {
	case Single, Multiple, TrueFalse:
		if a.Text != "" {
			return bad("a %s item takes choices, not text", it.Type)
		}
		if it.Type != Multiple && len(a.Choices) > 1 {
			return bad("%d choices for a %s item, which takes one", len(a.Choices), it.Type)
		}
		seen := map[string]bool{}
		for _, c := range a.Choices {
			ok := it.Type == TrueFalse && (c == "true" || c == "false") ||
				it.Type != TrueFalse && slices.ContainsFunc(it.Options, func(o Option) bool { return o.ID == c })
			if !ok {
				return bad("%q is not a choice of this item", c)
			}
			if seen[c] {
				return bad("choice %q is repeated", c)
			}
			seen[c] = true
		}
		return Answer{Choices: slices.Clone(a.Choices)}, nil
	case Fill, Essay:
		if len(a.Choices) > 0 {
			return bad("a %s item takes text, not choices", it.Type)
		}
		if !utf8.ValidString(a.Text) {
			return bad("the text is not valid UTF-8")
		}
		limit := maxFillChars
		if it.Type == Essay {
			limit = maxEssayChars
			if it.MaxChars > 0 {
				limit = it.MaxChars
			}
		}
		if n := utf8.RuneCountInString(a.Text); n > limit {
			return bad("the text has %d characters, at most %d", n, limit)
		}
		for _, r := range a.Text {
			if r < 0x20 && r != '\n' && r != '\t' || r == 0x7f {
				return bad("the text has a control character")
			}
		}
		return Answer{Text: a.Text}, nil
	case HandIn:
		return it.checkHandIn(a)
	case Practical:
		return bad("a practical task is scored by the examiner; it takes no answer")
	}
	return bad("type %q is unknown", it.Type)
}

// CheckAnswers checks a candidate's answers to the paper, by item id: each
// must be for an item of the paper and pass its CheckAnswer. The error
// wraps ErrInvalid and names every item at fault.
func (p *Paper) CheckAnswers(answers map[string]Answer) error {
	var pr problems
	for _, id := range slices.Sorted(maps.Keys(answers)) {
		it, ok := p.Item(id)
		if !ok {
			pr.addf("answer for item %s: the paper has no such item", id)
			continue
		}
		if _, err := it.CheckAnswer(answers[id]); err != nil {
			pr.addf("%v", err)
		}
	}
	return pr.err()
}

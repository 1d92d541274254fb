package exam

import (
	"fmt"
	"io"
	"math"
	"slices"
)

// PaperFormat is the format tag of a paper file.
const PaperFormat = "onex-paper/1"

// ItemType says how an item is answered and scored.
type ItemType string

// The item types of docs/paper-format.md.
const (
	Single    ItemType = "single"    // one option; full points or none
	Multiple  ItemType = "multiple"  // a set of options; see Partial
	TrueFalse ItemType = "truefalse" // "true" or "false"
	Fill      ItemType = "fill"      // a short text matched against Accept
	Essay     ItemType = "essay"     // free text marked by people against Rubric
	Practical ItemType = "practical" // a task scored on site by examiners against Rubric
	// HandIn (handin.go): files handed in from the work folder, marked by people against Rubric
)

// Objective reports whether items of this type are scored by the machine.
func (t ItemType) Objective() bool {
	return t == Single || t == Multiple || t == TrueFalse || t == Fill
}

// Partial-credit policies of multiple-choice items.
const (
	PartialNone          = "none"             // all correct options and no wrong one, or nothing
	PartialHalfIfNoWrong = "half-if-no-wrong" // a non-empty proper subset of the answer earns half
)

// Matching rules of fill items.
const (
	MatchExact      = "exact"      // byte for byte
	MatchNormalized = "normalized" // after Normalize: full-width folded, case folded, space trimmed
)

// Paper is an assessment paper (试卷) for one certificate level.
type Paper struct {
	Format          string    `json:"format"`
	ID              string    `json:"id"`
	Version         int       `json:"version,omitempty"`
	Certificate     string    `json:"certificate"`
	Level           Level     `json:"level"`
	Title           string    `json:"title"`
	DurationMinutes int       `json:"duration_minutes"`
	Instructions    string    `json:"instructions"`
	ShuffleItems    bool      `json:"shuffle_items"`
	ShuffleOptions  bool      `json:"shuffle_options"`
	Sections        []Section `json:"sections"`
}

// Section is a titled group of items; sections keep their order when items are shuffled.
type Section struct {
	Title string `json:"title"`
	Items []Item `json:"items"`
}

// Item is one question or task.
type Item struct {
	ID       string      `json:"id"`
	Type     ItemType    `json:"type"`
	Points   float64     `json:"points"`
	Stem     string      `json:"stem"`
	Options  []Option    `json:"options,omitempty"`
	Answer   []string    `json:"answer,omitempty"`
	Partial  string      `json:"partial,omitempty"`
	Accept   []string    `json:"accept,omitempty"`
	Match    string      `json:"match,omitempty"`
	MaxChars int         `json:"max_chars,omitempty"`
	Rubric   []Criterion `json:"rubric,omitempty"`
	// Hand-in items only (handin.go): at most MaxFiles files of MaxBytes
	// bytes together (0: the defaults), of the Extensions listed (none:
	// any).
	MaxFiles   int      `json:"max_files,omitempty"`
	MaxBytes   int64    `json:"max_bytes,omitempty"`
	Extensions []string `json:"extensions,omitempty"`
	// Items marked at central (ItemType.MarkedCentrally) only:
	Marking   *MarkingRule `json:"marking,omitempty"`   // nil: single marking in steps of DefaultStep
	Reference string       `json:"reference,omitempty"` // a reference answer shown to markers beside the rubric
}

// Option is one choice of a single or multiple item.
type Option struct {
	ID   string `json:"id"`
	Text string `json:"text"`
}

// Criterion is one line of an essay or practical item's rubric.
type Criterion struct {
	Criterion string  `json:"criterion"`
	Points    float64 `json:"points"`
}

// ReadPaper decodes and validates an onex-paper/1 document. A paper with any
// problem is refused whole: the error wraps ErrInvalid and names every item
// and field at fault, or the byte offset of a JSON error.
func ReadPaper(r io.Reader) (*Paper, error) {
	var p Paper
	if err := decodeStrict(r, &p); err != nil {
		return nil, fmt.Errorf("paper: %w", err)
	}
	if p.Version == 0 {
		p.Version = 1
	}
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("paper %s: %w", p.ID, err)
	}
	return &p, nil
}

// Validate checks every rule of docs/paper-format.md and returns an
// *InvalidError listing every problem, or nil.
func (p *Paper) Validate() error {
	var pr problems
	if p.Format != PaperFormat {
		pr.addf("format %q is not %q", p.Format, PaperFormat)
	}
	if p.ID == "" {
		pr.addf("id is empty")
	}
	if p.Version < 1 {
		pr.addf("version %d is not positive", p.Version)
	}
	if p.Certificate == "" {
		pr.addf("certificate is empty")
	}
	if !p.Level.Valid() {
		pr.addf("level %q is not elementary, intermediate or advanced", p.Level)
	}
	if p.Title == "" {
		pr.addf("title is empty")
	}
	if p.DurationMinutes <= 0 {
		pr.addf("duration_minutes %d is not positive", p.DurationMinutes)
	}
	if len(p.Sections) == 0 {
		pr.addf("sections is empty")
	}
	seen := map[string]bool{}
	for si, s := range p.Sections {
		if len(s.Items) == 0 {
			pr.addf("section %d (%s): items is empty", si+1, s.Title)
		}
		for ii, it := range s.Items {
			switch {
			case it.ID == "":
				pr.addf("section %d item %d: id is empty", si+1, ii+1)
				continue
			case seen[it.ID]:
				pr.addf("item %s: duplicate id", it.ID)
			}
			seen[it.ID] = true
			validateItem(&pr, it)
		}
	}
	return pr.err()
}

func validateItem(pr *problems, it Item) {
	at := func(format string, args ...any) {
		pr.addf("item %s: "+format, append([]any{it.ID}, args...)...)
	}
	if !validPoints(it.Points) {
		at("points %v is not positive (whole or half points)", it.Points)
	}
	if it.Stem == "" {
		at("stem is empty")
	}
	switch it.Type {
	case Single, Multiple:
		if len(it.Options) < 2 {
			at("options has %d entries, needs at least 2", len(it.Options))
		}
		opts := map[string]bool{}
		for i, o := range it.Options {
			if o.ID == "" || opts[o.ID] {
				at("option %d id %q is empty or repeated", i+1, o.ID)
			}
			if o.Text == "" {
				at("option %q text is empty", o.ID)
			}
			opts[o.ID] = true
		}
		validateAnswer(at, it, func(a string) bool { return opts[a] }, "is not an option")
		if it.Type == Single && len(it.Answer) > 1 {
			at("answer has %d options, a single item has one", len(it.Answer))
		}
		if it.Type == Multiple && it.Partial != PartialNone && it.Partial != PartialHalfIfNoWrong {
			at("partial %q is not %q or %q", it.Partial, PartialNone, PartialHalfIfNoWrong)
		}
	case TrueFalse:
		validateAnswer(at, it, func(a string) bool { return a == "true" || a == "false" }, `is not "true" or "false"`)
		if len(it.Answer) > 1 {
			at("answer has %d values, a truefalse item has one", len(it.Answer))
		}
	case Fill:
		if len(it.Accept) == 0 {
			at("accept is missing: a fill item needs at least one accepted answer")
		}
		for _, a := range it.Accept {
			if Normalize(a) == "" {
				at("accept has an empty answer")
			}
		}
		if it.Match != "" && it.Match != MatchExact && it.Match != MatchNormalized {
			at("match %q is not %q or %q", it.Match, MatchExact, MatchNormalized)
		}
	case Essay, Practical, HandIn:
		if it.Type == HandIn {
			validateHandIn(at, it)
		}
		if len(it.Rubric) == 0 {
			at("rubric is missing: a %s item is marked against a rubric", it.Type)
		}
		var sum float64
		for i, c := range it.Rubric {
			if c.Criterion == "" {
				at("rubric %d criterion is empty", i+1)
			}
			if !validPoints(c.Points) {
				at("rubric %d points %v is not positive (whole or half points)", i+1, c.Points)
			}
			sum += c.Points
		}
		if len(it.Rubric) > 0 && sum != it.Points {
			at("rubric points add up to %v, not the item's points %v", sum, it.Points)
		}
		if it.MaxChars < 0 {
			at("max_chars %d is negative", it.MaxChars)
		}
	default:
		at("type %q is unknown (single, multiple, truefalse, fill, essay, practical, handin)", it.Type)
		return
	}
	limitsOnOther(at, it)
	validateMarking(at, it)
}

func validateAnswer(at func(string, ...any), it Item, ok func(string) bool, notOK string) {
	if len(it.Answer) == 0 {
		at("answer is missing: a %s item is scored by its answer", it.Type)
	}
	seen := map[string]bool{}
	for _, a := range it.Answer {
		if !ok(a) {
			at("answer %q %s", a, notOK)
		}
		if seen[a] {
			at("answer %q is repeated", a)
		}
		seen[a] = true
	}
}

// validPoints reports whether v is a positive multiple of one half, which keeps
// every sum of points and half-credits exact in float64.
func validPoints(v float64) bool {
	return v > 0 && v <= 1e6 && math.Mod(v*2, 1) == 0
}

// Items returns every item in paper order.
func (p *Paper) Items() []Item {
	var items []Item
	for _, s := range p.Sections {
		items = append(items, s.Items...)
	}
	return items
}

// Item returns the item with the given id.
func (p *Paper) Item(id string) (Item, bool) {
	for _, s := range p.Sections {
		if i := slices.IndexFunc(s.Items, func(it Item) bool { return it.ID == id }); i >= 0 {
			return s.Items[i], true
		}
	}
	return Item{}, false
}

// TotalPoints is the sum of every item's points.
func (p *Paper) TotalPoints() float64 {
	var t float64
	for _, it := range p.Items() {
		t += it.Points
	}
	return t
}

package inspect

import (
	"fmt"
	"slices"
	"strings"
	"unicode"
)

// Kinds of a public source.
const (
	KindNumbers = "numbers" // a set of numbers (lottery balls): sorted, as RFC 3797 does
	KindText    = "text"    // a string (a beacon's randomness in hex): letters and digits kept
)

// Source announces, in the commitment, one future public value that will
// seed the draw: what it is, by name (the lottery and its draw number, or the
// beacon and its round), and its shape.
type Source struct {
	Count int    `json:"count"` // how many numbers (KindNumbers); 0 for KindText
	Kind  string `json:"kind"`
	Name  string `json:"name"` // e.g. "中国福利彩票双色球第2026140期红球" or "drand quicknet round 1234567 randomness"
}

// Limits on sources and values.
const (
	MaxSources    = 16
	MaxNumbers    = 64   // numbers in one source
	MaxDigits     = 30   // digits of one number, leading zeros not counted
	MaxTextLen    = 512  // characters of a text value as typed
	MaxSourceName = 200  // characters of a source's name
	maxTypedBytes = 4096 // bytes of one value as typed
)

func (s Source) problem() string {
	if p := textProblem(s.Name, false); p != "" {
		return "name " + p
	}
	switch s.Kind {
	case KindNumbers:
		if s.Count < 1 || s.Count > MaxNumbers {
			return fmt.Sprintf("count %d is not 1 to %d", s.Count, MaxNumbers)
		}
	case KindText:
		if s.Count != 0 {
			return "count must be 0 for a text source"
		}
	default:
		return fmt.Sprintf("kind %q is not %q or %q", s.Kind, KindNumbers, KindText)
	}
	return ""
}

// separator reports whether r separates numbers as typed: white space
// (including the ideographic space), commas, 、 and semicolons, half or full width.
func separator(r rune) bool {
	return unicode.IsSpace(r) || strings.ContainsRune(",，、;；", r)
}

// NormalValue is a public value as the transcript holds it: for a numbers
// source, its numbers in decimal without leading zeros, sorted ascending
// (by value), separated by single spaces; for a text source, its ASCII
// letters (upper-cased) and digits, everything else dropped. Full-width
// digits and letters count as their ASCII forms.
func NormalValue(s Source, typed string) (string, error) {
	bad := func(format string, args ...any) error {
		return &ValuesError{Name: s.Name, Msg: fmt.Sprintf(format, args...)}
	}
	if len(typed) > maxTypedBytes {
		return "", bad("longer than %d bytes", maxTypedBytes)
	}
	switch s.Kind {
	case KindNumbers:
		var nums []string
		for _, tok := range strings.FieldsFunc(typed, separator) {
			var d strings.Builder
			for _, r := range tok {
				r = halfWidth(r)
				if r < '0' || r > '9' {
					return "", bad("%q is not a whole number in decimal digits", tok)
				}
				d.WriteRune(r)
			}
			n := strings.TrimLeft(d.String(), "0")
			if n == "" {
				n = "0"
			}
			if len(n) > MaxDigits {
				return "", bad("%q has more than %d digits", tok, MaxDigits)
			}
			nums = append(nums, n)
			if len(nums) > s.Count {
				break
			}
		}
		if len(nums) > s.Count {
			return "", bad("more than %d numbers typed, the commitment announced %d", s.Count, s.Count)
		}
		if len(nums) < s.Count {
			return "", bad("%d numbers typed, the commitment announced %d", len(nums), s.Count)
		}
		slices.SortFunc(nums, func(a, b string) int {
			if len(a) != len(b) {
				return len(a) - len(b)
			}
			return strings.Compare(a, b)
		})
		return strings.Join(nums, " "), nil
	case KindText:
		if n := len([]rune(typed)); n > MaxTextLen {
			return "", bad("longer than %d characters", MaxTextLen)
		}
		var b strings.Builder
		for _, r := range typed {
			r = unicode.ToUpper(halfWidth(r))
			if (r >= '0' && r <= '9') || (r >= 'A' && r <= 'Z') {
				b.WriteRune(r)
			}
		}
		if b.Len() == 0 {
			return "", bad("no letters or digits")
		}
		return b.String(), nil
	}
	return "", bad("kind %q unknown", s.Kind)
}

// halfWidth maps full-width ASCII (U+FF01 to U+FF5E), as a Chinese input
// method may type it, to ASCII.
func halfWidth(r rune) rune {
	if r >= 0xFF01 && r <= 0xFF5E {
		return r - 0xFF01 + '!'
	}
	return r
}

// Key is RFC 3797's key string for the public values as typed, one per
// source in the commitment's order: each number of a numbers source in
// decimal followed by ".", the numbers sorted ascending; a text source's
// normal value followed by "."; each source ended by "/". It returns the values in normal
// form too (NormalValue), as the transcript holds them.
func Key(sources []Source, typed []string) (key string, normal []string, err error) {
	if len(typed) != len(sources) {
		return "", nil, &ValuesError{Source: -1, Msg: fmt.Sprintf("%d values typed, the commitment announced %d sources", len(typed), len(sources))}
	}
	var k strings.Builder
	normal = make([]string, len(sources))
	for i, s := range sources {
		v, err := NormalValue(s, typed[i])
		if err != nil {
			err.(*ValuesError).Source = i
			return "", nil, err
		}
		normal[i] = v
		if s.Kind == KindNumbers {
			for _, n := range strings.Split(v, " ") {
				k.WriteString(n)
				k.WriteByte('.')
			}
		} else {
			k.WriteString(v)
			k.WriteByte('.') // a value is ended by "." in the key, as RFC 3797's are
		}
		k.WriteByte('/')
	}
	return k.String(), normal, nil
}

package ui

import (
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	wire "onex/sync"
)

// TestEveryRefusalCodeIsTranslated reads the refusal codes from
// sync/PROTOCOL.md, the protocol's own list, and checks that each becomes
// words of the user's language, with none of central's English, while a
// code the site does not know shows central's words labelled as central's.
// The site used to put central's English inside a Chinese sentence
// ("中心拒绝了请求：enrolment code is not valid").
func TestEveryRefusalCodeIsTranslated(t *testing.T) {
	doc, err := os.ReadFile("../../sync/PROTOCOL.md")
	if err != nil {
		t.Fatal(err)
	}
	section := string(doc)[strings.Index(string(doc), "## Refusal codes"):]
	section = section[:strings.Index(section[3:], "\n## ")+3]
	var codes []string
	for _, m := range regexp.MustCompile("(?m)^\\| \\d{3} \\| `([a-z_]+)` \\|").FindAllStringSubmatch(section, -1) {
		codes = append(codes, m[1])
	}
	if len(codes) < 12 {
		t.Fatalf("only %d refusal codes in PROTOCOL.md: %v", len(codes), codes)
	}
	if len(refusalCodes) != len(codes) {
		t.Errorf("%d codes translated, %d in PROTOCOL.md", len(refusalCodes), len(codes))
	}
	defer UseLanguage(Chinese)
	for _, l := range Languages {
		UseLanguage(l)
		for _, code := range codes {
			english := "central's own words for " + code
			got := message(fmt.Errorf("enrolling: %w", &wire.StatusError{Status: 400, Problem: english, Code: code}))
			if !slices.Contains(refusalCodes, code) || strings.Contains(got, english) || strings.HasPrefix(got, "refusal.") {
				t.Errorf("%s: code %q reads %q", l, code, got)
			}
			if l == Chinese && !strings.ContainsFunc(got, func(r rune) bool { return r >= 0x4e00 && r <= 0x9fff }) {
				t.Errorf("code %q is not in Chinese: %q", code, got)
			}
		}
		for _, e := range []*wire.StatusError{{Status: 418, Problem: "I'm a teapot", Code: "teapot"}, {Status: 400, Problem: "something new"}} {
			got := message(e)
			if !strings.Contains(got, e.Problem) || !strings.Contains(got, fmt.Sprint(e.Status)) || !strings.Contains(got, tr("error.refused", args{"Status": e.Status, "Problem": e.Problem})) {
				t.Errorf("%s: unknown code %q reads %q", l, e.Code, got)
			}
		}
	}
	UseLanguage(Chinese)
	if got := message(&wire.StatusError{Status: 400, Problem: "x", Code: "teapot"}); !strings.HasPrefix(got, "中心拒绝了请求（HTTP 400）。中心的英文说明：x") {
		t.Errorf("an unknown code reads %q", got)
	}
}

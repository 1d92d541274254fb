package credential

import "testing"

// go test -run '^$' -bench . ./exam/credential

func BenchmarkIssue(b *testing.B) {
	f := newFixture(b)
	c := realistic()
	for b.Loop() {
		if _, err := f.issuer.IssueText(c); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerify: one credential text checked offline (Base45, COSE,
// signature, claims, key window) and its status looked up.
func BenchmarkVerify(b *testing.B) {
	f := newFixture(b)
	text, _ := f.issuer.IssueText(realistic())
	signed, _ := f.issuer.SignStatusList(NewStatusList(date(2026, 8, 1), 0))
	sl, err := OpenStatusList(signed, f.tl)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		c, err := VerifyText(text, f.tl)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := sl.Status(c.StatusIndex); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOpenStatusList(b *testing.B) {
	f := newFixture(b)
	signed, _ := f.issuer.SignStatusList(NewStatusList(date(2026, 8, 1), 0))
	for b.Loop() {
		if _, err := OpenStatusList(signed, f.tl); err != nil {
			b.Fatal(err)
		}
	}
}

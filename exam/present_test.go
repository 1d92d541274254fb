package exam_test

import (
	"fmt"
	"slices"
	"testing"
)

func TestPresentIsAStablePermutation(t *testing.T) {
	p := samplePaper(t)
	orders := map[string]bool{}
	for c := 0; c < 50; c++ {
		ticket := fmt.Sprintf("2026WEB01%04d", c)
		a := p.Present("S1", ticket)
		if b := p.Present("S1", ticket); fmt.Sprint(a) != fmt.Sprint(b) {
			t.Fatalf("%s: order changed between calls", ticket)
		}
		if len(a.Sections) != len(p.Sections) {
			t.Fatalf("sections = %d", len(a.Sections))
		}
		for si, s := range a.Sections {
			if s.Title != p.Sections[si].Title {
				t.Errorf("section %d moved", si)
			}
			var want, got []string
			for _, it := range p.Sections[si].Items {
				want = append(want, it.ID)
			}
			for _, pi := range s.Items {
				got = append(got, pi.ItemID)
				it, _ := p.Item(pi.ItemID)
				var opts []string
				for _, o := range it.Options {
					opts = append(opts, o.ID)
				}
				if !isPermutation(pi.Options, opts) {
					t.Fatalf("%s item %s options %v are not a permutation of %v", ticket, it.ID, pi.Options, opts)
				}
			}
			if !isPermutation(got, want) {
				t.Fatalf("%s section %d: %v is not a permutation of %v", ticket, si, got, want)
			}
		}
		orders[fmt.Sprint(a)] = true
	}
	if len(orders) < 45 {
		t.Errorf("only %d distinct orders for 50 candidates", len(orders))
	}
	if fmt.Sprint(p.Present("S1", "T")) == fmt.Sprint(p.Present("S2", "T")) {
		t.Error("same order in two sessions")
	}
}

func TestPresentKeepsOrderWithoutShuffle(t *testing.T) {
	p := samplePaper(t)
	p.ShuffleItems, p.ShuffleOptions = false, false
	var want []string
	for _, it := range p.Items() {
		want = append(want, it.ID)
	}
	pr := p.Present("S1", "T1")
	if !slices.Equal(pr.ItemIDs(), want) {
		t.Errorf("order = %v, want %v", pr.ItemIDs(), want)
	}
	if got := pr.Sections[0].Items[0].Options; !slices.Equal(got, []string{"a", "b", "c", "d"}) {
		t.Errorf("options = %v", got)
	}
}

// TestPresentFixedOrder pins the algorithm: a build that changed it would show
// resumed candidates a different order.
func TestPresentFixedOrder(t *testing.T) {
	p := samplePaper(t)
	got := fmt.Sprint(p.Present("S1", "2026WEB010001").Sections[0].Items)
	const want = "[{q2 [a b d c]} {q1 [d c b a]} {q3 [a d c b]}]"
	if got != want {
		t.Errorf("order = %s, want %s", got, want)
	}
}

func isPermutation(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

package inspect

import (
	"errors"
	"slices"
	"testing"
	"time"

	"pgregory.net/rapid"
)

// On random registers and plans, every draw that succeeds holds the rules:
// the number of sites the plan says, distinct sites of the register, each
// with exactly k distinct inspectors, none conflicted with it, none above
// the load cap; a failure is a *PlanError or *ShortError; and the draw
// verifies and is the same drawn twice.
func TestDrawRules(t *testing.T) {
	tries, drawn, over := 0, 0, 0
	defer func() {
		t.Logf("%d of %d random plans drawn, the rest refused by Commit; %d picks above the cap, each where conflicts left no choice", drawn, tries, over)
		if drawn*5 < tries {
			t.Errorf("only %d of %d random plans drawn: the property is nearly vacuous", drawn, tries)
		}
	}()
	rapid.Check(t, func(t *rapid.T) {
		tries++
		r := genRegisters(t)
		p := Plan{
			InspectorsPerSite: rapid.IntRange(2, 4).Draw(t, "k"),
			MinSites:          rapid.IntRange(1, 5).Draw(t, "min"),
			SharePercent:      rapid.IntRange(1, 100).Draw(t, "share"),
		}
		c, err := Commit(r, p, lottery, time.Unix(1_800_000_000, 0))
		if err != nil {
			var pe *PlanError
			var se *ShortError
			if !errors.As(err, &pe) && !errors.As(err, &se) {
				t.Fatalf("Commit: %v", err)
			}
			return
		}
		values := genValues(t)
		tr, err := Draw(r, c, values)
		if err != nil {
			t.Fatalf("a committed draw failed: %v", err)
		}
		n, _ := r.Normalize()
		sites := map[string]Site{}
		for _, s := range n.Sites {
			sites[s.Code] = s
		}
		ins := map[string]Inspector{}
		for _, in := range n.Inspectors {
			ins[in.ID] = in
		}
		if want := p.Sites(len(n.Sites)); len(tr.Draw) != want {
			t.Fatalf("drew %d sites, the plan says %d", len(tr.Draw), want)
		}
		if float64(len(tr.Draw)) < float64(len(n.Sites))*float64(p.SharePercent)/100 || len(tr.Draw) < p.MinSites {
			t.Fatalf("drew %d of %d sites, below %d%% or the minimum %d", len(tr.Draw), len(n.Sites), p.SharePercent, p.MinSites)
		}
		cap := p.Cap(len(tr.Draw), len(n.Inspectors))
		load := map[string]int{}
		seen := map[string]bool{}
		for _, a := range tr.Draw {
			s, ok := sites[a.Site]
			if !ok || seen[a.Site] {
				t.Fatalf("site %s unknown or drawn twice", a.Site)
			}
			seen[a.Site] = true
			if len(a.Inspectors) != p.InspectorsPerSite {
				t.Fatalf("site %s got %d inspectors", a.Site, len(a.Inspectors))
			}
			if len(slices.Compact(slices.Sorted(slices.Values(a.Inspectors)))) != len(a.Inspectors) {
				t.Fatalf("site %s got an inspector twice: %v", a.Site, a.Inspectors)
			}
			// least-loaded first: no picked inspector had a higher load
			// before this site than a free one left out
			top, freeBelowCap := -1, 0
			for _, id := range a.Inspectors {
				if Conflicted(ins[id], s) {
					t.Fatalf("inspector %s drawn for site %s, a conflict", id, a.Site)
				}
				top = max(top, load[id])
			}
			for _, in := range n.Inspectors {
				if Conflicted(in, s) {
					continue
				}
				if load[in.ID] < cap {
					freeBelowCap++
				}
				if !slices.Contains(a.Inspectors, in.ID) && load[in.ID] < top {
					t.Fatalf("site %s: %s (load %d) left out for one of load %d", a.Site, in.ID, load[in.ID], top)
				}
			}
			for _, id := range a.Inspectors {
				load[id]++
				if load[id] > cap {
					over++
					if freeBelowCap >= p.InspectorsPerSite {
						t.Fatalf("inspector %s drawn above the cap %d while %d free ones were below it", id, cap, freeBelowCap)
					}
				}
			}
		}
		if _, err := Verify(tr.Canonical(), r); err != nil {
			t.Fatalf("Verify: %v", err)
		}
		drawn++
		again, _ := Draw(r, c, values)
		if string(again.Canonical()) != string(tr.Canonical()) {
			t.Fatal("the same inputs gave another transcript")
		}
	})
}

// The load is spread: no inspector is drawn twice more than another free
// one could have been; with no conflicts at all, loads differ by at most 1.
func TestLoadSpread(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		var r Registers
		ns, ni := rapid.IntRange(2, 60).Draw(t, "sites"), rapid.IntRange(2, 30).Draw(t, "inspectors")
		for i := range ns {
			r.Sites = append(r.Sites, Site{Code: string(rune('A'+i/26)) + string(rune('a'+i%26)), Name: "s"})
		}
		for i := range ni {
			r.Inspectors = append(r.Inspectors, Inspector{ID: string(rune('A'+i/26)) + string(rune('a'+i%26)), Name: "i"})
		}
		p := Plan{InspectorsPerSite: 2, MinSites: 1, SharePercent: rapid.IntRange(1, 100).Draw(t, "share")}
		c, err := Commit(r, p, lottery, time.Unix(1_800_000_000, 0))
		if err != nil {
			t.Fatal(err)
		}
		tr, err := Draw(r, c, genValues(t))
		if err != nil {
			t.Fatal(err)
		}
		load := map[string]int{}
		for _, in := range r.Inspectors {
			load[in.ID] = 0
		}
		for _, a := range tr.Draw {
			for _, id := range a.Inspectors {
				load[id]++
			}
		}
		lo, hi := len(tr.Draw), 0
		for _, l := range load {
			lo, hi = min(lo, l), max(hi, l)
		}
		if hi-lo > 1 {
			t.Fatalf("loads from %d to %d with no conflicts", lo, hi)
		}
	})
}

// The stream's Uniform stays in range.
func TestUniform(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		var seed [32]byte
		copy(seed[:], rapid.SliceOfN(rapid.Byte(), 32, 32).Draw(t, "seed"))
		s := NewStream(seed)
		n := rapid.Uint64Range(1, 1<<40).Draw(t, "n")
		if v := s.Uniform(n); v >= n {
			t.Fatalf("Uniform(%d) = %d", n, v)
		}
	})
	// Each block gives four words, and Uniform(1) reads none.
	s := NewStream([32]byte{})
	s.Uniform(1)
	if s.Words != 0 {
		t.Error("Uniform(1) read a word")
	}
	for range 5 {
		s.Word()
	}
	if s.next != 2 {
		t.Errorf("5 words made %d blocks, want 2", s.next)
	}
}

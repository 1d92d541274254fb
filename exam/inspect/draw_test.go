package inspect

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestWorkedDraw(t *testing.T) {
	r, p, src, at, typed := worked()
	c, err := Commit(r, p, src, at)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := Draw(r, c, typed)
	if err != nil {
		t.Fatal(err)
	}
	if tr.Key != "7.12.19.23.28.33./9./" {
		t.Errorf("key %q", tr.Key)
	}
	if len(tr.Draw) != 2 {
		t.Fatalf("drew %d sites, the plan says ceil(5·40%%) = 2", len(tr.Draw))
	}
	again, err := Draw(r, c, []string{"33,28,23,19,12,7", "9"})
	if err != nil {
		t.Fatal(err)
	}
	if string(again.Canonical()) != string(tr.Canonical()) {
		t.Error("the same values typed otherwise gave another transcript")
	}
	if _, err := Verify(tr.Canonical(), r); err != nil {
		t.Fatalf("Verify refused a fresh transcript: %v", err)
	}
	t.Logf("%s", tr.Canonical())
}

func TestPlanSites(t *testing.T) {
	for _, c := range []struct {
		n, share, min, want int
	}{
		{100, 5, 1, 5}, {101, 5, 1, 6}, {10, 5, 1, 1}, {10, 5, 3, 3}, {0, 5, 1, 1}, {20, 100, 1, 20}, {19, 10, 1, 2},
	} {
		p := Plan{InspectorsPerSite: 2, MinSites: c.min, SharePercent: c.share}
		if got := p.Sites(c.n); got != c.want {
			t.Errorf("Sites(%d) with %d%%, min %d = %d, want %d", c.n, c.share, c.min, got, c.want)
		}
	}
	for _, c := range []struct{ k, d, m, want int }{{2, 5, 10, 1}, {2, 10, 3, 7}, {3, 100, 2000, 1}, {2, 10000, 2000, 10}} {
		if got := (Plan{InspectorsPerSite: c.k}).Cap(c.d, c.m); got != c.want {
			t.Errorf("Cap(k=%d, d=%d, m=%d) = %d, want %d", c.k, c.d, c.m, got, c.want)
		}
	}
}

func TestCommitRefuses(t *testing.T) {
	r, p, src, at, _ := worked()
	cases := []struct {
		name string
		edit func(*Registers, *Plan, *[]Source)
		want string
	}{
		{"share 0", func(_ *Registers, p *Plan, _ *[]Source) { p.SharePercent = 0 }, "share_percent 0"},
		{"share 101", func(_ *Registers, p *Plan, _ *[]Source) { p.SharePercent = 101 }, "share_percent 101"},
		{"one inspector per site", func(_ *Registers, p *Plan, _ *[]Source) { p.InspectorsPerSite = 1 }, "inspectors_per_site 1"},
		{"min sites 0", func(_ *Registers, p *Plan, _ *[]Source) { p.MinSites = 0 }, "min_sites 0"},
		{"more sites than the register", func(_ *Registers, p *Plan, _ *[]Source) { p.MinSites = 6 }, "draws 6 sites, the register holds 5"},
		{"a site short of unconflicted inspectors", func(_ *Registers, p *Plan, _ *[]Source) { p.InspectorsPerSite = 5 }, "site S04: needs 5 inspectors, only 4"},
		{"duplicate site", func(r *Registers, _ *Plan, _ *[]Source) { r.Sites[1].Code = "S01" }, "appears twice"},
		{"tie to an unknown site", func(r *Registers, _ *Plan, _ *[]Source) { r.Inspectors[0].Sites = []string{"S99"} }, "tied to site S99"},
		{"control character", func(r *Registers, _ *Plan, _ *[]Source) { r.Sites[0].Name = "a\tb" }, "control character"},
		{"no sources", func(_ *Registers, _ *Plan, s *[]Source) { *s = nil }, "0 sources"},
		{"text source with a count", func(_ *Registers, _ *Plan, s *[]Source) { *s = []Source{{Kind: KindText, Count: 2, Name: "x"}} }, "count must be 0"},
		{"unknown kind", func(_ *Registers, _ *Plan, s *[]Source) { *s = []Source{{Kind: "dice", Name: "x"}} }, `kind "dice"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r2, p2, s2 := clone(r), p, slices.Clone(src)
			c.edit(&r2, &p2, &s2)
			_, err := Commit(r2, p2, s2, at)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want an error with %q", err, c.want)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("%v does not wrap ErrInvalid", err)
			}
		})
	}
}

func clone(r Registers) Registers {
	out := Registers{}
	for _, s := range r.Sites {
		s.Orgs = slices.Clone(s.Orgs)
		out.Sites = append(out.Sites, s)
	}
	for _, in := range r.Inspectors {
		in.Orgs, in.Sites = slices.Clone(in.Orgs), slices.Clone(in.Sites)
		out.Inspectors = append(out.Inspectors, in)
	}
	return out
}

// One changed register entry gives another commitment, so another seed and
// (here) another draw, and that draw is valid in its own right.
func TestChangedEntryChangesDraw(t *testing.T) {
	r, p, src, at, typed := worked()
	c, _ := Commit(r, p, src, at)
	tr, err := Draw(r, c, typed)
	if err != nil {
		t.Fatal(err)
	}
	for _, edit := range []func(*Registers){
		func(r *Registers) { r.Sites[2].Name = "第三考点（新址）" },
		func(r *Registers) { r.Inspectors[5].Orgs = []string{"O5"} },
		func(r *Registers) { r.Inspectors = r.Inspectors[:5] },
	} {
		r2 := clone(r)
		edit(&r2)
		c2, err := Commit(r2, p, src, at)
		if err != nil {
			t.Fatal(err)
		}
		tr2, err := Draw(r2, c2, typed)
		if err != nil {
			t.Fatal(err)
		}
		if tr2.Seed == tr.Seed || tr2.Commitment.RegistersSHA256 == tr.Commitment.RegistersSHA256 {
			t.Error("a changed entry left the registers' hash or the seed as they were")
		}
		if slices.EqualFunc(tr.Draw, tr2.Draw, func(a, b Assignment) bool { return a.String() == b.String() }) {
			t.Errorf("a changed entry left the draw as it was: %v", tr2.Draw)
		}
		if _, err := Verify(tr2.Canonical(), r2); err != nil {
			t.Errorf("the new draw does not verify on the new registers: %v", err)
		}
		if _, err := Verify(tr.Canonical(), r2); !errors.Is(err, ErrRegistersMismatch) {
			t.Errorf("the old transcript on the new registers: %v, want ErrRegistersMismatch", err)
		}
		if _, err := Draw(r2, c, typed); !errors.Is(err, ErrRegistersMismatch) {
			t.Errorf("drawing the old commitment on the new registers: %v, want ErrRegistersMismatch", err)
		}
	}
}

// Commit makes the same commitment whatever the order of the entries and
// of their ties, and drops sub-second time.
func TestCommitCanonical(t *testing.T) {
	r, p, src, at, _ := worked()
	c1, _ := Commit(r, p, src, at)
	r2 := clone(r)
	slices.Reverse(r2.Sites)
	slices.Reverse(r2.Inspectors)
	r2.Inspectors[4].Orgs = []string{"O2", "O2"}      // I02, repeated
	r2.Sites[0].Orgs = append(r2.Sites[0].Orgs, "O2") // S05: O2 twice
	c2, _ := Commit(r2, p, src, at.Add(500*time.Millisecond).In(time.FixedZone("CST", 8*3600)))
	if string(c1.Canonical()) != string(c2.Canonical()) {
		t.Errorf("\n%s\n%s", c1.Canonical(), c2.Canonical())
	}
	r3 := clone(r)
	r3.Sites[0].Orgs = []string{"O1", "O1"}
	c3, _ := Commit(r3, p, src, at)
	if c3.RegistersSHA256 != c1.RegistersSHA256 {
		t.Error("a repeated organisation changed the registers' hash")
	}
}

// When conflicts leave a site fewer free inspectors below the load cap than
// it needs, the draw takes the least-loaded ones above it rather than fail.
func TestDrawAboveCapOnlyWhenNeeded(t *testing.T) {
	// Two sites of organisation O1 and two inspectors of it: each O1 site
	// has 2 free inspectors (I03, I04), cap = ceil(2·2/4) = 1, so the second
	// O1 site gets them both again, at load 2.
	r := Registers{
		Sites: []Site{{Code: "A", Name: "a", Orgs: []string{"O1"}}, {Code: "B", Name: "b", Orgs: []string{"O1"}}},
		Inspectors: []Inspector{
			{ID: "I01", Name: "x", Orgs: []string{"O1"}}, {ID: "I02", Name: "x", Orgs: []string{"O1"}},
			{ID: "I03", Name: "x"}, {ID: "I04", Name: "x"},
		},
	}
	p := Plan{InspectorsPerSite: 2, MinSites: 2, SharePercent: 100}
	c, err := Commit(r, p, lottery[1:2], time.Unix(1_800_000_000, 0))
	if err != nil {
		t.Fatal(err)
	}
	tr, err := Draw(r, c, []string{"5"})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range tr.Draw {
		if slices.Sorted(slices.Values(a.Inspectors))[0] != "I03" || len(a.Inspectors) != 2 {
			t.Errorf("%s, want I03 and I04", a)
		}
	}
}

func TestValuesRefused(t *testing.T) {
	for _, c := range []struct {
		typed []string
		want  string
	}{
		{[]string{"07 12 19 23 28", "09"}, "5 numbers typed, the commitment announced 6"},
		{[]string{"07 12 19 23 28 33 01", "09"}, "public value 1 (red): more than 6 numbers typed"},
		{[]string{"07 12 19 23 28 3.5", "09"}, `"3.5" is not a whole number`},
		{[]string{"07 12 19 23 28 -3", "09"}, `"-3"`},
		{[]string{"07 12 19 23 28 33"}, "public values: 1 values typed, the commitment announced 2 sources"},
		{[]string{"07 12 19 23 28 33", ""}, "0 numbers typed"},
		{[]string{"07 12 19 23 28 33", strings.Repeat("9", 31)}, "more than 30 digits"},
	} {
		_, _, err := Key(lottery[:2], c.typed)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: got %v, want %q", c.typed, err, c.want)
		}
	}
	if _, _, err := Key(lottery[2:], []string{"-- --"}); err == nil {
		t.Error("a text value with no letters or digits was taken")
	}
}

func TestKey(t *testing.T) {
	for _, c := range []struct {
		src   []Source
		typed []string
		key   string
		norm  []string
	}{
		{lottery[:2], []string{"33 07 12 19 23 28", "09"}, "7.12.19.23.28.33./9./", []string{"7 12 19 23 28 33", "9"}},
		{lottery[:2], []string{" ０７，１２、19;23\t28  33 ", "16"}, "7.12.19.23.28.33./16./", []string{"7 12 19 23 28 33", "16"}},
		{lottery[1:2], []string{"000"}, "0./", []string{"0"}},
		{lottery[2:], []string{"a3F-0c 9b"}, "A3F0C9B./", []string{"A3F0C9B"}},
		{[]Source{{Kind: KindNumbers, Count: 3, Name: "n"}}, []string{"100 99 1000"}, "99.100.1000./", []string{"99 100 1000"}},
	} {
		key, norm, err := Key(c.src, c.typed)
		if err != nil || key != c.key || !slices.Equal(norm, c.norm) {
			t.Errorf("%q: %q %q %v, want %q %q", c.typed, key, norm, err, c.key, c.norm)
		}
	}
}

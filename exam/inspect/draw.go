package inspect

import (
	"fmt"
	"strings"
)

// Plan is what a draw takes from the registers.
type Plan struct {
	InspectorsPerSite int `json:"inspectors_per_site"` // at least 2
	MinSites          int `json:"min_sites"`           // at least 1: sites drawn however small the share
	SharePercent      int `json:"share_percent"`       // 1 to 100: the share of the register's sites drawn, rounded up
}

// Limits on a plan and registers.
const (
	MaxInspectorsPerSite = 50
	MaxSites             = 1_000_000
	MaxInspectors        = 1_000_000
)

// Sites is the number of sites the plan draws from a register of n sites:
// the larger of ceil(n · SharePercent / 100) and MinSites.
func (p Plan) Sites(n int) int {
	k := (n*p.SharePercent + 99) / 100
	return max(k, p.MinSites)
}

// Cap is ceil(k · d / m), for k inspectors per site, d sites drawn and m
// inspectors: the draw takes the least-loaded free inspectors first, so no
// inspector is drawn for more sites than this unless conflicts leave a site
// fewer than k free inspectors below it (and with no conflicts, loads differ
// by at most one).
func (p Plan) Cap(drawn, inspectors int) int {
	if inspectors == 0 {
		return 0
	}
	return (p.InspectorsPerSite*drawn + inspectors - 1) / inspectors
}

func (p Plan) problem() string {
	switch {
	case p.SharePercent < 1 || p.SharePercent > 100:
		return fmt.Sprintf("share_percent %d is not 1 to 100", p.SharePercent)
	case p.MinSites < 1:
		return fmt.Sprintf("min_sites %d is below 1", p.MinSites)
	case p.InspectorsPerSite < 2 || p.InspectorsPerSite > MaxInspectorsPerSite:
		return fmt.Sprintf("inspectors_per_site %d is not 2 to %d", p.InspectorsPerSite, MaxInspectorsPerSite)
	}
	return ""
}

// Check says whether the plan can be drawn on the (normalised) registers:
// a valid plan, no more sites to draw than the register holds, and every
// site with at least InspectorsPerSite inspectors free of conflicts with it.
func (p Plan) Check(r Registers) error {
	if msg := p.problem(); msg != "" {
		return &PlanError{Msg: msg}
	}
	if len(r.Sites) > MaxSites || len(r.Inspectors) > MaxInspectors {
		return &PlanError{Msg: "registers larger than the limits"}
	}
	if n := p.Sites(len(r.Sites)); n > len(r.Sites) {
		return &PlanError{Msg: fmt.Sprintf("draws %d sites, the register holds %d", n, len(r.Sites))}
	}
	x := newIndex(r)
	for si, s := range r.Sites {
		if free := len(r.Inspectors) - x.mark(si); free < p.InspectorsPerSite {
			return &ShortError{Site: s.Code, Need: p.InspectorsPerSite, Unconflicted: free}
		}
	}
	return nil
}

// Assignment is one drawn site and its inspectors, in the order drawn.
type Assignment struct {
	Inspectors []string `json:"inspectors"`
	Site       string   `json:"site"`
}

// index finds the inspectors conflicted with a site quickly.
type index struct {
	r      Registers
	byOrg  map[string][]int
	bySite map[string][]int
	stamp  []int // stamp[i] == si+1 when inspector i is conflicted with site si (after mark(si))
}

func newIndex(r Registers) *index {
	x := &index{r: r, byOrg: map[string][]int{}, bySite: map[string][]int{}, stamp: make([]int, len(r.Inspectors))}
	for i, in := range r.Inspectors {
		for _, o := range in.Orgs {
			x.byOrg[o] = append(x.byOrg[o], i)
		}
		for _, s := range in.Sites {
			x.bySite[s] = append(x.bySite[s], i)
		}
	}
	return x
}

// mark stamps the inspectors conflicted with site si and returns how many.
func (x *index) mark(si int) int {
	n := 0
	set := func(i int) {
		if x.stamp[i] != si+1 {
			x.stamp[i] = si + 1
			n++
		}
	}
	s := x.r.Sites[si]
	for _, i := range x.bySite[s.Code] {
		set(i)
	}
	for _, o := range s.Orgs {
		for _, i := range x.byOrg[o] {
			set(i)
		}
	}
	return n
}

// drawOn is the draw itself (FORMAT.md, "The draw") on normalised registers
// and a checked plan.
func drawOn(r Registers, p Plan, seed [32]byte, trace func(string)) ([]Assignment, error) {
	st := NewStream(seed)
	st.trace = trace
	say := func(format string, args ...any) {
		if trace != nil {
			trace(fmt.Sprintf(format, args...))
		}
	}
	N := len(r.Sites)
	n := p.Sites(N)
	order := make([]int, N)
	for i := range order {
		order[i] = i
	}
	say("sites: %d in the register, %d to draw", N, n)
	for i := 0; i < n; i++ {
		j := i + int(st.Uniform(uint64(N-i)))
		order[i], order[j] = order[j], order[i]
		say("site position %d: swap with position %d; drawn: %s", i, j, r.Sites[order[i]].Code)
	}
	m := len(r.Inspectors)
	k := p.InspectorsPerSite
	limit := p.Cap(n, m)
	say("inspectors: %d, %d per site; each drawn for at most ceil(%d·%d/%d) = %d sites where conflicts allow", m, k, k, n, m, limit)
	load := make([]int, m)
	x := newIndex(r)
	out := make([]Assignment, n)
	free := make([]int, 0, m)
	bucket := make([]int, 0, m)
	for d := 0; d < n; d++ {
		si := order[d]
		conflicted := x.mark(si)
		free = free[:0]
		low := -1
		for i := 0; i < m; i++ {
			if x.stamp[i] != si+1 {
				free = append(free, i)
				if low < 0 || load[i] < low {
					low = load[i]
				}
			}
		}
		if len(free) < k { // Plan.Check has ruled this out
			return nil, &ShortError{Site: r.Sites[si].Code, Need: k, Unconflicted: len(free)}
		}
		if trace != nil {
			var l []string
			for _, i := range free {
				l = append(l, fmt.Sprintf("%s(load %d)", r.Inspectors[i].ID, load[i]))
			}
			say("site %s: %d conflicted; free: %s", r.Sites[si].Code, conflicted, strings.Join(l, " "))
		}
		picked := make([]int, 0, k)
		for level := low; len(picked) < k; {
			bucket = bucket[:0]
			next := -1 // the lowest load above level among the free: the next bucket
			for _, i := range free {
				switch l := load[i]; {
				case l == level:
					bucket = append(bucket, i)
				case l > level && (next < 0 || l < next):
					next = l
				}
			}
			need := k - len(picked)
			if trace != nil && len(bucket) > 0 {
				var l []string
				for _, i := range bucket {
					l = append(l, r.Inspectors[i].ID)
				}
				say("  load %d: %s; %d still needed", level, strings.Join(l, " "), need)
			}
			if len(bucket) > need {
				for b := 0; b < need; b++ {
					c := b + int(st.Uniform(uint64(len(bucket)-b)))
					bucket[b], bucket[c] = bucket[c], bucket[b]
				}
				bucket = bucket[:need]
			}
			picked = append(picked, bucket...)
			level = next
		}
		ids := make([]string, k)
		for j, i := range picked {
			ids[j] = r.Inspectors[i].ID
			load[i]++
		}
		out[d] = Assignment{Site: r.Sites[si].Code, Inspectors: ids}
		say("  drawn for %s", out[d])
	}
	return out, nil
}

// String is the assignment as one line: "S01: I03 I07".
func (a Assignment) String() string {
	return a.Site + ": " + strings.Join(a.Inspectors, " ")
}

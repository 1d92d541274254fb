package exam

import (
	"cmp"
	"crypto/sha256"
	"encoding/binary"
	"math"
	"slices"
)

// Moderation (抽样复核) of the practical scores examiners gave at a site:
// central's moderators re-score a sample of the site's candidates blind to
// the site's score, and a site whose scores differ beyond tolerance is
// flagged for the lead, who keeps the site's scores or adjusts them.

// SamplePolicy says how large a moderation sample is.
type SamplePolicy struct {
	Share    float64 // share of the group drawn at random, 0..1 (0.10)
	Min      int     // at least this many drawn at random, or the whole group if smaller (10)
	PassMark float64 // percent of the practical points; a candidate below it is a fail
	AllFails bool    // every fail is in the sample as well
	AllTops  bool    // every candidate with the group's highest score is in the sample as well
}

// DefaultSamplePolicy is the larger of 10% or 10 candidates, plus every fail
// and every top score, with the 1+X pass mark of 60%.
var DefaultSamplePolicy = SamplePolicy{Share: 0.10, Min: 10, PassMark: 60, AllFails: true, AllTops: true}

// Validate refuses a policy that cannot be applied.
func (p SamplePolicy) Validate() error {
	var pr problems
	if !(p.Share >= 0 && p.Share <= 1) {
		pr.addf("sample share %v is outside 0..1", p.Share)
	}
	if p.Min < 0 {
		pr.addf("sample minimum %d is negative", p.Min)
	}
	if !(p.PassMark >= 0 && p.PassMark <= 100) {
		pr.addf("pass mark %v is outside 0..100", p.PassMark)
	}
	return pr.err()
}

// SiteScore is one candidate's practical points as the site scored them.
type SiteScore struct {
	Ticket string
	Points float64 // the candidate's points on the practical items
	Max    float64 // the points those items are worth
}

// Why a candidate is in a moderation sample.
const (
	SampledRandom = "random"
	SampledFail   = "fail"
	SampledTop    = "top"
)

// Sampled is one candidate of a moderation sample and why it was drawn.
type Sampled struct {
	Ticket string
	Reason string // SampledFail, SampledTop or SampledRandom (a fail that is also a top is a fail)
}

// SampleSize is how many of a group of n are drawn at random: the larger of
// ceil(share·n) and min, and never more than n.
func (p SamplePolicy) SampleSize(n int) int {
	k := max(int(math.Ceil(p.Share*float64(n)-1e-9)), p.Min)
	return min(k, n)
}

// DrawSample draws the moderation sample of one group (a site's candidates in
// a session, or a whole session's): every fail and every top score when the
// policy asks for them, and SampleSize(len(scores)) more drawn at random from
// the rest (as many as there are). The draw is a pure function of the seed
// and the set of scores: each candidate is ranked by SHA-256(seed, ticket)
// and the lowest ranks are drawn, so anyone holding the recorded seed and the
// site's scores can re-run it and get the same sample, whatever the order of
// the scores. The result is in ticket order.
func DrawSample(scores []SiteScore, p SamplePolicy, seed []byte) []Sampled {
	top := math.Inf(-1)
	for _, s := range scores {
		top = max(top, s.Points)
	}
	var out []Sampled
	type ranked struct {
		ticket string
		rank   uint64
	}
	var rest []ranked
	for _, s := range scores {
		switch {
		case p.AllFails && s.Points*100 < p.PassMark*s.Max:
			out = append(out, Sampled{s.Ticket, SampledFail})
		case p.AllTops && s.Points == top:
			out = append(out, Sampled{s.Ticket, SampledTop})
		default:
			rest = append(rest, ranked{s.Ticket, sampleRank(seed, s.Ticket)})
		}
	}
	slices.SortFunc(rest, func(a, b ranked) int { return cmp.Or(cmp.Compare(a.rank, b.rank), cmp.Compare(a.ticket, b.ticket)) })
	for _, r := range rest[:min(p.SampleSize(len(scores)), len(rest))] {
		out = append(out, Sampled{r.ticket, SampledRandom})
	}
	slices.SortFunc(out, func(a, b Sampled) int { return cmp.Compare(a.Ticket, b.Ticket) })
	return out
}

func sampleRank(seed []byte, ticket string) uint64 {
	h := sha256.New()
	h.Write(seed)
	h.Write([]byte{0})
	h.Write([]byte(ticket))
	return binary.BigEndian.Uint64(h.Sum(nil))
}

// Rescore is one sampled candidate's item as the site scored it and as the
// moderator re-scored it, per rubric criterion.
type Rescore struct {
	Ticket    string
	Item      string
	Site      []float64
	Moderated []float64
	Tolerance float64 // the item's tolerance in points (its marking rule's)
}

// Difference is the moderated total minus the site's total of the item.
func (r Rescore) Difference() float64 { return rescoreTotal(r.Moderated) - rescoreTotal(r.Site) }

// Beyond reports whether the two totals differ by more than the tolerance.
func (r Rescore) Beyond() bool { return math.Abs(r.Difference()) > r.Tolerance+1e-9 }

// DefaultFlagShare is the share of a sample's re-scores beyond tolerance
// above which a site is flagged: more than one in five.
const DefaultFlagShare = 0.2

// Verdict is what moderation found of one group.
type Verdict struct {
	Rescored       int                // re-scores compared
	Beyond         int                // of them, beyond the item's tolerance
	Share          float64            // Beyond / Rescored (0 when nothing was re-scored)
	MeanDifference map[string]float64 // by item: the mean of moderated − site totals
	Flagged        bool               // Share > the flag share
}

// Judge compares a group's re-scores: the group is flagged when the share of
// re-scores beyond tolerance is more than flagShare.
func Judge(rs []Rescore, flagShare float64) Verdict {
	v := Verdict{Rescored: len(rs), MeanDifference: map[string]float64{}}
	n := map[string]int{}
	for _, r := range rs {
		if r.Beyond() {
			v.Beyond++
		}
		v.MeanDifference[r.Item] += r.Difference()
		n[r.Item]++
	}
	for id := range v.MeanDifference {
		v.MeanDifference[id] /= float64(n[id])
	}
	if v.Rescored > 0 {
		v.Share = float64(v.Beyond) / float64(v.Rescored)
	}
	v.Flagged = v.Share > flagShare
	return v
}

// How the lead settles a moderated group.
const (
	KeepSiteScores = "keep"   // the site's scores stand
	AdoptSample    = "sample" // the moderated scores replace the site's for the sampled candidates; the rest stand
	AdjustAll      = "all"    // AdoptSample, and every other candidate's criterion marks shift by the sample's mean difference
)

// ValidDecision reports whether d is one of the decisions above.
func ValidDecision(d string) bool {
	return d == KeepSiteScores || d == AdoptSample || d == AdjustAll
}

// Adjust returns the marks that replace the site's after the lead's
// decision: by ticket, by item, per criterion; candidates and items absent
// keep the site's marks. site holds every candidate's site marks of the
// moderated items, rs the re-scores. For AdjustAll, each criterion of an
// unsampled candidate moves by the mean of (moderated − site) over the
// sample's re-scores of that item and criterion, rounded to the nearest
// multiple of step (halves away from zero) and kept within 0..the
// criterion's points, so every adjusted mark passes CheckMarks. A zero or
// negative step is 0.5.
func Adjust(decision string, items map[string]Item, site map[string]Marks, rs []Rescore, step float64) map[string]Marks {
	out := map[string]Marks{}
	if decision != AdoptSample && decision != AdjustAll {
		return out
	}
	if step <= 0 {
		step = 0.5
	}
	sampled := map[string]bool{}
	shift := map[string][]float64{}
	count := map[string]int{}
	for _, r := range rs {
		if out[r.Ticket] == nil {
			out[r.Ticket] = Marks{}
		}
		out[r.Ticket][r.Item] = slices.Clone(r.Moderated)
		sampled[r.Ticket] = true
		if len(r.Site) != len(r.Moderated) {
			continue
		}
		if shift[r.Item] == nil {
			shift[r.Item] = make([]float64, len(r.Site))
		}
		if len(shift[r.Item]) != len(r.Site) {
			continue
		}
		for i := range r.Site {
			shift[r.Item][i] += r.Moderated[i] - r.Site[i]
		}
		count[r.Item]++
	}
	if decision != AdjustAll {
		return out
	}
	for ticket, ms := range site {
		if sampled[ticket] {
			continue
		}
		for id, m := range ms {
			it, ok := items[id]
			if !ok || count[id] == 0 || len(m) != len(it.Rubric) || len(m) != len(shift[id]) {
				continue
			}
			adj := make([]float64, len(m))
			for i, v := range m {
				d := shiftRound(shift[id][i]/float64(count[id]), step)
				adj[i] = min(max(v+d, 0), it.Rubric[i].Points)
			}
			if out[ticket] == nil {
				out[ticket] = Marks{}
			}
			out[ticket][id] = adj
		}
	}
	return out
}

// shiftRound rounds x to the nearest multiple of step, halves away from zero.
func shiftRound(x, step float64) float64 {
	return math.Round(x/step) * step
}

func rescoreTotal(v []float64) float64 {
	t := 0.0
	for _, x := range v {
		t += x
	}
	return t
}

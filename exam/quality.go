package exam

import (
	"cmp"
	"encoding/binary"
	"math"
	"slices"
)

// Quality control (质检) of markers: the figures a lead reads to see whether
// a marker marks like the others, like the known marks of control responses,
// and like themselves on a re-mark.

// What a given mark was for, as far as the figures care.
const (
	GivenLive    = "live"    // a mark that counts towards a script's final mark (first, second, third, arbitration)
	GivenControl = "control" // a mark on a control response with known marks
	GivenRemark  = "remark"  // a re-mark (回评) of the marker's own finished script; never counts
)

// Given is one mark a marker gave: item totals, not criteria.
type Given struct {
	Marker    string
	Script    string
	Kind      string  // GivenLive, GivenControl or GivenRemark
	Total     float64 // the marker's total for the item
	Max       float64 // the item's points
	Tolerance float64 // the item's tolerance in points
	Seconds   float64 // time spent on it
	Known     float64 // for a control: the known total
}

// MarkerFigures are one marker's quality-control figures. A figure whose
// count is 0 is 0 and means "nothing to say".
type MarkerFigures struct {
	Marker string
	Count  int     // live marks given
	Mean   float64 // mean live total as a share of the item's points, 0..1
	Spread float64 // standard deviation of the same shares (population)

	Paired      int     // live marks on a script another marker also marked live
	Agreement   float64 // of those, the share within the item's tolerance of the other marker
	MeanAbsDiff float64 // mean |own − other| in points over those pairs

	Controls       int     // control responses marked
	ControlBias    float64 // mean (own − known) in points: positive is lenient
	ControlAbsDiff float64 // mean |own − known|
	ControlWithin  float64 // share of controls within the item's tolerance of the known total

	Remarks        int     // re-marks of own scripts
	RemarkAbsDiff  float64 // mean |re-mark − first mark|
	RemarkConsists float64 // share of re-marks within tolerance of the marker's first mark

	MedianSeconds float64 // median time per response over every mark given
}

// Figures computes every marker's figures from the marks given, in marker
// order. A live mark is paired with every other marker's live mark on the
// same script (with double marking that is the other of the two, and the
// third marker against both); a re-mark is compared with the same marker's
// live mark on the script.
func Figures(given []Given) []MarkerFigures {
	byScript := map[string][]Given{}
	for _, g := range given {
		if g.Kind == GivenLive {
			byScript[g.Script] = append(byScript[g.Script], g)
		}
	}
	type acc struct {
		f       MarkerFigures
		shares  []float64
		seconds []float64
	}
	accs := map[string]*acc{}
	get := func(m string) *acc {
		if accs[m] == nil {
			accs[m] = &acc{f: MarkerFigures{Marker: m}}
		}
		return accs[m]
	}
	within := func(d, tol float64) float64 {
		if math.Abs(d) <= tol+1e-9 {
			return 1
		}
		return 0
	}
	for _, g := range given {
		a := get(g.Marker)
		f := &a.f
		a.seconds = append(a.seconds, g.Seconds)
		switch g.Kind {
		case GivenLive:
			f.Count++
			if g.Max > 0 {
				a.shares = append(a.shares, g.Total/g.Max)
			}
			for _, o := range byScript[g.Script] {
				if o.Marker == g.Marker {
					continue
				}
				d := g.Total - o.Total
				f.Paired++
				f.Agreement += within(d, g.Tolerance)
				f.MeanAbsDiff += math.Abs(d)
			}
		case GivenControl:
			d := g.Total - g.Known
			f.Controls++
			f.ControlBias += d
			f.ControlAbsDiff += math.Abs(d)
			f.ControlWithin += within(d, g.Tolerance)
		case GivenRemark:
			for _, o := range byScript[g.Script] {
				if o.Marker != g.Marker {
					continue
				}
				d := g.Total - o.Total
				f.Remarks++
				f.RemarkAbsDiff += math.Abs(d)
				f.RemarkConsists += within(d, g.Tolerance)
				break
			}
		}
	}
	out := make([]MarkerFigures, 0, len(accs))
	for _, a := range accs {
		f := a.f
		f.Mean, f.Spread = meanSpread(a.shares)
		per := func(x *float64, n int) {
			if n > 0 {
				*x /= float64(n)
			}
		}
		per(&f.Agreement, f.Paired)
		per(&f.MeanAbsDiff, f.Paired)
		per(&f.ControlBias, f.Controls)
		per(&f.ControlAbsDiff, f.Controls)
		per(&f.ControlWithin, f.Controls)
		per(&f.RemarkAbsDiff, f.Remarks)
		per(&f.RemarkConsists, f.Remarks)
		f.MedianSeconds = median(a.seconds)
		out = append(out, f)
	}
	slices.SortFunc(out, func(x, y MarkerFigures) int { return cmp.Compare(x.Marker, y.Marker) })
	return out
}

func meanSpread(v []float64) (mean, spread float64) {
	if len(v) == 0 {
		return 0, 0
	}
	for _, x := range v {
		mean += x
	}
	mean /= float64(len(v))
	for _, x := range v {
		spread += (x - mean) * (x - mean)
	}
	return mean, math.Sqrt(spread / float64(len(v)))
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if n := len(s); n%2 == 1 {
		return s[n/2]
	} else {
		return (s[n/2-1] + s[n/2]) / 2
	}
}

// ControlDue reports whether a marker's k-th hand-out (counting from 0) is
// a control response, at a rate of one in every n (n ≤ 0: never). Hand-outs
// fall in blocks of n, and exactly one in each block is a control, at a
// place drawn from SHA-256(seed, marker, block): the rate is exact over any
// n hand-outs in a block, yet a marker who knows the rate cannot tell which
// one it is. Deterministic for a seed, so it can be re-run and counted.
func ControlDue(seed []byte, marker string, k, n int) bool {
	if n <= 0 || k < 0 {
		return false
	}
	if n == 1 {
		return true
	}
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(k/n))
	return int(sampleRank(seed, marker+"\x00"+string(b[:]))%uint64(n)) == k%n
}

package credit_test

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"pgregory.net/rapid"

	"onex/exam"
	"onex/exam/credit"
)

// A small world, so that rules, outcomes and courses meet often.
var (
	pCerts    = []string{"WEB", "BIG", "NET"}
	pSchools  = []string{"S1", "S2"}
	pCourses  = []string{"C1", "C2", "C3", "C4"}
	pLearners = []string{"L1", "L2", "L3"}
	pDays     = []credit.Date{20240101, 20240601, 20250101, 20250601, 20260101, 20260601}
)

// world is how much of the small world one test case draws from: a small
// one makes clashes (two outcomes wanting one course) common.
type world struct{ certs, levels, schools, learners []string }

func genWorld(t *rapid.T) world {
	return world{
		certs:    pCerts[:rapid.IntRange(1, len(pCerts)).Draw(t, "certs")],
		levels:   []string{"intermediate", "advanced", "elementary"}[:rapid.IntRange(1, 3).Draw(t, "levels")],
		schools:  pSchools[:rapid.IntRange(1, len(pSchools)).Draw(t, "schools")],
		learners: pLearners[:rapid.IntRange(1, len(pLearners)).Draw(t, "learners")],
	}
}

func genRule(w world, id int) *rapid.Generator[credit.Rule] {
	return rapid.Custom(func(t *rapid.T) credit.Rule {
		from := rapid.SampledFrom(pDays).Draw(t, "from")
		var to credit.Date
		if rapid.Bool().Draw(t, "bounded") {
			to = rapid.SampledFrom(pDays).Filter(func(d credit.Date) bool { return d >= from }).Draw(t, "to")
		}
		c := rapid.SampledFrom(pCourses).Draw(t, "course")
		return credit.Rule{
			ID:          fmt.Sprintf("R%03d", id),
			Certificate: rapid.SampledFrom(w.certs).Draw(t, "cert"),
			Level:       exam.Level(rapid.SampledFrom(w.levels).Draw(t, "level")),
			MinScore:    credit.Score(rapid.SampledFrom([]int{0, 6000, 8000}).Draw(t, "min")),
			School:      rapid.SampledFrom(w.schools).Draw(t, "school"),
			Course:      c,
			CourseName:  "课程" + c,
			Credits:     credit.Credits(50 * rapid.IntRange(1, 10).Draw(t, "credits")),
			ValidFrom:   from,
			ValidTo:     to,
		}
	})
}

// genRules draws rules one by one, keeping those the set accepts (an
// overlapping window of the same source and target is refused).
func genRules(t *rapid.T, w world) *credit.RuleSet {
	rs := &credit.RuleSet{Format: credit.RulesFormat, Version: rapid.IntRange(1, 9).Draw(t, "version")}
	n := rapid.IntRange(1, 14).Draw(t, "rules")
	for i := range n {
		r := genRule(w, i).Draw(t, "rule")
		rs.Rules = append(rs.Rules, r)
		if rs.Check() != nil {
			rs.Rules = rs.Rules[:len(rs.Rules)-1]
		}
	}
	return rs
}

func genOutcomes(t *rapid.T, w world) []credit.Outcome {
	var out []credit.Outcome
	n := rapid.IntRange(0, 10).Draw(t, "outcomes")
	for i := range n {
		l := rapid.SampledFrom(w.learners).Draw(t, "learner")
		d := rapid.SampledFrom(pDays).Draw(t, "date") + credit.Date(rapid.IntRange(0, 20).Draw(t, "day"))
		if rapid.IntRange(0, 4).Draw(t, "kind") == 0 {
			c := rapid.SampledFrom(pCourses).Draw(t, "course")
			out = append(out, credit.Outcome{Learner: l, Kind: credit.KindCourse, School: rapid.SampledFrom(w.schools).Draw(t, "school"),
				Course: c, CourseName: "课程" + c, Credits: 200, Score: 7000, Date: d})
			continue
		}
		out = append(out, credit.Outcome{Learner: l, Kind: credit.KindCertificate, Number: fmt.Sprintf("N%02d", i),
			Certificate: rapid.SampledFrom(w.certs).Draw(t, "cert"), Level: exam.Level(rapid.SampledFrom(w.levels).Draw(t, "level")),
			Score: credit.Score(100 * rapid.IntRange(50, 100).Draw(t, "score")), Date: d})
	}
	return out
}

// genInput draws rules, outcomes, a day, and some granted conversions taken
// from an earlier conversion of the same outcomes (as approvals would be).
func genInput(t *rapid.T) (credit.Input, world) {
	w := genWorld(t)
	in := credit.Input{Rules: genRules(t, w), Outcomes: genOutcomes(t, w)}
	if rapid.Bool().Draw(t, "as of") {
		in.AsOf = rapid.SampledFrom(pDays).Draw(t, "as of day")
	}
	for _, c := range credit.Convert(in).Conversions {
		if rapid.IntRange(0, 3).Draw(t, "grant") == 0 {
			in.Granted = append(in.Granted, c)
		}
	}
	return in, w
}

type group struct{ learner, school string }

func groups(res credit.Result) map[group][]credit.Conversion {
	m := map[group][]credit.Conversion{}
	for _, c := range res.Conversions {
		k := group{c.Learner, c.School}
		m[k] = append(m[k], c)
	}
	return m
}

func credits(cs []credit.Conversion) credit.Credits {
	var sum credit.Credits
	for _, c := range cs {
		sum += c.Credits
	}
	return sum
}

// TestPropertyNoCreditTwice: one outcome is credited at most once at one
// school, one course at most once to one learner, never a course the
// learner passed there (unless granted before).
func TestPropertyNoCreditTwice(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		in, _ := genInput(t)
		res := credit.Convert(in)
		atSchool, course := map[string]bool{}, map[string]bool{}
		passed := map[string]bool{}
		for _, o := range in.Outcomes {
			if o.Kind == credit.KindCourse {
				passed[o.Learner+"|"+o.School+"|"+o.Course] = true
			}
		}
		for _, c := range res.Conversions {
			k1, k2 := c.Learner+"|"+c.Outcome+"|"+c.School, c.Learner+"|"+c.School+"|"+c.Course
			if atSchool[k1] {
				t.Fatalf("outcome %s of %s credited twice at %s", c.Outcome, c.Learner, c.School)
			}
			if course[k2] {
				t.Fatalf("course %s/%s credited twice to %s", c.School, c.Course, c.Learner)
			}
			if passed[k2] && !c.Granted {
				t.Fatalf("course %s/%s passed by %s, credited again", c.School, c.Course, c.Learner)
			}
			atSchool[k1], course[k2] = true, true
		}
	})
}

// TestPropertyJustified: every new conversion is a rule of the set that
// admits the outcome (certificate, level, minimum score, the outcome's date
// in the window), dated no later than the day of the conversion; every
// granted conversion given stands.
func TestPropertyJustified(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		in, _ := genInput(t)
		res := credit.Convert(in)
		byKey := map[string]credit.Outcome{}
		for _, o := range in.Outcomes {
			byKey[o.Learner+"|"+o.Key()] = o
		}
		for _, c := range res.Conversions {
			if c.Granted {
				continue
			}
			o, ok := byKey[c.Learner+"|"+c.Outcome]
			if !ok {
				t.Fatalf("conversion of an outcome not given: %+v", c)
			}
			i := slices.IndexFunc(in.Rules.Rules, func(r credit.Rule) bool { return r.ID == c.Rule })
			if i < 0 || c.RuleSet != in.Rules.Version {
				t.Fatalf("conversion by no rule of the set: %+v", c)
			}
			r := in.Rules.Rules[i]
			if !r.Admits(o) || r.School != c.School || r.Course != c.Course || r.Credits != c.Credits {
				t.Fatalf("rule %+v does not give %+v", r, c)
			}
			if in.AsOf != credit.NoDate && o.Date > in.AsOf {
				t.Fatalf("outcome dated %s converted as of %s", o.Date, in.AsOf)
			}
		}
		for _, g := range in.Granted {
			g.Granted = true
			if !slices.Contains(res.Conversions, g) {
				t.Fatalf("granted %+v is gone", g)
			}
		}
	})
}

// TestPropertyDeterministic: shuffled outcomes, rules and granted
// conversions give the same result.
func TestPropertyDeterministic(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		in, _ := genInput(t)
		want := credit.Convert(in)
		seed := rapid.Uint64().Draw(t, "seed")
		rnd := rand.New(rand.NewPCG(seed, seed))
		shuf := in
		rs := *in.Rules
		rs.Rules = slices.Clone(rs.Rules)
		shuf.Rules, shuf.Outcomes, shuf.Granted = &rs, slices.Clone(in.Outcomes), slices.Clone(in.Granted)
		rnd.Shuffle(len(rs.Rules), func(i, j int) { rs.Rules[i], rs.Rules[j] = rs.Rules[j], rs.Rules[i] })
		rnd.Shuffle(len(shuf.Outcomes), func(i, j int) { shuf.Outcomes[i], shuf.Outcomes[j] = shuf.Outcomes[j], shuf.Outcomes[i] })
		rnd.Shuffle(len(shuf.Granted), func(i, j int) { shuf.Granted[i], shuf.Granted[j] = shuf.Granted[j], shuf.Granted[i] })
		got := credit.Convert(shuf)
		if !slices.Equal(got.Conversions, want.Conversions) || !slices.Equal(got.Unconverted, want.Unconverted) {
			t.Fatalf("shuffled input converts differently:\n%v\n%v", short(got), short(want))
		}
	})
}

// TestPropertyMostCredits: each learner's new credits at each school are
// the most any choice of the rules' offers gives (by brute force), and
// every certificate outcome either converts or has one note.
func TestPropertyMostCredits(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		in, _ := genInput(t)
		in.Granted = nil
		res := credit.Convert(in)
		got := groups(res)
		type offer struct {
			outcome, course string
			credits         credit.Credits
		}
		offers := map[group][]offer{}
		passed := map[string]bool{}
		for _, o := range in.Outcomes {
			if o.Kind == credit.KindCourse {
				passed[o.Learner+"|"+o.School+"|"+o.Course] = true
			}
		}
		for _, o := range in.Outcomes {
			if in.AsOf != credit.NoDate && o.Date > in.AsOf {
				continue
			}
			for _, r := range in.Rules.Rules {
				if r.Admits(o) && !passed[o.Learner+"|"+r.School+"|"+r.Course] {
					k := group{o.Learner, r.School}
					offers[k] = append(offers[k], offer{o.Key(), r.Course, r.Credits})
				}
			}
		}
		var best func(os []offer, usedO, usedC map[string]bool) credit.Credits
		best = func(os []offer, usedO, usedC map[string]bool) credit.Credits {
			if len(os) == 0 {
				return 0
			}
			b := best(os[1:], usedO, usedC)
			o := os[0]
			if !usedO[o.outcome] && !usedC[o.course] {
				usedO[o.outcome], usedC[o.course] = true, true
				b = max(b, o.credits+best(os[1:], usedO, usedC))
				usedO[o.outcome], usedC[o.course] = false, false
			}
			return b
		}
		for k, os := range offers {
			want := best(os, map[string]bool{}, map[string]bool{})
			if credits(got[k]) != want {
				t.Fatalf("%v: %v credits, the most is %v; offers %v, got %v", k, credits(got[k]), want, os, short(res))
			}
			// Which choice: of the tiers of one outcome and course the most
			// credits; offers ranked by credits (more first), outcome key,
			// course; the first choice with the most credits when choices are
			// listed taking each offer before leaving it out.
			slices.SortFunc(os, func(a, b offer) int {
				return cmp.Or(cmp.Compare(a.outcome, b.outcome), cmp.Compare(a.course, b.course), cmp.Compare(b.credits, a.credits))
			})
			os = slices.CompactFunc(os, func(a, b offer) bool { return a.outcome == b.outcome && a.course == b.course })
			slices.SortFunc(os, func(a, b offer) int {
				return cmp.Or(cmp.Compare(b.credits, a.credits), cmp.Compare(a.outcome, b.outcome), cmp.Compare(a.course, b.course))
			})
			var first []offer
			var walk func(i int, chosen []offer, usedO, usedC map[string]bool, sum credit.Credits) bool
			walk = func(i int, chosen []offer, usedO, usedC map[string]bool, sum credit.Credits) bool {
				if i == len(os) {
					if sum == want {
						first = slices.Clone(chosen)
						return true
					}
					return false
				}
				o := os[i]
				if !usedO[o.outcome] && !usedC[o.course] {
					usedO[o.outcome], usedC[o.course] = true, true
					found := walk(i+1, append(chosen, o), usedO, usedC, sum+o.credits)
					usedO[o.outcome], usedC[o.course] = false, false
					if found {
						return true
					}
				}
				return walk(i+1, chosen, usedO, usedC, sum)
			}
			walk(0, nil, map[string]bool{}, map[string]bool{}, 0)
			var chose []offer
			for _, c := range got[k] {
				chose = append(chose, offer{c.Outcome, c.Course, c.Credits})
			}
			slices.SortFunc(first, func(a, b offer) int { return cmp.Compare(a.course, b.course) })
			if !slices.Equal(chose, first) {
				t.Fatalf("%v: chose %v, the preference order gives %v (offers %v)", k, chose, first, os)
			}
		}
		converted := map[string]int{}
		for _, c := range res.Conversions {
			converted[c.Learner+"|"+c.Outcome]++
		}
		for _, n := range res.Unconverted {
			if converted[n.Learner+"|"+n.Outcome] > 0 {
				t.Fatalf("note for a converted outcome: %+v", n)
			}
			converted[n.Learner+"|"+n.Outcome] = -1
		}
		for _, o := range in.Outcomes {
			if o.Kind == credit.KindCertificate && converted[o.Learner+"|"+o.Key()] == 0 {
				t.Fatalf("outcome %s of %s neither converts nor has a note", o.Key(), o.Learner)
			}
		}
	})
}

// TestPropertyAddRule: adding a rule changes the conversions only of a
// learner at the new rule's school, only when the new rule gives one of
// them, and never lowers that learner's credits there.
func TestPropertyAddRule(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		in, w := genInput(t)
		before := groups(credit.Convert(in))
		rs := *in.Rules
		rs.Rules = append(slices.Clone(rs.Rules), genRule(w, 999).Draw(t, "new rule"))
		if rs.Check() != nil {
			t.Skip("the new rule overlaps one of the set")
		}
		added := rs.Rules[len(rs.Rules)-1]
		in.Rules = &rs
		after := groups(credit.Convert(in))
		for _, k := range keys(before, after) {
			b, a := before[k], after[k]
			usesNew := slices.ContainsFunc(a, func(c credit.Conversion) bool { return c.Rule == added.ID && !c.Granted })
			if !usesNew && !slices.Equal(a, b) {
				t.Fatalf("%v changed without the new rule:\nbefore %+v\nafter  %+v", k, b, a)
			}
			if usesNew && k.school != added.School {
				t.Fatalf("the new rule of school %s converted at %s", added.School, k.school)
			}
			if credits(a) < credits(b) {
				t.Fatalf("%v: credits fell from %v to %v", k, credits(b), credits(a))
			}
		}
	})
}

func keys(ms ...map[group][]credit.Conversion) []group {
	var out []group
	seen := map[group]bool{}
	for _, m := range ms {
		for k := range m {
			if !seen[k] {
				seen[k] = true
				out = append(out, k)
			}
		}
	}
	return out
}

// TestPropertyWindow: an outcome converts by a rule only on days of the
// rule's window: moved a day out of every window, it converts by none.
func TestPropertyWindow(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		rs := genRules(t, genWorld(t))
		r := rapid.SampledFrom(rs.Rules).Draw(t, "rule")
		o := credit.Outcome{Learner: "L1", Kind: credit.KindCertificate, Number: "N1", Certificate: r.Certificate, Level: r.Level, Score: 10000}
		in := credit.Input{Rules: rs, Outcomes: []credit.Outcome{o}}
		for _, day := range []credit.Date{r.ValidFrom, r.ValidTo} {
			if day == credit.NoDate {
				continue
			}
			in.Outcomes[0].Date = day
			if !slices.ContainsFunc(credit.Convert(in).Conversions, func(c credit.Conversion) bool { return c.School == r.School }) {
				t.Fatalf("outcome on %s, the end of rule %s's window, converts nowhere at %s", day, r.ID, r.School)
			}
		}
		in.Outcomes[0].Date = 20230101 // before every window drawn
		if res := credit.Convert(in); len(res.Conversions) != 0 || res.Unconverted[0].Reason != credit.ReasonWindow {
			t.Fatalf("outcome before every window: %v", short(res))
		}
	})
}

// TestPropertyPreviews: a learner's preview is the learner's part of the
// whole conversion; a school's is the sum of the whole conversion at it.
func TestPropertyPreviews(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		in, _ := genInput(t)
		all := credit.Convert(in)
		for _, l := range pLearners {
			p := credit.PreviewLearner(in, l)
			want := slices.DeleteFunc(slices.Clone(all.Conversions), func(c credit.Conversion) bool { return c.Learner != l })
			if !slices.Equal(p.Conversions, want) {
				t.Fatalf("learner %s preview %v, want %v", l, p.Conversions, want)
			}
		}
		for _, s := range pSchools {
			p := credit.PreviewSchool(in, s)
			var n, g credit.Credits
			learners := map[string]bool{}
			for _, c := range all.Conversions {
				switch {
				case c.School != s:
				case c.Granted:
					g += c.Credits
				default:
					n += c.Credits
					learners[c.Learner] = true
				}
			}
			if p.NewCredits != n || p.GrantedCredits != g || p.Learners != len(learners) {
				t.Fatalf("school %s preview %+v, want new %v granted %v learners %d", s, p, n, g, len(learners))
			}
		}
	})
}

// TestPropertyRulesRoundTrip: a rule set written with encoding/json reads
// back the same with ReadRules (the office can export what it imported).
func TestPropertyRulesRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		rs := genRules(t, genWorld(t))
		rs.Name = rapid.SampledFrom([]string{"", "2026 年学分转换规则"}).Draw(t, "name")
		b, err := json.MarshalIndent(rs, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		back, err := credit.ReadRules("rt.json", bytes.NewReader(b))
		if err != nil {
			t.Fatalf("%v\n%s", err, b)
		}
		if back.Version != rs.Version || back.Name != rs.Name || !slices.Equal(back.Rules, rs.Rules) {
			t.Fatalf("read back %+v, wrote %+v", back, rs)
		}
	})
}

package credit

import (
	"cmp"
	"slices"
)

// LearnerPreview is what would convert for one learner: every conversion
// in force (granted and new) and the certificates that convert to nothing.
type LearnerPreview struct {
	Learner        string       `json:"learner"`
	Conversions    []Conversion `json:"conversions"`
	Unconverted    []Note       `json:"unconverted"`
	NewCredits     Credits      `json:"new_credits"`     // the new conversions' credits, over all schools
	GrantedCredits Credits      `json:"granted_credits"` // the granted ones'
}

// PreviewLearner converts one learner's outcomes: in.Outcomes and
// in.Granted may hold other learners', which it leaves out.
func PreviewLearner(in Input, learner string) LearnerPreview {
	sub := in
	sub.Outcomes = slices.DeleteFunc(slices.Clone(in.Outcomes), func(o Outcome) bool { return o.Learner != learner })
	sub.Granted = slices.DeleteFunc(slices.Clone(in.Granted), func(c Conversion) bool { return c.Learner != learner })
	res := Convert(sub)
	p := LearnerPreview{Learner: learner, Conversions: res.Conversions, Unconverted: res.Unconverted}
	for _, c := range res.Conversions {
		if c.Granted {
			p.GrantedCredits += c.Credits
		} else {
			p.NewCredits += c.Credits
		}
	}
	return p
}

// CourseTotal is one course of a school in a school's preview.
type CourseTotal struct {
	Course         string  `json:"course"`
	CourseName     string  `json:"course_name"`
	New            int     `json:"new"`     // learners it would be credited to now
	Granted        int     `json:"granted"` // learners it is credited to already
	NewCredits     Credits `json:"new_credits"`
	GrantedCredits Credits `json:"granted_credits"`
}

// SchoolPreview is what would convert at one school, over every learner.
type SchoolPreview struct {
	School         string        `json:"school"`
	Courses        []CourseTotal `json:"courses"`  // by course code
	Learners       int           `json:"learners"` // with a new conversion at the school
	NewCredits     Credits       `json:"new_credits"`
	GrantedCredits Credits       `json:"granted_credits"`
}

// PreviewSchool converts every learner's outcomes at one school and adds
// them up per course. A learner's conversions at one school depend on no
// other school's rules, so only the school's rules are looked at.
func PreviewSchool(in Input, school string) SchoolPreview {
	rs := *in.Rules
	rs.Rules = slices.DeleteFunc(slices.Clone(rs.Rules), func(r Rule) bool { return r.School != school })
	sub := in
	sub.Rules = &rs
	sub.Granted = slices.DeleteFunc(slices.Clone(in.Granted), func(c Conversion) bool { return c.School != school })
	res := Convert(sub)
	p := SchoolPreview{School: school}
	courses := map[string]*CourseTotal{}
	learners := map[string]bool{}
	for _, c := range res.Conversions {
		if c.School != school {
			continue
		}
		t := courses[c.Course]
		if t == nil {
			t = &CourseTotal{Course: c.Course, CourseName: c.CourseName}
			courses[c.Course] = t
		}
		if c.Granted {
			t.Granted++
			t.GrantedCredits += c.Credits
			p.GrantedCredits += c.Credits
		} else {
			t.New++
			t.NewCredits += c.Credits
			p.NewCredits += c.Credits
			learners[c.Learner] = true
		}
	}
	for _, t := range courses {
		p.Courses = append(p.Courses, *t)
	}
	slices.SortFunc(p.Courses, func(a, b CourseTotal) int { return cmp.Compare(a.Course, b.Course) })
	p.Learners = len(learners)
	return p
}

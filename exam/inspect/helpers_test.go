package inspect

import (
	"fmt"
	"time"

	"pgregory.net/rapid"
)

// worked is the small draw FORMAT.md works through by hand.
func worked() (Registers, Plan, []Source, time.Time, []string) {
	r := Registers{
		Sites: []Site{
			{Code: "S01", Name: "第一考点", Orgs: []string{"O1"}},
			{Code: "S02", Name: "第二考点", Orgs: []string{"O2"}},
			{Code: "S03", Name: "第三考点", Orgs: []string{"O1"}},
			{Code: "S04", Name: "第四考点", Orgs: []string{"O3"}},
			{Code: "S05", Name: "第五考点", Orgs: []string{"O2"}},
		},
		Inspectors: []Inspector{
			{ID: "I01", Name: "张伟", Orgs: []string{"O1"}},
			{ID: "I02", Name: "王芳", Orgs: []string{"O2"}, Sites: []string{"S04"}},
			{ID: "I03", Name: "李娜"},
			{ID: "I04", Name: "刘洋", Orgs: []string{"O3"}},
			{ID: "I05", Name: "陈静", Orgs: []string{"O4"}},
			{ID: "I06", Name: "杨磊"},
		},
	}
	p := Plan{InspectorsPerSite: 2, MinSites: 1, SharePercent: 40}
	src := []Source{
		{Kind: KindNumbers, Count: 6, Name: "中国福利彩票双色球第2026140期红球"},
		{Kind: KindNumbers, Count: 1, Name: "中国福利彩票双色球第2026140期蓝球"},
	}
	return r, p, src, time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC), []string{"07 12 19 23 28 33", "09"}
}

// genRegisters draws random registers: sites tied to a few organisations,
// inspectors tied to organisations and sites.
func genRegisters(t *rapid.T) Registers {
	nOrgs := rapid.IntRange(2, 8).Draw(t, "orgs")
	nSites := rapid.IntRange(1, 30).Draw(t, "sites")
	nIns := rapid.IntRange(4, 40).Draw(t, "inspectors")
	org := func(label string) []string {
		var l []string
		for range rapid.IntRange(0, 2).Draw(t, label+"n") {
			l = append(l, fmt.Sprintf("O%d", rapid.IntRange(1, nOrgs).Draw(t, label)))
		}
		return l
	}
	var r Registers
	for i := range nSites {
		r.Sites = append(r.Sites, Site{Code: fmt.Sprintf("S%03d", i), Name: fmt.Sprintf("考点%d", i), Orgs: org("siteorg")})
	}
	for i := range nIns {
		var ties []string
		for range rapid.IntRange(0, 2).Draw(t, "tiesn") {
			ties = append(ties, fmt.Sprintf("S%03d", rapid.IntRange(0, nSites-1).Draw(t, "tie")))
		}
		r.Inspectors = append(r.Inspectors, Inspector{ID: fmt.Sprintf("I%03d", i), Name: fmt.Sprintf("督导%d", i), Orgs: org("insorg"), Sites: ties})
	}
	return r
}

var lottery = []Source{{Kind: KindNumbers, Count: 6, Name: "red"}, {Kind: KindNumbers, Count: 1, Name: "blue"}, {Kind: KindText, Name: "drand quicknet round 1234567"}}

func genValues(t *rapid.T) []string {
	var red string
	for i := range 6 {
		if i > 0 {
			red += " "
		}
		red += fmt.Sprint(rapid.IntRange(1, 33).Draw(t, "red"))
	}
	return []string{red, fmt.Sprint(rapid.IntRange(1, 16).Draw(t, "blue")), rapid.StringMatching(`[0-9a-f]{64}`).Draw(t, "drand")}
}

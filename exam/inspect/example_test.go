package inspect_test

import (
	"fmt"
	"time"

	"onex/exam/inspect"
)

// A draw from commitment to verification: the office commits before the
// lottery draw, types the balls in after it, publishes the transcript;
// anyone with the registers verifies it.
func Example() {
	reg := inspect.Registers{
		Sites: []inspect.Site{
			{Code: "S01", Name: "第一考点", Orgs: []string{"O1"}},
			{Code: "S02", Name: "第二考点", Orgs: []string{"O2"}},
			{Code: "S03", Name: "第三考点", Orgs: []string{"O1"}},
		},
		Inspectors: []inspect.Inspector{
			{ID: "I01", Name: "张伟", Orgs: []string{"O1"}},
			{ID: "I02", Name: "王芳", Sites: []string{"S02"}},
			{ID: "I03", Name: "李娜"},
			{ID: "I04", Name: "刘洋"},
		},
	}
	plan := inspect.Plan{SharePercent: 50, MinSites: 1, InspectorsPerSite: 2}
	sources := []inspect.Source{
		{Kind: inspect.KindNumbers, Count: 6, Name: "中国福利彩票双色球第2026140期红球"},
		{Kind: inspect.KindNumbers, Count: 1, Name: "中国福利彩票双色球第2026140期蓝球"},
	}
	c, err := inspect.Commit(reg, plan, sources, time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC))
	if err != nil {
		panic(err)
	}
	// publish c.Canonical() and c.Hash() now; after the lottery's draw:
	t, err := inspect.Draw(reg, c, []string{"07 12 19 23 28 33", "09"})
	if err != nil {
		panic(err)
	}
	for _, a := range t.Draw {
		fmt.Println(a)
	}
	_, err = inspect.Verify(t.Canonical(), reg)
	fmt.Println("key", t.Key, "verified:", err == nil)
	// Output:
	// S03: I02 I03
	// S01: I04 I02
	// key 7.12.19.23.28.33./9./ verified: true
}

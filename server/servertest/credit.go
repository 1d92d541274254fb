package servertest

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

// Schools of the sample catalogue's sites, as conversion rules name them.
const (
	CreditSchool  = "示例职业技术学院"
	CreditSchool2 = "示例中等职业学校"
)

// CreditRuleFile is a rule file (exam/credit FORMAT.md) of the given
// version converting the sample's WEB elementary certificate (score 60 or
// more) into WEB101 网页设计 at CreditSchool (4 credits) and W9 网页基础 at
// CreditSchool2 (2.5 credits).
func CreditRuleFile(version int) string {
	return fmt.Sprintf(`{"format": "onex-credit-rules/1", "version": %d, "name": "示例转换规则", "rules": [
  {"id": "S1", "certificate": "WEB", "level": "elementary", "min_score": 60, "school": %q, "course": "WEB101", "course_name": "网页设计", "credits": 4, "valid_from": "2020-01-01"},
  {"id": "S2", "certificate": "WEB", "level": "elementary", "min_score": 60, "school": %q, "course": "W9", "course_name": "网页基础", "credits": 2.5, "valid_from": "2020-01-01"}
]}`, version, CreditSchool, CreditSchool2)
}

// ImportSampleRules imports CreditRuleFile(1) as office ann.
func (c *Central) ImportSampleRules(t testing.TB) {
	t.Helper()
	if _, err := c.ImportCreditRules(context.Background(), "rules.json", strings.NewReader(CreditRuleFile(1)), "office ann"); err != nil {
		t.Fatalf("import credit rules: %v", err)
	}
}

// GrantSample applies for the conversion of HolderID's certificate at
// CreditSchool (office ann) and approves it (office bob); the one at
// CreditSchool2 stays offered. The sample rules must be imported.
func (c *Central) GrantSample(t testing.TB) {
	t.Helper()
	ctx := context.Background()
	acc, err := c.LearnerAccount(ctx, HolderID)
	if err != nil {
		t.Fatal(err)
	}
	for _, cv := range acc.Preview.Conversions {
		if cv.School == CreditSchool && !cv.Granted {
			a, err := c.ApplyCredit(ctx, acc.ID, cv, "office ann")
			if err == nil {
				_, err = c.DecideCredit(ctx, a.ID, true, "课程对应", "office bob")
			}
			if err != nil {
				t.Fatal(err)
			}
			return
		}
	}
	t.Fatalf("nothing offered at %s: %+v", CreditSchool, acc.Preview)
}

package server_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"onex/exam/credential"
	"onex/exam/credit"
	"onex/server"
	"onex/server/servertest"
	"onex/server/store"
	"onex/server/store/pgtest"
)

// Schools of the sample catalogue's sites.
const (
	school1 = "示例职业技术学院"
	school2 = "示例中等职业学校"
)

// creditRules is a rule file converting the sample's WEB elementary
// certificate into WEB101 at school1 (4 credits) and W9 at school2 (2),
// and, from version 2 on, a window at school2 that ended in 2020.
func creditRules(version int) string {
	return fmt.Sprintf(`{"format": "onex-credit-rules/1", "version": %d, "name": "测试规则", "rules": [
  {"id": "R1", "certificate": "WEB", "level": "elementary", "min_score": 60, "school": %q, "course": "WEB101", "course_name": "网页设计", "credits": 4, "valid_from": "2020-01-01"},
  {"id": "R2", "certificate": "WEB", "level": "elementary", "min_score": 60, "school": %q, "course": "W9", "course_name": "网页基础", "credits": 2, "valid_from": "2020-01-01"},
  {"id": "R3", "certificate": "WEB", "level": "elementary", "min_score": 60, "school": %q, "course": "W8", "course_name": "旧课程", "credits": 3, "valid_from": "2019-01-01", "valid_to": "2020-12-31"}
]}`, version, school1, school2, school2)
}

func offered(acc server.LearnerAccount, school string) (credit.Conversion, bool) {
	for _, cv := range acc.Preview.Conversions {
		if !cv.Granted && cv.School == school {
			return cv, true
		}
	}
	return credit.Conversion{}, false
}

func auditActions(t *testing.T, c *servertest.Central) []string {
	t.Helper()
	log, err := c.AuditLog(context.Background())
	if err != nil || log.Broken != "" {
		t.Fatalf("audit log: %v %s", err, log.Broken)
	}
	var out []string
	for _, e := range log.Entries {
		out = append(out, e.Actor+": "+e.Action+": "+e.Detail)
	}
	return out
}

func hasAudit(actions []string, parts ...string) bool {
	return slices.ContainsFunc(actions, func(a string) bool {
		for _, p := range parts {
			if !strings.Contains(a, p) {
				return false
			}
		}
		return true
	})
}

// TestCreditBank: on both engines, a certificate issued is deposited in the
// account of its holder's ID number (the number as typed in any form; no
// account for another number); rules convert it per school (a window that
// ended does not); an application approved is granted, audited with who;
// a rival application is then stale; a refusal needs why; a rule set
// version not above the last is refused; a revoked certificate's
// conversions are no longer offered while the granted one stands.
func TestCreditBank(t *testing.T) {
	for _, engine := range pgtest.Engines {
		t.Run(engine, func(t *testing.T) {
			c, cert := certifiedOne(t, servertest.WithDB(pgtest.DSN(t, engine)))
			ctx := context.Background()
			acc, err := c.LearnerAccount(ctx, " 3101042004101597 79 ")
			if err != nil {
				t.Fatal(err)
			}
			if acc.ID != c.AccountID(id1) || acc.Name != "毛娜" || len(acc.Certificates) != 1 || acc.Certificates[0].Number != cert.Number ||
				acc.Certificates[0].Status != credential.Valid || acc.Certificates[0].Score != 10000 || acc.RuleSet != 0 || len(acc.Preview.Conversions) != 0 {
				t.Fatalf("account %+v", acc)
			}
			if _, err := c.LearnerAccount(ctx, id2); !errors.Is(err, server.ErrNotFound) {
				t.Errorf("account of a failed candidate: %v", err)
			}
			if len(acc.Preview.Unconverted) != 1 || acc.Preview.Unconverted[0].Reason != credit.ReasonNoRule {
				t.Errorf("without rules: %+v", acc.Preview)
			}

			rs, err := c.ImportCreditRules(ctx, "rules.json", strings.NewReader(creditRules(1)), "office ann")
			if err != nil || rs.Rules.Version != 1 || len(rs.Rules.Rules) != 3 {
				t.Fatalf("import rules: %+v %v", rs, err)
			}
			if _, err := c.ImportCreditRules(ctx, "again.json", strings.NewReader(creditRules(1)), "office ann"); !errors.Is(err, server.ErrInput) || !errors.Is(err, store.ErrRuleVersion) {
				t.Errorf("the same version again: %v", err)
			}
			if all, err := c.CreditRules(ctx); err != nil || len(all) != 1 || all[0].ImportedBy != "office ann" {
				t.Errorf("rule sets %+v %v", all, err)
			}
			acc, err = c.LearnerAccount(ctx, id1)
			if err != nil {
				t.Fatal(err)
			}
			cv1, ok1 := offered(acc, school1)
			cv2, ok2 := offered(acc, school2)
			if !ok1 || !ok2 || len(acc.Preview.Conversions) != 2 || cv1.Course != "WEB101" || cv1.Credits != 400 || cv2.Course != "W9" ||
				acc.Preview.NewCredits != 600 || acc.RuleSet != 1 {
				t.Fatalf("conversions %+v", acc.Preview)
			}

			a1, err := c.ApplyCredit(ctx, acc.ID, cv1, "learner")
			if err != nil || a1.State != credit.Applied || a1.Account != acc.ID {
				t.Fatalf("apply: %+v %v", a1, err)
			}
			rival, err := c.ApplyCredit(ctx, acc.ID, cv1, "learner")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := c.DecideCredit(ctx, a1.ID, false, "  ", "office bob"); !errors.Is(err, server.ErrInput) || !errors.Is(err, credit.ErrReason) {
				t.Errorf("refusal without why: %v", err)
			}
			a1, err = c.DecideCredit(ctx, a1.ID, true, "课程内容一致", "office bob")
			if err != nil || a1.State != credit.Approved {
				t.Fatalf("approve: %+v %v", a1, err)
			}
			if _, err := c.DecideCredit(ctx, rival.ID, true, "", "office bob"); !errors.Is(err, credit.ErrStale) {
				t.Errorf("the rival approved too: %v", err)
			}
			rival, err = c.DecideCredit(ctx, rival.ID, false, "已批准同一转换", "office bob")
			if err != nil || rival.State != credit.Refused {
				t.Errorf("refuse the rival: %+v %v", rival, err)
			}
			if _, err := c.DecideCredit(ctx, rival.ID, true, "", "office bob"); !errors.Is(err, server.ErrInput) {
				t.Errorf("a refused application approved: %v", err)
			}
			acc, err = c.LearnerAccount(ctx, id1)
			if err != nil {
				t.Fatal(err)
			}
			if acc.Preview.GrantedCredits != 400 || acc.Credits() != 400 || len(acc.Applications) != 2 {
				t.Errorf("after approval: %+v", acc)
			}
			audit := auditActions(t, c)
			for _, want := range [][]string{{"office ann: import credit rules", "version 1"}, {"learner: apply credit conversion", a1.ID},
				{"office bob: approve credit conversion", a1.ID, "WEB101", "课程内容一致"}, {"office bob: refuse credit conversion", rival.ID, "已批准同一转换"}} {
				if !hasAudit(audit, want...) {
					t.Errorf("no audit entry %q in %q", want, audit)
				}
			}
			for _, a := range audit {
				if strings.Contains(a, "毛娜") || strings.Contains(a, id1) {
					t.Errorf("the learner's name or ID number in the audit log: %s", a)
				}
			}
			if apps, err := c.CreditApplications(ctx, server.ApplicationFilter{School: school1, State: credit.Approved}); err != nil || len(apps) != 1 || apps[0].ID != a1.ID || apps[0].Name != "毛娜" {
				t.Errorf("approved at school1: %+v %v", apps, err)
			}

			if _, err := c.SetCertificateStatus(ctx, cert.Number, credential.Revoked, "证书作废", "office ann"); err != nil {
				t.Fatal(err)
			}
			acc, err = c.LearnerAccount(ctx, id1)
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := offered(acc, school2); ok || acc.Certificates[0].Status != credential.Revoked || acc.Preview.GrantedCredits != 400 {
				t.Errorf("after revocation: %+v", acc)
			}
			if _, err := c.ApplyCredit(ctx, acc.ID, cv2, "learner"); !errors.Is(err, credit.ErrStale) || !errors.Is(err, server.ErrInput) {
				t.Errorf("a revoked certificate's conversion applied for: %v", err)
			}
			if a1, err = c.RevokeCredit(ctx, a1.ID, "证书作废", "office ann"); err != nil || a1.State != credit.Revoked {
				t.Errorf("revoke the approval: %+v %v", a1, err)
			}
			if acc, err = c.LearnerAccount(ctx, id1); err != nil || acc.Credits() != 0 {
				t.Errorf("after the approval's revocation: %+v %v", acc, err)
			}
		})
	}
}

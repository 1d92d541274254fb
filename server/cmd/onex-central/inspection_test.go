package main

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"onex/exam/inspect"
	"onex/server/store/pgtest"
)

const (
	cliSites      = "考点代码,考点名称,所属机构\nS01,第一考点,O1\nS02,第二考点,O2\nS03,第三考点,O1\nS04,第四考点,O3\nS05,第五考点,O2\n"
	cliInspectors = "编号,姓名,所属机构,关联考点\nI01,张伟,O1,\nI02,王芳,O2,S04\nI03,李娜,,\nI04,刘洋,O3,\nI05,陈静,O4,\nI06,杨磊,,\n"
)

// TestInspectionCommands: on both engines, registers, commit, draw (once),
// findings, close, list and export through the command; verify re-does the
// exported draw with no data directory, from the CSV files or the registers'
// JSON, and refuses a transcript with any one byte changed and registers
// with one entry changed.
func TestInspectionCommands(t *testing.T) {
	for _, engine := range pgtest.Engines {
		t.Run(engine, func(t *testing.T) {
			dir, db := t.TempDir(), engineURL(t, engine)
			data := filepath.Join(dir, "data")
			command := func(args ...string) (string, error) {
				args = append(args, "--data", data)
				if db != "" {
					args = append(args, "--db", db)
				}
				return cli(t, args...)
			}
			write := func(name, text string) string {
				p := filepath.Join(dir, name)
				if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
					t.Fatal(err)
				}
				return p
			}
			sites, inspectors := write("sites.csv", cliSites), write("inspectors.csv", cliInspectors)
			pw := write("pw", "admin-password-1\n")
			if out, err := command("init", "--admin-password-file", pw); err != nil {
				t.Fatalf("init: %v %s", err, out)
			}
			bad := write("bad.csv", strings.Replace(cliInspectors, "S04", "S44", 1))
			if _, err := command("inspection", "registers", "--sites", sites, "--inspectors", bad); err == nil || !strings.Contains(err.Error(), "bad.csv: row 3, field sites") {
				t.Errorf("a bad register: %v", err)
			}
			out, err := command("inspection", "registers", "--sites", sites, "--inspectors", inspectors)
			if err != nil || !regexp.MustCompile(`^registers \d+: 5 sites, 6 inspectors, sha256 [0-9a-f]{64}\n$`).MatchString(out) {
				t.Fatalf("registers: %v %q", err, out)
			}
			out, err = command("inspection", "commit", "--share", "40", "--min-sites", "1", "--per-site", "2",
				"--values", "6: 中国福利彩票双色球第2026140期红球; 1: 中国福利彩票双色球第2026140期蓝球")
			m := regexp.MustCompile(`^inspection (\d+) committed: sha256 ([0-9a-f]{64})\n(\{.*\})\n$`).FindStringSubmatch(out)
			if err != nil || m == nil {
				t.Fatalf("commit: %v %q", err, out)
			}
			id := m[1]
			if c, err := inspect.ParseCommitment([]byte(m[3])); err != nil || c.Plan.SharePercent != 40 {
				t.Errorf("the commitment printed: %v %+v", err, c)
			}
			if _, err := command("inspection", "draw", "--id", id, "--values", "07 12 19 23 28"); err == nil {
				t.Error("five red balls and no blue drew")
			}
			out, err = command("inspection", "draw", "--id", id, "--values", "07 12 19 23 28 33 / 09")
			// The commitment holds its time (now), so the draw is not the
			// worked example's; two sites of two inspectors each.
			d := regexp.MustCompile(`^inspection ` + id + ` drawn: key 7\.12\.19\.23\.28\.33\./9\./\n((S0\d): I0\d I0\d\n(S0\d): I0\d I0\d\n)$`).FindStringSubmatch(out)
			if err != nil || d == nil {
				t.Fatalf("draw: %v %q", err, out)
			}
			drawn, siteA, siteB := d[1], d[2], d[3]
			if _, err := command("inspection", "draw", "--id", id, "--values", "1 2 3 4 5 6 / 7"); err == nil || !strings.Contains(err.Error(), "drawn already") {
				t.Errorf("a second draw: %v", err)
			}
			if _, err := command("inspection", "findings", "--id", id, "--site", siteA, "--pass", "all", "--issue", "fees=收费标准未公示"); err == nil || !strings.Contains(err.Error(), "deadline is required") {
				t.Errorf("an issue without a deadline: %v", err)
			}
			out, err = command("inspection", "findings", "--id", id, "--site", siteA, "--pass", "all", "--issue", "fees=收费标准未公示", "--deadline", "2099-12-31")
			if err != nil || !strings.Contains(out, siteA+"\trectifying\trectify by 2099-12-31T15:59:59Z\tissues: fees") {
				t.Fatalf("findings: %v %q", err, out)
			}
			if out, err = command("inspection", "findings", "--id", id, "--site", siteB, "--pass", "premises,confidentiality,fees,certificates"); err != nil || !strings.Contains(out, siteB+"\tpassed") {
				t.Fatalf("findings: %v %q", err, out)
			}
			if out, err = command("inspection", "close", "--id", id, "--site", siteA, "--note", "复查合格"); err != nil || !strings.Contains(out, siteA+"\trectified") {
				t.Fatalf("close: %v %q", err, out)
			}
			out, err = command("inspection", "list")
			if err != nil || !strings.Contains(out, "inspection "+id+"\tpublished ") || !strings.Contains(out, "40% (at least 1), 2 inspectors each\tdrawn ") ||
				!strings.Contains(out, "  "+siteA+"\trectified") || !strings.Contains(out, "  "+siteB+"\tpassed") {
				t.Fatalf("list: %v %q", err, out)
			}
			pub := filepath.Join(dir, "published")
			if _, err := command("inspection", "export", "--id", id, "--out", pub); err != nil {
				t.Fatal(err)
			}

			// Offline: no --data, no database.
			transcript := filepath.Join(pub, "transcript.json")
			out, err = cli(t, "inspection", "verify", transcript, "--sites", filepath.Join(pub, "sites.csv"), "--inspectors", filepath.Join(pub, "inspectors.csv"))
			if err != nil || !strings.HasPrefix(out, "verified: commitment sha256 "+m[2]) || !strings.HasSuffix(out, "\n"+drawn) {
				t.Fatalf("verify: %v %q", err, out)
			}
			if _, err := cli(t, "inspection", "verify", transcript, "--registers", filepath.Join(pub, "registers.json")); err != nil {
				t.Fatalf("verify from registers.json: %v", err)
			}
			good, err := os.ReadFile(transcript)
			if err != nil {
				t.Fatal(err)
			}
			changed := filepath.Join(dir, "changed.json")
			for i := range good {
				b := append([]byte(nil), good...)
				b[i] ^= 0x01
				if err := os.WriteFile(changed, b, 0o600); err != nil {
					t.Fatal(err)
				}
				if _, err := cli(t, "inspection", "verify", changed, "--sites", sites, "--inspectors", inspectors); err == nil || !strings.Contains(err.Error(), "NOT VERIFIED") {
					t.Fatalf("byte %d changed (%q): %v", i, b[max(0, i-10):min(len(b), i+10)], err)
				}
			}
			other := write("other.csv", strings.Replace(cliSites, "S03,第三考点,O1", "S03,第三考点,O5", 1))
			if _, err := cli(t, "inspection", "verify", transcript, "--sites", other, "--inspectors", inspectors); !errors.Is(err, inspect.ErrRegistersMismatch) {
				t.Errorf("a changed register entry: %v", err)
			}
			if _, err := cli(t, "inspection", "verify", transcript); err == nil {
				t.Error("verify without registers")
			}
		})
	}
}

package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"onex/client/cli"
	"onex/client/site"
	"onex/exam/credential"
	"onex/server/servertest"
)

// verifyRun runs onex-site verify with no passphrase anywhere, stdin given.
func verifyRun(t *testing.T, stdin string, args ...string) (string, string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := cli.Main(context.Background(), append([]string{"verify"}, args...), cli.Env{Stdout: &out, Stderr: &errOut,
		Getenv: func(string) string { return "" }, Stdin: strings.NewReader(stdin)})
	return out.String(), errOut.String(), code
}

// TestVerifyCommand: onex-site verify against the lists a real download
// kept, with no passphrase: each outcome has its exit status and says what
// it found in Chinese (English with --lang en), the ID number is confirmed
// or refused, the text comes as an argument or on stdin, and --json gives
// the check; then revoked and suspended after the next downloads.
func TestVerifyCommand(t *testing.T) {
	c, cert := servertest.Certified(t)
	dir := filepath.Join(t.TempDir(), "site")
	must(t, "enrol", "--data", dir, "--server", c.URL, "--code", c.EnrolCode(t))
	if out, errOut, code := verifyRun(t, "", "--data", dir, cert.QR); code != cli.ExitFailed || !strings.Contains(errOut, "尚未下载证书信任列表") || out != "" {
		t.Fatalf("before any download: exit %d\n%s%s", code, out, errOut)
	}
	if out := must(t, "download", "--data", dir); !strings.Contains(out, "certificate status list as of ") {
		t.Fatalf("download:\n%s", out)
	}
	cose, _ := credential.Decode(cert.QR)
	cose[len(cose)-1] ^= 1
	altered := credential.Encode(cose)
	valid := []string{"证书核验（离线）: 有效", "证书编号: " + cert.Number, "持证人: " + cert.HolderName, "证书: WEB 初级", "考点: " + cert.SiteName,
		"状态截至: ", "（北京时间）", "中心密钥: " + c.PublicKey().Fingerprint()}
	for _, tc := range []struct {
		name  string
		stdin string
		args  []string
		code  int
		want  []string
		not   []string
	}{
		{"valid", "", []string{cert.QR}, cli.ExitOK, append(valid, "身份证号: 未输入"), nil},
		{"valid, the holder's ID number", "", []string{"--id", servertest.HolderID, cert.QR}, cli.ExitOK, append(valid, "身份证号: 相符"), []string{servertest.HolderID}},
		{"valid, another ID number", "", []string{"--id", "31010420031018810X", cert.QR}, cli.ExitIDMismatch, append(valid, "身份证号: 不符"), nil},
		{"valid, from stdin", "\n" + cert.QR + "\n", []string{"-"}, cli.ExitOK, valid, nil},
		{"valid, in English", "", []string{"--lang", "en", cert.QR}, cli.ExitOK,
			[]string{"Certificate check (offline): VALID", "Certificate: WEB elementary", "Status as of: ", " (Beijing time)", "ID number: not given"}, []string{"有效"}},
		{"altered", "", []string{altered}, cli.ExitUntrusted, []string{"不可信", "原因: 签名不符"}, []string{cert.HolderName, cert.Number}},
		{"not a certificate", "", []string{"https://example.cn/verify"}, cli.ExitUntrusted, []string{"不是证书二维码文本", "原因: 不以 OX1: 开头"}, nil},
		{"not a certificate, in English", "", []string{"--lang", "en", "OX1:!!"}, cli.ExitUntrusted, []string{"NOT a certificate's QR text", "Why: bad encoding"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, code := verifyRun(t, tc.stdin, append([]string{"--data", dir}, tc.args...)...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\n%s%s", code, tc.code, out, errOut)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("no %q in\n%s", w, out)
				}
			}
			for _, w := range tc.not {
				if strings.Contains(out+errOut, w) {
					t.Errorf("%q shown in\n%s%s", w, out, errOut)
				}
			}
		})
	}
	out, _, code := verifyRun(t, "", "--data", dir, "--json", "--id", servertest.HolderID, cert.QR)
	var chk site.CertificateCheck
	if err := json.Unmarshal([]byte(out), &chk); err != nil || code != cli.ExitOK || chk.Outcome != site.CertificateValid || chk.Number != cert.Number || !chk.IDMatches {
		t.Errorf("--json: exit %d, %+v, %v\n%s", code, chk, err, out)
	}

	for _, step := range []struct {
		status credential.Status
		code   int
		word   string
	}{
		{credential.Suspended, cli.ExitSuspended, "证书核验（离线）: 已暂停"},
		{credential.Revoked, cli.ExitRevoked, "证书核验（离线）: 已撤销"},
	} {
		if _, err := c.SetCertificateStatus(context.Background(), cert.Number, step.status, "核查", "office ann"); err != nil {
			t.Fatal(err)
		}
		c.Clock.Add(time.Minute)
		must(t, "download", "--data", dir)
		out, errOut, code := verifyRun(t, "", "--data", dir, cert.QR)
		if code != step.code || !strings.Contains(out, step.word) || !strings.Contains(out, cert.Number) {
			t.Errorf("%v: exit %d\n%s%s", step.status, code, out, errOut)
		}
	}
	// A kept file changed on disk is used for nothing.
	path := filepath.Join(dir, site.CertificateTrustFile)
	b, _ := os.ReadFile(path)
	os.WriteFile(path, bytes.Replace(b, []byte(`"status_list": "`), []byte(`"status_list": "AAAA`), 1), 0o644)
	if out, errOut, code := verifyRun(t, "", "--data", dir, cert.QR); code != cli.ExitFailed || out != "" || !strings.Contains(errOut, "证书信任列表文件损坏或不可信") {
		t.Errorf("damaged file: exit %d\n%s%s", code, out, errOut)
	}
}

// TestVerifyUsage: verify's command lines that cannot run.
func TestVerifyUsage(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--data", dir}, "give the QR text as one argument"},
		{[]string{"--data", dir, "OX1:AB", "OX1:CD"}, "give the QR text as one argument"},
		{[]string{"OX1:AB"}, "--data is required"},
		{[]string{"--data", dir, "--lang", "fr", "OX1:AB"}, `--lang "fr"`},
		{[]string{"--data", dir, "--no-such-flag", "OX1:AB"}, "flag provided but not defined"},
	} {
		out, errOut, code := verifyRun(t, "", tc.args...)
		if code != cli.ExitUsage || !strings.Contains(errOut, tc.want) || out != "" {
			t.Errorf("%q: exit %d\n%s%s", tc.args, code, out, errOut)
		}
	}
}

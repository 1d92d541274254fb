package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"onex/client/site"
)

// Exit statuses of verify beyond ExitOK (valid) and ExitFailed (no lists,
// or damaged ones): each outcome that is not "valid" has its own.
const (
	ExitRevoked    = 4 // signed by a trusted key, revoked as of the status list
	ExitSuspended  = 5 // signed by a trusted key, suspended as of the status list
	ExitUntrusted  = 6 // not signed by a trusted key, or not a certificate's text at all
	ExitIDMismatch = 7 // valid, but not the holder of the ID number given
)

// maxVerifyInput bounds what verify reads from stdin: a QR text is at most
// a few hundred characters.
const maxVerifyInput = 64 << 10

// verifyWords are verify's words, Chinese and English.
var verifyWords = map[string][2]string{
	"title":         {"证书核验（离线）", "Certificate check (offline)"},
	"valid":         {"有效", "VALID"},
	"revoked":       {"已撤销", "REVOKED"},
	"suspended":     {"已暂停", "SUSPENDED"},
	"untrusted":     {"不可信：不是受信任的发证密钥签发的", "NOT TRUSTED: not signed by a trusted issuer key"},
	"not-text":      {"不是证书二维码文本", "NOT a certificate's QR text"},
	"unknown-key":   {"发证密钥未知", "unknown issuer key"},
	"bad-signature": {"签名不符（内容被改动或伪造）", "the signature does not match (altered or forged)"},
	"key-window":    {"签发时该密钥已停用", "signed when its key was no longer valid"},
	"prefix":        {"不以 OX1: 开头", "does not start with OX1:"},
	"base45":        {"编码有误", "bad encoding"},
	"malformed":     {"格式有误", "malformed"},
	"number":        {"证书编号", "Number"},
	"holder":        {"持证人", "Holder"},
	"certificate":   {"证书", "Certificate"},
	"organisation":  {"评价组织", "Organisation"},
	"site":          {"考点", "Site"},
	"issued":        {"发证时间", "Issued"},
	"as_of":         {"状态截至", "Status as of"},
	"before_issue":  {"（状态列表早于发证，之后的撤销或暂停无从得知：联网下载后再核验）", " (the status list is older than the certificate: download again for its status since)"},
	"id":            {"身份证号", "ID number"},
	"id_match":      {"相符", "matches"},
	"id_mismatch":   {"不符：证书不属于此身份证号的持有人", "DOES NOT MATCH: the certificate is not this ID number's holder's"},
	"id_none":       {"未输入（--id 核对持证人）", "not given (--id checks the holder)"},
	"central":       {"中心密钥", "Central key"},
	"central_hint":  {"（与中心办公页面“考点”页上的指纹核对）", " (compare with the fingerprint on central's sites page)"},
	"lists_taken":   {"列表下载于", "Lists downloaded"},
	"beijing":       {"（北京时间）", " (Beijing time)"},
	"why":           {"原因", "Why"},
	"no_lists_hint": {"本考点尚未下载证书信任列表：联网后运行 onex-site download", "this site has no certificate trust lists yet: run onex-site download while online"},
	"damaged_hint":  {"证书信任列表文件损坏或不可信：联网后运行 onex-site download", "the certificate trust lists kept are damaged or not trusted: run onex-site download while online"},
}

// cmdVerify checks a certificate's QR text against the certificate trust
// lists the site downloaded, offline, without the store or the passphrase.
func cmdVerify(_ context.Context, c *command) error {
	id := c.fs.String("id", "", "the holder's resident ID number, to check against the certificate (never logged)")
	lang := c.fs.String("lang", "zh", "the language of the answer: zh or en")
	asJSON := c.fs.Bool("json", false, "print the check as JSON")
	if err := c.fs.Parse(c.args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err.Error()}
	}
	if strings.TrimSpace(c.data) == "" {
		return usageError{"--data is required"}
	}
	if *lang != "zh" && *lang != "en" {
		return usageError{fmt.Sprintf("--lang %q: zh or en", *lang)}
	}
	if c.fs.NArg() != 1 {
		return usageError{"give the QR text as one argument (quoted: it may hold spaces), or - to read it from stdin"}
	}
	text := c.fs.Arg(0)
	if text == "-" {
		in := c.env.Stdin
		if in == nil {
			in = os.Stdin
		}
		b, err := io.ReadAll(io.LimitReader(in, maxVerifyInput))
		if err != nil {
			return fmt.Errorf("reading the text from stdin: %w", err)
		}
		text = string(b)
	}
	w := func(key string) string {
		if *lang == "en" {
			return verifyWords[key][1]
		}
		return verifyWords[key][0]
	}
	chk, err := site.VerifyCertificate(c.data, text, *id)
	if err != nil {
		hint := w("damaged_hint")
		if errors.Is(err, site.ErrNoCertificateLists) {
			hint = w("no_lists_hint")
		}
		return fmt.Errorf("%s\n%w", hint, err)
	}
	c.status = verifyStatus(chk)
	if *asJSON {
		if err := c.printJSON(chk); err != nil {
			return err
		}
	} else {
		printCheck(c.env.Stdout, chk, *lang, w)
	}
	if c.status != ExitOK {
		return errNotValid
	}
	return nil
}

// errNotValid ends verify with the outcome's exit status; what it found is
// printed already.
var errNotValid = errors.New("the certificate is not valid")

// verifyStatus is the exit status of a check.
func verifyStatus(chk site.CertificateCheck) int {
	switch chk.Outcome {
	case site.CertificateValid:
		if chk.IDChecked && !chk.IDMatches {
			return ExitIDMismatch
		}
		return ExitOK
	case site.CertificateRevoked:
		return ExitRevoked
	case site.CertificateSuspended:
		return ExitSuspended
	}
	return ExitUntrusted
}

// printCheck writes a check for a person.
func printCheck(out io.Writer, chk site.CertificateCheck, lang string, w func(string) string) {
	line := func(key, value string) { fmt.Fprintf(out, "%s: %s\n", w(key), value) }
	when := func(t time.Time) string { return t.In(site.Beijing).Format("2006-01-02 15:04") + w("beijing") }
	switch chk.Outcome {
	case site.CertificateValid, site.CertificateRevoked, site.CertificateSuspended:
		line("title", w(string(chk.Outcome)))
	case site.CertificateUntrusted:
		line("title", w("untrusted"))
		line("why", w(chk.Refusal))
	default:
		line("title", w("not-text"))
		line("why", w(chk.Refusal))
	}
	if chk.Verified() {
		line("number", chk.Number)
		line("holder", chk.Holder)
		level := chk.Level.Chinese()
		if lang == "en" {
			level = string(chk.Level)
		}
		line("certificate", chk.Certificate+" "+level)
		line("organisation", chk.Organisation)
		line("site", chk.Site)
		line("issued", when(chk.Issued))
		asOf := when(chk.StatusAsOf)
		if chk.StatusBeforeIssue {
			asOf += w("before_issue")
		}
		line("as_of", asOf)
		switch {
		case !chk.IDChecked:
			line("id", w("id_none"))
		case chk.IDMatches:
			line("id", w("id_match"))
		default:
			line("id", w("id_mismatch"))
		}
	}
	if chk.CentralKey != "" {
		line("central", chk.CentralKey+w("central_hint"))
		line("lists_taken", when(chk.ListsTaken))
	}
}

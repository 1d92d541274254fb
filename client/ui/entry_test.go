package ui

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"onex/client/site"
	"onex/exam/seal"
	"onex/server/servertest"
)

func TestFirstRunValidatesAndEnrols(t *testing.T) {
	r := newRig(t)
	var screens []string
	r.opt.Shown = func(s string) { screens = append(screens, s) }
	a := r.start()
	c := a.win.Canvas()
	f := a.first
	if f == nil || screens[0] != "first-run" {
		t.Fatalf("first run not shown: %v", screens)
	}
	if f.server.Text != r.central.URL || f.language.Selected != "简体中文" {
		t.Fatalf("prefilled server %q, language %q", f.server.Text, f.language.Selected)
	}
	enrol := button(t, c, "登记本机")

	// Each mistake is named, and nothing is sent.
	f.server.SetText("onex.example.cn")
	tap(t, enrol)
	if f.problem.Text != "中心地址应以 http:// 或 https:// 开头" {
		t.Fatalf("bad address: %q", f.problem.Text)
	}
	f.server.SetText(r.central.URL)
	tap(t, enrol)
	if f.problem.Text != "请填写登记码" {
		t.Fatalf("no code: %q", f.problem.Text)
	}
	test.Type(f.code, r.central.EnrolCode(t))
	test.Type(f.name, proctor)
	test.Type(f.pass, "short")
	if f.hint.Text != "口令太短：至少 8 个字符" || f.hint.Importance != widget.DangerImportance {
		t.Fatalf("short passphrase hint %q", f.hint.Text)
	}
	tap(t, enrol)
	if !strings.HasPrefix(f.problem.Text, "口令太短") {
		t.Fatalf("short passphrase: %q", f.problem.Text)
	}
	f.pass.SetText("abcdefgh")
	if !strings.Contains(f.hint.Text, "弱") {
		t.Fatalf("weak passphrase hint %q", f.hint.Text)
	}
	f.pass.SetText(pass)
	if f.hint.Text != "口令强度：强" || f.hint.Importance != widget.SuccessImportance {
		t.Fatalf("strong passphrase hint %q", f.hint.Text)
	}
	test.Type(f.again, pass+"x")
	tap(t, enrol)
	if f.problem.Text != "两次输入的口令不一致" {
		t.Fatalf("mismatch: %q", f.problem.Text)
	}
	if site.Exists(r.opt.Site.Dir) {
		t.Fatal("a store was made from a form with mistakes")
	}

	// A wrong code is central's refusal; the form stays.
	f.again.SetText(pass)
	good := f.code.Text
	f.code.SetText("WRONG-CODE")
	tap(t, enrol)
	r.wait()
	if !strings.HasPrefix(f.problem.Text, "注册码无效：注册码不存在、已用过或已过期") || strings.Contains(f.problem.Text, "enrolment code") || a.site != nil || site.Exists(r.opt.Site.Dir) {
		t.Fatalf("wrong code: %q", f.problem.Text)
	}

	f.code.SetText(good)
	tap(t, enrol)
	r.wait()
	if a.site == nil || a.station == nil || a.proctor != proctor {
		t.Fatalf("not enrolled: %q", f.problem.Text)
	}
	st := a.station
	if len(st.sessions) != 1 || st.current != r.central.Session.ID {
		t.Fatalf("sessions after enrolment: %+v", st.sessions)
	}
	if !shows(c, "已下载（试卷密封）") || !shows(c, "名单 40 人") || !shows(c, "SITE-001") {
		t.Fatal("today does not show the downloaded session")
	}
	if !shows(c, "● 在线") || !shows(c, "待上传记录：") {
		t.Fatal("the sync panel does not show central online")
	}
	if got := a.fa.Preferences().String(prefServer); got != r.central.URL {
		t.Fatalf("server remembered as %q", got)
	}
}

func TestPassphraseAtEveryStart(t *testing.T) {
	r := newRig(t)
	r.enrolled()
	r.a.Close()
	r.opt.Passphrase = ""
	a := r.start()
	c := a.win.Canvas()
	if a.station != nil || !shows(c, "请输入考点口令") {
		t.Fatal("the passphrase is not asked for")
	}
	e := entries(c)
	if len(e) != 2 || e[1].Text != proctor {
		t.Fatalf("login entries %v", e)
	}
	test.Type(e[0], "not the passphrase")
	tap(t, button(t, c, "打开"))
	r.wait()
	if a.site != nil || !shows(c, "考点口令不正确") || e[0].Text != "" {
		t.Fatal("a wrong passphrase is not refused")
	}
	test.Type(e[0], pass)
	tap(t, button(t, c, "打开"))
	r.wait()
	if a.station == nil || !shows(c, "值班：") || !shows(c, proctor) {
		t.Fatal("the right passphrase does not open the station")
	}
}

func TestUnattendedStartAsksWhoIsOnDuty(t *testing.T) {
	r := newRig(t)
	r.enrol()
	r.opt.Passphrase = pass
	a := r.start()
	c := a.win.Canvas()
	if a.station == nil || a.proctor != "" {
		t.Fatal("the store given by the environment did not open")
	}
	name := dialogEntries(t, c)[0]
	if c.Focused() != name || !dialogButton(t, c, "确定").Disabled() {
		t.Fatal("the name of the staff on duty is not asked for")
	}
	test.Type(name, "李监考")
	name.OnSubmitted(name.Text)
	if a.proctor != "李监考" || !shows(c, "值班：") || button(t, c, "李监考") == nil || a.fa.Preferences().String(prefProctor) != "李监考" {
		t.Fatalf("on duty: %q", a.proctor)
	}
}

// TestFirstRunTakesTheFingerprint: the first-run screen takes central's
// fingerprint. With central's self-signed certificate, enrolment without
// it, or with another central's, is refused naming both fingerprints and
// leaves the form; with central's key fingerprint the site enrols and pins
// central's TLS key, which the station shows, and then refuses another
// central at the address, naming both keys. An http:// address shows that
// the link is not encrypted.
func TestFirstRunTakesTheFingerprint(t *testing.T) {
	r := newRig(t, servertest.WithTLS())
	other := servertest.New(t, servertest.WithTLS())
	a := r.start()
	c := a.win.Canvas()
	f := a.first
	if f.server.Text != r.central.URL || !strings.HasPrefix(f.server.Text, "https://") || f.plain.Visible() {
		t.Fatalf("server %q, not-encrypted warning shown %v", f.server.Text, f.plain.Visible())
	}
	f.server.SetText("http://onex.example.cn")
	if !f.plain.Visible() || !strings.Contains(f.plain.Text, "不加密") {
		t.Fatalf("http:// address: warning shown %v, %q", f.plain.Visible(), f.plain.Text)
	}
	f.server.SetText(r.central.URL)
	if f.plain.Visible() {
		t.Fatal("the not-encrypted warning stays for https://")
	}
	enrol := button(t, c, "登记本机")
	test.Type(f.code, r.central.EnrolCode(t))
	test.Type(f.name, proctor)
	f.pass.SetText(pass)
	f.again.SetText(pass)

	test.Type(f.fingerprint, "7GQX-M3KD")
	tap(t, enrol)
	if !strings.HasPrefix(f.problem.Text, "中心指纹格式不对") || site.Exists(r.opt.Site.Dir) {
		t.Fatalf("a bad fingerprint: %q", f.problem.Text)
	}

	certFP := seal.TLSFingerprint(seal.CertificateHash(r.central.TLS))
	key, otherKey := r.central.PublicKey().Fingerprint(), other.PublicKey().Fingerprint()
	for _, tc := range []struct{ fp, want string }{
		{"", "中心的 TLS 证书（SHA-256 " + certFP + "）不受本机信任"},
		{otherKey, "中心的密钥指纹是 " + key + "，而不是所填的 " + otherKey},
	} {
		f.fingerprint.SetText(tc.fp)
		tap(t, enrol)
		r.wait()
		if !strings.HasPrefix(f.problem.Text, tc.want) || a.site != nil || site.Exists(r.opt.Site.Dir) {
			t.Fatalf("fingerprint %q: %q, want %q", tc.fp, f.problem.Text, tc.want)
		}
	}

	f.fingerprint.SetText(strings.ToLower(key))
	tap(t, enrol)
	r.wait()
	if a.site == nil || a.station == nil {
		t.Fatalf("not enrolled: %q", f.problem.Text)
	}
	pin := seal.TLSFingerprint(seal.SPKIHash(r.central.TLS))
	if !shows(c, "链路：HTTPS，已固定中心的 TLS 公钥 "+pin) || !shows(c, "● 在线") || !shows(c, "名单 40 人") {
		t.Fatal("the station does not show the pinned link, central online and the session downloaded")
	}

	// Another central at central's address: refused, both keys named.
	r.central.Relay.SetTarget(other.Relay.Addr())
	tap(t, button(t, c, "下载考试包"))
	r.wait()
	if want := "对方出示的 TLS 公钥是 " + seal.TLSFingerprint(seal.SPKIHash(other.TLS)) + "，而本机登记时固定的是 " + pin; !shows(c, want) {
		t.Fatalf("download from another central does not say %q", want)
	}
}

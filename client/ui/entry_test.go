package ui

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"onex/client/site"
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
	if !strings.HasPrefix(f.problem.Text, "中心拒绝了请求") || a.site != nil || site.Exists(r.opt.Site.Dir) {
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
	if a.station == nil || !shows(c, "值班："+proctor) {
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
	if a.proctor != "李监考" || !shows(c, "值班：李监考") || a.fa.Preferences().String(prefProctor) != "李监考" {
		t.Fatalf("on duty: %q", a.proctor)
	}
}

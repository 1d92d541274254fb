package ui

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"onex/exam"
	"onex/server/servertest"
)

// TestHandInOnTheScreens: a candidate at the station sees the hand-in
// item with the work folder's path, hands in what they put there with
// "hand in now", and a refusal names the file; the proctor's console
// collects; the examiner's scoring dialog lists the candidate's files
// with a button to view the text one and to save each.
func TestHandInOnTheScreens(t *testing.T) {
	t.Setenv("HOME", t.TempDir())
	r := newRig(t, servertest.WithHandIn())
	a := r.enrolled()
	r.checkIn(ticket)
	a.openCandidate(r.central.Session.ID, ticket)
	pins := dialogEntries(t, a.win.Canvas())
	test.Type(pins[0], "2468")
	test.Type(pins[1], "2468")
	pins[1].OnSubmitted(pins[1].Text)
	var cw *candidateWin
	for c := range a.cands {
		cw = c
	}
	if cw == nil {
		t.Fatal("no candidate window")
	}
	r.startRoom()
	a.tick()
	if cw.screen != "exam" || len(cw.items) != 12 {
		t.Fatalf("screen %s, %d items", cw.screen, len(cw.items))
	}
	cw.goTo(len(cw.items) - 1)
	c := cw.w.Canvas()
	if cw.items[cw.cur].Type != exam.HandIn || !shows(c, "立即提交文件") || !shows(c, "打开文件夹") || !shows(c, "最多 20 个文件，合计不超过 20.0 MiB。") {
		t.Fatalf("the hand-in item is not shown: %q", texts(c))
	}
	folder, err := siteExam{}.folderOf(r.central.Session.ID, ticket)
	if err != nil {
		t.Fatal(err)
	}
	if !shows(c, folder) {
		t.Fatalf("the work folder %s is not shown", folder)
	}
	if fi, err := os.Stat(folder); err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("work folder: %v %v", fi, err)
	}
	handIn := func(want string) {
		t.Helper()
		tap(t, button(t, c, "立即提交文件"))
		deadline := time.Now().Add(10 * time.Second)
		for !shows(c, want) {
			if time.Now().After(deadline) {
				t.Fatalf("%q is not shown: %q", want, texts(c))
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	handIn("工作文件夹是空的：未提交（之前提交的文件仍然有效）。")
	os.WriteFile(filepath.Join(folder, "index.html"), []byte("<p>我的网页</p>\n"), 0o600)
	os.WriteFile(filepath.Join(folder, "logo.bin"), []byte{0, 1, 2, 3}, 0o600)
	handIn("已提交：2 个文件已保存到考场主机。")
	if !shows(c, "· index.html (20 B)") {
		t.Errorf("the files handed in are not listed: %q", texts(c))
	}
	os.Symlink("/etc/passwd", filepath.Join(folder, "passwd"))
	handIn("未提交：文件 passwd 是指向工作文件夹以外的链接。请修改文件夹后重新提交。")
	os.Remove(filepath.Join(folder, "passwd"))

	// The examiner sees the files when scoring.
	st := a.station
	st.tabs.SelectIndex(tabProctor)
	con := st.console
	con.list.Select(0)
	tap(t, con.collect)
	mc := a.win.Canvas()
	tap(t, dialogButton(t, mc, "全场考生"))
	tap(t, dialogButton(t, mc, "确定"))
	tap(t, con.score)
	for _, s := range []string{"h1 · index.html (20 B)", "h1 · logo.bin (4 B)"} {
		if !shows(mc, s) {
			t.Errorf("the scoring dialog does not show %q: %q", s, texts(mc))
		}
	}
	views, saves := 0, 0
	for _, o := range objects(mc) {
		if b, ok := o.(*widget.Button); ok {
			switch {
			case b.Text == "查看":
				views++
			case strings.HasPrefix(b.Text, "另存为"):
				saves++
			}
		}
	}
	if views != 1 || saves != 2 {
		t.Errorf("%d view and %d save buttons, want 1 (the text file) and 2", views, saves)
	}
}

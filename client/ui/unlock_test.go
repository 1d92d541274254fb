package ui

import (
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestUnlockByCodePointsAtTheMistypedGroup(t *testing.T) {
	r := newRig(t)
	a := r.enrolled()
	c := a.win.Canvas()
	st := a.station
	st.tabs.SelectIndex(tabUnlock)
	u := st.unlock
	if !strings.HasPrefix(u.state.Text, "试卷仍密封") || c.Focused() != u.groups[0] {
		t.Fatalf("unlock tab: %q, focus %v", u.state.Text, c.Focused())
	}

	// Too early online: central's countdown.
	tap(t, u.online)
	r.wait()
	if !strings.HasPrefix(u.wait.Text, "中心将于 ") || !regexp.MustCompile(`还有 0[45]:[0-9]{2}；到时自动申请`).MatchString(u.wait.Text) {
		t.Fatalf("too early: %q", u.wait.Text)
	}

	// Typed on: each full group moves on to the next; the second group
	// is mistyped.
	code := r.central.UnlockCode(t)
	groups := strings.Split(code, "-")
	bad := []rune(groups[1])
	bad[2] = map[bool]rune{true: 'Z', false: 'Y'}[bad[2] != 'Z']
	c.Focus(u.groups[0])
	typeFocused(t, c, groups[0]+string(bad)+groups[2]+groups[3])
	for g, want := range []string{groups[0], string(bad), groups[2], groups[3]} {
		if u.groups[g].Text != want {
			t.Fatalf("group %d holds %q, want %q", g+1, u.groups[g].Text, want)
		}
	}
	// Pasted whole into the first group, a code spreads over the four.
	for _, e := range u.groups {
		e.SetText("")
	}
	u.groups[0].SetText(groups[0] + "-" + string(bad) + "-" + groups[2] + "-" + groups[3])
	for g, want := range []string{groups[0], string(bad), groups[2], groups[3]} {
		if u.groups[g].Text != want {
			t.Fatalf("pasted: group %d holds %q, want %q", g+1, u.groups[g].Text, want)
		}
	}
	tap(t, u.byCode)
	r.wait()
	if u.problem.Text != "第 2 组有误，请核对后重新输入这一组" || c.Focused() != u.groups[1] {
		t.Fatalf("mistyped group 2: %q, focus on %v", u.problem.Text, c.Focused())
	}
	if info, _ := st.info(); info.Released {
		t.Fatal("released by a mistyped code")
	}

	// Fixed, the code opens the paper and the proctor console comes up.
	if u.groups[1].SelectedText() != string(bad) {
		t.Fatal("the mistyped group is not selected for typing over")
	}
	typeFocused(t, c, groups[1])
	if u.groups[1].Text != groups[1] || c.Focused() != u.groups[2] {
		t.Fatal("a full group does not move on to the next")
	}
	u.groups[3].OnSubmitted(u.groups[3].Text)
	r.wait()
	if info, _ := st.info(); !info.Released || st.tabs.SelectedIndex() != tabProctor {
		t.Fatalf("not released by the right code: %q", u.problem.Text)
	}
	if !shows(c, "A101 考场：已开卷") || button(t, c, "开始考试").Disabled() {
		t.Fatal("the console does not offer to start the room")
	}
}

func TestOnlineReleaseWhenItIsTime(t *testing.T) {
	r := newRig(t)
	a := r.enrolled()
	st := a.station
	st.tabs.SelectIndex(tabUnlock)
	u := st.unlock
	tap(t, u.online)
	r.wait()
	if u.releaseAt.IsZero() {
		t.Fatalf("no countdown: %q", u.wait.Text)
	}
	// Central's clock reaches the release time; so does ours.
	r.central.Release()
	u.releaseAt = time.Now()
	u.tick()
	r.wait()
	if info, _ := st.info(); !info.Released || st.tabs.SelectedIndex() != tabProctor {
		t.Fatalf("the countdown's end did not release the paper: %q %q", u.wait.Text, u.problem.Text)
	}
}

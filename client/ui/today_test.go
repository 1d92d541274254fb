package ui

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"

	"onex/client/site"
	"onex/internal/faultproxy"
	wire "onex/sync"
)

func TestTodaySyncAndExport(t *testing.T) {
	r := newRig(t)
	a := r.enrolled()
	c := a.win.Canvas()
	td := a.station.today
	r.checkIn(ticket) // one record for central
	td.probe()
	r.wait()
	if td.pending.Text != "待上传记录：1 条" || td.receipt.Text != "还没有收到中心回执" || !strings.HasPrefix(td.online.Text, "● 在线") {
		t.Fatalf("sync panel: %q %q %q", td.online.Text, td.pending.Text, td.receipt.Text)
	}

	// Offline: central cannot be reached, the record waits.
	r.central.Relay.Cut()
	tap(t, td.syncBtn)
	r.wait()
	if !strings.HasPrefix(td.online.Text, "● 离线") || !strings.HasPrefix(td.syncNote.Text, "中心拒绝连接：中心程序可能没有运行") || td.pending.Text != "待上传记录：1 条" {
		t.Fatalf("offline: %q %q %q", td.online.Text, td.syncNote.Text, td.pending.Text)
	}

	// Exported to a file, the record stays pending.
	path := exportTo(t, td)
	r.wait()
	var e wire.Export
	if b, err := os.ReadFile(path); err != nil || json.Unmarshal(b, &e) != nil || len(e.Envelopes) != 1 || e.Format != wire.ExportFormat {
		t.Fatalf("export file: %v, %+v", err, e)
	}
	if !strings.HasPrefix(td.note.Text, "已将 1 条待上传记录导出到 "+path) {
		t.Fatalf("after export: %q", td.note.Text)
	}

	// Back online, sync now delivers it with a receipt.
	if err := r.central.Relay.Restore(); err != nil {
		t.Fatal(err)
	}
	tap(t, td.syncBtn)
	r.wait()
	if !strings.HasPrefix(td.syncNote.Text, "已送达 1 条记录，拒收 0 条") || td.pending.Text != "待上传记录：0 条" || !strings.HasPrefix(td.receipt.Text, "最近回执：") {
		t.Fatalf("after sync: %q %q %q", td.syncNote.Text, td.pending.Text, td.receipt.Text)
	}
	a.station.sessionsChanged()
	if !shows(c, "名单 40 人 · 到场 1 · 迟到 0 · 缺考 0 · 已交卷 0") {
		t.Fatal("the session's figures do not show the check-in")
	}
}

// stall puts a fault proxy between the site and the real central (through
// central's relay) that holds every answer for hold: central gets each
// request and commits it, the site hears nothing.
func (r *rig) stall(hold time.Duration) *faultproxy.Proxy {
	r.t.Helper()
	target := r.central.Relay.Target()
	var stalled atomic.Bool
	stalled.Store(true)
	p, err := faultproxy.Start(target, func(int64) faultproxy.Fault {
		if stalled.Load() {
			return faultproxy.Stall
		}
		return faultproxy.Pass
	})
	if err != nil {
		r.t.Fatal(err)
	}
	p.StallFor = hold
	r.t.Cleanup(func() { p.Close() })
	r.t.Cleanup(func() { stalled.Store(false) })
	r.central.Relay.SetTarget(strings.TrimPrefix(p.URL(), "http://"))
	return p
}

// eventually polls cond for up to d.
func eventually(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(d); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("after %s: %s", d, what)
		}
	}
}

// TestTodayStalledCentral is issue 12's frozen sync: "正在上传……" for 104 s
// with download, sync and export disabled. Now a sync shows what it is
// sending, only its own button is disabled, export to a file works while it
// waits, and it gives up within its bound saying central did not answer.
// Before the fix, export was disabled during the sync and the sync waited out
// the client's tries (here 10 s each).
func TestTodayStalledCentral(t *testing.T) {
	if testing.Short() {
		defer func(b site.SyncBound) { syncBound = b }(syncBound)
		syncBound = site.SyncBound{Try: 2 * time.Second, Total: 5 * time.Second}
	}
	r := newRig(t)
	a := r.enrolled()
	td := a.station.today
	for i := 1; i <= 3; i++ {
		r.checkIn(fmt.Sprintf("2026WEB0100%02d", i))
	}
	td.probe()
	r.wait()
	proxy := r.stall(syncBound.Try + 2*time.Second)

	start := time.Now()
	tap(t, td.syncBtn)
	eventually(t, 5*time.Second, "the batch never reached the stalled central", func() bool { return proxy.Counts()[faultproxy.Stall] > 0 })
	if !td.syncBtn.Disabled() || td.exportBtn.Disabled() || td.downloadBtn.Disabled() {
		t.Fatalf("while the sync waits: sync disabled %v, export disabled %v, download disabled %v", td.syncBtn.Disabled(), td.exportBtn.Disabled(), td.downloadBtn.Disabled())
	}
	if want := "正在上传：已处理 0 / 3 条\n正在发送 3 条，等待中心应答……"; td.syncNote.Text != want || td.syncBar.Hidden {
		t.Fatalf("sync progress %q, want %q", td.syncNote.Text, want)
	}
	laidOut(t, td.syncBar, td.syncNote)

	// Export to a file while the sync waits.
	path := exportTo(t, td)
	var e wire.Export
	eventually(t, syncBound.Total, "no export file while the sync waits", func() bool {
		b, err := os.ReadFile(path)
		return err == nil && json.Unmarshal(b, &e) == nil
	})
	if len(e.Envelopes) != 3 || !td.syncBtn.Disabled() {
		t.Fatalf("export during the sync: %d records, sync still waiting %v", len(e.Envelopes), td.syncBtn.Disabled())
	}

	eventually(t, syncBound.Total+2*time.Second, "the sync button did not come back", func() bool { return !td.syncBtn.Disabled() })
	took := time.Since(start)
	t.Logf("the station's sync gave up on a stalled central after %s (bound %s)", took.Round(10*time.Millisecond), syncBound.Total)
	if took > syncBound.Total+time.Second {
		t.Fatalf("the sync took %s, bound %s", took, syncBound.Total)
	}
	r.wait() // the status read after it (central's /healthz, stalled too, 3 s)
	laidOut(t, td.syncNote)
	want := fmt.Sprintf("中心 %v 秒内没有应答，本次同步已停止", syncBound.Total.Seconds())
	if td.syncBtn.Disabled() || td.exportBtn.Disabled() || !strings.HasPrefix(td.syncNote.Text, want) || !td.syncBar.Hidden {
		t.Fatalf("after the stalled sync: sync disabled %v, export disabled %v, %q", td.syncBtn.Disabled(), td.exportBtn.Disabled(), td.syncNote.Text)
	}
	if !strings.HasPrefix(td.note.Text, "已将 3 条待上传记录导出到 "+path) || td.pending.Text != "待上传记录：3 条" {
		t.Fatalf("after: %q, %q", td.note.Text, td.pending.Text)
	}
}

// TestTodayExportNothingPending: with nothing to send, export says so and
// asks for no file (it wrote an empty export file before issue 12).
func TestTodayExportNothingPending(t *testing.T) {
	r := newRig(t)
	a := r.enrolled()
	td := a.station.today
	r.wait()
	tap(t, td.exportBtn)
	r.wait()
	if td.note.Text != "没有待上传的记录，无需导出，未写入文件。" || a.win.Canvas().Overlays().Top() != nil {
		t.Fatalf("export with nothing pending: %q, a dialog up: %v", td.note.Text, a.win.Canvas().Overlays().Top() != nil)
	}

	// Chosen while records were pending, the file is removed when a sync
	// delivered them before it was written.
	path := exportTo(t, td)
	r.wait()
	if _, err := os.Stat(path); !os.IsNotExist(err) || td.note.Text != "没有待上传的记录，无需导出，未写入文件。" {
		t.Fatalf("the file is left (%v), %q", err, td.note.Text)
	}
}

// TestTodayCountsAfterSync is issue 12's stale Today card: a candidate
// submits, staff sync, and the card still said 已交卷 0. The card kept the
// figures read at the last download; now every status it reads (after a
// sync, an export, a download, or on the clock) brings them. Fails before the
// fix with the card at 0.
func TestTodayCountsAfterSync(t *testing.T) {
	r := newRig(t)
	a := r.enrolled()
	c := a.win.Canvas()
	a.station.tabs.SelectIndex(tabToday)
	r.startRoom()
	r.checkIn(ticket)
	r.wait()
	a.station.sessionsChanged()
	r.wait()
	if !shows(c, "名单 40 人 · 到场 0 · 迟到 1 · 缺考 0 · 已交卷 0") { // late: the room has started
		t.Fatal("the card does not show the check-in")
	}
	ctx := context.Background()
	e, err := a.site.Begin(ctx, r.central.Session.ID, ticket)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Submit(ctx); err != nil {
		t.Fatal(err)
	}
	td := a.station.today
	tap(t, td.syncBtn)
	r.wait()
	if !strings.HasPrefix(td.syncNote.Text, "已送达") || !shows(c, "名单 40 人 · 到场 0 · 迟到 1 · 缺考 0 · 已交卷 1") {
		t.Fatalf("after the sync (%q) the card does not show the submission", td.syncNote.Text)
	}
}

// exportTo has the Today screen export to a new file in a folder typed
// into its export dialog, and returns the file's path.
func exportTo(t *testing.T, td *todayScreen) string {
	t.Helper()
	dir := t.TempDir()
	td.chooseFile()
	c := td.st.a.win.Canvas()
	var where *widget.Select
	for _, o := range objectsIn(c.Overlays().Top()) {
		if s, ok := o.(*widget.Select); ok {
			where = s
		}
	}
	if where == nil || !slices.Contains(where.Options, tr("export.home")) {
		t.Fatalf("the export dialog offers no home folder: %v", where)
	}
	e := dialogEntries(t, c) // the folder, the file's name
	if len(e) != 2 {
		t.Fatalf("the export dialog has %d entries", len(e))
	}
	e[0].SetText(filepath.Join(dir, "missing"))
	if ok := dialogButton(t, c, tr("export.ok")); !ok.Disabled() {
		t.Fatal("export offered into a folder that does not exist")
	}
	e[0].SetText(dir)
	e[1].SetText("export.json")
	tap(t, dialogButton(t, c, tr("export.ok")))
	return filepath.Join(dir, "export.json")
}

// laidOut fails unless each object has at least the room it asks for: the
// panel's box kept the heights it had before a bar was shown or a message
// grew a line.
func laidOut(t *testing.T, objs ...fyne.CanvasObject) {
	t.Helper()
	for _, o := range objs {
		if o.Size().Height < o.MinSize().Height || o.Size().Width < o.MinSize().Width {
			t.Fatalf("%T has %v, needs %v", o, o.Size(), o.MinSize())
		}
	}
}

package ui

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2/storage"

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
	if !strings.HasPrefix(td.online.Text, "● 离线") || td.note.Text != "无法连接中心（网络不通或中心未运行）。" || td.pending.Text != "待上传记录：1 条" {
		t.Fatalf("offline: %q %q %q", td.online.Text, td.note.Text, td.pending.Text)
	}

	// Exported to a file, the record stays pending.
	path := filepath.Join(t.TempDir(), "export.json")
	w, err := storage.Writer(storage.NewFileURI(path))
	if err != nil {
		t.Fatal(err)
	}
	td.exportTo(w)
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
	if !strings.HasPrefix(td.note.Text, "已送达 1 条记录，拒收 0 条") || td.pending.Text != "待上传记录：0 条" || !strings.HasPrefix(td.receipt.Text, "最近回执：") {
		t.Fatalf("after sync: %q %q %q", td.note.Text, td.pending.Text, td.receipt.Text)
	}
	a.station.sessionsChanged()
	if !shows(c, "名单 40 人 · 到场 1 · 迟到 0 · 缺考 0 · 已交卷 0") {
		t.Fatal("the session's figures do not show the check-in")
	}
}

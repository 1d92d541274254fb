package terminal_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"onex/client/handin"
	"onex/client/site"
	"onex/client/terminal"
	"onex/exam"
	"onex/internal/roomtest"
	"onex/server/servertest"
)

// noneHolds fails when a file under dir holds any of the needles.
func noneHolds(t *testing.T, dir string, needles ...[]byte) {
	t.Helper()
	n := 0
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		b, _ := os.ReadFile(p)
		n++
		for _, s := range needles {
			if bytes.Contains(b, s) {
				t.Errorf("%s holds %.20q in the clear", p, s)
			}
		}
		return nil
	})
	if n == 0 {
		t.Errorf("%s has no files to look at", dir)
	}
}

// writeFile puts a file in the work folder as a candidate's tools would.
func writeFile(t *testing.T, folder, name string, b []byte) {
	t.Helper()
	p := filepath.Join(folder, filepath.FromSlash(name))
	err := os.MkdirAll(filepath.Dir(p), 0o755)
	if err == nil {
		err = os.WriteFile(p, b, 0o644)
	}
	if err != nil {
		t.Fatal(err)
	}
}

// stationFiles is what the station holds of the candidate's hand-in item.
func stationFiles(t *testing.T, s *site.Site, session string) map[string][]byte {
	t.Helper()
	items, err := s.HandedIn(context.Background(), session, ticket)
	if err != nil || len(items) != 1 || items[0].Item.ID != servertest.HandInItem {
		t.Fatalf("the station's hand-in: %+v, %v", items, err)
	}
	out := map[string][]byte{}
	for _, f := range items[0].Files {
		out[f.Name] = f.Content
	}
	return out
}

// handInRoom is a real station with the hand-in paper and a terminal
// paired with it, running, its candidate signed in and the room started
// (the work folder made when the paper came).
type handInRoom struct {
	st      *roomtest.Station
	tm      *terminal.Terminal
	cfg     terminal.Config
	folder  string
	stopRun func() // stops Run and waits for it
}

func newHandInRoom(t *testing.T, saveWait time.Duration, opts ...servertest.Option) *handInRoom {
	t.Helper()
	ctx := context.Background()
	st := roomtest.New(t, append(opts, servertest.WithHandIn())...)
	code, err := st.Server.PairingCode("A101", 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	cfg := terminal.Config{Dir: filepath.Join(t.TempDir(), "terminal"), SaveWait: saveWait, WorkBase: filepath.Join(t.TempDir(), handin.BaseName)}
	tm, err := terminal.Pair(ctx, cfg, code, "PC-07", "07")
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	ran := make(chan struct{})
	go func() { tm.Run(runCtx); close(ran) }()
	r := &handInRoom{st: st, tm: tm, cfg: cfg, stopRun: func() { stop(); <-ran }}
	t.Cleanup(r.stopRun)
	if _, err := st.Site.CheckIn(ctx, st.Session, site.CheckInRequest{Ticket: ticket, Status: exam.Present, Confirmed: true}); err != nil {
		t.Fatal(err)
	}
	found, err := st.Site.Find(ctx, st.Session, ticket)
	if err == nil && len(found) == 1 {
		_, err = tm.SignIn(ctx, ticket, found[0].SeatCode)
	}
	st.Central.Release()
	if err == nil {
		err = st.Site.Release(ctx, st.Session)
	}
	if err == nil {
		err = st.Site.StartRoom(ctx, st.Session, "张监考")
	}
	if err != nil {
		t.Fatal(err)
	}
	until(t, tm, 2*time.Second, "the start", func(s terminal.Status) bool { return s.Candidate != nil && s.Candidate.Started })
	v, err := tm.View(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if it := itemOf(t, v, exam.HandIn); it.ID != servertest.HandInItem {
		t.Fatalf("hand-in item %s", it.ID)
	}
	// The paper came: the work folder is there, the user's alone.
	r.folder = handin.Folder(cfg.WorkBase, st.Session, ticket)
	if fi, err := os.Stat(r.folder); err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("work folder %s: %v %v", r.folder, fi, err)
	}
	if got, err := tm.WorkFolder(); err != nil || got != r.folder {
		t.Fatalf("WorkFolder %s, %v; want %s", got, err, r.folder)
	}
	return r
}

// TestHandInEndToEnd: the candidate's work folder is made at sign-in
// (0700); a folder the item's limits refuse is refused naming the file,
// with nothing journalled or sent; "hand in now" with 20 MiB goes to the
// station (AtStation only once it holds every piece); a proctor's
// "collect now" reaches the terminal through the long poll and hands the
// changed folder in; submitting hands it in again and the folder is
// removed once the station has everything; the terminal's directory and
// the station's hold no file content in the clear; the terminal dies
// (its directory and work folders gone) and nothing is lost: the station
// syncs to central over TLS, where every file is whole and its SHA-256
// the candidate's.
func TestHandInEndToEnd(t *testing.T) {
	ctx := context.Background()
	r := newHandInRoom(t, 2*time.Second, servertest.WithTLS())
	st, tm, dir, work, folder := r.st, r.tm, r.cfg.Dir, r.cfg.WorkBase, r.folder
	if fi, err := os.Stat(folder); err != nil || fi.Mode().Perm() != 0o700 || filepath.Dir(folder) != work {
		t.Fatalf("work folder %s: %v %v", folder, fi, err)
	}

	// An empty folder is never handed in.
	if _, err := tm.HandIn(ctx, servertest.HandInItem); !errors.Is(err, handin.ErrEmpty) || tm.Status().Pending != 0 {
		t.Fatalf("an empty folder: %v, %d pending", err, tm.Status().Pending)
	}

	// Too many files: refused naming the file, nothing journalled or sent.
	for i := range 21 {
		writeFile(t, folder, fmt.Sprintf("extra/%02d.txt", i), []byte("x"))
	}
	before := tm.Status().Acked
	_, err := tm.HandIn(ctx, servertest.HandInItem)
	var fe *handin.FileError
	if !errors.As(err, &fe) || fe.Name != "extra/20.txt" || !strings.Contains(err.Error(), "at most 20 files") {
		t.Fatalf("21 files: %v", err)
	}
	if s := tm.Status(); s.Pending != 0 || s.Acked != before {
		t.Errorf("a refused hand-in journalled or sent something: %+v", s)
	}
	os.RemoveAll(filepath.Join(folder, "extra"))
	// Too big: refused naming the file.
	writeFile(t, folder, "huge.bin", make([]byte, exam.DefaultHandInBytes+1))
	if _, err := tm.HandIn(ctx, servertest.HandInItem); !errors.As(err, &fe) || fe.Name != "huge.bin" {
		t.Fatalf("a file over 20 MiB: %v", err)
	}
	os.Remove(filepath.Join(folder, "huge.bin"))

	// 20 MiB handed in now.
	marker := []byte("<h1>candidate-work-5521</h1>")
	page := append([]byte("<!doctype html>\n"), marker...)
	big := make([]byte, exam.DefaultHandInBytes-4096) // room for the page to grow
	rand.Read(big)
	writeFile(t, folder, "index.html", page)
	writeFile(t, folder, "assets/video.bin", big)
	begin := time.Now()
	h, err := tm.HandIn(ctx, servertest.HandInItem)
	took := time.Since(begin)
	if err != nil || h.Where != terminal.AtStation || len(h.Files) != 2 {
		t.Fatalf("hand in now: %+v, %v", h, err)
	}
	t.Logf("FIGURE: 20 MiB (2 files, %d pieces) handed in terminal → station over loopback TLS in %v (%.1f MiB/s)",
		exam.Chunks(int64(len(big)))+1, took.Round(time.Millisecond), 20/took.Seconds())
	got := stationFiles(t, st.Site, st.Session)
	if !bytes.Equal(got["index.html"], page) || !bytes.Equal(got["assets/video.bin"], big) {
		t.Fatalf("the station holds %d files, not the candidate's", len(got))
	}

	// The proctor collects: the changed page reaches the station.
	page2 := append(page, []byte("\n<p>edited after hand-in</p>")...)
	writeFile(t, folder, "index.html", page2)
	if err := st.Site.CollectNow(ctx, st.Session, ""); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for !bytes.Equal(stationFiles(t, st.Site, st.Session)["index.html"], page2) {
		if time.Now().After(deadline) {
			t.Fatalf("the proctor's collect did not bring the changed page to the station: %v, %+v", tm.HandInError(), tm.Status().Candidate)
		}
		time.Sleep(100 * time.Millisecond)
	}

	// Submit: handed in again, then the folder is removed.
	page3 := append(page2, []byte("\n<p>final</p>")...)
	writeFile(t, folder, "index.html", page3)
	if w, err := tm.Submit(ctx); err != nil || w != terminal.AtStation {
		t.Fatalf("submit: %v %v", w, err)
	}
	if got := stationFiles(t, st.Site, st.Session); !bytes.Equal(got["index.html"], page3) || !bytes.Equal(got["assets/video.bin"], big) {
		t.Fatal("the submission's hand-in is not at the station")
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if _, err := os.Stat(folder); errors.Is(err, os.ErrNotExist) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the work folder is still there after the submission")
		}
	}
	noneHolds(t, dir, marker, big[:64], big[len(big)/2:len(big)/2+64])
	noneHolds(t, st.Dir, marker, big[:64], big[len(big)/2:len(big)/2+64])

	// The terminal dies with its disk: nothing is lost.
	r.stopRun()
	os.RemoveAll(dir)
	os.RemoveAll(work)
	begin = time.Now()
	stats, err := st.Site.Sync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("FIGURE: the station synced %d records (the hand-in's pieces among them) to central over TLS in %v", stats.Accepted, time.Since(begin).Round(time.Millisecond))
	files, err := st.Central.HandedIn(ctx, st.Session, ticket, servertest.HandInItem)
	if err != nil || len(files) != 2 {
		t.Fatalf("central: %d files, %v", len(files), err)
	}
	for _, f := range files {
		want := map[string][]byte{"index.html": page3, "assets/video.bin": big}[f.Name]
		if !f.Complete() || !bytes.Equal(f.Content, want) || f.SHA256 != exam.FileHash(want) {
			t.Errorf("central's %s: %q, %d bytes", f.Name, f.Problem, len(f.Content))
		}
	}
}

// TestHandInKeptThroughACrash: the station is gone when the candidate
// hands in, so the pieces and the answer are journalled on this computer
// only ("saved here"); the terminal then dies (never closed) and its work
// folder is emptied; a new terminal process opens the same directory,
// the station comes back, and the journal brings every file to the
// station, whole.
func TestHandInKeptThroughACrash(t *testing.T) {
	ctx := context.Background()
	r := newHandInRoom(t, time.Second)
	st, tm, cfg, folder := r.st, r.tm, r.cfg, r.folder
	work1 := make([]byte, 3*exam.HandInChunk/2)
	rand.Read(work1)
	writeFile(t, folder, "src/app.js", work1)
	writeFile(t, folder, "README.txt", []byte("my notes"))

	st.Stop()
	h, err := tm.HandIn(ctx, servertest.HandInItem)
	if err != nil || h.Where != terminal.OnThisComputer || len(h.Files) != 2 {
		t.Fatalf("hand in with the station gone: %+v, %v", h, err)
	}
	if p := tm.Status().Pending; p != 4 {
		t.Errorf("%d changes journalled, want 4 (three pieces and the answer)", p)
	}
	noneHolds(t, cfg.Dir, work1[:64], []byte("my notes"))
	// The terminal dies: Run stops, nothing is closed; its folder is gone too.
	r.stopRun()
	os.RemoveAll(cfg.WorkBase)

	tm2, err := terminal.Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer tm2.Close()
	if p := tm2.Status().Pending; p != 4 {
		t.Fatalf("the reopened journal holds %d changes, want 4", p)
	}
	st.Start(t)
	run2, stop2 := context.WithCancel(ctx)
	ran2 := make(chan struct{})
	go func() { tm2.Run(run2); close(ran2) }()
	defer func() { stop2(); <-ran2 }()
	until(t, tm2, 20*time.Second, "the replay", func(s terminal.Status) bool { return s.Connected && s.Pending == 0 })
	got := stationFiles(t, st.Site, st.Session)
	if !bytes.Equal(got["src/app.js"], work1) || string(got["README.txt"]) != "my notes" {
		t.Fatalf("after the crash the station holds %d files, not the candidate's", len(got))
	}
}

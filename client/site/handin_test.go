package site_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"onex/client/handin"
	roomwire "onex/client/room"
	"onex/exam"
	"onex/server/servertest"
	wire "onex/sync"
)

// TestStationHandInRules: the station stores a terminal's pieces once
// (a copy queues no second record for central), refuses a piece for an
// item that is not a hand-in, out of the item's bytes or of a bad size,
// and refuses an answer listing a file whose pieces it does not hold (or
// that do not make it), with the file named and the answer unchanged; a
// candidate sitting at the station hands in through Exam.HandIn, whose
// limits refuse too many files with nothing stored.
func TestStationHandInRules(t *testing.T) {
	ctx := context.Background()
	r := enrolRigWith(t, servertest.New(t, servertest.WithHandIn()), nil)
	if _, err := r.s.Download(ctx, nil); err != nil {
		t.Fatal(err)
	}
	tm := r.signedIn(ticketA)
	r.started()
	if _, err := r.s.TerminalView(ctx, tm.id, r.session, ticketA); err != nil {
		t.Fatal(err)
	}
	content := bytes.Repeat([]byte("网页"), exam.HandInChunk/6+10) // two pieces
	f := handin.File{HandedFile: exam.HandedFile{Name: "index.html", Size: int64(len(content)), SHA256: exam.FileHash(content)}, Content: content}
	ps := f.Pieces()
	piece := func(item string, i int, data []byte) roomwire.Change {
		return roomwire.Change{SessionID: r.session, Ticket: ticketA, Op: roomwire.OpPiece, ItemID: item, File: f.SHA256, Index: i, Data: data, Used: time.Minute}
	}
	saveFiles := func(files ...exam.HandedFile) roomwire.Change {
		return roomwire.Change{SessionID: r.session, Ticket: ticketA, Op: roomwire.OpSave, ItemID: servertest.HandInItem, Answer: exam.Answer{Files: files}, Used: time.Minute}
	}
	queued := func() int {
		t.Helper()
		st, err := r.s.Status(ctx, false)
		if err != nil {
			t.Fatal(err)
		}
		return st.PendingByKind[wire.KindHandIn]
	}
	res, err := r.s.ApplyChanges(ctx, tm.id, [][]byte{
		tm.seal(piece(servertest.HandInItem, 0, ps[0])),
		tm.seal(saveFiles(f.HandedFile)),                 // the second piece is missing
		tm.seal(piece(servertest.HandInItem, 0, ps[0])),  // a copy
		tm.seal(piece("q10", 1, ps[1])),                  // an essay
		tm.seal(piece(servertest.HandInItem, 1, nil)),    // empty
		tm.seal(piece(servertest.HandInItem, 80, ps[1])), // beyond 20 MiB
		tm.seal(piece(servertest.HandInItem, 1, ps[1])),
		tm.seal(saveFiles(f.HandedFile)),
	})
	want := []string{"1 applied", "2 refused input", "3 applied", "4 refused input", "5 refused input", "6 refused input", "7 applied", "8 applied"}
	if err != nil || !slices.Equal(outcomes(res), want) {
		t.Fatalf("%v, %v; want %v", outcomes(res), err, want)
	}
	if d := res.Results[1].Detail; !strings.Contains(d, `"index.html"`) {
		t.Errorf("the refusal does not name the file: %q", d)
	}
	if n := queued(); n != 2 {
		t.Errorf("%d handin-chunk records queued for central, want 2 (a copy is not sent again)", n)
	}
	items, err := r.s.HandedIn(ctx, r.session, ticketA)
	if err != nil || len(items) != 1 || len(items[0].Files) != 1 || !bytes.Equal(items[0].Files[0].Content, content) {
		t.Fatalf("the station's hand-in: %+v, %v", items, err)
	}

	// A candidate at the station.
	r.checkIn(ticketB)
	e, err := r.s.Begin(ctx, r.session, ticketB)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for i := range 21 {
		os.WriteFile(filepath.Join(dir, string(rune('a'+i))+".txt"), []byte{byte(i)}, 0o600)
	}
	before := queued()
	many := make([]handin.File, 21)
	for i := range many {
		b := []byte{byte(i)}
		many[i] = handin.File{HandedFile: exam.HandedFile{Name: string(rune('a'+i)) + ".txt", Size: 1, SHA256: exam.FileHash(b)}, Content: b}
	}
	if err := e.HandIn(ctx, servertest.HandInItem, many); err == nil || !strings.Contains(err.Error(), "21 files, at most 20") {
		t.Errorf("21 files at the station: %v", err)
	}
	if queued() != before {
		t.Error("a refused hand-in queued records")
	}
	files, err := handin.Collect(dir, exam.HandInLimits{Files: 30, Bytes: 100})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.HandIn(ctx, servertest.HandInItem, files[:3]); err != nil {
		t.Fatal(err)
	}
	if items, err := r.s.HandedIn(ctx, r.session, ticketB); err != nil || len(items[0].Files) != 3 || !bytes.Equal(items[0].Files[2].Content, []byte{2}) {
		t.Errorf("at the station: %+v, %v", items, err)
	}
	if n := queued() - before; n != 3 {
		t.Errorf("%d pieces queued for 3 one-byte files", n)
	}
}

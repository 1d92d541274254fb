package server_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"strings"
	"testing"

	"onex/exam"
	"onex/server"
	"onex/server/servertest"
	"onex/server/store/pgtest"
	osync "onex/sync"
)

// pieces cuts content into the handin-chunk records of a file.
func pieces(s server.Session, ticket string, content []byte) []osync.HandInChunk {
	return servertest.HandInPieces(s, ticket, servertest.HandInItem, content)
}

// TestHandedInPutTogether: central keeps the pieces of handed-in files as
// they come (copies change nothing), puts each file together for
// HandedIn and checks it against the submission's size and SHA-256; a
// file with a piece missing, or pieces that do not make it, is listed
// without content; a piece for an item that is not a hand-in, or a
// ticket not on the roster, is rejected.
func TestHandedInPutTogether(t *testing.T) {
	for _, engine := range pgtest.Engines {
		t.Run(engine, func(t *testing.T) { testHandedInPutTogether(t, engine) })
	}
}

func testHandedInPutTogether(t *testing.T, engine string) {
	c := servertest.New(t, servertest.WithDB(pgtest.DSN(t, engine)), servertest.WithHandIn())
	ctx := context.Background()
	d := c.Enrol(t, "SITE-001")
	const ticket = "2026WEB010001"
	big := make([]byte, 2*exam.HandInChunk+100)
	rand.Read(big)
	text := []byte("<!doctype html>\n<title>我的网页</title>\n")
	missing := []byte(strings.Repeat("x", exam.HandInChunk+1))
	files := []exam.HandedFile{
		{Name: "index.html", Size: int64(len(text)), SHA256: exam.FileHash(text)},
		{Name: "img/photo.bin", Size: int64(len(big)), SHA256: exam.FileHash(big)},
		{Name: "empty.txt", Size: 0, SHA256: exam.FileHash(nil)},
		{Name: "half.txt", Size: int64(len(missing)), SHA256: exam.FileHash(missing)},
	}
	var envs [][]byte
	for _, p := range append(append(pieces(c.Session, ticket, text), pieces(c.Session, ticket, big)...), pieces(c.Session, ticket, missing)[:1]...) {
		envs = append(envs, d.Seal(osync.KindHandIn, p).Bytes)
	}
	// A copy of a piece, in another record (a terminal that collected again).
	envs = append(envs, d.Seal(osync.KindHandIn, pieces(c.Session, ticket, big)[1]).Bytes)
	bad := pieces(c.Session, ticket, text)[0]
	bad.ItemID = "q10"
	envs = append(envs, d.Seal(osync.KindHandIn, bad).Bytes)
	stranger := pieces(c.Session, "NOBODY", text)[0]
	envs = append(envs, d.Seal(osync.KindHandIn, stranger).Bytes)
	envs = append(envs, d.Seal(osync.KindSubmission, servertest.Submission(c.Session, ticket, map[string]exam.Answer{servertest.HandInItem: {Files: files}})).Bytes)
	code, resp := d.Push(envs...)
	if code != 200 {
		t.Fatalf("push: %d", code)
	}
	for i, r := range resp.Results {
		want := osync.Accepted
		if i == 6 || i == 7 {
			want = osync.Rejected
		}
		if r.Outcome != want {
			t.Errorf("record %d: %s (%s), want %s", i, r.Outcome, r.Reason, want)
		}
	}
	got, err := c.HandedIn(ctx, c.Session.ID, ticket, servertest.HandInItem)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 4 {
		t.Fatalf("%d files, want 4", len(got))
	}
	for i, want := range [][]byte{text, big, {}} {
		if got[i].HandedFile != files[i] || !got[i].Complete() || !bytes.Equal(got[i].Content, want) || got[i].Content == nil {
			t.Errorf("file %d: %+v, problem %q, %d bytes", i, got[i].HandedFile, got[i].Problem, len(got[i].Content))
		}
	}
	if f := got[3]; f.Complete() || f.Content != nil || f.Problem != "1 of 2 pieces received so far" {
		t.Errorf("a file with a piece missing: %q, %d bytes", f.Problem, len(f.Content))
	}
	if _, err := c.HandedIn(ctx, c.Session.ID, ticket, "q10"); !errors.Is(err, server.ErrNotHandIn) {
		t.Errorf("an essay item: %v", err)
	}
	if _, err := c.HandedIn(ctx, c.Session.ID, "2026WEB010002", servertest.HandInItem); !errors.Is(err, server.ErrNotFound) {
		t.Errorf("no submission: %v", err)
	}
	// The last piece comes; a piece of other content under the same place
	// changes nothing.
	forged := pieces(c.Session, ticket, missing)[1]
	forged.Data = []byte("y")
	code, resp = d.Push(d.Seal(osync.KindHandIn, forged).Bytes, d.Seal(osync.KindHandIn, pieces(c.Session, ticket, missing)[1]).Bytes)
	if code != 200 || resp.Results[0].Outcome != osync.Accepted || resp.Results[1].Outcome != osync.Accepted {
		t.Fatalf("push: %d %+v", code, resp.Results)
	}
	got, err = c.HandedIn(ctx, c.Session.ID, ticket, servertest.HandInItem)
	if err != nil || got[3].Complete() || !strings.Contains(got[3].Problem, "do not make the file") {
		t.Errorf("the first piece in a place is kept, and it does not make the file: %v %q", err, got[3].Problem)
	}
}

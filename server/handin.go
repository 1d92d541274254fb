package server

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"onex/exam"
	"onex/server/store"
	osync "onex/sync"
)

// HandedFile is one file a candidate handed in for a handin item, put
// together from its pieces: its name, size and SHA-256 as the answer lists
// them, and its content once every piece is at central and the whole
// matches the hash. Otherwise Content is nil and Problem says what is
// wrong, for people (pieces not received yet, or a content that does not
// match): the file is listed, never shown in part.
type HandedFile struct {
	exam.HandedFile
	Content []byte
	Problem string
}

// Complete reports whether the file's content is here and checked.
func (f HandedFile) Complete() bool { return f.Problem == "" }

// ErrNotHandIn: the item named is not a handin item of the session's paper.
var ErrNotHandIn = errors.New("not a handin item")

// HandedIn returns the files a candidate handed in for a handin item of a
// session, as their submission lists them, in its order, each put together
// from the pieces central received (sync.HandInChunk) and checked against
// its size and SHA-256. For the office's staff and for markers and
// moderators (who must not be shown the ticket: the caller holds it). A
// session, or a submission, central does not hold is store.ErrNotFound;
// an item of the paper that is not a handin item is ErrNotHandIn; a
// candidate who handed in nothing has no files (nil, nil).
func (c *Central) HandedIn(ctx context.Context, sessionID, ticket, itemID string) ([]HandedFile, error) {
	_, paper, err := c.sessionPaper(ctx, sessionID)
	if err != nil {
		return nil, err
	}
	it, ok := paper.Item(itemID)
	if !ok || it.Type != exam.HandIn {
		return nil, fmt.Errorf("item %s of session %s: %w", itemID, sessionID, ErrNotHandIn)
	}
	answers, err := c.db.SubmittedAnswers(ctx, sessionID, ticket)
	if err != nil {
		return nil, fmt.Errorf("session %s: %w", sessionID, err)
	}
	var out []HandedFile
	for _, f := range answers[itemID].Files {
		hf, err := c.assemble(ctx, sessionID, ticket, f)
		if err != nil {
			return nil, fmt.Errorf("session %s item %s: %w", sessionID, itemID, err)
		}
		out = append(out, hf)
	}
	return out, nil
}

// assemble puts one file together from its pieces and checks it.
func (c *Central) assemble(ctx context.Context, sessionID, ticket string, f exam.HandedFile) (HandedFile, error) {
	out := HandedFile{HandedFile: f}
	pieces, err := c.db.HandInPieces(ctx, sessionID, ticket, f.SHA256)
	if err != nil {
		return out, err
	}
	want := f.Chunks()
	var buf bytes.Buffer
	buf.Grow(int(f.Size))
	have := 0
	for _, p := range pieces {
		if p.Index != have || have >= want {
			break
		}
		var h osync.HandInChunk
		pl, err := osync.DecodePayload(osync.KindHandIn, p.Payload)
		if err != nil {
			return out, fmt.Errorf("piece %d of a file: %w", p.Index, err)
		}
		h = *pl.(*osync.HandInChunk)
		buf.Write(h.Data)
		have++
	}
	switch {
	case have < want:
		out.Problem = fmt.Sprintf("%d of %d pieces received so far", have, want)
	case int64(buf.Len()) != f.Size || exam.FileHash(buf.Bytes()) != f.SHA256:
		out.Problem = "the pieces received do not make the file handed in (size or SHA-256 differs)"
	default:
		out.Content = buf.Bytes()
		if out.Content == nil {
			out.Content = []byte{}
		}
	}
	return out, nil
}

// piece checks a piece of a handed-in file against its session and says
// where it goes.
func piece(h *osync.HandInChunk, se *sessionEntry) (*store.HandInPiece, error) {
	if !se.tickets[h.Ticket] {
		return nil, fmt.Errorf("ticket %q is not on the roster of session %s", h.Ticket, se.s.ID)
	}
	it, ok := se.paper.Item(h.ItemID)
	if !ok || it.Type != exam.HandIn {
		return nil, fmt.Errorf("item %s is not a handin item of paper %s", h.ItemID, se.paper.ID)
	}
	if int64(h.Index)*exam.HandInChunk >= it.HandInLimits().Bytes {
		return nil, fmt.Errorf("piece %d of a file for item %s is beyond the item's %d bytes", h.Index, it.ID, it.HandInLimits().Bytes)
	}
	return &store.HandInPiece{Ticket: h.Ticket, ItemID: h.ItemID, File: h.File, Index: h.Index, Size: len(h.Data)}, nil
}

// HandedItem is what a candidate handed in for one handin item.
type HandedItem struct {
	Item  exam.Item
	Files []HandedFile
}

// HandedInAll returns what a candidate handed in for every handin item of
// the session's paper, in paper order (none when the paper has no handin
// item), for the office's staff. No submission at central is
// store.ErrNotFound.
func (c *Central) HandedInAll(ctx context.Context, sessionID, ticket string) ([]HandedItem, error) {
	_, paper, err := c.sessionPaper(ctx, sessionID)
	if err != nil {
		return nil, err
	}
	var out []HandedItem
	for _, it := range paper.Items() {
		if it.Type != exam.HandIn {
			continue
		}
		files, err := c.HandedIn(ctx, sessionID, ticket, it.ID)
		if err != nil {
			return nil, err
		}
		out = append(out, HandedItem{Item: it, Files: files})
	}
	return out, nil
}

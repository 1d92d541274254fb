package site

import (
	"context"
	"errors"
	"fmt"
	"time"

	"onex/client/handin"
	roomwire "onex/client/room"
	"onex/client/store"
	"onex/exam"
	wire "onex/sync"
)

// Hand-in at the station (issue 15; client/room/PROTOCOL.md, "Hand-in"):
// a terminal sends each piece of each file as a change (OpPiece), then
// the answer listing the files (OpSave); the station keeps the pieces
// sealed in its store, queues each new one for central as a handin-chunk
// record, and takes the answer only when it holds every piece of every
// file it lists and they make the file.

// applyPiece applies a terminal's OpPiece change for a candidate whose
// paper takes changes now; res gets its outcome.
func (s *Site) applyPiece(tx *store.Tx, r *room, a *attempt, c roomwire.Change, now time.Time, res *roomwire.ChangeResult) error {
	refuse := func(detail string) error {
		res.Outcome, res.Code, res.Detail = roomwire.Refused, RefusedInput, detail
		return nil
	}
	it, ok := r.paper.Item(c.ItemID)
	if !ok || it.Type != exam.HandIn {
		return refuse(fmt.Sprintf("item %q is not a handin item of the paper", c.ItemID))
	}
	p := wire.HandInChunk{SessionID: r.id, Ticket: a.ticket, ItemID: it.ID, File: c.File, Index: c.Index, Data: c.Data}
	if err := p.Check(); err != nil {
		return refuse(err.Error())
	}
	if int64(p.Index)*exam.HandInChunk >= it.HandInLimits().Bytes {
		return refuse(fmt.Sprintf("piece %d is beyond the item's %d bytes", p.Index, it.HandInLimits().Bytes))
	}
	if err := s.putPiece(tx, r, p, now); err != nil {
		return err
	}
	res.Outcome = roomwire.Applied
	return nil
}

// putPiece stores a piece and, when the store did not hold it, queues it
// for central.
func (s *Site) putPiece(tx *store.Tx, r *room, p wire.HandInChunk, now time.Time) error {
	fresh, err := tx.PutHandInPiece(p.SessionID, p.Ticket, p.File, p.Index, p.Data)
	if err != nil || !fresh {
		return err
	}
	p.Clock = s.stamp(r, now)
	_, err = s.queue(tx, wire.KindHandIn, r.id, p, now)
	return err
}

// missingFile says which file of a hand-in answer the station does not
// hold whole (its pieces missing, or not making it), or "". The error is
// the store's.
func missingFile(tx *store.Tx, sessionID, ticket string, a exam.Answer) (string, error) {
	for _, f := range a.Files {
		if _, err := tx.HandInFile(sessionID, ticket, f); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return fmt.Sprintf("the station does not hold the file %q whole: its pieces come before the answer", f.Name), nil
			}
			return "", err
		}
	}
	return "", nil
}

// HandIn hands in files for a handin item of a candidate who sits at the
// station (handin.Collect of their work folder): their pieces and the
// answer listing them, in one transaction, as a terminal's changes would.
// Limits the item refuses are ErrInput, and nothing is stored.
func (e *Exam) HandIn(ctx context.Context, itemID string, files []handin.File) error {
	ans := exam.Answer{Files: handin.Files(files)}
	return e.onItem(ctx, itemID, func(tx *store.Tx, r *room, a *attempt, it exam.Item, now time.Time) error {
		if it.Type != exam.HandIn {
			return inputf("item_not_in_paper", "item %q is not a handin item of paper %s", itemID, r.paper.ID)
		}
		if _, err := it.CheckAnswer(ans); err != nil {
			return fmt.Errorf("%w: %w", ErrInput, err)
		}
		for _, f := range files {
			for i, data := range f.Pieces() {
				p := wire.HandInChunk{SessionID: r.id, Ticket: a.ticket, ItemID: it.ID, File: f.SHA256, Index: i, Data: data}
				if err := e.s.putPiece(tx, r, p, now); err != nil {
					return err
				}
			}
		}
		return e.s.changeItem(tx, r, a, it, setAnswer(ans), now)
	})
}

// HandedItem is what a candidate handed in for one handin item, as the
// station holds it: the files with their content, or why one is not whole.
type HandedItem struct {
	Item  exam.Item
	Files []HandedFile
}

// HandedFile is one handed-in file at the station.
type HandedFile struct {
	exam.HandedFile
	Content []byte // nil when the station does not hold it whole
}

// HandedIn returns what a candidate handed in for each handin item of the
// session's paper, in paper order (items with no files included), for the
// site's examiners. It reads the station's store only.
func (s *Site) HandedIn(ctx context.Context, sessionID, ticket string) ([]HandedItem, error) {
	s.mu.Lock()
	r, err := s.room(ctx, sessionID)
	var paper *exam.Paper
	if err == nil {
		paper = r.paper
	}
	s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	if paper == nil {
		return nil, fmt.Errorf("session %s: %w", sessionID, ErrNotReleased)
	}
	var out []HandedItem
	err = s.st.View(ctx, func(tx *store.Tx) error {
		for _, it := range paper.Items() {
			if it.Type != exam.HandIn {
				continue
			}
			hi := HandedItem{Item: it}
			a, err := tx.Answer(sessionID, ticket, it.ID)
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
			for _, f := range a.Value.Files {
				content, err := tx.HandInFile(sessionID, ticket, f)
				if err != nil && !errors.Is(err, store.ErrNotFound) {
					return err
				}
				hi.Files = append(hi.Files, HandedFile{HandedFile: f, Content: content})
			}
			out = append(out, hi)
		}
		return nil
	})
	return out, err
}

// CollectNow asks the terminals of a session's candidates who sit at one
// to hand in their work folders now (room.Candidate.CollectAt): one
// candidate, or, for ticket "", every candidate of the session. Terminals
// hear it within their long poll; what they hand in comes as changes.
func (s *Site) CollectNow(ctx context.Context, sessionID, ticket string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.room(ctx, sessionID); err != nil {
		return err
	}
	if s.collect == nil {
		s.collect = map[string]time.Time{}
	}
	s.collect[sessionID+"\x1f"+ticket] = s.now().Round(0).UTC()
	s.bump()
	return nil
}

// collectAt is when a proctor last asked for a candidate's work folder,
// for them or for their whole session; the caller holds s.mu.
func (s *Site) collectAt(sessionID, ticket string) time.Time {
	one, all := s.collect[sessionID+"\x1f"+ticket], s.collect[sessionID+"\x1f"]
	if all.After(one) {
		return all
	}
	return one
}

package terminal

import (
	"context"
	"errors"
	"fmt"
	"time"

	"onex/client/handin"
	"onex/client/room"
	"onex/exam"
)

// Hand-in (issue 15; PROTOCOL.md, "Hand-in"): the candidate's work folder
// on this computer (handin.Make, when a paper with a handin item first
// comes, or when the item's screen asks for its path) is collected for each handin
// item of the paper when the candidate presses "hand in now" (HandIn),
// when they submit (Submit), when a proctor asks
// (room.Candidate.CollectAt), and once when AutoCollectBefore is left of
// their time. Each collection is a change like any other: its pieces
// (OpPiece) and then the answer listing the files (OpSave), sealed and
// journalled before anything is sent, "handed in" only on the station's
// acknowledgement of the answer.

// AutoCollectBefore is the time left at which the terminal hands in the
// work folder on its own, once per candidate: what the candidate made up
// to then is at the station when the time runs out and the station
// submits the paper.
const AutoCollectBefore = 30 * time.Second

// HandInWait bounds how long HandIn waits for the station's
// acknowledgement of a collection (its pieces are sent first): beyond it
// the files are saved on this computer, not yet at the station.
const HandInWait = 60 * time.Second

// WorkFolder is the candidate's work folder on this computer, made
// (0700) if it is not there: the path the item's screen shows.
func (t *Terminal) WorkFolder() (string, error) {
	t.mu.Lock()
	c := t.ex.cand
	t.mu.Unlock()
	if c == nil {
		return "", ErrNotSignedIn
	}
	return t.workFolder(c.SessionID, c.Ticket)
}

func (t *Terminal) workBase() (string, error) {
	if t.cfg.WorkBase != "" {
		return t.cfg.WorkBase, nil
	}
	return handin.DefaultBase()
}

func (t *Terminal) workFolder(sessionID, ticket string) (string, error) {
	base, err := t.workBase()
	if err != nil {
		return "", err
	}
	return handin.Make(base, sessionID, ticket)
}

// HandedIn is the outcome of one collection: the files the answer lists
// and where the answer is.
type HandedIn struct {
	ItemID string
	Files  []exam.HandedFile
	Where  Where
}

// HandIn collects the candidate's work folder for a handin item and sends
// it to the station: every piece of every file, then the answer listing
// them. It says where the answer is: AtStation once the station committed
// it (then every piece is there: the station takes the answer only with
// all of them), OnThisComputer when the station did not acknowledge it
// within HandInWait. A folder the item's limits refuse is a
// *handin.FileError naming the file, and an empty folder is
// handin.ErrEmpty: nothing is journalled or sent, and what was handed in
// before stays.
func (t *Terminal) HandIn(ctx context.Context, itemID string) (HandedIn, error) {
	files, err := t.collect(itemID)
	if err == nil && len(files) == 0 {
		err = fmt.Errorf("item %s: %w", itemID, handin.ErrEmpty)
	}
	if err != nil {
		return HandedIn{ItemID: itemID}, err
	}
	where, err := t.handIn(ctx, itemID, files)
	return HandedIn{ItemID: itemID, Files: handin.Files(files), Where: where}, err
}

// collect reads the work folder for an item of the paper, within its limits.
func (t *Terminal) collect(itemID string) ([]handin.File, error) {
	t.mu.Lock()
	c, v := t.ex.cand, t.ex.paper
	t.mu.Unlock()
	if c == nil {
		return nil, ErrNotSignedIn
	}
	if v == nil {
		return nil, fmt.Errorf("the paper is not on this computer yet: %w", ErrNotStarted)
	}
	var it *exam.ViewItem
	for _, vi := range v.Items() {
		if vi.ID == itemID {
			it = vi
		}
	}
	if it == nil || it.Type != exam.HandIn {
		return nil, fmt.Errorf("%w: item %q is not a handin item of the paper", ErrInput, itemID)
	}
	dir, err := t.workFolder(c.SessionID, c.Ticket)
	if err != nil {
		return nil, err
	}
	return handin.Collect(dir, it.HandInLimits())
}

// handIn journals the pieces of files not at the station yet and the
// answer listing them, then sends them and waits for the answer's
// acknowledgement (at most HandInWait).
func (t *Terminal) handIn(ctx context.Context, itemID string, files []handin.File) (Where, error) {
	var seqs []uint64
	defer func() {
		t.mu.Lock()
		for _, s := range seqs {
			delete(t.waiters, s)
		}
		t.mu.Unlock()
	}()
	for _, f := range files {
		if t.atStation(f.SHA256) {
			continue
		}
		for i, data := range f.Pieces() {
			seq, _, err := t.journalChange(room.Change{Op: room.OpPiece, ItemID: itemID, File: f.SHA256, Index: i, Data: data})
			if err != nil {
				return 0, err
			}
			seqs = append(seqs, seq)
		}
	}
	sctx, cancel := context.WithTimeout(ctx, HandInWait)
	defer cancel()
	where, err := t.changeWait(sctx, room.Change{Op: room.OpSave, ItemID: itemID, Answer: exam.Answer{Files: handin.Files(files)}}, HandInWait)
	if err == nil && where == AtStation {
		t.mu.Lock()
		for _, f := range files {
			t.ex.handed[f.SHA256] = true
		}
		t.mu.Unlock()
	}
	return where, err
}

// atStation reports whether the station acknowledged an answer listing a
// file of this content for the candidate in this run: its pieces are
// there, and need not be sent again.
func (t *Terminal) atStation(hash string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.ex.handed[hash]
}

// handInAll collects every handin item of the paper; the first error
// stops it.
func (t *Terminal) handInAll(ctx context.Context) ([]HandedIn, error) {
	t.mu.Lock()
	var ids []string
	if t.ex.paper != nil {
		for _, it := range t.ex.paper.Items() {
			if it.Type == exam.HandIn {
				ids = append(ids, it.ID)
			}
		}
	}
	t.mu.Unlock()
	var out []HandedIn
	for _, id := range ids {
		h, err := t.HandIn(ctx, id)
		if errors.Is(err, handin.ErrEmpty) {
			continue // nothing to hand in: what was handed in before stays
		}
		out = append(out, h)
		if err != nil {
			return out, fmt.Errorf("item %s: %w", id, err)
		}
	}
	return out, nil
}

// collectWhenDue hands in the work folder when a proctor asked for it
// (a CollectAt this run has not collected for) or when AutoCollectBefore
// is left of the candidate's time; Run calls it after each state. A
// collection that fails is logged (the candidate's item screen shows the
// refusal when they hand in) and not tried again for that request.
func (t *Terminal) collectWhenDue(ctx context.Context) {
	t.mu.Lock()
	c := t.ex.cand
	due := false
	if c != nil && running(c) && t.ex.paper != nil {
		if !c.CollectAt.IsZero() && !c.CollectAt.Equal(t.ex.collected) {
			t.ex.collected, due = c.CollectAt, true
		}
		if left := c.Remaining - t.elapsed(); left <= AutoCollectBefore && !t.ex.autoCollected {
			t.ex.autoCollected, due = true, true
		}
	}
	t.mu.Unlock()
	if !due {
		return
	}
	hs, err := t.handInAll(ctx)
	files := 0
	for _, h := range hs {
		files += len(h.Files)
	}
	if err != nil {
		t.log.Warn("work folder not handed in", "refused", errors.Is(err, handin.ErrFile), "files", files)
		t.mu.Lock()
		t.ex.handInErr = err
		t.mu.Unlock()
		t.notify()
		return
	}
	t.log.Info("work folder handed in", "items", len(hs), "files", files)
}

// HandInError is why the last collection the terminal made on its own
// (a proctor's request, the time running out) failed, or nil.
func (t *Terminal) HandInError() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.ex.handInErr
}

// clearWorkFolder removes the candidate's work folder once their paper is
// submitted, after this terminal handed it in at submission and the
// station acknowledged everything: the next candidate at this computer
// cannot read it. A folder the station never received whole (a
// submission forced at the station) is left for the proctor.
func (t *Terminal) clearWorkFolder() {
	t.mu.Lock()
	c := t.ex.cand
	ok := c != nil && c.Submitted && t.ex.submittedHere && len(t.journal.frames) == 0
	t.mu.Unlock()
	if !ok {
		return
	}
	base, err := t.workBase()
	if err == nil {
		err = handin.Remove(base, c.SessionID, c.Ticket)
	}
	if err != nil {
		t.log.Warn("work folder not removed", "err", err)
		return
	}
	t.mu.Lock()
	t.ex.submittedHere = false
	t.mu.Unlock()
}

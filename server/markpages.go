package server

import (
	"context"
	"fmt"

	"onex/exam"
	"onex/server/store"
)

// MarkerProgress is what a marker's page says of the marker's work.
type MarkerProgress = store.MarkerProgress

// MarkerProgress counts the marks and flags a marker gave (not voided) and
// the scripts with a task of a queue (lead: the lead's) the marker could be
// handed now, the one the marker holds included, at most store.ProgressCap.
func (c *Central) MarkerProgress(ctx context.Context, marker string, lead bool) (MarkerProgress, error) {
	return c.db.MarkerProgress(ctx, marker, lead, c.now())
}

// ScriptFiles returns the files handed in for the script of a task the
// user holds, put together and checked as HandedIn does, in the order the
// answer lists them: blind, the caller names the task and never learns the
// candidate. A script of another item type, or a control script, has none.
// Errors as ScriptView's.
func (c *Central) ScriptFiles(ctx context.Context, user string, taskID int64) ([]HandedFile, error) {
	v, err := c.ScriptView(ctx, user, taskID)
	if err != nil {
		return nil, err
	}
	if v.Item.Type != exam.HandIn || len(v.Response.Files) == 0 {
		return nil, nil
	}
	s, err := c.db.Script(ctx, v.ScriptID)
	if err != nil {
		return nil, err
	}
	if s.State == store.ScriptControl {
		return nil, nil
	}
	files, err := c.HandedIn(ctx, s.SessionID, s.Ticket, s.ItemID)
	if err != nil {
		return nil, fmt.Errorf("files of script %s: %w", s.ID, err)
	}
	return files, nil
}

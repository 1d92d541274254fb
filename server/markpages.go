package server

import (
	"context"

	"onex/server/store"
)

// MarkerProgress is what a marker's page says of the marker's work.
type MarkerProgress = store.MarkerProgress

// MarkerProgress counts the marks and flags a marker gave (not voided) and
// the tasks of a queue (lead: the lead's) the marker could be handed now,
// the one the marker holds included, at most store.ProgressCap.
func (c *Central) MarkerProgress(ctx context.Context, marker string, lead bool) (MarkerProgress, error) {
	return c.db.MarkerProgress(ctx, marker, lead, c.now())
}

package store

import (
	"context"
	"time"
)

// ProgressCap is the most open tasks MarkerProgress counts: beyond it the
// marker's page says "more than" (counting a large queue whole on every
// page would cost more than the hand-out itself).
const ProgressCap = 1000

// MarkerProgress is what a marker's page says of the marker's work: marks
// and flags given (not voided), and the scripts with an open task of the
// queue the marker could be handed now (a marker marks a script once), at
// most ProgressCap.
type MarkerProgress struct {
	Done    int
	Waiting int
	More    bool // more than Waiting wait (Waiting is ProgressCap)
}

// MarkerProgress counts a marker's work and the scripts that wait for the
// marker in one queue (leadOnly: the lead's), by the rules Claim hands out by: open,
// unclaimed or its claim ran out (or the marker's own), not another
// marker's only, not a fresh task on a script the marker marked or holds
// another task of, not one the marker is excluded from.
func (db *DB) MarkerProgress(ctx context.Context, marker string, leadOnly bool, now time.Time) (MarkerProgress, error) {
	var p MarkerProgress
	if err := db.sql.QueryRowContext(ctx, "SELECT COUNT(*) FROM marking_marks WHERE marker = $1 AND voided_at IS NULL", marker).Scan(&p.Done); err != nil {
		return p, err
	}
	err := db.sql.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT DISTINCT t.script_id FROM marking_tasks t
		WHERE t.done_at IS NULL AND t.lead_only = $1 AND (t.claim_until <= $2 OR t.claimed_by = $3)
		AND (t.only_marker = '' OR t.only_marker = $3)
		AND NOT (t.fresh = 1 AND t.claimed_by <> $3 AND (EXISTS (SELECT 1 FROM marking_marks g WHERE g.script_id = t.script_id AND g.marker = $3)
			OR EXISTS (SELECT 1 FROM marking_tasks o WHERE o.script_id = t.script_id AND o.claimed_by = $3 AND o.done_at IS NULL AND o.claim_until > $2)))
		AND NOT EXISTS (SELECT 1 FROM task_exclusions x WHERE x.task_id = t.id AND x.marker = $3)
		LIMIT $4) q`, boolInt(leadOnly), micros(now), marker, ProgressCap+1).Scan(&p.Waiting)
	if p.Waiting > ProgressCap {
		p.Waiting, p.More = ProgressCap, true
	}
	return p, err
}

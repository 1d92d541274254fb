package server_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"onex/server"
)

// TestScriptsOfOldSubmissions: submissions stored before marking existed
// get their scripts when central opens; the session's results wait for
// their marks.
func TestScriptsOfOldSubmissions(t *testing.T) {
	c := markingCentral(t, "sqlite", 3)
	ctx := context.Background()
	// As a database from before migration 008 held them: no scripts.
	raw, err := sql.Open("sqlite", filepath.Join(c.Dir, "central.db"))
	if err != nil {
		t.Fatal(err)
	}
	for _, stmt := range []string{"DELETE FROM marking_tasks", "DELETE FROM scripts", "UPDATE submissions SET scripted = 0"} {
		if _, err := raw.ExecContext(ctx, stmt); err != nil {
			t.Fatal(err)
		}
	}
	raw.Close()
	if s, _ := c.DB(t).Scripts(ctx, c.Session.ID); len(s) != 0 {
		t.Fatalf("%d scripts left", len(s))
	}
	c.Restart(t)
	s, err := c.DB(t).Scripts(ctx, c.Session.ID)
	if err != nil || len(s) != 3 {
		t.Fatalf("scripts after reopening: %d, %v", len(s), err)
	}
	mc, err := c.MarkingCounts(ctx, c.Session.ID)
	if err != nil || mc.Open[server.PurposeFirst] != 3 || mc.Open[server.PurposeSecond] != 3 {
		t.Errorf("open tasks: %+v, %v", mc, err)
	}
	c.Restart(t) // and only once
	if s, _ := c.DB(t).Scripts(ctx, c.Session.ID); len(s) != 3 {
		t.Errorf("%d scripts after a second reopening", len(s))
	}
}

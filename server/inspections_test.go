package server_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"onex/exam/inspect"
	"onex/server"
	"onex/server/store/pgtest"
)

// inspectionCentral is a bare central (no catalogue, no session) on the
// engine, with a clock the test moves.
func inspectionCentral(t *testing.T, engine string) (*server.Central, *atomic.Int64) {
	t.Helper()
	ctx := context.Background()
	dir, dsn := t.TempDir(), pgtest.DSN(t, engine)
	if _, err := server.Init(ctx, dir, dsn, "admin-password-1"); err != nil {
		t.Fatal(err)
	}
	var now atomic.Int64
	now.Store(time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC).UnixNano())
	c, err := server.Open(ctx, dir, dsn, server.Config{Log: slog.New(slog.DiscardHandler), Now: func() time.Time { return time.Unix(0, now.Load()) }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c, &now
}

// Register files of the worked example of exam/inspect FORMAT.md: S02 and
// S05 of O2, I02 of O2 and tied to S04.
const (
	inspSitesCSV = "考点代码,考点名称,所属机构\nS01,第一考点,O1\nS02,第二考点,O2\nS03,第三考点,O1\nS04,第四考点,O3\nS05,第五考点,O2\n"
	inspInspCSV  = "编号,姓名,所属机构,关联考点\nI01,张伟,O1,\nI02,王芳,O2,S04\nI03,李娜,,\nI04,刘洋,O3,\nI05,陈静,O4,\nI06,杨磊,,\n"
	inspValues   = "6: 中国福利彩票双色球第2026140期红球; 1: 中国福利彩票双色球第2026140期蓝球"
)

var inspPlan = inspect.Plan{SharePercent: 40, MinSites: 1, InspectorsPerSite: 2}

func regFiles(sites, inspectors string) (server.RegisterFile, server.RegisterFile) {
	return server.RegisterFile{Name: "sites.csv", Data: []byte(sites)}, server.RegisterFile{Name: "inspectors.csv", Data: []byte(inspectors)}
}

// drawThrough imports the registers, commits and draws through the service.
func drawThrough(t *testing.T, c *server.Central, sites, inspectors string, values []string) server.Inspection {
	t.Helper()
	ctx := context.Background()
	s, i := regFiles(sites, inspectors)
	if _, err := c.ImportRegisters(ctx, s, i, "office"); err != nil {
		t.Fatal(err)
	}
	com, err := c.CommitInspection(ctx, inspPlan, inspValues, "office")
	if err != nil {
		t.Fatal(err)
	}
	in, err := c.DrawInspection(ctx, com.ID, values, "office")
	if err != nil {
		t.Fatal(err)
	}
	return in
}

func TestInspectionDrawThroughService(t *testing.T) {
	for _, engine := range pgtest.Engines {
		t.Run(engine, func(t *testing.T) {
			ctx := context.Background()
			c, _ := inspectionCentral(t, engine)
			typed := []string{"07 12 19 23 28 33", "09"}
			in := drawThrough(t, c, inspSitesCSV, inspInspCSV, typed)
			// The worked example of FORMAT.md: S05 (I05 I06), S04 (I01 I03).
			want := []string{"S05: I05 I06", "S04: I01 I03"}
			var got []string
			for _, s := range in.Sites {
				got = append(got, fmt.Sprintf("%s: %s", s.SiteCode, strings.Join(s.Inspectors, " ")))
				if s.Status != server.InspectionDrawn {
					t.Errorf("site %s status %q", s.SiteCode, s.Status)
				}
			}
			if !slices.Equal(got, want) {
				t.Fatalf("draw %v, want %v", got, want)
			}
			if in.Transcript.Key != "7.12.19.23.28.33./9./" || !slices.Equal(in.Typed, typed) || in.TypedBy != "office" {
				t.Errorf("key %q typed %q by %q", in.Transcript.Key, in.Typed, in.TypedBy)
			}
			// The kept transcript verifies against the kept registers.
			snap, err := c.InspectionRegistersOf(ctx, in.ID)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := inspect.Verify(in.TranscriptJSON, snap.Registers); err != nil {
				t.Fatalf("verify the kept transcript: %v", err)
			}
			// Same inputs through a second central: the same transcript, but
			// for the time committed, the same draw.
			c2, _ := inspectionCentral(t, "sqlite")
			in2 := drawThrough(t, c2, inspSitesCSV, inspInspCSV, []string{"33,28,23,19,12,07", "９"})
			if string(in2.TranscriptJSON) != string(in.TranscriptJSON) {
				t.Errorf("same inputs, another transcript:\n%s\n%s", in.TranscriptJSON, in2.TranscriptJSON)
			}
			// A second draw of the same commitment is refused.
			if _, err := c.DrawInspection(ctx, in.ID, []string{"1 2 3 4 5 6", "7"}, "office"); !errors.Is(err, server.ErrInspectionState) || !errors.Is(err, server.ErrInput) {
				t.Errorf("second draw: %v", err)
			}
		})
	}
}

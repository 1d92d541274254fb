package drill_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	gosync "sync"
	"testing"
	"time"

	"onex/client/drill"
	"onex/client/site"
	"onex/client/station"
	"onex/client/terminal"
	"onex/exam"
	"onex/server/servertest"
)

// BenchmarkRoom: 200 terminals, each saving an answer once a second, to a
// station serving its room in a process of its own (the child of the room
// tests). Each iteration is ten such seconds. It reports the time from a
// terminal's save to the station's acknowledgement after its commit (p50,
// p99) and the station process's CPU (a share of one core over the load),
// beside two floors measured in the same run: the station's own autosave
// (site.Exam.Save of a candidate on the station's screen) alone before
// the load, and under the load (every 100 ms, in the station's process).
// The terminals' journals are on tmpfs when the machine has one: on a real
// room each terminal's disk is its own, not the station's.
// ONEX_ROOM_STATION_CPUPROFILE=FILE profiles the station.
func BenchmarkRoom(b *testing.B) {
	const terminals, rounds = 200, 10
	c := servertest.New(b, servertest.WithRoster(terminals+2))
	_, s, dir := releasedWith(b, c)
	ctx := context.Background()
	cands := candidateSeats(b, s, c.Session.ID, terminals+2)
	floor := autosaveFloor(b, s, c.Session.ID, cands[terminals].Ticket, 200)
	s.Close()

	report := filepath.Join(b.TempDir(), "local-saves")
	p := &stationProcess{t: b, dir: dir, addr: freeAddr(b),
		env: []string{stationLocalEnv + "=" + cands[terminals+1].Ticket, stationReportEnv + "=" + report}}
	if path := os.Getenv("ONEX_ROOM_STATION_CPUPROFILE"); path != "" {
		p.env = append(p.env, stationProfileEnv+"="+path)
	}
	p.start()
	defer p.kill()
	code, err := station.RequestPairingCode(ctx, dir, "A101", terminals, 10*time.Minute)
	if err != nil {
		b.Fatal(err)
	}
	tdir := b.TempDir()
	if st, err := os.Stat("/dev/shm"); err == nil && st.IsDir() {
		if tdir, err = os.MkdirTemp("/dev/shm", "onex-room-bench-"); err != nil {
			b.Fatal(err)
		}
		defer os.RemoveAll(tdir)
	}
	rctx, stop := context.WithCancel(ctx)
	var wg gosync.WaitGroup
	defer wg.Wait()
	defer stop()
	sitters := make([]*sitter, terminals)
	for i := range terminals {
		term, err := terminal.Pair(ctx, terminal.Config{Dir: filepath.Join(tdir, fmt.Sprint(i))}, code, fmt.Sprint("B", i), fmt.Sprint(i+1))
		if err != nil {
			b.Fatal(err)
		}
		defer term.Close()
		wg.Go(func() { term.Run(rctx) })
		sitters[i] = sit(b, ctx, term, cands[i])
	}
	acks := &drill.Acks{}
	cpu0 := p.cpu(b)
	t0 := time.Now()
	b.ResetTimer()
	for range b.N {
		var lg gosync.WaitGroup
		for _, st := range sitters {
			lg.Go(func() {
				time.Sleep(rand.N(time.Second))
				for k := range rounds {
					t1 := time.Now()
					w, err := st.t.Save(ctx, st.items[k%len(st.items)], exam.Answer{Text: fmt.Sprintf("第%d次作答", k)})
					if err != nil {
						b.Error(err)
						return
					}
					acks.Note(w, time.Since(t1))
					time.Sleep(time.Until(t1.Add(time.Second)))
				}
			})
		}
		lg.Wait()
	}
	b.StopTimer()
	wall := time.Since(t0)
	cpu := p.cpu(b) - cpu0
	p.cmd.Process.Signal(os.Interrupt)
	p.cmd.Wait()
	local := readLocalSaves(b, report)
	at, journalled, p50, p99 := acks.Summary()
	if journalled > 0 {
		b.Errorf("%d of %d saves were not acknowledged within the terminal's wait", journalled, at+journalled)
	}
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	b.ReportMetric(ms(p50), "ack-p50-ms")
	b.ReportMetric(ms(p99), "ack-p99-ms")
	b.ReportMetric(ms(floor[0]), "floor-p50-ms")
	b.ReportMetric(ms(floor[1]), "floor-p99-ms")
	b.ReportMetric(ms(local[0]), "loaded-floor-p50-ms")
	b.ReportMetric(ms(local[1]), "loaded-floor-p99-ms")
	b.ReportMetric(float64(p99)/float64(floor[1]), "p99/floor-p99")
	b.ReportMetric(float64(p99)/float64(local[1]), "p99/loaded-floor-p99")
	b.ReportMetric(100*cpu.Seconds()/wall.Seconds(), "station-cpu-%")
	b.ReportMetric(float64(at)/wall.Seconds(), "saves/s")
}

// autosaveFloor is the p50 and p99 of n saves of one candidate's answer
// on the station itself, one after another.
func autosaveFloor(b *testing.B, s *site.Site, sessionID, ticket string, n int) [2]time.Duration {
	b.Helper()
	ctx := context.Background()
	e, err := s.Begin(ctx, sessionID, ticket)
	if err != nil {
		b.Fatal(err)
	}
	item, err := textItem(ctx, e)
	if err != nil {
		b.Fatal(err)
	}
	ds := make([]time.Duration, n)
	for i := range ds {
		t0 := time.Now()
		if err := e.Save(ctx, item, exam.Answer{Text: fmt.Sprintf("第%d次作答", i)}); err != nil {
			b.Fatal(err)
		}
		ds[i] = time.Since(t0)
	}
	return [2]time.Duration{drill.Percentile(ds, 50), drill.Percentile(ds, 99)}
}

// readLocalSaves reads the p50 and p99 the station child wrote.
func readLocalSaves(b *testing.B, path string) [2]time.Duration {
	b.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	var n, p50, p99 int64
	if _, err := fmt.Sscan(string(raw), &n, &p50, &p99); err != nil || n == 0 {
		b.Fatalf("the station's own saves under load: %q, %v", raw, err)
	}
	return [2]time.Duration{time.Duration(p50), time.Duration(p99)}
}

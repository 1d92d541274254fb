package site_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"
)

// BenchmarkApplyChanges is the station's side of the room's load: 40
// terminals (the roster's 40 candidates) each sending a change every
// 200 ms for 10 s, i.e. 200 change requests a second, as 200 terminals
// saving once a second would, while state polls run at 100 a second (200
// terminals every 2 s). Envelopes are sealed before the clock starts, as
// terminals seal them on their own machines. It reports p50 and p99 of
// ApplyChanges (verify, open, apply, commit with synchronous=FULL) and the
// requests a second it kept up with. b.N is not used: one run is the load.
func BenchmarkApplyChanges(b *testing.B) {
	const (
		terms  = 40
		every  = 200 * time.Millisecond
		length = 10 * time.Second
		per    = int(length / every)
	)
	r := newRig(b)
	ctx := context.Background()
	var tms []*terminal
	var tickets []string
	for i := range terms {
		ticket := fmt.Sprintf("2026WEB0100%02d", i+1)
		tms = append(tms, r.signedIn(ticket))
		tickets = append(tickets, ticket)
	}
	r.started()
	envs := make([][][]byte, terms)
	for i, tm := range tms {
		if _, err := r.s.TerminalView(ctx, tm.id, r.session, tickets[i]); err != nil {
			b.Fatal(err)
		}
		for j := range per {
			envs[i] = append(envs[i], tm.seal(save(r.session, tickets[i], "q10", fmt.Sprintf("答案第%d版", j), time.Minute)))
		}
	}
	b.ResetTimer()
	var mu sync.Mutex
	var lat []time.Duration
	var wg sync.WaitGroup
	stop := make(chan struct{})
	start := time.Now()
	for i, tm := range tms {
		wg.Add(1)
		go func() {
			defer wg.Done()
			time.Sleep(time.Duration(i) * every / terms)
			tick := time.NewTicker(every)
			defer tick.Stop()
			for j := range per {
				t0 := time.Now()
				res, err := r.s.ApplyChanges(ctx, tm.id, envs[i][j:j+1])
				d := time.Since(t0)
				if err != nil || res.Results[0].Outcome != "applied" {
					b.Errorf("terminal %d change %d: %+v, %v", i, j, res.Results, err)
					return
				}
				mu.Lock()
				lat = append(lat, d)
				mu.Unlock()
				<-tick.C
			}
		}()
	}
	var polls sync.WaitGroup
	polls.Add(1)
	go func() { // 100 state polls a second
		defer polls.Done()
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for n := 0; ; n++ {
			select {
			case <-stop:
				return
			case <-tick.C:
				if _, err := r.s.RoomState(ctx, tms[n%terms].id); err != nil {
					b.Error(err)
					return
				}
			}
		}
	}()
	wg.Wait()
	close(stop)
	polls.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	b.ReportMetric(ms(percentile(lat, 50)), "p50-ms")
	b.ReportMetric(ms(percentile(lat, 99)), "p99-ms")
	b.ReportMetric(float64(len(lat))/elapsed.Seconds(), "changes/s")
}

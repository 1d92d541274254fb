package discover_test

import (
	"context"
	"net"
	"net/netip"
	"testing"
	"time"

	"onex/client/discover"
	"onex/client/room"
	"onex/exam/seal"
)

// TestAnnounceAndBrowse announces a station on each interface that carries
// multicast and browses for it there, over real multicast. A machine with
// no such interface fails the test: there would be nothing to measure.
func TestAnnounceAndBrowse(t *testing.T) {
	ifs := discover.MulticastInterfaces()
	if len(ifs) == 0 {
		t.Fatalf("%v: mDNS cannot be tested on this machine (ip link shows why)", discover.ErrNoMulticast)
	}
	for _, ifc := range ifs {
		t.Run(ifc.Name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			addrs, _ := ifc.Addrs()
			var ip netip.Addr
			for _, a := range addrs {
				if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil {
					ip, _ = netip.AddrFromSlice(n.IP.To4())
					break
				}
			}
			want := discover.Station{Room: "第一考场", Site: "S01", Addr: netip.AddrPortFrom(ip, 7443), Pin: seal.Hash{1, 2, 3, 0xff}}
			done := make(chan error, 1)
			go func() { done <- discover.Announce(ctx, want, discover.Options{Interface: &ifc}) }()
			var got []discover.Station
			var err error
			for try := 0; try < 5 && len(got) == 0; try++ {
				if got, err = discover.Browse(ctx, 500*time.Millisecond, discover.Options{Interface: &ifc}); err != nil {
					t.Fatal(err)
				}
			}
			if len(got) != 1 {
				t.Fatalf("heard %v, want one station", got)
			}
			g := got[0]
			if g.Addr != want.Addr || g.Room != want.Room || g.Site != want.Site || g.Pin != want.Pin || g.Version != room.Version {
				t.Errorf("heard %+v, want %+v", g, want)
			}
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Announce: %v", err)
			}
			// Stopped: nobody answers any more.
			got, err = discover.Browse(context.Background(), 300*time.Millisecond, discover.Options{Interface: &ifc})
			if err != nil || len(got) != 0 {
				t.Errorf("after the announcement stopped: %v, %v", got, err)
			}
		})
	}
}

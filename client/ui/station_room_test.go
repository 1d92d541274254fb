package ui

import (
	"context"
	"errors"
	"testing"
	"time"

	roomserver "onex/client/station"
)

// TestStationServesTheRoom: once the store is open the app serves the
// room's terminals (Options.Room): `onex-site pair-code` gets a code from
// it through the data directory's control socket, naming its address; the
// server stops with the app.
func TestStationServesTheRoom(t *testing.T) {
	r := newRig(t)
	r.opt.Room = "127.0.0.1:0"
	a := r.enrolled()
	if a.room == nil {
		t.Fatal("the app serves no room")
	}
	ctx := context.Background()
	var code, err = roomserver.RequestPairingCode(ctx, r.opt.Site.Dir, "A101", 1, time.Minute)
	for deadline := time.Now().Add(10 * time.Second); errors.Is(err, roomserver.ErrNoStation) && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		code, err = roomserver.RequestPairingCode(ctx, r.opt.Site.Dir, "A101", 1, time.Minute)
	}
	if err != nil || code.Station != a.room.Addr() || code.Pin != a.room.SPKI() {
		t.Fatalf("pairing code %v, %v; the room server is at %v", code, err, a.room.Addr())
	}
	a.Close()
	r.a = nil
	if _, err := roomserver.RequestPairingCode(ctx, r.opt.Site.Dir, "A101", 1, time.Minute); !errors.Is(err, roomserver.ErrNoStation) {
		t.Fatalf("after the app closed: %v", err)
	}
}

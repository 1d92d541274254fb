package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"onex/client/drill"
	"onex/client/room"
	"onex/client/site"
	"onex/client/station"
	"onex/client/terminal"
	wire "onex/sync"
)

// cmdRoom runs the station's room server until interrupted, with the
// site's clock ticking (forced submissions at time-up) and the outbox
// pushed to central whenever it answers.
func cmdRoom(ctx context.Context, c *command) error {
	listen := c.fs.String("listen", station.DefaultAddr, "the address terminals reach the room server at")
	roomName := c.fs.String("room", "", "the room this station serves, as mDNS announces it")
	announce := c.fs.Bool("announce", true, "announce the station on the room's network by mDNS")
	s, err := c.parseAndOpen(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	srv, err := station.Listen(ctx, s, *listen, station.Config{DataDir: c.data, Announce: *announce, Room: *roomName, Log: c.logger()})
	if err != nil {
		return err
	}
	fmt.Fprintf(c.env.Stderr, "room server at %s, TLS key SHA-256 %x\npairing codes: onex-site pair-code --data %s --room ROOM\n",
		srv.Addr(), srv.SPKI(), c.data)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		for t := time.NewTicker(time.Second); ; {
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
				if _, err := s.Tick(ctx); err != nil && ctx.Err() == nil {
					c.logger().Warn("tick", "err", err)
				}
			}
		}
	}()
	go s.RunPusher(ctx, wire.RunPolicy{})
	return srv.Serve(ctx)
}

// cmdPairCode asks the room server running on the data directory for a
// pairing code; it needs no passphrase: the control socket is the
// station user's alone.
func cmdPairCode(ctx context.Context, c *command) error {
	roomName := c.fs.String("room", "", "the room the terminals are for (required)")
	n := c.fs.Int("terminals", 1, "how many terminals may pair with the code")
	ttl := c.fs.Duration("ttl", 10*time.Minute, "how long the code is good for")
	if err := c.parse("room"); err != nil {
		return err
	}
	code, err := station.RequestPairingCode(ctx, c.data, *roomName, *n, *ttl)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.env.Stdout, "%s\n%s\n", code.Short(), code)
	fmt.Fprintf(c.env.Stderr, "for %d terminal(s) of room %s, good for %s: type the first line at a terminal, or give it the second\n", *n, *roomName, *ttl)
	return nil
}

// cmdTerminal pairs this computer, as a terminal, with a station.
func cmdTerminal(ctx context.Context, c *command) error {
	pair := c.fs.String("pair", "", "the pairing code from the station (required)")
	name := c.fs.String("name", "", "this computer's name on the station's console (default: its host name)")
	seat := c.fs.String("seat", "", "the seat this computer stands at")
	if err := c.parse("pair"); err != nil {
		return err
	}
	code, err := room.ParsePairingCode(*pair)
	if err != nil {
		return usageError{fmt.Sprintf("--pair: %v", err)}
	}
	if *name == "" {
		if *name, err = os.Hostname(); err != nil {
			return err
		}
	}
	t, err := terminal.Pair(ctx, terminal.Config{Dir: c.data, Log: c.logger()}, code, *name, *seat)
	if errors.Is(err, terminal.ErrUnreachable) {
		c.status = ExitUnreachable
	}
	if err != nil {
		return err
	}
	defer t.Close()
	in := t.Info()
	fmt.Fprintf(c.env.Stdout, "paired: terminal %s of room %s, station %s\n", in.TerminalID, in.Room, in.Station)
	return nil
}

// drillTerminals is cmdDrill through n terminals over the room's network.
func drillTerminals(ctx context.Context, c *command, s *site.Site, opt site.DrillOptions, n int) error {
	rep, err := drill.Run(ctx, s, drill.Options{DrillOptions: opt, Terminals: n})
	if err != nil {
		return err
	}
	fmt.Fprintf(c.env.Stderr, "drill: %d terminals, %d changes acknowledged (%d at once: p50 %s, p99 %s; %d journalled first) in %s, seed %d\n",
		rep.Terminals, rep.AtStation+rep.Journalled, rep.AtStation, rep.AckP50.Round(time.Microsecond), rep.AckP99.Round(time.Microsecond),
		rep.Journalled, rep.Elapsed.Round(time.Millisecond), rep.Seed)
	return c.printJSON(rep)
}

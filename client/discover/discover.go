// Package discover finds exam room stations on the local network by mDNS
// (DNS-SD service "_onex-room._tcp"), with github.com/hashicorp/mdns: a
// station announces itself, a terminal browses to offer the stations it
// hears. It is a convenience only: nothing learnt from mDNS is trusted.
// The pin in an announcement tells a proctor which station is which; the
// pairing proofs (client/room) are what authenticate the station's TLS key.
package discover

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/netip"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/mdns"

	"onex/client/room"
	"onex/exam/seal"
)

// Service is the DNS-SD service type of a station's room server.
const Service = "_onex-room._tcp"

// TXT record keys of an announcement.
const (
	txtVersion = "v"    // room.Version
	txtRoom    = "room" // the room the station runs
	txtSite    = "site" // the site's code
	txtPin     = "pin"  // the SHA-256 of the station's TLS public key, 64 hex digits
)

// Station is a station as it is announced and heard.
type Station struct {
	Room string
	Site string
	// Addr is where the room server listens. Announce takes its port, and
	// its address unless that is unspecified (then the interface's).
	Addr netip.AddrPort
	// Pin is the SPKI hash the station announced: for telling stations
	// apart, not for trusting one.
	Pin     seal.Hash
	Version string // the protocol the station speaks, room.Version
	Host    string // the name the station announced itself under
}

// Options are where Announce and Browse work.
type Options struct {
	// Interface is the network interface to announce or browse on; nil is
	// the system's default multicast interface.
	Interface *net.Interface
}

// Announce answers mDNS queries for the station until ctx is done.
func Announce(ctx context.Context, st Station, opts ...Options) error {
	var o Options
	if len(opts) > 0 {
		o = opts[0]
	}
	host, _ := os.Hostname()
	host = dnsLabel(host)
	if host == "" {
		host = "onex-station"
	}
	var ips []net.IP
	if a := st.Addr.Addr(); a.IsValid() && !a.IsUnspecified() {
		ips = []net.IP{a.AsSlice()}
	} else if o.Interface != nil {
		ips = interfaceIPs(o.Interface)
	}
	instance := dnsLabel("onex-" + st.Site + "-" + st.Room + "-" + host)
	txt := []string{txtVersion + "=" + room.Version, txtRoom + "=" + st.Room, txtSite + "=" + st.Site, txtPin + "=" + hex.EncodeToString(st.Pin[:])}
	zone, err := mdns.NewMDNSService(instance, Service, "", host+".local.", int(st.Addr.Port()), ips, txt)
	if err != nil {
		return fmt.Errorf("mDNS announcement: %w", err)
	}
	srv, err := mdns.NewServer(&mdns.Config{Zone: zone, Iface: o.Interface, Logger: quiet()})
	if err != nil {
		return fmt.Errorf("mDNS announcement on %s: %w", ifName(o.Interface), err)
	}
	<-ctx.Done()
	return srv.Shutdown()
}

// Browse asks the network for stations for up to timeout and returns those
// that answered, each once, by address.
func Browse(ctx context.Context, timeout time.Duration, opts ...Options) ([]Station, error) {
	var o Options
	if len(opts) > 0 {
		o = opts[0]
	}
	entries := make(chan *mdns.ServiceEntry, 64)
	params := &mdns.QueryParam{Service: Service, Domain: "local", Timeout: timeout, Interface: o.Interface, Entries: entries, Logger: quiet(), DisableIPv6: true}
	done := make(chan error, 1)
	go func() {
		done <- mdns.QueryContext(ctx, params)
		close(entries)
	}()
	var found []Station
	for e := range entries {
		st, ok := station(e)
		if ok && !slices.ContainsFunc(found, func(f Station) bool { return f.Addr == st.Addr && f.Room == st.Room }) {
			found = append(found, st)
		}
	}
	if err := <-done; err != nil && ctx.Err() == nil {
		return found, fmt.Errorf("mDNS browse on %s: %w", ifName(o.Interface), err)
	}
	slices.SortFunc(found, func(a, b Station) int { return a.Addr.Compare(b.Addr) })
	return found, nil
}

// station reads a service entry; entries of other services (the library
// hands on whatever it hears) and malformed ones are dropped.
func station(e *mdns.ServiceEntry) (Station, bool) {
	if !strings.Contains(e.Name, Service+".") || e.AddrV4 == nil || e.Port <= 0 || e.Port > 65535 {
		return Station{}, false
	}
	ip, ok := netip.AddrFromSlice(e.AddrV4)
	if !ok {
		return Station{}, false
	}
	st := Station{Addr: netip.AddrPortFrom(ip.Unmap(), uint16(e.Port)), Host: strings.TrimSuffix(e.Host, ".")}
	for _, f := range e.InfoFields {
		k, v, _ := strings.Cut(unescapeTXT(f), "=")
		switch k {
		case txtVersion:
			st.Version = v
		case txtRoom:
			st.Room = v
		case txtSite:
			st.Site = v
		case txtPin:
			if b, err := hex.DecodeString(v); err == nil && len(b) == len(st.Pin) {
				copy(st.Pin[:], b)
			}
		}
	}
	return st, st.Version != ""
}

// unescapeTXT undoes the presentation form github.com/miekg/dns gives TXT
// strings: a byte outside printable ASCII as \DDD (decimal), and a
// backslash or quote as \ before it. A room's name in Chinese comes back
// as its UTF-8 bytes.
func unescapeTXT(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' || i+1 == len(s) {
			b = append(b, s[i])
			continue
		}
		if i+3 < len(s) && isDigit(s[i+1]) && isDigit(s[i+2]) && isDigit(s[i+3]) {
			if n := int(s[i+1]-'0')*100 + int(s[i+2]-'0')*10 + int(s[i+3]-'0'); n < 256 {
				b = append(b, byte(n))
				i += 3
				continue
			}
		}
		b = append(b, s[i+1])
		i++
	}
	return string(b)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// interfaceIPs are an interface's IPv4 addresses.
func interfaceIPs(ifc *net.Interface) []net.IP {
	addrs, _ := ifc.Addrs()
	var ips []net.IP
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil {
			ips = append(ips, n.IP.To4())
		}
	}
	return ips
}

// MulticastInterfaces are the machine's interfaces that are up, carry
// multicast and have an IPv4 address: where an announcement can be heard.
func MulticastInterfaces() []net.Interface {
	ifs, _ := net.Interfaces()
	var out []net.Interface
	for _, ifc := range ifs {
		if ifc.Flags&net.FlagUp != 0 && ifc.Flags&net.FlagMulticast != 0 && len(interfaceIPs(&ifc)) > 0 {
			out = append(out, ifc)
		}
	}
	return out
}

// ErrNoMulticast: the machine has no interface an announcement can go out on.
var ErrNoMulticast = errors.New("no network interface that is up and carries multicast with an IPv4 address")

// dnsLabel keeps the letters, digits and dashes of s, at most 63 bytes.
func dnsLabel(s string) string {
	s, _, _ = strings.Cut(s, ".")
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}
	out := strings.Trim(b.String(), "-")
	if len(out) > 63 {
		out = out[:63]
	}
	return out
}

func ifName(ifc *net.Interface) string {
	if ifc == nil {
		return "the default interface"
	}
	return ifc.Name
}

// quiet is the library's logger: it prints to the standard logger
// otherwise, and this package reports through its errors.
func quiet() *log.Logger { return log.New(io.Discard, "", 0) }

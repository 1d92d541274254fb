package room_test

import (
	"errors"
	"net/netip"
	"strings"
	"testing"

	"onex/client/room"
	"onex/exam/seal"
)

func TestPairingCodeRoundTrips(t *testing.T) {
	sec, err := seal.NewPairingSecret()
	if err != nil {
		t.Fatal(err)
	}
	c := room.PairingCode{Station: netip.MustParseAddrPort("192.168.1.10:7443"), Secret: sec, Pin: seal.Hash{1, 2, 3}}
	for _, s := range []string{c.String(), c.Short(), strings.ToLower(c.Short()), strings.ReplaceAll(c.Short(), " ", "\u3000")} {
		got, err := room.ParsePairingCode(s)
		if err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		if got.Station != c.Station || got.Secret != c.Secret {
			t.Errorf("%q read as %v", s, got)
		}
	}
	full, _ := room.ParsePairingCode(c.String())
	if full.Pin != c.Pin {
		t.Errorf("full form lost the pin: %x", full.Pin)
	}
	short, _ := room.ParsePairingCode(c.Short())
	if short.Pin != (seal.Hash{}) {
		t.Errorf("short form has a pin: %x", short.Pin)
	}
}

func TestPairingCodeErrorsSayWhatIsWrong(t *testing.T) {
	sec, _ := seal.NewPairingSecret()
	good := sec.String()
	typo := []byte(good)
	typo[1] ^= 1
	if typo[1] == '-' {
		typo[2] ^= 1
	}
	for _, tc := range []struct{ in, want string }{
		{"", "address and the secret"},
		{"192.168.1.10:7443", "address and the secret"},
		{"station.local:7443 " + good, "not an IP address"},
		{"192.168.1.10 " + good, "not an IP address"},
		{"192.168.1.10:7443 " + string(typo), "group 1"},
		{"192.168.1.10:7443 ABCD", "secret"},
		{"onex-room://192.168.1.10:7443/" + good + "?pin=xyz", "pin"},
		{strings.Repeat("x", 600), "bytes long"},
	} {
		_, err := room.ParsePairingCode(tc.in)
		if !errors.Is(err, room.ErrPairingCode) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: got %v, want an ErrPairingCode saying %q", tc.in, err, tc.want)
		}
	}
}

func FuzzParsePairingCode(f *testing.F) {
	sec, _ := seal.NewPairingSecret()
	c := room.PairingCode{Station: netip.MustParseAddrPort("[fe80::1]:7443"), Secret: sec, Pin: seal.Hash{9}}
	f.Add(c.String())
	f.Add(c.Short())
	f.Add("onex-room://%zz")
	f.Fuzz(func(t *testing.T, s string) {
		got, err := room.ParsePairingCode(s)
		if err != nil {
			return
		}
		again, err := room.ParsePairingCode(got.String())
		if err != nil || again != got {
			t.Fatalf("%q read as %v, whose String %q reads as %v, %v", s, got, got.String(), again, err)
		}
	})
}

package discover

import (
	"testing"
	"unicode/utf8"

	"github.com/hashicorp/mdns"
)

func TestUnescapeTXT(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"room=A1", "room=A1"},
		{`room=\231\172\172\228\184\128`, "room=第一"},
		{`room=a\"b\\c`, `room=a"b\c`},
		{`room=\999`, "room=999"},
		{`room=\`, `room=\`},
		{`room=\12`, "room=12"},
	} {
		if got := unescapeTXT(tc.in); got != tc.want {
			t.Errorf("unescapeTXT(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// FuzzStation reads what anyone on the network may announce.
func FuzzStation(f *testing.F) {
	f.Add("x._onex-room._tcp.local.", "v=onex-room/1", `room=\231\172\172`, "pin=00", 7443)
	f.Fuzz(func(t *testing.T, name, a, b, c string, port int) {
		e := &mdns.ServiceEntry{Name: name, AddrV4: []byte{192, 0, 2, 1}, Port: port, InfoFields: []string{a, b, c}}
		st, ok := station(e)
		if ok && (st.Version == "" || st.Addr.Port() == 0) {
			t.Fatalf("%+v accepted", st)
		}
		if utf8.ValidString(a) && len(unescapeTXT(a)) > len(a) {
			t.Fatalf("unescapeTXT grew %q", a)
		}
	})
}

// Package terminal is the exam computer's side of the room protocol
// (client/room, PROTOCOL.md): pairing with a station by its pairing code,
// requests signed with the terminal's own key over TLS pinned to the
// station's key, the journal of sealed changes, and the candidate's exam
// in memory, which the candidate's screens drive (View, Save, Flag,
// Submit, Remaining) as they drive client/site's Exam on the station. No
// Fyne: the screens are client/ui's.
//
// What the terminal writes to its directory is its identity (terminal.json)
// and its journal, whose changes only the station can open: never a
// question, a candidate's name or ID number, or an answer.
package terminal

import (
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	gosync "sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-retryablehttp"

	"onex/client/room"
	"onex/exam/seal"
	wire "onex/sync"
)

// Config is how a terminal runs.
type Config struct {
	// Dir holds the terminal's files: terminal.json and the journal.
	Dir string
	// Log hears what happens, never a name, a question or an answer; nil
	// is silent.
	Log *slog.Logger
	// Clock is the terminal's clock; nil is time.Now. Remaining counts
	// down on the differences of its readings, which time.Now takes from
	// the monotonic clock.
	Clock func() time.Time
	// Retry is how one request is retried; zero is LANRetry.
	Retry wire.RetryPolicy
	// SaveWait is how long Save, Flag and Submit wait for the station
	// before they answer "saved on this computer"; zero is DefaultSaveWait.
	SaveWait time.Duration
	// WorkBase holds the candidates' work folders for hand-in items
	// (client/handin); "" is handin.DefaultBase, ~/OneX-work.
	WorkBase string
}

// LANRetry suits a station on the room's network: a try that takes more
// than 2.5 s means the station or the network is gone, and the journal
// keeps the change until Run finds the station again.
var LANRetry = wire.RetryPolicy{Retries: 1, WaitMin: 100 * time.Millisecond, WaitMax: 500 * time.Millisecond, Timeout: 2500 * time.Millisecond}

// DefaultSaveWait bounds how long a save waits for the station.
const DefaultSaveWait = 3 * time.Second

// stateFile is the terminal's identity, as terminal.json holds it. Nothing
// about candidates or papers.
const stateFile = "terminal.json"

// stateFormat names the file's format.
const stateFormat = "onex-terminal/1"

type identity struct {
	Format     string `json:"format"`
	TerminalID string `json:"terminal_id"`
	Room       string `json:"room"`
	Site       string `json:"site"`
	Station    string `json:"station"`     // address and port
	Pin        string `json:"pin"`         // SHA-256 of the station's TLS public key, hex
	StationKey []byte `json:"station_key"` // seal.CentralPublicKey: the journal is sealed to it
	Key        []byte `json:"key"`         // seal.DeviceKey: the terminal's private key
	Name       string `json:"name"`
	Seat       string `json:"seat,omitempty"`
}

// Info is what a terminal knows of its pairing.
type Info struct {
	TerminalID string
	Room       string
	Site       string
	Station    netip.AddrPort
	Pin        seal.Hash // SHA-256 of the station's TLS public key
	Name       string    // this machine's name on the console
	Seat       string
}

// Paired reports whether dir holds a paired terminal.
func Paired(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, stateFile))
	return err == nil
}

// Terminal is a paired exam computer. Its methods are safe for concurrent
// use; Run keeps it in touch with the station.
type Terminal struct {
	cfg     Config
	log     *slog.Logger
	info    Info
	key     *seal.DeviceKey
	station *seal.CentralPublicKey
	base    string // https://address
	signer  *wire.Signer
	client  *retryablehttp.Client // requests: LANRetry
	poll    *retryablehttp.Client // the long poll: one try, room.Wait and a margin
	offset  atomic.Int64          // the station's clock minus ours, nanoseconds

	send chan struct{} // held by whoever sends the journal: one sender at a time

	mu      gosync.Mutex
	journal *journal
	ex      examState
	st      status
	waiters map[uint64]chan room.ChangeResult
	changed chan struct{}
}

// Open opens the paired terminal in cfg.Dir. It does not talk to the
// station: Run (or Refresh) does, replaying the journal first.
func Open(cfg Config) (*Terminal, error) {
	path := filepath.Join(cfg.Dir, stateFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%s: %w", cfg.Dir, ErrNotPaired)
	}
	if err != nil {
		return nil, err
	}
	var id identity
	if err := json.Unmarshal(b, &id); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	t, err := fromIdentity(cfg, path, id)
	if err != nil {
		return nil, err
	}
	if t.journal, err = openJournal(cfg.Dir); err != nil {
		return nil, err
	}
	t.log.Info("terminal opened", "terminal", t.info.TerminalID, "room", t.info.Room,
		"pending", len(t.journal.frames), "next_seq", t.journal.base+uint64(len(t.journal.frames))+1)
	return t, nil
}

func fromIdentity(cfg Config, path string, id identity) (*Terminal, error) {
	bad := func(field string, err error) (*Terminal, error) {
		return nil, fmt.Errorf("%s: field %s: %w", path, field, err)
	}
	if id.Format != stateFormat {
		return bad("format", fmt.Errorf("%q, want %q", id.Format, stateFormat))
	}
	if id.TerminalID == "" {
		return bad("terminal_id", errors.New("empty"))
	}
	info := Info{TerminalID: id.TerminalID, Room: id.Room, Site: id.Site, Name: id.Name, Seat: id.Seat}
	var err error
	if info.Station, err = netip.ParseAddrPort(id.Station); err != nil {
		return bad("station", err)
	}
	if n, err := hex.Decode(info.Pin[:], []byte(id.Pin)); err != nil || n != len(info.Pin) || len(id.Pin) != 2*len(info.Pin) {
		return bad("pin", fmt.Errorf("%q is not 64 hexadecimal digits", id.Pin))
	}
	station, err := seal.ParseCentralPublicKey(id.StationKey)
	if err != nil {
		return bad("station_key", err)
	}
	key, err := seal.ParseDeviceKey(id.Key)
	if err != nil {
		return bad("key", err)
	}
	return newTerminal(cfg, info, key, station)
}

func newTerminal(cfg Config, info Info, key *seal.DeviceKey, station *seal.CentralPublicKey) (*Terminal, error) {
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	if cfg.Retry == (wire.RetryPolicy{}) {
		cfg.Retry = LANRetry
	}
	if cfg.SaveWait <= 0 {
		cfg.SaveWait = DefaultSaveWait
	}
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	t := &Terminal{cfg: cfg, log: log, info: info, key: key, station: station, base: "https://" + info.Station.String(),
		send: make(chan struct{}, 1), waiters: map[uint64]chan room.ChangeResult{}, changed: make(chan struct{}, 1)}
	t.signer = &wire.Signer{DeviceID: info.TerminalID, Key: key, Clock: cfg.Clock,
		Offset: func() time.Duration { return time.Duration(t.offset.Load()) },
		Learn:  t.learn}
	c, err := wire.WithTLS(wire.NewClient(cfg.Retry, log), stationTLS(info.Pin))
	if err != nil {
		return nil, err
	}
	t.client = c
	t.poll = wire.WithRetry(c, wire.RetryPolicy{Timeout: room.Wait + cfg.Retry.Timeout})
	return t, nil
}

// learn takes the station's time, read when ours was local: the station's
// clock rules what the terminal signs.
func (t *Terminal) learn(station, local time.Time) {
	t.offset.Store(int64(station.Sub(local)))
}

// Info is the terminal's pairing.
func (t *Terminal) Info() Info { return t.info }

// Close closes the journal. Run must have returned.
func (t *Terminal) Close() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.journal.close()
}

// stationTLS trusts the station whose TLS public key has the SHA-256 pin,
// and nothing else about its certificate: TLS 1.3, the pin checked on
// every handshake (VerifyConnection runs on resumed ones too).
func stationTLS(pin seal.Hash) *tls.Config {
	return &tls.Config{MinVersion: tls.VersionTLS13, InsecureSkipVerify: true, VerifyConnection: func(cs tls.ConnectionState) error {
		if len(cs.PeerCertificates) == 0 {
			return errors.New("the station presented no certificate")
		}
		if seen := seal.SPKIHash(cs.PeerCertificates[0]); seen != pin {
			return &PinError{Pinned: pin, Seen: seen}
		}
		return nil
	}}
}

// now is the terminal's clock.
func (t *Terminal) now() time.Time { return t.cfg.Clock() }

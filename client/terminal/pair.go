package terminal

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"

	"onex/client/room"
	"onex/exam/seal"
	wire "onex/sync"
)

// maxTerminalID is the longest terminal id the station may assign: it is
// the device id of every signed request and envelope.
const maxTerminalID = 128

// Pair pairs this computer with the station of a pairing code, as the
// machine name and seat the console will show, and writes the terminal's
// identity to cfg.Dir (which must not hold one). The secret never crosses
// the network: the terminal proves it knows it over the TLS key it sees,
// and trusts the answer only once the station proves it too over the same
// key (PROTOCOL.md, "Pairing"). With a pin in the code, a station showing
// another key is refused before anything is sent (*PinError).
func Pair(ctx context.Context, cfg Config, code room.PairingCode, name, seat string) (*Terminal, error) {
	if Paired(cfg.Dir) {
		return nil, fmt.Errorf("%s: %w", cfg.Dir, ErrAlreadyPaired)
	}
	key, err := seal.GenerateDeviceKey()
	if err != nil {
		return nil, err
	}
	spki, err := observeStation(ctx, code)
	if err != nil {
		return nil, err
	}
	pub := key.Public().Marshal()
	body, err := json.Marshal(room.PairRequest{Key: pub, Name: name, Seat: seat,
		Proof: code.Secret.Proof(seal.PairingTerminal, spki, pub, "")})
	if err != nil {
		return nil, err
	}
	retry := cfg.Retry
	if retry == (wire.RetryPolicy{}) {
		retry = LANRetry
	}
	// One try: the secret is used up by the first pairing that checks, so
	// a retry after a lost answer could only be refused.
	c, err := wire.WithTLS(wire.NewClient(wire.RetryPolicy{Timeout: retry.Timeout}, cfg.Log), stationTLS(spki))
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "https://"+code.Station.String()+room.PathPair, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.StandardClient().Do(req)
	if err != nil {
		return nil, transportError(err)
	}
	var pr room.PairResponse
	if err := decodeAnswer(resp, room.PathPair, &pr, 64<<10); err != nil {
		return nil, err
	}
	if !code.Secret.CheckProof(pr.Proof, seal.PairingStation, spki, pub, pr.TerminalID) {
		return nil, fmt.Errorf("the station at %s: %w", code.Station, ErrStationProof)
	}
	if pr.TerminalID == "" || len(pr.TerminalID) > maxTerminalID {
		return nil, fmt.Errorf("the station at %s: terminal id of %d bytes, want 1 to %d", code.Station, len(pr.TerminalID), maxTerminalID)
	}
	if _, err := seal.ParseCentralPublicKey(pr.StationKey); err != nil {
		return nil, fmt.Errorf("the station at %s: its record key: %w", code.Station, err)
	}
	id := identity{Format: stateFormat, TerminalID: pr.TerminalID, Room: pr.Room, Site: pr.Site, Station: code.Station.String(),
		Pin: hex.EncodeToString(spki[:]), StationKey: pr.StationKey, Key: key.Marshal(), Name: name, Seat: seat}
	b, err := json.MarshalIndent(id, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		return nil, err
	}
	// The journal first: a directory with terminal.json always has one.
	if err := createJournal(cfg.Dir); err != nil {
		return nil, fmt.Errorf("%s: creating the journal: %w", cfg.Dir, err)
	}
	if err := writeAtomic(filepath.Join(cfg.Dir, stateFile), b); err != nil {
		return nil, fmt.Errorf("%s: writing %s: %w", cfg.Dir, stateFile, err)
	}
	if cfg.Log != nil {
		cfg.Log.Info("terminal paired", "terminal", pr.TerminalID, "room", pr.Room, "station", code.Station.String(),
			"station_tls", seal.TLSFingerprint(spki))
	}
	return Open(cfg)
}

// observeStation connects to the station and returns the SHA-256 of the
// TLS public key it shows, sending nothing; with a pin in the code, a
// different key is a *PinError and the handshake fails.
func observeStation(ctx context.Context, code room.PairingCode) (seal.Hash, error) {
	var seen seal.Hash
	cfg := &tls.Config{MinVersion: tls.VersionTLS13, InsecureSkipVerify: true, VerifyConnection: func(cs tls.ConnectionState) error {
		if len(cs.PeerCertificates) == 0 {
			return errors.New("the station presented no certificate")
		}
		seen = seal.SPKIHash(cs.PeerCertificates[0])
		if code.Pin != (seal.Hash{}) && seen != code.Pin {
			return &PinError{Pinned: code.Pin, Seen: seen}
		}
		return nil
	}}
	d := tls.Dialer{NetDialer: &net.Dialer{Timeout: LANRetry.Timeout}, Config: cfg}
	conn, err := d.DialContext(ctx, "tcp", code.Station.String())
	if err != nil {
		return seal.Hash{}, transportError(err)
	}
	conn.Close()
	return seen, nil
}

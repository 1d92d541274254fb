package seal

import (
	"bytes"
	"crypto/ed25519"
	"crypto/hpke"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"os"
	"runtime"
	"sync"
	"testing"
	"time"
)

// cheapArgon keeps tests fast; production parameters are exercised once, in
// TestVectors.
var cheapArgon = argonParams{Time: 1, Memory: 64, Threads: 1}

func TestMain(m *testing.M) {
	releaseArgon, storeArgon = cheapArgon, cheapArgon
	os.Exit(m.Run())
}

// stream is a deterministic byte source for tests: SHA-256 in counter mode
// over a label. It is not a cryptographic generator of ours, only a fixture.
type stream struct {
	label string
	n     uint64
	buf   []byte
}

func newStream(label string) *stream { return &stream{label: label} }

func (s *stream) Read(p []byte) (int, error) {
	for len(s.buf) < len(p) {
		h := sha256.Sum256(binary.BigEndian.AppendUint64([]byte(s.label), s.n))
		s.n++
		s.buf = append(s.buf, h[:]...)
	}
	n := copy(p, s.buf)
	s.buf = s.buf[n:]
	return n, nil
}

func testCentral(t testing.TB) *CentralKeys {
	t.Helper()
	ck, err := newCentralKeys(newStream("central"))
	if err != nil {
		t.Fatal(err)
	}
	return ck
}

func testDevice(t testing.TB, label string) *DeviceKey {
	t.Helper()
	dk, err := newDeviceKey(newStream(label))
	if err != nil {
		t.Fatal(err)
	}
	return dk
}

var testTime = time.Date(2026, 6, 13, 9, 0, 0, 123456789, time.UTC)

func testPaper(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/paper200.json")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func wantErr(t *testing.T, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("error %v, want %v", err, target)
	}
}

// everyFlip calls check on a copy of b with one bit of byte i flipped (bit
// i mod 8, so every bit position is exercised along the sample) for every i,
// spread over the CPUs, and fails listing the positions where check accepted
// the altered bytes.
func everyFlip(t *testing.T, b []byte, check func(mutated []byte) error) {
	t.Helper()
	if err := check(b); err != nil {
		t.Fatalf("unaltered input rejected: %v", err)
	}
	workers := runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var missed []int
	for w := range workers {
		wg.Go(func() {
			m := bytes.Clone(b)
			for i := w; i < len(b); i += workers {
				m[i] ^= 1 << (i % 8)
				err := check(m)
				m[i] ^= 1 << (i % 8)
				if err == nil {
					mu.Lock()
					missed = append(missed, i)
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	if len(missed) > 0 {
		t.Fatalf("%d altered positions accepted, such as %v", len(missed), missed[:min(len(missed), 10)])
	}
}

func TestKeysRoundTrip(t *testing.T) {
	ck, err := GenerateCentralKeys()
	if err != nil {
		t.Fatal(err)
	}
	ck2, err := ParseCentralKeys(ck.Marshal())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(ck2.Marshal(), ck.Marshal()) || !bytes.Equal(ck2.Public().Marshal(), ck.Public().Marshal()) {
		t.Fatal("central keys changed in a round trip")
	}
	pub, err := ParseCentralPublicKey(ck.Public().Marshal())
	if err != nil {
		t.Fatal(err)
	}
	if pub.Fingerprint() != ck.Public().Fingerprint() {
		t.Fatal("central fingerprint changed in a round trip")
	}
	dk, err := GenerateDeviceKey()
	if err != nil {
		t.Fatal(err)
	}
	dk2, err := ParseDeviceKey(dk.Marshal())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(dk2.Marshal(), dk.Marshal()) {
		t.Fatal("device key changed in a round trip")
	}
	dpub, err := ParseDevicePublicKey(dk.Public().Marshal())
	if err != nil {
		t.Fatal(err)
	}
	if dpub.Fingerprint() != dk.Public().Fingerprint() || len(dpub.Fingerprint()) != 19 {
		t.Fatalf("device fingerprint %q", dpub.Fingerprint())
	}
	other, _ := GenerateDeviceKey()
	if other.Public().Fingerprint() == dk.Public().Fingerprint() {
		t.Fatal("two keys share a fingerprint")
	}
}

func TestKeysRejectMalformed(t *testing.T) {
	ck := testCentral(t)
	dk := testDevice(t, "device")
	for _, tc := range []struct {
		name  string
		b     []byte
		parse func([]byte) error
	}{
		{"central private as public", ck.Marshal(), func(b []byte) error { _, err := ParseCentralPublicKey(b); return err }},
		{"device public as private", dk.Public().Marshal(), func(b []byte) error { _, err := ParseDeviceKey(b); return err }},
		{"truncated central", ck.Marshal()[:40], func(b []byte) error { _, err := ParseCentralKeys(b); return err }},
		{"long device public", append(dk.Public().Marshal(), 0), func(b []byte) error { _, err := ParseDevicePublicKey(b); return err }},
		{"version 2", append([]byte("OXK\x02\x04"), make([]byte, 32)...), func(b []byte) error { _, err := ParseDevicePublicKey(b); return err }},
		{"empty", nil, func(b []byte) error { _, err := ParseCentralKeys(b); return err }},
	} {
		t.Run(tc.name, func(t *testing.T) { wantErr(t, tc.parse(tc.b), ErrFormat) })
	}
}

func ed25519Sign(dk *DeviceKey, msg []byte) []byte { return ed25519.Sign(dk.sign, msg) }

// sealRecordWithInnerSigner is sealRecord with the inner signature made by
// another key: what a device that signs envelopes could try.
func sealRecordWithInnerSigner(dk, inner *DeviceKey, central *CentralPublicKey, h Header, plaintext []byte) ([]byte, error) {
	header := appendHeader(dk.pub.keyID(), &h)
	sealed := append(bytes.Clone(plaintext), ed25519.Sign(inner.sign, innerMessage(header, plaintext))...)
	enc, sender, err := hpke.NewSender(central.recv, hpkeKDF, hpkeAEAD, []byte(hpkeInfo))
	if err != nil {
		return nil, err
	}
	ct, err := sender.Seal(header, sealed)
	if err != nil {
		return nil, err
	}
	b := append(header, enc...)
	b = binary.BigEndian.AppendUint32(b, uint32(len(ct)))
	b = append(b, ct...)
	return append(b, ed25519.Sign(dk.sign, b)...), nil
}

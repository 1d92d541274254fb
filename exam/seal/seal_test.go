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

// testCentral is central's keys with the hybrid part, to which devices seal
// version 2 envelopes.
func testCentral(t testing.TB) *CentralKeys { t.Helper(); return testCentralFrom(t, "central") }

// envelopeVersions are the envelope versions tests run over, and a central
// whose public key makes devices seal that version: version 1 is sealed to
// the key of release 1 (V1) and opened by the same central.
var envelopeVersions = []struct {
	version int
	public  func(*CentralKeys) *CentralPublicKey
}{
	{1, func(ck *CentralKeys) *CentralPublicKey { return ck.Public().V1() }},
	{2, (*CentralKeys).Public},
}

func testDevice(t testing.TB, label string) *DeviceKey {
	t.Helper()
	dk, err := newDeviceKey(newStream(label))
	return fatalIf(t, dk, err)
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
		{"central public as type 2 with the hybrid part", append(append(magicKey[:], keyCentralPublic), ck.Public().Marshal()[magicLen+1:]...), func(b []byte) error { _, err := ParseCentralPublicKey(b); return err }},
		{"central public type 6 without the hybrid part", append(append(magicKey[:], keyCentralPublicV2), ck.Public().V1().Marshal()[magicLen+1:]...), func(b []byte) error { _, err := ParseCentralPublicKey(b); return err }},
		{"central private type 5 without the hybrid seed", append(append(magicKey[:], keyCentralPrivateV2), ck.V1().Marshal()[magicLen+1:]...), func(b []byte) error { _, err := ParseCentralKeys(b); return err }},
		{"central private type 1 with the hybrid seed", append(append(magicKey[:], keyCentralPrivate), ck.Marshal()[magicLen+1:]...), func(b []byte) error { _, err := ParseCentralKeys(b); return err }},
		{"device key type 5", append(append(magicKey[:], keyCentralPrivateV2), dk.Marshal()[magicLen+1:]...), func(b []byte) error { _, err := ParseDeviceKey(b); return err }},
	} {
		t.Run(tc.name, func(t *testing.T) { wantErr(t, tc.parse(tc.b), ErrFormat) })
	}
}

// TestCentralKeyUpgrade: central's keys of release 1 (type 1) gain the
// hybrid part (type 5) and keep everything else: the signing key, the
// X25519 key, the secrets key the unlock codes are sealed under. Two copies
// of one key file upgrade to the same key.
func TestCentralKeyUpgrade(t *testing.T) {
	old := testCentral(t).V1()
	b := old.Marshal()
	if len(b) != 69 || b[magicLen] != keyCentralPrivate || len(old.Public().Marshal()) != 69 || old.Hybrid() || old.Public().Hybrid() {
		t.Fatalf("keys of release 1: %d bytes, type %d", len(b), b[magicLen])
	}
	parsed, err := ParseCentralKeys(b)
	if err != nil || parsed.Hybrid() || !bytes.Equal(parsed.Marshal(), b) {
		t.Fatalf("type 1 does not parse as it was: %v", err)
	}
	up := parsed.Upgrade()
	again := old.Upgrade()
	ub := up.Marshal()
	switch {
	case len(ub) != 101 || ub[magicLen] != keyCentralPrivateV2 || !up.Hybrid():
		t.Fatalf("upgraded keys: %d bytes, type %d", len(ub), ub[magicLen])
	case !bytes.Equal(ub[:69], append(append(magicKey[:], keyCentralPrivateV2), b[magicLen+1:]...)):
		t.Fatal("upgrading changed the Ed25519 seed or the X25519 key")
	case !bytes.Equal(ub, again.Marshal()):
		t.Fatal("two upgrades of one key differ")
	case *up.SecretsKey() != *old.SecretsKey():
		t.Fatal("upgrading changed the secrets key")
	case up.Upgrade() != up:
		t.Fatal("upgrading hybrid keys made new ones")
	case !bytes.Equal(up.V1().Marshal(), b) || !bytes.Equal(up.Public().V1().Marshal(), old.Public().Marshal()):
		t.Fatal("the upgraded keys' release 1 part differs")
	case up.Public().Fingerprint() == old.Public().Fingerprint():
		t.Fatal("the hybrid key has the fingerprint of the key of release 1")
	}
	pub := up.Public().Marshal()
	if len(pub) != 1285 || pub[magicLen] != keyCentralPublicV2 || !bytes.Equal(pub[magicLen+1:69], old.Public().Marshal()[magicLen+1:]) {
		t.Fatalf("hybrid public key: %d bytes, type %d", len(pub), pub[magicLen])
	}
	back, err := ParseCentralKeys(ub)
	if err != nil || !bytes.Equal(back.Marshal(), ub) || !bytes.Equal(back.Public().Marshal(), pub) {
		t.Fatalf("type 5 does not round-trip: %v", err)
	}
	// Sealed under the secrets key before the upgrade, opened after it.
	sealed, err := SealField(old.SecretsKey(), "sessions", "unlock_code", "S-1", []byte("2XGWR-VYGY7-FYKNG-4FKY8"))
	if err != nil {
		t.Fatal(err)
	}
	if code, err := OpenField(back.SecretsKey(), "sessions", "unlock_code", "S-1", sealed); err != nil || string(code) != "2XGWR-VYGY7-FYKNG-4FKY8" {
		t.Fatalf("unlock code sealed before the upgrade: %q, %v", code, err)
	}
}

// TestSignedCentralKey: a device that trusts central's key of release 1
// learns the hybrid key from what central signs, and from nothing else.
func TestSignedCentralKey(t *testing.T) {
	old := testCentral(t).V1()
	up := old.Upgrade()
	manifest, err := SignCentralKey(up, testTime)
	if err != nil {
		t.Fatal(err)
	}
	key := up.Public().Marshal()
	if _, err := SignCentralKey(old, testTime); err == nil {
		t.Fatal("signed keys without the hybrid part")
	}
	other := testCentral(t) // same Ed25519 and X25519 keys, another hybrid key
	otherManifest, err := SignCentralKey(other, testTime)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name          string
		trusted       *CentralPublicKey
		manifest, key []byte
		want          error
	}{
		{"release 1 learns the hybrid key", old.Public(), manifest, key, nil},
		{"hybrid already, the same", up.Public(), manifest, key, nil},
		{"hybrid already, another hybrid key", up.Public(), otherManifest, other.Public().Marshal(), ErrWrongKey},
		{"signed by another central", testCentralFrom(t, "another").Public().V1(), manifest, key, ErrBadSignature},
		{"the key of release 1 in place of the hybrid one", old.Public(), manifest, old.Public().Marshal(), ErrBadPart},
		{"no key", old.Public(), manifest, nil, ErrBadPart},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k, err := OpenCentralKey(tc.trusted, tc.manifest, tc.key)
			if tc.want != nil {
				wantErr(t, err, tc.want)
				return
			}
			if err != nil || !bytes.Equal(k.Marshal(), key) || !k.Hybrid() {
				t.Fatalf("learnt %v, %v", k, err)
			}
		})
	}
}

func testCentralFrom(t testing.TB, label string) *CentralKeys {
	t.Helper()
	ck, err := newCentralKeys(newStream(label))
	return fatalIf(t, ck, err)
}

// fatalIf fails t on err, else returns v.
func fatalIf[T any](t testing.TB, v T, err error) T {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func ed25519Sign(dk *DeviceKey, msg []byte) []byte { return ed25519.Sign(dk.sign, msg) }

// sealRecordWithInnerSigner is sealRecord with the inner signature made by
// another key: what a device that signs envelopes could try.
func sealRecordWithInnerSigner(dk, inner *DeviceKey, central *CentralPublicKey, h Header, plaintext []byte) ([]byte, error) {
	version, pk, info := central.sealTo()
	header := appendHeader(version, dk.pub.keyID(), &h)
	sealed := append(bytes.Clone(plaintext), ed25519.Sign(inner.sign, innerMessage(header, plaintext))...)
	enc, sender, err := hpke.NewSender(pk, hpkeKDF, hpkeAEAD, []byte(info))
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

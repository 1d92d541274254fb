package seal

import (
	"bytes"
	"fmt"
	"runtime"
	"sync"
	"testing"
)

// changes are the values everyValue XORs into each byte: all 255, or in the
// fast tier (go test -short) each single bit and all eight.
func changes() []byte {
	if testing.Short() {
		return []byte{1, 2, 4, 8, 16, 32, 64, 128, 255}
	}
	var all []byte
	for d := 1; d < 256; d++ {
		all = append(all, byte(d))
	}
	return all
}

// everyValue calls check on a copy of b with byte i replaced by each of its
// 255 other values (nine in the fast tier: see changes), for every i, spread
// over the CPUs, and fails listing the changes check accepted. everyFlip
// tries one change per byte over large inputs; this tries them all over the
// small ones, where an ignored bit of a header field would hide.
func everyValue(t *testing.T, b []byte, check func(mutated []byte) error) {
	t.Helper()
	if err := check(b); err != nil {
		t.Fatalf("unaltered input rejected: %v", err)
	}
	deltas := changes()
	workers := runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var missed [][2]int
	for w := range workers {
		wg.Go(func() {
			m := bytes.Clone(b)
			for i := w; i < len(b); i += workers {
				for _, d := range deltas {
					m[i] ^= d
					err := check(m)
					m[i] ^= d
					if err == nil {
						mu.Lock()
						missed = append(missed, [2]int{i, int(d)})
						mu.Unlock()
					}
				}
			}
		})
	}
	wg.Wait()
	if len(missed) > 0 {
		t.Fatalf("%d single-byte changes accepted, such as (offset, xor) %v", len(missed), missed[:min(len(missed), 10)])
	}
	t.Logf("%d changes of %d bytes, all refused", len(deltas)*len(b), len(b))
}

// TestEverySingleByteChange changes every byte of a receipt, an envelope of
// each version, a manifest, central's signed key, a sealed field and a small
// sealed paper to every other value: each change is refused.
func TestEverySingleByteChange(t *testing.T) {
	ck := testCentral(t)
	dk := testDevice(t, "device")
	rec := []byte(`{"ticket":"2026WEB010001","item":"q1","answer":{"choices":["b"]}}`)
	env, err := SealRecord(dk, ck.Public(), testHeader(), rec)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("receipt", func(t *testing.T) {
		r, err := SignReceipt(ck, &Receipt{RecordID: env.Header.RecordID, EnvelopeHash: env.Hash, ServerSeq: 7, ServerTime: testTime})
		if err != nil {
			t.Fatal(err)
		}
		everyValue(t, r, func(m []byte) error {
			_, err := VerifyReceipt(ck.Public(), m, env.Bytes)
			return err
		})
	})
	for _, v := range envelopeVersions {
		t.Run(fmt.Sprintf("envelope v%d", v.version), func(t *testing.T) {
			env, err := SealRecord(dk, v.public(ck), testHeader(), rec)
			if err != nil || env.Version != v.version {
				t.Fatalf("sealed version %d: %v", env.Version, err)
			}
			everyValue(t, env.Bytes, func(m []byte) error {
				_, err := OpenEnvelope(ck, m, dk.Public())
				return err
			})
		})
	}
	t.Run("central key", func(t *testing.T) {
		key := ck.Public().Marshal()
		manifest, err := SignCentralKey(ck, testTime)
		if err != nil {
			t.Fatal(err)
		}
		everyValue(t, manifest, func(m []byte) error {
			_, err := OpenCentralKey(ck.Public().V1(), m, key)
			return err
		})
		// The key is a part the manifest lists by its SHA-256: one change a
		// byte shows that every byte is covered; every value would only test
		// SHA-256 again.
		everyFlip(t, key, func(k []byte) error {
			_, err := OpenCentralKey(ck.Public().V1(), manifest, k)
			return err
		})
	})
	t.Run("manifest", func(t *testing.T) {
		m := &Manifest{PackageID: "P-7", SessionID: "S-1", Created: testTime, Parts: []Part{NewPart("session.json", []byte(`{"id":"S-1"}`))}}
		b, err := SignManifest(ck, m)
		if err != nil {
			t.Fatal(err)
		}
		everyValue(t, b, func(m []byte) error {
			_, err := OpenManifest(ck.Public(), m)
			return err
		})
	})
	t.Run("sealed field", func(t *testing.T) {
		k := testStoreKey(t, "store")
		sealed, err := SealField(k, "answers", "answer", "S-1\x1f2026WEB010001\x1fq10", []byte(`{"text":"答案"}`))
		if err != nil {
			t.Fatal(err)
		}
		everyValue(t, sealed, func(m []byte) error {
			_, err := OpenField(k, "answers", "answer", "S-1\x1f2026WEB010001\x1fq10", m)
			return err
		})
	})
	t.Run("sealed paper", func(t *testing.T) {
		rk := testReleaseKey(t, "S-1")
		sp, err := sealPaper(newStream("small paper"), []byte(`{"id":"P","items":[]}`), "P", 1, rk)
		if err != nil {
			t.Fatal(err)
		}
		everyValue(t, sp.Key, func(k []byte) error {
			_, err := openPaper(sp.Body, k, rk)
			return err
		})
		everyValue(t, sp.Body, func(b []byte) error {
			_, err := openPaper(b, sp.Key, rk)
			return err
		})
	})
}

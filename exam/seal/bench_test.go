package seal

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"testing"
)

// The record benchmarks use a 4 KiB record, sealed as envelopes of both
// versions (sub-benchmarks v1 and v2, so one run of
// go test -run '^$' -bench 'Seal|Open' ./exam/seal compares them); the paper
// benchmark the 200-item paper in testdata. BenchmarkEd25519SignVerify is
// the floor to compare with: sealing a record signs twice and encapsulates
// (v1: two X25519 operations; v2: those and an ML-KEM-768 encapsulation),
// opening one verifies twice and decapsulates (v1: one X25519 operation;
// v2: one X25519 and an ML-KEM-768 decapsulation).
//
// Each benchmark reports, beside the wall time, the process's CPU time per
// operation (cpu-ns/op, where the system reports it): on a machine shared
// with other builds the wall time counts the waits for a core, the CPU time
// hardly. Run with -cpu 1 so that it is one core's work.

// benchLoop runs op in b.Loop and reports the CPU time per operation.
func benchLoop(b *testing.B, op func() error) {
	start, ok := processCPU()
	for b.Loop() {
		if err := op(); err != nil {
			b.Fatal(err)
		}
	}
	if end, _ := processCPU(); ok {
		b.ReportMetric(float64(end-start)/float64(b.N), "cpu-ns/op")
	}
}

// perVersion runs bench as sub-benchmarks v1 and v2, with central's public
// key that makes devices seal that version.
func perVersion(b *testing.B, bench func(b *testing.B, ck *CentralKeys, pub *CentralPublicKey)) {
	ck := testCentral(b)
	for _, v := range envelopeVersions {
		b.Run(fmt.Sprintf("v%d", v.version), func(b *testing.B) { bench(b, ck, v.public(ck)) })
	}
}

func BenchmarkSealRecord4KiB(b *testing.B) {
	dk := testDevice(b, "device")
	rec := testRecord(b)
	perVersion(b, func(b *testing.B, _ *CentralKeys, pub *CentralPublicKey) {
		b.SetBytes(int64(len(rec)))
		benchLoop(b, func() error { _, err := SealRecord(dk, pub, testHeader(), rec); return err })
	})
}

func BenchmarkVerifyEnvelope4KiB(b *testing.B) {
	dk := testDevice(b, "device")
	perVersion(b, func(b *testing.B, _ *CentralKeys, pub *CentralPublicKey) {
		env, _ := SealRecord(dk, pub, testHeader(), testRecord(b))
		b.SetBytes(int64(len(env.Bytes)))
		benchLoop(b, func() error { _, err := VerifyEnvelope(env.Bytes, dk.Public()); return err })
	})
}

func BenchmarkOpenRecord4KiB(b *testing.B) {
	dk := testDevice(b, "device")
	perVersion(b, func(b *testing.B, ck *CentralKeys, pub *CentralPublicKey) {
		env, _ := SealRecord(dk, pub, testHeader(), testRecord(b))
		b.SetBytes(int64(len(env.Bytes)))
		benchLoop(b, func() error { _, err := OpenEnvelope(ck, env.Bytes, dk.Public()); return err })
	})
}

// BenchmarkParseCentralPublicKey is what a device pays to load central's
// key from its store (once a process): v2 decodes the ML-KEM-768
// encapsulation key.
func BenchmarkParseCentralPublicKey(b *testing.B) {
	perVersion(b, func(b *testing.B, _ *CentralKeys, pub *CentralPublicKey) {
		key := pub.Marshal()
		benchLoop(b, func() error { _, err := ParseCentralPublicKey(key); return err })
	})
}

func BenchmarkSignReceipt(b *testing.B) {
	ck := testCentral(b)
	r := &Receipt{ServerSeq: 1, ServerTime: testTime}
	benchLoop(b, func() error { _, err := SignReceipt(ck, r); return err })
}

func BenchmarkVerifyReceipt(b *testing.B) {
	ck := testCentral(b)
	dk := testDevice(b, "device")
	env, _ := SealRecord(dk, ck.Public(), testHeader(), testRecord(b))
	receipt, _ := SignReceipt(ck, &Receipt{RecordID: env.Header.RecordID, EnvelopeHash: env.Hash, ServerSeq: 1, ServerTime: testTime})
	benchLoop(b, func() error { _, err := VerifyReceipt(ck.Public(), receipt, env.Bytes); return err })
}

// BenchmarkOpenPaper200 verifies a package holding the 200-item paper and
// decrypts the paper.
func BenchmarkOpenPaper200(b *testing.B) {
	ck := testCentral(b)
	manifest, parts := testPackage(b, ck)
	rk := testReleaseKey(b, "S-1")
	b.SetBytes(int64(len(parts[bodyPart])))
	benchLoop(b, func() error {
		pkg, err := OpenPackage(ck.Public(), manifest, parts)
		if err != nil {
			return err
		}
		_, err = pkg.OpenPaper(bodyPart, keyPart, rk)
		return err
	})
}

// BenchmarkDeriveReleaseKey uses the production argon2id parameters.
func BenchmarkDeriveReleaseKey(b *testing.B) {
	c, _ := newUnlockCode(newStream("bench"))
	saved := releaseArgon
	releaseArgon = defaultArgon
	defer func() { releaseArgon = saved }()
	benchLoop(b, func() error { _, err := DeriveReleaseKey(c, "S-1"); return err })
}

func BenchmarkSealField(b *testing.B) {
	k := testStoreKey(b, "store")
	v := []byte("110101200801011234")
	benchLoop(b, func() error { _, err := SealField(k, "candidates", "id_number", "17", v); return err })
}

func BenchmarkOpenField(b *testing.B) {
	k := testStoreKey(b, "store")
	sealed, _ := SealField(k, "candidates", "id_number", "17", []byte("110101200801011234"))
	benchLoop(b, func() error { _, err := OpenField(k, "candidates", "id_number", "17", sealed); return err })
}

func BenchmarkEd25519SignVerify(b *testing.B) {
	dk := testDevice(b, "device")
	msg := make([]byte, 64)
	benchLoop(b, func() error {
		if !ed25519.Verify(dk.pub.sign, msg, ed25519.Sign(dk.sign, msg)) {
			return errors.New("bad signature")
		}
		return nil
	})
}

package seal

import (
	"crypto/ed25519"
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

func BenchmarkSealRecord4KiB(b *testing.B) {
	ck := testCentral(b)
	dk := testDevice(b, "device")
	rec := testRecord(b)
	for _, v := range envelopeVersions {
		pub := v.public(ck)
		b.Run(fmt.Sprintf("v%d", v.version), func(b *testing.B) {
			b.SetBytes(int64(len(rec)))
			for b.Loop() {
				if _, err := SealRecord(dk, pub, testHeader(), rec); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkVerifyEnvelope4KiB(b *testing.B) {
	ck := testCentral(b)
	dk := testDevice(b, "device")
	for _, v := range envelopeVersions {
		env, _ := SealRecord(dk, v.public(ck), testHeader(), testRecord(b))
		b.Run(fmt.Sprintf("v%d", v.version), func(b *testing.B) {
			b.SetBytes(int64(len(env.Bytes)))
			for b.Loop() {
				if _, err := VerifyEnvelope(env.Bytes, dk.Public()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkOpenRecord4KiB(b *testing.B) {
	ck := testCentral(b)
	dk := testDevice(b, "device")
	for _, v := range envelopeVersions {
		env, _ := SealRecord(dk, v.public(ck), testHeader(), testRecord(b))
		b.Run(fmt.Sprintf("v%d", v.version), func(b *testing.B) {
			b.SetBytes(int64(len(env.Bytes)))
			for b.Loop() {
				if _, err := OpenEnvelope(ck, env.Bytes, dk.Public()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkParseCentralPublicKey is what a device pays to load central's
// key from its store (once per process): v2 decodes the ML-KEM-768
// encapsulation key.
func BenchmarkParseCentralPublicKey(b *testing.B) {
	ck := testCentral(b)
	for _, v := range envelopeVersions {
		key := v.public(ck).Marshal()
		b.Run(fmt.Sprintf("v%d", v.version), func(b *testing.B) {
			for b.Loop() {
				if _, err := ParseCentralPublicKey(key); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkSignReceipt(b *testing.B) {
	ck := testCentral(b)
	r := &Receipt{ServerSeq: 1, ServerTime: testTime}
	for b.Loop() {
		if _, err := SignReceipt(ck, r); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyReceipt(b *testing.B) {
	ck := testCentral(b)
	dk := testDevice(b, "device")
	env, _ := SealRecord(dk, ck.Public(), testHeader(), testRecord(b))
	receipt, _ := SignReceipt(ck, &Receipt{RecordID: env.Header.RecordID, EnvelopeHash: env.Hash, ServerSeq: 1, ServerTime: testTime})
	for b.Loop() {
		if _, err := VerifyReceipt(ck.Public(), receipt, env.Bytes); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkOpenPaper200 verifies a package holding the 200-item paper and
// decrypts the paper.
func BenchmarkOpenPaper200(b *testing.B) {
	ck := testCentral(b)
	manifest, parts := testPackage(b, ck)
	rk := testReleaseKey(b, "S-1")
	b.SetBytes(int64(len(parts[bodyPart])))
	for b.Loop() {
		pkg, err := OpenPackage(ck.Public(), manifest, parts)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := pkg.OpenPaper(bodyPart, keyPart, rk); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDeriveReleaseKey uses the production argon2id parameters.
func BenchmarkDeriveReleaseKey(b *testing.B) {
	c, _ := newUnlockCode(newStream("bench"))
	saved := releaseArgon
	releaseArgon = defaultArgon
	defer func() { releaseArgon = saved }()
	for b.Loop() {
		if _, err := DeriveReleaseKey(c, "S-1"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSealField(b *testing.B) {
	k := testStoreKey(b, "store")
	v := []byte("110101200801011234")
	for b.Loop() {
		if _, err := SealField(k, "candidates", "id_number", "17", v); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOpenField(b *testing.B) {
	k := testStoreKey(b, "store")
	sealed, _ := SealField(k, "candidates", "id_number", "17", []byte("110101200801011234"))
	for b.Loop() {
		if _, err := OpenField(k, "candidates", "id_number", "17", sealed); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEd25519SignVerify(b *testing.B) {
	dk := testDevice(b, "device")
	msg := make([]byte, 64)
	for b.Loop() {
		sig := ed25519.Sign(dk.sign, msg)
		if !ed25519.Verify(dk.pub.sign, msg, sig) {
			b.Fatal("bad signature")
		}
	}
}

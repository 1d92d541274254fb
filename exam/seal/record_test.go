package seal

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/uuid"
)

func testHeader() Header {
	return Header{DeviceID: "site-17/station-1", Epoch: 2, Seq: 41, Prev: sum([]byte("previous")), Kind: "answer", Created: testTime}
}

func testRecord(t testing.TB) []byte {
	t.Helper()
	return bytes.Repeat([]byte(`{"item":"q17","answer":["b"]}`), 4096/29+1)[:4096]
}

func TestRecordRoundTrip(t *testing.T) {
	ck := testCentral(t)
	dk := testDevice(t, "device")
	for _, v := range envelopeVersions {
		t.Run(fmt.Sprintf("v%d", v.version), func(t *testing.T) {
			h := testHeader()
			env, err := SealRecord(dk, v.public(ck), h, testRecord(t))
			if err != nil {
				t.Fatal(err)
			}
			if env.Header.RecordID.Version() != 7 || env.Hash != EnvelopeHash(env.Bytes) || env.Version != v.version || env.Bytes[magicLen-1] != byte(v.version) {
				t.Fatalf("envelope id %s hash %s version %d", env.Header.RecordID, env.Hash, env.Version)
			}
			h.RecordID = env.Header.RecordID
			peek, err := ParseHeader(env.Bytes)
			if err != nil || *peek != h {
				t.Fatalf("ParseHeader = %+v, %v; want %+v", peek, err, h)
			}
			verified, err := VerifyEnvelope(env.Bytes, dk.Public())
			if err != nil || *verified != h {
				t.Fatalf("VerifyEnvelope = %+v, %v", verified, err)
			}
			rec, err := OpenEnvelope(ck, env.Bytes, dk.Public())
			if err != nil {
				t.Fatal(err)
			}
			if rec.Header != h || !bytes.Equal(rec.Plaintext, testRecord(t)) || rec.Hash != env.Hash || rec.Version != v.version {
				t.Fatalf("opened %+v version %d", rec.Header, rec.Version)
			}
			if bytes.Contains(env.Bytes, []byte(`"answer"`)) {
				t.Fatal("envelope shows the record")
			}
			empty, err := SealRecord(dk, v.public(ck), testHeader(), nil)
			if err != nil {
				t.Fatal(err)
			}
			if rec, err := OpenEnvelope(ck, empty.Bytes, dk.Public()); err != nil || len(rec.Plaintext) != 0 {
				t.Fatalf("empty record: %v", err)
			}
		})
	}
}

// TestRecordVersions: a version 2 envelope carries the MLKEM768-X25519
// encapsulated key, 1088 bytes more than version 1; central opens both
// with one key; central's keys of release 1 open version 1 and refuse
// version 2; keys upgraded from them open both.
func TestRecordVersions(t *testing.T) {
	dk := testDevice(t, "device")
	old := testCentral(t).V1()
	upgraded := old.Upgrade()
	envs := map[int]*Envelope{}
	for _, v := range envelopeVersions {
		env, err := SealRecord(dk, v.public(upgraded), testHeader(), testRecord(t))
		if err != nil {
			t.Fatal(err)
		}
		envs[v.version] = env
	}
	if d := len(envs[2].Bytes) - len(envs[1].Bytes); d != encSizeV2-encSize || encSizeV2 != 1120 {
		t.Fatalf("version 2 is %d bytes longer, encapsulated key %d bytes", d, encSizeV2)
	}
	v1, err := SealRecord(dk, old.Public(), testHeader(), testRecord(t))
	if err != nil || v1.Version != 1 {
		t.Fatalf("sealed to a key of release 1: version %d, %v", v1.Version, err)
	}
	for _, tc := range []struct {
		name string
		ck   *CentralKeys
		env  *Envelope
		want error
	}{
		{"release 1 opens v1", old, envs[1], nil},
		{"release 1 refuses v2", old, envs[2], ErrDecrypt},
		{"upgraded opens v1 sealed before the upgrade", upgraded, v1, nil},
		{"upgraded opens v1", upgraded, envs[1], nil},
		{"upgraded opens v2", upgraded, envs[2], nil},
		{"another hybrid key on the same X25519 key refuses v2", testCentral(t), envs[2], ErrDecrypt},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec, err := OpenEnvelope(tc.ck, tc.env.Bytes, dk.Public())
			if tc.want != nil {
				wantErr(t, err, tc.want)
				return
			}
			if err != nil || rec.Version != tc.env.Version || !bytes.Equal(rec.Plaintext, testRecord(t)) {
				t.Fatalf("opened version %d, %v", rec.Version, err)
			}
		})
	}
}

func TestRecordWrongKeys(t *testing.T) {
	ck := testCentral(t)
	dk := testDevice(t, "device")
	for _, v := range envelopeVersions {
		t.Run(fmt.Sprintf("v%d", v.version), func(t *testing.T) { testRecordWrongKeys(t, ck, dk, v.public(ck)) })
	}
}

func testRecordWrongKeys(t *testing.T, ck *CentralKeys, dk *DeviceKey, pub *CentralPublicKey) {
	env, err := SealRecord(dk, pub, testHeader(), testRecord(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Run("wrong device", func(t *testing.T) {
		_, err := OpenEnvelope(ck, env.Bytes, testDevice(t, "other device").Public())
		wantErr(t, err, ErrWrongDevice)
	})
	t.Run("forged by another device", func(t *testing.T) {
		// Another device signs an envelope naming this device and its key id.
		other := testDevice(t, "other device")
		forged := bytes.Clone(env.Bytes)
		copy(forged[len(forged)-sigSize:], ed25519Sign(other, forged[:len(forged)-sigSize]))
		_, err := VerifyEnvelope(forged, dk.Public())
		wantErr(t, err, ErrBadSignature)
	})
	t.Run("wrong central key", func(t *testing.T) {
		other, _ := GenerateCentralKeys()
		_, err := OpenEnvelope(other, env.Bytes, dk.Public())
		wantErr(t, err, ErrDecrypt)
	})
	t.Run("inner record signed by another key", func(t *testing.T) {
		// A device that can sign envelopes cannot pass off a record signed
		// by someone else: the inner signature is checked too.
		h := testHeader()
		h.RecordID = uuid.Must(uuid.NewV7())
		mallory := testDevice(t, "mallory")
		inner, _ := sealRecordWithInnerSigner(dk, mallory, pub, h, []byte("x"))
		_, err := OpenEnvelope(ck, inner, dk.Public())
		wantErr(t, err, ErrBadSignature)
	})
	t.Run("header swapped under a valid signature", func(t *testing.T) {
		// The device re-signs an envelope after changing the header: the
		// HPKE associated data no longer matches.
		b := bytes.Clone(env.Bytes)
		b[len(magicEnvelope)+16+8+2+len("site-17/station-1")+7]++ // epoch
		_, err := OpenEnvelope(ck, resign(dk, b), dk.Public())
		wantErr(t, err, ErrDecrypt)
	})
	t.Run("version byte rewritten under a valid signature", func(t *testing.T) {
		// v2 read as v1 or v1 read as v2: the encapsulated key's size no
		// longer fits, or (had it fitted) the header, the HPKE associated
		// data, differs.
		b := bytes.Clone(env.Bytes)
		b[magicLen-1] = 3 - b[magicLen-1]
		_, err := OpenEnvelope(ck, resign(dk, b), dk.Public())
		wantErr(t, err, ErrFormat)
	})
	t.Run("record id assigned by caller", func(t *testing.T) {
		h := testHeader()
		h.RecordID = uuid.Must(uuid.NewV7())
		if _, err := SealRecord(dk, pub, h, nil); err == nil {
			t.Fatal("accepted")
		}
	})
	t.Run("bad header", func(t *testing.T) {
		for _, h := range []Header{{Kind: "k", Created: testTime}, {DeviceID: "d", Created: testTime}, {DeviceID: "d", Kind: "k"}} {
			if _, err := SealRecord(dk, pub, h, nil); err == nil {
				t.Fatalf("%+v accepted", h)
			}
		}
	})
}

// resign replaces an envelope's outer signature with the device's signature
// over its bytes as they are: what a device, or someone holding the site
// passphrase, could do to an altered envelope.
func resign(dk *DeviceKey, b []byte) []byte {
	copy(b[len(b)-sigSize:], ed25519Sign(dk, b[:len(b)-sigSize]))
	return b
}

// TestRecordTamper alters every byte of a real envelope of each version:
// the cheap check catches all of them before any decryption. Then it alters
// every byte again and re-signs the envelope with the device key, as one
// holding the site's passphrase could: decryption or the inner signature
// refuses every change, so the HPKE layer (for v2, ML-KEM's implicit
// rejection and the X25519 share alike) holds on its own.
func TestRecordTamper(t *testing.T) {
	ck := testCentral(t)
	dk := testDevice(t, "device")
	for _, v := range envelopeVersions {
		t.Run(fmt.Sprintf("v%d", v.version), func(t *testing.T) {
			env, err := SealRecord(dk, v.public(ck), testHeader(), testRecord(t))
			if err != nil {
				t.Fatal(err)
			}
			everyFlip(t, env.Bytes, func(b []byte) error {
				_, err := VerifyEnvelope(b, dk.Public())
				return err
			})
			everyFlip(t, env.Bytes, func(b []byte) error {
				_, err := OpenEnvelope(ck, b, dk.Public())
				if err != nil && !errors.Is(err, ErrFormat) && !errors.Is(err, ErrBadSignature) && !errors.Is(err, ErrWrongDevice) {
					t.Errorf("altered envelope: %v", err)
				}
				return err
			})
			signed := len(env.Bytes) - sigSize
			everyFlip(t, env.Bytes[:signed], func(b []byte) error {
				m := resign(dk, append(bytes.Clone(b), env.Bytes[signed:]...))
				_, err := OpenEnvelope(ck, m, dk.Public())
				if err != nil && !errors.Is(err, ErrFormat) && !errors.Is(err, ErrDecrypt) && !errors.Is(err, ErrWrongDevice) {
					t.Errorf("altered and re-signed envelope: %v", err)
				}
				return err
			})
		})
	}
}

func TestReceipt(t *testing.T) {
	ck := testCentral(t)
	dk := testDevice(t, "device")
	env, err := SealRecord(dk, ck.Public(), testHeader(), testRecord(t))
	if err != nil {
		t.Fatal(err)
	}
	want := Receipt{RecordID: env.Header.RecordID, EnvelopeHash: env.Hash, ServerSeq: 90210, ServerTime: testTime}
	b, err := SignReceipt(ck, &want)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) != receiptSize {
		t.Fatalf("receipt is %d bytes, want %d", len(b), receiptSize)
	}
	got, err := VerifyReceipt(ck.Public(), b, env.Bytes)
	if err != nil || *got != want {
		t.Fatalf("VerifyReceipt = %+v, %v", got, err)
	}
	t.Run("another envelope", func(t *testing.T) {
		other, _ := SealRecord(dk, ck.Public(), testHeader(), testRecord(t))
		_, err := VerifyReceipt(ck.Public(), b, other.Bytes)
		wantErr(t, err, ErrWrongRecord)
	})
	t.Run("same id, other bytes", func(t *testing.T) {
		h := env.Header
		other, _ := sealRecord(dk, ck.Public(), h, testRecord(t))
		_, err := VerifyReceipt(ck.Public(), b, other.Bytes)
		wantErr(t, err, ErrWrongRecord)
	})
	t.Run("wrong central key", func(t *testing.T) {
		other, _ := GenerateCentralKeys()
		_, err := OpenReceipt(other.Public(), b)
		wantErr(t, err, ErrBadSignature)
	})
	t.Run("tamper", func(t *testing.T) {
		everyFlip(t, b, func(m []byte) error {
			_, err := VerifyReceipt(ck.Public(), m, env.Bytes)
			return err
		})
	})
	if code := ReceiptCode(env.Hash); len(code) != 19 {
		t.Fatalf("receipt code %q", code)
	}
}

// TestReceiptCode reads receipt codes back as a candidate types them, and
// refuses what is not one.
func TestReceiptCode(t *testing.T) {
	var h Hash
	for i := range h {
		h[i] = byte(i*37 + 11)
	}
	code := ReceiptCode(h)
	lower := strings.ToLower(code)
	fullWidth := strings.Map(func(r rune) rune { return r + 0xFEE0 }, code)
	confused := strings.NewReplacer("0", "O", "1", "l").Replace(code)
	for _, typed := range []string{code, lower, strings.ReplaceAll(code, "-", " "), strings.ReplaceAll(code, "-", ""), " " + lower + "\n", fullWidth, confused} {
		got, err := ParseReceiptCode(typed)
		if err != nil || !bytes.Equal(got[:], h[:ReceiptCodeBytes]) {
			t.Errorf("ParseReceiptCode(%q) = %x, %v; want %x", typed, got, err, h[:ReceiptCodeBytes])
		}
	}
	for _, bad := range []string{"", code[:18], code + "0", strings.Replace(code, code[:1], "U", 1), "7GQX-M3KD-0ZPA-RT4#", strings.Repeat("0", 300), "回执码"} {
		if _, err := ParseReceiptCode(bad); !errors.Is(err, ErrReceiptCode) {
			t.Errorf("ParseReceiptCode(%q): %v, want ErrReceiptCode", bad, err)
		}
	}
}

package seal

import (
	"bytes"
	"testing"
)

// FuzzParseKeys: keys arrive from outside, central's public key in the
// enrolment answer and in its signed key, a device's public key in its
// enrolment request, a release key in central's release answer, and the
// private keys from central's key file and the site's store. Whatever the
// bytes, parsing never panics, and an accepted key encodes back to the same
// bytes: central's keys of both releases (types 1, 2, 5 and 6) among them.
func FuzzParseKeys(f *testing.F) {
	ck := testCentral(f)
	dk := testDevice(f, "device")
	rk := testReleaseKey(f, "S-1")
	for kind, b := range [][]byte{ck.Public().Marshal(), dk.Public().Marshal(), ck.Marshal(), dk.Marshal(), rk.Bytes()} {
		f.Add(uint8(kind), b)
		f.Add(uint8(kind), b[:len(b)-1])
	}
	f.Add(uint8(0), ck.Public().V1().Marshal())
	f.Add(uint8(2), ck.V1().Marshal())
	f.Add(uint8(0), append(ck.Public().V1().Marshal(), ck.Public().Marshal()[69:]...))
	f.Fuzz(func(t *testing.T, kind uint8, b []byte) {
		var again []byte
		switch kind % 5 {
		case 0:
			k, err := ParseCentralPublicKey(b)
			if err != nil {
				return
			}
			again = k.Marshal()
		case 1:
			k, err := ParseDevicePublicKey(b)
			if err != nil {
				return
			}
			again = k.Marshal()
		case 2:
			k, err := ParseCentralKeys(b)
			if err != nil {
				return
			}
			again = k.Marshal()
			if !bytes.Equal(k.Public().Marshal(), mustPublic(t, k.Public().Marshal())) {
				t.Fatal("central public key does not round-trip")
			}
			if up := k.Upgrade(); !up.Hybrid() || up.SecretsKey().key != k.SecretsKey().key || !bytes.Equal(up.Public().V1().Marshal(), k.Public().V1().Marshal()) {
				t.Fatal("upgrading central's keys changed what it kept")
			}
		case 3:
			k, err := ParseDeviceKey(b)
			if err != nil {
				return
			}
			again = k.Marshal()
		case 4:
			k, err := ParseReleaseKey("S-1", b)
			if err != nil {
				return
			}
			again = k.Bytes()
		}
		if !bytes.Equal(again, b) {
			t.Fatalf("kind %d: %x parsed and encodes to %x", kind%5, b, again)
		}
	})
}

func mustPublic(t *testing.T, b []byte) []byte {
	t.Helper()
	k, err := ParseCentralPublicKey(b)
	if err != nil {
		t.Fatalf("the public half of a parsed key does not parse: %v", err)
	}
	return k.Marshal()
}

// FuzzOpenCentralKey: central's signed key arrives in its answers to every
// device. Whatever the bytes, opening never panics, and a key accepted is
// hybrid and extends the key the device trusts.
func FuzzOpenCentralKey(f *testing.F) {
	ck := testCentral(f)
	trusted := ck.Public().V1()
	manifest, err := SignCentralKey(ck, testTime)
	if err != nil {
		f.Fatal(err)
	}
	key := ck.Public().Marshal()
	f.Add(manifest, key)
	f.Add(manifest, key[:len(key)-1])
	f.Add(manifest[:len(manifest)-1], key)
	f.Add([]byte{}, []byte{})
	f.Fuzz(func(t *testing.T, manifest, key []byte) {
		k, err := OpenCentralKey(trusted, manifest, key)
		if err != nil {
			return
		}
		if !k.Hybrid() || !bytes.Equal(k.V1().Marshal(), trusted.Marshal()) || !bytes.Equal(k.Marshal(), key) {
			t.Fatalf("accepted key %x does not extend the trusted key", key)
		}
	})
}

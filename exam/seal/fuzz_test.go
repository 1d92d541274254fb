package seal

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
)

// Each fuzz target feeds arbitrary bytes to a parser and its callers: they
// must return an error or a value, never panic; and whatever a parser
// accepts must encode back to the same bytes.

func FuzzParseEnvelope(f *testing.F) {
	// The HPKE ephemeral key is random, so each fuzzing process makes its own
	// envelope: the checks below hold for any envelope.
	ck := testCentral(f)
	dk := testDevice(f, "device")
	for _, v := range envelopeVersions {
		env, err := SealRecord(dk, v.public(ck), testHeader(), []byte(`{"q1":["b"]}`))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(env.Bytes)
		f.Add(env.Bytes[:len(env.Bytes)-1])
	}
	f.Add([]byte("OXE\x01"))
	f.Add([]byte("OXE\x02"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := parseEnvelope(b)
		if err != nil {
			return
		}
		if !bytes.HasPrefix(b, appendHeader(e.version, e.keyID, &e.Header)) {
			t.Fatalf("header %+v does not re-encode to its bytes", e.Header)
		}
		if _, err := VerifyEnvelope(b, dk.Public()); err != nil {
			return
		}
		rec, err := OpenEnvelope(ck, b, dk.Public())
		if err == nil && (rec.Header != e.Header || rec.Hash != EnvelopeHash(b) || rec.Version != e.version) {
			t.Fatalf("opened %+v from an envelope headed %+v", rec.Header, e.Header)
		}
	})
}

func FuzzParseReceipt(f *testing.F) {
	ck := testCentral(f)
	want := Receipt{RecordID: [16]byte{0x01, 0x97, 6: 0x70, 8: 0x80}, EnvelopeHash: sum([]byte("envelope")), ServerSeq: 1, ServerTime: testTime}
	receipt, err := SignReceipt(ck, &want)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(receipt)
	f.Add(receipt[:receiptSize-sigSize])
	f.Add([]byte("OXR\x02"))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := OpenReceipt(ck.Public(), b)
		if err == nil && (!bytes.Equal(b, receipt) || *r != want) {
			t.Fatalf("a new receipt verified: %+v", r)
		}
	})
}

func FuzzParseManifest(f *testing.F) {
	ck := testCentral(f)
	manifest, parts := testPackage(f, ck)
	f.Add(manifest)
	f.Add(manifest[:len(manifest)-sigSize])
	f.Add([]byte("OXM\x01\x00\x01P\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00"))
	f.Add([]byte("OXM\x02\x00\x01P\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		// Version 1 is read but never written: only version 2 re-encodes.
		if m, err := parseManifest(b); err == nil && b[magicLen-1] == magicManifest[magicLen-1] {
			again, err := encodeManifest(m)
			if err != nil || !bytes.Equal(again, b) {
				t.Fatalf("manifest %+v re-encodes to %x, %v", m, again, err)
			}
		}
		if _, err := OpenPackage(ck.Public(), b, parts); err == nil && !bytes.Equal(b, manifest) {
			t.Fatal("a new manifest verified")
		}
	})
}

func FuzzParsePackageList(f *testing.F) {
	ck := testCentral(f)
	manifest, _ := testPackage(f, ck)
	want := &PackageList{Request: sum([]byte("request")), Cursor: 9, Packages: []Listed{{SessionID: "S-1", Version: 7, Manifest: ManifestHash(manifest)}, {SessionID: "S-2", Version: 9, Manifest: sum(nil)}}}
	list, err := SignPackageList(ck, want)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(list)
	f.Add(list[:len(list)-sigSize])
	f.Add([]byte("OXL\x01"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if l, err := parsePackageList(b); err == nil {
			again, err := SignPackageList(ck, l)
			if err != nil || !bytes.Equal(again[:len(again)-sigSize], b) {
				t.Fatalf("package list %+v re-encodes to %x, %v", l, again, err)
			}
		}
		if l, err := OpenPackageList(ck.Public(), b); err == nil && (!bytes.Equal(b, list) || !reflect.DeepEqual(l, want)) {
			t.Fatalf("a new package list verified: %+v", l)
		}
	})
}

func FuzzParseUnlockCode(f *testing.F) {
	c, _ := newUnlockCode(newStream("fuzz"))
	for _, s := range []string{c.String(), strings.ToLower(c.String()), toFullWidth(c.String()), "2XGWR VYGY7 FYKNG 4FKY8", "0000-", "", "ｌｌ-ＯＯ", "U*~$="} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseUnlockCode(s)
		if err != nil {
			return
		}
		again, err := ParseUnlockCode(c.String())
		if err != nil || again != c {
			t.Fatalf("%q parsed to %s, which parses to %v, %v", s, c, again, err)
		}
	})
}

func FuzzOpenField(f *testing.F) {
	k := testStoreKey(f, "store")
	sealed, err := sealField(newStream("nonce"), k, "candidates", "name", "1", []byte("张三"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(sealed)
	f.Add(sealed[:20])
	f.Fuzz(func(t *testing.T, b []byte) {
		if v, err := OpenField(k, "candidates", "name", "1", b); err == nil && !bytes.Equal(b, sealed) {
			t.Fatalf("a new field opened: %q", v)
		}
	})
}

func FuzzOpenPaper(f *testing.F) {
	rk := testReleaseKey(f, "S-1")
	sp, err := sealPaper(newStream("fuzz paper"), []byte(`{"items":[]}`), "P", 1, rk)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(sp.Body, sp.Key)
	f.Add(sp.Body[:30], sp.Key)
	f.Fuzz(func(t *testing.T, body, key []byte) {
		if p, err := openPaper(body, key, rk); err == nil && (!bytes.Equal(body, sp.Body) || !bytes.Equal(key, sp.Key)) {
			t.Fatalf("a new paper opened: %q", p.Content)
		}
	})
}

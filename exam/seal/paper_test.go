package seal

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"strings"
	"testing"
)

const (
	bodyPart = "papers/WEB-E-2026-B.v1"
	keyPart  = "papers/WEB-E-2026-B.v1.key"
)

func testReleaseKey(t testing.TB, session string) *ReleaseKey {
	t.Helper()
	c, err := newUnlockCode(newStream("code " + session))
	if err != nil {
		t.Fatal(err)
	}
	rk, err := DeriveReleaseKey(c, session)
	if err != nil {
		t.Fatal(err)
	}
	return rk
}

// testPackage seals the 200-item paper for session S-1 into a package with a
// roster part, and returns the signed manifest and the parts.
func testPackage(t testing.TB, ck *CentralKeys) (manifest []byte, parts map[string][]byte) {
	t.Helper()
	sp, err := sealPaper(newStream("paper"), testPaper(t), "WEB-E-2026-B", 1, testReleaseKey(t, "S-1"))
	if err != nil {
		t.Fatal(err)
	}
	parts = map[string][]byte{
		bodyPart:     sp.Body,
		keyPart:      sp.Key,
		"roster.csv": []byte("seat,name\n1,张三\n2,李四\n"),
	}
	m := &Manifest{PackageID: "P-7", SessionID: "S-1", Created: testTime, Version: 7}
	for name, data := range parts {
		m.Parts = append(m.Parts, NewPart(name, data))
	}
	manifest, err = SignManifest(ck, m)
	if err != nil {
		t.Fatal(err)
	}
	return manifest, parts
}

func TestPaperRoundTrip(t *testing.T) {
	ck := testCentral(t)
	manifest, parts := testPackage(t, ck)
	pkg, err := OpenPackage(ck.Public(), manifest, parts)
	if err != nil {
		t.Fatal(err)
	}
	m := pkg.Manifest()
	if m.PackageID != "P-7" || m.SessionID != "S-1" || !m.Created.Equal(testTime) || len(m.Parts) != 3 || m.Parts[0].Name != bodyPart {
		t.Fatalf("manifest %+v", m)
	}
	p, err := pkg.OpenPaper(bodyPart, keyPart, testReleaseKey(t, "S-1"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(p.Content, testPaper(t)) || p.ID != "WEB-E-2026-B" || p.Version != 1 || p.SessionID != "S-1" {
		t.Fatalf("paper %q v%d of %q, %d bytes", p.ID, p.Version, p.SessionID, len(p.Content))
	}
	if bytes.Contains(parts[bodyPart], []byte("单项选择题")) {
		t.Fatal("sealed paper shows its text")
	}
}

func TestPaperWrongKeys(t *testing.T) {
	ck := testCentral(t)
	manifest, parts := testPackage(t, ck)
	pkg, err := OpenPackage(ck.Public(), manifest, parts)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("wrong release key", func(t *testing.T) {
		c, _ := newUnlockCode(newStream("another code"))
		rk, _ := DeriveReleaseKey(c, "S-1")
		_, err := pkg.OpenPaper(bodyPart, keyPart, rk)
		wantErr(t, err, ErrDecrypt)
	})
	t.Run("release key of another session", func(t *testing.T) {
		_, err := pkg.OpenPaper(bodyPart, keyPart, testReleaseKey(t, "S-2"))
		wantErr(t, err, ErrWrongSession)
	})
	t.Run("paper of another session", func(t *testing.T) {
		// Central put a paper sealed for S-1 into a package for S-2.
		m, _ := OpenManifest(ck.Public(), manifest)
		m.SessionID = "S-2"
		other, _ := SignManifest(ck, m)
		pkg2, err := OpenPackage(ck.Public(), other, parts)
		if err != nil {
			t.Fatal(err)
		}
		_, err = pkg2.OpenPaper(bodyPart, keyPart, testReleaseKey(t, "S-2"))
		wantErr(t, err, ErrWrongSession)
	})
	t.Run("key of another paper", func(t *testing.T) {
		rk := testReleaseKey(t, "S-1")
		sp, _ := SealPaper([]byte("{}"), "WEB-E-2026-B", 2, rk)
		_, err := openPaper(parts[bodyPart], sp.Key, rk)
		wantErr(t, err, ErrWrongPaper)
	})
	t.Run("wrong central key", func(t *testing.T) {
		other, _ := GenerateCentralKeys()
		_, err := OpenPackage(other.Public(), manifest, parts)
		wantErr(t, err, ErrBadSignature)
	})
	t.Run("part names", func(t *testing.T) {
		_, err := pkg.OpenPaper("roster.csv", keyPart, testReleaseKey(t, "S-1"))
		wantErr(t, err, ErrFormat)
		_, err = pkg.OpenPaper("nope", keyPart, testReleaseKey(t, "S-1"))
		wantErr(t, err, ErrBadPart)
	})
}

func TestPackageFailsClosed(t *testing.T) {
	ck := testCentral(t)
	manifest, parts := testPackage(t, ck)
	clone := func() map[string][]byte {
		c := make(map[string][]byte, len(parts))
		for k, v := range parts {
			c[k] = v
		}
		return c
	}
	missing := clone()
	delete(missing, "roster.csv")
	extra := clone()
	extra["extra.txt"] = []byte("x")
	altered := clone()
	altered["roster.csv"] = []byte("seat,name\n1,张三\n2,王五\n")
	longer := clone()
	longer["roster.csv"] = append(bytes.Clone(parts["roster.csv"]), '\n')
	for name, ps := range map[string]map[string][]byte{"missing": missing, "extra": extra, "altered": altered, "longer": longer} {
		t.Run(name, func(t *testing.T) {
			_, err := OpenPackage(ck.Public(), manifest, ps)
			wantErr(t, err, ErrBadPart)
		})
	}
}

// TestManifestVersions: a version 2 manifest carries its version; a version
// 1 manifest, as a site may hold from before, still opens, as version 0; the
// version byte changed either way breaks the signature.
func TestManifestVersions(t *testing.T) {
	ck := testCentral(t)
	manifest, parts := testPackage(t, ck)
	p, err := OpenPackage(ck.Public(), manifest, parts)
	if err != nil || p.Manifest().Version != 7 {
		t.Fatalf("version 2: %v %+v", err, p)
	}
	// Version 1: the same without the version field, signed.
	v1 := bytes.Clone(manifest[:len(manifest)-sigSize])
	at := magicLen + 2 + len("P-7") + 2 + len("S-1") + 8
	v1 = append(v1[:at:at], v1[at+8:]...)
	v1[magicLen-1] = 1
	v1 = append(v1, ed25519.Sign(ck.sign, v1)...)
	p, err = OpenPackage(ck.Public(), v1, parts)
	if err != nil || p.Manifest().Version != 0 || len(p.Manifest().Parts) != 3 {
		t.Fatalf("version 1: %v %+v", err, p)
	}
	for _, b := range [][]byte{manifest, v1} {
		changed := bytes.Clone(b)
		changed[magicLen-1] ^= 3
		if _, err := OpenManifest(ck.Public(), changed); err == nil {
			t.Errorf("version byte %d accepted", changed[magicLen-1])
		}
	}
	three := bytes.Clone(manifest)
	three[magicLen-1] = 3
	if _, err := OpenManifest(ck.Public(), three); err == nil || !strings.Contains(err.Error(), "version 3 not supported") {
		t.Errorf("version 3: %v", err)
	}
}

// TestPackageList: a signed list opens to what was signed; one under
// another key, or with a version beyond its cursor or sessions out of
// order, is refused.
func TestPackageList(t *testing.T) {
	ck := testCentral(t)
	l := &PackageList{Request: sum([]byte("request")), Cursor: 9, Packages: []Listed{{"S-1", 7, sum([]byte("m1"))}, {"S-2", 9, sum([]byte("m2"))}}}
	b, err := SignPackageList(ck, l)
	if err != nil {
		t.Fatal(err)
	}
	got, err := OpenPackageList(ck.Public(), b)
	if err != nil || got.Request != l.Request || got.Cursor != 9 || len(got.Packages) != 2 || got.Packages[1] != l.Packages[1] {
		t.Fatalf("%+v %v", got, err)
	}
	other, _ := newCentralKeys(newStream("other central"))
	if _, err := OpenPackageList(other.Public(), b); !errors.Is(err, ErrBadSignature) {
		t.Errorf("another central's key: %v", err)
	}
	for name, bad := range map[string]*PackageList{
		"beyond the cursor": {Cursor: 8, Packages: []Listed{{"S-1", 9, Hash{}}}},
		"version 0":         {Cursor: 8, Packages: []Listed{{"S-1", 0, Hash{}}}},
		"out of order":      {Cursor: 9, Packages: []Listed{{"S-2", 1, Hash{}}, {"S-1", 2, Hash{}}}},
		"twice":             {Cursor: 9, Packages: []Listed{{"S-1", 1, Hash{}}, {"S-1", 2, Hash{}}}},
		"no session":        {Cursor: 9, Packages: []Listed{{"", 1, Hash{}}}},
	} {
		if _, err := SignPackageList(ck, bad); err == nil {
			t.Errorf("%s: signed", name)
		}
	}
}

func TestManifestRejectsBadInput(t *testing.T) {
	ck := testCentral(t)
	for name, m := range map[string]*Manifest{
		"no package id":   {Created: testTime},
		"no time":         {PackageID: "P"},
		"duplicate parts": {PackageID: "P", Created: testTime, Parts: []Part{{Name: "a"}, {Name: "a"}}},
		"dot-dot":         {PackageID: "P", Created: testTime, Parts: []Part{{Name: "../etc/passwd"}}},
		"absolute":        {PackageID: "P", Created: testTime, Parts: []Part{{Name: "/etc/passwd"}}},
		"backslash":       {PackageID: "P", Created: testTime, Parts: []Part{{Name: `a\b`}}},
		"negative size":   {PackageID: "P", Created: testTime, Parts: []Part{{Name: "a", Size: -1}}},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := SignManifest(ck, m); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}

// TestPaperTamper alters every byte of a real sealed 200-item paper, of its
// key part and of the signed manifest. The body is checked against the
// encryption alone, without the manifest's hash; an altered body in a package
// is refused earlier by its hash (TestPackageFailsClosed).
func TestPaperTamper(t *testing.T) {
	ck := testCentral(t)
	manifest, parts := testPackage(t, ck)
	rk := testReleaseKey(t, "S-1")
	t.Run("manifest", func(t *testing.T) {
		everyFlip(t, manifest, func(m []byte) error {
			_, err := OpenPackage(ck.Public(), m, parts)
			return err
		})
	})
	t.Run("key part in package", func(t *testing.T) {
		everyFlip(t, parts[keyPart], func(k []byte) error {
			ps := map[string][]byte{bodyPart: parts[bodyPart], keyPart: k, "roster.csv": parts["roster.csv"]}
			_, err := OpenPackage(ck.Public(), manifest, ps)
			if err != nil && !errors.Is(err, ErrBadPart) {
				t.Errorf("altered key part: %v, want ErrBadPart", err)
			}
			return err
		})
	})
	t.Run("key part alone", func(t *testing.T) {
		everyFlip(t, parts[keyPart], func(k []byte) error {
			_, err := openPaper(parts[bodyPart], k, rk)
			return err
		})
	})
	t.Run("body alone", func(t *testing.T) {
		everyFlip(t, parts[bodyPart], func(b []byte) error {
			_, err := openPaper(b, parts[keyPart], rk)
			return err
		})
	})
}
